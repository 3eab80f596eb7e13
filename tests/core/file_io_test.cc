#include "netsample/core/file_io.h"

#include <gtest/gtest.h>

#include "testing.h"

namespace netsample {
namespace {

TEST(FileIo, AtomicWriteCreatesAndReplacesLeavingNoTempFiles) {
  testing::TempDir dir;
  ASSERT_TRUE(write_file_atomic(dir / "head.json", "one").ok());
  ASSERT_TRUE(write_file_atomic(dir / "head.json", "two").ok());
  EXPECT_EQ(*read_file(dir / "head.json"), "two");
  int entries = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST(FileIo, AtomicWriteIntoMissingDirectoryIsAnIoError) {
  testing::TempDir dir;
  Status status = write_file_atomic(dir / "no/such/dir/file", "x");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::io);
}

TEST(FileIo, ReadMissingFileNamesIt) {
  testing::TempDir dir;
  auto text = read_file(dir / "absent.json");
  ASSERT_FALSE(text.ok());
  EXPECT_NE(text.error().field.find("absent.json"), std::string::npos);
}

}  // namespace
}  // namespace netsample
