// Other programs, started without a shell: run to completion with their output captured, or kept running
// in the background for as long as their owner lives. Product code uses it to ask a browser its version
// and to run its own sibling programs; the tests and the demo to start their stand-ins.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "netsample/core/error.h"

namespace netsample {

struct ProgramOutput {
  int exit_code = -1;  // -signal when killed by a signal
  std::string out, err;
};

// Runs a program (absolute path, no shell) to completion and captures its output.
Result<ProgramOutput> run_program(const std::vector<std::string>& argv);

// A program running in the background in its own process group, output to `log`; killed (SIGKILL, with
// its group) and reaped when the object dies unless it was reaped before. `argv[0]` is looked up in PATH.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::filesystem::path& log, const std::vector<std::string>& extra_env = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  int pid() const { return pid_; }
  void signal(int sig) const;
  bool running();
  // Its exit code (or -signal) once it ended, nullopt if it is still running after `timeout`.
  std::optional<int> wait_for(std::chrono::milliseconds timeout);

 private:
  int pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
};

// The path of a program installed beside the running one (netsample beside netsample-recorder).
std::filesystem::path sibling_program(const std::string& name);

}  // namespace netsample
