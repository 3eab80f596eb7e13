#!/usr/bin/env bash
# The page extraction fuzzed at length (libFuzzer, clang; issue #17). CI runs the same target for half a minute
# (setup.sh test); this runs it for longer on all cores and keeps the corpus it grows in build-fuzz/corpus.
#   bash bench/fuzz_extract.sh [SECONDS]     (default 1800)
# A crash or a leak stops it with the input saved as build-fuzz/crash-* (replay: build-fuzz/tests/fuzz/extract_fuzz FILE).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN=${1:-1800}
bash setup.sh deps
cmake -S . -B build-fuzz -G Ninja -DNETSAMPLE_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-fuzz --target extract_fuzz --parallel "$(nproc)" >/dev/null
mkdir -p build-fuzz/corpus
cp -n tests/crawler/fixtures/*.html build-fuzz/corpus/
cd build-fuzz
exec ./tests/fuzz/extract_fuzz -max_total_time="$SECONDS_TO_RUN" -timeout=10 -rss_limit_mb=2048 -jobs="$(nproc)" -workers="$(nproc)" \
  -print_final_stats=1 corpus
