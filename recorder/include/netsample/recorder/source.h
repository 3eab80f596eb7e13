// What to record, as the sampler names it: the screen of this machine, a camera, or a video file.
//   x11:DISPLAY            X11 screen via libavdevice x11grab, e.g. "x11::0", "x11::99", "x11:host:0.0"
//   gdigrab:desktop        Windows desktop (or gdigrab:title=WINDOW)
//   avfoundation:N         macOS screen N ("Capture screen N")
//   v4l2:/dev/videoN       a camera on Linux via libavdevice video4linux2 (the unboxing, Art 36)
//   file:PATH or a path    a video file, read at its own pace (tests, unboxing import)
// A region (WxH+X+Y, as X11 geometry) limits screen capture to part of the screen.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "netsample/core/error.h"

namespace netsample::recorder {

enum class SourceKind { x11, gdigrab, avfoundation, v4l2, file };

struct Region {
  int width = 0, height = 0, x = 0, y = 0;
};

struct SourceSpec {
  SourceKind kind = SourceKind::x11;
  std::string device;  // libavdevice input format name ("x11grab"), empty for a file
  std::string url;     // what avformat_open_input opens (":99", "desktop", "1", the file path)
  std::string text;    // as given, for the manifest
  bool live() const { return kind != SourceKind::file; }
};

// `field` names the option in errors ("--source").
Result<SourceSpec> parse_source(std::string_view text, std::string_view field);
// "1280x720+0+0"; sizes must be even (H.264 4:2:0) and positive.
Result<Region> parse_region(std::string_view text, std::string_view field);

}  // namespace netsample::recorder
