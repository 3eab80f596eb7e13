// A page checked before a sample is bought (issue #17): captured into a WARC as evidence (crawler/), its
// fields read by the platform's adapter (extract/), a licence shown as a picture fetched in the same capture
// session and read by OCR (ocr/), then the checks with their articles: Art 34 scope, Art 22 through the case
// registry's own rule, Art 24 and 25 signs. With a case, each WARC record's digest enters the case's audit
// chain as it is written and the closed WARC is the case's evidence (web_capture). The command line and the
// service both call this; neither decides anything of its own.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"
#include "netsample/core/sntp.h"
#include "netsample/core/tsa.h"
#include "netsample/crawler/crawler.h"
#include "netsample/extract/extract.h"
#include "netsample/store/store.h"
#include "netsample/workflow/cases.h"
#include "netsample/workflow/platforms.h"

namespace netsample::listing {

struct CrawlRequest {
  std::string url;
  std::vector<std::string> also;  // further pages for the same session (the shop's licence page): one WARC, one check
  std::string case_number;     // empty: kept under <data>/captures/unassigned, not evidence of a case
  std::string platform;        // empty: the platform whose domain the page's host is in (platforms.json)
  bool honour_robots = true;
  std::string robots_reason;   // required when robots.txt is not honoured; written into every capture
  std::string actor;
  std::optional<std::filesystem::path> ca_file;  // tests: a private CA
  // For a service fetching on its users' behalf: no address of this machine or its private network, except a
  // platforms.json entry marked local (the demo shop) asked for by one of its hosts and reached on loopback.
  bool public_addresses_only = false;
  // Trusted time: NTP servers asked before the capture (the answer with the least delay is used; none given or
  // none answering: the capture says it has no network time check), and RFC 3161 TSAs that stamp the closed
  // WARC's SHA-256 (each token stored beside it, as the case's evidence, and in the audit chain).
  std::vector<NtpServer> ntp;
  std::vector<std::string> tsa_urls;
};

// What OCR read from a picture, kept beside it in the WARC (a metadata record referring to its response).
struct PictureRead {
  std::string url;
  std::string engine;
  int confidence = 0;
  std::string text;
  std::string problem;  // the picture could not be fetched or read
};

// One page of a capture session: what came, and what was read from it.
struct PageRead {
  crawler::Capture capture;
  std::optional<extract::Extraction> extraction;
  std::string extraction_problem;  // why no fields were read (no platform, no adapter, no page kind)
  std::vector<PictureRead> pictures;
  nlohmann::json to_json() const;
};

struct CrawlOutcome {
  PageRead page;               // the page asked for
  std::vector<PageRead> also;  // the further pages of the same session
  std::filesystem::path warc;
  std::size_t records = 0;
  std::optional<store::EvidenceItem> evidence;
  std::vector<extract::Check> checks;  // on the fields of all pages together
  std::optional<TimeSample> time_check;
  std::string warc_sha256;
  std::vector<std::pair<std::filesystem::path, TimestampToken>> stamps;  // token file, token
  std::vector<std::string> time_problems;  // no time check, a TSA that did not stamp
  // All pages' fields together, each field from the first page that gave it.
  std::vector<std::pair<std::string, extract::FieldValue>> fields() const;
  // The page asked for could not be used: refused by robots.txt, or no 2xx answer (what came is preserved).
  std::optional<Error> failure() const;
  // The page asked for at the top level (its capture, extraction, pictures), the further pages under "also".
  nlohmann::json to_json() const;
};

struct SearchRequest {
  std::string query;
  std::string platform;  // required: whose search page
  std::string base;      // the site's address when the adapter's search page is relative (the demo shop)
  bool honour_robots = true;
  std::string robots_reason;
  std::string actor;
};

// A platform's search page, preserved (a WARC under <data>/captures/searches/) and read for candidate listings.
struct SearchOutcome {
  crawler::Capture capture;
  std::vector<extract::Candidate> candidates;
  std::string problem;  // why none could be read
  std::filesystem::path warc;
  nlohmann::json to_json() const;
};

// The case fields the pages give, by the plan's paths (product.name, product.trademark, shop.listing_url,
// operator.name, producer.address, platform, ...): for a case form pre-filled from a listing and its shop's
// licence, which the organizer then confirms. Only what was read; nothing guessed.
nlohmann::json case_fields(const CrawlOutcome& outcome);

class PageChecks {
 public:
  PageChecks(store::Store& store, workflow::CaseRegistry& cases, const workflow::PlatformRegistry& platforms,
             std::filesystem::path data_dir, extract::Region region);

  // Captures, reads and checks one page. An Error only when nothing could be kept (the case does not exist,
  // the WARC cannot be written, the URL or one of `also` is invalid — checked before anything is captured, the
  // error naming url or also[i]); a page that did not answer is an outcome with its error.
  // With a case, the outcome's summary (its JSON) is kept beside the WARC and as the case's evidence
  // (capture_summary), so the case page shows what was read and checked.
  Result<CrawlOutcome> crawl(const CrawlRequest& request);

  // Candidate listings from a platform's search page (`netsample search`).
  Result<SearchOutcome> search(const SearchRequest& request);

  // The case's captures, oldest first: each summary as stored, with the evidence ids of its WARC and summary.
  Result<std::vector<nlohmann::json>> of_case(const std::string& case_number);

  // Art 22 through the case registry's rule, on a listing's fields: a sign naming the earlier city-level case,
  // pass, or unknown while producer, standard, trademark or model was not read. nullopt for a page without a title.
  Result<std::optional<extract::Check>> art22(const std::vector<std::pair<std::string, extract::FieldValue>>& fields);

  const extract::Region& region() const { return region_; }

 private:
  Result<PageRead> read_page(crawler::CaptureSession& session, const extract::Adapters& adapters, const std::string& url,
                             const std::string& platform);
  store::Store& store_;
  workflow::CaseRegistry& cases_;
  const workflow::PlatformRegistry& platforms_;
  std::filesystem::path data_dir_;
  extract::Region region_;
};

}  // namespace netsample::listing
