#include "netsample/recorder/recorder.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <regex>
#include <thread>

extern "C" {
#include <libavutil/imgutils.h>
}

#include "capture.h"
#include "encoder.h"
#include "netsample/core/file_io.h"
#include "netsample/core/http.h"
#include "netsample/core/sha256.h"
#include "netsample/core/time.h"
#include "netsample/recorder/disk_space.h"
#include "netsample/recorder/journal.h"
#include "netsample/recorder/playback.h"
#include "netsample/recorder/seal.h"
#include "netsample/recorder/trusted_clock.h"

namespace netsample::recorder {
namespace fs = std::filesystem;
using namespace std::chrono;

Status validate(const RecorderOptions& options) {
  if (options.out_dir.empty()) return make_error(ErrorCode::missing_field, "--out", "须指定录像的输出目录");
  if (options.fps < 1 || options.fps > 60) return make_error(ErrorCode::invalid_input, "--fps", "帧率应在 1 到 60 之间");
  if (options.case_number.size() > 64) return make_error(ErrorCode::invalid_input, "--case", "案件编号不超过 64 个字符");
  for (unsigned char c : options.case_number)
    if (c < 0x20 || c == 0x7f) return make_error(ErrorCode::invalid_input, "--case", "案件编号不能含控制字符");
  if (options.ntp_interval < seconds(10)) return make_error(ErrorCode::invalid_input, "--ntp-interval", "网络校时间隔不少于 10 秒");
  if (options.tsa_interval < seconds(10)) return make_error(ErrorCode::invalid_input, "--tsa-interval", "时间戳间隔不少于 10 秒");
  if (options.duration && *options.duration <= milliseconds(0)) return make_error(ErrorCode::invalid_input, "--duration", "时长应大于 0");
  for (const auto& url : options.tsa_urls)
    if (!url.starts_with("http://") && !url.starts_with("https://"))
      return make_error(ErrorCode::invalid_input, "--tsa", "时间戳服务地址应以 http:// 或 https:// 开头：" + url);
  return {};
}

namespace {

nlohmann::json sample_json(const TimeSample& sample, std::int64_t start_monotonic_ns) {
  return {{"server", sample.server},
          {"offset_us", sample.offset_us},
          {"delay_us", sample.delay_us},
          {"stratum", sample.stratum},
          {"reference_id", sample.reference_id},
          {"local_receive", format_iso8601_beijing(sample.local_receive)},
          {"trusted_receive", format_iso8601_beijing(sample.trusted_receive())},
          {"local_monotonic_ns", sample.local_monotonic_ns},
          {"at_ms", (sample.local_monotonic_ns - start_monotonic_ns) / 1'000'000}};
}

// PNG of an overlaid frame, for a marker's still.
Result<std::string> encode_png(const AVFrame& frame) {
  const AVCodec* codec = avcodec_find_encoder(AV_CODEC_ID_PNG);
  if (!codec) return make_error(ErrorCode::internal, "still", "FFmpeg 没有 PNG 编码器");
  av::Codec png(avcodec_alloc_context3(codec));
  png->width = frame.width;
  png->height = frame.height;
  png->pix_fmt = AV_PIX_FMT_RGB24;
  png->time_base = AVRational{1, 1};
  int rc = avcodec_open2(png.get(), codec, nullptr);
  if (rc < 0) return av::failure(ErrorCode::internal, "still", "无法打开 PNG 编码器", rc);
  av::Sws sws(sws_getContext(frame.width, frame.height, static_cast<AVPixelFormat>(frame.format), frame.width, frame.height,
                             AV_PIX_FMT_RGB24, SWS_BICUBIC, nullptr, nullptr, nullptr));
  av::Frame rgb = av::make_frame();
  rgb->width = frame.width;
  rgb->height = frame.height;
  rgb->format = AV_PIX_FMT_RGB24;
  if (!sws || av_frame_get_buffer(rgb.get(), 0) < 0) return make_error(ErrorCode::internal, "still", "无法转换静帧");
  sws_scale(sws.get(), frame.data, frame.linesize, 0, frame.height, rgb->data, rgb->linesize);
  av::Packet packet = av::make_packet();
  if ((rc = avcodec_send_frame(png.get(), rgb.get())) < 0 || (rc = avcodec_receive_packet(png.get(), packet.get())) < 0)
    return av::failure(ErrorCode::internal, "still", "PNG 编码失败", rc);
  return std::string(reinterpret_cast<const char*>(packet->data), static_cast<size_t>(packet->size));
}

}  // namespace

struct Recorder::State {
  RecorderOptions options;
  std::function<void(const Notice&)> on_notice;
  HttpClient http;
  TsaClient tsa{http};
  SntpClient sntp;

  mutable std::mutex clock_mutex;
  TrustedClock clock{SystemClock().now(), steady_now_ns()};
  std::vector<nlohmann::json> time_failures;  // under clock_mutex
  bool verified_at_start = false;

  std::mutex events_mutex;
  UniqueFd events_fd;

  std::optional<Capture> capture;
  std::unique_ptr<FragmentedEncoder> encoder;
  std::mutex journal_mutex;  // the writing thread appends fragments, the browser's capture page records
  std::optional<JournalWriter> journal;
  bool journal_closed = false;  // under journal_mutex: sealing has begun
  std::unique_ptr<Watchdog> watchdog;

  std::mutex queue_mutex;
  std::condition_variable queue_cv;
  std::deque<CapturedFrame> queue;
  bool capture_done = false;  // under queue_mutex
  size_t queue_limit = 30;

  std::atomic<bool> stop{false};
  std::atomic<bool> capture_ended{false};
  std::atomic<bool> gave_up{false};
  std::atomic<std::int64_t> frames{0}, dropped{0}, catch_up_frames{0};
  std::atomic<std::uint64_t> bytes{0};
  std::atomic<std::int64_t> start_monotonic_ns{0};  // first frame; 0 before it
  std::atomic<std::int64_t> last_frame_monotonic_ns{0};
  std::int64_t start_utc_us = 0;
  std::int64_t last_relative_ms = 0;  // process thread only

  mutable std::mutex record_mutex;  // guards everything below
  std::string stop_reason;
  std::vector<Gap> gaps;
  std::vector<Marker> markers;
  std::vector<nlohmann::json> watchdog_events, disk_events, chain_stamps;
  nlohmann::json attachments = nlohmann::json::object();
  Status capture_error, process_error;

  struct MarkRequest {
    std::string step, note;
    std::promise<Result<Marker>> done;
  };
  std::mutex mark_mutex;
  std::deque<std::shared_ptr<MarkRequest>> mark_requests;
  std::optional<std::string> pending_caption;  // under mark_mutex; applied by the process thread

  std::mutex background_mutex;
  std::condition_variable background_cv;
  bool background_stop = false;
  std::thread capture_thread, process_thread, background_thread;
  bool finished = false;

  explicit State(RecorderOptions o) : options(std::move(o)) {}

  fs::path path(const fs::path& name) const { return options.out_dir / name; }
  void notice(NoticeLevel level, std::string text) {
    if (on_notice) on_notice(Notice{level, std::move(text)});
  }
  std::int64_t trusted_us(std::int64_t monotonic_ns) const {
    std::lock_guard lock(clock_mutex);
    return to_utc_us(clock.at(monotonic_ns));
  }
  void set_stop_reason(const std::string& reason) {
    std::lock_guard lock(record_mutex);
    if (stop_reason.empty()) stop_reason = reason;
  }

  // One JSON line, durable before we go on: what a crash leaves behind still tells the story.
  void log(nlohmann::json event) {
    event["at"] = format_iso8601_beijing(from_utc_us(trusted_us(steady_now_ns())));
    const std::string line = event.dump() + "\n";
    std::lock_guard lock(events_mutex);
    if (write_all(events_fd.get(), line, path(kEventsFile)).ok()) ::fdatasync(events_fd.get());
  }

  void add_gap(Gap gap) {
    {
      std::lock_guard lock(record_mutex);
      gaps.push_back(gap);
    }
    nlohmann::json event = gap.to_json();
    event["type"] = "gap";
    log(event);
    notice(NoticeLevel::warning, "录像出现间断：第 " + std::to_string(gap.frame) + " 帧处 " + std::to_string(gap.duration_ms) +
                                     " 毫秒（" + gap.reason + "）——视频不再是连续的");
  }

  void query_time(bool before_start);
  void stamp_chain();
  void check_disk_space(DiskLevel& last_level);
  void on_watch_event(const WatchEvent& event);
  void capture_loop();
  void process_loop();
  void background_loop();
  Status handle_frame(CapturedFrame captured, std::int64_t& fragment_start_ns);
  void serve_markers(const AVFrame& frame, std::int64_t index, std::int64_t media_ms, std::int64_t utc_us);
  nlohmann::json manifest(const std::int64_t ended_utc_us);
  // REQUIRES: record_mutex held.
  nlohmann::json timestamp_status() const {
    if (options.tsa_urls.empty())
      return {{"configured", false}, {"note", "没有配置时间戳服务（--tsa）：本清单没有可信时间戳"}};
    const bool answered = !chain_stamps.empty() && !chain_stamps.back()["tokens"].empty();
    return {{"configured", true}, {"tsa_urls", options.tsa_urls}, {"answered_before_seal", answered},
            {"failures", chain_stamps.empty() ? nlohmann::json::array() : chain_stamps.back()["failures"]},
            {"note", answered ? "清单的时间戳见 manifest.tsr" : "封存前所有时间戳服务都没有应答：清单可能没有可信时间戳"}};
  }
};

void Recorder::State::query_time(bool before_start) {
  for (const auto& server : options.ntp_servers) {
    auto sample = sntp.query(server);
    const std::int64_t start = start_monotonic_ns.load();
    if (!sample.ok()) {
      {
        std::lock_guard lock(clock_mutex);
        time_failures.push_back({{"server", server.name()}, {"error", sample.error().message}});
      }
      log({{"type", "time_sample_failed"}, {"server", server.name()}, {"error", sample.error().message}});
      notice(NoticeLevel::warning, "网络校时失败：" + server.name() + "：" + sample.error().message);
      continue;
    }
    std::optional<ClockJump> jump;
    {
      std::lock_guard lock(clock_mutex);
      jump = clock.add_sample(*sample);
      if (before_start) verified_at_start = true;
    }
    nlohmann::json event = sample_json(*sample, start ? start : sample->local_monotonic_ns);
    event["type"] = "time_sample";
    log(event);
    if (jump && !before_start)
      add_gap(Gap{frames.load(), to_utc_us(sample->trusted_receive()), std::llabs(jump->jump_us) / 1000, "clock_jump"});
  }
}

void Recorder::State::stamp_chain() {
  auto text = read_file(path(kJournalFile));
  if (!text.ok()) return;
  const size_t end = text->rfind('\n');
  if (end == std::string::npos) return;
  const std::string prefix = text->substr(0, end + 1);
  const auto lines = std::count(prefix.begin(), prefix.end(), '\n');
  {
    std::lock_guard lock(record_mutex);
    if (!chain_stamps.empty() && chain_stamps.back()["lines"] == lines) return;
  }
  const Sha256Digest digest = sha256(prefix);
  nlohmann::json stamp = {{"type", "chain_stamp"}, {"lines", lines}, {"sha256", to_hex(digest)}, {"tokens", nlohmann::json::array()},
                          {"failures", nlohmann::json::array()}};
  for (const auto& url : options.tsa_urls) {
    auto token = tsa.stamp(url, digest);
    if (!token.ok()) {
      stamp["failures"].push_back(url + "：" + token.error().message);
      continue;
    }
    const size_t n = stamp["tokens"].size();
    const std::string file = "journal." + std::to_string(lines) + (n == 0 ? "" : "." + std::to_string(n + 1)) + ".tsr";
    if (write_file_atomic(path(file), token->response_der, 0444).ok()) stamp["tokens"].push_back(file);
  }
  if (stamp["tokens"].empty()) notice(NoticeLevel::warning, "录制中的哈希链时间戳失败：所有时间戳服务都没有应答");
  log(stamp);
  std::lock_guard lock(record_mutex);
  chain_stamps.push_back(stamp);
}

void Recorder::State::check_disk_space(DiskLevel& last_level) {
  const std::int64_t start = start_monotonic_ns.load();
  const double seconds_so_far = start ? static_cast<double>(steady_now_ns() - start) / 1e9 : 0;
  const double rate = seconds_so_far > 5 ? static_cast<double>(bytes.load()) / seconds_so_far : 0;
  auto status = check_disk(options.out_dir, rate);
  if (!status.ok() || status->level == last_level) return;
  last_level = status->level;
  nlohmann::json event = {{"type", "disk"}, {"free_bytes", status->free_bytes}, {"minutes_left", status->minutes_left},
                          {"level", status->level == DiskLevel::ok ? "ok" : status->level == DiskLevel::warning ? "warning" : "critical"}};
  log(event);
  {
    std::lock_guard lock(record_mutex);
    disk_events.push_back(event);
  }
  if (status->level == DiskLevel::warning) notice(NoticeLevel::warning, status->message);
  if (status->level == DiskLevel::critical) {
    notice(NoticeLevel::error, status->message + "——现在结束并封存录像");
    set_stop_reason("disk_full");
    stop = true;
  }
}

void Recorder::State::on_watch_event(const WatchEvent& event) {
  const std::string stage(to_string(event.stage));
  const char* stage_name = event.stage == Stage::capture ? "采集" : event.stage == Stage::encode ? "编码" : "写入";
  const char* kind = event.kind == WatchKind::stalled ? "stalled" : event.kind == WatchKind::recovered ? "recovered" : "gave_up";
  nlohmann::json json = {{"type", "watchdog"}, {"event", kind}, {"stage", stage}, {"silent_ms", event.silent.count()}, {"frame", frames.load()}};
  log(json);
  {
    std::lock_guard lock(record_mutex);
    watchdog_events.push_back(json);
  }
  const std::string seconds_text = std::to_string(event.silent.count() / 1000) + "." + std::to_string(event.silent.count() % 1000 / 100);
  if (event.kind == WatchKind::stalled) {
    notice(NoticeLevel::error, std::string("录制停滞：") + stage_name + "已 " + seconds_text + " 秒没有进展");
  } else if (event.kind == WatchKind::recovered) {
    notice(NoticeLevel::warning, std::string("录制恢复：") + stage_name + "停滞了 " + seconds_text + " 秒");
    // A stalled capture shows as a long capture interval; encode or write stalls do not, so they are recorded here.
    if (event.stage != Stage::capture)
      add_gap(Gap{frames.load(), trusted_us(event.last_beat_ns) - event.silent.count() * 1000, event.silent.count(), "stalled:" + stage});
  } else {
    notice(NoticeLevel::error, std::string("录制失败：") + stage_name + "超过 " + seconds_text + " 秒没有恢复，结束录制");
    add_gap(Gap{frames.load(), trusted_us(event.last_beat_ns), event.silent.count(), "gave_up:" + stage});
    gave_up = true;
    set_stop_reason("watchdog");
    stop = true;
  }
}

void Recorder::State::capture_loop() {
  std::int64_t first = 0, last = 0;
  while (!stop.load()) {
    auto next = capture->next(stop);
    if (!next.ok()) {
      std::lock_guard lock(record_mutex);
      capture_error = next.error();
      if (stop_reason.empty()) stop_reason = "source_error";
      break;
    }
    if (!next->has_value()) {
      set_stop_reason(stop.load() ? "requested" : "source_ended");
      break;
    }
    CapturedFrame frame = std::move(**next);
    // A screen grabber that fell behind (after a pause) grabs back to back to catch up with its own timer:
    // those frames show the same instant, so keep one per half frame interval.
    if (last && options.source.live() && frame.monotonic_ns - last < 500'000'000 / options.fps) {
      ++catch_up_frames;
      continue;
    }
    last = frame.monotonic_ns;
    if (!first) first = frame.monotonic_ns;
    if (options.duration && frame.monotonic_ns - first >= duration_cast<nanoseconds>(*options.duration).count()) {
      set_stop_reason("duration");
      break;
    }
    watchdog->beat(Stage::capture);
    std::lock_guard lock(queue_mutex);
    if (queue.size() >= queue_limit) {
      ++dropped;  // the encoder is behind by more than two seconds; the interval check will show the hole
      continue;
    }
    queue.push_back(std::move(frame));
    queue_cv.notify_one();
  }
  set_stop_reason("requested");
  capture_ended = true;
  std::lock_guard lock(queue_mutex);
  capture_done = true;
  queue_cv.notify_all();
}

Status Recorder::State::handle_frame(CapturedFrame captured, std::int64_t& fragment_start_ns) {
  const std::int64_t index = frames.load();
  const std::int64_t monotonic = captured.monotonic_ns;
  if (index == 0) {
    start_monotonic_ns = monotonic;
    start_utc_us = trusted_us(monotonic);
    log({{"type", "first_frame"}, {"utc_us", start_utc_us}, {"time", format_iso8601_beijing(from_utc_us(start_utc_us))},
         {"monotonic_ns", monotonic}});
  } else {
    const std::int64_t previous = last_frame_monotonic_ns.load();
    const std::int64_t interval_ms = (monotonic - previous) / 1'000'000;
    if (interval_ms > gap_threshold_ms(options.fps))
      add_gap(Gap{index, trusted_us(previous), interval_ms, captured.after_source_loss ? "source_lost" : "capture_interval"});
  }
  const std::int64_t half_frame_ns = 500'000'000 / options.fps;
  FrameStamp stamp;
  stamp.index = index;
  stamp.utc_us = trusted_us(monotonic);
  // The file's timeline is in ms; two frames within one ms (a grabber catching up) stay in order.
  stamp.relative_ms = std::max((monotonic - start_monotonic_ns.load()) / 1'000'000, index == 0 ? 0 : last_relative_ms + 1);
  last_relative_ms = stamp.relative_ms;
  stamp.starts_fragment = index == 0 || monotonic - fragment_start_ns >= duration_cast<nanoseconds>(options.fragment_every).count() - half_frame_ns;
  if (stamp.starts_fragment) fragment_start_ns = monotonic;
  {
    std::lock_guard lock(clock_mutex);
    encoder->show_unverified_mark(!clock.verified());
  }
  std::optional<std::string> caption;
  {
    std::lock_guard lock(mark_mutex);
    caption.swap(pending_caption);
  }
  if (caption) {
    NETSAMPLE_TRY(encoder->set_caption(*caption));
    log({{"type", "caption"}, {"frame", index}, {"text", *caption}});
  }
  NETSAMPLE_ASSIGN(const AVFrame* overlaid, encoder->add(*captured.frame, stamp));
  watchdog->beat(Stage::encode);
  serve_markers(*overlaid, index, stamp.relative_ms, stamp.utc_us);
  last_frame_monotonic_ns = monotonic;
  ++frames;
  return {};
}

void Recorder::State::serve_markers(const AVFrame& frame, std::int64_t index, std::int64_t media_ms, std::int64_t utc_us) {
  std::deque<std::shared_ptr<MarkRequest>> requests;
  {
    std::lock_guard lock(mark_mutex);
    requests.swap(mark_requests);
  }
  for (auto& request : requests) {
    Marker marker;
    {
      std::lock_guard lock(record_mutex);
      marker.index = static_cast<int>(markers.size()) + 1;
    }
    marker.step = request->step;
    marker.note = request->note;
    marker.frame = index;
    marker.media_ms = media_ms;
    marker.utc_us = utc_us;
    char name[64];
    std::snprintf(name, sizeof name, "%03d-", marker.index);
    marker.still = std::string(kStillsDir) + "/" + name + marker.step + ".png";
    auto png = encode_png(frame);
    Status written = png.ok() ? write_file_atomic(path(marker.still), *png, 0444) : Status(png.error());
    if (!written.ok()) {
      request->done.set_value(written.error());
      continue;
    }
    marker.still_sha256 = sha256_hex(*png);
    nlohmann::json event = marker.to_json();
    event["type"] = "marker";
    log(event);
    {
      std::lock_guard lock(record_mutex);
      markers.push_back(marker);
    }
    request->done.set_value(marker);
  }
}

void Recorder::State::process_loop() {
  std::int64_t fragment_start_ns = 0;
  Status status;
  for (;;) {
    std::optional<CapturedFrame> next;
    {
      std::unique_lock lock(queue_mutex);
      if (queue.empty() && !capture_done) queue_cv.wait_for(lock, milliseconds(100));
      if (!queue.empty()) {
        next = std::move(queue.front());
        queue.pop_front();
      } else if (capture_done) {
        break;
      }
    }
    if (!next) {  // nothing to do is not a stall of ours
      watchdog->beat(Stage::encode);
      watchdog->beat(Stage::write);
      continue;
    }
    status = handle_frame(std::move(*next), fragment_start_ns);
    if (!status.ok()) break;
  }
  if (status.ok()) status = encoder->finish();
  if (!status.ok()) {
    notice(NoticeLevel::error, "录像写入失败：" + status.error().describe());
    std::lock_guard lock(record_mutex);
    process_error = status;
    if (stop_reason.empty()) stop_reason = "write_error";
  }
  stop = true;
  // Markers asked for after the last frame cannot be served.
  std::lock_guard lock(mark_mutex);
  for (auto& request : mark_requests)
    request->done.set_value(make_error(ErrorCode::refused_by_rule, "mark", "录制已经结束，不能再加标记"));
  mark_requests.clear();
}

void Recorder::State::background_loop() {
  auto next_ntp = steady_clock::now() + options.ntp_interval;
  auto next_tsa = steady_clock::now() + options.tsa_interval;
  auto next_disk = steady_clock::now() + seconds(5);
  DiskLevel disk_level = DiskLevel::ok;
  std::unique_lock lock(background_mutex);
  while (!background_stop) {
    background_cv.wait_for(lock, milliseconds(200));
    if (background_stop) break;
    lock.unlock();
    const auto now = steady_clock::now();
    if (now >= next_ntp && !options.ntp_servers.empty()) {
      query_time(false);
      next_ntp = now + options.ntp_interval;
    }
    if (now >= next_tsa && !options.tsa_urls.empty()) {
      stamp_chain();
      next_tsa = now + options.tsa_interval;
    }
    if (now >= next_disk) {
      check_disk_space(disk_level);
      next_disk = now + seconds(5);
    }
    lock.lock();
  }
}

nlohmann::json Recorder::State::manifest(const std::int64_t ended_utc_us) {
  std::lock_guard records(record_mutex);
  std::lock_guard clock_lock(clock_mutex);
  nlohmann::json samples = nlohmann::json::array();
  for (const auto& s : clock.samples()) samples.push_back(sample_json(s, start_monotonic_ns.load()));
  nlohmann::json gap_list = nlohmann::json::array(), marker_list = nlohmann::json::array();
  for (const auto& g : gaps) gap_list.push_back(g.to_json());
  for (const auto& m : markers) marker_list.push_back(m.to_json());
  nlohmann::json region = nullptr;
  if (options.region) region = {{"width", options.region->width}, {"height", options.region->height}, {"x", options.region->x}, {"y", options.region->y}};
  nlohmann::json servers = nlohmann::json::array();
  for (const auto& s : options.ntp_servers) servers.push_back(s.name());
  return {
      {"case_number", options.case_number},
      {"source", {{"spec", options.source.text}, {"capture", capture->describe()}, {"live", options.source.live()}}},
      {"settings",
       {{"fps", options.fps}, {"region", region}, {"width", encoder->output_width()}, {"height", encoder->output_height()},
        {"stamp_strip_height", encoder->strip_height()},
        {"codec", encoder->codec_description()}, {"fragment_ms", options.fragment_every.count()},
        {"gap_threshold_ms", gap_threshold_ms(options.fps)}, {"ntp_servers", servers}, {"ntp_interval_s", options.ntp_interval.count()},
        {"tsa_urls", options.tsa_urls}, {"tsa_interval_s", options.tsa_interval.count()}}},
      {"started", format_iso8601_beijing(from_utc_us(start_utc_us))},
      {"started_utc_us", start_utc_us},
      {"ended", format_iso8601_beijing(from_utc_us(ended_utc_us))},
      {"ended_utc_us", ended_utc_us},
      {"duration_s", static_cast<double>(ended_utc_us - start_utc_us) / 1e6},
      {"stop_reason", stop_reason},
      {"dropped_frames", dropped.load()},
      {"catch_up_frames_skipped", catch_up_frames.load()},
      {"time", {{"verified", clock.verified()}, {"verified_at_start", verified_at_start}, {"samples", samples}, {"failures", time_failures}}},
      {"markers", marker_list},
      {"continuity", {{"continuous", gaps.empty()}, {"gap_threshold_ms", gap_threshold_ms(options.fps)}, {"gaps", gap_list}}},
      {"watchdog", watchdog_events},
      {"disk", disk_events},
      {"chain_stamps", chain_stamps},
      {"timestamp", timestamp_status()},
      {"attachments", attachments},
  };
}

Recorder::Recorder(std::unique_ptr<State> state) : state_(std::move(state)) {}

Recorder::~Recorder() {
  if (state_ && !state_->finished) (void)finish();
}

Result<std::unique_ptr<Recorder>> Recorder::start(RecorderOptions options, std::function<void(const Notice&)> on_notice) {
  NETSAMPLE_TRY(validate(options));
  if (options.ntp_servers.empty()) options.ntp_servers.push_back(NtpServer{"ntp.ntsc.ac.cn", 123});
  std::error_code ec;
  const bool created_dir = !fs::exists(options.out_dir, ec);
  if (!created_dir && !fs::is_empty(options.out_dir, ec))
    return make_error(ErrorCode::refused_by_rule, "--out",
                      "输出目录 " + options.out_dir.string() + " 已有内容：每段录像用一个新目录，已有录像不会被续写或覆盖", 35);
  fs::create_directories(options.out_dir / kStillsDir, ec);
  if (ec) return io_error(options.out_dir, "无法建立输出目录");
  NETSAMPLE_ASSIGN(DiskStatus disk, check_disk(options.out_dir, 0));
  if (disk.level == DiskLevel::critical) return make_error(ErrorCode::refused_by_rule, "--out", disk.message + "——不能开始录制");

  // Until the first byte of video is written, a failed start leaves nothing behind (a retry may use the same --out).
  struct Cleanup {
    fs::path dir;
    bool created;
    bool armed = true;
    ~Cleanup() {
      if (!armed) return;
      std::error_code ignored;
      fs::remove(dir / kEventsFile, ignored);
      fs::remove(dir / kStillsDir, ignored);
      if (created) fs::remove(dir, ignored);
    }
  } cleanup{options.out_dir, created_dir};
  auto state = std::make_unique<State>(std::move(options));
  State& s = *state;
  s.on_notice = std::move(on_notice);
  if (disk.level == DiskLevel::warning) s.notice(NoticeLevel::warning, disk.message);
  s.events_fd = UniqueFd(::open(s.path(kEventsFile).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644));
  if (!s.events_fd.valid()) return io_error(s.path(kEventsFile), "无法新建事件日志");

  av_log_set_level(AV_LOG_FATAL);  // FFmpeg's chatter is not for the sampler; failures come back as Errors

  // Art 35: the recording begins with a network time check, before the first frame (and before the
  // source is opened, so a screen grabber does not queue up frames while we wait for the servers).
  s.query_time(true);
  if (!s.verified_at_start) s.notice(NoticeLevel::warning, "时间未经网络校验：没有 NTP 服务器应答。照常录制，但画面和清单都会注明");

  NETSAMPLE_ASSIGN(Capture capture, Capture::open(s.options.source, s.options.region, s.options.fps));
  s.capture.emplace(std::move(capture));
  s.queue_limit = static_cast<size_t>(std::max(8, 2 * s.options.fps));
  s.log({{"type", "start"}, {"source", s.options.source.text}, {"capture", s.capture->describe()}, {"fps", s.options.fps},
         {"gap_threshold_ms", gap_threshold_ms(s.options.fps)}, {"case_number", s.options.case_number}});

  cleanup.armed = false;
  NETSAMPLE_ASSIGN(JournalWriter journal, JournalWriter::create(s.path(kJournalFile)));
  s.journal.emplace(std::move(journal));
  EncoderSettings settings;
  settings.width = s.capture->width();
  settings.height = s.capture->height();
  settings.pixel_format = s.capture->pixel_format();
  settings.sample_aspect_ratio = s.capture->sample_aspect_ratio();
  settings.fps = s.options.fps;
  settings.case_number = s.options.case_number;
  settings.preset = s.options.preset;
  settings.crf = s.options.crf;
  settings.creation_time = format_iso8601_beijing(from_utc_us(s.trusted_us(steady_now_ns())));
  s.watchdog = std::make_unique<Watchdog>(s.options.watchdog, [&s](const WatchEvent& e) { s.on_watch_event(e); });
  NETSAMPLE_ASSIGN(s.encoder, FragmentedEncoder::open(settings, s.path(kMediaFile),
                                                      [&s] { s.watchdog->beat(Stage::write); },
                                                      [&s](const FragmentInput& fragment) -> Status {
                                                        std::lock_guard lock(s.journal_mutex);
                                                        NETSAMPLE_TRY(status_of(s.journal->append(fragment)));
                                                        s.bytes = fragment.offset + fragment.size;
                                                        return {};
                                                      }));
  s.capture_thread = std::thread([&s] { s.capture_loop(); });
  s.process_thread = std::thread([&s] { s.process_loop(); });
  s.background_thread = std::thread([&s] { s.background_loop(); });
  return std::unique_ptr<Recorder>(new Recorder(std::move(state)));
}

void Recorder::request_stop() { state_->stop = true; }

bool Recorder::capture_ended() const { return state_->capture_ended.load(); }

Progress Recorder::progress() const {
  const State& s = *state_;
  Progress p;
  const std::int64_t start = s.start_monotonic_ns.load();
  p.elapsed_ms = start ? (steady_now_ns() - start) / 1'000'000 : 0;
  p.frames = s.frames.load();
  p.dropped = s.dropped.load();
  p.bytes = s.bytes.load();
  {
    std::lock_guard lock(s.clock_mutex);
    p.time_verified = s.clock.verified();
    p.uncertainty_us = s.clock.uncertainty_us().value_or(0);
    p.offset_us = to_utc_us(s.clock.at(steady_now_ns())) - to_utc_us(SystemClock().now());
  }
  std::lock_guard lock(s.record_mutex);
  p.gaps = static_cast<int>(s.gaps.size());
  return p;
}

Result<Marker> Recorder::mark(const std::string& step, const std::string& note) {
  static const std::regex step_rule("[a-z0-9_]{1,32}");
  if (!std::regex_match(step, step_rule))
    return make_error(ErrorCode::invalid_input, "step", "步骤标识只能由小写字母、数字和下划线组成（1–32 个字符），如 search、order");
  if (note.size() > 2000) return make_error(ErrorCode::invalid_input, "note", "说明不超过 2000 字节");
  auto request = std::make_shared<State::MarkRequest>();
  request->step = step;
  request->note = note;
  auto done = request->done.get_future();
  {
    std::lock_guard lock(state_->mark_mutex);
    if (state_->stop.load()) return make_error(ErrorCode::refused_by_rule, "mark", "录制已经结束，不能再加标记");
    state_->mark_requests.push_back(request);
  }
  if (done.wait_for(seconds(10)) != std::future_status::ready)
    return make_error(ErrorCode::internal, "mark", "10 秒内没有新的画面可以标记（录制是否停滞？）");
  return done.get();
}

void Recorder::show_caption(const std::string& text) {
  std::lock_guard lock(state_->mark_mutex);
  state_->pending_caption = text;
}

Status Recorder::attach(const std::string& key, nlohmann::json value) {
  static const std::regex key_rule("[a-z][a-z0-9_]{0,31}");
  if (!std::regex_match(key, key_rule))
    return make_error(ErrorCode::invalid_input, "attachment", "附加内容的名称只能由小写字母、数字和下划线组成");
  state_->log({{"type", "attachment"}, {"key", key}, {"value", value}});
  std::lock_guard lock(state_->record_mutex);
  state_->attachments[key] = std::move(value);
  return {};
}

nlohmann::json Recorder::health() const {
  std::lock_guard lock(state_->record_mutex);
  auto last = [](const std::vector<nlohmann::json>& events) { return events.empty() ? nlohmann::json() : events.back(); };
  return {{"last_stamp", last(state_->chain_stamps)}, {"watchdog", last(state_->watchdog_events)}, {"disk", last(state_->disk_events)}};
}

std::pair<int, int> Recorder::picture_size() const { return {state_->capture->width(), state_->capture->height()}; }

Position Recorder::position() const {
  const State& s = *state_;
  Position p;
  p.frame = s.frames.load() - 1;
  std::lock_guard lock(s.clock_mutex);
  p.utc_us = to_utc_us(s.clock.at(steady_now_ns()));
  p.time_verified = s.clock.verified();
  return p;
}

Result<PageRecord> Recorder::journal_page(const PageInput& page) {
  std::lock_guard lock(state_->journal_mutex);
  if (state_->journal_closed) return make_error(ErrorCode::refused_by_rule, "page", "录像已经封存，网页记录不能再加入哈希链");
  return state_->journal->append(page);
}

std::vector<TimeSample> Recorder::time_samples() const {
  std::lock_guard lock(state_->clock_mutex);
  return state_->clock.samples();
}

Result<RecordingOutcome> Recorder::finish() {
  State& s = *state_;
  if (s.finished) return make_error(ErrorCode::internal, "recorder", "录像已经结束");
  s.finished = true;
  s.stop = true;
  s.capture_thread.join();
  s.process_thread.join();
  s.watchdog.reset();  // sealing may take a while; it is not a stall
  {
    std::lock_guard lock(s.background_mutex);
    s.background_stop = true;
  }
  s.background_cv.notify_all();
  s.background_thread.join();

  RecordingOutcome outcome;
  outcome.dir = s.options.out_dir;
  outcome.frames = s.frames.load();
  outcome.dropped = s.dropped.load();
  outcome.gave_up = s.gave_up.load();
  {
    std::lock_guard lock(s.record_mutex);
    outcome.gaps = static_cast<int>(s.gaps.size());
    outcome.stop_reason = s.stop_reason;
    if (!s.process_error.ok()) return s.process_error.error();
    if (!s.capture_error.ok() && outcome.frames == 0) return s.capture_error.error();
  }
  if (outcome.frames == 0) return make_error(ErrorCode::not_found, "--source", "录制来源没有给出任何画面");
  {
    std::lock_guard lock(s.clock_mutex);
    outcome.time_verified = s.clock.verified();
  }
  {
    std::lock_guard lock(s.journal_mutex);
    s.journal_closed = true;  // nothing joins the chain after the video's last fragment
  }
  // The whole journal stamped once more: a stamped prefix even if the manifest's stamp fails, and the
  // manifest can say whether the authorities answered just before it was sealed.
  if (!s.options.tsa_urls.empty()) s.stamp_chain();
  const std::int64_t ended = s.trusted_us(s.last_frame_monotonic_ns.load());
  nlohmann::json manifest = s.manifest(ended);
  NETSAMPLE_ASSIGN(SealResult sealed, seal_recording(s.options.out_dir, std::move(manifest), s.tsa, s.options.tsa_urls));
  outcome.manifest_sha256 = sealed.manifest_sha256;
  outcome.tokens = static_cast<int>(sealed.tokens.size());
  outcome.tsa_failures = sealed.failures;
  s.log({{"type", "sealed"}, {"manifest_sha256", sealed.manifest_sha256}, {"tokens", sealed.tokens.size()}, {"failures", sealed.failures}});
  // After the seal, outside the evidence: the same frames with an index in front, for players that cannot seek
  // in a fragmented file (playback.h). Without it a player still gets recording.mp4.
  auto playback = write_playback_copy(s.options.out_dir / kMediaFile, s.options.out_dir / kPlaybackFile);
  if (!playback.ok()) outcome.playback_failure = playback.error().message;
  return outcome;
}

}  // namespace netsample::recorder
