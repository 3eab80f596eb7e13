// The watchdog with short thresholds (the recorder uses 2 s and 10 s); margins are wide so a loaded CI
// machine does not turn scheduling delays into failures.
#include "netsample/recorder/watchdog.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace netsample::recorder {
namespace {

using namespace std::chrono;

const Watchdog::Options kFast{milliseconds(150), milliseconds(1200), milliseconds(10)};

// Beats the given stages every 10 ms until stopped.
class Pipeline {
 public:
  Pipeline(Watchdog& dog, std::vector<Stage> stages) : thread_([this, &dog, stages] {
      while (!stop_) {
        for (Stage s : stages)
          if (!(s == paused_stage_.load() && paused_)) dog.beat(s);
        std::this_thread::sleep_for(milliseconds(10));
      }
    }) {}
  ~Pipeline() {
    stop_ = true;
    thread_.join();
  }
  void pause(Stage stage) {
    paused_stage_ = stage;
    paused_ = true;
  }
  void resume() { paused_ = false; }

 private:
  std::atomic<bool> stop_{false}, paused_{false};
  std::atomic<Stage> paused_stage_{Stage::capture};
  std::thread thread_;
};

TEST(Watchdog, HealthyPipelineRaisesNothing) {
  Watchdog dog(kFast, [](const WatchEvent&) {});
  Pipeline pipeline(dog, {Stage::capture, Stage::encode, Stage::write});
  std::this_thread::sleep_for(milliseconds(500));
  EXPECT_TRUE(dog.events().empty());
  EXPECT_FALSE(dog.gave_up());
}

TEST(Watchdog, AStalledStageIsReportedAtOnceAndItsRecoveryMeasured) {
  std::atomic<int> heard{0};
  Watchdog dog(kFast, [&](const WatchEvent&) { ++heard; });
  Pipeline pipeline(dog, {Stage::capture, Stage::encode, Stage::write});
  std::this_thread::sleep_for(milliseconds(100));
  pipeline.pause(Stage::write);  // the disk stops taking bytes
  std::this_thread::sleep_for(milliseconds(500));
  pipeline.resume();
  std::this_thread::sleep_for(milliseconds(200));
  const auto events = dog.events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, WatchKind::stalled);
  EXPECT_EQ(events[0].stage, Stage::write);
  EXPECT_GE(events[0].silent, milliseconds(150));
  EXPECT_EQ(events[1].kind, WatchKind::recovered);
  EXPECT_GE(events[1].silent, milliseconds(450));
  EXPECT_LE(events[1].silent, milliseconds(1100));
  EXPECT_EQ(heard.load(), 2);
  EXPECT_FALSE(dog.gave_up());
}

TEST(Watchdog, AStageThatNeverRecoversMakesItGiveUp) {
  std::atomic<bool> told{false};
  Watchdog dog(kFast, [&](const WatchEvent& e) {
    if (e.kind == WatchKind::gave_up) told = true;
  });
  Pipeline pipeline(dog, {Stage::capture, Stage::write});  // encode never beats: the encoder hung at start
  for (int i = 0; i < 300 && !dog.gave_up(); ++i) std::this_thread::sleep_for(milliseconds(10));
  ASSERT_TRUE(dog.gave_up());
  EXPECT_TRUE(told.load());
  const auto events = dog.events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].stage, Stage::encode);
  EXPECT_EQ(events[1].kind, WatchKind::gave_up);
  EXPECT_GE(events[1].silent, milliseconds(1200));
}

}  // namespace
}  // namespace netsample::recorder
