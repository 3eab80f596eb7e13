// The playback copy of a recording (design/recorder.md, "Playback copy"). Our recording is a fragmented MP4
// with no index, so that a crash loses at most the last fragment; a player that needs an index to seek
// (Firefox: it knows only the fragments it has read so far) gets playback.mp4 instead: the very packets of
// recording.mp4 — not decoded, not re-encoded — in a plain MP4 whose index (moov) comes first. The evidence
// stays recording.mp4, sealed and stamped; the copy is written after the seal, and the verifier proves it
// holds the same frames at the same times, packet by packet.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "netsample/core/error.h"

namespace netsample::recorder {

inline constexpr const char* kPlaybackFile = "playback.mp4";

struct PlaybackCopy {
  std::int64_t packets = 0;
  std::uint64_t bytes = 0;
};

// Writes `copy` from `media` (through a temporary file: `copy` appears whole or not at all).
Result<PlaybackCopy> write_playback_copy(const std::filesystem::path& media, const std::filesystem::path& copy);

struct PlaybackCheck {
  bool same = false;       // every packet equal: bytes, keyframe flag, time from the first packet
  std::int64_t packets = 0;  // compared
  std::string difference;  // the first difference, in Chinese, naming the frame
};

// Error only when a file cannot be read as video at all.
Result<PlaybackCheck> compare_playback_copy(const std::filesystem::path& media, const std::filesystem::path& copy);

}  // namespace netsample::recorder
