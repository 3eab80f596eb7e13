#include "netsample/workflow/cases.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "netsample/workflow/roster.h"
#include "testing.h"

namespace netsample::workflow {
namespace {

using nlohmann::json;
using namespace std::chrono;

class Cases : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::Store::open(dir_.path(), clock_, testing::store_options(dir_.path()));
    ASSERT_TRUE(opened.ok());
    store_ = std::move(opened).value();
    platforms_ = *PlatformRegistry::built_in();
    Roster roster(*store_);
    ASSERT_TRUE(roster.add(*parse_people(testing::sample_roster()), "os:test").ok());
  }

  Result<CaseView> create(const json& doc, std::optional<std::uint64_t> seed = 42) {
    NETSAMPLE_ASSIGN(CaseRequest request, parse_case(doc, platforms_));
    return CaseRegistry(*store_).create(request, "os:test", seed);
  }

  Error parse_error(const json& doc) {
    auto parsed = parse_case(doc, platforms_);
    EXPECT_FALSE(parsed.ok());
    return parsed.ok() ? Error{} : parsed.error();
  }

  std::string sampler_of(const CaseView& view) {
    for (const auto& a : view.people)
      if (a.role == "sampler") return a.person_id;
    return "";
  }

  testing::TempDir dir_;
  ManualClock clock_{beijing_midnight(year{2026} / 11 / 24) + hours{9}};
  std::unique_ptr<store::Store> store_;
  PlatformRegistry platforms_;
  CaseRegistry registry() { return CaseRegistry(*store_); }
};

TEST_F(Cases, ParseRoundTripsTheCaseFile) {
  const json doc = testing::sample_case("CQ-2026-001");
  auto request = parse_case(doc, platforms_);
  ASSERT_TRUE(request.ok()) << request.error().describe();
  json back = to_json(request->record);
  EXPECT_EQ(back["product"], doc["product"]);
  EXPECT_EQ(back["shop"], doc["shop"]);
  EXPECT_EQ(back["samples"], doc["samples"]);
  EXPECT_EQ(request->sampler_count, 2);
}

TEST_F(Cases, ParseErrorsNameTheFieldAndRule) {
  json doc = testing::sample_case("A");
  doc["product"].erase("model");
  EXPECT_EQ(parse_error(doc).field, "product.model");

  doc = testing::sample_case("A");
  doc["samples"]["backup"] = "two";
  EXPECT_EQ(parse_error(doc).code, ErrorCode::wrong_type);
  EXPECT_EQ(parse_error(doc).field, "samples.backup");

  doc = testing::sample_case("A");
  doc["samples"]["backup"] = 0;  // Art 35: a backup sample is bought too
  EXPECT_EQ(parse_error(doc).field, "samples.backup");

  doc = testing::sample_case("A");
  doc["platform"] = "ebay";
  const Error unknown = parse_error(doc);
  EXPECT_EQ(unknown.field, "platform");
  EXPECT_NE(unknown.message.find("jd"), std::string::npos);

  doc = testing::sample_case("A");
  doc["shop"].erase("url");
  EXPECT_EQ(parse_error(doc).field, "shop.url");

  doc = testing::sample_case("A");
  doc["shop"]["url"] = "ftp://x";
  EXPECT_EQ(parse_error(doc).field, "shop.url");

  doc = testing::sample_case("A");
  doc["plan"] = "weekly";
  EXPECT_EQ(parse_error(doc).article, 4);

  doc = testing::sample_case("A");
  doc["level"] = "national";
  EXPECT_EQ(parse_error(doc).article, 5);

  doc = testing::sample_case("A");
  doc["samplers"] = 1;
  EXPECT_EQ(parse_error(doc).article, 20);

  doc = testing::sample_case("A");
  doc["prodcut"] = {};
  EXPECT_EQ(parse_error(doc).field, "prodcut");
}

TEST_F(Cases, Art20_CreateDrawsTwoDistinctSamplersOfTheOrganizer) {
  auto view = create(testing::sample_case("CQ-1"));
  ASSERT_TRUE(view.ok()) << view.error().describe();
  EXPECT_EQ(view->state, "planned");
  ASSERT_TRUE(view->draw);
  EXPECT_EQ(view->draw->candidates, (std::vector<std::string>{"S1", "S2", "S3", "S4"}));
  ASSERT_EQ(view->draw->drawn.size(), 2u);
  EXPECT_NE(view->draw->drawn[0], view->draw->drawn[1]);
  std::set<std::string> samplers;
  for (const auto& a : view->people) {
    EXPECT_EQ(a.role, "sampler");
    samplers.insert(a.person_id);
  }
  EXPECT_EQ(samplers, std::set<std::string>(view->draw->drawn.begin(), view->draw->drawn.end()));
  auto rows = *store_->audit().records(std::string("CQ-1"));
  ASSERT_EQ(rows.size(), 1u);
  const json payload = json::parse(rows[0].payload);
  EXPECT_EQ(payload["draw"]["seed"], "42");
  EXPECT_EQ(payload["draw"]["drawn"], json(view->draw->drawn));
}

TEST_F(Cases, Art20_DrawIsReproducibleFromItsSeedAndUniform) {
  const std::vector<std::string> people = {"S4", "S2", "S3", "S1"};
  EXPECT_EQ(draw_samplers(people, 2, 7).drawn, draw_samplers(people, 2, 7).drawn);
  // Every pair should come up over many seeds, each about 1/6 of the time.
  std::map<std::set<std::string>, int> counts;
  for (std::uint64_t seed = 0; seed < 6000; ++seed) {
    auto drawn = draw_samplers(people, 2, seed).drawn;
    counts[{drawn.begin(), drawn.end()}]++;
  }
  EXPECT_EQ(counts.size(), 6u);
  for (const auto& [pair, count] : counts) {
    EXPECT_GT(count, 850);
    EXPECT_LT(count, 1150);
  }
}

TEST_F(Cases, Art20_FewerThanTwoAvailableSamplersIsRefused) {
  json doc = testing::sample_case("CQ-X");
  doc["organizer"] = "no-such-bureau";
  auto view = create(doc);
  ASSERT_FALSE(view.ok());
  EXPECT_EQ(view.error().article, 20);
  EXPECT_EQ(view.error().field, "samplers");

  // Inactive samplers are not available.
  Roster roster(*store_);
  auto people = *parse_people(testing::sample_roster());
  for (auto& person : people)
    if (person.id != "S1") person.active = person.has_role("sampler") ? false : person.active;
  ASSERT_TRUE(roster.add(people, "os:test").ok());
  EXPECT_EQ(create(testing::sample_case("CQ-Y")).error().article, 20);
  EXPECT_EQ(registry().list()->size(), 0u);
}

TEST_F(Cases, DuplicateNumberIsRefusedAndNothingChanges) {
  ASSERT_TRUE(create(testing::sample_case("CQ-1")).ok());
  const auto rows_before = store_->audit().records()->size();
  auto again = create(testing::sample_case("CQ-1"));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::duplicate);
  EXPECT_EQ(again.error().field, "number");
  EXPECT_EQ(store_->audit().records()->size(), rows_before);
}

TEST_F(Cases, Art16_SamplerCannotBeTheTester) {
  auto view = create(testing::sample_case("CQ-1"), 1);
  ASSERT_TRUE(view.ok());
  // S4 is qualified as both; if drawn as sampler it must be refused as tester.
  std::string both = "S4";
  bool s4_sampled = false;
  for (const auto& a : view->people) s4_sampled |= a.person_id == both;
  std::uint64_t seed = 1;
  while (!s4_sampled) {  // find a draw that picks S4, for a deterministic test
    ++seed;
    auto drawn = draw_samplers({"S1", "S2", "S3", "S4"}, 2, seed).drawn;
    s4_sampled = std::find(drawn.begin(), drawn.end(), both) != drawn.end();
  }
  auto picked = create(testing::sample_case("CQ-2"), seed);
  ASSERT_TRUE(picked.ok());
  const Status refused = registry().assign_tester("CQ-2", both, "os:test");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().article, 16);
  EXPECT_EQ(refused.error().code, ErrorCode::refused_by_rule);
  EXPECT_TRUE(registry().assign_tester("CQ-2", "L1", "os:test").ok());
  EXPECT_EQ(registry().assign_tester("CQ-2", "L1", "os:test").error().code, ErrorCode::duplicate);
  EXPECT_EQ(registry().assign_tester("CQ-2", "S1", "os:test").error().code, ErrorCode::refused_by_rule);  // not a tester
  EXPECT_EQ(registry().assign_tester("CQ-2", "nobody", "os:test").error().code, ErrorCode::not_found);
}

TEST_F(Cases, Art16_OnSiteTestingIsTheDeclaredException) {
  json doc = testing::sample_case("CQ-ONSITE");
  doc["onsite_testing"] = true;
  std::uint64_t seed = 0;
  for (;; ++seed) {
    auto drawn = draw_samplers({"S1", "S2", "S3", "S4"}, 2, seed).drawn;
    if (std::find(drawn.begin(), drawn.end(), "S4") != drawn.end()) break;
  }
  ASSERT_TRUE(create(doc, seed).ok());
  EXPECT_TRUE(registry().assign_tester("CQ-ONSITE", "S4", "os:test").ok());
}

TEST_F(Cases, Art47_CaseIsKeptSixYears) {
  ASSERT_TRUE(create(testing::sample_case("CQ-OLD")).ok());
  const Status early = registry().remove("CQ-OLD", "os:test");
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.error().article, 47);
  EXPECT_TRUE(registry().show("CQ-OLD").ok());

  clock_.advance(hours{24 * 365 * 6 + 24 * 2});
  ASSERT_TRUE(registry().remove("CQ-OLD", "os:test").ok());
  EXPECT_EQ(registry().show("CQ-OLD").error().code, ErrorCode::not_found);
  auto check = registry().verify_records();
  EXPECT_TRUE(check->intact) << (check->problems.empty() ? "" : check->problems[0]);
}

TEST_F(Cases, VerifyRecordsCatchesHandEditsOfCasesAndPeople) {
  ASSERT_TRUE(create(testing::sample_case("CQ-1")).ok());
  ASSERT_TRUE(create(testing::sample_case("CQ-2")).ok());
  ASSERT_TRUE(registry().verify_records()->intact);
  const auto db = dir_ / "netsample.db";

  testing::sql_exec(db, "UPDATE cases SET shop_name = '别家店' WHERE number = 'CQ-1'");
  auto edited = *registry().verify_records();
  EXPECT_FALSE(edited.intact);
  ASSERT_EQ(edited.problems.size(), 1u);
  EXPECT_NE(edited.problems[0].find("CQ-1"), std::string::npos);

  testing::sql_exec(db, "UPDATE cases SET shop_name = '清泉电器官方旗舰店' WHERE number = 'CQ-1'");
  EXPECT_TRUE(registry().verify_records()->intact);

  testing::sql_exec(db, "DELETE FROM cases WHERE number = 'CQ-2'");
  auto deleted = *registry().verify_records();
  ASSERT_EQ(deleted.problems.size(), 1u);
  EXPECT_NE(deleted.problems[0].find("CQ-2"), std::string::npos);

  testing::sql_exec(db, "UPDATE people SET roles = '[\"tester\"]' WHERE id = 'S1'");
  EXPECT_EQ(registry().verify_records()->problems.size(), 2u);
}

TEST_F(Cases, VerifyRecordsCatchesAForgedDraw) {
  ASSERT_TRUE(create(testing::sample_case("CQ-1")).ok());
  // Swapping who was drawn, in both the assignment and the audit payload, still fails the recomputation.
  auto rows = *store_->audit().records(std::string("CQ-1"));
  json payload = json::parse(rows[0].payload);
  payload["draw"]["drawn"] = {"S1", "S2"};
  if (payload["draw"]["drawn"] == json(draw_samplers({"S1", "S2", "S3", "S4"}, 2, 42).drawn)) payload["draw"]["drawn"] = {"S3", "S4"};
  testing::sql_exec(dir_ / "netsample.db", "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET payload = '" + payload.dump() +
                                               "' WHERE seq = " + std::to_string(rows[0].seq));
  auto check = *registry().verify_records();
  EXPECT_FALSE(check.intact);
}

}  // namespace
}  // namespace netsample::workflow
