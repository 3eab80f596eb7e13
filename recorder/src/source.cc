#include "netsample/recorder/source.h"

#include <charconv>
#include <filesystem>

namespace netsample::recorder {

namespace {

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

}  // namespace

Result<SourceSpec> parse_source(std::string_view text, std::string_view field) {
  SourceSpec spec;
  spec.text = std::string(text);
  const std::string hint = "；可用：x11:显示器（如 x11::0）、gdigrab:desktop、avfoundation:屏幕序号、v4l2:/dev/video0（摄像头）、file:视频文件路径";
  if (text.empty()) return make_error(ErrorCode::missing_field, std::string(field), "未指定录制来源" + hint);
  if (starts_with(text, "x11:")) {
    spec.kind = SourceKind::x11;
    spec.device = "x11grab";
    spec.url = std::string(text.substr(4));
    if (spec.url.find(':') == std::string::npos)
      return make_error(ErrorCode::invalid_input, std::string(field), "X11 显示器应写作 x11::编号（如 x11::0、x11::99）" + hint);
  } else if (starts_with(text, "gdigrab:")) {
    spec.kind = SourceKind::gdigrab;
    spec.device = "gdigrab";
    spec.url = std::string(text.substr(8));
  } else if (starts_with(text, "avfoundation:")) {
    spec.kind = SourceKind::avfoundation;
    spec.device = "avfoundation";
    spec.url = std::string(text.substr(13));
  } else if (starts_with(text, "v4l2:")) {
    spec.kind = SourceKind::v4l2;
    spec.device = "video4linux2";
    spec.url = std::string(text.substr(5));
    if (!spec.url.empty() && !starts_with(spec.url, "/dev/"))
      return make_error(ErrorCode::invalid_input, std::string(field), "摄像头应写作 v4l2:/dev/video编号（如 v4l2:/dev/video0）" + hint);
  } else {
    spec.kind = SourceKind::file;
    spec.url = std::string(starts_with(text, "file:") ? text.substr(5) : text);
    std::error_code ec;
    if (!std::filesystem::is_regular_file(spec.url, ec))
      return make_error(ErrorCode::not_found, std::string(field), "视频文件不存在：" + spec.url + hint);
  }
  if (spec.url.empty()) return make_error(ErrorCode::invalid_input, std::string(field), "录制来源缺少设备名" + hint);
  return spec;
}

Result<Region> parse_region(std::string_view text, std::string_view field) {
  Region region;
  const auto bad = [&] {
    return make_error(ErrorCode::invalid_input, std::string(field),
                      "区域应写作 宽x高+左+上（如 1280x720+0+0），宽高为正偶数（H.264 4:2:0 编码要求）");
  };
  const char* p = text.data();
  const char* end = text.data() + text.size();
  auto number = [&](int& out) {
    auto [next, ec] = std::from_chars(p, end, out);
    if (ec != std::errc()) return false;
    p = next;
    return true;
  };
  auto expect = [&](char c) {
    if (p == end || *p != c) return false;
    ++p;
    return true;
  };
  if (!number(region.width) || !expect('x') || !number(region.height) || !expect('+') || !number(region.x) ||
      !expect('+') || !number(region.y) || p != end)
    return bad();
  if (region.width <= 0 || region.height <= 0 || region.width % 2 || region.height % 2 || region.x < 0 || region.y < 0)
    return bad();
  return region;
}

}  // namespace netsample::recorder
