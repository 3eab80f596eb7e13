#include <zlib.h>

#include <cctype>
#include <regex>

#include "netsample/core/charset.h"
#include "netsample/extract/extract.h"

namespace netsample::extract {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// An iconv name for a declared charset; GBK and GB2312 as GB18030, their superset.
std::string canonical(std::string name) {
  name = lower(name);
  if (name == "gbk" || name == "gb2312" || name == "gb18030" || name == "x-gbk" || name == "cp936") return "GB18030";
  if (name == "utf8") return "UTF-8";
  for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

std::string charset_param(std::string_view content_type) {
  static const std::regex charset(R"(charset\s*=\s*["']?([A-Za-z0-9_\-]+))", std::regex::icase);
  std::cmatch m;
  const std::string text(content_type.substr(0, 1024));  // std::regex recurses per character: a header is capped
  if (std::regex_search(text.c_str(), m, charset)) return m[1].str();
  return "";
}

Result<std::string> inflate_all(std::string_view bytes, int window_bits) {
  z_stream z{};
  if (inflateInit2(&z, window_bits) != Z_OK) return make_error(ErrorCode::internal, "body", "zlib 初始化失败");
  std::string out;
  char buffer[64 * 1024];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  int status = Z_OK;
  while (status == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buffer);
    z.avail_out = sizeof buffer;
    status = inflate(&z, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - z.avail_out);
    if (out.size() > (200u << 20)) status = Z_MEM_ERROR;  // a decompression bomb: stop
  }
  inflateEnd(&z);
  if (status != Z_STREAM_END) return make_error(ErrorCode::invalid_input, "body", "按 Content-Encoding 压缩的内容无法解压");
  return out;
}

}  // namespace

Result<std::string> decode_content(std::string_view body, std::string_view content_encoding) {
  const std::string encoding = lower(content_encoding);
  if (encoding == "gzip" || encoding == "x-gzip" || encoding == "deflate") return inflate_all(body, encoding == "deflate" ? 15 : 15 + 16);
  return std::string(body);
}

Result<DecodedPage> decode_page(std::string_view body, std::string_view content_type, std::string_view content_encoding) {
  NETSAMPLE_ASSIGN(const std::string decoded, decode_content(body, content_encoding));
  body = decoded;
  DecodedPage page;
  if (body.starts_with("\xEF\xBB\xBF")) {
    page.charset = "UTF-8", page.charset_source = "bom";
    body.remove_prefix(3);
  } else if (body.starts_with("\xFF\xFE") || body.starts_with("\xFE\xFF")) {
    page.charset = body.starts_with("\xFF\xFE") ? "UTF-16LE" : "UTF-16BE", page.charset_source = "bom";
    body.remove_prefix(2);
  } else if (std::string declared = charset_param(content_type); !declared.empty()) {
    page.charset = canonical(declared), page.charset_source = "http";
  } else {
    static const std::regex meta(R"(<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-]+))", std::regex::icase);
    std::smatch m;
    const std::string head(body.substr(0, 4096));
    if (std::regex_search(head, m, meta)) page.charset = canonical(m[1].str()), page.charset_source = "meta";
    else page.charset = "UTF-8", page.charset_source = "default";
  }
  if (page.charset == "UTF-8") {
    if (is_utf8(body)) {
      page.text = std::string(body);
      return page;
    }
  } else if (auto converted = to_utf8(body, page.charset); converted.ok()) {
    page.text = std::move(converted).value();
    return page;
  }
  // The declaration does not fit the bytes (a page that says UTF-8 and is GBK, or the other way round).
  const std::string declared = page.charset;
  for (const char* other : {"UTF-8", "GB18030"}) {
    if (declared == other) continue;
    auto converted = std::string(other) == "UTF-8" ? (is_utf8(body) ? Result<std::string>(std::string(body)) : to_utf8(body, "UTF-8"))
                                                   : to_utf8(body, other);
    if (!converted.ok()) continue;
    page.text = std::move(converted).value();
    page.problem = "页面声明的字符编码 " + declared + "（" + page.charset_source + "）与内容不符，按 " + other + " 读取";
    page.charset = other;
    page.charset_source = "content";
    return page;
  }
  return make_error(ErrorCode::invalid_input, "charset", "页面内容既不是声明的 " + declared + "，也不是 UTF-8 或 GB18030");
}

}  // namespace netsample::extract
