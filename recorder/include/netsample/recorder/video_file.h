// A video file brought in from outside (the unboxing filmed with a camera or phone, Art 36): what it says
// of itself, read from the container without decoding — its length, its frames, the recording time the
// camera wrote into it, and whether its frame times run on without a gap. Its bytes are hashed by whoever
// imports it; this is what a reviewer needs to know besides.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"

namespace netsample::recorder {

struct FileGap {
  std::int64_t frame = 0;       // the first frame after the gap
  double at_s = 0;              // its time in the video
  double duration_s = 0;
};

struct VideoFileInfo {
  std::string container, codec;
  int width = 0, height = 0;
  double fps = 0;                          // as the stream declares it (average)
  double duration_s = 0;                   // first to last frame time + one frame
  std::int64_t frames = 0;
  std::optional<std::string> creation_time;  // the camera's own clock (creation_time tag), as written
  std::vector<FileGap> gaps;               // frame times further apart than max(3 frame intervals, 0.5 s)
  bool times_monotonic = true;             // no frame time goes backwards (in presentation order after reordering)
  nlohmann::json to_json() const;
};

// not_found when the file is missing; invalid_input naming the file when it holds no readable video.
Result<VideoFileInfo> probe_video_file(const std::filesystem::path& file);

}  // namespace netsample::recorder
