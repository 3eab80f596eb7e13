// Real browsers — Debian's Chromium and Firefox ESR, driven by tests/browser/seek.mjs (puppeteer-core) — play
// and seek a purchase recording from the service, signed in as the reviewer the organizer gave it to, the way
// the web UI's player will. A recording is a fragmented MP4 without an index (a crash loses at most the last
// fragment); Firefox knows only the fragments it has read and cannot seek past them, so the service plays the
// recorder's playback copy (recorder/playback.h), whose frames the verifier proves are the recording's.
#include <gtest/gtest.h>
#include <httplib.h>

#include <set>
#include <thread>

#include "netsample/core/file_io.h"
#include "netsample/server/server.h"
#include "testing.h"

namespace netsample {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

class Browsers : public ::testing::Test {
 protected:
  testing::TempDir dir;
  fs::path data() const { return dir.path() / "data"; }

  testing::ProcessResult run(std::vector<std::string> args, const std::string& as = "") {
    std::vector<std::string> argv = {NETSAMPLE_BIN, "--data", data().string()};
    if (!as.empty()) argv.insert(argv.end(), {"--as", as});
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::run_process(argv);
  }
  json run_json(std::vector<std::string> args, const std::string& as = "") {
    args.insert(args.begin(), "--json");
    const auto r = run(args, as);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }
  fs::path write(const std::string& name, const json& doc) {
    testing::write_text(dir.path() / name, doc.dump());
    return dir.path() / name;
  }
};

// What seek.mjs saw in one browser.
json play_and_seek(const fs::path& input) {
  const auto r = testing::run_process({"/usr/bin/node", std::string(NETSAMPLE_BROWSER_DIR) + "/seek.mjs", input.string()});
  const json out = json::parse(r.out, nullptr, false);
  if (r.exit_code != 0 || !out.is_object())
    return {{"error", "seek.mjs: exit " + std::to_string(r.exit_code) + ": " + r.err + r.out +
                          "（tests/browser 的 npm 依赖由 setup.sh test 安装：npm ci --prefix tests/browser）"}};
  return out;
}

TEST_F(Browsers, ChromiumAndFirefoxPlayAndSeekARecordingFromTheService) {
  ASSERT_TRUE(fs::exists(fs::path(NETSAMPLE_BROWSER_DIR) / "node_modules" / "puppeteer-core"))
      << "tests/browser 的依赖未安装：npm ci --prefix tests/browser（setup.sh test 会安装）";
  json roster = testing::sample_roster();
  roster["people"].push_back({{"id", "R1"}, {"name", "审看员"}, {"org", "cq-amr"}, {"roles", {"reviewer"}}});
  ASSERT_EQ(run({"roster", "add", "--file", write("roster.json", roster).string()}).exit_code, 0);
  ASSERT_EQ(run({"case", "create", "--file", write("case.json", testing::sample_case("CQ-B1")).string()}).exit_code, 0);
  ASSERT_EQ(run({"case", "assign", "CQ-B1", "--reviewer", "R1"}).exit_code, 0);
  std::string sampler;
  const json drawn = run_json({"case", "show", "CQ-B1"});
  for (const auto& p : drawn["people"])
    if (p["role"] == "sampler") sampler = p["id"];
  ASSERT_FALSE(sampler.empty());
  const std::string password = run_json({"account", "add", "--person", "R1"})["password"];

  // The purchase recorded from a video file (a moving picture, so that every position shows another frame),
  // against a local time server and TSA.
  const fs::path source = dir.path() / "source.mp4";
  ASSERT_EQ(run({"unbox", "demo-video", "--out", source.string(), "--number", "SF0000000001"}).exit_code, 0);
  testing::Chronyd ntp;
  testing::TestTsa tsa;
  testing::Child recorder({NETSAMPLE_BIN, "--data", data().string(), "--as", sampler, "purchase", "start", "--case", "CQ-B1", "--own-browser", "--source",
                           "file:" + source.string(), "--ntp", ntp.address(), "--tsa", tsa.url(), "--trust", tsa.ca_file().string()},
                          dir.path() / "recorder.log");
  for (int i = 0; i < 200 && run_json({"purchase", "show", "CQ-B1"}).empty(); ++i) std::this_thread::sleep_for(50ms);
  std::this_thread::sleep_for(1s);  // the recorder answers once its first frame is in
  ASSERT_EQ(run({"purchase", "mark", "time_check"}, sampler).exit_code, 0);
  std::this_thread::sleep_for(8s);
  run({"purchase", "finish", "--case", "CQ-B1"});  // incomplete (one step of seven): the recording itself is whole
  recorder.wait(120s);

  server::ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.background_interval = 0s;
  options.access_log = [](const std::string&) {};
  auto started = server::Server::start(data(), options);
  ASSERT_TRUE(started.ok()) << started.error().describe();
  auto service = std::move(started).value();
  httplib::Client api("127.0.0.1", service->port());
  const httplib::Headers signed_in = {{"Authorization", "Bearer " + run_json({"token", "create", "--person", "R1"})["token"].get<std::string>()}};
  const json list = json::parse(api.Get("/api/cases/CQ-B1/recordings", signed_in)->body);
  ASSERT_EQ(list["items"].size(), 1u) << list.dump(2);
  const json& recording = list["items"][0];
  ASSERT_EQ(recording["playback_copy"], true) << "the recorder wrote its playback copy and the purchase stored it";
  const json shown = json::parse(api.Get(recording["url"].get<std::string>(), signed_in)->body);
  const json& report = shown.at("session").at("verify");
  EXPECT_EQ(report["details"]["playback"]["same_frames"], true) << report.dump(2);
  const double duration = recording["duration_s"];
  ASSERT_GT(duration, 7.0);

  const std::vector<double> positions = {2.5, duration - 0.8, 1.0};  // forward, near the end, back
  for (const auto& [browser, program] : {std::pair{"chromium", "/usr/bin/chromium"}, std::pair{"firefox", "/usr/bin/firefox-esr"}}) {
    SCOPED_TRACE(browser);
    const fs::path input = dir.path() / (std::string(browser) + ".json");
    ASSERT_TRUE(write_file_atomic(input, json{{"browser", browser}, {"executable", program}, {"base", service->base_url()}, {"login", "R1"},
                                              {"password", password}, {"video", recording["video"]}, {"seek", positions}}
                                             .dump(),
                                  0600)  // the password is in it
                    .ok());
    const json seen = play_and_seek(input);
    ASSERT_FALSE(seen.contains("error")) << seen.dump(2);
    EXPECT_EQ(seen["signed_in"], 200);
    ASSERT_TRUE(seen["duration"].is_number()) << "the player knows the length at once: " << seen.dump();
    EXPECT_NEAR(seen["duration"].get<double>(), duration, 0.3);
    std::set<long long> frames;
    for (size_t i = 0; i < positions.size(); ++i) {
      const json& seek = seen["seeks"][i];
      EXPECT_NEAR(seek["at"].get<double>(), positions[i], 0.05) << seen.dump();
      EXPECT_GE(seek["ready"].get<int>(), 2) << "a frame is shown at " << positions[i] << " s";
      frames.insert(seek["frame"].get<long long>());
    }
    EXPECT_EQ(frames.size(), positions.size()) << "each position shows its own frame: " << seen.dump();
  }
  service->stop();
}

}  // namespace
}  // namespace netsample
