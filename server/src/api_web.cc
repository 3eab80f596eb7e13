// The web UI (web/, design/web.md): its files are compiled into the binary, so a bureau's intranet server needs
// nothing else and nothing is fetched from the internet. Served to anyone (they hold no data: every datum comes
// from the API, behind the sign-in), revalidated by their SHA-256, under a Content-Security-Policy that lets the
// page load only its own files and talk only to its own service.
#include <map>

#include "api.h"
#include "netsample/core/sha256.h"

namespace netsample::embedded {
extern const std::string_view replay_index_html, replay_ui_js, replay_sw_js;
extern const std::string_view web_index_html, web_app_js, web_api_js, web_dom_js, web_cases_js, web_case_js, web_player_js, web_published_js, web_deadlines_js, web_plan_js, web_captures_js, web_stations_js, web_style_css;
}  // namespace netsample::embedded

namespace netsample::server {

namespace {

struct Asset {
  std::string_view bytes;
  const char* type;
  std::string etag;
};

// A compiled-in file with its entity tag (its SHA-256).
Asset asset(std::string_view bytes, const char* type) { return {bytes, type, "\"" + sha256_hex(bytes) + "\""}; }

const std::map<std::string, Asset, std::less<>>& assets() {
  static const std::map<std::string, Asset, std::less<>> all = [] {
    std::map<std::string, Asset, std::less<>> out;
    const auto add = [&](const char* name, std::string_view bytes, const char* type) { out[name] = asset(bytes, type); };
    add("index.html", embedded::web_index_html, "text/html; charset=utf-8");
    add("app.js", embedded::web_app_js, "text/javascript; charset=utf-8");
    add("api.js", embedded::web_api_js, "text/javascript; charset=utf-8");
    add("dom.js", embedded::web_dom_js, "text/javascript; charset=utf-8");
    add("cases.js", embedded::web_cases_js, "text/javascript; charset=utf-8");
    add("case.js", embedded::web_case_js, "text/javascript; charset=utf-8");
    add("player.js", embedded::web_player_js, "text/javascript; charset=utf-8");
    add("published.js", embedded::web_published_js, "text/javascript; charset=utf-8");
    add("deadlines.js", embedded::web_deadlines_js, "text/javascript; charset=utf-8");
    add("stations.js", embedded::web_stations_js, "text/javascript; charset=utf-8");
    add("plan.js", embedded::web_plan_js, "text/javascript; charset=utf-8");
    add("captures.js", embedded::web_captures_js, "text/javascript; charset=utf-8");
    add("style.css", embedded::web_style_css, "text/css; charset=utf-8");
    return out;
  }();
  return all;
}

// ReplayWeb.page's files on the replay origin (design/web.md): its page, its interface and its service worker,
// which must be served from the folder it controls (/replay/).
const std::map<std::string, Asset, std::less<>>& replay_assets() {
  static const std::map<std::string, Asset, std::less<>> all = [] {
    std::map<std::string, Asset, std::less<>> out;
    const auto add = [&](const char* name, std::string_view bytes, const char* type) { out[name] = asset(bytes, type); };
    add("index.html", embedded::replay_index_html, "text/html; charset=utf-8");
    add("ui.js", embedded::replay_ui_js, "text/javascript; charset=utf-8");
    add("sw.js", embedded::replay_sw_js, "text/javascript; charset=utf-8");
    return out;
  }();
  return all;
}

// The web UI's pages load only their own files and talk only to their own service; they may frame the replay
// origin (the pages beside a purchase's video) and nothing else.
std::string web_policy(const Call& call) {
  std::string frames = "'self'";
  if (call.replay.port) frames += " " + replay_origin(call);
  return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; connect-src 'self'; "
         "frame-src " + frames + "; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
}

Result<Response> serve_from(Call& call, const std::map<std::string, Asset, std::less<>>& table, std::string_view name, const std::string& policy) {
  const auto it = table.find(name);
  if (it == table.end()) return make_error(ErrorCode::not_found, "file", "没有这个网页文件：" + std::string(name));
  const Asset& asset = it->second;
  Response r = Response::bytes(200, std::string(asset.bytes), asset.type);
  if (const auto seen = call.request.header("if-none-match"); seen && *seen == asset.etag) {
    r = Response::empty(304);
  }
  r.set_header("ETag", asset.etag);
  r.set_header("Cache-Control", "no-cache");  // revalidated each time: a new binary's files are seen at once
  r.set_header("Content-Security-Policy", policy);
  return r;
}

Result<Response> serve_asset(Call& call, std::string_view name) { return serve_from(call, assets(), name, web_policy(call)); }

// The replay origin's page runs archived pages' own scripts in frames of its own: it may be framed only by the
// web UI, and it answers no API (its origin holds no session).
Result<Response> serve_replay_asset(Call& call, std::string_view name) {
  return serve_from(call, replay_assets(), name, "frame-ancestors " + main_origin(call));
}

}  // namespace

void add_replay_web_routes(std::vector<Route>& out) {
  out.push_back({"GET", "/replay/", Access::anyone, [](Call& call) { return serve_replay_asset(call, "index.html"); }});
  out.push_back({"GET", "/replay/ui.js", Access::anyone, [](Call& call) { return serve_replay_asset(call, "ui.js"); }});
  out.push_back({"GET", "/replay/sw.js", Access::anyone, [](Call& call) { return serve_replay_asset(call, "sw.js"); }});
}

void add_web_routes(std::vector<Route>& out) {
  out.push_back({"GET", "/", Access::anyone, [](Call& call) { return serve_asset(call, "index.html"); }});
  out.push_back({"GET", "/app/{file}", Access::anyone, [](Call& call) { return serve_asset(call, call.param("file")); }});
}

}  // namespace netsample::server
