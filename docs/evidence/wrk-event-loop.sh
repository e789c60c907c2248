#!/usr/bin/env bash
# wrk-event-loop.sh measures step11-event-loop against net/http's own
# server, and against Debian's nginx when it is installed, side by side
# in one run, on the loopback interface only.
#
# The first two are the same program, step11-event-loop, running the
# same application (the stdlib app, GET /hello): once with -server ours
# (the event loop), once with -server net/http. nginx serves the same 52
# bytes from docs/evidence/nginx-event-loop.conf (pid, log and temporary
# files in a temporary directory; 127.0.0.1 only; the current user).
# For each server it reports:
#
#   req/s    wrk, 64 keep-alive connections, DURATION per run, the median
#            of ROUNDS runs, the servers taking turns in each round
#   p99      wrk --latency, 256 keep-alive connections, the median of
#            ROUNDS runs' 99th percentile
#   threads  /proc/PID/status Threads during the 64-connection run
#            (nginx: its processes' threads, added up)
#   idle RSS resident memory (VmRSS, added up over nginx's processes) of a
#            freshly started server that holds IDLE idle connections
#            (client -idle: connected, no request sent), and its threads
#
# Run it from the repository's root, on Linux:
#
#   bash docs/evidence/wrk-event-loop.sh
#   DURATION=2s ROUNDS=1 IDLE=1000 bash docs/evidence/wrk-event-loop.sh
#
# It needs go and wrk (Debian: apt-get install -y wrk nginx), and ulimit
# -n above IDLE. It exits 1 if any wrk run had an error; with
# CHECK_RATIO=1, also if the event loop is below 1.3 times net/http's
# requests per second (the target of issue 15).
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION=${DURATION:-5s}
ROUNDS=${ROUNDS:-3}
IDLE=${IDLE:-10000}
CHECK_RATIO=${CHECK_RATIO:-0}

for tool in go wrk ss; do
  if ! command -v "$tool" >/dev/null; then
    echo "wrk-event-loop.sh: $tool is not installed (Debian: apt-get install -y $tool)" >&2
    exit 1
  fi
done
if [ "$IDLE" -gt 0 ] && [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((IDLE + 100)) ]; then
  echo "wrk-event-loop.sh: ulimit -n is $(ulimit -n); $IDLE idle connections need more (try: ulimit -n $((IDLE + 1000)), or IDLE=1000)" >&2
  exit 1
fi

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/step11" ./step11-event-loop
go build -o "$work/client" ./client
NGINX=$(command -v nginx || true)
[ -z "$NGINX" ] && [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx

# freeport: a loopback port that no one listens on now, for nginx.
freeport() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
    echo $((20000 + RANDOM % 20000))
}

# start NAME: starts server NAME (ours, nethttp or nginx) on a free
# port; sets ADDR and PID (nginx: its master's).
start() {
  local name=$1
  case $name in
  ours | nethttp)
    local kind=ours
    [ "$name" = nethttp ] && kind=net/http
    "$work/step11" -addr 127.0.0.1:0 -quiet -server "$kind" -read-timeout 120s -idle-timeout 120s -max-conns $((IDLE + 1000)) >"$work/$name.log" 2>&1 &
    PID=$!
    pids+=("$PID")
    for _ in $(seq 100); do
      if ADDR=$(sed -n 's/^Serving HTTP on \([^ ]*\) .*/\1/p' "$work/$name.log") && [ -n "$ADDR" ]; then
        return
      fi
      sleep 0.05
    done
    ;;
  nginx)
    local port user=""
    port=$(freeport)
    [ "$(id -u)" = 0 ] && user="user $(id -un) $(id -gn);"
    mkdir -p "$work/nginx"
    sed -e "s|@PREFIX@|$work/nginx|g" -e "s|@PORT@|$port|g" -e "s|@USER@|$user|" \
      docs/evidence/nginx-event-loop.conf >"$work/nginx/nginx.conf"
    "$NGINX" -p "$work/nginx" -e "$work/nginx/error.log" -c "$work/nginx/nginx.conf" -g 'daemon off;' >"$work/nginx.log" 2>&1 &
    PID=$!
    pids+=("$PID")
    ADDR=127.0.0.1:$port
    for _ in $(seq 100); do
      if curl -sf "http://$ADDR/hello" >/dev/null 2>&1; then return; fi
      sleep 0.05
    done
    ;;
  esac
  echo "wrk-event-loop.sh: $name did not start:" >&2
  cat "$work/$name.log" "$work/nginx/error.log" 2>/dev/null >&2
  exit 1
}

# stop PID: interrupts a server and waits for it.
stop() {
  kill -INT "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# family PID: the process and its children (nginx's workers).
family() {
  echo "$1"
  pgrep -P "$1" || true
}

# status FIELD PID: FIELD of /proc/PID/status, added up over the family.
status() {
  local field=$1 total=0 p v
  for p in $(family "$2"); do
    v=$(awk -v f="$field:" '$1 == f {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

# wrkrun ADDR CONNS [--latency]: one wrk run; prints "REQS_PER_SEC P99_MS ERRORS".
wrkrun() {
  local addr=$1 conns=$2
  shift 2
  local out
  out=$(wrk -t2 -c"$conns" -d"$DURATION" "$@" "http://$addr/hello")
  awk '/^Requests\/sec:/ {rps = $2}
       $1 == "99%" {v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
                    p99 = (u == "us") ? v / 1000 : (u == "s") ? v * 1000 : v}
       /Socket errors:/ {gsub(/,/, ""); n += $4 + $6 + $8 + $10}
       /Non-2xx or 3xx responses:/ {n += $5}
       END {printf "%s %s %d\n", rps, (p99 == "" ? "-" : p99), n + 0}' <<<"$out"
}

median() {
  printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}

servers=(ours nethttp)
[ -n "$NGINX" ] && servers+=(nginx)
declare -A label=([ours]="step11-event-loop" [nethttp]="net/http" [nginx]="nginx $("$NGINX" -v 2>&1 | sed 's|.*nginx/||')")

echo "step11-event-loop vs net/http (same app) vs nginx, GET /hello, wrk $DURATION per run, median of $ROUNDS"
echo "machine: $(nproc) cores ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)), $(awk '/^MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(uname -r), $(go version | awk '{print $3}'), $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}')"
echo

# Load: every server runs at once, and they take turns.
declare -A addr pid rps p99 threads
for s in "${servers[@]}"; do
  start "$s"
  addr[$s]=$ADDR pid[$s]=$PID
done
failed=0
for round in $(seq "$ROUNDS"); do
  for s in "${servers[@]}"; do
    # Threads are read one second into the 64-connection run.
    (sleep 1; status Threads "${pid[$s]}" >"$work/threads.$s.$round") &
    read -r r _ e < <(wrkrun "${addr[$s]}" 64)
    wait $!
    rps[$s]+="$r " threads[$s]+="$(cat "$work/threads.$s.$round") "
    read -r _ p e2 < <(wrkrun "${addr[$s]}" 256 --latency)
    p99[$s]+="$p "
    if [ $((e + e2)) -ne 0 ]; then
      echo "wrk-event-loop.sh: $s: $((e + e2)) errors in round $round" >&2
      failed=1
    fi
  done
done
for s in "${servers[@]}"; do stop "${pid[$s]}"; done

# Idle: each server afresh, alone, with IDLE idle connections.
declare -A idlerss idlethreads
for s in "${servers[@]}"; do
  if [ "$IDLE" -eq 0 ]; then idlerss[$s]=- idlethreads[$s]=-; continue; fi
  start "$s"
  port=${ADDR##*:}
  "$work/client" -addr "$ADDR" -clients "$IDLE" -idle -hold 60s >"$work/idle.$s.log" 2>&1 &
  client=$!
  pids+=("$client")
  for _ in $(seq 600); do
    [ "$(ss -Htn state established "( sport = :$port )" | wc -l)" -ge "$IDLE" ] && break
    sleep 0.1
  done
  sleep 1 # let the server settle
  idlerss[$s]=$(status VmRSS "$PID")
  idlethreads[$s]=$(status Threads "$PID")
  kill "$client" 2>/dev/null || true
  wait "$client" 2>/dev/null || true
  stop "$PID"
done

base_rps=$(median ${rps[nethttp]})
base_p99=$(median ${p99[nethttp]})
base_rss=${idlerss[nethttp]}
printf '| %-20s | %9s | %5s | %9s | %5s | %7s | %14s | %5s | %12s |\n' server "req/s @64" ratio "p99 @256" ratio threads "RSS, $IDLE idle" ratio "threads idle"
printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n' ---------------------- ----------- ------- ----------- ------- --------- ---------------- ------- --------------
for s in "${servers[@]}"; do
  r=$(median ${rps[$s]})
  p=$(median ${p99[$s]})
  t=$(median ${threads[$s]})
  m=${idlerss[$s]}
  printf '| %-20s | %9.0f | %5s | %7.2fms | %5s | %7s | %11s MiB | %5s | %12s |\n' "${label[$s]}" "$r" \
    "$(awk -v a="$r" -v b="$base_rps" 'BEGIN {printf "%.2f", a / b}')" "$p" \
    "$(awk -v a="$p" -v b="$base_p99" 'BEGIN {printf "%.2f", a / b}')" "$t" \
    "$(awk -v m="$m" 'BEGIN {if (m == "-") print "-"; else printf "%.1f", m / 1024}')" \
    "$(awk -v a="$m" -v b="$base_rss" 'BEGIN {if (a == "-") print "-"; else printf "%.2f", a / b}')" "${idlethreads[$s]}"
done
echo
echo "ratios are to net/http's figure in the same run; threads: during the 64-connection run"

# The spread: each round's ratio to net/http's figure of the same round,
# its lowest and highest. A wide spread means a busy machine: run again.
# roundratios SERVER FIELD: the ratios of FIELD (rps or p99), round by round.
roundratios() {
  local -n field=$2
  paste -d' ' <(tr ' ' '\n' <<<"${field[$1]}") <(tr ' ' '\n' <<<"${field[nethttp]}") |
    awk 'NF == 2 && $2 > 0 {printf "%.2f ", $1 / $2}'
}
for s in "${servers[@]}"; do
  [ "$s" = nethttp ] && continue
  r=$(roundratios "$s" rps) p=$(roundratios "$s" p99)
  echo "${label[$s]}: req/s ratio by round: $r(median $(median $r), spread $(printf '%s\n' $r | sort -g | head -1)-$(printf '%s\n' $r | sort -g | tail -1)); p99 ratio by round: $p"
done

if [ "$CHECK_RATIO" = 1 ]; then
  ratio=$(awk -v a="$(median ${rps[ours]})" -v b="$base_rps" 'BEGIN {printf "%.2f", a / b}')
  if awk -v r="$ratio" 'BEGIN {exit !(r < 1.3)}'; then
    echo "wrk-event-loop.sh: the event loop reached $ratio of net/http's requests per second, below 1.3" >&2
    failed=1
  fi
fi
exit "$failed"
