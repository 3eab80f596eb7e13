// The README's main job and the purchase commands, end to end, as a new user runs them: `netsample demo`
// (Xvfb, chronyd, OpenSSL TSA, the demo shop, Chromium, netsample-recorder — all real, all on loopback)
// must leave a complete purchase (7/7, continuous, sealed) and a sampling document whose text names the
// order and the case; then the refusals of the purchase commands against a real running recorder.
#include <gtest/gtest.h>

#include <sys/socket.h>

#include <csignal>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <regex>

#include <thread>

#include "netsample/browser/browser.h"
#include "netsample/core/file_io.h"
#include "netsample/core/http.h"
#include "netsample/core/process.h"
#include "netsample/core/sha256.h"
#include "netsample/demo/shop.h"
#include "netsample/recorder/control.h"
#include "netsample/testing/loopback.h"
#include "netsample/zip/zip.h"
#include "testing.h"

namespace netsample {
namespace {

using nlohmann::json;
using testing::ProcessResult;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

class PurchaseEndToEnd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    // As the README runs it: a data directory relative to the working directory (a path the demo hands to
    // other commands must still resolve; the seal photos once did not).
    demo_ = new ProcessResult(testing::run_process({"/bin/sh", "-c", "cd '" + dir_->path().string() + "' && exec " NETSAMPLE_BIN " --data data demo"}));
  }
  static void TearDownTestSuite() {
    delete demo_;
    delete dir_;
  }
  static fs::path data() { return dir_->path() / "data"; }
  static ProcessResult run(std::vector<std::string> args) {
    args.insert(args.begin(), {NETSAMPLE_BIN, "--data", data().string()});
    return testing::run_process(args);
  }
  static json run_json(std::vector<std::string> args) {
    args.push_back("--json");
    const ProcessResult r = run(args);
    return json::parse(r.out, nullptr, false);
  }
  static std::string demo_case() {
    // The case file, not the seals, lab or result files written beside it: DEMO-YYYYMMDD-NN.json.
    static const std::regex case_file(R"(DEMO-\d{8}-\d{2}\.json)");
    for (const auto& entry : fs::directory_iterator(data() / "demo-inputs"))
      if (std::regex_match(entry.path().filename().string(), case_file)) return entry.path().stem().string();
    return "";
  }
  static std::string sampler_of(const std::string& number) {
    const json view = run_json({"case", "show", number});
    for (const auto& p : view["people"])
      if (p["role"] == "sampler") return p["id"];
    return "";
  }

  static testing::TempDir* dir_;
  static ProcessResult* demo_;
};
testing::TempDir* PurchaseEndToEnd::dir_ = nullptr;
ProcessResult* PurchaseEndToEnd::demo_ = nullptr;

TEST_F(PurchaseEndToEnd, TheDemoBuysOnOneVerifiedRecordingAndWritesTheDocument) {
  ASSERT_EQ(demo_->exit_code, 0) << demo_->out << demo_->err;
  const std::string number = demo_case();
  ASSERT_FALSE(number.empty());
  const json sessions = run_json({"purchase", "show", number});
  ASSERT_EQ(sessions.size(), 1u) << sessions.dump(2);
  const json& s = sessions[0];
  EXPECT_EQ(s["state"], "complete") << s["problems"].dump(2);
  EXPECT_EQ(s["steps"].size(), 7u);
  EXPECT_TRUE(s["missing_steps"].empty());
  EXPECT_TRUE(s["verify"]["continuous"]);
  EXPECT_TRUE(s["verify"]["timestamp_token_ok"]);
  EXPECT_TRUE(s["verify"]["time_synced"]);
  EXPECT_EQ(s["environment"]["findings"].size(), 16u);  // the clean-environment check, stored
  // A machine with an added root certificate (as CI's may have) needed the organizer's acceptance, audited.
  if (!s["environment"]["could_fake"].empty()) {
    EXPECT_EQ(s["environment_acceptance"]["by"], "CQ-O-001") << s.dump(2);
  }
  // The browser was netsample's: every page the demo sampler saw is in pages.warc.gz, in the video's hash chain.
  EXPECT_GT(s["verify"]["page_records"].get<int>(), 30) << s["verify"].dump(2);
  const json pages = testing::read_with_warcio(fs::path(s["recording_dir"].get<std::string>()) / "pages.warc.gz");
  std::string order;
  for (const auto& step : s["steps"])
    if (step["step"] == "order") order = step["fields"]["order_number"];
  bool order_page = false;
  for (const auto& r : pages) {
    EXPECT_EQ(r["block_ok"], true) << r.dump();
    order_page = order_page || (r["type"] == "response" && r["uri"].get<std::string>().ends_with("/order/" + order));
  }
  EXPECT_TRUE(order_page) << "the order page " << order << " is not in the WARC";
  // The demo sampler typed no field: each step's came from the page on screen (the licence's by OCR of its picture).
  for (const auto& step : s["steps"]) {
    if (step["step"] == "time_check") continue;
    EXPECT_FALSE(step["page"]["read"].empty()) << step.dump(2);
    EXPECT_TRUE(step["page"]["corrections"].empty()) << step.dump(2);
    if (step["step"] == "licence") {
      EXPECT_EQ(step["fields"]["licence_number"], "91500000MA5U000X0T");
      EXPECT_NE(step["page"]["rules"]["licence_number"].get<std::string>().find("ocr:"), std::string::npos);
    }
  }
  // Then the parcel, on the demo's courier service (Kuaidi100's format, signatures checked): delivered.
  const json parcels = run_json({"track", "show", number});
  ASSERT_EQ(parcels.size(), 1u) << parcels.dump(2);
  EXPECT_EQ(parcels[0]["status"], "delivered");
  EXPECT_EQ(parcels[0]["events"].size(), 4u);
  EXPECT_TRUE(parcels[0]["alert"].is_null());
  // Then the unboxing on its generated video: the waybill read and matched, the four Art 36 steps, accepted,
  // sealed separately (Art 37, 38): the case is 「已封样」 and owes the operator the sampling document (Art 39).
  const json unboxings = run_json({"unbox", "show", number});
  ASSERT_EQ(unboxings.size(), 1u);
  const json& u = unboxings[0];
  EXPECT_EQ(u["state"], "accepted");
  EXPECT_TRUE(u["missing_steps"].empty());
  EXPECT_TRUE(u["waybill"][0]["matched"].get<bool>()) << u["waybill"].dump();
  EXPECT_EQ(u["steps"][0]["how"], "label");
  EXPECT_EQ(u["video_info"]["timestamps"].size(), 1u);  // the import stamped by the demo's TSA
  EXPECT_NE(u["sealing"]["inspection"]["seal_number"], u["sealing"]["backup"]["seal_number"]);
  // Then the lab's (made-up) nonconforming result and the notices: delivered by webhook (the platform's
  // endpoint failed once: two attempts, one key), by e-mail with the PDF, and the operator's registered
  // letter received, which opened the objection period (Art 52).
  const json view = run_json({"case", "show", number});
  EXPECT_EQ(view["state"], "objection_window");
  const json notices = run_json({"notices", "list", "--case", number});
  std::map<std::string, json> by_kind;
  for (const auto& n : notices) by_kind[n["kind"]] = n;
  ASSERT_TRUE(by_kind.contains("sampling_document")) << notices.dump(2);
  EXPECT_EQ(by_kind["sampling_document"]["delivery_state"], "delivered");
  bool webhook = false, received = false;
  for (const auto& d : by_kind["result_nonconforming"]["deliveries"]) {
    webhook = webhook || (d["channel"] == "webhook" && d["state"] == "delivered" && d["attempts"] == 2);
    received = received || (d["channel"] == "post" && d["state"] == "received");
  }
  EXPECT_TRUE(webhook) << by_kind["result_nonconforming"].dump(2);
  EXPECT_TRUE(received);
  EXPECT_EQ(by_kind["result_to_producer_region"]["delivery_state"], "delivered");  // Art 74: the producer is in 广东省
  bool window = false;
  for (const auto& d : view["deadlines"]) window = window || (d["kind"] == "objection" && d["status"] == "open");
  EXPECT_TRUE(window);

  // The reviewer's own check of the recording, from its files. The demo's TSA is only in <data>/tsa-trust.pem: a CA
  // in the data directory is not trusted unless named (anyone who can write there could add one), and then said.
  const ProcessResult plain = run({"verify", s["recording_dir"]});
  EXPECT_EQ(plain.exit_code, 4) << plain.out << plain.err;
  EXPECT_NE(plain.out.find("未被采用"), std::string::npos) << plain.out;
  const ProcessResult verified = run({"verify", s["recording_dir"], "--trust", (data() / "tsa-trust.pem").string()});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_NE(verified.out.find("在数据目录内"), std::string::npos) << verified.out;
  const json manifest = json::parse(*read_file(fs::path(s["recording_dir"].get<std::string>()) / "manifest.json"));
  EXPECT_EQ(manifest["attachments"]["purchase"]["steps"].size(), 7u);  // the steps are sealed with the video
  EXPECT_EQ(manifest["attachments"]["environment"], s["environment"]);  // the findings are sealed with the video as stored

  std::string order_number;
  for (const auto& step : s["steps"])
    if (step["step"] == "order") order_number = step["fields"]["order_number"];
  ASSERT_EQ(order_number.rfind("DS", 0), 0u);
  fs::path pdf;
  for (const auto& entry : fs::directory_iterator(data() / "documents"))
    if (entry.path().extension() == ".pdf") pdf = entry.path();
  ASSERT_FALSE(pdf.empty());
  const ProcessResult text = testing::run_process({"/usr/bin/pdftotext", "-layout", pdf.string(), "-"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find(order_number), std::string::npos) << text.out;
  EXPECT_NE(text.out.find(number), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("网络抽样文书"), std::string::npos);
  EXPECT_EQ(text.out.find("草稿"), std::string::npos);  // sealed: the document is complete (Art 39)
  EXPECT_NE(text.out.find(u["sealing"]["backup"]["seal_number"].get<std::string>()), std::string::npos);
  EXPECT_NE(text.out.find("批号 B20261101"), std::string::npos);
  EXPECT_EQ(run({"audit", "verify"}).exit_code, 0);
  for (const char* said : {"第16条", "第47条", "审计链完整", "录像", "校验报告", "抽样文书", "已签收", "与面单一致", "已封样", "回执 201", "异议期（第52条）"})
    EXPECT_NE(demo_->out.find(said), std::string::npos) << said;
}

// The demo's station syncs to a centre (its `serve` on PostgreSQL, all on loopback): the whole demo case — its
// recordings, documents, notices, the station's chain — is exported at the centre and verifies there.
TEST_F(PurchaseEndToEnd, TheDemoCaseTravelsToTheCentreAndVerifiesThere) {
  ASSERT_EQ(demo_->exit_code, 0) << demo_->out << demo_->err;
  const std::string number = demo_case();
  auto postgres = loopback::PostgresServer::start();
  ASSERT_TRUE(postgres.ok()) << postgres.error().message;
  ASSERT_TRUE((*postgres)->create_database("centre").ok());
  const std::string db = (*postgres)->url("centre");
  const fs::path centre = dir_->path() / "centre";
  auto at_centre = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {NETSAMPLE_BIN, "--data", centre.string(), "--db", db});
    return testing::run_process(args);
  };
  const ProcessResult added = at_centre({"station", "add", "demo-01", "--name", "演示抽样站", "--json"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  const std::string token = json::parse(added.out)["token"];
  auto port = loopback::free_loopback_port(SOCK_STREAM);
  ASSERT_TRUE(port.ok());
  const std::string base = "http://127.0.0.1:" + std::to_string(*port);
  // The centre trusts the demo's time-stamping authority, as a province's centre trusts the stations' TSAs.
  auto replay_port = loopback::free_loopback_port(SOCK_STREAM);
  ASSERT_TRUE(replay_port.ok());
  ChildProcess service({NETSAMPLE_BIN, "--data", centre.string(), "--db", db, "serve", "--listen", "127.0.0.1:" + std::to_string(*port), "--replay-listen",
                        "127.0.0.1:" + std::to_string(*replay_port), "--background", "0", "--trust", (data() / "tsa-trust.pem").string()},
                       dir_->path() / "centre-serve.log");
  const Status up = loopback::wait_until_serving(base, dir_->path() / "centre-serve.log");
  ASSERT_TRUE(up.ok()) << up.error().message;

  const ProcessResult synced = testing::run_process(
      {"/usr/bin/env", "NETSAMPLE_STATION_TOKEN=" + token, NETSAMPLE_BIN, "--data", data().string(), "sync", "--central", base, "--json"});
  ASSERT_EQ(synced.exit_code, 0) << synced.out << synced.err;
  const json sent = json::parse(synced.out);
  EXPECT_GE(sent["cases_sent"].get<int>(), 1) << synced.out;
  // The recording went line by line (its fragments and page records, each checked against the journal's chain),
  // and its video and pages were not sent a second time as blobs.
  EXPECT_GT(sent["live_lines_sent"].get<int>(), 10) << synced.out;
  const json centre_log = json::parse(at_centre({"audit", "log", "--json"}).out, nullptr, false);
  std::set<std::string> made_from_lines;
  for (const auto& row : centre_log)
    if (row["action"] == "sync.blob_received" && row["payload"].contains("from_recording")) made_from_lines.insert(row["payload"]["sha256"]);
  EXPECT_EQ(made_from_lines.size(), 2u) << "the video and the pages made from their journal lines at the centre";
  // With its lines went each time stamp the recorder took while recording, checked at the centre against those lines
  // and the TSA it trusts.
  const json live = json::parse(at_centre({"station", "live", "--json"}).out, nullptr, false);
  int stamps = 0, verified_stamps = 0;
  for (const auto& r : live) stamps += r["stamps"].get<int>(), verified_stamps += r["stamps_verified"].get<int>();
  EXPECT_GE(stamps, 1) << live.dump();
  EXPECT_EQ(verified_stamps, stamps) << live.dump();

  // A reviewer reviews the station's recordings at the centre (the centre's roster names the station's people): the
  // same player as for the centre's own, the video and stills from what the station sent, checked again there;
  // the findings and verdicts are the centre's, in its chain, and go into the bundle exported there.
  const json people = run_json({"roster", "list"});
  testing::write_text(dir_->path() / "centre-roster.json", json{{"people", people}}.dump());
  ASSERT_EQ(at_centre({"roster", "add", "--file", (dir_->path() / "centre-roster.json").string()}).exit_code, 0);
  const json shown = run_json({"case", "show", number});
  std::string reviewer;
  for (const auto& p : shown["people"])
    if (p["role"] == "reviewer") reviewer = p["id"];
  const std::string sampler = sampler_of(number);
  ASSERT_FALSE(reviewer.empty()) << "the demo assigns its case a reviewer";
  // Someone of the roster who has nothing to do with the case: neither on it nor of its organizer or district.
  std::string outsider;
  for (const auto& p : people) {
    bool on_case = false;
    for (const auto& assigned : shown["people"]) on_case = on_case || assigned["id"] == p["id"];
    const std::string roles = p["roles"].dump();
    if (!on_case && roles.find("organizer") == std::string::npos && roles.find("district") == std::string::npos && outsider.empty()) outsider = p["id"];
  }
  ASSERT_FALSE(outsider.empty()) << people.dump();
  HttpClient http;
  std::map<std::string, std::string> tokens;
  std::string reviewer_password;
  for (const std::string& person : {reviewer, sampler, outsider}) {
    const ProcessResult account = at_centre({"account", "add", "--person", person, "--json"});
    ASSERT_EQ(account.exit_code, 0) << account.err;
    if (person == reviewer) reviewer_password = json::parse(account.out)["password"];
    tokens[person] = json::parse(at_centre({"token", "create", "--person", person, "--json"}).out)["token"];
  }
  auto call = [&](const std::string& person, const std::string& method, const std::string& path, const json& body = nullptr) {
    HttpRequest request;
    request.method = method;
    request.url = base + path;
    request.headers = {{"Authorization", "Bearer " + tokens[person]}};
    if (!body.is_null()) {
      request.headers.push_back({"Content-Type", "application/json"});
      request.body = body.dump();
    }
    auto answer = http.send(request);
    return answer.ok() ? *answer : HttpResponse{};
  };
  const HttpResponse listed = call(reviewer, "GET", "/api/station-cases/" + number + "/recordings");
  ASSERT_EQ(listed.status, 200) << listed.body;
  const json recordings = json::parse(listed.body);
  EXPECT_EQ(recordings["station"], "demo-01");
  EXPECT_EQ(recordings["may_review"], true);
  json purchase_item;
  std::set<std::string> kinds;
  for (const auto& r : recordings["items"]) {
    kinds.insert(r["kind"]);
    if (r["kind"] == "purchase") purchase_item = r;
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"purchase", "unboxing"})) << listed.body;
  ASSERT_TRUE(purchase_item.is_object());
  const std::string url = purchase_item["url"];
  const json recording = json::parse(call(reviewer, "GET", url).body, nullptr, false);
  ASSERT_TRUE(recording.is_object());
  EXPECT_EQ(recording["finished"], true);
  EXPECT_GT(recording["duration_s"].get<double>(), 5.0);
  ASSERT_FALSE(recording["markers"].empty()) << "the purchase's steps, from the manifest the station sent";
  std::map<std::string, std::string> file_hashes;
  for (const auto& f : recording["files"]) file_hashes[f["name"]] = f["sha256"];
  // The player's video is the playback copy the station stored, byte for byte; the stills are the station's.
  const HttpResponse played = call(reviewer, "GET", recording["video"]);
  ASSERT_EQ(played.status, 200);
  EXPECT_EQ(sha256_hex(played.body), file_hashes["playback.mp4"]);
  const std::string still_url = recording["markers"][0]["still"];
  const HttpResponse still = call(reviewer, "GET", still_url);
  EXPECT_EQ(still.status, 200);
  EXPECT_EQ(still.body.substr(1, 3), "PNG");
  EXPECT_EQ(call(reviewer, "GET", recording["chapters"]).body.substr(0, 6), "WEBVTT");
  // The pages the purchase's browser received, replayed beside the video from the station's WARC: the signed link
  // names the station's case, and reads exactly the stored file.
  const json pages = json::parse(call(reviewer, "GET", url + "/pages").body, nullptr, false);
  ASSERT_EQ(pages["kept"], true) << pages.dump().substr(0, 400);
  EXPECT_FALSE(pages["navigations"].empty());
  HttpRequest source;
  source.url = pages["replay"]["source"];
  auto replayed = http.send(source);
  ASSERT_TRUE(replayed.ok());
  EXPECT_EQ(replayed->status, 200) << replayed->body.substr(0, 300);
  EXPECT_EQ(sha256_hex(replayed->body), file_hashes["pages.warc.gz"]);
  // Checked again at the centre from the stored files, against the TSA the centre trusts.
  const json reverified = json::parse(call(reviewer, "POST", url + "/verify").body, nullptr, false);
  EXPECT_EQ(reverified["ok"], true) << reverified.dump().substr(0, 600);
  // The reviewer's finding and verdict; the case's sampler, who sees the case, may not give them.
  const HttpResponse found = call(reviewer, "POST", url + "/findings", {{"media_ms", 1500}, {"severity", "minor"}, {"note", "店铺名称一闪而过"}});
  ASSERT_EQ(found.status, 201) << found.body;
  EXPECT_EQ(json::parse(found.body)["station"], "demo-01");
  const HttpResponse given = call(reviewer, "POST", url + "/verdict", {{"verdict", "doubts"}, {"reasons", {"第 3 步的页面需要复核"}}});
  ASSERT_EQ(given.status, 201) << given.body;
  const HttpResponse refused = call(sampler, "POST", url + "/findings", {{"media_ms", 1000}, {"severity", "info"}, {"note", "x"}});
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_NE(refused.body.find("不是本任务指派的审看人员"), std::string::npos) << refused.body;
  const json reviewed = json::parse(call(sampler, "GET", url).body, nullptr, false);
  ASSERT_EQ(reviewed["review"]["findings"].size(), 1u) << reviewed["review"].dump();
  EXPECT_EQ(reviewed["review"]["findings"][0]["note"], "店铺名称一闪而过");
  EXPECT_EQ(reviewed["review"]["verdicts"][0]["current"], true);
  EXPECT_EQ(reviewed["may_review"], false);
  EXPECT_EQ(call(outsider, "GET", "/api/station-cases/" + number + "/recordings").status, 404) << "outside one's cases: as if it did not exist";
  EXPECT_EQ(call(outsider, "GET", url).status, 404);

  // The case's open deadlines are on the centre's deadline board, as the station computed them when it read the
  // documents; not for someone outside the case.
  auto station_deadlines = [&](const std::string& person) {
    json mine = json::array();
    const json all = json::parse(call(person, "GET", "/api/deadlines").body, nullptr, false);
    for (const auto& d : all.value("deadlines", json::array()))
      if (d.contains("station")) mine.push_back(d);
    return mine;
  };
  const json board = station_deadlines(reviewer);
  ASSERT_FALSE(board.empty());
  for (const auto& d : board) {
    EXPECT_EQ(d["case"], number);
    EXPECT_EQ(d["station"], "demo-01");
    EXPECT_EQ(d["status"], "open");
    EXPECT_FALSE(d["label"].get<std::string>().empty());
    EXPECT_NE(d["as_of"].get<std::string>().find("+08:00"), std::string::npos) << d.dump();
  }
  std::set<std::string> open_at_station;
  for (const auto& d : shown["deadlines"])
    if (d["status"] == "open") open_at_station.insert(d["kind"]);
  std::set<std::string> on_board;
  for (const auto& d : board) on_board.insert(d["kind"]);
  EXPECT_EQ(on_board, open_at_station);
  EXPECT_TRUE(station_deadlines(outsider).empty());

  // The same in the centre's web UI (tests/browser/stations.mjs, Debian's Chromium): 工作站, 审看录像, the video plays,
  // a finding recorded at its time is shown after the page reloads.
  const fs::path ui_input = dir_->path() / "stations-ui.json";
  ASSERT_TRUE(write_file_atomic(ui_input,
                                json{{"base", base}, {"case", number}, {"reviewer", {{"login", reviewer}, {"password", reviewer_password}}},
                                     {"note", "付款页面的金额需要复核"}, {"shots", NETSAMPLE_SHOTS_DIR}}
                                    .dump(),
                                0600)  // a password
                  .ok());
  const ProcessResult ui = testing::run_process({"/usr/bin/node", std::string(NETSAMPLE_BROWSER_DIR) + "/stations.mjs", ui_input.string()});
  const json seen = json::parse(ui.out, nullptr, false);
  ASSERT_TRUE(seen.is_object()) << ui.out << ui.err;
  ASSERT_FALSE(seen.contains("error")) << seen.dump(2);
  EXPECT_EQ(seen["station_cases"], 1);
  EXPECT_EQ(seen["recordings"], 2) << "the purchase and the unboxing";
  EXPECT_GT(seen["chapters"].get<int>(), 3) << "the purchase's steps";
  EXPECT_GT(seen["first_still_width"].get<int>(), 0) << "a step's still shown";
  EXPECT_GT(seen["played_to"].get<double>(), 0.3) << "the video plays";
  EXPECT_NE(seen["finding_text"].get<std::string>().find("严重"), std::string::npos) << seen["finding_text"];
  EXPECT_EQ(seen["findings_on_bar"], 2) << "the finding given through the API and this one";
  EXPECT_EQ(seen["url_after"], "#/stations/" + number);
  EXPECT_GE(seen["board_station_rows"].get<int>(), 1) << "the case's deadlines on the centre's board";
  EXPECT_EQ(seen["board_link"], "#/stations/" + number);
  for (const char* page : {"station-review", "deadlines-at-centre"})
    EXPECT_TRUE(seen["axe"][page].is_array() && seen["axe"][page].empty()) << page << ": " << seen["axe"].dump(2);
  EXPECT_TRUE(seen["console_errors"].empty()) << seen["console_errors"].dump(2);

  const fs::path bundle = dir_->path() / "at-centre.zip";
  const ProcessResult exported = at_centre({"export", number, "--out", bundle.string()});
  ASSERT_EQ(exported.exit_code, 0) << exported.out << exported.err;
  const ProcessResult verified = run({"verify", bundle.string(), "--trust", (data() / "tsa-trust.pem").string(), "--json"});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  const json report = json::parse(verified.out, nullptr, false);
  EXPECT_EQ(report["case"], number);
  std::string checked;
  for (const auto& c : report["checks"]) checked += c["item"].get<std::string>() + " ";
  // The purchase and the unboxing recordings, the other evidence and the station's audit rows are all in it.
  for (const char* part : {"recordings/purchase-", "recordings/unboxing-", "evidence", "audit/rows.json", "audit/chain.json"})
    EXPECT_NE(checked.find(part), std::string::npos) << part << " not checked: " << checked;
  auto zip = zip::ZipReader::open(bundle);
  ASSERT_TRUE(zip.ok());
  auto centre_review = zip->read("review/centre-review.json");
  ASSERT_TRUE(centre_review.ok()) << "the centre's review is not in its bundle";
  EXPECT_NE(centre_review->find("店铺名称一闪而过"), std::string::npos) << *centre_review;
  EXPECT_EQ(at_centre({"audit", "verify"}).exit_code, 0);
  // The centre's review is under its chain like its own cases' are: a finding changed in the database is named.
  ASSERT_TRUE((*postgres)->run_sql("centre", "DROP TRIGGER review_station_findings_no_update ON review_station_findings; "
                                             "UPDATE review_station_findings SET note = '没有问题'").ok());
  const ProcessResult tampered = at_centre({"audit", "verify"});
  EXPECT_EQ(tampered.exit_code, 4) << tampered.out << tampered.err;
  EXPECT_NE((tampered.out + tampered.err).find("工作站任务的审看意见 #1"), std::string::npos) << tampered.out << tampered.err;
  service.signal(SIGTERM);
  EXPECT_EQ(service.wait_for(std::chrono::seconds(15)).value_or(-1), 0);
}

TEST_F(PurchaseEndToEnd, ACaseThatIsNotPlannedCannotBePurchasedAgain) {
  const std::string number = demo_case();
  const ProcessResult r = run({"--as", sampler_of(number), "purchase", "start", "--case", number, "--new-purchase", "--source", "x11::0"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.err.find("异议期"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("第35条"), std::string::npos) << r.err;
}

TEST_F(PurchaseEndToEnd, ASecondRecordingAMissingStepAndAMarkAfterFinishAreRefused) {
  // A second case, planned, recorded from a file source (the demo's own video) against local time and TSA.
  const std::string number = demo_case();
  json case_file = json::parse(*read_file(data() / "demo-inputs" / (number + ".json")));
  case_file["number"] = number + "-B";
  testing::write_text(dir_->path() / "b.json", case_file.dump());
  ASSERT_EQ(run({"case", "create", "--file", (dir_->path() / "b.json").string()}).exit_code, 0);
  const std::string b = number + "-B", sampler = sampler_of(b);
  const json first = run_json({"purchase", "show", number});
  const std::string video = "file:" + first[0]["recording_dir"].get<std::string>() + "/recording.mp4";
  testing::Chronyd ntp;
  testing::TestTsa tsa;
  const std::vector<std::string> start = {NETSAMPLE_BIN, "--data", data().string(), "--as", sampler, "purchase", "start", "--case", b,
                                          "--own-browser", "--source", video, "--ntp", ntp.address(), "--tsa", tsa.url(), "--trust", tsa.ca_file().string()};
  testing::Child recorder(start, dir_->path() / "b.log");
  // The recorder answers from its first frame; it takes commands once ready (environment checked).
  bool ready = false;
  for (int i = 0; i < 600 && !ready; ++i) {
    const json shown = run_json({"purchase", "show", b});
    auto pong = shown.empty() ? Result<json>(make_error(ErrorCode::not_found, "session", ""))
                              : recorder::send_control(shown[0]["recording_dir"].get<std::string>(), {{"command", "ping"}});
    ready = pong.ok() && pong->value("ready", false);
    if (!ready) std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(ready) << testing::run_process({"tail", "-n", "30", (dir_->path() / "b.log").string()}).out;

  const ProcessResult second = testing::run_process(start);
  EXPECT_EQ(second.exit_code, 3) << second.err;
  EXPECT_NE(second.err.find("正在录制"), std::string::npos) << second.err;

  const ProcessResult early = run({"--as", sampler, "purchase", "mark", "search", "--field", "query=电热水壶"});
  EXPECT_EQ(early.exit_code, 3) << early.err;  // the video begins with the time check (Art 35)
  EXPECT_EQ(run({"--as", sampler, "purchase", "mark", "time_check"}).exit_code, 0);
  const ProcessResult stranger = run({"--as", "CQ-L-001", "purchase", "mark", "search", "--field", "query=电热水壶"});
  EXPECT_EQ(stranger.exit_code, 3) << stranger.err;  // a tester is not a drawn sampler (Art 20)
  EXPECT_NE(stranger.err.find("抽样人员"), std::string::npos) << stranger.err;
  const ProcessResult typo = run({"--as", sampler, "purchase", "mark", "search", "--field", "querry=电热水壶"});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.err.find("search.querry"), std::string::npos) << typo.err;
  EXPECT_EQ(run({"--as", sampler, "purchase", "mark", "search", "--field", "query=电热水壶"}).exit_code, 0);

  const ProcessResult finished = run({"purchase", "finish", "--case", b});
  EXPECT_EQ(finished.exit_code, 3) << finished.out << finished.err;  // incomplete: never silently accepted
  EXPECT_NE(finished.out.find("不完整"), std::string::npos) << finished.out;
  EXPECT_NE(finished.out.find("缺少「聊天记录」"), std::string::npos) << finished.out;
  EXPECT_EQ(recorder.wait(60s), 3) << read_file(dir_->path() / "b.log").value();
  const json b_sessions = run_json({"purchase", "show", b});
  ASSERT_EQ(b_sessions.size(), 1u);
  EXPECT_EQ(b_sessions[0]["state"], "incomplete");
  EXPECT_EQ(b_sessions[0]["missing_steps"].size(), 5u);
  EXPECT_TRUE(b_sessions[0]["verify"]["ok"]) << b_sessions[0]["verify"].dump(2);  // the recording itself is fine
  EXPECT_EQ(run_json({"case", "show", b})["state"], "purchasing");

  const ProcessResult late = run({"--as", sampler, "purchase", "mark", "chat", "--case", b, "--field", "question=有发票吗", "--field", "answer=有"});
  EXPECT_NE(late.exit_code, 0);
  EXPECT_NE(late.err.find("没有正在录制的买样"), std::string::npos) << late.err;
  EXPECT_EQ(run_json({"purchase", "show", b})[0]["steps"].size(), 2u);
}

// The sampler buys in netsample's browser: each step's fields come from the page on screen, a field the sampler
// corrects is kept beside what the page said, and every page is in the recording's chain (a removed one is named).
TEST_F(PurchaseEndToEnd, InNetsamplesBrowserTheFieldsComeFromThePageAndACorrectionIsKept) {
  testing::Xvfb x;
  SystemClock clock;
  auto shop = demo::DemoShop::start(clock).value();
  const std::string number = demo_case();
  json case_file = json::parse(*read_file(data() / "demo-inputs" / (number + ".json")));
  const std::string c = number + "-C";
  case_file["number"] = c;
  case_file["shop"]["url"] = shop->url();
  case_file["shop"]["listing_url"] = shop->url() + "item/QS-1701";
  testing::write_text(dir_->path() / "c.json", case_file.dump());
  ASSERT_EQ(run({"case", "create", "--file", (dir_->path() / "c.json").string()}).exit_code, 0);
  const std::string sampler = sampler_of(c);
  testing::Chronyd ntp;
  testing::TestTsa tsa;
  testing::Child recorder({NETSAMPLE_BIN, "--data", data().string(), "--as", sampler, "purchase", "start", "--case", c, "--source", "x11:" + x.display(),
                           "--ntp", ntp.address(), "--tsa", tsa.url(), "--trust", tsa.ca_file().string()},
                          dir_->path() / "c.log");
  fs::path recording;
  for (int i = 0; i < 300 && recording.empty(); ++i) {
    const json shown = run_json({"purchase", "show", c});
    auto pong = shown.empty() ? Result<json>(make_error(ErrorCode::not_found, "session", ""))
                              : recorder::send_control(shown[0]["recording_dir"].get<std::string>(), {{"command", "ping"}});
    if (pong.ok() && pong->value("ready", false)) recording = shown[0]["recording_dir"].get<std::string>();
    else
      std::this_thread::sleep_for(100ms);
  }
  ASSERT_FALSE(recording.empty()) << read_file(dir_->path() / "c.log").value();
  // The demo shop is a local platform: the test drives netsample's browser as the demo does.
  browser::Page page([recording](const std::string& method, const json& params) -> Result<json> {
    NETSAMPLE_ASSIGN(json answer, recorder::send_control(recording, {{"command", "browser"}, {"method", method}, {"params", params}}));
    return answer.value("result", json::object());
  });
  ASSERT_TRUE(page.wait_until("document.querySelector('#q')").ok());
  ASSERT_EQ(run({"--as", sampler, "purchase", "mark", "time_check", "--case", c}).exit_code, 0);
  ASSERT_TRUE(page.type("#q", "电热水壶").ok());
  ASSERT_TRUE(page.click("#search-button").ok());
  ASSERT_TRUE(page.wait_until("document.querySelector('#results')").ok());
  const json read = run_json({"--as", sampler, "purchase", "read", "search", "--case", c});
  EXPECT_EQ(read["read"]["query"], "电热水壶") << read.dump(2);
  EXPECT_EQ(read["read"]["platform"], "演示商城");
  const ProcessResult corrected = run({"--as", sampler, "purchase", "mark", "search", "--case", c, "--field", "query=热水壶"});
  ASSERT_EQ(corrected.exit_code, 0) << corrected.err;
  EXPECT_NE(corrected.out.find("已更正，网页为 电热水壶"), std::string::npos) << corrected.out;
  ASSERT_TRUE(page.navigate(shop->url() + "item/QS-1701").ok());
  // The product page is marked on the station console, as a sampler does it: key 4, the page's fields shown, the
  // model corrected, Enter (tests/browser/console.mjs in Chromium).
  const std::string log = read_file(dir_->path() / "c.log").value();
  const std::smatch console_url = [&] {
    std::smatch m;
    static const std::regex url(R"(http://127\.0\.0\.1:\d+/#[0-9a-f]{48})");
    std::regex_search(log, m, url);
    return m;
  }();
  ASSERT_FALSE(console_url.empty()) << log;
  testing::write_text(dir_->path() / "console.json", json{{"url", console_url.str()}, {"shot", (dir_->path() / "console.png").string()}}.dump());
  const ProcessResult ui = testing::run_process({"/usr/bin/node", std::string(NETSAMPLE_BROWSER_DIR) + "/console.mjs", (dir_->path() / "console.json").string()});
  const json console = json::parse(ui.out, nullptr, false);
  ASSERT_TRUE(console.is_object() && !console.contains("error")) << ui.out << ui.err;
  EXPECT_EQ(console["steps"].size(), 7u);
  EXPECT_EQ(console["address_after_load"].get<std::string>().find('#'), std::string::npos) << "the token stays out of the address bar";
  EXPECT_EQ(console["proposed"]["price"], "129.00") << console.dump(2);
  EXPECT_EQ(console["proposed"]["url"], shop->url() + "item/QS-1701");
  EXPECT_NE(console["marked"].get<std::string>().find("更正 model"), std::string::npos) << console["marked"];
  EXPECT_EQ(console["without_token"], 403);
  EXPECT_TRUE(console["axe"].empty()) << console["axe"].dump();
  const ProcessResult wrong_page = run({"--as", sampler, "purchase", "mark", "order", "--case", c});
  EXPECT_EQ(wrong_page.exit_code, 2) << wrong_page.out << wrong_page.err;  // the product page is on screen, not an order
  EXPECT_NE(wrong_page.err.find("订单页"), std::string::npos) << wrong_page.err;
  EXPECT_EQ(run({"purchase", "finish", "--case", c}).exit_code, 3);  // incomplete: 3 of 7 steps
  EXPECT_EQ(recorder.wait(120s), 3);

  const json session = run_json({"purchase", "show", c})[0];
  json search, product;
  for (const auto& step : session["steps"]) {
    if (step["step"] == "search") search = step;
    if (step["step"] == "product_page") product = step;
  }
  EXPECT_EQ(search["fields"]["query"], "热水壶");
  EXPECT_EQ(search["page"]["read"]["query"], "电热水壶");
  ASSERT_EQ(search["page"]["corrections"].size(), 1u) << search.dump(2);
  EXPECT_EQ(search["page"]["corrections"][0], json({{"field", "query"}, {"page", "电热水壶"}, {"entered", "热水壶"}}));
  const json& kettle = demo::DemoShop::catalogue()["products"][0];
  EXPECT_EQ(product["fields"]["title"], kettle["title"]);
  EXPECT_EQ(product["fields"]["price"], "129.00");
  EXPECT_EQ(product["fields"]["model"], "QS-1701 型");
  EXPECT_EQ(product["fields"]["url"], shop->url() + "item/QS-1701");
  EXPECT_EQ(product["page"]["corrections"], json::array({{{"field", "model"}, {"page", kettle["model"]}, {"entered", "QS-1701 型"}}}));
  EXPECT_TRUE(session["verify"]["hash_chain_ok"]) << session["verify"].dump(2);
  EXPECT_GT(session["verify"]["page_records"].get<int>(), 10);

  // A page cut out of a copy of the recording is named by verify.
  const fs::path copy = dir_->path() / "tampered";
  fs::copy(recording, copy, fs::copy_options::recursive);
  const json intact = testing::read_with_warcio(copy / "pages.warc.gz");
  std::string bytes = read_file(copy / "pages.warc.gz").value();
  const json journal_line = [&] {
    std::istringstream lines(read_file(copy / "recording.journal").value());
    for (std::string line; std::getline(lines, line);) {
      const json j = json::parse(line);
      if (j.value("type", "") == "response" && j.value("uri", "").ends_with("/item/QS-1701")) return j;
    }
    return json();
  }();
  ASSERT_FALSE(journal_line.is_null());
  bytes.erase(journal_line["offset"].get<size_t>(), journal_line["size"].get<size_t>());
  fs::permissions(copy / "pages.warc.gz", fs::perms::owner_write, fs::perm_options::add);
  testing::write_text(copy / "pages.warc.gz", bytes);
  const ProcessResult verified = run({"verify", copy.string(), "--trust", tsa.ca_file().string()});
  EXPECT_NE(verified.exit_code, 0);
  EXPECT_NE(verified.out.find("/item/QS-1701"), std::string::npos) << verified.out;
  EXPECT_GT(intact.size(), 10u);
}

// Whoever can open the database can change a fact that decides a case: the day a notice was received starts the
// objection window (Art 52). Every table of case facts is compared with the audit log, and each change is named.
TEST_F(PurchaseEndToEnd, AuditVerifyNamesAHandEditInsertOrDeleteInEveryTableOfCaseFacts) {
  ASSERT_EQ(demo_->exit_code, 0) << demo_->out << demo_->err;
  ASSERT_EQ(run({"audit", "verify"}).exit_code, 0) << run({"audit", "verify"}).out;
  struct Attack {
    std::string sql;
    std::vector<std::string> named;  // what the report must say
  };
  const std::string any_case = "(SELECT MIN(id) FROM cases)";
  const std::vector<Attack> attacks = {
      {"DROP TRIGGER notice_deliveries_final; UPDATE notice_deliveries SET receipt = json_set(receipt, '$.received_date', '2026-01-02') "
       "WHERE channel = 'post' AND state = 'received'",
       {"邮寄送达", "receipt.received_date 现为「2026-01-02」", "被直接改动"}},
      {"DROP TRIGGER case_events_no_update; UPDATE case_events SET fields = json_set(fields, '$.received_date', '2026-01-02') "
       "WHERE event = 'notice_received'",
       {"事件「notice_received」", "fields.received_date 现为「2026-01-02」"}},
      {"DROP TRIGGER case_events_no_update; UPDATE case_events SET utc_us = utc_us - 86400000000 WHERE event = 'seal'",
       {"事件「seal」", "time 现为"}},
      {"DROP TRIGGER case_events_no_delete; DELETE FROM case_events WHERE event = 'seal'", {"事件「seal」", "数据库中缺失（被直接删除）"}},
      {"INSERT INTO case_events (case_id, event, from_state, to_state, actor, fields, articles, utc_us) SELECT case_id, 'objection_filed', "
       "to_state, to_state, 'x', '{}', '52', utc_us + 1 FROM case_events WHERE id = (SELECT MAX(id) FROM case_events)",
       {"事件「objection_filed」", "没有审计记录（被直接插入数据库）"}},
      {"DROP TRIGGER evidence_no_update; UPDATE evidence SET sha256 = '" + std::string(64, 'a') + "' WHERE id = (SELECT MIN(id) FROM evidence)",
       {"证据 #", "sha256 现为「aaaa"}},
      {"DELETE FROM evidence WHERE id = (SELECT MAX(id) FROM evidence)", {"证据 #", "数据库中缺失（被直接删除）"}},
      {"INSERT INTO evidence (case_id, sha256, size, kind, name, added_utc_us) VALUES (" + any_case + ", '" + std::string(64, 'b') +
           "', 3, 'still', 'planted.png', 1)",
       {"证据 #", "没有审计记录（被直接插入数据库）"}},
      {"DROP TRIGGER notice_deliveries_no_delete; DELETE FROM notice_deliveries WHERE id = (SELECT MIN(id) FROM notice_deliveries)",
       {"送达：审计记录", "数据库中缺失（被直接删除）"}},
      {"INSERT INTO notice_deliveries (notice_id, role, party_id, channel, idempotency_key, state, next_attempt_utc_us, created_utc_us, "
       "updated_utc_us) SELECT MAX(id), 'operator', 'demo-operator', 'post', 'planted', 'received', 1, 1, 1 FROM outbox",
       {"邮寄送达", "没有审计记录（被直接插入数据库）"}},
      {"DROP TRIGGER notice_documents_no_update; UPDATE notice_documents SET pdf_sha256 = '" + std::string(64, 'c') + "'",
       {"的文书", "pdf_sha256 现为「cccc"}},
      {"DROP TRIGGER parcel_events_no_update; UPDATE parcel_events SET context = '快件已签收' WHERE id = (SELECT MIN(id) FROM parcel_events)",
       {"的轨迹", "「快件已签收」：没有审计记录", "数据库中缺失（被直接删除）"}},
      {"DROP TRIGGER parcel_events_no_delete; DELETE FROM parcel_events WHERE id = (SELECT MAX(id) FROM parcel_events)",
       {"的轨迹", "数据库中缺失（被直接删除）"}},
      {"INSERT INTO parcel_events (parcel_id, utc_us, context, location, seen_utc_us) SELECT MIN(id), 1, '已揽收', '', 1 FROM parcels",
       {"的轨迹 1970-01-01T08:00:00", "没有审计记录（被直接插入数据库）"}},
      {"DROP TRIGGER parcels_fixed; UPDATE parcels SET number = 'SF0000000000' WHERE id = (SELECT MIN(id) FROM parcels)",
       {"包裹 #", "number 现为「SF0000000000」"}},
      {"INSERT INTO review_findings (case_id, recording, media_ms, severity, note, reviewer, utc_us) SELECT " + any_case +
           ", 'purchase-1', 1000, 'major', '录像有剪辑痕迹', MIN(id), 1 FROM people",
       {"审看意见 #", "没有审计记录（被直接插入数据库）"}},
  };
  for (const auto& attack : attacks) {
    testing::TempDir copy;
    fs::create_directories(copy / "data");
    for (const char* file : {"netsample.db", "netsample.db-wal", "audit-head.json"})
      if (fs::exists(data() / file)) fs::copy_file(data() / file, copy / "data" / file);
    testing::sql_exec(copy / "data" / "netsample.db", attack.sql);
    const ProcessResult verified = testing::run_process({NETSAMPLE_BIN, "--data", (copy / "data").string(), "audit", "verify"});
    EXPECT_EQ(verified.exit_code, 4) << attack.sql << "\n" << verified.out << verified.err;
    for (const auto& said : attack.named) EXPECT_NE(verified.out.find(said), std::string::npos) << attack.sql << "\n" << said << "\n" << verified.out;
  }
  // Without dropping a trigger first, the edit is refused where the rows are facts.
  testing::TempDir copy;
  fs::copy_file(data() / "netsample.db", copy / "netsample.db");
  for (const std::string sql : {"UPDATE case_events SET fields = '{}'", "DELETE FROM case_events", "UPDATE evidence SET size = 1",
                                "DELETE FROM parcel_events", "UPDATE parcels SET number = 'x'", "DELETE FROM notice_deliveries",
                                "UPDATE notice_deliveries SET receipt = NULL WHERE state = 'received'", "DELETE FROM notice_documents",
                                "INSERT INTO review_findings (case_id, recording, media_ms, severity, note, reviewer, utc_us) SELECT MIN(c.id), "
                                "'purchase-1', 1, 'info', 'x', MIN(p.id), 1 FROM cases c, people p; UPDATE review_findings SET note = ''"})
    EXPECT_THROW(testing::sql_exec(copy / "netsample.db", sql), std::runtime_error) << sql;
}

// Art 47: six years, longer than a TSA certificate lives. `evidence renew` keeps each token's chain and revocation
// status and, with --tsa, adds an archive stamp; verify then checks each layer at its own time.
TEST_F(PurchaseEndToEnd, Art47_EvidenceRenewKeepsTheMaterialAndAddsArchiveStampsThatVerifyReports) {
  ASSERT_EQ(demo_->exit_code, 0) << demo_->out << demo_->err;
  const std::string number = demo_case();
  testing::TestTsa archive(loopback::TsaOptions{std::chrono::hours(24 * 400), true});
  // The archive TSA joins the data's trust store (as the demo's own TSAs do), so later checks of these recordings hold.
  const fs::path trust = data() / "tsa-trust.pem";
  std::ofstream(trust, std::ios::app) << *read_file(archive.ca_file());

  // The demo's certificates live 30 days: renewal is due, and said.
  const ProcessResult due = run({"evidence", "renew", "--case", number, "--trust", trust.string()});
  ASSERT_EQ(due.exit_code, 0) << due.out << due.err;
  EXPECT_NE(due.out.find("须续期：netsample evidence renew --tsa"), std::string::npos) << due.out;

  const ProcessResult renewed = run({"evidence", "renew", "--case", number, "--trust", trust.string(), "--tsa", archive.url()});
  ASSERT_EQ(renewed.exit_code, 0) << renewed.out << renewed.err;
  EXPECT_NE(renewed.out.find("manifest.tsr：已续期（第 1 次存档时间戳）"), std::string::npos) << renewed.out;
  EXPECT_NE(renewed.out.find("unboxing-1.tsr：已续期"), std::string::npos) << renewed.out;  // the imported unboxing video's too
  EXPECT_GE(archive.authority().revocation_requests(), 1);  // the archive TSA's certificate names OCSP: asked

  const json sessions = run_json({"purchase", "show", number});
  ASSERT_TRUE(sessions.is_array() && !sessions.empty()) << sessions.dump();
  const std::string recording = sessions[0]["recording_dir"];
  EXPECT_TRUE(fs::exists(fs::path(recording) / "manifest.tsr.er.json"));
  const ProcessResult verified = run({"verify", recording, "--trust", trust.string()});
  EXPECT_EQ(verified.exit_code, 0) << verified.out;
  EXPECT_NE(verified.out.find("按其时间长期验证，2 层"), std::string::npos) << verified.out;
  EXPECT_EQ(verified.out.find("须在此之前续期"), std::string::npos) << verified.out;

  // The records are kept with the case's evidence, audited.
  const json items = run_json({"evidence", "list", "--case", number});
  EXPECT_TRUE(std::any_of(items.begin(), items.end(), [](const json& i) { return i["kind"] == "evidence_record" && i["name"] == "manifest.tsr.er.json"; }))
      << items.dump();
  EXPECT_EQ(run({"audit", "verify"}).exit_code, 0);
  // Not due any more: nothing is stamped again.
  const int before = archive.requests();
  const ProcessResult again = run({"evidence", "renew", "--case", number, "--trust", trust.string(), "--tsa", archive.url()});
  EXPECT_EQ(again.exit_code, 0) << again.out;
  EXPECT_NE(again.out.find("无须续期"), std::string::npos) << again.out;
  EXPECT_EQ(archive.requests(), before);
}

TEST_F(PurchaseEndToEnd, RunningTheDemoAgainAddsACaseOnTheSameData) {
  const size_t before = run_json({"case", "list"}).size();
  const ProcessResult again = run({"demo"});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(run_json({"case", "list"}).size(), before + 1);
  EXPECT_EQ(run({"audit", "verify"}).exit_code, 0);  // and every recording and import still verifies against the grown trust store
  for (const auto& entry : fs::directory_iterator(data() / "recordings")) {
    const std::string name = entry.path().filename().string();
    if (name.find("-B-") != std::string::npos || name.find("-C-") != std::string::npos) continue;  // stamped by a test's own TSA
    EXPECT_EQ(run({"verify", entry.path().string(), "--trust", (data() / "tsa-trust.pem").string()}).exit_code, 0) << entry.path();
  }
}

}  // namespace
}  // namespace netsample
