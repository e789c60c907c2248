package tests

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The event-loop step, step11-event-loop, as a process: what its
// chapter claims, each in a bounded test. (The golden, hostile-client,
// checker and curl tests run against it too, from the steps list.)

// TestEventLoopHoldsUpAgainstHostileClients runs the hostile clients of
// steps 5 and 10 against the event loop, on one loop: a normal GET still
// gets its 200 within a second while each does its worst, since no
// client can make the loop wait; and each hostile client gets the
// status that steps 5 and 10 give it. (holdsUp's normal GET reads until
// the server closes; a keep-alive step is asked to, with Connection:
// close.)
func TestEventLoopHoldsUpAgainstHostileClients(t *testing.T) {
	t.Parallel()
	srv := startStep(t, "step11-event-loop", "-read-timeout", "300ms", "-loops", "1", "-quiet")
	normal := []byte("GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
	for _, hc := range append(append(hostileClients[:0:0], hostileClients...), hostileUploaders...) {
		t.Run("a normal GET gets 200 from one loop while a client "+hc.name, func(t *testing.T) {
			hostile := dial(t, srv.addr)
			stop := make(chan struct{})
			answered := make(chan string, 1)
			go func() {
				hc.act(hostile, stop)
				if hc.wantStatus == "" {
					hostile.Close()
					answered <- ""
					return
				}
				hostile.SetReadDeadline(time.Now().Add(5 * time.Second))
				reply, _ := io.ReadAll(hostile)
				hostile.Close()
				line, _, _ := strings.Cut(string(reply), "\r\n")
				answered <- line
			}()
			conn := dial(t, srv.addr)
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(time.Second))
			conn.Write(normal)
			reply, err := io.ReadAll(conn)
			close(stop)
			if err != nil || !bytes.HasPrefix(reply, []byte("HTTP/1.1 200 OK\r\n")) {
				t.Errorf("the normal GET got %q (%v) within a second, want 200 OK", reply, err)
			}
			got := <-answered
			if got == "" && strings.Contains(hc.name, "every 100 ms") {
				// The normal GET was answered, and stopped this client,
				// before its first byte: a silent client, closed.
				got = hc.wantStatus
			}
			if !hc.answers(got) {
				t.Errorf("the hostile client got the status line %q, want %q", got, hc.wantStatus)
			}
		})
	}
	srv.stop()
}

// TestEventLoopRunsTheAppsAsStep10Does sends every gateway case to step 10
// and to the event loop, with each application, and compares what the
// application said: the status line, the header fields and the body,
// decoded. The gateway and the applications are the same code, run
// inline on the loop; how the body is framed (chunk sizes follow each
// gateway's buffer), whether the connection stays open after a panic,
// and the Server field are each server's own, and are not compared.
func TestEventLoopRunsTheAppsAsStep10Does(t *testing.T) {
	t.Parallel()
	for _, app := range []string{"stdlib", "chi", "gin"} {
		t.Run("with -app "+app+" the event loop answers every gateway case as step 10 does", func(t *testing.T) {
			t.Parallel()
			step10 := startStep(t, "step10-keep-alive", "-app", app, "-quiet")
			loop := startStep(t, "step11-event-loop", "-app", app, "-quiet")
			for _, gc := range gatewayCases {
				request := readFixture(t, gc.request)
				want := appAnswer(t, step10.exchange(0, request), request)
				got := appAnswer(t, loop.exchange(0, request), request)
				if got != want {
					t.Errorf("%s: the event loop sent\n%s\nstep 10 sent\n%s", gc.name, got, want)
				}
			}
			step10.stop()
			loop.stop()
		})
	}
}

// framingFields are the header fields that say how a message is framed
// or whether its connection stays open, and the one that names the
// server: appAnswer leaves them out.
var framingFields = []string{"Connection", "Content-Length", "Server", "Transfer-Encoding"}

// appAnswer parses the first response in raw, the answer to request, and
// writes out what the application said: the status line, the other
// header fields in order, and the decoded body, with the date made
// constant.
func appAnswer(t *testing.T, raw, request []byte) string {
	t.Helper()
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(request)))
	if err != nil {
		t.Fatalf("the fixture is not a request: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), req)
	if err != nil {
		return "unparsable: " + strings.ToValidUTF8(string(raw), "?")
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "body cut short: " + err.Error()
	}
	for _, name := range framingFields {
		resp.Header.Del(name)
	}
	resp.Header.Set("Date", "Www, DD Mmm YYYY hh:mm:ss GMT")
	var b strings.Builder
	b.WriteString(resp.Proto + " " + resp.Status + "\n")
	resp.Header.Write(&b)
	b.WriteString("\n")
	b.Write(body)
	return b.String()
}

// TestEventLoopEdgeTriggeredAnswersAlike runs the golden cases against
// the event loop with -edge: edge-triggered epoll must change nothing a
// client sees.
func TestEventLoopEdgeTriggeredAnswersAlike(t *testing.T) {
	t.Parallel()
	srv := startStep(t, "step11-event-loop", "-edge", "-quiet")
	for _, gc := range goldenCases {
		if gc.request == "" {
			continue
		}
		t.Run("with -edge the "+gc.name+" request gets its golden response", func(t *testing.T) {
			want, err := readGolden("step11-event-loop", gc.name+".response")
			if err != nil {
				t.Fatal(err)
			}
			got := normalize(srv.exchange(piecePause, split(readFixture(t, gc.request), gc.pieces)...))
			if !bytes.Equal(got, want) {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
		})
	}
	srv.stop()
}

// TestEventLoopThreadsDoNotGrowWithConnections holds 100, then 1000 idle
// connections open to the event loop with two loops, and reads its
// threads from /proc: the loops, plus the few of Go's runtime, whatever
// the number of connections.
func TestEventLoopThreadsDoNotGrowWithConnections(t *testing.T) {
	skipUnlessProc(t)
	t.Parallel()
	const loops = 2
	srv := startStep(t, "step11-event-loop", "-loops", "2", "-quiet", "-idle-timeout", "30s", "-read-timeout", "30s")
	pid := srv.cmd.Process.Pid
	fdsBefore := countFDs(t, pid)
	var threads []int
	for _, n := range []int{100, 1000} {
		openIdleConnections(t, srv.addr, n-len(threads)*100)
		want := fdsBefore + n
		if got := fdsWhen(t, pid, func(fds int) bool { return fds >= want }); got < want {
			t.Fatalf("the server holds %d descriptors, want %d: it has not accepted every connection", got, want)
		}
		threads = append(threads, threadsOf(t, pid))
	}
	for i, n := range threads {
		if n > loops+8 {
			t.Errorf("with %d idle connections the server has %d threads, want at most %d (the loops and a few)", []int{100, 1000}[i], n, loops+8)
		}
	}
	if threads[1] > threads[0]+2 {
		t.Errorf("the threads grew from %d to %d with the connections: a loop must not need a thread per connection", threads[0], threads[1])
	}
	srv.stop()
}

// TestEventLoopSlowHandlerFreezesItsLoop runs one loop with -delay 300ms
// and sends two requests on two connections at once: the second is
// answered only after the first's handler has slept, and its own, so no
// sooner than 600 ms after both were sent. (The bound is a lower one: a
// slow machine only makes it later.) That is the price of running the
// application on the loop.
func TestEventLoopSlowHandlerFreezesItsLoop(t *testing.T) {
	t.Parallel()
	const delay = 300 * time.Millisecond
	srv := startStep(t, "step11-event-loop", "-loops", "1", "-delay", delay.String(), "-quiet")
	first, second := dial(t, srv.addr), dial(t, srv.addr)
	defer first.Close()
	defer second.Close()
	request := "GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n"
	start := time.Now()
	io.WriteString(first, request)
	io.WriteString(second, request)
	var last time.Duration
	for _, conn := range []net.Conn{first, second} {
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		last = max(last, time.Since(start))
	}
	if last < 2*delay-20*time.Millisecond {
		t.Errorf("both answers came within %s, want at least %s: two handlers of one loop slept at once", last, 2*delay)
	}
	srv.stop()
}

// TestEventLoopFinishesTheRequestInFlightOnSIGTERM sends SIGTERM while
// a client is in the middle of sending a request, and another
// connection waits idle: the idle one is closed, new connections are
// refused, the request in flight is answered with Connection: close, and
// the server exits with status 0.
func TestEventLoopFinishesTheRequestInFlightOnSIGTERM(t *testing.T) {
	t.Parallel()
	srv := startStep(t, "step11-event-loop")
	idle := dial(t, srv.addr)
	defer idle.Close()
	idle.SetDeadline(time.Now().Add(10 * time.Second))
	idleReader := bufio.NewReader(idle)
	io.WriteString(idle, "GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n")
	if resp, err := http.ReadResponse(idleReader, nil); err != nil {
		t.Fatalf("the first response: %v", err)
	} else {
		io.Copy(io.Discard, resp.Body)
	}

	busy := dial(t, srv.addr)
	defer busy.Close()
	busy.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(busy, "POST /hello HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\nhello")
	srv.waitForConsole("Accepted connection", 2)
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	srv.waitForConsole("Shutting down: no new connections; waiting for", 1)

	if _, err := idleReader.ReadByte(); err != io.EOF {
		t.Errorf("the idle connection read %v, want the end of the stream", err)
	}
	if conn, err := net.DialTimeout("tcp", srv.addr, time.Second); err == nil {
		conn.Close()
		t.Errorf("a new connection was accepted after SIGTERM")
	}
	io.WriteString(busy, "world")
	resp, err := http.ReadResponse(bufio.NewReader(busy), nil)
	if err != nil {
		t.Fatalf("the request in flight got no response: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(body), "Received a body of 10 bytes.") || !resp.Close {
		t.Errorf("the request in flight got %d %q, Close %v; want 200, its body's length, and Connection: close", resp.StatusCode, body, resp.Close)
	}
	console := string(srv.waitForExit("SIGTERM"))
	if !strings.HasSuffix(console, "Shutting down.\n") {
		t.Errorf("the server's last line is not \"Shutting down.\":\n%s", console)
	}
}

// TestEventLoopLeaksNoDescriptors runs the load client against the event
// loop twice: afterwards, it holds as many descriptors as before.
func TestEventLoopLeaksNoDescriptors(t *testing.T) {
	skipUnlessProc(t)
	t.Parallel()
	srv := startStep(t, "step11-event-loop", "-quiet")
	pid := srv.cmd.Process.Pid
	fdsBefore := countFDs(t, pid)
	for round := 1; round <= 2; round++ {
		rep := runLoadClient(t, srv.addr, "-clients", "100", "-timeout", "10s")
		if rep.Succeeded != 100 {
			t.Errorf("round %d: succeeded %d of 100, errors %v", round, rep.Succeeded, rep.Errors)
		}
		if fdsAfter := fdsWhen(t, pid, func(n int) bool { return n == fdsBefore }); fdsAfter != fdsBefore {
			t.Errorf("round %d: the server holds %d descriptors after the load, %d before: it leaks", round, fdsAfter, fdsBefore)
		}
	}
	srv.stop()
}

// TestEventLoopSays408ToASlowClient keeps a head unfinished past the
// read timeout: the loop's timer heap times it out with 408, and the
// client reads the answer whole before the connection ends.
func TestEventLoopSays408ToASlowClient(t *testing.T) {
	t.Parallel()
	srv := startStep(t, "step11-event-loop", "-read-timeout", "200ms", "-quiet")
	reply := exchange(t, srv.addr, 0, []byte("GET /hello HTTP/1.1\r\nHost: localhost\r\n"))
	if !bytes.HasPrefix(reply, []byte("HTTP/1.1 408 Request Timeout\r\n")) || !bytes.HasSuffix(reply, []byte("did not arrive within 200ms\n")) {
		t.Errorf("got %q, want a whole 408", reply)
	}
	srv.stop()
}

// TestEventLoopAnswersWhileItsStdoutIsStalled runs the event loop with
// its stdout a pipe that the test stops reading after the first line, as
// a terminal scrolled back or a `| less` that no one pages: the kernel's
// pipe buffer fills after some thousand request lines. The loop goes on
// answering (its console drops lines, and counts them), where a loop
// that wrote its log itself would wait in write with every client.
func TestEventLoopAnswersWhileItsStdoutIsStalled(t *testing.T) {
	t.Parallel()
	reader, writer, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	cmd := exec.Command(filepath.Join(binDir, "step11-event-loop"), "-addr", "127.0.0.1:0", "-loops", "1")
	cmd.Stdout, cmd.Stderr = writer, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	writer.Close()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	console := bufio.NewReader(reader)
	first, err := console.ReadString('\n')
	addr, found := strings.CutPrefix(first, "Serving HTTP on ")
	addr, _, _ = strings.Cut(addr, " ")
	if err != nil || !found {
		t.Fatalf("the first line is %q (%v), want Serving HTTP on ...", first, err)
	}

	conn := dial(t, addr)
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	const batches, perBatch = 50, 100 // 5000 request lines, some 250 KB
	batch := strings.Repeat("GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n", perBatch)
	responses := bufio.NewReader(conn)
	for b := range batches {
		if _, err := io.WriteString(conn, batch); err != nil {
			t.Fatal(err)
		}
		for i := range perBatch {
			resp, err := http.ReadResponse(responses, nil)
			if err != nil {
				t.Fatalf("request %d of %d got no answer while stdout was stalled: %v", b*perBatch+i+1, batches*perBatch, err)
			}
			io.Copy(io.Discard, resp.Body)
		}
	}
}
