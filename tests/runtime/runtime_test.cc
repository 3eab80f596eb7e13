// The runtime: one data directory opened once for every front end.
#include "netsample/runtime/runtime.h"

#include <gtest/gtest.h>

#include "testing.h"

namespace netsample::runtime {
namespace {

TEST(Runtime, OpensADataDirectoryWithItsSettingsAndBuildsTheObjectsOnIt) {
  testing::TempDir dir;
  testing::write_text(dir / "settings.json", R"({"period_rule": "strict"})");
  auto opened = Runtime::open(dir.path());
  ASSERT_TRUE(opened.ok()) << opened.error().describe();
  Runtime& r = **opened;
  EXPECT_EQ(r.lifecycle_options().rule, workflow::PeriodRule::holidays_only);  // Art 75, as the bureau set it
  ASSERT_TRUE(r.roster().add(*workflow::parse_people(testing::sample_roster()), "os:test").ok());
  auto created = r.cases().create(*workflow::parse_case(testing::sample_case("CQ-R1"), r.platforms()), "os:test");
  ASSERT_TRUE(created.ok()) << created.error().describe();
  // The lifecycle and the session objects stand on the same store.
  ASSERT_TRUE(r.lifecycle().holds_role("CQ-R1", created->draw->drawn.front(), workflow::CaseRole::sampler).value());
  EXPECT_TRUE(r.purchases().of_case("CQ-R1")->empty());
  auto audit = r.verify_audit();
  ASSERT_TRUE(audit.ok()) << audit.error().describe();
  EXPECT_TRUE(audit->intact());
  EXPECT_EQ(audit->records.cases_checked, 1);
  EXPECT_EQ(audit->to_json()["records"]["people_checked"], 6);
}

TEST(Runtime, Art75_ABadSettingsFileIsNamedAndNothingIsOpened) {
  testing::TempDir dir;
  testing::write_text(dir / "settings.json", R"({"period_rule": "lenient"})");
  auto opened = Runtime::open(dir.path());
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().article, 75);
  EXPECT_NE(opened.error().field.find("period_rule"), std::string::npos);
}

TEST(Runtime, ABrokenTrackingConfigurationIsNamedWhenTrackingIsFirstUsed) {
  testing::TempDir dir;
  testing::write_text(dir / "tracking.json", R"({"providers": 5})");
  auto opened = Runtime::open(dir.path());  // commands that do not track still run
  ASSERT_TRUE(opened.ok());
  auto tracker = (*opened)->tracker();
  ASSERT_FALSE(tracker.ok());
  EXPECT_NE(tracker.error().describe().find("tracking.json"), std::string::npos) << tracker.error().describe();
}

}  // namespace
}  // namespace netsample::runtime
