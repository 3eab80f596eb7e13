// `netsample record` and `record mark`: the recorder on the command line (recorder/recorder.h). They run in
// the netsample-recorder program (`netsample record` hands over to it): only it loads FFmpeg.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iomanip>
#include <sstream>
#include <thread>

#include "commands.h"
#include "netsample/recorder/control.h"
#include "netsample/recorder/recorder.h"

namespace netsample::app {
namespace {

using namespace recorder;
namespace fs = std::filesystem;

volatile std::sig_atomic_t stop_signal = 0;
void on_stop_signal(int signal) { stop_signal = signal; }

std::string megabytes(std::uint64_t bytes) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(1) << static_cast<double>(bytes) / 1e6 << " MB";
  return out.str();
}

std::string clock_text(std::int64_t ms) {
  char text[32];
  std::snprintf(text, sizeof text, "%02lld:%02lld:%02lld", static_cast<long long>(ms / 3600000),
                static_cast<long long>(ms / 60000 % 60), static_cast<long long>(ms / 1000 % 60));
  return text;
}

std::string progress_line(const Progress& p) {
  std::ostringstream out;
  out << "录制中 " << clock_text(p.elapsed_ms) << "  帧 " << p.frames << "  丢帧 " << p.dropped << "  " << megabytes(p.bytes) << "  ";
  if (p.time_verified)
    out << "时差 " << std::showpos << std::fixed << std::setprecision(3) << static_cast<double>(p.offset_us) / 1e6 << std::noshowpos
        << " 秒 ±" << std::setprecision(1) << static_cast<double>(p.uncertainty_us) / 1000 << " 毫秒";
  else
    out << "时间未经网络校验";
  if (p.gaps) out << "  间断 " << p.gaps;
  return out.str();
}

struct RecordFlags {
  std::string source = "x11::0";
  std::string region, out, case_number;
  int fps = 15;
  std::vector<std::string> ntp, tsa;
  int tsa_interval = 300;
  double duration = 0;
};

int run_record(Context& context, const RecordFlags& flags) {
  RecorderOptions options;
  auto source = parse_source(flags.source, "--source");
  if (!source.ok()) return report(context, source.error());
  options.source = *source;
  if (!flags.region.empty()) {
    auto region = parse_region(flags.region, "--region");
    if (!region.ok()) return report(context, region.error());
    options.region = *region;
  }
  options.out_dir = flags.out;
  options.case_number = flags.case_number;
  options.fps = flags.fps;
  for (const auto& text : flags.ntp) {
    auto server = parse_ntp_server(text, "--ntp");
    if (!server.ok()) return report(context, server.error());
    options.ntp_servers.push_back(*server);
  }
  options.tsa_urls = flags.tsa;
  options.tsa_interval = std::chrono::seconds(flags.tsa_interval);
  if (flags.duration != 0) options.duration = std::chrono::milliseconds(static_cast<std::int64_t>(flags.duration * 1000));

  const bool terminal = ::isatty(STDERR_FILENO);
  bool line_shown = false;
  std::mutex print_mutex;
  auto print_notice = [&](const Notice& notice) {
    std::lock_guard lock(print_mutex);
    if (line_shown) std::cerr << "\r\033[K";
    line_shown = false;
    const char* label = notice.level == NoticeLevel::error ? "错误" : notice.level == NoticeLevel::warning ? "注意" : "信息";
    std::cerr << "netsample record: " << label << "：" << notice.text << "\n";
  };

  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  auto started = Recorder::start(options, print_notice);
  if (!started.ok()) return report(context, started.error());
  std::unique_ptr<Recorder> rec = std::move(started).value();
  auto control = ControlServer::start(options.out_dir, [&rec](const nlohmann::json& request) -> nlohmann::json {
    if (request.value("command", "") != "mark") return {{"ok", false}, {"error", "未知命令"}};
    auto marker = rec->mark(request.value("step", ""), request.value("note", ""));
    if (!marker.ok()) return {{"ok", false}, {"error", marker.error().describe()}, {"code", to_string(marker.error().code)}};
    return {{"ok", true}, {"marker", marker->to_json()}};
  });
  if (!control.ok()) print_notice(Notice{NoticeLevel::warning, control.error().describe() + "（record mark 将不可用）"});
  std::cerr << "netsample record: 开始录制 " << options.source.text << " → " << options.out_dir.string()
            << "（Ctrl+C 结束并封存；另开终端用 `" << context.program << " record mark " << options.out_dir.string() << " 步骤` 加标记）\n";

  int ticks = 0;
  while (!stop_signal && !rec->capture_ended()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if (++ticks % (terminal ? 5 : 50) != 0) continue;
    std::lock_guard lock(print_mutex);
    if (terminal) {
      std::cerr << "\r\033[K" << progress_line(rec->progress()) << std::flush;
      line_shown = true;
    } else {
      std::cerr << progress_line(rec->progress()) << "\n";
    }
  }
  if (control.ok()) control->reset();
  {
    std::lock_guard lock(print_mutex);
    if (line_shown) std::cerr << "\n";
    line_shown = false;
  }
  std::cerr << "netsample record: 正在结束并封存……\n";
  auto outcome = rec->finish();
  if (!outcome.ok()) return report(context, outcome.error());
  const RecordingOutcome& o = *outcome;
  if (context.json) {
    print_json({{"dir", o.dir.string()}, {"frames", o.frames}, {"dropped", o.dropped}, {"gaps", o.gaps}, {"time_verified", o.time_verified},
                {"gave_up", o.gave_up}, {"stop_reason", o.stop_reason}, {"manifest_sha256", o.manifest_sha256}, {"tokens", o.tokens},
                {"tsa_failures", o.tsa_failures}});
  } else {
    std::cout << "录像已封存：" << o.dir.string() << "\n  帧 " << o.frames << "，丢帧 " << o.dropped << "，间断 " << o.gaps << "，结束原因 "
              << o.stop_reason << "\n  清单 SHA-256 " << o.manifest_sha256 << "，可信时间戳 " << o.tokens << " 个\n";
    for (const auto& f : o.tsa_failures) std::cout << "  时间戳失败：" << f << "\n";
    if (o.tokens == 0) std::cout << "  注意：没有任何时间戳服务应答，清单未加盖可信时间戳（verify 会报告）\n";
    if (!o.time_verified) std::cout << "  注意：时间未经网络校验\n";
    std::cout << "  校验：" << context.program << " verify " << o.dir.string() << "\n";
  }
  return o.gave_up ? 1 : 0;
}

}  // namespace

void add_record_commands(CLI::App& app, Context& context, int& exit_code) {
  auto flags = std::make_shared<RecordFlags>();
  CLI::App* record = app.add_subcommand("record", "连续录制屏幕（第35条：购买全过程一段连续视频，先网络校时），Ctrl+C 结束并封存");
  record->add_option("--source", flags->source, "录制来源：x11:显示器（如 x11::0）、gdigrab:desktop、avfoundation:屏幕序号、file:视频文件")
      ->capture_default_str();
  record->add_option("--region", flags->region, "只录屏幕的一部分：宽x高+左+上（如 1280x720+0+0）");
  record->add_option("--out", flags->out, "输出目录（须为新目录或空目录）");
  record->add_option("--case", flags->case_number, "案件编号（叠加在画面上，写入清单）");
  record->add_option("--fps", flags->fps, "帧率")->capture_default_str();
  record->add_option("--ntp", flags->ntp, "NTP 服务器 主机[:端口]，可多个（默认 ntp.ntsc.ac.cn，国家授时中心）");
  record->add_option("--tsa", flags->tsa, "RFC 3161 时间戳服务地址，可多个（每个都为同一清单盖时间戳）");
  record->add_option("--tsa-interval", flags->tsa_interval, "录制中每隔多少秒为哈希链盖一次时间戳")->capture_default_str();
  record->add_option("--duration", flags->duration, "录制多少秒后自动结束（默认直到 Ctrl+C）");
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
    if (!answer->value("ok", false)) {
      std::cerr << "netsample: 错误 " << answer->value("error", "") << "\n";
      if (context.json) print_json(*answer);
      exit_code = 2;
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
