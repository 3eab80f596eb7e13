#!/usr/bin/env bash
# netsample setup: installs what is missing, builds, and runs the demo or the tests.
#   bash setup.sh demo   set up, build and run the main job (`netsample demo` on a local data directory, then
#                        `netsample serve` on it: the web UI with a sign-in for each role, until Ctrl+C)
#   bash setup.sh test   set up, build and run every test once, in one build with ASan + UBSan (build-asan/)
#   bash setup.sh deps   only install the Debian packages
#   bash setup.sh build  only build (build/), warnings as errors
set -euo pipefail
cd "$(dirname "$0")"

# Every Debian package the build, the tests and the demo need.
PACKAGES=(
  g++ cmake ninja-build pkg-config git ca-certificates openssl
  libsqlite3-dev libssl-dev libcurl4-openssl-dev nlohmann-json3-dev libcli11-dev
  libcpp-httplib-dev libgtest-dev sqlite3 chrony
  libavdevice-dev libavformat-dev libavcodec-dev libswscale-dev libavutil-dev libx264-dev libyuv-dev
  fonts-noto-cjk xvfb chromium tesseract-ocr tesseract-ocr-chi-sim libtesseract-dev
  libpango1.0-dev libcairo2-dev poppler-utils
  libopencv-dev libzxing-dev zbar-tools
  libmicrohttpd-dev libargon2-dev libzip-dev libxml2-dev zlib1g-dev ffmpeg libnftables-dev libpq-dev
)
# Node.js's npm fetches the browser code the service serves (web/replay: ReplayWeb.page, pinned by its lock file);
# Debian's nodejs and npm only where no Node.js is installed yet: a machine that has one from elsewhere (with its
# own npm) would see them conflict.
command -v npm >/dev/null 2>&1 || PACKAGES+=(nodejs npm)
# Only the tests need these: a second browser (both driven from Node.js, tests/browser, pinned by its lock file);
# clang with its libFuzzer runtime for the extraction's fuzz run; nft and certutil to make the firewall rule and the
# browser certificate database the environment check must find; dnsmasq (dnsmasq-base: the program without a system
# service) as the second DNS resolver the environment check asks; Ceph's monitor, storage daemon and RADOS gateway,
# the S3-compatible object storage the central evidence store is tested against (tests/store/s3_test.cc); PostgreSQL,
# the central database the SQL layer is tested against (tests/store/postgresql_test.cc).
TEST_PACKAGES=(firefox-esr clang libclang-rt-14-dev nftables libnss3-tools dnsmasq-base ceph-mon ceph-osd radosgw ceph-common
  postgresql-15)

log() { printf 'setup: %s\n' "$*" >&2; }

install_packages() { # install_packages PACKAGE...
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  local sudo=()
  [[ $(id -u) -ne 0 ]] && sudo=(sudo)
  log "installing ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

jobs() { nproc 2>/dev/null || echo 2; }

# phase NAME COMMAND...: runs the command and says how long it took, so that a slow run says where its minutes went.
phase() {
  local name=$1 started=$SECONDS
  shift
  "$@"
  log "$name: $((SECONDS - started)) s"
}

# npm ci PREFIX: a package folder exactly as its lock file pins it. Node.js trusts its own CA list only; the
# machine's (Debian's ca-certificates, with any CA its administrator added, as for a proxy that inspects TLS) is
# added so npm reaches the registry wherever apt does.
npm_ci() {
  local local_cas=/etc/ssl/certs/ca-certificates.crt
  [[ -z ${NODE_EXTRA_CA_CERTS:-} && -r $local_cas ]] && export NODE_EXTRA_CA_CERTS=$local_cas
  PUPPETEER_SKIP_DOWNLOAD=1 npm ci --prefix "$1" --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
}

# The browser code compiled into the service (ReplayWeb.page's two bundles): fetched once, as locked.
web_packages() { [[ -f web/replay/node_modules/replaywebpage/sw.js ]] || npm_ci web/replay; }

build() { # build DIR TARGET [cmake args...]
  local dir=$1 target=$2; shift 2
  cmake -S . -B "$dir" -G Ninja -DBUILD_TESTING=ON "$@" >/dev/null
  cmake --build "$dir" --target "$target" --parallel "$(jobs)"
}

run_tests() { # run_tests DIR
  ctest --test-dir "$1" --output-on-failure --parallel "$(jobs)" --timeout 600
}

case "${1:-}" in
  deps) install_packages "${PACKAGES[@]}" "${TEST_PACKAGES[@]}" ;;
  build) install_packages "${PACKAGES[@]}"; web_packages; build build all -DNETSAMPLE_WERROR=ON ;;
  demo)
    install_packages "${PACKAGES[@]}"
    web_packages
    build build netsample -DNETSAMPLE_WERROR=OFF  # the tests are configured too, just not built here
    data=${NETSAMPLE_DEMO_DATA:-./netsample-demo}
    ./build/app/netsample --data "$data" demo
    # Then the web UI on the demo's data, with the sign-ins the demo printed, until Ctrl+C.
    listen=${NETSAMPLE_LISTEN:-127.0.0.1:8080}
    printf '\n网页界面：http://%s/  （用上面的账号登录；Ctrl+C 结束）\n' "$listen"
    printf '审看人员打开任务：买样录像旁是录像此刻屏幕上的网页（从录像保存的 WARC 回放，端口见下一行）\n'
    # The demo's own time-stamp authority is trusted only where it is named (design/store.md: TSA trust).
    exec ./build/app/netsample --data "$data" serve --listen "$listen" --trust "$data/tsa-trust.pem"
    ;;
  test)
    # One build, every test once: unit, integration and end-to-end, all under AddressSanitizer and
    # UndefinedBehaviorSanitizer at -Og (CMakeLists.txt), warnings as errors.
    phase "packages" install_packages "${PACKAGES[@]}" "${TEST_PACKAGES[@]}"
    # The browser tests' driver, exactly as the lock file pins it (no browser download: Debian's are used).
    phase "npm (web)" web_packages
    phase "npm (browser tests)" npm_ci tests/browser
    phase "sanitized build" build build-asan all -DCMAKE_BUILD_TYPE=Debug -DNETSAMPLE_SANITIZE=ON -DNETSAMPLE_WERROR=ON
    phase "tests" run_tests build-asan
    # The page extraction fuzzed for half a minute (libFuzzer with clang, on the crawler fixtures as corpus);
    # longer: bench/fuzz_extract.sh.
    phase "fuzz build" build build-fuzz extract_fuzz -DNETSAMPLE_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Release
    mkdir -p build-fuzz/corpus && cp -n tests/crawler/fixtures/*.html build-fuzz/corpus/
    (cd build-fuzz && ./tests/fuzz/extract_fuzz -max_total_time=30 -timeout=10 -rss_limit_mb=2048 corpus 2>&1 | tail -3)
    log "all: $SECONDS s"
    ;;
  *) sed -n '2,7p' "$0" >&2; exit 2 ;;
esac
