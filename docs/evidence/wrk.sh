#!/usr/bin/env bash
# wrk.sh measures step10-keep-alive against net/http's own server with wrk,
# side by side in one run, on the loopback interface only.
#
# Both servers run the same application (the stdlib app, GET /hello),
# with the same timeouts: step10-keep-alive, through its own server and
# gateway, and docs/evidence/nethttp-server, through net/http's. So the
# run compares the servers alone. For each
# number of connections (1, 16, 64), with keep-alive (wrk's default: each
# connection sends request after request) and without (every request says
# Connection: close, and wrk opens a new connection for the next), it runs
# wrk against each server in turn, ROUNDS times, alternating, and reports
# the median requests per second of each, and their ratio. Any socket
# error or non-2xx response is counted and reported.
#
# Run it from the repository's root:
#
#   bash docs/evidence/wrk.sh                  # 5 s per wrk run, 3 rounds
#   DURATION=2s ROUNDS=1 bash docs/evidence/wrk.sh
#
# It needs go and wrk (Debian: apt-get install -y wrk). It exits 1 if any
# run had an error; with CHECK_RATIO set, also if step 10 reaches less
# than that ratio of net/http's requests per second at 64 keep-alive
# connections (CHECK_RATIO=0.85 is the bound of a teaching step: speed is
# the event-loop step's lesson; CHECK_RATIO=1 means 0.85 too).
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION=${DURATION:-5s}
ROUNDS=${ROUNDS:-3}
CHECK_RATIO=${CHECK_RATIO:-0}
[ "$CHECK_RATIO" = 1 ] && CHECK_RATIO=0.85

for tool in go wrk; do
  if ! command -v "$tool" >/dev/null; then
    echo "wrk.sh: $tool is not installed (Debian: apt-get install -y $tool)" >&2
    exit 1
  fi
done

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/" ./step10-keep-alive ./docs/evidence/nethttp-server

# start NAME PROGRAM: starts PROGRAM quietly on a free port; sets ADDR.
start() {
  local name=$1 program=$2
  "$work/$program" -addr 127.0.0.1:0 -quiet >"$work/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    if ADDR=$(sed -n 's/^Serving HTTP on \([^ ]*\) .*/\1/p' "$work/$name.log") && [ -n "$ADDR" ]; then
      return
    fi
    sleep 0.05
  done
  echo "wrk.sh: $name did not start:" >&2
  cat "$work/$name.log" >&2
  exit 1
}
start ours step10-keep-alive
ours=$ADDR
start nethttp nethttp-server
nethttp=$ADDR

# measure ADDR CONNS MODE: one wrk run; prints "REQS_PER_SEC ERRORS".
measure() {
  local addr=$1 conns=$2 mode=$3 threads=2 header=()
  [ "$conns" -lt 2 ] && threads=1
  [ "$mode" = close ] && header=(-H "Connection: close")
  local out
  out=$(wrk -t"$threads" -c"$conns" -d"$DURATION" "${header[@]}" "http://$addr/hello")
  local rps errors
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  # "Socket errors: connect 0, read 0, write 0, timeout 0" and
  # "Non-2xx or 3xx responses: N" appear only when there are some.
  errors=$(awk '/Socket errors:/ {gsub(/,/, ""); n += $4 + $6 + $8 + $10}
                /Non-2xx or 3xx responses:/ {n += $5}
                END {print n + 0}' <<<"$out")
  echo "$rps $errors"
}

# median of the numbers given.
median() {
  printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}

echo "step10-keep-alive (ours) vs net/http, same app, GET /hello; wrk $DURATION per run, median of $ROUNDS"
echo "machine: $(nproc) cores, $(awk '/^MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo 2>/dev/null || echo '? GiB'), $(go env GOOS)/$(go env GOARCH), $(go version | awk '{print $3}'), $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}')"
echo
printf '| %-10s | %5s | %12s | %12s | %5s | %6s |\n' mode conns "ours req/s" "net/http" ratio errors
printf '|%s|%s|%s|%s|%s|%s|\n' ------------ ------- -------------- -------------- ------- --------
failed=0
for mode in keep-alive close; do
  for conns in 1 16 64; do
    ours_rps=() nethttp_rps=() errors=0
    for _ in $(seq "$ROUNDS"); do
      read -r rps errs < <(measure "$ours" "$conns" "$mode")
      ours_rps+=("$rps") errors=$((errors + errs))
      read -r rps errs < <(measure "$nethttp" "$conns" "$mode")
      nethttp_rps+=("$rps") errors=$((errors + errs))
    done
    o=$(median "${ours_rps[@]}")
    n=$(median "${nethttp_rps[@]}")
    ratio=$(awk -v o="$o" -v n="$n" 'BEGIN {printf "%.2f", o / n}')
    printf '| %-10s | %5d | %12.0f | %12.0f | %5s | %6d |\n' "$mode" "$conns" "$o" "$n" "$ratio" "$errors"
    [ "$errors" -eq 0 ] || failed=1
    if [ "$CHECK_RATIO" != 0 ] && [ "$mode" = keep-alive ] && [ "$conns" = 64 ] &&
      awk -v r="$ratio" -v want="$CHECK_RATIO" 'BEGIN {exit !(r < want)}'; then
      echo "wrk.sh: at 64 keep-alive connections step 10 reached $ratio of net/http's requests per second, below $CHECK_RATIO" >&2
      failed=1
    fi
  done
done
exit "$failed"
