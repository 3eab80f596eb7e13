// The PostgreSQL backend of store/database.h (libpq): the centre's database.
#include <libpq-fe.h>

#include <cctype>
#include <cstdlib>
#include <algorithm>
#include <map>
#include <regex>
#include <vector>

#include "sql_backend.h"

namespace netsample::store {
namespace {

// Every writer of the centre takes this transaction-scoped lock first: writes are serialized as SQLite's are, so the
// audit chain is appended by one transaction at a time. Readers never wait for it.
constexpr const char* kWriterLock = "SELECT pg_advisory_xact_lock(7326577101)";

struct ConnFree {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
struct ResultFree {
  void operator()(PGresult* result) const { PQclear(result); }
};
using PgResult = std::unique_ptr<PGresult, ResultFree>;

Error pg_error(const std::string& doing, const char* message) {
  std::string text = message ? message : "?";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return make_error(ErrorCode::database, doing, "数据库错误：" + text);
}

bool succeeded(const PGresult* result) {
  const ExecStatusType status = PQresultStatus(result);
  return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

class PostgresqlConnection;

class PostgresqlStatement final : public StatementBackend {
 public:
  PostgresqlStatement(PGconn* conn, std::string name, std::string sql, int params)
      : conn_(conn), name_(std::move(name)), sql_(std::move(sql)), values_(static_cast<size_t>(params)),
        null_(static_cast<size_t>(params), true), binary_(static_cast<size_t>(params), 0) {}

  void bind_int64(int index, std::int64_t value) override { set(index, std::to_string(value), false); }
  void bind_text(int index, std::string_view value) override { set(index, std::string(value), false); }
  void bind_blob(int index, std::string_view bytes) override { set(index, std::string(bytes), true); }
  void bind_null(int index) override {
    if (valid(index)) null_[static_cast<size_t>(index - 1)] = true;
  }

  Result<bool> step() override {
    if (!result_) {
      std::vector<const char*> values(values_.size());
      std::vector<int> lengths(values_.size()), formats(values_.size());
      for (size_t i = 0; i < values_.size(); ++i) {
        values[i] = null_[i] ? nullptr : values_[i].data();
        lengths[i] = static_cast<int>(values_[i].size());
        formats[i] = binary_[i];
      }
      result_.reset(PQexecPrepared(conn_, name_.c_str(), static_cast<int>(values.size()), values.data(), lengths.data(),
                                   formats.data(), 0));
      if (!result_ || !succeeded(result_.get())) {
        Error failed = pg_error(sql_, result_ ? PQresultErrorMessage(result_.get()) : PQerrorMessage(conn_));
        result_.reset();
        return failed;
      }
      row_ = -1;
    }
    ++row_;
    return row_ < PQntuples(result_.get());
  }

  void reset() override {
    result_.reset();
    std::fill(null_.begin(), null_.end(), true);
  }

  std::int64_t int64(int column) const override {
    const char* value = cell(column);
    if (!value) return 0;
    if (value[0] == 't' && value[1] == '\0') return 1;  // a boolean column
    if (value[0] == 'f' && value[1] == '\0') return 0;
    return std::strtoll(value, nullptr, 10);
  }
  std::string text(int column) const override {
    const char* value = cell(column);
    return value ? std::string(value, static_cast<size_t>(PQgetlength(result_.get(), row_, column))) : std::string();
  }
  std::string blob(int column) const override {
    const char* value = cell(column);
    if (!value) return {};
    size_t length = 0;
    unsigned char* bytes = PQunescapeBytea(reinterpret_cast<const unsigned char*>(value), &length);
    if (!bytes) return {};
    std::string out(reinterpret_cast<const char*>(bytes), length);
    PQfreemem(bytes);
    return out;
  }
  bool is_null(int column) const override { return !result_ || PQgetisnull(result_.get(), row_, column); }

 private:
  bool valid(int index) const { return index >= 1 && static_cast<size_t>(index) <= values_.size(); }
  void set(int index, std::string value, bool binary) {
    if (!valid(index)) return;
    const size_t i = static_cast<size_t>(index - 1);
    values_[i] = std::move(value);
    null_[i] = false;
    binary_[i] = binary ? 1 : 0;
  }
  const char* cell(int column) const {
    if (!result_ || row_ < 0 || row_ >= PQntuples(result_.get()) || column < 0 || column >= PQnfields(result_.get())) return nullptr;
    if (PQgetisnull(result_.get(), row_, column)) return nullptr;
    return PQgetvalue(result_.get(), row_, column);
  }

  PGconn* conn_;
  std::string name_, sql_;
  std::vector<std::string> values_;
  std::vector<bool> null_;
  std::vector<int> binary_;
  PgResult result_;
  int row_ = -1;
};

class PostgresqlConnection final : public Connection {
 public:
  explicit PostgresqlConnection(PGconn* conn) : conn_(conn) {}

  Database::Kind kind() const override { return Database::Kind::postgresql; }

  Result<std::unique_ptr<StatementBackend>> prepare(std::string_view sql) override {
    // Prepared once per connection and text, under a name of our own; later prepares of the same text reuse it.
    const std::string text(sql);
    auto known = prepared_.find(text);
    if (known == prepared_.end()) {
      const std::string name = "s" + std::to_string(prepared_.size() + 1);
      std::vector<bool> used;
      const std::string translated = postgresql_placeholders(sql, &used);
      // A number the statement skips (a filter left out: ?5 and ?22 but no ?6) is a parameter PostgreSQL cannot
      // type: declare it text, which it then ignores. The others it infers from where they stand.
      constexpr Oid kText = 25;
      std::vector<Oid> types(used.size());
      for (size_t i = 0; i < used.size(); ++i) types[i] = used[i] ? 0 : kText;
      PgResult made(PQprepare(conn_.get(), name.c_str(), translated.c_str(), static_cast<int>(types.size()), types.data()));
      if (!made || !succeeded(made.get())) return pg_error(text, made ? PQresultErrorMessage(made.get()) : PQerrorMessage(conn_.get()));
      PgResult described(PQdescribePrepared(conn_.get(), name.c_str()));
      if (!described || !succeeded(described.get()))
        return pg_error(text, described ? PQresultErrorMessage(described.get()) : PQerrorMessage(conn_.get()));
      known = prepared_.emplace(text, std::make_pair(name, PQnparams(described.get()))).first;
    }
    return std::unique_ptr<StatementBackend>(
        std::make_unique<PostgresqlStatement>(conn_.get(), known->second.first, text, known->second.second));
  }

  Status exec(std::string_view sql) override {
    const std::string text(sql);
    PgResult result(PQexec(conn_.get(), text.c_str()));
    if (!result || !succeeded(result.get())) return pg_error(text, result ? PQresultErrorMessage(result.get()) : PQerrorMessage(conn_.get()));
    return {};
  }

  Status begin_write() override {
    NETSAMPLE_TRY(exec("BEGIN"));
    if (Status locked = exec(kWriterLock); !locked.ok()) {
      (void)exec("ROLLBACK");
      return locked;
    }
    return {};
  }

  bool in_transaction() const override {
    const PGTransactionStatusType status = PQtransactionStatus(conn_.get());
    return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE;
  }

  Result<Database::ChangeStamp> change_stamp() override {
    // The write-ahead log's insert position moves with every write, committed or not, by anyone.
    NETSAMPLE_ASSIGN(auto stmt, prepare("SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint"));
    NETSAMPLE_ASSIGN(bool row, stmt->step());
    if (!row) return make_error(ErrorCode::database, "change_stamp", "数据库没有回答日志位置");
    return Database::ChangeStamp{stmt->int64(0), 0};
  }

  int schema_version() override {
    // The version's table exists from the first migration on (a query naming it before then would not parse).
    auto exists = prepare("SELECT to_regclass('netsample_schema') IS NOT NULL");
    if (!exists.ok() || !(*exists)->step().ok()) return -1;
    if ((*exists)->int64(0) == 0) return 0;
    auto stmt = prepare("SELECT COALESCE(MAX(version), 0) FROM netsample_schema");
    if (!stmt.ok() || !(*stmt)->step().ok()) return -1;
    return static_cast<int>((*stmt)->int64(0));
  }
  Status set_schema_version(int version) override {
    return exec("CREATE TABLE IF NOT EXISTS netsample_schema (version INTEGER NOT NULL); DELETE FROM netsample_schema; "
                "INSERT INTO netsample_schema VALUES (" + std::to_string(version) + ")");
  }

  // PostgreSQL checks its pages as it reads them (and with data checksums when the cluster has them); there is no
  // cheap whole-database check to run from here.
  Result<std::string> integrity_check() override { return std::string("ok"); }

  std::string migration_sql(std::string_view sqlite_ddl) const override { return postgresql_ddl(sqlite_ddl); }

 private:
  std::unique_ptr<PGconn, ConnFree> conn_;
  std::map<std::string, std::pair<std::string, int>> prepared_;  // SQL text -> (statement name, parameters)
};

}  // namespace

std::string postgresql_placeholders(std::string_view sql, std::vector<bool>* used) {
  std::string out;
  out.reserve(sql.size());
  char quote = 0;  // inside '…' or "…"
  for (size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote) {
      out += c;
      if (c == quote) quote = 0;  // a doubled quote ends and reopens: still right
      continue;
    }
    if (c == '\'' || c == '"') quote = c;
    if (c == '?' && i + 1 < sql.size() && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
      out += '$';
      if (used) {
        const size_t number = std::strtoul(sql.data() + i + 1, nullptr, 10);
        if (number > used->size()) used->resize(number, false);
        (*used)[number - 1] = true;
      }
      continue;
    }
    // SQLite's instr(text, part) is PostgreSQL's strpos(text, part): both 1-based, 0 when absent.
    if (sql.compare(i, 6, "instr(") == 0 && (i == 0 || !(std::isalnum(static_cast<unsigned char>(sql[i - 1])) || sql[i - 1] == '_'))) {
      out += "strpos(";
      i += 5;
      continue;
    }
    out += c;
  }
  return out;
}

std::string postgresql_ddl(std::string_view sqlite_ddl) {
  std::string ddl(sqlite_ddl);
  // Triggers first (their messages are left as they are).
  static const std::regex trigger(
      R"(CREATE TRIGGER (\w+) BEFORE (UPDATE(?: OF [\w, ]+?)?|DELETE|INSERT) ON (\w+)\s*(?:WHEN ([\s\S]*?))?\s*BEGIN SELECT RAISE\(ABORT, '((?:[^']|'')*)'\); END;)");
  std::string out;
  auto rest = ddl.cbegin();
  for (std::sregex_iterator it(ddl.cbegin(), ddl.cend(), trigger), end; it != end; ++it) {
    const std::smatch& m = *it;
    out.append(rest, m[0].first);
    rest = m[0].second;
    const std::string name = m[1], when = m[2], table = m[3], condition = m[4].matched ? std::string(m[4]) : "TRUE";
    std::string message = m[5];
    for (size_t at = message.find('%'); at != std::string::npos; at = message.find('%', at + 2)) message.insert(at, "%");
    out += "CREATE FUNCTION " + name + "() RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN IF " + condition +
           " THEN RAISE EXCEPTION '" + message + "'; END IF; IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $fn$;\n"
           "CREATE TRIGGER " + name + " BEFORE " + when + " ON " + table + " FOR EACH ROW EXECUTE FUNCTION " + name + "();";
    if (when == "DELETE")
      out += "\nCREATE FUNCTION " + name + "_truncate() RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN RAISE EXCEPTION '" +
             message + "'; END $fn$;\nCREATE TRIGGER " + name + "_truncate BEFORE TRUNCATE ON " + table +
             " FOR EACH STATEMENT EXECUTE FUNCTION " + name + "_truncate();";
  }
  out.append(rest, ddl.cend());
  // Then the types.
  out = std::regex_replace(out, std::regex(R"(\bINTEGER PRIMARY KEY AUTOINCREMENT\b)"), "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
  out = std::regex_replace(out, std::regex(R"(\bINTEGER PRIMARY KEY\b)"), "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
  out = std::regex_replace(out, std::regex(R"(\bINTEGER\b)"), "BIGINT");
  out = std::regex_replace(out, std::regex(R"(\bBLOB\b)"), "BYTEA");
  return out;
}

Result<std::unique_ptr<Connection>> connect_postgresql(const std::string& url, std::string& described) {
  std::unique_ptr<PGconn, ConnFree> conn(PQconnectdb(url.c_str()));
  if (!conn) return make_error(ErrorCode::database, "db", "无法连接 PostgreSQL：内存不足");
  // What may be shown: database, user, host, port, never a password.
  described = std::string("postgresql://") + (PQuser(conn.get()) ? PQuser(conn.get()) : "") + "@" +
              (PQhost(conn.get()) ? PQhost(conn.get()) : "") + ":" + (PQport(conn.get()) ? PQport(conn.get()) : "") + "/" +
              (PQdb(conn.get()) ? PQdb(conn.get()) : "");
  if (PQstatus(conn.get()) != CONNECTION_OK) return pg_error("db", PQerrorMessage(conn.get()));
  if (PQsetClientEncoding(conn.get(), "UTF8") != 0) return pg_error("db", PQerrorMessage(conn.get()));
  // The server's notices ("relation … already exists, skipping") are not errors and not for the user's terminal.
  PQsetNoticeProcessor(conn.get(), [](void*, const char*) {}, nullptr);
  auto connection = std::make_unique<PostgresqlConnection>(conn.release());
  // Times are integers (utc_us) and text is UTF-8: nothing depends on the server's time zone or locale.
  NETSAMPLE_TRY(connection->exec("SET TIME ZONE 'UTC'"));
  return std::unique_ptr<Connection>(std::move(connection));
}

}  // namespace netsample::store
