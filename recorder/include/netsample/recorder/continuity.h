// What a recording says about itself beyond its bytes: gaps in its continuity and the markers of the steps
// it shows. Shared by the recorder, which writes them, and verify, which reads them back.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace netsample::recorder {

inline constexpr const char* kEventsFile = "recording.events";  // JSON lines: start, time samples, gaps, markers, ...
inline constexpr const char* kStillsDir = "stills";             // a PNG per marker

// Capture intervals longer than this are gaps: max(3 frame intervals, 0.5 s) (DESIGN.md, Continuity).
std::int64_t gap_threshold_ms(int fps);

struct Gap {
  std::int64_t frame = 0;        // the first frame after the gap (or the frame being written when it happened)
  std::int64_t utc_us = 0;       // when the gap began
  std::int64_t duration_ms = 0;
  std::string reason;            // capture_interval, source_lost, clock_jump, stalled:encode, stalled:write, gave_up:<stage>
  nlohmann::json to_json() const;
};

struct Marker {
  int index = 0;
  std::string step;
  std::string note;
  std::int64_t frame = 0;
  std::int64_t media_ms = 0;  // the frame's time in recording.mp4 (its own timeline, from 0), where a player seeks
  std::int64_t utc_us = 0;
  std::string still;         // path relative to the recording directory
  std::string still_sha256;
  nlohmann::json to_json() const;
};

}  // namespace netsample::recorder
