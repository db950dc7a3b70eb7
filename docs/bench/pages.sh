#!/usr/bin/env bash
# Page speed against the bare route (issue 13), in one go:
#   bash docs/bench/pages.sh [DURATION]        # default 5s per run
#   BIN=/tmp/accord-before bash docs/bench/pages.sh   # another build, same data
# Builds the release binary and a throw-away 100,000-account data dir under
# $BENCH_DIR (default /tmp/accord-bench), signs a learner in, has them agree
# to the policies and make a cookie choice (the usual signed-in page), then
# runs wrk (-t2 -c64) on /healthz, /policies (visitor), /profile and
# /profile/policies (signed in) and POST /api/v1/consent-status (500 read
# tokens rotated by docs/bench/consent-status.lua, so that no token meets its
# rate limit), interleaved, three rounds, and prints each one's requests/s as
# a ratio of /healthz's in the same round, with `uptime` before each round
# (other sessions may share the cores: compare ratios within a round).
# Needs wrk and curl.
set -euo pipefail
cd "$(dirname "$0")/../.."
export GOTOOLCHAIN=go1.27.3
dur="${1:-5s}"
root="${BENCH_DIR:-/tmp/accord-bench}"
mkdir -p "$root"
free_port() { local p=$1; while (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; do p=$((p + 1)); done; echo $p; }

bin="${BIN:-$root/accord}" # BIN=another build measures that one (a commit before, side by side)
[ -n "${BIN:-}" ] || CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$bin" .
[ -f "$root/100k/accord.db" ] || go run ./docs/bench/mkusers -data "$root/100k" -n 100000
tokens="$root/100k/bench-tokens.txt"
[ -s "$tokens" ] || go run ./docs/bench/mktokens -data "$root/100k" -n 500 -out "$tokens"

port=$(free_port 28280); base="http://127.0.0.1:$port"; jar=$(mktemp)
"$bin" serve --addr "127.0.0.1:$port" --data "$root/100k" --log-level error &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f $jar' EXIT
until curl -sf "$base/healthz" >/dev/null; do sleep 0.01; done

csrf() { sed -n 's/.*name="csrf-token" content="\([^"]*\)".*/\1/p'; }
token=$(curl -s -c $jar -b $jar "$base/login" | csrf)
code=$(curl -s -c $jar -b $jar -o /dev/null -w '%{http_code}' --data-urlencode "_csrf=$token" \
  --data-urlencode email=learner50000@bench.test --data-urlencode "password=bench password 1" "$base/login")
session=$(awk '$6 == "accord_session" {print $7}' $jar)
[ "$code" = 303 ] && [ -n "$session" ] || { echo "sign-in failed: $code"; exit 1; }
consent=$(curl -s -b $jar "$base/consent")
args=(--data-urlencode "_csrf=$(echo "$consent" | csrf)")
for v in $(echo "$consent" | grep -o 'name="v[0-9]*"' | sort -u | sed 's/name="\(v[0-9]*\)"/\1/'); do args+=(--data-urlencode "$v=accept"); done
curl -s -b $jar -o /dev/null "${args[@]}" "$base/consent"
token=$(curl -s -b $jar "$base/profile" | csrf) # a cookie choice: no banner from now on
code=$(curl -s -b $jar -o /dev/null -w '%{http_code}' --data-urlencode "_csrf=$token" --data-urlencode choice=refuse_all "$base/cookies")
[ "$code" = 303 ] || { echo "cookie choice: $code, want 303"; exit 1; }
for p in /profile /profile/policies; do
  code=$(curl -s -o /dev/null -w "%{http_code}" -H "Cookie: accord_session=$session" "$base$p")
  [ "$code" = 200 ] || { echo "GET $p: $code, want 200"; exit 1; }
done

rps() { # rps PATH [COOKIE]: requests/s, p99 and non-2xx/3xx answers of one wrk run
  local out
  if [ "$1" = /api/v1/consent-status ]; then
    out=$(TOKENS=$tokens EMAIL=learner50000@bench.test wrk -t2 -c64 -d"$dur" --latency -s docs/bench/consent-status.lua "$base")
  elif [ -n "${2:-}" ]; then out=$(wrk -t2 -c64 -d"$dur" --latency -H "Cookie: $2" "$base$1")
  else out=$(wrk -t2 -c64 -d"$dur" --latency "$base$1"); fi
  echo "$(echo "$out" | awk '/Requests\/sec/ {print $2}') $(echo "$out" | awk '$1 == "99%" {print $2}') $(echo "$out" | awk '/Non-2xx/ {print $NF}')"
}
wrk -t2 -c64 -d2s "$base/healthz" >/dev/null # warm-up
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in 1 2 3; do
  echo "round $round: $(uptime)"
  printf '%-6s %-24s %12s %10s %8s %8s\n' round route 'req/s' p99 ratio 'non-2xx'
  read -r h hp hn <<<"$(rps /healthz)"
  printf '%-6s %-24s %12s %10s %8s %8s\n' $round /healthz "$h" "$hp" 1.00 "${hn:-0}"
  for route in /policies /profile /profile/policies /api/v1/consent-status; do
    cookie=""; [ "$route" = /policies ] || cookie="accord_session=$session"
    read -r r rp rn <<<"$(rps $route "$cookie")"
    printf '%-6s %-24s %12s %10s %8s %8s\n' $round $route "$r" "$rp" "$(awk -v r="$r" -v h="$h" 'BEGIN { printf "%.2f", r / h }')" "${rn:-0}"
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
