// Free disk space for a recording: read with statvfs before the start and while recording, judged
// against how fast the recording grows, so the sampler is warned long before the disk is full.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "netsample/core/error.h"

namespace netsample::recorder {

enum class DiskLevel { ok, warning, critical };

struct DiskStatus {
  std::uint64_t free_bytes = 0;
  double minutes_left = 0;  // at the given growth rate; very large when the rate is 0
  DiskLevel level = DiskLevel::ok;
  std::string message;  // for the terminal, in Chinese; empty when ok
};

// Warning below 30 minutes or 2 GiB; critical (do not start, stop cleanly) below 5 minutes or 256 MiB.
DiskStatus judge_disk(std::uint64_t free_bytes, double bytes_per_second);

// Reads the free space of the file system holding `dir` (available to unprivileged users).
Result<DiskStatus> check_disk(const std::filesystem::path& dir, double bytes_per_second);

}  // namespace netsample::recorder
