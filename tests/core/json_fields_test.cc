#include "netsample/core/json_fields.h"

#include <gtest/gtest.h>

namespace netsample {
namespace {

using nlohmann::json;

TEST(JsonFields, MalformedJsonNamesTheSource) {
  auto parsed = parse_json("{\"a\": ", "case.json");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code, ErrorCode::malformed_json);
  EXPECT_EQ(parsed.error().field, "case.json");
}

TEST(JsonFields, ErrorsNameTheFullPath) {
  const json doc = {{"product", {{"name", 5}, {"model", "  "}}}};
  auto top = JsonFields::of(doc, "");
  ASSERT_TRUE(top.ok());
  auto product = top->object("product");
  ASSERT_TRUE(product.ok());
  auto name = product->text("name");
  EXPECT_EQ(name.error().code, ErrorCode::wrong_type);
  EXPECT_EQ(name.error().field, "product.name");
  auto model = product->text("model");
  EXPECT_EQ(model.error().code, ErrorCode::missing_field);
  EXPECT_EQ(model.error().field, "product.model");
  EXPECT_EQ(product->text("standard").error().field, "product.standard");
}

TEST(JsonFields, IntegersAreRangeChecked) {
  const json doc = {{"n", 0}, {"big", 18446744073709551615ULL}, {"ok", 7}, {"text", "7"}};
  auto f = *JsonFields::of(doc, "samples");
  EXPECT_EQ(f.integer("n", 1, 10).error().field, "samples.n");
  EXPECT_EQ(f.integer("big", 1, 10).error().code, ErrorCode::invalid_input);
  EXPECT_EQ(*f.integer("ok", 1, 10), 7);
  EXPECT_EQ(f.integer("text", 1, 10).error().code, ErrorCode::wrong_type);
  EXPECT_EQ(f.integer("absent", 1, 10).error().code, ErrorCode::missing_field);
  EXPECT_EQ(*f.optional_integer("absent", 1, 10, 2), 2);
}

TEST(JsonFields, UnknownKeysAreRejected) {
  const json doc = {{"name", "x"}, {"prodcut", "typo"}};
  auto f = *JsonFields::of(doc, "");
  ASSERT_TRUE(f.text("name").ok());
  Status status = f.reject_unknown_keys();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().field, "prodcut");
}

TEST(JsonFields, TextRejectsControlCharacters) {
  const json doc = {{"name", "a\nb"}};
  auto f = *JsonFields::of(doc, "");
  EXPECT_EQ(f.text("name").error().code, ErrorCode::invalid_input);
}

}  // namespace
}  // namespace netsample
