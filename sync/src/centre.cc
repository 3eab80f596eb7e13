// The centre's side of a sync: the stations it accepts, each station's audit chain as received, and blobs that
// arrive part by part (design/central.md).
#include <fcntl.h>
#include <unistd.h>

#include <regex>
#include <set>
#include <tuple>
#include <variant>

#include "netsample/accounts/accounts.h"
#include "netsample/core/file_io.h"
#include "netsample/core/sha256.h"
#include "netsample/core/tsa.h"
#include "netsample/recorder/journal.h"
#include "netsample/recorder/seal.h"
#include "netsample/sync/sync.h"

namespace netsample::sync {
namespace fs = std::filesystem;
using json = nlohmann::json;

json Station::to_json() const {
  return {{"id", id}, {"name", name}, {"added", format_iso8601_beijing(added)},
          {"revoked", revoked ? json(format_iso8601_beijing(*revoked)) : json(nullptr)}};
}

namespace {

constexpr const char* kSelectStation = "SELECT id, name, added_utc_us, revoked_utc_us FROM stations ";

Station station_from_row(const store::Statement& stmt) {
  Station s{stmt.text(0), stmt.text(1), from_utc_us(stmt.int64(2)), std::nullopt};
  if (!stmt.is_null(3)) s.revoked = from_utc_us(stmt.int64(3));
  return s;
}

Result<store::AuditRecord> audit_row(const store::Statement& stmt) {
  store::AuditRecord r;
  r.seq = stmt.int64(0);
  r.at = from_utc_us(stmt.int64(1));
  r.actor = stmt.text(2);
  r.action = stmt.text(3);
  if (!stmt.is_null(4)) r.case_number = stmt.text(4);
  r.payload = stmt.text(5);
  r.prev_hash = stmt.text(6);
  r.hash = stmt.text(7);
  return r;
}

Status add_owner(store::Store& store, const std::string& case_number, std::int64_t turn, const std::string& station, const std::string& actor) {
  NETSAMPLE_ASSIGN(store::Statement insert, store.db().prepare("INSERT INTO station_case_owners (case_number, turn, station_id, since_utc_us, by_actor) "
                                                                "VALUES (?1, ?2, ?3, ?4, ?5)"));
  return insert.bind(1, case_number).bind(2, turn).bind(3, station).bind(4, to_utc_us(store.clock().now())).bind(5, actor).run();
}

// Whether `station` held the case at some turn (a former owner, after a handover).
Result<bool> held_before_by(store::Store& store, const std::string& case_number, const std::string& station) {
  NETSAMPLE_ASSIGN(store::Statement stmt, store.db().prepare("SELECT 1 FROM station_case_owners WHERE case_number = ?1 AND station_id = ?2"));
  return stmt.bind(1, case_number).bind(2, station).step();
}

// A file on this instance's disk for one request only, removed when it goes.
struct TempFile {
  explicit TempFile(fs::path file) : path(std::move(file)) {}
  ~TempFile() {
    std::error_code ignored;
    fs::remove(path, ignored);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  fs::path path;
};

// Writes the pieces of a file kept as rows into `file`, one row in memory at a time: `keys_sql` lists their keys in
// order (?1 the station, ?2 the name), `read_sql` gives the bytes of one (?3 its key).
Status write_pieces(store::Store& store, const std::string& station, const std::string& name, const std::string& keys_sql, const std::string& read_sql,
                    const fs::path& file) {
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  if (ec) return io_error(file.parent_path(), "无法创建目录：" + ec.message());
  UniqueFd out(::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!out.valid()) return io_error(file, "无法写入");
  NETSAMPLE_ASSIGN(store::Statement keys, store.db().prepare(keys_sql));
  keys.bind(1, station).bind(2, name);
  std::vector<std::int64_t> order;
  for (;;) {
    NETSAMPLE_ASSIGN(bool row, keys.step());
    if (!row) break;
    order.push_back(keys.int64(0));
  }
  NETSAMPLE_ASSIGN(store::Statement read, store.db().prepare(read_sql));
  for (const std::int64_t key : order) {
    read.reset();
    NETSAMPLE_ASSIGN(bool row, read.bind(1, station).bind(2, name).bind(3, key).step());
    if (!row) return make_error(ErrorCode::refused_by_rule, "offset", "证据 " + name.substr(0, 12) + "… 的分段正被另一请求合成：请稍后再问");
    NETSAMPLE_TRY(write_all(out.get(), read.blob(0), file));
  }
  return {};
}

constexpr const char* kSelectAudit = "SELECT seq, utc_us, actor, action, case_number, payload, prev_hash, hash FROM station_audit ";

}  // namespace

Result<std::string> Stations::add(const std::string& id, const std::string& name, const std::string& actor) {
  static const std::regex valid("[a-z0-9][a-z0-9-]{1,39}");
  if (!std::regex_match(id, valid)) return make_error(ErrorCode::invalid_input, "id", "工作站编号须为 2–40 个小写字母、数字或 -，以字母或数字开头");
  if (name.empty()) return make_error(ErrorCode::missing_field, "name", "须给出工作站名称（例如 渝北区局抽样站）");
  // "nss_" tells a station's token apart from a person's API token in a log or a form.
  const std::string token = "nss_" + accounts::random_hex(32);
  NETSAMPLE_TRY(store_->write([&]() -> Status {
    NETSAMPLE_ASSIGN(store::Statement taken, store_->db().prepare("SELECT 1 FROM stations WHERE id = ?1"));
    NETSAMPLE_ASSIGN(bool exists, taken.bind(1, id).step());
    if (exists) return make_error(ErrorCode::duplicate, "id", "已有编号为 " + id + " 的工作站");
    NETSAMPLE_ASSIGN(store::Statement insert, store_->db().prepare("INSERT INTO stations (id, name, token_sha256, added_utc_us) VALUES (?1, ?2, ?3, ?4)"));
    NETSAMPLE_TRY(insert.bind(1, id).bind(2, name).bind(3, sha256_hex(token)).bind(4, to_utc_us(store_->clock().now())).run());
    return status_of(store_->audit().append({actor, "station.added", std::nullopt, {{"station", id}, {"name", name}}}, store_->clock().now()));
  }));
  return token;
}

Status Stations::revoke(const std::string& id, const std::string& actor) {
  return store_->write([&]() -> Status {
    NETSAMPLE_ASSIGN(store::Statement update, store_->db().prepare("UPDATE stations SET revoked_utc_us = ?2 WHERE id = ?1 AND revoked_utc_us IS NULL RETURNING id"));
    NETSAMPLE_ASSIGN(bool revoked, update.bind(1, id).bind(2, to_utc_us(store_->clock().now())).step());
    if (!revoked) return make_error(ErrorCode::not_found, "id", "没有编号为 " + id + " 的在用工作站");
    NETSAMPLE_TRY(update.run());
    return status_of(store_->audit().append({actor, "station.revoked", std::nullopt, {{"station", id}}}, store_->clock().now()));
  });
}

Result<std::vector<Station>> Stations::list() {
  NETSAMPLE_ASSIGN(store::Statement stmt, store_->db().prepare(std::string(kSelectStation) + "ORDER BY id"));
  std::vector<Station> out;
  for (;;) {
    NETSAMPLE_ASSIGN(bool row, stmt.step());
    if (!row) return out;
    out.push_back(station_from_row(stmt));
  }
}

Result<Station> Stations::authenticate(const std::string& token) {
  NETSAMPLE_ASSIGN(store::Statement stmt, store_->db().prepare(std::string(kSelectStation) + "WHERE token_sha256 = ?1"));
  NETSAMPLE_ASSIGN(bool found, stmt.bind(1, sha256_hex(token)).step());
  if (!found) return make_error(ErrorCode::unauthenticated, "authorization", "工作站令牌无效");
  Station station = station_from_row(stmt);
  if (station.revoked) return make_error(ErrorCode::forbidden, "authorization", "工作站 " + station.id + " 的令牌已于 " + format_beijing(*station.revoked) + " 停用");
  return station;
}

Result<store::AuditHead> Receiver::head() {
  NETSAMPLE_ASSIGN(store::Statement stmt, store_->db().prepare("SELECT seq, hash FROM station_audit WHERE station_id = ?1 ORDER BY seq DESC LIMIT 1"));
  NETSAMPLE_ASSIGN(bool found, stmt.bind(1, station_.id).step());
  if (!found) return store::AuditHead{};
  return store::AuditHead{stmt.int64(0), stmt.text(1)};
}

Result<store::AuditHead> Receiver::receive_rows(const std::vector<store::AuditRecord>& rows) {
  store::AuditHead last;
  NETSAMPLE_TRY(store_->write([&]() -> Status {
    // Read under the writers' lock: two syncs of one station cannot both append after the same head.
    NETSAMPLE_ASSIGN(last, head());
    const store::AuditHead before = last;
    NETSAMPLE_ASSIGN(store::Statement insert,
                     store_->db().prepare("INSERT INTO station_audit (station_id, seq, utc_us, actor, action, case_number, payload, prev_hash, hash, "
                                          "received_utc_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"));
    const std::int64_t now = to_utc_us(store_->clock().now());
    StationCases cases(*store_);
    std::set<std::string> owned;  // cases of this batch found to be this station's
    for (const auto& row : rows) {
      const std::string where = "工作站 " + station_.id + " 审计链第 " + std::to_string(row.seq) + " 条";
      if (row.seq != last.seq + 1)
        return make_error(ErrorCode::integrity, "seq", where + "：应为第 " + std::to_string(last.seq + 1) + " 条（中心已有到第 " + std::to_string(last.seq) + " 条）");
      if (row.prev_hash != last.hash)
        return make_error(ErrorCode::integrity, "prev_hash", where + "：前序哈希与中心所存第 " + std::to_string(last.seq) + " 条的哈希不符（该站的链被改写）");
      const std::string computed = store::AuditLog::row_hash(row.seq, to_utc_us(row.at), row.actor, row.action, row.case_number, row.payload, row.prev_hash);
      if (computed != row.hash) return make_error(ErrorCode::integrity, "hash", where + "：内容与其哈希不符（该条被改动）");
      // A case belongs to the first station that sends a row about it, until it is handed over. A station that never
      // held it sends no row about it; one that handed it over goes on with its own chain (its later rows about the
      // case are its history, kept here as written), but its documents of the case are no longer taken.
      if (row.case_number && !owned.count(*row.case_number)) {
        NETSAMPLE_ASSIGN(std::optional<std::string> owner, cases.owner(*row.case_number));
        if (!owner) {
          NETSAMPLE_TRY(add_owner(*store_, *row.case_number, 1, station_.id, "station:" + station_.id));
        } else if (*owner != station_.id) {
          NETSAMPLE_ASSIGN(bool held_before, held_before_by(*store_, *row.case_number, station_.id));
          if (!held_before)
            return make_error(ErrorCode::forbidden, "case", where + "：任务 " + *row.case_number + " 属于工作站 " + *owner +
                                                                "，本站的记录不收（任务如已移交本站，须先由中心办理：netsample station handover）");
        }
        owned.insert(*row.case_number);
      }
      insert.reset();
      insert.bind(1, station_.id).bind(2, row.seq).bind(3, to_utc_us(row.at)).bind(4, row.actor).bind(5, row.action).bind(6, row.case_number);
      NETSAMPLE_TRY(insert.bind(7, row.payload).bind(8, row.prev_hash).bind(9, row.hash).bind(10, now).run());
      last = {row.seq, row.hash};
    }
    if (last.seq == before.seq) return {};
    // The centre's own chain says what it received and when: the station's head as it was handed over.
    return status_of(store_->audit().append(
        {"station:" + station_.id, "sync.rows_received", std::nullopt,
         {{"station", station_.id}, {"from_seq", before.seq + 1}, {"to_seq", last.seq}, {"head_hash", last.hash}}},
        store_->clock().now()));
  }));
  return last;
}

Result<BlobState> Receiver::blob_state(const std::string& sha256, std::uint64_t size) {
  NETSAMPLE_TRY(status_of(sha256_from_hex(sha256, "sha256")));
  NETSAMPLE_ASSIGN(bool present, store_->evidence().contains(sha256));
  if (present) return BlobState{true, 0};
  NETSAMPLE_ASSIGN(std::uint64_t received, parts_received(sha256));
  if (received == 0 && size > 0) {
    NETSAMPLE_ASSIGN(bool from_live, store_from_live(sha256, size));
    if (from_live) return BlobState{true, 0};
  }
  return BlobState{false, received};
}

Result<std::uint64_t> Receiver::parts_received(const std::string& sha256) {
  NETSAMPLE_ASSIGN(store::Statement stmt, store_->db().prepare("SELECT COALESCE(SUM(LENGTH(part)), 0) FROM station_parts WHERE station_id = ?1 AND sha256 = ?2"));
  NETSAMPLE_ASSIGN(bool found, stmt.bind(1, station_.id).bind(2, sha256).step());
  return found ? static_cast<std::uint64_t>(stmt.int64(0)) : 0;
}

Status Receiver::drop_parts(const std::string& sha256) {
  return store_->write([&]() -> Status {
    NETSAMPLE_ASSIGN(store::Statement remove, store_->db().prepare("DELETE FROM station_parts WHERE station_id = ?1 AND sha256 = ?2"));
    return remove.bind(1, station_.id).bind(2, sha256).run();
  });
}

Result<BlobState> Receiver::receive_part(const std::string& sha256, std::uint64_t total, std::uint64_t offset, const fs::path& part) {
  NETSAMPLE_ASSIGN(BlobState state, blob_state(sha256));
  if (state.present) return state;  // another station, or a retry after the answer was lost: nothing to do
  std::error_code ec;
  const std::uint64_t size = fs::file_size(part, ec);
  if (ec) return io_error(part, "无法读取上传的分段");
  if (offset + size > total)
    return make_error(ErrorCode::invalid_input, "size", "分段超出证据的总长度 " + std::to_string(total) + " 字节");
  // A blob that fits in one part (most are small) is stored from the part itself.
  if (offset == 0 && size == total) return store_blob(sha256, part);

  // The part joins the others in the database, in one transaction with the check of where it starts: a retry racing
  // the request it repeats (on this instance or another) finds the bytes there and is refused, and a part
  // acknowledged is a part kept. An empty part at the end completes an assembly that was cut off.
  NETSAMPLE_ASSIGN(std::string bytes, read_file(part));
  NETSAMPLE_TRY(store_->write([&]() -> Status {
    NETSAMPLE_ASSIGN(std::uint64_t received, parts_received(sha256));
    if (offset != received)
      return make_error(ErrorCode::refused_by_rule, "offset",
                        "证据 " + sha256.substr(0, 12) + "… 已收到 " + std::to_string(received) + " 字节，本段从 " + std::to_string(offset) + " 开始：请从已收到处续传");
    if (bytes.empty()) return {};
    NETSAMPLE_ASSIGN(store::Statement insert, store_->db().prepare("INSERT INTO station_parts (station_id, sha256, offset_bytes, part, received_utc_us) "
                                                                   "VALUES (?1, ?2, ?3, ?4, ?5)"));
    return insert.bind(1, station_.id).bind(2, sha256).bind(3, static_cast<std::int64_t>(offset)).bind_blob(4, bytes).bind(5, to_utc_us(store_->clock().now())).run();
  }));
  if (offset + size < total) return BlobState{false, offset + size};

  // The last part: the whole written out from its parts, one at a time, on this instance's disk for this request only.
  const TempFile assembled(store_->data_dir() / "sync" / (station_.id + "-" + sha256 + "-" + accounts::random_hex(8) + ".assembling"));
  NETSAMPLE_TRY(write_pieces(*store_, station_.id, sha256, "SELECT offset_bytes FROM station_parts WHERE station_id = ?1 AND sha256 = ?2 ORDER BY offset_bytes",
                             "SELECT part FROM station_parts WHERE station_id = ?1 AND sha256 = ?2 AND offset_bytes = ?3", assembled.path));
  return store_blob(sha256, assembled.path);
}

// A blob whose bytes are all here: stored only if they are what the station named them; its parts go either way.
Result<BlobState> Receiver::store_blob(const std::string& sha256, const fs::path& complete) {
  NETSAMPLE_ASSIGN(Sha256Digest digest, sha256_file(complete));
  if (to_hex(digest) != sha256) {
    NETSAMPLE_TRY(drop_parts(sha256));
    return make_error(ErrorCode::integrity, "sha256", "工作站 " + station_.id + " 发来的证据内容的 SHA-256 为 " + to_hex(digest) + "，与其名称 " + sha256 +
                                                          " 不符：已拒收（证据在途中或在工作站被改动）");
  }
  return keep_blob(sha256, complete, {});
}

// Bytes already checked against their name become evidence at the centre, and its chain says so.
Result<BlobState> Receiver::keep_blob(const std::string& sha256, const fs::path& complete, const json& details) {
  NETSAMPLE_ASSIGN(store::StoredBlob stored, store_->evidence().put_file(complete));
  NETSAMPLE_TRY(store_->write([&]() -> Status {
    NETSAMPLE_ASSIGN(store::Statement remove, store_->db().prepare("DELETE FROM station_parts WHERE station_id = ?1 AND sha256 = ?2"));
    NETSAMPLE_TRY(remove.bind(1, station_.id).bind(2, sha256).run());
    NETSAMPLE_ASSIGN(store::Statement insert, store_->db().prepare("INSERT INTO station_blobs (station_id, sha256, size, received_utc_us) VALUES (?1, ?2, ?3, ?4) "
                                                                   "ON CONFLICT DO NOTHING"));
    NETSAMPLE_TRY(insert.bind(1, station_.id).bind(2, stored.sha256).bind(3, static_cast<std::int64_t>(stored.size)).bind(4, to_utc_us(store_->clock().now())).run());
    json said = {{"station", station_.id}, {"sha256", stored.sha256}, {"size", stored.size}};
    if (details.is_object()) said.update(details);
    return status_of(store_->audit().append({"station:" + station_.id, "sync.blob_received", std::nullopt, said}, store_->clock().now()));
  }));
  return BlobState{true, 0};
}

Result<std::map<std::string, std::string>> Receiver::handed_away() {
  NETSAMPLE_ASSIGN(store::Statement stmt,
                   store_->db().prepare("SELECT o.case_number, o.station_id FROM station_case_owners o WHERE o.station_id <> ?1 AND o.turn = "
                                        "(SELECT MAX(x.turn) FROM station_case_owners x WHERE x.case_number = o.case_number) AND EXISTS "
                                        "(SELECT 1 FROM station_case_owners p WHERE p.case_number = o.case_number AND p.station_id = ?1)"));
  stmt.bind(1, station_.id);
  std::map<std::string, std::string> out;
  for (;;) {
    NETSAMPLE_ASSIGN(bool row, stmt.step());
    if (!row) return out;
    out[stmt.text(0)] = stmt.text(1);
  }
}

Result<std::map<std::string, std::int64_t>> Receiver::cases() {
  NETSAMPLE_ASSIGN(store::Statement stmt, store_->db().prepare("SELECT case_number, MAX(seq) FROM station_cases WHERE station_id = ?1 GROUP BY case_number"));
  stmt.bind(1, station_.id);
  std::map<std::string, std::int64_t> out;
  for (;;) {
    NETSAMPLE_ASSIGN(bool row, stmt.step());
    if (!row) return out;
    out[stmt.text(0)] = stmt.int64(1);
  }
}

Status Receiver::receive_case(const std::string& case_number, std::int64_t seq, const json& documents) {
  if (!documents.is_object() || documents.value("case", "") != case_number)
    return make_error(ErrorCode::invalid_input, "documents.case", "文书所属任务须为 " + case_number);
  const std::string text = documents.dump();
  return store_->write([&]() -> Status {
    NETSAMPLE_ASSIGN(store::AuditHead held, head());
    if (seq < 1 || seq > held.seq)
      return make_error(ErrorCode::integrity, "seq", "任务 " + case_number + " 的文书读于工作站 " + station_.id + " 审计链第 " + std::to_string(seq) +
                                                         " 条，中心只收到第 " + std::to_string(held.seq) + " 条：须先送审计记录");
    NETSAMPLE_ASSIGN(std::optional<std::string> owner, StationCases(*store_).owner(case_number));
    if (owner != station_.id)
      return make_error(ErrorCode::forbidden, "case", "任务 " + case_number + (owner ? " 属于工作站 " + *owner : std::string(" 在中心没有本站的审计记录")) +
                                                         "，本站的文书不收");
    // Every piece of evidence the documents name is the case's in this station's chain (up to `seq`), and here.
    NETSAMPLE_ASSIGN(store::Statement rows, store_->db().prepare(std::string(kSelectAudit) +
                                                                 "WHERE station_id = ?1 AND case_number = ?2 AND action = 'evidence.added' AND seq <= ?3"));
    rows.bind(1, station_.id).bind(2, case_number).bind(3, seq);
    std::set<std::string> added;
    for (;;) {
      NETSAMPLE_ASSIGN(bool row, rows.step());
      if (!row) break;
      NETSAMPLE_ASSIGN(store::AuditRecord record, audit_row(rows));
      const json payload = json::parse(record.payload, nullptr, false);
      if (payload.is_object() && payload.contains("sha256") && payload["sha256"].is_string()) added.insert(payload["sha256"].get<std::string>());
    }
    std::vector<std::pair<std::string, std::string>> named;  // (file, sha256)
    for (const auto& f : documents.value("files", json::array()))
      if (f.is_object() && !f.contains("text")) named.emplace_back(f.value("name", ""), f.value("sha256", ""));
    for (const auto& w : documents.value("warcs", json::array()))
      if (w.is_object()) named.emplace_back(w.value("name", ""), w.value("sha256", ""));
    for (const auto& [name, sha256] : named) {
      if (!added.count(sha256))
        return make_error(ErrorCode::integrity, "documents.files", "任务 " + case_number + " 的文书中的 " + name + "（SHA-256 " + sha256.substr(0, 12) +
                                                                       "…）不是工作站 " + station_.id + " 审计链中该任务的证据");
      NETSAMPLE_ASSIGN(bool present, store_->evidence().contains(sha256));
      if (!present)
        return make_error(ErrorCode::integrity, "documents.files", "任务 " + case_number + " 的文书中的 " + name + " 中心尚未收到（SHA-256 " + sha256.substr(0, 12) + "…）");
    }
    NETSAMPLE_ASSIGN(store::Statement insert,
                     store_->db().prepare("INSERT INTO station_cases (station_id, case_number, seq, documents, documents_sha256, received_utc_us) "
                                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING RETURNING seq"));
    insert.bind(1, station_.id).bind(2, case_number).bind(3, seq).bind(4, text).bind(5, sha256_hex(text)).bind(6, to_utc_us(store_->clock().now()));
    NETSAMPLE_ASSIGN(bool inserted, insert.step());
    if (!inserted) return {};  // a retry of documents already kept
    NETSAMPLE_TRY(insert.run());
    return status_of(store_->audit().append({"station:" + station_.id, "sync.case_received", case_number,
                                             {{"station", station_.id}, {"seq", seq}, {"documents_sha256", sha256_hex(text)}}},
                                            store_->clock().now()));
  });
}

json LiveRecording::to_json() const {
  return {{"station", station},
          {"key", key},
          {"case", case_number},
          {"dir", dir_name},
          {"lines", state.lines},
          {"media_bytes", state.media_bytes},
          {"page_bytes", state.page_bytes},
          {"recorded_until", recorded_until ? json(format_iso8601_beijing(*recorded_until)) : json(nullptr)},
          {"updated", format_iso8601_beijing(updated)},
          {"stamps", stamps},
          {"stamps_verified", stamps_verified},
          {"stored", !media_sha256.empty()}};
}

json LiveStamp::to_json() const {
  return {{"name", name}, {"lines", lines}, {"stamped", format_iso8601_beijing(stamped)}, {"verified", verified}, {"problem", problem}};
}

Result<LiveState> Receiver::live_state(const std::string& key) {
  NETSAMPLE_ASSIGN(store::Statement stmt, store_->db().prepare("SELECT lines, head, media_bytes, page_bytes FROM station_live WHERE station_id = ?1 AND recording = ?2"));
  NETSAMPLE_ASSIGN(bool found, stmt.bind(1, station_.id).bind(2, key).step());
  if (!found) return LiveState{};
  return LiveState{stmt.int64(0), stmt.text(1), static_cast<std::uint64_t>(stmt.int64(2)), static_cast<std::uint64_t>(stmt.int64(3))};
}

Result<std::vector<std::string>> Receiver::live_stamps(const std::string& key) {
  NETSAMPLE_ASSIGN(store::Statement stmt, store_->db().prepare("SELECT name FROM station_live_stamps WHERE station_id = ?1 AND recording = ?2 ORDER BY name"));
  stmt.bind(1, station_.id).bind(2, key);
  std::vector<std::string> names;
  for (;;) {
    NETSAMPLE_ASSIGN(bool row, stmt.step());
    if (!row) return names;
    names.push_back(stmt.text(0));
  }
}

Result<LiveStamp> Receiver::receive_live_stamp(const std::string& key, const std::string& name, const std::string& token, const fs::path& trust) {
  const std::optional<std::int64_t> lines_stamped = recorder::journal_stamp_lines(name);
  if (!lines_stamped || *lines_stamped < 1)
    return make_error(ErrorCode::invalid_input, "name", "录制中的时间戳须名为 journal.K.tsr（K：所盖的日志行数），而不是 " + name);
  LiveStamp stamp;
  stamp.name = name;
  stamp.lines = *lines_stamped;
  NETSAMPLE_TRY(store_->write([&]() -> Status {
    NETSAMPLE_ASSIGN(LiveState state, live_state(key));
    const std::string where = "工作站 " + station_.id + " 的录像的时间戳 " + name;
    if (stamp.lines > state.lines)
      return make_error(ErrorCode::refused_by_rule, "name", where + "：盖的是日志前 " + std::to_string(stamp.lines) + " 行，中心只收到 " +
                                                                std::to_string(state.lines) + " 行（先送日志行）");
    // What the recorder stamped: the journal file's first K lines, each with its newline, as the centre received them.
    NETSAMPLE_ASSIGN(store::Statement lines, store_->db().prepare("SELECT line FROM station_live_lines WHERE station_id = ?1 AND recording = ?2 AND "
                                                                  "line_index < ?3 ORDER BY line_index"));
    lines.bind(1, station_.id).bind(2, key).bind(3, stamp.lines);
    std::string text;
    std::int64_t count = 0;
    for (;;) {
      NETSAMPLE_ASSIGN(bool row, lines.step());
      if (!row) break;
      text += lines.text(0) + "\n";
      ++count;
    }
    if (count != stamp.lines) {
      // Lines received whole into a blob before the centre kept their text: nothing to check the stamp against here
      // (the recording's bundle carries it with the journal); not kept, and not a reason to stop the station's sync.
      stamp.problem = "中心收到这些日志行时尚不保存其文字（第 " + std::to_string(count + 1) + " 行起），无法核对";
      return {};
    }
    const Sha256Digest imprint = recorder::journal_stamp_imprint(text, stamp.lines);
    auto read = read_timestamp(token, imprint);
    if (!read.ok())
      return make_error(ErrorCode::integrity, "name", where + "：" + read.error().message + "（它盖的不是中心收到的前 " + std::to_string(stamp.lines) + " 行日志）");
    stamp.stamped = read->gen_time;
    auto verified = verify_timestamp(token, imprint, trust);
    stamp.verified = verified.ok();
    if (!verified.ok()) stamp.problem = verified.error().message;

    NETSAMPLE_ASSIGN(store::Statement held, store_->db().prepare("SELECT token FROM station_live_stamps WHERE station_id = ?1 AND recording = ?2 AND name = ?3"));
    NETSAMPLE_ASSIGN(bool exists, held.bind(1, station_.id).bind(2, key).bind(3, name).step());
    if (exists) {
      if (held.blob(0) != token) return make_error(ErrorCode::integrity, "name", where + "：中心已收到同名的另一份时间戳");
      return {};
    }
    NETSAMPLE_ASSIGN(store::Statement insert, store_->db().prepare("INSERT INTO station_live_stamps (station_id, recording, name, lines, token, stamped_utc_us, "
                                                                   "verified, problem, received_utc_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
    insert.bind(1, station_.id).bind(2, key).bind(3, name).bind(4, stamp.lines).bind_blob(5, token).bind(6, to_utc_us(stamp.stamped));
    insert.bind(7, std::int64_t{stamp.verified}).bind(8, stamp.verified ? std::optional<std::string>() : std::optional<std::string>(stamp.problem));
    return insert.bind(9, to_utc_us(store_->clock().now())).run();
  }));
  return stamp;
}

Result<LiveState> Receiver::receive_live_line(const std::string& key, const std::string& case_number, const std::string& dir_name, const std::string& line,
                                              const std::string& bytes) {
  static const std::regex valid_key("[0-9a-f]{32}");
  if (!std::regex_match(key, valid_key)) return make_error(ErrorCode::invalid_input, "recording", "录像的标识须为 32 位十六进制");
  if (case_number.empty()) return make_error(ErrorCode::missing_field, "case", "须给出录像所属的任务");
  LiveState state;
  NETSAMPLE_TRY(store_->write([&]() -> Status {
    NETSAMPLE_ASSIGN(std::optional<std::string> owner, StationCases(*store_).owner(case_number));
    if (owner && *owner != station_.id)
      return make_error(ErrorCode::forbidden, "case", "任务 " + case_number + " 属于工作站 " + *owner + "，本站的录像不收");
    NETSAMPLE_ASSIGN(state, live_state(key));
    const int index = static_cast<int>(state.lines);
    const std::string where = "工作站 " + station_.id + " 的录像 " + dir_name + " 的日志第 " + std::to_string(index + 1) + " 行";
    NETSAMPLE_ASSIGN(auto record, recorder::parse_journal_line(line, index));
    std::string kind, chain, claimed_chain;
    std::uint64_t offset = 0, size = 0, expected = 0;
    Sha256Digest sha{};
    std::optional<std::int64_t> until;
    if (const auto* f = std::get_if<recorder::FragmentRecord>(&record)) {
      if (f->index != index) return make_error(ErrorCode::integrity, "line", where + "：其序号为 " + std::to_string(f->index) + "，应为 " + std::to_string(index));
      kind = "fragment", chain = recorder::chain_next(state.head, f->fragment), claimed_chain = f->chain;
      offset = f->fragment.offset, size = f->fragment.size, sha = f->fragment.sha256, expected = state.media_bytes, until = f->fragment.end_utc_us;
    } else {
      const auto& p = std::get<recorder::PageRecord>(record);
      if (p.index != index) return make_error(ErrorCode::integrity, "line", where + "：其序号为 " + std::to_string(p.index) + "，应为 " + std::to_string(index));
      kind = "page", chain = recorder::chain_next(state.head, p.page), claimed_chain = p.chain;
      offset = p.page.offset, size = p.page.size, sha = p.page.sha256, expected = state.page_bytes;
    }
    if (offset != expected)
      return make_error(ErrorCode::integrity, "line", where + "：从第 " + std::to_string(offset) + " 字节起，中心已收到 " + std::to_string(expected) + " 字节");
    if (bytes.size() != size || sha256_hex(bytes) != to_hex(sha))
      return make_error(ErrorCode::integrity, "bytes", where + "：送来的 " + std::to_string(bytes.size()) + " 字节与日志所记的长度和 SHA-256 不符（录像在工作站被改动）");
    if (chain != claimed_chain) return make_error(ErrorCode::integrity, "line", where + "：链值与前一行接不上（日志被改动）");
    const std::int64_t now = to_utc_us(store_->clock().now());
    NETSAMPLE_ASSIGN(store::Statement insert, store_->db().prepare("INSERT INTO station_live_lines (station_id, recording, line_index, kind, line, bytes, "
                                                                   "received_utc_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
    NETSAMPLE_TRY(insert.bind(1, station_.id).bind(2, key).bind(3, std::int64_t{index}).bind(4, kind).bind(5, line).bind_blob(6, bytes).bind(7, now).run());
    state.lines = index + 1;
    state.head = chain;
    (kind == "fragment" ? state.media_bytes : state.page_bytes) += size;
    NETSAMPLE_ASSIGN(store::Statement upsert,
                     store_->db().prepare("INSERT INTO station_live (station_id, recording, case_number, dir_name, lines, head, media_bytes, page_bytes, "
                                          "recorded_until_us, started_utc_us, updated_utc_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10) "
                                          "ON CONFLICT (station_id, recording) DO UPDATE SET lines = excluded.lines, head = excluded.head, "
                                          "media_bytes = excluded.media_bytes, page_bytes = excluded.page_bytes, "
                                          "recorded_until_us = COALESCE(excluded.recorded_until_us, station_live.recorded_until_us), "
                                          "updated_utc_us = excluded.updated_utc_us"));
    upsert.bind(1, station_.id).bind(2, key).bind(3, case_number).bind(4, dir_name).bind(5, state.lines).bind(6, state.head);
    upsert.bind(7, static_cast<std::int64_t>(state.media_bytes)).bind(8, static_cast<std::int64_t>(state.page_bytes));
    if (until) upsert.bind(9, *until);
    else upsert.bind_null(9);
    return upsert.bind(10, now).run();
  }));
  return state;
}

// A finished recording the station sent line by line: its video (or its pages) written out from the lines and, when
// the bytes are `sha256`, kept as that blob. Its lines of that kind then go.
Result<bool> Receiver::store_from_live(const std::string& sha256, std::uint64_t size) {
  NETSAMPLE_ASSIGN(store::Statement candidates,
                   store_->db().prepare("SELECT recording, media_bytes, lines FROM station_live WHERE station_id = ?1 AND "
                                        "((media_sha256 IS NULL AND media_bytes = ?2) OR page_bytes = ?2)"));
  candidates.bind(1, station_.id).bind(2, static_cast<std::int64_t>(size));
  std::vector<std::tuple<std::string, std::string, std::int64_t>> found;  // recording, kind, lines
  for (;;) {
    NETSAMPLE_ASSIGN(bool row, candidates.step());
    if (!row) break;
    found.emplace_back(candidates.text(0), static_cast<std::uint64_t>(candidates.int64(1)) == size ? "fragment" : "page", candidates.int64(2));
  }
  for (const auto& [recording, kind, lines] : found) {
    const TempFile assembled(store_->data_dir() / "sync" / (station_.id + "-" + recording + "-" + accounts::random_hex(8) + ".assembling"));
    NETSAMPLE_TRY(write_pieces(*store_, station_.id, recording,
                               "SELECT line_index FROM station_live_lines WHERE station_id = ?1 AND recording = ?2 AND kind = '" + kind + "' ORDER BY line_index",
                               "SELECT bytes FROM station_live_lines WHERE station_id = ?1 AND recording = ?2 AND line_index = ?3", assembled.path));
    NETSAMPLE_ASSIGN(Sha256Digest digest, sha256_file(assembled.path));
    if (to_hex(digest) != sha256) continue;
    NETSAMPLE_TRY(status_of(keep_blob(sha256, assembled.path, {{"from_recording", recording}, {"journal_lines", lines}})));
    NETSAMPLE_TRY(store_->write([&]() -> Status {
      if (kind == "fragment") {
        NETSAMPLE_ASSIGN(store::Statement mark, store_->db().prepare("UPDATE station_live SET media_sha256 = ?3 WHERE station_id = ?1 AND recording = ?2"));
        NETSAMPLE_TRY(mark.bind(1, station_.id).bind(2, recording).bind(3, sha256).run());
      }
      // The bytes are in the blob now; each line's text stays (what the stamps taken while recording cover).
      NETSAMPLE_ASSIGN(store::Statement drop, store_->db().prepare("UPDATE station_live_lines SET bytes = ?4 WHERE station_id = ?1 AND recording = ?2 AND kind = ?3"));
      return drop.bind(1, station_.id).bind(2, recording).bind(3, kind).bind_blob(4, std::string_view()).run();
    }));
    return true;
  }
  return false;
}

namespace {

constexpr const char* kSelectLive =
    "SELECT station_id, recording, case_number, dir_name, lines, head, media_bytes, page_bytes, recorded_until_us, updated_utc_us, media_sha256, "
    "(SELECT count(*) FROM station_live_stamps s WHERE s.station_id = station_live.station_id AND s.recording = station_live.recording), "
    "(SELECT count(*) FROM station_live_stamps s WHERE s.station_id = station_live.station_id AND s.recording = station_live.recording AND s.verified = 1) "
    "FROM station_live ";

LiveRecording live_from_row(const store::Statement& stmt) {
  LiveRecording r;
  r.station = stmt.text(0), r.key = stmt.text(1), r.case_number = stmt.text(2), r.dir_name = stmt.text(3);
  r.state = {stmt.int64(4), stmt.text(5), static_cast<std::uint64_t>(stmt.int64(6)), static_cast<std::uint64_t>(stmt.int64(7))};
  if (!stmt.is_null(8)) r.recorded_until = from_utc_us(stmt.int64(8));
  r.updated = from_utc_us(stmt.int64(9));
  if (!stmt.is_null(10)) r.media_sha256 = stmt.text(10);
  r.stamps = stmt.int64(11), r.stamps_verified = stmt.int64(12);
  return r;
}

}  // namespace

Result<std::vector<LiveRecording>> StationCases::live() {
  NETSAMPLE_ASSIGN(store::Statement stmt, store_->db().prepare(std::string(kSelectLive) + "ORDER BY updated_utc_us DESC"));
  std::vector<LiveRecording> out;
  for (;;) {
    NETSAMPLE_ASSIGN(bool row, stmt.step());
    if (!row) return out;
    out.push_back(live_from_row(stmt));
  }
}

Result<std::optional<LiveRecording>> StationCases::live_recording(const std::string& station, const std::string& key) {
  NETSAMPLE_ASSIGN(store::Statement stmt, store_->db().prepare(std::string(kSelectLive) + "WHERE station_id = ?1 AND recording = ?2"));
  NETSAMPLE_ASSIGN(bool found, stmt.bind(1, station).bind(2, key).step());
  if (!found) return std::optional<LiveRecording>();
  return std::optional<LiveRecording>(live_from_row(stmt));
}

Status StationCases::write_live_video(const LiveRecording& recording, const fs::path& file) {
  return write_pieces(*store_, recording.station, recording.key,
                      "SELECT line_index FROM station_live_lines WHERE station_id = ?1 AND recording = ?2 AND kind = 'fragment' ORDER BY line_index",
                      "SELECT bytes FROM station_live_lines WHERE station_id = ?1 AND recording = ?2 AND line_index = ?3", file);
}

namespace {

constexpr const char* kSelectCase = "SELECT case_number, station_id, seq, received_utc_us, documents FROM station_cases ";

Result<StationCase> station_case_from_row(const store::Statement& stmt) {
  StationCase c{stmt.text(0), stmt.text(1), stmt.int64(2), from_utc_us(stmt.int64(3)), json::parse(stmt.text(4), nullptr, false)};
  if (c.documents.is_discarded()) return make_error(ErrorCode::integrity, "station_cases", "任务 " + c.case_number + " 的文书无法读取");
  return c;
}

}  // namespace

Result<std::optional<StationCase>> StationCases::latest(const std::string& case_number) {
  NETSAMPLE_ASSIGN(store::Statement stmt,
                   store_->db().prepare(std::string(kSelectCase) + "WHERE case_number = ?1 ORDER BY received_utc_us DESC, seq DESC LIMIT 1"));
  NETSAMPLE_ASSIGN(bool found, stmt.bind(1, case_number).step());
  if (!found) return std::optional<StationCase>();
  NETSAMPLE_ASSIGN(StationCase c, station_case_from_row(stmt));
  return std::optional<StationCase>(std::move(c));
}

Result<std::vector<StationCase>> StationCases::list() {
  // Only each case's latest version is read: the earlier ones' documents never leave the database.
  NETSAMPLE_ASSIGN(store::Statement stmt,
                   store_->db().prepare(std::string(kSelectCase) +
                                        "WHERE NOT EXISTS (SELECT 1 FROM station_cases newer WHERE newer.case_number = station_cases.case_number AND "
                                        "(newer.received_utc_us > station_cases.received_utc_us OR (newer.received_utc_us = station_cases.received_utc_us "
                                        "AND newer.seq > station_cases.seq))) ORDER BY received_utc_us DESC, seq DESC"));
  std::vector<StationCase> out;
  std::set<std::string> seen;
  for (;;) {
    NETSAMPLE_ASSIGN(bool row, stmt.step());
    if (!row) return out;
    if (!seen.insert(stmt.text(0)).second) continue;  // an older version
    NETSAMPLE_ASSIGN(StationCase c, station_case_from_row(stmt));
    out.push_back(std::move(c));
  }
}

Result<std::optional<std::string>> StationCases::owner(const std::string& case_number) {
  NETSAMPLE_ASSIGN(store::Statement stmt, store_->db().prepare("SELECT station_id FROM station_case_owners WHERE case_number = ?1 ORDER BY turn DESC LIMIT 1"));
  NETSAMPLE_ASSIGN(bool found, stmt.bind(1, case_number).step());
  if (!found) return std::optional<std::string>();
  return std::optional<std::string>(stmt.text(0));
}

Status StationCases::hand_over(const std::string& case_number, const std::string& to_station, const std::string& actor) {
  return store_->write([&]() -> Status {
    NETSAMPLE_ASSIGN(store::Statement station, store_->db().prepare(std::string(kSelectStation) + "WHERE id = ?1"));
    NETSAMPLE_ASSIGN(bool exists, station.bind(1, to_station).step());
    if (!exists) return make_error(ErrorCode::not_found, "to", "没有编号为 " + to_station + " 的工作站");
    if (!station.is_null(3)) return make_error(ErrorCode::refused_by_rule, "to", "工作站 " + to_station + " 的令牌已停用，不能接收任务");
    NETSAMPLE_ASSIGN(store::Statement turn, store_->db().prepare("SELECT turn, station_id FROM station_case_owners WHERE case_number = ?1 ORDER BY turn DESC LIMIT 1"));
    NETSAMPLE_ASSIGN(bool owned, turn.bind(1, case_number).step());
    if (!owned) return make_error(ErrorCode::not_found, "case", "没有工作站送来过任务 " + case_number + " 的记录");
    const std::string from = turn.text(1);
    if (from == to_station) return make_error(ErrorCode::refused_by_rule, "to", "任务 " + case_number + " 已属于工作站 " + to_station);
    NETSAMPLE_TRY(add_owner(*store_, case_number, turn.int64(0) + 1, to_station, actor));
    return status_of(store_->audit().append({actor, "station.case_handed_over", case_number, {{"from", from}, {"to", to_station}}}, store_->clock().now()));
  });
}

Result<std::vector<store::AuditRecord>> StationCases::chain(const std::string& station) {
  NETSAMPLE_ASSIGN(store::Statement stmt, store_->db().prepare(std::string(kSelectAudit) + "WHERE station_id = ?1 ORDER BY seq"));
  stmt.bind(1, station);
  std::vector<store::AuditRecord> out;
  for (;;) {
    NETSAMPLE_ASSIGN(bool row, stmt.step());
    if (!row) return out;
    NETSAMPLE_ASSIGN(store::AuditRecord r, audit_row(stmt));
    out.push_back(std::move(r));
  }
}

}  // namespace netsample::sync
