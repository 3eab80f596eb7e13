// Fields read from captured pages: the demo shop's listing and licence captured for real, a GBK page shaped like
// a real platform's (its data in an inline JavaScript object, broken markup), charsets and the credit code rule.
#include "netsample/extract/extract.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <zlib.h>

#include <map>
#include <opencv2/imgcodecs.hpp>
#include <thread>

#include "netsample/core/file_io.h"
#include "netsample/crawler/crawler.h"
#include "netsample/demo/shop.h"
#include "netsample/ocr/ocr.h"
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

std::string without_spaces(std::string s) {
  std::erase(s, ' ');
  return s;
}

std::string gzip(std::string text) {
  z_stream z{};
  deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string packed(deflateBound(&z, text.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(text.data());
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(packed.data());
  z.avail_out = static_cast<uInt>(packed.size());
  deflate(&z, Z_FINISH);
  packed.resize(packed.size() - z.avail_out);
  deflateEnd(&z);
  return packed;
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

  // The licence is only a picture: the page names it, the fields wait on it, OCR reads it.
  const auto licence = capture(*session, shop->url() + "licence");
  auto licence_read = extract(*demo, licence.final_url, *decode_page(licence.body, licence.content_type));
  ASSERT_TRUE(licence_read.ok());
  EXPECT_TRUE(licence_read->fields.empty());
  ASSERT_EQ(licence_read->images.size(), 1u);
  EXPECT_EQ(licence_read->images[0].url, shop->url() + "licence.png") << "resolved against the page";
  EXPECT_EQ(licence_read->images[0].fields, (std::vector<std::string>{"operator_company", "credit_code", "operator_address"}));
  const auto picture = capture(*session, licence_read->images[0].url);
  auto text = ocr::read_text(picture.body);
  ASSERT_TRUE(text.ok()) << text.error().describe();
  EXPECT_NE(text->engine.find("tesseract"), std::string::npos);
  fill_from_licence(*licence_read, licence_read->images[0], read_licence_text(text->text));
  v = values(*licence_read);
  EXPECT_TRUE(licence_read->missing.empty()) << json(licence_read->missing).dump() << "\n" << text->text;
  EXPECT_EQ(licence_read->fields[0].second.rule, "ocr:" + shop->url() + "licence.png");
  EXPECT_EQ(v["credit_code"], "91500000MA5U000X0T");
  EXPECT_EQ(v["operator_company"], "重庆清泉电器销售有限公司（演示）");
  // OCR keeps the characters, not always the spacing between Chinese and digits.
  EXPECT_EQ(without_spaces(v["operator_address"]), "重庆市渝北区演示大道88号5幢3-1");
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
  const std::string plain = "<p>压缩</p>";
  auto unpacked = decode_page(gzip(plain), "text/html; charset=utf-8", "gzip");
  ASSERT_TRUE(unpacked.ok());
  EXPECT_EQ(unpacked->text, plain);
  EXPECT_FALSE(decode_page("not gzip", "text/html", "gzip").ok());
}

// A licence picture's text as Tesseract gives it: gaps and stray marks inside the labels, brackets half-width,
// an address wrapping onto a line of its own, O for 0 in the code.
TEST(Licence, TheTextIsReadByItsPrintedLabels) {
  const auto read = read_licence_text(
      "营业执照\n统一社会信用代码 92500112MA60LTNKO3\n\n名 ”称 重庆市渝北区乐童玩具店 (演示〉\n类 型 个体工商户\n经营 者 王乐童\n"
      "组成形式 ”个人经营\n经营场所 。 重庆市渝北区双凤桥街道空港大道 366 号\n附12 号\n\n玩具、文具零售\n");
  std::map<std::string, std::string> v(read.fields.begin(), read.fields.end());
  EXPECT_EQ(v["credit_code"], "92500112MA60LTNK03") << "O read as 0: GB 32100 has no O";
  EXPECT_EQ(v["operator_company"], "重庆市渝北区乐童玩具店（演示）");
  EXPECT_EQ(v["legal_representative"], "王乐童");
  EXPECT_EQ(v["operator_address"], "重庆市渝北区双凤桥街道空港大道 366 号附12 号");
  EXPECT_TRUE(read.problems.empty());

  // One character misread: the check digit fails, the code is unreadable, never stored as found.
  const auto misread = read_licence_text("统一社会信用代码\n91500000MA5U000X1T\n名称 重庆清泉电器销售有限公司\n");
  std::map<std::string, std::string> m(misread.fields.begin(), misread.fields.end());
  EXPECT_EQ(m.count("credit_code"), 0u);
  ASSERT_EQ(misread.problems.size(), 1u);
  EXPECT_NE(misread.problems[0].find("91500000MA5U000X1T"), std::string::npos) << misread.problems[0];

  // Filled into an extraction only where the picture was to give the field, with where it came from.
  Extraction e;
  e.page_kind = "licence";
  e.missing = {"operator_company", "credit_code"};
  const ImageToRead image{"http://h/l.png", "licence", {"operator_company", "credit_code"}};
  fill_from_licence(e, image, misread);
  ASSERT_EQ(e.fields.size(), 1u);
  EXPECT_EQ(e.fields[0].second.rule, "ocr:http://h/l.png");
  EXPECT_EQ(e.missing, std::vector<std::string>{"credit_code"});
  EXPECT_EQ(e.problems.size(), 1u);
  EXPECT_FALSE(check_licence_page(e).has_value()) << "the operator's name was read";
  e.fields.clear();
  const auto art24_5 = check_licence_page(e);
  ASSERT_TRUE(art24_5.has_value());
  EXPECT_NE(art24_5->reason.find("第二十四条第（五）项"), std::string::npos);
}

std::string encoded(const cv::Mat& image, const std::string& extension = ".png") {
  std::vector<uchar> bytes;
  EXPECT_TRUE(cv::imencode(extension, image, bytes)) << extension;
  return std::string(bytes.begin(), bytes.end());
}

// A licence picture as shops serve it: a 16-bit PNG is read like an 8-bit one; a picture over 40 megapixels is
// refused by its header's size, before it is decoded or enlarged; a format OpenCV 4.6 cannot decode is named.
TEST(Ocr, SixteenBitPicturesAreReadAndOversizedOnesRefusedBeforeDecoding) {
  const auto png = read_file(fs::path(NETSAMPLE_FIXTURES) / "pdd-licence.png").value();
  const cv::Mat eight = cv::imdecode(std::vector<uchar>(png.begin(), png.end()), cv::IMREAD_UNCHANGED);
  ASSERT_EQ(eight.depth(), CV_8U);
  cv::Mat sixteen;
  eight.convertTo(sixteen, CV_16U, 257);
  const auto text = ocr::read_text(encoded(sixteen));
  ASSERT_TRUE(text.ok()) << text.error().describe();
  const auto licence = read_licence_text(text->text);
  const std::map<std::string, std::string> v(licence.fields.begin(), licence.fields.end());
  EXPECT_EQ(v.count("credit_code") ? v.at("credit_code") : "", "92500112MA60LTNK03") << text->text;

  for (const char* format : {".jpg", ".webp", ".bmp"}) EXPECT_TRUE(ocr::read_text(encoded(eight, format)).ok()) << format << ": its size read from its header";
  const cv::Mat white(5000, 9000, CV_8UC1, cv::Scalar(255));
  for (const char* format : {".png", ".jpg", ".webp", ".bmp"}) {
    const auto huge = ocr::read_text(encoded(white, format));
    ASSERT_FALSE(huge.ok()) << format;
    EXPECT_NE(huge.error().message.find("45 百万像素"), std::string::npos) << format << huge.error().message;
  }
  const auto gif = ocr::read_text(std::string("GIF89a\x01\x00\x01\x00\x80\x00\x00", 13));
  ASSERT_FALSE(gif.ok());
  EXPECT_NE(gif.error().message.find("PNG、JPEG、WebP、BMP"), std::string::npos) << gif.error().message;
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

  // A misread in the page's text leaves the next rule, the licence picture (OCR), to give the code.
  Adapter with_picture = Adapters::parse(R"({"platform": "x", "pages": [{"kind": "licence", "url": "^/", "fields": {
      "credit_code": [{"xpath": "//td"}, {"image": "//img/@src"}]}}]})", "t").value();
  auto waiting = extract(with_picture, "http://h/licence", {"<table><tr><td>91500000MA5U000X0D</td></tr></table><img src='/l.png'>", "UTF-8", "default", ""});
  ASSERT_TRUE(waiting.ok());
  ASSERT_EQ(waiting->images.size(), 1u) << "the picture still read";
  EXPECT_EQ(waiting->images[0].url, "http://h/l.png");
  EXPECT_EQ(waiting->images[0].fields, std::vector<std::string>{"credit_code"});
  EXPECT_EQ(waiting->problems.size(), 1u) << "the misread is still said";
}

// libstdc++'s std::regex recurses per character a repeat takes: a page cannot make it overflow the stack. The
// built-in patterns' repeats are bounded, an adapter with an unbounded one is refused, and what the patterns
// read (the page, the URL's path, the Content-Type header) is capped.
TEST(Extract, RegularExpressionsCannotBeMadeToOverflowTheStack) {
  const auto adapters = Adapters::load(std::nullopt).value();
  const Adapter& jd = *adapters.find("jd");
  const std::string digits(1'000'000, '1');
  const auto price = extract(jd, "http://item.jd.com/1.html", {"<p>\"p\": \"" + digits + "\"</p>", "UTF-8", "default", ""});
  ASSERT_TRUE(price.ok());
  EXPECT_EQ(values(*price).count("price"), 0u) << "a million digits are no price";
  EXPECT_FALSE(extract(jd, "http://item.jd.com/" + digits + ".html", {"<p></p>", "UTF-8", "default", ""}).ok()) << "no such page: said";
  EXPECT_TRUE(decode_page("<p>x</p>", "text/html; charset=" + std::string(200'000, 'u')).ok());

  const auto unbounded = Adapters::parse(R"j({"platform": "x", "pages": [{"kind": "listing", "url": "^/", "fields": {"price": [{"regex": "价格：(.*)"}]}}]})j", "x.json");
  ASSERT_FALSE(unbounded.ok());
  EXPECT_EQ(unbounded.error().field, "x.json:pages[0].fields.price[0].regex");
  EXPECT_NE(unbounded.error().message.find("上限"), std::string::npos) << unbounded.error().message;
  for (const char* pattern : {"a+", "(b){2,}", "c*?"})
    EXPECT_FALSE(Adapters::parse(std::string(R"({"platform": "x", "pages": [{"kind": "listing", "url": "^/", "fields": {"p": [{"regex": ")") + pattern +
                                     R"("}]}}]})", "x.json").ok()) << pattern;
  for (const char* pattern : {"[*+]{1,3}", "\\\\+", "a{2}", "x{0,9}"})
    EXPECT_TRUE(Adapters::parse(std::string(R"({"platform": "x", "pages": [{"kind": "listing", "url": "^/", "fields": {"p": [{"regex": ")") + pattern +
                                    R"("}]}}]})", "x.json").ok()) << pattern;
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

  // A path's segments: an index, and digits past any size (past size_t) or a non-ASCII key, which find nothing.
  const Adapter a = Adapters::parse(R"({"platform": "x", "pages": [{"kind": "listing", "url": "^/", "fields": {
      "first": [{"script": "data", "path": "list.1"}], "huge": [{"script": "data", "path": "list.99999999999999999999999"}],
      "accented": [{"script": "data", "path": "list.é"}]}}]})", "t").value();
  const auto read = extract(a, "http://h/", {"<script>var data = {list: ['a', 'b']};</script>", "UTF-8", "default", ""});
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(values(*read)["first"], "b");
  EXPECT_EQ(read->missing, (std::vector<std::string>{"huge", "accented"}));
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
  // Whatever shape the JSON has, the mistake is named (never a library's exception): a rule that is no object, a
  // member that is no text, an XPath that does not compile (refused at load, not "missing" on every page).
  const std::pair<const char*, const char*> mistakes[] = {
      {R"({"platform": "x", "pages": [{"kind": "listing", "url": "^/", "fields": {"title": [{"xpath": "//h1"}, "//h2"]}}]})", "x.json:pages[0].fields.title[1]"},
      {R"({"platform": "x", "pages": [{"kind": "listing", "url": "^/", "fields": {"title": [{"xpath": 5}]}}]})", "x.json:pages[0].fields.title[0].xpath"},
      {R"({"platform": "x", "pages": [{"kind": "listing", "url": "^/", "fields": {"title": [{"xpath": "//h1[@id='t'"}]}}]})", "x.json:pages[0].fields.title[0].xpath"},
      {R"({"platform": "x", "pages": [{"kind": "licence", "url": "^/", "fields": {"credit_code": [{"image": "//img/@@src"}]}}]})", "x.json:pages[0].fields.credit_code[0].image"},
      {R"({"platform": "x", "name": ["京东"], "pages": []})", "x.json:name"},
      {R"({"platform": "x", "pages": [], "search": {"url": "/s?q={query}", "items": "//li[", "fields": {"title": "."}}})", "x.json:search.items"},
      {R"({"platform": "x", "pages": [], "search": {"url": "/s?q={query}", "items": "//li", "fields": {"title": "a[1"}}})", "x.json:search.fields.title"},
      {R"({"platform": "x", "pages": [], "search": {"url": "/s?q={query}", "script": {"v": 1}, "path": "list", "fields": {"title": "t"}}})", "x.json:search.script"},
  };
  for (const auto& [text, field] : mistakes) {
    const auto parsed = Adapters::parse(text, "x.json");
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.error().field, field) << parsed.error().describe();
  }
  EXPECT_NE(Adapters::parse(mistakes[2].first, "x.json").error().message.find("XPath"), std::string::npos);

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

// Art 24(3): the categories are data; a regulated product shows its CCC or licence number, or it is a sign.
TEST(Checks, Art24ThreeTheRegulatedCategoriesAreData) {
  const auto categories = load_regulated_categories(std::nullopt);
  ASSERT_TRUE(categories.ok()) << categories.error().describe();
  auto art24_3 = [&](const std::vector<std::pair<std::string, FieldValue>>& f) -> std::string {
    for (const auto& c : check_fields(f, Region{}, *categories))
      if (c.article == 24 && c.reason.find("第（三）项") != std::string::npos) return c.result + " " + c.reason;
    return "";
  };
  EXPECT_TRUE(art24_3(fields({{"title", "清泉 电热水壶 1.7L"}, {"certificate", "2021010718000101"}})).starts_with("pass"));
  const std::string rice_cooker = art24_3(fields({{"title", "清泉 电饭煲 3L"}}));
  EXPECT_TRUE(rice_cooker.starts_with("sign")) << rice_cooker;
  EXPECT_NE(rice_cooker.find("CCC"), std::string::npos) << rice_cooker;
  EXPECT_TRUE(art24_3(fields({{"title", "水泥 42.5 袋装"}, {"certificate", "2021010718000101"}})).starts_with("sign"))
      << "cement needs a production licence, not a CCC number";
  EXPECT_TRUE(art24_3(fields({{"title", "水泥 42.5 袋装"}, {"certificate", "渝XK08-001-00012"}})).starts_with("pass"));
  EXPECT_EQ(art24_3(fields({{"title", "纯棉毛巾"}})), "") << "not a regulated category: nothing said";

  // A data directory's own list replaces the built-in one; a mistake names the file and the field.
  testing::TempDir dir;
  testing::write_text(dir / "regulated_categories.json", R"({"categories": [{"name": "毛巾", "needs": "ccc", "keywords": ["毛巾"]}]})");
  const auto own = load_regulated_categories(dir.path());
  ASSERT_TRUE(own.ok());
  EXPECT_TRUE(check_fields(fields({{"title", "纯棉毛巾"}}), Region{}, *own).back().result == "sign");
  testing::write_text(dir / "regulated_categories.json", R"({"categories": [{"name": "毛巾", "needs": "3c", "keywords": ["毛巾"]}]})");
  const auto bad = load_regulated_categories(dir.path());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().field.find("categories[0].needs"), std::string::npos) << bad.error().field;
  testing::write_text(dir / "regulated_categories.json", R"({"categories": [{"name": "毛巾", "needs": 3, "keywords": ["毛巾"]}]})");
  const auto not_text = load_regulated_categories(dir.path());
  ASSERT_FALSE(not_text.ok()) << "a number where the kind is written: an error, not an exception";
  EXPECT_NE(not_text.error().field.find("categories[0].needs"), std::string::npos) << not_text.error().field;
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
  EXPECT_EQ(out["extraction"]["fields"]["credit_code"]["value"], "91500000MA5U000X0T") << "read from the licence picture";
  EXPECT_EQ(out["extraction"]["fields"]["credit_code"]["rule"], "ocr:" + shop->url() + "licence.png");
  EXPECT_TRUE(out["extraction"]["missing"].empty());
  ASSERT_EQ(out["pictures"].size(), 1u);
  EXPECT_NE(out["pictures"][0]["text"].get<std::string>().find("营业执照"), std::string::npos);
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

  // The organizer's region from settings.json (Art 34): for a district bureau of 巴南 (500113) the operator
  // registered at the municipal level (500000) is not in its region (it was for Chongqing, above); only the
  // producer could still bring it in.
  testing::write_text(dir / "data" / "settings.json", R"({"region": {"code": "500113", "name": "巴南"}})");
  const auto banan = testing::run_process({NETSAMPLE_BIN, "--data", (dir / "data").string(), "crawl", shop->url() + "licence", "--platform", "demo-shop", "--json"});
  ASSERT_EQ(banan.exit_code, 0) << banan.err;
  const json banan_out = json::parse(banan.out);
  EXPECT_EQ(banan_out["checks"][0]["article"], 34);
  EXPECT_EQ(banan_out["checks"][0]["result"], "unknown") << banan_out["checks"][0];
  testing::write_text(dir / "data" / "settings.json", R"({"region": {"code": "5001", "name": "巴南"}})");
  const auto bad_region = testing::run_process({NETSAMPLE_BIN, "--data", (dir / "data").string(), "crawl", shop->url() + "licence", "--platform", "demo-shop"});
  EXPECT_NE(bad_region.exit_code, 0);
  EXPECT_NE(bad_region.err.find("region.code"), std::string::npos) << bad_region.err;
  EXPECT_NE(bad_region.err.find("GB/T 2260"), std::string::npos) << bad_region.err;
}

// `case create --from-listing`: the listing and its licence read (one capture session, checked), the case
// pre-filled with what they gave beside what the organizer's file says, and created only when confirmed.
TEST(Extract, ACaseIsPrefilledFromAListingAndItsLicenceAndCreatedOnlyWhenConfirmed) {
  ManualClock clock{SystemClock().now()};
  auto shop = demo::DemoShop::start(clock).value();
  testing::TempDir dir;
  const fs::path data = dir / "data";
  auto netsample = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {NETSAMPLE_BIN, "--data", data.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::run_process(argv);
  };
  fs::create_directories(data);
  testing::write_text(data / "platforms.json", R"({"platforms": [{"code": "demo-shop", "name": "演示商城", "hosts": ["127.0.0.1"], "local": true}]})");
  testing::write_text(dir / "roster.json", testing::sample_roster().dump());
  ASSERT_EQ(netsample({"roster", "add", "--file", (dir / "roster.json").string()}).exit_code, 0);
  // What the pages cannot say: the case's number, level, plan, category and quantities.
  testing::write_text(dir / "rest.json", json{{"number", "CQ-LISTING-1"}, {"organizer", "cq-amr"}, {"level", "city"}, {"plan", "routine"},
                                              {"product", {{"category", "家用电器"}}}, {"samples", {{"inspection", 2}, {"backup", 2}}}}.dump());
  const std::vector<std::string> args = {"case", "create", "--from-listing", shop->url() + "item/QS-1701", "--licence-page", shop->url() + "licence",
                                         "--file", (dir / "rest.json").string(), "--json"};
  const auto draft_run = netsample(args);
  ASSERT_EQ(draft_run.exit_code, 0) << draft_run.out << draft_run.err;
  const json draft = json::parse(draft_run.out);
  EXPECT_EQ(draft["case"]["product"]["trademark"], "清泉");
  EXPECT_EQ(draft["case"]["product"]["model"], "QS-1701");
  EXPECT_EQ(draft["case"]["product"]["category"], "家用电器") << "the file's value stays";
  EXPECT_EQ(draft["case"]["operator"]["name"], "重庆清泉电器销售有限公司（演示）") << "from the licence picture";
  EXPECT_EQ(draft["case"]["shop"]["listing_url"], shop->url() + "item/QS-1701");
  EXPECT_EQ(draft["case"]["platform"], "demo-shop");
  bool scope = false;
  for (const auto& c : draft["checks"]) scope |= c["article"] == 34 && c["result"] == "pass";
  EXPECT_TRUE(scope) << draft["checks"].dump(2);
  EXPECT_NE(netsample({"case", "show", "CQ-LISTING-1"}).exit_code, 0) << "nothing created before the organizer confirms";
  // A file whose product is no object cannot take the product's fields: said, naming it.
  testing::write_text(dir / "product-text.json", json{{"number", "CQ-LISTING-2"}, {"product", "电热水壶"}}.dump());
  const auto wrong_shape = netsample({"case", "create", "--from-listing", shop->url() + "item/QS-1701", "--file", (dir / "product-text.json").string()});
  EXPECT_NE(wrong_shape.exit_code, 0);
  EXPECT_NE(wrong_shape.err.find("product"), std::string::npos) << wrong_shape.err;
  EXPECT_NE(wrong_shape.err.find("须为 JSON 对象"), std::string::npos) << wrong_shape.err;

  std::vector<std::string> confirm = args;
  confirm.push_back("--confirm");
  const auto created = netsample(confirm);
  ASSERT_EQ(created.exit_code, 0) << created.out << created.err;
  const json shown = json::parse(netsample({"case", "show", "CQ-LISTING-1", "--json"}).out);
  EXPECT_EQ(shown["product"]["model"], "QS-1701") << shown.dump(2);
  EXPECT_EQ(shown["producer"]["name"], "佛山市清泉电器制造有限公司（演示）");
}

// The service's crawl (`--public-addresses-only`): a platform marked local (the demo shop) is fetched when asked for
// by its own host on loopback; another name that resolves to loopback does not borrow its exemption, and the
// refusal is said as such, not as robots.txt's.
TEST(Extract, TheServicesCrawlReachesALocalPlatformOnlyByItsOwnHost) {
  ManualClock clock{SystemClock().now()};
  auto shop = demo::DemoShop::start(clock).value();
  testing::TempDir dir;
  const fs::path data = dir / "data";
  fs::create_directories(data);
  testing::write_text(data / "platforms.json", R"({"platforms": [{"code": "demo-shop", "name": "演示商城", "hosts": ["127.0.0.1"], "local": true}]})");
  auto crawl = [&](const std::string& url) {
    return testing::run_process({NETSAMPLE_BIN, "--data", data.string(), "crawl", url, "--public-addresses-only", "--platform", "demo-shop", "--json"});
  };
  const auto local = crawl(shop->url() + "item/QS-1701");
  EXPECT_EQ(local.exit_code, 0) << local.out << local.err;

  std::string by_other_name = shop->url();
  by_other_name.replace(by_other_name.find("127.0.0.1"), 9, "localhost");
  const auto borrowed = crawl(by_other_name + "item/QS-1701");
  EXPECT_NE(borrowed.exit_code, 0);
  const json refused = json::parse(borrowed.out, nullptr, false);
  ASSERT_TRUE(refused.is_object()) << borrowed.out << borrowed.err;
  EXPECT_EQ(refused["refused_address"], true) << refused.dump(2);
  EXPECT_EQ(refused["refused_by_robots"], false);
  EXPECT_EQ(refused["error"]["code"], "refused_by_rule");
  EXPECT_NE(refused["error"]["message"].get<std::string>().find("内部网络"), std::string::npos) << refused["error"];
  EXPECT_NE(refused["error"]["message"].get<std::string>().find("localhost"), std::string::npos) << refused["error"];
}

// `netsample search`: a platform's search page preserved and read for candidates, their addresses absolute;
// a page that keeps its results in a script object is read by the adapter's script rule.
TEST(Extract, SearchListsCandidateListingsFromThePlatformsSearchPage) {
  ManualClock clock{SystemClock().now()};
  auto shop = demo::DemoShop::start(clock).value();
  testing::TempDir dir;
  const auto run = testing::run_process({NETSAMPLE_BIN, "--data", (dir / "data").string(), "search", "电热水壶", "--platform", "demo-shop",
                                         "--base", shop->url(), "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  const json out = json::parse(run.out);
  ASSERT_EQ(out["candidates"].size(), 2u) << out.dump(2);
  EXPECT_EQ(out["candidates"][0]["url"], shop->url() + "item/QS-1701");
  EXPECT_EQ(out["candidates"][0]["price"], "¥129.00");
  EXPECT_NE(out["candidates"][0]["title"].get<std::string>().find("电热水壶"), std::string::npos);
  EXPECT_NE(out["final_url"].get<std::string>().find("q=%E7%94%B5%E7%83%AD%E6%B0%B4%E5%A3%B6"), std::string::npos) << "the query percent-encoded";
  EXPECT_TRUE(fs::exists(out["warc"].get<std::string>()));
  const auto none = testing::run_process({NETSAMPLE_BIN, "--data", (dir / "data").string(), "search", "电热水壶", "--platform", "jd", "--json"});
  EXPECT_NE(none.exit_code, 0) << "jd's adapter has no search rules";
  EXPECT_NE(none.out.find("search"), std::string::npos) << none.out;

  Adapter scripted = Adapters::parse(R"({"platform": "x", "pages": [],
    "search": {"url": "https://x.example/s?q={query}", "script": "window.rawData", "path": "list",
               "fields": {"title": "goodsName", "url": "link", "price": "price"}}})", "x.json").value();
  EXPECT_EQ(search_url(scripted, "", "积木 大颗粒").value(), "https://x.example/s?q=%E7%A7%AF%E6%9C%A8%20%E5%A4%A7%E9%A2%97%E7%B2%92");
  const auto found = read_search(scripted, "https://x.example/s?q=a",
                                 {"<script>window.rawData = {list: [{goodsName: '积木', link: '/goods.html?id=1', price: 59.9}, {goodsName: '拼图'}]}</script>", "UTF-8", "default", ""});
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 2u);
  EXPECT_EQ(found->at(0).to_json()["url"], "https://x.example/goods.html?id=1");
  EXPECT_EQ(found->at(1).to_json().size(), 1u) << "what an entry does not have is left out, not guessed";
  EXPECT_FALSE(Adapters::parse(R"({"platform": "x", "pages": [], "search": {"url": "/s", "items": "//li", "fields": {"title": "."}}})", "x.json").ok())
      << "a search address without {query}";
}

// A Pinduoduo-shaped shop served from the fixtures: the goods page drawn by script from window.rawData, the
// licence only as a picture at a relative address, read by OCR through `netsample crawl`, kept in the WARC.
TEST(Extract, APinduoduoShapedShopWithItsLicenceOnlyAsAPicture) {
  const fs::path fixtures = NETSAMPLE_FIXTURES;
  httplib::Server server;
  const auto goods = read_file(fixtures / "pdd-goods.html").value();
  const auto licence_page = read_file(fixtures / "pdd-mall-licence.html").value();
  const auto licence_png = read_file(fixtures / "pdd-licence.png").value();
  server.Get("/goods.html", [&](const httplib::Request&, httplib::Response& r) { r.set_content(goods, "text/html; charset=utf-8"); });
  server.Get("/mall_certificate.html", [&](const httplib::Request&, httplib::Response& r) { r.set_content(licence_page, "text/html; charset=utf-8"); });
  server.Get("/certificate/licence.png", [&](const httplib::Request&, httplib::Response& r) { r.set_content(licence_png, "image/png"); });
  // The picture as a server may send it: gzip as its Content-Encoding (the WARC keeps it so; OCR needs it undone).
  const std::string packed_png = gzip(licence_png);
  server.Get("/certificate/packed.png", [&](const httplib::Request&, httplib::Response& r) {
    r.set_header("Content-Encoding", "gzip");
    r.set_content(packed_png, "image/png");
  });
  std::string packed_page = licence_page;
  packed_page.replace(packed_page.find("certificate/licence.png"), 23, "certificate/packed.png");
  server.Get("/mall_certificate_packed.html", [&](const httplib::Request&, httplib::Response& r) { r.set_content(packed_page, "text/html; charset=utf-8"); });
  std::string inline_page = licence_page;
  inline_page.replace(inline_page.find("certificate/licence.png"), 23, "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk");
  server.Get("/mall_certificate_inline.html", [&](const httplib::Request&, httplib::Response& r) { r.set_content(inline_page, "text/html; charset=utf-8"); });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread thread([&] { server.listen_after_bind(); });
  struct Stop {  // however the test ends (an ASSERT returns early): a joinable thread destroyed ends the program
    httplib::Server& server;
    std::thread& thread;
    ~Stop() { server.stop(), thread.join(); }
  } stop{server, thread};
  while (!server.is_running()) std::this_thread::sleep_for(1ms);
  const std::string origin = "http://127.0.0.1:" + std::to_string(port);
  testing::TempDir dir;
  auto crawl = [&](const std::string& path, std::vector<std::string> more = {}) {
    std::vector<std::string> argv = {NETSAMPLE_BIN, "--data", (dir / "data").string(), "crawl", origin + path, "--platform", "pinduoduo", "--json"};
    argv.insert(argv.end(), more.begin(), more.end());
    const auto run = testing::run_process(argv);
    EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
    return json::parse(run.out);
  };
  auto check = [](const json& out, int article, const std::string& words) -> std::string {
    for (const auto& c : out["checks"])
      if (c["article"] == article && c["reason"].get<std::string>().find(words) != std::string::npos) return c["result"];
    return "";
  };

  const json licence = crawl("/mall_certificate.html?mall_id=77");
  const json& f = licence["extraction"]["fields"];
  EXPECT_EQ(f["credit_code"]["value"], "92500112MA60LTNK03") << licence.dump(2);
  EXPECT_EQ(f["operator_company"]["value"], "重庆市渝北区乐童玩具店");
  // An address is taken as read (no check digit guards it: the sampler confirms it); what the scope rests on and
  // the wrapped second line must be there.
  const std::string address = without_spaces(f["operator_address"]["value"]);
  EXPECT_TRUE(address.starts_with("重庆市渝北区双凤桥街道")) << address;
  EXPECT_TRUE(address.ends_with("大道366号附12号")) << address;
  EXPECT_EQ(f["credit_code"]["rule"], "ocr:" + origin + "/certificate/licence.png") << "the relative address resolved against the page";
  EXPECT_EQ(check(licence, 34, "500112"), "pass") << "registered in 渝北 (500112), within Chongqing";
  // The picture is in the WARC beside the page, and what OCR read is a metadata record referring to it.
  const std::string warc = testing::run_process({"/bin/sh", "-c", "gzip -dc '" + licence["warc"].get<std::string>() + "'"}).out;
  EXPECT_NE(warc.find("WARC-Target-URI: " + origin + "/certificate/licence.png"), std::string::npos);
  EXPECT_NE(warc.find("WARC-Refers-To: "), std::string::npos);
  EXPECT_NE(warc.find("\"purpose\": \"ocr\""), std::string::npos);

  const json packed = crawl("/mall_certificate_packed.html");
  EXPECT_EQ(packed["extraction"]["fields"].value("credit_code", json::object()).value("value", ""), "92500112MA60LTNK03") << packed.dump(2);

  // A picture at an address no capture fetches (a data: URI): the picture's problem; the page is still kept and read.
  const json inline_picture = crawl("/mall_certificate_inline.html");
  ASSERT_EQ(inline_picture["pictures"].size(), 1u) << inline_picture.dump(2);
  EXPECT_NE(inline_picture["pictures"][0].value("problem", "").find("不是 http 或 https 网址"), std::string::npos) << inline_picture["pictures"];
  EXPECT_EQ(inline_picture["extraction"]["missing"].size(), 3u) << "the fields the picture was to give stay missing";

  const json listing = crawl("/goods.html?goods_id=356789012345");
  const json& g = listing["extraction"]["fields"];
  EXPECT_EQ(g["title"]["value"], "乐童 儿童益智拼装积木 大颗粒 120粒 3岁以上");
  EXPECT_EQ(g["price"]["value"], "59.9");
  EXPECT_EQ(g["producer"]["value"], "汕头市澄海区乐童玩具厂");
  EXPECT_EQ(g["standard"]["value"], "GB 6675.1-2014");
  EXPECT_TRUE(listing["extraction"]["missing"].empty()) << listing.dump(2);
  EXPECT_EQ(check(listing, 24, "第（三）项"), "sign") << "a toy (CCC) that shows no certificate number";
  EXPECT_EQ(check(listing, 22, ""), "pass");
  EXPECT_EQ(check(listing, 34, ""), "unknown") << "the listing alone names only a producer in Guangdong";

  // The listing and the licence in one session: one WARC, and the checks see both (the operator is in 渝北).
  const json both = crawl("/goods.html?goods_id=356789012345", {"--also", origin + "/mall_certificate.html?mall_id=77"});
  ASSERT_EQ(both["also"].size(), 1u);
  EXPECT_EQ(both["also"][0]["extraction"]["fields"]["credit_code"]["value"], "92500112MA60LTNK03");
  EXPECT_EQ(check(both, 34, "500112"), "pass") << both["checks"].dump(2);
  EXPECT_EQ(check(both, 24, "第（三）项"), "sign");
  EXPECT_EQ(both["case_fields"]["operator.name"], "重庆市渝北区乐童玩具店");
  EXPECT_EQ(both["case_fields"]["producer.name"], "汕头市澄海区乐童玩具厂");
  EXPECT_EQ(both["case_fields"]["platform"], "pinduoduo");

  // A further page whose address no capture takes is refused before anything is captured, naming it.
  const fs::path captures = dir / "data" / "captures" / "unassigned";
  const auto files = [&] { return std::distance(fs::directory_iterator(captures), fs::directory_iterator()); };
  const auto kept = files();
  const auto bad_also = testing::run_process({NETSAMPLE_BIN, "--data", (dir / "data").string(), "crawl", origin + "/goods.html?goods_id=356789012345",
                                              "--also", origin + "/mall_certificate.html", "--also", "ftp://127.0.0.1/licence", "--platform", "pinduoduo"});
  EXPECT_NE(bad_also.exit_code, 0);
  EXPECT_NE(bad_also.err.find("also[1]"), std::string::npos) << bad_also.err;
  EXPECT_NE(bad_also.err.find("--also"), std::string::npos) << bad_also.err;
  EXPECT_EQ(files(), kept) << "no WARC begun";
}

}  // namespace
}  // namespace netsample::extract
