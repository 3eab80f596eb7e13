// Long-term validation of RFC 3161 tokens. Records are kept six years (Art 47), longer than a TSA's certificate
// lives; once it has expired a token no longer verifies against today's clock. So when a token is obtained, the
// signer's chain and each certificate's revocation status (an OCSP response, else a CRL, where the certificate names
// a service) are kept beside it, and verify checks the token at its own time with that material. Before the weakest
// certificate runs out an archive stamp is added over the token and its material (as RFC 4998 evidence records do),
// and again before that stamp's certificate runs out: each layer is checked at its own time, the chain of layers
// proves the first one was made before anyone could forge it.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"
#include "netsample/core/http.h"
#include "netsample/core/sha256.h"
#include "netsample/core/time.h"
#include "netsample/core/tsa.h"

namespace netsample {

// DER in JSON: standard base64 without line breaks (RFC 4648).
std::string base64_encode(std::string_view bytes);
Result<std::string> base64_decode(const std::string& text, const std::string& field);

// What proves a token's signer was trusted and not revoked when it stamped.
struct ValidationMaterial {
  std::vector<std::string> certificates;    // DER: the signer first, then its issuers up to the trusted root
  std::vector<std::string> ocsp_responses;  // DER OCSPResponse, one per certificate whose issuer runs a responder
  std::vector<std::string> crls;            // DER, for certificates that name a CRL instead
  UtcTime collected;
  std::vector<std::string> notes;           // for a person: a certificate that names no revocation service, ...
  nlohmann::json to_json() const;           // DER as base64
  static Result<ValidationMaterial> from_json(const nlohmann::json& json);
};

// The signer's chain of `token_der` (its own certificates, completed from `trust_file`, valid now) and the
// revocation status of every certificate below the root, fetched now over `http`.
Result<ValidationMaterial> collect_validation_material(std::string_view token_der, const std::filesystem::path& trust_file,
                                                       const HttpClient& http, UtcTime now);

// One token checked at its own time.
struct LayerCheck {
  UtcTime gen_time;
  UtcTime chain_expires;  // the earliest end of validity in its chain: the token must be renewed before it
  std::string tsa;        // the signer's name
  std::string revocation; // for a person: how it was found not revoked
};

// Verifies `token_der` over `imprint` at its generation time: the signature, the chain from `material` to a root in
// `trust_file` valid at that time, and no certificate revoked before it per the material (OCSP or CRL). Error
// (integrity) naming what fails.
Result<LayerCheck> verify_timestamp_at_its_time(std::string_view token_der, const Sha256Digest& imprint,
                                                const ValidationMaterial& material, const std::filesystem::path& trust_file);

struct ArchiveStamp {
  std::string token_der;
  ValidationMaterial material;
};

// A token's evidence record: its material, then the archive stamps renewing it, oldest first.
struct EvidenceRecord {
  ValidationMaterial material;
  std::vector<ArchiveStamp> renewals;
  nlohmann::json to_json() const;
  static Result<EvidenceRecord> from_json(const nlohmann::json& json);
};

// What archive stamp `layer` (1, 2, ...) is over: SHA-256 of the JSON ["netsample-archive-stamp", layer,
// SHA-256 of the previous layer's token, SHA-256 of its material's JSON text].
Sha256Digest archive_imprint(std::string_view previous_token_der, const ValidationMaterial& previous_material, size_t layer);

// Renew this long before the weakest certificate of the last layer runs out.
inline constexpr std::chrono::hours kRenewalMargin{24 * 180};

struct EvidenceRecordCheck {
  bool ok = false;
  std::vector<LayerCheck> layers;
  std::string problem;          // when not ok: which layer fails and why
  UtcTime valid_until;          // the last layer's chain expiry
  bool renewal_due = false;     // within kRenewalMargin of valid_until, or past it
  std::string advice;           // for a person, when renewal is due
  nlohmann::json to_json() const;
};

// Each layer at its own time; layer k must have been stamped before layer k-1's chain expired. Past the last layer's
// expiry the record still verifies (each layer held when it was made) and says renewal is overdue.
EvidenceRecordCheck verify_evidence_record(std::string_view token_der, const Sha256Digest& imprint, const EvidenceRecord& record,
                                           const std::filesystem::path& trust_file, UtcTime now);

// Adds an archive stamp over the record's last layer from the first of `tsa_urls` that answers, with its material.
Status renew_evidence_record(EvidenceRecord& record, std::string_view token_der, const TsaClient& tsa, const std::vector<std::string>& tsa_urls,
                             const std::filesystem::path& trust_file, const HttpClient& http, UtcTime now);

}  // namespace netsample
