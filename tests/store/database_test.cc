#include "netsample/store/database.h"

#include <gtest/gtest.h>

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
  EXPECT_EQ(db->schema_version(), Database::latest_schema_version());
  EXPECT_GE(Database::latest_schema_version(), 1);
  EXPECT_EQ(*db->integrity_check(), "ok");
}

TEST(Database, ReopeningDoesNotReapplyMigrations) {
  testing::TempDir dir;
  { ASSERT_TRUE(Database::open(dir / "n.db").ok()); }
  auto again = Database::open(dir / "n.db");
  ASSERT_TRUE(again.ok()) << again.error().describe();
  EXPECT_EQ(again->schema_version(), Database::latest_schema_version());
}

TEST(Database, RefusesASchemaNewerThanThisProgram) {
  testing::TempDir dir;
  { ASSERT_TRUE(Database::open(dir / "n.db").ok()); }
  testing::sql_exec(dir / "n.db", "PRAGMA user_version = 999");
  auto db = Database::open(dir / "n.db");
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.error().message.find("999"), std::string::npos);
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
