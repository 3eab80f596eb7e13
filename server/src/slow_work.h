// Routes that may take seconds — verifying a recording, building an export, hashing a password, waiting for a
// job — run here, on threads of their own, while libmicrohttpd's workers go on with every other connection:
// the connection is suspended (MHD_suspend_connection), the task answers it and resumes it. A few threads are
// enough: more slow requests than threads wait in line, and no fast request ever waits behind them.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace netsample::server {

class SlowWork {
 public:
  // run: the work; cancel: what to do instead when the service stops before the work began.
  struct Task {
    std::function<void()> run;
    std::function<void()> cancel;
  };

  explicit SlowWork(unsigned threads);
  // Cancels the tasks not begun and waits for those running.
  ~SlowWork();
  SlowWork(const SlowWork&) = delete;
  SlowWork& operator=(const SlowWork&) = delete;

  void submit(Task task);

 private:
  void work(std::stop_token stop);
  std::mutex mutex_;
  std::condition_variable_any ready_;
  std::deque<Task> queue_;
  std::vector<std::jthread> threads_;
};

}  // namespace netsample::server
