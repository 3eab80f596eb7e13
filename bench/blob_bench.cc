// Recording upload to S3-compatible object storage (issue #20's benchmark, first half): netsample's evidence store
// (S3BlobStore::put_file: hash the file, 8 MiB parts each signed with its SHA-256, the assembled object read back and
// hashed) against the curl program uploading the same bytes in one PUT with --aws-sigv4, both to Ceph's RADOS gateway
// started here, in alternating rounds. Prints MB/s, CPU seconds and the ratios; no pass/fail of its own.
//   blob_bench [MiB] [ROUNDS]     (default 192 MiB, 3 rounds)
#include <sys/resource.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <random>

#include "netsample/core/process.h"
#include "netsample/core/sha256.h"
#include "netsample/store/s3.h"
#include "netsample/testing/loopback.h"

using namespace netsample;
namespace fs = std::filesystem;

namespace {

double cpu_seconds(int who) {
  rusage usage{};
  getrusage(who, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Sample {
  double wall = 0, cpu = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t mib = argc > 1 ? std::stoull(argv[1]) : 192;
  const int rounds = argc > 2 ? std::stoi(argv[2]) : 3;
  char pattern[] = "/tmp/blob-bench-XXXXXX";
  const fs::path work = ::mkdtemp(pattern);
  // Every round's two uploads stay (locked versions): room for all of them.
  auto gateway = loopback::ObjectGateway::start(work, (mib * rounds * 2 + 544) << 20);
  if (!gateway.ok()) {
    std::cerr << "blob_bench: " << gateway.error().message << "\n";
    return 1;
  }
  SystemClock clock;
  const store::S3Credentials keys{(*gateway)->access_key(), (*gateway)->secret_key()};
  const store::S3Location where{(*gateway)->endpoint(), "bench-evidence", "", "us-east-1", {}};
  if (Status made = store::S3Client(where, keys, clock).create_locked_bucket(6); !made.ok()) {
    std::cerr << "blob_bench: " << made.error().message << "\n";
    return 1;
  }
  auto blobs = store::S3BlobStore::open(where, keys, clock);
  if (!blobs.ok()) return 1;
  // curl's keys in a config file readable by us only, not on its command line.
  const fs::path curl_config = work / "curl.conf";
  std::ofstream(curl_config) << "user = \"" << keys.access_key << ":" << keys.secret_key << "\"\n";
  ::chmod(curl_config.c_str(), 0600);

  // The gateway's first writes set up its data pool (seconds): a warm-up upload by each, not counted.
  {
    const fs::path warm = work / "warm-up";
    std::ofstream(warm, std::ios::binary) << std::string(9 << 20, 'w');
    if (!(*blobs)->put_file(warm).ok()) return 1;
    (void)run_program({"/usr/bin/curl", "-sS", "-f", "-K", curl_config.string(), "--aws-sigv4", "aws:amz:us-east-1:s3", "-H",
                       "x-amz-content-sha256: UNSIGNED-PAYLOAD", "-T", warm.string(), where.endpoint + "/bench-evidence/warm-up"});
  }

  Sample ours_total, curl_total;
  std::mt19937_64 random(42);
  for (int round = 0; round < rounds; ++round) {
    // Fresh bytes each round (a new recording): nothing is already there for either.
    const fs::path file = work / "recording.mp4";
    {
      std::ofstream out(file, std::ios::binary);
      std::string block(1 << 20, '\0');
      for (std::uint64_t i = 0; i < mib; ++i) {
        for (size_t j = 0; j < block.size(); j += 8) {
          const std::uint64_t v = random();
          std::memcpy(block.data() + j, &v, 8);
        }
        out.write(block.data(), static_cast<std::streamsize>(block.size()));
      }
    }
    const std::string sha256 = to_hex(*sha256_file(file));  // page cache warm for both

    Sample ours, theirs;
    auto run_ours = [&]() -> bool {
      const double t0 = now_seconds(), c0 = cpu_seconds(RUSAGE_SELF);
      auto stored = (*blobs)->put_file(file);
      ours = {now_seconds() - t0, cpu_seconds(RUSAGE_SELF) - c0};
      if (!stored.ok()) std::cerr << "blob_bench: " << stored.error().message << "\n";
      return stored.ok();
    };
    // The same bytes by curl under another key, its SHA-256 given (the gateway checks the body as it does ours).
    auto run_curl = [&]() -> bool {
      const double t0 = now_seconds(), c0 = cpu_seconds(RUSAGE_CHILDREN);
      auto curl = run_program({"/usr/bin/curl", "-sS", "-f", "-K", curl_config.string(), "--aws-sigv4", "aws:amz:us-east-1:s3",
                               "-H", "x-amz-content-sha256: " + sha256, "-T", file.string(),
                               where.endpoint + "/bench-evidence/curl-" + std::to_string(round)});
      theirs = {now_seconds() - t0, cpu_seconds(RUSAGE_CHILDREN) - c0};
      if (!curl.ok() || curl->exit_code != 0) std::cerr << "blob_bench: curl failed: " << (curl.ok() ? curl->err : curl.error().message) << "\n";
      return curl.ok() && curl->exit_code == 0;
    };
    // Alternating who goes first, so neither always meets a gateway still busy with the other's bytes.
    const bool ok = round % 2 == 0 ? run_ours() && run_curl() : run_curl() && run_ours();
    if (!ok) return 1;
    std::printf("round %d: netsample %.2f s (%.2f s CPU), curl %.2f s (%.2f s CPU)\n", round + 1, ours.wall, ours.cpu, theirs.wall, theirs.cpu);
    ours_total.wall += ours.wall;
    ours_total.cpu += ours.cpu;
    curl_total.wall += theirs.wall;
    curl_total.cpu += theirs.cpu;
  }
  const double mb = static_cast<double>(mib) * rounds * 1.048576;
  std::printf("upload %llu MiB x %d to Ceph's RADOS gateway (memstore, loopback), %s:\n", static_cast<unsigned long long>(mib), rounds,
              "netsample: hash + 8 MiB signed parts + read-back hash; curl: one PUT with --aws-sigv4");
  std::printf("  netsample %.1f MB/s, %.2f s CPU;  curl %.1f MB/s, %.2f s CPU;  throughput ratio %.2f, CPU ratio %.2f\n",
              mb / ours_total.wall, ours_total.cpu, mb / curl_total.wall, curl_total.cpu, curl_total.wall / ours_total.wall,
              ours_total.cpu / curl_total.cpu);
  gateway->reset();
  std::error_code ec;
  fs::remove_all(work, ec);
  return 0;
}
