// The audit chain against hand edits of the database file, as someone with the sqlite3 tool would make.
#include "netsample/store/audit.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "netsample/store/store.h"
#include "testing.h"

namespace netsample::store {
namespace {
namespace fs = std::filesystem;

const char* kDropGuards = "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;";

class AuditChain : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = Store::open(dir_.path(), clock_, testing::store_options(dir_.path()));
    ASSERT_TRUE(opened.ok()) << opened.error().describe();
    store_ = std::move(opened).value();
    for (int i = 1; i <= 5; ++i) append("case.event", {{"n", i}});
  }

  void append(const std::string& action, nlohmann::json payload) {
    Status status = store_->write([&]() -> Status {
      return status_of(store_->audit().append({"S1", action, "CQ-1", std::move(payload)}, clock_.now()));
    });
    ASSERT_TRUE(status.ok()) << status.error().describe();
    clock_.advance(std::chrono::seconds(1));
  }

  ChainReport verify() {
    auto report = store_->audit().verify();
    EXPECT_TRUE(report.ok()) << report.error().describe();
    return report.ok() ? *report : ChainReport{};
  }

  fs::path db_file() const { return dir_ / "netsample.db"; }

  testing::TempDir dir_;
  ManualClock clock_{from_utc_us(1'780'000'000'000'000)};
  std::unique_ptr<Store> store_;
};

TEST_F(AuditChain, IntactChainLinksEveryRow) {
  const ChainReport report = verify();
  EXPECT_TRUE(report.intact) << report.problem;
  EXPECT_EQ(report.rows, 5);
  EXPECT_EQ(report.head.seq, 5);
  ASSERT_TRUE(report.witness);
  EXPECT_EQ(report.witness->hash, report.head.hash);
  auto rows = store_->audit().records();
  ASSERT_EQ(rows->size(), 5u);
  EXPECT_EQ((*rows)[0].prev_hash, kGenesisHash);
  for (size_t i = 1; i < rows->size(); ++i) EXPECT_EQ((*rows)[i].prev_hash, (*rows)[i - 1].hash);
}

TEST_F(AuditChain, EditedPayloadIsNamed) {
  testing::sql_exec(db_file(), std::string(kDropGuards) + "UPDATE audit_log SET payload = '{\"n\":99}' WHERE seq = 3");
  const ChainReport report = verify();
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.first_bad_seq, 3);
}

TEST_F(AuditChain, EditedActorOrTimeIsNamed) {
  testing::sql_exec(db_file(), std::string(kDropGuards) + "UPDATE audit_log SET utc_us = utc_us - 86400000000 WHERE seq = 2");
  EXPECT_EQ(verify().first_bad_seq, 2);
}

TEST_F(AuditChain, RowRewrittenWithAFreshHashIsNamed) {
  // The forger recomputes row 2's own hash; row 3 still points at the old one.
  auto rows = *store_->audit().records();
  const auto& r = rows[1];
  const std::string forged = AuditLog::row_hash(r.seq, to_utc_us(r.at), "S9", r.action, r.case_number, r.payload, r.prev_hash);
  testing::sql_exec(db_file(), std::string(kDropGuards) + "UPDATE audit_log SET actor = 'S9', hash = '" + forged + "' WHERE seq = 2");
  const ChainReport report = verify();
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.first_bad_seq, 2);
}

TEST_F(AuditChain, DeletedMiddleRowIsNamed) {
  testing::sql_exec(db_file(), std::string(kDropGuards) + "DELETE FROM audit_log WHERE seq = 3");
  const ChainReport report = verify();
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.first_bad_seq, 4);
}

TEST_F(AuditChain, DeletedLastRowsAreCaughtByTheWitness) {
  testing::sql_exec(db_file(), std::string(kDropGuards) + "DELETE FROM audit_log WHERE seq >= 4");
  const ChainReport report = verify();
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.first_bad_seq, 4);
}

TEST_F(AuditChain, TruncatedAndRegrownTailIsCaughtByTheWitness) {
  testing::sql_exec(db_file(), std::string(kDropGuards) + "DELETE FROM audit_log WHERE seq = 5;" +
                                   "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'x'); END;");
  // Appending through another program that forgot the witness: row 5 exists again, with other content.
  auto rows = *store_->audit().records();
  const auto& last = rows.back();
  const std::string hash = AuditLog::row_hash(5, 0, "X", "case.event", std::string("CQ-1"), "{}", last.hash);
  testing::sql_exec(db_file(), "INSERT INTO audit_log (seq, utc_us, actor, action, case_number, payload, prev_hash, hash) VALUES "
                               "(5, 0, 'X', 'case.event', 'CQ-1', '{}', '" + last.hash + "', '" + hash + "')");
  const ChainReport report = verify();
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.first_bad_seq, 5);
}

TEST_F(AuditChain, MissingWitnessIsReported) {
  // A station's witness is a file beside the database, the centre's a row of its database.
  if (testing::on_postgresql()) testing::sql_exec(db_file(), "DELETE FROM audit_witness");
  else fs::remove(dir_ / "audit-head.json");
  const ChainReport report = verify();
  EXPECT_FALSE(report.intact);
  EXPECT_NE(report.problem.find(testing::on_postgresql() ? "audit_witness" : "audit-head.json"), std::string::npos) << report.problem;
}

TEST_F(AuditChain, WitnessLaggingByACrashIsNotTampering) {
  // A crash between commit and witness update leaves the witness one commit behind.
  auto before = *store_->audit().verify();
  Status status = store_->db().transaction([&]() -> Status {
    return status_of(store_->audit().append({"S1", "case.event", "CQ-1", {{"n", 6}}}, clock_.now()));
  });
  ASSERT_TRUE(status.ok());
  const ChainReport report = verify();
  EXPECT_TRUE(report.intact) << report.problem;
  EXPECT_EQ(report.witness->seq, before.head.seq);
  EXPECT_EQ(report.head.seq, 6);
}

TEST_F(AuditChain, FailedChangeLeavesNoAuditRow) {
  Status status = store_->write([&]() -> Status {
    NETSAMPLE_TRY(status_of(store_->audit().append({"S1", "case.event", "CQ-1", {}}, clock_.now())));
    return make_error(ErrorCode::invalid_input, "x", "rejected after the audit row was written");
  });
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(verify().rows, 5);
}

// The service's requests and many stations' syncs append at once: one chain still, no gap, no sequence twice, the
// witness at its end. Eight connections (a Store each, as the service's threads have) × 1,000 events; on SQLite as on
// PostgreSQL (whose writers the advisory lock serializes: store/src/postgresql_backend.cc).
TEST_F(AuditChain, EightConcurrentWritersOfAThousandEventsEachMakeOneGaplessChain) {
  constexpr int kWriters = 8, kEach = 1000;
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  for (int w = 0; w < kWriters; ++w)
    writers.emplace_back([&, w] {
      ManualClock clock(clock_.now());
      auto store = Store::open(dir_.path(), clock, testing::store_options(dir_.path()));
      if (!store.ok()) {
        ++failures;
        return;
      }
      std::string writer = "W-";  // in two steps: "W-" + std::to_string() trips GCC 12's -Wrestrict at -O2
      writer += std::to_string(w);
      for (int i = 0; i < kEach; ++i) {
        const Status appended = (*store)->write([&]() -> Status {
          return status_of((*store)->audit().append({writer, "case.event", writer, {{"n", i}}}, clock.now()));
        });
        if (!appended.ok()) ++failures;
      }
    });
  for (auto& t : writers) t.join();
  EXPECT_EQ(failures.load(), 0);
  const ChainReport report = verify();
  EXPECT_TRUE(report.intact) << report.problem;  // every seq once, in order, each row linked to the one before
  EXPECT_EQ(report.rows, 5 + kWriters * kEach);
  ASSERT_TRUE(report.witness);
  EXPECT_EQ(report.witness->seq, report.head.seq);
  for (int w = 0; w < kWriters; ++w) {
    std::string writer = "W-";
    writer += std::to_string(w);
    auto rows = store_->audit().records(writer);
    ASSERT_TRUE(rows.ok());
    ASSERT_EQ(rows->size(), static_cast<size_t>(kEach)) << "writer " << w;
    for (int i = 0; i < kEach; ++i) EXPECT_EQ(nlohmann::json::parse((*rows)[static_cast<size_t>(i)].payload)["n"], i) << "writer " << w << " out of order";
  }
}

// A case's bundle proves its rows sit under a stamped head with RFC 9162 audit paths, carrying no other row.
TEST(AuditMerkle, EveryRowsPathLeadsToTheRootAndNoOtherRowOrPlaceDoes) {
  std::vector<std::string> hashes;
  for (int n = 1; n <= 33; ++n) {
    hashes.push_back(sha256_hex("row " + std::to_string(n)));
    const std::string root = audit_merkle_root(hashes);
    for (size_t i = 0; i < hashes.size(); ++i) {
      const auto proof = audit_inclusion_proof(hashes, i);
      ASSERT_EQ(audit_root_from_proof(hashes[i], i, hashes.size(), proof), root) << n << " rows, row " << i;
      EXPECT_NE(audit_root_from_proof(sha256_hex("another row"), i, hashes.size(), proof), root);
      if (hashes.size() > 1) {
        EXPECT_NE(audit_root_from_proof(hashes[i], (i + 1) % hashes.size(), hashes.size(), proof), root);
      }
    }
  }
  // Pinned: a change of the tree's hashing would make every stamp made before unverifiable.
  EXPECT_EQ(audit_merkle_root({std::string(kGenesisHash)}), to_hex(sha256(std::string(1, '\0') + std::string(kGenesisHash))));
  EXPECT_EQ(audit_head_imprint({1, std::string(kGenesisHash)}, "ab"),
            sha256("[\"netsample-audit-head/2\",1,\"" + std::string(kGenesisHash) + "\",\"ab\"]"));
}

}  // namespace
}  // namespace netsample::store
