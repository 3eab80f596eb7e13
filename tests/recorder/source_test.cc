#include "netsample/recorder/source.h"

#include <gtest/gtest.h>

#include "testing.h"

namespace netsample::recorder {
namespace {

TEST(Source, ScreensOfEachSystemByName) {
  auto x11 = parse_source("x11::99", "--source");
  ASSERT_TRUE(x11.ok());
  EXPECT_EQ(x11->device, "x11grab");
  EXPECT_EQ(x11->url, ":99");
  EXPECT_TRUE(x11->live());
  EXPECT_EQ(parse_source("gdigrab:desktop", "--source")->device, "gdigrab");
  EXPECT_EQ(parse_source("avfoundation:1", "--source")->url, "1");
}

TEST(Source, ACameraForTheUnboxing) {  // Art 36: the unboxing on video
  auto camera = parse_source("v4l2:/dev/video0", "--source");
  ASSERT_TRUE(camera.ok());
  EXPECT_EQ(camera->device, "video4linux2");
  EXPECT_EQ(camera->url, "/dev/video0");
  EXPECT_TRUE(camera->live());
  auto wrong = parse_source("v4l2:video0", "--source");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("/dev/video"), std::string::npos);
}

TEST(Source, AFileMustExist) {
  testing::TempDir dir;
  testing::write_text(dir.path() / "unboxing.mp4", "x");
  auto file = parse_source("file:" + (dir.path() / "unboxing.mp4").string(), "--source");
  ASSERT_TRUE(file.ok());
  EXPECT_FALSE(file->live());
  auto missing = parse_source((dir.path() / "nope.mp4").string(), "--source");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().field, "--source");
  EXPECT_FALSE(parse_source("x11:99", "--source").ok());  // a display needs its colon: x11::99
  EXPECT_FALSE(parse_source("", "--source").ok());
}

TEST(Source, RegionsAreXGeometryWithEvenSizes) {
  auto region = parse_region("1280x720+10+20", "--region");
  ASSERT_TRUE(region.ok());
  EXPECT_EQ(region->width, 1280);
  EXPECT_EQ(region->y, 20);
  for (const char* bad : {"1281x720+0+0", "1280x720", "1280x720+0+-1", "0x0+0+0", "1280x720+0+0junk"}) {
    auto parsed = parse_region(bad, "--region");
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.error().field, "--region");
  }
}

}  // namespace
}  // namespace netsample::recorder
