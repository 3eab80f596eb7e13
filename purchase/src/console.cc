#include "console.h"

#include <httplib.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <string_view>
#include <thread>

namespace netsample::embedded {
extern const std::string_view station_console_html, station_console_js, station_console_css;
}

namespace netsample::purchase {
namespace {

using embedded::station_console_css;
using embedded::station_console_html;
using embedded::station_console_js;

using nlohmann::json;

std::string random_token() {
  unsigned char bytes[24];
  RAND_bytes(bytes, sizeof bytes);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) out += {hex[b >> 4], hex[b & 15]};
  return out;
}

void answer(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json; charset=utf-8");
}

void answer(httplib::Response& res, const Result<json>& result) {
  if (result.ok()) return answer(res, 200, *result);
  const ErrorCode code = result.error().code;
  answer(res, code == ErrorCode::internal ? 500 : code == ErrorCode::not_found ? 404 : code == ErrorCode::refused_by_rule ? 409 : 400,
         {{"error", error_to_json(result.error())}});
}

}  // namespace

struct StationConsole::Impl {
  httplib::Server http;
  std::thread thread;
  std::string token = random_token();
  int port = 0;
  ConsoleHandlers handlers;

  // The token matches (in constant time), the request is for this address, and not from another site's page.
  bool allowed(const httplib::Request& req) const {
    const std::string host = "127.0.0.1:" + std::to_string(port);
    if (req.get_header_value("Host") != host) return false;
    if (req.has_header("Origin") && req.get_header_value("Origin") != "http://" + host) return false;
    const std::string given = req.get_header_value("X-Station-Token");
    return given.size() == token.size() && CRYPTO_memcmp(given.data(), token.data(), token.size()) == 0;
  }

  void routes() {
    auto file = [this](const std::string& path, std::string_view body, const char* type) {
      http.Get(path, [this, body, type](const httplib::Request& req, httplib::Response& res) {
        if (req.get_header_value("Host") != "127.0.0.1:" + std::to_string(port)) return answer(res, 421, {{"error", {{"message", "地址不符"}}}});
        res.set_content(std::string(body), type);
      });
    };
    file("/", station_console_html, "text/html; charset=utf-8");
    file("/console.js", station_console_js, "text/javascript; charset=utf-8");
    file("/console.css", station_console_css, "text/css; charset=utf-8");
    auto guarded = [this](auto handler) {
      return [this, handler](const httplib::Request& req, httplib::Response& res) {
        if (!allowed(req)) return answer(res, 403, {{"error", {{"code", "forbidden"}, {"message", "工作台的令牌不符：请用录制程序在终端上给出的地址打开"}}}});
        json body = req.body.empty() ? json::object() : json::parse(req.body, nullptr, false);
        if (!body.is_object()) return answer(res, 400, {{"error", {{"code", "invalid_input"}, {"message", "请求体须为 JSON 对象"}}}});
        handler(body, res);
      };
    };
    http.Get("/api/state", guarded([this](const json&, httplib::Response& res) { answer(res, 200, handlers.state()); }));
    http.Post("/api/read", guarded([this](const json& body, httplib::Response& res) { answer(res, handlers.read(body.value("step", ""))); }));
    http.Post("/api/mark", guarded([this](const json& body, httplib::Response& res) { answer(res, handlers.mark(body)); }));
    http.Post("/api/finish", guarded([this](const json&, httplib::Response& res) {
      handlers.finish();
      answer(res, 202, {{"finishing", true}});
    }));
    http.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
      res.set_header("Cache-Control", "no-store");
      res.set_header("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'");
      res.set_header("X-Content-Type-Options", "nosniff");
      res.set_header("Referrer-Policy", "no-referrer");
    });
  }
};

StationConsole::StationConsole(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<StationConsole>> StationConsole::start(int port, ConsoleHandlers handlers) {
  auto impl = std::make_unique<Impl>();
  impl->handlers = std::move(handlers);
  impl->routes();
  impl->port = port == 0 ? impl->http.bind_to_any_port("127.0.0.1") : (impl->http.bind_to_port("127.0.0.1", port) ? port : -1);
  if (impl->port <= 0) return make_error(ErrorCode::io, "--console-port", "买样工作台无法在 127.0.0.1:" + std::to_string(port) + " 上监听（端口被占用？）");
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->http.listen_after_bind(); });
  return std::unique_ptr<StationConsole>(new StationConsole(std::move(impl)));
}

StationConsole::~StationConsole() {
  impl_->http.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::string StationConsole::url() const { return "http://127.0.0.1:" + std::to_string(impl_->port) + "/#" + impl_->token; }

}  // namespace netsample::purchase
