// A station syncing to the centre (sync/sync.h, design/central.md), all real: the centre's `netsample serve` on
// PostgreSQL, the station's SQLite data directory, `netsample sync` as a sampler's PC runs it. The centre takes the
// station's chain row by row and its evidence by SHA-256, checks both, and is sent nothing twice — not even after
// the sync was killed mid-upload.
#include <gtest/gtest.h>

#include <sys/socket.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <thread>

#include <nlohmann/json.hpp>

#include "netsample/core/file_io.h"
#include "netsample/core/http.h"
#include "netsample/core/process.h"
#include "netsample/core/sha256.h"
#include "netsample/core/tsa.h"
#include "netsample/recorder/journal.h"
#include "netsample/store/store.h"
#include "netsample/sync/sync.h"
#include "netsample/testing/loopback.h"
#include "netsample/zip/zip.h"
#include "testing.h"

namespace netsample {
namespace {
namespace fs = std::filesystem;
using json = nlohmann::json;
using testing::ProcessResult;

class StationSync : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto started = loopback::PostgresServer::start();
    ASSERT_TRUE(started.ok()) << started.error().message;
    postgres_ = started->release();
  }
  static void TearDownTestSuite() { delete postgres_; }

  void SetUp() override {
    static int counter = 0;
    const std::string db = "centre" + std::to_string(++counter);
    ASSERT_TRUE(postgres_->create_database(db).ok());
    centre_db_ = postgres_->url(db);
    const ProcessResult added = centre({"station", "add", "yubei-01", "--name", "渝北区局抽样站", "--json"});
    ASSERT_EQ(added.exit_code, 0) << added.out << added.err;
    token_ = json::parse(added.out)["token"];
    auto port = loopback::free_loopback_port(SOCK_STREAM);
    ASSERT_TRUE(port.ok());
    base_ = "http://127.0.0.1:" + std::to_string(*port);
    service_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{NETSAMPLE_BIN, "--data", (dir_ / "centre").string(), "--db", centre_db_, "serve", "--listen",
                                 "127.0.0.1:" + std::to_string(*port), "--replay-listen", "off", "--background", "0"},
        dir_ / "serve.log");
    const Status up = loopback::wait_until_serving(base_, dir_ / "serve.log");
    ASSERT_TRUE(up.ok()) << up.error().message;

    // The station: a case with a document and a recording-sized file.
    ASSERT_EQ(station({"roster", "add", "--file", write("roster.json", testing::sample_roster())}).exit_code, 0);
    ASSERT_EQ(station({"case", "create", "--file", write("case.json", testing::sample_case("CQ-SYNC-1"))}).exit_code, 0);
    recording_ = dir_ / "purchase.mp4";
    std::mt19937_64 random(7);
    std::string bytes(12 << 20, '\0');
    for (auto& c : bytes) c = static_cast<char>(random());
    testing::write_text(recording_, bytes);
    recording_sha256_ = sha256_hex(bytes);
    testing::write_text(dir_ / "order.pdf", "%PDF-1.4 order confirmation");
    const ProcessResult added_evidence = station({"evidence", "add", "--case", "CQ-SYNC-1", "--kind", "recording", recording_.string(), (dir_ / "order.pdf").string()});
    ASSERT_EQ(added_evidence.exit_code, 0) << added_evidence.err;
  }

  void TearDown() override {
    if (service_) service_->signal(SIGTERM), service_->wait_for(std::chrono::seconds(10));
  }

  std::string write(const std::string& name, const json& doc) {
    testing::write_text(dir_ / name, doc.dump());
    return (dir_ / name).string();
  }
  ProcessResult centre(std::vector<std::string> args) {
    args.insert(args.begin(), {NETSAMPLE_BIN, "--data", (dir_ / "centre").string(), "--db", centre_db_});
    return testing::run_process(args);
  }
  ProcessResult station(std::vector<std::string> args, const std::string& name = "station") {
    args.insert(args.begin(), {NETSAMPLE_BIN, "--data", (dir_ / name).string()});
    return testing::run_process(args);
  }
  // The token reaches `netsample sync` through its environment, never its command line.
  std::vector<std::string> sync_command(const std::string& token, int part_mib = 8, const std::string& name = "station") {
    return {"/usr/bin/env", "NETSAMPLE_STATION_TOKEN=" + token, NETSAMPLE_BIN, "--data", (dir_ / name).string(), "sync", "--central", base_,
            "--part-mib", std::to_string(part_mib), "--json"};
  }
  json sync(const std::string& token, ProcessResult* result = nullptr, const std::string& name = "station") {
    ProcessResult run = testing::run_process(sync_command(token, 8, name));
    if (result) *result = run;
    EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
    return json::parse(run.out, nullptr, false);
  }
  // `netsample verify` of a bundle exported at the centre: every check holds.
  json exported_at_centre(const std::string& number, const std::string& file) {
    const ProcessResult exported = centre({"export", number, "--out", (dir_ / file).string()});
    EXPECT_EQ(exported.exit_code, 0) << exported.out << exported.err;
    const ProcessResult verified = testing::run_process({NETSAMPLE_BIN, "verify", (dir_ / file).string(), "--json"});
    EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
    return json::parse(verified.out, nullptr, false);
  }
  // The centre's people: the station's roster, the centre's administrator (S1), the organizer of the stations' cases'
  // bureau (O1) and another bureau's (O9), each with an account.
  void add_centre_people() {
    json roster = testing::sample_roster();
    roster["people"].push_back({{"id", "O1"}, {"name", "周组织"}, {"org", "cq-amr"}, {"roles", {"organizer"}}});
    roster["people"].push_back({{"id", "O9"}, {"name", "吴组织"}, {"org", "sh-amr"}, {"roles", {"organizer"}}});
    ASSERT_EQ(centre({"roster", "add", "--file", write("centre-roster.json", roster)}).exit_code, 0);
    ASSERT_EQ(centre({"account", "add", "--person", "S1", "--admin"}).exit_code, 0);
    for (const char* person : {"O1", "O9"}) ASSERT_EQ(centre({"account", "add", "--person", person}).exit_code, 0);
  }
  json centre_blob(const std::string& sha256) {
    HttpRequest get;
    get.url = base_ + "/api/sync/blobs/" + sha256;
    get.headers = {{"Authorization", "Bearer " + token_}};
    auto answer = http_.send(get);
    return answer.ok() ? json::parse(answer->body, nullptr, false) : json();
  }

  testing::TempDir dir_;
  std::string centre_db_, token_, base_, recording_sha256_;
  fs::path recording_;
  HttpClient http_;
  std::unique_ptr<ChildProcess> service_;
  static loopback::PostgresServer* postgres_;
};
loopback::PostgresServer* StationSync::postgres_ = nullptr;

TEST_F(StationSync, TheCentreHoldsTheStationsChainAndEvidenceAndIsSentNothingTwice) {
  const json first = sync(token_);
  EXPECT_EQ(first["blobs_sent"], 2);
  EXPECT_EQ(first["cases_sent"], 1);
  EXPECT_EQ(first["bytes_sent"], (12 << 20) + 27);
  const json head = first["central_head"];
  EXPECT_EQ(head["seq"], first["rows_sent"]);
  EXPECT_GT(head["seq"].get<int>(), 3);

  // The centre lists the station with that head, and its own chain says what it received.
  const json stations = json::parse(centre({"station", "list", "--json"}).out, nullptr, false);
  ASSERT_TRUE(stations.is_array() && stations.size() == 1) << stations.dump();
  EXPECT_EQ(stations[0]["head"], head);
  const json centre_rows = json::parse(centre({"audit", "log", "--json"}).out, nullptr, false);
  std::string actions;
  for (const auto& row : centre_rows) actions += row["action"].get<std::string>() + " ";
  EXPECT_NE(actions.find("sync.blob_received sync.blob_received sync.rows_received"), std::string::npos) << actions;
  EXPECT_EQ(centre({"audit", "verify"}).exit_code, 0);
  EXPECT_EQ(centre_blob(recording_sha256_)["present"], true);

  // Again: nothing new, nothing sent.
  const json again = sync(token_);
  EXPECT_EQ(again["blobs_sent"], 0);
  EXPECT_EQ(again["blobs_already_there"], 0) << "the centre was asked about blobs of rows it holds";
  EXPECT_EQ(again["bytes_sent"], 0);
  EXPECT_EQ(again["rows_sent"], 0);
  EXPECT_EQ(again["cases_sent"], 0);

  // New work on the station: only it goes.
  testing::write_text(dir_ / "lab.pdf", "%PDF-1.4 lab report");
  ASSERT_EQ(station({"evidence", "add", "--case", "CQ-SYNC-1", "--kind", "lab_report", (dir_ / "lab.pdf").string()}).exit_code, 0);
  const json third = sync(token_);
  EXPECT_EQ(third["blobs_sent"], 1);
  EXPECT_EQ(third["bytes_sent"], 19);
  EXPECT_EQ(third["rows_sent"], 1);
  EXPECT_EQ(third["cases_sent"], 1);
}

// The case at the centre: exported there from the station's documents, its evidence and the station's chain as the
// centre received it, and verified as a bundle exported on the station would be.
TEST_F(StationSync, AStationsCaseIsExportedAtTheCentreAndVerifies) {
  const json sent = sync(token_);
  ASSERT_EQ(sent["cases_sent"], 1);
  const json report = exported_at_centre("CQ-SYNC-1", "centre.zip");
  EXPECT_EQ(report["ok"], true) << report.dump(2);
  EXPECT_EQ(report["case"], "CQ-SYNC-1");
  const json cases = json::parse(centre({"station", "cases", "--json"}).out, nullptr, false);
  ASSERT_TRUE(cases.is_array() && cases.size() == 1) << cases.dump();
  EXPECT_EQ(cases[0]["owner"], "yubei-01");

  // The centre's administrator downloads the same bundle from the service, and so does the case's organizer (the
  // rule of the centre's own cases, on the case as the station's documents show it); another bureau's cannot.
  add_centre_people();
  for (const auto& [person, status] : std::vector<std::pair<std::string, int>>{{"S1", 200}, {"O1", 200}, {"O9", 404}}) {
    HttpRequest download;
    download.url = base_ + "/api/cases/CQ-SYNC-1/export";
    download.headers = {{"Authorization", "Bearer " + json::parse(centre({"token", "create", "--person", person, "--json"}).out)["token"].get<std::string>()}};
    auto answer = http_.send(download);
    ASSERT_TRUE(answer.ok());
    EXPECT_EQ(answer->status, status) << person << ": " << answer->body.substr(0, 300);
    if (status == 200) {
      testing::write_text(dir_ / "downloaded.zip", answer->body);
      EXPECT_EQ(testing::run_process({NETSAMPLE_BIN, "verify", (dir_ / "downloaded.zip").string()}).exit_code, 0);
    }
  }

  // The bundle names its source, and the centre's chain records the export.
  auto zip = zip::ZipReader::open(dir_ / "centre.zip");
  ASSERT_TRUE(zip.ok());
  auto index_text = zip->read("bundle.json");
  ASSERT_TRUE(index_text.ok());
  const json index = json::parse(*index_text, nullptr, false);
  EXPECT_EQ(index["station"]["id"], "yubei-01") << index_text->substr(0, 400);
  EXPECT_NE(index_text->find(recording_sha256_), std::string::npos) << "the recording is not in the centre's bundle";
  EXPECT_NE(centre({"audit", "log", "--json"}).out.find("case.exported"), std::string::npos);

  // Documents that name a piece of evidence the station's chain does not give this case are refused, naming it.
  HttpRequest forged;
  forged.method = "POST";
  forged.url = base_ + "/api/sync/cases";
  forged.headers = {{"Authorization", "Bearer " + token_}, {"Content-Type", "application/json"}};
  const std::string stranger = sha256_hex(std::string("%PDF-1.4 lab report"));
  forged.body = json{{"case", "CQ-SYNC-1"},
                     {"seq", sent["central_head"]["seq"]},
                     {"documents",
                      {{"format", "netsample-case-documents/1"},
                       {"case", "CQ-SYNC-1"},
                       {"files", {{{"name", "documents/lab_report/9-lab.pdf"}, {"sha256", stranger}, {"size", 19}, {"kind", "lab_report"}}}},
                       {"recordings", json::array()},
                       {"warcs", json::array()}}}}
                    .dump();
  auto answer = http_.send(forged);
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->status, 422) << answer->body;
  EXPECT_NE(answer->body.find("documents/lab_report/9-lab.pdf"), std::string::npos) << answer->body;
  // And a file name that would escape the bundle's folders.
  json escaping = json::parse(forged.body);
  escaping["documents"]["files"] = {{{"name", "../../etc/cron.d/x"}, {"text", "* * * * * root true"}, {"kind", "case"}}};
  forged.body = escaping.dump();
  answer = http_.send(forged);
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->status, 400) << answer->body;
}

// A purchase being recorded: its fragments reach the centre as they are journaled, each checked against the
// journal's chain; a fragment changed after it was journaled is refused; once the recording is stored, its bytes
// are not sent again.
TEST_F(StationSync, ARecordingReachesTheCentreWhileItIsMadeAndIsNotSentAgain) {
  const fs::path recording = dir_ / "station" / "recordings" / "CQ-SYNC-1-purchase-1";
  fs::create_directories(recording);
  auto journal = recorder::JournalWriter::create(recording / "recording.journal");
  ASSERT_TRUE(journal.ok());
  std::ofstream media(recording / "recording.mp4", std::ios::binary);
  std::mt19937_64 random(11);
  std::uint64_t offset = 0;
  std::int64_t frame = -1, now_us = 1'796'000'000'000'000;
  auto record_fragment = [&](bool init = false) {
    std::string bytes(init ? 1200 : 150'000, '\0');
    for (auto& c : bytes) c = static_cast<char>(random());
    media.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    media.flush();
    recorder::FragmentInput f{offset, bytes.size(), sha256(bytes), init ? -1 : frame + 1, init ? -1 : frame + 15, now_us, now_us + 933'333};
    if (!init) frame += 15, now_us += 1'000'000;
    offset += bytes.size();
    ASSERT_TRUE(journal->append(f).ok());
  };
  record_fragment(true);
  for (int i = 0; i < 3; ++i) record_fragment();

  // The station's sync, as its service runs it while the purchase is recorded.
  SystemClock clock;
  auto live_push = [&]() {
    auto store = store::Store::open(dir_ / "station", clock);
    EXPECT_TRUE(store.ok());
    sync::SyncOptions options;
    options.central = base_;
    options.token = token_;
    options.live_recordings = [&] { return std::vector<sync::LiveSource>{{recording, "CQ-SYNC-1"}}; };
    return sync::push(**store, options);
  };
  auto first = live_push();
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->live_lines_sent, 4);
  json live = json::parse(centre({"station", "live", "--json"}).out, nullptr, false);
  ASSERT_TRUE(live.is_array() && live.size() == 1) << live.dump();
  EXPECT_EQ(live[0]["case"], "CQ-SYNC-1");
  EXPECT_EQ(live[0]["lines"], 4);
  EXPECT_EQ(live[0]["media_bytes"], offset);
  EXPECT_FALSE(live[0]["recorded_until"].is_null());

  // The centre's administrator watches it as far as it arrived: the init segment and the fragments, byte for byte;
  // so does the case's organizer (once the case's documents arrived, with `netsample sync`'s full round: the centre
  // judges who may see it from them); another bureau's organizer sees neither the case nor its recording.
  add_centre_people();
  sync(token_);
  const std::string admin = json::parse(centre({"token", "create", "--person", "S1", "--json"}).out)["token"];
  const std::string organizer = json::parse(centre({"token", "create", "--person", "O1", "--json"}).out)["token"];
  const std::string other = json::parse(centre({"token", "create", "--person", "O9", "--json"}).out)["token"];
  auto get = [&](const std::string& path, const std::string& bearer) {
    HttpRequest request;
    request.url = base_ + path;
    request.headers = {{"Authorization", "Bearer " + bearer}};
    auto answer = http_.send(request);
    EXPECT_TRUE(answer.ok());
    return answer.ok() ? *answer : HttpResponse{};
  };
  // The 4 lines went in one request (a batch), not one each.
  auto live_posts = [&]() {
    std::smatch count;
    const std::string metrics = get("/metrics", admin).body;
    return std::regex_search(metrics, count, std::regex(R"(netsample_http_requests_total\{method="POST",route="/api/sync/live/\{key\}",status="200"\} (\d+))"))
               ? std::stoi(count[1])
               : 0;
  };
  EXPECT_EQ(live_posts(), 1);
  const json overview = json::parse(get("/api/stations", admin).body, nullptr, false);
  ASSERT_TRUE(overview.is_object()) << overview;
  ASSERT_EQ(overview["live"].size(), 1u) << overview.dump();
  const std::string video_path = "/api/stations/yubei-01/live/" + overview["live"][0]["key"].get<std::string>() + "/video";
  const HttpResponse watched = get(video_path, admin);
  EXPECT_EQ(watched.status, 200);
  EXPECT_EQ(watched.body, read_file(recording / "recording.mp4")->substr(0, offset)) << "not the fragments as recorded";
  const json organizers = json::parse(get("/api/stations", organizer).body, nullptr, false);
  ASSERT_TRUE(organizers.is_object()) << organizers;
  EXPECT_TRUE(organizers["stations"].empty()) << "the stations themselves are the administrators'";
  ASSERT_EQ(organizers["cases"].size(), 1u) << organizers.dump();
  EXPECT_EQ(organizers["cases"][0]["case"], "CQ-SYNC-1");
  EXPECT_EQ(organizers["live"].size(), 1u) << organizers.dump();
  EXPECT_EQ(get(video_path, organizer).body, watched.body);
  const json others = json::parse(get("/api/stations", other).body, nullptr, false);
  ASSERT_TRUE(others.is_object()) << others;
  EXPECT_TRUE(others["cases"].empty() && others["live"].empty() && others["stations"].empty()) << others.dump();
  EXPECT_EQ(get(video_path, other).status, 404);
  EXPECT_NE(centre({"audit", "log", "--json"}).out.find("live_recording"), std::string::npos) << "the viewing is not in the audit log";

  // Two more seconds: only they go.
  record_fragment();
  record_fragment();
  auto second = live_push();
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second->live_lines_sent, 2);
  EXPECT_EQ(live_posts(), 2) << "the two new lines went in one request";

  // The time stamps the recorder takes while recording (journal.K.tsr, over the journal's first K lines) go with the
  // lines; the centre keeps one only when it stamps exactly the first K lines it received, and says whether its TSA
  // is one the centre trusts.
  auto tsa = loopback::TimestampAuthority::start(dir_ / "tsa");
  ASSERT_TRUE(tsa.ok()) << tsa.error().message;
  const TsaClient stamper(http_);
  auto stamp = [&](const std::string& name, const std::string& stamped) {
    auto token = stamper.stamp((*tsa)->url(), sha256(stamped));
    ASSERT_TRUE(token.ok()) << token.error().message;
    testing::write_text(recording / name, token->response_der);
  };
  auto first_lines = [&](int count) {
    const std::string text = *read_file(recording / "recording.journal");
    size_t end = 0;
    for (int i = 0; i < count; ++i) end = text.find('\n', end) + 1;
    return text.substr(0, end);
  };
  stamp("journal.4.tsr", first_lines(4));
  auto stamped = live_push();
  ASSERT_TRUE(stamped.ok()) << stamped.error().message;
  EXPECT_EQ(stamped->live_stamps_sent, 1);
  live = json::parse(centre({"station", "live", "--json"}).out, nullptr, false);
  EXPECT_EQ(live[0]["stamps"], 1) << live.dump();
  EXPECT_EQ(live[0]["stamps_verified"], 0) << "the centre does not trust this TSA: " << live.dump();
  auto again = live_push();
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->live_stamps_sent, 0) << "a stamp the centre holds went again";
  // A stamp of other lines than the centre received: refused, naming it.
  stamp("journal.5.tsr", first_lines(4) + "{\"index\": 4}\n");
  auto forged = live_push();
  ASSERT_FALSE(forged.ok());
  EXPECT_EQ(forged.error().code, ErrorCode::integrity);
  EXPECT_NE(forged.error().message.find("journal.5.tsr"), std::string::npos) << forged.error().message;
  fs::remove(recording / "journal.5.tsr");
  {
    // An instance of the centre that trusts the TSA (serve --trust): the next stamp verifies there.
    auto port = loopback::free_loopback_port(SOCK_STREAM);
    ASSERT_TRUE(port.ok());
    ChildProcess trusting({NETSAMPLE_BIN, "--data", (dir_ / "centre").string(), "--db", centre_db_, "serve", "--listen", "127.0.0.1:" + std::to_string(*port),
                           "--replay-listen", "off", "--background", "0", "--trust", (*tsa)->ca_file().string()},
                          dir_ / "serve-trusting.log");
    const std::string first_base = base_;
    base_ = "http://127.0.0.1:" + std::to_string(*port);
    const Status up = loopback::wait_until_serving(base_, dir_ / "serve-trusting.log");
    ASSERT_TRUE(up.ok()) << up.error().message;
    stamp("journal.6.tsr", first_lines(6));
    auto verified = live_push();
    base_ = first_base;
    trusting.signal(SIGTERM);
    trusting.wait_for(std::chrono::seconds(10));
    ASSERT_TRUE(verified.ok()) << verified.error().message;
    EXPECT_EQ(verified->live_stamps_sent, 1);
    live = json::parse(centre({"station", "live", "--json"}).out, nullptr, false);
    EXPECT_EQ(live[0]["stamps"], 2) << live.dump();
    EXPECT_EQ(live[0]["stamps_verified"], 1) << live.dump();
  }

  // A fragment changed on the station's disk after it was journaled: refused, naming the line; nothing of it kept.
  record_fragment();
  const std::uint64_t changed_at = offset - 1000;
  std::string original(8, '\0');
  {
    std::fstream file(recording / "recording.mp4", std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(static_cast<std::streamoff>(changed_at));
    file.read(original.data(), 8);
    file.seekp(static_cast<std::streamoff>(changed_at));
    file.write("tampered", 8);
  }
  auto refused = live_push();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::integrity);
  EXPECT_NE(refused.error().message.find("日志第 7 行"), std::string::npos) << refused.error().message;
  EXPECT_EQ(json::parse(centre({"station", "live", "--json"}).out)[0]["lines"], 6);
  {
    std::fstream file(recording / "recording.mp4", std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(changed_at));
    file.write(original.data(), 8);
  }
  media.close();

  // Finished and stored as evidence: the next sync sends the last line, and the centre makes the blob from the
  // lines it holds — the video's bytes are not sent again.
  std::string video = *read_file(recording / "recording.mp4");
  ASSERT_EQ(station({"evidence", "add", "--case", "CQ-SYNC-1", "--kind", "recording", (recording / "recording.mp4").string()}).exit_code, 0);
  const json done = sync(token_);
  EXPECT_EQ(done["live_lines_sent"], 1) << done.dump();
  EXPECT_EQ(centre_blob(sha256_hex(video))["present"], true);
  EXPECT_EQ(done["bytes_sent"], 0) << "the video was sent again as a blob: " << done.dump();
  live = json::parse(centre({"station", "live", "--json"}).out, nullptr, false);
  EXPECT_EQ(live[0]["stored"], true) << live.dump();
  EXPECT_NE(centre({"audit", "log", "--json"}).out.find("from_recording"), std::string::npos);
}

// A case belongs to the station that first sent it until the centre hands it over: another station's rows about it
// are refused, then taken after the handover (and the first station's refused from then on).
TEST_F(StationSync, ASecondStationCannotChangeACaseItDoesNotOwnUntilItIsHandedOver) {
  sync(token_);
  const ProcessResult added = centre({"station", "add", "jiangbei-02", "--name", "江北区局抽样站", "--json"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  const std::string second_token = json::parse(added.out)["token"];
  ASSERT_EQ(station({"roster", "add", "--file", write("roster2.json", testing::sample_roster())}, "station2").exit_code, 0);
  ASSERT_EQ(station({"case", "create", "--file", write("case2.json", testing::sample_case("CQ-SYNC-1"))}, "station2").exit_code, 0);

  ProcessResult refused = testing::run_process(sync_command(second_token, 8, "station2"));
  EXPECT_EQ(refused.exit_code, 3) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("属于工作站 yubei-01"), std::string::npos) << refused.err;
  const json stations = json::parse(centre({"station", "list", "--json"}).out, nullptr, false);
  ASSERT_EQ(stations.size(), 2u);
  EXPECT_EQ(stations[0]["id"], "jiangbei-02");
  EXPECT_EQ(stations[0]["head"]["seq"], 0) << "none of the refused batch was kept";

  // Handed over at the centre (audited): the second station's rows and documents are taken.
  const ProcessResult handed = centre({"station", "handover", "CQ-SYNC-1", "--to", "jiangbei-02"});
  ASSERT_EQ(handed.exit_code, 0) << handed.err;
  EXPECT_NE(centre({"audit", "log", "--json"}).out.find("station.case_handed_over"), std::string::npos);
  const json taken = sync(second_token, nullptr, "station2");
  EXPECT_EQ(taken["cases_sent"], 1);
  EXPECT_TRUE(taken["handed_away"].empty());
  // The first station is told at its next sync; what it still writes about the case is its own history (its chain
  // goes on, and its sync with it), but the case at the centre is the second station's: no documents of it are sent,
  // and those it would send are refused naming the holder.
  testing::write_text(dir_ / "lab.pdf", "%PDF-1.4 lab report");
  ASSERT_EQ(station({"evidence", "add", "--case", "CQ-SYNC-1", "--kind", "lab_report", (dir_ / "lab.pdf").string()}).exit_code, 0);
  ProcessResult told;
  const json former = sync(token_, &told);
  EXPECT_EQ(former["handed_away"], json({{"CQ-SYNC-1", "jiangbei-02"}})) << told.out;
  EXPECT_EQ(former["rows_sent"], 2) << "the evidence added, and the station's own row saying it was told";
  EXPECT_EQ(former["blobs_sent"], 1);
  EXPECT_EQ(former["cases_sent"], 0);
  std::vector<std::string> plain = sync_command(token_);
  plain.pop_back();  // without --json: what the person at the station reads
  const ProcessResult read = testing::run_process(plain);
  EXPECT_EQ(read.exit_code, 0) << read.err;
  EXPECT_NE(read.out.find("任务 CQ-SYNC-1 已由中心移交工作站 jiangbei-02"), std::string::npos) << read.out;
  // Told, the station moves the case no further: the other station continues it.
  const ProcessResult moved = station({"case", "event", "CQ-SYNC-1", "start_purchase", "--as", "S1"});
  EXPECT_NE(moved.exit_code, 0);
  EXPECT_NE(moved.err.find("已由中心移交工作站 jiangbei-02"), std::string::npos) << moved.out << moved.err;
  HttpRequest documents;
  documents.method = "POST";
  documents.url = base_ + "/api/sync/cases";
  documents.headers = {{"Authorization", "Bearer " + token_}, {"Content-Type", "application/json"}};
  documents.body = json{{"case", "CQ-SYNC-1"},
                        {"seq", former["central_head"]["seq"]},
                        {"documents", {{"format", "netsample-case-documents/1"}, {"case", "CQ-SYNC-1"}, {"files", json::array()},
                                       {"recordings", json::array()}, {"warcs", json::array()}}}}
                       .dump();
  auto answer = http_.send(documents);
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->status, 403) << answer->body;
  EXPECT_NE(answer->body.find("jiangbei-02"), std::string::npos) << answer->body;
  const json cases = json::parse(centre({"station", "cases", "--json"}).out, nullptr, false);
  ASSERT_EQ(cases.size(), 1u) << cases.dump();
  EXPECT_EQ(cases[0]["station"], "jiangbei-02");
  EXPECT_EQ(exported_at_centre("CQ-SYNC-1", "handed.zip")["ok"], true);
  EXPECT_EQ(centre({"audit", "verify"}).exit_code, 0);
}

TEST_F(StationSync, ASyncKilledMidUploadResumesWithoutSendingAnythingTwice) {
  // 1 MiB parts; killed once the centre holds part of the recording.
  ChildProcess first(sync_command(token_, 1), dir_ / "sync-1.log");
  std::uint64_t received = 0;
  for (int i = 0; i < 600 && received == 0; ++i) {
    const json state = centre_blob(recording_sha256_);
    if (state.is_object()) received = state.value("received", std::uint64_t{0});
    if (received == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  first.signal(SIGKILL);
  first.wait_for(std::chrono::seconds(10));
  ASSERT_GT(received, 0u) << "the sync never started sending";
  // A part the sync had sent whole before it was killed is still being kept by the centre: what it holds is what it
  // shows once that has settled.
  json state = centre_blob(recording_sha256_);
  for (int i = 0; i < 50; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const json again = centre_blob(recording_sha256_);
    if (again == state) break;
    state = again;
  }
  ASSERT_EQ(state["present"], false) << "killed too late: the whole recording had arrived";
  const std::uint64_t kept = state["received"];
  EXPECT_EQ(kept % (1 << 20), 0u) << "the centre keeps whole parts only";

  // Resumed through another instance of the centre (its own data directory, the same database, the evidence shared
  // as instances share a bucket): the parts kept are in the database, not on the first instance's disk.
  ASSERT_TRUE(fs::create_directories(dir_ / "centre-2"));
  fs::create_directory_symlink(dir_ / "centre" / "evidence", dir_ / "centre-2" / "evidence");
  auto port = loopback::free_loopback_port(SOCK_STREAM);
  ASSERT_TRUE(port.ok());
  ChildProcess second({NETSAMPLE_BIN, "--data", (dir_ / "centre-2").string(), "--db", centre_db_, "serve", "--listen", "127.0.0.1:" + std::to_string(*port),
                       "--replay-listen", "off", "--background", "0"},
                      dir_ / "serve-2.log");
  const std::string first_base = base_;
  base_ = "http://127.0.0.1:" + std::to_string(*port);
  const Status up = loopback::wait_until_serving(base_, dir_ / "serve-2.log");
  ASSERT_TRUE(up.ok()) << up.error().message;
  EXPECT_EQ(centre_blob(recording_sha256_)["received"], kept);
  const json resumed = sync(token_);
  base_ = first_base;
  second.signal(SIGTERM);
  second.wait_for(std::chrono::seconds(10));
  std::uint64_t other_blobs = 0;
  if (resumed["blobs_sent"] == 2) other_blobs = 27;  // the document, if the kill came before it
  EXPECT_EQ(resumed["bytes_sent"].get<std::uint64_t>(), (12u << 20) - kept + other_blobs) << "bytes the centre had were sent again";
  EXPECT_EQ(centre_blob(recording_sha256_)["present"], true);
  EXPECT_EQ(centre({"evidence", "verify"}).exit_code, 0);
}

TEST_F(StationSync, TamperedEvidenceAndRowsAreRefusedNamingThem) {
  // The recording changed on the station's disk after it was stored: the centre refuses the bytes.
  const fs::path stored = dir_ / "station" / "evidence" / "sha256" / recording_sha256_.substr(0, 2) / recording_sha256_;
  ASSERT_TRUE(fs::exists(stored));
  fs::permissions(stored, fs::perms::owner_write, fs::perm_options::add);
  {
    std::fstream file(stored, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(5 << 20);
    file.write("forged", 6);
  }
  ProcessResult refused;
  refused = testing::run_process(sync_command(token_));
  EXPECT_EQ(refused.exit_code, 4) << refused.out << refused.err;
  EXPECT_NE(refused.err.find(recording_sha256_), std::string::npos) << refused.err;
  EXPECT_EQ(centre_blob(recording_sha256_)["present"], false);

  // A row edited on the station before it was sent: the centre names it and keeps none of the batch.
  testing::sql_exec(dir_ / "station" / "netsample.db", "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor = 'S9' WHERE seq = 2");
  const std::string pdf_sha256 = sha256_hex(std::string("%PDF-1.4 order confirmation"));
  {  // put the recording right again, so that only the row is wrong
    std::fstream file(stored, std::ios::in | std::ios::out | std::ios::binary);
    std::mt19937_64 random(7);
    std::string bytes(12 << 20, '\0');
    for (auto& c : bytes) c = static_cast<char>(random());
    file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  refused = testing::run_process(sync_command(token_));
  EXPECT_EQ(refused.exit_code, 4) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("审计链第 2 条"), std::string::npos) << refused.err;
  EXPECT_EQ(json::parse(centre({"station", "list", "--json"}).out)[0]["head"]["seq"], 0);
  EXPECT_EQ(centre_blob(pdf_sha256)["present"], true);
}

// `serve --central`: the station's own service sends what is new on its own, while the sampler works.
TEST_F(StationSync, AStationsServiceSyncsWhatIsNewByItself) {
  auto port = loopback::free_loopback_port(SOCK_STREAM);
  ASSERT_TRUE(port.ok());
  ChildProcess station_service({NETSAMPLE_BIN, "--data", (dir_ / "station").string(), "serve", "--listen", "127.0.0.1:" + std::to_string(*port),
                                "--replay-listen", "off", "--background", "0", "--central", base_, "--sync-interval", "1"},
                               dir_ / "station-serve.log", {"NETSAMPLE_STATION_TOKEN=" + token_});
  auto arrived = [&](const std::string& sha256) {
    for (int i = 0; i < 300; ++i) {
      if (centre_blob(sha256).value("present", false)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  };
  const auto log = [&] { auto text = read_file(dir_ / "station-serve.log"); return text.ok() ? *text : std::string(); };
  ASSERT_TRUE(arrived(recording_sha256_)) << log();
  // New evidence on the station, added from the command line while its service runs: it follows by itself.
  testing::write_text(dir_ / "lab.pdf", "%PDF-1.4 lab report");
  ASSERT_EQ(station({"evidence", "add", "--case", "CQ-SYNC-1", "--kind", "lab_report", (dir_ / "lab.pdf").string()}).exit_code, 0);
  EXPECT_TRUE(arrived(sha256_hex(std::string("%PDF-1.4 lab report")))) << log();
  const std::string station_head = json::parse(station({"info", "--json"}).out, nullptr, false)["audit_rows"].dump();
  json head;
  for (int i = 0; i < 100; ++i) {  // the rows follow their blob within the same round
    head = json::parse(centre({"station", "list", "--json"}).out, nullptr, false)[0]["head"]["seq"];
    if (head.dump() == station_head) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(head.dump(), station_head) << log();
  EXPECT_NE(log().find("已同步到中心"), std::string::npos) << log();
  station_service.signal(SIGTERM);
  EXPECT_EQ(station_service.wait_for(std::chrono::seconds(15)).value_or(-1), 0) << log();
}

TEST_F(StationSync, OnlyAStationsOwnTokenIsAccepted) {
  ProcessResult run = testing::run_process(sync_command("nss_" + std::string(64, '0')));
  EXPECT_EQ(run.exit_code, 3) << run.err;
  EXPECT_NE(run.err.find("工作站令牌无效"), std::string::npos) << run.err;
  // A person's sign-in is not a station's: the sync routes refuse it as well.
  ASSERT_EQ(centre({"roster", "add", "--file", write("centre-roster.json", testing::sample_roster())}).exit_code, 0);
  ASSERT_EQ(centre({"account", "add", "--person", "S1"}).exit_code, 0);
  const json person = json::parse(centre({"token", "create", "--person", "S1", "--json"}).out, nullptr, false);
  ASSERT_TRUE(person.contains("token")) << person.dump();
  run = testing::run_process(sync_command(person["token"]));
  EXPECT_EQ(run.exit_code, 3) << run.err;
  // Revoked: refused at once, naming when.
  ASSERT_EQ(centre({"station", "revoke", "yubei-01"}).exit_code, 0);
  run = testing::run_process(sync_command(token_));
  EXPECT_EQ(run.exit_code, 3) << run.err;
  EXPECT_NE(run.err.find("已于"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace netsample
