// Capturing web pages as evidence: a capture session fetches pages with libcurl and keeps every exchange as
// it went over the wire in one WARC file (warc.h): the request as sent, the response's head and body as received
// (a chunked body stays chunked, a gzip body stays gzip), and beside each response a metadata record (the
// resolved address, the TLS protocol, cipher and certificate chain, the timings, the redirect chain, the trusted
// time of the capture).
//
// Redirects are followed by the session, each hop its own request and response. robots.txt is fetched once per
// origin (scheme, host and port, as RFC 9309 scopes it), kept in the WARC too, and honoured unless the session is
// told otherwise with a reason (the reason is in every capture's metadata). Requests to one origin are spaced
// (`per_host_interval`); a failure to connect, a 429
// or a 5xx is retried with backoff; a response larger than `max_bytes` or slower than the timeouts is kept as far
// as it came, marked WARC-Truncated.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"
#include "netsample/core/sntp.h"
#include "netsample/core/time.h"
#include "netsample/warc/warc.h"

namespace netsample::crawler {

struct CaptureOptions {
  std::string user_agent = "netsample-capture/1.0 (+market supervision sampling; robots.txt honoured)";
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds total_timeout{60'000};
  std::uint64_t max_bytes = 20ull << 20;  // of one response body
  int max_redirects = 10;
  int attempts = 3;  // tries per request
  std::chrono::milliseconds backoff{500};            // doubled each retry (or the server's Retry-After, up to 30 s)
  std::chrono::milliseconds per_host_interval{1'000};
  bool honour_robots = true;
  std::string robots_override_reason;  // required when honour_robots is false; written into each capture
  std::optional<std::filesystem::path> ca_file;  // for tests: a private CA
  // The network time check made before the session (SNTP): each metadata record then carries the trusted time
  // of its exchange (the local time corrected by the measured offset) with the server, offset and delay, and
  // the warcinfo record names the check.
  std::optional<TimeSample> time_check;
  // Asked with the URL's host (an IPv6 literal without its brackets) and each address libcurl is about to open a
  // connection to (CURLOPT_OPENSOCKETFUNCTION), before the connection: a reason refuses the address, and nothing at
  // all goes to it — no TCP handshake, no TLS ClientHello with its SNI. When every address is refused the
  // exchange ends with that reason as its error and the capture says so (Capture::refused_address), also when
  // it was robots.txt's fetch that was refused. Set, it also keeps libcurl off any proxy from the environment,
  // which would hide the real address. The service refuses its own network's addresses.
  std::function<std::string(const std::string& host, const std::string& ip)> refuse_address;
  // Called as each record is written (the case's audit chain takes its digest then, not after the session).
  std::function<Status(const warc::WrittenRecord&)> on_record;
};

// One hop: a request and its response.
struct Hop {
  std::string url;
  long status = 0;                  // 0: no HTTP answer
  std::string ip;
  std::string error;                // why there was no (complete) answer
  std::optional<std::string> truncated;
  std::string response_id;          // WARC record id of the response (or of the request when none came)
};

struct Capture {
  std::string url;                  // as asked
  std::string final_url;
  long status = 0;
  std::vector<Hop> hops;            // redirects included, in order
  std::string body;                 // the final response's payload (transfer encoding removed), for extraction
  std::string content_type;
  std::string content_encoding;     // of the final response: the body above is still encoded so
  bool refused_by_robots = false;
  bool refused_address = false;     // refuse_address refused where a request went (the page or its robots.txt)
  std::string error;                // empty when a final response arrived
  nlohmann::json to_json() const;
};

class CaptureSession {
 public:
  // Creates the WARC file. `info`: the warcinfo fields (operator, case, software) beside the ones the session adds.
  static Result<std::unique_ptr<CaptureSession>> open(const std::filesystem::path& warc_file, CaptureOptions options,
                                                       std::vector<std::pair<std::string, std::string>> info = {});
  ~CaptureSession();
  CaptureSession(const CaptureSession&) = delete;
  CaptureSession& operator=(const CaptureSession&) = delete;

  // Fetches `url` (following redirects), writing every exchange. An Error only for what ends the session (the
  // WARC cannot be written, an invalid URL); a page that could not be fetched is a Capture with its error.
  Result<Capture> capture(const std::string& url);
  // A metadata record about a record already written (WARC-Refers-To it): what was read from a captured
  // picture, for instance. Goes through on_record like every other record.
  Result<warc::WrittenRecord> annotate(const std::string& refers_to, const std::string& target_uri, const nlohmann::json& content);
  // Closes the WARC; every record written is listed in records().
  Status close();
  const std::vector<warc::WrittenRecord>& records() const { return records_; }
  const std::filesystem::path& file() const;

 private:
  struct Impl;
  explicit CaptureSession(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::vector<warc::WrittenRecord> records_;
};

// Whether capture() takes `url`: an absolute http or https URL (the error names "url" and the rule).
Status check_url(const std::string& url);

// Whether an address is of this machine or a private network, or no unicast address of the Internet: loopback,
// 0/8, RFC 1918, link-local, CGNAT, 198.18/15, multicast and reserved (224/4, 240/4, broadcast); IPv6 loopback and
// unspecified, unique and site local, link-local, multicast, and an IPv4 address carried in IPv6 (mapped,
// compatible, NAT64 64:ff9b::/96, 6to4 2002::/16) judged as that IPv4 address. What a service must not be made
// to fetch for its users; text that is no address counts as internal.
bool is_internal_address(const std::string& ip);
// Whether an address is this machine's loopback (127.0.0.0/8, ::1, ::ffff:127.x.y.z).
bool is_loopback_address(const std::string& ip);

// RFC 9309: whether `path` (with its query) may be fetched under `robots` (the file's text) for `agent`: the
// group of the longest matching user-agent token (else "*"), the longest matching rule, Allow winning a tie.
bool robots_allows(const std::string& robots, const std::string& agent, const std::string& path);

}  // namespace netsample::crawler
