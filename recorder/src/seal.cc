#include "netsample/recorder/seal.h"

#include <algorithm>

#include "netsample/core/file_io.h"
#include "netsample/recorder/continuity.h"
#include "netsample/recorder/playback.h"

namespace netsample::recorder {
namespace fs = std::filesystem;

namespace {

std::string token_file(size_t index) { return index == 0 ? "manifest.tsr" : "manifest." + std::to_string(index + 1) + ".tsr"; }

}  // namespace

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
  for (const auto& t : tokens) token_list.push_back({{"file", t.file}, {"ok", t.ok}, {"gen_time", t.gen_time}, {"error", t.error}});
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

  const Sha256Digest digest = sha256(*text);
  for (size_t i = 0;; ++i) {
    const fs::path file = dir / token_file(i);
    NETSAMPLE_ASSIGN(std::optional<std::string> der, read_file_if_exists(file));
    if (!der) break;
    TokenCheck token;
    token.file = file.filename().string();
    auto verified = verify_timestamp(*der, digest, ca_file);
    if (verified.ok()) {
      token.ok = true;
      token.gen_time = format_beijing(verified->gen_time);
    } else {
      token.error = verified.error().message;
      check.errors.push_back(token.file + "：" + token.error);
    }
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
  }
  for (const auto& entry : fs::directory_iterator(dir / kStillsDir, ec))
    if (entry.is_regular_file() && entry.path().extension() == ".png") files.push_back({entry.path(), RecordingFileKind::still});
  std::sort(files.begin(), files.end(), [](const RecordingFile& a, const RecordingFile& b) { return a.path < b.path; });
  return files;
}

}  // namespace netsample::recorder
