#!/usr/bin/env bash
# Recorder benchmark (issue #5): netsample record against the ffmpeg program capturing the same animated
# Xvfb screen with the same codec settings, measured in the same run, and netsample verify against
# sha256sum of the same files. Prints ratios; it is not a test and has no pass/fail of its own.
#   bash bench/recorder_bench.sh [SECONDS]      (default 60; 1920x1080 at 15 fps)
# Targets: CPU ratio <= 1.0 (overlay and hashing included), 0 dropped frames, size within 1.2x,
# verify throughput >= 0.5x sha256sum.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RECORD=${1:-60}
FPS=15
SIZE=1920x1080

need=()
for p in ffmpeg time xvfb chromium; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [[ ${#need[@]} -gt 0 ]]; then
  sudo=(); [[ $(id -u) -ne 0 ]] && sudo=(sudo)
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
bash setup.sh build >/dev/null
NETSAMPLE=$PWD/build/app/netsample

work=$(mktemp -d)
browser=; xvfb=
cleanup() {  # chromium is a wrapper script with many children: end its whole process group
  [[ -n $browser ]] && kill -- "-$browser" 2>/dev/null
  [[ -n $xvfb ]] && kill "$xvfb" 2>/dev/null
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# An animated page, like a shop's carousel, so the encoder has real work to do.
cat > "$work/page.html" <<'HTML'
<!doctype html><html><head><meta charset="utf-8"><style>
body { margin: 0; background: linear-gradient(90deg, #fafafa, #dde); font: 32px sans-serif; }
.box { position: absolute; width: 220px; height: 220px; animation: slide 4s linear infinite alternate; }
@keyframes slide { from { left: 0 } to { left: 1680px } }
</style></head><body><h1>测试商店 · 商品详情 · 价格 ¥199.00</h1><div id="t"></div>
<div class="box" style="top:200px;background:#c0392b"></div>
<div class="box" style="top:500px;background:#2980b9;animation-duration:3s"></div>
<div class="box" style="top:800px;background:#27ae60;animation-duration:5s"></div>
<script>setInterval(() => { document.getElementById('t').textContent = new Date().toISOString(); }, 30);</script>
</body></html>
HTML

Xvfb -displayfd 1 -screen 0 ${SIZE}x24 -nolisten tcp > "$work/display" 2>/dev/null &
xvfb=$!
for _ in $(seq 100); do [[ -s $work/display ]] && break; sleep 0.1; done
DISPLAY_NAME=":$(head -1 "$work/display")"
DISPLAY=$DISPLAY_NAME setsid chromium --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --noerrdialogs --kiosk --window-position=0,0 --window-size=1920,1080 \
  --user-data-dir="$work/profile" "file://$work/page.html" > "$work/chromium.log" 2>&1 &
browser=$!
sleep 5

sum_of() { awk -v c="$2" '{s += $c} END {printf "%.2f", s}' "$1"; }
cpu_of() { awk '{s += $1 + $2} END {printf "%.2f", s}' "$1"; }
printf 'bench: %s s of %s at %s fps from Xvfb %s with an animated page in Chromium, in %s alternating rounds each\n' \
  "$SECONDS_TO_RECORD" "$SIZE" "$FPS" "$DISPLAY_NAME" "${ROUNDS:-4}"

# The two programs take turns in short rounds (netsample first, then ffmpeg first, ...), so that what the
# page and the machine happen to do during one minute weighs on both alike.
ROUNDS=${ROUNDS:-4}
round_seconds=$((SECONDS_TO_RECORD / ROUNDS))
record_netsample() {  # no NTP or TSA reachable here: the clock check fails at once and is not timed work
  /usr/bin/time -a -f '%U %S %e' -o "$work/netsample.time" \
    "$NETSAMPLE" record --source "x11:$DISPLAY_NAME" --out "$work/netsample$1" --fps $FPS --duration "$round_seconds" \
    --ntp 127.0.0.1:1 --json > "$work/netsample$1.json" 2> "$work/netsample$1.log"
}
record_ffmpeg() {  # same source, codec and settings (keyframe every second, fragmented MP4)
  /usr/bin/time -a -f '%U %S %e' -o "$work/ffmpeg.time" \
    ffmpeg -hide_banner -loglevel error -f x11grab -framerate $FPS -video_size $SIZE -draw_mouse 1 -i "$DISPLAY_NAME" \
    -t "$round_seconds" -c:v libx264 -preset veryfast -tune zerolatency -crf 23 -pix_fmt yuv420p -g $FPS \
    -movflags frag_keyframe+empty_moov+default_base_moof "$work/ffmpeg$1.mp4"
}
for round in $(seq "$ROUNDS"); do
  if (( round % 2 )); then record_netsample "$round"; record_ffmpeg "$round"; else record_ffmpeg "$round"; record_netsample "$round"; fi
done
SECONDS_TO_RECORD=$((round_seconds * ROUNDS))

ns_cpu=$(cpu_of "$work/netsample.time"); ff_cpu=$(cpu_of "$work/ffmpeg.time")
ns_wall=$(sum_of "$work/netsample.time" 3); ff_wall=$(sum_of "$work/ffmpeg.time" 3)
frames_in() { ffprobe -v error -count_packets -select_streams v:0 -show_entries stream=nb_read_packets -of csv=p=0 "$1"; }
ns_frames=0; ff_frames=0; ns_size=0; ff_size=0; dropped=0; gaps=0
for round in $(seq "$ROUNDS"); do
  ns_frames=$((ns_frames + $(frames_in "$work/netsample$round/recording.mp4")))
  ff_frames=$((ff_frames + $(frames_in "$work/ffmpeg$round.mp4")))
  ns_size=$((ns_size + $(stat -c %s "$work/netsample$round/recording.mp4")))
  ff_size=$((ff_size + $(stat -c %s "$work/ffmpeg$round.mp4")))
  dropped=$((dropped + $(grep -o '"dropped_frames": *[0-9]*' "$work/netsample$round/manifest.json" | grep -o '[0-9]*$')))
  gaps=$((gaps + $("$NETSAMPLE" verify "$work/netsample$round" --json | grep -c '"reason"' || true)))
done
ns_dropped="$dropped $gaps"
expected=$((SECONDS_TO_RECORD * FPS))

awk -v nc="$ns_cpu" -v fc="$ff_cpu" -v nw="$ns_wall" -v fw="$ff_wall" -v nf="$ns_frames" -v ff="$ff_frames" -v ns="$ns_size" \
    -v fs="$ff_size" -v d="$SECONDS_TO_RECORD" -v e="$expected" -v dropped="$ns_dropped" 'BEGIN {
  printf "  %-22s %10s %10s %8s\n", "", "netsample", "ffmpeg", "ratio"
  printf "  %-22s %10.2f %10.2f %8.2f   (target <= 1.0)\n", "CPU seconds", nc, fc, nc / fc
  printf "  %-22s %10.1f %10.1f\n", "CPU % of one core", 100 * nc / nw, 100 * fc / fw
  printf "  %-22s %10d %10d          (expected %d)\n", "frames", nf, ff, e
  printf "  %-22s %10.2f %10.2f\n", "fps achieved", nf / d, ff / d
  printf "  %-22s %10.1f %10.1f %8.2f   (target <= 1.2)\n", "MB per minute", ns / 1e6 * 60 / d, fs / 1e6 * 60 / d, ns / fs
  split(dropped, x, " "); printf "  %-22s %10s                     (target 0; gaps %s)\n", "dropped frames", x[1], x[2]
}'

# 3. verify against sha256sum over the same files (best of 5, page cache warm for both).
best() { local best=999999999999; for _ in 1 2 3 4 5; do local s e; s=$(date +%s%N); "$@" > /dev/null 2>&1 || true; e=$(date +%s%N)
  (( e - s < best )) && best=$((e - s)); done; echo "$best"; }
files=("$work"/netsample*/recording.mp4 "$work"/netsample*/recording.journal "$work"/netsample*/manifest.json)
verify_all() { for dir in "$work"/netsample*/; do "$NETSAMPLE" verify "$dir" --trust /etc/ssl/certs/ca-certificates.crt --json; done; }
total=$(cat "${files[@]}" | wc -c)
v_ns=$(best verify_all)
s_ns=$(best sha256sum "${files[@]}")
awk -v v="$v_ns" -v s="$s_ns" -v b="$total" 'BEGIN {
  printf "  verify %.1f MB: netsample verify %.1f ms (%.0f MB/s), sha256sum %.1f ms (%.0f MB/s), throughput ratio %.2f   (target >= 0.5)\n",
    b / 1e6, v / 1e6, b / 1e6 / (v / 1e9), s / 1e6, b / 1e6 / (s / 1e9), s / v }'
