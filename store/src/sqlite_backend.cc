// The SQLite backend of store/database.h: a station's database file.
#include <sqlite3.h>

#include <unordered_map>

#include "sql_backend.h"

namespace netsample::store {
namespace {

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

class SqliteStatement final : public StatementBackend {
 public:
  SqliteStatement(sqlite3_stmt* stmt, sqlite3* db, std::shared_ptr<StatementCache> cache)
      : stmt_(stmt), db_(db), cache_(std::move(cache)) {}
  // Handed back to its connection's cache (reset, bindings cleared) instead of finalized, while the connection lives.
  ~SqliteStatement() override {
    if (auto cache = cache_.lock()) cache->give_back(stmt_);
    else sqlite3_finalize(stmt_);
  }
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  void bind_int64(int index, std::int64_t value) override { sqlite3_bind_int64(stmt_, index, value); }
  void bind_text(int index, std::string_view value) override {
    sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  }
  void bind_blob(int index, std::string_view bytes) override {
    sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  }
  void bind_null(int index) override { sqlite3_bind_null(stmt_, index); }
  Result<bool> step() override {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return sqlite_error(db_, sqlite3_sql(stmt_));
  }
  void reset() override {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  std::int64_t int64(int column) const override { return sqlite3_column_int64(stmt_, column); }
  std::string text(int column) const override {
    const auto* bytes = sqlite3_column_text(stmt_, column);
    return bytes ? std::string(reinterpret_cast<const char*>(bytes), static_cast<size_t>(sqlite3_column_bytes(stmt_, column)))
                 : std::string();
  }
  std::string blob(int column) const override {
    const auto* bytes = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
    return bytes ? std::string(bytes, static_cast<size_t>(sqlite3_column_bytes(stmt_, column))) : std::string();
  }
  bool is_null(int column) const override { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

 private:
  sqlite3_stmt* stmt_;
  sqlite3* db_;
  std::weak_ptr<StatementCache> cache_;
};

class SqliteConnection final : public Connection {
 public:
  explicit SqliteConnection(sqlite3* db) : db_(db), cache_(std::make_shared<StatementCache>()) {}
  ~SqliteConnection() override {
    cache_.reset();  // its idle statements are finalized before the connection closes
    sqlite3_close_v2(db_);
  }
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  Database::Kind kind() const override { return Database::Kind::sqlite; }

  Result<std::unique_ptr<StatementBackend>> prepare(std::string_view sql) override {
    sqlite3_stmt* stmt = cache_->take(sql);
    // The text must be the statement alone (sqlite3_sql gives it back as the cache's key).
    if (!stmt && sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK)
      return sqlite_error(db_, sql);
    return std::unique_ptr<StatementBackend>(std::make_unique<SqliteStatement>(stmt, db_, cache_));
  }

  Status exec(std::string_view sql) override {
    char* message = nullptr;
    const std::string statement(sql);
    if (sqlite3_exec(db_, statement.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
      Error error = make_error(ErrorCode::database, statement, std::string("数据库错误：") + (message ? message : "?"));
      sqlite3_free(message);
      return error;
    }
    return {};
  }

  Status begin_write() override { return exec("BEGIN IMMEDIATE"); }
  bool in_transaction() const override { return sqlite3_get_autocommit(db_) == 0; }

  Result<Database::ChangeStamp> change_stamp() override {
    // PRAGMA data_version: commits by other connections; total changes: this one's own writes.
    NETSAMPLE_ASSIGN(auto stmt, prepare("PRAGMA data_version"));
    NETSAMPLE_ASSIGN(bool row, stmt->step());
    if (!row) return sqlite_error(db_, "reading PRAGMA data_version");
    return Database::ChangeStamp{stmt->int64(0), sqlite3_total_changes64(db_)};
  }

  int schema_version() override {
    auto stmt = prepare("PRAGMA user_version");
    if (!stmt.ok() || !(*stmt)->step().ok()) return -1;
    return static_cast<int>((*stmt)->int64(0));
  }
  Status set_schema_version(int version) override { return exec("PRAGMA user_version = " + std::to_string(version)); }

  Result<std::string> integrity_check() override {
    NETSAMPLE_ASSIGN(auto stmt, prepare("PRAGMA integrity_check"));
    NETSAMPLE_ASSIGN(bool row, stmt->step());
    if (!row) return std::string("no answer");
    return stmt->text(0);
  }

  std::string migration_sql(std::string_view sqlite_ddl) const override { return std::string(sqlite_ddl); }

 private:
  sqlite3* db_;
  std::shared_ptr<StatementCache> cache_;
};

}  // namespace

Result<std::unique_ptr<Connection>> open_sqlite(const std::filesystem::path& file) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  auto connection = std::make_unique<SqliteConnection>(raw);  // closes `raw` whatever happens next
  if (rc != SQLITE_OK) return sqlite_error(raw, "打开数据库 " + file.string());
  sqlite3_busy_timeout(raw, 10'000);
  // FULL: a committed case survives a power cut, not only a crash of this process.
  NETSAMPLE_TRY(connection->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"));
  return std::unique_ptr<Connection>(std::move(connection));
}

}  // namespace netsample::store
