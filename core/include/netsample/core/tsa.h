// RFC 3161 trusted timestamps: ask a Time-Stamping Authority over HTTP to sign a SHA-256 imprint, and
// verify a stored answer later (signature chain to a trust store, imprint, the TSA's timeStamping
// purpose). The recorder stamps its manifest and chain heads with it; the audit chain can anchor its head.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "netsample/core/error.h"
#include "netsample/core/http.h"
#include "netsample/core/sha256.h"
#include "netsample/core/time.h"

namespace netsample {

struct TimestampToken {
  std::string response_der;  // the TimeStampResp exactly as received: what is stored and verified
  std::string url;           // where it came from
  UtcTime gen_time;          // the TSA's time of stamping
  std::string serial_hex;
  std::string policy_oid;
  std::string tsa_name;      // from the token, when the TSA names itself
};

class TsaClient {
 public:
  // REQUIRES: http outlives the client.
  explicit TsaClient(const HttpClient& http) : http_(&http) {}

  // Requests a stamp of `imprint` (SHA-256) with a fresh nonce and the TSA's certificate included.
  // Checks the answer is granted, for this imprint and nonce; the signature is checked by verify.
  Result<TimestampToken> stamp(const std::string& url, const Sha256Digest& imprint) const;

 private:
  const HttpClient* http_;
};

// Verifies a stored TimeStampResp: the signature and the signer's chain against the certificates in
// `ca_file` (PEM) with the timeStamping purpose, and that it stamps exactly `imprint` with SHA-256.
// Error (integrity) naming what failed.
Result<TimestampToken> verify_timestamp(std::string_view response_der, const Sha256Digest& imprint,
                                        const std::filesystem::path& ca_file);

// What a stored TimeStampResp says once it is a granted stamp of exactly `imprint` (SHA-256), its signature not
// checked: a stamp of other bytes (integrity, naming it) told apart from one whose TSA the reader does not trust,
// which verify_timestamp then reports.
Result<TimestampToken> read_timestamp(std::string_view response_der, const Sha256Digest& imprint);

}  // namespace netsample
