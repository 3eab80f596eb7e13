// Reading the bundle's own JSON (index, audit rows) without throwing.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace netsample::bundle {

// A string member of a bundle's JSON, or "" when it is absent or not a string: the JSON is ours, but an old or
// damaged bundle must not end a check.
inline std::string text_of(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return "";
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace netsample::bundle
