#include "netsample/warc/warc.h"

#include <openssl/rand.h>
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>

#include <cstdio>
#include <ctime>

#include "netsample/core/sha256.h"

namespace netsample::warc {
namespace {

namespace fs = std::filesystem;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::optional<std::string> http_header(std::string_view message, std::string_view name) {
  const std::string_view head = message.substr(0, message.find("\r\n\r\n"));
  size_t line_start = head.find("\r\n");
  while (line_start != std::string_view::npos && line_start + 2 < head.size()) {
    const size_t begin = line_start + 2;
    const size_t end = head.find("\r\n", begin);
    const std::string_view line = head.substr(begin, end == std::string_view::npos ? std::string_view::npos : end - begin);
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos && lower(line.substr(0, colon)) == lower(name)) {
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
      return std::string(value);
    }
    line_start = end;
  }
  return std::nullopt;
}

namespace {

std::optional<std::string> dechunk(std::string_view body) {
  std::string out;
  size_t at = 0;
  for (;;) {
    const size_t line_end = body.find("\r\n", at);
    if (line_end == std::string_view::npos) return std::nullopt;
    std::string_view size_text = body.substr(at, line_end - at);
    if (const size_t semicolon = size_text.find(';'); semicolon != std::string_view::npos) size_text = size_text.substr(0, semicolon);
    if (size_text.empty() || size_text.size() > 15) return std::nullopt;
    std::uint64_t size = 0;
    for (char c : size_text) {
      const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (digit < 0) return std::nullopt;
      size = size * 16 + static_cast<std::uint64_t>(digit);
    }
    at = line_end + 2;
    if (size == 0) return out;  // trailers, if any, are not payload
    if (at + size + 2 > body.size()) return std::nullopt;
    out.append(body.substr(at, size));
    at += size + 2;
  }
}

Result<std::string> gzip_member(std::string_view bytes) {
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return make_error(ErrorCode::internal, "warc", "zlib 初始化失败");
  std::string out(deflateBound(&z, bytes.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int done = deflate(&z, Z_FINISH);
  const size_t written = out.size() - z.avail_out;
  deflateEnd(&z);
  if (done != Z_STREAM_END) return make_error(ErrorCode::internal, "warc", "zlib 压缩失败");
  out.resize(written);
  return out;
}

std::string digest_label(std::string_view bytes) { return "sha256:" + sha256_hex(bytes); }

}  // namespace

std::optional<std::string> http_payload(std::string_view message) {
  const size_t head_end = message.find("\r\n\r\n");
  if (head_end == std::string_view::npos || (!message.starts_with("HTTP/") && message.find(" HTTP/") == std::string_view::npos))
    return std::nullopt;
  const std::string_view head = message.substr(0, head_end);
  const std::string_view body = message.substr(head_end + 4);
  const auto encoding = http_header(head, "Transfer-Encoding");
  if (encoding && lower(*encoding).find("chunked") != std::string::npos) return dechunk(body);
  return std::string(body);
}

std::string new_record_id() {
  unsigned char b[16];
  RAND_bytes(b, sizeof b);
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
  char text[37];
  std::snprintf(text, sizeof text, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4],
                b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  return "<urn:uuid:" + std::string(text) + ">";
}

std::string format_warc_date(UtcTime time) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(time);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(time - seconds).count();
  const std::time_t t = std::chrono::system_clock::to_time_t(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[96];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                tm.tm_sec, static_cast<int>(millis));
  return text;
}

Result<Writer> Writer::create(const fs::path& file, const std::vector<std::pair<std::string, std::string>>& info, UtcTime now) {
  UniqueFd out(::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!out.valid() && errno == EEXIST) return make_error(ErrorCode::duplicate, file.string(), "WARC 文件已存在，不会覆盖");
  if (!out.valid()) return io_error(file, "无法创建 WARC 文件");
  Writer writer(file, std::move(out));
  Record warcinfo;
  warcinfo.type = "warcinfo";
  warcinfo.content_type = "application/warc-fields";
  warcinfo.date = now;
  for (const auto& [name, value] : info) warcinfo.block += name + ": " + value + "\r\n";
  warcinfo.extra_headers.push_back({"WARC-Filename", file.filename().string()});
  NETSAMPLE_ASSIGN(writer.warcinfo_, writer.write(warcinfo));
  return writer;
}

Result<WrittenRecord> Writer::write(const Record& record) {
  WrittenRecord w;
  w.id = new_record_id();
  w.type = record.type;
  w.target_uri = record.target_uri;
  w.block_digest = digest_label(record.block);
  if (record.type == "request" || record.type == "response") {
    if (auto payload = http_payload(record.block)) w.payload_digest = digest_label(*payload);
  } else if (record.type == "resource") {
    w.payload_digest = w.block_digest;  // a resource's block is its payload
  }
  std::string head = "WARC/1.1\r\nWARC-Type: " + record.type + "\r\nWARC-Record-ID: " + w.id + "\r\nWARC-Date: " + format_warc_date(record.date) + "\r\n";
  if (!record.target_uri.empty()) head += "WARC-Target-URI: " + record.target_uri + "\r\n";
  if (!record.ip_address.empty()) head += "WARC-IP-Address: " + record.ip_address + "\r\n";
  if (record.concurrent_to) head += "WARC-Concurrent-To: " + *record.concurrent_to + "\r\n";
  if (record.type != "warcinfo" && !warcinfo_.id.empty()) head += "WARC-Warcinfo-ID: " + warcinfo_.id + "\r\n";
  if (record.truncated) head += "WARC-Truncated: " + *record.truncated + "\r\n";
  for (const auto& [name, value] : record.extra_headers) head += name + ": " + value + "\r\n";
  head += "WARC-Block-Digest: " + w.block_digest + "\r\n";
  if (w.payload_digest) head += "WARC-Payload-Digest: " + *w.payload_digest + "\r\n";
  head += "Content-Type: " + record.content_type + "\r\nContent-Length: " + std::to_string(record.block.size()) + "\r\n\r\n";
  NETSAMPLE_ASSIGN(std::string member, gzip_member(head + record.block + "\r\n\r\n"));
  if (!out_.valid()) return make_error(ErrorCode::internal, file_.string(), "WARC 文件已关闭");
  NETSAMPLE_TRY(write_all(out_.get(), member, file_));
  w.member_sha256 = sha256(member);
  w.offset = offset_;
  w.length = member.size();
  offset_ += member.size();
  return w;
}

Status Writer::sync() {
  if (out_.valid() && ::fdatasync(out_.get()) != 0) return io_error(file_, "WARC 文件同步（fdatasync）失败");
  return {};
}

Status Writer::close() {
  NETSAMPLE_TRY(sync());
  UniqueFd closing = std::move(out_);
  if (closing.valid() && ::close(closing.release()) != 0) return io_error(file_, "写入 WARC 文件失败");
  return {};
}

}  // namespace netsample::warc
