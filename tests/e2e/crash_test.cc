// A writer creating cases in a loop is SIGKILLed at random moments, 20 times. After each kill the
// database passes integrity_check, the audit chain and the records verify, and no case is half-written.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>
#include <thread>

#include "netsample/workflow/cases.h"
#include "testing.h"

namespace netsample {
namespace {

// Starts the writer and returns once it printed "ready" (the store is open), or -1.
pid_t start_writer(const std::filesystem::path& data_dir) {
  int out[2];
  if (::pipe(out) != 0) return -1;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], 1);
    ::close(out[0]);
    ::execl(NETSAMPLE_CRASH_WRITER, NETSAMPLE_CRASH_WRITER, data_dir.c_str(), nullptr);
    ::_exit(127);
  }
  ::close(out[1]);
  std::string line;
  char c;
  while (::read(out[0], &c, 1) == 1 && c != '\n') line += c;
  ::close(out[0]);  // the writer's later output is not read; it writes nothing more to stdout
  return line == "ready" ? pid : -1;
}

TEST(CrashSafety, SigkillAtRandomMomentsLeavesEveryCaseWholeAndTheChainIntact) {
  testing::TempDir dir;
  const auto seed = std::random_device{}();
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> delay_ms(30, 400);
  SCOPED_TRACE("kill timing seed " + std::to_string(seed));
  std::int64_t cases_seen = 0;

  for (int round = 1; round <= 20; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const pid_t pid = start_writer(dir.path());
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(random)));
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the writer stopped by itself: it failed before it was killed";

    SystemClock clock;
    auto store = store::Store::open(dir.path(), clock);
    ASSERT_TRUE(store.ok()) << store.error().describe();
    EXPECT_EQ(*(*store)->db().integrity_check(), "ok");
    auto chain = (*store)->audit().verify();
    ASSERT_TRUE(chain.ok());
    EXPECT_TRUE(chain->intact) << chain->problem;
    auto platforms = *workflow::PlatformRegistry::built_in();
    workflow::CaseRegistry registry(**store);
    auto records = registry.verify_records();
    ASSERT_TRUE(records.ok());
    EXPECT_TRUE(records->intact) << (records->problems.empty() ? "" : records->problems.front());

    auto cases = registry.list();
    ASSERT_TRUE(cases.ok());
    for (const auto& view : *cases) {
      int samplers = 0;
      for (const auto& a : view.people) samplers += a.role == "sampler";
      EXPECT_EQ(samplers, 2) << view.record.number << " is half-written";
      EXPECT_GE(view.audit_rows, 1) << view.record.number;
    }
    auto evidence = (*store)->list_evidence(std::nullopt);
    ASSERT_TRUE(evidence.ok());
    for (const auto& item : *evidence) EXPECT_TRUE((*store)->evidence().verify(item.sha256).ok()) << "evidence #" << item.id;
    cases_seen = static_cast<std::int64_t>(cases->size());
  }
  EXPECT_GT(cases_seen, 20) << "the writer hardly wrote anything: the test would prove nothing";
}

}  // namespace
}  // namespace netsample
