#include "netsample/store/evidence.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <random>
#include <vector>

#include "netsample/core/file_io.h"
#include "blob_name.h"

namespace netsample::store {
namespace fs = std::filesystem;

namespace {

// Writes the bytes read by `next_block` to a new file at `temp`, hashing them; fsyncs it.
template <class NextBlock>
Result<std::pair<Sha256Digest, std::uint64_t>> write_temp(const fs::path& temp, NextBlock next_block) {
  UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
  if (!fd.valid()) return io_error(temp, "无法创建临时文件");
  Sha256 hasher;
  std::uint64_t size = 0;
  for (;;) {
    NETSAMPLE_ASSIGN(std::string_view block, next_block());
    if (block.empty()) break;
    hasher.update(block);
    size += block.size();
    NETSAMPLE_TRY(write_all(fd.get(), block, temp));
  }
  if (::fsync(fd.get()) != 0) return io_error(temp, "文件同步（fsync）失败");
  return std::make_pair(hasher.finish(), size);
}

}  // namespace

Result<EvidenceStore> EvidenceStore::open(const fs::path& root) {
  std::error_code ec;
  fs::create_directories(root / "sha256", ec);
  if (!ec) fs::create_directories(root / "tmp", ec);
  if (ec) return make_error(ErrorCode::io, root.string(), "无法创建证据目录：" + ec.message());
  // A temp file is never evidence; an old one is left over from a crash. Young ones may be in use.
  const auto cutoff = fs::file_time_type::clock::now() - std::chrono::hours(1);
  for (const auto& entry : fs::directory_iterator(root / "tmp", ec))
    if (entry.last_write_time(ec) < cutoff) fs::remove(entry.path(), ec);
  return EvidenceStore(root);
}

fs::path EvidenceStore::path_of(std::string_view sha256) const {
  const std::string hex(sha256);
  return root_ / "sha256" / hex.substr(0, 2) / hex;
}

Result<bool> EvidenceStore::contains(std::string_view sha256) const {
  NETSAMPLE_TRY(check_blob_name(sha256));
  std::error_code ec;
  const bool present = fs::exists(path_of(sha256), ec);
  if (ec) return make_error(ErrorCode::io, path_of(sha256).string(), "无法查看证据文件：" + ec.message());
  return present;
}

Result<fs::path> EvidenceStore::new_temp_path() const {
  std::random_device entropy;
  return root_ / "tmp" / ("put-" + std::to_string(::getpid()) + "-" + std::to_string(entropy()) + std::to_string(entropy()));
}

Result<StoredBlob> EvidenceStore::install(const fs::path& temp, const Sha256Digest& digest, std::uint64_t size) {
  StoredBlob blob{to_hex(digest), size, false};
  const fs::path target = path_of(blob.sha256);
  std::error_code ec;
  const bool new_dir = fs::create_directory(target.parent_path(), ec);
  if (ec) return make_error(ErrorCode::io, target.parent_path().string(), "无法创建目录：" + ec.message());
  if (new_dir) NETSAMPLE_TRY(fsync_directory(root_ / "sha256"));
  // link() never replaces an existing name: a stored file is never rewritten.
  if (::link(temp.c_str(), target.c_str()) != 0) {
    if (errno != EEXIST) {
      Error failed = io_error(target, "无法把证据文件放入存储");
      ::unlink(temp.c_str());
      return failed;
    }
    blob.already_present = true;
  }
  ::unlink(temp.c_str());
  if (!blob.already_present) NETSAMPLE_TRY(fsync_directory(target.parent_path()));
  return blob;
}

Result<StoredBlob> EvidenceStore::put(std::string_view bytes) {
  NETSAMPLE_ASSIGN(fs::path temp, new_temp_path());
  bool given = false;
  auto written = write_temp(temp, [&]() -> Result<std::string_view> {
    if (given) return std::string_view{};
    given = true;
    return bytes;
  });
  if (!written.ok()) {
    ::unlink(temp.c_str());
    return written.error();
  }
  return install(temp, written->first, written->second);
}

Result<StoredBlob> EvidenceStore::put_file(const fs::path& source) {
  UniqueFd in(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.valid()) return io_error(source, "无法打开文件");
  NETSAMPLE_ASSIGN(fs::path temp, new_temp_path());
  std::vector<char> buffer(1 << 20);
  auto written = write_temp(temp, [&]() -> Result<std::string_view> {
    for (;;) {
      const ssize_t n = ::read(in.get(), buffer.data(), buffer.size());
      if (n >= 0) return std::string_view(buffer.data(), static_cast<size_t>(n));
      if (errno != EINTR) return io_error(source, "读取文件失败");
    }
  });
  if (!written.ok()) {
    ::unlink(temp.c_str());
    return written.error();
  }
  return install(temp, written->first, written->second);
}

Status EvidenceStore::verify(std::string_view sha256) const {
  NETSAMPLE_TRY(check_blob_name(sha256));
  const fs::path file = path_of(sha256);
  if (!fs::exists(file)) return make_error(ErrorCode::not_found, std::string(sha256), "证据文件不存在：" + file.string());
  NETSAMPLE_ASSIGN(Sha256Digest actual, sha256_file(file));
  if (to_hex(actual) != sha256)
    return make_error(ErrorCode::integrity, std::string(sha256),
                      "证据文件内容与其 SHA-256 不符（实际为 " + to_hex(actual) + "），文件可能已被改动：" + file.string());
  return {};
}

Result<std::string> EvidenceStore::read(std::string_view sha256) const {
  NETSAMPLE_TRY(check_blob_name(sha256));
  const fs::path file = path_of(sha256);
  if (!fs::exists(file)) return make_error(ErrorCode::not_found, std::string(sha256), "证据文件不存在：" + file.string());
  NETSAMPLE_ASSIGN(std::string bytes, read_file(file));
  if (sha256_hex(bytes) != sha256)
    return make_error(ErrorCode::integrity, std::string(sha256),
                      "证据文件内容与其 SHA-256 不符，文件可能已被改动：" + file.string());
  return bytes;
}

Status EvidenceStore::read_blocks(std::string_view sha256, const std::function<Status(std::string_view)>& sink) const {
  NETSAMPLE_TRY(check_blob_name(sha256));
  const fs::path file = path_of(sha256);
  if (!fs::exists(file)) return make_error(ErrorCode::not_found, std::string(sha256), "证据文件不存在：" + file.string());
  NETSAMPLE_ASSIGN(RangeReader reader, RangeReader::open(file));
  Sha256 hasher;
  constexpr std::uint64_t kBlock = 1 << 20;
  for (std::uint64_t offset = 0; offset < reader.size(); offset += kBlock) {
    NETSAMPLE_ASSIGN(std::string_view block, reader.range(offset, std::min(kBlock, reader.size() - offset)));
    hasher.update(block);
    NETSAMPLE_TRY(sink(block));
  }
  if (to_hex(hasher.finish()) != sha256)
    return make_error(ErrorCode::integrity, std::string(sha256), "证据文件内容与其 SHA-256 不符，文件可能已被改动：" + file.string());
  return {};
}

Result<std::string> EvidenceStore::read_range(std::string_view sha256, std::uint64_t offset, std::uint64_t length) const {
  NETSAMPLE_TRY(check_blob_name(sha256));
  const fs::path file = path_of(sha256);
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return make_error(ErrorCode::not_found, std::string(sha256), "证据文件不存在：" + file.string());
  std::string bytes(length, '\0');
  std::uint64_t done = 0;
  while (done < length) {
    const ssize_t n = ::pread(fd.get(), bytes.data() + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error(file, "读取证据文件失败");
    if (n == 0) break;
    done += static_cast<std::uint64_t>(n);
  }
  bytes.resize(done);
  return bytes;
}

Result<BlobStoreInfo> EvidenceStore::info() const {
  return BlobStoreInfo{root_.string(), false,
                       "本机文件夹：文件按 SHA-256 命名、只读，读取时重新核对；能管理本机的人仍可删改文件（审计链与时间戳可发现改动，不能阻止）"};
}

Status EvidenceStore::remove(std::string_view sha256) {
  NETSAMPLE_TRY(check_blob_name(sha256));
  const fs::path file = path_of(sha256);
  if (::unlink(file.c_str()) != 0 && errno != ENOENT) return io_error(file, "无法删除证据文件");
  return fsync_directory(file.parent_path());
}

}  // namespace netsample::store
