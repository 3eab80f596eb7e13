// Purchase sessions against a real data directory: the Art 35 step fields, one recording per session,
// the refusals, and how a session concludes (complete → case ordered; anything missing → incomplete, listed).
// The recording itself is the end-to-end test's (tests/e2e/demo_test.cc); here its verify report is given.
#include "netsample/purchase/session.h"

#include <gtest/gtest.h>

#include <cairo.h>

#include "netsample/core/file_io.h"
#include "netsample/purchase/sampling_document.h"
#include "netsample/workflow/cases.h"
#include "netsample/workflow/roster.h"
#include "testing.h"

namespace netsample::purchase {
namespace {

using nlohmann::json;
using namespace std::chrono;
namespace fs = std::filesystem;

json roster() {
  return {{"people",
           {{{"id", "S1"}, {"name", "张明"}, {"org", "cq-amr"}, {"roles", {"sampler"}}},
            {{"id", "S2"}, {"name", "李娟"}, {"org", "cq-amr"}, {"roles", {"sampler"}}},
            {{"id", "L1"}, {"name", "陈刚"}, {"org", "cq-amr"}, {"roles", {"tester"}}},
            {{"id", "O1"}, {"name", "周敏"}, {"org", "cq-amr"}, {"roles", {"organizer"}}}}}};
}

const std::map<std::string, json>& kGoodFields = testing::purchase_step_fields();

json good_verify() {
  return {{"ok", true}, {"continuous", true}, {"hash_chain_ok", true}, {"timestamp_token_ok", true}, {"time_synced", true},
          {"gaps", json::array()}, {"errors", json::array()}, {"frames", 300}, {"duration_s", 20.0}};
}

class SessionTest : public ::testing::Test {
 protected:
  SessionTest() : clock_(beijing_midnight(year{2026} / 3 / 2) + hours{10}) {
    store_ = std::move(store::Store::open(dir_.path(), clock_, testing::store_options(dir_.path()))).value();
    calendar_ = *workflow::Calendar::built_in();
    platforms_ = *workflow::PlatformRegistry::built_in();
    workflow::Roster people(*store_);
    EXPECT_TRUE(people.add(*workflow::parse_people(roster()), "os:test").ok());
    auto request = workflow::parse_case(testing::sample_case("CQ-1"), platforms_);
    EXPECT_TRUE(workflow::CaseRegistry(*store_).create(*request, "os:test", 1).ok());
    lifecycle_ = std::make_unique<workflow::Lifecycle>(*store_, calendar_);
    sessions_ = std::make_unique<PurchaseSessions>(*store_, *lifecycle_);
  }

  std::string state() { return workflow::CaseRegistry(*store_).show("CQ-1")->state; }
  Result<SessionView> begin(bool new_purchase = false, bool running = false, const std::string& actor = "S1") {
    return sessions_->begin("CQ-1", {}, actor, new_purchase, [running](const fs::path&) { return running; });
  }
  Status mark(std::int64_t id, const std::string& step, json fields = {}) {
    if (fields.is_null()) fields = kGoodFields.at(step);
    NETSAMPLE_ASSIGN(json checked, sessions_->check_step(id, step, fields));
    const int index = static_cast<int>(sessions_->get(id)->steps.size()) + 1;
    StepRecord record{step, checked, index, index * 15, clock_.now(), "stills/00" + std::to_string(index) + "-" + step + ".png",
                      std::string(64, 'a'), "", json()};
    return status_of(sessions_->add_step(id, record, "S1"));
  }
  void mark_all(std::int64_t id) {
    for (const auto& spec : purchase_steps()) ASSERT_TRUE(mark(id, spec.id).ok()) << spec.id;
  }
  RecordingResult sealed(json verify = good_verify()) {
    RecordingResult r;
    r.finished = true;
    r.verify = std::move(verify);
    r.manifest_sha256 = std::string(64, 'b');
    return r;
  }

  testing::TempDir dir_;
  ManualClock clock_;
  std::unique_ptr<store::Store> store_;
  workflow::Calendar calendar_;
  workflow::PlatformRegistry platforms_;
  std::unique_ptr<workflow::Lifecycle> lifecycle_;
  std::unique_ptr<PurchaseSessions> sessions_;
};

TEST(StepFields, ValuesAreReadAsShopsShowThemAndNormalised) {
  auto order = check_step_fields("order", kGoodFields.at("order"));
  ASSERT_TRUE(order.ok()) << order.error().describe();
  EXPECT_EQ((*order)["inspection_qty"], 2);
  EXPECT_EQ((*order)["amount"], "796.00");
  auto product = check_step_fields("product_page", {{"title", "壶"}, {"price", "￥1,299.5 元"}, {"url", "https://item.jd.com/1.html"}});
  ASSERT_TRUE(product.ok()) << product.error().describe();
  EXPECT_EQ((*product)["price"], "1299.50");
  // Shops show Beijing time without a zone.
  auto payment = check_step_fields("payment", kGoodFields.at("payment"));
  ASSERT_TRUE(payment.ok());
  EXPECT_EQ((*payment)["time"], "2026-03-02T10:05:31.000000+08:00");
  json shown = kGoodFields.at("payment");
  shown["time"] = "2026-03-02 10:05:31.250 +08:00";  // as format_beijing and the demo shop show it
  EXPECT_EQ(check_step_fields("payment", shown)->at("time"), "2026-03-02T10:05:31.250000+08:00");
}

TEST(StepFields, ErrorsNameTheFieldAndTheRule) {
  auto unknown = check_step_fields("order", {{"order_no", "1"}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().field, "order.order_no");
  EXPECT_NE(unknown.error().message.find("order_number"), std::string::npos);  // says what is allowed

  json missing = kGoodFields.at("order");
  missing.erase("backup_qty");
  auto no_backup = check_step_fields("order", missing);
  ASSERT_FALSE(no_backup.ok());
  EXPECT_EQ(no_backup.error().field, "order.backup_qty");
  EXPECT_EQ(no_backup.error().article, 35);

  json zero = kGoodFields.at("order");
  zero["inspection_qty"] = "0";
  EXPECT_EQ(check_step_fields("order", zero).error().field, "order.inspection_qty");
  json bad_amount = kGoodFields.at("payment");
  bad_amount["amount"] = "一百元";
  EXPECT_EQ(check_step_fields("payment", bad_amount).error().field, "payment.amount");
  json bad_time = kGoodFields.at("payment");
  bad_time["time"] = "昨天上午";
  EXPECT_EQ(check_step_fields("payment", bad_time).error().field, "payment.time");
  json bad_url = kGoodFields.at("product_page");
  bad_url["url"] = "item.jd.com/1.html";
  EXPECT_EQ(check_step_fields("product_page", bad_url).error().field, "product_page.url");
  EXPECT_EQ(check_step_fields("unboxing", json::object()).error().field, "step");
}

TEST_F(SessionTest, StartingMovesAPlannedCaseToPurchasing) {
  auto s = begin();
  ASSERT_TRUE(s.ok()) << s.error().describe();
  EXPECT_EQ(s->state, PurchaseState::recording);
  EXPECT_EQ(s->seq, 1);
  EXPECT_EQ(s->recording_dir, fs::absolute(dir_.path() / "recordings" / "CQ-1-purchase-1").lexically_normal());
  EXPECT_EQ(state(), "purchasing");
}

TEST_F(SessionTest, OnlyADrawnSamplerMayStart) {
  auto s = begin(false, false, "L1");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::refused_by_rule);
  EXPECT_EQ(state(), "planned");
  EXPECT_TRUE(sessions_->of_case("CQ-1")->empty());
}

TEST_F(SessionTest, ASecondRecordingForTheSameSessionIsRefused) {
  ASSERT_TRUE(begin().ok());
  const std::string before = testing::sql_dump(dir_.path() / "netsample.db", "purchase_sessions");
  auto second = begin(true, /*running=*/true);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, ErrorCode::refused_by_rule);
  EXPECT_EQ(second.error().article, 35);
  EXPECT_NE(second.error().message.find("正在录制"), std::string::npos);
  EXPECT_EQ(testing::sql_dump(dir_.path() / "netsample.db", "purchase_sessions"), before);
}

TEST_F(SessionTest, ALostRecorderClosesItsSessionAndANewPurchaseMustBeSaidAloud) {
  auto first = begin();
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(mark(first->id, "time_check").ok());
  auto again = begin(false, /*running=*/false);  // the recorder is gone
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().field, "new_purchase");
  auto closed = sessions_->get(first->id);
  EXPECT_EQ(closed->state, PurchaseState::incomplete);
  EXPECT_NE(closed->problems.dump().find("录制程序已不在运行"), std::string::npos);

  auto second = begin(/*new_purchase=*/true);
  ASSERT_TRUE(second.ok()) << second.error().describe();
  EXPECT_EQ(second->seq, 2);
  EXPECT_NE(second->recording_dir, first->recording_dir);
  EXPECT_TRUE(second->steps.empty());  // nothing carried over from the other recording
}

TEST_F(SessionTest, TheVideoBeginsWithTheTimeCheck) {
  auto s = begin();
  Status early = mark(s->id, "search");
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.error().article, 35);
  EXPECT_TRUE(mark(s->id, "time_check").ok());
  EXPECT_TRUE(mark(s->id, "search").ok());
}

TEST_F(SessionTest, FinishingWithAMissingStepIsIncompleteAndListsIt) {
  auto s = begin();
  for (const char* step : {"time_check", "search", "licence", "product_page", "order", "payment"}) ASSERT_TRUE(mark(s->id, step).ok());
  auto done = sessions_->conclude(s->id, sealed());
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->state, PurchaseState::incomplete);
  EXPECT_EQ(done->missing_steps(), std::vector<std::string>{"chat"});
  EXPECT_NE(done->problems.dump().find("聊天记录"), std::string::npos);
  EXPECT_EQ(state(), "purchasing");  // not ordered: never silently accepted
}

TEST_F(SessionTest, MarkingAfterFinishIsRefused) {
  auto s = begin();
  mark_all(s->id);
  ASSERT_TRUE(sessions_->conclude(s->id, sealed()).ok());
  Status late = mark(s->id, "chat");
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, ErrorCode::refused_by_rule);
  EXPECT_EQ(sessions_->get(s->id)->steps.size(), 7u);
}

TEST_F(SessionTest, AllStepsOnAContinuousSealedRecordingCompleteTheSessionAndOrderTheCase) {
  auto s = begin();
  mark_all(s->id);
  auto done = sessions_->conclude(s->id, sealed());
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->state, PurchaseState::complete) << done->problems.dump();
  EXPECT_EQ(state(), "ordered");
  auto events = lifecycle_->history("CQ-1");
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(events->back().event, "order_placed");
  EXPECT_EQ(events->back().fields["order_number"], "DS202611240001");
  // And now the case is past purchasing: another purchase is refused.
  auto again = begin(true);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("已下单"), std::string::npos);
}

TEST_F(SessionTest, AFindingThatCouldFakeAPageKeepsItIncompleteUntilTheOrganizerAcceptsItWithAReason) {
  auto s = begin();
  const json environment = {{"clean", false},
                            {"could_fake", {"system_ca"}},
                            {"findings", {{{"item", "system_ca"}, {"title", "系统证书库"}, {"level", "warning"}, {"could_fake", true},
                                           {"note", "系统证书库中有 1 个不是发行版自带的根证书"}}}}};
  ASSERT_TRUE(sessions_->set_environment(s->id, environment, "S1").ok());
  mark_all(s->id);
  auto done = sessions_->conclude(s->id, sealed());
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->state, PurchaseState::incomplete);
  ASSERT_EQ(done->problems.size(), 1u) << done->problems.dump();
  EXPECT_EQ(done->problems[0]["item"], "environment");
  EXPECT_EQ(state(), "purchasing");

  auto sampler = sessions_->accept_environment(s->id, "本机的代理证书与本次购买无关", "S1");
  ASSERT_FALSE(sampler.ok());  // the sampler cannot clear their own machine
  EXPECT_EQ(sampler.error().article, 35);
  auto no_reason = sessions_->accept_environment(s->id, "  ", "O1");
  ASSERT_FALSE(no_reason.ok());
  EXPECT_EQ(no_reason.error().field, "reason");

  auto accepted = sessions_->accept_environment(s->id, "本机的代理证书与本次购买无关：浏览器不经代理", "O1");
  ASSERT_TRUE(accepted.ok()) << accepted.error().describe();
  EXPECT_EQ(accepted->state, PurchaseState::complete) << accepted->problems.dump();
  EXPECT_EQ(accepted->environment_acceptance["by"], "O1");
  EXPECT_EQ(accepted->environment_acceptance["findings"][0]["item"], "system_ca");
  EXPECT_EQ(state(), "ordered");
  EXPECT_FALSE(sessions_->accept_environment(s->id, "再次接受同样的发现", "O1").ok());  // once
  auto records = sessions_->verify_records();
  ASSERT_TRUE(records.ok());
  EXPECT_TRUE(records->empty()) << (*records)[0];
  bool audited = false;
  for (const auto& row : *store_->audit().records()) audited = audited || row.action == "purchase.environment_accepted";
  EXPECT_TRUE(audited);
}

TEST_F(SessionTest, AGapOrAMissingStampOrShortQuantitiesKeepItIncomplete) {
  json gap = good_verify();
  gap["continuous"] = false;
  gap["ok"] = false;
  gap["gaps"] = json::array({{{"frame", 40}, {"duration_ms", 3000}}});
  json unstamped = good_verify();
  unstamped["timestamp_token_ok"] = false;
  unstamped["ok"] = false;
  for (const json& verify : {gap, unstamped}) {
    auto s = begin(true);
    ASSERT_TRUE(s.ok()) << s.error().describe();
    mark_all(s->id);
    auto done = sessions_->conclude(s->id, sealed(verify));
    EXPECT_EQ(done->state, PurchaseState::incomplete);
    EXPECT_EQ(state(), "purchasing");
  }
  auto s = begin(true);
  ASSERT_TRUE(mark(s->id, "time_check").ok());
  for (const char* step : {"search", "licence", "product_page", "payment", "chat"}) ASSERT_TRUE(mark(s->id, step).ok());
  json short_order = kGoodFields.at("order");
  short_order["backup_qty"] = "1";  // the case asks for 2 (testing::sample_case)
  ASSERT_TRUE(mark(s->id, "order", short_order).ok());
  auto done = sessions_->conclude(s->id, sealed());
  EXPECT_EQ(done->state, PurchaseState::incomplete);
  EXPECT_NE(done->problems.dump().find("少于任务要求"), std::string::npos);
}

TEST_F(SessionTest, EveryChangeIsAudited) {
  auto s = begin();
  ASSERT_TRUE(sessions_->set_environment(s->id, {{"clean", true}}, "S1").ok());
  mark_all(s->id);
  ASSERT_TRUE(sessions_->conclude(s->id, sealed()).ok());
  auto rows = store_->audit().records("CQ-1");
  std::vector<std::string> actions;
  for (const auto& r : *rows)
    if (r.action.starts_with("purchase.")) actions.push_back(r.action);
  EXPECT_EQ(actions.front(), "purchase.started");
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "purchase.step_marked"), 7);
  EXPECT_EQ(actions.back(), "purchase.complete");
  EXPECT_TRUE(store_->audit().verify()->intact);
}

TEST_F(SessionTest, AStepOrAConclusionEditedByHandIsNamed) {
  auto s = begin();
  mark_all(s->id);
  ASSERT_TRUE(sessions_->conclude(s->id, sealed()).ok());
  ASSERT_TRUE(sessions_->verify_records()->empty());
  const fs::path db = dir_.path() / "netsample.db";
  testing::sql_exec(db, "UPDATE purchase_steps SET fields = replace(fields, '796.00', '79.60') WHERE step = 'order'");
  auto edited = sessions_->verify_records();
  ASSERT_EQ(edited->size(), 1u);
  EXPECT_NE(edited->front().find("「order」"), std::string::npos) << edited->front();
  testing::sql_exec(db, "UPDATE purchase_steps SET fields = replace(fields, '79.60', '796.00') WHERE step = 'order'");
  testing::sql_exec(db, "DELETE FROM purchase_steps WHERE step = 'chat'");
  EXPECT_EQ(sessions_->verify_records()->size(), 1u);
  testing::sql_exec(db, "UPDATE purchase_sessions SET state = 'incomplete'");
  EXPECT_EQ(sessions_->verify_records()->size(), 2u);
}

// The sampling document (Art 39) from the same data: what it says, when it is refused, how it prints.
class SamplingDocumentTest : public SessionTest {
 protected:
  SessionView completed() {
    auto s = begin(/*new_purchase=*/true);  // also after an unfinished one
    mark_all(s->id);
    return *sessions_->conclude(s->id, sealed());
  }
  workflow::CaseView view() { return *workflow::CaseRegistry(*store_).show("CQ-1"); }
  std::string pdf_text(const fs::path& pdf) {
    const auto r = testing::run_process({"/usr/bin/pdftotext", "-layout", pdf.string(), "-"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
};

TEST_F(SamplingDocumentTest, ADraftFromThePurchaseAloneCarriesEverythingThePurchaseKnows) {
  const SessionView session = completed();
  auto doc = sampling_document(view(), session, nullptr, platforms_, documents::Organization{"重庆市市场监督管理局", {}}, clock_.now());
  ASSERT_TRUE(doc.ok()) << doc.error().describe();
  EXPECT_TRUE(doc->record["draft"]);
  EXPECT_EQ(doc->record["order"]["order_number"], "DS202611240001");
  EXPECT_EQ(doc->record["operator"]["licence_number"], "91500112MA5U7XXX1K");
  EXPECT_EQ(doc->record["recording"]["manifest_sha256"], std::string(64, 'b'));
  EXPECT_EQ(doc->record["samplers"].size(), 2u);
  EXPECT_EQ(doc->record["organization"], "重庆市市场监督管理局");

  const fs::path pdf = dir_.path() / "doc.pdf";
  ASSERT_TRUE(documents::render_pdf(doc->page, std::nullopt, pdf).ok());
  const std::string text = pdf_text(pdf);
  for (const char* expected : {"网络抽样文书", "CQ-1", "DS202611240001", "796.00 元", "检验样品 2，备用样品 2", "2026-03-02 10:05:31", "京东",
                               "重庆清泉电器制造有限公司", "草稿", "张明", "李娟"})
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
}

TEST_F(SamplingDocumentTest, OnceSealedItIsNoLongerADraftAndCarriesTheSealsAndTheUnitsSeal) {
  const SessionView session = completed();
  const json sealing = {{"inspection_seal", "FY-0001"}, {"backup_seal", "FY-0002"}, {"backup_storage", "市局样品室"}, {"backup_keeper", "王磊"},
                        {"sealed_date", "2026-03-05"}};
  // A seal image as a bureau would configure it: a red ring, a PNG.
  const fs::path seal = dir_.path() / "seal.png";
  cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 120, 120);
  cairo_t* cr = cairo_create(surface);
  cairo_set_source_rgb(cr, 0.8, 0, 0);
  cairo_set_line_width(cr, 6);
  cairo_arc(cr, 60, 60, 54, 0, 6.3);
  cairo_stroke(cr);
  ASSERT_EQ(cairo_surface_write_to_png(surface, seal.c_str()), CAIRO_STATUS_SUCCESS);
  cairo_destroy(cr);
  cairo_surface_destroy(surface);
  testing::write_text(dir_.path() / "organization.json", json{{"name", "重庆市市场监督管理局"}, {"seal_image", "seal.png"}}.dump());
  auto organization = documents::load_organization(dir_.path());
  ASSERT_TRUE(organization.ok()) << organization.error().describe();
  ASSERT_EQ(organization->seal_image, seal);

  auto doc = sampling_document(view(), session, sealing, platforms_, *organization, clock_.now());
  ASSERT_TRUE(doc.ok());
  EXPECT_FALSE(doc->record["draft"]);
  const fs::path pdf = dir_.path() / "sealed.pdf";
  ASSERT_TRUE(documents::render_pdf(doc->page, organization->seal_image, pdf).ok());
  const std::string text = pdf_text(pdf);
  EXPECT_EQ(text.find("草稿"), std::string::npos);
  EXPECT_NE(text.find("FY-0001"), std::string::npos);
  const auto images = testing::run_process({"/usr/bin/pdfimages", "-list", pdf.string()});
  EXPECT_NE(images.out.find("image"), std::string::npos) << images.out;  // the seal is on the page
}

TEST_F(SamplingDocumentTest, WithoutACompletePurchaseOrTwoSamplersItIsRefused) {
  auto s = begin();
  ASSERT_TRUE(mark(s->id, "time_check").ok());
  const SessionView incomplete = *sessions_->conclude(s->id, sealed());
  auto refused = sampling_document(view(), incomplete, nullptr, platforms_, {}, clock_.now());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().article, 39);

  const SessionView session = completed();
  workflow::CaseView one_sampler = view();
  std::erase_if(one_sampler.people, [](const workflow::Assignment& a) { return a.person_id == "S2"; });
  auto alone = sampling_document(one_sampler, session, nullptr, platforms_, {}, clock_.now());
  ASSERT_FALSE(alone.ok());
  EXPECT_EQ(alone.error().article, 20);
}

TEST_F(SamplingDocumentTest, AWrongOrganizationFileIsNamed) {
  testing::write_text(dir_.path() / "organization.json", R"({"name": "局", "seal": "x.png"})");
  auto unknown = documents::load_organization(dir_.path());
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().field.find("seal"), std::string::npos);
  testing::write_text(dir_.path() / "organization.json", R"({"name": "局", "seal_image": "missing.png"})");
  auto missing = documents::load_organization(dir_.path());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::not_found);
}

}  // namespace
}  // namespace netsample::purchase
