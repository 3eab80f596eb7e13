// Liveness of a recording: each stage of the pipeline (capture, encode, write) beats after every unit of
// progress; a monitor thread notices a stage that has not beaten for `stall_after`, says so at once
// (the recorder prints it and records a gap), notices when it recovers, and gives up after
// `give_up_after` so the recorder ends with a non-zero exit instead of pretending to record.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

namespace netsample::recorder {

enum class Stage { capture, encode, write };
inline constexpr int kStageCount = 3;
std::string_view to_string(Stage stage);

enum class WatchKind { stalled, recovered, gave_up };

struct WatchEvent {
  WatchKind kind;
  Stage stage;
  std::int64_t last_beat_ns = 0;  // steady clock of the stage's last progress
  std::chrono::milliseconds silent{0};  // how long it had been silent when the event fired (or in all, on recovery)
};

class Watchdog {
 public:
  struct Options {
    std::chrono::milliseconds stall_after{2000};
    std::chrono::milliseconds give_up_after{10000};
    std::chrono::milliseconds check_every{100};
  };
  // `listener` runs on the monitor thread; it must be quick (print, record) and must not call back in.
  Watchdog(Options options, std::function<void(const WatchEvent&)> listener);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // Thread-safe, wait-free: callable from each stage's own thread.
  void beat(Stage stage);
  bool gave_up() const { return gave_up_.load(); }
  std::vector<WatchEvent> events() const;

 private:
  void monitor();

  Options options_;
  std::function<void(const WatchEvent&)> listener_;
  std::array<std::atomic<std::int64_t>, kStageCount> last_beat_ns_{};
  std::array<bool, kStageCount> stalled_{};  // monitor thread only
  std::atomic<bool> gave_up_{false};
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::vector<WatchEvent> events_;
  std::thread thread_;
};

}  // namespace netsample::recorder
