#include <openssl/evp.h>

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "http_message.h"
#include "netsample/webcapture/webcapture.h"

namespace netsample::webcapture {
namespace {

using nlohmann::json;

// One response as it travels: what Fetch held (request, status, headers, body) and what Network added.
struct Exchange {
  std::string session, url, method, resource_type, frame_id;
  HeaderList request_headers;
  std::string post_data;
  int status = 0;
  std::string status_text;
  HeaderList response_headers;
  std::string body;
  std::optional<std::string> truncated;  // WARC-Truncated
  std::string problem;
  Stamp arrived;
  json network = json::object();  // address, protocol, TLS: Network.responseReceived or a redirect's response
  bool from_fetch = false;
};

// Targets whose traffic is captured, and targets whose children are attached in turn.
bool has_traffic(const std::string& type) {
  return type == "page" || type == "iframe" || type == "worker" || type == "shared_worker" || type == "service_worker";
}
bool has_children(const std::string& type) { return type == "tab" || type == "page" || type == "iframe"; }

bool captured_scheme(const std::string& url) { return url.starts_with("http://") || url.starts_with("https://"); }

std::string header(const HeaderList& headers, const std::string& name) {
  for (const auto& [n, v] : headers)
    if (n.size() == name.size() && std::equal(n.begin(), n.end(), name.begin(), [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
      return v;
  return "";
}

std::string origin_of(const std::string& url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  return url.substr(0, url.find('/', scheme + 3));
}

std::string pem_of(const std::string& der) {
  std::string b64(4 * ((der.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), reinterpret_cast<const unsigned char*>(der.data()), static_cast<int>(der.size()));
  b64.resize(static_cast<size_t>(n));
  std::string pem = "-----BEGIN CERTIFICATE-----\n";
  for (size_t i = 0; i < b64.size(); i += 64) pem += b64.substr(i, 64) + "\n";
  return pem + "-----END CERTIFICATE-----\n";
}

}  // namespace

json CaptureStats::to_json() const {
  return {{"exchanges", exchanges}, {"navigations", navigations}, {"records", records}, {"bytes", bytes}, {"truncated", truncated}, {"problems", problems}};
}

struct BrowserCapture::State {
  browser::Chromium* chromium = nullptr;
  CaptureOptions options;
  std::optional<warc::Writer> writer;

  std::mutex queue_mutex;
  std::condition_variable queue_cv;
  std::deque<json> events;
  bool stopping = false;  // under queue_mutex
  bool attached_all = false;  // under queue_mutex: the targets there were at start are captured
  std::condition_variable attached_cv;
  std::thread worker;

  // The worker's own.
  std::map<std::string, std::deque<Exchange>> open;  // Network requestId → hops not yet written
  std::map<std::string, HeaderList> sent_headers;    // requestId → the headers actually sent (cookies included)
  std::map<std::string, json> requests;              // requestId → the request, as Network saw it
  std::map<std::string, std::vector<std::string>> certificates;  // origin → PEM chain
  std::set<std::string> sessions;                    // sessions whose traffic is captured
  std::map<std::string, std::string> session_type;   // session → target type

  mutable std::mutex stats_mutex;
  CaptureStats stats;
  Status failed;  // a record that could not be written or chained: the capture stops there

  void push(const json& event) {
    {
      std::lock_guard lock(queue_mutex);
      if (stopping) return;
      events.push_back(event);
    }
    queue_cv.notify_one();
  }

  void problem(const std::string& text) {
    std::lock_guard lock(stats_mutex);
    if (stats.problems.size() < 200) stats.problems.push_back(text);
  }

  // A held response waits for us: a command that does not come back in 10 s is given up (the capture goes on).
  Result<json> call(const std::string& session, const std::string& method, const json& params = json::object()) {
    return chromium->call(method, params, session, std::chrono::seconds(10));
  }

  // Writes records, makes them durable, then chains each (the order the journal requires: on disk first).
  Status write(std::vector<warc::Record> records, const Stamp& stamp) {
    if (!failed.ok()) return failed;
    std::vector<warc::WrittenRecord> written;
    std::string first_id;
    for (auto& record : records) {
      if (!first_id.empty() && record.type != "warcinfo") record.concurrent_to = first_id;
      auto w = writer->write(record);
      if (!w.ok()) return failed = w.error();
      if (first_id.empty() && record.type == "response") first_id = w->id;
      written.push_back(*w);
    }
    if (Status synced = writer->sync(); !synced.ok()) return failed = synced;
    for (const auto& w : written) {
      if (Status chained = options.journal(w, stamp); !chained.ok()) return failed = chained;
      std::lock_guard lock(stats_mutex);
      ++stats.records;
      stats.bytes += w.length;
    }
    return {};
  }

  warc::Record record(const char* type, const std::string& uri, const char* content_type, std::string block, const Stamp& stamp) {
    warc::Record r;
    r.type = type;
    r.target_uri = uri;
    r.content_type = content_type;
    r.block = std::move(block);
    r.date = from_utc_us(stamp.utc_us);
    return r;
  }

  std::vector<std::string> certificate_chain(const std::string& session, const std::string& url) {
    const std::string origin = origin_of(url);
    if (auto known = certificates.find(origin); known != certificates.end()) return known->second;
    std::vector<std::string> chain;
    if (auto answer = call(session, "Network.getCertificate", {{"origin", origin}}); answer.ok())
      for (const auto& der : answer->value("tableNames", json::array()))
        if (auto bytes = browser::decode_base64(der.get<std::string>())) chain.push_back(pem_of(*bytes));
    return certificates[origin] = chain;
  }

  void write_exchange(Exchange& e) {
    HeaderList removed;
    warc::Record response = record("response", e.url, "application/http;msgtype=response",
                                   response_message(e.status, e.status_text, e.response_headers, e.body, removed), e.arrived);
    response.ip_address = e.network.value("remoteIPAddress", "");
    response.truncated = e.truncated;
    warc::Record request = record("request", e.url, "application/http;msgtype=request", request_message(e.method, e.url, e.request_headers, e.post_data),
                                  e.arrived);
    request.ip_address = response.ip_address;
    json meta = {{"frame", e.arrived.frame},
                 {"trusted_time", warc::format_warc_date(from_utc_us(e.arrived.utc_us))},
                 {"time_verified", e.arrived.time_verified},
                 {"resource_type", e.resource_type},
                 {"tab", e.session},
                 {"frame_id", e.frame_id},
                 {"captured_by", e.from_fetch ? "Fetch（响应阶段拦截）" : "Network（未经拦截：缓存或 Service Worker）"}};
    for (const char* key : {"remoteIPAddress", "remotePort", "protocol", "securityState", "fromDiskCache", "fromServiceWorker", "fromPrefetchCache"})
      if (e.network.contains(key)) meta[key] = e.network[key];
    if (e.network.contains("securityDetails")) {
      meta["tls"] = e.network["securityDetails"];
      meta["tls"]["certificate_chain_pem"] = certificate_chain(e.session, e.url);
    }
    if (!removed.empty()) {
      json list = json::array();
      for (const auto& [n, v] : removed) list.push_back({{"name", n}, {"value", v}});
      meta["headers_not_stored"] = {{"headers", list}, {"why", "浏览器交给页面的是解码后的正文，故按解码后的正文保存，原响应头的编码与长度记在这里"}};
    }
    if (e.truncated) meta["truncated"] = *e.truncated;
    if (!e.problem.empty()) meta["problem"] = e.problem;
    warc::Record metadata = record("metadata", e.url, "application/json", meta.dump(2), e.arrived);
    if (!write({std::move(response), std::move(request), std::move(metadata)}, e.arrived).ok()) return;
    std::lock_guard lock(stats_mutex);
    ++stats.exchanges;
    if (e.truncated) ++stats.truncated;
  }

  // --- events ---

  void attached(const json& params) {
    const std::string session = params.value("sessionId", "");
    const std::string type = params["targetInfo"].value("type", "");
    session_type[session] = type;
    if (has_traffic(type)) {
      sessions.insert(session);
      (void)call(session, "Network.enable", {{"maxPostDataSize", 1 << 20}});
      (void)call(session, "Fetch.enable", {{"patterns", json::array({{{"urlPattern", "*"}, {"requestStage", "Response"}}})}});
      if (type == "page") (void)call(session, "Page.enable");
    }
    if (has_children(type)) (void)call(session, "Target.setAutoAttach", {{"autoAttach", true}, {"waitForDebuggerOnStart", true}, {"flatten", true}});
    if (params.value("waitingForDebugger", false)) (void)call(session, "Runtime.runIfWaitingForDebugger");
  }

  void paused(const std::string& session, const json& p) {
    const std::string id = p.value("requestId", "");
    const json& request = p["request"];
    Exchange e;
    e.from_fetch = true;
    e.session = session;
    e.url = request.value("url", "");
    e.method = request.value("method", "GET");
    const std::string network_id = p.value("networkId", id);
    // The headers actually sent (cookies included) when Network reported them; else those the page asked for.
    e.request_headers = sent_headers.count(network_id) ? sent_headers[network_id] : header_list(request.value("headers", json::object()));
    e.post_data = request.value("postData", "");
    e.resource_type = p.value("resourceType", "");
    e.frame_id = p.value("frameId", "");
    e.arrived = options.now();
    if (p.contains("responseErrorReason") || !captured_scheme(e.url)) {
      (void)call(session, "Fetch.continueRequest", {{"requestId", id}});
      return;  // no response to keep: Network's loadingFailed names it
    }
    e.status = p.value("responseStatusCode", 0);
    e.status_text = p.value("responseStatusText", "");
    e.response_headers = header_list(p.value("responseHeaders", json::array()));
    const std::string length = header(e.response_headers, "content-length");
    const bool redirect = e.status >= 300 && e.status < 400 && !header(e.response_headers, "location").empty();
    const bool stream = header(e.response_headers, "content-type").starts_with("text/event-stream") ||
                        (e.resource_type == "Media" && length.empty());
    if (!length.empty() && std::strtoull(length.c_str(), nullptr, 10) > options.max_body_bytes) {
      e.truncated = "length";
      e.problem = "正文 " + length + " 字节，超过 " + std::to_string(options.max_body_bytes) + " 字节的上限，只保存了响应头";
    } else if (stream) {
      e.truncated = "unspecified";
      e.problem = "持续传输的响应（流），只保存了响应头";
    } else if (!redirect) {
      auto body = call(session, "Fetch.getResponseBody", {{"requestId", id}});
      if (body.ok()) {
        const std::string text = body->value("body", "");
        auto bytes = body->value("base64Encoded", false) ? browser::decode_base64(text) : std::optional<std::string>(text);
        if (bytes) e.body = std::move(*bytes);
      } else if (e.status != 204 && e.status != 304) {
        e.truncated = "unspecified";
        e.problem = "浏览器没有给出正文：" + body.error().message;
      }
    }
    (void)call(session, "Fetch.continueRequest", {{"requestId", id}});
    open[network_id].push_back(std::move(e));
  }

  // The next hop of `id` without Network's facts gets them.
  void add_network_facts(const std::string& id, const json& response) {
    auto hops = open.find(id);
    if (hops == open.end()) return;
    for (Exchange& e : hops->second)
      if (e.network.empty()) {
        e.network = response;
        e.network.erase("headers");
        e.network.erase("requestHeaders");
        return;
      }
  }

  void finish_hops(const std::string& id, size_t keep, const std::string& failure) {
    auto hops = open.find(id);
    if (hops == open.end()) return;
    while (hops->second.size() > keep) {
      Exchange e = std::move(hops->second.front());
      hops->second.pop_front();
      if (!failure.empty() && e.problem.empty()) e.problem = failure;
      write_exchange(e);
    }
    if (hops->second.empty()) open.erase(hops);
  }

  void request_sent(const std::string& session, const json& p) {
    const std::string id = p.value("requestId", "");
    if (p.contains("redirectResponse")) {
      add_network_facts(id, p["redirectResponse"]);
      finish_hops(id, 0, "");  // the hop that redirected is complete
    }
    requests[id] = p["request"];
    requests[id]["session"] = session;
    requests[id]["resource_type"] = p.value("type", "");
    requests[id]["frame_id"] = p.value("frameId", "");
  }

  void response_received(const std::string& session, const json& p) {
    const std::string id = p.value("requestId", "");
    const json& response = p["response"];
    if (open.count(id)) return add_network_facts(id, response);
    // Not held by Fetch (the cache, a service worker): kept from what Network reports, its body asked at the end.
    const std::string url = response.value("url", "");
    if (!captured_scheme(url)) return;
    Exchange e;
    e.session = session;
    e.url = url;
    const json request = requests.count(id) ? requests[id] : json::object();
    e.method = request.value("method", "GET");
    e.request_headers = sent_headers.count(id) ? sent_headers[id] : header_list(request.value("headers", json::object()));
    e.post_data = request.value("postData", "");
    e.resource_type = p.value("type", "");
    e.frame_id = p.value("frameId", "");
    e.status = response.value("status", 0);
    e.status_text = response.value("statusText", "");
    e.response_headers = header_list(response.value("headers", json::object()));
    e.arrived = options.now();
    e.network = response;
    e.network.erase("headers");
    e.network.erase("requestHeaders");
    open[id].push_back(std::move(e));
  }

  void loading_ended(const std::string& session, const json& p, bool failed_load) {
    const std::string id = p.value("requestId", "");
    auto hops = open.find(id);
    if (hops != open.end() && !hops->second.empty() && !hops->second.back().from_fetch && !failed_load) {
      Exchange& e = hops->second.back();
      auto body = call(session, "Network.getResponseBody", {{"requestId", id}});
      if (body.ok()) {
        const std::string text = body->value("body", "");
        auto bytes = body->value("base64Encoded", false) ? browser::decode_base64(text) : std::optional<std::string>(text);
        if (bytes) e.body = std::move(*bytes);
      } else {
        e.truncated = "unspecified";
        e.problem = "浏览器没有给出正文：" + body.error().message;
      }
    }
    std::string failure;
    if (failed_load) failure = "加载失败：" + p.value("errorText", "") + (p.value("canceled", false) ? "（已取消）" : "");
    finish_hops(id, 0, failure);
    requests.erase(id);
    sent_headers.erase(id);
  }

  void navigated(const std::string& session, const json& p) {
    const json& frame = p["frame"];
    if (frame.contains("parentId")) return;  // a frame inside the page, not the page on screen
    const std::string url = frame.value("url", "");
    const Stamp stamp = options.now();
    json meta = {{"event", "navigation"},
                 {"frame", stamp.frame},
                 {"trusted_time", warc::format_warc_date(from_utc_us(stamp.utc_us))},
                 {"time_verified", stamp.time_verified},
                 {"tab", session},
                 {"url", url},
                 {"note", "自此帧起，该标签页显示此页面"}};
    if (!write({record("metadata", url, "application/json", meta.dump(2), stamp)}, stamp).ok()) return;
    std::lock_guard lock(stats_mutex);
    ++stats.navigations;
  }

  void handle(const json& event) {
    const std::string method = event.value("method", "");
    if (method == "netsample.attached_all") {  // queued after the attach events of the targets there were at start
      std::lock_guard lock(queue_mutex);
      attached_all = true;
      attached_cv.notify_all();
      return;
    }
    const std::string session = event.value("sessionId", "");
    const json params = event.value("params", json::object());
    if (method == "Target.attachedToTarget") return attached(params);
    if (method == "Target.detachedFromTarget") {
      sessions.erase(params.value("sessionId", ""));
      return;
    }
    if (!sessions.count(session)) return;
    if (method == "Fetch.requestPaused") return paused(session, params);
    if (method == "Network.requestWillBeSent") return request_sent(session, params);
    if (method == "Network.requestWillBeSentExtraInfo") {
      sent_headers[params.value("requestId", "")] = header_list(params.value("headers", json::object()));
      return;
    }
    if (method == "Network.responseReceived") return response_received(session, params);
    if (method == "Network.loadingFinished") return loading_ended(session, params, false);
    if (method == "Network.loadingFailed") return loading_ended(session, params, true);
    if (method == "Page.frameNavigated") return navigated(session, params);
  }

  void run() {
    for (;;) {
      json event;
      {
        std::unique_lock lock(queue_mutex);
        queue_cv.wait(lock, [&] { return stopping || !events.empty(); });
        if (events.empty()) return;
        event = std::move(events.front());
        events.pop_front();
      }
      handle(event);
    }
  }
};

BrowserCapture::BrowserCapture(std::unique_ptr<State> state) : state_(std::move(state)) {}

BrowserCapture::~BrowserCapture() {
  if (state_->writer) (void)finish();
}

Result<std::unique_ptr<BrowserCapture>> BrowserCapture::start(browser::Chromium& chromium, CaptureOptions options) {
  if (!options.now || !options.journal) return make_error(ErrorCode::internal, "capture", "网页取证需要录像的帧位置和哈希链");
  auto s = std::make_unique<State>();
  s->chromium = &chromium;
  s->options = std::move(options);
  auto info = s->options.warcinfo;
  info.insert(info.begin(), {{"software", "netsample (Chromium over the DevTools protocol)"}, {"browser", chromium.product()},
                             {"format", "WARC File Format 1.1"}});
  const Stamp stamp = s->options.now();
  NETSAMPLE_ASSIGN(warc::Writer writer, warc::Writer::create(s->options.warc_file, info, from_utc_us(stamp.utc_us)));
  s->writer.emplace(std::move(writer));
  NETSAMPLE_TRY(s->writer->sync());
  NETSAMPLE_TRY(s->options.journal(s->writer->warcinfo(), stamp));
  s->stats.records = 1;
  s->stats.bytes = s->writer->warcinfo().length;

  State* state = s.get();
  s->worker = std::thread([state] { state->run(); });
  chromium.subscribe([state](const json& event) { state->push(event); });
  // The browser reports every target it has before it answers; once the worker has handled those reports, every
  // tab is captured: only then may anyone navigate (else the first page would go by before Network and Fetch).
  auto attach = chromium.call("Target.setAutoAttach", {{"autoAttach", true}, {"waitForDebuggerOnStart", true}, {"flatten", true}});
  auto capture = std::unique_ptr<BrowserCapture>(new BrowserCapture(std::move(s)));
  if (!attach.ok()) return attach.error();
  state->push({{"method", "netsample.attached_all"}});
  std::unique_lock lock(state->queue_mutex);
  if (!state->attached_cv.wait_for(lock, std::chrono::seconds(30), [state] { return state->attached_all; }))
    return make_error(ErrorCode::network, "browser", "浏览器 30 秒内没有完成网页取证的准备");
  return capture;
}

CaptureStats BrowserCapture::stats() const {
  std::lock_guard lock(state_->stats_mutex);
  return state_->stats;
}

Result<CaptureStats> BrowserCapture::finish() {
  State& s = *state_;
  if (!s.writer) return make_error(ErrorCode::internal, "capture", "网页取证已经结束");
  s.chromium->subscribe(nullptr);
  {
    std::lock_guard lock(s.queue_mutex);
    s.stopping = true;
  }
  s.queue_cv.notify_all();
  if (s.worker.joinable()) s.worker.join();  // the events already queued are handled first
  // Responses still open: the recording ends before they did.
  for (auto& [id, hops] : s.open)
    for (Exchange& e : hops) {
      if (!e.from_fetch && e.body.empty()) e.truncated = "unspecified";
      if (e.problem.empty() && !e.from_fetch) e.problem = "录像结束时该响应尚未加载完";
      s.write_exchange(e);
    }
  s.open.clear();
  for (const auto& session : s.sessions) (void)s.call(session, "Fetch.disable");  // no request left waiting on us
  Status closed = s.writer->close();
  s.writer.reset();
  if (!s.failed.ok()) return s.failed.error();
  if (!closed.ok()) return closed.error();
  return stats();
}

}  // namespace netsample::webcapture
