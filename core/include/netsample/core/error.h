// Errors are values at every module boundary (LevelDB's Status, in our words).
// An Error says what went wrong (a machine-readable code), about what (the field), which rule was broken
// (the message) and, where the regulation sets the rule, the article. Exceptions thrown by libraries
// (nlohmann::json, OpenCV) are caught inside a module and turned into an Error at its edge.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include <nlohmann/json_fwd.hpp>

namespace netsample {

enum class ErrorCode {
  invalid_input,    // a value breaks a rule of form (bad date, bad URL, out of range)
  missing_field,    // a required field is absent or empty
  wrong_type,       // a field has the wrong JSON type
  malformed_json,   // the input is not JSON at all
  duplicate,        // something unique exists already (case number, person id)
  not_found,        // the named case, person or file does not exist
  refused_by_rule,  // the regulation (or a project rule) forbids the action now
  integrity,        // stored data does not match its hash or chain: possible tampering
  io,               // the file system failed
  database,         // SQLite failed
  network,          // a remote peer could not be reached or answered badly
  internal,         // a bug: should never happen
  // Who is asking (the service; the command line acts as the logged-in user and never sees these):
  unauthenticated,  // no credential, or a wrong, expired or revoked one
  forbidden,        // a known caller whose request lacks what it must carry (the CSRF token) or who may not do this
  rate_limited,     // too many attempts (sign-in); try again later
  too_large,        // a request body or header over the service's limit
};

std::string_view to_string(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string field;    // what the error is about, e.g. "product.name"; may be empty
  std::string message;  // the rule that was broken, for a person to read
  int article = 0;      // article of the regulation that sets the rule; 0 when none does

  // "字段 product.name：<message>（第16条）" — one line for a terminal.
  std::string describe() const;
};

Error make_error(ErrorCode code, std::string field, std::string message, int article = 0);

// nullopt for a name that is no ErrorCode.
std::optional<ErrorCode> error_code_from_string(std::string_view name);

// The one JSON form of an Error, for every program edge (--json output, the recorder's control channel, the
// HTTP API): {"code": "refused_by_rule", "field": "as", "message": "...", "article": 20} (article null when
// none). error_from_json reads it back losslessly; anything else becomes an internal error saying so.
nlohmann::json error_to_json(const Error& error);
Error error_from_json(const nlohmann::json& body);

// Result<T>: a value or an Error. REQUIRES: value() only when ok(), error() only when !ok().
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return state_.index() == 0; }
  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  // A temporary Result gives its value away by value, so `for (auto& x : *make_list())` does not dangle.
  T value() && { return std::get<0>(std::move(state_)); }
  const Error& error() const { return std::get<1>(state_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T operator*() && { return std::move(*this).value(); }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}
  bool ok() const { return !error_.has_value(); }
  const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

using Status = Result<void>;

// Drops the value: the Status of a Result.
template <class T>
Status status_of(const Result<T>& result) {
  return result.ok() ? Status{} : Status{result.error()};
}

}  // namespace netsample

// Propagate an error to the caller: NETSAMPLE_TRY(status_expr);
#define NETSAMPLE_TRY(expr)                          \
  do {                                               \
    auto netsample_try_status_ = (expr);             \
    if (!netsample_try_status_.ok())                 \
      return netsample_try_status_.error();          \
  } while (0)

#define NETSAMPLE_CONCAT_INNER(a, b) a##b
#define NETSAMPLE_CONCAT(a, b) NETSAMPLE_CONCAT_INNER(a, b)
// NETSAMPLE_ASSIGN(auto x, result_expr); declares x from the value or returns the error.
#define NETSAMPLE_ASSIGN(lhs, expr) NETSAMPLE_ASSIGN_IMPL(NETSAMPLE_CONCAT(netsample_result_, __LINE__), lhs, expr)
#define NETSAMPLE_ASSIGN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.error();          \
  lhs = std::move(tmp).value()
