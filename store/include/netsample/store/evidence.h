// The local blob store (store/blobs.h), a station's default: each file is named by its SHA-256 under
// <root>/sha256/<first two hex digits>/<hex>. A file is written once, durably (temp file, fsync, hard
// link into place, fsync of the directory) and never rewritten; reading re-hashes and refuses a file
// whose bytes no longer match its name. Safe for several processes at once.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "netsample/core/error.h"
#include "netsample/core/sha256.h"
#include "netsample/store/blobs.h"

namespace netsample::store {

class EvidenceStore final : public BlobStore {
 public:
  // Creates the folders if needed and removes temp files left by a crash more than an hour ago.
  static Result<EvidenceStore> open(const std::filesystem::path& root);

  Result<StoredBlob> put(std::string_view bytes) override;
  Result<StoredBlob> put_file(const std::filesystem::path& source) override;
  Result<std::string> read(std::string_view sha256) const override;
  Status read_blocks(std::string_view sha256, const std::function<Status(std::string_view)>& sink) const override;
  Result<std::string> read_range(std::string_view sha256, std::uint64_t offset, std::uint64_t length) const override;
  Status verify(std::string_view sha256) const override;
  Result<bool> contains(std::string_view sha256) const override;
  Status remove(std::string_view sha256) override;
  Result<BlobStoreInfo> info() const override;
  std::optional<std::filesystem::path> local_path(std::string_view sha256) const override { return path_of(sha256); }

  std::filesystem::path path_of(std::string_view sha256) const;

 private:
  explicit EvidenceStore(std::filesystem::path root) : root_(std::move(root)) {}
  // Moves a complete, fsync'd temp file to its name by hash, unless that name exists already.
  Result<StoredBlob> install(const std::filesystem::path& temp, const Sha256Digest& digest, std::uint64_t size);
  Result<std::filesystem::path> new_temp_path() const;

  std::filesystem::path root_;
};

}  // namespace netsample::store
