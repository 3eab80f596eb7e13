#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <algorithm>
#include <set>
#include <thread>

#include "netsample/core/curl_handles.h"
#include "netsample/crawler/crawler.h"

namespace netsample::crawler {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

struct UrlFree {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};
using Url = std::unique_ptr<CURLU, UrlFree>;

std::string url_part(CURLU* url, CURLUPart part) {
  char* text = nullptr;
  if (curl_url_get(url, part, &text, 0) != CURLUE_OK || !text) return "";
  std::string out(text);
  curl_free(text);
  return out;
}

struct ParsedUrl {
  std::string full, origin, path_and_query, host;
};

// An absolute http(s) URL, or `relative` resolved against `base` (a redirect's Location).
Result<ParsedUrl> parse_url(const std::string& text, const std::string& base = "") {
  Url url(curl_url());
  if (!base.empty() && curl_url_set(url.get(), CURLUPART_URL, base.c_str(), 0) != CURLUE_OK)
    return make_error(ErrorCode::invalid_input, "url", "无效的网址：" + base);
  if (curl_url_set(url.get(), CURLUPART_URL, text.c_str(), base.empty() ? 0 : CURLU_ALLOW_SPACE) != CURLUE_OK)
    return make_error(ErrorCode::invalid_input, "url", "无效的网址：" + text);
  const std::string scheme = url_part(url.get(), CURLUPART_SCHEME);
  if (scheme != "http" && scheme != "https")
    return make_error(ErrorCode::invalid_input, "url", "只抓取 http 和 https 网址：" + text);
  ParsedUrl p;
  p.full = url_part(url.get(), CURLUPART_URL);
  p.host = url_part(url.get(), CURLUPART_HOST);
  const std::string port = url_part(url.get(), CURLUPART_PORT);
  p.origin = scheme + "://" + p.host + (port.empty() ? "" : ":" + port);
  const std::string query = url_part(url.get(), CURLUPART_QUERY);
  p.path_and_query = url_part(url.get(), CURLUPART_PATH) + (query.empty() ? "" : "?" + query);
  return p;
}

enum class Robots { allowed, disallowed, address_refused };

// One exchange as it went over the wire.
struct Exchange {
  CURL* handle = nullptr;     // for the TLS session while the connection is open
  std::string request_head;   // as sent (libcurl's HEADER_OUT)
  std::string response_head;  // status line and headers as received, ending with the empty line
  std::string body;           // as received: still chunked, still compressed
  bool over_limit = false;
  std::uint64_t limit = 0;
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string ip, tls_protocol, tls_cipher;
  std::vector<std::string> certificates_pem;
  bool tls_reused = false;  // the connection's handshake was an earlier exchange's: its TLS facts are repeated
  json timings_ms = json::object();
  std::string host;         // the URL's host, for refuse_address
  const std::function<std::string(const std::string&, const std::string&)>* refuse_address = nullptr;
  std::string refused;      // why an address was refused (no connection was opened to it)
};

// Whether the exchange failed because every address was refused (libcurl saw only sockets it could not open).
bool address_refused(const Exchange& e) { return !e.refused.empty() && e.code == CURLE_COULDNT_CONNECT; }

// Why an exchange has no complete answer, in words.
std::string failure_text(const Exchange& e) { return address_refused(e) ? e.refused : std::string(curl_easy_strerror(e.code)); }

// The address a socket is opened for, as text ("" for a family that is not IP).
std::string ip_of(const curl_sockaddr& address) {
  char text[INET6_ADDRSTRLEN] = "";
  if (address.family == AF_INET) inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&address.addr)->sin_addr, text, sizeof text);
  if (address.family == AF_INET6) inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&address.addr)->sin6_addr, text, sizeof text);
  return text;
}

// Before a connection is opened: the address it would reach may be refused (a service that fetches for its
// users reaches no address of its own network). Asked here, not once connected, so that not even a TCP
// handshake or a TLS ClientHello (with its SNI) goes to a refused address.
curl_socket_t on_open_socket(void* user, curlsocktype, curl_sockaddr* address) {
  auto* e = static_cast<Exchange*>(user);
  if (e->refuse_address && *e->refuse_address) {
    if (std::string why = (*e->refuse_address)(e->host, ip_of(*address)); !why.empty()) {
      e->refused = std::move(why);
      return CURL_SOCKET_BAD;  // libcurl tries the host's next address, or ends with COULDNT_CONNECT
    }
  }
  return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* e = static_cast<Exchange*>(user);
  const std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) e->response_head.clear();  // an interim 1xx answer is followed by the real one
  e->response_head.append(line);
  // The TLS session is asked for while the connection is open (after the transfer libcurl may have let it go).
  curl_tlssessioninfo* tls = nullptr;
  if (e->tls_protocol.empty() && e->handle && curl_easy_getinfo(e->handle, CURLINFO_TLS_SSL_PTR, &tls) == CURLE_OK && tls &&
      tls->backend == CURLSSLBACKEND_OPENSSL && tls->internals) {
    SSL* ssl = static_cast<SSL*>(tls->internals);
    e->tls_protocol = SSL_get_version(ssl);
    if (const char* cipher = SSL_get_cipher_name(ssl)) e->tls_cipher = cipher;
  }
  return size * count;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* e = static_cast<Exchange*>(user);
  const size_t n = size * count;
  if (e->body.size() + n > e->limit) {
    e->body.append(data, e->limit - e->body.size());
    e->over_limit = true;
    return 0;  // ends the transfer: what came so far is kept, marked truncated
  }
  e->body.append(data, n);
  return n;
}

int on_debug(CURL*, curl_infotype type, char* data, size_t size, void* user) {
  if (type == CURLINFO_HEADER_OUT) static_cast<Exchange*>(user)->request_head.append(data, size);
  return 0;
}

// A header of a response head as received; "" when absent.
std::string header_value(const std::string& head, const std::string& name) { return warc::http_header(head, name).value_or(""); }

warc::Record make_record(const char* type, const std::string& uri, const char* content_type, std::string block, UtcTime at,
                         const std::string& ip) {
  warc::Record r;
  r.type = type;
  r.target_uri = uri;
  r.content_type = content_type;
  r.block = std::move(block);
  r.date = at;
  r.ip_address = ip;
  return r;
}

}  // namespace

struct CaptureSession::Impl {
  warc::Writer writer;
  CaptureOptions options;
  curl::Easy easy{curl_easy_init()};
  std::map<std::string, std::optional<std::string>> robots;  // origin → the file (nullopt: all disallowed)
  std::map<std::string, std::string> robots_problem;         // origin → why all is disallowed
  std::set<std::string> refused_origins;                     // origins whose robots.txt fetch refuse_address refused
  std::map<std::string, std::chrono::steady_clock::time_point> last_request;
  // origin → the TLS facts of its last handshake: an exchange on a reused connection has no handshake of its own
  // (libcurl reports no certificates then), and each exchange's metadata must still say what it went over.
  std::map<std::string, std::tuple<std::string, std::string, std::vector<std::string>>> tls_by_origin;

  Impl(warc::Writer w, CaptureOptions o) : writer(std::move(w)), options(std::move(o)) {
    // One handle for the session: its cookie engine keeps the cookies of this capture session, and only of it.
    // What every request of the session shares is set here once; fetch_once sets only the request's own.
    CURL* h = easy.get();
    if (!h) return;
    curl_easy_setopt(h, CURLOPT_COOKIEFILE, "");
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));  // messages a WARC reader knows
    curl_easy_setopt(h, CURLOPT_HTTP_TRANSFER_DECODING, 0L);  // the body as received: chunks stay
    curl_easy_setopt(h, CURLOPT_HTTP_CONTENT_DECODING, 0L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);  // each hop is ours to record
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_USERAGENT, options.user_agent.c_str());
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options.total_timeout.count()));
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug);
    curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);  // only through on_debug: nothing is printed
    curl_easy_setopt(h, CURLOPT_CERTINFO, 1L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
    if (options.ca_file) curl_easy_setopt(h, CURLOPT_CAINFO, options.ca_file->c_str());
    if (options.refuse_address) {
      // A proxy from the environment (http_proxy, ALL_PROXY) would be the only address libcurl connects to,
      // hiding the real one from refuse_address.
      curl_easy_setopt(h, CURLOPT_PROXY, "");
      curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    }
  }

  Exchange fetch_once(const ParsedUrl& url) {
    // Spacing per host: a platform is visited as a careful person would, not hammered.
    auto& last = last_request[url.origin];
    const auto next = last + options.per_host_interval;
    if (std::chrono::steady_clock::now() < next) std::this_thread::sleep_until(next);
    last = std::chrono::steady_clock::now();

    Exchange e;
    e.limit = options.max_bytes;
    CURL* h = easy.get();
    e.handle = h;
    curl_easy_setopt(h, CURLOPT_URL, url.full.c_str());
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &e);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &e);
    curl_easy_setopt(h, CURLOPT_DEBUGDATA, &e);
    e.host = url.host.starts_with('[') ? url.host.substr(1, url.host.size() - 2) : url.host;  // [::1] → ::1
    e.refuse_address = &options.refuse_address;
    curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &e);
    e.code = curl_easy_perform(h);

    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &e.status);
    if (char* ip = nullptr; curl_easy_getinfo(h, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip) e.ip = ip;
    curl_certinfo* certs = nullptr;
    if (curl_easy_getinfo(h, CURLINFO_CERTINFO, &certs) == CURLE_OK && certs)
      for (int i = 0; i < certs->num_of_certs; ++i)
        for (curl_slist* s = certs->certinfo[i]; s; s = s->next)
          if (std::string_view(s->data).starts_with("Cert:")) e.certificates_pem.push_back(s->data + 5);
    if (!e.certificates_pem.empty()) {
      tls_by_origin[url.origin] = {e.tls_protocol, e.tls_cipher, e.certificates_pem};
    } else if (e.code == CURLE_OK && url.full.starts_with("https:") && tls_by_origin.count(url.origin)) {
      const auto& [protocol, cipher, chain] = tls_by_origin[url.origin];
      if (e.tls_protocol.empty()) e.tls_protocol = protocol, e.tls_cipher = cipher;
      e.certificates_pem = chain;
      e.tls_reused = true;
    }
    const std::pair<const char*, CURLINFO> timings[] = {{"dns", CURLINFO_NAMELOOKUP_TIME_T}, {"connect", CURLINFO_CONNECT_TIME_T},
                                                        {"tls", CURLINFO_APPCONNECT_TIME_T}, {"first_byte", CURLINFO_STARTTRANSFER_TIME_T},
                                                        {"total", CURLINFO_TOTAL_TIME_T}};
    for (const auto& [name, info] : timings) {
      curl_off_t us = 0;
      if (curl_easy_getinfo(h, info, &us) == CURLE_OK) e.timings_ms[name] = static_cast<double>(us) / 1000.0;
    }
    return e;
  }

  Result<warc::WrittenRecord> write(const warc::Record& record, std::vector<warc::WrittenRecord>& out) {
    NETSAMPLE_ASSIGN(warc::WrittenRecord written, writer.write(record));
    out.push_back(written);
    if (options.on_record) NETSAMPLE_TRY(options.on_record(written));
    return written;
  }

  // Writes the exchange (response, request, metadata); returns the response's (or the request's) record id.
  Result<std::string> record(const ParsedUrl& url, const Exchange& e, const json& context, std::vector<warc::WrittenRecord>& out,
                             std::optional<std::string>& truncated) {
    const UtcTime now = SystemClock().now();
    truncated.reset();
    if (e.over_limit) truncated = "length";
    else if (e.code == CURLE_OPERATION_TIMEDOUT && !e.response_head.empty()) truncated = "time";
    else if (e.code != CURLE_OK && !e.response_head.empty()) truncated = "disconnect";
    std::string response_id;
    if (!e.response_head.empty()) {
      warc::Record response = make_record("response", url.full, "application/http;msgtype=response", e.response_head + e.body, now, e.ip);
      response.truncated = truncated;
      NETSAMPLE_ASSIGN(warc::WrittenRecord written, write(response, out));
      response_id = written.id;
    }
    if (!e.request_head.empty()) {
      warc::Record request = make_record("request", url.full, "application/http;msgtype=request", e.request_head, now, e.ip);
      if (!response_id.empty()) request.concurrent_to = response_id;
      NETSAMPLE_ASSIGN(warc::WrittenRecord written, write(request, out));
      if (response_id.empty()) response_id = written.id;
    }
    json meta = context;
    meta["ip"] = e.ip;
    meta["timings_ms"] = e.timings_ms;
    if (!e.tls_protocol.empty() || !e.certificates_pem.empty())
      meta["tls"] = {{"protocol", e.tls_protocol}, {"cipher", e.tls_cipher}, {"certificate_chain_pem", e.certificates_pem},
                     {"connection_reused", e.tls_reused}};
    if (e.code != CURLE_OK && !e.over_limit) meta["error"] = failure_text(e);
    if (e.over_limit) meta["error"] = "响应超过 " + std::to_string(options.max_bytes) + " 字节的上限，只保存了前面部分";
    if (!options.honour_robots) meta["robots"] = {{"honoured", false}, {"reason", options.robots_override_reason}};
    if (options.time_check)
      meta["trusted_time"] = {{"utc", warc::format_warc_date(now + std::chrono::microseconds(options.time_check->offset_us))},
                              {"server", options.time_check->server}, {"offset_us", options.time_check->offset_us},
                              {"delay_us", options.time_check->delay_us}, {"stratum", options.time_check->stratum}};
    warc::Record metadata = make_record("metadata", url.full, "application/json", meta.dump(2), now, "");
    if (!response_id.empty()) metadata.concurrent_to = response_id;
    NETSAMPLE_ASSIGN(warc::WrittenRecord written, write(metadata, out));
    if (response_id.empty()) response_id = written.id;
    return response_id;
  }

  // The exchange with retries: a refused connection, a 429 or a 5xx is tried again after a pause.
  Result<std::pair<Exchange, std::string>> fetch(const ParsedUrl& url, json context, std::vector<warc::WrittenRecord>& out,
                                                 std::optional<std::string>& truncated) {
    std::chrono::milliseconds pause = options.backoff;
    for (int attempt = 1;; ++attempt) {
      Exchange e = fetch_once(url);
      context["attempt"] = attempt;
      NETSAMPLE_ASSIGN(std::string id, record(url, e, context, out, truncated));
      const bool transient = ((e.code == CURLE_COULDNT_CONNECT && !address_refused(e)) || e.code == CURLE_RECV_ERROR || e.code == CURLE_SEND_ERROR ||
                              (e.code == CURLE_OPERATION_TIMEDOUT && e.response_head.empty())) ||
                             (e.code == CURLE_OK && (e.status == 429 || e.status >= 500));
      if (!transient || attempt >= options.attempts) return std::pair{std::move(e), id};
      std::chrono::milliseconds wait = pause;
      if (const std::string retry_after = header_value(e.response_head, "Retry-After"); !retry_after.empty() &&
          std::all_of(retry_after.begin(), retry_after.end(), [](char c) { return c >= '0' && c <= '9'; }))
        wait = std::min<std::chrono::milliseconds>(std::chrono::seconds(std::stol(retry_after.substr(0, 6))), std::chrono::seconds(30));
      std::this_thread::sleep_for(wait);
      pause *= 2;
    }
  }

  // RFC 9309: the origin's robots.txt, fetched once and kept in the WARC, redirects followed up to five hops (its
  // 2.3.1.2). 4xx: no rules; unreachable, 5xx or more redirects: all disallowed (the RFC's "complete disallow").
  // An address refused by refuse_address is said as that refusal: robots.txt had no say.
  Result<Robots> robots_allow(const ParsedUrl& url, std::vector<warc::WrittenRecord>& out, std::string& why) {
    auto it = robots.find(url.origin);
    if (it == robots.end()) {
      NETSAMPLE_ASSIGN(ParsedUrl robots_url, parse_url(url.origin + "/robots.txt"));
      std::optional<std::string> file;
      json context = {{"purpose", "robots.txt"}};
      for (int hop = 0;; ++hop) {
        std::optional<std::string> truncated;
        NETSAMPLE_ASSIGN(auto fetched, fetch(robots_url, context, out, truncated));
        const Exchange& e = fetched.first;
        const std::string location = e.code == CURLE_OK ? header_value(e.response_head, "Location") : "";
        if (e.code == CURLE_OK && e.status >= 300 && e.status < 400 && !location.empty()) {
          auto next = parse_url(location, robots_url.full);
          if (hop + 1 > 5 || !next.ok()) {
            robots_problem[url.origin] = !next.ok() ? "重定向到无效的网址 " + location : "重定向超过 5 次";
            break;
          }
          context["redirected_from"] = robots_url.full;
          robots_url = std::move(next).value();
          continue;
        }
        if (e.code == CURLE_OK && e.status >= 200 && e.status < 300) file = warc::http_payload(e.response_head + e.body).value_or("");
        else if (e.code == CURLE_OK && e.status >= 400 && e.status < 500) file = "";
        else robots_problem[url.origin] = e.code != CURLE_OK ? failure_text(e) : "HTTP " + std::to_string(e.status);
        if (address_refused(e)) refused_origins.insert(url.origin);
        break;
      }
      it = robots.emplace(url.origin, file).first;
    }
    if (refused_origins.count(url.origin)) {
      why = robots_problem[url.origin];
      return Robots::address_refused;
    }
    if (!it->second) {
      why = "robots.txt 无法取得（" + robots_problem[url.origin] + "），按 RFC 9309 视为全部禁止";
      return Robots::disallowed;
    }
    if (robots_allows(*it->second, options.user_agent, url.path_and_query)) return Robots::allowed;
    why = "robots.txt 不允许抓取 " + url.path_and_query;
    return Robots::disallowed;
  }
};

Status check_url(const std::string& url) { return status_of(parse_url(url)); }

json Capture::to_json() const {
  json hop_list = json::array();
  for (const auto& h : hops) {
    json item = {{"url", h.url}, {"status", h.status}, {"ip", h.ip}, {"record", h.response_id}};
    if (!h.error.empty()) item["error"] = h.error;
    if (h.truncated) item["truncated"] = *h.truncated;
    hop_list.push_back(item);
  }
  json out = {{"url", url}, {"final_url", final_url}, {"status", status}, {"content_type", content_type}, {"hops", hop_list},
              {"bytes", body.size()}, {"refused_by_robots", refused_by_robots}};
  if (refused_address) out["refused_address"] = true;
  if (!error.empty()) out["error"] = error;
  return out;
}

CaptureSession::CaptureSession(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CaptureSession::~CaptureSession() = default;

const fs::path& CaptureSession::file() const { return impl_->writer.file(); }

Result<std::unique_ptr<CaptureSession>> CaptureSession::open(const fs::path& warc_file, CaptureOptions options,
                                                             std::vector<std::pair<std::string, std::string>> info) {
  if (!options.honour_robots && options.robots_override_reason.empty())
    return make_error(ErrorCode::missing_field, "robots_override_reason", "不遵守 robots.txt 时须写明理由（每次抓取都会记录）");
  info.insert(info.begin(), {{"software", "netsample"}, {"format", "WARC File Format 1.1"}, {"http-header-user-agent", options.user_agent},
                             {"robots", options.honour_robots ? "obey" : "ignore: " + options.robots_override_reason}});
  if (options.time_check)
    info.push_back({"time-check", "SNTP " + options.time_check->server + " offset " + std::to_string(options.time_check->offset_us) + " us, delay " +
                                      std::to_string(options.time_check->delay_us) + " us, stratum " + std::to_string(options.time_check->stratum) +
                                      ", at " + warc::format_warc_date(options.time_check->trusted_receive())});
  NETSAMPLE_ASSIGN(warc::Writer writer, warc::Writer::create(warc_file, info, SystemClock().now()));
  auto impl = std::make_unique<Impl>(std::move(writer), std::move(options));
  if (!impl->easy) return make_error(ErrorCode::internal, "curl", "libcurl 初始化失败");
  std::unique_ptr<CaptureSession> session(new CaptureSession(std::move(impl)));
  const warc::WrittenRecord& warcinfo = session->impl_->writer.warcinfo();
  session->records_.push_back(warcinfo);
  if (session->impl_->options.on_record) NETSAMPLE_TRY(session->impl_->options.on_record(warcinfo));
  return session;
}

Result<Capture> CaptureSession::capture(const std::string& url) {
  Capture c;
  c.url = url;
  NETSAMPLE_ASSIGN(ParsedUrl current, parse_url(url));
  std::set<std::string> seen;
  std::string previous;
  for (int hop = 0;; ++hop) {
    if (!seen.insert(current.full).second) {
      c.error = "重定向循环：再次回到 " + current.full;
      return c;
    }
    if (impl_->options.honour_robots) {
      std::string why;
      NETSAMPLE_ASSIGN(Robots verdict, impl_->robots_allow(current, records_, why));
      if (verdict != Robots::allowed) {
        c.refused_by_robots = verdict == Robots::disallowed;
        c.refused_address = verdict == Robots::address_refused;
        c.error = why;
        c.final_url = current.full;
        return c;
      }
    }
    json context = {{"purpose", "page"}, {"hop", hop}};
    if (!previous.empty()) context["redirected_from"] = previous;
    std::optional<std::string> truncated;
    NETSAMPLE_ASSIGN(auto fetched, impl_->fetch(current, context, records_, truncated));
    const Exchange& e = fetched.first;
    Hop h{current.full, e.status, e.ip, "", truncated, fetched.second};
    if (e.code != CURLE_OK && !e.over_limit) h.error = failure_text(e);
    if (e.over_limit) h.error = "响应超过 " + std::to_string(impl_->options.max_bytes) + " 字节，只保存了前面部分";
    c.hops.push_back(h);
    c.final_url = current.full;
    c.status = e.status;
    if (address_refused(e)) {
      c.refused_address = true;
      c.error = h.error;
      return c;
    }
    if (e.response_head.empty()) {
      c.error = "没有收到应答：" + h.error;
      return c;
    }
    const std::string location = header_value(e.response_head, "Location");
    if (e.status >= 300 && e.status < 400 && !location.empty()) {
      if (hop + 1 > impl_->options.max_redirects) {
        c.error = "重定向超过 " + std::to_string(impl_->options.max_redirects) + " 次";
        return c;
      }
      auto next = parse_url(location, current.full);
      if (!next.ok()) {
        c.error = "重定向到无效的网址：" + location;
        return c;
      }
      previous = current.full;
      current = std::move(next).value();
      continue;
    }
    c.content_type = header_value(e.response_head, "Content-Type");
    c.content_encoding = header_value(e.response_head, "Content-Encoding");
    c.body = warc::http_payload(e.response_head + e.body).value_or(e.body);
    if (!h.error.empty()) c.error = h.error;
    return c;
  }
}

Result<warc::WrittenRecord> CaptureSession::annotate(const std::string& refers_to, const std::string& target_uri, const json& content) {
  warc::Record record = make_record("metadata", target_uri, "application/json", content.dump(2), SystemClock().now(), "");
  record.extra_headers.push_back({"WARC-Refers-To", refers_to});
  return impl_->write(record, records_);
}

Status CaptureSession::close() { return impl_->writer.close(); }

}  // namespace netsample::crawler
