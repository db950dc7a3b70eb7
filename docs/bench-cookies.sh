#!/bin/sh
# Measures the cookie banner decision (issue 4): GET / for a visitor without
# a choice (banner), with a refusal, with everything accepted (counted by the
# statistics), beside the bare /healthz route — one server, one run.
# Usage: docs/bench-cookies.sh [binary]   (default: go build -o /tmp/accord .)
set -eu
BIN=${1:-/tmp/accord}
[ -x "$BIN" ] || go build -o "$BIN" .
DATA=$(mktemp -d)
PORT=${PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
ADDR=127.0.0.1:$PORT
"$BIN" serve --addr $ADDR --data "$DATA" --base-url http://$ADDR >"$DATA/log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || { echo "server log:"; cat "$DATA/log"; }; rm -rf "$DATA"' EXIT
sleep 1
kill -0 $PID # still running: the port was ours
choose() { # $1 = choice; prints the Cookie header of a browser that made it
  jar="$DATA/jar-$1"
  tok=$(curl -s -c "$jar" http://$ADDR/ | sed -n 's/.*name="csrf-token" content="\([^"]*\)".*/\1/p')
  curl -s -b "$jar" -c "$jar" -o /dev/null -d "_csrf=$tok&choice=$1" http://$ADDR/cookies
  curl -s -b "$jar" -c "$jar" -o /dev/null http://$ADDR/ # accord_visitor, when accepted
  sed 's/^#HttpOnly_//' "$jar" | awk '!/^#/ && NF==7 {printf "%s%s=%s", sep, $6, $7; sep="; "}'
}
CSRFONLY=$(curl -s -c "$DATA/jar-none" -o /dev/null http://$ADDR/; sed 's/^#HttpOnly_//' "$DATA/jar-none" | awk '!/^#/ && NF==7 {printf "%s=%s", $6, $7}')
REFUSED=$(choose refuse_all)
ACCEPTED=$(choose accept_all)
banner() { curl -s "$@" | grep -c 'id="cookie-banner"' || true; }
echo "cookies sent: refused: $(echo "$REFUSED" | sed 's/=[^;]*//g'); accepted: $(echo "$ACCEPTED" | sed 's/=[^;]*//g')"
echo "banner shown: no choice $(banner http://$ADDR/), refused $(banner -H "Cookie: $REFUSED" http://$ADDR/), accepted $(banner -H "Cookie: $ACCEPTED" http://$ADDR/)"
run() { echo "== $1"; shift; wrk -t2 -c32 -d10s "$@" | grep -E "Latency|Requests/sec|Non-2xx|Socket errors"; }
BEFORE=$(sha256sum "$DATA/accord.db" | cut -c1-16)
run "bare /healthz" http://$ADDR/healthz
run "/ no choice (banner)" http://$ADDR/
run "/ no choice, returning browser (accord_csrf only; banner)" -H "Cookie: $CSRFONLY" http://$ADDR/
run "/ refused" -H "Cookie: $REFUSED" http://$ADDR/
run "/ accepted (statistics counted)" -H "Cookie: $ACCEPTED" http://$ADDR/
AFTER=$(sha256sum "$DATA/accord.db" | cut -c1-16)
echo "database file during the GETs: before $BEFORE, after $AFTER ($( [ "$BEFORE" = "$AFTER" ] && echo unchanged || echo CHANGED))"
