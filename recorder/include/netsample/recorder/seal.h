// Sealing a finished recording: the manifest (JSON: source, settings, time samples, markers, fragment
// count, chain head, continuity) is written atomically beside the media and journal, and its SHA-256 is
// timestamped by every configured TSA (RFC 3161); each token is kept (manifest.tsr, manifest.2.tsr, ...),
// so one authority being down does not leave the recording unstamped. check_seal re-verifies all of it.
#pragma once

#include <optional>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"
#include "netsample/core/long_term.h"
#include "netsample/core/tsa.h"
#include "netsample/recorder/journal.h"

namespace netsample::recorder {

inline constexpr const char* kManifestFile = "manifest.json";
inline constexpr const char* kMediaFile = "recording.mp4";
inline constexpr const char* kJournalFile = "recording.journal";

// What kind of evidence each file the recorder writes is, as the case's evidence list names it.
enum class RecordingFileKind { recording, journal, recording_log, manifest, timestamp_token, evidence_record, still, playback, pages };
std::string_view to_string(RecordingFileKind kind);  // "recording", "journal", "recording_log", ...
struct RecordingFile {
  std::filesystem::path path;
  RecordingFileKind kind;
};
// The recorder's own files in `dir` (media, journal, events, manifest, tokens, stills), sorted by path.
// Files others put beside them (an unboxing's label stills) are theirs to list.
std::vector<RecordingFile> recording_files(const std::filesystem::path& dir);

struct SealResult {
  std::string manifest_sha256;
  std::vector<TimestampToken> tokens;  // one per TSA that answered
  std::vector<std::string> failures;   // "<url>: why" for each that did not
};

// Writes `manifest` (the recorder fills it; chain_head and fragments are taken from the journal here) and
// stamps it with each URL. REQUIRES: `dir` holds the finished media and journal. Error only when the
// manifest cannot be written or the journal does not verify; TSA failures are listed in the result.
Result<SealResult> seal_recording(const std::filesystem::path& dir, nlohmann::json manifest, const TsaClient& tsa,
                                  const std::vector<std::string>& tsa_urls);

struct TokenCheck {
  std::string file;
  bool ok = false;
  std::string gen_time;  // Beijing time, for people
  std::string error;
  // With an evidence record beside it (<token>.er.json, core/long_term.h): checked at its own time and each renewal at
  // its own, so it still holds after the TSA's certificate expired. Without one: against today's clock.
  std::optional<EvidenceRecordCheck> long_term;
  nlohmann::json to_json() const;
};

// A token's evidence record: manifest.tsr → manifest.tsr.er.json.
std::filesystem::path evidence_record_path(const std::filesystem::path& token_file);

// A token file in a recording's directory and what it stamps.
struct StampedToken {
  std::string file;
  Sha256Digest imprint;
};
// The tokens of the recorder's recording in `dir`: manifest*.tsr over the manifest, journal.K[.n].tsr over the
// journal's first K lines.
Result<std::vector<StampedToken>> recording_tokens(const std::filesystem::path& dir);

// A stamp taken while recording is named journal.K[.n].tsr and stamps the journal's first K lines, each with its
// newline: K for such a name (capped at the largest int64), nullopt for any other name. The centre checks the stamps
// a station sends by the same two functions (sync/src/centre.cc).
std::optional<std::int64_t> journal_stamp_lines(const std::string& name);
// What such a stamp covers: the SHA-256 of `journal` cut after its first `lines` lines (of nothing when it has fewer).
Sha256Digest journal_stamp_imprint(std::string_view journal, std::int64_t lines);

// One token checked as above, at `now`.
TokenCheck check_token(const std::filesystem::path& dir, const StampedToken& token, const std::filesystem::path& ca_file, UtcTime now);

// What `secure_recording_tokens` did with one token.
struct TokenRenewal {
  std::string file;
  std::string done;   // for a person: "保存了验证材料", "已续期（第 2 层）", "无须续期（证书有效至 …）"
  std::string error;  // empty when it went well
  std::optional<EvidenceRecordCheck> after;
};

// For every token of the recording in `dir`: keeps its validation material (chain, OCSP or CRL) when it has no record
// yet — right after the token was obtained — and, with `tsa_urls`, adds an archive stamp when renewal is due
// (`force`: whenever). Each record is written whole or not at all.
Result<std::vector<TokenRenewal>> secure_tokens(const std::filesystem::path& dir, const std::vector<StampedToken>& tokens,
                                                const std::filesystem::path& ca_file, const HttpClient& http, const TsaClient& tsa,
                                                const std::vector<std::string>& tsa_urls, UtcTime now, bool force = false);
// secure_tokens over recording_tokens(dir).
Result<std::vector<TokenRenewal>> secure_recording_tokens(const std::filesystem::path& dir, const std::filesystem::path& ca_file, const HttpClient& http,
                                                          const TsaClient& tsa, const std::vector<std::string>& tsa_urls, UtcTime now, bool force = false);

struct SealCheck {
  bool sealed = false;          // a manifest exists
  bool manifest_matches = false;  // the manifest's chain head and fragment count are the journal's, nothing appended
  bool ok = false;              // sealed, journal verifies, manifest matches it, at least one token verifies, no token fails
  JournalCheck journal;
  std::vector<TokenCheck> tokens;
  std::vector<std::string> errors;  // each names the file
  nlohmann::json to_json() const;
};

// Verifies journal, manifest and every token in `dir` against the trust store `ca_file`.
Result<SealCheck> check_seal(const std::filesystem::path& dir, const std::filesystem::path& ca_file);

}  // namespace netsample::recorder
