// Parcel tracking against a real HTTP server on 127.0.0.1 speaking Kuaidi100's real-time query format (it
// checks every signature), a real SQLite data directory and the lifecycle: collected → (a failed query, retried)
// → in transit → out for delivery → delivered, the case moving along; plus the poller's bounds and the
// generic JSON adapter.
#include <gtest/gtest.h>
#include <httplib.h>

#include "netsample/testing/loopback.h"

#include <atomic>
#include <mutex>
#include <thread>

#include "netsample/unboxing/parcels.h"
#include "netsample/unboxing/poller.h"
#include "netsample/unboxing/tracking.h"
#include "netsample/workflow/cases.h"
#include "netsample/workflow/roster.h"
#include "testing.h"

namespace netsample::unboxing {
namespace {

using nlohmann::json;
using namespace std::chrono;

constexpr const char* kCustomer = "NS-TEST-CUSTOMER";
constexpr const char* kKey = "test-key-not-a-secret";

TrackingConfig kuaidi_config(const std::string& url, const std::string& key = kKey) {
  auto config = parse_tracking_config(
      {{"providers", {{"kd100", {{"type", "kuaidi100"}, {"url", url}, {"customer", kCustomer}, {"key", key}}}}}, {"default_provider", "kd100"}}, "test");
  EXPECT_TRUE(config.ok()) << config.error().describe();
  return std::move(config).value();
}

TEST(Kuaidi100, TheSignIsUpperCaseMd5OfParamKeyCustomer) {
  EXPECT_EQ(kuaidi100_sign("a", "b", "c"), "900150983CD24FB0D6963F7D28E17F72");  // MD5("abc"), RFC 1321
}

class TrackerTest : public ::testing::Test {
 protected:
  TrackerTest() : clock_(beijing_midnight(year{2026} / 11 / 21) + hours{12}) {  // after the couriers' events
    store_ = std::move(store::Store::open(dir_.path(), clock_, testing::store_options(dir_.path()))).value();
    calendar_ = *workflow::Calendar::built_in();
    auto platforms = *workflow::PlatformRegistry::built_in();
    workflow::Roster people(*store_);
    EXPECT_TRUE(people.add(*workflow::parse_people(testing::sample_roster()), "os:test").ok());
    auto request = workflow::parse_case(testing::sample_case("CQ-1"), platforms);
    auto created = workflow::CaseRegistry(*store_).create(*request, "os:test", 1);
    lifecycle_ = std::make_unique<workflow::Lifecycle>(*store_, calendar_);
    const std::string sampler = created->draw->drawn.front();
    EXPECT_TRUE(lifecycle_->apply_event("CQ-1", "start_purchase", json::object(), sampler).ok());
    EXPECT_TRUE(lifecycle_->apply_event("CQ-1", "order_placed", {{"order_number", "DS202611200001"}}, sampler).ok());
    options_.interval = minutes(30);
    options_.first_backoff = seconds(60);
  }
  std::string state() { return workflow::CaseRegistry(*store_).show("CQ-1")->state; }

  testing::TempDir dir_;
  ManualClock clock_;
  std::unique_ptr<store::Store> store_;
  workflow::Calendar calendar_;
  std::unique_ptr<workflow::Lifecycle> lifecycle_;
  TrackerOptions options_;
};

TEST_F(TrackerTest, AParcelIsFollowedToDeliveryThroughAFailureAndTheCaseMovesAlong) {
  auto started = loopback::CourierService::start(kCustomer, kKey);
  ASSERT_TRUE(started.ok());
  loopback::CourierService& courier = **started;
  const std::vector<std::pair<std::string, std::string>> e1 = {{"2026-11-20 18:02:11", "【重庆市】顺丰速运 已收取快件"}};
  auto e2 = e1;
  e2.push_back({"2026-11-21 03:15:40", "【重庆转运中心】快件已发出"});
  auto e3 = e2;
  e3.push_back({"2026-11-21 08:30:00", "【渝中区】快件交给张师傅，正在派送途中"});
  auto e4 = e3;
  e4.push_back({"2026-11-21 11:47:05", "【渝中区】快件已签收，签收人：市场监管局收样室"});
  courier.script("SF1234567890",
                 {loopback::kuaidi100_answer(1, e1), 502, loopback::kuaidi100_answer(0, e2), loopback::kuaidi100_answer(5, e3), loopback::kuaidi100_answer(3, e4, true)},
                 "1234");
  const TrackingConfig config = kuaidi_config(courier.url());
  ParcelTracker tracker(*store_, *lifecycle_, config, options_);

  auto added = tracker.add("CQ-1", {"shunfeng", "SF1234567890", "1234"}, "S1");
  ASSERT_TRUE(added.ok()) << added.error().describe();
  EXPECT_EQ(state(), "in_transit");  // the shop has shipped (Art 32)

  auto round = [&] { return tracker.poll(clock_.now()); };
  ASSERT_EQ(round()->changed, 1);
  EXPECT_EQ(tracker.of_case("CQ-1")->front().status, ParcelStatus::collected);
  // Not due again before the interval: no query.
  clock_.advance(minutes(10));
  EXPECT_EQ(round()->polled, 0);
  clock_.advance(minutes(20));
  auto failed = round();
  EXPECT_EQ(failed->failed, 1);
  auto after_failure = tracker.of_case("CQ-1")->front();
  EXPECT_EQ(after_failure.failures, 1);
  EXPECT_EQ(after_failure.next_poll, clock_.now() + seconds(60));  // backoff, not the normal interval
  EXPECT_TRUE(after_failure.alert.empty());                       // one failure is not yet an alert
  clock_.advance(seconds(60));
  EXPECT_EQ(round()->changed, 1);
  clock_.advance(minutes(30));
  EXPECT_EQ(round()->changed, 1);
  clock_.advance(minutes(30));
  auto last = round();
  ASSERT_TRUE(last.ok()) << last.error().describe();
  EXPECT_EQ(last->delivered, 1);

  const ParcelView parcel = tracker.of_case("CQ-1")->front();
  EXPECT_EQ(parcel.status, ParcelStatus::delivered);
  EXPECT_TRUE(parcel.final);
  ASSERT_EQ(parcel.events.size(), 4u);  // each event once, although read up to four times
  EXPECT_EQ(format_beijing(parcel.events.back().time), "2026-11-21 11:47:05.000 +08:00");
  EXPECT_EQ(state(), "received");
  auto history = lifecycle_->history("CQ-1");
  EXPECT_EQ(history->back().fields["delivered_date"], "2026-11-21");

  // No polling after delivery.
  const int requests = courier.requests();
  clock_.advance(hours(5));
  EXPECT_EQ(tracker.poll(clock_.now(), /*all=*/true)->polled, 0);
  EXPECT_EQ(courier.requests(), requests);
  EXPECT_FALSE(tracker.next_due()->has_value());
  EXPECT_EQ(courier.bad_signatures(), 0);
  EXPECT_TRUE(store_->audit().verify()->intact);
}

TEST_F(TrackerTest, AReturnIsAnAlertAndEndsPolling) {
  auto courier = std::move(loopback::CourierService::start(kCustomer, kKey)).value();
  courier->script("SF1234567890", {loopback::kuaidi100_answer(6, {{"2026-11-21 10:00:00", "收件人拒收，快件退回中"}})}, "1234");
  const TrackingConfig config = kuaidi_config(courier->url());
  ParcelTracker tracker(*store_, *lifecycle_, config, options_);
  ASSERT_TRUE(tracker.add("CQ-1", {"shunfeng", "SF1234567890", "1234"}, "S1").ok());
  ASSERT_TRUE(tracker.poll(clock_.now()).ok());
  const ParcelView parcel = tracker.of_case("CQ-1")->front();
  EXPECT_EQ(parcel.status, ParcelStatus::returning);
  EXPECT_NE(parcel.alert.find("退回中"), std::string::npos) << parcel.alert;
  EXPECT_EQ(state(), "in_transit");  // never "received"
}

TEST_F(TrackerTest, FailuresThatPersistAreAnAlertWithTheProvidersOwnWords) {
  auto courier = std::move(loopback::CourierService::start(kCustomer, kKey)).value();
  const TrackingConfig config = kuaidi_config(courier->url(), "a-wrong-key");
  ParcelTracker tracker(*store_, *lifecycle_, config, options_);
  ASSERT_TRUE(tracker.add("CQ-1", {"shunfeng", "SF1234567890", "1234"}, "S1").ok());
  std::vector<UtcTime> due;
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(tracker.poll(clock_.now(), true)->failed, 1);
    due.push_back(tracker.of_case("CQ-1")->front().next_poll);
    clock_.set(due.back());
  }
  const ParcelView parcel = tracker.of_case("CQ-1")->front();
  EXPECT_EQ(parcel.failures, 3);
  EXPECT_NE(parcel.alert.find("验证签名失败"), std::string::npos) << parcel.alert;
  EXPECT_NE(parcel.last_error.find("503"), std::string::npos);
  EXPECT_GT(due[2] - due[1], due[1] - due[0]);  // exponential backoff
  EXPECT_EQ(courier->bad_signatures(), 3);
}

TEST_F(TrackerTest, RefusalsNameTheField) {
  const TrackingConfig config = kuaidi_config("http://127.0.0.1:9/poll/query.do");  // never asked
  ParcelTracker tracker(*store_, *lifecycle_, config, options_);
  EXPECT_EQ(tracker.add("CQ-1", {"SF Express", "SF1", ""}, "S1").error().field, "courier");
  EXPECT_EQ(tracker.add("CQ-1", {"shunfeng", "SF 1", ""}, "S1").error().field, "number");
  EXPECT_EQ(tracker.add("CQ-9", {"shunfeng", "SF1", ""}, "S1").error().code, ErrorCode::not_found);
  ASSERT_TRUE(tracker.add("CQ-1", {"shunfeng", "SF1", "1234"}, "S1").ok());
  EXPECT_EQ(tracker.add("CQ-1", {"shunfeng", "SF1", "1234"}, "S1").error().code, ErrorCode::duplicate);
  const TrackingConfig none;
  ParcelTracker unconfigured(*store_, *lifecycle_, none, options_);
  auto missing = unconfigured.add("CQ-1", {"zhongtong", "ZT1", ""}, "S1");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("tracking.json"), std::string::npos);
}

TEST(Poller, KeepsToTheConcurrencyBoundAndEachProvidersRateLimit) {
  httplib::Server http;
  std::atomic<int> in_flight{0}, most{0};
  std::mutex mutex;
  std::map<std::string, steady_clock::time_point> starts;
  http.Get("/track", [&](const httplib::Request& req, httplib::Response& res) {
    {
      std::lock_guard lock(mutex);
      starts[req.get_param_value("no")] = steady_clock::now();
    }
    const int now = ++in_flight;
    for (int m = most.load(); now > m && !most.compare_exchange_weak(m, now);) {
    }
    std::this_thread::sleep_for(milliseconds(150));
    --in_flight;
    res.set_content(R"({"status": "IN_TRANSIT", "events": [{"time": "2026-11-21 03:15:40", "context": "运输中"}]})", "application/json");
  });
  const int port = http.bind_to_any_port("127.0.0.1");
  std::thread server([&] { http.listen_after_bind(); });
  while (!http.is_running()) std::this_thread::sleep_for(milliseconds(1));

  GenericJsonConfig g;
  g.url = "http://127.0.0.1:" + std::to_string(port) + "/track?no={number}";
  g.statuses = {{"IN_TRANSIT", ParcelStatus::in_transit}};
  auto fast = make_generic_json("fast", g);
  auto slow = make_generic_json("slow", g);
  slow->min_interval = milliseconds(250);
  std::vector<PollJob> jobs;
  for (int i = 0; i < 6; ++i) jobs.push_back({i, {"acme", "A" + std::to_string(i), ""}, i < 3 ? fast.get() : slow.get()});
  const auto results = poll_parcels(jobs, PollerOptions{2, seconds(10)});
  http.stop();
  server.join();

  ASSERT_EQ(results.size(), 6u);
  for (size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(results[i].id, static_cast<std::int64_t>(i));
    ASSERT_TRUE(std::holds_alternative<TrackingAnswer>(results[i].outcome));
    EXPECT_EQ(std::get<TrackingAnswer>(results[i].outcome).status, ParcelStatus::in_transit);
  }
  EXPECT_LE(most.load(), 2);
  EXPECT_EQ(most.load(), 2);  // and it did run two at once
  // The slow provider's requests are at least its 250 ms apart.
  ASSERT_EQ(starts.size(), 6u);
  EXPECT_GE(starts["A4"] - starts["A3"], milliseconds(240));
  EXPECT_GE(starts["A5"] - starts["A4"], milliseconds(240));
}

TEST(TrackingConfigFile, MistakesAreNamed) {
  auto no_key = parse_tracking_config({{"providers", {{"kd", {{"type", "kuaidi100"}, {"customer", "c"}}}}}}, "tracking.json");
  ASSERT_FALSE(no_key.ok());
  EXPECT_EQ(no_key.error().field, "tracking.json: providers.kd.key");
  auto bad_status = parse_tracking_config({{"providers", {{"acme", {{"type", "json"}, {"url", "http://x/{number}"}, {"statuses", {{"OK", "arrived"}}}}}}}},
                                          "tracking.json");
  ASSERT_FALSE(bad_status.ok());
  EXPECT_EQ(bad_status.error().field, "tracking.json: providers.acme.statuses.OK");
  auto bad_courier = parse_tracking_config({{"couriers", {{"acme", "nowhere"}}}}, "tracking.json");
  EXPECT_EQ(bad_courier.error().field, "tracking.json: couriers.acme");
}

}  // namespace
}  // namespace netsample::unboxing
