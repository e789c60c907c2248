#!/usr/bin/env bash
# threads.sh measures what idle connections cost a server, in threads and
# memory, on the loopback interface only. It compares two steps of the
# same design, a goroutine for each connection:
#
#   step8-threads     raw blocking system calls, as steps 1 to 7; a
#                     goroutine that waits for its request is blocked in
#                     recv, in the kernel, with its thread
#   step9-goroutines  Go's net package: non-blocking sockets; a goroutine
#                     that waits is parked on the runtime's poller (epoll),
#                     and no thread waits for it
#
# Both run with -read-timeout 5m, so that they keep the silent
# connections open, and -max-conns N+100, so that they accept them all.
#
# For each N (100, 1000 and 10000 by default) and each server, it starts
# the server and has the load client open N connections that send
# nothing (client -idle), in batches of at most BATCH (1000), each once
# the server holds the ones before: step 8's listen backlog is 1024, and
# a burst of 10000 overflows it (the kernel drops the clients that do not
# fit, and they are never accepted). It waits until the server holds
# them all (one descriptor each, in /proc/PID/fd) and its number of
# threads has stopped changing, and reads Threads and VmRSS from
# /proc/PID/status. It prints a markdown table: the threads, the
# resident memory, and how much more memory each connection costs than
# the server had before the first (VmRSS's growth divided by N). The Go
# runtime stops a program that has more than 10000 threads ("program
# exceeds 10000-thread limit"); a server that dies is shown as such,
# with the most threads it was seen with and its last words.
#
# Run it from the repository's root, on Linux:
#
#   bash docs/evidence/threads.sh
#   COUNTS="100 1000" bash docs/evidence/threads.sh
#
# It needs go, and a limit on open files above the largest N (ulimit -n):
# the client and the server each hold one descriptor per connection.
set -euo pipefail
cd "$(dirname "$0")/../.."

COUNTS=${COUNTS:-100 1000 10000}
SETTLE_LIMIT=${SETTLE_LIMIT:-60} # seconds to wait for a server to hold its connections
BATCH=${BATCH:-1000}             # connections the load client opens at once

if ! command -v go >/dev/null; then
  echo "threads.sh: go is not installed" >&2
  exit 1
fi
if [ ! -d /proc/self ]; then
  echo "threads.sh: needs Linux's /proc, to count a process's threads and descriptors" >&2
  exit 1
fi
most=0
for n in $COUNTS; do
  if [ "$n" -gt "$most" ]; then most=$n; fi
done
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((most + 100)) ]; then
  echo "threads.sh: ulimit -n is $(ulimit -n); $most connections need more (try: ulimit -n $((most + 1000)))" >&2
  exit 1
fi

work=$(mktemp -d)
pids=() # the processes this script started
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/" ./step8-threads ./step9-goroutines ./client

# status_field PID FIELD prints a number from /proc/PID/status, or
# nothing if the process is gone.
status_field() {
  awk -v field="$2:" '$1 == field { print $2 }' "/proc/$1/status" 2>/dev/null || true
}

# fds PID prints how many descriptors the process holds open.
fds() {
  local entries
  entries=$(ls "/proc/$1/fd" 2>/dev/null | wc -l) || true
  echo "${entries:-0}"
}

# died LOG says whether the Go program that wrote LOG has crashed: the
# runtime writes "fatal error: ..." before it exits.
died() {
  grep -q '^fatal error: ' "$1"
}

# measure NAME N COMMAND...: starts the server COMMAND on 127.0.0.1, on a
# port of the kernel's choice, holds N idle connections to it, and prints
# one row of the table.
measure() {
  local name=$1 n=$2
  shift 2
  local log="$work/$name-$n.log" addr="" pid clients=() threads rss rss0 held seen=0 base i last stable words opened size
  "$@" -addr 127.0.0.1:0 >"$log" 2>&1 &
  pid=$!
  pids+=("$pid")
  for i in $(seq 100); do
    addr=$(sed -n 's/^Serving HTTP on \([^ ]*\) .*/\1/p' "$log")
    if [ -n "$addr" ]; then break; fi
    sleep 0.05
  done
  if [ -z "$addr" ]; then
    echo "threads.sh: $name did not start:" >&2
    cat "$log" >&2
    exit 1
  fi
  base=$(fds "$pid")
  rss0=$(status_field "$pid" VmRSS)

  # The clients hold their connections far longer than the measure
  # takes, and are stopped once the server has been measured. Each batch
  # starts once the server holds the connections opened before it.
  opened=0
  while [ "$opened" -lt "$n" ]; do
    size=$((n - opened < BATCH ? n - opened : BATCH))
    "$work/client" -addr "$addr" -clients "$size" -idle -hold 5m -timeout 30s >"$work/client-$opened.out" 2>&1 &
    clients+=($!)
    pids+=($!)
    opened=$((opened + size))
    for i in $(seq $((SETTLE_LIMIT * 10))); do
      if [ -z "$(status_field "$pid" Threads)" ] || died "$log"; then break 2; fi
      threads=$(status_field "$pid" Threads)
      if [ "${threads:-0}" -gt "$seen" ]; then seen=$threads; fi
      if [ $(($(fds "$pid") - base)) -ge "$opened" ]; then break; fi
      sleep 0.1
    done
  done

  # Wait until the server holds every connection, then until its number
  # of threads stays the same for a second (a blocked goroutine's thread
  # is started a little after the goroutine).
  last=-1 stable=0
  for i in $(seq $((SETTLE_LIMIT * 10))); do
    threads=$(status_field "$pid" Threads)
    if [ -z "$threads" ] || died "$log"; then break; fi
    if [ "$threads" -gt "$seen" ]; then seen=$threads; fi
    if [ $(($(fds "$pid") - base)) -ge "$n" ]; then
      if [ "$threads" = "$last" ]; then stable=$((stable + 1)); else stable=0; fi
      last=$threads
      if [ "$stable" -ge 10 ]; then break; fi
    fi
    sleep 0.1
  done

  threads=$(status_field "$pid" Threads)
  rss=$(status_field "$pid" VmRSS)
  held=$(($(fds "$pid") - base))
  kill "${clients[@]}" "$pid" 2>/dev/null || true
  wait "${clients[@]}" "$pid" 2>/dev/null || true
  pids=()
  # A server that dies has said why before it exits: what /proc showed of
  # it while it was exiting is not a measure.
  if [ -z "$threads" ] || died "$log"; then
    words=$(grep -m1 -E '^(runtime: |fatal error: )' "$log" || head -1 "$log")
    echo "| $name | $n | – | $seen when last counted | – | – | died: \`$words\` |"
    return
  fi
  if [ "$held" -lt "$n" ]; then
    echo "threads.sh: $name held $held of $n connections after ${SETTLE_LIMIT}s" >&2
  fi
  awk -v name="$name" -v n="$n" -v held="$held" -v threads="$threads" -v rss="$rss" -v rss0="$rss0" \
    'BEGIN { printf "| %s | %d | %d | %d | %.1f | %.1f | |\n", name, n, held, threads, rss / 1024, (rss - rss0) / (held ? held : 1) }'
}

echo "Idle connections: threads and memory of each server, $(uname -sr), $(nproc) cores, $(go version | cut -d' ' -f3), ulimit -n $(ulimit -n)"
echo
echo "| server | idle connections | held | threads | RSS MiB | KiB more per connection | note |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | --- |"
for n in $COUNTS; do
  measure step8-threads "$n" "$work/step8-threads" -read-timeout 5m -max-conns $((n + 100))
  measure step9-goroutines "$n" "$work/step9-goroutines" -read-timeout 5m -max-conns $((n + 100))
done
