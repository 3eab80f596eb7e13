// Frame times of a fragmented MP4, read from the boxes themselves (internal to recorder/): the timescale
// from moov/trak/mdia/mdhd, and for each moof the tfdt base time and the trun sample durations (defaults
// from tfhd or trex). A reader of our own, independent of the library that wrote the file, that needs no
// decoder and stops cleanly at a fragment cut short by a crash.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "netsample/core/error.h"
#include "netsample/core/file_io.h"

namespace netsample::recorder {

struct Mp4Frames {
  std::uint32_t timescale = 0;
  std::vector<std::int64_t> times_ms;  // presentation time of each frame, in file order
  int fragments = 0;                   // complete moof + mdat pairs
  std::uint64_t incomplete_tail_bytes = 0;  // a fragment cut short at the end of the file
};

// Error (integrity) when the file is not a fragmented MP4 of one video track or a box is malformed.
Result<Mp4Frames> read_mp4_frames(const std::filesystem::path& file);

// Where every sample (frame) of the one video track is and when it is shown: from a fragmented MP4's moof/trun
// boxes or from a plain MP4's sample table (stbl), so that two files can be compared frame by frame without a
// demuxer (the playback copy's check, playback.h).
struct Mp4Sample {
  std::uint64_t offset = 0;  // in the file
  std::uint32_t size = 0;
  std::int64_t pts = 0;      // in the track's timescale
  bool sync = false;         // a keyframe
};
struct Mp4Samples {
  std::uint32_t timescale = 0;
  std::string sample_entry;  // the stsd box's body: codec, size and its parameter sets (avcC)
  std::vector<Mp4Sample> samples;
};
Result<Mp4Samples> read_mp4_samples(const std::filesystem::path& file);

}  // namespace netsample::recorder
