// The route table and the checks every route makes the same way.
#include <algorithm>
#include <cctype>
#include <charconv>

#include "api.h"
#include "netsample/server/server.h"

namespace netsample::server {
namespace {

// "/api/cases/{number}" -> {"api", "cases", "{number}"}; the path's segments are views into it.
std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = 1;
  while (start <= path.size()) {
    const size_t end = path.find('/', start);
    out.push_back(path.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

bool is_placeholder(std::string_view segment) { return segment.size() > 2 && segment.front() == '{' && segment.back() == '}'; }

// A route's pattern split once, so that matching a request splits only its path.
struct CompiledRoute {
  const Route* route;
  std::vector<std::string_view> want;
  long placeholders;
};

std::vector<CompiledRoute> compile(const std::vector<Route>& table) {
  std::vector<CompiledRoute> out;
  for (const auto& route : table) {
    CompiledRoute c{&route, segments(route.pattern), 0};
    c.placeholders = std::count_if(c.want.begin(), c.want.end(), is_placeholder);
    out.push_back(std::move(c));
  }
  return out;
}

bool matches(const std::vector<std::string_view>& want, const std::vector<std::string_view>& have) {
  if (want.size() != have.size()) return false;
  for (size_t i = 0; i < want.size(); ++i) {
    if (is_placeholder(want[i])) {
      // A placeholder is one non-empty segment and never "." or "..": nothing a route builds a path from can climb.
      if (have[i].empty() || have[i] == "." || have[i] == "..") return false;
    } else if (want[i] != have[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string_view to_string(Access access) {
  switch (access) {
    case Access::anyone: return "anyone";
    case Access::signed_in: return "signed_in";
    case Access::admin: return "admin";
    case Access::station: return "station";
  }
  return "signed_in";
}

const std::vector<Route>& routes() {
  static const std::vector<Route> all = [] {
    std::vector<Route> out;
    add_session_routes(out);
    add_case_routes(out);
    add_plan_routes(out);
    add_capture_routes(out);
    add_recording_routes(out);
    add_process_routes(out);
    add_sample_routes(out);
    add_sync_routes(out);
    add_station_routes(out);
    add_web_routes(out);
    return out;
  }();
  return all;
}

std::vector<RouteInfo> route_table() {
  std::vector<RouteInfo> out;
  for (const auto& r : routes()) out.push_back({r.method, r.pattern, std::string(to_string(r.access))});
  return out;
}

namespace {

const Route* match_in(const std::vector<CompiledRoute>& table, const std::string& method, const std::string& path,
                      std::map<std::string, std::string>& params, std::vector<std::string>& allowed) {
  if (path.empty() || path[0] != '/') return nullptr;
  const std::vector<std::string_view> have = segments(path);
  // Fixed segments win over placeholders ("/api/cases/export" style names never shadow each other this way).
  const CompiledRoute* best = nullptr;
  for (const auto& c : table) {
    if (!matches(c.want, have)) continue;
    if (c.route->method != method) {
      if (std::find(allowed.begin(), allowed.end(), c.route->method) == allowed.end()) allowed.push_back(c.route->method);
      continue;
    }
    if (!best || c.placeholders < best->placeholders) best = &c;
  }
  if (!best) return nullptr;
  params.clear();
  for (size_t i = 0; i < best->want.size(); ++i)
    if (is_placeholder(best->want[i])) params[std::string(best->want[i].substr(1, best->want[i].size() - 2))] = std::string(have[i]);
  return best->route;
}

}  // namespace

const std::vector<Route>& replay_routes() {
  static const std::vector<Route> all = [] {
    std::vector<Route> out;
    add_replay_web_routes(out);
    add_recording_replay_routes(out);
    return out;
  }();
  return all;
}

const Route* match_route(const std::string& method, const std::string& path, std::map<std::string, std::string>& params,
                         std::vector<std::string>& allowed) {
  static const std::vector<CompiledRoute> table = compile(routes());
  return match_in(table, method, path, params, allowed);
}

const Route* match_replay_route(const std::string& method, const std::string& path, std::map<std::string, std::string>& params,
                                std::vector<std::string>& allowed) {
  static const std::vector<CompiledRoute> table = compile(replay_routes());
  return match_in(table, method, path, params, allowed);
}

namespace {
// The host the browser asked for, without its port ("127.0.0.1", "sampling.example.gov.cn", "[::1]").
std::string requested_host(const Call& call) {
  std::string host = call.request.header("host").value_or("127.0.0.1");
  const size_t bracket = host.rfind(']');
  const size_t colon = host.rfind(':');
  if (colon != std::string::npos && (bracket == std::string::npos || colon > bracket)) host.resize(colon);
  // Only a host name's characters: the origin goes into headers (CSP) and links.
  const bool plain = !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '[' || c == ']' || c == ':';
  });
  return plain ? host : "127.0.0.1";
}
}  // namespace

std::string main_origin(const Call& call) {
  return std::string(call.replay.tls ? "https://" : "http://") + requested_host(call) + ":" + std::to_string(call.replay.main_port);
}

std::string replay_origin(const Call& call) {
  return std::string(call.replay.tls ? "https://" : "http://") + requested_host(call) + ":" + std::to_string(call.replay.port);
}

std::chrono::seconds SignInLimiter::wait(const std::string& login, const std::string& address) {
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  std::chrono::seconds longest{0};
  // An address gets more tries than a login: several people may sign in from one office's address.
  const std::pair<std::string, int> limits[] = {{"login:" + login, attempts_}, {"address:" + address, attempts_ * 4}};
  for (const auto& [key, limit] : limits) {
    auto it = by_key_.find(key);
    if (it == by_key_.end()) continue;
    auto& times = it->second;
    prune(times, now);
    if (times.empty()) {  // forgotten, so that random logins cannot fill the memory
      by_key_.erase(it);
      continue;
    }
    if (static_cast<int>(times.size()) >= limit)
      longest = std::max(longest, std::chrono::ceil<std::chrono::seconds>(times[times.size() - limit] + window_ - now));
  }
  return longest;
}

void SignInLimiter::failed(const std::string& login, const std::string& address) {
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  by_key_["login:" + login].push_back(now);
  by_key_["address:" + address].push_back(now);
}

void SignInLimiter::succeeded(const std::string& login) {
  std::lock_guard lock(mutex_);
  by_key_.erase("login:" + login);
}

void SignInLimiter::prune(std::vector<std::chrono::steady_clock::time_point>& times, std::chrono::steady_clock::time_point now) const {
  std::erase_if(times, [&](auto t) { return t + window_ <= now; });
}

Status require_person(const Call& call) {
  if (!call.who().account.person) return make_error(ErrorCode::not_found, "path", "没有这个对象");
  return {};
}

Status require_case(Call& call, const std::string& number) {
  const Error hidden = make_error(ErrorCode::not_found, "case", "没有编号为 \"" + number + "\" 的抽样任务");
  if (!call.who().account.person) return hidden;
  // may_see answers not_found for a case that does not exist; an administrator sees every case that does.
  NETSAMPLE_ASSIGN(bool visible, call.runtime.lifecycle().may_see(number, call.who().account.person->id));
  if (!visible && !call.who().admin()) return hidden;
  return {};
}

Status require_role(Call& call, const std::string& number, workflow::CaseRole role, const std::string& doing) {
  if (call.who().account.person) {
    NETSAMPLE_ASSIGN(bool holds, call.runtime.lifecycle().holds_role(number, call.who().account.person->id, role));
    if (holds) return {};
  }
  return make_error(ErrorCode::refused_by_rule, "as",
                    call.who().actor() + " 不是本任务的" + workflow::recipient_label(std::string(workflow::to_string(role))) + "，不能" + doing);
}

Result<nlohmann::json> json_body(const Call& call) {
  if (call.request.body.empty()) return nlohmann::json::object();
  nlohmann::json body = nlohmann::json::parse(call.request.body, nullptr, false);
  if (body.is_discarded()) return make_error(ErrorCode::malformed_json, "body", "请求体不是有效的 JSON");
  if (!body.is_object()) return make_error(ErrorCode::wrong_type, "body", "请求体须为 JSON 对象");
  return body;
}

bool ReadLog::first_read(const std::string& caller, const std::string& sha256) {
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (last_.size() > 10'000) std::erase_if(last_, [&](const auto& entry) { return entry.second + window_ <= now; });
  auto [it, inserted] = last_.try_emplace({caller, sha256}, now);
  if (inserted || it->second + window_ <= now) {
    it->second = now;
    return true;
  }
  it->second = now;  // a viewing goes on while its reads keep coming
  return false;
}

void ReadLog::forget(const std::string& caller, const std::string& sha256) {
  std::lock_guard lock(mutex_);
  last_.erase({caller, sha256});
}

Status audit_read(Call& call, const std::optional<std::string>& case_number, nlohmann::json what) {
  const std::string file = what.value("sha256", what.dump());
  if (!call.reads.first_read(call.who().actor(), file)) return {};
  store::Store& store = call.runtime.store();
  Status written = store.write([&]() -> Status {
    return status_of(store.audit().append({call.who().actor(), "evidence.read", case_number, std::move(what)}, store.clock().now()));
  });
  if (!written.ok()) call.reads.forget(call.who().actor(), file);  // no bytes go out unrecorded, now or on the next read
  return written;
}

std::optional<std::int64_t> positive_id(std::string_view text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value <= 0) return std::nullopt;
  return value;
}

Result<Response> serve_evidence(Call& call, const store::EvidenceItem& item, nlohmann::json what, bool attachment) {
  NETSAMPLE_ASSIGN(Response response, blob_response(call.request, call.runtime.store().evidence(), item.sha256, static_cast<std::uint64_t>(item.size),
                                                    content_type_for(item.name), attachment ? item.name : std::string()));
  // A PDF shown in place may be framed by the web UI's own pages (its document viewer), by no other site.
  if (!attachment && content_type_for(item.name) == "application/pdf") {
    response.set_header("X-Frame-Options", "SAMEORIGIN");
    response.set_header("Content-Security-Policy", "frame-ancestors 'self'");
  }
  // A 304 or a 416 sends no evidence. A player reads a video in many range requests: audit_read records the
  // first of a viewing (per caller and file, ReadLog) so that the log says who watched what when, not each seek.
  if ((response.status == 200 || response.status == 206) && call.request.method != "HEAD") {
    what["file"] = item.name;
    what["sha256"] = item.sha256;
    NETSAMPLE_TRY(audit_read(call, item.case_number, std::move(what)));
  }
  return response;
}

int query_int(const Call& call, const std::string& name, int fallback, int min, int max, Status& status) {
  const auto text = call.request.param_query(name);
  if (!text) return fallback;
  char* end = nullptr;
  const long value = std::strtol(text->c_str(), &end, 10);
  if (text->empty() || *end != '\0' || value < min || value > max) {
    status = make_error(ErrorCode::invalid_input, name, "须为 " + std::to_string(min) + " 到 " + std::to_string(max) + " 之间的整数");
    return fallback;
  }
  return static_cast<int>(value);
}

}  // namespace netsample::server

namespace netsample::embedded {
extern const std::string_view openapi_json;
}

namespace netsample::server {
std::string_view openapi_document() { return embedded::openapi_json; }
}  // namespace netsample::server
