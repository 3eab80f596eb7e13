#include "http.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace netsample::server {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::optional<std::uint64_t> parse_number(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// RFC 6266 filename* for names in Chinese, with an ASCII fallback.
std::string content_disposition(const std::string& name) {
  std::string ascii, encoded;
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : name) {
    const bool plain = std::isalnum(c) || c == '.' || c == '-' || c == '_';
    ascii.push_back(plain ? static_cast<char>(c) : '_');
    if (plain) {
      encoded.push_back(static_cast<char>(c));
    } else {
      encoded += '%';
      encoded.push_back(kHex[c >> 4]);
      encoded.push_back(kHex[c & 15]);
    }
  }
  return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
}

}  // namespace

std::optional<std::string> Request::header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (key == name) return value;
  return std::nullopt;
}

std::optional<std::string> Request::cookie(std::string_view name) const {
  const auto all = header("cookie");
  if (!all) return std::nullopt;
  std::string_view rest = *all;
  while (!rest.empty()) {
    const size_t end = rest.find(';');
    std::string_view pair = trim(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    const size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) return std::string(pair.substr(eq + 1));
  }
  return std::nullopt;
}

std::optional<std::string> Request::param_query(std::string_view name) const {
  auto it = query.find(std::string(name));
  if (it == query.end()) return std::nullopt;
  return it->second;
}

Response::Response(Response&& other) noexcept { *this = std::move(other); }

Response& Response::operator=(Response&& other) noexcept {
  if (this == &other) return *this;
  if (file && file->fd >= 0) ::close(file->fd);
  status = other.status;
  content_type = std::move(other.content_type);
  body = std::move(other.body);
  file = other.file;
  other.file.reset();
  headers = std::move(other.headers);
  evidence_bytes = other.evidence_bytes;
  return *this;
}

Response::~Response() {
  if (file && file->fd >= 0) ::close(file->fd);
}

Response Response::json(int status, const nlohmann::json& body) {
  Response r;
  r.status = status;
  r.content_type = "application/json; charset=utf-8";
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Response Response::bytes(int status, std::string body, std::string content_type) {
  Response r;
  r.status = status;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  return r;
}

Response Response::empty(int status) {
  Response r;
  r.status = status;
  return r;
}

void Response::set_header(std::string name, std::string value) {
  for (auto& [key, existing] : headers)
    if (key == name) {
      existing = std::move(value);
      return;
    }
  headers.emplace_back(std::move(name), std::move(value));
}

int Response::release_fd() {
  const int fd = file ? file->fd : -1;
  if (file) file->fd = -1;
  return fd;
}

int http_status_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_input:
    case ErrorCode::missing_field:
    case ErrorCode::wrong_type:
    case ErrorCode::malformed_json:
      return 400;
    case ErrorCode::unauthenticated: return 401;
    case ErrorCode::forbidden: return 403;
    case ErrorCode::not_found: return 404;
    case ErrorCode::duplicate:
    case ErrorCode::refused_by_rule:
      return 409;
    case ErrorCode::too_large: return 413;
    case ErrorCode::rate_limited: return 429;
    case ErrorCode::integrity: return 500;
    case ErrorCode::io:
    case ErrorCode::database:
    case ErrorCode::network:
    case ErrorCode::internal:
      return 503;
  }
  return 503;
}

Response error_response(const Error& error) {
  Response r = Response::json(http_status_for(error.code), {{"error", error_to_json(error)}});
  if (error.code == ErrorCode::unauthenticated) r.set_header("WWW-Authenticate", "Bearer realm=\"netsample\"");
  return r;
}

RangeRequest parse_range(std::optional<std::string_view> header, std::uint64_t size) {
  if (!header) return {};
  std::string_view value = trim(*header);
  const size_t eq = value.find('=');
  if (eq == std::string_view::npos || lower(trim(value.substr(0, eq))) != "bytes") return {RangeKind::ignored, {}};
  std::string_view spec = trim(value.substr(eq + 1));
  if (spec.find(',') != std::string_view::npos) return {RangeKind::ignored, {}};  // one range only
  const size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return {RangeKind::ignored, {}};
  const std::string_view first_text = trim(spec.substr(0, dash)), last_text = trim(spec.substr(dash + 1));
  if (first_text.empty()) {  // bytes=-n: the last n bytes
    const auto n = parse_number(last_text);
    if (!n) return {RangeKind::ignored, {}};
    if (*n == 0 || size == 0) return {RangeKind::unsatisfiable, {}};
    return {RangeKind::single, {size - std::min(*n, size), size - 1}};
  }
  const auto first = parse_number(first_text);
  if (!first) return {RangeKind::ignored, {}};
  std::uint64_t last = size == 0 ? 0 : size - 1;
  if (!last_text.empty()) {
    const auto given = parse_number(last_text);
    if (!given || *given < *first) return {RangeKind::ignored, {}};  // §14.1.1: invalid, so ignored
    last = std::min(*given, last);
  }
  if (*first >= size) return {RangeKind::unsatisfiable, {}};
  return {RangeKind::single, {*first, last}};
}

bool if_none_match(std::string_view header, std::string_view etag) {
  const std::string_view value = trim(header);
  if (value == "*") return true;
  auto opaque = [](std::string_view tag) {
    tag = trim(tag);
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    return tag;
  };
  std::string_view rest = value;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    if (opaque(rest.substr(0, comma)) == opaque(etag)) return true;
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return false;
}

namespace {

// ETag, If-None-Match, Range and If-Range for a stored file of `size` bytes; `body` makes the body for a range.
Result<Response> ranged_response(const Request& request, std::uint64_t size, const std::string& sha256, const std::string& content_type,
                                 const std::string& download_name, const std::function<Result<FileBody>()>& open) {
  const std::string etag = "\"" + sha256 + "\"";
  Response r;
  r.set_header("ETag", etag);
  r.set_header("Accept-Ranges", "bytes");
  // Evidence never changes under its hash, but who may read it can: revalidate every time.
  r.set_header("Cache-Control", "private, no-cache");
  if (!download_name.empty()) r.set_header("Content-Disposition", content_disposition(download_name));
  if (const auto inm = request.header("if-none-match"); inm && if_none_match(*inm, etag)) {
    r.status = 304;
    return r;
  }
  r.content_type = content_type;
  RangeRequest range = parse_range(request.header("range"), size);
  // If-Range: the range only if the client's copy is this very file (a strong tag; a date is never strong enough).
  if (range.kind != RangeKind::none) {
    if (const auto if_range = request.header("if-range"); if_range && trim(*if_range) != etag) range.kind = RangeKind::none;
  }
  if (range.kind == RangeKind::unsatisfiable) {
    r.status = 416;
    r.set_header("Content-Range", "bytes */" + std::to_string(size));
    return r;
  }
  NETSAMPLE_ASSIGN(r.file, open());
  if (range.kind == RangeKind::single) {
    r.status = 206;
    r.set_header("Content-Range", "bytes " + std::to_string(range.range.first) + "-" + std::to_string(range.range.last) + "/" + std::to_string(size));
    r.file->offset = range.range.first;
    r.file->length = range.range.length();
  } else {
    r.status = 200;
    r.file->offset = 0;
    r.file->length = size;
  }
  r.evidence_bytes = r.file->length;
  return r;
}

}  // namespace

Result<Response> file_response(const Request& request, const std::string& path, std::uint64_t expected_size, const std::string& sha256,
                               const std::string& content_type, const std::string& download_name) {
  return ranged_response(request, expected_size, sha256, content_type, download_name, [&]() -> Result<FileBody> {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return make_error(ErrorCode::io, "file", "证据文件无法打开");
    struct stat info {};
    if (::fstat(fd, &info) != 0 || static_cast<std::uint64_t>(info.st_size) != expected_size) {
      ::close(fd);
      return make_error(ErrorCode::integrity, "file", "证据文件的大小与登记的不一致，可能已被改动（audit verify / evidence verify 可查）");
    }
    return FileBody{fd, 0, expected_size, {}};
  });
}

Result<Response> blob_response(const Request& request, const store::BlobStore& blobs, const std::string& sha256,
                               std::uint64_t expected_size, const std::string& content_type, const std::string& download_name) {
  if (auto path = blobs.local_path(sha256)) return file_response(request, path->string(), expected_size, sha256, content_type, download_name);
  return ranged_response(request, expected_size, sha256, content_type, download_name, [&]() -> Result<FileBody> {
    return FileBody{-1, 0, expected_size, [&blobs, sha256](std::uint64_t offset, std::uint64_t length) {
                      return blobs.read_range(sha256, offset, length);
                    }};
  });
}

std::string content_type_for(std::string_view name) {
  auto ends = [&](std::string_view suffix) { return name.size() >= suffix.size() && lower(name.substr(name.size() - suffix.size())) == suffix; };
  if (ends(".mp4")) return "video/mp4";
  if (ends(".png")) return "image/png";
  if (ends(".jpg") || ends(".jpeg")) return "image/jpeg";
  if (ends(".pdf")) return "application/pdf";
  if (ends(".json")) return "application/json; charset=utf-8";
  if (ends(".tsr")) return "application/timestamp-reply";
  if (ends(".vtt")) return "text/vtt; charset=utf-8";
  if (ends(".zip")) return "application/zip";
  if (ends(".journal") || ends(".events")) return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

std::string_view status_text(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 416: return "Range Not Satisfiable";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "";
  }
}

}  // namespace netsample::server
