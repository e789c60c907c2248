#!/usr/bin/env bash
# strace-event-loop.sh records strace-step11.txt: step11-event-loop with
# one loop, under strace, while three clients connect at once, each sends
# one request, reads its answer and closes. The transcript shows the
# loop's thread accept4 three clients in a row until EAGAIN, register
# each with epoll_ctl, and an epoll_wait that returns two ready
# descriptors at once, each then read and answered; the console's lines
# are written by another thread. Loopback only.
#
#   bash docs/evidence/strace-event-loop.sh > docs/evidence/strace-step11.txt
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/step11" ./step11-event-loop
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$work/step11" -addr 127.0.0.1:$port -loops 1 >"$work/console" 2>&1 &
server=$!
sleep 0.3
strace -f -tt -e trace=epoll_wait,epoll_pwait,epoll_ctl,accept4,read,write,shutdown,close -p $server -o "$work/trace" 2>/dev/null &
tracer=$!
sleep 0.5
python3 - "$port" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
time.sleep(0.2)
for i, c in enumerate(conns):
    c.sendall(b"GET /hello/%d HTTP/1.1\r\nHost: x\r\n\r\n" % i)
time.sleep(0.3)
for c in conns:
    c.recv(4096)
for c in conns:
    c.close()
time.sleep(0.2)
PY
kill $tracer; wait $tracer 2>/dev/null || true
kill -INT $server; wait $server || true
echo "# step11-event-loop -loops 1 under strace -f -tt (docs/evidence/strace-event-loop.sh): three clients, one request each"
cat "$work/trace"
