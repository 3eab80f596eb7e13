#include "netsample/server/server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <iostream>
#include <thread>

#include "api.h"
#include "access_log.h"
#include "background.h"
#include "station_sync.h"
#include "jobs.h"
#include "slow_work.h"
#include "metrics.h"
#include "uploads.h"
#include "view_cache.h"
#include "netsample/core/sha256.h"
#include "netsample/core/file_io.h"
#include "netsample/store/database.h"

namespace netsample::server {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr const char* kSessionCookie = "netsample_session";

// What a connection's current request carries between the library's calls: the body as it arrives, and
// what the access log and the metrics need once it is done.
struct Exchange {
  Clock::time_point started = Clock::now();
  UtcTime started_utc;
  std::string body;
  bool too_large = false;
  std::uint64_t discarded = 0;
  std::string method, path, route = "(none)", login, remote;
  int status = 0;
  std::uint64_t bytes = 0, evidence_bytes = 0;
  std::unique_ptr<UploadFile> upload;         // an upload route's body, written to disk as it arrives
  std::uint64_t limit = 0;                    // the body's size limit: a JSON body's or an upload's
  bool cacheable = false;                     // answered by the handler for a checked caller
  std::optional<UtcTime> credential_expires;  // when that caller's token or session runs out
  // The route, matched once when the headers are in (nullptr: none; `allowed` then has the path's methods).
  const Route* matched = nullptr;
  std::map<std::string, std::string> params;
  std::vector<std::string> allowed;
  std::optional<Response> ready;  // a slow route's answer, made on a slow-work thread while suspended
};

std::string peer_address(MHD_Connection* connection) {
  const MHD_ConnectionInfo* info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (!info || !info->client_addr) return "";
  char text[INET6_ADDRSTRLEN] = {};
  const sockaddr* address = info->client_addr;
  if (address->sa_family == AF_INET) inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, text, sizeof text);
  if (address->sa_family == AF_INET6) inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, text, sizeof text);
  return text;
}

// One read transaction for a route that only reads (Route::snapshot): a single snapshot and a single lock.
class ReadTransaction {
 public:
  ReadTransaction(store::Database& db, bool wanted) : db_(db) {
    active_ = wanted && !db_.in_transaction() && db_.exec("BEGIN DEFERRED").ok();
  }
  ~ReadTransaction() {
    if (active_) (void)db_.exec("COMMIT");  // nothing was written: this only lets go of the snapshot
  }
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;

 private:
  store::Database& db_;
  bool active_ = false;
};

struct ValueSink {
  std::vector<std::pair<std::string, std::string>>* headers = nullptr;
  std::map<std::string, std::string>* query = nullptr;
};

MHD_Result collect_value(void* cls, MHD_ValueKind kind, const char* key, const char* value) {
  auto* sink = static_cast<ValueSink*>(cls);
  std::string name = key ? key : "";
  if (kind == MHD_HEADER_KIND) {
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    sink->headers->emplace_back(std::move(name), value ? value : "");
  } else if (kind == MHD_GET_ARGUMENT_KIND) {
    (*sink->query)[name] = value ? value : "";
  }
  return MHD_YES;
}

// A request's headers and query string as libmicrohttpd parsed them.
void read_headers_and_query(MHD_Connection* connection, Request& request) {
  ValueSink sink{&request.headers, &request.query};
  MHD_get_connection_values(connection, MHD_HEADER_KIND, collect_value, &sink);
  MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, collect_value, &sink);
}

// A browser sends its cookie with any request, also one a foreign page makes it send: a change needs the token
// only our own page knows. Bearer tokens are never sent by a browser on its own.
Status check_csrf(const Request& request, const Caller& caller) {
  if (!caller.by_session) return {};
  const auto token = request.header("x-csrf-token");
  if (!token || *token != caller.csrf_token)
    return make_error(ErrorCode::forbidden, "X-CSRF-Token", "缺少或不正确的 CSRF 令牌（由 GET /api/session 取得）");
  return {};
}

}  // namespace

// What a listener's callbacks get: the service, and which of its two origins the connection came to.
struct Listener {
  Server::State* state;
  bool replay;
};

struct Server::State {
  std::filesystem::path data_dir;
  Listener main_listener{nullptr, false}, replay_listener{nullptr, true};
  ServerOptions options;
  Metrics metrics;
  std::unique_ptr<SignInLimiter> limiter;
  ReadLog reads{std::chrono::minutes(10)};
  Jobs jobs;
  MHD_Daemon* daemon = nullptr;
  MHD_Daemon* replay_daemon = nullptr;  // the replay origin's listener (api.h: ReplayOrigin)
  ReplayOrigin replay;
  std::uint16_t port = 0;
  std::string host;
  bool tls = false;
  std::string tls_cert_pem, tls_key_pem;
  std::atomic<bool> stopping{false};
  std::unique_ptr<AccessLog> access_log;
  std::unique_ptr<BackgroundWork> background;
  std::unique_ptr<StationSyncWork> station_sync;
  std::unique_ptr<SlowWork> slow;
  std::mutex error_log_mutex;

  // The service's error stream: the background work's lines and what the library complains about.
  void error_log(const std::string& line) {
    std::lock_guard lock(error_log_mutex);
    std::cerr << line << '\n' << std::flush;
  }

  void log(const Exchange& exchange) {
    json line = {{"at", format_iso8601_beijing(exchange.started_utc)},
                 {"method", exchange.method},
                 {"path", exchange.path},
                 {"route", exchange.route},
                 {"status", exchange.status},
                 {"bytes", exchange.bytes},
                 {"ms", std::chrono::duration<double, std::milli>(Clock::now() - exchange.started).count()},
                 {"remote", exchange.remote},
                 {"login", exchange.login.empty() ? json(nullptr) : json(exchange.login)}};
    access_log->write(line.dump(-1, ' ', false, json::error_handler_t::replace));
  }

  // One opened data directory per worker thread (Runtime is not thread-safe; SQLite serializes writers), with
  // that thread's answers to the reading routes.
  struct PerThread {
    const State* owner = nullptr;
    std::unique_ptr<runtime::Runtime> runtime;
    ViewCache views;
  };
  Result<PerThread*> this_thread() {
    thread_local PerThread mine;
    if (mine.owner != this || !mine.runtime) {
      NETSAMPLE_ASSIGN(mine.runtime, runtime::Runtime::open(data_dir, options.store));
      mine.runtime->set_tsa_trust(options.tsa_trust);
      mine.owner = this;
      mine.views = ViewCache();
    }
    return &mine;
  }

  // The hash of the credential a request carries (token or session cookie), to key its cached answers.
  static std::optional<std::string> credential_hash(const Request& request) {
    if (const auto authorization = request.header("authorization")) return "b" + sha256_hex(*authorization);
    if (const auto cookie = request.cookie(kSessionCookie)) return "c" + sha256_hex(*cookie);
    return std::nullopt;
  }

  Result<Caller> authenticate(Request& request, runtime::Runtime& runtime) {
    accounts::Accounts accounts(runtime.store());
    Caller caller;
    if (const auto authorization = request.header("authorization")) {
      const std::string_view value = *authorization;
      if (!value.starts_with("Bearer ") && !value.starts_with("bearer "))
        return make_error(ErrorCode::unauthenticated, "authorization", "只接受 Authorization: Bearer 令牌");
      NETSAMPLE_ASSIGN(accounts::TokenAccount token, accounts.by_token(value.substr(7)));
      caller.account = std::move(token.account);
      caller.expires = token.expires;
    } else if (const auto cookie = request.cookie(kSessionCookie)) {
      NETSAMPLE_ASSIGN(accounts::SessionAccount session, accounts.by_session(*cookie));
      caller.account = session.account;
      caller.by_session = true;
      caller.session_cookie = *cookie;
      caller.csrf_token = session.csrf_token;
      caller.expires = session.expires;
    } else {
      return make_error(ErrorCode::unauthenticated, "authorization", "请先登录，或在 Authorization: Bearer 中给出 API 令牌");
    }
    return caller;
  }

  // A station's sync token (Access::station): a bearer token of the stations table, nothing else.
  static Result<sync::Station> authenticate_station(const Request& request, runtime::Runtime& runtime) {
    const auto authorization = request.header("authorization");
    if (!authorization || !(authorization->starts_with("Bearer ") || authorization->starts_with("bearer ")))
      return make_error(ErrorCode::unauthenticated, "authorization", "同步接口只接受工作站令牌：Authorization: Bearer nss_…");
    return sync::Stations(runtime.store()).authenticate(authorization->substr(7));
  }

  // For an upload route: the caller checked and the file opened before the body arrives; nullptr for
  // every other route.
  Result<std::unique_ptr<UploadFile>> start_upload(MHD_Connection* connection, Exchange& exchange) {
    const Route* route = exchange.matched;
    if (!route || !route->upload) return std::unique_ptr<UploadFile>();
    Request request;
    request.method = exchange.method;
    request.path = exchange.path;
    read_headers_and_query(connection, request);
    NETSAMPLE_ASSIGN(PerThread * thread, this_thread());
    if (route->access == Access::station) {  // a part of a blob a station sends (api_sync.cc)
      NETSAMPLE_ASSIGN(sync::Station station, authenticate_station(request, *thread->runtime));
      exchange.login = "station:" + station.id;
      return UploadFile::create(uploads_dir(), "part");
    }
    NETSAMPLE_ASSIGN(Caller caller, authenticate(request, *thread->runtime));
    exchange.login = caller.actor();
    NETSAMPLE_TRY(check_csrf(request, caller));
    const std::string name = request.param_query("name").value_or("");
    NETSAMPLE_TRY(check_upload_name(name));
    const auto dir = uploads_dir();
    sweep_uploads(dir, std::chrono::hours(24));
    return UploadFile::create(dir, name);
  }

  std::filesystem::path uploads_dir() const { return data_dir / "uploads"; }

  Response dispatch(Request& request, Exchange& exchange) {
    const Route* route = exchange.matched;
    if (!route) {
      const auto& allowed = exchange.allowed;
      if (!allowed.empty()) {
        Response r = error_response(make_error(ErrorCode::invalid_input, "method", request.method + " 不适用于 " + request.path));
        r.status = 405;
        std::string list;
        for (const auto& m : allowed) list += (list.empty() ? "" : ", ") + m;
        r.set_header("Allow", list);
        return r;
      }
      return error_response(make_error(ErrorCode::not_found, "path", "没有这个接口：" + request.path + "（接口说明见 /api/openapi.json）"));
    }
    exchange.route = route->pattern;
    if (route->secret_path) exchange.path = route->pattern;  // never the link itself in the log
    request.params = exchange.params;
    auto thread = this_thread();
    if (!thread.ok()) return error_response(thread.error());
    runtime::Runtime& runtime = *(*thread)->runtime;
    ViewCache& views = (*thread)->views;
    // A year imported with `netsample calendar add` since this thread read the calendar (a stat per request).
    if (auto refreshed = runtime.refresh_calendar(); !refreshed.ok()) return error_response(refreshed.error());

    // A reading route answers from this thread's cache while nothing changed (view_cache.h says when).
    std::optional<std::string> view_key;
    store::Database::ChangeStamp stamp;
    const UtcTime now = runtime.clock().now();
    const CivilDate today = beijing_date(now);
    if (route->snapshot && route->access != Access::anyone && (request.method == "GET" || request.method == "HEAD")) {
      const auto credential = credential_hash(request);
      auto current = runtime.store().db().change_stamp();
      if (credential && current.ok()) {
        stamp = *current;
        view_key = ViewCache::key(*credential, request);
        if (const CachedView* hit = views.find(*view_key, stamp, today, now)) {
          exchange.login = hit->login;
          return hit->response();
        }
      }
    }
    Response response = run(*route, request, runtime, exchange);
    if (view_key && exchange.cacheable) views.keep(std::move(*view_key), stamp, today, exchange.credential_expires, response, exchange.login);
    return response;
  }

  // The route itself: the credential, the administrator and CSRF checks, the body's type, the handler.
  Response run(const Route& route_ref, Request& request, runtime::Runtime& runtime, Exchange& exchange) {
    const Route* route = &route_ref;
    Call call{request, runtime, options, replay, metrics, *limiter, reads, jobs, std::nullopt, std::nullopt};
    ReadTransaction snapshot(runtime.store().db(), route->snapshot);  // the credential's check included
    if (route->access == Access::station) {
      auto station = authenticate_station(request, runtime);
      if (!station.ok()) return error_response(station.error());
      call.station = std::move(station).value();
      exchange.login = "station:" + call.station->id;
    } else if (route->access != Access::anyone) {
      auto caller = authenticate(request, runtime);
      if (!caller.ok()) return error_response(caller.error());
      call.caller = std::move(caller).value();
      exchange.login = call.caller->actor();
      exchange.credential_expires = call.caller->expires;
      if (route->access == Access::admin && !call.caller->admin())
        return error_response(make_error(ErrorCode::forbidden, "authorization", "只有管理员可以使用这个接口"));
      const bool changes = request.method != "GET" && request.method != "HEAD";
      if (changes) {
        if (Status csrf = check_csrf(request, *call.caller); !csrf.ok()) return error_response(csrf.error());
      }
    }
    if (!request.body.empty() && !route->upload) {
      const std::string type = request.header("content-type").value_or("");
      if (!type.starts_with("application/json"))
        return error_response(make_error(ErrorCode::invalid_input, "Content-Type", "请求体须为 JSON（Content-Type: application/json）"));
    }
    try {
      auto result = route->handler(call);
      if (call.caller && exchange.login.empty()) exchange.login = call.caller->actor();  // a route that found its reader itself
      if (!result.ok()) return error_response(result.error());
      exchange.cacheable = call.caller.has_value();
      return std::move(result).value();
    } catch (const std::exception& e) {
      std::cerr << "netsample serve: " << request.method << " " << request.path << ": " << e.what() << "\n";
      return error_response(make_error(ErrorCode::internal, "", "服务内部错误，已记录；请稍后重试或联系管理员"));
    }
  }
};

namespace {

void add_common_headers(MHD_Response* response, bool tls) {
  MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(response, "Referrer-Policy", "no-referrer");
  // Nothing is framed, except what a route allows (a PDF shown in the web UI's viewer: SAMEORIGIN; the replay
  // origin's page, by the web UI's origin: CSP frame-ancestors, which X-Frame-Options cannot name).
  const char* policy = MHD_get_response_header(response, "Content-Security-Policy");
  const bool names_framers = policy && std::strstr(policy, "frame-ancestors");
  if (!MHD_get_response_header(response, "X-Frame-Options") && !names_framers) MHD_add_response_header(response, "X-Frame-Options", "DENY");
  if (tls) MHD_add_response_header(response, "Strict-Transport-Security", "max-age=31536000");
}

// The state of one response read from the evidence store: its range's start and the last block fetched (1 MiB ranges,
// handed out in the pieces the server library asks for).
struct BlobReader {
  std::function<Result<std::string>(std::uint64_t, std::uint64_t)> read;
  std::uint64_t start = 0, length = 0;
  std::string block;
  std::uint64_t block_at = 0;  // position of block[0] within the response
};

ssize_t read_blob_block(void* cls, std::uint64_t pos, char* buf, size_t max) {
  auto* reader = static_cast<BlobReader*>(cls);
  if (pos < reader->block_at || pos >= reader->block_at + reader->block.size()) {
    auto fetched = reader->read(reader->start + pos, std::min<std::uint64_t>(1 << 20, reader->length - pos));
    if (!fetched.ok() || fetched->empty()) return MHD_CONTENT_READER_END_WITH_ERROR;
    reader->block = std::move(*fetched);
    reader->block_at = pos;
  }
  const size_t offset = static_cast<size_t>(pos - reader->block_at);
  const size_t n = std::min(max, reader->block.size() - offset);
  std::memcpy(buf, reader->block.data() + offset, n);
  return static_cast<ssize_t>(n);
}

void free_blob_reader(void* cls) { delete static_cast<BlobReader*>(cls); }

MHD_Result queue(MHD_Connection* connection, Server::State& state, Exchange& exchange, Response response) {
  MHD_Response* mhd = nullptr;
  if (response.file && response.file->fd < 0) {
    // A blob in object storage: read in blocks as the client takes them (a failed read ends the response early,
    // and the client sees a short body, never other bytes).
    auto* reader = new BlobReader{std::move(response.file->read), response.file->offset, response.file->length, {}, 0};
    mhd = MHD_create_response_from_callback(response.file->length, 64 * 1024, read_blob_block, reader, free_blob_reader);
    if (!mhd) free_blob_reader(reader);
    exchange.bytes = response.file->length;
  } else if (response.file) {
    const FileBody file = *response.file;
    mhd = MHD_create_response_from_fd_at_offset64(file.length, response.release_fd(), file.offset);
    exchange.bytes = file.length;
  } else {
    mhd = MHD_create_response_from_buffer(response.body.size(), response.body.data(), MHD_RESPMEM_MUST_COPY);
    exchange.bytes = response.body.size();
  }
  if (!mhd) return MHD_NO;
  if (!response.content_type.empty()) MHD_add_response_header(mhd, "Content-Type", response.content_type.c_str());
  for (const auto& [name, value] : response.headers) MHD_add_response_header(mhd, name.c_str(), value.c_str());
  if (response.content_type.starts_with("application/json"))
    MHD_add_response_header(mhd, "Cache-Control", "no-store");
  add_common_headers(mhd, state.tls);
  exchange.status = response.status;
  exchange.evidence_bytes = response.evidence_bytes;
  const MHD_Result queued = MHD_queue_response(connection, static_cast<unsigned>(response.status), mhd);
  MHD_destroy_response(mhd);
  return queued;
}

Response too_large(std::uint64_t limit) {
  return error_response(make_error(ErrorCode::too_large, "body", "请求体超过 " + std::to_string(limit) + " 字节的上限"));
}

MHD_Result on_request(void* cls, MHD_Connection* connection, const char* url, const char* method, const char* /*version*/,
                      const char* upload_data, size_t* upload_data_size, void** context) {
  const auto& listener = *static_cast<const Listener*>(cls);
  auto& state = *listener.state;
  auto* exchange = static_cast<Exchange*>(*context);
  if (!exchange) {  // the headers are in; the body (if any) follows in later calls
    exchange = new Exchange;
    exchange->started_utc = SystemClock().now();
    exchange->method = method;
    exchange->path = url;
    exchange->remote = peer_address(connection);
    *context = exchange;
    ++state.metrics.requests_in_flight;
    const std::string route_method = exchange->method == "HEAD" ? "GET" : exchange->method;
    exchange->matched = listener.replay ? match_replay_route(route_method, exchange->path, exchange->params, exchange->allowed)
                                        : match_route(route_method, exchange->path, exchange->params, exchange->allowed);
    // An upload goes to a file as it arrives, once the caller is known: nobody else may fill the disk.
    auto upload = state.start_upload(connection, *exchange);
    if (!upload.ok()) return queue(connection, state, *exchange, error_response(upload.error()));
    exchange->upload = std::move(upload).value();
    exchange->limit = exchange->upload ? state.options.max_upload_bytes : state.options.max_body_bytes;
    const char* length = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Content-Length");
    if (length && std::strtoull(length, nullptr, 10) > exchange->limit) {
      exchange->too_large = true;
      exchange->upload.reset();  // nothing of it is kept
      // Answered before the body is read (no 100 Continue): a client that announced too much sends nothing.
      return queue(connection, state, *exchange, too_large(exchange->limit));
    }
    return MHD_YES;
  }
  if (*upload_data_size != 0) {
    if (exchange->upload && !exchange->too_large) {
      if (exchange->upload->size() + *upload_data_size > state.options.max_upload_bytes) {
        exchange->too_large = true;
        exchange->upload.reset();  // removes what was written
      } else if (!exchange->upload->append(upload_data, *upload_data_size).ok()) {
        return MHD_NO;  // the disk refused: hang up rather than take bytes that are not kept
      }
    } else if (exchange->too_large || exchange->body.size() + *upload_data_size > state.options.max_body_bytes) {
      exchange->too_large = true;
      exchange->discarded += *upload_data_size;
      exchange->body.clear();
      if (exchange->discarded > 16 * state.options.max_body_bytes) return MHD_NO;  // a sender that never stops: hang up
    } else {
      exchange->body.append(upload_data, *upload_data_size);
    }
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (exchange->ready) {  // a slow route's answer: the connection was resumed for it
    Response response = std::move(*exchange->ready);
    exchange->ready.reset();
    return queue(connection, state, *exchange, std::move(response));
  }
  if (exchange->status != 0) return MHD_YES;  // answered already (413 on the announced length, 401 before an upload)
  if (exchange->too_large)
    return queue(connection, state, *exchange, too_large(exchange->limit));

  Request request;
  request.method = method;
  request.path = url;
  request.remote = exchange->remote;
  request.tls = state.tls;
  request.body = std::move(exchange->body);
  request.upload = exchange->upload.get();
  read_headers_and_query(connection, request);
  if (exchange->matched && exchange->matched->slow) {
    // Answered on a slow-work thread; this worker goes on with its other connections meanwhile.
    auto held = std::make_shared<Request>(std::move(request));
    MHD_suspend_connection(connection);
    state.slow->submit({[&state, connection, exchange, held] {
                          exchange->ready = state.dispatch(*held, *exchange);
                          MHD_resume_connection(connection);
                        },
                        [connection, exchange] {
                          exchange->ready = error_response(make_error(ErrorCode::io, "", "服务正在停止，请稍后重试"));
                          MHD_resume_connection(connection);
                        }});
    return MHD_YES;
  }
  Response response = state.dispatch(request, *exchange);
  return queue(connection, state, *exchange, std::move(response));
}

void on_completed(void* cls, MHD_Connection* /*connection*/, void** context, MHD_RequestTerminationCode /*why*/) {
  auto& state = *static_cast<const Listener*>(cls)->state;
  auto* exchange = static_cast<Exchange*>(*context);
  if (!exchange) return;
  *context = nullptr;
  const double seconds = std::chrono::duration<double>(Clock::now() - exchange->started).count();
  state.metrics.record(exchange->method, exchange->route, exchange->status, seconds, exchange->evidence_bytes);
  state.log(*exchange);
  --state.metrics.requests_in_flight;
  delete exchange;
}

void on_connection(void* cls, MHD_Connection* /*connection*/, void** /*socket_context*/, MHD_ConnectionNotificationCode code) {
  auto& state = *static_cast<const Listener*>(cls)->state;
  if (code == MHD_CONNECTION_NOTIFY_STARTED) ++state.metrics.open_connections;
  if (code == MHD_CONNECTION_NOTIFY_CLOSED) --state.metrics.open_connections;
}

void on_library_error(void* /*cls*/, const char* format, va_list args) {
  // The library's own complaints (a peer that hung up, a bad TLS hello) go to the service's error stream.
  char text[512];
  std::vsnprintf(text, sizeof text, format, args);
  std::cerr << "netsample serve: " << text;
}

Result<std::pair<std::string, std::uint16_t>> parse_listen(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return make_error(ErrorCode::invalid_input, "listen", "\"" + listen + "\" 不是 主机:端口（例如 127.0.0.1:8080）");
  const std::string host = listen.substr(0, colon);
  const std::string port_text = listen.substr(colon + 1);
  char* end = nullptr;
  const unsigned long port = std::strtoul(port_text.c_str(), &end, 10);
  if (port_text.empty() || *end != '\0' || port > 65535)
    return make_error(ErrorCode::invalid_input, "listen", "端口须为 0 到 65535 的整数：\"" + port_text + "\"");
  in_addr probe{};
  if (inet_pton(AF_INET, host.c_str(), &probe) != 1)
    return make_error(ErrorCode::invalid_input, "listen", "主机须为 IPv4 地址（例如 127.0.0.1 或 0.0.0.0）：\"" + host + "\"");
  return std::pair{host, static_cast<std::uint16_t>(port)};
}

// One listener (the API's or the replay origin's) on the service's callbacks. Errors name the option.
Result<MHD_Daemon*> start_daemon(Server::State& state, const std::string& host, std::uint16_t port, unsigned threads, Listener* listener,
                                 const std::string& option, const std::string& shown) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  inet_pton(AF_INET, host.c_str(), &address.sin_addr);
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
  if (state.tls) flags |= MHD_USE_TLS;
  MHD_Daemon* daemon = nullptr;
  if (state.tls) {
    daemon = MHD_start_daemon(
        flags, port, nullptr, nullptr, on_request, listener, MHD_OPTION_EXTERNAL_LOGGER, on_library_error, nullptr, MHD_OPTION_SOCK_ADDR, reinterpret_cast<sockaddr*>(&address),
        MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT, state.options.max_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, static_cast<unsigned>(state.options.idle_timeout.count()), MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        state.options.max_header_bytes, MHD_OPTION_NOTIFY_COMPLETED, on_completed, listener, MHD_OPTION_NOTIFY_CONNECTION, on_connection, listener,
        MHD_OPTION_HTTPS_MEM_CERT, state.tls_cert_pem.c_str(),
        MHD_OPTION_HTTPS_MEM_KEY, state.tls_key_pem.c_str(), MHD_OPTION_END);
  } else {
    daemon = MHD_start_daemon(
        flags, port, nullptr, nullptr, on_request, listener, MHD_OPTION_EXTERNAL_LOGGER, on_library_error, nullptr, MHD_OPTION_SOCK_ADDR, reinterpret_cast<sockaddr*>(&address),
        MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT, state.options.max_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, static_cast<unsigned>(state.options.idle_timeout.count()), MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        state.options.max_header_bytes, MHD_OPTION_NOTIFY_COMPLETED, on_completed, listener, MHD_OPTION_NOTIFY_CONNECTION, on_connection, listener,
        MHD_OPTION_END);
  }
  if (!daemon)
    return make_error(ErrorCode::io, option, "无法在 " + shown + " 上监听（端口被占用、地址不属于本机，或 TLS 证书与私钥不匹配）");
  return daemon;
}

}  // namespace

Server::Server(std::unique_ptr<State> state) : state_(std::move(state)) {}

Server::~Server() { stop(std::chrono::milliseconds(0)); }

Result<std::unique_ptr<Server>> Server::start(const std::filesystem::path& data_dir, ServerOptions options) {
  auto state = std::make_unique<State>();
  state->data_dir = data_dir;
  NETSAMPLE_ASSIGN(auto listen, parse_listen(options.listen));
  state->host = listen.first;
  if (options.tls_cert.empty() != options.tls_key.empty())
    return make_error(ErrorCode::invalid_input, options.tls_cert.empty() ? "tls-cert" : "tls-key", "--tls-cert 与 --tls-key 须同时给出");
  if (!options.tls_cert.empty()) {
    NETSAMPLE_ASSIGN(state->tls_cert_pem, read_file(options.tls_cert));
    NETSAMPLE_ASSIGN(state->tls_key_pem, read_file(options.tls_key));
    state->tls = true;
  }
  if (options.sign_in_attempts < 1) return make_error(ErrorCode::invalid_input, "sign_in_attempts", "须至少为 1");
  state->limiter = std::make_unique<SignInLimiter>(options.sign_in_attempts, options.sign_in_window);
  state->options = std::move(options);
  state->access_log = std::make_unique<AccessLog>(state->options.access_log);

  // The data directory opens here once, so that a bad one is refused at start and not on the first request.
  NETSAMPLE_ASSIGN(auto probe, runtime::Runtime::open(data_dir, state->options.store));
  probe.reset();

  const unsigned threads = state->options.threads ? state->options.threads : std::max(2u, std::thread::hardware_concurrency());
  state->slow = std::make_unique<SlowWork>(state->options.slow_threads);
  State* raw = state.get();
  raw->main_listener = {raw, false};
  raw->replay_listener = {raw, true};
  NETSAMPLE_ASSIGN(state->daemon, start_daemon(*raw, listen.first, listen.second, threads, &raw->main_listener, "listen", state->options.listen));
  const MHD_DaemonInfo* info = MHD_get_daemon_info(state->daemon, MHD_DAEMON_INFO_BIND_PORT);
  state->port = info ? info->port : listen.second;
  state->replay.main_port = state->port;
  state->replay.tls = state->tls;
  if (state->options.replay_listen != "off") {
    std::pair<std::string, std::uint16_t> at{listen.first, listen.second == 0 ? 0 : static_cast<std::uint16_t>(state->port + 1)};
    if (!state->options.replay_listen.empty()) {
      auto parsed = parse_listen(state->options.replay_listen);
      if (!parsed.ok()) {
        MHD_stop_daemon(state->daemon);
        return make_error(ErrorCode::invalid_input, "replay-listen", parsed.error().message);
      }
      at = *parsed;
    }
    const std::string shown = at.first + ":" + std::to_string(at.second);
    // Replay needs only its few files and one evidence file per page view: a small pool.
    auto replay = start_daemon(*raw, at.first, at.second, 2, &raw->replay_listener, "replay-listen", shown);
    // The default port taken by something else: any free one will do (the API hands out replay links with the port
    // it has). A port the operator named is used or refused.
    if (!replay.ok() && state->options.replay_listen.empty() && at.second != 0)
      replay = start_daemon(*raw, at.first, 0, 2, &raw->replay_listener, "replay-listen", at.first + ":0");
    if (!replay.ok()) {
      MHD_stop_daemon(state->daemon);
      return replay.error();
    }
    state->replay_daemon = *replay;
    const MHD_DaemonInfo* replay_info = MHD_get_daemon_info(state->replay_daemon, MHD_DAEMON_INFO_BIND_PORT);
    state->replay.port = replay_info ? replay_info->port : at.second;
    state->replay.secret = accounts::random_hex(32);
  }
  if (state->options.background_interval.count() > 0)
    state->background = std::make_unique<BackgroundWork>(data_dir, state->options.store, state->options.background_interval, [raw](const std::string& line) { raw->error_log(line); },
                                                         state->options.tsa, state->options.audit_stamp_interval, state->options.tsa_trust);
  if (!state->options.central.empty()) {
    sync::SyncOptions sync_options;
    sync_options.central = state->options.central;
    sync_options.token = state->options.station_token;
    sync_options.ca_file = state->options.central_ca;
    state->station_sync = std::make_unique<StationSyncWork>(data_dir, state->options.store, std::move(sync_options), state->options.sync_interval,
                                                            [raw](const std::string& line) { raw->error_log(line); });
  }
  return std::unique_ptr<Server>(new Server(std::move(state)));
}

std::uint16_t Server::port() const { return state_->port; }

std::uint16_t Server::replay_port() const { return state_->replay.port; }

std::string Server::base_url() const {
  return std::string(state_->tls ? "https://" : "http://") + state_->host + ":" + std::to_string(state_->port);
}

void Server::stop(std::chrono::milliseconds grace) {
  if (!state_ || !state_->daemon) return;
  state_->background.reset();  // after the round in progress
  state_->station_sync.reset();
  for (MHD_Daemon* daemon : {state_->daemon, state_->replay_daemon}) {  // no new connections from here
    if (!daemon) continue;
    const MHD_socket listener = MHD_quiesce_daemon(daemon);
    if (listener != MHD_INVALID_SOCKET) ::close(listener);
  }
  const auto deadline = Clock::now() + grace;
  state_->jobs.stop_waiting();  // a client waiting for a job gets the job as it is now
  while (state_->metrics.requests_in_flight.load() > 0 && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  // Every suspended connection is answered and resumed before the daemon goes: slow work not begun is refused.
  state_->slow.reset();
  if (state_->replay_daemon) MHD_stop_daemon(state_->replay_daemon);
  state_->replay_daemon = nullptr;
  MHD_stop_daemon(state_->daemon);
  state_->daemon = nullptr;
  state_->access_log->flush();
}

}  // namespace netsample::server
