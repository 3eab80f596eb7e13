// The netsample binary end to end, on a temporary data directory, as an official would use it.
#include <gtest/gtest.h>

#include <thread>
#include <sqlite3.h>

#include <cstdlib>

#include "netsample/core/sha256.h"
#include "netsample/store/audit.h"
#include "netsample/store/database.h"
#include "testing.h"

namespace netsample {
namespace {

using nlohmann::json;
using testing::ProcessResult;

class Cli : public ::testing::Test {
 protected:
  ProcessResult run(std::vector<std::string> args) {
    args.insert(args.begin(), {NETSAMPLE_BIN, "--data", data().string()});
    return testing::run_process(args);
  }
  json run_json(std::vector<std::string> args) {
    args.push_back("--json");
    const ProcessResult result = run(args);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return json::parse(result.out);
  }
  std::filesystem::path write(const std::string& name, const json& doc) {
    testing::write_text(dir_ / name, doc.dump());
    return dir_ / name;
  }
  std::filesystem::path data() const { return dir_ / "data"; }
  std::filesystem::path db() const { return data() / "netsample.db"; }

  // Every row of every table, hashed: "the database is unchanged" made checkable.
  std::string fingerprint() {
    std::string all;
    for (const char* table : {"people", "cases", "case_people", "evidence", "audit_log"}) all += testing::sql_dump(db(), table);
    return sha256_hex(all);
  }

  void add_roster_and_case(const std::string& number) {
    ASSERT_EQ(run({"roster", "add", "--file", write("roster.json", testing::sample_roster()).string()}).exit_code, 0);
    const ProcessResult created = run({"case", "create", "--file", write(number + ".json", testing::sample_case(number)).string()});
    ASSERT_EQ(created.exit_code, 0) << created.err;
  }

  testing::TempDir dir_;
};

TEST_F(Cli, CreateListShowAndVerify) {
  add_roster_and_case("CQ-2026-001");
  const json list = run_json({"case", "list"});
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["number"], "CQ-2026-001");
  EXPECT_EQ(list[0]["state"], "planned");

  const json shown = run_json({"case", "show", "CQ-2026-001"});
  EXPECT_EQ(shown["product"]["name"], "电热水壶");
  EXPECT_EQ(shown["people"].size(), 2u);
  EXPECT_TRUE(shown["created"].get<std::string>().ends_with("+08:00"));

  const ProcessResult human = run({"case", "show", "CQ-2026-001"});
  EXPECT_NE(human.out.find("抽样人员"), std::string::npos);
  EXPECT_NE(human.out.find("+08:00"), std::string::npos);

  const json verified = run_json({"audit", "verify"});
  EXPECT_TRUE(verified["intact"]);
  EXPECT_EQ(verified["chain"]["rows"], 7);  // 6 people + 1 case

  const json info = run_json({"info"});
  EXPECT_EQ(info["schema"], info["schema_supported"]);
  EXPECT_EQ(info["schema"].size(), 8u);  // a version per module
  EXPECT_EQ(info["cases"], 1);
}

TEST_F(Cli, BadInputExitsTwoNamesTheFieldAndChangesNothing) {
  add_roster_and_case("CQ-1");
  const std::string before = fingerprint();
  struct BadCase {
    std::string what;
    std::string file_text;
    std::string field;
  };
  json missing = testing::sample_case("CQ-2");
  missing["producer"].erase("address");
  json wrong_type = testing::sample_case("CQ-3");
  wrong_type["samples"]["inspection"] = "2";
  json platform = testing::sample_case("CQ-4");
  platform["platform"] = "amazon";
  const std::vector<BadCase> cases = {
      {"missing field", missing.dump(), "producer.address"},
      {"wrong type", wrong_type.dump(), "samples.inspection"},
      {"unknown platform", platform.dump(), "platform"},
      {"malformed JSON", "{\"number\": \"CQ-5\",", "bad.json"},
      {"duplicate number", testing::sample_case("CQ-1").dump(), "number"},
  };
  for (const auto& bad : cases) {
    SCOPED_TRACE(bad.what);
    testing::write_text(dir_ / "bad.json", bad.file_text);
    const ProcessResult result = run({"case", "create", "--file", (dir_ / "bad.json").string(), "--json"});
    EXPECT_EQ(result.exit_code, 2) << result.err;
    EXPECT_NE(result.err.find(bad.field), std::string::npos) << result.err;
    const json error = json::parse(result.out)["error"];
    EXPECT_NE(error["field"].get<std::string>().find(bad.field), std::string::npos);
    EXPECT_EQ(fingerprint(), before);
  }
  const ProcessResult absent = run({"case", "create", "--file", (dir_ / "absent.json").string()});
  EXPECT_EQ(absent.exit_code, 1);  // an io error, naming the file
  EXPECT_NE(absent.err.find("absent.json"), std::string::npos);
  EXPECT_EQ(fingerprint(), before);
}

TEST_F(Cli, BadRosterChangesNothing) {
  add_roster_and_case("CQ-1");
  const std::string before = fingerprint();
  json roster = testing::sample_roster();
  roster["people"].push_back({{"id", "S9"}, {"name", "新人"}, {"org", "cq-amr"}, {"roles", {"sampler"}}});
  roster["people"][0]["roles"] = "sampler";  // wrong type in an entry before a valid new one
  const ProcessResult result = run({"roster", "add", "--file", write("roster2.json", roster).string()});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("people[0].roles"), std::string::npos) << result.err;
  EXPECT_EQ(fingerprint(), before);
}

TEST_F(Cli, RulesOfTheRegulationExitThreeWithTheArticle) {
  add_roster_and_case("CQ-1");
  const json shown = run_json({"case", "show", "CQ-1"});
  const ProcessResult early = run({"case", "delete", "CQ-1"});
  EXPECT_EQ(early.exit_code, 3);
  EXPECT_NE(early.err.find("第47条"), std::string::npos) << early.err;

  json no_roster = testing::sample_case("CQ-2");
  no_roster["organizer"] = "wanzhou-amr";
  const ProcessResult too_few = run({"case", "create", "--file", write("c2.json", no_roster).string()});
  EXPECT_EQ(too_few.exit_code, 3);
  EXPECT_NE(too_few.err.find("第20条"), std::string::npos) << too_few.err;
}

TEST_F(Cli, Art16_AssigningTheSamplerAsTesterIsRefused) {
  json roster = testing::sample_roster();
  for (auto& person : roster["people"])  // everyone qualified for both: the draw cannot avoid the conflict
    person["roles"] = {"sampler", "tester"};
  ASSERT_EQ(run({"roster", "add", "--file", write("r.json", roster).string()}).exit_code, 0);
  ASSERT_EQ(run({"case", "create", "--file", write("c.json", testing::sample_case("CQ-1")).string()}).exit_code, 0);
  const json shown = run_json({"case", "show", "CQ-1"});
  const std::string sampler = shown["people"][0]["id"];
  const ProcessResult refused = run({"case", "assign", "CQ-1", "--tester", sampler});
  EXPECT_EQ(refused.exit_code, 3);
  EXPECT_NE(refused.err.find("第16条"), std::string::npos);
  std::string other;
  for (const auto& person : roster["people"]) {
    bool drawn = false;
    for (const auto& p : shown["people"]) drawn |= p["id"] == person["id"];
    if (!drawn) other = person["id"];
  }
  EXPECT_EQ(run({"case", "assign", "CQ-1", "--tester", other}).exit_code, 0);
}

TEST_F(Cli, AuditVerifyCatchesAHandEditedRowAndNamesIt) {
  add_roster_and_case("CQ-1");
  ASSERT_EQ(run({"audit", "verify"}).exit_code, 0);
  testing::sql_exec(db(), "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor = 'someone-else' WHERE seq = 3");
  const ProcessResult human = run({"audit", "verify"});
  EXPECT_EQ(human.exit_code, 4);
  EXPECT_NE(human.out.find("第 3 条"), std::string::npos) << human.out;
  const ProcessResult machine = run({"audit", "verify", "--json"});
  EXPECT_EQ(machine.exit_code, 4);
  const json report = json::parse(machine.out);
  EXPECT_FALSE(report["intact"]);
  EXPECT_EQ(report["chain"]["first_bad_row"], 3);
}

TEST_F(Cli, AuditVerifyNamesAPartyWhoseWebhookWasChangedByHand) {
  testing::write_text(dir_ / "parties.json", R"({"parties": [{"id": "jd", "kind": "platform", "name": "京东", "platform": "jd",
      "webhook": {"url": "https://open.jd.com/hook", "secret": "platform-shared-secret-0123456789"}}]})");
  ASSERT_EQ(run({"notices", "parties", "add", "--file", (dir_ / "parties.json").string()}).exit_code, 0);
  const json clean = run_json({"audit", "verify"});
  EXPECT_TRUE(clean["intact"]);
  EXPECT_EQ(clean["records"]["parties_checked"], 1);
  // Notices to the platform redirected without the log: the chain is whole, the party row is not.
  testing::sql_exec(db(), "UPDATE parties SET webhook_url = 'https://evil.example/hook' WHERE id = 'jd'");
  const ProcessResult human = run({"audit", "verify"});
  EXPECT_EQ(human.exit_code, 4);
  EXPECT_NE(human.out.find("收件方 jd（京东）与审计记录不一致"), std::string::npos) << human.out;
}

TEST_F(Cli, AuditVerifyCatchesADeletedRow) {
  add_roster_and_case("CQ-1");
  testing::sql_exec(db(), "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = 7");
  const ProcessResult result = run({"audit", "verify", "--json"});
  EXPECT_EQ(result.exit_code, 4);
  EXPECT_EQ(json::parse(result.out)["chain"]["first_bad_row"], 7);
}

TEST_F(Cli, EvidenceIsStoredVerifiedAndTamperingIsReported) {
  add_roster_and_case("CQ-1");
  testing::write_text(dir_ / "payment.png", "png bytes");
  const ProcessResult added = run({"evidence", "add", "--case", "CQ-1", "--kind", "still", (dir_ / "payment.png").string()});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  EXPECT_NE(added.out.find(sha256_hex("png bytes")), std::string::npos);
  EXPECT_EQ(run({"evidence", "verify"}).exit_code, 0);
  const json listed = run_json({"evidence", "list", "--case", "CQ-1"});
  ASSERT_EQ(listed.size(), 1u);

  const auto stored = data() / "evidence" / "sha256" / sha256_hex("png bytes").substr(0, 2) / sha256_hex("png bytes");
  std::filesystem::permissions(stored, std::filesystem::perms::owner_write, std::filesystem::perm_options::add);
  testing::write_text(stored, "edited");
  EXPECT_EQ(run({"evidence", "verify"}).exit_code, 4);
  EXPECT_EQ(run({"evidence", "delete", "1"}).exit_code, 3);  // Art 47
}

TEST_F(Cli, DataDirectoryComesFromTheEnvironment) {
  ::setenv("NETSAMPLE_DATA", (dir_ / "from-env").c_str(), 1);
  const ProcessResult result = testing::run_process({NETSAMPLE_BIN, "info", "--json"});
  ::unsetenv("NETSAMPLE_DATA");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(std::filesystem::exists(dir_ / "from-env" / "netsample.db"));
}

TEST_F(Cli, UnknownCommandIsAUsageError) {
  EXPECT_NE(run({"case", "frobnicate"}).exit_code, 0);
  EXPECT_NE(run({}).exit_code, 0);
}

TEST_F(Cli, PeriodCommandMatchesTheWorkedExamples) {
  const json holiday = run_json({"period", "--from", "2026-09-22", "--days", "15"});
  EXPECT_EQ(holiday["due"], "2026-10-08");
  EXPECT_EQ(holiday["article"], 75);
  EXPECT_EQ(run_json({"period", "--from", "2026-02-05", "--days", "15"})["due"], "2026-02-24");
  EXPECT_EQ(run_json({"period", "--from", "2026-11-06", "--days", "15"})["due"], "2026-11-23");
  EXPECT_EQ(run_json({"period", "--from", "2026-11-06", "--days", "15", "--strict"})["due"], "2026-11-21");
  EXPECT_EQ(run({"period", "--from", "2026-02-30", "--days", "1"}).exit_code, 2);
}

TEST_F(Cli, Art75_APeriodPastTheCalendarIsAProvisionalRangeUntilTheYearIsImported) {
  // 2026-12-20 + 15 = 2027-01-04 (Monday) before 2027's notice: the range, exit 0, never "refused".
  const ProcessResult text = run({"period", "--from", "2026-12-20", "--days", "15"});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("暂定"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("2027-01-04 至 2027-01-07"), std::string::npos) << text.out;
  const json provisional = run_json({"period", "--from", "2026-12-20", "--days", "15"});
  EXPECT_EQ(provisional["provisional"], true);
  EXPECT_LE(provisional["due"].get<std::string>(), "2027-01-04");
  EXPECT_GE(provisional["due_latest"].get<std::string>(), "2027-01-04");

  // The operator imports 2027's notice: checked (the statutory days must be days off), audited, then exact.
  json notice = {{"years",
                  {{{"year", 2027},
                    {"source", "国务院办公厅关于2027年部分节假日安排的通知（测试用）"},
                    {"notice", "国务院办公厅关于2027年部分节假日安排的通知"},
                    {"published", "2026-11-20"},
                    {"holidays",
                     {{{"name", "元旦"}, {"from", "2027-01-01"}, {"to", "2027-01-03"}},
                      {{"name", "春节"}, {"from", "2027-02-05"}, {"to", "2027-02-12"}},
                      {{"name", "清明节"}, {"from", "2027-04-03"}, {"to", "2027-04-05"}},
                      {{"name", "劳动节"}, {"from", "2027-05-01"}, {"to", "2027-05-05"}},
                      {{"name", "端午节"}, {"from", "2027-06-09"}, {"to", "2027-06-09"}},
                      {{"name", "中秋节"}, {"from", "2027-09-15"}, {"to", "2027-09-15"}},
                      {{"name", "国庆节"}, {"from", "2027-10-01"}, {"to", "2027-10-07"}}}},
                    {"workdays", {"2027-02-20"}}}}}};
  json missing_qingming = notice;
  missing_qingming["years"][0]["holidays"][2] = {{"name", "清明节"}, {"from", "2027-04-03"}, {"to", "2027-04-04"}};
  testing::write_text(dir_ / "bad.json", missing_qingming.dump());
  const ProcessResult refused = run({"calendar", "add", "--file", (dir_ / "bad.json").string()});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("2027-04-05"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("清明节"), std::string::npos) << refused.err;
  EXPECT_FALSE(std::filesystem::exists(data() / "calendar.json")) << "nothing written on a refusal";

  testing::write_text(dir_ / "2027.json", notice.dump());
  const ProcessResult added = run({"calendar", "add", "--file", (dir_ / "2027.json").string()});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  const json exact = run_json({"period", "--from", "2026-12-20", "--days", "15"});
  EXPECT_EQ(exact["provisional"], false);
  EXPECT_EQ(exact["due"], "2027-01-04");
  const json shown = run_json({"calendar", "show"});
  EXPECT_EQ(shown["fixed_until"], "2027-12-17");
  const json audit = run_json({"audit", "verify"});
  EXPECT_EQ(audit["intact"], true) << audit.dump();
  EXPECT_NE(testing::sql_text(data() / "netsample.db", "SELECT payload FROM audit_log WHERE action = 'calendar.year_added'").find("2027"),
            std::string::npos);
}

TEST_F(Cli, CaseEventsWalkTheLifecycleAndRefusalsChangeNothing) {
  json roster = testing::sample_roster();
  roster["people"].push_back({{"id", "O1"}, {"name", "周处长"}, {"org", "cq-amr"}, {"roles", {"organizer"}}});
  ASSERT_EQ(run({"roster", "add", "--file", write("r.json", roster).string()}).exit_code, 0);
  ASSERT_EQ(run({"case", "create", "--file", write("c.json", testing::sample_case("CQ-1")).string()}).exit_code, 0);
  const json shown = run_json({"case", "show", "CQ-1"});
  const std::string sampler = shown["people"][0]["id"];

  const ProcessResult anonymous = run({"case", "event", "CQ-1", "start_purchase"});
  EXPECT_EQ(anonymous.exit_code, 2);
  EXPECT_NE(anonymous.err.find("--as"), std::string::npos);

  const std::string before = fingerprint();
  const ProcessResult wrong_state = run({"case", "event", "CQ-1", "seal", "--as", sampler});
  EXPECT_EQ(wrong_state.exit_code, 3);
  EXPECT_NE(wrong_state.err.find("planned"), std::string::npos);
  EXPECT_NE(wrong_state.err.find("第31条"), std::string::npos);
  const ProcessResult wrong_role = run({"case", "event", "CQ-1", "start_purchase", "--as", "O1"});
  EXPECT_EQ(wrong_role.exit_code, 3);
  EXPECT_EQ(fingerprint(), before);

  const json started = run_json({"case", "event", "CQ-1", "start_purchase", "--as", sampler});
  EXPECT_EQ(started["state"], "purchasing");
  const ProcessResult missing = run({"case", "event", "CQ-1", "order_placed", "--as", sampler, "--file", write("f.json", json::object()).string()});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("order_number"), std::string::npos);
  const json ordered = run_json({"case", "event", "CQ-1", "order_placed", "--as", sampler, "--file",
                                 write("f.json", {{"order_number", "JD-1"}}).string()});
  EXPECT_EQ(ordered["state"], "ordered");

  const json after = run_json({"case", "show", "CQ-1"});
  ASSERT_EQ(after["history"].size(), 2u);
  EXPECT_EQ(after["history"][1]["fields"]["order_number"], "JD-1");
  EXPECT_EQ(after["state_label"], "已下单");
  EXPECT_TRUE(run_json({"audit", "verify"})["intact"]);

  const json deadlines = run_json({"deadlines", "--at", "2040-01-01"});
  ASSERT_EQ(deadlines["deadlines"].size(), 2u);  // the Art 22 window and Art 47 retention, which are not duties
  EXPECT_FALSE(deadlines["deadlines"][0]["overdue"]);
  EXPECT_EQ(deadlines["deadlines"][0]["article"], 22);

  const json table = run_json({"lifecycle"});
  EXPECT_GE(table["transitions"].size(), 40u);
}

TEST_F(Cli, SettingsChooseTheStrictReadingAndBadSettingsAreNamed) {
  std::filesystem::create_directories(data());
  testing::write_text(data() / "settings.json", R"({"period_rule": "sometimes"})");
  const ProcessResult bad = run({"info"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("period_rule"), std::string::npos) << bad.err;
  testing::write_text(data() / "settings.json", R"({"period_rule": "strict"})");
  EXPECT_EQ(run({"info"}).exit_code, 0);
  testing::write_text(data() / "calendar.json", R"({"years": [{"year": 2027, "source": "局里补录", "holidays": [], "workdays": []}]})");
  EXPECT_EQ(run_json({"period", "--from", "2026-12-25", "--days", "10"})["due"], "2027-01-04");
}

// Whoever controls the machine rewrites a row, recomputes every hash after it and the witness: the chain and the
// witness agree again. Only the head stamped by a TSA before the rewrite can tell.
TEST_F(Cli, AStampedAuditHeadCatchesAChainRewrittenTogetherWithItsWitness) {
  testing::TestTsa tsa;
  add_roster_and_case("CQ-2026-001");
  const std::string trust = tsa.ca_file().string();
  // Never stamped: said, not hidden.
  const ProcessResult unstamped = run({"audit", "verify", "--trust", trust});
  EXPECT_EQ(unstamped.exit_code, 0) << unstamped.err;
  EXPECT_NE(unstamped.out.find("从未由时间戳服务盖章"), std::string::npos) << unstamped.out;
  // A TSA that does not answer: named, retried by the next stamp, and the exit code says nothing new is anchored.
  const ProcessResult unreachable = run({"audit", "stamp", "--tsa", "http://127.0.0.1:1/tsa"});
  EXPECT_EQ(unreachable.exit_code, 1) << unreachable.out;
  EXPECT_NE(unreachable.out.find("未能盖章"), std::string::npos) << unreachable.out;

  const json stamped = run_json({"audit", "stamp", "--tsa", tsa.url()});
  ASSERT_EQ(stamped["stamps"].size(), 1u);
  EXPECT_EQ(stamped["stamps"][0]["ok"], true) << stamped.dump();
  const std::int64_t stamped_seq = stamped["stamps"][0]["seq"];
  const json clean = run_json({"audit", "verify", "--trust", trust});
  EXPECT_EQ(clean["intact"], true) << clean.dump();
  EXPECT_EQ(clean["stamps"]["list"][0]["ok"], true);
  EXPECT_EQ(clean["stamps"]["unstamped_rows"], 0);

  // The rewrite: row 2 (the case's creation) says another organizer; every later hash and the witness follow.
  {
    auto forged = store::Database::open(db()).value();
    ASSERT_TRUE(forged.exec("DROP TRIGGER audit_log_no_update").ok());
    ASSERT_TRUE(forged.exec("UPDATE audit_log SET payload = replace(payload, 'cq-amr', 'cq-forged') WHERE seq = 2").ok());
    std::string prev(store::kGenesisHash);
    auto rows = forged.prepare("SELECT seq, utc_us, actor, action, case_number, payload FROM audit_log ORDER BY seq").value();
    std::vector<std::pair<std::int64_t, std::string>> hashes;
    while (rows.step().value()) {
      const std::string hash = store::AuditLog::row_hash(rows.int64(0), rows.int64(1), rows.text(2), rows.text(3), rows.optional_text(4),
                                                         rows.text(5), prev);
      hashes.emplace_back(rows.int64(0), hash);
      prev = hash;
    }
    for (size_t i = 0; i < hashes.size(); ++i) {
      auto update = forged.prepare("UPDATE audit_log SET hash = ?2, prev_hash = ?3 WHERE seq = ?1").value();
      ASSERT_TRUE(update.bind(1, hashes[i].first).bind(2, hashes[i].second).bind(3, i == 0 ? std::string(store::kGenesisHash) : hashes[i - 1].second).run().ok());
    }
    testing::write_text(data() / "audit-head.json", json{{"seq", hashes.back().first}, {"hash", hashes.back().second}}.dump());
  }
  const ProcessResult caught = run({"audit", "verify", "--trust", trust});
  EXPECT_EQ(caught.exit_code, 4) << caught.out;
  EXPECT_NE(caught.out.find("✓ 审计链完整"), std::string::npos) << "the forgery links, and agrees with its witness\n" << caught.out;
  EXPECT_NE(caught.out.find("第 " + std::to_string(stamped_seq) + " 条的哈希"), std::string::npos) << caught.out;
  EXPECT_NE(caught.out.find("被改写"), std::string::npos) << caught.out;
}

// Art 47: the audit head's stamps are checked for six years, longer than a TSA certificate lives. A stamp keeps its
// chain and OCSP answer and verifies at its own time after the certificate expired; one kept without them does not.
TEST_F(Cli, Art47_AnAuditStampWithItsMaterialStillVerifiesAfterTheTsaCertificateExpired) {
  testing::TestTsa tsa(loopback::TsaOptions{std::chrono::seconds(6), true});
  add_roster_and_case("CQ-2026-001");
  const std::string trust = tsa.ca_file().string();
  const ProcessResult with_material = run({"audit", "stamp", "--tsa", tsa.url(), "--trust", trust});
  ASSERT_EQ(with_material.exit_code, 0) << with_material.out << with_material.err;
  EXPECT_EQ(with_material.out.find("未保存验证材料"), std::string::npos) << with_material.out;
  // Stamped with the trust store that does not hold the TSA's CA: its material cannot be kept, and that is said.
  const ProcessResult without = run({"audit", "stamp", "--tsa", tsa.url(), "--trust", (data() / "missing.pem").string()});
  ASSERT_EQ(without.exit_code, 0) << without.out << without.err;
  EXPECT_NE(without.out.find("未保存验证材料"), std::string::npos) << without.out;
  const json fresh = run_json({"audit", "verify", "--trust", trust});
  EXPECT_EQ(fresh["intact"], true) << fresh.dump();
  EXPECT_NE(fresh["stamps"]["renewal"].get<std::string>().find("将于"), std::string::npos) << fresh.dump();  // seconds left

  std::this_thread::sleep_for(std::chrono::seconds(8));
  const ProcessResult checked = run({"audit", "verify", "--trust", trust, "--json"});
  EXPECT_EQ(checked.exit_code, 4) << checked.out;  // one stamp no longer holds: said
  const json later = json::parse(checked.out);
  ASSERT_EQ(later["stamps"]["list"].size(), 2u) << later.dump();
  EXPECT_EQ(later["stamps"]["list"][0]["long_term"], true);
  EXPECT_EQ(later["stamps"]["list"][0]["ok"], true) << later.dump();   // at its own time, with its chain and OCSP answer
  EXPECT_EQ(later["stamps"]["list"][1]["ok"], false) << later.dump();  // against today's clock: the certificate expired
  EXPECT_NE(later["stamps"]["renewal"].get<std::string>().find("已于"), std::string::npos) << later.dump();
}

}  // namespace
}  // namespace netsample
