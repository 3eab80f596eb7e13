#!/usr/bin/env bash
# Recorder benchmark (issue #21): netsample record against the ffmpeg program recording the same Xvfb screen at the
# same x264 settings with the same burned-in text (a strip padded above the picture with the time, frame and case,
# and the red "not verified" mark: drawtext with the same font and size; ffmpeg converts to YUV first, its cheapest
# order), measured in the same run in alternating rounds; then netsample verify against sha256sum over the same files (every file verify reads). Two screens, each at
# 15 and 30 fps, 1920x1080:
#   browse  the demo shop in Chromium, a page turned or scrolled every 3 s (mostly still, like a purchase)
#   motion  a video playing full screen (every pixel changes every frame)
# Prints figures and ratios; no pass/fail of its own.
#   bash bench/recorder_bench.sh [MINUTES]      (default 10 per screen and frame rate; ROUNDS=4 alternating rounds)
# Targets: CPU <= 0.5x ffmpeg on browse, <= 0.85x on motion; 0 dropped at 30 fps; size <= 1.0x; verify >= 0.9x.
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:-10}
ROUNDS=${ROUNDS:-4}
SCREENS=${SCREENS:-browse motion}
RATES=${RATES:-15 30}
SIZE=1920x1080
CASE_NUMBER='渝抽〔2026〕001'

need=()
for p in ffmpeg time xvfb chromium fonts-noto-cjk; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [[ ${#need[@]} -gt 0 ]]; then
  sudo=(); [[ $(id -u) -ne 0 ]] && sudo=(sudo)
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
cmake -S . -B build -G Ninja -DBUILD_TESTING=ON >/dev/null  # the build as configured; only what the bench runs
cmake --build build --target netsample netsample-recorder bench_shop >/dev/null
NETSAMPLE=$PWD/build/app/netsample

work=$(mktemp -d)
browser=; xvfb=; shop=
stop_browser() {  # chromium is a wrapper script with many children: end its whole process group
  if [[ -n $browser ]]; then kill -- "-$browser" 2>/dev/null || true; wait "$browser" 2>/dev/null || true; fi
  browser=
}
cleanup() {
  stop_browser
  [[ -n $shop ]] && kill "$shop" 2>/dev/null
  [[ -n $xvfb ]] && kill "$xvfb" 2>/dev/null
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

Xvfb -displayfd 1 -screen 0 ${SIZE}x24 -nolisten tcp > "$work/display" 2>/dev/null &
xvfb=$!
for _ in $(seq 100); do [[ -s $work/display ]] && break; sleep 0.1; done
DISPLAY_NAME=":$(head -1 "$work/display")"

# The browsing screen: the demo shop in a tall frame, the page turned or scrolled every 3 s.
mkfifo "$work/shop.in"
./build/bench/bench_shop < "$work/shop.in" > "$work/shop.out" &
shop=$!
exec 7> "$work/shop.in"  # the shop serves until this closes
for _ in $(seq 100); do grep -q '^\.$' "$work/shop.out" 2>/dev/null && break; sleep 0.1; done
SHOP_URL=$(head -1 "$work/shop.out")
PRODUCTS=$(sed -n '2,$p' "$work/shop.out" | grep -v '^\.$' | paste -sd, -)
cat > "$work/browse.html" <<HTML
<!doctype html><html><head><meta charset="utf-8"><style>body { margin: 0; overflow: hidden }
iframe { border: 0; width: 100vw; height: 3200px }</style></head><body><iframe id="f"></iframe><script>
const base = "$SHOP_URL", products = "$PRODUCTS".split(",");
const pages = [base, base + "search?q=%E5%84%BF%E7%AB%A5"];
for (const p of products) pages.push(base + "item/" + p, base + "checkout?item=" + p);
pages.push(base + "licence", base + "chat");
let step = 0;
function turn() {
  if (step % 3 == 0) { document.getElementById("f").src = pages[(step / 3) % pages.length]; window.scrollTo(0, 0); }
  else window.scrollBy({top: 360, behavior: "smooth"});
  step++;
}
turn(); setInterval(turn, 3000);
</script></body></html>
HTML
# The full-motion screen: a zoom into the Mandelbrot set (every pixel changes every frame), 20 s looped.
ffmpeg -hide_banner -loglevel error -f lavfi -i "mandelbrot=size=960x540:rate=30" -t 20 -c:v libvpx -deadline realtime \
  -cpu-used 8 -b:v 4M "$work/motion.webm"
cat > "$work/motion.html" <<HTML
<!doctype html><html><head><meta charset="utf-8"><style>body { margin: 0; background: #000; overflow: hidden }
video { width: 100vw; height: 100vh; object-fit: cover }</style></head><body>
<video src="motion.webm" autoplay muted loop></video></body></html>
HTML

start_browser() {  # PAGE
  DISPLAY=$DISPLAY_NAME setsid chromium --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --noerrdialogs --kiosk --window-position=0,0 --window-size=1920,1080 \
    --autoplay-policy=no-user-gesture-required --user-data-dir="$work/profile-$1" "file://$work/$1.html" > "$work/chromium-$1.log" 2>&1 &
  browser=$!
  sleep 6
}

# The same text as netsample's strip (recorder/src/stamp_strip.cc): font max(18, height/40) px, strip above the
# picture, time to the ms, frame, case; the red mark (no time server answers here, so netsample shows it too).
FONT=$(( 1080 / 40 > 18 ? 1080 / 40 : 18 ))
printf '北京时间 %%{localtime:%%Y-%%m-%%d %%H\\:%%M\\:%%S}.%%{eif:mod(t*1000,1000):d:3}   帧 %%{frame_num}   案件 %s' "$CASE_NUMBER" > "$work/stamp.txt"
printf '时间未经网络校验 TIME NOT VERIFIED' > "$work/mark.txt"

record_netsample() {  # NAME FPS SECONDS; no NTP or TSA reachable here: the clock check fails at once
  /usr/bin/time -a -f '%U %S %e' -o "$work/$1.time" \
    "$NETSAMPLE" record --source "x11:$DISPLAY_NAME" --out "$work/rec/$1-$4" --fps "$2" --duration "$3" --case "$CASE_NUMBER" \
    --ntp 127.0.0.1:1 --json > "$work/$1-$4.json" 2> "$work/$1-$4.log"
}
record_ffmpeg() {  # NAME FPS SECONDS ROUND STRIP
  local strip=$5 pad=$((FONT / 2))
  TZ=Asia/Shanghai /usr/bin/time -a -f '%U %S %e' -o "$work/$1.time" \
    ffmpeg -hide_banner -loglevel error -f x11grab -framerate "$2" -video_size $SIZE -draw_mouse 1 -i "$DISPLAY_NAME" -t "$3" \
    -vf "format=yuv420p,pad=iw:ih+$strip:0:$strip:color=0x141414,drawtext=font=Noto Sans CJK SC:fontsize=$FONT:fontcolor=white:x=$pad:y=$((pad / 2)):textfile=$work/stamp.txt,drawtext=font=Noto Sans CJK SC:fontsize=$FONT:fontcolor=white:box=1:boxcolor=0xCC0F0F:boxborderw=$((pad / 2)):x=w-tw-$pad:y=$((pad / 2)):expansion=none:textfile=$work/mark.txt" \
    -c:v libx264 -preset veryfast -tune zerolatency -crf 23 -pix_fmt yuv420p -g "$2" \
    -movflags frag_keyframe+empty_moov+default_base_moof "$work/rec/$1-$4.mp4"
}
cpu_of() { awk '{s += $1 + $2} END {printf "%.2f", s}' "$1"; }
wall_of() { awk '{s += $3} END {printf "%.2f", s}' "$1"; }
frames_in() { ffprobe -v error -count_packets -select_streams v:0 -show_entries stream=nb_read_packets -of csv=p=0 "$1"; }

mkdir -p "$work/rec"
round_seconds=$((MINUTES * 60 / ROUNDS))
printf 'bench: %s, %s min per screen and rate in %s alternating rounds of %s s, Xvfb %s, %s cores\n' "$SIZE" "$MINUTES" "$ROUNDS" \
  "$round_seconds" "$DISPLAY_NAME" "$(nproc)"
printf '  %-7s %4s %9s %9s %6s %8s %13s %9s %9s %6s %9s\n' screen fps 'ns CPU s' 'ff CPU s' ratio 'ns %core' 'ns/ff frames' 'ns MB/min' 'ff MB/min' ratio dropped
for screen in $SCREENS; do
  start_browser "$screen"
  for fps in $RATES; do
    ns=netsample-$screen-$fps; ff=ffmpeg-$screen-$fps; strip=
    for round in $(seq "$ROUNDS"); do
      if (( round % 2 )); then
        record_netsample "$ns" "$fps" "$round_seconds" "$round"
        strip=${strip:-$(grep -o '"stamp_strip_height": *[0-9]*' "$work/rec/$ns-$round/manifest.json" | grep -o '[0-9]*$')}
        record_ffmpeg "$ff" "$fps" "$round_seconds" "$round" "$strip"
      else
        record_ffmpeg "$ff" "$fps" "$round_seconds" "$round" "$strip"; record_netsample "$ns" "$fps" "$round_seconds" "$round"
      fi
    done
    ns_frames=0; ff_frames=0; ns_size=0; ff_size=0; dropped=0
    for round in $(seq "$ROUNDS"); do
      ns_frames=$((ns_frames + $(frames_in "$work/rec/$ns-$round/recording.mp4")))
      ff_frames=$((ff_frames + $(frames_in "$work/rec/$ff-$round.mp4")))
      ns_size=$((ns_size + $(stat -c %s "$work/rec/$ns-$round/recording.mp4")))
      ff_size=$((ff_size + $(stat -c %s "$work/rec/$ff-$round.mp4")))
      dropped=$((dropped + $(grep -o '"dropped_frames": *[0-9]*' "$work/rec/$ns-$round/manifest.json" | grep -o '[0-9]*$')))
    done
    awk -v s="$screen" -v f="$fps" -v nc="$(cpu_of "$work/$ns.time")" -v fc="$(cpu_of "$work/$ff.time")" -v nw="$(wall_of "$work/$ns.time")" \
        -v nf="$ns_frames" -v ff="$ff_frames" -v nb="$ns_size" -v fb="$ff_size" -v d="$((round_seconds * ROUNDS))" -v x="$dropped" 'BEGIN {
      printf "  %-7s %4d %9.1f %9.1f %6.2f %8.1f %6d/%-6d %9.1f %9.1f %6.2f %9d\n", s, f, nc, fc, nc / fc, 100 * nc / nw, nf, ff,
        nb / 1e6 * 60 / d, fb / 1e6 * 60 / d, nb / fb, x }'
  done
  stop_browser
done
printf '  targets: CPU ratio <= 0.50 browse, <= 0.85 motion; dropped 0 (30 fps included); size ratio <= 1.00\n'

# verify against sha256sum over every file verify reads (recording, its playback copy, journal, manifest, stills,
# tokens), page cache warm for both, best of 3.
best() { local best=999999999999; for _ in 1 2 3; do local s e; s=$(date +%s%N); "$@" > /dev/null 2>&1 || true; e=$(date +%s%N)
  (( e - s < best )) && best=$((e - s)); done; echo "$best"; }
mapfile -t files < <(find "$work/rec" -mindepth 2 -type f | sort)
verify_all() { for dir in "$work"/rec/*/; do "$NETSAMPLE" verify "$dir" --json; done; }
total=$(cat "${files[@]}" | wc -c)
v_ns=$(best verify_all)
s_ns=$(best sha256sum "${files[@]}")
awk -v v="$v_ns" -v s="$s_ns" -v b="$total" 'BEGIN {
  printf "  verify %.0f MB: netsample verify %.2f s (%.0f MB/s), sha256sum %.2f s (%.0f MB/s), throughput ratio %.2f   (target >= 0.9)\n",
    b / 1e6, v / 1e9, b / 1e6 / (v / 1e9), s / 1e9, b / 1e6 / (s / 1e9), s / v }'
