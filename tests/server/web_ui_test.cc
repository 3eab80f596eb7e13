// The web UI end to end (tests/browser/ui.mjs: playwright-core driving Debian's Chromium) against a real service
// over the demo's data, signed in with the accounts the demo prints: a reviewer signs in, filters the list, plays
// the purchase video and jumps to the payment step (Art 35), records a finding and sees it after a reload; an
// organizer applies events through the forms the lifecycle table generates, imports a plan with a bad row (named,
// nothing written) and opens a case from the form; a lab refuses a sealed case's samples at receipt (Art 40); the
// district bureau orders the rectification (Art 65). axe-core checks each page; screenshots are kept under the
// build folder (web-ui-screenshots/).
#include <gtest/gtest.h>

#include <mutex>
#include <regex>

#include "netsample/core/file_io.h"
#include "netsample/core/time.h"
#include "netsample/demo/shop.h"
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
  ASSERT_TRUE(sign_in.contains("YB-D-001")) << demo.out;

  // A second case of the demo's organizer, bought, received and sealed, waiting at the lab (Art 40).
  auto netsample = [&](std::vector<std::string> args, const std::string& as = "") {
    std::vector<std::string> argv = {NETSAMPLE_BIN, "--data", data.string()};
    if (!as.empty()) argv.insert(argv.end(), {"--as", as});
    argv.insert(argv.end(), args.begin(), args.end());
    const auto result = testing::run_process(argv);
    EXPECT_EQ(result.exit_code, 0) << args[0] << " " << args[1] << ": " << result.err;
    return result.out;
  };
  auto write_json = [&](const std::string& name, const json& doc) {
    testing::write_text(dir.path() / name, doc.dump());
    return (dir.path() / name).string();
  };
  const json shown = json::parse(netsample({"case", "show", number.str(), "--json"}));
  json lab_case;
  for (const char* key : {"organizer", "level", "plan", "product", "platform", "shop", "operator", "producer", "samples", "onsite_testing"})
    lab_case[key] = shown[key];
  lab_case["number"] = "DEMO-LAB-01";
  const json created = json::parse(netsample({"case", "create", "--file", write_json("lab-case.json", lab_case), "--json"}));
  std::string lab_sampler;
  for (const auto& p : created["people"])
    if (p["role"] == "sampler") lab_sampler = p["id"];
  const std::string today = format_date(beijing_date(SystemClock().now()));
  netsample({"case", "assign", "DEMO-LAB-01", "--tester", "CQ-L-001"});
  netsample({"case", "event", "DEMO-LAB-01", "start_purchase"}, lab_sampler);
  netsample({"case", "event", "DEMO-LAB-01", "order_placed", "--file", write_json("order.json", {{"order_number", "DD-20261205-1"}})}, lab_sampler);
  netsample({"case", "event", "DEMO-LAB-01", "delivered", "--file", write_json("delivered.json", {{"delivered_date", today}})}, lab_sampler);
  netsample({"case", "event", "DEMO-LAB-01", "seal", "--file",
             write_json("seal.json", {{"inspection_seal", "CQ-F-0101"}, {"backup_seal", "CQ-F-0102"}, {"backup_storage", "重庆市市场监管局样品室"},
                                      {"backup_keeper", "张明"}, {"sealed_date", today}})},
            lab_sampler);

  // The demo shop again (the demo stopped its own): the organizer reads a listing and its licence into the case
  // form, and captures a page on the case.
  ManualClock shop_clock{SystemClock().now()};
  auto shop = demo::DemoShop::start(shop_clock).value();

  server::ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.background_interval = std::chrono::seconds(0);
  options.netsample_program = NETSAMPLE_BIN;
  options.tsa_trust = (data / "tsa-trust.pem").string();  // as `bash setup.sh demo` serves the demo's data
  std::mutex log_mutex;
  std::vector<std::string> access_lines;
  options.access_log = [&](const std::string& line) {
    std::lock_guard lock(log_mutex);
    access_lines.push_back(line);
  };
  auto started = server::Server::start(data, options);
  ASSERT_TRUE(started.ok()) << started.error().describe();
  auto service = std::move(started).value();

  const fs::path shots = fs::path(NETSAMPLE_SHOTS_DIR);
  fs::create_directories(shots);
  const fs::path input = dir.path() / "ui.json";
  ASSERT_TRUE(write_file_atomic(input,
                                json{{"base", service->base_url()}, {"case", number.str()}, {"lab_case", "DEMO-LAB-01"}, {"reviewer", sign_in["CQ-R-001"]},
                                     {"district", sign_in["YB-D-001"]},
                                     {"organizer", sign_in["CQ-O-001"]}, {"lab", sign_in["CQ-L-001"]}, {"party", sign_in["party:demo-shop"]},
                                     {"shop", shop->url()}, {"shots", shots.string()}}
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
  EXPECT_NE(seen["case_people"].get<std::string>().find("第20条随机选派"), std::string::npos) << seen["case_people"];
  EXPECT_NE(seen["case_people"].get<std::string>().find("CQ-L-001"), std::string::npos) << "the tester, never a sampler (Art 16)";
  EXPECT_GT(seen["played_to"].get<double>(), 0.2) << "the video plays";
  EXPECT_NEAR(seen["payment_player_s"].get<double>(), seen["payment_marker_s"].get<double>(), 0.5);
  EXPECT_EQ(seen["payment_still_step"], "payment");
  EXPECT_EQ(seen["payment_still_src"], seen["payment_marker_still"]);
  EXPECT_EQ(seen["findings_on_bar_after_reload"].get<int>(), seen["findings_before"].get<int>() + 1);
  // The page on screen beside the video (issue #18), replayed from the WARC on an origin of its own.
  EXPECT_NE(seen["replay_origin"], seen["page_origin"]) << "archived pages' scripts never run where the reviewer is signed in";
  EXPECT_NE(seen["replay_heading"].get<std::string>().find("/order/"), std::string::npos) << seen["replay_heading"];
  EXPECT_TRUE(seen["replay_order_url"].is_string()) << "the order page replayed in the frame";
  EXPECT_NE(seen["replay_order_text"].get<std::string>().find("订单已提交"), std::string::npos) << seen["replay_order_text"];
  EXPECT_TRUE(std::regex_search(seen["replay_order_text"].get<std::string>(), std::regex(R"(DS\d{12})"))) << "its order number, as the shop sent it";
  EXPECT_EQ(seen["replay_api_status"], 404) << "the replay origin answers no API";
  EXPECT_EQ(seen["replay_tampered_status"], 401) << "a link with a changed signature is refused";
  EXPECT_EQ(seen["replay_source_status"], 200);
  EXPECT_EQ(seen["pages_without_sign_in"], 401);
  {
    std::lock_guard lock(log_mutex);
    int reviewer_reads = 0;
    for (const auto& line : access_lines) {
      const json entry = json::parse(line, nullptr, false);
      if (!entry.is_object() || entry.value("route", "") != "/source/{token}/pages.warc.gz") continue;
      EXPECT_EQ(entry["path"], "/source/{token}/pages.warc.gz") << "the signed link is a credential: never in the log";
      // Each read under the name of the person the link was made for (every role here opens the case's page).
      if (entry["status"] != 200 && entry["status"] != 206) continue;  // the changed link: refused, no one's
      EXPECT_TRUE(entry["login"].is_string()) << line;
      if (entry["login"] == "CQ-R-001") ++reviewer_reads;
    }
    EXPECT_GE(reviewer_reads, 1);
  }
  EXPECT_EQ(seen["unboxing_verified"], "校验通过") << "the imported unboxing video checked on the service";
  EXPECT_NE(seen["verdict_shown"].get<std::string>().find("CQ-R-001"), std::string::npos);
  EXPECT_GE(seen["label_items"].get<int>(), 2) << "the waybill's and the sample's codes";
  EXPECT_GT(seen["label_still_width"].get<int>(), 0) << "its boxed still shown";
  EXPECT_FALSE(seen["label_text"].get<std::string>().empty());
  EXPECT_NEAR(seen["label_seek"]["player"].get<double>(), seen["label_seek"]["expected"].get<double>(), 0.5);
  EXPECT_EQ(seen["pdf_type"], "application/pdf");
  EXPECT_EQ(seen["pdf_frame_options"], "SAMEORIGIN") << "the page may frame its PDFs";
  EXPECT_EQ(seen["pdf_disposition"].get<std::string>().find("attachment"), std::string::npos) << seen["pdf_disposition"];
  EXPECT_NE(seen["pdf_frame_src"].get<std::string>().find("inline=1"), std::string::npos);
  EXPECT_FALSE(seen["organizer_event_buttons"].empty());
  EXPECT_TRUE(seen["organizer_error"].is_null()) << seen["organizer_error"];
  EXPECT_GE(seen["party_rows"].get<int>(), 1) << "the result sent to the platform (Art 62)";
  EXPECT_EQ(seen["party_case_links"], 0) << "and no way into the case";
  EXPECT_GE(seen["board_case_links"].get<int>(), 1) << seen["board_sections"].dump();
  EXPECT_EQ(seen["state_after"], "异议核查");
  EXPECT_TRUE(seen["maintain_error"].is_null()) << seen["maintain_error"];
  EXPECT_EQ(seen["state_after_maintain"], "结果处理");
  EXPECT_TRUE(seen["approve_error"].is_null()) << seen["approve_error"];
  EXPECT_NE(seen["history_after_approve"].get<std::string>().find("批准公开抽查结果"), std::string::npos) << "Art 62";

  // The plan with one bad row: that row's cell named, nothing written; the form's fields all marked, then a case.
  ASSERT_EQ(seen["plan_problems"].size(), 1u) << seen["plan_problems"].dump();
  EXPECT_EQ(seen["plan_problems"][0][0], "3");
  EXPECT_EQ(seen["plan_problems"][0][1], "Q");
  EXPECT_EQ(seen["plan_problems"][0][2], "备份样品数量");
  EXPECT_EQ(seen["plan_problems"][0][3], "两件");
  EXPECT_NE(seen["plan_caption"].get<std::string>().find("未创建任何任务"), std::string::npos);
  EXPECT_EQ(seen["plan_cases_written"], 0);
  // A listing and its licence read into the form (the licence from its picture), with the checks before buying.
  EXPECT_EQ(seen["prefill_trademark"], "清泉") << seen["prefill_status"];
  EXPECT_EQ(seen["prefill_model"], "QS-1701");
  EXPECT_EQ(seen["prefill_operator"], "重庆清泉电器销售有限公司（演示）");
  EXPECT_EQ(seen["prefill_platform"], "demo-shop");
  EXPECT_NE(seen["prefill_checks"].get<std::string>().find("第34条 符合"), std::string::npos) << seen["prefill_checks"];
  EXPECT_NE(seen["prefill_checks"].get<std::string>().find("第24条 符合"), std::string::npos) << "the kettle shows its CCC number";
  // A page captured on the case page: listed with what it read, the WARC to download.
  EXPECT_EQ(seen["case_captures"], 1) << seen["capture_error"];
  EXPECT_NE(seen["case_capture_text"].get<std::string>().find("QS-1701"), std::string::npos);
  EXPECT_EQ(seen["case_capture_warc"], true);
  EXPECT_GE(seen["form_invalid_fields"].get<int>(), 14) << "every required field but the quantities (filled in)";
  EXPECT_NE(seen["form_created"].get<std::string>().find("FORM-01"), std::string::npos) << seen["form_created"];
  EXPECT_NE(seen["form_created"].get<std::string>().find("第20条"), std::string::npos) << "the samplers drawn at random, said";

  // The lab: seal numbers from the sealing, the check photo stored, the samples refused with the reason (Art 40).
  EXPECT_NE(seen["lab_seal_facts"].get<std::string>().find("CQ-F-0101"), std::string::npos) << seen["lab_seal_facts"];
  for (const auto& b : seen["lab_general_buttons"]) EXPECT_EQ(b.get<std::string>().find("收样"), std::string::npos) << "receipt is in its panel";
  EXPECT_NE(seen["lab_uploaded"].get<std::string>().find("receipt_photo"), std::string::npos) << seen["lab_uploaded"];
  EXPECT_TRUE(seen["lab_reject_error"].is_null()) << seen["lab_reject_error"];
  EXPECT_EQ(seen["lab_state_after"], "检验机构拒收");
  EXPECT_NE(seen["lab_history"].get<std::string>().find("检验机构拒收"), std::string::npos);

  // The district bureau: its event only, applied; the Art 65/66 periods open.
  // Its events only: the rectification order (Art 65) and the hand-over to the competent bureau (Art 73).
  EXPECT_EQ(seen["district_buttons"], json::array({"下达责令整改通知书", "移送管辖"})) << seen["district_buttons"].dump();
  EXPECT_TRUE(seen["district_error"].is_null()) << seen["district_error"];
  EXPECT_EQ(seen["district_state_after"], "责令整改");
  EXPECT_NE(seen["district_deadlines"].get<std::string>().find("整改"), std::string::npos) << seen["district_deadlines"];
  for (const auto& [page, violations] : seen["axe"].items()) {
    ASSERT_TRUE(violations.is_array()) << page << ": axe-core did not run";
    EXPECT_TRUE(violations.empty()) << page << ": " << violations.dump(2);
  }
  EXPECT_TRUE(seen["console_errors"].empty()) << seen["console_errors"].dump(2);  // also: no CSP violation
  for (const char* page : {"signin", "list", "case", "case-reviewed", "pdf-viewer", "event-form", "case-organizer", "plan-problems", "case-created",
                           "case-lab", "case-lab-rejected", "case-district", "published", "deadlines"}) EXPECT_TRUE(fs::exists(shots / (std::string(page) + ".png"))) << page;
  service->stop();
}

}  // namespace
}  // namespace netsample
