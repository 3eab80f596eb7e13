#!/usr/bin/env bash
# Service benchmark (issue #15): netsample serve against nginx serving the same bytes as static files, both
# measured in this run on loopback with wrk. Prints ratios; it is not a test and has no pass/fail of its own.
#   bash bench/server_bench.sh [SECONDS] [CASES]     (default 10 s per run, 10000 cases)
# Targets: GET /api/cases/{number} >= 0.5x nginx's requests/s with p99 <= 20 ms (64 connections);
# 1 MiB Range reads of a 1 GiB recording >= 0.8x nginx's MB/s (16 connections); the service's memory flat.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10}
CASES=${2:-10000}

need=()
for p in wrk nginx-light; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [[ ${#need[@]} -gt 0 ]]; then
  sudo=(); [[ $(id -u) -ne 0 ]] && sudo=(sudo)
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
bash setup.sh deps
cmake -S . -B build -G Ninja -DBUILD_TESTING=ON >/dev/null
cmake --build build --target netsample server_bench_data --parallel "$(nproc)" >/dev/null
NETSAMPLE=$PWD/build/app/netsample

work=$(mktemp -d)
chmod 755 "$work"  # nginx's workers run as another user: they must read the files it serves
serve=; nginx_pid=; sampler=
cleanup() {
  [[ -n $sampler ]] && kill "$sampler" 2>/dev/null
  [[ -n $serve ]] && kill "$serve" 2>/dev/null
  [[ -n $nginx_pid ]] && kill "$nginx_pid" 2>/dev/null
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)); }

echo "making a data directory with $CASES cases and a 1 GiB recording…" >&2
read -r NUMBER EVIDENCE BLOB < <(./build/bench/server_bench_data "$work/data" "$CASES" "$work/token")
TOKEN=$(cat "$work/token")
MIDDLE=$(printf 'BENCH-%05d' $((CASES / 2)))
PORT=$(free_port)
"$NETSAMPLE" --data "$work/data" serve --listen "127.0.0.1:$PORT" >"$work/access.log" 2>"$work/serve.err" &
serve=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

# nginx serves the very bytes: the case's JSON as the service answers it, and the recording's stored file.
mkdir -p "$work/www"
curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/cases/$MIDDLE" >"$work/www/case.json"
ln -s "$BLOB" "$work/www/recording.mp4"
NGINX_PORT=$(free_port)
cat >"$work/nginx.conf" <<CONF
worker_processes $(nproc);
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  types { application/json json; video/mp4 mp4; }
  server { listen 127.0.0.1:$NGINX_PORT; root $work/www; }
}
CONF
nginx -c "$work/nginx.conf" -g 'daemon off;' &
nginx_pid=$!
sleep 0.5
# Both must answer with the same bytes, or the comparison means nothing.
cmp -s "$work/www/case.json" <(curl -sf "http://127.0.0.1:$NGINX_PORT/case.json") || { echo "nginx does not serve case.json" >&2; exit 1; }
[[ $(curl -s -o /dev/null -w '%{http_code}' -H 'Range: bytes=0-9' "http://127.0.0.1:$NGINX_PORT/recording.mp4") == 206 ]] || { echo "nginx does not serve the recording" >&2; exit 1; }

# The service's resident memory, sampled through the runs.
(while kill -0 "$serve" 2>/dev/null; do ps -o rss= -p "$serve" >>"$work/rss"; sleep 0.2; done) &
sampler=$!

cat >"$work/range.lua" <<'LUA'
local token = os.getenv("BENCH_TOKEN")
math.randomseed(42)
request = function()
  local offset = math.random(0, 1022) * 1048576
  local headers = { ["Range"] = "bytes=" .. offset .. "-" .. (offset + 1048575) }
  if token ~= nil and token ~= "" then headers["Authorization"] = "Bearer " .. token end
  return wrk.format("GET", nil, headers)
end
LUA

# Every request another case: the view is computed each time, never answered from the service's cache.
cat >"$work/cases.lua" <<LUA
local token = os.getenv("BENCH_TOKEN")
math.randomseed(7)
request = function()
  local path = string.format("/api/cases/BENCH-%05d", math.random(0, $CASES - 1))
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. token })
end
LUA

# wrk's numbers: requests/s, the 99th percentile in ms, transfer in MB/s.
measure() {  # measure CONNECTIONS URL [wrk args...]
  local connections=$1 url=$2; shift 2
  wrk -t2 -c"$connections" -d"${DURATION}s" --latency "$@" "$url" >"$work/wrk.out"
  awk '/Requests\/sec/ {rps=$2}
       /^ +99%/ {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; p99=v}
       /Transfer\/sec/ {t=$2; if (t ~ /GB/) {sub(/GB/,"",t); t*=1024} else if (t ~ /MB/) {sub(/MB/,"",t)} else if (t ~ /KB/) {sub(/KB/,"",t); t/=1024}; mbs=t}
       /Non-2xx/ {bad=$NF}
       END {printf "%s %s %s %s\n", rps, p99, mbs, bad+0}' "$work/wrk.out"
}

rss_start=$(ps -o rss= -p "$serve")
read -r api_rps api_p99 _ api_bad < <(measure 64 "http://127.0.0.1:$PORT/api/cases/$MIDDLE" -H "Authorization: Bearer $TOKEN")
read -r ngx_rps ngx_p99 _ ngx_bad < <(measure 64 "http://127.0.0.1:$NGINX_PORT/case.json")
read -r any_rps any_p99 _ any_bad < <(BENCH_TOKEN=$TOKEN measure 64 "http://127.0.0.1:$PORT" -s "$work/cases.lua")
read -r _ range_p99 range_mbs range_bad < <(BENCH_TOKEN=$TOKEN measure 16 "http://127.0.0.1:$PORT/api/evidence/$EVIDENCE" -s "$work/range.lua")
read -r _ ngx_range_p99 ngx_mbs ngx_range_bad < <(BENCH_TOKEN= measure 16 "http://127.0.0.1:$NGINX_PORT/recording.mp4" -s "$work/range.lua")
rss_end=$(ps -o rss= -p "$serve")
rss_max=$(sort -n "$work/rss" | tail -1)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
echo "netsample serve benchmark: $CASES cases, ${DURATION} s per run, wrk on 127.0.0.1, $(nproc) cores"
printf 'GET /api/cases/{number}, 64 connections: netsample %.0f req/s (p99 %s ms, non-2xx %s), nginx %.0f req/s (p99 %s ms, non-2xx %s): ratio %s (target >= 0.5, p99 <= 20 ms)\n' \
  "$api_rps" "$api_p99" "$api_bad" "$ngx_rps" "$ngx_p99" "$ngx_bad" "$(ratio "$api_rps" "$ngx_rps")"
printf 'GET /api/cases/{number}, each request another of the %s cases (computed, not cached), 64 connections: netsample %.0f req/s (p99 %s ms, non-2xx %s): ratio %s to nginx\n' \
  "$CASES" "$any_rps" "$any_p99" "$any_bad" "$(ratio "$any_rps" "$ngx_rps")"
printf '1 MiB Range reads of 1 GiB, 16 connections: netsample %s MB/s (p99 %s ms, non-2xx %s), nginx %s MB/s (p99 %s ms, non-2xx %s): ratio %s (target >= 0.8)\n' \
  "$range_mbs" "$range_p99" "$range_bad" "$ngx_mbs" "$ngx_range_p99" "$ngx_range_bad" "$(ratio "$range_mbs" "$ngx_mbs")"
printf 'netsample serve resident memory: %s KiB at start, %s KiB at most, %s KiB at the end\n' "$rss_start" "$rss_max" "$rss_end"
