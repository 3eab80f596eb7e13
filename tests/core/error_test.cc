#include "netsample/core/error.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace netsample {
namespace {

Result<int> parse_positive(int value) {
  if (value <= 0) return make_error(ErrorCode::invalid_input, "value", "须为正数");
  return value;
}

Status chain(int value, int& seen) {
  NETSAMPLE_ASSIGN(seen, parse_positive(value));
  NETSAMPLE_TRY(parse_positive(value - 1));
  return {};
}

TEST(Error, DescribeNamesFieldRuleAndArticle) {
  const Error error = make_error(ErrorCode::refused_by_rule, "tester", "抽样人员不得检验其抽样产品", 16);
  EXPECT_EQ(error.describe(), "字段 tester：抽样人员不得检验其抽样产品（依据第16条）");
  EXPECT_EQ(to_string(error.code), "refused_by_rule");
}

TEST(Error, DescribeWithoutArticleOrField) {
  EXPECT_EQ(make_error(ErrorCode::io, "", "磁盘已满").describe(), "磁盘已满");
}

TEST(Error, MacrosPropagateTheFirstError) {
  int seen = 0;
  EXPECT_TRUE(chain(5, seen).ok());
  EXPECT_EQ(seen, 5);
  Status failed = chain(1, seen);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().field, "value");
  EXPECT_FALSE(chain(-3, seen).ok());
}

Result<std::vector<std::string>> make_list() { return std::vector<std::string>{"a", "b", "c"}; }

TEST(Error, RangeForOverATemporaryResultDoesNotDangle) {
  std::string joined;
  for (const auto& item : *make_list()) joined += item;  // the value lives as long as the loop
  EXPECT_EQ(joined, "abc");
}

TEST(Error, StatusOfDropsTheValue) {
  EXPECT_TRUE(status_of(parse_positive(2)).ok());
  EXPECT_EQ(status_of(parse_positive(0)).error().code, ErrorCode::invalid_input);
}

}  // namespace
}  // namespace netsample

namespace netsample {
namespace {

TEST(Error, JsonRoundTripKeepsCodeFieldMessageAndArticle) {
  for (const Error& error : {make_error(ErrorCode::refused_by_rule, "as", "不是本任务选派的抽样人员", 20),
                             make_error(ErrorCode::integrity, "recording.journal", "第 3 段哈希不符"),
                             make_error(ErrorCode::missing_field, "", "")}) {
    const nlohmann::json body = error_to_json(error);
    EXPECT_EQ(body["code"], to_string(error.code));
    const Error back = error_from_json(nlohmann::json::parse(body.dump()));
    EXPECT_EQ(back.code, error.code);
    EXPECT_EQ(back.field, error.field);
    EXPECT_EQ(back.message, error.message);
    EXPECT_EQ(back.article, error.article);
  }
  EXPECT_TRUE(error_to_json(make_error(ErrorCode::io, "f", "m"))["article"].is_null());
}

TEST(Error, JsonThatIsNoErrorBecomesAnInternalErrorSayingSo) {
  const Error unknown = error_from_json({{"code", "no_such_code"}, {"message", "x"}});
  EXPECT_EQ(unknown.code, ErrorCode::internal);
  EXPECT_NE(unknown.message.find("no_such_code"), std::string::npos);
  EXPECT_EQ(error_from_json(nlohmann::json("text")).code, ErrorCode::internal);
  for (ErrorCode code : {ErrorCode::invalid_input, ErrorCode::not_found, ErrorCode::database, ErrorCode::internal})
    EXPECT_EQ(error_code_from_string(to_string(code)), code);
}

}  // namespace
}  // namespace netsample
