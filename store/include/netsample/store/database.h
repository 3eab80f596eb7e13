// The SQLite database: WAL mode, foreign keys on, full fsync on commit, numbered migrations applied
// at open. One Database per thread; several processes may share the file (SQLite's locking, with a
// busy timeout so a second writer waits instead of failing).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "netsample/core/error.h"

struct sqlite3;
struct sqlite3_stmt;

namespace netsample::store {

class StatementCache;

// One prepared statement. Bind indexes start at 1, column indexes at 0 (SQLite's own convention).
class Statement {
 public:
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, const std::optional<std::string>& value);
  Statement& bind_null(int index);
  // Bytes as a BLOB (a DER token): never read back through text's encoding rules.
  Statement& bind_blob(int index, std::string_view bytes);

  // true: a row is ready to read; false: done.
  Result<bool> step();
  // Runs to completion (for INSERT/UPDATE/DELETE).
  Status run();
  void reset();

  std::int64_t int64(int column) const;
  std::string text(int column) const;
  std::optional<std::string> optional_text(int column) const;
  std::string blob(int column) const;
  bool is_null(int column) const;

 private:
  friend class Database;
  // Hands the statement back to its database's cache (reset, bindings cleared) instead of finalizing it.
  struct Finalize {
    StatementCache* cache = nullptr;
    void operator()(sqlite3_stmt* stmt) const;
  };
  Statement(sqlite3_stmt* stmt, sqlite3* db, StatementCache* cache) : stmt_(stmt, Finalize{cache}), db_(db) {}
  std::unique_ptr<sqlite3_stmt, Finalize> stmt_;
  sqlite3* db_;
};

class Database {
 public:
  // Opens or creates the file and brings its schema up to date. Refuses a database whose schema is
  // newer than this program knows (a downgrade would misread it).
  static Result<Database> open(const std::filesystem::path& file);

  // Prepared statements are kept per SQL text and reused (the service runs the same few hundred queries).
  Result<Statement> prepare(std::string_view sql);
  // Runs one or more statements without results.
  Status exec(std::string_view sql);

  // Runs `body` inside BEGIN IMMEDIATE ... COMMIT. Any error from body, or a failed commit, rolls
  // everything back: the database is unchanged. Called inside another transaction, it runs `body` in a
  // savepoint: its failure undoes its own writes, and the outer transaction commits or rolls back the whole.
  Status transaction(const std::function<Status()>& body);
  bool in_transaction() const;

  // A value that differs whenever the database's contents may have changed since it was last read: committed
  // by another connection (another thread's, another process's: PRAGMA data_version) or written by this one
  // (sqlite3_total_changes64). Equal stamps: nothing changed between them. For caches of what was read.
  struct ChangeStamp {
    std::int64_t others = 0, own = 0;
    bool operator==(const ChangeStamp&) const = default;
  };
  Result<ChangeStamp> change_stamp();

  int schema_version();
  static int latest_schema_version();
  // "ok" when PRAGMA integrity_check finds nothing; otherwise its first message.
  Result<std::string> integrity_check();

  std::int64_t last_insert_rowid() const;
  const std::filesystem::path& path() const { return path_; }

 private:
  struct Close {
    void operator()(sqlite3* db) const;
  };
  Database(sqlite3* db, std::filesystem::path path);
  Status migrate();

  std::unique_ptr<sqlite3, Close> db_;
  std::filesystem::path path_;
  std::unique_ptr<StatementCache> cache_;  // after db_: its statements are finalized before the connection closes

 public:
  Database(Database&&) noexcept;
  Database& operator=(Database&&) noexcept;
  ~Database();
};

// Wraps the current SQLite error of `db` as an Error (code database), naming what we were doing.
Error sqlite_error(sqlite3* db, std::string_view doing);

}  // namespace netsample::store
