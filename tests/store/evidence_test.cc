#include "netsample/store/evidence.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "testing.h"

namespace netsample::store {
namespace {
namespace fs = std::filesystem;

TEST(EvidenceStore, StoresByHashAndReadsBackVerified) {
  testing::TempDir dir;
  auto store = EvidenceStore::open(dir / "evidence");
  ASSERT_TRUE(store.ok());
  auto blob = store->put("付款截图");
  ASSERT_TRUE(blob.ok()) << blob.error().describe();
  EXPECT_EQ(blob->sha256, sha256_hex("付款截图"));
  EXPECT_FALSE(blob->already_present);
  EXPECT_EQ(store->path_of(blob->sha256), dir / "evidence" / "sha256" / blob->sha256.substr(0, 2) / blob->sha256);
  EXPECT_EQ(*store->read(blob->sha256), "付款截图");
  EXPECT_TRUE(store->verify(blob->sha256).ok());
  // Stored read-only: evidence is never rewritten in place.
  struct stat info {};
  ASSERT_EQ(::stat(store->path_of(blob->sha256).c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0222, 0u);
}

TEST(EvidenceStore, SameBytesTwiceIsStoredOnce) {
  testing::TempDir dir;
  auto store = EvidenceStore::open(dir / "evidence");
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE(store->put("x").ok());
  auto again = store->put("x");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->already_present);
  EXPECT_TRUE(fs::is_empty(dir / "evidence" / "tmp"));
}

TEST(EvidenceStore, ExistingFileIsNeverRewritten) {
  testing::TempDir dir;
  auto store = EvidenceStore::open(dir / "evidence");
  ASSERT_TRUE(store.ok());
  auto blob = store->put("original");
  ASSERT_TRUE(blob.ok());
  const fs::path file = store->path_of(blob->sha256);
  fs::permissions(file, fs::perms::owner_write, fs::perm_options::add);
  testing::write_text(file, "tampered");
  // Putting the original bytes again must not "repair" (rewrite) the file: it is left for the reviewer.
  ASSERT_TRUE(store->put("original").ok());
  auto read = store->read(blob->sha256);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().code, ErrorCode::integrity);
  EXPECT_EQ(store->verify(blob->sha256).error().code, ErrorCode::integrity);
}

TEST(EvidenceStore, LargeFileIsStreamed) {
  testing::TempDir dir;
  std::string content(5 * 1024 * 1024 + 17, '\0');
  for (size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>((i * 2654435761u) >> 13);
  testing::write_text(dir / "video.mp4", content);
  auto store = EvidenceStore::open(dir / "evidence");
  ASSERT_TRUE(store.ok());
  auto blob = store->put_file(dir / "video.mp4");
  ASSERT_TRUE(blob.ok()) << blob.error().describe();
  EXPECT_EQ(blob->size, content.size());
  EXPECT_EQ(blob->sha256, sha256_hex(content));
  EXPECT_TRUE(store->verify(blob->sha256).ok());
}

TEST(EvidenceStore, MissingSourceAndBadHashAreClearErrors) {
  testing::TempDir dir;
  auto store = EvidenceStore::open(dir / "evidence");
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(store->put_file(dir / "absent").error().code, ErrorCode::io);
  EXPECT_EQ(store->read("not-a-hash").error().code, ErrorCode::invalid_input);
  EXPECT_EQ(store->read(sha256_hex("never stored")).error().code, ErrorCode::not_found);
}

TEST(EvidenceStore, OldTempFilesFromACrashAreCleanedAtOpen) {
  testing::TempDir dir;
  { ASSERT_TRUE(EvidenceStore::open(dir / "evidence").ok()); }
  const fs::path stale = dir / "evidence" / "tmp" / "put-1-2";
  const fs::path fresh = dir / "evidence" / "tmp" / "put-3-4";
  testing::write_text(stale, "half");
  testing::write_text(fresh, "in use by another process");
  fs::last_write_time(stale, fs::file_time_type::clock::now() - std::chrono::hours(2));
  ASSERT_TRUE(EvidenceStore::open(dir / "evidence").ok());
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(fresh));
}

TEST(EvidenceStore, RemoveDeletesTheFile) {
  testing::TempDir dir;
  auto store = EvidenceStore::open(dir / "evidence");
  ASSERT_TRUE(store.ok());
  auto blob = store->put("gone");
  ASSERT_TRUE(store->remove(blob->sha256).ok());
  EXPECT_FALSE(*store->contains(blob->sha256));
}

}  // namespace
}  // namespace netsample::store
