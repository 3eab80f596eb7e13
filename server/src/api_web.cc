// The web UI (web/, design/web.md): its files are compiled into the binary, so a bureau's intranet server needs
// nothing else and nothing is fetched from the internet. Served to anyone (they hold no data: every datum comes
// from the API, behind the sign-in), revalidated by their SHA-256, under a Content-Security-Policy that lets the
// page load only its own files and talk only to its own service.
#include <map>

#include "api.h"
#include "netsample/core/sha256.h"

namespace netsample::embedded {
extern const std::string_view web_index_html, web_app_js, web_api_js, web_dom_js, web_cases_js, web_case_js, web_player_js, web_published_js, web_deadlines_js, web_plan_js, web_captures_js, web_style_css;
}  // namespace netsample::embedded

namespace netsample::server {

namespace {

struct Asset {
  std::string_view bytes;
  const char* type;
  std::string etag;
};

const std::map<std::string, Asset, std::less<>>& assets() {
  static const std::map<std::string, Asset, std::less<>> all = [] {
    std::map<std::string, Asset, std::less<>> out;
    const auto add = [&](const char* name, std::string_view bytes, const char* type) {
      out[name] = {bytes, type, "\"" + sha256_hex(bytes) + "\""};
    };
    add("index.html", embedded::web_index_html, "text/html; charset=utf-8");
    add("app.js", embedded::web_app_js, "text/javascript; charset=utf-8");
    add("api.js", embedded::web_api_js, "text/javascript; charset=utf-8");
    add("dom.js", embedded::web_dom_js, "text/javascript; charset=utf-8");
    add("cases.js", embedded::web_cases_js, "text/javascript; charset=utf-8");
    add("case.js", embedded::web_case_js, "text/javascript; charset=utf-8");
    add("player.js", embedded::web_player_js, "text/javascript; charset=utf-8");
    add("published.js", embedded::web_published_js, "text/javascript; charset=utf-8");
    add("deadlines.js", embedded::web_deadlines_js, "text/javascript; charset=utf-8");
    add("plan.js", embedded::web_plan_js, "text/javascript; charset=utf-8");
    add("captures.js", embedded::web_captures_js, "text/javascript; charset=utf-8");
    add("style.css", embedded::web_style_css, "text/css; charset=utf-8");
    return out;
  }();
  return all;
}

constexpr const char* kPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

Result<Response> serve_asset(Call& call, std::string_view name) {
  const auto it = assets().find(name);
  if (it == assets().end()) return make_error(ErrorCode::not_found, "file", "没有这个网页文件：" + std::string(name));
  const Asset& asset = it->second;
  Response r = Response::bytes(200, std::string(asset.bytes), asset.type);
  if (const auto seen = call.request.header("if-none-match"); seen && *seen == asset.etag) {
    r = Response::empty(304);
  }
  r.set_header("ETag", asset.etag);
  r.set_header("Cache-Control", "no-cache");  // revalidated each time: a new binary's files are seen at once
  r.set_header("Content-Security-Policy", kPolicy);
  return r;
}

}  // namespace

void add_web_routes(std::vector<Route>& out) {
  out.push_back({"GET", "/", Access::anyone, [](Call& call) { return serve_asset(call, "index.html"); }});
  out.push_back({"GET", "/app/{file}", Access::anyone, [](Call& call) { return serve_asset(call, call.param("file")); }});
}

}  // namespace netsample::server
