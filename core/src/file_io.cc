#include "netsample/core/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

namespace netsample {

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

Error io_error(const std::filesystem::path& path, std::string_view what) {
  return make_error(ErrorCode::io, path.string(), std::string(what) + "：" + std::strerror(errno));
}

Status write_all(int fd, std::string_view bytes, const std::filesystem::path& for_errors) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error(for_errors, "写入失败");
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Status fsync_directory(const std::filesystem::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return io_error(dir, "无法打开目录");
  if (::fsync(fd.get()) != 0) return io_error(dir, "目录同步（fsync）失败");
  return {};
}

Status write_file_atomic(const std::filesystem::path& target, std::string_view bytes, mode_t mode) {
  const auto dir = target.parent_path().empty() ? std::filesystem::path(".") : target.parent_path();
  std::random_device entropy;
  const auto temp = dir / (".tmp-" + target.filename().string() + "-" + std::to_string(entropy()));
  {
    UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
    if (!fd.valid()) return io_error(temp, "无法创建临时文件");
    Status written = write_all(fd.get(), bytes, temp);
    if (written.ok() && ::fsync(fd.get()) != 0) written = io_error(temp, "文件同步（fsync）失败");
    if (!written.ok()) {
      ::unlink(temp.c_str());
      return written;
    }
  }
  if (::rename(temp.c_str(), target.c_str()) != 0) {
    Error failed = io_error(target, "无法改名到目标文件");
    ::unlink(temp.c_str());
    return failed;
  }
  return fsync_directory(dir);
}

Result<std::string> read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return io_error(file, "无法打开文件");
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return io_error(file, "读取文件失败");
  return content.str();
}

Result<std::optional<std::string>> read_file_if_exists(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return std::optional<std::string>{};
  NETSAMPLE_ASSIGN(std::string bytes, read_file(file));
  return std::optional<std::string>(std::move(bytes));
}

Result<RangeReader> RangeReader::open(const std::filesystem::path& file) {
  RangeReader reader;
  reader.path_ = file;
  reader.fd_ = UniqueFd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!reader.fd_.valid()) return io_error(file, "无法打开");
  struct stat st {};
  if (::fstat(reader.fd_.get(), &st) != 0) return io_error(file, "无法读取文件信息");
  reader.size_ = static_cast<std::uint64_t>(st.st_size);
  ::posix_fadvise(reader.fd_.get(), 0, 0, POSIX_FADV_SEQUENTIAL);  // a hint: a larger read-ahead window
  return reader;
}

Result<std::string_view> RangeReader::range(std::uint64_t offset, std::uint64_t length) {
  constexpr std::uint64_t kWindow = 4 << 20;
  if (offset < window_offset_ || offset + length > window_offset_ + window_.size()) {
    window_.resize(static_cast<size_t>(std::max(kWindow, length)));
    size_t filled = 0;
    while (filled < window_.size()) {
      const ssize_t n = ::pread(fd_.get(), window_.data() + filled, window_.size() - filled, static_cast<off_t>(offset + filled));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return io_error(path_, "读取失败");
      if (n == 0) break;
      filled += static_cast<size_t>(n);
    }
    window_.resize(filled);
    window_offset_ = offset;
    if (filled < length)
      return make_error(ErrorCode::integrity, path_.filename().string(),
                        "文件在第 " + std::to_string(offset + filled) + " 字节处结束，读不到所需的 " + std::to_string(length) + " 字节");
  }
  return std::string_view(window_).substr(static_cast<size_t>(offset - window_offset_), static_cast<size_t>(length));
}

}  // namespace netsample
