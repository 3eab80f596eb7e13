// netsample serve against a real data directory on 127.0.0.1: the route table and its OpenAPI document,
// credentials and scope for every route, CSRF, sign-in limits, errors as the CLI's, evidence over HTTP (Range,
// ETag, 304, If-Range, a 1 GB file with flat memory), an independent player seeking with a token, many idle
// keep-alive connections, review findings, /metrics, and SIGTERM letting a download finish.
//
// One process for the whole suite (ctest runs it as one test): the data directory — a case bought, delivered
// and unboxed through the real command line, a 1 GB piece of evidence — is made once.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <httplib.h>
#include <zip.h>

#include <atomic>
#include <fstream>
#include <future>
#include <set>

#include "netsample/accounts/accounts.h"
#include "netsample/core/http.h"
#include "netsample/core/sha256.h"
#include "netsample/core/tsa.h"
#include "netsample/demo/shop.h"
#include "netsample/purchase/session.h"
#include "netsample/runtime/runtime.h"
#include "netsample/server/server.h"
#include "netsample/store/audit.h"
#include "netsample/testing/loopback.h"
#include "testing.h"

namespace netsample {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::ProcessResult;

// Everyone the tests sign in as. CQ-S1 is bought by its drawn samplers, tested by L1, reviewed by R1 and its
// result handled by yubei-amr's D1; CQ-S2 has only its samplers. L2, R2, D2 and O9 see neither.
json server_roster() {
  json people = testing::sample_roster()["people"];
  for (auto& p : people)  // every sampler can test too, so that Art 16 has something to refuse
    if (p["roles"].size() == 1 && p["roles"][0] == "sampler") p["roles"].push_back("tester");
  people.push_back({{"id", "S9"}, {"name", "外地抽样"}, {"org", "wanzhou-amr"}, {"roles", {"sampler"}}});
  people.push_back({{"id", "S8"}, {"name", "外地抽样二"}, {"org", "wanzhou-amr"}, {"roles", {"sampler"}}});
  people.push_back({{"id", "O1"}, {"name", "周处长"}, {"org", "cq-amr"}, {"roles", {"organizer"}}});
  people.push_back({{"id", "O9"}, {"name", "外地处长"}, {"org", "wanzhou-amr"}, {"roles", {"organizer"}}});
  people.push_back({{"id", "R1"}, {"name", "孙审看"}, {"org", "cq-review"}, {"roles", {"reviewer"}}});
  people.push_back({{"id", "R2"}, {"name", "钱审看"}, {"org", "cq-review"}, {"roles", {"reviewer"}}});
  people.push_back({{"id", "D1"}, {"name", "吴科长"}, {"org", "yubei-amr"}, {"roles", {"district"}}});
  people.push_back({{"id", "D2"}, {"name", "郑科长"}, {"org", "jiangbei-amr"}, {"roles", {"district"}}});
  people.push_back({{"id", "A1"}, {"name", "系统管理员"}, {"org", "cq-it"}, {"roles", {"reviewer"}}});
  return {{"people", people}};
}

struct World {
  testing::TempDir dir;
  testing::TestTsa tsa;
  std::unique_ptr<loopback::CourierService> courier;
  std::map<std::string, std::string> token;     // login -> API token
  std::map<std::string, std::string> password;  // login -> first password
  std::string sampler;                          // a drawn sampler of CQ-S1
  std::string other_sampler;                    // a sampler drawn for neither case
  std::string unboxing;                         // recording id of CQ-S1's unboxing
  std::string video_sha256;
  std::string still_name;  // one still of the unboxing
  json seal_photos;        // the demo video's two seal photos: [{seal_number, file}]
  std::uint64_t video_size = 0;
  std::int64_t big_evidence = 0;  // id of the 1 GB item
  std::string big_sha256;
  // The access log before the service that writes to it: members go in reverse order, the service first.
  std::vector<std::string> log;
  std::mutex log_mutex;
  std::unique_ptr<server::Server> server;

  fs::path data() const { return dir.path() / "data"; }

  ProcessResult run(std::vector<std::string> args, const std::string& as = "") {
    std::vector<std::string> argv = {NETSAMPLE_BIN, "--data", data().string()};
    if (!as.empty()) argv.insert(argv.end(), {"--as", as});
    argv.insert(argv.end(), args.begin(), args.end());
    ProcessResult result = testing::run_process(argv);
    if (result.exit_code != 0) ADD_FAILURE() << "netsample " << args[0] << ": " << result.err;
    return result;
  }
  fs::path write(const std::string& name, const json& doc) {
    testing::write_text(dir.path() / name, doc.dump());
    return dir.path() / name;
  }
};

World* world = nullptr;

void build_world() {
  world = new World;
  World& w = *world;
  fs::create_directories(w.data());
  w.courier = std::move(loopback::CourierService::start("NS-TEST", "test-key")).value();
  // The demo shop is a platform served on this machine: the only loopback address the service captures from.
  testing::write_text(w.data() / "platforms.json",
                      R"({"platforms": [{"code": "demo-shop", "name": "演示商城", "hosts": ["127.0.0.1"], "local": true}]})");
  testing::write_text(w.data() / "tracking.json",
                      json{{"providers", {{"kd", {{"type", "kuaidi100"}, {"url", w.courier->url()}, {"customer", "NS-TEST"}, {"key", "test-key"}}}}},
                           {"default_provider", "kd"}}
                          .dump());
  w.run({"roster", "add", "--file", w.write("roster.json", server_roster()).string()});
  json first = testing::sample_case("CQ-S1");
  first["district"] = "yubei-amr";
  w.run({"case", "create", "--file", w.write("s1.json", first).string()});
  w.run({"case", "create", "--file", w.write("s2.json", testing::sample_case("CQ-S2")).string()});
  w.run({"case", "assign", "CQ-S1", "--tester", "L1"});
  w.run({"case", "assign", "CQ-S1", "--reviewer", "R1"});
  const json view = json::parse(w.run({"case", "show", "CQ-S1", "--json"}).out);
  std::set<std::string> drawn;
  for (const auto& p : view["people"])
    if (p["role"] == "sampler") drawn.insert(p["id"].get<std::string>());
  w.sampler = *drawn.begin();
  w.other_sampler = "S9";  // of another unit's roster: never drawn for cq-amr's cases

  // Bought, delivered, unboxed on an imported video with every Art 36 step, accepted.
  w.run({"case", "event", "CQ-S1", "start_purchase"}, w.sampler);
  w.run({"case", "event", "CQ-S1", "order_placed", "--file", w.write("order.json", {{"order_number", "DS-1"}}).string()}, w.sampler);
  const UtcTime now = SystemClock().now();
  auto shown = [&](int minutes_ago) { return format_beijing(now - std::chrono::minutes(minutes_ago)).substr(0, 19); };
  w.courier->script("SF1234567890", {loopback::kuaidi100_answer(3, {{shown(3), "已收取快件"}, {shown(1), "快件已签收"}}, true)});
  w.run({"track", "add", "CQ-S1", "--courier", "shunfeng", "--number", "SF1234567890"});
  w.run({"track", "poll", "--once"});
  const json made = json::parse(w.run({"unbox", "demo-video", "--out", (w.dir.path() / "unboxing.mp4").string(), "--number", "SF1234567890", "--json"}).out);
  const json started = json::parse(
      w.run({"unbox", "start", "--case", "CQ-S1", "--source", "file:" + (w.dir.path() / "unboxing.mp4").string(), "--tsa", w.tsa.url(),
             "--trust", w.tsa.ca_file().string(), "--json"},
            w.sampler)
          .out);
  w.unboxing = "unboxing-" + std::to_string(started["id"].get<int>());
  w.video_sha256 = started["video_sha256"];
  w.still_name = fs::path(started["steps"][0]["still"].get<std::string>()).filename().string();
  w.video_size = fs::file_size(w.dir.path() / "unboxing.mp4");
  w.seal_photos = made["seal_photos"];
  for (const auto& scene : made["scenes"]) {
    if (scene["step"] == "waybill") continue;
    const double middle = (scene["from_s"].get<double>() + scene["to_s"].get<double>()) / 2;
    w.run({"unbox", "mark", scene["step"], "--case", "CQ-S1", "--at", std::to_string(middle)}, w.sampler);
  }

  // Accounts and tokens for everyone; a party's account; the administrator.
  auto runtime = std::move(runtime::Runtime::open(w.data())).value();
  accounts::Accounts accounts(runtime->store());
  const json roster = server_roster();
  for (const auto& person : roster["people"]) {
    const std::string id = person["id"];
    auto issued = accounts.add_person(id, id == "A1", "os:test");
    ASSERT_TRUE(issued.ok()) << issued.error().describe();
    w.password[id] = issued->secret;
    w.token[id] = accounts.create_token(id, std::nullopt, "os:test")->secret;
  }
  testing::write_text(w.dir.path() / "parties.json",
                      json{{"parties", {{{"id", "jd"}, {"kind", "platform"}, {"name", "京东"}, {"platform", "jd"}, {"email", "notice@jd.example"}}}}}.dump());
  w.run({"notices", "parties", "add", "--file", (w.dir.path() / "parties.json").string()});
  ASSERT_TRUE(accounts.add_party("jd", "os:test").ok());
  w.token["party:jd"] = accounts.create_token("party:jd", 30, "os:test")->secret;

  // 1 GB of evidence, to stream.
  const fs::path big = w.dir.path() / "big.bin";
  {
    std::ofstream out(big, std::ios::binary);
    std::string block(1 << 20, '\0');
    for (int i = 0; i < 1024; ++i) {
      for (size_t j = 0; j < block.size(); j += 4096) block[j] = static_cast<char>(i + j / 4096);
      out.write(block.data(), static_cast<std::streamsize>(block.size()));
    }
  }
  // On the other case, so that CQ-S1's bundle stays small.
  const auto view_id = runtime->cases().show("CQ-S2")->id;
  auto item = runtime->store().add_evidence(view_id, "CQ-S2", big, "attachment", "os:test");
  ASSERT_TRUE(item.ok()) << item.error().describe();
  w.big_evidence = item->id;
  w.big_sha256 = item->sha256;
  fs::remove(big);

  server::ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.threads = 4;
  options.max_body_bytes = 64 << 10;
  options.max_upload_bytes = 16 << 20;
  options.background_interval = std::chrono::seconds(0);  // one test starts a service that works on its own
  options.netsample_program = NETSAMPLE_BIN;
  options.tsa_trust = w.tsa.ca_file().string();  // the TSA the unboxing is stamped by
  options.access_log = [](const std::string& line) {
    std::lock_guard lock(world->log_mutex);
    world->log.push_back(line);
  };
  auto started_server = server::Server::start(w.data(), options);
  ASSERT_TRUE(started_server.ok()) << started_server.error().describe();
  w.server = std::move(started_server).value();
}

class Environment : public ::testing::Environment {
 public:
  void SetUp() override { build_world(); }
  void TearDown() override {
    delete world;
    world = nullptr;
  }
};
const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new Environment);

httplib::Client client() {
  httplib::Client c("127.0.0.1", world->server->port());
  c.set_read_timeout(60, 0);
  return c;
}

httplib::Headers bearer(const std::string& login) { return {{"Authorization", "Bearer " + world->token.at(login)}}; }

httplib::Result get(const std::string& path, const std::string& login, httplib::Headers more = {}) {
  httplib::Headers headers = login.empty() ? httplib::Headers{} : bearer(login);
  headers.insert(more.begin(), more.end());
  return client().Get(path, headers);
}

httplib::Result post(const std::string& path, const std::string& login, const json& body, httplib::Headers more = {}) {
  httplib::Headers headers = login.empty() ? httplib::Headers{} : bearer(login);
  headers.insert(more.begin(), more.end());
  return client().Post(path, headers, body.dump(), "application/json");
}

json body_of(const httplib::Result& r) { return json::parse(r->body, nullptr, false); }

// A path for each route pattern, with its placeholders filled for CQ-S1.
std::string concrete(const std::string& pattern) {
  std::string out = pattern;
  const std::map<std::string, std::string> values = {{"{number}", "CQ-S1"}, {"{id}", world->unboxing}, {"{event}", "report_conforming"},
                                                     {"{name}", world->still_name}, {"{notice}", "1"},  {"{login}", "O1"}, {"{file}", "app.js"}};
  for (const auto& [key, value] : values)
    for (size_t at; (at = out.find(key)) != std::string::npos;) out.replace(at, key.size(), value);
  if (pattern == "/api/evidence/{id}") out = "/api/evidence/" + std::to_string(world->big_evidence);
  return out;
}

httplib::Result request(const std::string& method, const std::string& path, const httplib::Headers& headers, const std::string& body = "{}") {
  auto c = client();
  if (method == "GET") return c.Get(path, headers);
  if (method == "DELETE") return c.Delete(path, headers);
  if (method == "PUT") return c.Put(path, headers, body, "application/json");
  return c.Post(path, headers, body, "application/json");
}

TEST(Server, EveryRouteIsInTheOpenApiDocumentAndEveryDocumentedRouteExists) {
  const json doc = json::parse(server::openapi_document());
  ASSERT_EQ(doc["openapi"].get<std::string>().substr(0, 2), "3.");
  std::set<std::string> served, documented;
  for (const auto& r : server::route_table()) served.insert(r.method + " " + r.pattern);
  for (const auto& [path, operations] : doc["paths"].items())
    for (const auto& [method, op] : operations.items()) {
      std::string upper = method;
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      documented.insert(upper + " " + path);
      EXPECT_TRUE(op.contains("responses")) << path;
    }
  EXPECT_EQ(served, documented);
  // The document served is that document.
  auto r = get("/api/openapi.json", "");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body), doc);
  for (const char* fixed : {"GET /healthz", "GET /metrics", "GET /api/cases", "GET /api/cases/{number}", "GET /api/cases/{number}/recordings",
                            "GET /api/recordings/{id}/video", "GET /api/recordings/{id}/chapters.vtt", "POST /api/cases/{number}/events/{event}"})
    EXPECT_TRUE(served.count(fixed)) << fixed;
}

TEST(Server, EveryRouteRefusesNoOrAWrongCredentialWith401) {
  for (const auto& route : server::route_table()) {
    if (route.access == "anyone") continue;
    const std::string path = concrete(route.pattern);
    auto none = request(route.method, path, {});
    ASSERT_TRUE(none) << path;
    EXPECT_EQ(none->status, 401) << route.method << " " << path;
    EXPECT_EQ(body_of(none)["error"]["code"], "unauthenticated") << path;
    EXPECT_TRUE(none->has_header("WWW-Authenticate"));
    auto wrong = request(route.method, path, {{"Authorization", "Bearer nst_" + std::string(64, '0')}});
    EXPECT_EQ(wrong->status, 401) << route.method << " " << path;
    auto garbage = request(route.method, path, {{"Cookie", "netsample_session=forged"}});
    EXPECT_EQ(garbage->status, 401) << route.method << " " << path;
  }
}

TEST(Server, OutsideTheirScopeEveryCaseRouteIs404LikeACaseThatDoesNotExist) {
  const std::vector<std::string> outsiders = {"L2", "R2", "D2", "O9", world->other_sampler, "party:jd"};
  for (const auto& route : server::route_table()) {
    const bool of_a_case = route.pattern.find("{number}") != std::string::npos || route.pattern.find("{id}") != std::string::npos ||
                           route.pattern.find("/api/notices/") == 0;
    if (!of_a_case || route.access != "signed_in") continue;
    for (const auto& login : outsiders) {
      auto r = request(route.method, concrete(route.pattern), bearer(login));
      ASSERT_TRUE(r);
      EXPECT_EQ(r->status, 404) << login << " " << route.method << " " << concrete(route.pattern) << " " << r->body;
    }
  }
  // The same answer as for a case that does not exist: nothing tells the one from the other.
  auto hidden = get("/api/cases/CQ-S1", "L2");
  auto missing = get("/api/cases/CQ-NONE", "L2");
  EXPECT_EQ(body_of(hidden)["error"]["code"], body_of(missing)["error"]["code"]);
  auto list = get("/api/cases", "L2");
  EXPECT_EQ(body_of(list)["total"], 0);
}

TEST(Server, EveryRouteAnswersSomeoneWhoMayUseIt) {
  // The organizer of both cases for the routes of a case, the reviewer for a recording's review, the party for
  // what was published to it, the administrator for the administrator's routes.
  for (const auto& route : server::route_table()) {
    if (route.pattern.find("{notice}") != std::string::npos) continue;  // this data directory owes no notice yet
    if (route.pattern == "/api/jobs/{id}") continue;                        // a job of the caller's: tested with the unboxing
    std::string login = route.access == "admin" ? "A1" : "O1";
    if (route.pattern.find("/findings") != std::string::npos || route.pattern.find("/verdict") != std::string::npos) login = "R1";
    if (route.pattern == "/api/published") login = "party:jd";
    if (route.method == "DELETE" || route.pattern == "/api/accounts") continue;  // signing out and new accounts: tested on their own
    if (route.access == "station") continue;  // a station's token, not a person's: tests/e2e/sync_e2e_test.cc
    if (route.pattern.find("/live/") != std::string::npos) continue;  // a recording a station sent: sync_e2e_test too
    // A station's case reviewed at the centre: purchase_e2e_test's TheDemoCaseTravelsToTheCentreAndVerifiesThere.
    if (route.pattern.starts_with("/api/station-cases/")) continue;
    const std::string body = route.pattern.find("/findings") != std::string::npos ? R"({"media_ms": 100, "severity": "info", "note": "遍历"})"
                             : route.pattern.find("/verdict") != std::string::npos ? R"({"verdict": "no_doubts"})"
                             : route.pattern == "/api/roster"                    ? R"({"people": []})"
                                                                                 : "{}";
    auto r = request(route.method, concrete(route.pattern), bearer(login), body);
    ASSERT_TRUE(r) << route.pattern;
    EXPECT_TRUE(r->status != 401 && r->status != 403 && r->status != 404 && r->status < 500)
        << login << " " << route.method << " " << concrete(route.pattern) << " -> " << r->status << " " << r->body.substr(0, 300);
  }
}

TEST(Server, EachRoleSeesItsOwnCases) {
  auto numbers = [](const std::string& login) {
    std::set<std::string> out;
    const json page = body_of(get("/api/cases", login));
    for (const auto& item : page["items"]) out.insert(item["number"]);
    return out;
  };
  using Set = std::set<std::string>;
  EXPECT_EQ(numbers("O1"), (Set{"CQ-S1", "CQ-S2"}));   // its organization's
  EXPECT_EQ(numbers("A1"), (Set{"CQ-S1", "CQ-S2"}));   // an administrator: all
  EXPECT_EQ(numbers(world->sampler).count("CQ-S1"), 1u);  // drawn for it
  EXPECT_EQ(numbers("L1"), (Set{"CQ-S1"}));            // assigned to test it
  EXPECT_EQ(numbers("R1"), (Set{"CQ-S1"}));            // given it to review
  EXPECT_EQ(numbers("D1"), (Set{"CQ-S1"}));            // its district bureau (Art 63)
  EXPECT_EQ(numbers("D2"), Set{});
  EXPECT_EQ(numbers("party:jd"), Set{});               // a platform sees only what was published to it
  for (const char* login : {"O1", "L1", "R1", "D1"}) {
    auto r = get("/api/cases/CQ-S1", login);
    EXPECT_EQ(r->status, 200) << login;
  }
  auto shown = body_of(get("/api/cases/CQ-S1", "L1"));
  EXPECT_EQ(shown["number"], "CQ-S1");
  EXPECT_TRUE(shown.contains("available_events"));
  auto published = get("/api/published", "party:jd");
  EXPECT_EQ(published->status, 200);
  EXPECT_EQ(get("/api/published", "O1")->status, 404);
  auto paged = body_of(get("/api/cases?limit=1&offset=1", "O1"));
  EXPECT_EQ(paged["total"], 2);
  EXPECT_EQ(paged["items"].size(), 1u);
  EXPECT_EQ(body_of(get("/api/cases?q=CQ-S2", "O1"))["items"][0]["number"], "CQ-S2");
  EXPECT_EQ(get("/api/cases?limit=0", "O1")->status, 400);
  EXPECT_EQ(body_of(get("/api/cases?state=nowhere", "O1"))["error"]["field"], "state");
}

TEST(Server, AdministratorRoutesAreForbiddenToOthers) {
  for (const auto& route : server::route_table()) {
    if (route.access != "admin") continue;
    auto r = request(route.method, concrete(route.pattern), bearer("O1"), "{\"people\": []}");
    EXPECT_EQ(r->status, 403) << route.pattern;
    EXPECT_EQ(body_of(r)["error"]["code"], "forbidden");
  }
  EXPECT_EQ(get("/metrics", "A1")->status, 200);
  auto verified = body_of(get("/api/audit/verify", "A1"));
  EXPECT_TRUE(verified.contains("chain")) << verified.dump();
}

TEST(Server, LifecycleEventsAreTheCommandLinesWithItsRolesAndErrors) {
  // CQ-S2 is planned: only its drawn sampler may start the purchase (Art 20); the error names the rule.
  auto lifecycle = body_of(get("/api/lifecycle", "O1"));
  EXPECT_FALSE(lifecycle["transitions"].empty());
  auto refused = post("/api/cases/CQ-S2/events/start_purchase", "O1", json::object());
  EXPECT_EQ(refused->status, 409) << refused->body;
  EXPECT_EQ(body_of(refused)["error"]["code"], "refused_by_rule");
  auto unknown = post("/api/cases/CQ-S2/events/fly_away", "O1", json::object());
  EXPECT_EQ(unknown->status, 400);
  EXPECT_EQ(body_of(unknown)["error"]["field"], "event");
  auto malformed = client().Post("/api/cases/CQ-S2/events/start_purchase", bearer("O1"), "{not json", "application/json");
  EXPECT_EQ(malformed->status, 400);
  EXPECT_EQ(body_of(malformed)["error"]["code"], "malformed_json");
  auto not_object = client().Post("/api/cases/CQ-S2/assign", bearer("O1"), "[1, 2]", "application/json");
  EXPECT_EQ(body_of(not_object)["error"]["code"], "wrong_type");
  auto wrong_type = post("/api/cases/CQ-S2/assign", "O1", {{"tester", 7}});
  EXPECT_EQ(wrong_type->status, 400);
  EXPECT_EQ(body_of(wrong_type)["error"]["field"], "tester");
  // Art 16: a sampler of the case is never its tester; the article comes with the error.
  const json s2 = body_of(get("/api/cases/CQ-S2", "O1"));
  std::string s2_sampler;
  for (const auto& p : s2["people"])
    if (p["role"] == "sampler") s2_sampler = p["id"];
  auto art16 = post("/api/cases/CQ-S2/assign", "O1", {{"tester", s2_sampler}});
  EXPECT_EQ(art16->status, 409);
  EXPECT_EQ(body_of(art16)["error"]["article"], 16) << art16->body;
  auto form = client().Post("/api/cases/CQ-S2/assign", bearer("O1"), "tester=L2", "application/x-www-form-urlencoded");
  EXPECT_EQ(form->status, 400);
  EXPECT_EQ(body_of(form)["error"]["field"], "Content-Type");
  auto started = post("/api/cases/CQ-S2/events/start_purchase", s2_sampler, json::object());
  EXPECT_EQ(started->status, 200) << started->body;
  EXPECT_EQ(body_of(started)["state"], "purchasing");
  // Never a stack trace or an exception's text: every error body is the one JSON form.
  for (const auto* r : {&refused, &unknown, &malformed, &wrong_type, &art16}) {
    const json e = body_of(*r)["error"];
    EXPECT_TRUE(e.contains("code") && e.contains("field") && e.contains("message") && e.contains("article")) << (*r)->body;
  }
}

// The reading routes answer from a per-thread cache (view_cache.h); whatever changes, from this process or
// another, and whichever worker thread answers, the next answer shows it, and a revoked token is refused.
TEST(Server, AnswersOfReadingRoutesAreNeverStaleAndARevokedTokenIsRefusedAtOnce) {
  auto names = [](const std::string& login) {
    std::set<std::string> out;
    for (int i = 0; i < 8; ++i) {  // fresh connections: every worker thread answers some of them
      auto r = get("/api/roster", login);
      EXPECT_EQ(r->status, 200);
      std::set<std::string> ids;
      const json body = body_of(r);
      for (const auto& p : body["people"]) ids.insert(p["id"].get<std::string>());
      if (i == 0) out = ids;
      EXPECT_EQ(ids, out) << "answer " << i << " differs from the first";
    }
    return out;
  };
  EXPECT_FALSE(names("O1").count("O3"));
  // Changed by another process (the command line)…
  world->run({"roster", "add", "--file", world->write("o3.json", {{"people", {{{"id", "O3"}, {"name", "新处长"}, {"org", "cq-amr"}, {"roles", {"organizer"}}}}}}).string()});
  EXPECT_TRUE(names("O1").count("O3"));
  // …and through the service itself.
  auto added = post("/api/roster", "A1", {{"people", {{{"id", "O4"}, {"name", "又一处长"}, {"org", "cq-amr"}, {"roles", {"organizer"}}}}}});
  ASSERT_EQ(added->status, 200) << added->body;
  EXPECT_TRUE(names("O1").count("O4"));

  // A token answered from the cache a moment ago is refused once revoked.
  auto runtime = std::move(runtime::Runtime::open(world->data())).value();
  accounts::Accounts accounts(runtime->store());
  ASSERT_TRUE(accounts.add_person("O3", false, "os:test").ok());
  world->token["O3"] = accounts.create_token("O3", std::nullopt, "os:test")->secret;
  for (int i = 0; i < 4; ++i) EXPECT_EQ(get("/api/roster", "O3")->status, 200);
  world->run({"token", "revoke", "O3"});
  for (int i = 0; i < 8; ++i) EXPECT_EQ(get("/api/roster", "O3")->status, 401);
}

TEST(Server, OversizeBodiesAre413AndPathsCannotClimbOutOfTheirRoute) {
  const std::string big(100 << 10, 'x');
  auto r = client().Post("/api/cases", bearer("O1"), "{\"x\": \"" + big + "\"}", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(body_of(r)["error"]["code"], "too_large");
  const std::vector<std::string> climbing = {"/api/recordings/" + world->unboxing + "/stills/..%2F..%2F..%2Fnetsample.db",
                                             "/api/recordings/" + world->unboxing + "/stills/%2e%2e", "/api/recordings/../../netsample.db",
                                             "/api/evidence/..%2F1", "/api/recordings/purchase-1%00/video", "/api/recordings/unboxing-0/video"};
  for (const std::string& path : climbing) {
    auto climbed = get(path, "O1");
    ASSERT_TRUE(climbed) << path;
    EXPECT_EQ(climbed->status, 404) << path << " " << climbed->body;
  }
}

TEST(Server, BrowserSessionsNeedTheCsrfTokenToChangeAnythingAndSignInIsRateLimited) {
  auto c = client();
  auto bad = c.Post("/api/session", json{{"login", "O1"}, {"password", "wrong"}}.dump(), "application/json");
  EXPECT_EQ(bad->status, 401);
  auto signed_in = c.Post("/api/session", json{{"login", "O1"}, {"password", world->password["O1"]}}.dump(), "application/json");
  ASSERT_EQ(signed_in->status, 200) << signed_in->body;
  const std::string cookie_header = signed_in->get_header_value("Set-Cookie");
  EXPECT_NE(cookie_header.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie_header.find("SameSite=Strict"), std::string::npos);
  EXPECT_NE(cookie_header.find("Max-Age="), std::string::npos);
  EXPECT_EQ(cookie_header.find("Secure"), std::string::npos);  // no TLS here
  const std::string cookie = cookie_header.substr(0, cookie_header.find(';'));
  const std::string csrf = body_of(signed_in)["csrf_token"];
  EXPECT_FALSE(csrf.empty());
  auto me = c.Get("/api/session", {{"Cookie", cookie}});
  EXPECT_EQ(me->status, 200);
  EXPECT_EQ(body_of(me)["login"], "O1");
  // Every change without the token is 403, whatever the route.
  for (const auto& route : server::route_table()) {
    if (route.method == "GET" || route.access == "anyone") continue;
    auto r = request(route.method, concrete(route.pattern), {{"Cookie", cookie}});
    if (route.access == "station") {  // a station's token only: a person's session is no credential there at all
      EXPECT_EQ(r->status, 401) << route.method << " " << route.pattern;
      continue;
    }
    EXPECT_EQ(r->status, 403) << route.method << " " << route.pattern;
    if (route.access != "admin") {
      EXPECT_EQ(body_of(r)["error"]["field"], "X-CSRF-Token") << route.pattern;
    }
  }
  auto with_token = c.Post("/api/cases/CQ-S2/assign", {{"Cookie", cookie}, {"X-CSRF-Token", csrf}}, json{{"reviewer", "R2"}}.dump(), "application/json");
  EXPECT_EQ(with_token->status, 200) << with_token->body;
  auto out = c.Delete("/api/session", {{"Cookie", cookie}, {"X-CSRF-Token", csrf}});
  EXPECT_EQ(out->status, 204);
  EXPECT_EQ(c.Get("/api/session", {{"Cookie", cookie}})->status, 401);  // signed out means the cookie is dead

  // Five wrong passwords for a login, then 429 with Retry-After, even for the right one.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(c.Post("/api/session", json{{"login", "L2"}, {"password", "guess"}}.dump(), "application/json")->status, 401);
  auto limited = c.Post("/api/session", json{{"login", "L2"}, {"password", world->password["L2"]}}.dump(), "application/json");
  EXPECT_EQ(limited->status, 429);
  EXPECT_TRUE(limited->has_header("Retry-After"));
  EXPECT_EQ(body_of(limited)["error"]["code"], "rate_limited");
}

TEST(Server, RecordingsListTheirVideoAndChaptersAndTheVideoIsEvidenceWithRangesAndEntityTags) {
  auto list = body_of(get("/api/cases/CQ-S1/recordings", "R1"));
  ASSERT_EQ(list["items"].size(), 1u) << list.dump();
  const json item = list["items"][0];
  EXPECT_EQ(item["id"], world->unboxing);
  EXPECT_EQ(item["kind"], "unboxing");
  const std::string video = item["video"], chapters = item["chapters"];
  auto vtt = get(chapters, "R1");
  EXPECT_EQ(vtt->status, 200);
  EXPECT_EQ(vtt->get_header_value("Content-Type").substr(0, 8), "text/vtt");
  EXPECT_EQ(vtt->body.substr(0, 6), "WEBVTT");
  for (const char* step : {"快递包装", "快递单据", "样品包装", "样品标识"}) EXPECT_NE(vtt->body.find(step), std::string::npos) << vtt->body;

  const std::uint64_t size = world->video_size;
  const std::string etag = "\"" + world->video_sha256 + "\"";
  auto whole = get(video, "R1");
  ASSERT_EQ(whole->status, 200);
  EXPECT_EQ(whole->body.size(), size);
  EXPECT_EQ(sha256_hex(whole->body), world->video_sha256);
  EXPECT_EQ(whole->get_header_value("ETag"), etag);
  EXPECT_EQ(whole->get_header_value("Accept-Ranges"), "bytes");
  EXPECT_EQ(whole->get_header_value("Content-Type"), "video/mp4");

  auto range = [&](const std::string& value, httplib::Headers more = {}) {
    more.emplace("Range", value);
    return get(video, "R1", more);
  };
  auto first = range("bytes=0-99");
  EXPECT_EQ(first->status, 206);
  EXPECT_EQ(first->body, whole->body.substr(0, 100));
  EXPECT_EQ(first->get_header_value("Content-Range"), "bytes 0-99/" + std::to_string(size));
  auto from = range("bytes=" + std::to_string(size - 10) + "-");
  EXPECT_EQ(from->status, 206);
  EXPECT_EQ(from->body, whole->body.substr(size - 10));
  auto suffix = range("bytes=-250");
  EXPECT_EQ(suffix->body, whole->body.substr(size - 250));
  EXPECT_EQ(suffix->get_header_value("Content-Range"), "bytes " + std::to_string(size - 250) + "-" + std::to_string(size - 1) + "/" + std::to_string(size));
  auto past_end = range("bytes=10-" + std::to_string(size + 1000));
  EXPECT_EQ(past_end->status, 206);
  EXPECT_EQ(past_end->body.size(), size - 10);
  auto beyond = range("bytes=" + std::to_string(size) + "-");
  EXPECT_EQ(beyond->status, 416);
  EXPECT_EQ(beyond->get_header_value("Content-Range"), "bytes */" + std::to_string(size));
  EXPECT_EQ(range("bytes=-0")->status, 416);
  EXPECT_EQ(range("bytes=0-1,5-9")->status, 200);  // several ranges: the whole file
  EXPECT_EQ(range("bytes=9-3")->status, 200);      // invalid: ignored
  EXPECT_EQ(range("items=0-5")->status, 200);
  auto not_modified = get(video, "R1", {{"If-None-Match", etag}});
  EXPECT_EQ(not_modified->status, 304);
  EXPECT_TRUE(not_modified->body.empty());
  EXPECT_EQ(get(video, "R1", {{"If-None-Match", "W/" + etag + ", \"other\""}})->status, 304);
  EXPECT_EQ(get(video, "R1", {{"If-None-Match", "\"other\""}})->status, 200);
  EXPECT_EQ(range("bytes=0-9", {{"If-Range", etag}})->status, 206);
  EXPECT_EQ(range("bytes=0-9", {{"If-Range", "\"stale\""}})->status, 200);
  auto head = client().Head(video, bearer("R1"));
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->get_header_value("Content-Length"), std::to_string(size));

  // The stills the recording lists, by name only.
  const json shown = body_of(get("/api/recordings/" + world->unboxing, "R1"));
  ASSERT_FALSE(shown["stills"].empty()) << shown.dump();
  auto still = get(shown["stills"][0]["url"], "R1");
  EXPECT_EQ(still->status, 200);
  EXPECT_EQ(still->body.substr(1, 3), "PNG");
  EXPECT_EQ(get("/api/recordings/" + world->unboxing + "/stills/netsample.db", "R1")->status, 404);

  // Every viewing is in the audit log: who, what, when.
  const std::string audit = testing::sql_text(world->data() / "netsample.db",
                                              "SELECT group_concat(actor || ' ' || json_extract(payload, '$.what'), ';') FROM audit_log WHERE action = 'evidence.read'");
  EXPECT_NE(audit.find("R1 video"), std::string::npos) << audit;
  EXPECT_NE(audit.find("R1 still"), std::string::npos) << audit;
}

TEST(Server, AnIndependentPlayerReadsAndSeeksTheVideoWithAToken) {
  const std::string url = world->server->base_url() + "/api/recordings/" + world->unboxing + "/video";
  const std::string header = "Authorization: Bearer " + world->token.at("R1") + "\r\n";
  const ProcessResult probe = testing::run_process({"/usr/bin/ffprobe", "-v", "error", "-headers", header, "-show_entries", "format=duration", "-of", "json", url});
  ASSERT_EQ(probe.exit_code, 0) << probe.err;
  EXPECT_NEAR(std::stod(json::parse(probe.out)["format"]["duration"].get<std::string>()), 15.0, 0.5) << probe.out;
  const fs::path frame = world->dir.path() / "seek.png";
  const ProcessResult seek = testing::run_process({"/usr/bin/ffmpeg", "-v", "error", "-headers", header, "-ss", "11", "-i", url, "-frames:v", "1", "-y", frame.string()});
  ASSERT_EQ(seek.exit_code, 0) << seek.err;
  EXPECT_GT(fs::file_size(frame), 1000u);
  const ProcessResult no_token = testing::run_process({"/usr/bin/ffprobe", "-v", "error", url});
  EXPECT_NE(no_token.exit_code, 0);
}

TEST(Server, ReviewersRecordFindingsAndVerdictsThatChangeNoEvidence) {
  const std::string base = "/api/recordings/" + world->unboxing;
  auto finding = post(base + "/findings", "R1", {{"media_ms", 5200}, {"severity", "major"}, {"note", "面单一角被手遮挡"}});
  EXPECT_EQ(finding->status, 201) << finding->body;
  auto not_reviewer = post(base + "/findings", world->sampler, {{"media_ms", 1}, {"severity", "info"}, {"note", "自查"}});
  EXPECT_EQ(not_reviewer->status, 409);
  EXPECT_EQ(post(base + "/findings", "R1", {{"media_ms", 999999999}, {"severity", "info"}, {"note", "x"}})->status, 400);
  EXPECT_EQ(body_of(post(base + "/findings", "R1", {{"media_ms", 10}, {"severity", "grave"}, {"note", "x"}}))["error"]["field"], "severity");
  auto no_reason = post(base + "/verdict", "R1", {{"verdict", "doubts"}});
  EXPECT_EQ(no_reason->status, 400);
  EXPECT_EQ(body_of(no_reason)["error"]["field"], "reasons");
  EXPECT_EQ(post(base + "/verdict", "R1", {{"verdict", "doubts"}, {"reasons", {"面单遮挡"}}})->status, 201);
  EXPECT_EQ(post(base + "/verdict", "R1", {{"verdict", "no_doubts"}})->status, 201);
  // Earlier tests may have left findings and verdicts of their own: look for these.
  const json reviews = body_of(get("/api/cases/CQ-S1/reviews", "O1"));
  json mine;
  for (const auto& f : reviews["findings"])
    if (f["note"] == "面单一角被手遮挡") mine = f;
  ASSERT_TRUE(mine.is_object()) << reviews.dump();
  EXPECT_EQ(mine["media_ms"], 5200);
  EXPECT_EQ(mine["reviewer"], "R1");
  ASSERT_GE(reviews["verdicts"].size(), 2u);
  const json last = reviews["verdicts"].back(), before = reviews["verdicts"][reviews["verdicts"].size() - 2];
  EXPECT_EQ(last["verdict"], "no_doubts");
  EXPECT_TRUE(last["current"].get<bool>());
  EXPECT_EQ(before["verdict"], "doubts");
  EXPECT_FALSE(before["current"].get<bool>());  // the reviewer's latest counts; the earlier one stays
  const json shown = body_of(get(base, "R1"));
  EXPECT_FALSE(shown["review"]["findings"].empty());
  // Audited, and the evidence is as it was.
  auto audit = body_of(get("/api/cases/CQ-S1/audit", "O1"));
  int review_rows = 0;
  for (const auto& row : audit["rows"]) review_rows += row["action"].get<std::string>().starts_with("review.") ? 1 : 0;
  EXPECT_EQ(review_rows, static_cast<int>(reviews["findings"].size() + reviews["verdicts"].size()));
  auto verify = body_of(get("/api/audit/verify", "A1"));
  EXPECT_TRUE(verify["chain"]["intact"].get<bool>()) << verify.dump();
  EXPECT_EQ(sha256_hex(get(shown["video"], "R1")->body), world->video_sha256);
}

// The resident memory of this process (server and client both), in KiB.
long rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return 0;
}

TEST(Server, AGigabyteStreamsWithFlatMemory) {
  const long before = rss_kib();
  long highest = before;
  std::uint64_t received = 0, next_sample = 0;
  Sha256 hash;
  auto c = client();
  auto r = c.Get("/api/evidence/" + std::to_string(world->big_evidence), bearer("O1"), [&](const char* data, size_t length) {
    received += length;
    hash.update(std::string_view(data, length));
    if (received >= next_sample) {
      highest = std::max(highest, rss_kib());
      next_sample += 32 << 20;
    }
    return true;
  });
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(received, 1ull << 30);
  EXPECT_EQ(to_hex(hash.finish()), world->big_sha256);
  const long grown_mib = (highest - before) / 1024;
  EXPECT_LT(grown_mib, 64) << "the server and this client together grew by " << grown_mib << " MiB streaming 1 GiB";
  auto tail = get("/api/evidence/" + std::to_string(world->big_evidence), "O1", {{"Range", "bytes=1073741000-"}});
  EXPECT_EQ(tail->status, 206);
  EXPECT_EQ(tail->body.size(), 824u);
}

int connect_to(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// An upload: streamed to disk past the JSON body limit, hashed, its sender's alone, evidence only when stored.
httplib::Result upload(const std::string& login, const std::string& name, const std::string& bytes, httplib::Headers more = {}) {
  httplib::Headers headers = login.empty() ? httplib::Headers{} : bearer(login);
  headers.insert(more.begin(), more.end());
  return client().Post("/api/uploads?name=" + name, headers, bytes, "application/octet-stream");
}

// The status a server answers to an upload's head alone, before any byte of the announced body is sent:
// refusing a stranger or an oversize body must not wait for (or store) gigabytes.
int status_before_body(const std::string& login, const std::string& name, std::uint64_t length) {
  const int fd = connect_to(world->server->port());
  if (fd < 0) return -1;
  std::string head = "POST /api/uploads?name=" + name + " HTTP/1.1\r\nHost: x\r\n";
  if (!login.empty()) head += "Authorization: Bearer " + world->token.at(login) + "\r\n";
  head += "Content-Type: application/octet-stream\r\nContent-Length: " + std::to_string(length) + "\r\n\r\n";
  int status = -1;
  timeval wait{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  if (::write(fd, head.data(), head.size()) == static_cast<ssize_t>(head.size())) {
    char answer[64] = {};
    if (::read(fd, answer, sizeof answer - 1) > 12) status = std::atoi(answer + 9);  // "HTTP/1.1 NNN"
  }
  ::close(fd);
  return status;
}

std::size_t files_under(const fs::path& dir) {
  std::size_t n = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) n += it->is_regular_file() ? 1 : 0;
  return n;
}

TEST(Server, UploadsStreamToDiskBelongToTheirSenderAndBecomeEvidenceOnlyWhenStored) {
  std::string report(3 << 20, '\0');  // 3 MiB: far past the 64 KiB a JSON body may have
  for (size_t i = 0; i < report.size(); ++i) report[i] = static_cast<char>((i * 7919) >> 3);
  const fs::path uploads = world->data() / "uploads";
  const std::size_t before = files_under(uploads);

  // Nobody, a bad name, a session without the CSRF token, too much: refused, and nothing stays on disk.
  EXPECT_EQ(status_before_body("", "report.pdf", report.size()), 401);
  auto bad_name = upload("L1", "..%2Fescape.pdf", "x");
  EXPECT_EQ(bad_name->status, 400);
  EXPECT_EQ(body_of(bad_name)["error"]["field"], "name");
  EXPECT_EQ(upload("L1", "", "x")->status, 400);
  EXPECT_EQ(status_before_body("L1", "huge.bin", (16 << 20) + 1), 413);
  EXPECT_EQ(status_before_body("L1", "..%2Fescape.pdf", 10), 400);
  EXPECT_EQ(files_under(uploads), before);

  auto sent = upload("L1", "检验报告.pdf", report);
  ASSERT_EQ(sent->status, 201) << sent->body;
  const json record = body_of(sent);
  EXPECT_EQ(record["sha256"], sha256_hex(report));
  EXPECT_EQ(record["size"], report.size());
  EXPECT_EQ(record["name"], "检验报告.pdf");
  const std::string id = record["upload"];

  // Another account cannot use it (it does not exist for them); a reviewer changes no evidence.
  EXPECT_EQ(post("/api/cases/CQ-S1/evidence", "O1", {{"upload", id}})->status, 404);
  auto reviewer = post("/api/cases/CQ-S1/evidence", "R1", {{"upload", id}});
  EXPECT_EQ(reviewer->status, 409) << reviewer->body;
  EXPECT_EQ(post("/api/cases/CQ-S1/evidence", "L1", {{"upload", id}, {"kind", "Lab Report"}})->status, 400);

  auto stored = post("/api/cases/CQ-S1/evidence", "L1", {{"upload", id}, {"kind", "lab_report"}});
  ASSERT_EQ(stored->status, 201) << stored->body;
  const json item = body_of(stored);
  EXPECT_EQ(item["sha256"], sha256_hex(report));
  EXPECT_EQ(item["name"], "检验报告.pdf");
  auto back = get(item["url"], "O1");
  ASSERT_EQ(back->status, 200);
  EXPECT_EQ(back->body, report);
  // A download, framed by nobody; shown in place (the web UI's PDF viewer) only its own pages may frame it.
  EXPECT_NE(back->get_header_value("Content-Disposition").find("attachment"), std::string::npos);
  EXPECT_EQ(back->get_header_value("X-Frame-Options"), "DENY");
  auto in_place = get(item["url"].get<std::string>() + "?inline=1", "O1");
  ASSERT_EQ(in_place->status, 200);
  EXPECT_EQ(in_place->get_header_value("Content-Type"), "application/pdf");
  EXPECT_EQ(in_place->get_header_value("Content-Disposition"), "");
  EXPECT_EQ(in_place->get_header_value("X-Frame-Options"), "SAMEORIGIN");
  EXPECT_EQ(in_place->get_header_value_count("X-Frame-Options"), 1u);
  EXPECT_EQ(in_place->get_header_value("Content-Security-Policy"), "frame-ancestors 'self'");
  // Stored once: the upload is gone.
  EXPECT_EQ(post("/api/cases/CQ-S1/evidence", "L1", {{"upload", id}})->status, 404);
  EXPECT_EQ(files_under(uploads), before);

  // Deleting evidence is the administrator's, and Art 47 keeps it six years.
  EXPECT_EQ(client().Delete(item["url"].get<std::string>(), bearer("O1"))->status, 403);
  auto kept = client().Delete(item["url"].get<std::string>(), bearer("A1"));
  EXPECT_EQ(kept->status, 409) << kept->body;
  EXPECT_EQ(body_of(kept)["error"]["article"], 47);

  // A sender that hangs up half-way leaves nothing behind.
  const int fd = connect_to(world->server->port());
  ASSERT_GE(fd, 0);
  const std::string head = "POST /api/uploads?name=cut.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + world->token.at("L1") +
                           "\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000000\r\n\r\n" + std::string(100000, 'y');
  ASSERT_EQ(::write(fd, head.data(), head.size()), static_cast<ssize_t>(head.size()));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ::close(fd);
  for (int i = 0; i < 50 && files_under(uploads) != before; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(files_under(uploads), before);
}

// A case from the order to the seal through the service alone: the parcel followed by the service's own
// background work, the phone's unboxing video uploaded and imported, its steps marked, the samples accepted and
// sealed with uploaded photos (Art 32, 36, 37, 38, 39).
// A plan of cases from a spreadsheet: uploaded, checked, all created or none; every bad cell named.
TEST(Server, APlanWithOneBadRowNamesItsCellsAndCreatesNothingAGoodOneCreatesEveryCase) {
  const json columns = body_of(get("/api/cases/plan-columns", "O9"));
  EXPECT_EQ(columns["organizer"], "wanzhou-amr");
  EXPECT_EQ(columns["columns"][0]["header"], "任务编号");
  auto template_csv = get("/api/cases/plan-template.csv", "O9");
  ASSERT_EQ(template_csv->status, 200);
  EXPECT_TRUE(template_csv->body.starts_with("\xEF\xBB\xBF任务编号*,"));

  const std::string header = "任务编号,组织层级,抽查类型,产品名称,商标,规格型号,产品类别,执行标准,电子商务平台,店铺名称,商品链接,"
                             "经营者名称,经营者地址,标称生产者,生产者地址,检验样品数量,备份样品数量\r\n";
  auto row = [](const std::string& number, const std::string& backup) {
    return number + ",区县级,专项,儿童雨靴,小鸭,XY-2,鞋类,GB 30585-2014,淘宝,小鸭童鞋店,https://item.taobao.com/item.htm?id=1," +
           "万州小鸭商贸有限公司,重庆市万州区 1 号,福建小鸭鞋业有限公司,福建省晋江市 2 号,2," + backup + "\r\n";
  };
  auto import_plan = [&](const std::string& csv, const std::string& login, bool dry_run) {
    auto up = upload(login, "plan.csv", csv);
    EXPECT_EQ(up->status, 201);
    const json body = {{"upload", json::parse(up->body)["upload"]}, {"dry_run", dry_run}};
    return request("POST", "/api/cases/import", bearer(login), body.dump());
  };
  auto cases_of = [](const std::string& login) { return body_of(get("/api/cases", login))["total"].get<int>(); };

  auto bad = import_plan(header + row("WZ-1", "2") + row("WZ-2", "零") + row("WZ-3", "2"), "O9", false);
  ASSERT_EQ(bad->status, 400) << bad->body;
  const json problems = json::parse(bad->body)["problems"];
  ASSERT_EQ(problems.size(), 1u) << problems.dump();
  EXPECT_EQ(problems[0]["row"], 3);
  EXPECT_EQ(problems[0]["column"], "Q");
  EXPECT_EQ(problems[0]["header"], "备份样品数量");
  EXPECT_EQ(problems[0]["value"], "零");
  EXPECT_EQ(cases_of("O9"), 0);

  // Another unit's organizer cannot plan for wanzhou-amr (Art 5), named at the organizer's row.
  std::string other = header;
  other.insert(other.size() - 2, ",组织单位");
  std::string foreign = row("WZ-9", "2");
  foreign.insert(foreign.size() - 2, ",wanzhou-amr");
  auto refused = import_plan(other + foreign, "O1", false);
  ASSERT_EQ(refused->status, 400);
  EXPECT_EQ(json::parse(refused->body)["problems"][0]["article"], 5);

  auto checked = import_plan(header + row("WZ-1", "2") + row("WZ-2", "2"), "O9", true);
  ASSERT_EQ(checked->status, 200) << checked->body;
  EXPECT_EQ(json::parse(checked->body)["cases"].size(), 2u);
  EXPECT_EQ(cases_of("O9"), 0);

  auto good = import_plan(header + row("WZ-1", "2") + row("WZ-2", "2"), "O9", false);
  ASSERT_EQ(good->status, 201) << good->body;
  const json created = json::parse(good->body)["cases"];
  ASSERT_EQ(created.size(), 2u);
  EXPECT_EQ(created[0]["samplers"].size(), 2u);  // Art 20: S8 and S9, drawn
  EXPECT_EQ(cases_of("O9"), 2);

  // The case form: every bad field at once.
  auto form = request("POST", "/api/cases", bearer("O9"), json{{"number", "WZ-F"}, {"level", "province"}}.dump());
  ASSERT_EQ(form->status, 400);
  EXPECT_GT(json::parse(form->body)["problems"].size(), 5u);
}

TEST(Server, AServiceFollowsTheParcelImportsTheUnboxingAndSealsTheSamples) {
  World& w = *world;
  w.run({"case", "create", "--file", w.write("s3.json", testing::sample_case("CQ-S3")).string()});
  const json shown_case = json::parse(w.run({"case", "show", "CQ-S3", "--json"}).out);
  std::vector<std::string> samplers;
  for (const auto& p : shown_case["people"])
    if (p["role"] == "sampler") samplers.push_back(p["id"]);
  ASSERT_EQ(samplers.size(), 2u);
  const std::string sampler = samplers[0];
  w.run({"case", "event", "CQ-S3", "start_purchase"}, sampler);
  w.run({"case", "event", "CQ-S3", "order_placed", "--file", w.write("order3.json", {{"order_number", "DS-3"}}).string()}, sampler);
  const UtcTime now = SystemClock().now();
  auto shown = [&](int minutes_ago) { return format_beijing(now - std::chrono::minutes(minutes_ago)).substr(0, 19); };
  w.courier->script("SF3333333333", {loopback::kuaidi100_answer(3, {{shown(3), "已收取快件"}, {shown(1), "快件已签收"}}, true)});
  const fs::path video = w.dir.path() / "unboxing-3.mp4";
  const json made = json::parse(w.run({"unbox", "demo-video", "--out", video.string(), "--number", "SF3333333333", "--json"}).out);

  server::ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.threads = 2;
  options.background_interval = std::chrono::seconds(1);
  options.recorder_program = fs::path(NETSAMPLE_BIN).parent_path() / "netsample-recorder";
  options.tsa = {w.tsa.url()};
  options.access_log = [](const std::string&) {};
  auto started = server::Server::start(w.data(), options);
  ASSERT_TRUE(started.ok()) << started.error().describe();
  auto service = std::move(started).value();
  httplib::Client c("127.0.0.1", service->port());
  c.set_read_timeout(120, 0);
  const auto as = [&](const std::string& login) { return bearer(login); };
  const auto post_json = [&](const std::string& path, const std::string& login, const json& body) {
    return c.Post(path, as(login), body.dump(), "application/json");
  };
  const auto state = [&] { return body_of(c.Get("/api/cases/CQ-S3", as("O1")))["state"].get<std::string>(); };
  const auto finished_job = [&](const httplib::Result& r) {
    EXPECT_EQ(r->status, 202) << r->body;
    const std::string url = body_of(r)["url"];
    EXPECT_EQ(c.Get(url, as("O1"))->status, 404) << "a job is its caller's";
    return body_of(c.Get(url + "?wait=60", as(sampler)));
  };

  // The sampler enters the waybill; the service polls the courier on its own until the parcel is signed for.
  auto parcel = post_json("/api/cases/CQ-S3/tracking", sampler, {{"courier", "shunfeng"}, {"number", "SF3333333333"}});
  ASSERT_EQ(parcel->status, 201) << parcel->body;
  for (int i = 0; i < 100 && state() != "received"; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_EQ(state(), "received") << "the service's background work did not follow the parcel";

  // The unboxing video from the sampler's phone: uploaded, imported as a job (hashed, stamped, labels read, the
  // waybill matched), its other steps marked at their times.
  std::ifstream in(video, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto sent = c.Post("/api/uploads?name=unboxing.mp4", as(sampler), bytes, "video/mp4");
  ASSERT_EQ(sent->status, 201) << sent->body;
  EXPECT_EQ(post_json("/api/cases/CQ-S3/unboxings", samplers[1], {{"video", body_of(sent)["upload"]}})->status, 404)
      << "another account's upload, even the other sampler's of the case";
  const json imported = finished_job(post_json("/api/cases/CQ-S3/unboxings", sampler, {{"video", body_of(sent)["upload"]}}));
  ASSERT_EQ(imported["state"], "done") << imported.dump(2);
  EXPECT_EQ(imported.dump().find(w.data().string()), std::string::npos) << "the server's own paths are not shown";
  const json& waybill_step = imported["result"]["steps"].at(0);
  EXPECT_EQ(waybill_step["step"], "waybill");
  EXPECT_EQ(waybill_step["how"], "label") << "the waybill read from the video and matched to the case's";
  for (const auto& scene : made["scenes"]) {
    if (scene["step"] == "waybill") continue;
    const double middle = (scene["from_s"].get<double>() + scene["to_s"].get<double>()) / 2;
    const json marked = finished_job(post_json("/api/cases/CQ-S3/unboxing/steps", sampler, {{"step", scene["step"]}, {"at_s", middle}}));
    EXPECT_EQ(marked["state"], "done") << marked.dump(2);
  }
  auto unknown_step = post_json("/api/cases/CQ-S3/unboxing/steps", sampler, {{"step", "dance"}, {"at_s", 1}});
  EXPECT_EQ(unknown_step->status, 400);
  EXPECT_EQ(body_of(unknown_step)["error"]["article"], 36);

  // Accepted, then sealed with two uploaded photos; only the case's sampler decides (Art 36).
  EXPECT_EQ(post_json("/api/cases/CQ-S3/unboxing/decision", "O1", {{"decision", "accept"}})->status, 409);
  auto accepted = post_json("/api/cases/CQ-S3/unboxing/decision", sampler, {{"decision", "accept"}});
  ASSERT_EQ(accepted->status, 200) << accepted->body;
  std::vector<std::string> photos;
  for (const auto& photo : made["seal_photos"]) {
    std::ifstream file(photo["file"].get<std::string>(), std::ios::binary);
    const std::string image((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    auto up = c.Post("/api/uploads?name=seal.png", as(sampler), image, "image/png");
    ASSERT_EQ(up->status, 201) << up->body;
    photos.push_back(body_of(up)["upload"]);
  }
  json seals = {{"inspection", {{"seal_number", made["seal_photos"][0]["seal_number"]}, {"signed_by", {sampler}}, {"still", photos[0]}, {"quantity", 1}}},
                {"backup",
                 {{"seal_number", made["seal_photos"][1]["seal_number"]}, {"signed_by", {sampler}}, {"still", photos[1]}, {"quantity", 1},
                  {"storage", "样品库 B-03"}, {"keeper", "刘芳"}}},
                {"sealed_date", format_date(beijing_date(SystemClock().now()))}};
  json no_storage = seals;
  no_storage["backup"].erase("storage");
  auto refused = post_json("/api/cases/CQ-S3/seal", sampler, no_storage);
  EXPECT_EQ(refused->status, 400);
  EXPECT_EQ(body_of(refused)["error"]["article"], 38);
  json foreign = seals;
  foreign["inspection"]["still"] = "/etc/passwd";
  EXPECT_EQ(body_of(post_json("/api/cases/CQ-S3/seal", sampler, foreign))["error"]["field"], "inspection.still");
  auto sealed = post_json("/api/cases/CQ-S3/seal", sampler, seals);
  ASSERT_EQ(sealed->status, 200) << sealed->body;
  EXPECT_EQ(state(), "sealed");
  const json evidence = body_of(c.Get("/api/cases/CQ-S3/evidence", as("O1")));
  int seal_photos = 0;
  for (const auto& e : evidence["items"]) seal_photos += e["kind"] == "seal_photo" ? 1 : 0;
  EXPECT_EQ(seal_photos, 2);
  service->stop();
}

// Pages captured through the service (design/crawler.md): a case's sampler captures the listing as the case's
// evidence (a job running `netsample crawl`), the case page lists what it read and checked; the reviewer may
// not capture; a page for no case is for organizers only.
TEST(Server, APageIsCapturedForACaseAsAJobAndListedWithWhatItReadAndChecked) {
  ManualClock clock{SystemClock().now()};
  auto shop = demo::DemoShop::start(clock).value();
  auto c = client();
  const std::string listing = shop->url() + "item/QS-1701";
  auto queued = c.Post("/api/captures", bearer(world->sampler), json{{"url", listing}, {"case", "CQ-S1"}, {"platform", "demo-shop"}}.dump(), "application/json");
  ASSERT_EQ(queued->status, 202) << queued->body;
  const json job = body_of(c.Get(body_of(queued)["url"].get<std::string>() + "?wait=60", bearer(world->sampler)));
  ASSERT_EQ(job["state"], "done") << job.dump(2);
  EXPECT_EQ(job["result"]["extraction"]["fields"]["model"]["value"], "QS-1701");
  EXPECT_EQ(job["result"]["case_fields"]["product.trademark"], "清泉");
  EXPECT_EQ(job["result"]["warc"].get<std::string>().find(world->data().string()), std::string::npos) << "no server path in a job";

  const json listed = body_of(get("/api/cases/CQ-S1/captures", "O1"));
  ASSERT_EQ(listed["captures"].size(), 1u) << listed.dump(2);
  const json& capture = listed["captures"][0];
  EXPECT_EQ(capture["final_url"], listing);
  EXPECT_EQ(capture["actor"], world->sampler);
  EXPECT_TRUE(capture["checks"].is_array() && !capture["checks"].empty());
  const auto warc = get(capture["warc_url"].get<std::string>(), "O1");
  ASSERT_EQ(warc->status, 200);
  EXPECT_EQ(sha256_hex(warc->body), capture["sha256"]) << "the WARC as stored is the one summarized";

  auto reviewer = c.Post("/api/captures", bearer("R1"), json{{"url", listing}, {"case", "CQ-S1"}}.dump(), "application/json");
  EXPECT_TRUE(reviewer->status == 403 || reviewer->status == 409) << reviewer->status << reviewer->body;
  auto no_case = c.Post("/api/captures", bearer(world->sampler), json{{"url", listing}}.dump(), "application/json");
  EXPECT_EQ(no_case->status, 403) << no_case->body;
  // The service fetches for its users: an address of its own machine or network that is no local platform's
  // (127.0.0.2 reaches a server here all the same) is refused before anything is sent to it.
  httplib::Server internal;
  std::atomic<int> reached{0};
  internal.Get("/.*", [&](const httplib::Request&, httplib::Response& r) { ++reached, r.set_content("internal", "text/plain"); });
  const int internal_port = internal.bind_to_any_port("0.0.0.0");
  std::thread internal_thread([&] { internal.listen_after_bind(); });
  while (!internal.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto inside = c.Post("/api/captures", bearer("O1"), json{{"url", "http://127.0.0.2:" + std::to_string(internal_port) + "/admin"}}.dump(), "application/json");
  ASSERT_EQ(inside->status, 202) << inside->body;
  const json refused = body_of(c.Get(body_of(inside)["url"].get<std::string>() + "?wait=60", bearer("O1")));
  internal.stop();
  internal_thread.join();
  EXPECT_EQ(refused["state"], "failed") << refused.dump(2);
  EXPECT_NE(refused.dump().find("内部网络"), std::string::npos) << refused.dump(2);
  EXPECT_EQ(reached, 0) << "not even robots.txt was asked for";
  auto bad = c.Post("/api/captures", bearer("O1"), json{{"url", "ftp://x"}}.dump(), "application/json");
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(body_of(bad)["error"]["field"], "url");
  for (const json& also : {json{"", "ftp://x"}, json{listing, 7}}) {
    auto bad_also = c.Post("/api/captures", bearer("O1"), json{{"url", listing}, {"also", also}}.dump(), "application/json");
    EXPECT_EQ(bad_also->status, 400) << bad_also->body;
    EXPECT_EQ(body_of(bad_also)["error"]["field"], "also[1]") << "the entry, by its place in the array: " << bad_also->body;
  }
  auto organizer = c.Post("/api/captures", bearer("O1"), json{{"url", shop->url() + "licence"}, {"platform", "demo-shop"}}.dump(), "application/json");
  ASSERT_EQ(organizer->status, 202) << organizer->body;
  const json read = body_of(c.Get(body_of(organizer)["url"].get<std::string>() + "?wait=60", bearer("O1")));
  ASSERT_EQ(read["state"], "done") << read.dump(2);
  EXPECT_EQ(read["result"]["case_fields"]["operator.name"], "重庆清泉电器销售有限公司（演示）") << "from the licence picture";
}

TEST(Server, TwoHundredIdleKeepAliveConnectionsDoNotStarveANewRequest) {
  std::vector<int> idle;
  const std::string healthz = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n";
  for (int i = 0; i < 200; ++i) {
    const int fd = connect_to(world->server->port());
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, healthz.data(), healthz.size()), static_cast<ssize_t>(healthz.size()));
    char answer[1024];
    ASSERT_GT(::read(fd, answer, sizeof answer), 0);  // answered, and now held open doing nothing
    idle.push_back(fd);
  }
  const auto started = std::chrono::steady_clock::now();
  auto r = get("/api/cases/CQ-S1", "O1");
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_LT(took.count(), 100) << "a new request waited " << took.count() << " ms behind 200 idle connections";
  const std::string metrics = get("/metrics", "A1")->body;
  EXPECT_NE(metrics.find("netsample_http_open_connections"), std::string::npos);
  for (int fd : idle) ::close(fd);
}

// Slow work (here: clients waiting on a job that takes seconds) runs on threads of its own with the connection
// suspended: more waiters than workers and a case view is still answered at once. And a connection that sends
// nothing, or stops half-way through its headers, is closed after the idle timeout.
TEST(Server, SlowRoutesNeverHoldTheWorkersAndIdleConnectionsAreClosed) {
  World& w = *world;
  const fs::path slow_program = w.dir.path() / "slow-recorder.sh";
  testing::write_text(slow_program, "#!/bin/sh\nsleep 4\necho '{\"slept\": true}'\n");
  fs::permissions(slow_program, fs::perms::owner_all);
  server::ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.threads = 2;
  options.slow_threads = 4;
  options.recorder_program = slow_program;
  options.idle_timeout = std::chrono::seconds(2);
  options.background_interval = std::chrono::seconds(0);
  options.access_log = [](const std::string&) {};
  auto started = server::Server::start(w.data(), options);
  ASSERT_TRUE(started.ok()) << started.error().describe();
  auto service = std::move(started).value();
  const auto port = service->port();

  httplib::Client c("127.0.0.1", port);
  auto job = c.Post("/api/cases/CQ-S1/unboxing/steps", bearer(w.sampler), json{{"step", "sample_labels"}, {"at_s", 1}}.dump(), "application/json");
  ASSERT_EQ(job->status, 202) << job->body;
  const std::string url = body_of(job)["url"].get<std::string>() + "?wait=30";
  std::vector<std::future<json>> waiters;
  for (int i = 0; i < 3; ++i)  // more than the two workers
    waiters.push_back(std::async(std::launch::async, [&] {
      httplib::Client mine("127.0.0.1", port);
      mine.set_read_timeout(60, 0);
      auto r = mine.Get(url, bearer(w.sampler));
      return r && r->status == 200 ? json::parse(r->body) : json{{"status", r ? r->status : -1}, {"body", r ? r->body : ""}};
    }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto asked = std::chrono::steady_clock::now();
  auto view = c.Get("/api/cases/CQ-S1", bearer("O1"));
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - asked);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->status, 200);
  EXPECT_LT(took.count(), 1000) << "a case view waited " << took.count() << " ms behind three clients waiting on a job";
  for (auto& waiter : waiters) {
    const json seen = waiter.get();
    EXPECT_EQ(seen.value("state", ""), "done") << seen.dump();
    EXPECT_EQ(seen.value("result", json::object()).value("slept", false), true) << seen.dump();  // never an assertion on a missing key
  }

  // Idle: nothing sent at all, and half a request's headers.
  for (const std::string& sent : {std::string(), std::string("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Half: ")}) {
    const int fd = connect_to(port);
    ASSERT_GE(fd, 0);
    if (!sent.empty()) {
      ASSERT_EQ(::write(fd, sent.data(), sent.size()), static_cast<ssize_t>(sent.size()));
    }
    timeval wait{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
    const auto opened = std::chrono::steady_clock::now();
    char answer[256];
    const ssize_t got = ::read(fd, answer, sizeof answer);
    const auto held = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - opened);
    EXPECT_EQ(got, 0) << "the server closes the connection without an answer";
    EXPECT_GE(held.count(), 1500);
    EXPECT_LT(held.count(), 6000) << "closed after the 2 s idle timeout";
    ::close(fd);
  }
  service->stop();
}

TEST(Server, MetricsCountRequestsByRouteAndStatusAndTheAccessLogHasALinePerRequest) {
  get("/api/cases/CQ-S1", "O1");
  get("/api/cases/CQ-NONE", "O1");
  const std::string metrics = get("/metrics", "A1")->body;
  EXPECT_NE(metrics.find("netsample_http_requests_total{method=\"GET\",route=\"/api/cases/{number}\",status=\"200\"}"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("route=\"/api/cases/{number}\",status=\"404\""), std::string::npos);
  EXPECT_NE(metrics.find("netsample_http_request_duration_seconds_bucket{route=\"/api/cases/{number}\",le=\"+Inf\"}"), std::string::npos);
  EXPECT_NE(metrics.find("netsample_evidence_bytes_served_total "), std::string::npos);
  std::lock_guard lock(world->log_mutex);
  ASSERT_FALSE(world->log.empty());
  const json line = json::parse(world->log.back());
  for (const char* key : {"at", "method", "path", "route", "status", "ms", "login", "remote"}) EXPECT_TRUE(line.contains(key)) << line.dump();
  for (const auto& text : world->log) EXPECT_EQ(text.find("nst_"), std::string::npos) << "a token in the access log: " << text;
  auto health = body_of(get("/healthz", ""));
  EXPECT_EQ(health["status"], "ok");
}

TEST(Server, SigtermLetsADownloadInFlightFinish) {
  const int port = testing::free_port(SOCK_STREAM);
  testing::Child serve({NETSAMPLE_BIN, "--data", world->data().string(), "serve", "--listen", "127.0.0.1:" + std::to_string(port),
                         "--trust", world->tsa.ca_file().string()},
                       world->dir.path() / "serve.log");
  int fd = -1;
  for (int i = 0; i < 100 && fd < 0; ++i) {
    fd = connect_to(static_cast<std::uint16_t>(port));
    if (fd < 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_GE(fd, 0) << "netsample serve did not start";
  const std::string request = "GET /api/evidence/" + std::to_string(world->big_evidence) + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                              world->token.at("O1") + "\r\nRange: bytes=0-67108863\r\n\r\n";
  ASSERT_EQ(::write(fd, request.data(), request.size()), static_cast<ssize_t>(request.size()));
  std::string buffer(1 << 16, '\0');
  std::uint64_t received = 0;
  ssize_t n = ::read(fd, buffer.data(), buffer.size());  // the download is under way
  ASSERT_GT(n, 0);
  received += static_cast<std::uint64_t>(n);
  serve.signal(SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  while ((n = ::read(fd, buffer.data(), buffer.size())) > 0) received += static_cast<std::uint64_t>(n);
  ::close(fd);
  EXPECT_GT(received, 64u << 20);  // every byte of the range and the headers
  EXPECT_EQ(serve.wait(std::chrono::seconds(30)), 0);
  EXPECT_LT(connect_to(static_cast<std::uint16_t>(port)), 0);  // and it is gone
}

// Copies `from` to `to` with `name` replaced by `bytes` (or removed when nullopt), as someone with a ZIP tool would.
void rewrite_zip(const fs::path& from, const fs::path& to, const std::string& name, const std::optional<std::string>& bytes) {
  fs::copy_file(from, to, fs::copy_options::overwrite_existing);
  int error = 0;
  zip_t* archive = zip_open(to.c_str(), 0, &error);
  ASSERT_NE(archive, nullptr);
  const zip_int64_t index = zip_name_locate(archive, name.c_str(), 0);
  ASSERT_GE(index, 0) << name;
  if (bytes) {
    zip_source_t* source = zip_source_buffer(archive, bytes->data(), bytes->size(), 0);
    ASSERT_EQ(zip_file_replace(archive, static_cast<zip_uint64_t>(index), source, 0), 0);
  } else {
    ASSERT_EQ(zip_delete(archive, static_cast<zip_uint64_t>(index)), 0);
  }
  ASSERT_EQ(zip_close(archive), 0);
}

std::string zip_entry(const fs::path& file, const std::string& name) {
  int error = 0;
  zip_t* archive = zip_open(file.c_str(), ZIP_RDONLY, &error);
  zip_file_t* entry = zip_fopen(archive, name.c_str(), 0);
  std::string out;
  char buffer[65536];
  for (zip_int64_t n; entry && (n = zip_fread(entry, buffer, sizeof buffer)) > 0;) out.append(buffer, static_cast<size_t>(n));
  if (entry) zip_fclose(entry);
  zip_discard(archive);
  return out;
}

// The index with one file's hash set to what it now is: a forger who knows the format.
std::string index_with(const fs::path& file, const std::string& name, const std::string& bytes) {
  json index = json::parse(zip_entry(file, "bundle.json"));
  for (auto& f : index["files"])
    if (f["name"] == name) {
      f["sha256"] = sha256_hex(bytes);
      f["size"] = bytes.size();
    }
  return index.dump(1);
}

TEST(Server, AnExportVerifiesOfflineWithTheDataDirectoryGoneAndEveryTamperingIsNamed) {
  const std::string recording = "/api/recordings/" + world->unboxing;
  ASSERT_EQ(post(recording + "/findings", "R1", {{"media_ms", 7000}, {"severity", "minor"}, {"note", "面单反光"}})->status, 201);
  // A reviewer's finding is a fact of the case: edited by hand in a copy of the database, `audit verify` names it.
  {
    testing::TempDir copy;
    fs::create_directories(copy / "data");
    // Copied by another process: closing a descriptor of the database in this one would drop the service's own
    // POSIX locks on it (SQLite's documented hazard) and leave it with disk I/O errors.
    for (const char* file : {"netsample.db", "netsample.db-wal", "audit-head.json"}) {
      if (!fs::exists(world->data() / file)) continue;
      ASSERT_EQ(testing::run_process({"/bin/cp", (world->data() / file).string(), (copy / "data" / file).string()}).exit_code, 0);
    }
    testing::sql_exec(copy / "data" / "netsample.db", "DROP TRIGGER review_findings_no_update; UPDATE review_findings SET note = '无问题'");
    const ProcessResult checked = testing::run_process({NETSAMPLE_BIN, "--data", (copy / "data").string(), "audit", "verify"});
    EXPECT_EQ(checked.exit_code, 4) << checked.out;
    EXPECT_NE(checked.out.find("审看意见 #"), std::string::npos) << checked.out;
    EXPECT_NE(checked.out.find("note 现为「无问题」，审计为「面单反光」"), std::string::npos) << checked.out;
  }
  // The audit head stamped before the export: the bundle carries the stamp and each case row's Merkle path to it.
  const ProcessResult stamped = world->run({"audit", "stamp", "--tsa", world->tsa.url(), "--trust", world->tsa.ca_file().string()});
  ASSERT_EQ(stamped.exit_code, 0) << stamped.out << stamped.err;
  auto r = get("/api/cases/CQ-S1/export", "R1");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body.substr(0, 300);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/zip");
  EXPECT_NE(r->get_header_value("Content-Disposition").find("attachment"), std::string::npos);
  EXPECT_EQ(r->get_header_value("ETag"), "\"" + sha256_hex(r->body) + "\"");
  EXPECT_FALSE(fs::exists(world->data() / "exports") && !fs::is_empty(world->data() / "exports"));  // nothing left behind
  const fs::path bundle = world->dir.path() / "CQ-S1.zip";
  testing::write_text(bundle, r->body);
  const json index = json::parse(zip_entry(bundle, "bundle.json"));
  std::string video_entry, token_entry, document_entry;
  for (const auto& f : index["files"]) {
    const std::string name = f["name"];
    if (name.ends_with("unboxing.mp4")) video_entry = name;
    if (name.ends_with(".tsr") && name.find("unboxing") != std::string::npos) token_entry = name;
    if (name.rfind("documents/", 0) == 0 && document_entry.empty()) document_entry = name;
  }
  ASSERT_FALSE(video_entry.empty() || token_entry.empty()) << index.dump();
  for (const char* part : {"README.txt", "report/证据保全报告.pdf", "case/case.json", "audit/rows.json", "audit/chain.json", "review/review.json",
                           "notices/notices.json", "tracking/tracking.json", "tsa/trust.pem"})
    EXPECT_FALSE(zip_entry(bundle, part).empty()) << part;
  EXPECT_NE(zip_entry(bundle, "README.txt").find("核验方法"), std::string::npos);
  EXPECT_NE(zip_entry(bundle, "review/review.json").find("面单"), std::string::npos);  // the findings go with it

  // On "another machine": the data directory is gone while the bundle is checked.
  const fs::path away = world->dir.path() / "data.away";
  fs::rename(world->data(), away);
  auto verify = [&](const fs::path& file) { return testing::run_process({NETSAMPLE_BIN, "--data", (world->dir.path() / "nowhere").string(), "verify", file.string()}); };
  const ProcessResult intact = verify(bundle);
  EXPECT_EQ(intact.exit_code, 0) << intact.out << intact.err;
  EXPECT_NE(intact.out.find("全部通过"), std::string::npos) << intact.out;
  EXPECT_NE(intact.out.find("自那时未变"), std::string::npos) << intact.out;  // the stamp proves the case's rows offline
  EXPECT_FALSE(fs::exists(world->dir.path() / "nowhere" / "netsample.db"));  // checked from the file alone

  const fs::path tampered = world->dir.path() / "tampered.zip";
  std::string video = zip_entry(bundle, video_entry);
  video[video.size() / 2] ^= 0x01;
  rewrite_zip(bundle, tampered, video_entry, video);
  ProcessResult flipped = verify(tampered);
  EXPECT_EQ(flipped.exit_code, 4);
  EXPECT_NE(flipped.out.find("✗ " + video_entry + "：SHA-256 与索引不符"), std::string::npos) << flipped.out;

  if (!document_entry.empty()) {
    rewrite_zip(bundle, tampered, document_entry, std::nullopt);
    ProcessResult removed = verify(tampered);
    EXPECT_EQ(removed.exit_code, 4);
    EXPECT_NE(removed.out.find("✗ " + document_entry + "：文件缺失"), std::string::npos) << removed.out;
  }

  json rows = json::parse(zip_entry(bundle, "audit/rows.json"));
  std::int64_t edited_seq = 0;
  for (auto& row : rows)
    if (row["action"] == "review.finding_added") {
      json payload = json::parse(row["payload_text"].get<std::string>());
      payload["note"] = "无问题";  // someone makes the finding say the opposite
      row["payload_text"] = payload.dump();
      row["payload"] = payload;
      edited_seq = row["seq"];
    }
  ASSERT_GT(edited_seq, 0);
  const std::string rows_text = rows.dump(1) + "\n";
  rewrite_zip(bundle, tampered, "audit/rows.json", rows_text);
  const fs::path tampered2 = world->dir.path() / "tampered2.zip";
  rewrite_zip(tampered, tampered2, "bundle.json", index_with(bundle, "audit/rows.json", rows_text));
  ProcessResult edited = verify(tampered2);
  EXPECT_EQ(edited.exit_code, 4);
  EXPECT_NE(edited.out.find("审计记录 #" + std::to_string(edited_seq)), std::string::npos) << edited.out;

  // A forger who knows the format: the row's hash recomputed, the chain's links mended around it, the index updated.
  // Every hash and link holds again; only the TSA's stamp over the Merkle root of the rows can tell.
  json chain = json::parse(zip_entry(bundle, "audit/chain.json"));
  for (auto& row : rows)
    if (row["seq"] == edited_seq) {
      const json number = row["case"];
      row["hash"] = store::AuditLog::row_hash(edited_seq, row["utc_us"], row["actor"], row["action"],
                                              number.is_string() ? std::optional<std::string>(number.get<std::string>()) : std::nullopt,
                                              row["payload_text"], row["prev_hash"]);
      for (auto& link : chain["links"]) {
        if (link[0] == edited_seq) link[2] = row["hash"];
        if (link[0] == edited_seq + 1) link[1] = row["hash"];
      }
    }
  const std::string mended_rows = rows.dump(1) + "\n", mended_chain = chain.dump() + "\n";
  json mended_index = json::parse(index_with(bundle, "audit/rows.json", mended_rows));
  for (auto& f : mended_index["files"])
    if (f["name"] == "audit/chain.json") {
      f["sha256"] = sha256_hex(mended_chain);
      f["size"] = mended_chain.size();
    }
  const fs::path tampered3 = world->dir.path() / "tampered3.zip";
  rewrite_zip(bundle, tampered, "audit/rows.json", mended_rows);
  rewrite_zip(tampered, tampered2, "audit/chain.json", mended_chain);
  rewrite_zip(tampered2, tampered3, "bundle.json", mended_index.dump(1));
  ProcessResult mended = verify(tampered3);
  EXPECT_EQ(mended.exit_code, 4) << mended.out;
  EXPECT_EQ(mended.out.find("审计记录 #" + std::to_string(edited_seq) + "（"), std::string::npos) << "the row's own hash holds\n" << mended.out;
  EXPECT_NE(mended.out.find("审计记录 #" + std::to_string(edited_seq) + " 与其默克尔路径不符"), std::string::npos) << mended.out;

  // A token from a TSA the bundle's certificates do not name, for the very same video.
  testing::TestTsa foreign;
  HttpClient http;
  auto token = TsaClient(http).stamp(foreign.url(), *sha256_from_hex(world->video_sha256, "video"));
  ASSERT_TRUE(token.ok()) << token.error().describe();
  rewrite_zip(bundle, tampered, token_entry, token->response_der);
  rewrite_zip(tampered, tampered2, "bundle.json", index_with(bundle, token_entry, token->response_der));
  ProcessResult forged = verify(tampered2);
  EXPECT_EQ(forged.exit_code, 4);
  const std::string recording_dir = token_entry.substr(0, token_entry.rfind('/') + 1);
  EXPECT_NE(forged.out.find("✗ " + recording_dir), std::string::npos) << forged.out;
  EXPECT_NE(forged.out.find(fs::path(token_entry).filename().string()), std::string::npos) << forged.out;

  fs::rename(away, world->data());
}

TEST(Server, UnderTlsTheSessionCookieIsSecureAndOversizeHeadersAreRefused) {
  const fs::path cert = world->dir.path() / "tls.pem", key = world->dir.path() / "tls.key";
  const ProcessResult made = testing::run_process({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
                                                   "-days", "1", "-keyout", key.string(), "-out", cert.string()});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  server::ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.tls_cert = cert;
  options.tls_key = key;
  options.access_log = [](const std::string&) {};
  auto started = server::Server::start(world->data(), options);
  ASSERT_TRUE(started.ok()) << started.error().describe();
  EXPECT_EQ((*started)->base_url().substr(0, 8), "https://");
  httplib::SSLClient tls("127.0.0.1", (*started)->port());
  tls.enable_server_certificate_verification(false);
  auto signed_in = tls.Post("/api/session", json{{"login", "O1"}, {"password", world->password["O1"]}}.dump(), "application/json");
  ASSERT_TRUE(signed_in);
  ASSERT_EQ(signed_in->status, 200) << signed_in->body;
  EXPECT_NE(signed_in->get_header_value("Set-Cookie").find("; Secure"), std::string::npos) << signed_in->get_header_value("Set-Cookie");
  EXPECT_TRUE(signed_in->has_header("Strict-Transport-Security"));
  EXPECT_EQ(tls.Get("/api/cases/CQ-S1", bearer("O1"))->status, 200);
  // Plain HTTP to the TLS port gets no answer that looks like one.
  auto plain = httplib::Client("127.0.0.1", (*started)->port()).Get("/healthz");
  EXPECT_TRUE(!plain || plain->status != 200);
  (*started)->stop(std::chrono::seconds(1));

  // Headers beyond the connection's memory are refused, and the server goes on.
  auto huge = get("/healthz", "", {{"X-Padding", std::string(48 << 10, 'a')}});
  ASSERT_TRUE(huge);
  EXPECT_EQ(huge->status, 431);  // libmicrohttpd's own answer: Request Header Fields Too Large
  EXPECT_EQ(get("/healthz", "")->status, 200);
}

TEST(Server, AnOrganizerAcceptsAFindingThatCouldFakeAPageWithAReasonAndTheCaseIsOrdered) {
  World& w = *world;
  w.run({"case", "create", "--file", w.write("s4.json", testing::sample_case("CQ-S4")).string()});
  std::string sampler;
  const json shown_case = json::parse(w.run({"case", "show", "CQ-S4", "--json"}).out);
  for (const auto& p : shown_case["people"])
    if (p["role"] == "sampler" && sampler.empty()) sampler = p["id"].get<std::string>();
  ASSERT_FALSE(sampler.empty()) << shown_case.dump(2);
  // A purchase recorded on a machine with a root CA the distribution does not ship: every step marked, the video
  // sealed and verified, and still incomplete for that finding alone (Art 35).
  std::string recording;
  {
    auto runtime = std::move(runtime::Runtime::open(w.data())).value();
    purchase::PurchaseSessions& sessions = runtime->purchases();
    auto s = sessions.begin("CQ-S4", w.dir.path() / "s4-recording", sampler, false, [](const fs::path&) { return false; });
    ASSERT_TRUE(s.ok()) << s.error().describe();
    const json environment = {{"clean", false},
                              {"findings", {{{"item", "system_ca"}, {"title", "系统证书库"}, {"level", "warning"}, {"could_fake", true},
                                             {"note", "系统证书库中有 1 个不是发行版自带的根证书"}}}}};
    ASSERT_TRUE(sessions.set_environment(s->id, environment, sampler).ok());
    int index = 0;
    for (const auto& spec : purchase::purchase_steps()) {
      auto checked = sessions.check_step(s->id, spec.id, testing::purchase_step_fields().at(spec.id));
      ASSERT_TRUE(checked.ok()) << spec.id << ": " << checked.error().describe();
      ++index;
      purchase::StepRecord step{spec.id, *checked, index, index * 15, SystemClock().now(), "stills/" + spec.id + ".png", std::string(64, 'a'), "", json()};
      ASSERT_TRUE(sessions.add_step(s->id, step, sampler).ok()) << spec.id;
    }
    purchase::RecordingResult sealed;
    sealed.finished = true;
    sealed.verify = {{"ok", true}, {"continuous", true}, {"hash_chain_ok", true}, {"timestamp_token_ok", true}, {"time_synced", true},
                     {"gaps", json::array()}, {"errors", json::array()}, {"frames", 300}, {"duration_s", 20.0}};
    sealed.manifest_sha256 = std::string(64, 'b');
    auto done = sessions.conclude(s->id, sealed);
    ASSERT_TRUE(done.ok()) << done.error().describe();
    ASSERT_EQ(done->state, purchase::PurchaseState::incomplete) << done->problems.dump();
    recording = "/api/recordings/purchase-" + std::to_string(s->id);
  }
  const std::string accept = recording + "/environment-acceptance";
  auto by_sampler = post(accept, sampler, {{"reason", "本机证书与本次购买无关：浏览器不经代理"}});
  EXPECT_EQ(by_sampler->status, 409) << "the sampler cannot clear their own machine: " << by_sampler->body;
  EXPECT_EQ(body_of(by_sampler)["error"]["article"], 35);
  auto no_reason = post(accept, "O1", {{"reason", "  "}});
  EXPECT_EQ(no_reason->status, 400) << no_reason->body;
  EXPECT_EQ(body_of(no_reason)["error"]["field"], "reason");
  auto unknown = post(accept, "O1", {{"reason", "本机证书与本次购买无关：浏览器不经代理"}, {"force", true}});
  EXPECT_EQ(unknown->status, 400) << "an unknown field is named, not ignored";
  EXPECT_EQ(body_of(get("/api/cases/CQ-S4", "O1"))["state"], "purchasing");

  auto accepted = post(accept, "O1", {{"reason", "本机证书与本次购买无关：浏览器不经代理"}});
  ASSERT_EQ(accepted->status, 200) << accepted->body;
  EXPECT_EQ(body_of(accepted)["state"], "complete");
  EXPECT_EQ(body_of(accepted)["environment_acceptance"]["by"], "O1");
  EXPECT_EQ(body_of(accepted)["environment_acceptance"]["findings"][0]["item"], "system_ca");
  EXPECT_EQ(body_of(get("/api/cases/CQ-S4", "O1"))["state"], "ordered");
  EXPECT_EQ(post(accept, "O1", {{"reason", "再次接受同样的发现"}})->status, 409) << "accepted once";
  // The reviewer sees who accepted what and why beside the recording.
  EXPECT_EQ(body_of(get(recording, "O1"))["session"]["environment_acceptance"]["reason"], "本机证书与本次购买无关：浏览器不经代理");
  // A purchase without a preserved WARC says so where its pages would be.
  auto pages = get(recording + "/pages", "O1");
  ASSERT_EQ(pages->status, 200) << pages->body;
  EXPECT_EQ(body_of(pages)["kept"], false);
}

TEST(Server, TheReplayOriginTakesAnotherFreePortWhenTheNextOneIsTakenUnlessOneIsNamed) {
  // Something else listens on the port after the service's: the default replay origin moves to a free port.
  const int port = testing::free_port(SOCK_STREAM);
  const int taken = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port + 1));
  inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  const bool bound = ::bind(taken, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 && ::listen(taken, 1) == 0;
  server::ServerOptions options;
  options.listen = "127.0.0.1:" + std::to_string(port);
  options.background_interval = std::chrono::seconds(0);
  options.access_log = [](const std::string&) {};
  {
    auto started = server::Server::start(world->data(), options);
    ASSERT_TRUE(started.ok()) << started.error().describe();
    EXPECT_NE((*started)->replay_port(), 0);
    if (bound) {
      EXPECT_NE((*started)->replay_port(), port + 1);
    }
  }
  // Named by the operator: used or refused, naming the option.
  if (bound) {
    options.replay_listen = "127.0.0.1:" + std::to_string(port + 1);
    auto refused = server::Server::start(world->data(), options);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().field, "replay-listen");
  }
  options.replay_listen = "off";
  auto off = server::Server::start(world->data(), options);
  ASSERT_TRUE(off.ok()) << off.error().describe();
  EXPECT_EQ((*off)->replay_port(), 0);
  ::close(taken);
}

}  // namespace
}  // namespace netsample
