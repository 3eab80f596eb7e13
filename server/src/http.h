// The service's own view of HTTP, independent of the server library: a request as the routes read it, a
// response as they build it (JSON, bytes, or a range of an open file), and the pieces of RFC 9110 the evidence
// routes need — single byte ranges, entity tags and the conditional headers.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"
#include "netsample/store/blobs.h"

namespace netsample::server {

class UploadFile;

struct Request {
  std::string method;  // GET, HEAD, POST, PUT, DELETE
  std::string path;    // decoded, without the query
  std::map<std::string, std::string> query;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string body;
  std::string remote;  // peer address
  bool tls = false;
  std::map<std::string, std::string> params;  // from the route's {placeholders}
  UploadFile* upload = nullptr;               // an upload route's body, on disk (uploads.h)

  std::optional<std::string> header(std::string_view lower_case_name) const;
  std::optional<std::string> cookie(std::string_view name) const;
  std::optional<std::string> param_query(std::string_view name) const;
};

// A file range to send: the response owns the descriptor until the server library takes it. Without a descriptor
// (evidence in object storage) the bytes come from `read` (offset within the blob, length), a block at a time.
struct FileBody {
  int fd = -1;
  std::uint64_t offset = 0, length = 0;
  std::function<Result<std::string>(std::uint64_t offset, std::uint64_t length)> read;
};

class Response {
 public:
  Response() = default;
  Response(Response&& other) noexcept;
  Response& operator=(Response&& other) noexcept;
  Response(const Response&) = delete;
  Response& operator=(const Response&) = delete;
  ~Response();

  static Response json(int status, const nlohmann::json& body);
  static Response bytes(int status, std::string body, std::string content_type);
  static Response empty(int status);

  int status = 200;
  std::string content_type;
  std::string body;
  std::optional<FileBody> file;  // instead of body
  std::vector<std::pair<std::string, std::string>> headers;
  std::uint64_t evidence_bytes = 0;  // what this response sends of stored evidence, for /metrics

  void set_header(std::string name, std::string value);
  int release_fd();  // hands the descriptor over (the server library closes it)
};

// The one map from an Error to HTTP (design/service.md): bad input 400 naming the field, refused by a rule 409
// with the article, not found 404, unauthenticated 401, forbidden 403, too large 413, rate limited 429,
// integrity failure 500, system failure 503. The body is {"error": {code, field, message, article}}.
int http_status_for(ErrorCode code);
Response error_response(const Error& error);

// RFC 9110 §14: one byte range, or why not.
struct ByteRange {
  std::uint64_t first = 0, last = 0;  // inclusive
  std::uint64_t length() const { return last - first + 1; }
};
enum class RangeKind {
  none,           // no Range header: the whole file, 200
  single,         // one satisfiable range: 206
  unsatisfiable,  // 416 with Content-Range: bytes */size
  ignored,        // several ranges, another unit or a malformed header: the whole file, 200 (§14.2 allows it)
};
struct RangeRequest {
  RangeKind kind = RangeKind::none;
  ByteRange range;
};
RangeRequest parse_range(std::optional<std::string_view> header, std::uint64_t size);

// Whether an If-None-Match value ("*", or a list of entity tags, weak or strong) matches `etag` (weak
// comparison, §13.1.2).
bool if_none_match(std::string_view header, std::string_view etag);

// A file served as a stored piece of evidence: ETag from its SHA-256, Range, If-None-Match (304) and
// If-Range, Accept-Ranges, Content-Type. Opens the file; errors name it.
Result<Response> file_response(const Request& request, const std::string& path, std::uint64_t expected_size, const std::string& sha256,
                               const std::string& content_type, const std::string& download_name = {});
// The same for a blob of the evidence store, wherever it keeps it: the local folder's file is sent as above, a blob
// in object storage is read in ranges as the client takes it. REQUIRES: blobs outlives the response.
Result<Response> blob_response(const Request& request, const store::BlobStore& blobs, const std::string& sha256,
                               std::uint64_t expected_size, const std::string& content_type, const std::string& download_name = {});

std::string content_type_for(std::string_view file_name);
std::string_view status_text(int status);

}  // namespace netsample::server
