// Long-term validation (Art 47: six years) against OpenSSL's own TSA, OCSP responder and CRL, with certificates
// made by the test to expire within seconds.
#include "netsample/core/long_term.h"

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "netsample/core/file_io.h"
#include "testing.h"

namespace netsample {
namespace {

using namespace std::chrono;
namespace fs = std::filesystem;

HttpClientOptions no_waiting() {
  HttpClientOptions options;
  options.sleep = [](milliseconds) {};
  return options;
}

// One trust file holding both authorities' roots.
fs::path both(const testing::TempDir& dir, const testing::TestTsa& a, const testing::TestTsa& b) {
  const fs::path file = dir / "trust.pem";
  std::ofstream(file) << *read_file(a.ca_file()) << *read_file(b.ca_file());
  return file;
}

TEST(LongTermValidation, Art47_ATokenStillVerifiesAfterItsCertificateExpiredWithItsChainOcspAndAnArchiveStamp) {
  testing::TempDir dir;
  testing::TestTsa short_lived(loopback::TsaOptions{seconds(6), true});
  testing::TestTsa archive(loopback::TsaOptions{hours(24 * 400), true});
  const fs::path trust = both(dir, short_lived, archive);
  const HttpClient http(no_waiting());
  const TsaClient tsa(http);
  const Sha256Digest manifest = sha256("manifest of recording CQ-LTV");
  auto token = tsa.stamp(short_lived.url(), manifest);
  ASSERT_TRUE(token.ok()) << token.error().describe();

  // When the token is obtained: the chain and the OCSP answer for the TSA's certificate.
  auto material = collect_validation_material(token->response_der, trust, http, SystemClock().now());
  ASSERT_TRUE(material.ok()) << material.error().describe();
  EXPECT_EQ(material->certificates.size(), 2u);  // the TSA, its root
  EXPECT_EQ(material->ocsp_responses.size(), 1u);
  EXPECT_GE(short_lived.authority().revocation_requests(), 1);
  EvidenceRecord record{*material, {}};
  auto now = verify_evidence_record(token->response_der, manifest, record, trust, SystemClock().now());
  ASSERT_TRUE(now.ok) << now.problem;
  EXPECT_TRUE(now.renewal_due);  // the certificate ends in seconds
  EXPECT_NE(now.advice.find("须在此之前续期"), std::string::npos) << now.advice;
  EXPECT_NE(now.layers.at(0).revocation.find("OCSP"), std::string::npos) << now.layers.at(0).revocation;

  // Renewed in time by another authority: an archive stamp over the token and its material.
  EvidenceRecord renewed = record;
  ASSERT_TRUE(renew_evidence_record(renewed, token->response_der, tsa, {archive.url()}, trust, http, SystemClock().now()).ok());
  EvidenceRecord late = record;

  // The TSA's certificate runs out: today's check fails, the check at the token's own time holds.
  std::this_thread::sleep_until(system_clock::time_point(token->gen_time) + seconds(8));
  auto today = verify_timestamp(token->response_der, manifest, trust);
  EXPECT_FALSE(today.ok());  // the certificate chain no longer holds now

  auto kept = verify_evidence_record(token->response_der, manifest, renewed, trust, SystemClock().now());
  ASSERT_TRUE(kept.ok) << kept.problem;
  ASSERT_EQ(kept.layers.size(), 2u);
  EXPECT_FALSE(kept.renewal_due);  // the archive stamp's certificate lives 400 days
  EXPECT_GT(kept.valid_until, SystemClock().now() + hours(24 * 300));

  // Stored and read back as JSON, it verifies the same.
  auto reread = EvidenceRecord::from_json(nlohmann::json::parse(renewed.to_json().dump()));
  ASSERT_TRUE(reread.ok()) << reread.error().describe();
  EXPECT_TRUE(verify_evidence_record(token->response_der, manifest, *reread, trust, SystemClock().now()).ok);

  // Never renewed: each layer held when made, but the record says renewal is overdue.
  auto overdue = verify_evidence_record(token->response_der, manifest, record, trust, SystemClock().now());
  EXPECT_TRUE(overdue.ok) << overdue.problem;
  EXPECT_TRUE(overdue.renewal_due);
  EXPECT_NE(overdue.advice.find("到期而未续期"), std::string::npos) << overdue.advice;

  // Renewed only after the certificate expired: refused, naming the layer.
  ASSERT_TRUE(renew_evidence_record(late, token->response_der, tsa, {archive.url()}, trust, http, SystemClock().now()).ok());
  auto too_late = verify_evidence_record(token->response_der, manifest, late, trust, SystemClock().now());
  EXPECT_FALSE(too_late.ok);
  EXPECT_NE(too_late.problem.find("第 1 次续期"), std::string::npos) << too_late.problem;
  EXPECT_NE(too_late.problem.find("续期须在到期之前"), std::string::npos) << too_late.problem;

  // The archive stamp covers the token and its material: another token under it does not verify.
  auto other = tsa.stamp(archive.url(), manifest);
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(verify_evidence_record(other->response_der, manifest, renewed, trust, SystemClock().now()).ok);
}

TEST(LongTermValidation, ATokenFromARevokedCertificateIsRefusedNamingTheRevocation) {
  testing::TestTsa revoked(loopback::TsaOptions{hours(24), true});
  ASSERT_TRUE(revoked.authority().revoke_certificate().ok());
  const HttpClient http(no_waiting());
  const Sha256Digest imprint = sha256("stamped after the key was withdrawn");
  auto token = TsaClient(http).stamp(revoked.url(), imprint);
  ASSERT_TRUE(token.ok()) << token.error().describe();
  auto material = collect_validation_material(token->response_der, revoked.ca_file(), http, SystemClock().now());
  ASSERT_TRUE(material.ok()) << material.error().describe();
  auto checked = verify_timestamp_at_its_time(token->response_der, imprint, *material, revoked.ca_file());
  ASSERT_FALSE(checked.ok());
  EXPECT_NE(checked.error().message.find("被吊销"), std::string::npos) << checked.error().message;
}

TEST(LongTermValidation, ACertificateThatNamesOnlyACrlIsCheckedAgainstTheCrlKeptWithTheToken) {
  testing::TestTsa tsa(loopback::TsaOptions{hours(24), true, false});
  const HttpClient http(no_waiting());
  const Sha256Digest imprint = sha256("checked against a CRL");
  auto token = TsaClient(http).stamp(tsa.url(), imprint);
  ASSERT_TRUE(token.ok()) << token.error().describe();
  auto material = collect_validation_material(token->response_der, tsa.ca_file(), http, SystemClock().now());
  ASSERT_TRUE(material.ok()) << material.error().describe();
  EXPECT_EQ(material->ocsp_responses.size(), 0u);
  ASSERT_EQ(material->crls.size(), 1u);
  auto good = verify_timestamp_at_its_time(token->response_der, imprint, *material, tsa.ca_file());
  ASSERT_TRUE(good.ok()) << good.error().describe();
  EXPECT_NE(good->revocation.find("CRL"), std::string::npos) << good->revocation;

  // Revoked: the next token's CRL lists the certificate, revoked before it stamped.
  ASSERT_TRUE(tsa.authority().revoke_certificate().ok());
  std::this_thread::sleep_for(seconds(1));  // the revocation's second is before the stamp's
  auto later = TsaClient(http).stamp(tsa.url(), imprint);
  ASSERT_TRUE(later.ok());
  auto revoked = collect_validation_material(later->response_der, tsa.ca_file(), http, SystemClock().now());
  ASSERT_TRUE(revoked.ok()) << revoked.error().describe();
  auto refused = verify_timestamp_at_its_time(later->response_der, imprint, *revoked, tsa.ca_file());
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("列在 CRL 中"), std::string::npos) << refused.error().message;
}

TEST(LongTermValidation, MaterialThatLacksTheRevocationAnswerACertificateCallsForIsRefused) {
  testing::TestTsa tsa(loopback::TsaOptions{hours(24), true});
  const HttpClient http(no_waiting());
  const Sha256Digest imprint = sha256("x");
  auto token = TsaClient(http).stamp(tsa.url(), imprint);
  ASSERT_TRUE(token.ok());
  auto material = collect_validation_material(token->response_der, tsa.ca_file(), http, SystemClock().now());
  ASSERT_TRUE(material.ok());
  material->ocsp_responses.clear();
  auto checked = verify_timestamp_at_its_time(token->response_der, imprint, *material, tsa.ca_file());
  ASSERT_FALSE(checked.ok());
  EXPECT_NE(checked.error().message.find("没有它的应答"), std::string::npos) << checked.error().message;
  // The TSAs of the other tests name no revocation service: their material says so and verifies.
  testing::TestTsa plain;
  auto plain_token = TsaClient(http).stamp(plain.url(), imprint);
  ASSERT_TRUE(plain_token.ok());
  auto plain_material = collect_validation_material(plain_token->response_der, plain.ca_file(), http, SystemClock().now());
  ASSERT_TRUE(plain_material.ok()) << plain_material.error().describe();
  ASSERT_EQ(plain_material->notes.size(), 1u);
  EXPECT_NE(plain_material->notes[0].find("未载明吊销信息服务"), std::string::npos);
  EXPECT_TRUE(verify_timestamp_at_its_time(plain_token->response_der, imprint, *plain_material, plain.ca_file()).ok());
}

}  // namespace
}  // namespace netsample
