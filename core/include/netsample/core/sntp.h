// SNTP client (RFC 4330) over UDP: asks an NTP server for its time and measures the offset of this
// machine's clock and the round-trip delay. A reply is accepted only if it answers our own request
// (originate timestamp), comes from a synchronised server (not a kiss-o'-death, not leap-alarm) in
// server mode. Used by the recorder for trusted time (Art 35 网络校时) and by anything that stamps time.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "netsample/core/error.h"
#include "netsample/core/time.h"

namespace netsample {

struct NtpServer {
  std::string host;
  std::uint16_t port = 123;
  std::string name() const;  // "host:port"
};

// "ntp.ntsc.ac.cn", "127.0.0.1:11123", "[::1]:123". `field` names the input in errors.
Result<NtpServer> parse_ntp_server(std::string_view text, std::string_view field);

struct TimeSample {
  std::string server;            // "host:port"
  std::int64_t offset_us = 0;    // server clock minus local clock
  std::int64_t delay_us = 0;     // round trip, without the server's own processing time
  int stratum = 0;
  std::string reference_id;      // "GPS", "NTSC" or the upstream server's IPv4 address
  UtcTime local_receive;         // local wall clock when the answer arrived
  std::int64_t local_monotonic_ns = 0;  // steady clock at the same moment
  UtcTime trusted_receive() const { return local_receive + std::chrono::microseconds(offset_us); }
};

class SntpClient {
 public:
  explicit SntpClient(std::chrono::milliseconds timeout = std::chrono::milliseconds(2000)) : timeout_(timeout) {}

  // One request, one answer. Error (network) when the server cannot be reached or does not answer in
  // time; (integrity) when the answer is not a valid answer to this request.
  Result<TimeSample> query(const NtpServer& server) const;

 private:
  std::chrono::milliseconds timeout_;
};

}  // namespace netsample
