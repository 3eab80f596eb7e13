#include "netsample/store/database.h"

#include <gtest/gtest.h>

#include "netsample/core/file_io.h"
#include "netsample/store/schema.h"
#include "testing.h"

namespace netsample::store {
namespace {

std::string pragma(Database& db, const std::string& name) {
  auto stmt = db.prepare("PRAGMA " + name);
  EXPECT_TRUE(stmt.ok());
  EXPECT_TRUE(*stmt->step());
  return stmt->text(0);
}

TEST(Database, OpensInWalModeWithForeignKeysAndLatestSchema) {
  testing::TempDir dir;
  auto db = Database::open(dir / "n.db");
  ASSERT_TRUE(db.ok()) << db.error().describe();
  EXPECT_EQ(pragma(*db, "journal_mode"), "wal");
  EXPECT_EQ(pragma(*db, "foreign_keys"), "1");
  EXPECT_EQ(pragma(*db, "synchronous"), "2");  // FULL
  EXPECT_EQ(*db->schema_versions(), Database::latest_schema_versions());
  EXPECT_EQ(*db->integrity_check(), "ok");
}

TEST(Database, ReopeningDoesNotReapplyMigrations) {
  testing::TempDir dir;
  { ASSERT_TRUE(Database::open(dir / "n.db").ok()); }
  auto again = Database::open(dir / "n.db");
  ASSERT_TRUE(again.ok()) << again.error().describe();
  EXPECT_EQ(*again->schema_versions(), Database::latest_schema_versions());
}

// Each module numbers its own migrations (netsample/store/schema.h): the database keeps a version per module, and
// the single list's version is past its last, so that a program from before the split refuses the database.
TEST(Database, EachModuleKeepsItsOwnSchemaVersion) {
  testing::TempDir dir;
  auto db = Database::open(dir / "n.db");
  ASSERT_TRUE(db.ok()) << db.error().describe();
  const SchemaVersions versions = *db->schema_versions();
  for (const char* module : {"store", "workflow", "purchase", "unboxing", "notices", "accounts", "review", "sync"})
    EXPECT_GE(versions.at(module), 1) << module;
  EXPECT_EQ(versions.size(), 8u);
  EXPECT_EQ(pragma(*db, "user_version"), std::to_string(kLastVersionBeforeTheSplit + 1));
}

std::vector<std::string> schema_of(Database& db) {
  std::vector<std::string> out;
  auto stmt = db.prepare("SELECT type || ' ' || name || ' ON ' || tbl_name || ': ' || COALESCE(sql, '') FROM sqlite_master "
                         "ORDER BY type, name");
  EXPECT_TRUE(stmt.ok());
  while (*stmt->step()) out.push_back(stmt->text(0));
  return out;
}

// Databases the single list of migrations made (tests/store/fixtures: at version 12, and at 21, its last) take each
// module's missing migrations in the order a new database gets them, keep their rows, and end with its schema.
TEST(Database, ADatabaseFromBeforeEachModuleKeptItsOwnVersionGetsTheSameSchemaAndKeepsItsRows) {
  testing::TempDir dir;
  auto fresh = Database::open(dir / "fresh.db");
  ASSERT_TRUE(fresh.ok()) << fresh.error().describe();
  for (const int version : {12, 21}) {
    SCOPED_TRACE("version " + std::to_string(version));
    const auto old_file = dir / ("v" + std::to_string(version) + ".db");
    testing::sql_exec(old_file, *read_file(std::filesystem::path(NETSAMPLE_STORE_FIXTURES) / ("single-list-v" + std::to_string(version) + ".sql")) +
                                    "\nPRAGMA user_version = " + std::to_string(version) + ";");
    auto old = Database::open(old_file);
    ASSERT_TRUE(old.ok()) << old.error().describe();
    EXPECT_EQ(*old->schema_versions(), Database::latest_schema_versions());
    EXPECT_EQ(schema_of(*old), schema_of(*fresh));
    auto rows = old->prepare("SELECT (SELECT number FROM cases), (SELECT name FROM people), (SELECT count(*) FROM audit_log)");
    ASSERT_TRUE(rows.ok() && *rows->step());
    EXPECT_EQ(rows->text(0), "CQ-OLD-1");
    EXPECT_EQ(rows->text(1), "张采样");
    EXPECT_EQ(rows->int64(2), 1);
    EXPECT_EQ(*old->integrity_check(), "ok");
  }
}

TEST(Database, RefusesASchemaNewerThanThisProgram) {
  testing::TempDir dir;
  { ASSERT_TRUE(Database::open(dir / "n.db").ok()); }
  testing::sql_exec(dir / "n.db", "PRAGMA user_version = 999");
  auto db = Database::open(dir / "n.db");
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.error().message.find("999"), std::string::npos);
}

TEST(Database, RefusesAModuleSchemaNewerThanThisProgramOrAModuleItDoesNotKnow) {
  testing::TempDir dir;
  { ASSERT_TRUE(Database::open(dir / "n.db").ok()); }
  testing::sql_exec(dir / "n.db", "UPDATE schema_modules SET version = 99 WHERE module = 'review'");
  auto newer = Database::open(dir / "n.db");
  ASSERT_FALSE(newer.ok());
  EXPECT_NE(newer.error().message.find("模块 review 的结构版本 99"), std::string::npos) << newer.error().message;
  testing::sql_exec(dir / "n.db", "UPDATE schema_modules SET version = " + std::to_string(Database::latest_schema_versions().at("review")) +
                                      " WHERE module = 'review'; INSERT INTO schema_modules VALUES ('inspection', 1)");
  auto unknown = Database::open(dir / "n.db");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("不认识的模块 inspection"), std::string::npos) << unknown.error().message;
}

TEST(Database, FailedTransactionLeavesNothingBehind) {
  testing::TempDir dir;
  auto db = Database::open(dir / "n.db");
  ASSERT_TRUE(db.ok());
  Status status = db->transaction([&]() -> Status {
    NETSAMPLE_TRY(db->exec("INSERT INTO people (id, name, org, roles, added_utc_us) VALUES ('P1', 'x', 'o', '[]', 0)"));
    return make_error(ErrorCode::invalid_input, "x", "later step failed");
  });
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(testing::sql_text(dir / "n.db", "SELECT COUNT(*) FROM people"), "0");
}

TEST(Database, NestedTransactionsCommitOrFailWithTheOuterOne) {
  testing::TempDir dir;
  auto db = Database::open(dir / "n.db");
  ASSERT_TRUE(db.ok());
  auto person = [&](const std::string& id) {
    return db->exec("INSERT INTO people (id, name, org, roles, added_utc_us) VALUES ('" + id + "', 'x', 'o', '[]', 0)");
  };
  // The inner body fails: only its own row goes, the outer one commits.
  ASSERT_TRUE(db->transaction([&]() -> Status {
                  NETSAMPLE_TRY(person("P1"));
                  Status inner = db->transaction([&]() -> Status {
                    NETSAMPLE_TRY(person("P2"));
                    return make_error(ErrorCode::invalid_input, "x", "inner failed");
                  });
                  EXPECT_FALSE(inner.ok());
                  return Status{};
                }).ok());
  EXPECT_EQ(testing::sql_text(dir / "n.db", "SELECT group_concat(id) FROM people"), "P1");
  // The inner body succeeds but the outer fails afterwards: neither row stays.
  ASSERT_FALSE(db->transaction([&]() -> Status {
                   NETSAMPLE_TRY(db->transaction([&]() -> Status { return person("P3"); }));
                   return make_error(ErrorCode::invalid_input, "x", "outer failed after the inner commit");
                 }).ok());
  EXPECT_EQ(testing::sql_text(dir / "n.db", "SELECT COUNT(*) FROM people"), "1");
  EXPECT_FALSE(db->in_transaction());
}

TEST(Database, ForeignKeysAreEnforced) {
  testing::TempDir dir;
  auto db = Database::open(dir / "n.db");
  ASSERT_TRUE(db.ok());
  Status status = db->exec("INSERT INTO case_people (case_id, person_id, role, assigned_utc_us) VALUES (42, 'nobody', 'sampler', 0)");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::database);
}

TEST(Database, AuditLogIsAppendOnlyThroughTheSchema) {
  testing::TempDir dir;
  auto db = Database::open(dir / "n.db");
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(db->exec("INSERT INTO audit_log (utc_us, actor, action, payload, prev_hash, hash) VALUES (0, 'a', 'x', '{}', '', '')").ok());
  EXPECT_FALSE(db->exec("UPDATE audit_log SET actor = 'b'").ok());
  EXPECT_FALSE(db->exec("DELETE FROM audit_log").ok());
}

TEST(Database, StatementsBindAndReadNulls) {
  testing::TempDir dir;
  auto db = Database::open(dir / "n.db");
  ASSERT_TRUE(db.ok());
  auto stmt = db->prepare("SELECT ?1, ?2, ?3");
  ASSERT_TRUE(stmt.ok());
  stmt->bind(1, std::int64_t{7}).bind(2, std::optional<std::string>{}).bind(3, "中文");
  ASSERT_TRUE(*stmt->step());
  EXPECT_EQ(stmt->int64(0), 7);
  EXPECT_TRUE(stmt->is_null(1));
  EXPECT_EQ(stmt->optional_text(1), std::nullopt);
  EXPECT_EQ(stmt->text(2), "中文");
  EXPECT_FALSE(db->prepare("SELEC nonsense").ok());
}

}  // namespace
}  // namespace netsample::store
