#!/usr/bin/env bash
# capture.sh re-creates the evidence transcripts in docs/evidence/ from the
# real system, on the loopback interface only:
#
#   strace-step1.txt      step1-socket under strace, one curl connects
#   strace-net-listen.txt listen-with-net (Go's net package) under strace,
#                         one curl connects
#   strace-step9.txt      step9-goroutines under strace, one curl request,
#                         then SIGINT: the calls on the listening socket
#                         and the connection only
#   tcpdump-step3.txt     one curl request to step3-response, as tcpdump
#                         sees it on lo: handshake, request, response, FINs
#
# Run it from the repository's root, as root (tcpdump needs it), on Linux:
#
#   bash docs/evidence/capture.sh
#
# It needs go, curl, strace and tcpdump (Debian: apt-get install -y curl
# strace tcpdump). What changes from run to run is replaced, so that a rerun
# gives the same files as far as the kernel allows: process ids, port
# numbers (PORT is the server's, CLIENT is curl's), timestamps, TCP's
# random initial sequence numbers, memory addresses, curl's version. See
# docs/evidence/README.md for how to read the transcripts.
#
# To keep the raw, unfiltered strace output and the pcap file as well, name
# a directory for them: CAPTURE_RAW=/tmp/raw bash docs/evidence/capture.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
evidence=docs/evidence

need() {
  if ! command -v "$1" >/dev/null; then
    echo "capture.sh: $1 is not installed (Debian: apt-get install -y $2)" >&2
    exit 1
  fi
}
need go golang-go
need curl curl
need strace strace
need tcpdump tcpdump

work=$(mktemp -d)
running=() # the processes this script started and has not waited for yet
cleanup() {
  for pid in "${running[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -n "${CAPTURE_RAW:-}" ]; then
    mkdir -p "$CAPTURE_RAW"
    cp "$work"/*.strace "$work"/*.out "$work"/*.pcap "$CAPTURE_RAW"/ 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "building step1-socket, step3-response, step9-goroutines and listen-with-net"
go build -o "$work/" ./step1-socket ./step3-response ./step9-goroutines ./docs/evidence/listen-with-net

# free_port prints a free port from 8888 on (the steps' default port; the
# number of digits stays the same, and so do the lengths in the capture).
free_port() {
  local port
  for port in $(seq 8888 8999); do
    if command -v ss >/dev/null; then
      [ -z "$(ss -Hltn "sport = :$port")" ] && { echo "$port"; return; }
    elif ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"; return
    fi
  done
  echo "capture.sh: no free port in 8888-8999" >&2
  exit 1
}

# wait_for FILE PATTERN waits up to 10 s until a line of FILE matches.
wait_for() {
  local i
  for i in $(seq 100); do
    grep -q -- "$2" "$1" 2>/dev/null && return
    sleep 0.1
  done
  echo "capture.sh: no line matching '$2' in $1 after 10s:" >&2
  cat "$1" >&2
  exit 1
}

# The calls to trace: the network class (socket, setsockopt, bind, listen,
# accept4, getsockname, shutdown, ...), the runtime's poller (epoll_*,
# eventfd2), and open/read/write/close, of which the filter below keeps
# only those on sockets and on /proc/sys/net/core/somaxconn.
syscalls='%network,/^epoll_,eventfd2,openat,read,write,close'

# merge_threads turns strace -f output into one call per line, without the
# thread ids (which thread makes a call is the Go scheduler's choice and
# changes from run to run). A call that another thread's call interrupts
# in the output (<unfinished ...>, then <... resumed>) is joined into one
# line, at the place where it started; a call still waiting when the
# process exited reads "<unfinished ...>) = ?". The calls that threads
# were making when the process exited, which strace can no longer name
# ("???("), are dropped. Of the signals it keeps SIGINT (the signal that
# stops a step), not the runtime's SIGURG (goroutine preemption); of the
# exits, only the process's own. The results are aligned in one column,
# as strace aligns them (see align).
merge_threads() {
  awk '
    {
      pid = $1; line = $0; sub(/^[0-9]+ +/, "", line)
      if (main == "") main = pid
      if (line ~ /^--- /) { if (line ~ /^--- SIGINT /) out[++n] = line; next }
      if (line ~ /^\+\+\+ /) { if (pid == main) out[++n] = line; next }
      if (line ~ /^\?\?\?\(/) next
      if (line ~ /^<\.\.\. [a-z0-9_]+ resumed>/) {
        sub(/^<\.\.\. [a-z0-9_]+ resumed>/, "", line)
        if (pid in open) { out[open[pid]] = out[open[pid]] line; delete open[pid] }
        next
      }
      if (line ~ / <unfinished \.\.\.>$/) {
        sub(/ <unfinished \.\.\.>$/, "", line)
        out[++n] = line; open[pid] = n
        next
      }
      out[++n] = line
    }
    END { for (i = 1; i <= n; i++) print out[i] }
  ' | align
}

# align writes each call's result in one column, " = " at the 40th, as
# strace does, whatever room the call's arguments take.
align() {
  awk '
    {
      line = $0
      sub(/  <unfinished/, " <unfinished", line)
      if (match(line, /\) += (\?|-?[0-9]+|0x[0-9a-f]+)( [A-Z0-9]+)?( \([^()]*\))?$/)) {
        result = substr(line, RSTART + 1); sub(/^ += /, "", result)
        line = sprintf("%-39s = %s", substr(line, 1, RSTART), result)
      }
      print line
    }
  '
}

# keep_socket_calls drops what is not about sockets: the runtime's own
# files (open, read, write, close of other descriptors: the program's
# output, the poller's eventfd), and the scheduler's quick
# looks at the poller that do not wait (epoll_pwait with timeout 0): how
# many there are, and what they find, depends on timing. The waits that
# block (timeout -1) stay.
keep_socket_calls() {
  awk '
    function name(s) { return substr(s, 1, index(s, "(") - 1) }
    function fd(s,   a) { a = substr(s, index(s, "(") + 1); sub(/[,)].*/, "", a); return a }
    function result(s) { return match(s, / = [0-9]+$/) ? substr(s, RSTART + 3) : "" }
    /^(---|\+\+\+) / { print; next }
    {
      c = name($0)
      if (c ~ /^(socket|accept|accept4|epoll_create1|eventfd2)$/) {
        r = result($0)
        if (r != "") { mine[r] = 1; if (c ~ /^(socket|accept4?)$/) sock[r] = 1 }
        print; next
      }
      if (c == "openat") {
        if ($0 ~ /somaxconn/) { r = result($0); if (r != "") { mine[r] = 1; somaxconn[r] = 1 }; print }
        next
      }
      if (c == "read" || c == "write") { f = fd($0); if (f in sock || f in somaxconn) print; next }
      if (c == "close") {
        f = fd($0)
        if (f in mine) { print; delete mine[f]; delete sock[f]; delete somaxconn[f] }
        next
      }
      if (c ~ /^epoll_p?wait$/ && $0 ~ /\], [0-9]+, 0(, |\))/) next
      print
    }
  '
}

# keep_listener_calls keeps, of a server's normalised socket calls, only
# those on its listening socket and on the connections accepted from it,
# from the socket call that made the listening socket on; and, for the
# reader to know what the first argument of epoll_ctl is, the poller's
# epoll_create1. What net does before the listening socket (its probes,
# the backlog from somaxconn) is shown in strace-net-listen.txt already.
# It drops the waits in epoll_pwait: a server with timers (step 9's
# deadlines) has several threads look at the poller, which one waits,
# for how long and what it finds first changes from run to run. The
# results are aligned again, as normalise made some calls shorter.
keep_listener_calls() {
  awk '
    function name(s) { return substr(s, 1, index(s, "(") - 1) }
    function fd(s,   a) { a = substr(s, index(s, "(") + 1); sub(/[,)].*/, "", a); return a }
    function ctl_fd(s,   a) { a = s; sub(/^epoll_ctl\([0-9]+, EPOLL_CTL_[A-Z]+, /, "", a); sub(/[,)].*/, "", a); return a }
    function result(s) { return match(s, / = [0-9]+$/) ? substr(s, RSTART + 3) : "" }
    { line[++n] = $0 }
    END {
      for (i = 1; i <= n; i++) if (name(line[i]) == "listen") { listening = fd(line[i]); at = i; break }
      if (listening == "") { print "capture.sh: no listen call in the trace" > "/dev/stderr"; exit 1 }
      for (start = at; start > 1; start--) if (name(line[start]) == "socket" && result(line[start]) == listening) break
      for (i = 1; i < start; i++) if (name(line[i]) == "epoll_create1") print line[i]
      mine[listening] = 1
      for (i = start; i <= n; i++) {
        s = line[i]; c = name(s)
        if (s ~ /^(---|\+\+\+) /) print s
        else if (c == "socket") { if (i == start) print s }
        else if (c ~ /^accept4?$/) { if (fd(s) == listening) { r = result(s); if (r != "") mine[r] = 1; print s } }
        else if (c == "epoll_ctl") { if (ctl_fd(s) in mine) print s }
        else if (c ~ /^epoll_p?wait$/) continue
        else if (fd(s) in mine) { print s; if (c == "close") delete mine[fd(s)] }
      }
    }
  ' | align
}

# normalise PORT replaces what changes from run to run in a transcript.
normalise() {
  sed -E \
    -e "s/htons\($1\)/htons(PORT)/g" \
    -e 's/htons\([1-9][0-9]*\)/htons(CLIENT)/g' \
    -e "s/127\.0\.0\.1([.:])$1\b/127.0.0.1\1PORT/g" \
    -e 's/127\.0\.0\.1\.[0-9]+\b/127.0.0.1.CLIENT/g' \
    -e 's/0x[0-9a-f]+/0xADDR/g' \
    -e 's/data=\{u32=[0-9]+, u64=[0-9]+\}/data={u32=DATA, u64=DATA}/g' \
    -e 's/si_pid=[0-9]+/si_pid=PID/g' \
    -e 's/TS val [0-9]+/TS val TIME/g' \
    -e 's/ecr [1-9][0-9]*/ecr TIME/g' \
    -e 's#curl/[0-9][0-9.A-Za-z-]*#curl/VERSION#g'
}

# trace NAME BINARY OUTPUT [DONE [FILTER]] runs BINARY under strace -f on
# 127.0.0.1, lets one curl connect, stops the program with SIGINT (kill -INT
# of the program alone, not of strace) if it has not exited by itself, and
# writes the normalised trace to OUTPUT. DONE is a pattern for the line the
# program prints once it is done with curl's connection: then, not after a
# guess of a second, comes the SIGINT. FILTER is one more filter for the calls, such as
# keep_listener_calls; the default, cat, keeps them all.
trace() {
  local name=$1 binary=$2 output=$3 done=${4:-} filter=${5:-cat} port strace_pid tracee i
  port=$(free_port)
  echo "strace $binary on 127.0.0.1:$port"
  strace -f -o "$work/$name.strace" -e trace="$syscalls" \
    "$work/$binary" -addr "127.0.0.1:$port" >"$work/$name.out" 2>&1 &
  strace_pid=$!
  running+=("$strace_pid")
  wait_for "$work/$name.out" '^Serving'
  # The traced program is the process that made the first call in the
  # trace. strace ignores SIGINT while it runs a program, and a program
  # that strace leaves behind goes on running: signal the program itself.
  tracee=$(head -1 "$work/$name.strace" | cut -d' ' -f1)
  running+=("$tracee")
  # A server may say where it listens before its first accept: curl
  # connects once that accept has begun, so that the trace shows what
  # accept does when no client is waiting.
  wait_for "$work/$name.strace" '^[0-9]* *accept'
  # step1-socket and listen-with-net hang up without reading the request:
  # curl reports a reset or an empty reply, which is what they do. Step 9
  # answers with Connection: close, and curl closes its side once it has
  # read the response.
  curl -sS --max-time 5 -o /dev/null "http://127.0.0.1:$port/" 2>>"$work/curl.err" || true
  [ -z "$done" ] || wait_for "$work/$name.out" "$done"
  for i in $(seq 10); do
    kill -0 "$strace_pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$strace_pid" 2>/dev/null; then
    kill -INT "$tracee" # still waiting in accept: the signal of Ctrl-C
  fi
  wait "$strace_pid" || echo "capture.sh: $binary exited with status $?" >&2
  running=()
  merge_threads <"$work/$name.strace" | keep_socket_calls | normalise "$port" | "$filter" >"$output"
  echo "wrote $output ($(wc -l <"$output") lines)"
}

trace step1 step1-socket "$evidence/strace-step1.txt"
trace net listen-with-net "$evidence/strace-net-listen.txt"
trace step9 step9-goroutines "$evidence/strace-step9.txt" '^Answered' keep_listener_calls

# payload_as_text turns the hex dump that tcpdump -x prints under each
# packet into the TCP payload, written as text: the IP and TCP headers
# are skipped (their lengths are in the headers), CR and LF are shown as
# \r and \n, and a new line starts after each \n. Packets without payload
# print only their summary line.
payload_as_text() {
  awk '
    BEGIN { for (i = 32; i < 127; i++) chr[i] = sprintf("%c", i) }
    function byte(i) { return (index("0123456789abcdef", substr(b[i], 1, 1)) - 1) * 16 + index("0123456789abcdef", substr(b[i], 2, 1)) - 1 }
    function flush(   ihl, total, start, i, c, line) {
      if (nb == 0) return
      ihl = (byte(0) % 16) * 4
      total = byte(2) * 256 + byte(3)
      start = ihl + int(byte(ihl + 12) / 16) * 4
      line = ""
      for (i = start; i < total; i++) {
        c = byte(i)
        if (c == 13) line = line "\\r"
        else if (c == 10) { print "    " line "\\n"; line = "" }
        else if (c == 92) line = line "\\\\"
        else if (c >= 32 && c < 127) line = line chr[c]
        else line = line sprintf("\\x%02x", c)
      }
      if (line != "") print "    " line
      nb = 0
    }
    /^\t0x[0-9a-f]+:/ { for (i = 2; i <= NF; i++) { b[nb++] = substr($i, 1, 2); if (length($i) == 4) b[nb++] = substr($i, 3, 2) }; next }
    { flush(); print }
    END { flush() }
  '
}

# relative_seq writes the initial sequence numbers, which TCP picks at
# random, as tcpdump writes every later one: relative to them, so the SYN
# is seq 0 and the SYN-ACK acknowledges 1.
relative_seq() {
  sed -E \
    -e '/Flags \[S\],/s/seq [0-9]+/seq 0/' \
    -e '/Flags \[S\.\],/s/seq [0-9]+, ack [0-9]+/seq 0, ack 1/'
}

port=$(free_port)
echo "tcpdump one request to step3-response on 127.0.0.1:$port"
"$work/step3-response" -addr "127.0.0.1:$port" >"$work/step3.out" 2>&1 &
step3_pid=$!
running+=("$step3_pid")
wait_for "$work/step3.out" '^Serving'
tcpdump -i lo -nn -U --immediate-mode -w "$work/step3.pcap" "tcp port $port" 2>"$work/tcpdump.err" &
tcpdump_pid=$!
running+=("$tcpdump_pid")
wait_for "$work/tcpdump.err" 'listening on'
curl -sS --max-time 5 -o /dev/null "http://127.0.0.1:$port/"
sleep 0.5 # the last ACK
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" || true
kill -INT "$step3_pid"
wait "$step3_pid" || true
running=()
tcpdump -r "$work/step3.pcap" -nn -t -x 2>/dev/null | payload_as_text | relative_seq | normalise "$port" >"$evidence/tcpdump-step3.txt"
echo "wrote $evidence/tcpdump-step3.txt ($(grep -c '^IP ' "$evidence/tcpdump-step3.txt") packets)"
