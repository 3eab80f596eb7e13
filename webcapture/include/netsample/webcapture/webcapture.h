// Every page the sampler's browser receives while the purchase is recorded, kept as WARC records (pages.warc.gz
// beside the video) and chained into the recording's journal as each arrives: the pages share the video's hash
// chain, its stamps and its seal, and each says the frame that was on screen when it arrived.
//
// Over the DevTools protocol, as browsertrix-crawler captures: Fetch at the response stage holds each response
// until its body is read (so nothing is lost to the cache or a navigation), Network supplies what Fetch does not
// (the address it came from, the protocol, the TLS details, the headers actually sent), and every tab, popup and
// frame of the browser is attached before its first request (auto-attach, waiting for the debugger).
//
// Per exchange three records: the response (an HTTP/1.1 message; a body the browser decoded is stored decoded,
// its Content-Encoding and Transfer-Encoding named in the metadata instead of the headers), the request, and a
// metadata record (application/json: frame, trusted time, address, protocol, TLS and certificate chain, tab and
// resource type). Each main-frame navigation is a metadata record too: which page was on screen from which frame.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "netsample/browser/browser.h"
#include "netsample/core/error.h"
#include "netsample/warc/warc.h"

namespace netsample::webcapture {

// The frame on screen and the trusted time at an instant of the recording.
struct Stamp {
  std::int64_t frame = -1;
  std::int64_t utc_us = 0;
  bool time_verified = false;
};

struct CaptureOptions {
  std::filesystem::path warc_file;  // created; never overwritten
  std::vector<std::pair<std::string, std::string>> warcinfo;  // e.g. the case and the recording, beside the software
  std::uint64_t max_body_bytes = 64ull << 20;  // a larger body (a video) is kept as its headers, marked truncated
  std::function<Stamp()> now;                  // the recording's position (Recorder::position)
  // A record that is on disk (fdatasync'd), to be chained (Recorder::journal_page). An error stops the capture.
  std::function<Status(const warc::WrittenRecord&, const Stamp&)> journal;
};

struct CaptureStats {
  int exchanges = 0;      // responses written
  int navigations = 0;    // main-frame navigations
  int records = 0;        // WARC records written (warcinfo included)
  std::uint64_t bytes = 0;
  int truncated = 0;      // bodies not kept whole (too large, a stream, not obtainable)
  std::vector<std::string> problems;  // what could not be captured, each naming the address
  nlohmann::json to_json() const;
};

class BrowserCapture {
 public:
  // Starts capturing every tab of `chromium`, present and future. REQUIRES: chromium outlives the capture.
  static Result<std::unique_ptr<BrowserCapture>> start(browser::Chromium& chromium, CaptureOptions options);
  ~BrowserCapture();  // finishes, if finish() was not called
  BrowserCapture(const BrowserCapture&) = delete;
  BrowserCapture& operator=(const BrowserCapture&) = delete;

  CaptureStats stats() const;
  // Writes what is still open (marked truncated: the recording ended before it finished), stops listening and
  // closes the WARC. Call before the recording is sealed.
  Result<CaptureStats> finish();

 private:
  struct State;
  explicit BrowserCapture(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace netsample::webcapture
