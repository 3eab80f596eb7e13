// The web UI end to end (tests/browser/ui.mjs: playwright-core driving Debian's Chromium) against a real service
// over the demo's data, signed in with the accounts the demo prints: a reviewer signs in, filters the list, plays
// the purchase video and jumps to the payment step (Art 35), records a finding and sees it after a reload; an
// organizer applies an event through the form the lifecycle table generates. axe-core checks each page;
// screenshots are kept under the build folder (web-ui-screenshots/).
#include <gtest/gtest.h>

#include <regex>

#include "netsample/core/file_io.h"
#include "netsample/server/server.h"
#include "testing.h"

namespace netsample {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

TEST(WebUi, AReviewerReviewsAndAnOrganizerTakesTheCaseAStepFurther) {
  ASSERT_TRUE(fs::exists(fs::path(NETSAMPLE_BROWSER_DIR) / "node_modules" / "playwright-core"))
      << "tests/browser 的依赖未安装：npm ci --prefix tests/browser（setup.sh test 会安装）";
  testing::TempDir dir;
  const fs::path data = dir.path() / "demo";
  const auto demo = testing::run_process({NETSAMPLE_BIN, "--data", data.string(), "demo"});
  ASSERT_EQ(demo.exit_code, 0) << demo.out << demo.err;
  // "    审看人员  账号 CQ-R-001  密码 …": the sign-ins the demo printed, one per role.
  std::map<std::string, json> sign_in;
  const std::regex line(R"(账号 (\S+)  密码 (\S+))");
  for (std::sregex_iterator it(demo.out.begin(), demo.out.end(), line), end; it != end; ++it)
    sign_in[(*it)[1]] = {{"login", (*it)[1]}, {"password", (*it)[2]}};
  ASSERT_TRUE(sign_in.contains("CQ-R-001") && sign_in.contains("CQ-O-001") && sign_in.contains("CQ-L-001") &&
              sign_in.contains("party:demo-shop"))
      << demo.out;
  std::smatch number;
  ASSERT_TRUE(std::regex_search(demo.out, number, std::regex(R"(DEMO-\d{8}-\d{2})")));

  server::ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.background_interval = std::chrono::seconds(0);
  options.access_log = [](const std::string&) {};
  auto started = server::Server::start(data, options);
  ASSERT_TRUE(started.ok()) << started.error().describe();
  auto service = std::move(started).value();

  const fs::path shots = fs::path(NETSAMPLE_SHOTS_DIR);
  fs::create_directories(shots);
  const fs::path input = dir.path() / "ui.json";
  ASSERT_TRUE(write_file_atomic(input,
                                json{{"base", service->base_url()}, {"case", number.str()}, {"reviewer", sign_in["CQ-R-001"]},
                                     {"organizer", sign_in["CQ-O-001"]}, {"lab", sign_in["CQ-L-001"]}, {"party", sign_in["party:demo-shop"]},
                                     {"shots", shots.string()}}
                                    .dump(),
                                0600)  // passwords
                  .ok());
  const auto run = testing::run_process({"/usr/bin/node", std::string(NETSAMPLE_BROWSER_DIR) + "/ui.mjs", input.string()});
  const json seen = json::parse(run.out, nullptr, false);
  ASSERT_TRUE(seen.is_object()) << run.out << run.err;
  ASSERT_FALSE(seen.contains("error")) << seen.dump(2);

  EXPECT_EQ(seen["wrong_password"], "账号或密码不正确");
  EXPECT_EQ(seen["list_cases"], 1);
  EXPECT_NE(seen["list_deadline"].get<std::string>().find("异议期"), std::string::npos) << "the next deadline with its days left";
  EXPECT_EQ(seen["filter_state_cases"], 1);
  EXPECT_EQ(seen["filter_overdue_cases"], 0);
  EXPECT_EQ(seen["search_cases"], 1);
  EXPECT_EQ(seen["reviewer_event_buttons"], 0) << "a reviewer changes no case";
  EXPECT_GT(seen["played_to"].get<double>(), 0.2) << "the video plays";
  EXPECT_NEAR(seen["payment_player_s"].get<double>(), seen["payment_marker_s"].get<double>(), 0.5);
  EXPECT_EQ(seen["payment_still_step"], "payment");
  EXPECT_EQ(seen["payment_still_src"], seen["payment_marker_still"]);
  EXPECT_EQ(seen["findings_on_bar_after_reload"].get<int>(), seen["findings_before"].get<int>() + 1);
  EXPECT_EQ(seen["unboxing_verified"], "校验通过") << "the imported unboxing video checked on the service";
  EXPECT_NE(seen["verdict_shown"].get<std::string>().find("CQ-R-001"), std::string::npos);
  EXPECT_FALSE(seen["organizer_event_buttons"].empty());
  EXPECT_TRUE(seen["organizer_error"].is_null()) << seen["organizer_error"];
  EXPECT_GE(seen["party_rows"].get<int>(), 1) << "the result sent to the platform (Art 62)";
  EXPECT_EQ(seen["party_case_links"], 0) << "and no way into the case";
  EXPECT_GE(seen["board_case_links"].get<int>(), 1) << seen["board_sections"].dump();
  EXPECT_NE(seen["lab_uploaded"].get<std::string>().find("receipt_photo"), std::string::npos) << seen["lab_uploaded"];
  EXPECT_EQ(seen["state_after"], "异议核查");
  for (const auto& [page, violations] : seen["axe"].items()) {
    ASSERT_TRUE(violations.is_array()) << page << ": axe-core did not run";
    EXPECT_TRUE(violations.empty()) << page << ": " << violations.dump(2);
  }
  EXPECT_TRUE(seen["console_errors"].empty()) << seen["console_errors"].dump(2);  // also: no CSP violation
  for (const char* page : {"signin", "list", "case", "case-reviewed", "event-form", "case-organizer", "case-lab", "published", "deadlines"}) EXPECT_TRUE(fs::exists(shots / (std::string(page) + ".png"))) << page;
  service->stop();
}

}  // namespace
}  // namespace netsample
