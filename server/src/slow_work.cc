#include "slow_work.h"

namespace netsample::server {

SlowWork::SlowWork(unsigned threads) {
  for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this](std::stop_token stop) { work(stop); });
}

SlowWork::~SlowWork() {
  std::deque<Task> dropped;
  {
    std::lock_guard lock(mutex_);
    dropped.swap(queue_);
  }
  for (auto& task : dropped) task.cancel();
  for (auto& thread : threads_) thread.request_stop();
  threads_.clear();  // joins: the running tasks finish
}

void SlowWork::submit(Task task) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(task));
  }
  ready_.notify_one();
}

void SlowWork::work(std::stop_token stop) {
  for (;;) {
    Task task;
    {
      std::unique_lock lock(mutex_);
      if (!ready_.wait(lock, stop, [this] { return !queue_.empty(); })) return;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task.run();
  }
}

}  // namespace netsample::server
