#include "netsample/store/database.h"

#include <sqlite3.h>

#include <unordered_map>

#include "migrations.h"

namespace netsample::store {

Error sqlite_error(sqlite3* db, std::string_view doing) {
  return make_error(ErrorCode::database, std::string(doing),
                    std::string("数据库错误：") + (db ? sqlite3_errmsg(db) : "out of memory"));
}

// Idle prepared statements of one connection, by their SQL text.
class StatementCache {
 public:
  static constexpr size_t kLimit = 256;
  ~StatementCache() {
    for (auto& [sql, stmt] : idle_) sqlite3_finalize(stmt);
  }
  sqlite3_stmt* take(std::string_view sql) {
    auto it = idle_.find(std::string(sql));
    if (it == idle_.end()) return nullptr;
    sqlite3_stmt* stmt = it->second;
    idle_.erase(it);
    return stmt;
  }
  void give_back(sqlite3_stmt* stmt) {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    const char* sql = sqlite3_sql(stmt);
    if (idle_.size() >= kLimit || !sql) {
      sqlite3_finalize(stmt);
      return;
    }
    idle_.emplace(sql, stmt);
  }

 private:
  std::unordered_multimap<std::string, sqlite3_stmt*> idle_;
};

void Statement::Finalize::operator()(sqlite3_stmt* stmt) const {
  if (cache) cache->give_back(stmt);
  else sqlite3_finalize(stmt);
}
void Database::Close::operator()(sqlite3* db) const { sqlite3_close_v2(db); }

Database::Database(sqlite3* db, std::filesystem::path path) : db_(db), path_(std::move(path)), cache_(std::make_unique<StatementCache>()) {}
Database::Database(Database&&) noexcept = default;
Database& Database::operator=(Database&&) noexcept = default;
Database::~Database() = default;

Statement& Statement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(stmt_.get(), index, value);
  return *this;
}
Statement& Statement::bind(int index, std::string_view value) {
  sqlite3_bind_text(stmt_.get(), index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bind(int index, const std::optional<std::string>& value) {
  return value ? bind(index, std::string_view(*value)) : bind_null(index);
}
Statement& Statement::bind_blob(int index, std::string_view bytes) {
  sqlite3_bind_blob(stmt_.get(), index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bind_null(int index) {
  sqlite3_bind_null(stmt_.get(), index);
  return *this;
}

Result<bool> Statement::step() {
  const int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return sqlite_error(db_, sqlite3_sql(stmt_.get()));
}

Status Statement::run() {
  for (;;) {
    NETSAMPLE_ASSIGN(bool more, step());
    if (!more) return {};
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
}

std::int64_t Statement::int64(int column) const { return sqlite3_column_int64(stmt_.get(), column); }
std::string Statement::text(int column) const {
  const auto* bytes = sqlite3_column_text(stmt_.get(), column);
  return bytes ? std::string(reinterpret_cast<const char*>(bytes), static_cast<size_t>(sqlite3_column_bytes(stmt_.get(), column)))
               : std::string();
}
std::string Statement::blob(int column) const {
  const auto* bytes = static_cast<const char*>(sqlite3_column_blob(stmt_.get(), column));
  return bytes ? std::string(bytes, static_cast<size_t>(sqlite3_column_bytes(stmt_.get(), column))) : std::string();
}
std::optional<std::string> Statement::optional_text(int column) const {
  if (is_null(column)) return std::nullopt;
  return text(column);
}
bool Statement::is_null(int column) const { return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL; }

Result<Database> Database::open(const std::filesystem::path& file) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  Database db(raw, file);
  if (rc != SQLITE_OK) return sqlite_error(raw, "打开数据库 " + file.string());
  sqlite3_busy_timeout(raw, 10'000);
  // FULL: a committed case survives a power cut, not only a crash of this process.
  NETSAMPLE_TRY(db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"));
  NETSAMPLE_TRY(db.migrate());
  return db;
}

Result<Statement> Database::prepare(std::string_view sql) {
  if (sqlite3_stmt* kept = cache_->take(sql)) return Statement(kept, db_.get(), cache_.get());
  sqlite3_stmt* stmt = nullptr;
  // The text must be the statement alone (sqlite3_sql gives it back as the cache's key).
  if (sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK)
    return sqlite_error(db_.get(), sql);
  return Statement(stmt, db_.get(), cache_.get());
}

Status Database::exec(std::string_view sql) {
  char* message = nullptr;
  const std::string statement(sql);
  if (sqlite3_exec(db_.get(), statement.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    Error error = make_error(ErrorCode::database, statement, std::string("数据库错误：") + (message ? message : "?"));
    sqlite3_free(message);
    return error;
  }
  return {};
}

Status Database::transaction(const std::function<Status()>& body) {
  if (in_transaction()) {
    // Inside another transaction: a savepoint, so the inner body's failure undoes only its own writes and
    // the outer transaction still decides for everything.
    NETSAMPLE_TRY(exec("SAVEPOINT nested"));
    Status status = body();
    if (status.ok()) return exec("RELEASE nested");
    (void)exec("ROLLBACK TO nested");
    (void)exec("RELEASE nested");
    return status;
  }
  NETSAMPLE_TRY(exec("BEGIN IMMEDIATE"));
  Status status = body();
  if (status.ok()) status = exec("COMMIT");
  if (!status.ok() && !sqlite3_get_autocommit(db_.get())) (void)exec("ROLLBACK");
  return status;
}

bool Database::in_transaction() const { return sqlite3_get_autocommit(db_.get()) == 0; }

Result<Database::ChangeStamp> Database::change_stamp() {
  NETSAMPLE_ASSIGN(Statement stmt, prepare("PRAGMA data_version"));
  NETSAMPLE_ASSIGN(bool row, stmt.step());
  if (!row) return sqlite_error(db_.get(), "reading PRAGMA data_version");
  return ChangeStamp{stmt.int64(0), sqlite3_total_changes64(db_.get())};
}

int Database::schema_version() {
  auto stmt = prepare("PRAGMA user_version");
  if (!stmt.ok() || !stmt->step().ok()) return -1;
  return static_cast<int>(stmt->int64(0));
}

int Database::latest_schema_version() { return static_cast<int>(migrations().size()); }

Result<std::string> Database::integrity_check() {
  NETSAMPLE_ASSIGN(Statement stmt, prepare("PRAGMA integrity_check"));
  NETSAMPLE_ASSIGN(bool row, stmt.step());
  if (!row) return std::string("no answer");
  return stmt.text(0);
}

std::int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_.get()); }

Status Database::migrate() {
  const int current = schema_version();
  const auto& all = migrations();
  if (current > static_cast<int>(all.size()))
    return make_error(ErrorCode::refused_by_rule, path_.string(),
                      "数据库结构版本 " + std::to_string(current) + " 高于本程序支持的版本 " + std::to_string(all.size()) +
                          "，请使用更新的 netsample");
  for (int version = current + 1; version <= static_cast<int>(all.size()); ++version) {
    const Migration& step = all[static_cast<size_t>(version - 1)];
    NETSAMPLE_TRY(transaction([&]() -> Status {
      // Another process may have applied it while we waited for the write lock.
      if (schema_version() >= version) return {};
      NETSAMPLE_TRY(exec(step.sql));
      return exec("PRAGMA user_version = " + std::to_string(version));
    }));
  }
  return {};
}

}  // namespace netsample::store
