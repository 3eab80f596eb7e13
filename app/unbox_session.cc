// `netsample unbox start | mark | finish | show | demo-video`: the unboxing of a delivered parcel on one
// video (Art 36). A camera is recorded live by the recorder (same continuity, trusted time and hash chain
// as a purchase recording); a video file from a camera or phone is imported: hashed, copied, its own
// times and gaps read, stamped by a TSA when one is given. Either way the labels are read off the video,
// the waybill is matched against the case's parcel (a match marks the waybill step), the other steps are
// marked by the sampler, and `finish` takes the decision: accept, or return with Art 36's reason.
// Runs in netsample-recorder (FFmpeg, OpenCV).
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

#include <atomic>
#include <mutex>
#include <thread>

#include "commands.h"
#include "record.h"
#include "netsample/core/file_io.h"
#include "netsample/core/http.h"
#include "netsample/core/sha256.h"
#include "netsample/core/tsa.h"
#include "netsample/recorder/control.h"
#include "netsample/recorder/source.h"
#include "netsample/recorder/verify.h"
#include "netsample/recorder/video_file.h"
#include "netsample/demo/media.h"
#include "netsample/unboxing/label_capture.h"
#include "netsample/unboxing/parcels.h"
#include "netsample/unboxing/session.h"
#include "netsample/workflow/cases.h"

namespace netsample::app {
namespace {

using nlohmann::json;
using namespace unboxing;
namespace fs = std::filesystem;

// The runtime's lifecycle and unboxing sessions, by the names the functions below use.
struct Services {
  explicit Services(Context& context) : lifecycle(context.runtime->lifecycle()), sessions(context.runtime->unboxings()) {}
  workflow::Lifecycle& lifecycle;
  UnboxingSessions& sessions;
};

std::string relative_to(const fs::path& file, const fs::path& dir) { return fs::relative(file, dir).generic_string(); }

Result<std::int64_t> case_id(Context& context, const std::string& case_number) {
  NETSAMPLE_ASSIGN(workflow::CaseView view, context.runtime->cases().show(case_number));
  return view.id;
}

Status store_file(Context& context, const std::string& case_number, const fs::path& file, const std::string& kind) {
  NETSAMPLE_ASSIGN(std::int64_t id, case_id(context, case_number));
  return status_of(context.runtime->store().add_evidence(id, case_number, file, kind, context.actor));
}

// The codes on the video, the waybill against the case's parcels, and a matching code as the waybill step.
// Runs while the session is still "recording": `unbox finish` waits for "recorded", so a decision never
// comes before the waybill is read.
Status read_labels(Context& context, Services& services, const UnboxingView& session, const fs::path& video, Console& console) {
  AnalyzeOptions options;
  options.stills_dir = session.recording_dir / "labels";
  console.say("正在识别录像中的条码和二维码……");
  NETSAMPLE_ASSIGN(std::vector<LabelCode> codes, analyze_labels({video}, options));
  json labels = json::array();
  for (auto c : codes) {
    if (!c.still.empty()) {
      NETSAMPLE_TRY(store_file(context, session.case_number, c.still, "label_still"));
      c.still = relative_to(c.still, session.recording_dir);
    }
    labels.push_back(c.to_json());
  }
  NETSAMPLE_ASSIGN(ParcelTracker * tracker, context.runtime->tracker());
  NETSAMPLE_ASSIGN(auto parcels, tracker->of_case(session.case_number));
  json waybill = json::array();
  std::optional<LabelCode> matching;
  for (const auto& p : parcels) {
    const WaybillMatch m = match_waybill(codes, p.parcel.number);
    waybill.push_back({{"number", p.parcel.number}, {"courier", p.parcel.courier}, {"matched", m.matched}, {"other_numbers", m.other_numbers},
                       {"code", m.code ? json{{"format", m.code->format}, {"text", m.code->text}, {"time_s", m.code->time_s}} : json()}});
    if (m.matched && !matching) matching = m.code;
  }
  NETSAMPLE_TRY(services.sessions.set_labels(session.id, labels, waybill, context.actor));
  console.say("识别到 " + std::to_string(codes.size()) + " 个码");
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
  NETSAMPLE_TRY(status_of(services.sessions.add_step(session.id, step, "system:label_capture")));
  console.say("✓ " + step.note + "（第 " + std::to_string(step.frame) + " 帧）");
  return {};
}

Result<UnboxingView> import_video(Context& context, Services& services, const UnboxingView& session, const recorder::SourceSpec& source,
                                  const RecordFlags& record, Console& console) {
  const fs::path original = source.url;
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
    return services.sessions.set_recorded(session.id, video, context.actor);
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
  NETSAMPLE_TRY(store_file(context, session.case_number, copy, "unboxing_video"));
  // The time of import, proven: an RFC 3161 token over the video's hash from every TSA given.
  json tokens = json::array();
  HttpClient http;
  for (size_t i = 0; i < record.tsa.size(); ++i) {
    auto token = TsaClient(http).stamp(record.tsa[i], after);
    if (!token.ok()) {
      video.problems.push_back({{"item", "timestamp"}, {"text", "时间戳服务 " + record.tsa[i] + " 未盖章：" + token.error().describe()}, {"level", "warning"}});
      continue;
    }
    const fs::path tsr = session.recording_dir / ("unboxing-" + std::to_string(i + 1) + ".tsr");
    NETSAMPLE_TRY(write_file_atomic(tsr, token->response_der));
    NETSAMPLE_TRY(store_file(context, session.case_number, tsr, "timestamp_token"));
    tokens.push_back({{"file", tsr.filename().string()}, {"url", token->url}, {"time", format_iso8601_beijing(token->gen_time)}});
  }
  video.info["timestamps"] = tokens;
  if (tokens.empty())
    video.problems.push_back({{"item", "timestamp"}, {"text", "没有可信时间戳（--tsa）：导入时刻未经第三方证明"}, {"level", "warning"}});
  // The import's own record beside the video: what `netsample verify DIR` checks from the files alone.
  const fs::path record_file = session.recording_dir / kImportRecordFile;
  NETSAMPLE_TRY(write_file_atomic(record_file, json{{"format", "netsample-import-1"},
                                                    {"case", session.case_number},
                                                    {"source", original.filename().string()},
                                                    {"video", video.video},
                                                    {"sha256", video.sha256},
                                                    {"size", static_cast<std::int64_t>(fs::file_size(copy))},
                                                    {"imported", format_iso8601_beijing(context.runtime->clock().now())},
                                                    {"imported_by", context.actor},
                                                    {"info", video.info},
                                                    {"timestamps", tokens}}
                                                       .dump(2) + "\n"));
  fs::permissions(record_file, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read, ec);
  NETSAMPLE_TRY(store_file(context, session.case_number, record_file, "import_record"));
  console.say("已导入 " + original.string() + "：" + std::to_string(info->frames) + " 帧，" + std::to_string(info->duration_s).substr(0, 5) +
              " 秒，SHA-256 " + video.sha256);
  if (Status read = read_labels(context, services, session, copy, console); !read.ok())
    video.problems.push_back({{"item", "labels"}, {"text", "未能识别面单：" + read.error().describe()}, {"level", "warning"}});
  return services.sessions.set_recorded(session.id, video, context.actor);
}

Result<UnboxingView> record_live(Context& context, Services& services, const UnboxingView& session, const RecordFlags& flags,
                                 const std::string& trust, Console& console) {
  NETSAMPLE_ASSIGN(recorder::RecorderOptions options, to_recorder_options(flags));
  options.out_dir = session.recording_dir;
  options.case_number = session.case_number;
  install_stop_signals();
  auto started = recorder::Recorder::start(options, [&console](const recorder::Notice& n) { console.notice(n); });
  if (!started.ok()) {
    RecordedVideo failed;
    failed.problems.push_back({{"item", "recording"}, {"text", started.error().describe()}, {"level", "error"}});
    (void)services.sessions.set_recorded(session.id, failed, context.actor);
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
    auto fail = [](const Error& e) { return e; };
    const std::string step = request.value("step", "");
    const UnboxStepSpec* spec = find_unboxing_step(step);
    if (!spec) return fail(make_error(ErrorCode::invalid_input, "step", "未知的拆封步骤 \"" + step + "\"", 36));
    auto marker = rec->mark(step, request.value("note", spec->label));
    if (!marker.ok()) return fail(marker.error());
    UnboxStep record;
    record.step = step;
    record.frame = marker->frame;
    record.video_ms = marker->frame * 1000 / std::max(1, flags.fps);
    record.at = from_utc_us(marker->utc_us);
    record.still = marker->still;
    record.still_sha256 = marker->still_sha256;
    record.note = request.value("note", "");
    auto added = services.sessions.add_step(session.id, record, request.value("as", context.actor));
    if (!added.ok()) return fail(added.error());
    console.say("已标记「" + spec->label + "」：第 " + std::to_string(marker->frame) + " 帧");
    return json{{"step", added->to_json()}};
  });
  if (!control.ok()) console.notice(recorder::Notice{recorder::NoticeLevel::error, control.error().describe()});
  console.say("开始录制拆封。依次对准镜头并标记：courier_packaging 快递包装、waybill 快递单据、sample_packaging 样品包装、sample_labels 样品标识；");
  console.say("另开终端：" + context.program + " unbox mark 步骤 --case " + session.case_number + "；结束：" + context.program + " unbox finish --case " +
              session.case_number + "（或 Ctrl+C）");
  while (!stop_signal && !finish_requested && !rec->capture_ended()) console.tick(rec->progress());
  if (control.ok()) control->reset();
  console.end_line();
  console.say("正在结束、封存并校验录像……");
  RecordedVideo video;
  auto outcome = rec->finish();
  if (!outcome.ok()) {
    video.problems.push_back({{"item", "recording"}, {"text", outcome.error().describe()}, {"level", "error"}});
  } else {
    auto verified = recorder::verify_recording(session.recording_dir, tsa_trust_store(context, trust));
    if (verified.ok()) {
      video.verify = verified->to_json();
      for (const auto& e : verified->errors) video.problems.push_back({{"item", "verify"}, {"text", e}, {"level", "error"}});
      if (!verified->continuous) video.problems.push_back({{"item", "continuity"}, {"text", "录像有中断（见校验报告）"}, {"level", "error"}});
    } else {
      video.problems.push_back({{"item", "verify"}, {"text", verified.error().describe()}, {"level", "error"}});
    }
    const fs::path mp4 = session.recording_dir / "recording.mp4";
    video.video = mp4.filename().string();
    NETSAMPLE_ASSIGN(Sha256Digest digest, sha256_file(mp4));
    video.sha256 = to_hex(digest);
    if (auto info = recorder::probe_video_file(mp4); info.ok()) video.info = info->to_json();
    if (Status read = read_labels(context, services, session, mp4, console); !read.ok())
      video.problems.push_back({{"item", "labels"}, {"text", "未能识别面单：" + read.error().describe()}, {"level", "warning"}});
  }
  NETSAMPLE_ASSIGN(std::int64_t id, case_id(context, session.case_number));
  NETSAMPLE_TRY(store_recording_files(context, id, session.case_number, session.recording_dir, context.actor));
  return services.sessions.set_recorded(session.id, video, context.actor);
}

void print_unboxing(const UnboxingView& s, const std::string& program) {
  std::cout << "任务 " << s.case_number << " 第 " << s.seq << " 次拆封（第三十六条）：" << s.state << "\n  来源 " << s.source << (s.imported ? "（导入）" : "（现场录制）")
            << "\n  目录 " << s.recording_dir.string() << "\n";
  if (!s.video.empty()) {
    std::cout << "  视频 " << s.video << "  SHA-256 " << s.video_sha256;
    if (s.video_info.is_object())
      std::cout << "\n  " << s.video_info.value("frames", 0) << " 帧，" << s.video_info.value("duration_s", 0.0) << " 秒，"
                << (s.video_info.value("continuous", false) ? "连续" : "不连续")
                << (s.video_info["creation_time"].is_string() ? "，拍摄时间（文件自带）" + s.video_info["creation_time"].get<std::string>() : "");
    std::cout << "\n";
  }
  for (const auto& code : s.labels) std::cout << "  码 " << code.value("format", "") << " " << code.value("text", "") << "  " << code.value("time_s", 0.0) << " 秒\n";
  for (const auto& spec : unboxing_steps()) {
    const UnboxStep* step = s.last(spec.id);
    std::cout << "  " << (step ? "✓ " : "✗ ") << spec.label << "（" << spec.id << "）";
    if (step) std::cout << "  " << static_cast<double>(step->video_ms) / 1000 << " 秒，第 " << step->frame << " 帧，" << (step->how == "label" ? "面单自动比对" : step->marked_by) << "  静帧 " << step->still;
    std::cout << "\n";
  }
  for (const auto& p : s.problems) std::cout << "  " << (p.value("level", "error") == "error" ? "⚠ " : "· ") << p.value("text", "") << "\n";
  if (s.decision.is_object()) {
    std::cout << "  确认：" << (s.decision.value("decision", "") == "accept" ? "接收样品" : "退样（" + s.decision.value("reason_label", "") + "）") << "，"
              << s.decision.value("by", "") << "，" << s.decision.value("at", "") << "\n";
  } else if (s.state == "recorded") {
    std::cout << "  下一步：" << program << " unbox finish --case " << s.case_number << " --accept（或 --return 理由）\n";
  }
  if (s.sealing.is_object())
    std::cout << "  封样：检验样品封条 " << s.sealing["inspection"].value("seal_number", "") << "，备用样品封条 " << s.sealing["backup"].value("seal_number", "") << "，"
              << s.sealing.value("sealed_date", "") << "\n";
}

struct StartFlags {
  RecordFlags record;
  std::string case_number, trust;
};

Status run_start(Context& context, const StartFlags& flags) {
  Console console("netsample unbox");
  NETSAMPLE_ASSIGN(recorder::SourceSpec source, recorder::parse_source(flags.record.source, "--source"));
  Services services(context);
  auto running = [](const fs::path& dir) { return recorder::send_control(dir, {{"command", "ping"}}).ok(); };
  NETSAMPLE_ASSIGN(UnboxingView session, services.sessions.begin(flags.case_number, source.text, !source.live(), context.actor, running));
  std::error_code ec;
  fs::create_directories(session.recording_dir, ec);
  if (ec) return make_error(ErrorCode::io, session.recording_dir.string(), "无法创建拆封录像目录：" + ec.message());
  console.say("第 " + std::to_string(session.seq) + " 次拆封，任务 " + flags.case_number + "，目录 " + session.recording_dir.string());
  auto recorded = source.live() ? record_live(context, services, session, flags.record, flags.trust, console)
                                : import_video(context, services, session, source, flags.record, console);
  if (!recorded.ok()) return recorded.error();
  NETSAMPLE_ASSIGN(UnboxingView now, services.sessions.get(session.id));
  if (context.json) print_json(now.to_json());
  else print_unboxing(now, context.program);
  if (now.state != "recorded") return make_error(ErrorCode::invalid_input, "--source", "拆封录像没有完成（见上）");
  return {};
}

// A still of the imported (or already recorded) video at `at_s`, for a step marked afterwards.
Result<UnboxStep> still_at(const UnboxingView& s, const std::string& step, double at_s) {
  const double duration = s.video_info.is_object() ? s.video_info.value("duration_s", 0.0) : 0.0;
  if (at_s < 0 || at_s > duration)
    return make_error(ErrorCode::invalid_input, "--at", "时间应在视频之内：0–" + std::to_string(duration).substr(0, 6) + " 秒");
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
  fs::create_directories(still.parent_path());
  if (!cv::imwrite(still.string(), frame)) return make_error(ErrorCode::io, still.string(), "无法写入静帧");
  out.still = fs::relative(still, s.recording_dir).generic_string();
  NETSAMPLE_ASSIGN(Sha256Digest digest, sha256_file(still));
  out.still_sha256 = to_hex(digest);
  return out;
}

struct MarkFlags {
  std::string case_number, step, note;
  double at = -1;
};

Status run_mark(Context& context, const MarkFlags& flags) {
  Services services(context);
  NETSAMPLE_ASSIGN(UnboxingView s, services.sessions.latest(flags.case_number));
  json marked;
  if (s.state == "recording" && !s.imported && flags.at < 0) {
    NETSAMPLE_ASSIGN(json answer, recorder::send_control(s.recording_dir, {{"command", "unbox_mark"}, {"step", flags.step}, {"note", flags.note}, {"as", context.actor}}));
    marked = answer["step"];
  } else {
    if (flags.at < 0) return make_error(ErrorCode::missing_field, "--at", "导入的视频须用 --at 秒数 指明该步骤在视频中的位置");
    UnboxStep unchecked;
    unchecked.step = flags.step;
    // An unknown step, or a session past marking: the sessions' own refusal names the steps or says why.
    if (!find_unboxing_step(flags.step) || s.state != "recorded") return status_of(services.sessions.add_step(s.id, unchecked, context.actor));
    NETSAMPLE_ASSIGN(UnboxStep step, still_at(s, flags.step, flags.at));
    step.note = flags.note;
    NETSAMPLE_ASSIGN(UnboxStep added, services.sessions.add_step(s.id, step, context.actor));
    NETSAMPLE_TRY(store_file(context, s.case_number, s.recording_dir / added.still, "still"));
    marked = added.to_json();
  }
  if (context.json) print_json(marked);
  else
    std::cout << "已标记「" << find_unboxing_step(flags.step)->label << "」：" << marked.value("video_s", 0.0) << " 秒，第 " << marked.value("frame", 0)
              << " 帧，静帧 " << (s.recording_dir / marked.value("still", "")).string() << "\n";
  return {};
}

struct FinishFlags {
  std::string case_number, return_reason, note;
  bool accept = false;
};

Status run_finish(Context& context, const FinishFlags& flags) {
  Services services(context);
  NETSAMPLE_ASSIGN(UnboxingView s, services.sessions.latest(flags.case_number));
  if (flags.accept && !flags.return_reason.empty()) return make_error(ErrorCode::invalid_input, "--accept", "--accept 与 --return 只能选一个");
  if (s.state == "recording") {
    // A live recording: the recorder stops and seals; `unbox start` then stores it and reads the labels.
    NETSAMPLE_TRY(status_of(recorder::send_control(s.recording_dir, {{"command", "finish"}})));
    std::cerr << "netsample: 正在结束拆封录像……\n";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
    while (s.state == "recording" && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      NETSAMPLE_ASSIGN(s, services.sessions.get(s.id));
    }
    if (s.state == "recording") return make_error(ErrorCode::network, "case", "录制程序 5 分钟内没有结束（" + s.recording_dir.string() + "）");
  }
  if (flags.accept || !flags.return_reason.empty()) {
    NETSAMPLE_ASSIGN(s, services.sessions.decide(s.id, flags.accept ? "accept" : "return", flags.return_reason, flags.note, context.actor));
  }
  if (context.json) print_json(s.to_json());
  else print_unboxing(s, context.program);
  return {};
}

}  // namespace

void add_unbox_session_commands(CLI::App* unbox, Context& context, int& exit_code) {
  auto start_flags = std::make_shared<StartFlags>();
  CLI::App* start = unbox->add_subcommand("start", "开始拆封录像（第三十六条）：摄像头现场录制（v4l2:/dev/video0）或导入视频文件（file:路径）");
  start->add_option("--case", start_flags->case_number, "抽样任务编号")->required();
  add_recorder_flags(start, start_flags->record);
  start->add_option("--trust", start_flags->trust, "校验时间戳用的 CA 证书（PEM）");
  start->callback([&context, &exit_code, start_flags] { exit_code = run_command(context, [&] { return run_start(context, *start_flags); }); });

  auto mark_flags = std::make_shared<MarkFlags>();
  CLI::App* mark = unbox->add_subcommand("mark", "标记拆封步骤：courier_packaging、waybill、sample_packaging、sample_labels");
  mark->add_option("STEP", mark_flags->step, "步骤")->required();
  mark->add_option("--case", mark_flags->case_number, "抽样任务编号")->required();
  mark->add_option("--at", mark_flags->at, "该步骤在视频中的秒数（导入的视频必填）");
  mark->add_option("--note", mark_flags->note, "说明");
  mark->callback([&context, &exit_code, mark_flags] { exit_code = run_command(context, [&] { return run_mark(context, *mark_flags); }); });

  auto finish_flags = std::make_shared<FinishFlags>();
  CLI::App* finish = unbox->add_subcommand("finish", "结束拆封录像，确认接收（--accept）或退样（--return 理由，第三十六条）");
  finish->add_option("--case", finish_flags->case_number, "抽样任务编号")->required();
  finish->add_flag("--accept", finish_flags->accept, "接收样品（四个步骤都已记录）");
  finish->add_option("--return", finish_flags->return_reason, "退样理由：quantity_short、out_of_scope、changed_in_transit、other_legal");
  finish->add_option("--note", finish_flags->note, "说明（面单号不符仍接收时必填）");
  finish->callback([&context, &exit_code, finish_flags] { exit_code = run_command(context, [&] { return run_finish(context, *finish_flags); }); });

  auto show_case = std::make_shared<std::string>();
  CLI::App* show = unbox->add_subcommand("show", "拆封记录：视频、识别到的码、步骤、问题、确认与封样");
  show->add_option("CASE", *show_case, "抽样任务编号")->required();
  show->callback([&context, &exit_code, show_case] {
    exit_code = run_command(context, [&]() -> Status {
      Services services(context);
      NETSAMPLE_ASSIGN(std::vector<UnboxingView> all, services.sessions.of_case(*show_case));
      if (all.empty()) return status_of(services.sessions.latest(*show_case));
      if (context.json) {
        json list = json::array();
        for (const auto& s : all) list.push_back(s.to_json());
        print_json(list);
      } else {
        for (const auto& s : all) print_unboxing(s, context.program);
      }
      return {};
    });
  });

  struct DemoVideoFlags {
    std::string out, number, product = "DEMO ELECTRIC KETTLE", batch = "B20261101", production_date = "2026-11-01";
  };
  auto demo_flags = std::make_shared<DemoVideoFlags>();
  CLI::App* demo = unbox->add_subcommand("demo-video", "生成演示用的拆封视频（画面注明为生成视频，不是证据）");
  demo->add_option("--out", demo_flags->out, "视频文件（.mp4）")->required();
  demo->add_option("--number", demo_flags->number, "面单上的运单号")->required();
  demo->add_option("--product", demo_flags->product, "样品标识上的产品名称（ASCII）")->capture_default_str();
  demo->add_option("--batch", demo_flags->batch, "批号")->capture_default_str();
  demo->add_option("--production-date", demo_flags->production_date, "生产日期")->capture_default_str();
  demo->callback([&context, &exit_code, demo_flags] {
    exit_code = run_command(context, [&]() -> Status {
      NETSAMPLE_ASSIGN(demo::DemoUnboxing made, demo::render_demo_unboxing(demo_flags->out, demo_flags->number, demo_flags->product, demo_flags->batch,
                                                               demo_flags->production_date));
      json out = {{"video", made.video.string()}, {"scenes", json::array()}, {"seal_photos", json::array()}};
      for (const auto& sc : made.scenes) out["scenes"].push_back({{"step", sc.step}, {"from_s", sc.from_s}, {"to_s", sc.to_s}});
      for (const auto& photo : made.seal_photos) out["seal_photos"].push_back({{"seal_number", photo.seal_number}, {"file", photo.file.string()}});
      if (context.json) print_json(out);
      else std::cout << "已生成 " << made.video.string() << "\n" << out.dump(2) << "\n";
      return Status{};
    });
  });
}

}  // namespace netsample::app
