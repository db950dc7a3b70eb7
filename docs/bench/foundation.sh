#!/usr/bin/env bash
# The foundation's measurements for BENCHMARKS.md, in one go, on one machine:
#   bash docs/bench/foundation.sh
# Needs wrk and curl. Builds the release binary and two throw-away data dirs
# under $BENCH_DIR (default /tmp/accord-bench; never commit them): "small"
# (an administrator and a learner) and "100k" (100,000 accounts). Measures the
# binary size, cold start to /healthz on 100k, idle RSS, and wrk on a bare
# route (/healthz) and a signed-in page (/profile) side by side, on each.
set -euo pipefail
cd "$(dirname "$0")/../.."
export GOTOOLCHAIN=go1.27.3
root="${BENCH_DIR:-/tmp/accord-bench}"
mkdir -p "$root"

# Free ports (other servers may run on this machine).
free_port() { local p=$1; while (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; do p=$((p + 1)); done; echo $p; }

CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /tmp/accord .
echo "binary: $(stat -c %s /tmp/accord) bytes, stripped, CGO off"
if [ ! -f "$root/small/accord.db" ]; then
  /tmp/accord user add --data "$root/small" --email admin@bench.test --password 'bench password 1' --role admin >/dev/null
  /tmp/accord user add --data "$root/small" --email learner50000@bench.test --password 'bench password 1' >/dev/null
fi
[ -f "$root/100k/accord.db" ] || go run ./docs/bench/mkusers -data "$root/100k" -n 100000
echo "databases: small $(du -h "$root/small/accord.db" | cut -f1), 100k $(du -h "$root/100k/accord.db" | cut -f1)"

echo; echo "== cold start, 100k accounts"
go run ./docs/bench/coldstart -bin /tmp/accord -data "$root/100k" -addr "127.0.0.1:$(free_port 28180)" -runs 9

pid=""
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -f /tmp/accord-bench.jar' EXIT
bench() { # bench NAME DURATION
  local data="$root/$1" port base jar=/tmp/accord-bench.jar token code session
  port=$(free_port 28080); base="http://127.0.0.1:$port"
  /tmp/accord serve --addr "127.0.0.1:$port" --data "$data" --log-level error &
  pid=$!
  until curl -sf "$base/healthz" >/dev/null; do sleep 0.01; done
  sleep 1
  echo; echo "== $1: idle RSS after start: $(ps -o rss= -p $pid | tr -d ' ') KiB"
  # Sign in through the real form (CSRF token from the page) as a learner.
  rm -f $jar
  token=$(curl -s -c $jar -b $jar "$base/login" | sed -n 's/.*name="csrf-token" content="\([^"]*\)".*/\1/p')
  code=$(curl -s -c $jar -b $jar -o /dev/null -w '%{http_code}' --data-urlencode "_csrf=$token" \
    --data-urlencode email=learner50000@bench.test --data-urlencode "password=bench password 1" "$base/login")
  session=$(awk '$6 == "accord_session" {print $7}' $jar)
  [ "$code" = 303 ] && [ -n "$session" ] || { echo "sign-in failed: $code"; exit 1; }
  # Agree to the compulsory policies, as a learner does at first sign-in.
  consent=$(curl -s -b $jar "$base/consent")
  token=$(echo "$consent" | sed -n 's/.*name="csrf-token" content="\([^"]*\)".*/\1/p')
  args=(--data-urlencode "_csrf=$token")
  for v in $(echo "$consent" | grep -o 'name="v[0-9]*"' | sort -u | sed 's/name="\(v[0-9]*\)"/\1/'); do args+=(--data-urlencode "$v=accept"); done
  curl -s -b $jar -o /dev/null "${args[@]}" "$base/consent"
  code=$(curl -s -o /dev/null -w "%{http_code}" -H "Cookie: accord_session=$session" "$base/profile")
  [ "$code" = 200 ] || { echo "GET /profile: $code, want 200 (consent gate?)"; exit 1; }
  curl -s -o /dev/null -w "one GET /profile: %{http_code} in %{time_total} s\n" -H "Cookie: accord_session=$session" "$base/profile"
  wrk -t2 -c64 -d3s "$base/healthz" >/dev/null # warm-up
  echo; echo "== $1: wrk -t2 -c64 -d$2 --latency $base/healthz"
  wrk -t2 -c64 -d"$2" --latency "$base/healthz"
  echo; echo "== $1: wrk -t2 -c64 -d$2 --latency -H 'Cookie: accord_session=…' $base/profile"
  wrk -t2 -c64 -d"$2" --latency -H "Cookie: accord_session=$session" "$base/profile"
  echo; echo "== $1: RSS after load: $(ps -o rss= -p $pid | tr -d ' ') KiB"
  kill $pid; wait $pid 2>/dev/null || true; pid=""
}
bench small 10s
bench 100k 10s
