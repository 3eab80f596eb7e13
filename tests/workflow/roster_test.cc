#include "netsample/workflow/roster.h"

#include <gtest/gtest.h>

#include "testing.h"

namespace netsample::workflow {
namespace {

TEST(RosterParse, AcceptsObjectOrBareArray) {
  auto people = parse_people(testing::sample_roster());
  ASSERT_TRUE(people.ok()) << people.error().describe();
  EXPECT_EQ(people->size(), 6u);
  auto bare = parse_people(testing::sample_roster()["people"]);
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->size(), 6u);
}

TEST(RosterParse, ErrorsNameTheEntryAndField) {
  auto roster = testing::sample_roster();
  roster["people"][2]["roles"] = {"sampler", "janitor"};
  auto unknown_role = parse_people(roster);
  ASSERT_FALSE(unknown_role.ok());
  EXPECT_EQ(unknown_role.error().field, "people[2].roles");

  roster = testing::sample_roster();
  roster["people"][4].erase("org");
  EXPECT_EQ(parse_people(roster).error().field, "people[4].org");

  roster = testing::sample_roster();
  roster["people"][1]["id"] = "S1";
  auto duplicate = parse_people(roster);
  EXPECT_EQ(duplicate.error().code, ErrorCode::duplicate);
  EXPECT_EQ(duplicate.error().field, "people[1].id");
}

TEST(Roster, AddUpdatesAndAudits) {
  testing::TempDir dir;
  ManualClock clock(from_utc_us(1'780'000'000'000'000));
  auto store = store::Store::open(dir.path(), clock, testing::store_options(dir.path()));
  ASSERT_TRUE(store.ok());
  Roster roster(**store);
  auto people = *parse_people(testing::sample_roster());
  auto first = roster.add(people, "os:test");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->added, 6);

  people[0].active = false;  // left the team
  auto second = roster.add(people, "os:test");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->updated, 1);
  EXPECT_EQ(second->unchanged, 5);
  EXPECT_FALSE((*roster.find("S1"))->active);
  auto rows = (*store)->audit().records();
  ASSERT_EQ(rows->size(), 7u);
  EXPECT_EQ(rows->back().action, "person.updated");
}

}  // namespace
}  // namespace netsample::workflow
