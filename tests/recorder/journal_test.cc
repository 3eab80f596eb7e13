// The fragment journal against a media file written as fragments, and every kind of tampering the
// recorder issue names: a flipped byte, a fragment removed, two fragments swapped, the journal edited.
#include "netsample/recorder/journal.h"

#include <gtest/gtest.h>

#include <fstream>

#include "testing.h"

namespace netsample::recorder {
namespace {

namespace fs = std::filesystem;

bool mentions(const JournalCheck& c, const std::string& text) {
  for (const auto& e : c.errors)
    if (e.find(text) != std::string::npos) return true;
  return false;
}

// Known answers computed independently (Python hashlib) to pin the chain format for outside verifiers.
TEST(Journal, ChainFormatIsPinned) {
  FragmentInput first{0, 10, sha256("fragment 0"), 0, 14, 1'780'000'000'000'000, 1'780'000'000'933'333};
  EXPECT_EQ(chain_next(std::string(64, '0'), first), "226abe834a26d3995c4d6b92cae6c0db0bce6f961a5bbc23108d0fa014a5a4d4");
  FragmentInput init{0, 4, sha256("init"), -1, -1, 0, 0};
  EXPECT_EQ(chain_next(std::string(64, '0'), init), "5599ed69c9bd953ef0a62c82cb140cdb72aba0d253568ffd40bb8efb84f9900f");
}

TEST(Journal, PageChainFormatIsPinned) {
  PageInput page{0, 120, sha256("page record 0"), 42, 1'780'000'001'000'000, "https://shop.example/item/1", "response"};
  EXPECT_EQ(chain_next(std::string(64, '0'), page), "e4015bb455b31d9c09da426fdcce73397c182a4228e9ece6ed65a53f770fdccb");
}

class JournalFile : public ::testing::Test {
 protected:
  // An init segment and 5 fragments of 15 frames each, 1 s apart, of different sizes.
  void SetUp() override {
    auto writer = JournalWriter::create(journal());
    ASSERT_TRUE(writer.ok()) << writer.error().describe();
    std::ofstream media_out(media(), std::ios::binary);
    std::uint64_t offset = 0;
    for (int i = 0; i < 6; ++i) {
      std::string bytes(1000 + 37 * i, '\0');
      for (size_t b = 0; b < bytes.size(); ++b) bytes[b] = static_cast<char>((b * 131 + i * 7) & 0xFF);
      if (i == 2 || i == 3) bytes.assign(1200, static_cast<char>('A' + i));  // equal sizes, for the swap test
      fragments_.push_back(bytes);
      media_out << bytes;
      const bool init = i == 0;
      FragmentInput f{offset, bytes.size(), sha256(bytes), init ? -1 : (i - 1) * 15, init ? -1 : i * 15 - 1,
                      init ? 0 : 1'780'000'000'000'000 + (i - 1) * 1'000'000, init ? 0 : 1'780'000'000'000'000 + i * 1'000'000 - 66'667};
      ASSERT_TRUE(writer->append(f).ok());
      offset += bytes.size();
    }
    head_ = writer->head();
  }

  fs::path journal() const { return dir_ / "recording.journal"; }
  fs::path media() const { return dir_ / "recording.mp4"; }
  void rewrite_media(const std::string& content) {
    std::ofstream out(media(), std::ios::binary | std::ios::trunc);
    out << content;
  }
  std::string all() const {
    std::string joined;
    for (const auto& f : fragments_) joined += f;
    return joined;
  }
  std::uint64_t offset_of(int i) const {
    std::uint64_t o = 0;
    for (int k = 0; k < i; ++k) o += fragments_[static_cast<size_t>(k)].size();
    return o;
  }
  JournalCheck check() {
    auto result = verify_journal(journal(), media());
    EXPECT_TRUE(result.ok());
    return *result;
  }

  testing::TempDir dir_;
  std::vector<std::string> fragments_;
  std::string head_;
};

TEST_F(JournalFile, IntactRecordingVerifies) {
  const JournalCheck c = check();
  EXPECT_TRUE(c.ok) << (c.errors.empty() ? "" : c.errors[0]);
  EXPECT_EQ(c.records.size(), 6u);
  EXPECT_EQ(c.frames, 75);
  EXPECT_EQ(c.head, head_);
  EXPECT_FALSE(c.torn_tail);
  EXPECT_EQ(c.unjournaled_bytes, 0u);
}

TEST_F(JournalFile, FlippedByteNamesTheFragment) {
  std::string content = all();
  content[offset_of(3) + 17] ^= 0x01;
  rewrite_media(content);
  const JournalCheck c = check();
  EXPECT_FALSE(c.ok);
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_TRUE(mentions(c, "片段 3")) << c.errors[0];
}

TEST_F(JournalFile, RemovedFragmentIsFound) {
  std::string content = all();
  content.erase(offset_of(2), fragments_[2].size());
  rewrite_media(content);
  const JournalCheck c = check();
  EXPECT_FALSE(c.ok);
  EXPECT_TRUE(mentions(c, "片段 2"));
}

TEST_F(JournalFile, SwappedFragmentsAreFound) {
  std::string content = all();
  std::swap_ranges(content.begin() + static_cast<long>(offset_of(2)), content.begin() + static_cast<long>(offset_of(3)),
                   content.begin() + static_cast<long>(offset_of(3)));
  rewrite_media(content);
  const JournalCheck c = check();
  EXPECT_FALSE(c.ok);
  EXPECT_TRUE(mentions(c, "片段 2"));
  EXPECT_TRUE(mentions(c, "片段 3"));
}

TEST_F(JournalFile, EditedJournalBreaksTheChain) {
  std::string text = *read_file(journal());
  const auto at = text.find("\"last_frame\":44");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 15, "\"last_frame\":45");
  testing::write_text(journal(), text);
  const JournalCheck c = check();
  EXPECT_FALSE(c.ok);
  EXPECT_TRUE(mentions(c, "哈希链"));
}

TEST_F(JournalFile, DeletedJournalLineIsFound) {
  std::string text = *read_file(journal());
  const auto second = text.find('\n') + 1;
  text.erase(second, text.find('\n', second) + 1 - second);
  testing::write_text(journal(), text);
  EXPECT_FALSE(check().ok);
}

TEST_F(JournalFile, CrashLeavesATornLineAndAnOpenFragmentButEverythingWrittenVerifies) {
  {
    std::ofstream out(journal(), std::ios::app);
    out << "{\"index\":6,\"offset\":";
  }
  {
    std::ofstream out(media(), std::ios::binary | std::ios::app);
    out << std::string(500, 'x');
  }
  const JournalCheck c = check();
  EXPECT_TRUE(c.ok) << (c.errors.empty() ? "" : c.errors[0]);
  EXPECT_TRUE(c.torn_tail);
  EXPECT_EQ(c.unjournaled_bytes, 500u);
  EXPECT_EQ(c.records.size(), 6u);
}

TEST_F(JournalFile, AJournalIsNeverReopened) {
  auto again = JournalWriter::create(journal());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::io);
}

// Page records (pages.warc.gz) between the video's fragments, as a purchase in netsample's browser writes them.
class JournalWithPages : public ::testing::Test {
 protected:
  void SetUp() override {
    auto writer = JournalWriter::create(dir_ / "recording.journal");
    ASSERT_TRUE(writer.ok()) << writer.error().describe();
    std::string media, pages;
    for (int i = 0; i < 4; ++i) {
      const std::string fragment(900 + 11 * i, static_cast<char>('a' + i));
      ASSERT_TRUE(writer->append(FragmentInput{media.size(), fragment.size(), sha256(fragment), i * 15, i * 15 + 14, i * 1'000'000, i * 1'000'000 + 933'333}).ok());
      media += fragment;
      const std::string record = "record " + std::to_string(i) + std::string(50 + static_cast<size_t>(i), 'r');
      const std::string uri = "http://127.0.0.1/page/" + std::to_string(i);
      ASSERT_TRUE(writer->append(PageInput{pages.size(), record.size(), sha256(record), i * 15 + 14, i * 1'000'000 + 950'000, uri, "response"}).ok());
      records_.push_back(record);
      pages += record;
    }
    testing::write_text(dir_ / "recording.mp4", media);
    testing::write_text(dir_ / kPagesFile, pages);
    head_ = writer->head();
  }
  JournalCheck check() {
    auto result = verify_journal(dir_ / "recording.journal", dir_ / "recording.mp4", dir_ / kPagesFile);
    EXPECT_TRUE(result.ok());
    return *result;
  }
  testing::TempDir dir_;
  std::vector<std::string> records_;
  std::string head_;
};

TEST_F(JournalWithPages, IntactVerifies) {
  const JournalCheck c = check();
  EXPECT_TRUE(c.ok) << (c.errors.empty() ? "" : c.errors[0]);
  EXPECT_EQ(c.records.size(), 4u);
  EXPECT_EQ(c.pages.size(), 4u);
  EXPECT_EQ(c.frames, 60);
  EXPECT_EQ(c.head, head_);
  EXPECT_EQ(c.unjournaled_page_bytes, 0u);
}

TEST_F(JournalWithPages, RemovedRecordIsNamedByItsAddress) {
  std::string pages = records_[0] + records_[2] + records_[3];
  testing::write_text(dir_ / kPagesFile, pages);
  const JournalCheck c = check();
  EXPECT_FALSE(c.ok);
  EXPECT_TRUE(mentions(c, "http://127.0.0.1/page/1")) << c.errors[0];
  EXPECT_FALSE(mentions(c, "http://127.0.0.1/page/0"));
}

TEST_F(JournalWithPages, EditedRecordIsNamed) {
  std::string pages = records_[0] + records_[1] + records_[2] + records_[3];
  pages[records_[0].size() + records_[1].size() + 3] ^= 0x20;
  testing::write_text(dir_ / kPagesFile, pages);
  const JournalCheck c = check();
  EXPECT_FALSE(c.ok);
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_TRUE(mentions(c, "http://127.0.0.1/page/2")) << c.errors[0];
}

TEST_F(JournalWithPages, AMissingPagesFileIsNamed) {
  fs::remove(dir_ / kPagesFile);
  const JournalCheck c = check();
  EXPECT_FALSE(c.ok);
  EXPECT_TRUE(mentions(c, kPagesFile));
}

TEST_F(JournalWithPages, AnAppendedRecordIsOutsideTheChain) {
  std::ofstream(dir_ / kPagesFile, std::ios::binary | std::ios::app) << "record added later";
  const JournalCheck c = check();
  EXPECT_TRUE(c.ok);
  EXPECT_EQ(c.unjournaled_page_bytes, 18u);
}

TEST(Journal, FragmentsMustBeContiguous) {
  testing::TempDir dir;
  auto writer = JournalWriter::create(dir / "j");
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE(writer->append({0, 10, sha256("a"), 0, 9, 0, 1}).ok());
  EXPECT_FALSE(writer->append({11, 10, sha256("b"), 10, 19, 1, 2}).ok());
}

}  // namespace
}  // namespace netsample::recorder
