// The playback copy's check, with no FFmpeg: `netsample verify` and the service run it, and they do not link the
// media libraries (design/recorder.md, "Two programs"). Both files are read by our own box reader
// (mp4_frames.h), independent of the library that wrote them.
#include "mp4_frames.h"
#include "netsample/core/file_io.h"
#include "netsample/recorder/playback.h"

namespace netsample::recorder {
namespace {

// The codec's configuration box (avcC for H.264, hvcC for H.265) inside a sample description: what a decoder
// is given besides the frames. The rest of the description (names, aspect boxes) is the muxer's.
std::string_view codec_configuration(std::string_view sample_entry) {
  for (const char* type : {"avcC", "hvcC"}) {
    const size_t at = sample_entry.find(type);
    if (at == std::string_view::npos || at < 4) continue;
    const auto* size_bytes = reinterpret_cast<const unsigned char*>(sample_entry.data() + at - 4);
    const std::size_t size = (std::size_t{size_bytes[0]} << 24) | (std::size_t{size_bytes[1]} << 16) | (std::size_t{size_bytes[2]} << 8) | size_bytes[3];
    if (size >= 8 && at - 4 + size <= sample_entry.size()) return sample_entry.substr(at - 4, size);
  }
  return sample_entry;
}

}  // namespace

Result<PlaybackCheck> compare_playback_copy(const std::filesystem::path& media, const std::filesystem::path& copy) {
  NETSAMPLE_ASSIGN(Mp4Samples a, read_mp4_samples(media));
  auto read_copy = read_mp4_samples(copy);
  if (!read_copy.ok()) return make_error(ErrorCode::integrity, copy.filename().string(), read_copy.error().message);
  const Mp4Samples& b = *read_copy;
  PlaybackCheck check;
  const auto differ = [&](const std::string& what) {
    check.difference = "第 " + std::to_string(check.packets + 1) + " 帧" + what;
    return check;
  };
  if (codec_configuration(a.sample_entry) != codec_configuration(b.sample_entry)) {
    check.difference = "编码参数（avcC）与 recording.mp4 不同";
    return check;
  }
  if (a.samples.size() != b.samples.size()) {
    check.difference = "帧数不同：录像 " + std::to_string(a.samples.size()) + " 帧，回放副本 " + std::to_string(b.samples.size()) + " 帧";
    return check;
  }
  // Both files front to back in large reads (samples are in file order in each), not a seek per sample.
  auto in_a = RangeReader::open(media);
  auto in_b = RangeReader::open(copy);
  if (!in_a.ok() || !in_b.ok()) return make_error(ErrorCode::io, copy.filename().string(), "无法打开");
  for (size_t i = 0; i < a.samples.size(); ++i) {
    const Mp4Sample& x = a.samples[i];
    const Mp4Sample& y = b.samples[i];
    if (x.size != y.size) return differ("的大小不同");
    if (x.sync != y.sync) return differ("的关键帧标志不同");
    // Shown at the same time from the first frame: (x - x0) / timescale_a == (y - y0) / timescale_b.
    const std::int64_t from_a = (x.pts - a.samples[0].pts) * std::int64_t{b.timescale};  // a day at 1 MHz: far from overflow
    const std::int64_t from_b = (y.pts - b.samples[0].pts) * std::int64_t{a.timescale};
    if (from_a != from_b) return differ("的时间不同");
    auto bytes_a = in_a->range(x.offset, x.size);
    auto bytes_b = in_b->range(y.offset, y.size);
    if (!bytes_a.ok() || !bytes_b.ok()) return differ("读不出（文件被截短）");
    if (*bytes_a != *bytes_b) return differ("的数据不同");
    ++check.packets;
  }
  check.same = check.packets > 0;
  if (!check.same) check.difference = "没有帧";
  return check;
}

}  // namespace netsample::recorder
