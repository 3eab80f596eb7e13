// Notices against a real data directory and a real HTTP receiver on 127.0.0.1 (Art 39, 51, 52, 62): who
// a notice goes to, a party without a channel shown as an error, webhook delivery signed with HMAC-SHA256
// and retried until the receiver takes it — once — the dead letter, registered mail whose receipt date
// starts the objection period, and a worker SIGKILLed between sending and recording the receipt that still
// delivers exactly once from the receiver's side.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <signal.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "netsample/core/sha256.h"
#include "netsample/notices/deliveries.h"
#include "netsample/notices/parties.h"
#include "netsample/notices/sender.h"
#include "netsample/workflow/cases.h"
#include "netsample/workflow/roster.h"
#include "testing.h"

namespace netsample::notices {
namespace {

using nlohmann::json;
using namespace std::chrono;
namespace fs = std::filesystem;

const std::string kSecret = "platform-shared-secret-0123456789";

// The platform's endpoint: loopback::WebhookReceiver (checks the signature, fails the first n, takes each key once).
std::unique_ptr<loopback::WebhookReceiver> receiver_failing(int fail_first) {
  auto started = loopback::WebhookReceiver::start(kSecret, fail_first);
  if (!started.ok()) throw std::runtime_error(started.error().describe());
  return std::move(started).value();
}

json parties_file(const std::string& webhook_url, bool operator_channel = true) {
  json op = {{"id", "op-qingquan"}, {"kind", "operator"}, {"name", "重庆清泉电器销售有限公司"}};
  if (operator_channel) op["postal_address"] = "重庆市渝北区金开大道 88 号";
  return {{"parties",
           {{{"id", "jd"}, {"kind", "platform"}, {"name", "京东"}, {"platform", "jd"}, {"webhook", {{"url", webhook_url}, {"secret", kSecret}}}},
            {{"id", "cq-netsup"}, {"kind", "network_supervision"}, {"name", "重庆市市场监管局网监处"}, {"webhook", {{"url", webhook_url}, {"secret", kSecret}}}},
            op,
            {{"id", "pr-qingquan"}, {"kind", "producer"}, {"name", "重庆清泉电器制造有限公司"}, {"postal_address", "重庆市璧山区工业园 16 号"}}}}};
}

class NoticesTest : public ::testing::Test {
 protected:
  // The netsample command line on this test's data directory (and its database).
  std::vector<std::string> with_data(const std::vector<std::string>& words) const {
    std::vector<std::string> argv = {NETSAMPLE_BIN};
    for (const auto& word : testing::data_arguments(dir_.path())) argv.push_back(word);
    argv.insert(argv.end(), words.begin(), words.end());
    return argv;
  }
  NoticesTest() : clock_(beijing_midnight(std::chrono::year{2026} / 3 / 2) + hours{10}) {
    store_ = std::move(store::Store::open(dir_.path(), clock_, testing::store_options(dir_.path()))).value();
    calendar_ = *workflow::Calendar::built_in();
    platforms_ = *workflow::PlatformRegistry::built_in();
    EXPECT_TRUE(workflow::Roster(*store_).add(*workflow::parse_people(testing::sample_roster()), "os:test").ok());
    EXPECT_TRUE(workflow::CaseRegistry(*store_).create(*workflow::parse_case(testing::sample_case("CQ-1"), platforms_), "os:test", 1).ok());
    lifecycle_ = std::make_unique<workflow::Lifecycle>(*store_, calendar_);
    parties_ = std::make_unique<PartyRegistry>(*store_);
    DeliveryPolicy policy;
    policy.max_attempts = 4;
    policy.first_backoff = seconds(0);
    deliveries_ = std::make_unique<Deliveries>(*store_, *lifecycle_, *parties_, policy);
  }
  std::string sampler(const std::string& number = "CQ-1") { return workflow::CaseRegistry(*store_).show(number)->draw->drawn.front(); }
  // Sealed (Art 39's document owed to the operator), then tested nonconforming (Art 51: operator, platform, producer).
  void nonconforming(const std::string& number = "CQ-1") {
    const std::string s = sampler(number);
    ASSERT_TRUE(workflow::CaseRegistry(*store_).assign_tester(number, "L1", "os:test").ok());
    for (auto [event, fields, actor] : std::vector<std::tuple<std::string, json, std::string>>{
             {"start_purchase", json::object(), s},
             {"order_placed", {{"order_number", "DS1"}}, s},
             {"delivered", {{"delivered_date", "2026-03-02"}}, "system:tracking"},
             {"seal", {{"inspection_seal", "FY-1"}, {"backup_seal", "FY-2"}, {"backup_storage", "样品库"}, {"backup_keeper", "刘芳"}, {"sealed_date", "2026-03-02"}}, s},
             {"lab_receive", {{"received_date", "2026-03-02"}}, "L1"},
             {"report_nonconforming", {{"report_number", "R-1"}, {"report_date", "2026-03-02"}, {"failed_items", "泄漏电流"}}, "L1"}}) {
      auto applied = lifecycle_->apply_event(number, event, fields, actor);
      ASSERT_TRUE(applied.ok()) << event << ": " << applied.error().describe();
    }
  }
  std::vector<NoticeStatus> statuses() { return *deliveries_->statuses(); }
  const NoticeStatus& of_kind(const std::vector<NoticeStatus>& all, const std::string& kind) {
    for (const auto& s : all)
      if (s.notice.kind == kind) return s;
    throw std::runtime_error("no notice " + kind);
  }

  static HttpClientOptions one_try() {  // as `notices deliver` sends: the deliveries keep the retries
    HttpClientOptions options;
    options.retry.max_attempts = 1;
    return options;
  }

  testing::TempDir dir_;
  ManualClock clock_;
  HttpClient http_{one_try()};
  std::unique_ptr<store::Store> store_;
  workflow::Calendar calendar_;
  workflow::PlatformRegistry platforms_;
  std::unique_ptr<workflow::Lifecycle> lifecycle_;
  std::unique_ptr<PartyRegistry> parties_;
  std::unique_ptr<Deliveries> deliveries_;
};

TEST(Parties, FileErrorsNameTheFieldAndTheRule) {
  auto good = parse_parties(parties_file("https://open.jd.com/hook"));
  ASSERT_TRUE(good.ok()) << good.error().describe();
  EXPECT_EQ(good->size(), 4u);
  struct Case {
    std::function<void(json&)> change;
    std::string field;
  };
  const std::vector<Case> bad = {
      {[](json& j) { j["parties"][0]["kind"] = "shop"; }, "parties[0].kind"},
      {[](json& j) { j["parties"][0]["webhook"]["secret"] = "short"; }, "parties[0].webhook.secret"},
      {[](json& j) { j["parties"][0].erase("platform"); }, "parties[0].platform"},
      {[](json& j) { j["parties"][1]["id"] = "jd"; }, "parties[1].id"},
      {[](json& j) { j["parties"][2]["email"] = "not-an-address"; }, "parties[2].email"},
      {[](json& j) { j["parties"][3]["fax"] = "023-1234"; }, "parties[3].fax"},
  };
  for (const auto& c : bad) {
    json file = parties_file("https://open.jd.com/hook");
    c.change(file);
    auto parsed = parse_parties(file);
    ASSERT_FALSE(parsed.ok()) << c.field;
    EXPECT_EQ(parsed.error().field, c.field);
  }
}

TEST_F(NoticesTest, EveryRecipientRoleTheLifecycleNamesFindsItsParty) {
  // Every notice kind in the transition table, each of its roles, against a registry with one party of
  // each kind: none is left unaddressed (a role this module did not know would be).
  json file = parties_file("https://open.jd.com/hook");
  file["parties"].push_back({{"id", "cq-netsup-jd"}, {"kind", "network_supervision"}, {"name", "网监"}, {"platform", "jd"}, {"email", "ns@example.cn"}});
  file["parties"].push_back({{"id", "bureau-cq"}, {"kind", "bureau"}, {"name", "重庆市璧山区市场监管局"}, {"region", "重庆市"}, {"email", "bs@example.cn"}});
  ASSERT_TRUE(parties_->put(*parse_parties(file), "os:test").ok());
  const workflow::CaseView view = *workflow::CaseRegistry(*store_).show("CQ-1");
  int roles = 0;
  for (const auto& t : workflow::lifecycle_transitions())
    for (const auto& spec : t.notices) {
      workflow::NoticeView n;
      n.kind = spec.kind;
      n.article = spec.article;
      n.recipients = spec.recipients;
      n.payload = {{"fields", {{"applicant", "producer"}}}};
      for (const auto& a : *parties_->resolve(n, view)) {
        ++roles;
        EXPECT_TRUE(a.party.has_value()) << spec.kind << " → " << a.role << ": " << a.problem;
        EXPECT_TRUE(a.problem.empty()) << spec.kind << " → " << a.role << ": " << a.problem;
      }
    }
  EXPECT_GE(roles, 12);
}

TEST_F(NoticesTest, APartyRowChangedInTheDatabaseByHandIsNamedByTheAuditCheck) {
  ASSERT_TRUE(parties_->put(*parse_parties(parties_file("https://open.jd.com/hook")), "os:test").ok());
  json updated = parties_file("https://open.jd.com/hook-v2");
  ASSERT_TRUE(parties_->put(*parse_parties(updated), "os:test").ok());  // an audited change is no problem
  EXPECT_TRUE(parties_->verify_records()->empty());

  // Notices to the platform redirected to another host, a party inserted and one deleted, all without the log.
  ASSERT_TRUE(store_->db().exec("UPDATE parties SET webhook_url = 'https://evil.example/hook' WHERE id = 'jd'").ok());
  ASSERT_TRUE(store_->db().exec("INSERT INTO parties (id, kind, name, email, updated_utc_us) VALUES ('x-1', 'operator', '某店', 'a@b.cn', 0)").ok());
  ASSERT_TRUE(store_->db().exec("DELETE FROM parties WHERE id = 'pr-qingquan'").ok());
  const auto problems = *parties_->verify_records();
  ASSERT_EQ(problems.size(), 3u) << ::testing::PrintToString(problems);
  auto names = [&](const std::string& id, const std::string& what) {
    for (const auto& p : problems)
      if (p.find(id) != std::string::npos && p.find(what) != std::string::npos) return true;
    return false;
  };
  EXPECT_TRUE(names("jd", "不一致"));
  EXPECT_TRUE(names("x-1", "没有审计记录"));
  EXPECT_TRUE(names("pr-qingquan", "缺失"));
}

TEST_F(NoticesTest, EveryAddresseeIsResolvedAndOneWithoutAChannelIsAnError) {
  nonconforming();
  ASSERT_TRUE(parties_->put(*parse_parties(parties_file("http://127.0.0.1:9/hook", false)), "os:test").ok());
  ASSERT_TRUE(deliveries_->plan().ok());
  const auto all = statuses();
  const NoticeStatus& result = of_kind(all, "result_nonconforming");
  ASSERT_EQ(result.addressees.size(), 3u);
  EXPECT_EQ(result.addressees[1].party->id, "jd");
  EXPECT_EQ(result.state, "unaddressed");  // the operator is registered without any channel: never dropped silently
  bool named = false;
  for (const auto& p : result.problems) named = named || p.find("op-qingquan") != std::string::npos;
  EXPECT_TRUE(named) << result.to_json().dump(2);
  // The producer has only a postal address: said, for the bureau to post it.
  bool post = false;
  for (const auto& p : result.problems) post = post || p.find("mark-posted") != std::string::npos;
  EXPECT_TRUE(post);
  // Deliveries exist only for the channels there are: the platform's webhook.
  ASSERT_EQ(result.deliveries.size(), 1u);
  EXPECT_EQ(result.deliveries[0].party_id, "jd");
}

TEST_F(NoticesTest, AWebhookIsSignedRetriedAndTakenOnce) {
  nonconforming();
  auto receiver_owner = receiver_failing(2);  // two failures first
  auto& receiver = *receiver_owner;
  ASSERT_TRUE(parties_->put(*parse_parties(parties_file(receiver.url())), "os:test").ok());
  const Sender send = make_sender(http_, std::nullopt);
  for (int pass = 0; pass < 4; ++pass) ASSERT_TRUE(deliveries_->deliver(send, clock_.now() + seconds(pass)).ok());
  EXPECT_EQ(receiver.bad_signatures(), 0);
  EXPECT_EQ(receiver.requests(), 3);  // 503, 503, then taken
  ASSERT_EQ(receiver.taken().size(), 1u);
  const json body = receiver.taken()[0];
  EXPECT_EQ(body["notice"]["kind"], "result_nonconforming");
  EXPECT_EQ(body["notice"]["case"], "CQ-1");
  EXPECT_EQ(body["recipient"]["party"], "jd");
  const auto keys = receiver.keys();
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), 1u);  // every attempt with the same key
  const auto all_1 = statuses();
  const NoticeStatus& result = of_kind(all_1, "result_nonconforming");
  ASSERT_EQ(result.deliveries.size(), 1u);
  const Delivery& d = result.deliveries[0];
  EXPECT_EQ(d.state, "delivered");
  EXPECT_EQ(d.attempts, 3);
  EXPECT_EQ(d.receipt["status"], 201);
  EXPECT_EQ(d.receipt["response_sha256"].get<std::string>().size(), 64u);
  // Nothing more is sent once delivered.
  ASSERT_TRUE(deliveries_->deliver(send, clock_.now() + hours(1)).ok());
  EXPECT_EQ(receiver.requests(), 3);
}

TEST_F(NoticesTest, AReceiverThatNeverTakesItEndsAsADeadLetter) {
  nonconforming();
  auto receiver_owner = receiver_failing(1000);
  auto& receiver = *receiver_owner;
  ASSERT_TRUE(parties_->put(*parse_parties(parties_file(receiver.url())), "os:test").ok());
  const Sender send = make_sender(http_, std::nullopt);
  for (int pass = 0; pass < 8; ++pass) ASSERT_TRUE(deliveries_->deliver(send, clock_.now() + hours(pass)).ok());
  const auto all_2 = statuses();
  const NoticeStatus& result = of_kind(all_2, "result_nonconforming");
  EXPECT_EQ(result.deliveries[0].state, "dead");
  EXPECT_EQ(result.deliveries[0].attempts, 4);  // max_attempts
  EXPECT_EQ(result.deliveries[0].last_error, "HTTP 503");
  EXPECT_EQ(receiver.requests(), 4);
}

// "=?UTF-8?B?...?=" → the text.
std::string decoded_header(const std::string& message, const std::string& name) {
  const size_t at = message.find("\r\n" + name + ": =?UTF-8?B?");
  if (at == std::string::npos) return "";
  const size_t from = at + name.size() + 14, to = message.find("?=", from);
  const std::string encoded = message.substr(from, to - from);
  std::string out(encoded.size(), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(encoded.data()), static_cast<int>(encoded.size()));
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  while (!out.empty() && out.back() == '\0') out.pop_back();
  return out;
}

TEST_F(NoticesTest, AnEmailCarriesTheNoticeAsAPdfWithItsTitle) {
  nonconforming();
  auto sink = loopback::MailSink::start();
  ASSERT_TRUE(sink.ok()) << sink.error().describe();
  json file = parties_file("http://127.0.0.1:9/hook");
  file["parties"][2]["email"] = "legal@qingquan.example.cn";  // the operator
  ASSERT_TRUE(parties_->put(*parse_parties(file), "os:test").ok());
  testing::write_text(dir_ / "notices.json", json{{"smtp", {{"url", (*sink)->url()}, {"from", "notices@amr.cq.example.cn"}}}}.dump());
  auto mail = load_mail_settings(dir_.path());
  ASSERT_TRUE(mail.ok() && mail->has_value());
  DeliveryPolicy policy;
  Deliveries with_mail(*store_, *lifecycle_, *parties_, policy, true);
  ASSERT_TRUE(with_mail.deliver(make_sender(http_, *mail), clock_.now()).ok());
  const auto messages = (*sink)->messages();
  ASSERT_EQ(messages.size(), 2u);  // the sampling document (Art 39) and the nonconforming result (Art 51), both to the operator
  std::string result;
  for (const auto& m : messages)
    if (decoded_header(m, "Subject").find("检验结论不合格告知") != std::string::npos) result = m;
  ASSERT_FALSE(result.empty()) << decoded_header(messages[0], "Subject");
  EXPECT_NE(decoded_header(result, "Subject").find("CQ-1"), std::string::npos);
  EXPECT_NE(result.find("Content-Type: application/pdf"), std::string::npos);
  EXPECT_NE(result.find("JVBERi0"), std::string::npos);  // "%PDF-" in base64: the document itself
  EXPECT_NE(result.find("Message-ID: <ns-"), std::string::npos);
  EXPECT_EQ((*sink)->recipients().front(), "<legal@qingquan.example.cn>");
  // The receipt is stored, and the document it carried is evidence of the case.
  const auto all = with_mail.statuses();
  bool delivered = false;
  for (const auto& s : *all)
    for (const auto& d : s.deliveries)
      if (d.channel == "email" && d.state == "delivered" && d.receipt["status"] == 250) {
        delivered = true;
        // Described as it is: an SMTP server does not deduplicate, so the receipt is the server's own queue id.
        EXPECT_EQ(d.receipt["semantics"], "at_least_once");
        EXPECT_TRUE(d.receipt["queue_id"] == "NSQ1" || d.receipt["queue_id"] == "NSQ2") << d.receipt.dump();
        EXPECT_NE(d.receipt["server_reply"].get<std::string>().find("queued as NSQ"), std::string::npos);
      }
  EXPECT_TRUE(delivered);
  std::set<std::string> kinds;
  for (const auto& e : *store_->list_evidence("CQ-1")) kinds.insert(e.kind);
  EXPECT_TRUE(kinds.contains("notice_document"));
}

TEST_F(NoticesTest, TheWebhookCarriesTheDocumentAndItsDigest) {
  nonconforming();
  auto receiver_owner = receiver_failing(0);
  ASSERT_TRUE(parties_->put(*parse_parties(parties_file(receiver_owner->url())), "os:test").ok());
  ASSERT_TRUE(deliveries_->deliver(make_sender(http_, std::nullopt), clock_.now()).ok());
  ASSERT_EQ(receiver_owner->taken().size(), 1u);
  const json body = receiver_owner->taken()[0];
  EXPECT_EQ(body["document"]["content"]["title"], "检验结论不合格告知");
  std::string rights;
  for (const auto& r : body["document"]["content"]["rows"]) rights += r["label"].get<std::string>() + "=" + r["value"].get<std::string>() + "\n";
  EXPECT_NE(rights.find("15 日内"), std::string::npos) << rights;  // the recipient's rights (Art 52)
  EXPECT_NE(rights.find("泄漏电流"), std::string::npos) << rights;  // what was found
  bool stored = false;
  for (const auto& e : *store_->list_evidence("CQ-1")) stored = stored || e.sha256 == body["document"]["pdf_sha256"];
  EXPECT_TRUE(stored);
}

TEST_F(NoticesTest, RegisteredMailReceivedStartsTheObjectionPeriod) {  // Art 52
  nonconforming();
  ASSERT_TRUE(parties_->put(*parse_parties(parties_file("http://127.0.0.1:9/hook")), "os:test").ok());
  const auto all = statuses();
  const std::int64_t id = of_kind(all, "result_nonconforming").notice.id;
  auto early = deliveries_->mark_received(id, "op-qingquan", "2026-03-02", "os:test");
  ASSERT_FALSE(early.ok());  // not posted yet
  EXPECT_NE(early.error().message.find("mark-posted"), std::string::npos);
  auto stranger = deliveries_->mark_posted(id, "cq-netsup", "EMS1", "os:test");
  ASSERT_FALSE(stranger.ok());  // not an addressee of this notice
  ASSERT_TRUE(deliveries_->mark_posted(id, "op-qingquan", "EMS1234567890CN", "os:test").ok());
  EXPECT_FALSE(deliveries_->mark_posted(id, "op-qingquan", "EMS1", "os:test").ok());  // once
  auto future = deliveries_->mark_received(id, "op-qingquan", "2026-03-09", "os:test");
  ASSERT_FALSE(future.ok());
  EXPECT_EQ(future.error().field, "--date");
  clock_.advance(hours(24 * 3));
  auto received = deliveries_->mark_received(id, "op-qingquan", "2026-03-04", "os:test");
  ASSERT_TRUE(received.ok()) << received.error().describe();
  EXPECT_EQ(received->state, "received");
  EXPECT_EQ(received->receipt["registered_number"], "EMS1234567890CN");
  // The lifecycle recorded the receipt: the 15-day objection window runs from 2026-03-04 (Art 52, 75).
  const auto event = lifecycle_->history("CQ-1")->back();
  EXPECT_EQ(event.event, "notice_received");
  EXPECT_EQ(event.fields["received_date"], "2026-03-04");
  bool window = false;
  const auto deadlines = *lifecycle_->deadlines("CQ-1", beijing_date(clock_.now()));
  for (const auto& d : deadlines) window = window || (d.kind == "objection" && d.from_date == "2026-03-04");
  std::string listed;
  for (const auto& d : deadlines) listed += d.kind + " from " + d.from_date + "; ";
  EXPECT_TRUE(window) << listed;
  EXPECT_TRUE(store_->audit().verify()->intact);
}

TEST_F(NoticesTest, AnOperatorThatCannotBeReachedIsHandedToEnforcement) {  // Art 73
  nonconforming();
  ASSERT_TRUE(parties_->put(*parse_parties(parties_file("http://127.0.0.1:9/hook")), "os:test").ok());
  const auto all = statuses();
  const std::int64_t id = of_kind(all, "result_nonconforming").notice.id;
  ASSERT_TRUE(deliveries_->mark_posted(id, "op-qingquan", "EMS1234567890CN", "os:test").ok());
  auto still_posted = deliveries_->hand_over_unreachable();
  ASSERT_TRUE(still_posted.ok());
  EXPECT_TRUE(still_posted->empty());  // a letter on its way is not a failure
  EXPECT_FALSE(deliveries_->mark_returned(id, "op-qingquan", "", "os:test").ok());  // the reason is required
  auto returned = deliveries_->mark_returned(id, "op-qingquan", "查无此单位", "os:test");
  ASSERT_TRUE(returned.ok()) << returned.error().describe();
  EXPECT_EQ(returned->state, "returned");
  auto handed = deliveries_->hand_over_unreachable();
  ASSERT_TRUE(handed.ok()) << handed.error().describe();
  ASSERT_EQ(*handed, std::vector<std::string>{"CQ-1"});
  EXPECT_EQ(workflow::CaseRegistry(*store_).show("CQ-1")->state, "unreachable");
  const auto event = lifecycle_->history("CQ-1")->back();
  EXPECT_EQ(event.event, "operator_unreachable");
  EXPECT_NE(event.fields["attempts"].get<std::string>().find("查无此单位"), std::string::npos);  // the attempts are listed
  EXPECT_TRUE(deliveries_->hand_over_unreachable()->empty());  // once
}

TEST_F(NoticesTest, APublicationIsNeverSentBeforeItsApproval) {  // Art 62
  nonconforming();
  // A publication row without the organizer's approval (only a hand edit can make one: the lifecycle
  // itself refuses to publish unapproved) is refused by the deliveries too.
  testing::sql_exec(dir_ / "netsample.db",
                    "INSERT INTO outbox (case_id, kind, article, recipients, payload, created_utc_us) SELECT id, 'publication', 62, "
                    "'[\"platform\",\"network_supervision\"]', '{}', 0 FROM cases");
  auto receiver_owner = receiver_failing(0);
  auto& receiver = *receiver_owner;
  ASSERT_TRUE(parties_->put(*parse_parties(parties_file(receiver.url())), "os:test").ok());
  ASSERT_TRUE(deliveries_->deliver(make_sender(http_, std::nullopt), clock_.now()).ok());
  const auto all_3 = statuses();
  const NoticeStatus& publication = of_kind(all_3, "publication");
  EXPECT_EQ(publication.state, "refused");
  EXPECT_TRUE(publication.deliveries.empty());
  for (const auto& n : receiver.taken()) EXPECT_NE(n["notice"]["kind"], "publication");
}

TEST_F(NoticesTest, AWorkerKilledBetweenSendingAndItsReceiptStillDeliversOnce) {
  nonconforming();
  auto receiver_owner = receiver_failing(0);
  auto& receiver = *receiver_owner;
  receiver.hold(true);
  ASSERT_TRUE(parties_->put(*parse_parties(parties_file(receiver.url())), "os:test").ok());
  store_.reset();  // the worker processes own the data directory now
  const std::vector<std::string> worker = with_data({"notices", "deliver", "--first-backoff", "0"});
  {
    ChildProcess first(worker, dir_ / "worker-1.log");
    for (int i = 0; i < 300 && !receiver.holding(); ++i) std::this_thread::sleep_for(milliseconds(20));
    ASSERT_TRUE(receiver.holding()) << "the worker never sent";
    first.signal(SIGKILL);  // the notice reached the platform; its receipt was never recorded
    for (int i = 0; i < 100 && first.running(); ++i) std::this_thread::sleep_for(milliseconds(20));
  }
  receiver.hold(false);
  EXPECT_EQ(testing::sql_text(dir_ / "netsample.db", "SELECT state FROM notice_deliveries WHERE party_id = 'jd'"), "sending");
  const testing::ProcessResult second = testing::run_process(worker);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  // From the platform's side: two requests with one key, one notice.
  const auto keys = receiver.keys();
  std::map<std::string, int> per_key;
  for (const auto& k : keys) ++per_key[k];
  ASSERT_FALSE(per_key.empty());
  for (const auto& [key, count] : per_key) EXPECT_LE(count, 2) << key;
  std::set<std::string> kinds_taken;
  std::map<std::string, int> taken;
  for (const auto& n : receiver.taken()) ++taken[n["notice"]["kind"].get<std::string>() + "/" + n["recipient"]["party"].get<std::string>()];
  for (const auto& [what, count] : taken) EXPECT_EQ(count, 1) << what;
  EXPECT_EQ(testing::sql_text(dir_ / "netsample.db", "SELECT group_concat(DISTINCT state) FROM notice_deliveries WHERE channel = 'webhook'"), "delivered");
}

TEST_F(NoticesTest, TwoWorkersOverFiftyNoticesSendEachOnce) {
  // 25 cases sealed and tested nonconforming: 50 notices (the sampling document, Art 39; the result, Art 51), 75
  // webhook deliveries (the operator both, the platform the result).
  for (int i = 2; i <= 25; ++i) {
    json c = testing::sample_case("CQ-" + std::to_string(i));
    c["product"]["model"] = "QS-" + std::to_string(1700 + i);  // another product: Art 22 allows it
    ASSERT_TRUE(workflow::CaseRegistry(*store_).create(*workflow::parse_case(c, platforms_), "os:test", i).ok());
  }
  for (int i = 1; i <= 25; ++i) nonconforming("CQ-" + std::to_string(i));
  auto receiver_owner = receiver_failing(0);
  auto& receiver = *receiver_owner;
  json parties = parties_file(receiver.url());
  parties["parties"][2]["webhook"] = {{"url", receiver.url()}, {"secret", kSecret}};  // the operator
  ASSERT_TRUE(parties_->put(*parse_parties(parties), "os:test").ok());
  store_.reset();
  // Both workers are mid-send at once: the receiver holds its answers until the second has started too.
  receiver.hold(true);
  const std::vector<std::string> worker = with_data({"notices", "deliver", "--once", "--first-backoff", "0"});
  ChildProcess first(worker, dir_ / "worker-1.log");
  ChildProcess second(worker, dir_ / "worker-2.log");
  for (int i = 0; i < 500 && receiver.requests() < 2; ++i) std::this_thread::sleep_for(milliseconds(20));
  receiver.hold(false);
  for (int i = 0; i < 3000 && (first.running() || second.running()); ++i) std::this_thread::sleep_for(milliseconds(20));
  ASSERT_FALSE(first.running() || second.running()) << "the workers did not finish";
  auto log = [&](const char* name) {
    std::ifstream in(dir_ / name);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  SCOPED_TRACE("worker 1:\n" + log("worker-1.log") + "\nworker 2:\n" + log("worker-2.log") + "\n" +
               testing::sql_text(dir_ / "netsample.db", "SELECT group_concat(channel || ' ' || state || ' ' || attempts || ' ' || next_attempt_utc_us, '; ') FROM notice_deliveries"));
  std::map<std::string, int> per_key;
  for (const auto& k : receiver.keys()) ++per_key[k];
  EXPECT_EQ(per_key.size(), 75u);
  for (const auto& [key, count] : per_key) EXPECT_EQ(count, 1) << key << " sent by both workers";
  EXPECT_EQ(testing::sql_text(dir_ / "netsample.db", "SELECT count(*) FROM notice_deliveries WHERE channel = 'webhook' AND state = 'delivered'"), "75");
  // Each attempt's row names the worker that made it; both took some.
  EXPECT_EQ(testing::sql_text(dir_ / "netsample.db",
                              "SELECT count(DISTINCT json_extract(payload, '$.worker')) FROM audit_log WHERE action = 'notice.attempt'"),
            "2");
}

TEST_F(NoticesTest, TheWorkerExitsFiveWhileADeliveryIsDead) {
  nonconforming();
  auto receiver_owner = receiver_failing(1000);
  ASSERT_TRUE(parties_->put(*parse_parties(parties_file(receiver_owner->url())), "os:test").ok());
  store_.reset();
  const testing::ProcessResult run = testing::run_process(
      with_data({"notices", "deliver", "--max-attempts", "1", "--first-backoff", "0"}));
  EXPECT_EQ(run.exit_code, 5) << run.err;
  EXPECT_NE(run.err.find("死信"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace netsample::notices
