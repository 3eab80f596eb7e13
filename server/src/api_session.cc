// Signing in and out, who am I, accounts and tokens (administrators), and the routes every operator's tool
// needs: /healthz, /metrics, the OpenAPI document.
#include "api.h"
#include "metrics.h"
#include "netsample/core/json_fields.h"
#include "netsample/server/server.h"
#include "netsample/store/database.h"
#include "netsample/sync/sync.h"

namespace netsample::server {
namespace {

using nlohmann::json;

constexpr const char* kSessionCookie = "netsample_session";

std::string session_cookie(const std::string& value, std::chrono::seconds max_age, bool tls) {
  return std::string(kSessionCookie) + "=" + value + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age.count()) +
         (tls ? "; Secure" : "");
}

// Who is signed in, and whether this service is a centre that stations send to (the web UI then offers the
// stations' cases: design/web.md).
Result<json> who_json(const Caller& caller, store::Store& store) {
  NETSAMPLE_ASSIGN(std::vector<sync::Station> stations, sync::Stations(store).list());
  json out = caller.account.to_json();
  out["centre"] = !stations.empty();
  if (caller.account.person) {
    out["name"] = caller.account.person->name;
    out["org"] = caller.account.person->org;
    out["roles"] = caller.account.person->roles;
  } else {
    out["roles"] = json::array();
  }
  out["csrf_token"] = caller.by_session ? json(caller.csrf_token) : json(nullptr);
  return out;
}

Result<Response> sign_in(Call& call) {
  NETSAMPLE_ASSIGN(json body, json_body(call));
  NETSAMPLE_ASSIGN(JsonFields fields, JsonFields::of(body, ""));
  NETSAMPLE_ASSIGN(std::string login, fields.text("login"));
  NETSAMPLE_ASSIGN(std::string password, fields.text("password"));
  NETSAMPLE_TRY(fields.reject_unknown_keys());
  const auto wait = call.limiter.wait(login, call.request.remote);
  if (wait.count() > 0) {
    Response r = error_response(make_error(ErrorCode::rate_limited, "login",
                                           "登录失败次数过多，请 " + std::to_string((wait.count() + 59) / 60) + " 分钟后再试"));
    r.set_header("Retry-After", std::to_string(wait.count()));
    return r;
  }
  accounts::Accounts accounts(call.runtime.store());
  auto account = accounts.check_password(login, password);
  if (!account.ok()) {
    if (account.error().code == ErrorCode::unauthenticated) call.limiter.failed(login, call.request.remote);
    return account.error();
  }
  call.limiter.succeeded(login);
  NETSAMPLE_ASSIGN(accounts::WebSession session, accounts.open_session(*account, call.options.session_lifetime));
  Caller caller;
  caller.account = *account;  // its roster entry came with the password's check
  caller.by_session = true;
  caller.csrf_token = session.csrf_token;
  NETSAMPLE_ASSIGN(json out, who_json(caller, call.runtime.store()));
  out["expires"] = format_iso8601_beijing(session.expires);
  Response r = Response::json(200, out);
  r.set_header("Set-Cookie", session_cookie(session.cookie, call.options.session_lifetime, call.request.tls));
  return r;
}

Result<Response> sign_out(Call& call) {
  if (call.who().by_session)
    NETSAMPLE_TRY(accounts::Accounts(call.runtime.store()).close_session(call.who().session_cookie, call.who().actor()));
  Response r = Response::empty(204);
  r.set_header("Set-Cookie", session_cookie("", std::chrono::seconds(0), call.request.tls));
  return r;
}

Result<Response> add_account(Call& call) {
  NETSAMPLE_ASSIGN(json body, json_body(call));
  NETSAMPLE_ASSIGN(JsonFields fields, JsonFields::of(body, ""));
  NETSAMPLE_ASSIGN(std::optional<std::string> person, fields.optional_text("person"));
  NETSAMPLE_ASSIGN(std::optional<std::string> party, fields.optional_text("party"));
  NETSAMPLE_ASSIGN(bool admin, fields.optional_boolean("admin", false));
  NETSAMPLE_TRY(fields.reject_unknown_keys());
  if (person.has_value() == party.has_value()) return make_error(ErrorCode::invalid_input, "person", "须给出 person 或 party 之一");
  if (admin && party) return make_error(ErrorCode::invalid_input, "admin", "收件方账号不能是管理员");
  accounts::Accounts accounts(call.runtime.store());
  NETSAMPLE_ASSIGN(accounts::Issued issued,
                   person ? accounts.add_person(*person, admin, call.who().actor()) : accounts.add_party(*party, call.who().actor()));
  json out = issued.account.to_json();
  out["password"] = issued.secret;  // once, to the administrator who asked
  return Response::json(201, out);
}

Result<Response> create_token(Call& call) {
  const std::string& login = call.param("login");
  if (!call.who().admin() && login != call.who().actor()) return make_error(ErrorCode::not_found, "login", login + " 没有账号");
  NETSAMPLE_ASSIGN(json body, json_body(call));
  NETSAMPLE_ASSIGN(JsonFields fields, JsonFields::of(body, ""));
  NETSAMPLE_ASSIGN(std::int64_t days, fields.optional_integer("expires_days", 0, 3660, 0));
  NETSAMPLE_TRY(fields.reject_unknown_keys());
  std::optional<int> valid;
  if (days > 0) valid = static_cast<int>(days);
  NETSAMPLE_ASSIGN(accounts::Issued issued, accounts::Accounts(call.runtime.store()).create_token(login, valid, call.who().actor()));
  json out = issued.account.to_json();
  out["token"] = issued.secret;
  out["expires"] = issued.expires ? json(format_iso8601_beijing(*issued.expires)) : json(nullptr);
  return Response::json(201, out);
}

Result<Response> list_accounts(Call& call) {
  NETSAMPLE_ASSIGN(std::vector<accounts::Account> all, accounts::Accounts(call.runtime.store()).list());
  json out = json::array();
  for (const auto& a : all) out.push_back(a.to_json());
  return Response::json(200, {{"accounts", out}});
}

Result<Response> healthz(Call& call) {
  // Healthy means: the data directory opens and the database answers.
  NETSAMPLE_ASSIGN(store::Statement probe, call.runtime.store().db().prepare("SELECT 1"));
  NETSAMPLE_TRY(probe.step());
  // Healthy, with what an operator must do soon: the holiday notices run out (Art 75 deadlines become provisional).
  json warnings = json::array();
  const auto& calendar = call.runtime.calendar();
  if (auto warning = calendar.running_out(beijing_date(call.runtime.clock().now()))) warnings.push_back({{"kind", "calendar"}, {"message", *warning}});
  const auto until = calendar.fixed_until();
  return Response::json(200, {{"status", "ok"},
                              {"schema", store::Database::latest_schema_versions()},
                              {"calendar_fixed_until", until ? json(format_date(*until)) : json(nullptr)},
                              {"warnings", warnings}});
}

}  // namespace

void add_session_routes(std::vector<Route>& out) {
  out.push_back({"GET", "/healthz", Access::anyone, healthz});
  out.push_back({"GET", "/metrics", Access::admin, [](Call& call) -> Result<Response> {
                   return Response::bytes(200, call.metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
                 }});
  out.push_back({"GET", "/api/openapi.json", Access::anyone, [](Call&) -> Result<Response> {
                   return Response::bytes(200, std::string(openapi_document()), "application/json; charset=utf-8");
                 }});
  out.push_back({.method = "POST", .pattern = "/api/session", .access = Access::anyone, .handler = sign_in, .slow = true});
  out.push_back({"GET", "/api/session", Access::signed_in, [](Call& call) -> Result<Response> {
    NETSAMPLE_ASSIGN(json out, who_json(call.who(), call.runtime.store()));
    return Response::json(200, out);
  }});
  out.push_back({"DELETE", "/api/session", Access::signed_in, sign_out});
  out.push_back({"GET", "/api/accounts", Access::admin, list_accounts});
  out.push_back({.method = "POST", .pattern = "/api/accounts", .access = Access::admin, .handler = add_account, .slow = true});
  out.push_back({"POST", "/api/accounts/{login}/tokens", Access::signed_in, create_token});
}

}  // namespace netsample::server
