// `netsample unbox start | mark | finish | show | demo-video`: the unboxing of a delivered parcel on one
// video (Art 36). A camera is recorded live by the recorder (same continuity, trusted time and hash chain
// as a purchase recording); a video file from a camera or phone is imported: hashed, copied, its own
// times and gaps read, stamped by a TSA when one is given. Either way the labels are read off the video,
// the waybill is matched against the case's parcel (a match marks the waybill step), the other steps are
// marked by the sampler, and `finish` takes the decision: accept, or return with Art 36's reason.
// The work is unboxing::UnboxingVideo's; here its flags and what the sampler's terminal shows. Runs in
// netsample-recorder (FFmpeg, OpenCV).
#include "commands.h"
#include "netsample/demo/media.h"
#include "netsample/recorder/control.h"
#include "netsample/recorder/source.h"
#include "netsample/unboxing/session.h"
#include "netsample/unboxing/video.h"
#include "record.h"

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

void print_unboxing(const UnboxingView& s, const std::string& program) {
  std::cout << "任务 " << s.case_number << " 第 " << s.seq << " 次拆封（第三十六条）：" << to_string(s.state) << "\n  来源 " << s.source << (s.imported ? "（导入）" : "（现场录制）")
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
  } else if (s.state == UnboxingState::recorded) {
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
  UnboxingVideo video(context.runtime->store(), services.lifecycle, services.sessions, [&console](const std::string& line) { console.say(line); });
  Result<UnboxingView> recorded = session;
  if (source.live()) {
    NETSAMPLE_ASSIGN(recorder::RecorderOptions options, to_recorder_options(flags.record));
    install_stop_signals();
    console.say("开始录制拆封。依次对准镜头并标记：courier_packaging 快递包装、waybill 快递单据、sample_packaging 样品包装、sample_labels 样品标识；");
    console.say("另开终端：" + context.program + " unbox mark 步骤 --case " + session.case_number + "；结束：" + context.program + " unbox finish --case " +
                session.case_number + "（或 Ctrl+C）");
    recorded = video.record_live(session, options, tsa_trust_store(context, flags.trust), context.actor,
                                 [&console](const recorder::Notice& n) { console.notice(n); }, [] { return stop_signal != 0; },
                                 [&console](const recorder::Progress& p) { console.tick(p); });
    console.end_line();
  } else {
    recorded = video.import(session, source.url, flags.record.tsa, context.actor);
  }
  if (!recorded.ok()) return recorded.error();
  NETSAMPLE_ASSIGN(UnboxingView now, services.sessions.get(session.id));
  if (context.json) print_json(now.to_json());
  else print_unboxing(now, context.program);
  if (now.state != UnboxingState::recorded) return make_error(ErrorCode::invalid_input, "--source", "拆封录像没有完成（见上）");
  return {};
}

struct MarkFlags {
  std::string case_number, step, note;
  double at = -1;
};

Status run_mark(Context& context, const MarkFlags& flags) {
  Services services(context);
  NETSAMPLE_ASSIGN(UnboxingView s, services.sessions.latest(flags.case_number));
  json marked;
  if (s.state == UnboxingState::recording && !s.imported && flags.at < 0) {
    NETSAMPLE_ASSIGN(marked, mark_live_step(s, flags.step, flags.note, context.actor));
  } else {
    if (flags.at < 0) return make_error(ErrorCode::missing_field, "--at", "导入的视频须用 --at 秒数 指明该步骤在视频中的位置");
    UnboxingVideo video(context.runtime->store(), services.lifecycle, services.sessions, [](const std::string&) {});
    NETSAMPLE_ASSIGN(UnboxStep added, video.mark_at(s, flags.step, flags.at, flags.note, context.actor));
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
  if (s.state == UnboxingState::recording) {
    // A live recording: the recorder stops and seals; `unbox start` then stores it and reads the labels.
    std::cerr << "netsample: 正在结束拆封录像……\n";
    NETSAMPLE_ASSIGN(s, finish_live(services.sessions, s, std::chrono::minutes(5)));
  }
  if (flags.accept || !flags.return_reason.empty()) {
    NETSAMPLE_ASSIGN(s, services.sessions.decide(s.id, flags.accept ? Decision::accept : Decision::return_samples, flags.return_reason, flags.note, context.actor));
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
