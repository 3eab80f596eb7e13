// The station's side of a sync: what the centre lacks, found by asking, sent in parts (design/central.md).
#include <algorithm>
#include <map>
#include <set>

#include "netsample/core/file_io.h"
#include "netsample/core/http.h"
#include "netsample/core/sha256.h"
#include "netsample/recorder/journal.h"
#include "netsample/recorder/seal.h"
#include "netsample/sync/sync.h"

namespace netsample::sync {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

class Centre {
 public:
  explicit Centre(const SyncOptions& options) : options_(options), http_(client_options(options)) {}

  Result<json> call(const std::string& method, const std::string& path, const std::string& body = {},
                    const std::string& type = "application/json") const {
    HttpRequest request;
    request.method = method;
    request.url = options_.central + path;
    request.headers = {{"Authorization", "Bearer " + options_.token}, {"Accept", "application/json"}};
    if (!body.empty() || method != "GET") request.headers.emplace_back("Content-Type", type);
    request.body = body;
    request.timeout = std::chrono::minutes(5);
    // Every call can be repeated without harm: rows and parts carry their position, blobs their name.
    request.idempotent = true;
    NETSAMPLE_ASSIGN(HttpResponse response, http_.send(request));
    const json answer = json::parse(response.body, nullptr, false);
    if (response.status >= 200 && response.status < 300) return answer.is_discarded() ? json::object() : answer;
    // The centre's error, as it said it (server/http.h: {"error": {code, field, message, article}}).
    if (answer.is_object() && answer.contains("error") && answer["error"].is_object()) {
      const json& e = answer["error"];
      Error error;
      error.code = error_code_from_string(e.value("code", "internal")).value_or(ErrorCode::internal);
      error.field = e.value("field", "");
      error.message = "中心：" + e.value("message", "");
      if (e.contains("article") && e["article"].is_number_integer()) error.article = e["article"].get<int>();
      return error;
    }
    return make_error(ErrorCode::network, options_.central + path, "中心答复 HTTP " + std::to_string(response.status));
  }

 private:
  static HttpClientOptions client_options(const SyncOptions& options) {
    HttpClientOptions o;
    o.ca_file = options.ca_file;
    o.user_agent = "netsample-sync/0.1";
    return o;
  }
  const SyncOptions& options_;
  HttpClient http_;
};

void tell(const SyncOptions& options, SyncProgress progress) {
  if (options.progress) options.progress(progress);
}

// The journal lines of one recording the centre lacks, each with the bytes it names, in journal order: a fragment
// of the video, or a page record of pages.warc.gz. A torn last line (the recorder writing it now) waits for the next
// round. The recording is named by a hash of its folder's path here (stable, and no path leaves the station).
// Lines go in batches of up to kLiveBatchLines and `part_bytes` a request: a station catching up after a day offline
// sends a recording's backlog in a few requests, not one per fragment.
constexpr size_t kLiveBatchLines = 64;

Status send_live(const Centre& centre, const LiveSource& source, const SyncOptions& options, SyncReport& report) {
  const fs::path dir = fs::absolute(source.dir).lexically_normal();
  NETSAMPLE_ASSIGN(std::optional<std::string> journal, read_file_if_exists(dir / recorder::kJournalFile));
  if (!journal) return {};
  const std::string key = sha256_hex(dir.generic_string()).substr(0, 32);
  NETSAMPLE_ASSIGN(json held, centre.call("GET", "/api/sync/live/" + key));
  std::vector<std::string> lines;
  for (size_t start = 0, end; (end = journal->find('\n', start)) != std::string::npos; start = end + 1) lines.push_back(journal->substr(start, end - start));
  const std::int64_t held_lines = std::max<std::int64_t>(0, held.value("lines", std::int64_t{0}));
  std::optional<RangeReader> media, pages;
  std::int64_t sent = 0;
  std::vector<std::string> batch;
  std::string batch_bytes;
  auto send_batch = [&]() -> Status {
    if (batch.empty()) return {};
    const std::string head = json{{"case", source.case_number}, {"dir", dir.filename().string()}, {"lines", batch}}.dump();
    NETSAMPLE_TRY(status_of(centre.call("POST", "/api/sync/live/" + key, head + "\n" + batch_bytes, "application/octet-stream")));
    sent += static_cast<std::int64_t>(batch.size());
    report.live_lines_sent += static_cast<std::int64_t>(batch.size());
    report.live_bytes_sent += batch_bytes.size();
    tell(options, {"live", static_cast<std::uint64_t>(held_lines + sent), lines.size(), dir.filename().string()});
    batch.clear();
    batch_bytes.clear();
    return {};
  };
  for (size_t i = static_cast<size_t>(held_lines); i < lines.size(); ++i) {
    const json line = json::parse(lines[i], nullptr, false);
    if (!line.is_object()) break;  // the centre names a damaged line when it is sent; a torn one is not complete yet
    const bool page = line.value("kind", "") == "page";
    std::optional<RangeReader>& reader = page ? pages : media;
    if (!reader) {
      NETSAMPLE_ASSIGN(RangeReader opened, RangeReader::open(dir / (page ? recorder::kPagesFile : recorder::kMediaFile)));
      reader.emplace(std::move(opened));
    }
    const std::uint64_t offset = line.value("offset", std::uint64_t{0}), size = line.value("size", std::uint64_t{0});
    if (!batch.empty() && (batch.size() >= kLiveBatchLines || batch_bytes.size() + size > options.part_bytes)) NETSAMPLE_TRY(send_batch());
    NETSAMPLE_ASSIGN(std::string_view bytes, reader->range(offset, size));
    batch.push_back(lines[i]);
    batch_bytes.append(bytes);
  }
  NETSAMPLE_TRY(send_batch());
  // The time stamps the recorder took while recording, each over lines the centre holds by now.
  std::set<std::string> held_stamps;
  for (const auto& name : held.value("stamps", json::array()))
    if (name.is_string()) held_stamps.insert(name.get<std::string>());
  std::vector<std::string> stamps;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    const std::optional<std::int64_t> stamped = recorder::journal_stamp_lines(name);
    if (stamped && *stamped >= 1 && *stamped <= held_lines + sent && !held_stamps.contains(name)) stamps.push_back(name);
  }
  if (ec) return make_error(ErrorCode::io, dir.string(), "无法读取录像目录：" + ec.message());
  std::sort(stamps.begin(), stamps.end());
  for (const auto& name : stamps) {
    NETSAMPLE_ASSIGN(std::string token, read_file(dir / name));
    NETSAMPLE_TRY(status_of(centre.call("POST", "/api/sync/live/" + key + "/stamps/" + name, token, "application/timestamp-reply")));
    ++report.live_stamps_sent;
  }
  return {};
}

Status check_options(const SyncOptions& options) {
  if (options.central.empty()) return make_error(ErrorCode::missing_field, "central", "须给出中心的地址（--central https://…）");
  if (options.token.empty())
    return make_error(ErrorCode::missing_field, "token", "须给出工作站令牌（环境变量 NETSAMPLE_STATION_TOKEN，或 --token-file 文件）");
  return {};
}

}  // namespace

Result<SyncReport> push_live(const SyncOptions& options) {
  NETSAMPLE_TRY(check_options(options));
  const Centre centre(options);
  SyncReport report;
  if (!options.live_recordings) return report;
  for (const auto& source : options.live_recordings()) NETSAMPLE_TRY(send_live(centre, source, options, report));
  return report;
}

Result<SyncReport> push(store::Store& store, const SyncOptions& options) {
  NETSAMPLE_TRY(check_options(options));
  const Centre centre(options);
  SyncReport report;

  // Before anything is sent: the centre's head of this station's chain must be a row of this chain.
  NETSAMPLE_ASSIGN(json head, centre.call("GET", "/api/sync/head"));
  const std::int64_t central_seq = head.value("seq", std::int64_t{0});
  const std::string central_hash = head.value("hash", std::string(store::kGenesisHash));
  if (central_seq > 0) {
    NETSAMPLE_ASSIGN(std::optional<std::string> mine, store.audit().hash_at(central_seq));
    if (!mine)
      return make_error(ErrorCode::integrity, "audit", "中心已有本站审计链到第 " + std::to_string(central_seq) + " 条，本站却没有这一条：审计链被截短，或令牌属于另一工作站");
    if (*mine != central_hash)
      return make_error(ErrorCode::integrity, "audit", "本站审计链第 " + std::to_string(central_seq) + " 条与中心所存的不同：本站的链在同步后被改写");
  }

  // What the centre holds of this station's cases, and which of them it handed to another station.
  NETSAMPLE_ASSIGN(json held, centre.call("GET", "/api/sync/cases"));
  const json handed_away = held.value("handed_away", json::object());
  for (const auto& [number, holder] : handed_away.items())
    if (holder.is_string()) report.handed_away[number] = holder.get<std::string>();
  // Told for the first time: a row of this station's chain, so that its lifecycle moves the case no further (the
  // other station continues it) and the handover is part of its own history.
  for (const auto& [number, holder] : report.handed_away) {
    NETSAMPLE_ASSIGN(std::optional<store::AuditRecord> known, store.audit().last_of(number, "case.handed_away"));
    if (known) continue;
    NETSAMPLE_TRY(store.write([&, number = number, holder = holder]() -> Status {
      return status_of(store.audit().append({"system:sync", "case.handed_away", number, {{"to", holder}}}, store.clock().now()));
    }));
  }

  // The documents of each case whose rows are newer than the centre's copy of them, read before the rows: every
  // row and every blob they name is then in what is read after them and sent before them. Not those of a case
  // handed away: the centre takes them from its holder now.
  std::map<std::string, json> documents;
  if (options.case_documents) {
    std::map<std::string, std::int64_t> newest;
    NETSAMPLE_ASSIGN(std::vector<store::AuditRecord> before, store.audit().records());
    for (const auto& row : before)
      if (row.case_number) newest[*row.case_number] = row.seq;
    for (const auto& [number, seq] : newest) {
      if (report.handed_away.contains(number)) continue;
      const json at = held.value("cases", json::object()).value(number, json());
      if (at.is_number_integer() && at.get<std::int64_t>() >= seq) continue;
      auto made = options.case_documents(number);
      // A case whose documents cannot be read now (its records half-way through a change) waits for the next sync.
      if (made.ok()) documents[number] = std::move(*made);
    }
  }

  // The rows to send, and the blobs they name: each evidence.added after the centre's head carries its SHA-256 and
  // size (the store keeps the blob before it writes the row). The blobs go first, so that no row the centre receives
  // names a blob it lacks; each once (items share them). Rows the centre has name nothing left to send.
  NETSAMPLE_ASSIGN(std::vector<store::AuditRecord> rows, store.audit().records());
  std::vector<store::AuditRecord> pending;
  std::map<std::string, std::uint64_t> blobs;
  std::set<std::string> deleted;  // evidence deleted after its retention (Art 47): its bytes may be gone here
  for (const auto& row : rows) {
    if (row.seq <= central_seq) continue;
    pending.push_back(row);
    if (row.action == "evidence.deleted") {
      const json removed = json::parse(row.payload, nullptr, false);
      if (removed.is_object() && removed.contains("sha256") && removed["sha256"].is_string()) deleted.insert(removed["sha256"].get<std::string>());
    }
    if (row.action != "evidence.added") continue;
    const json added = json::parse(row.payload, nullptr, false);
    if (!added.is_object() || !added.contains("sha256") || !added["sha256"].is_string() || !added.contains("size") ||
        !added["size"].is_number_integer() || added["size"].get<std::int64_t>() < 0)
      return make_error(ErrorCode::integrity, "audit", "本站审计链第 " + std::to_string(row.seq) + " 条（evidence.added）缺少证据的 sha256 或大小");
    blobs[added["sha256"].get<std::string>()] = static_cast<std::uint64_t>(added["size"].get<std::int64_t>());
  }
  for (const auto& sha256 : deleted) {
    NETSAMPLE_ASSIGN(bool kept, store.evidence().contains(sha256));
    if (!kept) blobs.erase(sha256);  // the rows still go: the centre learns it was added and deleted
  }
  // Recordings being made, and those stored since the centre's head (their last lines may not have gone): the
  // journal lines the centre lacks, first — a station that dies mid-purchase has delivered what it recorded, and a
  // recording the centre holds whole by its lines is not sent again as a blob.
  std::map<fs::path, std::string> live;  // folder → case (not one handed away: the centre takes its recordings from its holder)
  if (options.live_recordings)
    for (const auto& source : options.live_recordings())
      if (!report.handed_away.contains(source.case_number)) live[fs::absolute(source.dir).lexically_normal()] = source.case_number;
  for (const auto& row : pending) {
    if (row.action != "evidence.added" || !row.case_number) continue;
    const json added = json::parse(row.payload, nullptr, false);
    if (added.value("name", "") != recorder::kMediaFile || !added.contains("evidence_id") || !added["evidence_id"].is_number_integer()) continue;
    NETSAMPLE_ASSIGN(std::optional<store::EvidenceItem> item, store.evidence_item(added["evidence_id"].get<std::int64_t>()));
    if (item && item->source && !report.handed_away.contains(*row.case_number)) live[fs::path(*item->source).parent_path()] = *row.case_number;
  }
  for (const auto& [dir, case_number] : live) NETSAMPLE_TRY(send_live(centre, {dir, case_number}, options, report));

  std::uint64_t total_bytes = 0, done_bytes = 0;
  for (const auto& [sha256, size] : blobs) total_bytes += size;
  for (const auto& [sha256, size] : blobs) {
    NETSAMPLE_ASSIGN(json state, centre.call("GET", "/api/sync/blobs/" + sha256 + "?size=" + std::to_string(size)));
    if (state.value("present", false)) {
      ++report.blobs_already_there;
      done_bytes += size;
      tell(options, {"evidence", done_bytes, total_bytes, sha256});
      continue;
    }
    // From where the centre's copy stops: a sync cut off resends nothing it had delivered.
    std::uint64_t offset = state.value("received", std::uint64_t{0});
    done_bytes += offset;
    do {
      const std::uint64_t length = std::min<std::uint64_t>(options.part_bytes, size - offset);
      NETSAMPLE_ASSIGN(std::string part, store.evidence().read_range(sha256, offset, length));
      const std::string path = "/api/sync/blobs/" + sha256 + "?size=" + std::to_string(size) + "&offset=" + std::to_string(offset);
      NETSAMPLE_ASSIGN(json answer, centre.call("PUT", path, part, "application/octet-stream"));
      offset += length;
      done_bytes += length;
      report.bytes_sent += length;
      tell(options, {"evidence", done_bytes, total_bytes, sha256});
      if (answer.value("present", false)) break;
    } while (offset < size);
    ++report.blobs_sent;
  }

  // Then the chain as read above, in batches, from the row after the centre's head.
  report.central_head = {central_seq, central_hash};
  constexpr size_t kBatch = 500;
  for (size_t start = 0; start < pending.size(); start += kBatch) {
    json batch = json::array();
    for (size_t i = start; i < std::min(pending.size(), start + kBatch); ++i) batch.push_back(store::to_json(pending[i]));
    NETSAMPLE_ASSIGN(json answer, centre.call("POST", "/api/sync/rows", json{{"rows", batch}}.dump()));
    report.central_head = {answer.value("seq", std::int64_t{0}), answer.value("hash", std::string())};
    report.rows_sent += static_cast<std::int64_t>(batch.size());
    tell(options, {"audit", static_cast<std::uint64_t>(std::min(pending.size(), start + kBatch)), pending.size(), ""});
  }

  // Then the cases' documents, each as read at the end of the rows just sent.
  const std::int64_t read_at = rows.empty() ? 0 : rows.back().seq;
  std::uint64_t done_cases = 0;
  for (const auto& [number, made] : documents) {
    NETSAMPLE_TRY(status_of(centre.call("POST", "/api/sync/cases", json{{"case", number}, {"seq", read_at}, {"documents", made}}.dump())));
    ++report.cases_sent;
    tell(options, {"cases", ++done_cases, documents.size(), number});
  }
  return report;
}

}  // namespace netsample::sync
