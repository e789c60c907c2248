#!/usr/bin/env bash
# tasks.sh shows what each thread of step8-threads is doing while three
# clients hold idle connections to it: for every thread (task) of the
# server, the system call it is in (/proc/PID/task/TID/syscall: its
# number and its first argument, here a descriptor) and where in the
# kernel it sleeps (/proc/PID/task/TID/wchan). It writes
# docs/evidence/tasks-step8.txt, on the loopback interface only.
#
# Run it from the repository's root, on Linux (x86-64: the system call
# numbers below are that architecture's):
#
#   bash docs/evidence/tasks.sh
#
# Thread ids and the order of the threads change from run to run, so the
# file lists the threads sorted, without their ids; futex addresses are
# dropped too.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ "$(uname -m)" != x86_64 ] || [ ! -d /proc/self/task ]; then
  echo "tasks.sh: needs Linux on x86-64 (its /proc and its system call numbers)" >&2
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

go build -o "$work/" ./step8-threads ./client

"$work/step8-threads" -addr 127.0.0.1:0 -read-timeout 1m >"$work/server.log" 2>&1 &
server=$!
pids+=("$server")
addr=""
for i in $(seq 100); do
  addr=$(sed -n 's/^Serving HTTP on \([^ ]*\) .*/\1/p' "$work/server.log")
  if [ -n "$addr" ]; then break; fi
  sleep 0.05
done
if [ -z "$addr" ]; then
  echo "tasks.sh: step8-threads did not start:" >&2
  cat "$work/server.log" >&2
  exit 1
fi

"$work/client" -addr "$addr" -clients 3 -idle -hold 30s >/dev/null 2>&1 &
pids+=("$!")
# Wait until the three connections are accepted, and their threads
# asleep in read (a blocked goroutine's thread is taken over a little
# after the goroutine blocks).
for i in $(seq 100); do
  if [ "$(grep -l '^0 ' /proc/"$server"/task/*/syscall 2>/dev/null | wc -l)" -ge 3 ]; then break; fi
  sleep 0.1
done
sleep 0.5

# name NUMBER prints the name of an x86-64 system call.
name() {
  case $1 in
    0) echo read ;;
    202) echo futex ;;
    232) echo epoll_wait ;;
    281) echo epoll_pwait ;;
    288) echo accept4 ;;
    running) echo "(running)" ;;
    *) echo "syscall $1" ;;
  esac
}

out=docs/evidence/tasks-step8.txt
{
  echo "step8-threads, three idle connections: $(grep Threads /proc/"$server"/status | tr -s '\t ' ' ')"
  echo "descriptors: $(for fd in /proc/"$server"/fd/*; do
    printf '%s=%s ' "$(basename "$fd")" "$(readlink "$fd" | sed 's/:\[[0-9]*\]//')"
  done | tr ' ' '\n' | sort -n | grep socket | tr '\n' ' ' | sed 's/ $//')"
  echo
  echo "system call      first argument  sleeps in"
  for task in /proc/"$server"/task/*; do
    read -r nr arg _ <"$task/syscall" || nr=running
    what=$(name "$nr")
    case $what in
      read | accept4 | epoll_wait | epoll_pwait) arg="fd $((arg))" ;;
      *) arg="" ;;
    esac
    printf '%-16s %-15s %s\n' "$what" "$arg" "$(cat "$task/wchan")"
  done | sort
} >"$out"
cat "$out"
