// Files sent to the service before they become evidence: a seal photo, a lab's report, an unboxing video
// taken with a phone. An upload streams to <data>/uploads/<id>/<name> as it arrives (never held in memory),
// hashed on the way; it belongs to the account that sent it, and a later call names it by its id to make it
// evidence (evidence add, seal, unboxing import). Nothing uploaded is evidence until such a call stores it
// in the evidence store and the audit log; uploads left unused are removed after a day.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "netsample/core/error.h"
#include "netsample/core/sha256.h"
#include "netsample/core/time.h"

namespace netsample::server {

// A file name as sent in ?name=: one path segment, printable, at most 200 bytes.
Status check_upload_name(const std::string& name);

// The body of an upload request, written to disk as it arrives. Removed again unless keep() is called (the
// request failed or the connection was cut: nothing half-written stays).
class UploadFile {
 public:
  // REQUIRES: check_upload_name(name) passed.
  static Result<std::unique_ptr<UploadFile>> create(const std::filesystem::path& uploads_dir, const std::string& name);
  ~UploadFile();
  UploadFile(const UploadFile&) = delete;
  UploadFile& operator=(const UploadFile&) = delete;

  Status append(const char* data, std::size_t size);
  // Flushes to disk, writes the record (who sent it, when, its hash) beside it, and keeps it.
  Result<nlohmann::json> finish(const std::string& login, UtcTime now);

  const std::string& id() const { return id_; }
  // The file as written so far, for a handler that consumes it at once (a station's part: api_sync.cc); removed
  // with the object unless finish() kept it.
  const std::filesystem::path& path() const { return file_; }
  std::uint64_t size() const { return size_; }

 private:
  UploadFile() = default;
  std::filesystem::path uploads_dir_, dir_, file_;
  std::string id_, name_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
  Sha256 hash_;
  bool kept_ = false;
};

struct StoredUpload {
  std::string id, name, login, sha256;
  std::uint64_t size = 0;
  std::filesystem::path file;  // <data>/uploads/<id>/<name>
};

// The upload `id` if `login` sent it; not_found naming `field` otherwise (another account's upload does not
// exist for the caller).
Result<StoredUpload> find_upload(const std::filesystem::path& uploads_dir, const std::string& id, const std::string& login,
                                 const std::string& field);
// Removes an upload once what it carried is stored as evidence.
void remove_upload(const std::filesystem::path& uploads_dir, const std::string& id);
// Removes uploads (and interrupted ones) older than `age`.
void sweep_uploads(const std::filesystem::path& uploads_dir, std::chrono::seconds age);

}  // namespace netsample::server
