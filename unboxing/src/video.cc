#include "netsample/unboxing/video.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

#include <atomic>
#include <mutex>
#include <thread>

#include "netsample/core/file_io.h"
#include "netsample/core/http.h"
#include "netsample/core/sha256.h"
#include "netsample/core/tsa.h"
#include "netsample/recorder/control.h"
#include "netsample/recorder/seal.h"
#include "netsample/recorder/verify.h"
#include "netsample/recorder/video_file.h"
#include "netsample/unboxing/label_capture.h"
#include "netsample/unboxing/parcels.h"
#include "netsample/workflow/cases.h"

namespace netsample::unboxing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

std::string relative_to(const fs::path& file, const fs::path& dir) { return fs::relative(file, dir).generic_string(); }

}  // namespace

Status UnboxingVideo::store_file(const std::string& case_number, const fs::path& file, const std::string& kind, const std::string& actor) {
  if (!case_id_ || case_id_->first != case_number) {
    NETSAMPLE_ASSIGN(workflow::CaseView view, workflow::CaseRegistry(*store_).show(case_number));
    case_id_ = std::pair(case_number, view.id);
  }
  return status_of(store_->add_evidence(case_id_->second, case_number, file, kind, actor));
}

// The codes on the video, the waybill against the case's parcels, and a matching code as the waybill step.
// Runs while the session is still "recording": `unbox finish` waits for "recorded", so a decision never
// comes before the waybill is read.
Status UnboxingVideo::read_labels(const UnboxingView& session, const fs::path& video, const std::string& actor) {
  AnalyzeOptions options;
  options.stills_dir = session.recording_dir / "labels";
  say_("正在识别录像中的条码和二维码……");
  NETSAMPLE_ASSIGN(std::vector<LabelCode> codes, analyze_labels({video}, options));
  json labels = json::array();
  for (auto c : codes) {
    if (!c.still.empty()) {
      NETSAMPLE_TRY(store_file(session.case_number, c.still, "label_still", actor));
      c.still = relative_to(c.still, session.recording_dir);
    }
    labels.push_back(c.to_json());
  }
  NETSAMPLE_ASSIGN(TrackingConfig config, load_tracking_config(store_->data_dir()));
  NETSAMPLE_ASSIGN(auto parcels, ParcelTracker(*store_, *lifecycle_, config).of_case(session.case_number));
  json waybill = json::array();
  std::optional<LabelCode> matching;
  for (const auto& p : parcels) {
    const WaybillMatch m = match_waybill(codes, p.parcel.number);
    waybill.push_back({{"number", p.parcel.number}, {"courier", p.parcel.courier}, {"matched", m.matched}, {"other_numbers", m.other_numbers},
                       {"code", m.code ? json{{"format", m.code->format}, {"text", m.code->text}, {"time_s", m.code->time_s}} : json()}});
    if (m.matched && !matching) matching = m.code;
  }
  NETSAMPLE_TRY(sessions_->set_labels(session.id, labels, waybill, actor));
  say_("识别到 " + std::to_string(codes.size()) + " 个码");
  if (!matching) return {};
  UnboxStep step;
  step.step = "waybill";
  step.how = "label";
  step.video_ms = static_cast<std::int64_t>(matching->time_s * 1000);
  step.frame = matching->frame;
  if (!matching->still.empty()) {
    step.still = relative_to(matching->still, session.recording_dir);
    NETSAMPLE_ASSIGN(Sha256Digest digest, sha256_file(matching->still));
    step.still_sha256 = to_hex(digest);
  }
  step.note = "面单" + matching->format + "「" + matching->text + "」与任务运单一致";
  NETSAMPLE_TRY(status_of(sessions_->add_step(session.id, step, "system:label_capture")));
  say_("✓ " + step.note + "（第 " + std::to_string(step.frame) + " 帧）");
  return {};
}

Result<UnboxingView> UnboxingVideo::import(const UnboxingView& session, const fs::path& original, const std::vector<std::string>& tsa_urls,
                                           const std::string& actor) {
  // Hashed before and after the copy: what is stored is byte for byte what the sampler brought.
  NETSAMPLE_ASSIGN(Sha256Digest before, sha256_file(original));
  std::string ext = original.extension().string();
  const fs::path copy = session.recording_dir / ("unboxing" + (ext.empty() ? std::string(".mp4") : ext));
  std::error_code ec;
  fs::copy_file(original, copy, fs::copy_options::overwrite_existing, ec);
  if (ec) return make_error(ErrorCode::io, copy.string(), "无法复制视频：" + ec.message());
  NETSAMPLE_ASSIGN(Sha256Digest after, sha256_file(copy));
  if (after != before) return make_error(ErrorCode::integrity, copy.string(), "复制后的视频与原文件的 SHA-256 不一致");
  RecordedVideo video;
  video.video = copy.filename().string();
  video.sha256 = to_hex(after);
  auto info = recorder::probe_video_file(copy);
  if (!info.ok()) {
    video.video.clear();
    video.problems.push_back({{"item", "video"}, {"text", info.error().describe()}, {"level", "error"}});
    return sessions_->set_recorded(session.id, video, actor);
  }
  video.info = info->to_json();
  video.info["imported_from"] = fs::absolute(original).string();
  for (const auto& gap : info->gaps)
    video.problems.push_back({{"item", "continuity"},
                              {"text", "视频在 " + std::to_string(gap.at_s).substr(0, 6) + " 秒处中断 " + std::to_string(gap.duration_s).substr(0, 5) +
                                           " 秒（第三十六条：记录拆封、确认的全过程）"},
                              {"level", "error"}});
  if (!info->times_monotonic) video.problems.push_back({{"item", "continuity"}, {"text", "视频的帧时间有倒退或重复：可能经过剪辑"}, {"level", "error"}});
  if (!info->creation_time)
    video.problems.push_back({{"item", "time"}, {"text", "视频文件没有记录拍摄时间（creation_time）：拍摄时间以导入时刻的时间戳为准"}, {"level", "warning"}});
  NETSAMPLE_TRY(store_file(session.case_number, copy, "unboxing_video", actor));
  // The time of import, proven: an RFC 3161 token over the video's hash from every TSA given.
  json tokens = json::array();
  HttpClient http;
  for (size_t i = 0; i < tsa_urls.size(); ++i) {
    auto token = TsaClient(http).stamp(tsa_urls[i], after);
    if (!token.ok()) {
      video.problems.push_back({{"item", "timestamp"}, {"text", "时间戳服务 " + tsa_urls[i] + " 未盖章：" + token.error().describe()}, {"level", "warning"}});
      continue;
    }
    const fs::path tsr = session.recording_dir / ("unboxing-" + std::to_string(i + 1) + ".tsr");
    NETSAMPLE_TRY(write_file_atomic(tsr, token->response_der));
    NETSAMPLE_TRY(store_file(session.case_number, tsr, "timestamp_token", actor));
    tokens.push_back({{"file", tsr.filename().string()}, {"url", token->url}, {"time", format_iso8601_beijing(token->gen_time)}});
  }
  video.info["timestamps"] = tokens;
  if (tokens.empty())
    video.problems.push_back({{"item", "timestamp"}, {"text", "没有可信时间戳（--tsa）：导入时刻未经第三方证明"}, {"level", "warning"}});
  // The import's own record beside the video: what `netsample verify DIR` checks from the files alone.
  NETSAMPLE_TRY(write_import_record(session.recording_dir, json{{"format", "netsample-import-1"},
                                                                {"case", session.case_number},
                                                                {"source", original.filename().string()},
                                                                {"video", video.video},
                                                                {"sha256", video.sha256},
                                                                {"size", static_cast<std::int64_t>(fs::file_size(copy))},
                                                                {"imported", format_iso8601_beijing(store_->clock().now())},
                                                                {"imported_by", actor},
                                                                {"info", video.info},
                                                                {"timestamps", tokens}}));
  const fs::path record_file = session.recording_dir / kImportRecordFile;
  NETSAMPLE_TRY(store_file(session.case_number, record_file, "import_record", actor));
  say_("已导入 " + original.string() + "：" + std::to_string(info->frames) + " 帧，" + std::to_string(info->duration_s).substr(0, 5) +
       " 秒，SHA-256 " + video.sha256);
  if (Status read = read_labels(session, copy, actor); !read.ok())
    video.problems.push_back({{"item", "labels"}, {"text", "未能识别面单：" + read.error().describe()}, {"level", "warning"}});
  return sessions_->set_recorded(session.id, video, actor);
}

Result<UnboxingView> UnboxingVideo::record_live(const UnboxingView& session, recorder::RecorderOptions options, const fs::path& trust_store,
                                                const std::string& actor, std::function<void(const recorder::Notice&)> on_notice,
                                                const std::function<bool()>& stop, const std::function<void(const recorder::Progress&)>& tick) {
  options.out_dir = session.recording_dir;
  options.case_number = session.case_number;
  auto started = recorder::Recorder::start(options, std::move(on_notice));
  if (!started.ok()) {
    RecordedVideo failed;
    failed.problems.push_back({{"item", "recording"}, {"text", started.error().describe()}, {"level", "error"}});
    (void)sessions_->set_recorded(session.id, failed, actor);
    return started.error();
  }
  std::unique_ptr<recorder::Recorder> rec = std::move(started).value();
  std::mutex mutex;
  std::atomic<bool> finish_requested{false};
  auto control = recorder::ControlServer::start(session.recording_dir, [&](const json& request) -> Result<json> {
    const std::string command = request.value("command", "");
    if (command == "ping") return json{{"session", session.id}};
    if (command == "finish") {
      finish_requested = true;
      return json::object();
    }
    if (command != "unbox_mark") return make_error(ErrorCode::invalid_input, "command", "未知命令 " + command);
    std::lock_guard lock(mutex);
    const std::string step = request.value("step", "");
    const UnboxStepSpec* spec = find_unboxing_step(step);
    if (!spec) return make_error(ErrorCode::invalid_input, "step", "未知的拆封步骤 \"" + step + "\"", 36);
    NETSAMPLE_ASSIGN(recorder::Marker marker, rec->mark(step, request.value("note", spec->label)));
    UnboxStep record;
    record.step = step;
    record.frame = marker.frame;
    record.video_ms = marker.media_ms;  // the recorder's own timeline: where a player seeks
    record.at = from_utc_us(marker.utc_us);
    record.still = marker.still;
    record.still_sha256 = marker.still_sha256;
    record.note = request.value("note", "");
    NETSAMPLE_ASSIGN(UnboxStep added, sessions_->add_step(session.id, record, request.value("as", actor)));
    say_("已标记「" + spec->label + "」：第 " + std::to_string(marker.frame) + " 帧");
    return json{{"step", added.to_json()}};
  });
  if (!control.ok()) say_("错误：" + control.error().describe());
  while (!stop() && !finish_requested && !rec->capture_ended()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    tick(rec->progress());
  }
  if (control.ok()) control->reset();
  say_("正在结束、封存并校验录像……");
  RecordedVideo video;
  auto outcome = rec->finish();
  if (!outcome.ok()) {
    video.problems.push_back({{"item", "recording"}, {"text", outcome.error().describe()}, {"level", "error"}});
  } else {
    auto verified = recorder::verify_recording(session.recording_dir, trust_store);
    if (verified.ok()) {
      video.verify = verified->to_json();
      for (const auto& e : verified->errors) video.problems.push_back({{"item", "verify"}, {"text", e}, {"level", "error"}});
      if (!verified->continuous) video.problems.push_back({{"item", "continuity"}, {"text", "录像有中断（见校验报告）"}, {"level", "error"}});
    } else {
      video.problems.push_back({{"item", "verify"}, {"text", verified.error().describe()}, {"level", "error"}});
    }
    const fs::path mp4 = session.recording_dir / recorder::kMediaFile;
    video.video = mp4.filename().string();
    NETSAMPLE_ASSIGN(Sha256Digest digest, sha256_file(mp4));
    video.sha256 = to_hex(digest);
    if (auto info = recorder::probe_video_file(mp4); info.ok()) video.info = info->to_json();
    if (Status read = read_labels(session, mp4, actor); !read.ok())
      video.problems.push_back({{"item", "labels"}, {"text", "未能识别面单：" + read.error().describe()}, {"level", "warning"}});
  }
  for (const recorder::RecordingFile& file : recorder::recording_files(session.recording_dir))
    NETSAMPLE_TRY(store_file(session.case_number, file.path, std::string(recorder::to_string(file.kind)), actor));
  return sessions_->set_recorded(session.id, video, actor);
}

Result<UnboxStep> UnboxingVideo::mark_at(const UnboxingView& s, const std::string& step, double at_s, const std::string& note, const std::string& actor) {
  UnboxStep unchecked;
  unchecked.step = step;
  // An unknown step, or a session past marking: the sessions' own refusal names the steps or says why.
  if (!find_unboxing_step(step) || s.state != UnboxingState::recorded) return sessions_->add_step(s.id, unchecked, actor);
  const double duration = s.video_info.is_object() ? s.video_info.value("duration_s", 0.0) : 0.0;
  if (at_s < 0 || at_s > duration)
    return make_error(ErrorCode::invalid_input, "--at", "时间应在视频之内：0–" + std::to_string(duration).substr(0, 6) + " 秒");
  // The still at `at_s`, cut from the video with OpenCV.
  cv::VideoCapture video((s.recording_dir / s.video).string(), cv::CAP_FFMPEG);
  if (!video.isOpened()) return make_error(ErrorCode::invalid_input, s.video, "无法打开拆封视频");
  video.set(cv::CAP_PROP_POS_MSEC, at_s * 1000);
  cv::Mat frame;
  if (!video.read(frame) || frame.empty()) return make_error(ErrorCode::invalid_input, "--at", "视频在 " + std::to_string(at_s) + " 秒处读不出画面");
  UnboxStep out;
  out.step = step;
  out.frame = static_cast<std::int64_t>(video.get(cv::CAP_PROP_POS_FRAMES)) - 1;
  out.video_ms = static_cast<std::int64_t>(at_s * 1000);
  const fs::path still = s.recording_dir / "stills" / (step + "-" + std::to_string(out.frame) + ".png");
  std::error_code ec;
  fs::create_directories(still.parent_path(), ec);
  if (!cv::imwrite(still.string(), frame)) return make_error(ErrorCode::io, still.string(), "无法写入静帧");
  out.still = fs::relative(still, s.recording_dir).generic_string();
  NETSAMPLE_ASSIGN(Sha256Digest digest, sha256_file(still));
  out.still_sha256 = to_hex(digest);
  out.note = note;
  NETSAMPLE_ASSIGN(UnboxStep added, sessions_->add_step(s.id, out, actor));
  NETSAMPLE_TRY(store_file(s.case_number, s.recording_dir / added.still, "still", actor));
  return added;
}

}  // namespace netsample::unboxing
