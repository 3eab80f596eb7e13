// import.json, the record of an imported unboxing video: written by UnboxingVideo::import (video.cc), read
// back here from the files alone — so `netsample verify DIR` needs no database and no FFmpeg.
#include "netsample/core/file_io.h"
#include "netsample/core/json_fields.h"
#include "netsample/core/sha256.h"
#include "netsample/core/tsa.h"
#include "netsample/unboxing/video.h"
#include "netsample/recorder/control.h"
#include "netsample/recorder/seal.h"
#include "netsample/recorder/verify.h"

#include <thread>

namespace netsample::unboxing {

using nlohmann::json;
namespace fs = std::filesystem;

Status write_import_record(const fs::path& dir, const json& record) {
  const fs::path file = dir / kImportRecordFile;
  NETSAMPLE_TRY(write_file_atomic(file, record.dump(2) + "\n"));
  std::error_code ec;
  fs::permissions(file, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read, ec);
  return {};
}

json ImportCheck::to_json() const {
  return {{"ok", ok}, {"hash_ok", hash_ok}, {"tokens_ok", tokens_ok}, {"continuous", continuous}, {"errors", errors}, {"warnings", warnings}};
}

std::string ImportCheck::to_text() const {
  std::string text = std::string(hash_ok ? "✓" : "✗") + " 视频 SHA-256 与导入时一致\n" + (tokens_ok > 0 ? "✓" : "✗") + " 可信时间戳 " +
                     std::to_string(tokens_ok) + " 个有效\n" + (continuous ? "✓" : "✗") + " 视频帧时间连续（文件自带的时间）\n";
  for (const auto& e : errors) text += "  " + e + "\n";
  for (const auto& w : warnings) text += "  注意：" + w + "\n";
  return text + (ok ? "结论：通过\n" : "结论：未通过\n");
}

Result<ImportCheck> verify_import(const fs::path& dir, const fs::path& trust_store) {
  const fs::path record_file = dir / kImportRecordFile;
  std::error_code ec;
  if (!fs::exists(record_file, ec)) return make_error(ErrorCode::not_found, record_file.string(), "不是导入的拆封视频目录（没有 import.json）");
  NETSAMPLE_ASSIGN(std::string text, read_file(record_file));
  NETSAMPLE_ASSIGN(json record, parse_json(text, record_file.string()));
  ImportCheck check;
  const fs::path video = dir / record.value("video", "");
  NETSAMPLE_ASSIGN(Sha256Digest expected, sha256_from_hex(record.value("sha256", ""), "import.json: sha256"));
  auto actual = sha256_file(video);
  check.hash_ok = actual.ok() && *actual == expected;
  if (!check.hash_ok) check.errors.push_back(actual.ok() ? video.filename().string() + " 的 SHA-256 与导入时不同：文件已被改动" : actual.error().describe());
  // Each token at its own time when it has an evidence record beside it (recorder::check_token), else today.
  const UtcTime now = SystemClock().now();
  for (const auto& t : record.value("timestamps", json::array())) {
    const recorder::TokenCheck token = recorder::check_token(dir, {t.value("file", ""), expected}, trust_store, now);
    if (token.ok) ++check.tokens_ok;
    else check.errors.push_back(token.file + "：" + token.error);
    if (token.long_term && token.long_term->renewal_due) check.warnings.push_back(token.file + "：" + token.long_term->advice);
  }
  if (record.value("timestamps", json::array()).empty()) check.errors.push_back("没有可信时间戳：导入时刻未经第三方证明");
  check.continuous = record.contains("info") && record["info"].value("continuous", false);
  if (!check.continuous) check.errors.push_back("视频的帧时间不连续或有倒退（见 import.json 的 info.gaps）");
  check.ok = check.hash_ok && check.tokens_ok > 0 && check.tokens_ok == static_cast<int>(record.value("timestamps", json::array()).size()) && check.continuous;
  return check;
}

Result<json> mark_live_step(const UnboxingView& session, const std::string& step, const std::string& note, const std::string& actor) {
  NETSAMPLE_ASSIGN(json answer, recorder::send_control(session.recording_dir, {{"command", "unbox_mark"}, {"step", step}, {"note", note}, {"as", actor}}));
  return answer["step"];
}

Result<UnboxingView> finish_live(UnboxingSessions& sessions, const UnboxingView& session, std::chrono::seconds wait) {
  NETSAMPLE_TRY(status_of(recorder::send_control(session.recording_dir, {{"command", "finish"}})));
  UnboxingView s = session;
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (s.state == UnboxingState::recording && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    NETSAMPLE_ASSIGN(s, sessions.get(s.id));
  }
  if (s.state == UnboxingState::recording)
    return make_error(ErrorCode::network, "case", "录制程序 " + std::to_string(wait.count()) + " 秒内没有结束（" + s.recording_dir.string() + "）");
  return s;
}

Result<std::vector<recorder::StampedToken>> import_tokens(const fs::path& dir) {
  NETSAMPLE_ASSIGN(std::string text, read_file(dir / kImportRecordFile));
  NETSAMPLE_ASSIGN(json record, parse_json(text, (dir / kImportRecordFile).string()));
  NETSAMPLE_ASSIGN(Sha256Digest video, sha256_from_hex(record.value("sha256", ""), "import.json: sha256"));
  std::vector<recorder::StampedToken> tokens;
  for (const auto& t : record.value("timestamps", json::array())) tokens.push_back({t.value("file", ""), video});
  return tokens;
}

Result<std::vector<recorder::StampedToken>> tokens_of_recording(const fs::path& dir) {
  if (fs::exists(dir / kImportRecordFile)) return import_tokens(dir);
  return recorder::recording_tokens(dir);
}

Result<RecordingCheck> verify_recording_dir(const fs::path& dir, const fs::path& trust_store) {
  RecordingCheck check;
  if (fs::exists(dir / kImportRecordFile)) {
    NETSAMPLE_ASSIGN(ImportCheck imported, verify_import(dir, trust_store));
    check = {true, imported.ok, imported.errors, imported.to_json(), imported.to_text()};
  } else if (fs::exists(dir / recorder::kJournalFile)) {
    NETSAMPLE_ASSIGN(recorder::VerifyReport report, recorder::verify_recording(dir, trust_store));
    check = {false, report.ok, report.errors, report.to_json(), report.to_text()};
  } else {
    return make_error(ErrorCode::not_found, dir.filename().string(), "录像文件不全：既无哈希链日志（recording.journal）也无导入记录（import.json）");
  }
  return check;
}

}  // namespace netsample::unboxing
