#include "netsample/core/http.h"

#include "netsample/core/curl_handles.h"

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

namespace netsample {
namespace {

void ensure_curl_initialised() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

using CurlHandle = curl::Easy;
using CurlList = curl::List;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* headers = static_cast<HttpHeaders*>(user);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) headers->clear();  // a new response (after a redirect or 100-continue)
  const auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    auto trim = [](std::string_view s) {
      while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
      while (!s.empty() && (s.back() == '\r' || s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
      return std::string(s);
    };
    headers->emplace_back(trim(line.substr(0, colon)), trim(line.substr(colon + 1)));
  }
  return size * count;
}

bool transient_curl_error(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

bool transient_status(long status) {
  return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

bool idempotent_by_method(const std::string& method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" || method == "OPTIONS";
}

struct Attempt {
  CURLcode code = CURLE_OK;
  std::string curl_message;
  HttpResponse response;
};

Attempt perform_once(const HttpRequest& request, const HttpClientOptions& options) {
  Attempt attempt;
  CurlHandle curl(curl_easy_init());
  if (!curl) {
    attempt.code = CURLE_FAILED_INIT;
    attempt.curl_message = "curl_easy_init failed";
    return attempt;
  }
  char error_buffer[CURL_ERROR_SIZE] = {0};
  CURL* h = curl.get();
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, options.ca_file.c_str());
  curl_easy_setopt(h, CURLOPT_USERAGENT, options.user_agent.c_str());
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.connect_timeout.count()));
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");  // any encoding curl can decode
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);   // redirects are the caller's decision (evidence!)

  if (request.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (request.method != "GET" || !request.body.empty()) {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  }

  curl_slist* raw_list = nullptr;
  for (const auto& [name, value] : request.headers) {
    CurlList grown(curl_slist_append(raw_list, (name + ": " + value).c_str()));
    if (!grown) break;
    raw_list = grown.release();
  }
  raw_list = curl_slist_append(raw_list, "Expect:");  // no 100-continue round trip
  CurlList header_list(raw_list);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, header_list.get());

  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &attempt.response.body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &attempt.response.headers);

  attempt.code = curl_easy_perform(h);
  if (attempt.code != CURLE_OK) {
    attempt.curl_message = error_buffer[0] ? error_buffer : curl_easy_strerror(attempt.code);
    return attempt;
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &attempt.response.status);
  return attempt;
}

std::chrono::milliseconds backoff_for(int attempt_number, const RetryPolicy& policy, const HttpResponse* response) {
  using std::chrono::milliseconds;
  // Retry-After (seconds) from a 429/503 is honoured, within the policy's ceiling.
  if (response) {
    const std::string retry_after = response->header("Retry-After");
    if (!retry_after.empty() && std::all_of(retry_after.begin(), retry_after.end(), ::isdigit) && retry_after.size() < 6)
      return std::min(milliseconds{std::stol(retry_after) * 1000}, policy.max_backoff);
  }
  const auto exponential = policy.initial_backoff * (1LL << std::min(attempt_number - 1, 20));
  const auto ceiling = std::min<milliseconds>(exponential, policy.max_backoff);
  // "Equal jitter": at least half the ceiling, so retries never bunch at zero.
  thread_local std::mt19937_64 random{std::random_device{}()};
  std::uniform_int_distribution<long long> jitter(0, ceiling.count() / 2);
  return milliseconds{ceiling.count() - ceiling.count() / 2 + jitter(random)};
}

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (iequals(key, name)) return value;
  return {};
}

HttpClient::HttpClient(HttpClientOptions options) : options_(std::move(options)) {
  ensure_curl_initialised();
  if (!options_.sleep) options_.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  options_.retry.max_attempts = std::max(1, options_.retry.max_attempts);
}

Result<HttpResponse> HttpClient::send(const HttpRequest& request) const {
  const bool may_retry = request.idempotent.value_or(idempotent_by_method(request.method));
  const int max_attempts = may_retry ? options_.retry.max_attempts : 1;
  for (int number = 1;; ++number) {
    Attempt attempt = perform_once(request, options_);
    attempt.response.attempts = number;
    const bool transport_failed = attempt.code != CURLE_OK;
    const bool retryable = transport_failed ? transient_curl_error(attempt.code) : transient_status(attempt.response.status);
    if (!retryable || number >= max_attempts) {
      if (!transport_failed) return std::move(attempt.response);
      return make_error(ErrorCode::network, request.url,
                        request.method + " 请求失败（第 " + std::to_string(number) + " 次尝试）：" + attempt.curl_message);
    }
    options_.sleep(backoff_for(number, options_.retry, transport_failed ? nullptr : &attempt.response));
  }
}

Result<HttpResponse> HttpClient::get(const std::string& url) const {
  HttpRequest request;
  request.url = url;
  return send(request);
}

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
  ensure_curl_initialised();
  std::string encoded;
  CurlHandle curl(curl_easy_init());
  for (const auto& [name, value] : fields) {
    if (!encoded.empty()) encoded += '&';
    for (const std::string* part : {&name, &value}) {
      char* escaped = curl_easy_escape(curl.get(), part->data(), static_cast<int>(part->size()));
      encoded += escaped ? escaped : "";
      curl_free(escaped);
      if (part == &name) encoded += '=';
    }
  }
  return encoded;
}

}  // namespace netsample
