// Content-addressed evidence files: each file is named by its SHA-256 under
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

namespace netsample::store {

struct StoredBlob {
  std::string sha256;        // lower-case hex
  std::uint64_t size = 0;
  bool already_present = false;  // identical bytes were stored before; nothing was written
};

class EvidenceStore {
 public:
  // Creates the folders if needed and removes temp files left by a crash more than an hour ago.
  static Result<EvidenceStore> open(const std::filesystem::path& root);

  Result<StoredBlob> put(std::string_view bytes);
  // Streams the file (any size) while hashing it.
  Result<StoredBlob> put_file(const std::filesystem::path& source);

  // The bytes, after checking they still hash to `sha256` (ErrorCode::integrity if not).
  Result<std::string> read(std::string_view sha256) const;
  // Re-hashes the stored file without loading it whole.
  Status verify(std::string_view sha256) const;
  bool contains(std::string_view sha256) const;
  std::filesystem::path path_of(std::string_view sha256) const;
  // Deletes a blob. REQUIRES: the caller has checked retention (Art 47) and that nothing refers to it.
  Status remove(std::string_view sha256);

 private:
  explicit EvidenceStore(std::filesystem::path root) : root_(std::move(root)) {}
  // Moves a complete, fsync'd temp file to its name by hash, unless that name exists already.
  Result<StoredBlob> install(const std::filesystem::path& temp, const Sha256Digest& digest, std::uint64_t size);
  Result<std::filesystem::path> new_temp_path() const;

  std::filesystem::path root_;
};

}  // namespace netsample::store
