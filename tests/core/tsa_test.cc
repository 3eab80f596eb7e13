// RFC 3161 against OpenSSL's own TSA behind a local HTTP endpoint, with a CA made by the test.
#include "netsample/core/tsa.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include "testing.h"

namespace netsample {
namespace {

using namespace std::chrono;

HttpClientOptions no_waiting() {
  HttpClientOptions options;
  options.sleep = [](milliseconds) {};
  return options;
}

TEST(Tsa, StampsAnImprintAndTheTokenVerifiesAgainstTheTrustStore) {
  testing::TestTsa tsa;
  const HttpClient http(no_waiting());
  const Sha256Digest manifest = sha256("manifest of recording CQ-1");
  auto token = TsaClient(http).stamp(tsa.url(), manifest);
  ASSERT_TRUE(token.ok()) << token.error().describe();
  EXPECT_EQ(token->policy_oid, "1.2.3.4.1");
  EXPECT_NE(token->tsa_name.find("netsample local TSA"), std::string::npos);
  EXPECT_LT(std::abs(duration_cast<seconds>(token->gen_time - SystemClock().now()).count()), 5);
  EXPECT_FALSE(token->serial_hex.empty());

  auto verified = verify_timestamp(token->response_der, manifest, tsa.ca_file());
  ASSERT_TRUE(verified.ok()) << verified.error().describe();
  EXPECT_EQ(verified->gen_time, token->gen_time);
}

TEST(Tsa, TokenForAnotherImprintFails) {
  testing::TestTsa tsa;
  const HttpClient http(no_waiting());
  auto token = TsaClient(http).stamp(tsa.url(), sha256("the real manifest"));
  ASSERT_TRUE(token.ok());
  auto other = verify_timestamp(token->response_der, sha256("an edited manifest"), tsa.ca_file());
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, ErrorCode::integrity);
  EXPECT_NE(other.error().message.find("不符"), std::string::npos);
}

TEST(Tsa, TokenFromAnUntrustedAuthorityFails) {
  testing::TestTsa tsa;
  testing::TempDir elsewhere;
  testing::make_test_ca(elsewhere.path(), "other");
  const HttpClient http(no_waiting());
  const Sha256Digest manifest = sha256("m");
  auto token = TsaClient(http).stamp(tsa.url(), manifest);
  ASSERT_TRUE(token.ok());
  auto untrusted = verify_timestamp(token->response_der, manifest, elsewhere / "other.pem");
  ASSERT_FALSE(untrusted.ok());
  EXPECT_EQ(untrusted.error().code, ErrorCode::integrity);
}

TEST(Tsa, AlteredTokenFails) {
  testing::TestTsa tsa;
  const HttpClient http(no_waiting());
  const Sha256Digest manifest = sha256("m");
  auto token = TsaClient(http).stamp(tsa.url(), manifest);
  ASSERT_TRUE(token.ok());
  std::string altered = token->response_der;
  // Move the signed genTime by a year: GeneralizedTime is tag 0x18, length 15, "YYYYMMDDHHMMSSZ".
  const auto at = altered.find(std::string("\x18\x0f") + "20");
  ASSERT_NE(at, std::string::npos);
  altered[at + 5] = altered[at + 5] == '5' ? '4' : '5';
  EXPECT_FALSE(verify_timestamp(altered, manifest, tsa.ca_file()).ok());
  EXPECT_FALSE(verify_timestamp("not a token", manifest, tsa.ca_file()).ok());
}

TEST(Tsa, TransientOutageIsRetried) {
  testing::TestTsa tsa;
  tsa.fail_next(2);
  const HttpClient http(no_waiting());
  auto token = TsaClient(http).stamp(tsa.url(), sha256("m"));
  ASSERT_TRUE(token.ok()) << token.error().describe();
  EXPECT_EQ(tsa.requests(), 3);
}

TEST(Tsa, UnreachableAuthorityIsANetworkError) {
  const int port = testing::free_port(SOCK_STREAM);
  HttpClientOptions options = no_waiting();
  options.retry.max_attempts = 2;
  const HttpClient http(options);
  auto token = TsaClient(http).stamp("http://127.0.0.1:" + std::to_string(port) + "/tsa", sha256("m"));
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().code, ErrorCode::network);
}

}  // namespace
}  // namespace netsample
