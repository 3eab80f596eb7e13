// What `record` and `purchase start` share in netsample-recorder: the recorder's flags, the terminal
// (notices above a progress line that rewrites itself), and Ctrl+C / SIGTERM as "finish and seal".
#pragma once

#include <csignal>
#include <mutex>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli.h"
#include "netsample/recorder/recorder.h"

namespace netsample::app {

struct RecordFlags {
  std::string source = "x11::0";
  std::string region, out, case_number;
  int fps = 15;
  std::vector<std::string> ntp, tsa;
  int tsa_interval = 300;
  double duration = 0;
};

// --source, --region, --fps, --ntp, --tsa, --tsa-interval, --duration.
void add_recorder_flags(CLI::App* command, RecordFlags& flags);
// Everything but out_dir and case_number; errors name the flag.
Result<recorder::RecorderOptions> to_recorder_options(const RecordFlags& flags);

// Set by SIGINT/SIGTERM once install_stop_signals() ran.
extern volatile std::sig_atomic_t stop_signal;
void install_stop_signals();

std::string progress_line(const recorder::Progress& progress);

// Waits ~200 ms, then shows the progress on `console`: the recording loops' pace.
void pause_and_tick(class Console& console, const recorder::Progress& progress);

class Console {
 public:
  explicit Console(std::string program) : program_(std::move(program)), terminal_(isatty_stderr()) {}
  void notice(const recorder::Notice& notice);
  void say(const std::string& text);  // a line of our own, above the progress line
  // Called every ~200 ms: every fifth call (terminal) or fiftieth (log) shows the progress line.
  void tick(const recorder::Progress& progress);
  void end_line();

 private:
  static bool isatty_stderr();
  void clear_line();  // REQUIRES: mutex_ held
  std::string program_;
  bool terminal_;
  std::mutex mutex_;
  bool line_shown_ = false;
  int ticks_ = 0;
};

}  // namespace netsample::app
