#!/usr/bin/env bash
# Evidence upload to S3-compatible object storage (issue #20): netsample's evidence store against the curl program
# uploading the same bytes with --aws-sigv4, both to Ceph's RADOS gateway started on loopback, in alternating rounds.
# Prints MB/s, CPU seconds and ratios; it is not a test and has no pass/fail of its own.
#   bash bench/blob_bench.sh [MiB] [ROUNDS]     (default 192 MiB per upload, 3 rounds)
set -euo pipefail
cd "$(dirname "$0")/.."
bash setup.sh deps
cmake -S . -B build -G Ninja -DBUILD_TESTING=ON >/dev/null
cmake --build build --target blob_bench --parallel "$(nproc)" >/dev/null
exec ./build/bench/blob_bench "${1:-192}" "${2:-3}"
