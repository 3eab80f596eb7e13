#!/usr/bin/env bash
# What keeping every page costs the recorder (issue #18): the demo purchase (netsample's Chromium on Xvfb buying in
# the demo shop, recorded at 15 fps) run with its pages captured as WARC and without, in alternating rounds of the
# same run. The recorder's own CPU time (capture, overlay, encoding, hashing, page capture; Chromium is a process of
# its own) divided by the recording's length, and the ratio of the two. Prints figures; no pass/fail of its own.
#   bash bench/station_bench.sh [ROUNDS]      (default 3 of each)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
cmake -S . -B build -G Ninja -DBUILD_TESTING=ON >/dev/null  # the build as it is configured; only the two programs
cmake --build build --target netsample netsample-recorder >/dev/null
NETSAMPLE=$PWD/build/app/netsample
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One demo on a fresh data directory; prints "CPU_SECONDS RECORDED_SECONDS PAGE_RECORDS".
one() {
  local data=$work/$1; shift
  "$NETSAMPLE" --data "$data" demo "$@" > "$work/demo.out" 2>&1 || { tail -20 "$work/demo.out" >&2; exit 1; }
  local log; log=$(ls "$data"/demo-world/purchase-*.log | head -1)
  local cpu; cpu=$(sed -n 's/.*录制程序 CPU 用时：用户 \([0-9.]*\) 秒，系统 \([0-9.]*\) 秒.*/\1 \2/p' "$log" | awk '{print $1 + $2}')
  local recording; recording=$(ls -d "$data"/recordings/*-purchase-1 | head -1)
  local seconds; seconds=$("$NETSAMPLE" --data "$data" verify "$recording" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["duration_s"])')
  local pages; pages=$("$NETSAMPLE" --data "$data" verify "$recording" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["page_records"])')
  echo "$cpu $seconds $pages"
}

printf '%-6s %-8s %10s %10s %12s %8s\n' round capture cpu_s video_s cpu_per_s records
with=(); without=()
for round in $(seq "$ROUNDS"); do
  read -r cpu secs pages < <(one "with-$round")
  with+=("$(awk -v c="$cpu" -v s="$secs" 'BEGIN {printf "%.4f", c / s}')")
  printf '%-6s %-8s %10.2f %10.1f %12.4f %8s\n' "$round" with "$cpu" "$secs" "${with[-1]}" "$pages"
  read -r cpu secs pages < <(one "without-$round" --without-page-capture)
  without+=("$(awk -v c="$cpu" -v s="$secs" 'BEGIN {printf "%.4f", c / s}')")
  printf '%-6s %-8s %10.2f %10.1f %12.4f %8s\n' "$round" without "$cpu" "$secs" "${without[-1]}" "$pages"
done
mean() { printf '%s\n' "$@" | awk '{s += $1} END {printf "%.4f", s / NR}'; }
w=$(mean "${with[@]}"); wo=$(mean "${without[@]}")
echo
echo "recorder CPU per recorded second: with page capture $w, without $wo"
awk -v w="$w" -v wo="$wo" 'BEGIN {printf "ratio with/without page capture: %.3f\n", w / wo}'
