#include "netsample/store/s3.h"

#include <openssl/hmac.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <mutex>
#include <thread>

#include "netsample/core/file_io.h"
#include "blob_name.h"
#include "netsample/core/sha256.h"
#include "netsample/store/store.h"
#include "xml_fields.h"

namespace netsample::store {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
const std::string kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::string hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &length);
  return std::string(reinterpret_cast<const char*>(out), length);
}

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string trim_collapse(std::string_view value) {
  std::string out;
  bool space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string canonical_query(std::vector<std::pair<std::string, std::string>> query) {
  for (auto& [name, value] : query) {
    name = sigv4_uri_encode(name, false);
    value = sigv4_uri_encode(value, false);
  }
  std::sort(query.begin(), query.end());
  std::string out;
  for (const auto& [name, value] : query) {
    if (!out.empty()) out += '&';
    out += name + "=" + value;  // a value-less parameter is written "name=" (Ceph's gateway signs it so)
  }
  return out;
}

struct Canonical {
  std::string request;
  std::string signed_headers;
};

Canonical canonical_request(const SignableRequest& request, const std::string& query) {
  std::map<std::string, std::string> headers = request.headers;
  headers["host"] = request.host;
  Canonical out;
  std::string header_block;
  for (const auto& [name, value] : headers) {
    header_block += name + ":" + trim_collapse(value) + "\n";
    if (!out.signed_headers.empty()) out.signed_headers += ';';
    out.signed_headers += name;
  }
  out.request = request.method + "\n" + request.path + "\n" + query + "\n" + header_block + "\n" + out.signed_headers +
                "\n" + request.payload_sha256;
  return out;
}

std::string signature(const std::string& canonical, const S3Credentials& keys, const std::string& region,
                      const std::string& amz_date, const std::string& service) {
  const std::string day = amz_date.substr(0, 8);
  const std::string scope = day + "/" + region + "/" + service + "/aws4_request";
  const std::string to_sign = "AWS4-HMAC-SHA256\n" + amz_date + "\n" + scope + "\n" + sha256_hex(canonical);
  const std::string key = hmac(hmac(hmac(hmac("AWS4" + keys.secret_key, day), region), service), "aws4_request");
  return hex(hmac(key, to_sign));
}

std::string amz_date_of(UtcTime t) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(t);
  const std::time_t raw = std::chrono::system_clock::to_time_t(std::chrono::sys_seconds(seconds));
  std::tm utc{};
  gmtime_r(&raw, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &utc);
  return text;
}

// "2032-12-06T02:40:00.123Z" (S3's RetainUntilDate).
std::optional<UtcTime> parse_s3_time(const std::string& text) {
  int y, mo, d, h, mi;
  double s;
  if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%lfZ", &y, &mo, &d, &h, &mi, &s) != 6) return std::nullopt;
  using namespace std::chrono;
  const sys_days day = year{y} / month{static_cast<unsigned>(mo)} / static_cast<unsigned>(d);
  return time_point_cast<microseconds>(day + hours{h} + minutes{mi}) + microseconds{static_cast<long long>(s * 1e6)};
}

std::string unquote(std::string etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  return etag;
}

std::string md5_hex(std::string_view bytes) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), out, &length, EVP_md5(), nullptr);
  return hex(std::string_view(reinterpret_cast<const char*>(out), length));
}

std::string base64(const Sha256Digest& digest) {
  unsigned char text[64];
  const int written = EVP_EncodeBlock(text, digest.data(), static_cast<int>(digest.size()));
  return std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(written));
}

// A URL's query as name/value pairs, in order ("a&b=1" gives {a, ""}, {b, "1"}).
std::vector<std::pair<std::string, std::string>> query_pairs(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  size_t start = 0;
  while (start < query.size()) {
    const size_t end = std::min(query.find('&', start), query.size());
    const std::string_view pair = query.substr(start, end - start);
    const size_t eq = pair.find('=');
    if (!pair.empty())
      pairs.emplace_back(std::string(pair.substr(0, eq)), eq == std::string_view::npos ? std::string() : std::string(pair.substr(eq + 1)));
    start = end + 1;
  }
  return pairs;
}

std::optional<std::string> query_value(std::string_view query, std::string_view name) {
  for (auto& [key, value] : query_pairs(query))
    if (key == name) return value;
  return std::nullopt;
}

}  // namespace

std::string sigv4_uri_encode(std::string_view text, bool keep_slash) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 15];
    }
  }
  return out;
}

std::string sigv4_authorization(const SignableRequest& request, const S3Credentials& keys, const std::string& region,
                                const std::string& amz_date, const std::string& service) {
  const Canonical canonical = canonical_request(request, canonical_query(request.query));
  return "AWS4-HMAC-SHA256 Credential=" + keys.access_key + "/" + amz_date.substr(0, 8) + "/" + region + "/" + service +
         "/aws4_request, SignedHeaders=" + canonical.signed_headers +
         ", Signature=" + signature(canonical.request, keys, region, amz_date, service);
}

std::string sigv4_presigned_query(const SignableRequest& request, const S3Credentials& keys, const std::string& region,
                                  const std::string& amz_date, std::chrono::seconds expires, const std::string& service) {
  SignableRequest only_host = request;
  only_host.headers.clear();
  only_host.payload_sha256 = std::string(kUnsignedPayload);
  auto query = request.query;
  query.emplace_back("X-Amz-Algorithm", "AWS4-HMAC-SHA256");
  query.emplace_back("X-Amz-Credential", keys.access_key + "/" + amz_date.substr(0, 8) + "/" + region + "/" + service + "/aws4_request");
  query.emplace_back("X-Amz-Date", amz_date);
  query.emplace_back("X-Amz-Expires", std::to_string(expires.count()));
  query.emplace_back("X-Amz-SignedHeaders", "host");
  const std::string canonical_text = canonical_query(query);
  const Canonical canonical = canonical_request(only_host, canonical_text);
  return canonical_text + "&X-Amz-Signature=" + signature(canonical.request, keys, region, amz_date, service);
}

Result<S3Credentials> s3_credentials(const std::optional<fs::path>& file) {
  S3Credentials keys;
  if (file) {
    struct stat info {};
    if (::stat(file->c_str(), &info) != 0) return io_error(*file, "无法读取对象存储密钥文件");
    if ((info.st_mode & 077) != 0)
      return make_error(ErrorCode::refused_by_rule, file->string(),
                        "对象存储密钥文件须只有其所有者可读（chmod 600），以免密钥外泄");
    NETSAMPLE_ASSIGN(std::string text, read_file(*file));
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      std::string line = text.substr(start, end - start);
      start = end + 1;
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
      if (line.rfind("access_key=", 0) == 0) keys.access_key = line.substr(11);
      if (line.rfind("secret_key=", 0) == 0) keys.secret_key = line.substr(11);
    }
    if (keys.access_key.empty() || keys.secret_key.empty())
      return make_error(ErrorCode::missing_field, file->string(), "密钥文件须有两行：access_key=… 与 secret_key=…");
    return keys;
  }
  auto env = [](const char* name) {
    const char* value = std::getenv(name);
    return value ? std::string(value) : std::string();
  };
  keys.access_key = env("NETSAMPLE_S3_ACCESS_KEY");
  keys.secret_key = env("NETSAMPLE_S3_SECRET_KEY");
  if (keys.access_key.empty()) keys.access_key = env("AWS_ACCESS_KEY_ID");
  if (keys.secret_key.empty()) keys.secret_key = env("AWS_SECRET_ACCESS_KEY");
  if (keys.access_key.empty() || keys.secret_key.empty())
    return make_error(ErrorCode::missing_field, "NETSAMPLE_S3_ACCESS_KEY",
                      "对象存储的密钥未给出：设环境变量 NETSAMPLE_S3_ACCESS_KEY 与 NETSAMPLE_S3_SECRET_KEY，"
                      "或在地址中写 credentials=密钥文件（不要写在命令行上）");
  return keys;
}

Result<S3Location> parse_s3_url(std::string_view url) {
  const std::string field = "evidence";
  if (!url.starts_with("s3://"))
    return make_error(ErrorCode::invalid_input, field, "对象存储地址须以 s3:// 开头，如 s3://netsample-evidence?endpoint=http://127.0.0.1:7480");
  std::string_view rest = url.substr(5);
  const size_t question = rest.find('?');
  const std::string_view path = rest.substr(0, question);
  const std::string_view query = question == std::string_view::npos ? std::string_view{} : rest.substr(question + 1);
  S3Location location;
  const size_t slash = path.find('/');
  location.bucket = std::string(path.substr(0, slash));
  if (slash != std::string_view::npos) {
    location.prefix = std::string(path.substr(slash + 1));
    if (!location.prefix.empty() && location.prefix.back() != '/') location.prefix += '/';
  }
  // S3's bucket naming rules: 3-63 characters, lower-case letters, digits, '.' and '-', starting and ending alnum.
  const bool name_ok = location.bucket.size() >= 3 && location.bucket.size() <= 63 &&
                       std::all_of(location.bucket.begin(), location.bucket.end(),
                                   [](char c) { return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.'; }) &&
                       std::isalnum(static_cast<unsigned char>(location.bucket.front())) &&
                       std::isalnum(static_cast<unsigned char>(location.bucket.back()));
  if (!name_ok)
    return make_error(ErrorCode::invalid_input, field + ".bucket",
                      "存储桶名须为 3–63 个小写字母、数字、“-”或“.”，首尾为字母或数字：" + location.bucket);
  auto endpoint = query_value(query, "endpoint");
  if (!endpoint || !(endpoint->starts_with("http://") || endpoint->starts_with("https://")))
    return make_error(ErrorCode::missing_field, field + ".endpoint",
                      "须给出对象存储服务的地址：?endpoint=http://主机:端口 或 https://…");
  location.endpoint = *endpoint;
  while (!location.endpoint.empty() && location.endpoint.back() == '/') location.endpoint.pop_back();
  if (location.endpoint.find('/', location.endpoint.find("//") + 2) != std::string::npos)
    return make_error(ErrorCode::invalid_input, field + ".endpoint", "服务地址只写协议、主机和端口，不带路径：" + location.endpoint);
  if (auto region = query_value(query, "region"); region && !region->empty()) location.region = *region;
  if (auto file = query_value(query, "credentials"); file && !file->empty()) location.credentials_file = fs::path(*file);
  for (const std::string_view forbidden : {"access_key", "secret_key", "secret"})
    if (query_value(query, forbidden))
      return make_error(ErrorCode::refused_by_rule, field + "." + std::string(forbidden),
                        "密钥不能写在地址里（会出现在命令行和日志中）：用环境变量或 credentials=密钥文件");
  return location;
}

std::string s3_url_without_credentials(const std::string& url) {
  if (url.empty()) return "local";
  const size_t question = url.find('?');
  if (question == std::string::npos) return url;
  std::string kept;
  for (const auto& [name, value] : query_pairs(std::string_view(url).substr(question + 1)))
    if (name != "credentials") kept += (kept.empty() ? "?" : "&") + name + (value.empty() ? "" : "=" + value);
  return url.substr(0, question) + kept;
}

std::string S3Response::error_code() const { return xml_first_text(body, "Code"); }

Error s3_error(const S3Response& response, const std::string& doing) {
  std::string message = doing + "：对象存储回答 HTTP " + std::to_string(response.status);
  const std::string code = response.error_code();
  if (!code.empty()) message += "（" + code + "）";
  const std::string detail = xml_first_text(response.body, "Message");
  if (!detail.empty()) message += "：" + detail;
  const ErrorCode kind = response.status == 403 ? ErrorCode::forbidden
                         : response.status == 404 ? ErrorCode::not_found
                                                  : ErrorCode::network;
  return make_error(kind, "evidence", message);
}

S3Client::S3Client(S3Location location, S3Credentials keys, const Clock& clock)
    : location_(std::move(location)), keys_(std::move(keys)), clock_(&clock) {}

std::string S3Client::host() const { return location_.endpoint.substr(location_.endpoint.find("//") + 2); }

std::string S3Client::object_path(const std::string& key) const {
  std::string path = "/" + sigv4_uri_encode(location_.bucket, false);
  if (!key.empty()) path += "/" + sigv4_uri_encode(location_.prefix + key, true);
  return path;
}

Result<S3Response> S3Client::request(const std::string& method, const std::string& key,
                                     std::vector<std::pair<std::string, std::string>> query, HttpHeaders headers,
                                     std::string body, std::optional<std::string> body_sha256) const {
  SignableRequest signable;
  signable.method = method;
  signable.host = host();
  signable.path = object_path(key);
  signable.query = query;
  // The body's SHA-256 is signed and checked by the server: a body changed on the way is refused.
  signable.payload_sha256 = body_sha256 ? *body_sha256 : (body.empty() ? kEmptySha256 : sha256_hex(body));
  const std::string amz_date = amz_date_of(clock_->now());
  for (auto& [name, value] : headers) {
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    signable.headers[lower] = value;
  }
  signable.headers["x-amz-date"] = amz_date;
  signable.headers["x-amz-content-sha256"] = signable.payload_sha256;

  HttpRequest http;
  http.method = method;
  const std::string query_text = canonical_query(query);
  http.url = location_.endpoint + signable.path + (query_text.empty() ? "" : "?" + query_text);
  for (const auto& [name, value] : signable.headers) http.headers.emplace_back(name, value);
  http.headers.emplace_back("Authorization", sigv4_authorization(signable, keys_, location_.region, amz_date));
  http.body = std::move(body);
  http.timeout = std::chrono::minutes(5);  // a part of 8 MiB over a slow office line
  NETSAMPLE_ASSIGN(HttpResponse answer, http_.send(http));
  return S3Response{std::move(answer)};
}

int retention_days_for_years(int years) {
  // S3 counts retention in days of 24 h; six calendar years hold up to two 29 Februaries. One more day for the hours.
  return years * 365 + (years + 3) / 4 + 1;
}

Status S3Client::create_locked_bucket(int years) const {
  NETSAMPLE_ASSIGN(S3Response created, request("PUT", "", {}, {{"x-amz-bucket-object-lock-enabled", "true"}}));
  const std::string code = created.error_code();
  if (created.status != 200 && code != "BucketAlreadyOwnedByYou" && code != "BucketAlreadyExists")
    return s3_error(created, "创建存储桶 " + location_.bucket);
  if (created.status != 200) return {};  // ours already: its lock is what it is, reported by lock_days()
  const std::string rule =
      "<ObjectLockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><ObjectLockEnabled>Enabled</ObjectLockEnabled>"
      "<Rule><DefaultRetention><Mode>COMPLIANCE</Mode><Days>" + std::to_string(retention_days_for_years(years)) +
      "</Days></DefaultRetention></Rule></ObjectLockConfiguration>";
  NETSAMPLE_ASSIGN(S3Response locked, request("PUT", "", {{"object-lock", ""}}, {{"Content-Type", "application/xml"}}, rule));
  if (locked.status != 200) return s3_error(locked, "为存储桶 " + location_.bucket + " 设定保存期锁定");
  return {};
}

Result<std::optional<int>> S3Client::lock_days() const {
  NETSAMPLE_ASSIGN(S3Response answer, request("GET", "", {{"object-lock", ""}}));
  if (answer.status == 404 && answer.error_code() == "NoSuchBucket")
    return make_error(ErrorCode::not_found, "evidence.bucket",
                      "对象存储中没有存储桶 " + location_.bucket + "（" + location_.endpoint +
                          "）：先运行 netsample --evidence … storage init 建立它（对象锁定 6 年，第47条）");
  if (answer.status == 403) return s3_error(answer, "读取存储桶 " + location_.bucket + " 的对象锁定（密钥是否正确？）");
  if (answer.status != 200) return std::optional<int>();  // no lock configuration on this bucket
  auto rules = xml_elements(answer.body, "DefaultRetention", {"Mode", "Years", "Days"});
  if (rules.empty() || rules.front()["Mode"] != "COMPLIANCE") return std::optional<int>();
  // A rule in years means years of 365 days (so "6 years" ends up to two days before six calendar years do).
  if (!rules.front()["Years"].empty()) return std::optional<int>(std::atoi(rules.front()["Years"].c_str()) * 365);
  if (!rules.front()["Days"].empty()) return std::optional<int>(std::atoi(rules.front()["Days"].c_str()));
  return std::optional<int>();
}

Result<S3Response> S3Client::put_object(const std::string& key, std::string bytes, bool create_once) const {
  const Sha256Digest digest_bytes = sha256(bytes);
  const std::string digest = to_hex(digest_bytes);
  // An integrity header is what S3 asks of every write to a bucket with Object Lock: the SHA-256 we have, not an MD5.
  HttpHeaders headers{{"x-amz-sdk-checksum-algorithm", "SHA256"}, {"x-amz-checksum-sha256", base64(digest_bytes)}};
  if (create_once) headers.emplace_back("If-None-Match", "*");
  const std::uint64_t size = bytes.size();
  NETSAMPLE_ASSIGN(S3Response answer, request("PUT", key, {}, std::move(headers), std::move(bytes), digest));
  *bytes_sent_ += size;
  return answer;
}

Result<std::optional<std::uint64_t>> S3Client::object_size(const std::string& key) const {
  NETSAMPLE_ASSIGN(S3Response answer, request("HEAD", key));
  if (answer.status == 404) return std::optional<std::uint64_t>();
  if (answer.status != 200) return s3_error(answer, "查看对象 " + key);
  return std::optional<std::uint64_t>(std::stoull(answer.header("Content-Length").empty() ? "0" : answer.header("Content-Length")));
}

Result<std::string> S3Client::get_range(const std::string& key, std::uint64_t offset, std::uint64_t length) const {
  NETSAMPLE_ASSIGN(S3Response answer, request("GET", key, {}, {{"Range", "bytes=" + std::to_string(offset) + "-" + std::to_string(offset + length - 1)}}));
  if (answer.status != 206 && answer.status != 200) return s3_error(answer, "读取对象 " + key);
  if (answer.status == 200 && offset != 0) return make_error(ErrorCode::network, key, "对象存储未按范围回答（HTTP 200）");
  if (answer.body.size() > length) answer.body.resize(length);
  return std::move(answer.body);
}

Result<std::vector<S3Version>> S3Client::versions(const std::string& key) const {
  NETSAMPLE_ASSIGN(S3Response answer, request("GET", "", {{"prefix", location_.prefix + key}, {"versions", ""}}));
  if (answer.status != 200) return s3_error(answer, "列出对象 " + key + " 的版本");
  std::vector<S3Version> out;
  for (const char* kind : {"Version", "DeleteMarker"})
    for (auto& fields : xml_elements(answer.body, kind, {"Key", "VersionId"}))
      if (fields["Key"] == location_.prefix + key) out.push_back({key, fields["VersionId"], std::string_view(kind) == "DeleteMarker"});
  return out;
}

Result<std::optional<std::pair<std::string, UtcTime>>> S3Client::retention(const std::string& key, const std::string& version_id) const {
  using Held = std::optional<std::pair<std::string, UtcTime>>;
  NETSAMPLE_ASSIGN(S3Response answer, request("GET", key, {{"retention", ""}, {"versionId", version_id}}));
  if (answer.status != 200) return Held();
  auto until = parse_s3_time(xml_first_text(answer.body, "RetainUntilDate"));
  if (!until) return Held();
  return Held(std::make_pair(xml_first_text(answer.body, "Mode"), *until));
}

Result<std::optional<std::string>> S3Client::open_upload(const std::string& key) const {
  NETSAMPLE_ASSIGN(S3Response answer, request("GET", "", {{"prefix", location_.prefix + key}, {"uploads", ""}}));
  if (answer.status != 200) return s3_error(answer, "列出未完成的分段上传");
  for (auto& upload : xml_elements(answer.body, "Upload", {"Key", "UploadId"}))
    if (upload["Key"] == location_.prefix + key) return std::optional<std::string>(upload["UploadId"]);
  return std::optional<std::string>();
}

Result<std::string> S3Client::start_upload(const std::string& key) const {
  NETSAMPLE_ASSIGN(S3Response answer, request("POST", key, {{"uploads", ""}}));
  if (answer.status != 200) return s3_error(answer, "开始分段上传 " + key);
  std::string id = xml_first_text(answer.body, "UploadId");
  if (id.empty()) return make_error(ErrorCode::network, key, "对象存储开始分段上传的回答中没有 UploadId");
  return id;
}

Result<std::vector<S3Part>> S3Client::uploaded_parts(const std::string& key, const std::string& upload_id) const {
  NETSAMPLE_ASSIGN(S3Response answer, request("GET", key, {{"uploadId", upload_id}}));
  if (answer.status != 200) return s3_error(answer, "列出已上传的分段");
  std::vector<S3Part> parts;
  for (auto& part : xml_elements(answer.body, "Part", {"PartNumber", "ETag", "Size"}))
    parts.push_back({std::atoi(part["PartNumber"].c_str()), unquote(part["ETag"]), std::stoull(part["Size"].empty() ? "0" : part["Size"])});
  return parts;
}

Result<S3Part> S3Client::upload_part(const std::string& key, const std::string& upload_id, int number, std::string bytes) const {
  const std::uint64_t size = bytes.size();
  NETSAMPLE_ASSIGN(S3Response answer, request("PUT", key, {{"partNumber", std::to_string(number)}, {"uploadId", upload_id}}, {}, std::move(bytes)));
  *bytes_sent_ += size;
  if (answer.status != 200) return s3_error(answer, "上传第 " + std::to_string(number) + " 段");
  return S3Part{number, unquote(answer.header("ETag")), size};
}

Status S3Client::complete_upload(const std::string& key, const std::string& upload_id, const std::vector<S3Part>& parts) const {
  std::string body = "<CompleteMultipartUpload>";
  for (const auto& part : parts)
    body += "<Part><PartNumber>" + std::to_string(part.number) + "</PartNumber><ETag>\"" + part.etag + "\"</ETag></Part>";
  body += "</CompleteMultipartUpload>";
  NETSAMPLE_ASSIGN(S3Response answer, request("POST", key, {{"uploadId", upload_id}}, {{"Content-Type", "application/xml"}}, body));
  // S3 may answer 200 with an error in the body when the assembly fails late.
  if (answer.status != 200 || !answer.error_code().empty()) return s3_error(answer, "完成分段上传 " + key);
  return {};
}

Status S3Client::abort_upload(const std::string& key, const std::string& upload_id) const {
  NETSAMPLE_ASSIGN(S3Response answer, request("DELETE", key, {{"uploadId", upload_id}}));
  if (answer.status != 204 && answer.status != 200 && answer.status != 404) return s3_error(answer, "放弃分段上传 " + key);
  return {};
}

std::string S3Client::presigned_get(const std::string& key, std::chrono::seconds expires) const {
  SignableRequest signable;
  signable.method = "GET";
  signable.host = host();
  signable.path = object_path(key);
  return location_.endpoint + signable.path + "?" +
         sigv4_presigned_query(signable, keys_, location_.region, amz_date_of(clock_->now()), expires);
}

// ---- the blob store ----

Result<std::unique_ptr<S3BlobStore>> S3BlobStore::open(const S3Location& location, const S3Credentials& keys, const Clock& clock) {
  S3Client client(location, keys, clock);
  NETSAMPLE_ASSIGN(std::optional<int> days, client.lock_days());
  return std::unique_ptr<S3BlobStore>(new S3BlobStore(std::move(client), days));
}

std::string S3BlobStore::key_of(std::string_view sha256) const { return "sha256/" + std::string(sha256); }

Result<StoredBlob> S3BlobStore::put(std::string_view bytes) {
  StoredBlob blob{sha256_hex(bytes), bytes.size(), false};
  const std::string key = key_of(blob.sha256);
  NETSAMPLE_ASSIGN(std::optional<std::uint64_t> present, client_.object_size(key));
  if (present) {
    blob.already_present = true;
    return blob;
  }
  // If-None-Match: a bucket without a lock refuses a second write (412); a locked, versioned one ignores it, and the
  // signed SHA-256 makes any second write the same bytes.
  NETSAMPLE_ASSIGN(S3Response answer, client_.put_object(key, std::string(bytes), true));
  if (answer.status == 412) {
    blob.already_present = true;
    return blob;
  }
  if (answer.status != 200) return s3_error(answer, "存入证据 " + blob.sha256);
  return blob;
}

Result<StoredBlob> S3BlobStore::put_file(const fs::path& source) {
  // The key is the file's SHA-256, so it is known before anything is sent; a file changed meanwhile is caught by the
  // server (a small one's body is signed with its hash) or by the read-back (a large one).
  NETSAMPLE_ASSIGN(Sha256Digest digest, sha256_file(source));
  const std::string sha256 = to_hex(digest);
  NETSAMPLE_ASSIGN(RangeReader reader, RangeReader::open(source));
  if (reader.size() <= kPartSize) {
    NETSAMPLE_ASSIGN(std::string_view all, reader.range(0, reader.size()));
    NETSAMPLE_ASSIGN(StoredBlob blob, put(std::string(all)));
    if (blob.sha256 != sha256) return make_error(ErrorCode::io, source.string(), "文件在存入时被改动");
    return blob;
  }
  const std::string key = key_of(sha256);
  NETSAMPLE_ASSIGN(std::optional<std::uint64_t> present, client_.object_size(key));
  if (present) return StoredBlob{sha256, reader.size(), true};
  return put_multipart(source, sha256, reader.size());
}

Result<StoredBlob> S3BlobStore::put_multipart(const fs::path& source, const std::string& sha256, std::uint64_t size) {
  const std::string key = key_of(sha256);
  std::error_code ec;
  if (fs::file_size(source, ec) != size || ec) return make_error(ErrorCode::io, source.string(), "文件在存入时被改动");
  // Resumable: an unfinished upload of the same key (same bytes, by the key) keeps the parts that match the file.
  NETSAMPLE_ASSIGN(std::optional<std::string> open_id, client_.open_upload(key));
  std::string upload_id;
  std::map<int, S3Part> done;
  if (open_id) {
    upload_id = *open_id;
    NETSAMPLE_ASSIGN(std::vector<S3Part> parts, client_.uploaded_parts(key, upload_id));
    for (const auto& part : parts) done[part.number] = part;
  } else {
    NETSAMPLE_ASSIGN(upload_id, client_.start_upload(key));
  }
  // Parts go up kParallelParts at a time (one connection each), each thread reading its own part of the file.
  const int count = static_cast<int>((size + kPartSize - 1) / kPartSize);
  std::vector<S3Part> parts(static_cast<size_t>(count));
  std::atomic<int> next{1};
  std::mutex failed_mutex;
  std::optional<Error> failed;
  auto send_parts = [&] {
    auto reader_of_thread = RangeReader::open(source);
    for (int number = next++; number <= count; number = next++) {
      Status sent = [&]() -> Status {
        if (!reader_of_thread.ok()) return reader_of_thread.error();
        const std::uint64_t offset = static_cast<std::uint64_t>(number - 1) * kPartSize;
        const std::uint64_t length = std::min(kPartSize, size - offset);
        NETSAMPLE_ASSIGN(std::string_view bytes, reader_of_thread->range(offset, length));
        // A part the server holds counts only when it is these bytes (its ETag is their MD5, size equal).
        if (auto held = done.find(number); held != done.end() && held->second.size == length && held->second.etag == md5_hex(bytes)) {
          parts[static_cast<size_t>(number - 1)] = held->second;
          return {};
        }
        NETSAMPLE_ASSIGN(parts[static_cast<size_t>(number - 1)], client_.upload_part(key, upload_id, number, std::string(bytes)));
        return {};
      }();
      if (!sent.ok()) {
        const std::lock_guard lock(failed_mutex);
        if (!failed) failed = sent.error();
        next = count + 1;  // the others stop after their current part; the upload stays open to resume
      }
    }
  };
  {
    std::vector<std::jthread> senders;
    for (int i = 1; i < std::min(kParallelParts, count); ++i) senders.emplace_back(send_parts);
    send_parts();
  }
  if (failed) return *failed;
  NETSAMPLE_TRY(client_.complete_upload(key, upload_id, parts));
  // The assembled object is read back and hashed: a multipart ETag is not a SHA-256.
  if (Status whole = verify(sha256); !whole.ok())
    return make_error(ErrorCode::integrity, sha256, "分段上传拼成的对象与文件不符：" + whole.error().message);
  return StoredBlob{sha256, size, false};
}

Status S3BlobStore::read_blocks(std::string_view sha256, const std::function<Status(std::string_view)>& sink) const {
  NETSAMPLE_TRY(check_blob_name(sha256));
  const std::string key = key_of(sha256);
  NETSAMPLE_ASSIGN(std::optional<std::uint64_t> size, client_.object_size(key));
  if (!size) return make_error(ErrorCode::not_found, std::string(sha256), "对象存储中没有这份证据：" + key);
  // The next block is fetched while this one is hashed and handed on.
  auto fetch = [this, &key, total = *size](std::uint64_t offset) { return client_.get_range(key, offset, std::min(kPartSize, total - offset)); };
  Sha256 hasher;
  std::future<Result<std::string>> next;
  if (*size > 0) next = std::async(std::launch::async, fetch, 0);
  for (std::uint64_t offset = 0; offset < *size; offset += kPartSize) {
    Result<std::string> block = next.get();
    if (offset + kPartSize < *size) next = std::async(std::launch::async, fetch, offset + kPartSize);
    if (!block.ok()) return block.error();
    hasher.update(*block);
    NETSAMPLE_TRY(sink(*block));
  }
  const std::string actual = to_hex(hasher.finish());
  if (actual != sha256)
    return make_error(ErrorCode::integrity, std::string(sha256),
                      "对象存储中的证据与其 SHA-256 不符（实际为 " + actual + "），对象可能已被改动：" + key);
  return {};
}

Result<std::string> S3BlobStore::read(std::string_view sha256) const {
  std::string bytes;
  NETSAMPLE_TRY(read_blocks(sha256, [&](std::string_view block) -> Status {
    bytes.append(block);
    return {};
  }));
  return bytes;
}

Result<std::string> S3BlobStore::read_range(std::string_view sha256, std::uint64_t offset, std::uint64_t length) const {
  NETSAMPLE_TRY(check_blob_name(sha256));
  if (length == 0) return std::string();
  return client_.get_range(key_of(sha256), offset, length);
}

Status S3BlobStore::verify(std::string_view sha256) const {
  return read_blocks(sha256, [](std::string_view) -> Status { return {}; });
}

Result<bool> S3BlobStore::contains(std::string_view sha256) const {
  NETSAMPLE_TRY(check_blob_name(sha256));
  NETSAMPLE_ASSIGN(std::optional<std::uint64_t> size, client_.object_size(key_of(sha256)));
  return size.has_value();
}

Status S3BlobStore::remove(std::string_view sha256) {
  NETSAMPLE_TRY(check_blob_name(sha256));
  const std::string key = key_of(sha256);
  // Every version goes, not only the current one: on a versioned bucket a plain DELETE only hides the object.
  NETSAMPLE_ASSIGN(std::vector<S3Version> versions, client_.versions(key));
  if (versions.empty()) {
    NETSAMPLE_ASSIGN(S3Response answer, client_.request("DELETE", key));
    if (answer.status != 204 && answer.status != 200 && answer.status != 404) return s3_error(answer, "删除证据 " + key);
    return {};
  }
  for (const auto& version : versions) {
    NETSAMPLE_ASSIGN(S3Response answer, client_.request("DELETE", key, {{"versionId", version.version_id}}));
    if (answer.status == 403 && !version.delete_marker)
      return make_error(ErrorCode::refused_by_rule, std::string(sha256),
                        "对象存储的保存期锁定（COMPLIANCE）不允许在期满前删除这份证据（" + key + "）", 47);
    if (answer.status != 204 && answer.status != 200 && answer.status != 404) return s3_error(answer, "删除证据 " + key);
  }
  return {};
}

Result<BlobStoreInfo> S3BlobStore::info() const {
  const auto& where = client_.location();
  BlobStoreInfo info;
  info.location = "s3://" + where.bucket + "/" + where.prefix + "（" + where.endpoint + "）";
  const int needed = retention_days_for_years(kRetentionYears) - 1;  // six calendar years at their longest
  info.retention_locked = lock_days_.has_value() && *lock_days_ >= needed;
  if (info.retention_locked)
    info.protection = "对象锁定（COMPLIANCE）" + std::to_string(*lock_days_) +
                      " 天（不短于 6 年，第四十七条）：任何 S3 客户端（包括本服务）在期满前都不能删除或覆盖证据；"
                      "这把锁挡住的是 S3 接口，挡不住存储集群的管理员（他可在集群内清除存储桶）";
  else if (lock_days_)
    info.protection = "对象锁定只有 " + std::to_string(*lock_days_) + " 天，短于第四十七条要求的 6 年（最长 " + std::to_string(needed) +
                      " 天）：期满后、6 年未到时 S3 客户端可删除证据";
  else
    info.protection = "存储桶没有对象锁定：持有密钥的 S3 客户端可以删除证据，只有审计链与时间戳能发现（第四十七条要求保存 6 年）";
  return info;
}

}  // namespace netsample::store
