// The fragment journal beside a recording: one JSON line per written fragment of the media file (its
// byte range, SHA-256, frame range and capture-time range) and a chained hash
//   chain_i = SHA-256(chain_{i-1} || sha256_i || be64 first_frame || be64 last_frame || be64 start_utc_us || be64 end_utc_us)
// with chain_{-1} = 32 zero bytes. Each line is fsync'd as it is appended, so after a crash the journal
// holds every fragment that reached the disk; a torn last line is the fragment being written, not tampering.
//
// Between the fragments, in the order they arrive, the records of the pages the browser received (pages.warc.gz
// beside the video, one gzip member per WARC record): a line with "kind": "page", the member's byte range and
// SHA-256, the frame on screen and the trusted time when it arrived, chained as
//   chain_i = SHA-256(chain_{i-1} || "page" || sha256_i || be64 offset || be64 size || be64 frame || be64 utc_us)
// so the pages share the video's chain, its stamps while recording and its seal.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"
#include "netsample/core/file_io.h"
#include "netsample/core/sha256.h"

namespace netsample::recorder {

struct FragmentInput {
  std::uint64_t offset = 0;  // first byte in the media file
  std::uint64_t size = 0;
  Sha256Digest sha256{};
  std::int64_t first_frame = 0, last_frame = 0;      // inclusive; the init segment has none: -1, -1
  std::int64_t start_utc_us = 0, end_utc_us = 0;     // trusted capture times of those frames
};

struct FragmentRecord {
  int index = 0;
  FragmentInput fragment;
  std::string chain;  // hex
  nlohmann::json to_json() const;
};

// The next chain value; `previous` is hex (64 zeros for the first fragment).
std::string chain_next(const std::string& previous, const FragmentInput& fragment);

// The file beside the video that page records are kept in.
inline constexpr const char* kPagesFile = "pages.warc.gz";

struct PageInput {
  std::uint64_t offset = 0;  // of the record's gzip member in pages.warc.gz
  std::uint64_t size = 0;
  Sha256Digest sha256{};
  std::int64_t frame = 0;    // the last frame written when the record arrived (-1: before the first)
  std::int64_t utc_us = 0;   // trusted time of its arrival
  std::string uri;           // the record's WARC-Target-URI, to name it (not chained: verify reads the bytes)
  std::string type;          // response, request, metadata, warcinfo
};

struct PageRecord {
  int index = 0;  // the journal line's index (fragments and pages count together)
  PageInput page;
  std::string chain;
  nlohmann::json to_json() const;
};

std::string chain_next(const std::string& previous, const PageInput& page);

// One journal line, as written: a fragment of the video or a page record. `expected_index` names the line in the
// error when it cannot be read (integrity). Used by verify_journal and by the centre checking lines as a station
// sends them while it records.
Result<std::variant<FragmentRecord, PageRecord>> parse_journal_line(const std::string& line, int expected_index);

// Appends records to a new journal file. Not thread-safe: one writer, the recorder's writing thread.
class JournalWriter {
 public:
  // Fails if the file exists: a journal is never reopened for writing (Art 35: one continuous recording).
  static Result<JournalWriter> create(const std::filesystem::path& file);
  // REQUIRES: fragments arrive in file order, each starting where the previous ended.
  Result<FragmentRecord> append(const FragmentInput& fragment);
  // REQUIRES: page records arrive in pages.warc.gz's order, each starting where the previous ended.
  Result<PageRecord> append(const PageInput& page);
  const std::string& head() const { return head_; }
  int count() const { return next_index_; }

 private:
  JournalWriter(UniqueFd fd, std::filesystem::path file) : fd_(std::move(fd)), file_(std::move(file)) {}
  // One line on disk (fdatasync'd), then the head moves to its chain value.
  Status write_line(const nlohmann::json& line, const std::string& chain);
  UniqueFd fd_;
  std::filesystem::path file_;
  std::string head_{std::string(64, '0')};
  int next_index_ = 0;
  std::uint64_t next_offset_ = 0;
  std::uint64_t next_page_offset_ = 0;
};

struct JournalCheck {
  bool ok = true;                          // every complete record verifies against the media file
  std::vector<FragmentRecord> records;     // the video's fragments, as read
  std::vector<PageRecord> pages;           // the page records, as read
  std::string head;                        // chain value of the last good record
  std::int64_t frames = 0;
  bool torn_tail = false;                  // a partial last line (crash while appending)
  std::uint64_t unjournaled_bytes = 0;     // media bytes after the last record (the open fragment at a crash)
  std::uint64_t unjournaled_page_bytes = 0;  // pages.warc.gz bytes after its last journaled record
  std::vector<std::string> errors;         // each names the fragment index or the file
  nlohmann::json to_json() const;
};

// Re-reads the journal and the media file (and `pages`, when the journal has page records): each record's bytes
// re-hashed, offsets and frame numbers contiguous, chain recomputed. Streams the media file once.
Result<JournalCheck> verify_journal(const std::filesystem::path& journal, const std::filesystem::path& media,
                                    const std::filesystem::path& pages = {});

}  // namespace netsample::recorder
