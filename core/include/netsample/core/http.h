// HTTP client over libcurl, shared by the crawler, parcel tracking, notices and the TSA client.
// TLS peers are always verified. Proxies come from the environment exactly as curl reads them
// (http_proxy, https_proxy, all_proxy, no_proxy). Idempotent requests are retried with exponential
// backoff and jitter on transient failures (connection errors, timeouts, 408/429/5xx);
// a POST is retried only when the caller says it is idempotent (e.g. it carries an idempotency key).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "netsample/core/error.h"

namespace netsample {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  HttpHeaders headers;
  std::string body;
  std::chrono::milliseconds timeout{30'000};          // whole transfer
  std::chrono::milliseconds connect_timeout{10'000};
  std::optional<bool> idempotent;                     // default: by method (GET, HEAD, PUT, DELETE, OPTIONS)
};

struct HttpResponse {
  long status = 0;
  HttpHeaders headers;  // of the final response, names as sent
  std::string body;
  int attempts = 1;     // how many tries it took
  // First header with this name, case-insensitive; empty when absent.
  std::string header(std::string_view name) const;
};

struct RetryPolicy {
  int max_attempts = 4;
  std::chrono::milliseconds initial_backoff{250};
  std::chrono::milliseconds max_backoff{8'000};
};

struct HttpClientOptions {
  RetryPolicy retry;
  std::string user_agent = "netsample/0.1";
  std::string ca_file;  // extra trust anchor (a bureau's TSA with a private CA); empty: system store
  // How to wait between attempts; tests may record instead of sleeping.
  std::function<void(std::chrono::milliseconds)> sleep;
};

// Thread-safe: each send() uses its own curl handle.
class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options = {});

  // Returns the response of the last attempt, whatever its status; an Error only when no HTTP answer
  // arrived (code network, field = the URL). A final 5xx is a Response, not an Error: callers decide.
  Result<HttpResponse> send(const HttpRequest& request) const;

  Result<HttpResponse> get(const std::string& url) const;

 private:
  HttpClientOptions options_;
};

// "a=1&b=%E4%B8%AD": form-encodes pairs (application/x-www-form-urlencoded).
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace netsample
