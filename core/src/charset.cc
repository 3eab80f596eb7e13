#include "netsample/core/charset.h"

#include <iconv.h>

#include <memory>

namespace netsample {
namespace {

struct IconvClose {
  void operator()(void* cd) const { iconv_close(static_cast<iconv_t>(cd)); }
};

}  // namespace

bool is_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t length = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (length == 0 || i + length > s.size()) return false;
    for (size_t k = 1; k < length; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += length;
  }
  return true;
}

Result<std::string> to_utf8(std::string_view bytes, const std::string& from) {
  iconv_t cd = iconv_open("UTF-8", from.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) return make_error(ErrorCode::invalid_input, "charset", "不支持的字符编码 " + from);
  std::unique_ptr<void, IconvClose> owned(cd);
  std::string out(bytes.size() * 2 + 16, '\0');
  char* in = const_cast<char*>(bytes.data());  // iconv's signature; it does not write the input
  size_t in_left = bytes.size();
  char* to = out.data();
  size_t to_left = out.size();
  if (iconv(cd, &in, &in_left, &to, &to_left) == static_cast<size_t>(-1) || in_left != 0)
    return make_error(ErrorCode::invalid_input, "charset",
                      "内容不是 " + from + " 编码（第 " + std::to_string(bytes.size() - in_left + 1) + " 个字节处无法识别）");
  out.resize(out.size() - to_left);
  return out;
}

}  // namespace netsample
