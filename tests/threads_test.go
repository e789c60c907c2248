package tests

import (
	"bufio"
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestIdleConnectionsHoldThreadsOnlyOnBlockingSockets keeps chapters 8
// and 9 honest: a goroutine blocked in a raw recv holds an operating-
// system thread, while net parks it on the runtime's poller. It opens
// the same number of idle connections, which send nothing, to step 8
// (a goroutine per connection on raw blocking system calls) and to step
// 9 (the same on net), and counts each server's threads in /proc. See
// docs/evidence/threads.sh for the measure at 100, 1000 and 10000.
func TestIdleConnectionsHoldThreadsOnlyOnBlockingSockets(t *testing.T) {
	skipUnlessProc(t)
	t.Parallel()
	const idle = 200
	tests := []struct {
		name   string
		server string
		flags  []string
		// The threads the server must have once it holds the
		// connections: at least atLeast, and fewer than below.
		atLeast, below int
	}{
		{
			name:   "step 9 parks every idle connection on the poller, and a few threads serve them all",
			server: "step9-goroutines",
			flags:  []string{"-read-timeout", "1m", "-max-conns", "300"},
			below:  30,
		},
		{
			name:    "step 8 holds a thread for each idle connection, blocked in recv",
			server:  "step8-threads",
			flags:   []string{"-read-timeout", "1m", "-max-conns", "300"},
			atLeast: idle,
			below:   idle + 50,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startStep(t, tt.server, tt.flags...)
			pid := srv.cmd.Process.Pid
			before := countFDs(t, pid)
			openIdleConnections(t, srv.addr, idle)
			want := before + idle
			if got := fdsWhen(t, pid, func(n int) bool { return n >= want }); got < want {
				t.Fatalf("the server holds %d descriptors after 5s, want %d: it has not accepted every connection", got, want)
			}

			// A goroutine that blocks in a system call gives up its thread a
			// moment later, and the runtime starts another: watch the count
			// until it has reached atLeast, and for 300 ms at least, so that
			// threads that come late are seen too.
			most := 0
			start, deadline := time.Now(), time.Now().Add(5*time.Second)
			for time.Now().Before(deadline) {
				most = max(most, threadsOf(t, pid))
				if most >= tt.atLeast && time.Since(start) >= 300*time.Millisecond {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			t.Logf("%s: %d threads with %d idle connections open", tt.server, most, idle)
			if most < tt.atLeast || most >= tt.below {
				t.Errorf("%s has %d threads with %d idle connections open, want %d to %d", tt.server, most, idle, tt.atLeast, tt.below-1)
			}
		})
	}
}

// openIdleConnections connects n times to addr and sends nothing. The
// connections are closed when the test ends.
func openIdleConnections(t *testing.T, addr string, n int) {
	t.Helper()
	for range n {
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatalf("connect to %s: %v", addr, err)
		}
		t.Cleanup(func() { conn.Close() })
	}
}

// threadsOf reads how many threads process pid has, from the Threads
// line of /proc/PID/status.
func threadsOf(t *testing.T, pid int) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		t.Fatalf("read the server's status: %v", err)
	}
	lines := bufio.NewScanner(bytes.NewReader(data))
	for lines.Scan() {
		if value, ok := bytes.CutPrefix(lines.Bytes(), []byte("Threads:")); ok {
			n, err := strconv.Atoi(string(bytes.TrimSpace(value)))
			if err != nil {
				t.Fatalf("the Threads line of /proc/%d/status: %v", pid, err)
			}
			return n
		}
	}
	t.Fatalf("no Threads line in /proc/%d/status", pid)
	return 0
}
