// Web pages as evidence: WARC 1.1 (ISO 28500:2017; GB/T 33994 is its Chinese edition), written as a .warc.gz with
// one gzip member per record, so that any record can be read on its own and the archivists' tools (warcio,
// ReplayWeb.page) read the file as they read any crawler's.
//
// Digests are SHA-256, written "sha256:" + lower-case hex. WARC-Block-Digest covers the record's block as written
// (an HTTP message: its header bytes and its body as received); WARC-Payload-Digest covers the entity body with
// the transfer encoding removed (a chunked body is de-chunked) and the content encoding kept (a gzip body stays
// gzip), as WARC 1.1 section 5.9 says.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "netsample/core/error.h"
#include "netsample/core/file_io.h"
#include "netsample/core/sha256.h"
#include "netsample/core/time.h"

namespace netsample::warc {

struct Record {
  std::string type;         // warcinfo | request | response | metadata | resource
  std::string target_uri;   // empty for warcinfo
  std::string content_type; // application/http;msgtype=response, application/json, ...
  std::string block;        // the record's content as it is to be stored
  UtcTime date;
  std::string ip_address;                     // WARC-IP-Address, when known
  std::optional<std::string> concurrent_to;   // WARC-Concurrent-To: the record id of the exchange's other half
  std::optional<std::string> truncated;       // WARC-Truncated: length | time | disconnect | unspecified
  std::vector<std::pair<std::string, std::string>> extra_headers;  // further WARC named fields
};

// What was written: enough to put each record into the audit chain and to find it again.
struct WrittenRecord {
  std::string id;            // <urn:uuid:...>
  std::string type;
  std::string target_uri;
  std::string block_digest;  // sha256:hex
  std::optional<std::string> payload_digest;
  std::uint64_t offset = 0;  // of its gzip member in the file
  std::uint64_t length = 0;  // of its gzip member
  Sha256Digest member_sha256{};  // of its gzip member's bytes, as a recording's journal chains it
};

// The value of a header of an HTTP message (or of its head alone), the name matched case-insensitively; nullopt
// when absent.
std::optional<std::string> http_header(std::string_view message, std::string_view name);

// The body of an HTTP message with its transfer encoding removed: nullopt when the message is not HTTP or a
// chunked body is malformed (then no payload digest is claimed).
std::optional<std::string> http_payload(std::string_view message);

std::string new_record_id();                  // <urn:uuid:RFC 4122 v4>
std::string format_warc_date(UtcTime time);   // 2026-12-05T03:20:01.123Z

// One record of a .warc.gz as an index needs it (CDXJ, WACZ): where its gzip member is, what it is.
struct IndexEntry {
  std::string type, uri, date, record_id;  // date: WARC-Date as written
  std::string status, mime;                // of an HTTP response: its status code and Content-Type
  std::string payload_digest;              // WARC-Payload-Digest (sha256:hex)
  std::uint64_t offset = 0, length = 0;    // of its gzip member in the file
  std::string metadata;                    // a metadata record's block (what was noted about a capture: small JSON)
};
// Every record of a .warc.gz written one gzip member per record (as Writer does), in order. Errors: the file
// cannot be read, a member does not inflate, a record has no WARC head.
Result<std::vector<IndexEntry>> index_records(const std::filesystem::path& file);

class Writer {
 public:
  // Creates the file (never overwrites) and writes its warcinfo record from `info` (application/warc-fields).
  static Result<Writer> create(const std::filesystem::path& file, const std::vector<std::pair<std::string, std::string>>& info,
                               UtcTime now);
  Result<WrittenRecord> write(const Record& record);
  // Makes every record written so far durable (fdatasync): before a record is put into a hash chain.
  Status sync();
  // Syncs and closes; the file is complete only after this.
  Status close();
  const std::filesystem::path& file() const { return file_; }
  const std::string& warcinfo_id() const { return warcinfo_.id; }
  const WrittenRecord& warcinfo() const { return warcinfo_; }

 private:
  Writer(std::filesystem::path file, UniqueFd out) : file_(std::move(file)), out_(std::move(out)) {}
  std::filesystem::path file_;
  UniqueFd out_;
  std::uint64_t offset_ = 0;
  WrittenRecord warcinfo_;
};

}  // namespace netsample::warc
