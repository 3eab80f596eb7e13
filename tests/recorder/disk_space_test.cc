#include "netsample/recorder/disk_space.h"

#include <gtest/gtest.h>
#include <sys/statvfs.h>

#include "testing.h"

namespace netsample::recorder {
namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;
constexpr double kRate = 2.0 * kMiB / 60;  // 2 MiB per minute: 1080p at 15 fps, screen content

TEST(DiskSpace, LevelsFollowTimeLeftAndAbsoluteFloor) {
  EXPECT_EQ(judge_disk(100'000 * kMiB, kRate).level, DiskLevel::ok);
  EXPECT_TRUE(judge_disk(100'000 * kMiB, kRate).message.empty());
  EXPECT_EQ(judge_disk(1'500 * kMiB, kRate).level, DiskLevel::warning);  // under 2 GiB
  EXPECT_EQ(judge_disk(100'000 * kMiB, 100.0 * kMiB).level, DiskLevel::warning);  // ~16 minutes at a high rate
  const DiskStatus low = judge_disk(200 * kMiB, kRate);
  EXPECT_EQ(low.level, DiskLevel::critical);
  EXPECT_NE(low.message.find("200 MiB"), std::string::npos);
  EXPECT_EQ(judge_disk(100'000 * kMiB, 400.0 * kMiB).level, DiskLevel::critical);  // ~4 minutes
  EXPECT_EQ(judge_disk(100'000 * kMiB, 0).level, DiskLevel::ok);
}

TEST(DiskSpace, ReadsTheRealFileSystem) {
  testing::TempDir dir;
  auto status = check_disk(dir.path(), kRate);
  ASSERT_TRUE(status.ok()) << status.error().describe();
  struct statvfs info {};
  ASSERT_EQ(::statvfs(dir.path().c_str(), &info), 0);
  const double expected = static_cast<double>(info.f_bavail) * info.f_frsize;
  EXPECT_NEAR(static_cast<double>(status->free_bytes), expected, 64.0 * kMiB);  // other writers may move it a little
  EXPECT_EQ(check_disk(dir / "no" / "such", kRate).error().code, ErrorCode::io);
}

}  // namespace
}  // namespace netsample::recorder
