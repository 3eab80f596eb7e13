#include "netsample/store/database.h"

#include <algorithm>

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
Result<std::string> Database::integrity_check() { return connection_->integrity_check(); }

namespace {

// The single list's version on a database made since the split (netsample/store/schema.h).
constexpr int kSplitMark = kLastVersionBeforeTheSplit + 1;
const char* const kNewerProgram = "，请使用更新的 netsample";

}  // namespace

Result<SchemaVersions> Database::schema_versions() {
  SchemaVersions versions;
  if (connection_->schema_version() < kSplitMark) return versions;  // none yet: migrate() carries the single one over
  NETSAMPLE_ASSIGN(Statement stmt, prepare("SELECT module, version FROM schema_modules"));
  for (;;) {
    NETSAMPLE_ASSIGN(bool row, stmt.step());
    if (!row) return versions;
    versions[stmt.text(0)] = static_cast<int>(stmt.int64(1));
  }
}

SchemaVersions Database::latest_schema_versions() { return store::latest_schema_versions(); }

Result<int> Database::module_version(const std::string& module) {
  NETSAMPLE_ASSIGN(Statement stmt, prepare("SELECT version FROM schema_modules WHERE module = ?1"));
  stmt.bind(1, module);
  NETSAMPLE_ASSIGN(bool row, stmt.step());
  const int version = row ? static_cast<int>(stmt.int64(0)) : 0;
  return version;
}

Status Database::set_module_version(const std::string& module, int version) {
  NETSAMPLE_ASSIGN(Statement stmt, prepare("INSERT INTO schema_modules (module, version) VALUES (?1, ?2) "
                                           "ON CONFLICT (module) DO UPDATE SET version = excluded.version"));
  return stmt.bind(1, module).bind(2, std::int64_t{version}).run();
}

// A database made before the split (or a new one) gets each module's version: the migrations it already has of
// each module are those that were part of the single list's versions 1..single.
Status Database::carry_over_single_version(int single) {
  return transaction([&]() -> Status {
    // Another process may have done it while we waited for the write lock.
    if (connection_->schema_version() >= kSplitMark) return {};
    NETSAMPLE_TRY(exec("CREATE TABLE schema_modules (module TEXT PRIMARY KEY, version INTEGER NOT NULL)"));
    for (const ModuleSchema* schema : every_module_schema()) {
      const auto had = std::count_if(schema->migrations.begin(), schema->migrations.end(), [&](const SchemaMigration& m) {
        return m.before_split >= 1 && m.before_split <= single;
      });
      NETSAMPLE_TRY(set_module_version(schema->module, static_cast<int>(had)));
    }
    return connection_->set_schema_version(kSplitMark);
  });
}

Status Database::migrate() {
  const int single = connection_->schema_version();
  if (single < 0) return make_error(ErrorCode::database, path_.string(), "读不出数据库的结构版本");
  if (single > kSplitMark)
    return make_error(ErrorCode::refused_by_rule, path_.string(),
                      "数据库结构版本 " + std::to_string(single) + " 高于本程序支持的版本 " + std::to_string(kSplitMark) + kNewerProgram);
  if (single < kSplitMark) NETSAMPLE_TRY(carry_over_single_version(single));

  NETSAMPLE_ASSIGN(SchemaVersions versions, schema_versions());
  const SchemaVersions latest = latest_schema_versions();
  for (const auto& [module, version] : versions) {
    const auto known = latest.find(module);
    if (known == latest.end())
      return make_error(ErrorCode::refused_by_rule, path_.string(),
                        "数据库含本程序不认识的模块 " + module + " 的表（结构版本 " + std::to_string(version) + "）" + kNewerProgram);
    if (version > known->second)
      return make_error(ErrorCode::refused_by_rule, path_.string(),
                        "数据库中模块 " + module + " 的结构版本 " + std::to_string(version) + " 高于本程序支持的版本 " +
                            std::to_string(known->second) + kNewerProgram);
  }
  for (const SchemaStep& step : migration_order()) {
    if (versions[step.module->module] >= step.version) continue;
    NETSAMPLE_TRY(transaction([&]() -> Status {
      // Another process may have applied it while we waited for the write lock.
      NETSAMPLE_ASSIGN(int now, module_version(step.module->module));
      if (now >= step.version) return {};
      NETSAMPLE_TRY(exec(connection_->migration_sql(step.migration->sql)));
      return set_module_version(step.module->module, step.version);
    }));
  }
  return {};
}

}  // namespace netsample::store
