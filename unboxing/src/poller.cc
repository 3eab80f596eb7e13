#include "netsample/unboxing/poller.h"

#include "netsample/core/curl_handles.h"

#include <deque>
#include <map>
#include <memory>

namespace netsample::unboxing {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

size_t append_body(char* data, size_t size, size_t count, void* target) {
  static_cast<std::string*>(target)->append(data, size * count);
  return size * count;
}

// One transfer in flight.
struct Transfer {
  size_t job = 0;
  curl::Easy easy;
  curl::List headers;
  HttpRequest request;
  std::string body;
};

std::unique_ptr<Transfer> start_transfer(size_t index, const PollJob& job, const PollerOptions& options) {
  auto t = std::make_unique<Transfer>();
  t->job = index;
  t->request = job.provider->request(job.parcel);
  t->easy.reset(curl_easy_init());
  CURL* e = t->easy.get();
  curl_easy_setopt(e, CURLOPT_URL, t->request.url.c_str());
  curl_easy_setopt(e, CURLOPT_USERAGENT, options.user_agent.c_str());
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout.count()));
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 10'000L);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &t->body);
  curl_easy_setopt(e, CURLOPT_PRIVATE, t.get());
  curl_slist* list = nullptr;
  for (const auto& [name, value] : t->request.headers) list = curl_slist_append(list, (name + ": " + value).c_str());
  t->headers.reset(list);
  if (list) curl_easy_setopt(e, CURLOPT_HTTPHEADER, list);
  if (t->request.method == "POST") {
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, static_cast<long>(t->request.body.size()));
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->request.body.c_str());
  }
  return t;
}

}  // namespace

std::vector<PollResult> poll_parcels(const std::vector<PollJob>& jobs, const PollerOptions& options) {
  std::vector<PollResult> results(jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i) results[i].id = jobs[i].id;
  curl::Multi multi(curl_multi_init());
  std::deque<size_t> waiting;
  for (size_t i = 0; i < jobs.size(); ++i) waiting.push_back(i);
  std::map<const TrackingProvider*, steady_clock::time_point> next_allowed;
  std::map<CURL*, std::unique_ptr<Transfer>> active;

  while (!waiting.empty() || !active.empty()) {
    // Start what the concurrency bound and each provider's rate limit allow now.
    auto now = steady_clock::now();
    milliseconds wait = milliseconds(200);
    for (auto it = waiting.begin(); it != waiting.end() && static_cast<int>(active.size()) < options.max_concurrent;) {
      const TrackingProvider* provider = jobs[*it].provider;
      const auto allowed = next_allowed.contains(provider) ? next_allowed[provider] : now;
      if (allowed > now) {
        wait = std::min(wait, std::chrono::duration_cast<milliseconds>(allowed - now) + milliseconds(1));
        ++it;
        continue;
      }
      next_allowed[provider] = now + provider->min_interval;
      auto transfer = start_transfer(*it, jobs[*it], options);
      curl_multi_add_handle(multi.get(), transfer->easy.get());
      active[transfer->easy.get()] = std::move(transfer);
      it = waiting.erase(it);
    }
    int running = 0;
    curl_multi_perform(multi.get(), &running);
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(multi.get(), &left)) {
      if (message->msg != CURLMSG_DONE) continue;
      CURL* easy = message->easy_handle;
      auto node = active.extract(easy);
      Transfer& t = *node.mapped();
      const PollJob& job = jobs[t.job];
      if (message->data.result != CURLE_OK) {
        results[t.job].outcome = TrackingFailure{true, "network", std::string(curl_easy_strerror(message->data.result)) + "（" + t.request.url + "）"};
      } else {
        HttpResponse response;
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &response.status);
        response.body = std::move(t.body);
        results[t.job].outcome = job.provider->parse(response);
      }
      curl_multi_remove_handle(multi.get(), easy);
    }
    if (!active.empty() || !waiting.empty()) curl_multi_poll(multi.get(), nullptr, 0, static_cast<int>(wait.count()), nullptr);
  }
  return results;
}

}  // namespace netsample::unboxing
