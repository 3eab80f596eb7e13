#include "netsample/core/error.h"

#include <cctype>

#include <nlohmann/json.hpp>

namespace netsample {

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_input: return "invalid_input";
    case ErrorCode::missing_field: return "missing_field";
    case ErrorCode::wrong_type: return "wrong_type";
    case ErrorCode::malformed_json: return "malformed_json";
    case ErrorCode::duplicate: return "duplicate";
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::refused_by_rule: return "refused_by_rule";
    case ErrorCode::integrity: return "integrity";
    case ErrorCode::io: return "io";
    case ErrorCode::database: return "database";
    case ErrorCode::network: return "network";
    case ErrorCode::internal: return "internal";
    case ErrorCode::unauthenticated: return "unauthenticated";
    case ErrorCode::forbidden: return "forbidden";
    case ErrorCode::rate_limited: return "rate_limited";
    case ErrorCode::too_large: return "too_large";
  }
  return "internal";
}

namespace {
// "product.name", "people[2].roles": a field of an input document, as opposed to a file or a URL.
bool is_field_path(const std::string& text) {
  for (unsigned char c : text)
    if (!(std::isalnum(c) || c == '_' || c == '.' || c == '[' || c == ']')) return false;
  return !text.empty();
}
}  // namespace

std::string Error::describe() const {
  std::string text;
  if (is_field_path(field)) text += "字段 " + field + "：";
  else if (!field.empty()) text += field + "：";
  text += message;
  if (article > 0) text += "（依据第" + std::to_string(article) + "条）";
  return text;
}

Error make_error(ErrorCode code, std::string field, std::string message, int article) {
  return Error{code, std::move(field), std::move(message), article};
}

std::optional<ErrorCode> error_code_from_string(std::string_view name) {
  for (ErrorCode code : {ErrorCode::invalid_input, ErrorCode::missing_field, ErrorCode::wrong_type, ErrorCode::malformed_json, ErrorCode::duplicate,
                         ErrorCode::not_found, ErrorCode::refused_by_rule, ErrorCode::integrity, ErrorCode::io, ErrorCode::database,
                         ErrorCode::network, ErrorCode::internal, ErrorCode::unauthenticated, ErrorCode::forbidden,
                         ErrorCode::rate_limited, ErrorCode::too_large})
    if (to_string(code) == name) return code;
  return std::nullopt;
}

nlohmann::json error_to_json(const Error& error) {
  return {{"code", to_string(error.code)},
          {"field", error.field},
          {"message", error.message},
          {"article", error.article > 0 ? nlohmann::json(error.article) : nlohmann::json(nullptr)}};
}

Error error_from_json(const nlohmann::json& body) {
  const auto text = [&](const char* key) { return body.is_object() && body.contains(key) && body[key].is_string() ? body[key].get<std::string>() : ""; };
  const std::optional<ErrorCode> code = error_code_from_string(text("code"));
  if (!code) return make_error(ErrorCode::internal, "error", "应答中的错误无法识别：" + body.dump());
  const int article = body.contains("article") && body["article"].is_number_integer() ? body["article"].get<int>() : 0;
  return make_error(*code, text("field"), text("message"), article);
}

}  // namespace netsample
