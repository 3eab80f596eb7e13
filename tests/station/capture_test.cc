// Every page the sampler's browser receives, kept as WARC and chained into a recording's journal: Chromium on
// Xvfb buying in the demo shop on loopback, the WARC read back by npm's warcio (digests recomputed there), the
// journal verified against it, a removed record named.
#include "netsample/webcapture/webcapture.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <fstream>
#include <mutex>

#include "netsample/browser/browser.h"
#include "netsample/core/file_io.h"
#include "netsample/demo/shop.h"
#include "netsample/recorder/journal.h"
#include "testing.h"

namespace netsample::webcapture {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class BrowserCaptureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::warcio_installed()) << "npm ci --prefix tests/browser（setup.sh test 会安装）";
    shop_ = demo::DemoShop::start(clock_).value();
    browser::LaunchOptions launch;
    launch.display = x_.display();
    launch.profile_dir = dir_ / "profile";
    auto launched = browser::Chromium::launch(launch);
    ASSERT_TRUE(launched.ok()) << launched.error().describe();
    chromium_ = std::move(launched).value();
    auto journal = recorder::JournalWriter::create(dir_ / "recording.journal");
    ASSERT_TRUE(journal.ok());
    journal_.emplace(std::move(journal).value());
    testing::write_text(dir_ / "recording.mp4", "");  // no video here: the journal holds page records only

    CaptureOptions options;
    options.warc_file = dir_ / recorder::kPagesFile;
    options.warcinfo = {{"case", "TEST-1"}};
    options.now = [this] { return Stamp{frame_.load(), to_utc_us(SystemClock().now()), true}; };
    options.journal = [this](const warc::WrittenRecord& w, const Stamp& stamp) -> Status {
      std::lock_guard lock(journal_mutex_);
      return status_of(journal_->append(recorder::PageInput{w.offset, w.length, w.member_sha256, stamp.frame, stamp.utc_us, w.target_uri, w.type}));
    };
    auto capture = BrowserCapture::start(*chromium_, options);
    ASSERT_TRUE(capture.ok()) << capture.error().describe();
    capture_ = std::move(capture).value();
  }

  // A purchase as a sampler makes it: search, licence (a picture), product page, order (a form POST answered
  // with a redirect).
  void buy() {
    browser::Page page = browser::Page::of(*chromium_);
    frame_ = 10;
    ASSERT_TRUE(page.navigate(shop_->url()).ok());
    ASSERT_TRUE(page.type("#q", "电热水壶").ok());
    ASSERT_TRUE(page.click("#search-button").ok());
    ASSERT_TRUE(page.wait_until("document.querySelector('#results')").ok());
    frame_ = 40;
    ASSERT_TRUE(page.click("#licence-link").ok());
    ASSERT_TRUE(page.wait_until("(() => { const i = document.querySelector('#licence-image'); return i && i.complete && i.naturalWidth > 0; })()").ok());
    frame_ = 80;
    ASSERT_TRUE(page.navigate(shop_->url() + "item/QS-1701").ok());
    ASSERT_TRUE(page.type("#qty", "4").ok());
    ASSERT_TRUE(page.click("#buy-button").ok());
    ASSERT_TRUE(page.wait_until("document.querySelector('#submit-order')").ok());
    ASSERT_TRUE(page.type("#buyer-input", "cq_buyer_01").ok());
    ASSERT_TRUE(page.type("#address-input", "重庆市渝中区示例路 1 号").ok());
    ASSERT_TRUE(page.type("#contact-input", "张明 023-6000 0000").ok());
    frame_ = 120;
    ASSERT_TRUE(page.click("#submit-order").ok());
    ASSERT_TRUE(page.wait_until("document.querySelector('#order-number')").ok());
    order_number_ = page.text("#order-number").value();
  }

  recorder::JournalCheck verify() {
    auto check = recorder::verify_journal(dir_ / "recording.journal", dir_ / "recording.mp4", dir_ / recorder::kPagesFile);
    EXPECT_TRUE(check.ok());
    return check.ok() ? *check : recorder::JournalCheck{};
  }

  testing::Xvfb x_;
  testing::TempDir dir_;
  SystemClock clock_;
  std::unique_ptr<demo::DemoShop> shop_;
  std::unique_ptr<browser::Chromium> chromium_;
  std::mutex journal_mutex_;
  std::optional<recorder::JournalWriter> journal_;
  std::atomic<std::int64_t> frame_{0};
  std::unique_ptr<BrowserCapture> capture_;
  std::string order_number_;
};

const json* find(const json& records, const std::string& type, const std::string& uri) {
  for (const auto& r : records)
    if (r.value("type", "") == type && r.value("uri", "") == uri) return &r;
  return nullptr;
}

TEST_F(BrowserCaptureTest, EveryPageOfAPurchaseIsKeptReadableByWarcioAndChained) {
  buy();
  auto stats = capture_->finish();
  ASSERT_TRUE(stats.ok()) << stats.error().describe();
  EXPECT_GE(stats->exchanges, 7) << stats->to_json().dump();
  EXPECT_GE(stats->navigations, 4);
  EXPECT_TRUE(stats->problems.empty()) << stats->to_json().dump();

  const json records = testing::read_with_warcio(dir_ / recorder::kPagesFile);
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records[0]["type"], "warcinfo");
  for (const auto& r : records) {
    EXPECT_EQ(r["block_ok"], true) << r.dump();
    if (!r["payload_ok"].is_null()) {
      EXPECT_EQ(r["payload_ok"], true) << r.dump();
    }
  }
  const std::string base = shop_->url();
  for (const std::string& uri : {base, base + "search?q=%E7%94%B5%E7%83%AD%E6%B0%B4%E5%A3%B6", base + "licence", base + "licence.png",
                                base + "item/QS-1701", base + "order", base + "order/" + order_number_}) {
    const json* response = find(records, "response", uri);
    ASSERT_NE(response, nullptr) << "no response for " << uri;
    EXPECT_EQ((*response)["ip"], "127.0.0.1") << uri;
    EXPECT_NE(find(records, "request", uri), nullptr) << uri;
  }
  // The order form's POST, answered by a redirect to the order page: both hops, the form's body in the request.
  EXPECT_EQ((*find(records, "response", base + "order"))["status"], "HTTP/1.1 303 See Other");
  EXPECT_EQ((*find(records, "request", base + "order"))["status"], "POST /order HTTP/1.1");
  // The licence picture byte for byte as the shop serves it.
  httplib::Client shop("127.0.0.1", std::stoi(base.substr(base.rfind(':') + 1)));
  const auto served = shop.Get("/licence.png");
  ASSERT_TRUE(served);
  EXPECT_EQ((*find(records, "response", base + "licence.png"))["payload_sha256"], "sha256:" + sha256_hex(served->body));

  // The metadata: the frame on screen when each response arrived, and which page was on screen from which frame.
  bool order_meta = false, navigation = false;
  for (const auto& r : records) {
    if (r["type"] != "metadata") continue;
    const json meta = json::parse(r["text"].get<std::string>());
    if (meta.value("event", "") == "navigation" && meta["url"] == base + "order/" + order_number_) {
      navigation = true;
      EXPECT_EQ(meta["frame"], 120);
    }
    if (r["uri"] == base + "order/" + order_number_ && !meta.contains("event")) {
      order_meta = true;
      EXPECT_EQ(meta["frame"], 120);
      EXPECT_EQ(meta["remoteIPAddress"], "127.0.0.1");
      EXPECT_EQ(meta["resource_type"], "Document");
    }
  }
  EXPECT_TRUE(order_meta);
  EXPECT_TRUE(navigation);

  // Every record is in the journal's chain, in the file's order.
  const recorder::JournalCheck check = verify();
  EXPECT_TRUE(check.ok) << (check.errors.empty() ? "" : check.errors[0]);
  EXPECT_EQ(check.pages.size(), records.size());
  EXPECT_EQ(check.unjournaled_page_bytes, 0u);
}

TEST_F(BrowserCaptureTest, ARemovedRecordIsNamedByTheJournal) {
  buy();
  ASSERT_TRUE(capture_->finish().ok());
  const recorder::JournalCheck intact = verify();
  ASSERT_TRUE(intact.ok);
  // Cut the licence picture's response out of the WARC, as someone hiding what the shop showed would.
  const recorder::PageRecord* licence = nullptr;
  for (const auto& p : intact.pages)
    if (p.page.type == "response" && p.page.uri.ends_with("/licence.png")) licence = &p;
  ASSERT_NE(licence, nullptr);
  std::string bytes = read_file(dir_ / recorder::kPagesFile).value();
  bytes.erase(licence->page.offset, licence->page.size);
  testing::write_text(dir_ / recorder::kPagesFile, bytes);
  const recorder::JournalCheck cut = verify();
  EXPECT_FALSE(cut.ok);
  ASSERT_FALSE(cut.errors.empty());
  EXPECT_NE(cut.errors[0].find("licence.png"), std::string::npos) << cut.errors[0];
}

}  // namespace
}  // namespace netsample::webcapture
