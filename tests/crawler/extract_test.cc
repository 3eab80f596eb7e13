// Fields read from captured pages: the demo shop's listing and licence captured for real, a GBK page shaped like
// a real platform's (its data in an inline JavaScript object, broken markup), charsets and the credit code rule.
#include "netsample/extract/extract.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <zlib.h>

#include <map>
#include <thread>

#include "netsample/core/file_io.h"
#include "netsample/crawler/crawler.h"
#include "netsample/demo/shop.h"
#include "testing.h"

namespace netsample::extract {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::map<std::string, std::string> values(const Extraction& e) {
  std::map<std::string, std::string> out;
  for (const auto& [name, v] : e.fields) out[name] = v.value;
  return out;
}

crawler::Capture capture(crawler::CaptureSession& session, const std::string& url) {
  auto c = session.capture(url);
  EXPECT_TRUE(c.ok());
  return c.ok() ? std::move(c).value() : crawler::Capture{};
}

TEST(Extract, TheDemoShopsListingAndLicenceCapturedAndRead) {
  ManualClock clock{SystemClock().now()};
  auto shop = demo::DemoShop::start(clock).value();
  testing::TempDir dir;
  crawler::CaptureOptions options;
  options.per_host_interval = 0ms;
  auto session = crawler::CaptureSession::open(dir / "demo.warc.gz", options).value();
  const auto adapters = Adapters::load(std::nullopt).value();
  const Adapter* demo = adapters.find("demo-shop");
  ASSERT_NE(demo, nullptr);

  const auto listing = capture(*session, shop->url() + "item/QS-1701");
  auto page = decode_page(listing.body, listing.content_type);
  ASSERT_TRUE(page.ok()) << page.error().describe();
  auto read = extract(*demo, listing.final_url, *page);
  ASSERT_TRUE(read.ok()) << read.error().describe();
  EXPECT_EQ(read->page_kind, "listing");
  auto v = values(*read);
  EXPECT_EQ(v["title"], "清泉 电热水壶 1.7L 304不锈钢 自动断电");
  EXPECT_EQ(v["price"], "129.00");
  EXPECT_EQ(v["trademark"], "清泉");
  EXPECT_EQ(v["model"], "QS-1701");
  EXPECT_EQ(v["producer"], "佛山市清泉电器制造有限公司（演示）");
  EXPECT_EQ(v["standard"], "GB 4706.1-2005；GB 4706.19-2008");
  EXPECT_EQ(v["shop_name"], "清泉电器官方旗舰店（演示）");
  EXPECT_TRUE(read->missing.empty()) << json(read->missing).dump();

  const auto licence = capture(*session, shop->url() + "licence");
  auto licence_read = extract(*demo, licence.final_url, *decode_page(licence.body, licence.content_type));
  ASSERT_TRUE(licence_read.ok());
  v = values(*licence_read);
  EXPECT_EQ(v["credit_code"], "91500000MA5U000X0T");
  EXPECT_EQ(v["operator_company"], "重庆清泉电器销售有限公司（演示）");
  EXPECT_EQ(v["operator_address"], "重庆市渝北区演示大道 88 号 5 幢 3-1");
  EXPECT_TRUE(session->close().ok());
}

TEST(Extract, AGbkPageWithItsDataInAnInlineScriptObjectAndBrokenMarkup) {
  const auto bytes = read_file(fs::path(NETSAMPLE_FIXTURES) / "jd-item.html").value();
  httplib::Server server;
  server.Get("/100012345678.html", [&](const httplib::Request&, httplib::Response& r) { r.set_content(bytes, "text/html"); });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread thread([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::sleep_for(1ms);

  testing::TempDir dir;
  crawler::CaptureOptions options;
  options.per_host_interval = 0ms;
  auto session = crawler::CaptureSession::open(dir / "jd.warc.gz", options).value();
  const auto c = capture(*session, "http://127.0.0.1:" + std::to_string(port) + "/100012345678.html");
  EXPECT_TRUE(session->close().ok());
  session.reset();  // its connection closed: the server stops at once
  server.stop();
  thread.join();
  EXPECT_EQ(c.body, bytes) << "kept as received: GBK bytes";

  auto page = decode_page(c.body, c.content_type);
  ASSERT_TRUE(page.ok()) << page.error().describe();
  EXPECT_EQ(page->charset, "GB18030");
  EXPECT_EQ(page->charset_source, "meta");
  const auto adapters = Adapters::load(std::nullopt).value();
  auto read = extract(*adapters.find("jd"), c.final_url, *page);
  ASSERT_TRUE(read.ok()) << read.error().describe();
  auto v = values(*read);
  EXPECT_EQ(v["title"], "清泉 电热水壶 1.7L 304不锈钢");
  EXPECT_EQ(v["price"], "129.00");
  EXPECT_EQ(v["shop_name"], "清泉电器京东自营旗舰店");
  EXPECT_EQ(v["trademark"], "清泉");
  EXPECT_EQ(v["model"], "QS-1701");
  EXPECT_EQ(v["producer"], "佛山市清泉电器制造有限公司");
  EXPECT_EQ(v["standard"], "GB 4706.19-2008");
  EXPECT_EQ(read->missing, std::vector<std::string>{"producer_address"}) << "missing is reported, never guessed";
  for (const auto& [name, found] : read->fields) {
    if (name == "title") {
      EXPECT_EQ(found.rule, "script:pageConfig.product.name") << "the inline script's data before the markup";
    }
  }
}

TEST(Extract, CharsetsFromTheBomTheHeaderAndTheMetaAndAWrongDeclarationIsSaid) {
  const std::string gbk = "\xC7\xE5\xC8\xAA";  // 清泉
  auto from_header = decode_page("<p>" + gbk + "</p>", "text/html; charset=GBK");
  ASSERT_TRUE(from_header.ok());
  EXPECT_EQ(from_header->text, "<p>清泉</p>");
  EXPECT_EQ(from_header->charset_source, "http");
  auto bom = decode_page("\xEF\xBB\xBF<p>清泉</p>", "text/html; charset=GBK");
  EXPECT_EQ(bom->charset_source, "bom") << "a BOM outranks the header";
  auto wrong = decode_page("<meta charset=\"utf-8\"><p>" + gbk + "</p>", "text/html");
  ASSERT_TRUE(wrong.ok());
  EXPECT_EQ(wrong->charset, "GB18030");
  EXPECT_NE(wrong->problem.find("不符"), std::string::npos);
  EXPECT_NE(wrong->text.find("清泉"), std::string::npos);
  // A gzip body is undone for reading.
  z_stream z{};
  deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string plain = "<p>压缩</p>", packed(256, '\0');
  z.next_in = reinterpret_cast<Bytef*>(plain.data());
  z.avail_in = static_cast<uInt>(plain.size());
  z.next_out = reinterpret_cast<Bytef*>(packed.data());
  z.avail_out = static_cast<uInt>(packed.size());
  deflate(&z, Z_FINISH);
  packed.resize(packed.size() - z.avail_out);
  deflateEnd(&z);
  auto unpacked = decode_page(packed, "text/html; charset=utf-8", "gzip");
  ASSERT_TRUE(unpacked.ok());
  EXPECT_EQ(unpacked->text, plain);
  EXPECT_FALSE(decode_page("not gzip", "text/html", "gzip").ok());
}

TEST(Extract, CreditCodesNeedTheirGb32100CheckDigit) {
  EXPECT_TRUE(credit_code_valid("91500000MA5U000X0T"));
  EXPECT_TRUE(credit_code_valid("91350100M000100Y43"));  // GB 32100-2015's worked example
  EXPECT_FALSE(credit_code_valid("91500000MA5U000X0D")) << "one character misread";
  EXPECT_FALSE(credit_code_valid("91500000MA5U000X0"));
  EXPECT_FALSE(credit_code_valid("91500000MA5U000I0T")) << "I is not in the code's alphabet";

  // A misread credit code is reported, not stored as found.
  Adapter a = Adapters::parse(R"({"platform": "x", "pages": [{"kind": "licence", "url": "^/", "fields": {"credit_code": [{"xpath": "//td"}]}}]})", "t").value();
  auto read = extract(a, "http://h/licence", {"<table><tr><td>91500000MA5U000X0D</td></tr></table>", "UTF-8", "default", ""});
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read->fields.empty());
  EXPECT_EQ(read->missing, std::vector<std::string>{"credit_code"});
  ASSERT_EQ(read->problems.size(), 1u);
}

TEST(Extract, ObjectLiteralsAsPagesWriteThem) {
  auto v = parse_js_object("{a: 1, 'b': 'it\\'s', \"c\": [1, 2,], d: {e: true, f: undefined,}, /* note */ g: null // end\n}");
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ((*v)["a"], 1);
  EXPECT_EQ((*v)["b"], "it's");
  EXPECT_EQ((*v)["c"].size(), 2u);
  EXPECT_EQ((*v)["d"]["e"], true);
  EXPECT_TRUE((*v)["d"]["f"].is_null());
  EXPECT_FALSE(parse_js_object("{a: 'unclosed}").has_value());
}

TEST(Extract, AnAdapterFileWithAMistakeNamesTheFileAndTheField) {
  auto no_rules = Adapters::parse(R"({"platform": "x", "pages": [{"kind": "listing", "url": "^/", "fields": {"title": []}}]})", "x.json");
  ASSERT_FALSE(no_rules.ok());
  EXPECT_EQ(no_rules.error().field, "x.json:pages[0].fields.title");
  auto two_kinds = Adapters::parse(R"({"platform": "x", "pages": [{"kind": "listing", "url": "^/", "fields": {"title": [{"xpath": "//a", "regex": "b"}]}}]})", "x.json");
  EXPECT_FALSE(two_kinds.ok());
  auto bad_regex = Adapters::parse(R"({"platform": "x", "pages": [{"kind": "listing", "url": "([", "fields": {}}]})", "x.json");
  ASSERT_FALSE(bad_regex.ok());
  EXPECT_EQ(bad_regex.error().field, "x.json:pages[0].url");

  // A data directory's adapter replaces the built-in one of its platform.
  testing::TempDir dir;
  std::filesystem::create_directories(dir / "adapters");
  testing::write_text(dir / "adapters" / "jd.json", R"({"platform": "jd", "name": "京东（本地）", "pages": []})");
  auto loaded = Adapters::load(dir.path());
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->find("jd")->name, "京东（本地）");
  EXPECT_NE(loaded->find("demo-shop"), nullptr);
}

std::vector<std::pair<std::string, FieldValue>> fields(std::map<std::string, std::string> values) {
  std::vector<std::pair<std::string, FieldValue>> out;
  for (auto& [k, v] : values) out.push_back({k, {v, "test"}});
  return out;
}

std::map<int, std::string> results(const std::vector<Check>& checks) {
  std::map<int, std::string> out;
  for (const auto& c : checks) out[c.article] = c.result;
  return out;
}

TEST(Checks, Art34ScopeByTheCreditCodesDivisionOrTheAddressesAndTheSignsOfArt25And24) {
  const Region chongqing;
  // The operator registered in Chongqing (500000 → "50"): in scope by item (2), whatever the producer.
  EXPECT_EQ(results(check_fields(fields({{"credit_code", "91500000MA5U000X0T"}, {"producer_address", "广东省佛山市"}}), chongqing))[34], "pass");
  // Registered elsewhere, the producer in Chongqing: item (1).
  const auto by_producer = check_fields(fields({{"credit_code", "91350100M000100Y43"}, {"producer_address", "重庆市璧山区工业园"}}), chongqing);
  EXPECT_EQ(results(by_producer)[34], "pass");
  EXPECT_NE(by_producer[0].reason.find("第（一）项"), std::string::npos);
  // Both elsewhere: out of scope, said with both.
  const auto out = check_fields(fields({{"credit_code", "91350100M000100Y43"}, {"operator_address", "重庆市（住所写错也不算）"},
                                        {"producer_address", "福建省晋江市"}}), chongqing);
  EXPECT_EQ(results(out)[34], "fail") << "the credit code's division outranks an address";
  // Not enough read yet: unknown, never a guess.
  EXPECT_EQ(results(check_fields(fields({{"title", "电热水壶"}}), chongqing))[34], "unknown");
  // A district's region.
  EXPECT_EQ(results(check_fields(fields({{"credit_code", "91500000MA5U000X0T"}, {"producer_address", "x"}}), {"500112", "渝北"}))[34], "fail");

  EXPECT_EQ(results(check_fields(fields({{"title", "电热水壶 样品 清仓"}}), chongqing))[25], "sign");
  EXPECT_EQ(results(check_fields(fields({{"title", "电热水壶"}}), chongqing)).count(25), 0u);
  EXPECT_EQ(results(check_fields(fields({{"producer", "Qingquan Appliances"}, {"producer_address", "Foshan"}}), chongqing))[24], "sign");
  EXPECT_EQ(results(check_fields(fields({{"producer", "佛山市清泉电器"}, {"producer_address", "广东省佛山市"}}), chongqing)).count(24), 0u);
}

TEST(Extract, NetsampleCrawlPrintsTheFieldsItRead) {
  ManualClock clock{SystemClock().now()};
  auto shop = demo::DemoShop::start(clock).value();
  testing::TempDir dir;
  const auto run = testing::run_process({NETSAMPLE_BIN, "--data", (dir / "data").string(), "crawl", shop->url() + "licence", "--platform",
                                         "demo-shop", "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  const json out = json::parse(run.out);
  EXPECT_EQ(out["extraction"]["page"], "licence");
  EXPECT_EQ(out["extraction"]["fields"]["credit_code"]["value"], "91500000MA5U000X0T");
  EXPECT_TRUE(out["extraction"]["missing"].empty());
  ASSERT_TRUE(out["checks"].is_array()) << out.dump();
  EXPECT_EQ(out["checks"][0]["article"], 34);
  EXPECT_EQ(out["checks"][0]["result"], "pass") << "the demo operator is registered in Chongqing";
  const auto unknown = testing::run_process({NETSAMPLE_BIN, "--data", (dir / "data").string(), "crawl", shop->url() + "licence", "--json"});

  // Art 22 through the case registry: a city case of the same producer, standard, trademark and model is named.
  json city = testing::sample_case("CQ-CITY-1");
  city["product"] = {{"name", "电热水壶"}, {"trademark", "清泉"}, {"model", "QS-1701"}, {"category", "家用电器"},
                     {"standard", "GB 4706.1-2005；GB 4706.19-2008"}};
  city["producer"] = {{"name", "佛山市清泉电器制造有限公司（演示）"}, {"address", "广东省佛山市顺德区演示工业园 6 号"}};
  testing::write_text(dir / "roster.json", testing::sample_roster().dump());
  testing::write_text(dir / "city.json", city.dump());
  for (const auto& args : {std::vector<std::string>{"roster", "add", "--file", (dir / "roster.json").string()},
                           std::vector<std::string>{"case", "create", "--file", (dir / "city.json").string()}}) {
    std::vector<std::string> argv = {NETSAMPLE_BIN, "--data", (dir / "data").string()};
    argv.insert(argv.end(), args.begin(), args.end());
    ASSERT_EQ(testing::run_process(argv).exit_code, 0);
  }
  const auto listing = testing::run_process({NETSAMPLE_BIN, "--data", (dir / "data").string(), "crawl", shop->url() + "item/QS-1701",
                                             "--platform", "demo-shop", "--json"});
  ASSERT_EQ(listing.exit_code, 0) << listing.err;
  std::string art22;
  const json listing_out = json::parse(listing.out);  // kept: a range-for over a temporary's member would dangle
  for (const auto& c : listing_out["checks"])
    if (c["article"] == 22) art22 = c["result"].get<std::string>() + " " + c["reason"].get<std::string>();
  EXPECT_TRUE(art22.starts_with("sign")) << art22 << listing.out;
  EXPECT_NE(art22.find("CQ-CITY-1"), std::string::npos) << art22;
  EXPECT_NE(json::parse(unknown.out).value("extraction_problem", "").find("--platform"), std::string::npos) << unknown.out;
}

}  // namespace
}  // namespace netsample::extract
