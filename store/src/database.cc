#include "netsample/store/database.h"

#include "migrations.h"
#include "sql_backend.h"

namespace netsample::store {

Statement::Statement(std::unique_ptr<StatementBackend> backend) : backend_(std::move(backend)) {}
Statement::Statement(Statement&&) noexcept = default;
Statement& Statement::operator=(Statement&&) noexcept = default;
Statement::~Statement() = default;

Statement& Statement::bind(int index, std::int64_t value) {
  backend_->bind_int64(index, value);
  return *this;
}
Statement& Statement::bind(int index, std::string_view value) {
  backend_->bind_text(index, value);
  return *this;
}
Statement& Statement::bind(int index, const std::optional<std::string>& value) {
  return value ? bind(index, std::string_view(*value)) : bind_null(index);
}
Statement& Statement::bind_blob(int index, std::string_view bytes) {
  backend_->bind_blob(index, bytes);
  return *this;
}
Statement& Statement::bind_null(int index) {
  backend_->bind_null(index);
  return *this;
}

Result<bool> Statement::step() { return backend_->step(); }

Status Statement::run() {
  for (;;) {
    NETSAMPLE_ASSIGN(bool more, step());
    if (!more) return {};
  }
}

Result<std::int64_t> Statement::insert_id() {
  NETSAMPLE_ASSIGN(bool row, step());
  if (!row) return make_error(ErrorCode::internal, "insert", "INSERT … RETURNING id 没有返回新记录的编号");
  const std::int64_t id = int64(0);
  NETSAMPLE_TRY(run());
  return id;
}

void Statement::reset() { backend_->reset(); }
std::int64_t Statement::int64(int column) const { return backend_->int64(column); }
std::string Statement::text(int column) const { return backend_->text(column); }
std::string Statement::blob(int column) const { return backend_->blob(column); }
std::optional<std::string> Statement::optional_text(int column) const {
  if (is_null(column)) return std::nullopt;
  return text(column);
}
bool Statement::is_null(int column) const { return backend_->is_null(column); }

Database::Database(std::unique_ptr<Connection> connection, std::filesystem::path path)
    : connection_(std::move(connection)), path_(std::move(path)) {}
Database::Database(Database&&) noexcept = default;
Database& Database::operator=(Database&&) noexcept = default;
Database::~Database() = default;

Result<Database> Database::open(const std::filesystem::path& file) {
  NETSAMPLE_ASSIGN(std::unique_ptr<Connection> connection, open_sqlite(file));
  Database db(std::move(connection), file);
  NETSAMPLE_TRY(db.migrate());
  return db;
}

Result<Database> Database::connect_postgresql(const std::string& url) {
  std::string described;
  NETSAMPLE_ASSIGN(std::unique_ptr<Connection> connection, store::connect_postgresql(url, described));
  Database db(std::move(connection), described);
  NETSAMPLE_TRY(db.migrate());
  return db;
}

Database::Kind Database::kind() const { return connection_->kind(); }

Result<Statement> Database::prepare(std::string_view sql) {
  NETSAMPLE_ASSIGN(std::unique_ptr<StatementBackend> backend, connection_->prepare(sql));
  return Statement(std::move(backend));
}

Status Database::exec(std::string_view sql) { return connection_->exec(sql); }

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
  NETSAMPLE_TRY(connection_->begin_write());
  Status status = body();
  if (status.ok()) status = exec("COMMIT");
  if (!status.ok() && in_transaction()) (void)exec("ROLLBACK");
  return status;
}

bool Database::in_transaction() const { return connection_->in_transaction(); }
Result<Database::ChangeStamp> Database::change_stamp() { return connection_->change_stamp(); }
int Database::schema_version() { return connection_->schema_version(); }
int Database::latest_schema_version() { return static_cast<int>(migrations().size()); }
Result<std::string> Database::integrity_check() { return connection_->integrity_check(); }

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
      NETSAMPLE_TRY(exec(connection_->migration_sql(step.sql)));
      return connection_->set_schema_version(version);
    }));
  }
  return {};
}

}  // namespace netsample::store
