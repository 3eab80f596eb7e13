#include "netsample/recorder/watchdog.h"

#include <algorithm>

namespace netsample::recorder {
namespace {

using namespace std::chrono;

std::int64_t now_ns() { return duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count(); }

}  // namespace

std::string_view to_string(Stage stage) {
  switch (stage) {
    case Stage::capture: return "capture";
    case Stage::encode: return "encode";
    case Stage::write: return "write";
  }
  return "?";
}

Watchdog::Watchdog(Options options, std::function<void(const WatchEvent&)> listener)
    : options_(options), listener_(std::move(listener)) {
  const std::int64_t start = now_ns();  // every stage counts as alive at the start
  for (auto& beat : last_beat_ns_) beat.store(start);
  thread_ = std::thread([this] { monitor(); });
}

Watchdog::~Watchdog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Watchdog::beat(Stage stage) { last_beat_ns_[static_cast<size_t>(stage)].store(now_ns(), std::memory_order_relaxed); }

std::vector<WatchEvent> Watchdog::events() const {
  std::lock_guard lock(mutex_);
  return events_;
}

void Watchdog::monitor() {
  std::unique_lock lock(mutex_);
  std::int64_t last_check = now_ns();
  std::int64_t resumed_at = 0;
  while (!stopping_ && !gave_up_) {
    wake_.wait_for(lock, options_.check_every, [this] { return stopping_; });
    if (stopping_) break;
    const std::int64_t now = now_ns();
    // The monitor itself overslept: the whole process was paused (SIGSTOP, suspend). That pause is not a
    // stall of one stage (the capture-interval check reports it as a gap); silence counts from the resume.
    if (nanoseconds(now - last_check) > std::max<nanoseconds>(options_.stall_after / 2, options_.check_every * 5)) resumed_at = now;
    last_check = now;
    for (int i = 0; i < kStageCount; ++i) {
      const std::int64_t last = last_beat_ns_[static_cast<size_t>(i)].load(std::memory_order_relaxed);
      const auto silent = duration_cast<milliseconds>(nanoseconds(now - std::max(last, resumed_at)));
      const Stage stage = static_cast<Stage>(i);
      std::optional<WatchEvent> event;
      if (!stalled_[static_cast<size_t>(i)] && silent >= options_.stall_after) {
        stalled_[static_cast<size_t>(i)] = true;
        event = WatchEvent{WatchKind::stalled, stage, last, silent};
      } else if (stalled_[static_cast<size_t>(i)] && silent < options_.stall_after) {
        const WatchEvent* stall = nullptr;
        for (const auto& e : events_)
          if (e.stage == stage && e.kind == WatchKind::stalled) stall = &e;
        // Recovered only by a beat of its own: an oversleep of the monitor (above) resets the silence too, while
        // the stage may still be stuck.
        if (stall && last == stall->last_beat_ns) continue;
        stalled_[static_cast<size_t>(i)] = false;
        // The silence lasted from the last beat before the stall to the first beat after it.
        const auto lasted = stall ? duration_cast<milliseconds>(nanoseconds(last - stall->last_beat_ns)) : silent;
        event = WatchEvent{WatchKind::recovered, stage, last, lasted};
      } else if (stalled_[static_cast<size_t>(i)] && silent >= options_.give_up_after) {
        gave_up_ = true;
        event = WatchEvent{WatchKind::gave_up, stage, last, silent};
      }
      if (!event) continue;
      events_.push_back(*event);
      lock.unlock();  // the listener may print or write; never hold the lock over it
      listener_(*event);
      lock.lock();
      if (gave_up_) break;
    }
  }
}

}  // namespace netsample::recorder
