#include "netsample/recorder/trusted_clock.h"

#include <gtest/gtest.h>

#include "testing.h"

namespace netsample::recorder {
namespace {

using namespace std::chrono;

constexpr std::int64_t kSecond = 1'000'000'000;
const UtcTime kWall = from_utc_us(1'780'000'000'000'000);

// A sample taken at steady time `mono_s` seconds, when the true time was kWall + mono_s + `true_shift_us`
// and this machine's wall clock read kWall + mono_s.
TimeSample sample_at(double mono_s, std::int64_t true_shift_us, std::int64_t delay_us, const std::string& server = "s:123") {
  TimeSample s;
  s.server = server;
  s.local_monotonic_ns = static_cast<std::int64_t>(mono_s * kSecond);
  s.local_receive = kWall + microseconds(static_cast<std::int64_t>(mono_s * 1e6));
  s.offset_us = true_shift_us;
  s.delay_us = delay_us;
  s.stratum = 2;
  return s;
}

TEST(TrustedClock, UnverifiedUntilAServerAnswersThenFollowsTheServer) {
  TrustedClock clock(kWall, 0);
  EXPECT_FALSE(clock.verified());
  EXPECT_FALSE(clock.uncertainty_us());
  EXPECT_EQ(clock.at(2 * kSecond), kWall + seconds(2));  // the machine's own clock, reported as unverified
  EXPECT_FALSE(clock.add_sample(sample_at(1.0, 350'000, 20'000)));  // the machine is 350 ms slow
  EXPECT_TRUE(clock.verified());
  EXPECT_EQ(clock.at(3 * kSecond), kWall + seconds(3) + milliseconds(350));
  EXPECT_EQ(*clock.uncertainty_us(), 10'000);
}

TEST(TrustedClock, ThePreciseSampleIsTheReference) {
  TrustedClock clock(kWall, 0);
  clock.add_sample(sample_at(1.0, 1'000, 80'000));
  clock.add_sample(sample_at(61.0, 1'500, 4'000));  // smaller delay: more precise
  clock.add_sample(sample_at(121.0, 1'200, 60'000));
  EXPECT_EQ(*clock.uncertainty_us(), 2'000);
  EXPECT_EQ(clock.at(130 * kSecond), kWall + seconds(130) + microseconds(1'500));
  EXPECT_EQ(clock.samples().size(), 3u);
}

TEST(TrustedClock, ASteppedClockIsAJump) {
  TrustedClock clock(kWall, 0);
  clock.add_sample(sample_at(1.0, 0, 10'000));
  // 60 s later the server says the time is 2 s ahead of what the monotonic clock predicts.
  auto jump = clock.add_sample(sample_at(61.0, 2'000'000, 10'000, "ntp.ntsc.ac.cn:123"));
  ASSERT_TRUE(jump);
  EXPECT_EQ(jump->jump_us, 2'000'000);
  EXPECT_EQ(jump->monotonic_ns, 61 * kSecond);
  EXPECT_EQ(jump->server, "ntp.ntsc.ac.cn:123");
  EXPECT_EQ(clock.at(62 * kSecond), kWall + seconds(64));  // the new time is followed from then on
}

TEST(TrustedClock, NoiseWithinTheDelaysIsNotAJump) {
  TrustedClock clock(kWall, 0);
  clock.add_sample(sample_at(1.0, 0, 40'000));
  EXPECT_FALSE(clock.add_sample(sample_at(61.0, 90'000, 40'000)));   // within 100 ms + delays
  EXPECT_TRUE(clock.add_sample(sample_at(121.0, 400'000, 40'000)));  // beyond
}

TEST(TrustedClock, RealChronydGivesAVerifiedClockCloseToTheSystemClock) {
  testing::Chronyd chronyd;
  const NtpServer server = *parse_ntp_server(chronyd.address(), "ntp");
  const SntpClient client;
  const auto mono = [] { return duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count(); };
  TrustedClock clock(SystemClock().now(), mono());
  for (int i = 0; i < 3; ++i) {
    auto sample = client.query(server);
    ASSERT_TRUE(sample.ok()) << sample.error().describe();
    EXPECT_FALSE(clock.add_sample(*sample)) << "no jump between queries of the same server";
  }
  EXPECT_TRUE(clock.verified());
  EXPECT_LT(std::abs(to_utc_us(clock.at(mono())) - to_utc_us(SystemClock().now())), 50'000);
}

}  // namespace
}  // namespace netsample::recorder
