#include "netsample/workflow/plan.h"

#include <gtest/gtest.h>

#include "netsample/spreadsheet/spreadsheet.h"
#include "netsample/workflow/roster.h"
#include "testing.h"

namespace netsample::workflow {
namespace {

using nlohmann::json;
using namespace std::chrono;

// A plan as an organizer writes it: Chinese headers (one marked required with "*"), Chinese choices, a blank
// row between groups; read through the CSV reader as the service and the command line read it.
const std::string kHeader =
    "任务编号*,组织层级,抽查类型,产品名称,商标,规格型号,产品类别,执行标准,电子商务平台,店铺名称,店铺网址,经营者名称,经营者地址,"
    "标称生产者,生产者地址,检验样品数量,备份样品数量,现场检验\n";
std::string row(const std::string& number, const std::string& product = "电热水壶", const std::string& backup = "2",
                const std::string& model = "QS-1701") {
  return number + ",市级,日常," + product + ",清泉," + model + ",家用电器,GB 4706.19-2008,京东,清泉电器官方旗舰店," +
         "https://mall.jd.com/index-1000001.html,重庆清泉电器销售有限公司,重庆市渝北区金开大道 88 号,重庆清泉电器制造有限公司," +
         "重庆市璧山区工业园 16 号,2," + backup + ",否\n";
}

class Plans : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::Store::open(dir_.path(), clock_, testing::store_options(dir_.path()));
    ASSERT_TRUE(opened.ok());
    store_ = std::move(opened).value();
    platforms_ = *PlatformRegistry::built_in();
    ASSERT_TRUE(Roster(*store_).add(*parse_people(testing::sample_roster()), "os:test").ok());
  }

  PlanImport import(const std::string& csv, bool dry_run = false) {
    auto table = spreadsheet::read_csv(csv);
    EXPECT_TRUE(table.ok());
    CaseRegistry cases(*store_);
    PlanOptions options;
    options.actor = "os:test";
    options.default_organizer = "cq-amr";
    options.dry_run = dry_run;
    auto result = import_plan(cases, platforms_, table->rows, options);
    EXPECT_TRUE(result.ok()) << result.error().describe();
    return result.ok() ? std::move(result).value() : PlanImport{};
  }

  std::int64_t count(const char* table) {
    auto st = store_->db().prepare(std::string("SELECT count(*) FROM ") + table);
    EXPECT_TRUE(st.ok());
    EXPECT_TRUE(*st->step());
    return st->int64(0);
  }

  testing::TempDir dir_;
  ManualClock clock_{beijing_midnight(year{2026} / 11 / 24) + hours{9}};
  std::unique_ptr<store::Store> store_;
  PlatformRegistry platforms_;
};

TEST_F(Plans, EveryRowBecomesACaseWithItsSamplersDrawn) {
  const PlanImport result = import(kHeader + row("CQ-P-1") + ",,,\n" + row("CQ-P-2", "电饭煲"));
  ASSERT_TRUE(result.problems.empty()) << result.problems.front().describe();
  ASSERT_EQ(result.created.size(), 2u);
  EXPECT_EQ(result.created[1].record.product_name, "电饭煲");
  EXPECT_EQ(result.created[0].record.level, "city");      // 市级
  EXPECT_EQ(result.created[0].record.plan_kind, "routine");  // 日常
  EXPECT_EQ(result.created[0].record.platform, "jd");     // 京东
  EXPECT_EQ(result.created[0].record.organizer, "cq-amr");  // the importer's unit: no organizer column
  EXPECT_FALSE(result.created[0].record.onsite_testing);  // 否
  ASSERT_TRUE(result.created[0].draw.has_value());        // Art 20
  EXPECT_EQ(result.created[0].draw->drawn.size(), 2u);
  EXPECT_EQ(count("cases"), 2);
}

TEST_F(Plans, OneBadRowNamesEachBadCellByRowAndColumnAndWritesNothing) {
  const std::int64_t audit_before = count("audit_log");
  const PlanImport result = import(kHeader + row("CQ-P-1") + row("CQ-P-2", "", "two") + row("CQ-P-3"));
  ASSERT_EQ(result.problems.size(), 2u);
  EXPECT_EQ(result.problems[0].row, 3u);
  EXPECT_EQ(result.problems[0].to_json()["column"], "D");
  EXPECT_EQ(result.problems[0].header, "产品名称");
  EXPECT_EQ(result.problems[0].error.field, "product.name");
  EXPECT_EQ(result.problems[1].row, 3u);
  EXPECT_EQ(result.problems[1].to_json()["column"], "Q");
  EXPECT_EQ(result.problems[1].value, "two");
  EXPECT_TRUE(result.problems[1].describe().starts_with("第 3 行 Q 列（备份样品数量）：")) << result.problems[1].describe();
  EXPECT_TRUE(result.created.empty());
  EXPECT_EQ(count("cases"), 0);
  EXPECT_EQ(count("audit_log"), audit_before);
}

TEST_F(Plans, RulesOfTheDatabaseAreNamedToo) {
  // A number repeated in the plan, and one already taken: both named at the number's column.
  ASSERT_TRUE(import(kHeader + row("CQ-OLD")).problems.empty());
  const PlanImport result = import(kHeader + row("CQ-NEW") + row("CQ-NEW") + row("CQ-OLD"));
  ASSERT_EQ(result.problems.size(), 2u);
  EXPECT_EQ(result.problems[0].row, 3u);
  EXPECT_EQ(result.problems[0].to_json()["column"], "A");
  EXPECT_EQ(result.problems[0].error.code, ErrorCode::duplicate);
  EXPECT_EQ(result.problems[1].row, 4u);
  EXPECT_EQ(count("cases"), 1);  // CQ-NEW was tried in the transaction and undone
}

TEST_F(Plans, TheArt20RosterRuleNamesTheRow) {
  std::string header = kHeader;
  header.insert(header.size() - 1, ",抽样人员数");
  std::string r = row("CQ-P-9");
  r.insert(r.size() - 1, ",9");  // cq-amr has four samplers
  const PlanImport result = import(header + r);
  ASSERT_EQ(result.problems.size(), 1u);
  EXPECT_EQ(result.problems[0].error.article, 20);
  EXPECT_EQ(result.problems[0].header, "抽样人员数");
}

TEST_F(Plans, HeadersMissingUnknownOrTwiceAreNamedInRowOne) {
  const PlanImport result = import("任务编号,产品名称,产品名称,颜色\nX,Y,Y,red\n");
  ASSERT_FALSE(result.problems.empty());
  bool duplicate = false, unknown = false, missing_level = false;
  for (const auto& p : result.problems) {
    EXPECT_EQ(p.row, 1u);
    duplicate |= p.to_json()["column"] == "C" && p.error.code == ErrorCode::duplicate;
    unknown |= p.to_json()["column"] == "D" && p.value == "颜色";
    missing_level |= !p.column && p.header == "组织层级";
  }
  EXPECT_TRUE(duplicate && unknown && missing_level);
  EXPECT_EQ(count("cases"), 0);
}

TEST_F(Plans, ADryRunChecksAgainstTheDatabaseAndKeepsNothing) {
  const PlanImport result = import(kHeader + row("CQ-D-1") + row("CQ-D-2"), /*dry_run=*/true);
  EXPECT_TRUE(result.problems.empty());
  EXPECT_EQ(result.checked.size(), 2u);
  EXPECT_TRUE(result.created.empty());
  EXPECT_EQ(count("cases"), 0);
}

TEST_F(Plans, TheTemplateHasEveryColumnAndReadsBackAsAHeader) {
  const std::string csv = plan_template_csv();
  auto table = spreadsheet::read_csv(csv);
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->rows[0].size(), plan_columns().size());
  EXPECT_EQ(table->rows[0][0], "任务编号*");
  const PlanImport result = import(csv);  // a header and no row
  ASSERT_EQ(result.problems.size(), 1u);
  EXPECT_EQ(result.problems[0].error.field, "plan");
}

TEST(CaseCheck, EveryBadFieldOfACaseFileAtOnce) {
  json doc = testing::sample_case("A");
  doc["product"].erase("model");
  doc["samples"]["backup"] = 0;
  doc["level"] = "province";
  const CaseCheck check = check_case(doc, *PlatformRegistry::built_in());
  ASSERT_EQ(check.errors.size(), 3u);
  EXPECT_EQ(check.errors[0].field, "level");
  EXPECT_EQ(check.errors[1].field, "product.model");
  EXPECT_EQ(check.errors[2].field, "samples.backup");
}

}  // namespace
}  // namespace netsample::workflow
