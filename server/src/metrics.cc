#include "metrics.h"

#include <cstdio>

namespace netsample::server {
namespace {

// Label values in the exposition format: backslash, quote and newline escaped.
std::string label(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

}  // namespace

const std::vector<double>& Metrics::buckets() {
  static const std::vector<double> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return kBuckets;
}

void Metrics::record(const std::string& method, const std::string& route, int status, double seconds, std::uint64_t evidence_bytes) {
  std::lock_guard lock(mutex_);
  ++requests_[{method, route, status}];
  Histogram& h = latency_[route];
  if (h.counts.empty()) h.counts.assign(buckets().size(), 0);
  for (size_t i = 0; i < buckets().size(); ++i)
    if (seconds <= buckets()[i]) {
      ++h.counts[i];
      break;
    }
  ++h.total;
  h.sum += seconds;
  evidence_bytes_ += evidence_bytes;
}

std::string Metrics::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  out += "# HELP netsample_http_requests_total Requests answered, by method, route and status.\n";
  out += "# TYPE netsample_http_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    const auto& [method, route, status] = key;
    out += "netsample_http_requests_total{method=\"" + label(method) + "\",route=\"" + label(route) + "\",status=\"" +
           std::to_string(status) + "\"} " + std::to_string(count) + "\n";
  }
  out += "# HELP netsample_http_request_duration_seconds Time from the request's headers to its last byte handed to the kernel.\n";
  out += "# TYPE netsample_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    std::uint64_t cumulative = 0;
    for (size_t i = 0; i < buckets().size(); ++i) {
      cumulative += h.counts[i];
      out += "netsample_http_request_duration_seconds_bucket{route=\"" + label(route) + "\",le=\"" + number(buckets()[i]) + "\"} " +
             std::to_string(cumulative) + "\n";
    }
    out += "netsample_http_request_duration_seconds_bucket{route=\"" + label(route) + "\",le=\"+Inf\"} " + std::to_string(h.total) + "\n";
    out += "netsample_http_request_duration_seconds_sum{route=\"" + label(route) + "\"} " + number(h.sum) + "\n";
    out += "netsample_http_request_duration_seconds_count{route=\"" + label(route) + "\"} " + std::to_string(h.total) + "\n";
  }
  out += "# HELP netsample_http_open_connections Connections open now, idle keep-alive ones included.\n";
  out += "# TYPE netsample_http_open_connections gauge\n";
  out += "netsample_http_open_connections " + std::to_string(open_connections.load()) + "\n";
  out += "# HELP netsample_evidence_bytes_served_total Bytes of stored evidence sent (videos, stills, documents, exports).\n";
  out += "# TYPE netsample_evidence_bytes_served_total counter\n";
  out += "netsample_evidence_bytes_served_total " + std::to_string(evidence_bytes_) + "\n";
  return out;
}

}  // namespace netsample::server
