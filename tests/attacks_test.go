//go:build linux

package tests

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The attacks of issue 12, one test each, on every step they apply to:
// each bounded in time (a few seconds at most, however the step fails)
// and in count (connections, bytes).

// attackDeadline bounds each exchange of these tests: a server that
// defends itself answers long before it.
const attackDeadline = 3 * time.Second

// TestAStalledReaderOfAnErrorKeepsNoOneWaiting is issue 12, item 1: a
// client sends a 60 KB field line of control bytes and never reads. The
// answer must be short (its reason quotes 100 bytes of the line at most),
// so that it fits in the socket's buffers and the server can go on; a
// client after it is answered, and the stalled client's answer, read
// later, has a body under 1 KiB.
func TestAStalledReaderOfAnErrorKeepsNoOneWaiting(t *testing.T) {
	t.Parallel()
	bad := []byte("GET /hello HTTP/1.1\r\nHost: x\r\nX-Bad: " + strings.Repeat("\x01", 60<<10) + "\r\n\r\n")
	for _, step := range framingSteps {
		t.Run(step+" answers the next client while one does not read its 400", func(t *testing.T) {
			t.Parallel()
			var flags []string
			if step == "step10-keep-alive" {
				// A write that waits on the stalled client ends within 1 s.
				flags = []string{"-write-timeout", "1s"}
			}
			srv := startStep(t, step, flags...)
			stalled := dialSmallWindow(t, srv.addr)
			defer stalled.Close()
			stalled.SetDeadline(time.Now().Add(2 * attackDeadline))
			if _, err := stalled.Write(bad); err != nil {
				t.Fatalf("send the bad request: %v", err)
			}

			next := dial(t, srv.addr)
			defer next.Close()
			next.SetDeadline(time.Now().Add(attackDeadline))
			io.WriteString(next, "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
			reply, err := io.ReadAll(next)
			if !bytes.HasPrefix(reply, []byte("HTTP/1.1 200 OK\r\n")) {
				t.Errorf("the next client got %q (%v) within %s, want 200 OK: the server is stuck writing to the client that does not read", cut(reply), err, attackDeadline)
			}

			resp, err := http.ReadResponse(bufio.NewReader(stalled), nil)
			if err != nil {
				t.Fatalf("the stalled client, reading at last, got no response: %v", err)
			}
			body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			if resp.StatusCode != http.StatusBadRequest || len(body) >= 1<<10 {
				t.Errorf("the stalled client got %d with a body of %d bytes (%v), want 400 with a body under 1 KiB", resp.StatusCode, len(body), err)
			}
		})
	}
}

// dialSmallWindow connects to addr with a receive buffer of 4 KiB, the
// window that a client which does not read offers: a response longer
// than it and the server's send buffer cannot leave the server until
// the client reads.
func dialSmallWindow(t *testing.T, addr string) *net.TCPConn {
	t.Helper()
	dialer := net.Dialer{Timeout: 5 * time.Second, Control: func(network, address string, c syscall.RawConn) error {
		var err error
		c.Control(func(fd uintptr) {
			err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4<<10)
		})
		return err
	}}
	conn, err := dialer.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("connect to %s: %v", addr, err)
	}
	return conn.(*net.TCPConn)
}

// TestChunkExtensionsCostTheClient is issue 12, item 3: a client streams
// chunk extensions, 4 KB of framing for each byte of body, up to 4 MiB.
// The server counts framing against the body and stops it, 400 and
// close, having read less than 1 MiB of it. What the server read is
// measured on the server's side, from the rchar of /proc/PID/io (the
// client's count would measure the kernel's socket buffers too); a
// step-7 child's reads are added to its parent's count once it is reaped.
func TestChunkExtensionsCostTheClient(t *testing.T) {
	t.Parallel()
	chunk := []byte("1;ext=" + strings.Repeat("x", 4000) + "\r\nx\r\n")
	for _, step := range []string{"step10-keep-alive"} { // steps 5 to 9 read no chunks
		t.Run(step+" stops a client that streams chunk extensions before 1 MiB", func(t *testing.T) {
			t.Parallel()
			skipUnlessProc(t)
			srv := startStep(t, step, "-read-timeout", "1s")
			pid := srv.cmd.Process.Pid
			readBefore := bytesRead(t, pid)
			conn := dial(t, srv.addr)
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(attackDeadline))
			io.WriteString(conn, "POST /hello HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")

			var answered atomic.Bool
			sent := make(chan int, 1)
			go func() {
				total := 0
				for total < 4<<20 && !answered.Load() {
					n, err := conn.Write(chunk)
					total += n
					if err != nil {
						break
					}
				}
				sent <- total
			}()
			reader := bufio.NewReader(conn)
			resp, err := http.ReadResponse(reader, &http.Request{Method: "POST"})
			answered.Store(true)
			total := <-sent
			if err != nil {
				t.Fatalf("after %d bytes of chunks, no answer: %v", total, err)
			}
			io.Copy(io.Discard, resp.Body)
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("the server answered %d, want 400", resp.StatusCode)
			}
			if _, err := reader.ReadByte(); !errors.Is(err, io.EOF) && !isResetOrClosed(err) {
				t.Errorf("after its 400 the server kept the connection open (%v), want it closed", err)
			}
			conn.Close()
			waitForChildren(t, pid, func(children, zombies int) bool { return children == 0 && zombies == 0 })
			if read := bytesRead(t, pid) - readBefore; read >= 1<<20 {
				t.Errorf("the server read %d bytes of the %d the client sent, want under 1 MiB", read, total)
			} else {
				t.Logf("the server read %d bytes of the %d the client sent", read, total)
			}
		})
	}
}

// TestAClientStillUploadingReadsIts413 is issue 12, item 10: a client
// announces 10 MB and sends it, as curl does, until the server stops
// taking it; then it reads. The server answers 413 before the body; it
// must then shut down its sending side and drain (SPEC C), so that the
// client reads the whole answer: a close with unread bytes sends a reset,
// which can destroy what the client has not read yet. The loss does not
// happen every time, so each step meets several such clients, one after
// the other.
func TestAClientStillUploadingReadsIts413(t *testing.T) {
	t.Parallel()
	const size, tries = 10 << 20, 30
	for _, step := range framingSteps {
		t.Run(step+" lets a client that is still uploading read its 413 whole", func(t *testing.T) {
			t.Parallel()
			srv := startStep(t, step)
			piece := bytes.Repeat([]byte("x"), 64<<10)
			for try := 1; try <= tries; try++ {
				conn := dial(t, srv.addr)
				conn.SetDeadline(time.Now().Add(attackDeadline))
				io.WriteString(conn, "POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: "+strconv.Itoa(size)+"\r\n\r\n")
				sent := 0
				var sendErr error
				for sent < size && sendErr == nil {
					var n int
					n, sendErr = conn.Write(piece)
					sent += n
				}
				resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: "POST"})
				if err != nil {
					t.Errorf("client %d of %d, which sent %d bytes of body (%v), got no response: %v", try, tries, sent, sendErr, err)
					conn.Close()
					continue
				}
				body, err := io.ReadAll(resp.Body)
				if resp.StatusCode != http.StatusRequestEntityTooLarge || err != nil {
					t.Errorf("client %d of %d, which sent %d bytes of body (%v), read %d and %d bytes of body, then %v; want 413, and its whole body",
						try, tries, sent, sendErr, resp.StatusCode, len(body), err)
				}
				conn.Close()
			}
		})
	}
}

// TestCurlGets100Continue is issue 12, item 7: curl, uploading 200 KB
// with Expect: 100-continue, waits for "HTTP/1.1 100 Continue" before it
// sends the body (a second, by default, before it gives up waiting). The
// gateway sends it when the application first reads the body (SPEC F).
func TestCurlGets100Continue(t *testing.T) {
	t.Parallel()
	curl := findCurl(t)
	file := filepath.Join(t.TempDir(), "upload")
	if err := os.WriteFile(file, bytes.Repeat([]byte("x"), 200<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, step := range []string{"step6-gateway", "step7-processes", "step8-threads", "step9-goroutines", "step10-keep-alive"} {
		t.Run(step+" answers curl's Expect: 100-continue with 100 Continue, then 200", func(t *testing.T) {
			t.Parallel()
			srv := startStep(t, step)
			stdout, stderr := runCurl(t, curl, "-sS", "-v", "-H", "Expect: 100-continue", "--data-binary", "@"+file, "http://"+srv.addr+"/hello")
			if !strings.Contains(stderr, "< HTTP/1.1 100 Continue") {
				t.Errorf("curl's trace has no \"HTTP/1.1 100 Continue\":\n%s", stderr)
			}
			if !strings.Contains(stderr, "< HTTP/1.1 200 OK") || !strings.Contains(stdout, "Received a body of 204800 bytes.") {
				t.Errorf("curl did not get 200 and the body's length, stdout %q:\n%s", stdout, stderr)
			}
		})
	}
}

// TestAnnouncedLengthsCostNoMemory is issue 12, item 2: 200 connections
// each announce a body of 1 MiB - 1 and send 1 byte of it. A server
// that reads bodies in pieces as they arrive holds a few KiB for each;
// one that allocates what Content-Length announces holds 200 MiB, as
// soon as the memory it is given has been used before (see the two
// rounds below). The server's resident memory must grow by less than
// 40 MiB.
//
// Step 10 only: steps 5 and 6 serve one connection at a time, so that
// one announced body is in memory at once; step 7's children each hold
// their own; and steps 8 and 9 read a body by Content-Length as step 10
// does, with the same code.
func TestAnnouncedLengthsCostNoMemory(t *testing.T) {
	skipUnlessProc(t)
	t.Parallel()
	const clients, bound = 200, 40 << 20
	srv := startStep(t, "step10-keep-alive", "-quiet")
	pid := srv.cmd.Process.Pid
	// One request first, so that what every connection needs is counted
	// before.
	srv.exchange(0, []byte("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
	before := vmRSS(t, pid)
	// Two rounds: memory that Go takes fresh from the kernel is zero and
	// stays out of the resident set until it is written, so a first round
	// of buffers may cost little; the second reuses the first's freed
	// memory, which must be cleared, and so is touched.
	most := before
	for round := 1; round <= 2; round++ {
		var conns []*net.TCPConn
		for range clients {
			conn := dial(t, srv.addr)
			t.Cleanup(func() { conn.Close() })
			conns = append(conns, conn)
			if _, err := io.WriteString(conn, "POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 1048575\r\n\r\nx"); err != nil {
				t.Fatalf("send: %v", err)
			}
		}
		// The server reads the heads as they come: watch its memory for a
		// while, and keep the most.
		for end := time.Now().Add(300 * time.Millisecond); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			most = max(most, vmRSS(t, pid))
		}
		if round == 1 {
			for _, conn := range conns {
				conn.Close()
			}
		}
	}
	t.Logf("VmRSS %d KiB before, %d KiB at most with %d connections that announce 1 MiB", before>>10, most>>10, clients)
	if most-before >= bound {
		t.Errorf("the server's resident memory grew by %d MiB with %d connections that each announce 1 MiB and send 1 byte, want under %d MiB", (most-before)>>20, clients, bound>>20)
	}
}

// vmRSS reads the resident memory of process pid, in bytes, from the
// VmRSS line of /proc/PID/status.
func vmRSS(t *testing.T, pid int) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		t.Fatalf("read the server's status: %v", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if value, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kib, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(value), " kB"))
			if err != nil {
				t.Fatalf("read VmRSS %q: %v", value, err)
			}
			return kib << 10
		}
	}
	t.Fatalf("no VmRSS in /proc/%d/status", pid)
	return 0
}

// TestStep7sChildHoldsItsConnectionOnce is issue 12, item 8: the child
// that serves a connection holds one socket, the connection, once: not
// the listening socket, and not a second copy of the connection that a
// descriptor without close-on-exec would leak through exec.
func TestStep7sChildHoldsItsConnectionOnce(t *testing.T) {
	skipUnlessProc(t)
	t.Parallel()
	srv := startStep(t, "step7-processes", "-delay", "1s")
	conn := dial(t, srv.addr)
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(attackDeadline))
	io.WriteString(conn, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
	// The child answers, then holds the connection for -delay.
	if _, err := http.ReadResponse(bufio.NewReader(conn), nil); err != nil {
		t.Fatalf("no response: %v", err)
	}
	children := childPIDs(srv.cmd.Process.Pid)
	if len(children) != 1 {
		t.Fatalf("the server has %d children while one serves the client, want 1", len(children))
	}
	if sockets := socketsOf(t, children[0]); len(sockets) != 1 {
		t.Errorf("the child holds %d sockets (%s), want 1: the connection, once", len(sockets), strings.Join(sockets, ", "))
	}
}

// TestStep7BoundsItsChildren is issue 12, item 9: with -max-children 2,
// three clients that each hold a child for a second never have more than
// two children at once; the third waits in the listen queue and is
// served when a child has exited.
func TestStep7BoundsItsChildren(t *testing.T) {
	skipUnlessProc(t)
	t.Parallel()
	srv := startStep(t, "step7-processes", "-max-children", "2", "-delay", "1s")
	pid := srv.cmd.Process.Pid
	answered := make(chan error, 3)
	for range 3 {
		conn := dial(t, srv.addr)
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(attackDeadline))
		io.WriteString(conn, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
		go func() {
			_, err := http.ReadResponse(bufio.NewReader(conn), nil)
			answered <- err
		}()
	}
	most := 0
	for end := time.Now().Add(800 * time.Millisecond); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		most = max(most, len(childPIDs(pid)))
	}
	if most > 2 {
		t.Errorf("the server had %d children at once with -max-children 2", most)
	}
	for i := range 3 {
		if err := <-answered; err != nil {
			t.Errorf("client %d of 3 got no answer within %s: %v", i+1, attackDeadline, err)
		}
	}
}

// TestStep7StopsItsChildrenOnSIGTERM is issue 12, item 9 too: on
// SIGTERM while children serve slow clients, the parent signals them,
// waits -shutdown-timeout for them, kills the rest, and exits; no child
// outlives it.
func TestStep7StopsItsChildrenOnSIGTERM(t *testing.T) {
	skipUnlessProc(t)
	t.Parallel()
	const shutdownTimeout = 1 * time.Second
	srv := startStep(t, "step7-processes", "-shutdown-timeout", shutdownTimeout.String())
	pid := srv.cmd.Process.Pid
	// Three slow clients: half a request each, and then nothing.
	for range 3 {
		conn := dial(t, srv.addr)
		defer conn.Close()
		io.WriteString(conn, "GET /hello HTTP/1.1\r\nHost: x\r\n")
	}
	var children []int
	for end := time.Now().Add(attackDeadline); len(children) < 3 && time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		children = childPIDs(pid)
	}
	if len(children) < 3 {
		t.Fatalf("the server has %d children for 3 slow clients, want 3", len(children))
	}

	start := time.Now()
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- srv.cmd.Wait() }()
	select {
	case err := <-exited:
		// 0 when every child ended by itself, 1 when some had to be killed.
		var exit *exec.ExitError
		if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) {
			t.Errorf("after SIGTERM the server exited with %v, want status 0 or 1", err)
		}
		t.Logf("the server exited %s after SIGTERM: %v", time.Since(start).Round(time.Millisecond), err)
	case <-time.After(shutdownTimeout + time.Second):
		t.Errorf("the server did not exit within -shutdown-timeout %s + 1 s of SIGTERM", shutdownTimeout)
	}
	for _, child := range children {
		if alive(child) {
			t.Errorf("the child %d outlived the server", child)
			syscall.Kill(child, syscall.SIGKILL)
		}
	}
}

// bytesRead is the rchar of /proc/PID/io: every byte the process (and
// its reaped children) has read, from files and sockets alike.
func bytesRead(t *testing.T, pid int) int64 {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "io"))
	if err != nil {
		t.Fatalf("read /proc/%d/io: %v", pid, err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if value, ok := strings.CutPrefix(line, "rchar: "); ok {
			n, err := strconv.ParseInt(value, 10, 64)
			if err != nil {
				t.Fatalf("read rchar %q: %v", value, err)
			}
			return n
		}
	}
	t.Fatalf("no rchar in /proc/%d/io", pid)
	return 0
}

// alive says whether process pid still runs: it exists and is not a
// zombie.
func alive(pid int) bool {
	state, _, ok := readStat(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	return ok && state != "Z"
}

// socketsOf lists the descriptors of process pid that are sockets, as
// "fd N: socket:[INODE]".
func socketsOf(t *testing.T, pid int) []string {
	t.Helper()
	dir := filepath.Join("/proc", strconv.Itoa(pid), "fd")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("list the child's descriptors: %v", err)
	}
	var sockets []string
	for _, entry := range entries {
		target, err := os.Readlink(filepath.Join(dir, entry.Name()))
		if err == nil && strings.HasPrefix(target, "socket:") {
			sockets = append(sockets, fmt.Sprintf("fd %s: %s", entry.Name(), target))
		}
	}
	return sockets
}

// cut shortens a reply for a message.
func cut(reply []byte) []byte {
	if len(reply) > 200 {
		return append(reply[:200:200], "..."...)
	}
	return reply
}

// TestStep10AnswersSlowHeadsWith408 is issue 12, item 5: the write
// deadline is armed when the response starts, not with the read
// deadline; with equal read and write timeouts, a client that sends half
// a head still receives its 408. Ten such clients at once, each must.
func TestStep10AnswersSlowHeadsWith408(t *testing.T) {
	t.Parallel()
	const clients = 10
	srv := startStep(t, "step10-keep-alive", "-read-timeout", "300ms", "-write-timeout", "300ms")
	statuses := make(chan string, clients)
	for range clients {
		conn := dial(t, srv.addr)
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(attackDeadline))
		io.WriteString(conn, "GET /hello HTTP/1.1\r\nHost: x\r\n")
		go func() {
			reply, err := io.ReadAll(conn)
			line, _, _ := strings.Cut(string(reply), "\r\n")
			if line == "" {
				line = fmt.Sprintf("nothing (%v)", err)
			}
			statuses <- line
		}()
	}
	got := 0
	for range clients {
		if line := <-statuses; line == "HTTP/1.1 408 Request Timeout" {
			got++
		} else {
			t.Logf("a slow client got %s", line)
		}
	}
	if got != clients {
		t.Errorf("%d of %d clients that sent half a head received 408, want all: the write deadline must start with the response", got, clients)
	}
}

// TestStep10EndsAConnectionWhoseWriteFailed is issue 12, item 4: a client
// sends 2000 pipelined requests for /count (9 KB each to answer) and
// reads nothing. Once a write has timed out, the connection must end: the
// server must not go on "answering" the rest into a dead writer, logging
// 200 OK for each. Some hundreds fit in the socket buffers before the
// first write blocks; all 2000 answered means the failure was ignored.
func TestStep10EndsAConnectionWhoseWriteFailed(t *testing.T) {
	t.Parallel()
	const requests = 2000
	srv := startStep(t, "step10-keep-alive", "-write-timeout", "300ms")
	conn := dialSmallWindow(t, srv.addr)
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(attackDeadline))
	pipelined := strings.Repeat("GET /count HTTP/1.1\r\nHost: x\r\n\r\n", requests)
	if _, err := io.WriteString(conn, pipelined); err != nil && !isResetOrClosed(err) {
		t.Fatalf("send: %v", err)
	}
	// The server closes the connection once its write has failed.
	client := conn.LocalAddr().String()
	closing := "Closing connection from " + client
	deadline := time.Now().Add(attackDeadline)
	for !strings.Contains(srv.consoleText(), closing) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	console := srv.consoleText()
	answered := strings.Count(console, client+": GET /count HTTP/1.1 -> 200 OK")
	if !strings.Contains(console, closing) {
		t.Errorf("%s after a client that reads nothing sent %d requests, the server still holds its connection, and has logged 200 OK for %d of them; want the connection closed at the first failed write", attackDeadline, requests, answered)
		return
	}
	t.Logf("the server answered %d of %d pipelined requests before it closed the connection", answered, requests)
	if answered >= requests {
		t.Errorf("the server logged 200 OK for all %d pipelined requests of a client that reads nothing, want it to stop at the first failed write", requests)
	}
}
