#include "mp4_frames.h"

#include <fstream>
#include <optional>
#include <string_view>

namespace netsample::recorder {
namespace {

constexpr const char* kField = "recording.mp4";

// A view of bytes read big-endian, as every ISO BMFF field is.
struct Reader {
  std::string_view bytes;
  size_t at = 0;
  bool ok = true;
  std::uint64_t read(int n) {
    if (at + static_cast<size_t>(n) > bytes.size()) {
      ok = false;
      return 0;
    }
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[at++]);
    return v;
  }
  void skip(size_t n) {
    if (at + n > bytes.size()) ok = false;
    at = std::min(bytes.size(), at + n);
  }
};

struct Box {
  std::string type;
  std::string_view body;
};

// The child boxes of a container's body; nullopt when one overruns it.
std::optional<std::vector<Box>> children(std::string_view body) {
  std::vector<Box> boxes;
  size_t at = 0;
  while (at + 8 <= body.size()) {
    Reader r{body, at};
    std::uint64_t size = r.read(4);
    const std::string type(body.substr(at + 4, 4));
    size_t header = 8;
    if (size == 1) {
      r.at = at + 8;
      size = r.read(8);
      header = 16;
    } else if (size == 0) {
      size = body.size() - at;
    }
    if (size < header || at + size > body.size()) return std::nullopt;
    boxes.push_back(Box{type, body.substr(at + header, size - header)});
    at += size;
  }
  return boxes;
}

const Box* find(const std::vector<Box>& boxes, std::string_view type) {
  for (const auto& b : boxes)
    if (b.type == type) return &b;
  return nullptr;
}

Error malformed(const std::string& what) { return make_error(ErrorCode::integrity, kField, "MP4 结构无效：" + what); }

struct TrackDefaults {
  std::uint32_t timescale = 0;
  std::uint32_t sample_duration = 0;  // trex
};

Result<TrackDefaults> read_moov(std::string_view body) {
  auto moov = children(body);
  if (!moov) return malformed("moov 中的盒子越界");
  TrackDefaults defaults;
  int video_tracks = 0;
  for (const auto& box : *moov) {
    if (box.type == "trak") {
      auto trak = children(box.body);
      const Box* mdia = trak ? find(*trak, "mdia") : nullptr;
      auto mdia_children = mdia ? children(mdia->body) : std::nullopt;
      const Box* mdhd = mdia_children ? find(*mdia_children, "mdhd") : nullptr;
      const Box* hdlr = mdia_children ? find(*mdia_children, "hdlr") : nullptr;
      if (!mdhd || !hdlr) return malformed("trak 缺少 mdhd 或 hdlr");
      if (hdlr->body.substr(8, 4) != "vide") continue;
      ++video_tracks;
      Reader r{mdhd->body};
      const auto version = r.read(1);
      r.skip(3 + (version == 1 ? 16 : 8));
      defaults.timescale = static_cast<std::uint32_t>(r.read(4));
      if (!r.ok || defaults.timescale == 0) return malformed("mdhd 的时间刻度无效");
    }
    if (box.type == "mvex") {
      auto mvex = children(box.body);
      const Box* trex = mvex ? find(*mvex, "trex") : nullptr;
      if (trex) {
        Reader r{trex->body};
        r.skip(4 + 4 + 4);  // version/flags, track_ID, default_sample_description_index
        defaults.sample_duration = static_cast<std::uint32_t>(r.read(4));
      }
    }
  }
  if (video_tracks != 1) return malformed("应当恰有一条视频轨，实有 " + std::to_string(video_tracks) + " 条");
  return defaults;
}

// Appends the frame times of one moof; `next_dts` carries on from the previous fragment when there is no tfdt.
Status read_moof(std::string_view body, const TrackDefaults& defaults, std::int64_t& next_dts, std::vector<std::int64_t>& times) {
  auto moof = children(body);
  if (!moof) return malformed("moof 中的盒子越界");
  const Box* traf = find(*moof, "traf");
  auto traf_children = traf ? children(traf->body) : std::nullopt;
  if (!traf_children) return malformed("moof 缺少 traf");
  std::uint32_t default_duration = defaults.sample_duration;
  for (const auto& box : *traf_children) {
    Reader r{box.body};
    if (box.type == "tfhd") {
      const auto flags = r.read(4) & 0xFFFFFF;
      r.skip(4);                          // track_ID
      if (flags & 0x01) r.skip(8);        // base_data_offset
      if (flags & 0x02) r.skip(4);        // sample_description_index
      if (flags & 0x08) default_duration = static_cast<std::uint32_t>(r.read(4));
    } else if (box.type == "tfdt") {
      const auto version = r.read(1);
      r.skip(3);
      next_dts = static_cast<std::int64_t>(r.read(version == 1 ? 8 : 4));
    } else if (box.type == "trun") {
      const auto version = r.read(1);
      const auto flags = r.read(3);
      const auto count = r.read(4);
      if (flags & 0x001) r.skip(4);  // data_offset
      if (flags & 0x004) r.skip(4);  // first_sample_flags
      for (std::uint64_t i = 0; i < count && r.ok; ++i) {
        const std::int64_t duration = (flags & 0x100) ? static_cast<std::int64_t>(r.read(4)) : default_duration;
        if (flags & 0x200) r.skip(4);  // size
        if (flags & 0x400) r.skip(4);  // flags
        std::int64_t offset = 0;
        if (flags & 0x800) {
          const auto raw = static_cast<std::uint32_t>(r.read(4));
          offset = version == 0 ? static_cast<std::int64_t>(raw) : static_cast<std::int64_t>(static_cast<std::int32_t>(raw));
        }
        times.push_back((next_dts + offset) * 1000 / defaults.timescale);
        next_dts += duration;
      }
    }
    if (!r.ok) return malformed(box.type + " 盒子被截短");
  }
  return {};
}

// The header of the top-level box at `at`: its type, whole size and header size (a 64-bit size follows a size
// of 1; a size of 0 runs to the end of the file).
struct TopBox {
  std::string type;
  std::uint64_t size = 0, header = 8;
};

Result<TopBox> top_box_at(std::ifstream& in, std::uint64_t at, std::uint64_t file_size) {
  char header[16];
  in.seekg(static_cast<std::streamoff>(at));
  in.read(header, 8);
  TopBox box{std::string(header + 4, 4), Reader{std::string_view(header, 8)}.read(4), 8};
  if (box.size == 1) {
    in.read(header + 8, 8);
    box.size = Reader{std::string_view(header + 8, 8)}.read(8);
    box.header = 16;
  } else if (box.size == 0) {
    box.size = file_size - at;
  }
  if (box.size < box.header) return malformed("第 " + std::to_string(at) + " 字节处的盒子长度无效");
  return box;
}

// ---- Samples: where each frame is, from either layout ----

struct SampleDefaults {
  std::uint32_t duration = 0, size = 0, flags = 0;  // trex
};

bool is_sync(std::uint32_t sample_flags) { return (sample_flags & 0x10000) == 0; }  // sample_is_non_sync_sample

// The one video trak of a moov: its timescale, sample description and (plain files) sample table.
struct VideoTrack {
  std::uint32_t timescale = 0;
  std::string sample_entry;
  std::optional<std::vector<Box>> stbl;
};

Result<VideoTrack> video_track(std::string_view moov_body, SampleDefaults& defaults) {
  auto moov = children(moov_body);
  if (!moov) return malformed("moov 中的盒子越界");
  std::optional<VideoTrack> found;
  for (const auto& box : *moov) {
    if (box.type == "mvex") {
      auto mvex = children(box.body);
      if (const Box* trex = mvex ? find(*mvex, "trex") : nullptr) {
        Reader r{trex->body};
        r.skip(4 + 4 + 4);
        defaults.duration = static_cast<std::uint32_t>(r.read(4));
        defaults.size = static_cast<std::uint32_t>(r.read(4));
        defaults.flags = static_cast<std::uint32_t>(r.read(4));
      }
    }
    if (box.type != "trak") continue;
    auto trak = children(box.body);
    const Box* mdia = trak ? find(*trak, "mdia") : nullptr;
    auto mdia_children = mdia ? children(mdia->body) : std::nullopt;
    const Box* mdhd = mdia_children ? find(*mdia_children, "mdhd") : nullptr;
    const Box* hdlr = mdia_children ? find(*mdia_children, "hdlr") : nullptr;
    const Box* minf = mdia_children ? find(*mdia_children, "minf") : nullptr;
    if (!mdhd || !hdlr || !minf) return malformed("trak 缺少 mdhd、hdlr 或 minf");
    if (hdlr->body.substr(8, 4) != "vide") continue;
    if (found) return malformed("有不止一条视频轨");
    VideoTrack track;
    Reader r{mdhd->body};
    const auto version = r.read(1);
    r.skip(3 + (version == 1 ? 16 : 8));
    track.timescale = static_cast<std::uint32_t>(r.read(4));
    auto minf_children = children(minf->body);
    const Box* stbl = minf_children ? find(*minf_children, "stbl") : nullptr;
    track.stbl = stbl ? children(stbl->body) : std::nullopt;
    const Box* stsd = track.stbl ? find(*track.stbl, "stsd") : nullptr;
    if (!r.ok || track.timescale == 0 || !stsd) return malformed("视频轨的 mdhd 或 stsd 无效");
    track.sample_entry = std::string(stsd->body);
    found = std::move(track);
  }
  if (!found) return malformed("没有视频轨");
  return std::move(*found);
}

// A plain MP4's sample table: sizes (stsz), chunks (stco/co64, stsc), times (stts, ctts), keyframes (stss).
Result<std::vector<Mp4Sample>> table_samples(const std::vector<Box>& stbl) {
  const Box* stsz = find(stbl, "stsz");
  const Box* stco = find(stbl, "stco");
  const Box* co64 = find(stbl, "co64");
  const Box* stsc = find(stbl, "stsc");
  const Box* stts = find(stbl, "stts");
  if (!stsz || !(stco || co64) || !stsc || !stts) return malformed("stbl 缺少 stsz、stco、stsc 或 stts");
  Reader sizes{stsz->body};
  sizes.skip(4);
  const auto fixed_size = static_cast<std::uint32_t>(sizes.read(4));
  const auto count = sizes.read(4);
  if (!sizes.ok || count > stsz->body.size()) return malformed("stsz 无效");
  std::vector<Mp4Sample> samples(count);
  for (auto& sample : samples) sample.size = fixed_size ? fixed_size : static_cast<std::uint32_t>(sizes.read(4));

  Reader chunks{co64 ? co64->body : stco->body};
  chunks.skip(4);
  std::vector<std::uint64_t> chunk_offsets(chunks.read(4));
  for (auto& offset : chunk_offsets) offset = chunks.read(co64 ? 8 : 4);
  Reader runs{stsc->body};
  runs.skip(4);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> chunk_runs(runs.read(4));  // first chunk (1-based), samples per chunk
  for (auto& run : chunk_runs) {
    run = {runs.read(4), runs.read(4)};
    runs.skip(4);
  }
  if (!chunks.ok || !runs.ok) return malformed("stco 或 stsc 无效");
  std::size_t next = 0;
  for (std::size_t c = 0; c < chunk_offsets.size() && next < samples.size(); ++c) {
    std::uint64_t per_chunk = 0;
    for (const auto& [first, n] : chunk_runs)
      if (first <= c + 1) per_chunk = n;
    std::uint64_t offset = chunk_offsets[c];
    for (std::uint64_t i = 0; i < per_chunk && next < samples.size(); ++i, ++next) {
      samples[next].offset = offset;
      offset += samples[next].size;
    }
  }
  if (next != samples.size()) return malformed("stsc 与 stsz 的样本数不符");

  Reader times{stts->body};
  times.skip(4);
  std::int64_t dts = 0;
  next = 0;
  for (auto entries = times.read(4); entries > 0 && times.ok; --entries) {
    const auto n = times.read(4), delta = times.read(4);
    for (std::uint64_t i = 0; i < n && next < samples.size(); ++i, ++next) {
      samples[next].pts = dts;
      dts += static_cast<std::int64_t>(delta);
    }
  }
  if (const Box* ctts = find(stbl, "ctts")) {
    Reader offsets{ctts->body};
    const auto version = offsets.read(1);
    offsets.skip(3);
    next = 0;
    for (auto entries = offsets.read(4); entries > 0 && offsets.ok; --entries) {
      const auto n = offsets.read(4);
      const auto raw = static_cast<std::uint32_t>(offsets.read(4));
      const std::int64_t shift = version == 0 ? static_cast<std::int64_t>(raw) : static_cast<std::int32_t>(raw);
      for (std::uint64_t i = 0; i < n && next < samples.size(); ++i, ++next) samples[next].pts += shift;
    }
  }
  const Box* stss = find(stbl, "stss");
  for (auto& sample : samples) sample.sync = stss == nullptr;
  if (stss) {
    Reader keys{stss->body};
    keys.skip(4);
    for (auto entries = keys.read(4); entries > 0 && keys.ok; --entries) {
      const auto number = keys.read(4);
      if (number >= 1 && number <= samples.size()) samples[number - 1].sync = true;
    }
  }
  return samples;
}

// One moof's samples: data from the moof's start (default-base-is-moof) or tfhd's base offset plus trun's
// data offset; sizes, durations and flags from trun, else tfhd's defaults, else trex's.
Status moof_samples(std::string_view body, std::uint64_t moof_offset, const SampleDefaults& trex, std::int64_t& next_dts,
                    std::vector<Mp4Sample>& out) {
  auto moof = children(body);
  if (!moof) return malformed("moof 中的盒子越界");
  const Box* traf = find(*moof, "traf");
  auto traf_children = traf ? children(traf->body) : std::nullopt;
  if (!traf_children) return malformed("moof 缺少 traf");
  SampleDefaults defaults = trex;
  std::uint64_t base = moof_offset, data = moof_offset;
  for (const auto& box : *traf_children) {
    Reader r{box.body};
    if (box.type == "tfhd") {
      const auto flags = r.read(4) & 0xFFFFFF;
      r.skip(4);
      if (flags & 0x01) base = data = r.read(8);
      if (flags & 0x02) r.skip(4);
      if (flags & 0x08) defaults.duration = static_cast<std::uint32_t>(r.read(4));
      if (flags & 0x10) defaults.size = static_cast<std::uint32_t>(r.read(4));
      if (flags & 0x20) defaults.flags = static_cast<std::uint32_t>(r.read(4));
    } else if (box.type == "tfdt") {
      const auto version = r.read(1);
      r.skip(3);
      next_dts = static_cast<std::int64_t>(r.read(version == 1 ? 8 : 4));
    } else if (box.type == "trun") {
      const auto version = r.read(1);
      const auto flags = r.read(3);
      const auto count = r.read(4);
      if (flags & 0x001) data = base + static_cast<std::uint64_t>(static_cast<std::int64_t>(static_cast<std::int32_t>(r.read(4))));
      std::optional<std::uint32_t> first_flags;
      if (flags & 0x004) first_flags = static_cast<std::uint32_t>(r.read(4));
      for (std::uint64_t i = 0; i < count && r.ok; ++i) {
        Mp4Sample sample;
        const std::int64_t duration = (flags & 0x100) ? static_cast<std::int64_t>(r.read(4)) : defaults.duration;
        sample.size = (flags & 0x200) ? static_cast<std::uint32_t>(r.read(4)) : defaults.size;
        std::uint32_t sample_flags = (flags & 0x400) ? static_cast<std::uint32_t>(r.read(4)) : defaults.flags;
        if (i == 0 && first_flags) sample_flags = *first_flags;
        std::int64_t shift = 0;
        if (flags & 0x800) {
          const auto raw = static_cast<std::uint32_t>(r.read(4));
          shift = version == 0 ? static_cast<std::int64_t>(raw) : static_cast<std::int64_t>(static_cast<std::int32_t>(raw));
        }
        sample.offset = data;
        sample.pts = next_dts + shift;
        sample.sync = is_sync(sample_flags);
        data += sample.size;
        next_dts += duration;
        out.push_back(sample);
      }
    }
    if (!r.ok) return malformed(box.type + " 盒子被截短");
  }
  return {};
}

}  // namespace

Result<Mp4Samples> read_mp4_samples(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return io_error(file, "无法打开视频文件");
  in.seekg(0, std::ios::end);
  const auto file_size = static_cast<std::uint64_t>(in.tellg());
  Mp4Samples result;
  SampleDefaults trex;
  bool have_moov = false;
  std::int64_t next_dts = 0;
  for (std::uint64_t at = 0; at + 8 <= file_size;) {
    NETSAMPLE_ASSIGN(TopBox box, top_box_at(in, at, file_size));
    const std::string& type = box.type;
    const std::uint64_t size = box.size, header_size = box.header;
    if (at + size > file_size) break;  // a fragment cut short: its samples are not whole
    if (type == "moov" || type == "moof") {
      std::string body(size - header_size, '\0');
      in.read(body.data(), static_cast<std::streamsize>(body.size()));
      if (type == "moov") {
        NETSAMPLE_ASSIGN(VideoTrack track, video_track(body, trex));
        result.timescale = track.timescale;
        result.sample_entry = std::move(track.sample_entry);
        if (track.stbl) {
          NETSAMPLE_ASSIGN(result.samples, table_samples(*track.stbl));
        }
        have_moov = true;
      } else {
        if (!have_moov) return malformed("moof 出现在 moov 之前");
        NETSAMPLE_TRY(moof_samples(body, at, trex, next_dts, result.samples));
      }
    }
    at += size;
  }
  if (!have_moov) return malformed("没有 moov（不是 MP4 文件，或文件头被截短）");
  // Samples whose bytes are not in the file (the open fragment of a crash) are not samples.
  while (!result.samples.empty() && result.samples.back().offset + result.samples.back().size > file_size) result.samples.pop_back();
  return result;
}

Result<Mp4Frames> read_mp4_frames(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return io_error(file, "无法打开录像文件");
  in.seekg(0, std::ios::end);
  const auto file_size = static_cast<std::uint64_t>(in.tellg());
  in.seekg(0);

  Mp4Frames result;
  std::optional<TrackDefaults> defaults;
  std::int64_t next_dts = 0;
  std::vector<std::int64_t> pending;  // frames of a moof whose mdat has not been seen whole yet
  std::uint64_t pending_from = 0;
  std::uint64_t at = 0;
  while (at + 8 <= file_size) {
    NETSAMPLE_ASSIGN(TopBox box, top_box_at(in, at, file_size));
    const std::string& type = box.type;
    const std::uint64_t size = box.size, header_size = box.header;
    if (at + size > file_size) break;  // cut short by a crash: the open fragment
    if (type == "moov" || type == "moof") {
      std::string body(size - header_size, '\0');
      in.read(body.data(), static_cast<std::streamsize>(body.size()));
      if (type == "moov") {
        NETSAMPLE_ASSIGN(TrackDefaults d, read_moov(body));
        defaults = d;
        result.timescale = d.timescale;
      } else {
        if (!defaults) return malformed("moof 出现在 moov 之前");
        pending.clear();
        pending_from = at;
        NETSAMPLE_TRY(read_moof(body, *defaults, next_dts, pending));
      }
    } else if (type == "mdat" && !pending.empty()) {
      result.times_ms.insert(result.times_ms.end(), pending.begin(), pending.end());
      pending.clear();
      ++result.fragments;
    }
    at += size;
  }
  if (!defaults) return malformed("没有 moov（不是 MP4 文件，或文件头被截短）");
  result.incomplete_tail_bytes = file_size - (pending.empty() ? at : pending_from);
  return result;
}

}  // namespace netsample::recorder
