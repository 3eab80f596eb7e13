// Where evidence bytes live, behind one interface: content-addressed blobs, each named by the SHA-256 of its
// bytes, written once and never rewritten, re-hashed when read. Two backends: a local folder (the station's
// default, store/evidence.h) and S3-compatible object storage (the centre's, store/s3.h). Callers never see
// where a blob is kept; they name it by its hash.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "netsample/core/error.h"

namespace netsample::store {

struct StoredBlob {
  std::string sha256;            // lower-case hex
  std::uint64_t size = 0;
  bool already_present = false;  // identical bytes were stored before; nothing was written
};

// What a blob store says about itself (`netsample info`): where, and what protects its contents.
struct BlobStoreInfo {
  std::string location;          // a folder, or s3://bucket at an endpoint
  bool retention_locked = false; // the store itself refuses deletion during retention (S3 Object Lock)
  std::string protection;        // for a person: what guards the blobs, and what does not
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;

  virtual Result<StoredBlob> put(std::string_view bytes) = 0;
  // Streams the file (any size) while hashing it.
  virtual Result<StoredBlob> put_file(const std::filesystem::path& source) = 0;

  // The bytes, after checking they still hash to `sha256` (ErrorCode::integrity if not).
  virtual Result<std::string> read(std::string_view sha256) const = 0;
  // Hands the bytes to `sink` in order, a block at a time, then checks the whole hashes to `sha256`: the sink may
  // have seen bytes of a damaged blob, and the caller must drop what it made of them when this fails.
  virtual Status read_blocks(std::string_view sha256, const std::function<Status(std::string_view)>& sink) const = 0;
  // Bytes [offset, offset + length) of a blob, for a player seeking in a video. Not checked against the hash (a
  // range cannot be); read, read_blocks and verify check the whole.
  virtual Result<std::string> read_range(std::string_view sha256, std::uint64_t offset, std::uint64_t length) const = 0;
  // Re-hashes the stored blob without loading it whole.
  virtual Status verify(std::string_view sha256) const = 0;
  virtual Result<bool> contains(std::string_view sha256) const = 0;
  // Deletes a blob. REQUIRES: the caller has checked retention (Art 47) and that nothing refers to it. A store with
  // its own retention lock refuses while the lock holds (refused_by_rule, Art 47).
  virtual Status remove(std::string_view sha256) = 0;

  virtual Result<BlobStoreInfo> info() const = 0;

  // The blob as a file on this machine when the store keeps it as one (the local folder), else nullopt. Only for
  // blob_file() and zero-copy sending; everything else reads through the interface.
  virtual std::optional<std::filesystem::path> local_path(std::string_view /*sha256*/) const { return std::nullopt; }
};

// A blob as a file to read, for readers that need one (a zip writer, a WARC index): the local store's own file, or a
// copy in a temp folder, checked against the hash while it is made and removed when this object dies.
class BlobFile {
 public:
  BlobFile(std::filesystem::path path, bool temporary) : path_(std::move(path)), temporary_(temporary) {}
  BlobFile(BlobFile&& other) noexcept : path_(std::move(other.path_)), temporary_(other.temporary_) { other.temporary_ = false; }
  BlobFile& operator=(BlobFile&&) = delete;
  BlobFile(const BlobFile&) = delete;
  ~BlobFile();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  bool temporary_ = false;
};
// `temp_dir` must exist; an integrity error (and no file) when the copy does not hash to `sha256`.
Result<BlobFile> blob_file(const BlobStore& blobs, std::string_view sha256, const std::filesystem::path& temp_dir);

}  // namespace netsample::store
