#include "netsample/recorder/seal.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <regex>

#include "netsample/core/file_io.h"
#include "netsample/recorder/continuity.h"
#include "netsample/recorder/playback.h"

namespace netsample::recorder {
namespace fs = std::filesystem;

namespace {

std::string token_file(size_t index) { return index == 0 ? "manifest.tsr" : "manifest." + std::to_string(index + 1) + ".tsr"; }


bool is_token_name(const std::string& name) {
  return std::regex_match(name, std::regex(R"(manifest(\.\d+)?\.tsr)")) || journal_stamp_lines(name).has_value();
}

// What a token of the recording stamps: the manifest's SHA-256, or that of the journal's first K lines.
Result<Sha256Digest> token_imprint(const fs::path& dir, const std::string& name, std::optional<std::string>& journal_text) {
  if (const auto lines = journal_stamp_lines(name)) {
    if (!journal_text) {
      NETSAMPLE_ASSIGN(journal_text, read_file(dir / kJournalFile));
    }
    return journal_stamp_imprint(*journal_text, *lines);
  }
  NETSAMPLE_ASSIGN(std::string manifest, read_file(dir / kManifestFile));
  return sha256(manifest);
}

Result<std::optional<EvidenceRecord>> read_evidence_record(const fs::path& token) {
  NETSAMPLE_ASSIGN(std::optional<std::string> text, read_file_if_exists(evidence_record_path(token)));
  if (!text) return std::optional<EvidenceRecord>();
  auto record = EvidenceRecord::from_json(nlohmann::json::parse(*text, nullptr, false));
  if (!record.ok()) return make_error(ErrorCode::integrity, evidence_record_path(token).filename().string(), "证据记录无法读取：" + record.error().message);
  return std::optional<EvidenceRecord>(std::move(record).value());
}

}  // namespace

fs::path evidence_record_path(const fs::path& token_file) { return fs::path(token_file.string() + ".er.json"); }

std::optional<std::int64_t> journal_stamp_lines(const std::string& name) {
  static const std::regex stamp_name(R"(journal\.(\d+)(\.\d+)?\.tsr)");
  std::smatch match;
  if (!std::regex_match(name, match, stamp_name)) return std::nullopt;
  std::int64_t lines = 0;
  const std::string digits = match[1];
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), lines);
  return error == std::errc::result_out_of_range ? std::numeric_limits<std::int64_t>::max() : lines;
}

Sha256Digest journal_stamp_imprint(std::string_view journal, std::int64_t lines) {
  size_t pos = 0;
  for (std::int64_t i = 0; i < lines && pos != std::string_view::npos; ++i) {
    pos = journal.find('\n', pos);
    if (pos != std::string_view::npos) ++pos;
  }
  return sha256(pos == std::string_view::npos ? std::string_view() : journal.substr(0, pos));
}

nlohmann::json TokenCheck::to_json() const {
  nlohmann::json j = {{"file", file}, {"ok", ok}, {"gen_time", gen_time}, {"error", error}};
  if (long_term) j["long_term"] = long_term->to_json();
  return j;
}

Result<std::vector<StampedToken>> recording_tokens(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.is_regular_file() && is_token_name(entry.path().filename().string())) names.push_back(entry.path().filename().string());
  if (ec) return make_error(ErrorCode::io, dir.string(), "无法读取录像目录：" + ec.message());
  std::sort(names.begin(), names.end());
  std::vector<StampedToken> tokens;
  std::optional<std::string> journal;  // read once for all the journal's stamps
  for (const auto& name : names) {
    NETSAMPLE_ASSIGN(Sha256Digest imprint, token_imprint(dir, name, journal));
    tokens.push_back({name, imprint});
  }
  return tokens;
}

TokenCheck check_token(const fs::path& dir, const StampedToken& token, const fs::path& ca_file, UtcTime now) {
  TokenCheck check;
  check.file = token.file;
  auto der = read_file(dir / token.file);
  auto record = read_evidence_record(dir / token.file);
  if (!der.ok() || !record.ok()) {
    check.error = !der.ok() ? der.error().message : record.error().message;
    return check;
  }
  if (*record) {
    EvidenceRecordCheck long_term = verify_evidence_record(*der, token.imprint, **record, ca_file, now);
    check.ok = long_term.ok;
    if (long_term.ok) check.gen_time = format_beijing(long_term.layers.front().gen_time);
    else check.error = long_term.problem;
    check.long_term = std::move(long_term);
    return check;
  }
  auto verified = verify_timestamp(*der, token.imprint, ca_file);
  if (verified.ok()) {
    check.ok = true;
    check.gen_time = format_beijing(verified->gen_time);
  } else {
    check.error = verified.error().message + "（没有证据记录 " + evidence_record_path(token.file).string() +
                  "：证书到期后须靠它在时间戳自身的时间验证，netsample evidence renew）";
  }
  return check;
}

Result<std::vector<TokenRenewal>> secure_recording_tokens(const fs::path& dir, const fs::path& ca_file, const HttpClient& http, const TsaClient& tsa,
                                                          const std::vector<std::string>& tsa_urls, UtcTime now, bool force) {
  NETSAMPLE_ASSIGN(std::vector<StampedToken> tokens, recording_tokens(dir));
  return secure_tokens(dir, tokens, ca_file, http, tsa, tsa_urls, now, force);
}

Result<std::vector<TokenRenewal>> secure_tokens(const fs::path& dir, const std::vector<StampedToken>& tokens, const fs::path& ca_file,
                                                const HttpClient& http, const TsaClient& tsa, const std::vector<std::string>& tsa_urls, UtcTime now,
                                                bool force) {
  std::vector<TokenRenewal> out;
  for (const auto& token : tokens) {
    const std::string& name = token.file;
    TokenRenewal line;
    line.file = name;
    auto der = read_file(dir / name);
    const Sha256Digest& imprint = token.imprint;
    auto existing = read_evidence_record(dir / name);
    if (!der.ok() || !existing.ok()) {
      line.error = !der.ok() ? der.error().message : existing.error().message;
      out.push_back(std::move(line));
      continue;
    }
    EvidenceRecord record;
    bool changed = false;
    if (*existing) {
      record = std::move(**existing);
    } else {
      // The material of the token as it is now: only worth keeping while the token verifies today.
      if (auto today = verify_timestamp(*der, imprint, ca_file); !today.ok()) {
        line.error = "时间戳今天已不成立，无法再保存它的验证材料：" + today.error().message;
        out.push_back(std::move(line));
        continue;
      }
      auto material = collect_validation_material(*der, ca_file, http, now);
      if (!material.ok()) {
        line.error = "保存验证材料失败：" + material.error().message;
        out.push_back(std::move(line));
        continue;
      }
      record.material = std::move(material).value();
      changed = true;
      line.done = "保存了验证材料（" + std::to_string(record.material.certificates.size()) + " 张证书，" +
                  std::to_string(record.material.ocsp_responses.size()) + " 个 OCSP 应答，" + std::to_string(record.material.crls.size()) + " 个 CRL）";
    }
    EvidenceRecordCheck check = verify_evidence_record(*der, imprint, record, ca_file, now);
    if (!check.ok) {
      line.error = check.problem;
      out.push_back(std::move(line));
      continue;
    }
    if (!tsa_urls.empty() && (check.renewal_due || force)) {
      Status renewed = renew_evidence_record(record, *der, tsa, tsa_urls, ca_file, http, now);
      if (!renewed.ok()) {
        line.error = renewed.error().message;
      } else {
        changed = true;
        line.done += std::string(line.done.empty() ? "" : "；") + "已续期（第 " + std::to_string(record.renewals.size()) + " 次存档时间戳）";
        check = verify_evidence_record(*der, imprint, record, ca_file, now);
      }
    } else if (line.done.empty()) {
      line.done = check.renewal_due ? check.advice : "无须续期（证书有效至 " + format_iso8601_beijing(check.valid_until) + "）";
    }
    if (changed) {
      Status written = write_file_atomic(evidence_record_path(dir / name), record.to_json().dump(2) + "\n");
      if (!written.ok()) line.error = written.error().message;
    }
    line.after = std::move(check);
    out.push_back(std::move(line));
  }
  return out;
}

Result<SealResult> seal_recording(const fs::path& dir, nlohmann::json manifest, const TsaClient& tsa,
                                  const std::vector<std::string>& tsa_urls) {
  NETSAMPLE_ASSIGN(JournalCheck journal, verify_journal(dir / kJournalFile, dir / kMediaFile, dir / kPagesFile));
  if (!journal.ok)
    return make_error(ErrorCode::integrity, (dir / kJournalFile).string(), "哈希链日志校验未通过，不能封存：" + journal.errors.front());
  manifest["format"] = "netsample-recording/1";
  manifest["media"] = kMediaFile;
  manifest["journal"] = kJournalFile;
  manifest["fragments"] = journal.records.size();
  manifest["frames"] = journal.frames;
  manifest["chain_head"] = journal.head;
  if (!journal.pages.empty() || fs::exists(dir / kPagesFile)) {
    // The pages file whole, as sealed: a record appended after the seal is then caught by its size.
    NETSAMPLE_ASSIGN(Sha256Digest pages, sha256_file(dir / kPagesFile));
    std::error_code ec;
    manifest["pages"] = {{"file", kPagesFile}, {"records", journal.pages.size()}, {"bytes", fs::file_size(dir / kPagesFile, ec)}, {"sha256", to_hex(pages)}};
  }
  const std::string text = manifest.dump(2) + "\n";
  NETSAMPLE_TRY(write_file_atomic(dir / kManifestFile, text, 0444));

  SealResult result;
  const Sha256Digest digest = sha256(text);
  result.manifest_sha256 = to_hex(digest);
  for (const auto& url : tsa_urls) {
    auto token = tsa.stamp(url, digest);
    if (!token.ok()) {
      result.failures.push_back(url + "：" + token.error().message);
      continue;
    }
    NETSAMPLE_TRY(write_file_atomic(dir / token_file(result.tokens.size()), token->response_der, 0444));
    result.tokens.push_back(std::move(token).value());
  }
  return result;
}

nlohmann::json SealCheck::to_json() const {
  nlohmann::json token_list = nlohmann::json::array();
  for (const auto& t : tokens) token_list.push_back(t.to_json());
  return {{"sealed", sealed}, {"ok", ok}, {"journal", journal.to_json()}, {"tokens", token_list}, {"errors", errors}};
}

Result<SealCheck> check_seal(const fs::path& dir, const fs::path& ca_file) {
  SealCheck check;
  NETSAMPLE_ASSIGN(check.journal, verify_journal(dir / kJournalFile, dir / kMediaFile, dir / kPagesFile));
  for (const auto& e : check.journal.errors) check.errors.push_back(std::string(kJournalFile) + "：" + e);

  NETSAMPLE_ASSIGN(std::optional<std::string> text, read_file_if_exists(dir / kManifestFile));
  if (!text) {
    check.errors.push_back(std::string(kManifestFile) + "：不存在——录制未正常结束（未封存），已写入的片段仍逐一校验");
    return check;
  }
  check.sealed = true;
  const auto manifest = nlohmann::json::parse(*text, nullptr, false);
  if (!manifest.is_object()) {
    check.errors.push_back(std::string(kManifestFile) + "：不是有效的 JSON");
  } else {
    if (manifest.value("chain_head", "") != check.journal.head)
      check.errors.push_back(std::string(kManifestFile) + "：记录的哈希链末值与日志不符（日志或清单被改动、截短）");
    if (manifest.value("fragments", static_cast<size_t>(0)) != check.journal.records.size())
      check.errors.push_back(std::string(kManifestFile) + "：片段数与日志不符");
    if (check.journal.unjournaled_bytes > 0)
      check.errors.push_back(std::string(kMediaFile) + "：封存后文件末尾多出 " + std::to_string(check.journal.unjournaled_bytes) + " 字节");
    const nlohmann::json pages = manifest.value("pages", nlohmann::json::object());
    if (pages.value("records", static_cast<size_t>(0)) != check.journal.pages.size())
      check.errors.push_back(std::string(kManifestFile) + "：网页记录数（" + std::to_string(pages.value("records", 0)) + "）与日志（" +
                             std::to_string(check.journal.pages.size()) + "）不符");
    if (check.journal.unjournaled_page_bytes > 0)
      check.errors.push_back(std::string(kPagesFile) + "：有 " + std::to_string(check.journal.unjournaled_page_bytes) +
                             " 字节不在哈希链中（封存后被加入的记录，或录制中断时未写完的记录）");
    check.manifest_matches = check.errors.empty();
  }

  const UtcTime now = SystemClock().now();
  const Sha256Digest digest = sha256(*text);
  for (size_t i = 0; fs::exists(dir / token_file(i)); ++i) {
    TokenCheck token = check_token(dir, {token_file(i), digest}, ca_file, now);
    if (!token.ok) check.errors.push_back(token.file + "：" + token.error);
    check.tokens.push_back(std::move(token));
  }
  if (check.tokens.empty()) check.errors.push_back(std::string(kManifestFile) + "：没有可信时间戳");
  check.ok = check.errors.empty();
  return check;
}

std::string_view to_string(RecordingFileKind kind) {
  switch (kind) {
    case RecordingFileKind::recording: return "recording";
    case RecordingFileKind::journal: return "journal";
    case RecordingFileKind::recording_log: return "recording_log";
    case RecordingFileKind::manifest: return "manifest";
    case RecordingFileKind::timestamp_token: return "timestamp_token";
    case RecordingFileKind::evidence_record: return "evidence_record";
    case RecordingFileKind::still: return "still";
    case RecordingFileKind::playback: return "playback";
    case RecordingFileKind::pages: return "web_capture";
  }
  return "recording_log";
}

std::vector<RecordingFile> recording_files(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::vector<RecordingFile> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file()) continue;
    const std::string name = entry.path().filename().string();
    if (name == kMediaFile) files.push_back({entry.path(), RecordingFileKind::recording});
    else if (name == kJournalFile) files.push_back({entry.path(), RecordingFileKind::journal});
    else if (name == kEventsFile) files.push_back({entry.path(), RecordingFileKind::recording_log});
    else if (name == kManifestFile) files.push_back({entry.path(), RecordingFileKind::manifest});
    else if (name == kPlaybackFile) files.push_back({entry.path(), RecordingFileKind::playback});
    else if (name == kPagesFile) files.push_back({entry.path(), RecordingFileKind::pages});
    else if (entry.path().extension() == ".tsr") files.push_back({entry.path(), RecordingFileKind::timestamp_token});  // manifest*.tsr, journal.K.tsr
    else if (name.ends_with(".tsr.er.json")) files.push_back({entry.path(), RecordingFileKind::evidence_record});
  }
  for (const auto& entry : fs::directory_iterator(dir / kStillsDir, ec))
    if (entry.is_regular_file() && entry.path().extension() == ".png") files.push_back({entry.path(), RecordingFileKind::still});
  std::sort(files.begin(), files.end(), [](const RecordingFile& a, const RecordingFile& b) { return a.path < b.path; });
  return files;
}

}  // namespace netsample::recorder
