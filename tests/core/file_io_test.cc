#include "netsample/core/file_io.h"

#include <gtest/gtest.h>

#include <vector>

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

TEST(FileIo, RangesOfALargeFileInAnyOrderAndAShortFileNamed) {
  testing::TempDir dir;
  std::string bytes(9 << 20, '\0');  // beyond two read windows
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7 + i / 4096);
  ASSERT_TRUE(write_file_atomic(dir / "recording.mp4", bytes).ok());
  auto reader = RangeReader::open(dir / "recording.mp4");
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(reader->size(), bytes.size());
  for (auto [offset, length] : std::vector<std::pair<size_t, size_t>>{{0, 10}, {5, 4 << 20}, {(4 << 20) - 3, 7}, {8 << 20, 5 << 20}, {100, 1}}) {
    if (offset + length > bytes.size()) {
      auto past = reader->range(offset, length);
      ASSERT_FALSE(past.ok());
      EXPECT_NE(past.error().message.find("结束"), std::string::npos) << past.error().message;
      continue;
    }
    auto piece = reader->range(offset, length);
    ASSERT_TRUE(piece.ok()) << offset;
    EXPECT_EQ(*piece, std::string_view(bytes).substr(offset, length)) << offset;
  }
}

}  // namespace
}  // namespace netsample
