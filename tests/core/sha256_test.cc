#include "netsample/core/sha256.h"

#include <gtest/gtest.h>

#include <string>

#include "testing.h"

namespace netsample {
namespace {

// FIPS 180-2 test vectors.
TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, StreamingEqualsOneShot) {
  const std::string million_a(1'000'000, 'a');
  Sha256 hasher;
  for (size_t i = 0; i < million_a.size(); i += 4099) hasher.update(std::string_view(million_a).substr(i, 4099));
  EXPECT_EQ(to_hex(hasher.finish()), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, FileHashMatchesBufferHash) {
  testing::TempDir dir;
  std::string content;
  for (int i = 0; i < 300'000; ++i) content += static_cast<char>(i * 31);
  testing::write_text(dir / "blob", content);
  auto digest = sha256_file(dir / "blob");
  ASSERT_TRUE(digest.ok());
  EXPECT_EQ(to_hex(*digest), sha256_hex(content));
  EXPECT_EQ(sha256_file(dir / "missing").error().code, ErrorCode::io);
}

TEST(Sha256, HexRoundTripAndRejection) {
  const auto digest = sha256("x");
  EXPECT_EQ(*sha256_from_hex(to_hex(digest), "h"), digest);
  std::string upper = to_hex(digest);
  for (auto& c : upper) c = static_cast<char>(std::toupper(c));
  EXPECT_EQ(*sha256_from_hex(upper, "h"), digest);
  EXPECT_FALSE(sha256_from_hex("abc", "h").ok());
  EXPECT_FALSE(sha256_from_hex(std::string(64, 'g'), "h").ok());
}


TEST(Hmac, Rfc4231TestCase2) {  // key "Jefe": the known answer from RFC 4231
  EXPECT_EQ(hmac_sha256_hex("what do ya want for nothing?", "Jefe"), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

}  // namespace
}  // namespace netsample
