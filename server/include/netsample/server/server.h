// netsample serve: the HTTP service every role works through (design/service.md). A JSON API over the data
// directory that calls the same library code as the command line (runtime/), with sign-in and roles
// (accounts/), evidence streamed from the store with Range and entity tags, /healthz and /metrics, one JSON
// access-log line per request. Built on GNU libmicrohttpd: epoll with a small thread pool, so idle keep-alive
// connections cost a file descriptor and no thread, and files go out with sendfile from an offset.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "netsample/core/error.h"
#include "netsample/store/store.h"

namespace netsample::server {

struct ServerOptions {
  store::StoreOptions store;  // the database and the evidence (serve --db, --evidence); default: the data directory's
  std::string listen = "127.0.0.1:8080";  // host:port; port 0 picks a free one (tests)
  // The replay origin (design/web.md): pages preserved during a purchase are replayed from a port of their own,
  // so that their scripts never run where a reviewer is signed in. Empty: the same host, the next port (or any free
  // one when that is taken or `listen` picks a free one); "off": no replay (the web UI lists the pages only).
  std::string replay_listen;
  std::filesystem::path tls_cert, tls_key;  // both or neither: HTTPS, and Secure cookies
  unsigned threads = 0;                   // 0: one per core, at least 2
  unsigned slow_threads = 4;              // for routes that may take seconds (exports, verification, sign-in)
  std::size_t max_body_bytes = 1 << 20;   // JSON bodies; more is 413
  std::uint64_t max_upload_bytes = std::uint64_t{16} << 30;  // one uploaded file (POST /api/uploads)
  std::size_t max_header_bytes = 32 << 10;
  unsigned max_connections = 1000;
  std::chrono::seconds idle_timeout{60};  // a connection that sends nothing this long is closed
  std::chrono::seconds session_lifetime{8 * 3600};
  int sign_in_attempts = 5;               // failures per login (and per address) in sign_in_window
  std::chrono::seconds sign_in_window{15 * 60};
  // The program that imports unboxing videos and marks their steps (FFmpeg, OpenCV); default: netsample-recorder
  // beside the running program.
  std::filesystem::path recorder_program;
  // The program that captures pages (`netsample crawl`); default: netsample beside the running program.
  std::filesystem::path netsample_program;
  std::vector<std::string> tsa;  // RFC 3161 services that stamp what the service imports or captures (serve --tsa)
  // The CA certificates TSA tokens are verified against (serve --trust); empty: runtime::tsa_trust's default.
  std::string tsa_trust;
  std::vector<std::string> ntp;  // NTP servers a page capture checks its time against (serve --ntp)
  // Every this often, one round of the notices due and of the parcels due (as `notices deliver` and `track poll`
  // do); zero: the service does neither (a separate worker does, or the tests).
  std::chrono::seconds background_interval{60};
  // With `tsa`: how often the background work stamps the audit chain's head (while it grows; serve --audit-stamp-interval).
  std::chrono::seconds audit_stamp_interval{std::chrono::hours(1)};
  // A station's service: every `sync_interval`, send the centre at `central` what it lacks (serve --central; the
  // station's token from the environment or a file). Empty: no sync (a centre, or a station that syncs by hand).
  std::string central;
  std::string station_token;
  std::string central_ca;
  std::chrono::seconds sync_interval{30};
  // One JSON line per request; default: standard output.
  std::function<void(const std::string& line)> access_log;
};

// What a route is, for the OpenAPI check and the route × role tests.
struct RouteInfo {
  std::string method;
  std::string pattern;  // "/api/cases/{number}"
  std::string access;   // anyone, signed_in, admin
};
std::vector<RouteInfo> route_table();
// The OpenAPI 3 document of the API (data/openapi.json, embedded).
std::string_view openapi_document();

class Server {
 public:
  // Opens the data directory (once per worker thread) and starts listening. Errors name the option.
  static Result<std::unique_ptr<Server>> start(const std::filesystem::path& data_dir, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::uint16_t port() const;
  std::uint16_t replay_port() const;  // 0 when replay is off
  std::string base_url() const;  // http(s)://host:port
  // Stops accepting, lets requests in flight finish (up to `grace`), then closes every connection.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(10));

  struct State;

 private:
  explicit Server(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace netsample::server
