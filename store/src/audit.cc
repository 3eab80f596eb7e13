#include "netsample/store/audit.h"

#include <fcntl.h>

#include <algorithm>
#include <sys/file.h>

#include "netsample/core/file_io.h"
#include "netsample/core/sha256.h"

namespace netsample::store {
namespace fs = std::filesystem;

std::string AuditLog::row_hash(std::int64_t seq, std::int64_t utc_us, const std::string& actor, const std::string& action,
                               const std::optional<std::string>& case_number, const std::string& payload,
                               const std::string& prev_hash) {
  const nlohmann::json fields = {seq,    utc_us,  actor,
                                 action, case_number ? nlohmann::json(*case_number) : nlohmann::json(nullptr),
                                 payload, prev_hash};
  return sha256_hex(fields.dump());
}

Sha256Digest audit_head_imprint(const AuditHead& head, const std::string& merkle_root) {
  if (merkle_root.empty()) return sha256(nlohmann::json::array({"netsample-audit-head", head.seq, head.hash}).dump());
  return sha256(nlohmann::json::array({"netsample-audit-head/2", head.seq, head.hash, merkle_root}).dump());
}

namespace {
using Digest = Sha256Digest;
Digest leaf_hash(const std::string& row_hash) {
  Sha256 h;
  const std::uint8_t prefix = 0x00;
  h.update(&prefix, 1);
  h.update(row_hash);
  return h.finish();
}
Digest node_hash(const Digest& left, const Digest& right) {
  Sha256 h;
  const std::uint8_t prefix = 0x01;
  h.update(&prefix, 1);
  h.update(left.data(), left.size());
  h.update(right.data(), right.size());
  return h.finish();
}
size_t split_point(size_t n) {  // the largest power of two smaller than n (n > 1)
  size_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
Digest subtree_root(const std::vector<std::string>& rows, size_t begin, size_t end) {
  if (end - begin == 1) return leaf_hash(rows[begin]);
  const size_t k = split_point(end - begin);
  return node_hash(subtree_root(rows, begin, begin + k), subtree_root(rows, begin + k, end));
}
void path(const std::vector<std::string>& rows, size_t index, size_t begin, size_t end, std::vector<std::string>& out) {
  if (end - begin <= 1) return;
  const size_t k = split_point(end - begin);
  if (index < begin + k) {
    path(rows, index, begin, begin + k, out);
    out.push_back(to_hex(subtree_root(rows, begin + k, end)));
  } else {
    path(rows, index, begin + k, end, out);
    out.push_back(to_hex(subtree_root(rows, begin, begin + k)));
  }
}
}  // namespace

std::string audit_merkle_root(const std::vector<std::string>& row_hashes) {
  if (row_hashes.empty()) return to_hex(sha256(""));
  return to_hex(subtree_root(row_hashes, 0, row_hashes.size()));
}

std::vector<std::string> audit_inclusion_proof(const std::vector<std::string>& row_hashes, size_t index) {
  std::vector<std::string> out;
  if (index < row_hashes.size()) path(row_hashes, index, 0, row_hashes.size(), out);
  return out;
}

std::string audit_root_from_proof(const std::string& row_hash, size_t index, size_t size, const std::vector<std::string>& proof) {
  // RFC 9162, 2.1.3.2.
  if (index >= size) return {};
  size_t fn = index, sn = size - 1;
  Digest r = leaf_hash(row_hash);
  for (const auto& hex : proof) {
    auto p = sha256_from_hex(hex, "proof");
    if (!p.ok() || sn == 0) return {};
    if ((fn & 1) == 1 || fn == sn) {
      r = node_hash(*p, r);
      if ((fn & 1) == 0)
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
    } else {
      r = node_hash(r, *p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 ? to_hex(r) : std::string();
}

Result<std::vector<std::string>> AuditLog::hashes_until(std::int64_t seq) {
  NETSAMPLE_ASSIGN(Statement stmt, db_->prepare("SELECT hash FROM audit_log WHERE seq <= ?1 ORDER BY seq"));
  stmt.bind(1, seq);
  std::vector<std::string> out;
  for (;;) {
    NETSAMPLE_ASSIGN(bool row, stmt.step());
    if (!row) return out;
    out.push_back(stmt.text(0));
  }
}

Result<std::optional<std::string>> AuditLog::hash_at(std::int64_t seq) {
  NETSAMPLE_ASSIGN(Statement stmt, db_->prepare("SELECT hash FROM audit_log WHERE seq = ?1"));
  NETSAMPLE_ASSIGN(bool row, stmt.bind(1, seq).step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(stmt.text(0));
}

Status AuditLog::record_stamp(const AuditStamp& stamp) {
  NETSAMPLE_ASSIGN(Statement insert, db_->prepare("INSERT INTO audit_stamps (seq, head_hash, tsa_url, token, stamped_utc_us, material, merkle_root) "
                                                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  insert.bind(1, stamp.head.seq).bind(2, stamp.head.hash).bind(3, stamp.tsa_url).bind_blob(4, stamp.token_der).bind(5, to_utc_us(stamp.stamped));
  if (stamp.material.empty()) insert.bind_null(6);
  else insert.bind(6, stamp.material);
  if (stamp.merkle_root.empty()) insert.bind_null(7);
  else insert.bind(7, stamp.merkle_root);
  return insert.run();
}

Result<std::vector<AuditStamp>> AuditLog::stamps() {
  NETSAMPLE_ASSIGN(Statement stmt, db_->prepare("SELECT id, seq, head_hash, tsa_url, token, stamped_utc_us, material, merkle_root FROM audit_stamps ORDER BY id"));
  std::vector<AuditStamp> out;
  for (;;) {
    NETSAMPLE_ASSIGN(bool row, stmt.step());
    if (!row) return out;
    out.push_back({stmt.int64(0), {stmt.int64(1), stmt.text(2)}, stmt.text(3), stmt.blob(4), from_utc_us(stmt.int64(5)), stmt.optional_text(6).value_or(""),
                   stmt.optional_text(7).value_or("")});
  }
}

Result<AuditHead> AuditLog::tail() {
  NETSAMPLE_ASSIGN(Statement stmt, db_->prepare("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1"));
  NETSAMPLE_ASSIGN(bool row, stmt.step());
  if (!row) return AuditHead{};
  return AuditHead{stmt.int64(0), stmt.text(1)};
}

Result<AuditRecord> AuditLog::append(const AuditEntry& entry, UtcTime at) {
  NETSAMPLE_ASSIGN(AuditHead last, tail());
  AuditRecord record;
  record.seq = last.seq + 1;
  record.at = at;
  record.actor = entry.actor;
  record.action = entry.action;
  record.case_number = entry.case_number;
  record.payload = entry.payload.dump();  // nlohmann's object keeps keys sorted: canonical
  record.prev_hash = last.hash;
  record.hash = row_hash(record.seq, to_utc_us(at), record.actor, record.action, record.case_number, record.payload,
                         record.prev_hash);
  NETSAMPLE_ASSIGN(Statement insert,
                   db_->prepare("INSERT INTO audit_log (seq, utc_us, actor, action, case_number, payload, prev_hash, hash) "
                                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
  insert.bind(1, record.seq).bind(2, to_utc_us(at)).bind(3, record.actor).bind(4, record.action);
  insert.bind(5, record.case_number).bind(6, record.payload).bind(7, record.prev_hash).bind(8, record.hash);
  NETSAMPLE_TRY(insert.run());
  return record;
}

std::string witness_json(const AuditHead& head) { return nlohmann::json{{"seq", head.seq}, {"hash", head.hash}}.dump() + "\n"; }

namespace {

class FileWitness final : public AuditWitness {
 public:
  explicit FileWitness(fs::path file) : file_(std::move(file)) {}

  Result<std::optional<AuditHead>> read() const override {
    std::error_code ec;
    if (!fs::exists(file_, ec)) return std::optional<AuditHead>{};
    NETSAMPLE_ASSIGN(std::string text, read_file(file_));
    try {
      const auto json = nlohmann::json::parse(text);
      return std::optional<AuditHead>(AuditHead{json.at("seq").get<std::int64_t>(), json.at("hash").get<std::string>()});
    } catch (const nlohmann::json::exception&) {
      return make_error(ErrorCode::integrity, file_.string(), "审计链见证文件已损坏");
    }
  }

  Status advance(const AuditHead& head) override {
    // One writer at a time, across processes; the comparison under the lock keeps it from going backwards.
    const fs::path lock_path = file_.string() + ".lock";
    UniqueFd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (!lock.valid()) return io_error(lock_path, "无法打开锁文件");
    if (::flock(lock.get(), LOCK_EX) != 0) return io_error(lock_path, "无法加锁");
    NETSAMPLE_ASSIGN(std::optional<AuditHead> current, read());
    if (current && current->seq >= head.seq) return {};
    return write_file_atomic(file_, witness_json(head));
  }

  std::string describe() const override { return "审计链见证文件 " + file_.string(); }

 private:
  fs::path file_;
};

class DatabaseWitness final : public AuditWitness {
 public:
  explicit DatabaseWitness(Database& db) : db_(&db) {}

  Result<std::optional<AuditHead>> read() const override {
    NETSAMPLE_ASSIGN(Statement stmt, db_->prepare("SELECT seq, hash FROM audit_witness WHERE id = 1"));
    NETSAMPLE_ASSIGN(bool row, stmt.step());
    if (!row) return std::optional<AuditHead>{};
    return std::optional<AuditHead>(AuditHead{stmt.int64(0), stmt.text(1)});
  }

  Status advance(const AuditHead& head) override {
    // One statement: concurrent writers cannot move it backwards (the row lock orders them, the WHERE skips the older).
    NETSAMPLE_ASSIGN(Statement upsert, db_->prepare("INSERT INTO audit_witness (id, seq, hash) VALUES (1, ?1, ?2) "
                                                    "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash "
                                                    "WHERE audit_witness.seq < excluded.seq"));
    return upsert.bind(1, head.seq).bind(2, head.hash).run();
  }

  std::string describe() const override { return "审计链见证（数据库表 audit_witness）"; }

 private:
  Database* db_;
};

}  // namespace

std::unique_ptr<AuditWitness> file_witness(fs::path file) { return std::make_unique<FileWitness>(std::move(file)); }
std::unique_ptr<AuditWitness> database_witness(Database& db) { return std::make_unique<DatabaseWitness>(db); }

Status AuditLog::initialise_witness() {
  NETSAMPLE_ASSIGN(std::optional<AuditHead> current, witness_->read());
  if (current) return {};
  NETSAMPLE_ASSIGN(AuditHead last, tail());
  if (last.seq != 0) return {};  // rows without a witness: verify reports it, we do not paper over it
  return witness_->advance(AuditHead{});
}

Status AuditLog::publish_head() {
  NETSAMPLE_ASSIGN(AuditHead last, tail());
  return witness_->advance(last);
}

Result<ChainReport> AuditLog::verify() {
  ChainReport report;
  auto fail = [&](std::int64_t seq, std::string problem) {
    report.intact = false;
    report.first_bad_seq = seq;
    report.problem = std::move(problem);
    return report;
  };
  NETSAMPLE_ASSIGN(Statement stmt, db_->prepare("SELECT seq, utc_us, actor, action, case_number, payload, prev_hash, hash "
                                                "FROM audit_log ORDER BY seq"));
  for (;;) {
    NETSAMPLE_ASSIGN(bool row, stmt.step());
    if (!row) break;
    const std::int64_t seq = stmt.int64(0);
    const std::string prev_hash = stmt.text(6), hash = stmt.text(7);
    if (seq != report.head.seq + 1)
      return fail(seq, "第 " + std::to_string(report.head.seq + 1) + " 条起缺失（下一条为第 " + std::to_string(seq) +
                           " 条）：记录被删除");
    const std::string expected = row_hash(seq, stmt.int64(1), stmt.text(2), stmt.text(3), stmt.optional_text(4), stmt.text(5), prev_hash);
    if (expected != hash) return fail(seq, "第 " + std::to_string(seq) + " 条的内容与其哈希不符：该条被改动");
    // This row is self-consistent but does not link: the row before it was rewritten with a fresh hash.
    if (prev_hash != report.head.hash)
      return fail(report.head.seq == 0 ? seq : report.head.seq, "第 " + std::to_string(report.head.seq == 0 ? seq : report.head.seq) + " 条被改写（其哈希与第 " + std::to_string(seq) +
                                       " 条记录的前序哈希不符）");
    report.head = AuditHead{seq, hash};
    ++report.rows;
  }
  NETSAMPLE_ASSIGN(report.witness, witness_->read());
  if (!report.witness) return fail(0, witness_->describe() + " 不存在，无法确认末尾记录未被删除");
  const AuditHead& witness = *report.witness;
  if (witness.seq > report.head.seq)
    return fail(report.head.seq + 1, "见证记录到第 " + std::to_string(witness.seq) + " 条，数据库只有 " +
                                         std::to_string(report.head.seq) + " 条：末尾记录被删除");
  if (witness.seq > 0) {
    NETSAMPLE_ASSIGN(Statement at, db_->prepare("SELECT hash FROM audit_log WHERE seq = ?1"));
    at.bind(1, witness.seq);
    NETSAMPLE_ASSIGN(bool found, at.step());
    if (!found || at.text(0) != witness.hash)
      return fail(witness.seq, "第 " + std::to_string(witness.seq) + " 条与见证记录的哈希不符：该条或其前面的记录被重写");
  }
  return report;
}

namespace {
constexpr const char* kSelectRecord = "SELECT seq, utc_us, actor, action, case_number, payload, prev_hash, hash FROM audit_log ";
AuditRecord record_of(const Statement& stmt) {
  return AuditRecord{stmt.int64(0), from_utc_us(stmt.int64(1)), stmt.text(2), stmt.text(3), stmt.optional_text(4), stmt.text(5), stmt.text(6), stmt.text(7)};
}
}  // namespace

Result<std::vector<AuditRecord>> AuditLog::records(const std::optional<std::string>& case_number) {
  NETSAMPLE_ASSIGN(Statement stmt,
                   db_->prepare(std::string(kSelectRecord) +
                                (case_number ? "WHERE case_number = ?1 " : "WHERE CAST(?1 AS TEXT) IS NULL ") + "ORDER BY seq"));
  stmt.bind(1, case_number);
  std::vector<AuditRecord> out;
  for (;;) {
    NETSAMPLE_ASSIGN(bool row, stmt.step());
    if (!row) break;
    out.push_back(record_of(stmt));
  }
  return out;
}

Result<std::optional<AuditRecord>> AuditLog::last_of(const std::string& case_number, const std::string& action) {
  NETSAMPLE_ASSIGN(Statement stmt, db_->prepare(std::string(kSelectRecord) + "WHERE case_number = ?1 AND action = ?2 ORDER BY seq DESC LIMIT 1"));
  NETSAMPLE_ASSIGN(bool found, stmt.bind(1, case_number).bind(2, action).step());
  if (!found) return std::optional<AuditRecord>();
  return std::optional<AuditRecord>(record_of(stmt));
}

std::vector<std::string> compare_with_audit(const std::string& who, const std::vector<nlohmann::json>& stored,
                                            const std::vector<nlohmann::json>& audited, const std::string& name_key) {
  std::vector<std::string> problems;
  for (size_t i = 0; i < std::max(stored.size(), audited.size()); ++i) {
    if (i >= stored.size()) problems.push_back(who + "：审计记录中的第 " + std::to_string(i + 1) + " 个步骤在数据库中缺失");
    else if (i >= audited.size()) problems.push_back(who + "：步骤「" + stored[i].value(name_key, "") + "」没有审计记录（被插入？）");
    else if (stored[i] != audited[i]) problems.push_back(who + "：步骤「" + stored[i].value(name_key, "") + "」与审计记录不一致（被改动？）");
  }
  return problems;
}

namespace {
std::string shown(const nlohmann::json& value) {
  std::string text = value.is_string() ? value.get<std::string>() : value.dump();
  if (text.size() > 80) text = text.substr(0, 77) + "...";
  return "「" + text + "」";
}

struct Difference {
  std::string field, now, then;
};
// The first field (as a path: receipt.received_date) where two objects differ, with both values.
Difference first_difference(const nlohmann::json& now, const nlohmann::json& then, const std::string& path) {
  if (!now.is_object() || !then.is_object()) return {path.empty() ? "（整行）" : path, shown(now), shown(then)};
  for (const auto& [key, value] : then.items()) {
    const std::string field = path.empty() ? key : path + "." + key;
    if (!now.contains(key)) return {field, "（无）", shown(value)};
    if (now[key] != value) return first_difference(now[key], value, field);
  }
  for (const auto& [key, value] : now.items())
    if (!then.contains(key)) return {path.empty() ? key : path + "." + key, shown(value), "（无）"};
  return {path, shown(now), shown(then)};
}
}  // namespace

std::vector<std::string> compare_rows_with_audit(const std::map<std::string, nlohmann::json>& stored,
                                                 const std::map<std::string, AuditedRow>& audited) {
  std::vector<std::string> problems;
  for (const auto& [name, row] : stored) {
    const auto found = audited.find(name);
    if (found == audited.end()) {
      problems.push_back(name + "：没有审计记录（被直接插入数据库）");
      continue;
    }
    const std::string where = "（审计第 " + std::to_string(found->second.seq) + " 条）";
    if (found->second.row.is_null()) {
      problems.push_back(name + "：审计记录" + where + "已删除，却仍在数据库中");
      continue;
    }
    if (row == found->second.row) continue;
    const auto [field, now, then] = first_difference(row, found->second.row, "");
    problems.push_back(name + "：与审计记录" + where + "不符，" + field + " 现为" + now + "，审计为" + then + "（被直接改动）");
  }
  for (const auto& [name, last] : audited)
    if (!last.row.is_null() && !stored.contains(name))
      problems.push_back(name + "：审计记录（最后第 " + std::to_string(last.seq) + " 条）中有，数据库中缺失（被直接删除）");
  return problems;
}

nlohmann::json to_json(const AuditRecord& row) {
  return {{"seq", row.seq},
          {"at", format_iso8601_beijing(row.at)},
          {"utc_us", to_utc_us(row.at)},
          {"actor", row.actor},
          {"action", row.action},
          {"case", row.case_number ? nlohmann::json(*row.case_number) : nlohmann::json(nullptr)},
          {"payload", nlohmann::json::parse(row.payload, nullptr, false)},
          {"payload_text", row.payload},
          {"prev_hash", row.prev_hash},
          {"hash", row.hash}};
}

}  // namespace netsample::store
