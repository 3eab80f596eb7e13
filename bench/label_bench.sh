#!/usr/bin/env bash
# Label-capture benchmark (issue #7): decode rates on a generated set against ZXing alone and the zbarimg
# program, measured in the same run, and the analysis speed on a 60 s 1080p30 video. Prints; not a test.
#   bash bench/label_bench.sh [FRAMES]      (default 240)
set -euo pipefail
cd "$(dirname "$0")/.."
bash setup.sh deps
cmake -S . -B build -G Ninja -DBUILD_TESTING=ON >/dev/null
cmake --build build --target label_bench --parallel "$(nproc)" >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
./build/bench/label_bench "$work" "${1:-240}"
