#include "netsample/core/json_fields.h"

namespace netsample {
namespace {

std::string json_type_name(const nlohmann::json& value) {
  if (value.is_string()) return "字符串";
  if (value.is_number_integer() || value.is_number_unsigned()) return "整数";
  if (value.is_number()) return "数字";
  if (value.is_boolean()) return "布尔值";
  if (value.is_object()) return "对象";
  if (value.is_array()) return "数组";
  return "null";
}

std::string trim(std::string_view s) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return std::string(s);
}

Error wrong_type(const std::string& path, std::string_view expected, const nlohmann::json& got) {
  return make_error(ErrorCode::wrong_type, path, "类型应为" + std::string(expected) + "，实际为" + json_type_name(got));
}

}  // namespace

Result<nlohmann::json> parse_json(std::string_view text, std::string_view source) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    return make_error(ErrorCode::malformed_json, std::string(source),
                      "不是有效的 JSON（第 " + std::to_string(e.byte) + " 个字节附近）");
  }
}

Result<JsonFields> JsonFields::of(const nlohmann::json& value, std::string path) {
  if (!value.is_object()) return wrong_type(path.empty() ? "(根)" : path, "对象", value);
  return JsonFields(value, std::move(path));
}

std::string JsonFields::path_of(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

const nlohmann::json* JsonFields::find(std::string_view key) {
  read_.emplace(key);
  const auto it = object_->find(std::string(key));
  if (it == object_->end() || it->is_null()) return nullptr;
  return &*it;
}

Result<std::optional<std::string>> JsonFields::optional_text(std::string_view key) {
  const nlohmann::json* value = find(key);
  if (!value) return std::optional<std::string>{};
  if (!value->is_string()) return wrong_type(path_of(key), "字符串", *value);
  std::string text = trim(value->get<std::string>());
  if (text.empty()) return make_error(ErrorCode::missing_field, path_of(key), "不能为空（不填请删去该字段）");
  for (unsigned char c : text)
    if (c < 0x20) return make_error(ErrorCode::invalid_input, path_of(key), "不能包含控制字符（如换行）");
  return std::optional<std::string>(std::move(text));
}

Result<std::string> JsonFields::text(std::string_view key) {
  NETSAMPLE_ASSIGN(std::optional<std::string> value, optional_text(key));
  if (!value) return make_error(ErrorCode::missing_field, path_of(key), "必填字段缺失");
  return std::move(*value);
}

Result<std::int64_t> JsonFields::optional_integer(std::string_view key, std::int64_t min, std::int64_t max,
                                                  std::int64_t fallback) {
  const nlohmann::json* value = find(key);
  if (!value) return fallback;
  if (!value->is_number_integer() && !value->is_number_unsigned()) return wrong_type(path_of(key), "整数", *value);
  if (value->is_number_unsigned() && value->get<std::uint64_t>() > static_cast<std::uint64_t>(max))
    return make_error(ErrorCode::invalid_input, path_of(key), "须在 " + std::to_string(min) + " 到 " + std::to_string(max) + " 之间");
  const auto number = value->get<std::int64_t>();
  if (number < min || number > max)
    return make_error(ErrorCode::invalid_input, path_of(key), "须在 " + std::to_string(min) + " 到 " + std::to_string(max) + " 之间");
  return number;
}

Result<std::int64_t> JsonFields::integer(std::string_view key, std::int64_t min, std::int64_t max) {
  if (!object_->contains(std::string(key)) || object_->at(std::string(key)).is_null()) {
    read_.emplace(key);
    return make_error(ErrorCode::missing_field, path_of(key), "必填字段缺失");
  }
  return optional_integer(key, min, max, 0);
}

Result<bool> JsonFields::optional_boolean(std::string_view key, bool fallback) {
  const nlohmann::json* value = find(key);
  if (!value) return fallback;
  if (!value->is_boolean()) return wrong_type(path_of(key), "布尔值（true/false）", *value);
  return value->get<bool>();
}

Result<JsonFields> JsonFields::object(std::string_view key) {
  const nlohmann::json* value = find(key);
  if (!value) return make_error(ErrorCode::missing_field, path_of(key), "必填字段缺失");
  return of(*value, path_of(key));
}

Result<const nlohmann::json*> JsonFields::raw(std::string_view key) {
  const nlohmann::json* value = find(key);
  if (!value) return make_error(ErrorCode::missing_field, path_of(key), "必填字段缺失");
  return value;
}

Status JsonFields::reject_unknown_keys() const {
  for (const auto& [key, value] : object_->items())
    if (!read_.contains(key)) return make_error(ErrorCode::invalid_input, path_of(key), "未知字段（拼写是否有误？）");
  return {};
}

}  // namespace netsample
