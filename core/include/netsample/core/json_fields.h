// Reading user-supplied JSON with errors that name the field by its full path ("product.name",
// "people[2].roles"). Unknown keys are errors too: a misspelt field must not be silently ignored.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"

namespace netsample {

// Parses JSON text; `source` (a file name) is named in the error.
Result<nlohmann::json> parse_json(std::string_view text, std::string_view source);

// A view on one JSON object. REQUIRES: the json outlives the view.
class JsonFields {
 public:
  // Error (wrong_type) when `value` is not an object.
  static Result<JsonFields> of(const nlohmann::json& value, std::string path);

  // A required non-empty string (surrounding whitespace is removed).
  Result<std::string> text(std::string_view key);
  // Absent or null -> nullopt; present -> a non-empty string.
  Result<std::optional<std::string>> optional_text(std::string_view key);
  Result<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max);
  Result<std::int64_t> optional_integer(std::string_view key, std::int64_t min, std::int64_t max, std::int64_t fallback);
  Result<bool> optional_boolean(std::string_view key, bool fallback);
  Result<JsonFields> object(std::string_view key);
  // The raw value of a required key of any type; marks it read.
  Result<const nlohmann::json*> raw(std::string_view key);

  // Error naming the first key that no accessor asked for.
  Status reject_unknown_keys() const;

  std::string path_of(std::string_view key) const;

 private:
  JsonFields(const nlohmann::json& object, std::string path) : object_(&object), path_(std::move(path)) {}
  const nlohmann::json* find(std::string_view key);

  const nlohmann::json* object_;
  std::string path_;
  std::set<std::string, std::less<>> read_;
};

}  // namespace netsample
