#!/usr/bin/env bash
# Many stations syncing to one centre (issue #20): STATIONS station data directories of CASES small cases each (a
# case and a 1 KiB document), every station's sync at once into `netsample serve` on a real PostgreSQL 15 on
# loopback. Prints cases/s and the centre's CPU (the service's and PostgreSQL's); no pass/fail of its own.
#   bash bench/sync_bench.sh [STATIONS] [CASES]     (default 10 stations x 1000 cases)
set -euo pipefail
cd "$(dirname "$0")/.."
bash setup.sh deps
cmake -S . -B build -G Ninja -DBUILD_TESTING=ON >/dev/null
cmake --build build --target sync_bench netsample --parallel "$(nproc)" >/dev/null
exec ./build/bench/sync_bench ./build/app/netsample "${1:-10}" "${2:-1000}"
