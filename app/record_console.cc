#include <unistd.h>

#include <iomanip>
#include <iostream>
#include <sstream>
#include <thread>

#include "record.h"

namespace netsample::app {

using namespace recorder;

volatile std::sig_atomic_t stop_signal = 0;

namespace {

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

}  // namespace

void install_stop_signals() {
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
}

void add_recorder_flags(CLI::App* command, RecordFlags& flags) {
  command->add_option("--source", flags.source, "录制来源：x11:显示器（如 x11::0）、gdigrab:desktop、avfoundation:屏幕序号、file:视频文件")
      ->capture_default_str();
  command->add_option("--region", flags.region, "只录屏幕的一部分：宽x高+左+上（如 1280x720+0+0）");
  command->add_option("--fps", flags.fps, "帧率")->capture_default_str();
  command->add_option("--ntp", flags.ntp, "NTP 服务器 主机[:端口]，可多个（默认 ntp.ntsc.ac.cn，国家授时中心）");
  command->add_option("--tsa", flags.tsa, "RFC 3161 时间戳服务地址，可多个（每个都为同一清单盖时间戳）");
  command->add_option("--tsa-interval", flags.tsa_interval, "录制中每隔多少秒为哈希链盖一次时间戳")->capture_default_str();
  command->add_option("--duration", flags.duration, "录制多少秒后自动结束（默认直到 Ctrl+C）");
}

Result<RecorderOptions> to_recorder_options(const RecordFlags& flags) {
  RecorderOptions options;
  NETSAMPLE_ASSIGN(options.source, parse_source(flags.source, "--source"));
  if (!flags.region.empty()) {
    NETSAMPLE_ASSIGN(Region region, parse_region(flags.region, "--region"));
    options.region = region;
  }
  options.fps = flags.fps;
  for (const auto& text : flags.ntp) {
    NETSAMPLE_ASSIGN(NtpServer server, parse_ntp_server(text, "--ntp"));
    options.ntp_servers.push_back(server);
  }
  options.tsa_urls = flags.tsa;
  options.tsa_interval = std::chrono::seconds(flags.tsa_interval);
  if (flags.duration != 0) options.duration = std::chrono::milliseconds(static_cast<std::int64_t>(flags.duration * 1000));
  return options;
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

bool Console::isatty_stderr() { return ::isatty(STDERR_FILENO); }

void Console::clear_line() {
  if (line_shown_) std::cerr << "\r\033[K";
  line_shown_ = false;
}

void Console::notice(const Notice& notice) {
  const char* label = notice.level == NoticeLevel::error ? "错误" : notice.level == NoticeLevel::warning ? "注意" : "信息";
  say(std::string(label) + "：" + notice.text);
}

void Console::say(const std::string& text) {
  std::lock_guard lock(mutex_);
  clear_line();
  std::cerr << program_ << ": " << text << "\n";
}

void Console::tick(const Progress& progress) {
  if (++ticks_ % (terminal_ ? 5 : 50) != 0) return;
  std::lock_guard lock(mutex_);
  if (terminal_) {
    std::cerr << "\r\033[K" << progress_line(progress) << std::flush;
    line_shown_ = true;
  } else {
    std::cerr << progress_line(progress) << "\n";
  }
}

void pause_and_tick(Console& console, const Progress& progress) {
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  console.tick(progress);
}

void Console::end_line() {
  std::lock_guard lock(mutex_);
  if (line_shown_) std::cerr << "\n";
  line_shown_ = false;
}

}  // namespace netsample::app
