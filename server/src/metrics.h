// /metrics in Prometheus's text format: requests by route and status, a latency histogram by route, open
// connections, evidence bytes served. Counted once per finished request.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

namespace netsample::server {

struct Metrics {
  void record(const std::string& method, const std::string& route, int status, double seconds, std::uint64_t evidence_bytes);
  std::string render() const;

  std::atomic<std::int64_t> open_connections{0};
  std::atomic<std::int64_t> requests_in_flight{0};

 private:
  static const std::vector<double>& buckets();
  struct Histogram {
    std::vector<std::uint64_t> counts;  // per bucket, not cumulative
    std::uint64_t total = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, std::uint64_t> requests_;  // method, route, status
  std::map<std::string, Histogram> latency_;                                    // route
  std::uint64_t evidence_bytes_ = 0;
};

}  // namespace netsample::server
