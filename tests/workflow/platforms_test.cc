#include "netsample/workflow/platforms.h"

#include <gtest/gtest.h>

#include "testing.h"

namespace netsample::workflow {
namespace {

TEST(Platforms, BuiltInListKnowsTheMajorPlatformsByCodeAndName) {
  auto registry = PlatformRegistry::built_in();
  ASSERT_TRUE(registry.ok()) << registry.error().describe();
  ASSERT_NE(registry->find("jd"), nullptr);
  EXPECT_EQ(registry->find("京东")->code, "jd");
  EXPECT_EQ(registry->find("拼多多")->code, "pinduoduo");
  EXPECT_EQ(registry->find("no-such-mall"), nullptr);
}

TEST(Platforms, DataDirectoryFileAddsAndReplaces) {
  testing::TempDir dir;
  testing::write_text(dir / "platforms.json", R"({"platforms": [
      {"code": "jd", "name": "京东商城", "hosts": ["jd.com"]},
      {"code": "cqmall", "name": "渝货通", "hosts": ["cqmall.example"]}]})");
  auto registry = PlatformRegistry::load(dir.path());
  ASSERT_TRUE(registry.ok()) << registry.error().describe();
  EXPECT_EQ(registry->find("jd")->name, "京东商城");
  EXPECT_EQ(registry->find("渝货通")->code, "cqmall");
  EXPECT_NE(registry->find("taobao"), nullptr);
}

TEST(Platforms, BrokenOverrideFileNamesTheField) {
  testing::TempDir dir;
  testing::write_text(dir / "platforms.json", R"({"platforms": [{"code": "x", "hosts": []}]})");
  auto registry = PlatformRegistry::load(dir.path());
  ASSERT_FALSE(registry.ok());
  EXPECT_EQ(registry.error().code, ErrorCode::missing_field);
  EXPECT_NE(registry.error().field.find("platforms[0].name"), std::string::npos);
}

TEST(Platforms, APlatformServedOnThisMachineSaysSoItself) {
  testing::TempDir dir;
  testing::write_text(dir / "platforms.json", R"({"platforms": [
      {"code": "demo-shop", "name": "演示商城", "hosts": ["127.0.0.1"], "local": true}]})");
  auto registry = PlatformRegistry::load(dir.path());
  ASSERT_TRUE(registry.ok()) << registry.error().describe();
  EXPECT_TRUE(registry->find("demo-shop")->local);
  EXPECT_FALSE(registry->find("jd")->local);  // the built-in platforms are real ones
  testing::write_text(dir / "platforms.json", R"({"platforms": [{"code": "x", "name": "x", "hosts": [], "local": "yes"}]})");
  auto wrong = PlatformRegistry::load(dir.path());
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().field.find("platforms[0].local"), std::string::npos);
}

}  // namespace
}  // namespace netsample::workflow
