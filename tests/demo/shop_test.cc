// The demo shop, through real HTTP on 127.0.0.1: every page a purchase step records, with stable ids.
#include "netsample/demo/shop.h"

#include <gtest/gtest.h>

#include "netsample/core/http.h"

namespace netsample::demo {
namespace {

class DemoShopTest : public ::testing::Test {
 protected:
  void SetUp() override { shop_ = DemoShop::start(clock_).value(); }
  HttpResponse get(const std::string& path) { return http_.get(shop_->url() + path).value(); }
  HttpResponse post(const std::string& path, const std::vector<std::pair<std::string, std::string>>& form) {
    HttpRequest request;
    request.method = "POST";
    request.url = shop_->url() + path;
    request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
    request.body = form_encode(form);
    return http_.send(request).value();
  }
  std::string place_order(int qty) {
    const auto placed = post("order", {{"item", "QS-1701"}, {"qty", std::to_string(qty)}, {"buyer", "cq_buyer_01"},
                                       {"address", "重庆市渝中区示例路 1 号"}, {"contact", "张明 138****0001"}});
    EXPECT_EQ(placed.status, 303) << placed.body;
    return placed.header("Location").substr(std::string("/order/").size());
  }

  ManualClock clock_{parse_iso8601("2026-11-24T10:15:00+08:00", "now").value()};
  HttpClient http_;
  std::unique_ptr<DemoShop> shop_;
};

TEST_F(DemoShopTest, SearchFindsTheProductAndItsPageShowsWhatTheRecordNeeds) {
  const auto results = get("search?q=" + form_encode({{"", "电热水壶"}}).substr(1));
  EXPECT_EQ(results.status, 200);
  EXPECT_NE(results.body.find("data-id=\"QS-1701\""), std::string::npos);
  EXPECT_EQ(results.body.find("QS-R30"), std::string::npos);  // the rice cooker is not a kettle
  const auto item = get("item/QS-1701");
  EXPECT_NE(item.body.find("<span id=\"price\">129.00</span>"), std::string::npos);
  EXPECT_NE(item.body.find("<td id=\"trademark\">清泉</td>"), std::string::npos);
  EXPECT_NE(item.body.find("<td id=\"model\">QS-1701</td>"), std::string::npos);
  EXPECT_EQ(get("item/NOPE").status, 404);
}

// As real shops do (E-Commerce Law art 15), the licence is shown only as a picture; the crawler reads it by OCR
// (tests/crawler/extract_test.cc).
TEST_F(DemoShopTest, TheLicencePageShowsTheLicenceAsAPicture) {
  const auto licence = get("licence");
  EXPECT_NE(licence.body.find("<img id=\"licence-image\" src=\"/licence.png\""), std::string::npos);
  EXPECT_EQ(licence.body.find("91500000MA5U000X0T"), std::string::npos);
  const auto picture = get("licence.png");
  EXPECT_EQ(picture.status, 200);
  EXPECT_EQ(picture.body.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
}

TEST_F(DemoShopTest, AnOrderGetsADeterministicNumberAndIsPaidOnce) {
  const std::string number = place_order(4);  // 2 inspection + 2 backup samples
  EXPECT_EQ(number, "DS202611240001");
  const auto confirmation = get("order/" + number);
  EXPECT_NE(confirmation.body.find("<span id=\"order-amount\">516.00</span>"), std::string::npos);
  EXPECT_NE(confirmation.body.find("<td id=\"order-time\">2026-11-24 10:15:00.000 +08:00</td>"), std::string::npos);

  clock_.set(parse_iso8601("2026-11-24T10:16:30+08:00", "now").value());
  const auto paid = post("pay/" + number, {{"method", "银行卡"}, {"account", "6222 **** 0001"}});
  EXPECT_EQ(paid.status, 303);
  const auto receipt = get("paid/" + number);
  EXPECT_NE(receipt.body.find("<td id=\"paid-time\">2026-11-24 10:16:30.000 +08:00</td>"), std::string::npos);
  EXPECT_EQ(post("pay/" + number, {{"method", "银行卡"}, {"account", "x"}}).status, 400);  // not twice

  const auto orders = shop_->orders();
  ASSERT_EQ(orders.size(), 1u);
  EXPECT_EQ(orders[0].amount_cents, 51600);
  EXPECT_EQ(orders[0].payment_method, "银行卡");
  EXPECT_EQ(place_order(1), "DS202611240002");
  EXPECT_EQ(nlohmann::json::parse(get("api/orders").body).size(), 2u);
}

TEST_F(DemoShopTest, ABadOrderNamesTheField) {
  const auto refused = post("order", {{"item", "QS-1701"}, {"qty", "0"}, {"buyer", "b"}, {"address", "a"}, {"contact", "c"}});
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("字段 qty"), std::string::npos);
  const auto missing = post("order", {{"item", "QS-1701"}, {"qty", "2"}, {"buyer", ""}, {"address", "a"}, {"contact", "c"}});
  EXPECT_NE(missing.body.find("字段 buyer"), std::string::npos);
  EXPECT_TRUE(shop_->orders().empty());
}

TEST_F(DemoShopTest, CustomerServiceAnswersByKeyword) {
  EXPECT_EQ(post("chat", {{"message", "请问生产日期是什么时候？"}}).status, 303);
  const auto chat = get("chat");
  EXPECT_NE(chat.body.find("请问生产日期是什么时候？"), std::string::npos);
  EXPECT_NE(chat.body.find("2026 年 10 月生产"), std::string::npos);
}

TEST_F(DemoShopTest, TextIsEscaped) {
  post("chat", {{"message", "<script>alert(1)</script>"}});
  const auto chat = get("chat");
  EXPECT_EQ(chat.body.find("<script>alert(1)"), std::string::npos);
  EXPECT_NE(chat.body.find("&lt;script&gt;"), std::string::npos);
}

}  // namespace
}  // namespace netsample::demo
