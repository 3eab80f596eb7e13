// The access log: one JSON line per request. To a caller's sink line by line, or to standard output through a
// buffer that a background thread writes out every 200 ms (and at the end): one write per burst of requests,
// not one per request, and never more than a fifth of a second behind.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace netsample::server {

class AccessLog {
 public:
  // `sink` set: each line goes to it at once (tests). Unset: standard output, buffered as above.
  explicit AccessLog(std::function<void(const std::string& line)> sink);
  ~AccessLog();  // writes out what is buffered
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  void write(const std::string& line);  // thread-safe
  void flush();

 private:
  void flush_locked();
  std::function<void(const std::string&)> sink_;
  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::string buffer_;
  std::jthread flusher_;
};

}  // namespace netsample::server
