#include <gtest/gtest.h>

#include "netsample/store/store.h"
#include "testing.h"

namespace netsample::store {
namespace {

using namespace std::chrono;

UtcTime beijing(int y, unsigned m, unsigned d, int hh = 0) {
  return beijing_midnight(year{y} / month{m} / day{d}) + hours{hh};
}

TEST(Retention, Art47_SixYearsFromStorage) {
  const UtcTime stored = beijing(2026, 11, 24, 10);
  EXPECT_EQ(retention_ends(stored), beijing(2032, 11, 24, 10));
  const Status early = check_retention(stored, beijing(2032, 11, 24, 9), "case");
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.error().code, ErrorCode::refused_by_rule);
  EXPECT_EQ(early.error().article, 47);
  EXPECT_TRUE(check_retention(stored, beijing(2032, 11, 24, 10), "case").ok());
}

TEST(Retention, Art47_LeapDayRoundsDownToTheLastDayOfFebruary) {
  EXPECT_EQ(retention_ends(beijing(2024, 2, 29)), beijing(2030, 2, 28));
}

TEST(Retention, Art47_EvidenceYoungerThanSixYearsCannotBeDeleted) {
  testing::TempDir dir;
  ManualClock clock(beijing(2026, 11, 24, 9));
  auto store = Store::open(dir.path(), clock, testing::store_options(dir.path()));
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->db().exec("INSERT INTO cases (number, organizer, level, plan_kind, product_name, trademark, model, category, "
                                  "standard, platform, shop_name, shop_url, operator_name, operator_address, producer_name, "
                                  "producer_address, inspection_qty, backup_qty, state, created_utc_us, updated_utc_us) VALUES "
                                  "('CQ-1','o','city','routine','p','t','m','c','s','jd','shop','https://x','op','a','pr','a',1,1,"
                                  "'planned',0,0)").ok());
  testing::write_text(dir / "photo.jpg", "jpeg bytes");
  auto item = (*store)->add_evidence(1, "CQ-1", dir / "photo.jpg", "still", "S1");
  ASSERT_TRUE(item.ok()) << item.error().describe();

  clock.set(beijing(2032, 11, 23));
  const Status early = (*store)->delete_evidence(item->id, "S1");
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.error().article, 47);
  EXPECT_TRUE(*(*store)->evidence().contains(item->sha256));
  EXPECT_EQ((*store)->list_evidence(std::nullopt)->size(), 1u);

  clock.set(beijing(2032, 11, 24, 10));
  ASSERT_TRUE((*store)->delete_evidence(item->id, "S1").ok());
  EXPECT_FALSE(*(*store)->evidence().contains(item->sha256));
  auto rows = (*store)->audit().records(std::string("CQ-1"));
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[1].action, "evidence.deleted");
  EXPECT_TRUE((*store)->audit().verify()->intact);
}

}  // namespace
}  // namespace netsample::store
