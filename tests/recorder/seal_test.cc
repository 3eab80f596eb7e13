// Sealing with OpenSSL's TSA behind a local endpoint, and the tampering the recorder issue lists at the
// seal level: manifest edited, token replaced by one for another manifest, journal cut; plus an unsealed
// (killed) recording and a second authority that is down.
#include "netsample/recorder/seal.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <fstream>

#include "testing.h"

namespace netsample::recorder {
namespace {

namespace fs = std::filesystem;

class Seal : public ::testing::Test {
 protected:
  void SetUp() override {
    http_options_.sleep = [](std::chrono::milliseconds) {};
    http_options_.retry.max_attempts = 2;
    auto writer = JournalWriter::create(dir_ / kJournalFile);
    ASSERT_TRUE(writer.ok());
    std::ofstream media(dir_ / kMediaFile, std::ios::binary);
    std::uint64_t offset = 0;
    for (int i = 0; i < 4; ++i) {
      const std::string bytes(800 + i, static_cast<char>('a' + i));
      media << bytes;
      ASSERT_TRUE(writer->append({offset, bytes.size(), sha256(bytes), i * 15, i * 15 + 14, i * 1'000'000, i * 1'000'000 + 933'333}).ok());
      offset += bytes.size();
    }
  }

  Result<SealResult> seal(const std::vector<std::string>& urls) {
    return seal_recording(dir_.path(), {{"case", "CQ-1"}, {"source", "file"}}, TsaClient(http_), urls);
  }
  static bool mentions(const SealCheck& c, const std::string& text) {
    return std::any_of(c.errors.begin(), c.errors.end(), [&](const std::string& e) { return e.find(text) != std::string::npos; });
  }

  testing::TempDir dir_;
  testing::TestTsa tsa_;
  HttpClientOptions http_options_;
  HttpClient http_{http_options_};
};

TEST_F(Seal, SealedRecordingVerifies) {
  auto sealed = seal({tsa_.url()});
  ASSERT_TRUE(sealed.ok()) << sealed.error().describe();
  ASSERT_EQ(sealed->tokens.size(), 1u);
  auto check = check_seal(dir_.path(), tsa_.ca_file());
  ASSERT_TRUE(check.ok());
  EXPECT_TRUE(check->ok) << (check->errors.empty() ? "" : check->errors[0]);
  EXPECT_TRUE(check->sealed);
  EXPECT_EQ(check->tokens[0].file, "manifest.tsr");
  EXPECT_TRUE(check->tokens[0].gen_time.ends_with("+08:00"));
  const auto manifest = nlohmann::json::parse(*read_file(dir_ / kManifestFile));
  EXPECT_EQ(manifest["fragments"], 4);
  EXPECT_EQ(manifest["frames"], 60);
  EXPECT_EQ(manifest["chain_head"], check->journal.head);
}

TEST_F(Seal, EditedManifestFailsItsToken) {
  ASSERT_TRUE(seal({tsa_.url()}).ok());
  std::string text = *read_file(dir_ / kManifestFile);
  text.replace(text.find("CQ-1"), 4, "CQ-2");
  fs::permissions(dir_ / kManifestFile, fs::perms::owner_write, fs::perm_options::add);
  testing::write_text(dir_ / kManifestFile, text);
  auto check = *check_seal(dir_.path(), tsa_.ca_file());
  EXPECT_FALSE(check.ok);
  EXPECT_TRUE(mentions(check, "manifest.tsr"));
}

TEST_F(Seal, TokenForAnotherManifestFails) {
  ASSERT_TRUE(seal({tsa_.url()}).ok());
  auto other = TsaClient(http_).stamp(tsa_.url(), sha256("another recording's manifest"));
  ASSERT_TRUE(other.ok());
  fs::permissions(dir_ / "manifest.tsr", fs::perms::owner_write, fs::perm_options::add);
  testing::write_text(dir_ / "manifest.tsr", other->response_der);
  auto check = *check_seal(dir_.path(), tsa_.ca_file());
  EXPECT_FALSE(check.ok);
  EXPECT_FALSE(check.tokens[0].ok);
  EXPECT_TRUE(mentions(check, "manifest.tsr"));
}

TEST_F(Seal, JournalCutAfterSealingIsCaughtByTheManifest) {
  ASSERT_TRUE(seal({tsa_.url()}).ok());
  std::string journal = *read_file(dir_ / kJournalFile);
  journal.erase(journal.rfind('\n', journal.size() - 2) + 1);  // drop the last line
  testing::write_text(dir_ / kJournalFile, journal);
  auto check = *check_seal(dir_.path(), tsa_.ca_file());
  EXPECT_FALSE(check.ok);
  EXPECT_TRUE(mentions(check, "哈希链末值"));
}

TEST_F(Seal, KilledRecordingIsUnsealedButItsFragmentsVerify) {
  auto check = *check_seal(dir_.path(), tsa_.ca_file());
  EXPECT_FALSE(check.sealed);
  EXPECT_FALSE(check.ok);
  EXPECT_TRUE(check.journal.ok);
  EXPECT_EQ(check.journal.records.size(), 4u);
  EXPECT_TRUE(mentions(check, "未封存"));
}

TEST_F(Seal, OneAuthorityDownStillSealsWithTheOther) {
  const std::string down = "http://127.0.0.1:" + std::to_string(testing::free_port(SOCK_STREAM)) + "/tsa";
  auto sealed = seal({down, tsa_.url()});
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->tokens.size(), 1u);
  ASSERT_EQ(sealed->failures.size(), 1u);
  EXPECT_NE(sealed->failures[0].find(down), std::string::npos);
  EXPECT_TRUE(check_seal(dir_.path(), tsa_.ca_file())->ok);
}

TEST_F(Seal, TwoAuthoritiesGiveTwoTokensBothVerified) {
  testing::TestTsa second;
  // Trust both roots: one PEM file with both certificates.
  testing::write_text(dir_ / "trust.pem", *read_file(tsa_.ca_file()) + *read_file(second.ca_file()));
  auto sealed = seal({tsa_.url(), second.url()});
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->tokens.size(), 2u);
  auto check = *check_seal(dir_.path(), dir_ / "trust.pem");
  EXPECT_TRUE(check.ok) << (check.errors.empty() ? "" : check.errors[0]);
  ASSERT_EQ(check.tokens.size(), 2u);
  EXPECT_EQ(check.tokens[1].file, "manifest.2.tsr");
}

}  // namespace
}  // namespace netsample::recorder
