// Evidence in S3-compatible object storage (the centre's blob store, store/blobs.h), spoken over the core HTTP
// client with our own AWS Signature Version 4 (OpenSSL's HMAC): Debian 12 has no AWS SDK for C++, libs3 there signs
// only V2, and libcurl's CURLOPT_AWS_SIGV4 cannot make pre-signed URLs and needs three workarounds against Ceph's
// gateway (design/store.md, "Object storage").
//
// Each blob is the object `<prefix>sha256/<hex>`, uploaded with its SHA-256 as x-amz-content-sha256, so the server
// refuses any other body (and an x-amz-checksum-sha256, which AWS wants on writes to a locked bucket); large files go up in parts (resumable: the parts the server already holds are compared
// with the file and kept) and the assembled object is hashed again, since a multipart ETag is not a SHA-256.
// Six years of retention (Art 47) is the bucket's Object Lock in COMPLIANCE mode: the S3 API then refuses to delete
// a blob's versions before their time. The cluster's operator is not an S3 client and can still purge a bucket.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "netsample/core/error.h"
#include "netsample/core/http.h"
#include "netsample/core/time.h"
#include "netsample/store/blobs.h"

namespace netsample::store {

struct S3Credentials {
  std::string access_key;
  std::string secret_key;
};

// Reads the keys from the environment (NETSAMPLE_S3_ACCESS_KEY and NETSAMPLE_S3_SECRET_KEY, else AWS_ACCESS_KEY_ID
// and AWS_SECRET_ACCESS_KEY), or from `file` when given: two lines `access_key=…`, `secret_key=…` (a file readable
// by its owner only). Never from a command line, never logged.
Result<S3Credentials> s3_credentials(const std::optional<std::filesystem::path>& file);

// Where the objects are: `s3://BUCKET[/PREFIX]?endpoint=http://host:port[&region=R][&credentials=FILE]`.
struct S3Location {
  std::string endpoint;  // scheme://host[:port], no trailing slash; path-style requests (endpoint/bucket/key)
  std::string bucket;
  std::string prefix;    // "" or ending in '/'
  std::string region = "us-east-1";
  std::optional<std::filesystem::path> credentials_file;
};
Result<S3Location> parse_s3_url(std::string_view url);
// The same URL without its credentials file: what two locations are compared by (the file may move; keys are never
// in the URL). "" is "local".
std::string s3_url_without_credentials(const std::string& url);

// --- Signature Version 4 (AWS's "Signing AWS API requests"), exposed for its tests ---
struct SignableRequest {
  std::string method;
  std::string host;                                // as sent in Host: (with :port when not the scheme's default)
  std::string path;                                // already URI-encoded, starting with '/'
  std::vector<std::pair<std::string, std::string>> query;  // decoded; order does not matter
  std::map<std::string, std::string> headers;      // names in lower case, all signed (host is added)
  std::string payload_sha256;                      // hex, or "UNSIGNED-PAYLOAD"
};
// The value of the Authorization header; `amz_date` is YYYYMMDDTHHMMSSZ and must be sent as x-amz-date.
std::string sigv4_authorization(const SignableRequest& request, const S3Credentials& keys, const std::string& region,
                                const std::string& amz_date, const std::string& service = "s3");
// The query string (without '?') of a pre-signed URL for `request` (its headers other than host are not signed).
std::string sigv4_presigned_query(const SignableRequest& request, const S3Credentials& keys, const std::string& region,
                                  const std::string& amz_date, std::chrono::seconds expires,
                                  const std::string& service = "s3");
// RFC 3986 encoding as SigV4 wants it: everything but A-Z a-z 0-9 - . _ ~ as %XX; '/' kept when `keep_slash`.
std::string sigv4_uri_encode(std::string_view text, bool keep_slash);

// The days of retention that cover `years` calendar years at their longest (leap days), plus one.
int retention_days_for_years(int years);

// --- A small S3 client: the requests the blob store and its tests need ---
// An HTTP answer (status, body, headers, header()) that can also say S3's error code.
struct S3Response : HttpResponse {
  // The <Code> of an S3 error body ("NoSuchKey", "AccessDenied"), empty when none.
  std::string error_code() const;
};

struct S3Part {
  int number = 0;
  std::string etag;  // as the server gives it, quotes removed
  std::uint64_t size = 0;
};

struct S3Version {
  std::string key;
  std::string version_id;
  bool delete_marker = false;
};

class S3Client {
 public:
  S3Client(S3Location location, S3Credentials keys, const Clock& clock);

  // Any request on the bucket (key "" for the bucket itself). `query` values may be empty ("uploads=").
  Result<S3Response> request(const std::string& method, const std::string& key,
                             std::vector<std::pair<std::string, std::string>> query = {}, HttpHeaders headers = {},
                             std::string body = {}, std::optional<std::string> body_sha256 = std::nullopt) const;

  // Creates the bucket with Object Lock enabled and a default COMPLIANCE retention of at least `years` calendar years
  // (S3 counts days of 24 h: retention_days_for_years); an existing bucket of ours is left as it is (see lock_days()).
  Status create_locked_bucket(int years) const;
  // The bucket's default COMPLIANCE retention in days; nullopt when the bucket has no lock or no default rule.
  Result<std::optional<int>> lock_days() const;

  // PUT of a whole object with its SHA-256 signed (the server refuses other bytes); If-None-Match: * when create_once.
  Result<S3Response> put_object(const std::string& key, std::string bytes, bool create_once) const;
  Result<std::optional<std::uint64_t>> object_size(const std::string& key) const;  // HEAD; nullopt: absent
  Result<std::string> get_range(const std::string& key, std::uint64_t offset, std::uint64_t length) const;
  Result<std::vector<S3Version>> versions(const std::string& key) const;
  // The retention of one version: mode and the instant until which it holds; nullopt when it has none.
  Result<std::optional<std::pair<std::string, UtcTime>>> retention(const std::string& key, const std::string& version_id) const;

  // Multipart uploads (parts of at least 5 MiB but the last).
  Result<std::optional<std::string>> open_upload(const std::string& key) const;  // an unfinished upload's id, if any
  Result<std::string> start_upload(const std::string& key) const;
  Result<std::vector<S3Part>> uploaded_parts(const std::string& key, const std::string& upload_id) const;
  Result<S3Part> upload_part(const std::string& key, const std::string& upload_id, int number, std::string bytes) const;
  Status complete_upload(const std::string& key, const std::string& upload_id, const std::vector<S3Part>& parts) const;
  Status abort_upload(const std::string& key, const std::string& upload_id) const;

  // A URL anyone may GET `key` with until `expires` from now (for a browser to fetch a recording directly).
  std::string presigned_get(const std::string& key, std::chrono::seconds expires) const;

  const S3Location& location() const { return location_; }
  // Object bytes sent so far by put_object and upload_part (what a resumed upload did not send again; the
  // benchmark's MB/s).
  std::uint64_t object_bytes_sent() const { return *bytes_sent_; }

 private:
  std::string object_path(const std::string& key) const;
  std::string host() const;  // as sent in Host: and signed
  S3Location location_;
  S3Credentials keys_;
  const Clock* clock_;
  HttpClient http_;
  std::unique_ptr<std::atomic<std::uint64_t>> bytes_sent_ = std::make_unique<std::atomic<std::uint64_t>>(0);
};

// An S3 error as an Error: names the request and the server's code and message.
Error s3_error(const S3Response& response, const std::string& doing);

class S3BlobStore final : public BlobStore {
 public:
  // Checks that the bucket answers and reads its lock. REQUIRES: clock outlives the store.
  static Result<std::unique_ptr<S3BlobStore>> open(const S3Location& location, const S3Credentials& keys, const Clock& clock);

  Result<StoredBlob> put(std::string_view bytes) override;
  Result<StoredBlob> put_file(const std::filesystem::path& source) override;
  Result<std::string> read(std::string_view sha256) const override;
  Status read_blocks(std::string_view sha256, const std::function<Status(std::string_view)>& sink) const override;
  Result<std::string> read_range(std::string_view sha256, std::uint64_t offset, std::uint64_t length) const override;
  Status verify(std::string_view sha256) const override;
  Result<bool> contains(std::string_view sha256) const override;
  Status remove(std::string_view sha256) override;
  Result<BlobStoreInfo> info() const override;

  // The object a blob is kept as (for tests and the operator's tools).
  std::string key_of(std::string_view sha256) const;
  const S3Client& client() const { return client_; }

  // Files larger than this go up in parts of this size (S3's minimum part is 5 MiB).
  static constexpr std::uint64_t kPartSize = 8 << 20;
  // Parts sent at once (connections): enough to keep a gateway busy, few enough for an office line.
  static constexpr int kParallelParts = 3;

 private:
  S3BlobStore(S3Client client, std::optional<int> lock_days) : client_(std::move(client)), lock_days_(lock_days) {}
  Result<StoredBlob> put_multipart(const std::filesystem::path& source, const std::string& sha256, std::uint64_t size);
  S3Client client_;
  std::optional<int> lock_days_;
};

}  // namespace netsample::store
