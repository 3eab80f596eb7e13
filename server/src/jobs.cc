#include "jobs.h"

#include <filesystem>

#include "netsample/core/error.h"
#include "netsample/core/process.h"

namespace netsample::server {

using nlohmann::json;

namespace {
constexpr std::size_t kKeptJobs = 500;  // the oldest finished ones go beyond this
}

std::string_view to_string(JobState state) {
  switch (state) {
    case JobState::queued: return "queued";
    case JobState::running: return "running";
    case JobState::done: return "done";
    case JobState::failed: return "failed";
  }
  return "failed";
}

json Job::to_json() const {
  json out = {{"id", id}, {"kind", kind}, {"case", case_number}, {"by", login}, {"state", to_string(state)},
              {"queued", format_iso8601_beijing(queued)}, {"url", "/api/jobs/" + std::to_string(id)}};
  if (state != JobState::queued) out["started"] = format_iso8601_beijing(started);
  if (state == JobState::done || state == JobState::failed) out["finished"] = format_iso8601_beijing(finished);
  if (state == JobState::done) out["result"] = result;
  if (state == JobState::failed) {
    out["error"] = error;
    if (!result.is_null()) out["result"] = result;  // what the program said beside its error
  }
  return out;
}

Jobs::Jobs() : runner_([this](std::stop_token stop) { run(stop); }) {}

Jobs::~Jobs() {
  runner_.request_stop();
  changed_.notify_all();
}

Job Jobs::submit(Job job) {
  std::lock_guard lock(mutex_);
  job.id = next_id_++;
  job.state = JobState::queued;
  job.queued = SystemClock().now();
  jobs_[job.id] = job;
  queue_.push_back(job.id);
  if (jobs_.size() > kKeptJobs)
    for (auto it = jobs_.begin(); it != jobs_.end() && jobs_.size() > kKeptJobs;)
      it = (it->second.state == JobState::done || it->second.state == JobState::failed) ? jobs_.erase(it) : std::next(it);
  changed_.notify_all();
  return job;
}

std::optional<Job> Jobs::find(std::int64_t id) const {
  std::lock_guard lock(mutex_);
  const auto it = jobs_.find(id);
  if (it == jobs_.end()) return std::nullopt;
  return it->second;
}

std::optional<Job> Jobs::wait(std::int64_t id, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] {
    const auto it = jobs_.find(id);
    return stop_waiting_ || it == jobs_.end() || it->second.state == JobState::done || it->second.state == JobState::failed;
  });
  const auto it = jobs_.find(id);
  if (it == jobs_.end()) return std::nullopt;
  return it->second;
}

void Jobs::stop_waiting() {
  {
    std::lock_guard lock(mutex_);
    stop_waiting_ = true;
  }
  changed_.notify_all();
}

namespace {

// Every string in `doc` with "<data_dir>/" taken out ("file:/srv/data/uploads/x" -> "file:uploads/x").
void hide_paths(json& doc, const std::string& data_dir) {
  if (data_dir.empty()) return;
  const std::string prefix = data_dir + "/";
  if (doc.is_string()) {
    std::string text = doc.get<std::string>();
    for (size_t at = text.find(prefix); at != std::string::npos; at = text.find(prefix, at)) text.erase(at, prefix.size());
    doc = text;
  } else if (doc.is_structured()) {
    for (auto& item : doc) hide_paths(item, data_dir);
  }
}

}  // namespace

void Jobs::run(std::stop_token stop) {
  std::unique_lock lock(mutex_);
  while (!stop.stop_requested()) {
    changed_.wait(lock, stop, [&] { return !queue_.empty(); });
    if (stop.stop_requested()) return;
    const std::int64_t id = queue_.front();
    queue_.pop_front();
    Job& job = jobs_.at(id);
    job.state = JobState::running;
    job.started = SystemClock().now();
    const std::vector<std::string> argv = job.argv;
    changed_.notify_all();

    lock.unlock();
    auto output = run_program(argv);
    lock.lock();

    Job& ended = jobs_.at(id);
    ended.finished = SystemClock().now();
    if (!output.ok()) {
      ended.state = JobState::failed;
      ended.error = error_to_json(output.error());
    } else if (output->exit_code != 0) {
      // The program says what failed as an Error's JSON on standard output (--json), else in words on standard error.
      ended.state = JobState::failed;
      json said = json::parse(output->out.empty() ? "null" : output->out, nullptr, false);
      // A program that said more than its error (a page that did not answer, still preserved) keeps it as the result.
      if (said.is_object() && said.contains("error") && said.size() > 1) ended.result = said;
      if (said.is_object() && said.contains("error")) said = said["error"];
      ended.error = said.is_object() && said.contains("code")
                        ? said
                        : error_to_json(make_error(ErrorCode::invalid_input, "", output->err.empty() ? "处理失败（退出码 " + std::to_string(output->exit_code) + "）" : output->err));
    } else {
      ended.state = JobState::done;
      ended.result = json::parse(output->out, nullptr, false);
      if (ended.result.is_discarded()) ended.result = output->out;
    }
    hide_paths(ended.result, ended.data_dir);
    hide_paths(ended.error, ended.data_dir);
    for (const auto& path : ended.cleanup) {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
    changed_.notify_all();
  }
}

}  // namespace netsample::server
