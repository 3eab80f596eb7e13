#!/usr/bin/env bash
# Crawler benchmark (issue #17): 1,000 listing pages from a local server, 8 concurrent capture sessions beside
# the curl program fetching the same pages in the same run; pages/s, MB/s, peak memory, ratio.
#   bash bench/crawl_bench.sh [PAGES] [CONCURRENCY]     (default 1000 8)
set -euo pipefail
cd "$(dirname "$0")/.."
bash setup.sh deps
cmake -S . -B build -G Ninja -DBUILD_TESTING=ON >/dev/null
cmake --build build --target crawl_bench --parallel "$(nproc)" >/dev/null
exec ./build/bench/crawl_bench "${1:-1000}" "${2:-8}"
