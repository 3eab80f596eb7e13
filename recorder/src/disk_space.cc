#include "netsample/recorder/disk_space.h"

#include <sys/statvfs.h>

#include <cmath>
#include <cstdio>

#include "netsample/core/file_io.h"

namespace netsample::recorder {

DiskStatus judge_disk(std::uint64_t free_bytes, double bytes_per_second) {
  constexpr std::uint64_t kMiB = 1024 * 1024;
  DiskStatus status;
  status.free_bytes = free_bytes;
  status.minutes_left = bytes_per_second > 0 ? static_cast<double>(free_bytes) / bytes_per_second / 60.0 : INFINITY;
  if (status.minutes_left < 5 || free_bytes < 256 * kMiB) status.level = DiskLevel::critical;
  else if (status.minutes_left < 30 || free_bytes < 2048 * kMiB) status.level = DiskLevel::warning;
  if (status.level != DiskLevel::ok) {
    char text[160];
    std::snprintf(text, sizeof text, "磁盘剩余 %.0f MiB，按当前码率约可再录 %.0f 分钟%s", static_cast<double>(free_bytes) / kMiB,
                  std::isinf(status.minutes_left) ? 0.0 : status.minutes_left,
                  status.level == DiskLevel::critical ? "，空间不足" : "，请尽快腾出空间");
    status.message = text;
  }
  return status;
}

Result<DiskStatus> check_disk(const std::filesystem::path& dir, double bytes_per_second) {
  struct statvfs info {};
  if (::statvfs(dir.c_str(), &info) != 0) return io_error(dir, "无法读取磁盘剩余空间");
  return judge_disk(static_cast<std::uint64_t>(info.f_bavail) * info.f_frsize, bytes_per_second);
}

}  // namespace netsample::recorder
