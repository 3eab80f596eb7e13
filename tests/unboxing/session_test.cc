// Unboxing sessions against a real data directory (Art 36-38): who may unbox and when, the four steps,
// accept or return with Art 36's reasons, and the seals — separate, signed by the drawn samplers, with a
// photo, the backup's place and keeper — moving the case to 「已封样」 with the Art 39 notice owed. The
// video and its labels are the end-to-end test's (tests/e2e/unboxing_e2e_test.cc); here they are given.
#include "netsample/unboxing/session.h"

#include <gtest/gtest.h>

#include "netsample/core/file_io.h"
#include "netsample/workflow/cases.h"
#include "netsample/workflow/roster.h"
#include "testing.h"

namespace netsample::unboxing {
namespace {

using nlohmann::json;
using namespace std::chrono;
namespace fs = std::filesystem;

// A PNG's first bytes are all a seal photo is checked for here.
const std::string kPng = std::string("\x89PNG\r\n\x1a\n", 8) + "rest";

class UnboxingTest : public ::testing::Test {
 protected:
  UnboxingTest() : clock_(beijing_midnight(year{2026} / 3 / 2) + hours{10}) {
    store_ = std::move(store::Store::open(dir_.path(), clock_, testing::store_options(dir_.path()))).value();
    calendar_ = *workflow::Calendar::built_in();
    platforms_ = *workflow::PlatformRegistry::built_in();
    json roster = {{"people",
                    {{{"id", "S1"}, {"name", "张明"}, {"org", "cq-amr"}, {"roles", {"sampler"}}},
                     {{"id", "S2"}, {"name", "李娟"}, {"org", "cq-amr"}, {"roles", {"sampler"}}},
                     {{"id", "L1"}, {"name", "陈刚"}, {"org", "cq-amr"}, {"roles", {"tester"}}}}}};
    EXPECT_TRUE(workflow::Roster(*store_).add(*workflow::parse_people(roster), "os:test").ok());
    auto request = workflow::parse_case(testing::sample_case("CQ-1"), platforms_);
    EXPECT_TRUE(workflow::CaseRegistry(*store_).create(*request, "os:test", 1).ok());
    lifecycle_ = std::make_unique<workflow::Lifecycle>(*store_, calendar_);
    sessions_ = std::make_unique<UnboxingSessions>(*store_, *lifecycle_);
    testing::write_text(dir_ / "inspection.png", kPng);
    testing::write_text(dir_ / "backup.png", kPng);
  }

  void deliver() {
    ASSERT_TRUE(lifecycle_->apply_event("CQ-1", "start_purchase", json::object(), "S1").ok());
    ASSERT_TRUE(lifecycle_->apply_event("CQ-1", "order_placed", {{"order_number", "DS1"}}, "S1").ok());
    ASSERT_TRUE(lifecycle_->apply_event("CQ-1", "delivered", {{"delivered_date", "2026-03-02"}}, "system:tracking").ok());
  }
  std::string state() { return workflow::CaseRegistry(*store_).show("CQ-1")->state; }
  Result<UnboxingView> begin(const std::string& actor = "S1") {
    return sessions_->begin("CQ-1", "file:/media/unboxing.mp4", true, actor, [](const fs::path&) { return false; });
  }
  RecordedVideo video() {
    RecordedVideo v;
    v.video = "unboxing.mp4";
    v.sha256 = std::string(64, 'c');
    v.info = {{"frames", 375}, {"duration_s", 15.0}, {"continuous", true}};
    return v;
  }
  Status mark(std::int64_t id, const std::string& step, const std::string& actor = "S1") {
    UnboxStep s;
    s.step = step;
    s.video_ms = 1500;
    s.frame = 38;
    s.still = "stills/" + step + ".png";
    s.still_sha256 = std::string(64, 'd');
    return status_of(sessions_->add_step(id, s, actor));
  }
  // A recorded session with every step marked.
  std::int64_t ready() {
    deliver();
    auto s = begin();
    EXPECT_TRUE(s.ok()) << s.error().describe();
    EXPECT_TRUE(sessions_->set_recorded(s->id, video(), "S1").ok());
    for (const auto& spec : unboxing_steps()) EXPECT_TRUE(mark(s->id, spec.id).ok()) << spec.id;
    return s->id;
  }
  json seals() {
    return {{"inspection", {{"seal_number", "FY-001"}, {"signed_by", {"S1", "S2"}}, {"still", "inspection.png"}, {"quantity", 2}}},
            {"backup", {{"seal_number", "FY-002"}, {"signed_by", {"S1", "S2"}}, {"still", "backup.png"}, {"storage", "检验所样品库 B-03"}, {"keeper", "刘芳"}}},
            {"sealed_date", "2026-03-02"},
            {"batch", "B20260201"},
            {"production_date", "2026-02-01"}};
  }
  Result<Sealing> parse(const json& file) { return parse_sealing(file, dir_.path()); }
  std::string fingerprint() {
    return testing::sql_text(dir_ / "netsample.db",
                             "SELECT (SELECT COUNT(*) FROM unboxing_sessions) || '/' || (SELECT COUNT(*) FROM unboxing_steps) || '/' || "
                             "(SELECT COUNT(*) FROM case_events) || '/' || (SELECT COUNT(*) FROM outbox) || '/' || (SELECT COUNT(*) FROM audit_log) || '/' || "
                             "(SELECT IFNULL(group_concat(state), '') FROM unboxing_sessions)");
  }

  testing::TempDir dir_;
  ManualClock clock_;
  std::unique_ptr<store::Store> store_;
  workflow::Calendar calendar_;
  workflow::PlatformRegistry platforms_;
  std::unique_ptr<workflow::Lifecycle> lifecycle_;
  std::unique_ptr<UnboxingSessions> sessions_;
};

TEST_F(UnboxingTest, OnlyADeliveredParcelIsUnboxedAndOnlyByItsSamplers) {  // Art 36, 20
  auto early = begin();
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.error().code, ErrorCode::refused_by_rule);
  EXPECT_EQ(early.error().article, 36);
  EXPECT_NE(early.error().message.find("已收样待确认"), std::string::npos);
  deliver();
  auto tester = begin("L1");
  ASSERT_FALSE(tester.ok());
  EXPECT_EQ(tester.error().field, "as");
  const std::string before = fingerprint();
  EXPECT_FALSE(begin("S9").ok());
  EXPECT_EQ(fingerprint(), before);
  auto opened = begin("S2");
  ASSERT_TRUE(opened.ok()) << opened.error().describe();
  EXPECT_EQ(opened->state, UnboxingState::recording);
  EXPECT_EQ(opened->recording_dir, fs::absolute(dir_ / "recordings" / "CQ-1-unboxing-1").lexically_normal());
}

// A station's sync sends the journal lines of the unboxings the recorder is recording now (design/central.md): not
// an imported video, not one whose video is there.
TEST_F(UnboxingTest, TheUnboxingsBeingRecordedAreThoseTheRecorderIsRecording) {
  deliver();
  auto imported = begin();
  ASSERT_TRUE(imported.ok()) << imported.error().describe();
  auto none = sessions_->recording();
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty()) << "an imported video has no journal of the recorder's";
  ASSERT_TRUE(sessions_->set_recorded(imported->id, RecordedVideo{}, "S1").ok());  // no video: failed, a new one may start
  auto recorded = sessions_->begin("CQ-1", "v4l2:/dev/video0", false, "S1", [](const fs::path&) { return true; });
  ASSERT_TRUE(recorded.ok()) << recorded.error().describe();
  auto now = sessions_->recording();
  ASSERT_TRUE(now.ok());
  ASSERT_EQ(now->size(), 1u);
  EXPECT_EQ((*now)[0].id, recorded->id);
  EXPECT_EQ((*now)[0].case_number, "CQ-1");
  EXPECT_EQ((*now)[0].recording_dir, recorded->recording_dir);
  ASSERT_TRUE(sessions_->set_recorded(recorded->id, video(), "S1").ok());
  EXPECT_TRUE(sessions_->recording()->empty());
}

TEST_F(UnboxingTest, AcceptNeedsTheVideoAndAllFourSteps) {
  deliver();
  auto s = begin();
  ASSERT_TRUE(s.ok());
  auto recording = sessions_->decide(s->id, Decision::accept, "", "", "S1");
  ASSERT_FALSE(recording.ok());  // still recording: no decision without the whole video
  EXPECT_EQ(recording.error().article, 36);
  ASSERT_TRUE(sessions_->set_recorded(s->id, video(), "S1").ok());
  ASSERT_TRUE(mark(s->id, "courier_packaging").ok());
  ASSERT_TRUE(mark(s->id, "waybill").ok());
  auto missing = sessions_->decide(s->id, Decision::accept, "", "", "S1");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::refused_by_rule);
  EXPECT_NE(missing.error().message.find("sample_packaging 样品包装"), std::string::npos);
  EXPECT_NE(missing.error().message.find("sample_labels 样品标识"), std::string::npos);
  EXPECT_EQ(sessions_->get(s->id)->missing_steps(), (std::vector<std::string>{"sample_packaging", "sample_labels"}));
  auto unknown = mark(s->id, "parcel");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("courier_packaging 快递包装"), std::string::npos);
  auto by_tester = mark(s->id, "sample_packaging", "L1");
  ASSERT_FALSE(by_tester.ok());
  EXPECT_EQ(by_tester.error().field, "as");
  ASSERT_TRUE(mark(s->id, "sample_packaging").ok());
  ASSERT_TRUE(mark(s->id, "sample_labels").ok());
  auto accepted = sessions_->decide(s->id, Decision::accept, "", "", "S2");
  ASSERT_TRUE(accepted.ok()) << accepted.error().describe();
  EXPECT_EQ(accepted->state, UnboxingState::accepted);
  EXPECT_EQ(accepted->decision["by"], "S2");
  EXPECT_EQ(state(), "received");  // accepting is not sealing yet
  auto again = sessions_->decide(s->id, Decision::return_samples, "quantity_short", "", "S1");
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("已确认"), std::string::npos);
  EXPECT_FALSE(mark(s->id, "waybill").ok());  // decided: nothing more is marked
}

TEST_F(UnboxingTest, AWaybillWithAnotherNumberIsAProblemToExplainBeforeAccepting) {
  const std::int64_t id = ready();
  const json waybill = json::array({{{"number", "SF1000000001"}, {"matched", false}, {"other_numbers", {"SF9999999999"}}}});
  ASSERT_TRUE(sessions_->set_labels(id, json::array(), waybill, "S1").ok());
  const auto problems = sessions_->get(id)->problems;
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0]["level"], "error");
  EXPECT_NE(problems[0]["text"].get<std::string>().find("SF9999999999"), std::string::npos);
  auto silent = sessions_->decide(id, Decision::accept, "", "", "S1");
  ASSERT_FALSE(silent.ok());
  EXPECT_EQ(silent.error().field, "note");
  auto explained = sessions_->decide(id, Decision::accept, "", "商家补发时换了快递单，已电话核实订单号", "S1");
  ASSERT_TRUE(explained.ok()) << explained.error().describe();
  EXPECT_EQ(explained->decision["note"], "商家补发时换了快递单，已电话核实订单号");
}

TEST_F(UnboxingTest, AReturnNeedsAnArt36ReasonAndMovesTheCase) {
  const std::int64_t id = ready();
  const std::string before = fingerprint();
  auto bad = sessions_->decide(id, Decision::return_samples, "damaged", "", "S1");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().field, "reason");
  EXPECT_NE(bad.error().message.find("changed_in_transit"), std::string::npos);
  EXPECT_EQ(fingerprint(), before);
  auto returned = sessions_->decide(id, Decision::return_samples, "changed_in_transit", "壶身凹陷，玻璃视窗破裂", "S1");
  ASSERT_TRUE(returned.ok()) << returned.error().describe();
  EXPECT_EQ(returned->state, UnboxingState::returned);
  EXPECT_EQ(returned->decision["reason_label"], "在运输途中发生性状改变不满足检验要求");
  EXPECT_EQ(state(), "returned");
  auto history = lifecycle_->history("CQ-1");
  EXPECT_EQ(history->back().event, "return_sample");
  EXPECT_EQ(history->back().fields["note"], "壶身凹陷，玻璃视窗破裂");
}

TEST_F(UnboxingTest, TheReturnAndTheCaseCommitTogether) {
  const std::int64_t id = ready();
  // Writing the case's event fails after the session's decision was written (a full disk, say): the
  // decision in the same transaction goes with it.
  testing::sql_exec(dir_ / "netsample.db", "CREATE TRIGGER fail_events BEFORE INSERT ON case_events BEGIN SELECT RAISE(ABORT, 'disk full'); END");
  const std::string before = fingerprint();
  auto refused = sessions_->decide(id, Decision::return_samples, "quantity_short", "", "S1");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(fingerprint(), before);
  EXPECT_EQ(sessions_->get(id)->state, UnboxingState::recorded);
  EXPECT_TRUE(sessions_->get(id)->decision.is_null());
  EXPECT_EQ(state(), "received");
  auto audit = store_->audit().verify();
  ASSERT_TRUE(audit.ok()) << audit.error().describe();
  EXPECT_TRUE(audit->intact) << audit->problem;
}

TEST_F(UnboxingTest, SealsAreSeparateSignedByTheSamplersWithAPhotoAndTheBackupsKeeper) {  // Art 31, 37, 38
  auto good = parse(seals());
  ASSERT_TRUE(good.ok()) << good.error().describe();
  EXPECT_EQ(good->backup_keeper, "刘芳");
  EXPECT_EQ(good->inspection.still, dir_ / "inspection.png");
  struct Case {
    std::function<void(json&)> change;
    std::string field;
    int article;
  };
  const std::vector<Case> bad = {
      {[](json& j) { j["backup"]["seal_number"] = "FY-001"; }, "backup.seal_number", 37},
      {[](json& j) { j["backup"].erase("keeper"); }, "backup.keeper", 38},
      {[](json& j) { j["backup"].erase("storage"); }, "backup.storage", 38},
      {[](json& j) { j["inspection"]["signed_by"] = json::array(); }, "inspection.signed_by", 31},
      {[](json& j) { j["inspection"]["still"] = "missing.png"; }, "inspection.still", 0},
      {[](json& j) { j["sealed_date"] = "2026-02-30"; }, "sealed_date", 0},
      {[](json& j) { j["inspection"]["colour"] = "red"; }, "inspection.colour", 0},
  };
  for (const auto& c : bad) {
    json file = seals();
    c.change(file);
    auto parsed = parse(file);
    ASSERT_FALSE(parsed.ok()) << c.field;
    EXPECT_EQ(parsed.error().field, c.field);
    if (c.article) {
      EXPECT_EQ(parsed.error().article, c.article) << c.field;
    }
  }
  testing::write_text(dir_ / "notes.txt", "not a photo");
  json text_photo = seals();
  text_photo["backup"]["still"] = "notes.txt";
  auto not_image = parse(text_photo);
  ASSERT_FALSE(not_image.ok());
  EXPECT_NE(not_image.error().message.find("PNG"), std::string::npos);
}

TEST_F(UnboxingTest, SealingAcceptedSamplesMovesTheCaseAndOwesTheSamplingDocument) {  // Art 37-39
  const std::int64_t id = ready();
  const Sealing sealing = *parse(seals());
  auto early = sessions_->seal("CQ-1", sealing, "S1");
  ASSERT_FALSE(early.ok());  // not accepted yet
  EXPECT_EQ(early.error().article, 37);
  ASSERT_TRUE(sessions_->decide(id, Decision::accept, "", "", "S1").ok());
  Sealing tester_signed = sealing;
  tester_signed.backup.signed_by = {"S1", "L1"};
  const std::string before = fingerprint();
  auto tester = sessions_->seal("CQ-1", tester_signed, "S1");
  ASSERT_FALSE(tester.ok());
  EXPECT_NE(tester.error().message.find("L1"), std::string::npos);
  EXPECT_EQ(fingerprint(), before);
  auto sealed = sessions_->seal("CQ-1", sealing, "S1");
  ASSERT_TRUE(sealed.ok()) << sealed.error().describe();
  // Each seal's photo is evidence of the case, stored in the same write as the seal (Art 37).
  auto photos = store_->list_evidence("CQ-1");
  ASSERT_TRUE(photos.ok());
  int seal_photos = 0;
  for (const auto& item : *photos) seal_photos += item.kind == "seal_photo";
  EXPECT_EQ(seal_photos, 2);
  EXPECT_EQ(sealed->sealing["evidence"]["backup"]["sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(sealed->sealing["inspection"]["seal_number"], "FY-001");
  EXPECT_EQ(sealed->sealing["backup"]["seal_number"], "FY-002");
  EXPECT_EQ(state(), "sealed");
  auto event = lifecycle_->history("CQ-1")->back();
  EXPECT_EQ(event.event, "seal");
  EXPECT_EQ(event.fields["backup_keeper"], "刘芳");
  EXPECT_EQ(event.fields["batch"], "B20260201");
  auto notices = workflow::read_notices(store_->db(), "CQ-1");
  ASSERT_TRUE(notices.ok());
  ASSERT_EQ(notices->size(), 1u);
  EXPECT_EQ(notices->front().kind, "sampling_document");
  EXPECT_EQ(notices->front().article, 39);
  EXPECT_FALSE(sessions_->seal("CQ-1", sealing, "S1").ok());  // sealed once
  int photos_after = 0;  // the refused second seal stored no photo: its write rolled back whole
  for (const auto& item : *store_->list_evidence("CQ-1")) photos_after += item.kind == "seal_photo";
  EXPECT_EQ(photos_after, 2);
  EXPECT_TRUE(store_->audit().verify()->intact);
}

TEST_F(UnboxingTest, HandEditsOfTheRecordsAreNamedAgainstTheAuditLog) {
  const std::int64_t id = ready();
  ASSERT_TRUE(sessions_->decide(id, Decision::accept, "", "", "S1").ok());
  ASSERT_TRUE(sessions_->seal("CQ-1", *parse(seals()), "S1").ok());
  auto clean = sessions_->verify_records();
  ASSERT_TRUE(clean.ok());
  EXPECT_TRUE(clean->empty()) << (clean->empty() ? "" : clean->front());
  const fs::path db = dir_ / "netsample.db";
  testing::sql_exec(db, "UPDATE unboxing_steps SET video_ms = 99000 WHERE step = 'waybill'");
  testing::sql_exec(db, "UPDATE unboxing_sessions SET video_sha256 = '" + std::string(64, 'e') + "'");
  testing::sql_exec(db, testing::on_postgresql() ? "UPDATE unboxing_sessions SET sealing = jsonb_set(sealing::jsonb, '{backup_keeper}', '\"王五\"')::text"
                                               : "UPDATE unboxing_sessions SET sealing = json_set(sealing, '$.backup_keeper', '王五')");
  testing::sql_exec(db, "DELETE FROM unboxing_steps WHERE step = 'sample_labels'");
  auto edited = sessions_->verify_records();
  ASSERT_TRUE(edited.ok());
  std::string all;
  for (const auto& line : *edited) all += line + "\n";
  EXPECT_NE(all.find("waybill"), std::string::npos) << all;
  EXPECT_NE(all.find("SHA-256"), std::string::npos) << all;
  EXPECT_NE(all.find("封样记录"), std::string::npos) << all;
  EXPECT_NE(all.find("缺失"), std::string::npos) << all;
}

TEST_F(UnboxingTest, ARecorderThatIsGoneLeavesAFailedSessionAndANewOneStarts) {
  deliver();
  auto first = begin();
  ASSERT_TRUE(first.ok());
  auto busy = sessions_->begin("CQ-1", "v4l2:/dev/video0", false, "S1", [](const fs::path&) { return true; });
  ASSERT_FALSE(busy.ok());
  EXPECT_NE(busy.error().message.find("正在录制"), std::string::npos);
  auto second = begin();
  ASSERT_TRUE(second.ok()) << second.error().describe();
  EXPECT_EQ(second->seq, 2);
  EXPECT_EQ(sessions_->get(first->id)->state, UnboxingState::failed);
  ASSERT_TRUE(sessions_->set_recorded(second->id, video(), "S1").ok());
  auto third = begin();  // one recorded and undecided: decide it first
  ASSERT_FALSE(third.ok());
  EXPECT_NE(third.error().message.find("unbox finish"), std::string::npos);
}

}  // namespace
}  // namespace netsample::unboxing
