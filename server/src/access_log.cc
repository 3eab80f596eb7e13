#include "access_log.h"

#include <unistd.h>

#include <chrono>

namespace netsample::server {

AccessLog::AccessLog(std::function<void(const std::string& line)> sink) : sink_(std::move(sink)) {
  if (sink_) return;
  flusher_ = std::jthread([this](std::stop_token stop) {
    std::unique_lock lock(mutex_);
    while (!stop.stop_requested()) {
      wake_.wait_for(lock, stop, std::chrono::milliseconds(200), [] { return false; });
      flush_locked();
    }
  });
}

AccessLog::~AccessLog() {
  if (flusher_.joinable()) {
    flusher_.request_stop();
    flusher_.join();
  }
  flush();
}

void AccessLog::write(const std::string& line) {
  std::lock_guard lock(mutex_);
  if (sink_) {
    sink_(line);
    return;
  }
  buffer_ += line;
  buffer_ += '\n';
  if (buffer_.size() >= (64 << 10)) flush_locked();  // a burst: write it now rather than hold much memory
}

void AccessLog::flush() {
  std::lock_guard lock(mutex_);
  flush_locked();
}

void AccessLog::flush_locked() {
  size_t done = 0;
  while (done < buffer_.size()) {
    const ssize_t n = ::write(STDOUT_FILENO, buffer_.data() + done, buffer_.size() - done);
    if (n <= 0) break;  // standard output closed or full: the log is lost, the service goes on
    done += static_cast<size_t>(n);
  }
  buffer_.clear();
}

}  // namespace netsample::server
