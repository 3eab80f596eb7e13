#include "netsample/store/blobs.h"

#include <fcntl.h>
#include <unistd.h>

#include <random>

#include "netsample/core/file_io.h"

namespace netsample::store {
namespace fs = std::filesystem;

BlobFile::~BlobFile() {
  if (temporary_) ::unlink(path_.c_str());
}

Result<BlobFile> blob_file(const BlobStore& blobs, std::string_view sha256, const fs::path& temp_dir) {
  if (auto path = blobs.local_path(sha256)) {
    NETSAMPLE_TRY(blobs.verify(sha256));
    return BlobFile(*path, false);
  }
  std::random_device entropy;
  BlobFile copy(temp_dir / ("blob-" + std::string(sha256.substr(0, 16)) + "-" + std::to_string(entropy()) + std::to_string(entropy())), true);
  UniqueFd fd(::open(copy.path().c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd.valid()) return io_error(copy.path(), "无法创建临时文件");
  // read_blocks checks the whole against the hash at the end; a failure leaves no copy (the BlobFile removes it).
  NETSAMPLE_TRY(blobs.read_blocks(sha256, [&](std::string_view block) { return write_all(fd.get(), block, copy.path()); }));
  return copy;
}

}  // namespace netsample::store
