// Durable file writes. A file written here is either absent or complete on disk, after a crash or
// a power cut alike: temp file in the same directory, fsync, rename, fsync of the directory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

#include "netsample/core/error.h"

namespace netsample {

// Owns a POSIX file descriptor; closes it once.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd();
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

// Writes all of `bytes` to fd, retrying short writes and EINTR.
Status write_all(int fd, std::string_view bytes, const std::filesystem::path& for_errors);

// Replaces (or creates) `target` atomically and durably with `bytes`, file mode `mode`.
Status write_file_atomic(const std::filesystem::path& target, std::string_view bytes, mode_t mode = 0644);

// Makes a rename or a new entry in `dir` durable.
Status fsync_directory(const std::filesystem::path& dir);

// Byte ranges of a file read front to back in large reads (4 MiB), the kernel told the access is sequential so it
// reads ahead while the caller works on the last range: verify hashes and compares recordings at disk speed.
// Ranges are best asked in increasing order; any order works, at the cost of a read.
class RangeReader {
 public:
  static Result<RangeReader> open(const std::filesystem::path& file);
  std::uint64_t size() const { return size_; }
  // `length` bytes from `offset`; an error when the file ends first. Valid until the next call.
  Result<std::string_view> range(std::uint64_t offset, std::uint64_t length);

 private:
  RangeReader() = default;
  std::filesystem::path path_;
  UniqueFd fd_;
  std::uint64_t size_ = 0;
  std::string window_;
  std::uint64_t window_offset_ = 0;
};

Result<std::string> read_file(const std::filesystem::path& file);
// The file's bytes, or nullopt when it does not exist (an optional override in the data directory).
Result<std::optional<std::string>> read_file_if_exists(const std::filesystem::path& file);

// An io Error naming the path and the current errno.
Error io_error(const std::filesystem::path& path, std::string_view what);

}  // namespace netsample
