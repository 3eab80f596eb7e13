// Chromium on a real X server, driven over the DevTools pipe through the demo shop, as the demo purchase is.
#include "netsample/browser/browser.h"

#include <gtest/gtest.h>

#include "netsample/demo/shop.h"
#include "testing.h"

namespace netsample::browser {
namespace {

TEST(Browser, WalksThroughTheDemoShopAndPlacesAnOrder) {
  testing::Xvfb x;
  testing::TempDir profile;
  SystemClock clock;
  auto shop = demo::DemoShop::start(clock).value();
  LaunchOptions options;
  options.display = x.display();
  options.profile_dir = profile.path();
  auto launched = Chromium::launch(options);
  ASSERT_TRUE(launched.ok()) << launched.error().describe();
  Chromium& chromium = **launched;
  EXPECT_EQ(chromium.product().rfind("Chrome/", 0), 0u) << chromium.product();
  Page browser = Page::of(chromium);

  ASSERT_TRUE(browser.navigate(shop->url()).ok());
  ASSERT_TRUE(browser.type("#q", "电热水壶").ok());
  ASSERT_TRUE(browser.click("#search-button").ok());
  ASSERT_TRUE(browser.wait_until("document.querySelector('#results')").ok());
  ASSERT_TRUE(browser.click("a.result[data-id='QS-1701']").ok());
  ASSERT_TRUE(browser.wait_until("document.querySelector('#price')").ok());
  EXPECT_EQ(browser.text("#price").value(), "129.00");
  EXPECT_EQ(browser.text("#model").value(), "QS-1701");

  ASSERT_TRUE(browser.type("#qty", "4").ok());
  ASSERT_TRUE(browser.click("#buy-button").ok());
  ASSERT_TRUE(browser.wait_until("document.querySelector('#submit-order')").ok());
  ASSERT_TRUE(browser.type("#buyer-input", "cq_buyer_01").ok());
  ASSERT_TRUE(browser.type("#address-input", "重庆市渝中区示例路 1 号").ok());
  ASSERT_TRUE(browser.type("#contact-input", "张明 138****0001").ok());
  ASSERT_TRUE(browser.click("#submit-order").ok());
  ASSERT_TRUE(browser.wait_until("document.querySelector('#order-number')").ok());
  const std::string number = browser.text("#order-number").value();
  EXPECT_EQ(browser.text("#order-amount").value(), "516.00");

  const auto orders = shop->orders();
  ASSERT_EQ(orders.size(), 1u);
  EXPECT_EQ(orders[0].number, number);
  EXPECT_EQ(orders[0].address, "重庆市渝中区示例路 1 号");
  EXPECT_FALSE(browser.text("#no-such-element").ok());
  const auto shot = browser.screenshot();
  ASSERT_TRUE(shot.ok());
  if (const char* keep = std::getenv("NETSAMPLE_KEEP_SCREENSHOT")) testing::write_text(keep, *shot);
}

TEST(Browser, Base64AsDevToolsSendsIt) {
  EXPECT_EQ(decode_base64("").value(), "");
  EXPECT_EQ(decode_base64("YQ==").value(), "a");
  EXPECT_EQ(decode_base64("YWI=").value(), "ab");
  EXPECT_EQ(decode_base64("YWJj").value(), "abc");
  EXPECT_EQ(decode_base64("AP8A").value(), std::string("\0\xff\0", 3));
  EXPECT_FALSE(decode_base64("YWJ").has_value());
  EXPECT_FALSE(decode_base64("Y!==").has_value());
}

TEST(Browser, AMissingProgramIsAClearError) {
  testing::TempDir profile;
  LaunchOptions options;
  options.display = ":0";
  options.profile_dir = profile.path();
  options.executable = "/nonexistent/chromium";
  auto launched = Chromium::launch(options);
  ASSERT_FALSE(launched.ok());
  EXPECT_NE(launched.error().message.find("chromium"), std::string::npos) << launched.error().message;
}

}  // namespace
}  // namespace netsample::browser
