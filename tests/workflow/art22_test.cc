// Art 22: a district bureau may not repeat, within 6 months, the city's sampling of the same producer's
// product of the same standard, trademark and model, except follow-up and emergency sampling.
#include <gtest/gtest.h>

#include "netsample/workflow/cases.h"
#include "netsample/workflow/roster.h"
#include "testing.h"

namespace netsample::workflow {
namespace {

using nlohmann::json;
using namespace std::chrono;

class Art22 : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(store::Store::open(dir_.path(), clock_, testing::store_options(dir_.path()))).value();
    platforms_ = *PlatformRegistry::built_in();
    json roster = testing::sample_roster();
    roster["people"].push_back({{"id", "DS1"}, {"name", "区抽样一"}, {"org", "yubei-amr"}, {"roles", {"sampler"}}});
    roster["people"].push_back({{"id", "DS2"}, {"name", "区抽样二"}, {"org", "yubei-amr"}, {"roles", {"sampler"}}});
    ASSERT_TRUE(Roster(*store_).add(*parse_people(roster), "os:test").ok());
    ASSERT_TRUE(create(testing::sample_case("CITY-1")).ok());  // the city's sampling, today
  }

  json district_case(const std::string& number) {
    json doc = testing::sample_case(number);
    doc["organizer"] = "yubei-amr";
    doc["level"] = "district";
    return doc;
  }

  Result<CaseView> create(const json& doc) {
    NETSAMPLE_ASSIGN(CaseRequest request, parse_case(doc, platforms_));
    return CaseRegistry(*store_).create(request, "os:test");
  }

  testing::TempDir dir_;
  ManualClock clock_{beijing_midnight(year{2026} / 3 / 31) + hours{10}};
  std::unique_ptr<store::Store> store_;
  PlatformRegistry platforms_;
};

TEST_F(Art22, Art22_DistrictRepeatWithinSixMonthsIsRefused) {
  auto repeat = create(district_case("YB-1"));
  ASSERT_FALSE(repeat.ok());
  EXPECT_EQ(repeat.error().article, 22);
  EXPECT_NE(repeat.error().message.find("CITY-1"), std::string::npos);
  EXPECT_EQ(CaseRegistry(*store_).list()->size(), 1u);
}

TEST_F(Art22, Art22_LastDayOfTheWindowStillCountsAndTheNextDayIsFree) {
  clock_.set(beijing_midnight(year{2026} / 9 / 30) + hours{10});  // 03-31 + 6 months = 09-30
  EXPECT_EQ(create(district_case("YB-1")).error().article, 22);
  clock_.set(beijing_midnight(year{2026} / 10 / 1) + hours{10});
  EXPECT_TRUE(create(district_case("YB-2")).ok());
}

TEST_F(Art22, Art22_FollowUpAndEmergencySamplingAreExceptions) {
  json follow_up = district_case("YB-1");
  follow_up["exception"] = "follow_up";
  EXPECT_TRUE(create(follow_up).ok());
  json emergency = district_case("YB-2");
  emergency["exception"] = "emergency";
  EXPECT_TRUE(create(emergency).ok());
  json other = district_case("YB-3");
  other["exception"] = "because";
  EXPECT_EQ(create(other).error().field, "exception");
}

TEST_F(Art22, Art22_AnotherModelOrStandardOrAnotherCityCaseIsNotARepeat) {
  json other_model = district_case("YB-1");
  other_model["product"]["model"] = "QS-1800";
  EXPECT_TRUE(create(other_model).ok());
  json other_standard = district_case("YB-2");
  other_standard["product"]["standard"] = "GB 4706.1-2005";
  EXPECT_TRUE(create(other_standard).ok());
  json city_again = testing::sample_case("CITY-2");  // the rule binds the lower level only
  EXPECT_TRUE(create(city_again).ok());
}

}  // namespace
}  // namespace netsample::workflow
