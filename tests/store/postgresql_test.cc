// The SQL layer over PostgreSQL (store/database.h's second backend), against a real PostgreSQL 15 started here once
// for the binary (one ctest process). The statements are the ones SQLite runs: `?N` placeholders, RETURNING, upserts.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "netsample/store/audit.h"
#include "netsample/store/database.h"
#include "netsample/store/schema.h"
#include "netsample/testing/loopback.h"
#include "../../store/src/sql_backend.h"
#include "testing.h"

namespace netsample::store {
namespace {

TEST(PostgresqlPlaceholders, QuestionMarksOutsideQuotesBecomeDollars) {
  EXPECT_EQ(postgresql_placeholders("SELECT ?1, ?2 FROM t WHERE a = ?12"), "SELECT $1, $2 FROM t WHERE a = $12");
  EXPECT_EQ(postgresql_placeholders("SELECT '?1', \"?2\", ?3, 'it''s ?4'"), "SELECT '?1', \"?2\", $3, 'it''s ?4'");
  EXPECT_EQ(postgresql_placeholders("SELECT ? FROM t"), "SELECT ? FROM t");  // not ours: left for the server to refuse
  EXPECT_EQ(postgresql_placeholders("WHERE instr(a || b, ?5) > 0 AND reinstr(x) AND 'instr(' = c"),
            "WHERE strpos(a || b, $5) > 0 AND reinstr(x) AND 'instr(' = c");
}

class Postgresql : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto started = loopback::PostgresServer::start();
    ASSERT_TRUE(started.ok()) << started.error().message;
    server_ = started->release();
  }
  static void TearDownTestSuite() { delete server_; }

  // A fresh database per test, with a table of people and a hash-chain-like table of events.
  Database connect() {
    static int counter = 0;
    const std::string name = "t" + std::to_string(++counter);
    EXPECT_TRUE(server_->create_database(name).ok());
    url_ = server_->url(name);
    auto db = Database::connect_postgresql(url_);
    EXPECT_TRUE(db.ok()) << db.error().message;
    EXPECT_TRUE(db->exec("CREATE TABLE t_people (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, login TEXT UNIQUE NOT NULL, "
                         "name TEXT, photo BYTEA, added_utc_us BIGINT NOT NULL);"
                         "CREATE TABLE t_chain (seq BIGINT PRIMARY KEY, writer INTEGER NOT NULL, prev BIGINT NOT NULL)").ok());
    return std::move(*db);
  }
  std::string url_;
  static loopback::PostgresServer* server_;
};
loopback::PostgresServer* Postgresql::server_ = nullptr;

TEST_F(Postgresql, BindsAndReadsEveryKindOfValueAndReturnsNewIds) {
  Database db = connect();
  EXPECT_EQ(db.kind(), Database::Kind::postgresql);
  EXPECT_EQ(db.path().string().find("password"), std::string::npos);
  const std::string photo("\0\x01\xff jpeg \0", 10);
  auto insert = db.prepare("INSERT INTO t_people (login, name, photo, added_utc_us) VALUES (?1, ?2, ?3, ?4) RETURNING id");
  ASSERT_TRUE(insert.ok()) << insert.error().message;
  insert->bind(1, "CQ-S-001").bind(2, "张三").bind_blob(3, photo).bind(4, std::int64_t{1'764'900'000'123'456});
  ASSERT_TRUE(*insert->step());
  const std::int64_t id = insert->int64(0);
  EXPECT_GT(id, 0);

  auto again = db.prepare("INSERT INTO t_people (login, name, photo, added_utc_us) VALUES (?1, ?2, ?3, ?4) RETURNING id");
  ASSERT_TRUE(again.ok());
  again->bind(1, "CQ-S-002").bind(2, std::optional<std::string>{}).bind_null(3).bind(4, std::int64_t{-5});
  ASSERT_TRUE(*again->step());
  EXPECT_EQ(again->int64(0), id + 1);

  auto read = db.prepare("SELECT login, name, photo, added_utc_us FROM t_people WHERE id = ?1");
  ASSERT_TRUE(read.ok());
  read->bind(1, id);
  ASSERT_TRUE(*read->step());
  EXPECT_EQ(read->text(0), "CQ-S-001");
  EXPECT_EQ(read->text(1), "张三");
  EXPECT_TRUE(read->blob(2) == photo);
  EXPECT_EQ(read->int64(3), 1'764'900'000'123'456);
  EXPECT_FALSE(*read->step());
  read->reset();
  read->bind(1, id + 1);
  ASSERT_TRUE(*read->step());
  EXPECT_TRUE(read->is_null(1));
  EXPECT_EQ(read->optional_text(1), std::nullopt);
  EXPECT_TRUE(read->is_null(2));
  EXPECT_EQ(read->int64(3), -5);

  // An upsert written once for both backends.
  auto upsert = db.prepare("INSERT INTO t_people (login, name, added_utc_us) VALUES (?1, ?2, 0) ON CONFLICT (login) DO UPDATE SET name = excluded.name");
  ASSERT_TRUE(upsert.ok()) << upsert.error().message;
  upsert->bind(1, "CQ-S-001").bind(2, "李四");
  ASSERT_TRUE(upsert->run().ok());
  auto name = db.prepare("SELECT name FROM t_people WHERE login = ?1");
  name->bind(1, "CQ-S-001");
  ASSERT_TRUE(*name->step());
  EXPECT_EQ(name->text(0), "李四");
}

TEST_F(Postgresql, ErrorsNameTheStatementAndLeaveTheConnectionUsable) {
  Database db = connect();
  auto bad = db.prepare("SELEC nonsense");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::database);
  EXPECT_EQ(bad.error().field, "SELEC nonsense");
  ASSERT_TRUE(db.exec("INSERT INTO t_people (login, added_utc_us) VALUES ('a', 0)").ok());
  Status duplicate = db.exec("INSERT INTO t_people (login, added_utc_us) VALUES ('a', 0)");
  ASSERT_FALSE(duplicate.ok());
  EXPECT_NE(duplicate.error().message.find("t_people_login_key"), std::string::npos) << duplicate.error().message;
  auto count = db.prepare("SELECT COUNT(*) FROM t_people");
  ASSERT_TRUE(count.ok());
  ASSERT_TRUE(*count->step());
  EXPECT_EQ(count->int64(0), 1);
}

TEST_F(Postgresql, NestedTransactionsCommitOrFailWithTheOuterOne) {
  Database db = connect();
  auto person = [&](const std::string& login) { return db.exec("INSERT INTO t_people (login, added_utc_us) VALUES ('" + login + "', 0)"); };
  auto logins = [&] {
    auto stmt = db.prepare("SELECT COALESCE(string_agg(login, ',' ORDER BY login), '') FROM t_people");
    EXPECT_TRUE(stmt.ok() && *stmt->step());
    return stmt->text(0);
  };
  ASSERT_TRUE(db.transaction([&]() -> Status {
                  NETSAMPLE_TRY(person("P1"));
                  Status inner = db.transaction([&]() -> Status {
                    NETSAMPLE_TRY(person("P2"));
                    return make_error(ErrorCode::invalid_input, "x", "inner failed");
                  });
                  EXPECT_FALSE(inner.ok());
                  return Status{};
                }).ok());
  EXPECT_EQ(logins(), "P1");
  // A statement that fails inside the inner body (the transaction is then aborted): the savepoint recovers it.
  ASSERT_TRUE(db.transaction([&]() -> Status {
                  EXPECT_FALSE(db.transaction([&]() -> Status { return person("P1"); }).ok());
                  return person("P3");
                }).ok());
  EXPECT_EQ(logins(), "P1,P3");
  ASSERT_FALSE(db.transaction([&]() -> Status {
                   NETSAMPLE_TRY(db.transaction([&]() -> Status { return person("P4"); }));
                   return make_error(ErrorCode::invalid_input, "x", "outer failed after the inner commit");
                 }).ok());
  EXPECT_EQ(logins(), "P1,P3");
  EXPECT_FALSE(db.in_transaction());
}

TEST_F(Postgresql, ConcurrentWritersAppendOneLinearChain) {
  Database setup = connect();
  constexpr int kWriters = 8, kEach = 250;
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  for (int w = 0; w < kWriters; ++w)
    writers.emplace_back([&, w] {
      auto db = Database::connect_postgresql(url_);
      if (!db.ok()) {
        ++failures;
        return;
      }
      for (int i = 0; i < kEach; ++i) {
        // Read the head, append after it: correct only if no other writer appends in between.
        Status appended = db->transaction([&]() -> Status {
          NETSAMPLE_ASSIGN(Statement head, db->prepare("SELECT COALESCE(MAX(seq), 0) FROM t_chain"));
          NETSAMPLE_ASSIGN(bool row, head.step());
          const std::int64_t last = row ? head.int64(0) : 0;
          NETSAMPLE_ASSIGN(Statement add, db->prepare("INSERT INTO t_chain (seq, writer, prev) VALUES (?1, ?2, ?3)"));
          add.bind(1, last + 1).bind(2, std::int64_t{w}).bind(3, last);
          return add.run();
        });
        if (!appended.ok()) ++failures;
      }
    });
  for (auto& t : writers) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto rows = setup.prepare("SELECT seq, prev, writer FROM t_chain ORDER BY seq");
  ASSERT_TRUE(rows.ok());
  std::int64_t expected = 1;
  std::set<std::int64_t> writers_seen;
  while (*rows->step()) {
    ASSERT_EQ(rows->int64(0), expected) << "a gap or a duplicate";
    ASSERT_EQ(rows->int64(1), expected - 1) << "a link to something else than the row before";
    writers_seen.insert(rows->int64(2));
    ++expected;
  }
  EXPECT_EQ(expected - 1, kWriters * kEach);
  EXPECT_EQ(writers_seen.size(), static_cast<size_t>(kWriters));
}

TEST(PostgresqlDdl, TriggersBecomeFunctionsAndTypesWiden) {
  const std::string ddl = postgresql_ddl(
      "CREATE TABLE t (id INTEGER PRIMARY KEY, token BLOB NOT NULL, at_us INTEGER NOT NULL);\n"
      "CREATE TRIGGER t_final BEFORE UPDATE ON t\n  WHEN OLD.at_us > 0\n  BEGIN SELECT RAISE(ABORT, 'a row''s time never changes'); END;\n"
      "CREATE TRIGGER t_no_delete BEFORE DELETE ON t BEGIN SELECT RAISE(ABORT, 't is append-only'); END;");
  EXPECT_NE(ddl.find("id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, token BYTEA NOT NULL, at_us BIGINT NOT NULL"), std::string::npos) << ddl;
  EXPECT_NE(ddl.find("IF OLD.at_us > 0 THEN RAISE EXCEPTION 'a row''s time never changes'"), std::string::npos) << ddl;
  EXPECT_NE(ddl.find("CREATE TRIGGER t_no_delete_truncate BEFORE TRUNCATE ON t FOR EACH STATEMENT"), std::string::npos) << ddl;
  EXPECT_EQ(ddl.find("RAISE(ABORT"), std::string::npos) << ddl;
}

// What a database's schema is, as PostgreSQL describes it: every column with its type and default, every trigger.
std::vector<std::string> schema_of(Database& db) {
  std::vector<std::string> out;
  auto columns = db.prepare("SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || "
                            "COALESCE(column_default, '') FROM information_schema.columns WHERE table_schema = 'public' "
                            "AND table_name NOT LIKE 't\\_%' ORDER BY table_name, column_name");
  EXPECT_TRUE(columns.ok()) << columns.error().message;
  while (*columns->step()) out.push_back(columns->text(0));
  auto triggers = db.prepare("SELECT trigger_name || ' ' || event_manipulation || ' ON ' || event_object_table FROM "
                             "information_schema.triggers ORDER BY 1");
  EXPECT_TRUE(triggers.ok()) << triggers.error().message;
  while (*triggers->step()) out.push_back(triggers->text(0));
  return out;
}

// A centre's database made by the single list of migrations (here at its version 12: each version's DDL as that
// program applied it, translated for PostgreSQL, and its version in netsample_schema) gets each module's missing
// migrations, keeps its rows, and ends with a new database's schema.
TEST_F(Postgresql, ADatabaseFromBeforeEachModuleKeptItsOwnVersionGetsTheSameSchemaAndKeepsItsRows) {
  const std::string name = "single_list_v12";
  ASSERT_TRUE(server_->create_database(name).ok());
  std::string sql;
  for (int version = 1; version <= 12; ++version)
    for (const ModuleSchema* schema : every_module_schema())
      for (const SchemaMigration& migration : schema->migrations)
        if (migration.before_split == version) sql += postgresql_ddl(migration.sql) + "\n";
  sql += "CREATE TABLE netsample_schema (version INTEGER NOT NULL); INSERT INTO netsample_schema VALUES (12);\n"
         "INSERT INTO people (id, name, org, roles, active, added_utc_us) VALUES ('S-001', '张采样', 'cq-amr', '[]', 1, 1);\n";
  const Status made = server_->run_sql(name, sql);
  ASSERT_TRUE(made.ok()) << made.error().describe();

  auto old = Database::connect_postgresql(server_->url(name));
  ASSERT_TRUE(old.ok()) << old.error().describe();
  EXPECT_EQ(*old->schema_versions(), Database::latest_schema_versions());
  auto row = old->prepare("SELECT name FROM people WHERE id = 'S-001'");
  ASSERT_TRUE(row.ok() && *row->step());
  EXPECT_EQ(row->text(0), "张采样");
  Database fresh = connect();
  EXPECT_EQ(schema_of(*old), schema_of(fresh));
}

TEST_F(Postgresql, TheWholeSchemaMigratesAndItsAppendOnlyTablesStaySo) {
  Database db = connect();
  EXPECT_EQ(*db.schema_versions(), Database::latest_schema_versions());
  // Reconnecting applies nothing twice.
  auto again = Database::connect_postgresql(url_);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*again->schema_versions(), Database::latest_schema_versions());

  ASSERT_TRUE(db.exec("INSERT INTO cases (number, organizer, level, plan_kind, product_name, trademark, model, category, standard, "
                      "platform, shop_name, shop_url, operator_name, operator_address, producer_name, producer_address, "
                      "inspection_qty, backup_qty, state, created_utc_us, updated_utc_us) VALUES ('CQ-1','o','city','routine','p','t',"
                      "'m','c','s','jd','shop','https://x','op','a','pr','a',1,1,'planned',1764900000123456,1764900000123456)").ok());
  auto id = db.prepare("SELECT id, created_utc_us FROM cases WHERE number = ?1");
  id->bind(1, "CQ-1");
  ASSERT_TRUE(*id->step());
  EXPECT_GT(id->int64(0), 0);
  EXPECT_EQ(id->int64(1), 1764900000123456);  // microseconds need 64 bits

  ASSERT_TRUE(db.exec("INSERT INTO audit_log (utc_us, actor, action, payload, prev_hash, hash) VALUES (0, 'a', 'x', '{}', '', '')").ok());
  for (const char* forbidden : {"UPDATE audit_log SET actor = 'b'", "DELETE FROM audit_log", "TRUNCATE audit_log",
                                "TRUNCATE case_events"}) {
    Status refused = db.exec(forbidden);
    ASSERT_FALSE(refused.ok()) << forbidden;
    EXPECT_NE(refused.error().message.find("append-only"), std::string::npos) << refused.error().message;
  }
  // A conditional rule (case_events go only with their case) keeps its condition.
  ASSERT_TRUE(db.exec("INSERT INTO case_events (case_id, event, from_state, to_state, actor, fields, articles, utc_us) "
                      "SELECT id, 'e', 'planned', 'planned', 'a', '{}', '', 0 FROM cases").ok());
  EXPECT_FALSE(db.exec("DELETE FROM case_events").ok());
  EXPECT_TRUE(db.exec("DELETE FROM cases").ok());
}

// The centre's service runs as a role that owns nothing (README, "The central service"): it does all its work, and
// cannot lift a guard — drop or disable a trigger, turn triggers off, step the witness back, delete the chain.
TEST_F(Postgresql, TheServicesRoleWritesButCannotLiftTheGuards) {
  Database owner = connect();
  ASSERT_TRUE(owner.exec("CREATE ROLE service_role LOGIN; "
                         "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO service_role; "
                         "GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO service_role").ok());
  std::string url = url_;
  url.replace(url.find("user=netsample"), 14, "user=service_role");
  auto service = Database::connect_postgresql(url);
  ASSERT_TRUE(service.ok()) << service.error().message;
  AuditLog log(*service, database_witness(*service));
  ASSERT_TRUE(log.initialise_witness().ok());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(service->transaction([&] { return status_of(log.append({"S1", "case.event", "CQ-1", {{"n", i}}}, from_utc_us(i))); }).ok());
    ASSERT_TRUE(log.publish_head().ok());
  }
  auto report = log.verify();
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_TRUE(report->intact) << report->problem;
  EXPECT_EQ(report->witness->seq, 3);
  for (const char* forbidden : {"DROP TRIGGER audit_log_no_update ON audit_log", "ALTER TABLE audit_log DISABLE TRIGGER ALL",
                                "SET session_replication_role = replica", "UPDATE audit_witness SET seq = 1",
                                "DELETE FROM audit_witness", "DELETE FROM audit_log WHERE seq = 3", "TRUNCATE audit_log",
                                "DROP TABLE audit_log"})
    EXPECT_FALSE(service->exec(forbidden).ok()) << forbidden;
  EXPECT_TRUE(log.verify()->intact);
}

TEST_F(Postgresql, ChangeStampMovesWhenAnotherConnectionWrites) {
  Database db = connect();
  auto other = Database::connect_postgresql(url_);
  ASSERT_TRUE(other.ok());
  auto before = db.change_stamp();
  ASSERT_TRUE(before.ok()) << before.error().message;
  EXPECT_EQ(*db.change_stamp(), *before);
  ASSERT_TRUE(other->exec("INSERT INTO t_people (login, added_utc_us) VALUES ('z', 0)").ok());
  EXPECT_NE(*db.change_stamp(), *before);
}

}  // namespace
}  // namespace netsample::store
