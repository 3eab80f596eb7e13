// `netsample record` and `record mark`: the recorder on the command line (recorder/recorder.h). They run in
// the netsample-recorder program (`netsample record` hands over to it): only it loads FFmpeg.
#include "commands.h"
#include "record.h"
#include "netsample/recorder/control.h"
#include "netsample/recorder/recorder.h"

namespace netsample::app {
namespace {

using namespace recorder;
namespace fs = std::filesystem;

int run_record(Context& context, const RecordFlags& flags) {
  auto built = to_recorder_options(flags);
  if (!built.ok()) return report(context, built.error());
  RecorderOptions options = std::move(built).value();
  options.out_dir = flags.out;
  options.case_number = flags.case_number;
  Console console("netsample record");
  auto print_notice = [&console](const Notice& notice) { console.notice(notice); };
  install_stop_signals();
  auto started = Recorder::start(options, print_notice);
  if (!started.ok()) return report(context, started.error());
  std::unique_ptr<Recorder> rec = std::move(started).value();
  auto control = ControlServer::start(options.out_dir, [&rec](const nlohmann::json& request) -> Result<nlohmann::json> {
    if (request.value("command", "") != "mark") return make_error(ErrorCode::invalid_input, "command", "未知命令 " + request.value("command", ""));
    NETSAMPLE_ASSIGN(Marker marker, rec->mark(request.value("step", ""), request.value("note", "")));
    return nlohmann::json{{"marker", marker.to_json()}};
  });
  if (!control.ok()) print_notice(Notice{NoticeLevel::warning, control.error().describe() + "（record mark 将不可用）"});
  std::cerr << "netsample record: 开始录制 " << options.source.text << " → " << options.out_dir.string()
            << "（Ctrl+C 结束并封存；另开终端用 `" << context.program << " record mark " << options.out_dir.string() << " 步骤` 加标记）\n";

  while (!stop_signal && !rec->capture_ended()) pause_and_tick(console, rec->progress());
  if (control.ok()) control->reset();
  console.end_line();
  std::cerr << "netsample record: 正在结束并封存……\n";
  auto outcome = rec->finish();
  if (!outcome.ok()) return report(context, outcome.error());
  const RecordingOutcome& o = *outcome;
  if (context.json) {
    print_json({{"dir", o.dir.string()}, {"frames", o.frames}, {"dropped", o.dropped}, {"gaps", o.gaps}, {"time_verified", o.time_verified},
                {"gave_up", o.gave_up}, {"stop_reason", o.stop_reason}, {"manifest_sha256", o.manifest_sha256}, {"tokens", o.tokens},
                {"tsa_failures", o.tsa_failures}, {"playback_failure", o.playback_failure.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.playback_failure)}});
  } else {
    std::cout << "录像已封存：" << o.dir.string() << "\n  帧 " << o.frames << "，丢帧 " << o.dropped << "，间断 " << o.gaps << "，结束原因 "
              << o.stop_reason << "\n  清单 SHA-256 " << o.manifest_sha256 << "，可信时间戳 " << o.tokens << " 个\n";
    for (const auto& f : o.tsa_failures) std::cout << "  时间戳失败：" << f << "\n";
    if (o.tokens == 0) std::cout << "  注意：没有任何时间戳服务应答，清单未加盖可信时间戳（verify 会报告）\n";
    if (!o.time_verified) std::cout << "  注意：时间未经网络校验\n";
    if (!o.playback_failure.empty()) std::cout << "  注意：回放副本 playback.mp4 未能写出（播放器仍可用 recording.mp4）：" << o.playback_failure << "\n";
    std::cout << "  校验：" << context.program << " verify " << o.dir.string() << "\n";
  }
  return o.gave_up ? exit_code_for(ErrorCode::internal) : 0;  // the watchdog ended it: a system failure
}

}  // namespace

void add_record_commands(CLI::App& app, Context& context, int& exit_code) {
  auto flags = std::make_shared<RecordFlags>();
  CLI::App* record = app.add_subcommand("record", "连续录制屏幕（第35条：购买全过程一段连续视频，先网络校时），Ctrl+C 结束并封存");
  add_recorder_flags(record, *flags);
  record->add_option("--out", flags->out, "输出目录（须为新目录或空目录）");
  record->add_option("--case", flags->case_number, "案件编号（写在画面上方的时间条里，写入清单）");
  record->callback([&context, &exit_code, flags, record] {
    if (record->get_subcommands().empty()) {
      if (flags->out.empty()) {
        exit_code = report(context, make_error(ErrorCode::missing_field, "--out", "须指定输出目录（--out DIR）"));
        return;
      }
      exit_code = run_record(context, *flags);
    }
  });

  auto mark_dir = std::make_shared<std::string>();
  auto mark_step = std::make_shared<std::string>();
  auto mark_note = std::make_shared<std::string>();
  CLI::App* mark = record->add_subcommand("mark", "给正在进行的录制加标记：步骤、说明和当前画面的静帧");
  mark->add_option("DIR", *mark_dir, "正在录制的输出目录")->required();
  mark->add_option("STEP", *mark_step, "步骤标识（小写字母、数字、下划线，如 search、order）")->required();
  mark->add_option("--note", *mark_note, "说明");
  mark->callback([&context, &exit_code, mark_dir, mark_step, mark_note] {
    auto answer = send_control(*mark_dir, {{"command", "mark"}, {"step", *mark_step}, {"note", *mark_note}});
    if (!answer.ok()) {
      exit_code = report(context, answer.error());
      return;
    }
    const auto& m = (*answer)["marker"];
    if (context.json)
      print_json(m);
    else
      std::cout << "标记 " << m.value("step", "") << "：第 " << m.value("frame", 0) << " 帧，" << m.value("time", "") << "，静帧 "
                << (fs::path(*mark_dir) / m.value("still", "")).string() << "\n";
  });

}

}  // namespace netsample::app
