// The SQL database, one interface over two backends:
// - SQLite (a station's, the embedded default): WAL mode, foreign keys on, full fsync on commit, numbered migrations
//   applied at open. One Database per thread; several processes may share the file (SQLite's locking, with a busy
//   timeout so a second writer waits instead of failing).
// - PostgreSQL 15 (the centre's, libpq): `postgresql://…` or a conninfo string. Writers are serialized by a
//   transaction-scoped advisory lock, as SQLite's single writer is, so the audit chain stays one line.
// Statements are written once for both: `?N` placeholders (sent to PostgreSQL as `$N`), `RETURNING` for new ids,
// `ON CONFLICT` for upserts. What differs (the schema's DDL, PRAGMAs) is the backend's.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "netsample/core/error.h"
#include "netsample/store/schema.h"

namespace netsample::store {

class Connection;
class StatementBackend;

// One prepared statement. Bind indexes start at 1, column indexes at 0 (SQLite's own convention).
class Statement {
 public:
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, const std::optional<std::string>& value);
  Statement& bind_null(int index);
  // Bytes as a BLOB / BYTEA (a DER token): never read back through text's encoding rules.
  Statement& bind_blob(int index, std::string_view bytes);

  // true: a row is ready to read; false: done.
  Result<bool> step();
  // Runs to completion (for INSERT/UPDATE/DELETE).
  Status run();
  // Runs an `INSERT … RETURNING id` and gives the new row's id (both backends; no connection-wide "last id").
  Result<std::int64_t> insert_id();
  void reset();

  std::int64_t int64(int column) const;
  std::string text(int column) const;
  std::optional<std::string> optional_text(int column) const;
  std::string blob(int column) const;
  bool is_null(int column) const;

  Statement(Statement&&) noexcept;
  Statement& operator=(Statement&&) noexcept;
  ~Statement();

 private:
  friend class Database;
  explicit Statement(std::unique_ptr<StatementBackend> backend);
  std::unique_ptr<StatementBackend> backend_;
};

class Database {
 public:
  enum class Kind { sqlite, postgresql };

  // Opens or creates the SQLite file and brings its schema up to date. Refuses a database whose schema is
  // newer than this program knows (a downgrade would misread it).
  static Result<Database> open(const std::filesystem::path& file);
  // Connects to PostgreSQL (`postgresql://user@host/db`, `postgresql:///db?host=/run/postgresql`, or a conninfo
  // string) and brings its schema up to date the same way (the migrations' DDL translated: store/src/sql_backend.h).
  // The password, when one is needed, comes from PGPASSWORD or ~/.pgpass, never the URL.
  static Result<Database> connect_postgresql(const std::string& url);

  Kind kind() const;

  // Prepared statements are kept per SQL text and reused (the service runs the same few hundred queries).
  Result<Statement> prepare(std::string_view sql);
  // Runs one or more statements without results.
  Status exec(std::string_view sql);

  // Runs `body` inside a write transaction (SQLite: BEGIN IMMEDIATE; PostgreSQL: BEGIN and the writers' lock). Any
  // error from body, or a failed commit, rolls everything back: the database is unchanged. Called inside another
  // transaction, it runs `body` in a savepoint: its failure undoes its own writes, and the outer transaction commits
  // or rolls back the whole.
  Status transaction(const std::function<Status()>& body);
  bool in_transaction() const;

  // A value that differs whenever the database's contents may have changed since it was last read: committed
  // by another connection or written by this one. Equal stamps: nothing changed between them. For caches of what was read.
  struct ChangeStamp {
    std::int64_t others = 0, own = 0;
    bool operator==(const ChangeStamp&) const = default;
  };
  Result<ChangeStamp> change_stamp();

  // Each module's schema version on this database, and the latest this program knows (netsample/store/schema.h).
  Result<SchemaVersions> schema_versions();
  static SchemaVersions latest_schema_versions();
  // "ok" when the backend's own check finds nothing; otherwise its first message.
  Result<std::string> integrity_check();

  // The file (SQLite), or the connection's description without any password (PostgreSQL).
  const std::filesystem::path& path() const { return path_; }

  Database(Database&&) noexcept;
  Database& operator=(Database&&) noexcept;
  ~Database();

 private:
  Database(std::unique_ptr<Connection> connection, std::filesystem::path path);
  Status migrate();
  Status carry_over_single_version(int single);
  Result<int> module_version(const std::string& module);
  Status set_module_version(const std::string& module, int version);

  std::unique_ptr<Connection> connection_;
  std::filesystem::path path_;
};

}  // namespace netsample::store
