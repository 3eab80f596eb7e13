#include "netsample/store/store.h"

#include <functional>

#include <nlohmann/json.hpp>

#include "netsample/core/file_io.h"
#include "netsample/store/evidence.h"
#include "netsample/store/s3.h"

namespace netsample::store {
namespace fs = std::filesystem;

namespace {

// Where a data directory remembers its evidence location: storage.json beside a station's SQLite file, a row of
// store_settings in the centre's PostgreSQL (whose service instances share nothing else).
struct RememberedLocation {
  std::function<Result<std::string>()> read;  // "" when none is remembered yet
  std::function<Status(const std::string&)> write;
  std::string where;  // for messages
};

RememberedLocation storage_file(const fs::path& file) {
  return {[file]() -> Result<std::string> {
            NETSAMPLE_ASSIGN(std::optional<std::string> text, read_file_if_exists(file));
            if (!text) return std::string();
            const auto parsed = nlohmann::json::parse(*text, nullptr, false);
            if (!parsed.is_object() || !parsed.contains("evidence") || !parsed["evidence"].is_string())
              return make_error(ErrorCode::integrity, file.string() + ".evidence", "存储位置文件已损坏：应为 {\"evidence\": \"local\" 或 \"s3://…\"}");
            return parsed["evidence"].get<std::string>();
          },
          [file](const std::string& location) { return write_file_atomic(file, nlohmann::json{{"evidence", location}}.dump(2) + "\n"); },
          "storage.json"};
}

RememberedLocation settings_row(Database& db) {
  return {[&db]() -> Result<std::string> {
            NETSAMPLE_ASSIGN(Statement select, db.prepare("SELECT value FROM store_settings WHERE name = 'evidence'"));
            NETSAMPLE_ASSIGN(bool found, select.step());
            return found ? select.text(0) : std::string();
          },
          [&db](const std::string& location) -> Status {
            NETSAMPLE_ASSIGN(Statement upsert, db.prepare("INSERT INTO store_settings (name, value) VALUES ('evidence', ?1) "
                                                          "ON CONFLICT (name) DO UPDATE SET value = excluded.value"));
            return upsert.bind(1, location).run();
          },
          "store_settings"};
}

// Which evidence store this data directory uses: the one given (remembered), or the remembered one. Every process
// that opens the directory (the service's threads, its background worker) then finds the same store by itself.
// Another one than remembered only while nothing has been stored (`stored`: evidence rows there are).
Result<std::string> evidence_location(const RememberedLocation& place, const std::string& given, std::int64_t stored) {
  NETSAMPLE_ASSIGN(std::string remembered, place.read());
  const std::string wanted = given.empty() ? (remembered.empty() ? "local" : remembered) : given;
  if (!remembered.empty() && stored > 0 && s3_url_without_credentials(remembered) != s3_url_without_credentials(wanted))
    return make_error(ErrorCode::refused_by_rule, "evidence",
                      "这个数据目录的证据存放在 " + s3_url_without_credentials(remembered) + "，不能改用 " + s3_url_without_credentials(wanted) +
                          "：已登记的 " + std::to_string(stored) + " 件证据会找不到（迁移证据须先复制全部对象，再改 " + place.where + "）");
  if (remembered != wanted) NETSAMPLE_TRY(place.write(wanted));
  return wanted;
}

Result<std::unique_ptr<BlobStore>> open_evidence(const fs::path& data_dir, const std::string& location, const Clock& clock) {
  if (location.empty() || location == "local") {
    NETSAMPLE_ASSIGN(EvidenceStore local, EvidenceStore::open(data_dir / "evidence"));
    return std::unique_ptr<BlobStore>(std::make_unique<EvidenceStore>(std::move(local)));
  }
  NETSAMPLE_ASSIGN(S3Location where, parse_s3_url(location));
  NETSAMPLE_ASSIGN(S3Credentials keys, s3_credentials(where.credentials_file));
  NETSAMPLE_ASSIGN(std::unique_ptr<S3BlobStore> remote, S3BlobStore::open(where, keys, clock));
  return std::unique_ptr<BlobStore>(std::move(remote));
}

}  // namespace

UtcTime retention_ends(UtcTime stored) {
  const CivilDate day = beijing_date(stored);
  return beijing_midnight(add_years(day, kRetentionYears)) + (stored - beijing_midnight(day));
}

Status check_retention(UtcTime stored, UtcTime now, const std::string& what) {
  const UtcTime ends = retention_ends(stored);
  if (now >= ends) return {};
  return make_error(ErrorCode::refused_by_rule, what,
                    "保存期限未满 " + std::to_string(kRetentionYears) + " 年，不得删除（保存至 " + format_beijing(ends) + "）",
                    47);
}

Status init_evidence_store(const std::string& evidence, const Clock& clock) {
  if (evidence.empty() || evidence == "local") return {};
  NETSAMPLE_ASSIGN(S3Location where, parse_s3_url(evidence));
  NETSAMPLE_ASSIGN(S3Credentials keys, s3_credentials(where.credentials_file));
  return S3Client(where, keys, clock).create_locked_bucket(kRetentionYears);
}

namespace {
Result<Database> open_database(const fs::path& data_dir, const std::string& database) {
  if (database.empty()) return Database::open(data_dir / "netsample.db");
  if (database.starts_with("postgresql:") || database.starts_with("postgres:")) return Database::connect_postgresql(database);
  return make_error(ErrorCode::invalid_input, "database", "数据库应为 postgresql://…；不给出时用数据目录中的 SQLite 文件 netsample.db");
}
}  // namespace

Store::Store(Database db, std::unique_ptr<BlobStore> evidence, const fs::path& data_dir, const Clock& clock)
    : db_(std::move(db)),
      evidence_(std::move(evidence)),
      // db_ is a member: the witness keeps its address, which stays put while the Store lives (it is never moved).
      audit_(db_, db_.kind() == Database::Kind::postgresql ? database_witness(db_) : file_witness(data_dir / "audit-head.json")),
      data_dir_(data_dir),
      clock_(&clock) {}

Result<std::unique_ptr<Store>> Store::open(const fs::path& data_dir, const Clock& clock, const StoreOptions& options) {
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (ec) return make_error(ErrorCode::io, data_dir.string(), "无法创建数据目录：" + ec.message());
  NETSAMPLE_ASSIGN(Database db, open_database(data_dir, options.database));
  NETSAMPLE_ASSIGN(Statement count, db.prepare("SELECT COUNT(*) FROM evidence"));
  NETSAMPLE_ASSIGN(bool counted, count.step());
  const std::int64_t stored = counted ? count.int64(0) : 0;
  const RememberedLocation place =
      db.kind() == Database::Kind::postgresql ? settings_row(db) : storage_file(data_dir / "storage.json");
  NETSAMPLE_ASSIGN(std::string location, evidence_location(place, options.evidence, stored));
  NETSAMPLE_ASSIGN(std::unique_ptr<BlobStore> evidence, open_evidence(data_dir, location, clock));
  std::unique_ptr<Store> store(new Store(std::move(db), std::move(evidence), data_dir, clock));
  NETSAMPLE_TRY(store->audit_.initialise_witness());
  return store;
}

Status Store::write(const std::function<Status()>& body) {
  const bool nested = db_.in_transaction();
  NETSAMPLE_TRY(db_.transaction(body));
  // The witness names only committed rows: an inner write leaves it to the outermost one.
  return nested ? Status{} : audit_.publish_head();
}

Result<EvidenceItem> Store::add_evidence(std::int64_t case_id, const std::string& case_number, const fs::path& file,
                                         const std::string& kind, const std::string& actor) {
  // The file goes into the store first: a blob without a row is harmless, a row without its blob is not.
  NETSAMPLE_ASSIGN(StoredBlob blob, evidence_->put_file(file));
  EvidenceItem item{0, case_number, blob.sha256, static_cast<std::int64_t>(blob.size), kind, file.filename().string(), clock_->now(),
                    fs::absolute(file).lexically_normal().string()};
  NETSAMPLE_TRY(write([&]() -> Status {
    NETSAMPLE_ASSIGN(Statement insert, db_.prepare("INSERT INTO evidence (case_id, sha256, size, kind, name, added_utc_us, source) "
                                                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id"));
    insert.bind(1, case_id).bind(2, item.sha256).bind(3, item.size).bind(4, item.kind).bind(5, item.name);
    insert.bind(6, to_utc_us(item.added)).bind(7, item.source);
    NETSAMPLE_ASSIGN(item.id, insert.insert_id());
    AuditEntry entry{actor, "evidence.added", case_number,
                     {{"evidence_id", item.id}, {"sha256", item.sha256}, {"size", item.size}, {"kind", item.kind}, {"name", item.name}}};
    return status_of(audit_.append(entry, item.added));
  }));
  return item;
}

namespace {
constexpr const char* kSelectEvidence =
    "SELECT e.id, c.number, e.sha256, e.size, e.kind, e.name, e.added_utc_us, e.source FROM evidence e JOIN cases c ON c.id = e.case_id ";
EvidenceItem evidence_from_row(const Statement& stmt) {
  return {stmt.int64(0), stmt.text(1), stmt.text(2), stmt.int64(3), stmt.text(4), stmt.text(5), from_utc_us(stmt.int64(6)), stmt.optional_text(7)};
}
}  // namespace

Result<std::optional<EvidenceItem>> Store::find_evidence(const std::string& case_number, const fs::path& source) {
  const std::string path = fs::absolute(source).lexically_normal().string();
  NETSAMPLE_ASSIGN(Statement by_source, db_.prepare(std::string(kSelectEvidence) + "WHERE c.number = ?1 AND e.source = ?2 ORDER BY e.id DESC LIMIT 1"));
  by_source.bind(1, case_number).bind(2, path);
  NETSAMPLE_ASSIGN(bool found, by_source.step());
  if (found) return std::optional<EvidenceItem>(evidence_from_row(by_source));
  std::error_code ec;
  const auto size = fs::file_size(source, ec);
  if (ec) return std::optional<EvidenceItem>();
  NETSAMPLE_ASSIGN(Statement by_name, db_.prepare(std::string(kSelectEvidence) +
                                                  "WHERE c.number = ?1 AND e.source IS NULL AND e.name = ?2 AND e.size = ?3 ORDER BY e.id DESC LIMIT 1"));
  by_name.bind(1, case_number).bind(2, source.filename().string()).bind(3, static_cast<std::int64_t>(size));
  NETSAMPLE_ASSIGN(found, by_name.step());
  if (found) return std::optional<EvidenceItem>(evidence_from_row(by_name));
  return std::optional<EvidenceItem>();
}

Result<std::optional<EvidenceItem>> Store::evidence_item(std::int64_t evidence_id) {
  NETSAMPLE_ASSIGN(Statement stmt, db_.prepare(std::string(kSelectEvidence) + "WHERE e.id = ?1"));
  stmt.bind(1, evidence_id);
  NETSAMPLE_ASSIGN(bool found, stmt.step());
  if (!found) return std::optional<EvidenceItem>();
  return std::optional<EvidenceItem>(evidence_from_row(stmt));
}

Result<std::vector<EvidenceItem>> Store::list_evidence(const std::optional<std::string>& case_number) {
  NETSAMPLE_ASSIGN(Statement stmt, db_.prepare(std::string("SELECT e.id, c.number, e.sha256, e.size, e.kind, e.name, e.added_utc_us, e.source "
                                                           "FROM evidence e JOIN cases c ON c.id = e.case_id ") +
                                               (case_number ? "WHERE c.number = ?1 " : "WHERE CAST(?1 AS TEXT) IS NULL ") + "ORDER BY e.id"));
  stmt.bind(1, case_number);
  std::vector<EvidenceItem> items;
  for (;;) {
    NETSAMPLE_ASSIGN(bool row, stmt.step());
    if (!row) break;
    items.push_back({stmt.int64(0), stmt.text(1), stmt.text(2), stmt.int64(3), stmt.text(4), stmt.text(5), from_utc_us(stmt.int64(6)),
                     stmt.optional_text(7)});
  }
  return items;
}

Status Store::delete_evidence(std::int64_t evidence_id, const std::string& actor) {
  std::string orphan_sha256;
  NETSAMPLE_TRY(write([&]() -> Status {
    NETSAMPLE_ASSIGN(Statement find, db_.prepare("SELECT e.sha256, e.added_utc_us, c.number FROM evidence e "
                                                 "JOIN cases c ON c.id = e.case_id WHERE e.id = ?1"));
    find.bind(1, evidence_id);
    NETSAMPLE_ASSIGN(bool found, find.step());
    if (!found) return make_error(ErrorCode::not_found, "evidence " + std::to_string(evidence_id), "没有这件证据");
    const std::string sha256 = find.text(0), case_number = find.text(2);
    NETSAMPLE_TRY(check_retention(from_utc_us(find.int64(1)), clock_->now(), "evidence"));
    NETSAMPLE_ASSIGN(Statement remove, db_.prepare("DELETE FROM evidence WHERE id = ?1"));
    NETSAMPLE_TRY(remove.bind(1, evidence_id).run());
    NETSAMPLE_ASSIGN(Statement others, db_.prepare("SELECT COUNT(*) FROM evidence WHERE sha256 = ?1"));
    NETSAMPLE_TRY(others.bind(1, sha256).step());
    if (others.int64(0) == 0) orphan_sha256 = sha256;
    AuditEntry entry{actor, "evidence.deleted", case_number, {{"evidence_id", evidence_id}, {"sha256", sha256}}};
    return status_of(audit_.append(entry, clock_->now()));
  }));
  // After the commit: a crash here leaves an unreferenced file, never a row without its file.
  if (!orphan_sha256.empty()) return evidence_->remove(orphan_sha256);
  return {};
}

Result<std::vector<std::string>> Store::verify_evidence_records() {
  auto name = [](std::int64_t id) { return "证据 #" + std::to_string(id); };
  std::map<std::string, AuditedRow> audited;
  NETSAMPLE_ASSIGN(std::vector<AuditRecord> rows, audit_.records());
  for (const auto& record : rows) {
    if (record.action != "evidence.added" && record.action != "evidence.deleted") continue;
    const nlohmann::json payload = nlohmann::json::parse(record.payload, nullptr, false);
    if (!payload.is_object() || !payload.contains("evidence_id")) continue;  // the chain check reports corrupt rows
    nlohmann::json row;  // null: deleted
    if (record.action == "evidence.added")
      row = {{"case", record.case_number.value_or("")}, {"sha256", payload.value("sha256", "")}, {"size", payload.value("size", std::int64_t{0})},
             {"kind", payload.value("kind", "")}, {"name", payload.value("name", "")}};
    audited[name(payload["evidence_id"].get<std::int64_t>())] = {record.seq, std::move(row)};
  }
  std::map<std::string, nlohmann::json> stored;
  NETSAMPLE_ASSIGN(std::vector<EvidenceItem> items, list_evidence(std::nullopt));
  for (const auto& item : items)
    stored[name(item.id)] = {{"case", item.case_number}, {"sha256", item.sha256}, {"size", item.size}, {"kind", item.kind}, {"name", item.name}};
  return compare_rows_with_audit(stored, audited);
}

}  // namespace netsample::store
