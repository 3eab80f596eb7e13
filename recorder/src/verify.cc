#include "netsample/recorder/verify.h"

#include <algorithm>
#include <iomanip>
#include <regex>
#include <sstream>

#include "mp4_frames.h"
#include "netsample/core/file_io.h"
#include "netsample/core/sha256.h"
#include "netsample/core/time.h"
#include "netsample/core/tsa.h"
#include "netsample/recorder/playback.h"

namespace netsample::recorder {
namespace fs = std::filesystem;

namespace {

// The recorder's own story: the manifest when sealed, else what the events log holds.
struct Story {
  int fps = 15;
  std::int64_t started_utc_us = 0;
  nlohmann::json samples = nlohmann::json::array();
  bool verified_at_start = false;
  std::vector<Gap> logged_gaps;
  nlohmann::json markers = nlohmann::json::array();
};

Gap gap_from_json(const nlohmann::json& j) {
  return Gap{j.value("frame", std::int64_t{0}), j.value("utc_us", std::int64_t{0}), j.value("duration_ms", std::int64_t{0}), j.value("reason", "")};
}

Story read_story(const fs::path& dir, const nlohmann::json& manifest, std::vector<std::string>& warnings) {
  Story story;
  if (manifest.is_object()) {
    story.fps = manifest.value("/settings/fps"_json_pointer, 15);
    story.started_utc_us = manifest.value("started_utc_us", std::int64_t{0});
    story.samples = manifest.value("/time/samples"_json_pointer, nlohmann::json::array());
    story.verified_at_start = manifest.value("/time/verified_at_start"_json_pointer, false);
    for (const auto& g : manifest.value("/continuity/gaps"_json_pointer, nlohmann::json::array())) story.logged_gaps.push_back(gap_from_json(g));
    story.markers = manifest.value("markers", nlohmann::json::array());
    return story;
  }
  auto text = read_file_if_exists(dir / kEventsFile);
  if (!text.ok() || !*text) {
    warnings.push_back(std::string(kEventsFile) + "：不存在，时间与间断只能从视频本身判断");
    return story;
  }
  std::istringstream lines(**text);
  std::string line;
  bool first_frame_seen = false;
  while (std::getline(lines, line)) {
    const auto event = nlohmann::json::parse(line, nullptr, false);
    if (!event.is_object()) continue;  // a torn last line
    const std::string type = event.value("type", "");
    if (type == "start") story.fps = event.value("fps", 15);
    if (type == "first_frame") {
      story.started_utc_us = event.value("utc_us", std::int64_t{0});
      first_frame_seen = true;
    }
    if (type == "time_sample") {
      story.samples.push_back(event);
      if (!first_frame_seen) story.verified_at_start = true;
    }
    if (type == "gap") story.logged_gaps.push_back(gap_from_json(event));
    if (type == "marker") story.markers.push_back(event);
  }
  return story;
}

std::string beijing(std::int64_t utc_us) { return format_beijing(from_utc_us(utc_us)); }

}  // namespace

Result<VerifyReport> verify_recording(const fs::path& dir, const fs::path& trust_store) {
  if (!fs::is_directory(dir)) return make_error(ErrorCode::not_found, "DIR", "不是录像目录：" + dir.string());
  VerifyReport report;
  NETSAMPLE_ASSIGN(SealCheck seal, check_seal(dir, trust_store));
  report.sealed = seal.sealed;
  report.errors = seal.errors;
  report.fragments = static_cast<int>(seal.journal.records.size());
  report.page_records = static_cast<int>(seal.journal.pages.size());
  report.frames = seal.journal.frames;
  report.hash_chain_ok = seal.journal.ok && report.fragments > 0 && (!seal.sealed || seal.manifest_matches);
  report.timestamp_token_ok = seal.sealed && !seal.tokens.empty() &&
                              std::all_of(seal.tokens.begin(), seal.tokens.end(), [](const TokenCheck& t) { return t.ok; });
  if (seal.journal.torn_tail) report.warnings.push_back(std::string(kJournalFile) + "：最后一行不完整（录制中断时正在写入）");
  if (!seal.sealed && seal.journal.unjournaled_page_bytes > 0)
    report.warnings.push_back(std::string(kPagesFile) + "：末尾 " + std::to_string(seal.journal.unjournaled_page_bytes) +
                              " 字节是中断时未写完的网页记录，未计入校验");
  if (!seal.sealed && seal.journal.unjournaled_bytes > 0)
    report.warnings.push_back(std::string(kMediaFile) + "：末尾 " + std::to_string(seal.journal.unjournaled_bytes) +
                              " 字节是中断时未写完的片段，未计入校验");

  nlohmann::json manifest;
  if (seal.sealed) manifest = nlohmann::json::parse(read_file(dir / kManifestFile).value(), nullptr, false);
  const Story story = read_story(dir, manifest, report.warnings);

  // Every frame's time, from the container's own boxes.
  auto mp4 = read_mp4_frames(dir / kMediaFile);
  if (!mp4.ok()) {
    report.errors.push_back(mp4.error().field + "：" + mp4.error().message);
  } else {
    const std::vector<std::int64_t>* times = &mp4->times_ms;
    report.details["container"] = {{"timescale", mp4->timescale}, {"fragments", mp4->fragments},
                                   {"incomplete_tail_bytes", mp4->incomplete_tail_bytes}};
    if (report.sealed && mp4->incomplete_tail_bytes > 0)
      report.errors.push_back(std::string(kMediaFile) + "：末尾 " + std::to_string(mp4->incomplete_tail_bytes) + " 字节不是完整的片段");
    report.container_frames = static_cast<std::int64_t>(times->size());
    if (report.container_frames < report.frames)
      report.errors.push_back(std::string(kMediaFile) + "：文件中只读出 " + std::to_string(report.container_frames) + " 帧，日志记录了 " +
                              std::to_string(report.frames) + " 帧");
    const size_t n = static_cast<size_t>(std::min(report.frames, report.container_frames));
    const std::int64_t threshold = gap_threshold_ms(story.fps);
    for (size_t i = 1; i < n; ++i) {
      const std::int64_t interval = (*times)[i] - (*times)[i - 1];
      if (interval <= 0)
        report.errors.push_back(std::string(kMediaFile) + "：第 " + std::to_string(i) + " 帧的时间不晚于前一帧（帧被调换或改动）");
      if (interval > threshold)
        report.gaps.push_back(Gap{static_cast<std::int64_t>(i), story.started_utc_us + (*times)[i - 1] * 1000, interval, "capture_interval"});
    }
    if (n > 0) report.duration_s = static_cast<double>((*times)[n - 1] - (*times)[0]) / 1000.0 + 1.0 / story.fps;
  }
  // What the frame times cannot show (a clock jump, a stalled encoder) comes from the recorder's log.
  for (const auto& gap : story.logged_gaps)
    if (gap.reason != "capture_interval" && gap.reason != "source_lost") report.gaps.push_back(gap);
    else if (std::none_of(report.gaps.begin(), report.gaps.end(), [&](const Gap& g) { return g.frame == gap.frame; }))
      report.gaps.push_back(gap);  // logged by the recorder but not visible in the file: still a gap
  for (auto& gap : report.gaps)
    for (const auto& logged : story.logged_gaps)
      if (logged.frame == gap.frame && gap.reason == "capture_interval") gap.reason = logged.reason;
  std::sort(report.gaps.begin(), report.gaps.end(), [](const Gap& a, const Gap& b) { return a.frame < b.frame; });
  report.continuous = report.gaps.empty() && report.frames > 0;
  report.started = story.started_utc_us ? beijing(story.started_utc_us) : "";

  // Time sync: a network time answer before the first frame, precise enough, and no jump.
  std::int64_t best_uncertainty_us = -1;
  for (const auto& s : story.samples) {
    const std::int64_t u = s.value("delay_us", std::int64_t{0}) / 2;
    if (best_uncertainty_us < 0 || u < best_uncertainty_us) best_uncertainty_us = u;
  }
  const bool jumped = std::any_of(report.gaps.begin(), report.gaps.end(), [](const Gap& g) { return g.reason == "clock_jump"; });
  report.time_synced = story.verified_at_start && best_uncertainty_us >= 0 && best_uncertainty_us <= 500'000 && !jumped;
  report.details["time"] = {{"verified_at_start", story.verified_at_start}, {"samples", story.samples.size()},
                            {"best_uncertainty_ms", best_uncertainty_us < 0 ? nlohmann::json(nullptr) : nlohmann::json(best_uncertainty_us / 1000.0)},
                            {"clock_jump", jumped}};
  if (!report.time_synced)
    report.errors.push_back(!story.verified_at_start ? "时间未经网络校验：开始录制前没有 NTP 服务器应答（第35条要求先网络校时）"
                            : jumped                 ? "录制中时钟跳变"
                                                     : "网络校时误差超过 0.5 秒");

  // Markers: each still must be the one recorded.
  nlohmann::json markers = nlohmann::json::array();
  for (const auto& m : story.markers) {
    const std::string still = m.value("still", "");
    auto digest = sha256_file(dir / still);
    const bool still_ok = digest.ok() && to_hex(*digest) == m.value("still_sha256", "");
    if (!still_ok) report.errors.push_back(still + "：标记“" + m.value("step", "") + "”的静帧缺失或被改动");
    if (m.value("frame", std::int64_t{-1}) >= report.frames && report.sealed)
      report.errors.push_back(std::string(kManifestFile) + "：标记“" + m.value("step", "") + "”指向不存在的帧");
    markers.push_back({{"step", m.value("step", "")}, {"note", m.value("note", "")}, {"frame", m.value("frame", 0)},
                       {"media_ms", m.contains("media_ms") ? m["media_ms"] : nlohmann::json()},  // null in recordings made before it was kept
                       {"time", m.value("time", "")}, {"still", still}, {"still_ok", still_ok}});
  }
  report.details["markers"] = markers;

  // Stamps taken while recording: journal.K[.n].tsr over the first K journal lines (seal.h: recording_tokens).
  nlohmann::json stamps = nlohmann::json::array();
  static const std::regex stamp_name(R"(journal\.(\d+)(\.\d+)?\.tsr)");
  const UtcTime now = SystemClock().now();
  auto tokens = recording_tokens(dir);
  if (!tokens.ok()) report.errors.push_back(tokens.error().message);
  for (const auto& stamped : tokens.ok() ? *tokens : std::vector<StampedToken>{}) {
    std::smatch match;
    if (!std::regex_match(stamped.file, match, stamp_name)) continue;  // the manifest's: checked with the seal
    const size_t lines = std::stoul(match[1]);
    TokenCheck token = check_token(dir, stamped, trust_store, now);
    if (!token.ok) report.errors.push_back(stamped.file + "：录制中的时间戳与日志前 " + std::to_string(lines) + " 行不符：" + token.error);
    nlohmann::json entry = token.to_json();
    entry["journal_lines"] = lines;
    stamps.push_back(std::move(entry));
    if (token.long_term && token.long_term->renewal_due) report.warnings.push_back(stamped.file + "：" + token.long_term->advice);
  }
  for (const auto& token : seal.tokens)
    if (token.long_term && token.long_term->renewal_due) report.warnings.push_back(token.file + "：" + token.long_term->advice);
  report.details["chain_stamps"] = stamps;
  report.details["seal"] = seal.to_json();

  // The playback copy, when there is one, holds the recording's very frames (playback.h).
  if (std::filesystem::exists(dir / kPlaybackFile)) {
    auto same = compare_playback_copy(dir / kMediaFile, dir / kPlaybackFile);
    if (!same.ok()) report.errors.push_back(std::string(kPlaybackFile) + "：" + same.error().message);
    else if (!same->same) report.errors.push_back(std::string(kPlaybackFile) + "：与 recording.mp4 不是同一录像：" + same->difference);
    report.details["playback"] = {{"file", kPlaybackFile}, {"same_frames", same.ok() && same->same}, {"packets", same.ok() ? same->packets : 0}};
  }

  if (!report.continuous && report.frames > 0)
    report.errors.push_back("录像不连续：" + std::to_string(report.gaps.size()) + " 处间断（见 gaps）");
  if (!report.sealed) report.warnings.push_back("录像未封存：录制没有正常结束（进程被终止或崩溃），已写入的片段已逐一校验");
  report.ok = report.sealed && report.hash_chain_ok && report.timestamp_token_ok && report.continuous && report.time_synced &&
              report.errors.empty();
  return report;
}

nlohmann::json VerifyReport::to_json() const {
  nlohmann::json gap_list = nlohmann::json::array();
  for (const auto& g : gaps) gap_list.push_back({{"frame", g.frame}, {"time", format_iso8601_beijing(from_utc_us(g.utc_us))},
                                                 {"duration_ms", g.duration_ms}, {"reason", g.reason}});
  return {{"ok", ok},
          {"sealed", sealed},
          {"continuous", continuous},
          {"gaps", gap_list},
          {"hash_chain_ok", hash_chain_ok},
          {"timestamp_token_ok", timestamp_token_ok},
          {"time_synced", time_synced},
          {"fragments", fragments},
          {"page_records", page_records},
          {"frames", frames},
          {"container_frames", container_frames},
          {"duration_s", duration_s},
          {"started", started},
          {"errors", errors},
          {"warnings", warnings},
          {"details", details}};
}

std::string VerifyReport::to_text() const {
  std::ostringstream out;
  auto yes = [](bool b) { return b ? "是" : "否"; };
  out << "结论：" << (ok ? "通过——录像完整、连续、已封存并有可信时间戳" : "不通过") << "\n";
  out << "  封存：" << (sealed ? "已封存" : "未封存（录制没有正常结束）") << "\n";
  out << "  哈希链：" << (hash_chain_ok ? "完整" : "不完整") << "，片段 " << fragments << " 个，帧 " << frames << " 帧，时长 "
      << std::fixed << std::setprecision(1) << duration_s << " 秒" << (started.empty() ? "" : "，开始于 " + started)
      << (page_records > 0 ? "；网页记录 " + std::to_string(page_records) + " 条（" + kPagesFile + "，同一哈希链）" : "") << "\n";
  out << "  可信时间戳：" << yes(timestamp_token_ok);
  for (const auto& t : details["seal"]["tokens"]) {
    out << "；" << t.value("file", "") << (t.value("ok", false) ? " 有效，" + t.value("gen_time", "") : " 无效");
    // With its evidence record it is checked at its own time: say so, and until when its certificates carry it.
    if (t.contains("long_term") && t["long_term"].value("ok", false))
      out << "（按其时间长期验证，" << t["long_term"]["layers"].size() << " 层，证书有效至 " << t["long_term"].value("valid_until", "") << "）";
  }
  out << "\n  录制中时间戳：" << details["chain_stamps"].size() << " 个\n";
  const auto& time = details["time"];
  out << "  网络校时：" << (time_synced ? "已校验" : "未通过");
  if (!time["best_uncertainty_ms"].is_null()) out << "，误差 ±" << time["best_uncertainty_ms"].get<double>() << " 毫秒";
  out << "，样本 " << time["samples"].get<size_t>() << " 个\n";
  if (details.contains("playback"))
    out << "  回放副本 playback.mp4：" << (details["playback"].value("same_frames", false) ? "与录像逐帧相同（" + std::to_string(details["playback"].value("packets", 0)) + " 帧）" : "与录像不同")
        << "\n";
  out << "  连续性：" << (continuous ? "连续" : std::to_string(gaps.size()) + " 处间断") << "\n";
  for (const auto& g : gaps)
    out << "    第 " << g.frame << " 帧前 " << format_beijing(from_utc_us(g.utc_us)) << " 起 " << g.duration_ms << " 毫秒（" << g.reason << "）\n";
  for (const auto& m : details["markers"])
    out << "  标记 " << m.value("step", "") << "：第 " << m.value("frame", 0) << " 帧 " << m.value("time", "") << (m.value("still_ok", false) ? "" : "（静帧不符）")
        << (m.value("note", "").empty() ? "" : " — " + m.value("note", "")) << "\n";
  for (const auto& e : errors) out << "  问题：" << e << "\n";
  for (const auto& w : warnings) out << "  注意：" << w << "\n";
  return out.str();
}

}  // namespace netsample::recorder
