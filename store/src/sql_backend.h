// What store/database.h needs of a SQL backend (SQLite, PostgreSQL). Private to the store.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "netsample/core/error.h"
#include "netsample/store/database.h"

namespace netsample::store {

class StatementBackend {
 public:
  virtual ~StatementBackend() = default;
  virtual void bind_int64(int index, std::int64_t value) = 0;
  virtual void bind_text(int index, std::string_view value) = 0;
  virtual void bind_blob(int index, std::string_view bytes) = 0;
  virtual void bind_null(int index) = 0;
  virtual Result<bool> step() = 0;
  virtual void reset() = 0;  // also clears the bindings
  virtual std::int64_t int64(int column) const = 0;
  virtual std::string text(int column) const = 0;
  virtual std::string blob(int column) const = 0;
  virtual bool is_null(int column) const = 0;
};

class Connection {
 public:
  virtual ~Connection() = default;
  virtual Database::Kind kind() const = 0;
  virtual Result<std::unique_ptr<StatementBackend>> prepare(std::string_view sql) = 0;
  virtual Status exec(std::string_view sql) = 0;
  // Starts the outermost write transaction, holding the database's one writer lock until it ends.
  virtual Status begin_write() = 0;
  virtual bool in_transaction() const = 0;
  virtual Result<Database::ChangeStamp> change_stamp() = 0;
  virtual int schema_version() = 0;
  virtual Status set_schema_version(int version) = 0;
  virtual Result<std::string> integrity_check() = 0;
  // A migration's DDL (written for SQLite) as this backend runs it.
  virtual std::string migration_sql(std::string_view sqlite_ddl) const = 0;
};

Result<std::unique_ptr<Connection>> open_sqlite(const std::filesystem::path& file);
// `described`: the connection as it may be shown and logged (no password).
Result<std::unique_ptr<Connection>> connect_postgresql(const std::string& url, std::string& described);

// `?N` placeholders as PostgreSQL's `$N`, and SQLite's instr( as strpos(, outside quoted strings and identifiers.
// `used`, when given: which numbers the statement holds (index N-1).
std::string postgresql_placeholders(std::string_view sql, std::vector<bool>* used = nullptr);
// Our migrations' SQLite DDL as PostgreSQL's: INTEGER as BIGINT (times are microseconds), an INTEGER PRIMARY KEY as an
// identity column, BLOB as BYTEA, and each `CREATE TRIGGER … BEFORE UPDATE|DELETE|INSERT … [WHEN …] BEGIN SELECT RAISE(ABORT,
// '…'); END;` as a plpgsql function and its row trigger, with TRUNCATE refused as well wherever DELETE is (TRUNCATE
// fires no DELETE trigger). Only the subset our migrations use; tests/store/postgresql_test.cc applies them all.
std::string postgresql_ddl(std::string_view sqlite_ddl);

}  // namespace netsample::store
