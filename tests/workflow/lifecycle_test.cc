// The lifecycle table, walked for real: every row from every state it allows, as the right role (accepted)
// and as the wrong one (refused, nothing written); every state reachable from "planned"; the deadlines,
// notices and preconditions the articles set.
#include "netsample/workflow/lifecycle.h"

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <set>

#include "netsample/core/sha256.h"
#include "netsample/workflow/cases.h"
#include "netsample/workflow/roster.h"
#include "testing.h"

namespace netsample::workflow {
namespace {

using nlohmann::json;
using namespace std::chrono;

const std::map<std::string, std::string> kActorFor = {
    {"sampler", "S1"}, {"tester", "L1"}, {"organizer", "O1"}, {"district", "D1"}, {"system", "system:test"}};

json lifecycle_roster() {
  return {{"people",
           {{{"id", "S1"}, {"name", "张明"}, {"org", "cq-amr"}, {"roles", {"sampler"}}},
            {{"id", "S2"}, {"name", "李娟"}, {"org", "cq-amr"}, {"roles", {"sampler"}}},
            {{"id", "L1"}, {"name", "陈刚"}, {"org", "cq-amr"}, {"roles", {"tester"}}},
            {{"id", "L2"}, {"name", "刘芳"}, {"org", "cq-amr"}, {"roles", {"tester"}}},
            {{"id", "O1"}, {"name", "周处长"}, {"org", "cq-amr"}, {"roles", {"organizer"}}},
            {{"id", "O9"}, {"name", "外地处长"}, {"org", "wanzhou-amr"}, {"roles", {"organizer"}}},
            {{"id", "D1"}, {"name", "吴科长"}, {"org", "yubei-amr"}, {"roles", {"district"}}},
            {{"id", "D2"}, {"name", "郑科长"}, {"org", "jiangbei-amr"}, {"roles", {"district"}}},
            {{"id", "R1"}, {"name", "孙审看"}, {"org", "cq-amr"}, {"roles", {"reviewer"}}},
            {{"id", "R2"}, {"name", "钱审看"}, {"org", "cq-amr"}, {"roles", {"reviewer"}}}}}};
}

// One data directory with one case, driven through the table.
class Harness {
 public:
  explicit Harness(CivilDate start = year{2026} / 3 / 2) : clock_(beijing_midnight(start) + hours{10}) {
    store_ = std::move(store::Store::open(dir_.path(), clock_, testing::store_options(dir_.path()))).value();
    calendar_ = *Calendar::built_in();
    platforms_ = *PlatformRegistry::built_in();
    Roster roster(*store_);
    EXPECT_TRUE(roster.add(*parse_people(lifecycle_roster()), "os:test").ok());
    auto request = parse_case(testing::sample_case("CQ-1"), platforms_);
    EXPECT_TRUE(CaseRegistry(*store_).create(*request, "os:test", 1).ok());
    EXPECT_TRUE(CaseRegistry(*store_).assign_tester("CQ-1", "L1", "os:test").ok());
    EXPECT_TRUE(CaseRegistry(*store_).assign_district("CQ-1", "yubei-amr", "os:test").ok());  // D1's bureau (Art 63)
  }

  Lifecycle lifecycle() { return Lifecycle(*store_, calendar_); }
  std::string state() { return CaseRegistry(*store_).show("CQ-1")->state; }
  ManualClock& clock() { return clock_; }
  store::Store& store() { return *store_; }
  std::string today() { return format_date(beijing_date(clock_.now())); }

  // Valid fields for a row, dated today.
  json fields_for(const Transition& row) {
    json fields = json::object();
    for (const auto& f : row.fields) {
      if (!f.required) continue;
      if (f.type == FieldType::date) fields[f.name] = today();
      else if (f.type == FieldType::choice) fields[f.name] = f.choices.front();
      else fields[f.name] = "测试 " + f.name;
    }
    return fields;
  }

  // Makes the row's precondition true (moves the clock, records an approval) before applying it.
  void satisfy(const Transition& row) {
    switch (row.precondition) {
      case Precondition::objection_period_over:
        // The window starts when the written notice is received (Art 52).
        ASSERT_TRUE(apply("notice_received", {{"recipient", "operator"}, {"received_date", today()}}, "O1").ok());
        clock_.advance(hours{24 * 30});
        break;
      case Precondition::retest_procedures_overdue:
        clock_.advance(hours{24 * 30});
        break;
      case Precondition::in_second_reinspection_window:
        clock_.advance(hours{24 * 75});
        break;
      case Precondition::publication_approved:
        ASSERT_TRUE(apply("approve_publication", {{"approved_by", "局长"}}, "O1").ok());
        break;
      default:
        break;
    }
  }

  Result<std::string> apply(const std::string& event, const json& fields, const std::string& actor) {
    return lifecycle().apply_event("CQ-1", event, fields, actor);
  }

  // Applies a row as its first allowed role, satisfying its precondition.
  Result<std::string> apply_row(const Transition& row) {
    satisfy(row);
    return apply(row.event, fields_for(row), kActorFor.at(row.roles.front()));
  }

  // Drives the case from "planned" to `target` along the shortest path of the table (breadth first).
  void reach(const std::string& target) {
    std::map<std::string, std::pair<std::string, const Transition*>> reached_by;  // state -> (previous state, row)
    std::deque<std::string> queue = {"planned"};
    while (!queue.empty()) {
      const std::string s = queue.front();
      queue.pop_front();
      for (const auto& row : lifecycle_transitions()) {
        const bool from_here = std::find(row.from.begin(), row.from.end(), s) != row.from.end();
        if (!from_here || row.to.empty() || row.to == "planned" || reached_by.count(row.to)) continue;
        reached_by[row.to] = {s, &row};
        queue.push_back(row.to);
      }
    }
    std::vector<const Transition*> path;
    for (std::string s = target; s != "planned"; s = reached_by[s].first) {
      ASSERT_TRUE(reached_by.count(s)) << "state " << s << " is not reachable from planned";
      path.insert(path.begin(), reached_by[s].second);
    }
    for (const Transition* row : path) {
      auto applied = apply_row(*row);
      ASSERT_TRUE(applied.ok()) << row->event << ": " << applied.error().describe();
    }
    ASSERT_EQ(state(), target);
  }

  // Every row of every table, hashed: "nothing is written" made checkable.
  std::string fingerprint() {
    std::string all;
    for (const char* table : {"cases", "case_people", "case_events", "deadlines", "outbox", "audit_log"})
      all += testing::sql_dump(dir_ / "netsample.db", table);
    return sha256_hex(all);
  }

 private:
  testing::TempDir dir_;
  ManualClock clock_;
  std::unique_ptr<store::Store> store_;
  Calendar calendar_;
  PlatformRegistry platforms_;
};

TEST(Lifecycle, Art20_HoldsRoleAnswersWhoIsADrawnSamplerAnAssignedTesterOrTheOrganizer) {
  Harness h;
  Lifecycle lifecycle = h.lifecycle();
  auto holds = [&](const std::string& person, CaseRole role) { return *lifecycle.holds_role("CQ-1", person, role); };
  EXPECT_TRUE(holds("S1", CaseRole::sampler));   // both samplers of the roster were drawn
  EXPECT_TRUE(holds("S2", CaseRole::sampler));
  EXPECT_FALSE(holds("L1", CaseRole::sampler));  // a tester is no sampler of the case
  EXPECT_TRUE(holds("L1", CaseRole::tester));
  EXPECT_FALSE(holds("L2", CaseRole::tester));   // a tester, but not assigned to this case
  EXPECT_TRUE(holds("O1", CaseRole::organizer));
  EXPECT_FALSE(holds("O9", CaseRole::organizer));  // of another unit
  EXPECT_TRUE(holds("D1", CaseRole::district));
  EXPECT_FALSE(holds("X9", CaseRole::sampler));  // not in the roster
  auto unknown = lifecycle.holds_role("CQ-404", "S1", CaseRole::sampler);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::not_found);
}

TEST(Lifecycle, Art63_TheDistrictRoleIsTheCaseDistrictBureausAndReviewersAreAssigned) {
  Harness h;
  Lifecycle lifecycle = h.lifecycle();
  CaseRegistry cases(h.store());
  EXPECT_FALSE(*lifecycle.holds_role("CQ-1", "D2", CaseRole::district));  // another district's bureau
  EXPECT_FALSE(*lifecycle.holds_role("CQ-1", "R1", CaseRole::reviewer));
  ASSERT_TRUE(cases.assign_reviewer("CQ-1", "R1", "O1").ok());
  EXPECT_TRUE(*lifecycle.holds_role("CQ-1", "R1", CaseRole::reviewer));
  EXPECT_EQ(cases.assign_reviewer("CQ-1", "R1", "O1").error().code, ErrorCode::duplicate);
  auto not_reviewer = cases.assign_reviewer("CQ-1", "L2", "O1");
  EXPECT_EQ(not_reviewer.error().field, "reviewer");
  auto unknown_district = cases.assign_district("CQ-1", "nowhere-amr", "O1");
  ASSERT_FALSE(unknown_district.ok());
  EXPECT_EQ(unknown_district.error().field, "district");
  EXPECT_EQ(unknown_district.error().article, 63);
  ASSERT_TRUE(cases.assign_district("CQ-1", "jiangbei-amr", "O1").ok());
  EXPECT_TRUE(*lifecycle.holds_role("CQ-1", "D2", CaseRole::district));
  EXPECT_FALSE(*lifecycle.holds_role("CQ-1", "D1", CaseRole::district));
  EXPECT_TRUE(cases.verify_records()->intact);  // every assignment is an audited change of the case
}

TEST(Lifecycle, MaySeeAndTheCaseListShowEachPersonTheSameCases) {
  Harness h;
  CaseRegistry cases(h.store());
  ASSERT_TRUE(cases.assign_reviewer("CQ-1", "R1", "O1").ok());
  auto second = parse_case(testing::sample_case("CQ-2"), *PlatformRegistry::built_in());
  ASSERT_TRUE(cases.create(*second, "os:test", 2).ok());
  Lifecycle lifecycle = h.lifecycle();
  // CQ-1: S1/S2 drawn, L1 tester, R1 reviewer, D1 its district, O1 its organizer. CQ-2: S1/S2 drawn, no tester.
  const std::map<std::string, std::vector<std::string>> expected = {
      {"S1", {"CQ-2", "CQ-1"}}, {"L1", {"CQ-1"}}, {"L2", {}},       {"R1", {"CQ-1"}}, {"R2", {}},
      {"O1", {"CQ-2", "CQ-1"}}, {"O9", {}},       {"D1", {"CQ-1"}}, {"D2", {}},       {"X9", {}}};
  for (const auto& [person, numbers] : expected) {
    CaseQuery query;
    query.viewer.person_id = person;
    auto page = cases.search(query);
    ASSERT_TRUE(page.ok()) << person << ": " << page.error().describe();
    std::vector<std::string> listed;
    for (const auto& item : page->items) listed.push_back(item.number);
    EXPECT_EQ(listed, numbers) << person;
    EXPECT_EQ(page->total, static_cast<std::int64_t>(numbers.size())) << person;
    for (const char* number : {"CQ-1", "CQ-2"}) {
      const bool listed_here = std::find(numbers.begin(), numbers.end(), number) != numbers.end();
      EXPECT_EQ(*lifecycle.may_see(number, person), listed_here) << person << " " << number;
    }
  }
  EXPECT_EQ(lifecycle.may_see("CQ-404", "S1").error().code, ErrorCode::not_found);
  CaseQuery all;
  all.limit = 1;
  auto first = cases.search(all);
  EXPECT_EQ(first->total, 2);
  ASSERT_EQ(first->items.size(), 1u);
  EXPECT_EQ(first->items[0].number, "CQ-2");  // newest first
  all.text = "CQ-1";
  EXPECT_EQ(cases.search(all)->items.at(0).number, "CQ-1");
  all.limit = 0;
  EXPECT_EQ(cases.search(all).error().field, "limit");
}

TEST(Lifecycle, EveryStateIsReachableFromPlanned) {
  for (const auto& s : lifecycle_states()) {
    SCOPED_TRACE(s.id);
    Harness h;
    h.reach(s.id);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(Lifecycle, EveryRowIsAcceptedFromEachOfItsStatesByItsRoles) {
  for (const auto& row : lifecycle_transitions()) {
    for (const auto& from : row.from) {
      for (const auto& role : row.roles) {
        SCOPED_TRACE(from + " --" + row.event + "--> as " + role);
        Harness h;
        h.reach(from);
        if (::testing::Test::HasFatalFailure()) return;
        h.satisfy(row);
        auto applied = h.apply(row.event, h.fields_for(row), kActorFor.at(role));
        ASSERT_TRUE(applied.ok()) << applied.error().describe();
        EXPECT_EQ(*applied, row.to.empty() ? from : row.to);
        EXPECT_TRUE(CaseRegistry(h.store()).verify_records()->intact);
      }
    }
  }
}

// One case per row, every other role tried on it in turn: each refusal must leave every table as it was, so the
// next role meets exactly the case the first one did.
TEST(Lifecycle, EveryRowIsRefusedForOtherRolesAndWritesNothing) {
  for (const auto& row : lifecycle_transitions()) {
    const std::string& from = row.from.front();
    SCOPED_TRACE(from + " --" + row.event + "-->");
    Harness h;
    h.reach(from);
    if (::testing::Test::HasFatalFailure()) return;
    if (row.precondition == Precondition::publication_approved) h.satisfy(row);
    const std::string before = h.fingerprint();
    for (const auto& [role, actor] : kActorFor) {
      if (std::find(row.roles.begin(), row.roles.end(), role) != row.roles.end()) continue;
      SCOPED_TRACE("as " + role);
      auto refused = h.apply(row.event, h.fields_for(row), actor);
      ASSERT_FALSE(refused.ok());
      EXPECT_EQ(refused.error().code, ErrorCode::refused_by_rule);
      ASSERT_EQ(h.fingerprint(), before);
      EXPECT_EQ(h.state(), from);
    }
  }
}

TEST(Lifecycle, EventsFromTheWrongStateAreRefusedNamingStateEventAndArticle) {
  Harness h;
  const std::string before = h.fingerprint();
  auto refused = h.apply("seal", {}, "S1");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::refused_by_rule);
  EXPECT_NE(refused.error().message.find("planned"), std::string::npos);
  EXPECT_NE(refused.error().message.find("seal"), std::string::npos);
  EXPECT_EQ(refused.error().article, 31);
  EXPECT_EQ(h.fingerprint(), before);

  EXPECT_EQ(h.apply("teleport", {}, "S1").error().code, ErrorCode::invalid_input);
  EXPECT_EQ(h.apply("start_purchase", {}, "os:root").error().field, "as");
  EXPECT_EQ(h.apply("start_purchase", {}, "nobody").error().code, ErrorCode::not_found);
  EXPECT_EQ(h.fingerprint(), before);
}

TEST(Lifecycle, MissingOrBadFieldsAreRefusedNamingTheField) {
  Harness h;
  h.reach("received");
  const std::string before = h.fingerprint();
  json seal = {{"inspection_seal", "F1"}, {"backup_seal", "F2"}, {"backup_storage", "样品库"}, {"backup_keeper", "王"}};
  auto missing = h.apply("seal", seal, "S1");
  EXPECT_EQ(missing.error().field, "sealed_date");
  EXPECT_EQ(missing.error().code, ErrorCode::missing_field);
  seal["sealed_date"] = "2026-13-01";
  EXPECT_EQ(h.apply("seal", seal, "S1").error().field, "sealed_date");
  seal["sealed_date"] = "2026-03-05";  // the clock says 2026-03-02
  EXPECT_NE(h.apply("seal", seal, "S1").error().message.find("晚于今天"), std::string::npos);
  seal["sealed_date"] = "2026-02-27";  // before the case existed
  EXPECT_NE(h.apply("seal", seal, "S1").error().message.find("早于任务创建日"), std::string::npos);
  seal["sealed_date"] = h.today();
  seal["colour"] = "red";
  EXPECT_EQ(h.apply("seal", seal, "S1").error().field, "colour");
  EXPECT_EQ(h.apply("return_sample", {{"reason", "too_expensive"}}, "S1").error().article, 36);
  EXPECT_EQ(h.fingerprint(), before);
}

TEST(Lifecycle, AvailableEventsFollowStateAndRole) {
  Harness h;
  h.reach("objection_window");
  std::set<std::string> organizer, sampler;
  for (const auto* t : *h.lifecycle().available_events("CQ-1", "O1")) organizer.insert(t->event);
  for (const auto* t : *h.lifecycle().available_events("CQ-1", "S1")) sampler.insert(t->event);
  EXPECT_EQ(organizer, (std::set<std::string>{"notice_received", "object_procedure", "operator_unreachable", "request_retest", "window_expired"}));
  EXPECT_TRUE(sampler.empty());
}

TEST(Lifecycle, Art16_OnlyTheAssignedTesterActsForTheLab) {
  Harness h;
  h.reach("sealed");
  auto other_tester = h.apply("lab_receive", {{"received_date", h.today()}}, "L2");  // a tester, not this case's
  ASSERT_FALSE(other_tester.ok());
  EXPECT_EQ(other_tester.error().code, ErrorCode::refused_by_rule);
  EXPECT_TRUE(h.apply("lab_receive", {{"received_date", h.today()}}, "L1").ok());
}

TEST(Lifecycle, OrganizerOfAnotherBureauIsRefused) {
  Harness h;
  h.reach("conforming");
  EXPECT_EQ(h.apply("close", {}, "O9").error().code, ErrorCode::refused_by_rule);
  EXPECT_TRUE(h.apply("close", {}, "O1").ok());
}

TEST(Lifecycle, Art39_Art51_Art74_NoticesOwedAreEnqueued) {
  Harness h;
  h.reach("at_lab");
  auto lifecycle = h.lifecycle();
  ASSERT_EQ(lifecycle.notices(std::string("CQ-1"))->size(), 1u);  // the sampling document at sealing
  EXPECT_EQ(lifecycle.notices(std::string("CQ-1"))->front().kind, "sampling_document");
  EXPECT_EQ(lifecycle.notices(std::string("CQ-1"))->front().article, 39);

  ASSERT_TRUE(h.apply("report_nonconforming",
                      {{"report_number", "R-1"}, {"report_date", h.today()}, {"failed_items", "泄漏电流"}, {"producer_outside_region", true}},
                      "L1").ok());
  auto notices = *lifecycle.notices(std::string("CQ-1"));
  ASSERT_EQ(notices.size(), 3u);
  EXPECT_EQ(notices[1].kind, "result_nonconforming");
  EXPECT_EQ(notices[1].article, 51);
  EXPECT_EQ(notices[1].recipients, (std::vector<std::string>{"operator", "platform", "producer"}));
  EXPECT_EQ(notices[1].payload["fields"]["failed_items"], "泄漏电流");
  EXPECT_NE(notices[1].payload["rights"].get<std::string>().find("15 日"), std::string::npos);
  EXPECT_EQ(notices[2].kind, "result_to_producer_region");
  EXPECT_EQ(notices[2].article, 74);
  EXPECT_EQ(notices[2].state, "pending");
}

TEST(Lifecycle, Art74_NoRegionNoticeForALocalProducer) {
  Harness h;
  h.reach("at_lab");
  ASSERT_TRUE(h.apply("report_nonconforming", {{"report_number", "R-1"}, {"report_date", h.today()}, {"failed_items", "x"}}, "L1").ok());
  EXPECT_EQ(h.lifecycle().notices(std::string("CQ-1"))->size(), 2u);
}

TEST(Lifecycle, Art52_ObjectionDeadlineFromReceiptAndArt55_LateObjectionRefused) {
  Harness h(year{2026} / 9 / 1);
  h.reach("objection_window");
  h.clock().set(beijing_midnight(year{2026} / 9 / 25) + hours{9});
  ASSERT_TRUE(h.apply("notice_received", {{"recipient", "operator"}, {"received_date", "2026-09-22"}}, "O1").ok());
  auto open = *h.lifecycle().deadlines(std::string("CQ-1"), year{2026} / 9 / 25);
  auto objection = std::find_if(open.begin(), open.end(), [](const DeadlineView& d) { return d.kind == "objection"; });
  ASSERT_NE(objection, open.end());
  EXPECT_EQ(objection->due, "2026-10-08");  // 10-07 is the last day of 国庆节 (Art 75)
  EXPECT_EQ(objection->article, 52);

  h.clock().set(beijing_midnight(year{2026} / 10 / 9) + hours{9});
  EXPECT_TRUE(h.lifecycle().deadlines(std::string("CQ-1"), year{2026} / 10 / 9)->front().overdue);
  const std::string before = h.fingerprint();
  auto late = h.apply("request_retest", {{"applicant", "operator"}, {"received_date", "2026-10-09"}, {"items", "泄漏电流"}}, "O1");
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().article, 52);
  EXPECT_EQ(h.fingerprint(), before);
  auto in_time = h.apply("request_retest", {{"applicant", "operator"}, {"received_date", "2026-10-08"}, {"items", "泄漏电流"}}, "O1");
  ASSERT_TRUE(in_time.ok()) << in_time.error().describe();
  // Leaving the window closes its deadline.
  auto after = *h.lifecycle().deadlines(std::string("CQ-1"), year{2026} / 10 / 9);
  EXPECT_TRUE(std::none_of(after.begin(), after.end(), [](const DeadlineView& d) { return d.kind == "objection"; }));
}

TEST(Lifecycle, Art52_WindowClosesOnlyAfterItsLastDay) {
  Harness h(year{2026} / 11 / 2);
  h.reach("objection_window");
  h.clock().set(beijing_midnight(year{2026} / 11 / 10) + hours{9});
  ASSERT_TRUE(h.apply("notice_received", {{"recipient", "operator"}, {"received_date", "2026-11-06"}}, "O1").ok());
  h.clock().set(beijing_midnight(year{2026} / 11 / 23) + hours{9});  // 11-21 is Saturday: due Monday 11-23
  EXPECT_EQ(h.apply("window_expired", {}, "system:test").error().article, 52);
  h.clock().set(beijing_midnight(year{2026} / 11 / 24) + hours{9});
  EXPECT_EQ(*h.apply("window_expired", {}, "system:test"), "result_handling");
}

TEST(Lifecycle, Art54_Art56_RetestDeadlines) {
  Harness h(year{2026} / 4 / 1);
  h.reach("retest_requested");
  ASSERT_TRUE(h.apply("accept_retest", {{"notice_received_date", h.today()}}, "O1").ok());
  auto procedures = h.lifecycle().deadlines(std::string("CQ-1"), year{2026} / 4 / 1)->front();
  EXPECT_EQ(procedures.kind, "retest_procedures");
  EXPECT_EQ(procedures.due, "2026-04-08");  // 04-01 + 7 = Wednesday
  EXPECT_EQ(procedures.article, 54);
  EXPECT_EQ(h.apply("procedures_overdue", {}, "O1").error().article, 54);  // not yet
  ASSERT_TRUE(h.apply("procedures_done", {{"procedures_date", h.today()}}, "O1").ok());
  auto lab = h.lifecycle().deadlines(std::string("CQ-1"), year{2026} / 4 / 1)->front();
  EXPECT_EQ(lab.kind, "retest_lab");
  EXPECT_EQ(lab.due, "2026-04-13");  // 04-11 is Saturday
}

TEST(Lifecycle, Art62_PublicationNeedsApprovalFirst) {
  Harness h;
  h.reach("result_handling");
  const std::string before = h.fingerprint();
  auto early = h.apply("publish", {{"published_date", h.today()}, {"channel", "官网"}}, "O1");
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.error().article, 62);
  EXPECT_EQ(h.fingerprint(), before);
  ASSERT_TRUE(h.apply("approve_publication", {{"approved_by", "局长"}}, "O1").ok());
  ASSERT_TRUE(h.apply("publish", {{"published_date", h.today()}, {"channel", "官网"}}, "O1").ok());
  auto notices = *h.lifecycle().notices(std::string("CQ-1"));
  EXPECT_EQ(notices.back().kind, "publication");
  EXPECT_EQ(notices.back().recipients, (std::vector<std::string>{"platform", "network_supervision"}));
}

TEST(Lifecycle, Art65_Art66_RectificationAndReinspectionDeadlines) {
  Harness h(year{2026} / 7 / 1);
  h.reach("result_handling");
  ASSERT_TRUE(h.apply("order_rectification", {{"order_number", "整改-1"}, {"order_date", "2026-07-01"}}, "D1").ok());
  std::map<std::string, DeadlineView> by_kind;
  const auto opened = *h.lifecycle().deadlines(std::string("CQ-1"), year{2026} / 7 / 1);
  for (const auto& d : opened) by_kind[d.kind] = d;
  EXPECT_EQ(by_kind["rectification"].due, "2026-08-31");  // 08-30 is Sunday
  EXPECT_EQ(by_kind["rectification"].article, 65);
  EXPECT_EQ(by_kind["reinspection"].due, "2026-09-14");
  EXPECT_EQ(by_kind["reinspection"].article, 66);
  // Suspension keeps them open; passing the re-inspection closes them.
  ASSERT_TRUE(h.apply("report_suspension", {{"report_date", h.today()}}, "D1").ok());
  EXPECT_EQ(h.lifecycle().deadlines(std::string("CQ-1"), year{2026} / 7 / 1)->size(), 4u);
  ASSERT_TRUE(h.apply("resume_production", {{"resumed_date", h.today()}}, "D1").ok());
  ASSERT_TRUE(h.apply("reinspection_passed", {{"reinspection_date", h.today()}, {"report_number", "F-1"}}, "D1").ok());
  EXPECT_EQ(h.lifecycle().deadlines(std::string("CQ-1"), year{2026} / 7 / 1)->size(), 2u);  // only Art 22 and Art 47 windows
}

TEST(Lifecycle, Art68_SecondReinspectionOnlyBetween60And90Days) {
  Harness h(year{2026} / 3 / 2);
  h.reach("rectification");
  ASSERT_TRUE(h.apply("announce", {{"basis", "failed_reinspection"}, {"announcement_date", "2026-03-02"}}, "O1").ok());
  auto window = h.lifecycle().deadlines(std::string("CQ-1"), year{2026} / 3 / 2)->front();
  EXPECT_EQ(window.kind, "second_reinspection");
  EXPECT_EQ(window.earliest, "2026-05-01");
  EXPECT_EQ(window.due, "2026-06-01");  // 05-31 is Sunday
  h.clock().set(beijing_midnight(year{2026} / 6 / 10) + hours{9});
  EXPECT_EQ(h.apply("second_reinspection_failed", {{"reinspection_date", "2026-04-20"}, {"order_number", "停业-1"}}, "D1").error().article, 68);
  EXPECT_EQ(h.apply("second_reinspection_failed", {{"reinspection_date", "2026-06-05"}, {"order_number", "停业-1"}}, "D1").error().article, 68);
  EXPECT_EQ(*h.apply("second_reinspection_failed", {{"reinspection_date", "2026-05-20"}, {"order_number", "停业-1"}}, "D1"), "business_stopped");
  EXPECT_EQ(*h.apply("third_reinspection_failed", {{"reinspection_date", h.today()}}, "D1"), "licence_revoked");
  EXPECT_EQ(h.apply("close", {}, "O1").error().code, ErrorCode::refused_by_rule);  // terminal
}

TEST(Lifecycle, StrictRuleIsASetting) {
  Harness h(year{2026} / 11 / 2);
  h.reach("objection_window");
  h.clock().set(beijing_midnight(year{2026} / 11 / 10) + hours{9});
  const Calendar calendar = *Calendar::built_in();  // outlives the Lifecycle that refers to it
  Lifecycle strict(h.store(), calendar, {PeriodRule::holidays_only});
  ASSERT_TRUE(strict.apply_event("CQ-1", "notice_received", {{"recipient", "producer"}, {"received_date", "2026-11-06"}}, "O1").ok());
  auto deadlines = *strict.deadlines(std::string("CQ-1"), year{2026} / 11 / 6);
  auto objection = std::find_if(deadlines.begin(), deadlines.end(), [](const DeadlineView& d) { return d.kind == "objection"; });
  ASSERT_NE(objection, deadlines.end());
  EXPECT_EQ(objection->due, "2026-11-21");
  EXPECT_EQ(objection->rule, "strict");
}

TEST(Lifecycle, CreationOpensTheArt22AndArt47Windows) {
  Harness h(year{2026} / 8 / 31);
  std::map<std::string, DeadlineView> by_kind;
  const auto opened = *h.lifecycle().deadlines(std::string("CQ-1"), year{2026} / 8 / 31);
  for (const auto& d : opened) by_kind[d.kind] = d;
  EXPECT_EQ(by_kind["duplicate_window"].due, "2027-02-28");  // 6 months from 08-31, clamped
  EXPECT_EQ(by_kind["retention"].due, "2032-08-31");
  EXPECT_FALSE(h.lifecycle().deadlines(std::string("CQ-1"), year{2040} / 1 / 1)->front().overdue);  // windows are not duties
}

TEST(Lifecycle, Art75_DeadlineInAnUncoveredYearIsAProvisionalRange) {
  Harness h(year{2026} / 12 / 1);
  h.reach("objection_window");
  h.clock().set(beijing_midnight(year{2026} / 12 / 22) + hours{9});
  // 12-20 + 15 = 2027-01-04, a Monday after 元旦, before 2027's notice: a range, never missing.
  ASSERT_TRUE(h.apply("notice_received", {{"recipient", "operator"}, {"received_date", "2026-12-20"}}, "O1").ok());
  auto provisional = h.lifecycle().deadlines(std::string("CQ-1"), year{2026} / 12 / 22)->front();
  EXPECT_EQ(provisional.kind, "objection");
  EXPECT_TRUE(provisional.provisional());
  EXPECT_EQ(provisional.due, "2027-01-04");
  EXPECT_EQ(provisional.due_latest, "2027-01-07");
  EXPECT_NE(provisional.problem.find("2027"), std::string::npos);
  EXPECT_TRUE(provisional.to_json()["provisional"].get<bool>());
  // Overdue is judged on the earliest day...
  EXPECT_TRUE(h.lifecycle().deadlines(std::string("CQ-1"), year{2027} / 1 / 5)->front().overdue);
  // ...while the objection window closes only once surely over (its latest day, 01-07, has passed).
  h.clock().set(beijing_midnight(year{2027} / 1 / 6) + hours{9});
  auto early = h.apply("window_expired", {}, "O1");
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.error().article, 52);
  EXPECT_NE(early.error().message.find("2027-01-07"), std::string::npos) << early.error().message;
  h.clock().set(beijing_midnight(year{2027} / 1 / 8) + hours{9});
  auto over = h.apply("window_expired", {}, "O1");
  EXPECT_TRUE(over.ok()) << over.error().describe();
}

TEST(Lifecycle, Art75_AProvisionalDeadlineBecomesExactAndEveryChangeIsAudited) {
  Harness h(year{2026} / 12 / 1);
  h.reach("objection_window");
  h.clock().set(beijing_midnight(year{2026} / 12 / 22) + hours{9});
  ASSERT_TRUE(h.apply("notice_received", {{"recipient", "operator"}, {"received_date", "2026-12-20"}}, "O1").ok());
  Calendar extended = *Calendar::built_in();
  ASSERT_TRUE(extended.merge(R"({"years": [{"year": 2027, "source": "test", "holidays": [{"name": "元旦", "from": "2027-01-01", "to": "2027-01-03"}], "workdays": []}]})", "t").ok());
  Lifecycle later(h.store(), extended);
  auto changed = *later.recompute_deadlines();
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].due, "2027-01-04");
  EXPECT_FALSE(changed[0].due_latest.has_value());
  EXPECT_TRUE(changed[0].problem.empty());
  auto rows = *h.store().audit().records(std::string("CQ-1"));
  EXPECT_EQ(rows.back().action, "case.deadline_recomputed");
  const json payload = json::parse(rows.back().payload);
  EXPECT_EQ(payload["before_latest"], "2027-01-07");
  EXPECT_EQ(payload["after_latest"], nullptr);
  EXPECT_TRUE(later.recompute_deadlines()->empty());  // idempotent
  EXPECT_TRUE(CaseRegistry(h.store()).verify_records()->intact);
}

TEST(Lifecycle, HandEditedDeadlineIsCaughtByVerify) {
  Harness h(year{2026} / 9 / 1);
  h.reach("objection_window");
  ASSERT_TRUE(h.apply("notice_received", {{"recipient", "operator"}, {"received_date", h.today()}}, "O1").ok());
  ASSERT_TRUE(CaseRegistry(h.store()).verify_records()->intact);
  testing::sql_exec(h.store().data_dir() / "netsample.db", "UPDATE deadlines SET due = '2026-12-31' WHERE kind = 'objection'");
  EXPECT_FALSE(CaseRegistry(h.store()).verify_records()->intact);
}

TEST(Lifecycle, HandEditedNoticeRecipientsAreCaughtByVerify) {
  Harness h;
  h.reach("sealed");  // the sampling document is owed to the operator
  ASSERT_TRUE(CaseRegistry(h.store()).verify_records()->intact);
  testing::sql_exec(h.store().data_dir() / "netsample.db", "UPDATE outbox SET recipients = '[\"operator\", 5]'");
  EXPECT_FALSE(CaseRegistry(h.store()).verify_records()->intact);
}

}  // namespace
}  // namespace netsample::workflow
