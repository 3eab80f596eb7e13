// Work the service does on its own schedule (background.h, station_sync.h): `round` now, then every `interval`, on a
// thread of its own, until the object is destroyed — which wakes the wait and lets the round in progress finish.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace netsample::server {

class Periodic {
 public:
  // REQUIRES: whatever `round` uses outlives this object (declare it as the owner's last member).
  Periodic(std::chrono::seconds interval, std::function<void()> round)
      : interval_(interval), round_(std::move(round)), thread_([this](std::stop_token stop) { run(stop); }) {}
  ~Periodic() {
    thread_.request_stop();
    wake_.notify_all();
  }
  Periodic(const Periodic&) = delete;
  Periodic& operator=(const Periodic&) = delete;

 private:
  void run(std::stop_token stop) {
    std::unique_lock lock(mutex_);
    while (!stop.stop_requested()) {
      lock.unlock();
      round_();
      lock.lock();
      wake_.wait_for(lock, stop, interval_, [] { return false; });
    }
  }
  std::chrono::seconds interval_;
  std::function<void()> round_;
  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::jthread thread_;  // last: started once the rest is ready, joined first
};

}  // namespace netsample::server
