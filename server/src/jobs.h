// Work that takes longer than a request should: importing an unboxing video (hashing, stamping, reading every
// label off it) and marking a step on it (a still cut from the video) run netsample-recorder, the program that
// links FFmpeg and OpenCV, as the command line does (`netsample unbox …` hands over to it too). A job is queued,
// run one at a time in the order received (they are CPU-bound on a small machine), and its state read with
// GET /api/jobs/{id}: queued, running, done (with the program's JSON) or failed (with its error as JSON).
// Jobs are kept in memory: after a restart the sessions they made are in the database, the job records not.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "netsample/core/time.h"

namespace netsample::server {

enum class JobState { queued, running, done, failed };
std::string_view to_string(JobState state);

struct Job {
  std::int64_t id = 0;
  std::string kind;         // "unboxing_import", "unboxing_step"
  std::string case_number;
  std::string login;        // who asked: only they (and an administrator) may read it
  JobState state = JobState::queued;
  UtcTime queued, started, finished;
  nlohmann::json result;    // done: what the program printed with --json
  nlohmann::json error;     // failed: core/error.h's JSON form (code, field, message, article)
  std::vector<std::string> argv;
  std::vector<std::string> cleanup;  // files removed when the job ends (an upload it consumed)
  std::string data_dir;               // paths under it are shown relative to it: the server's disk is nobody's business

  nlohmann::json to_json() const;
};

class Jobs {
 public:
  Jobs();
  ~Jobs();  // stops after the running job; queued ones are dropped
  Jobs(const Jobs&) = delete;
  Jobs& operator=(const Jobs&) = delete;

  // Queues `argv` (an absolute program path and its arguments, no shell).
  Job submit(Job job);
  std::optional<Job> find(std::int64_t id) const;
  // Waits until the job ended or `timeout` passed; the job as it is then.
  std::optional<Job> wait(std::int64_t id, std::chrono::milliseconds timeout) const;
  // From now on wait() returns at once (the service is stopping).
  void stop_waiting();

 private:
  void run(std::stop_token stop);
  mutable std::mutex mutex_;
  mutable std::condition_variable_any changed_;
  std::map<std::int64_t, Job> jobs_;
  std::deque<std::int64_t> queue_;
  std::int64_t next_id_ = 1;
  bool stop_waiting_ = false;
  std::jthread runner_;
};

}  // namespace netsample::server
