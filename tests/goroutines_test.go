package tests

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestLoadClientSeesStep7ServeManyAtOnce runs the load client against
// step9-keep-alive, which holds each connection open for 200 ms after
// its response: like step 6, and unlike step 5, it serves many clients
// at once, each in a goroutine.
func TestLoadClientSeesStep7ServeManyAtOnce(t *testing.T) {
	t.Parallel()
	srv := startStep(t, "step9-keep-alive", "-delay", "200ms")
	rep := runLoadClient(t, srv.addr, "-clients", "50", "-path", "/hello", "-timeout", "10s")
	srv.stop()
	if rep.Succeeded != 50 {
		t.Errorf("succeeded %d of 50, errors %v", rep.Succeeded, rep.Errors)
	}
	if rep.MaxInFlight < 2 {
		t.Errorf("the client saw at most %d response served at once, want more than 1: step 7 serves each connection in its own goroutine", rep.MaxInFlight)
	}
}

// TestStep7LeaksNoDescriptors runs step9-keep-alive under load, twice,
// and reads /proc: once the load is over and the connections closed,
// the server holds as many descriptors as before, and no more threads
// than after the first load.
func TestStep7LeaksNoDescriptors(t *testing.T) {
	skipUnlessProc(t)
	t.Parallel()
	srv := startStep(t, "step9-keep-alive")
	pid := srv.cmd.Process.Pid
	fdsBefore := countFDs(t, pid)

	for round := 1; round <= 2; round++ {
		rep := runLoadClient(t, srv.addr, "-clients", "100", "-timeout", "10s")
		if rep.Succeeded != 100 {
			t.Errorf("round %d: succeeded %d of 100, errors %v", round, rep.Succeeded, rep.Errors)
		}
		// The client has read every response to its end: the server has
		// closed every connection. Give it a moment to let go of them.
		if fdsAfter := fdsWhen(t, pid, func(n int) bool { return n == fdsBefore }); fdsAfter != fdsBefore {
			t.Errorf("round %d: the server holds %d descriptors after the load, %d before: it leaks", round, fdsAfter, fdsBefore)
		}
	}
	srv.stop()
}

// TestStep7FinishesTheRequestInFlightOnSIGTERM sends SIGTERM to step 7
// while a client is in the middle of sending a request, and while
// another connection waits idle after its response: the idle one is
// closed at once, the new connections are refused, the request in
// flight is answered (with Connection: close), and the server exits
// with status 0.
func TestStep7FinishesTheRequestInFlightOnSIGTERM(t *testing.T) {
	t.Parallel()
	srv := startStep(t, "step9-keep-alive")

	idle := dial(t, srv.addr)
	defer idle.Close()
	idle.SetDeadline(time.Now().Add(10 * time.Second))
	idleReader := bufio.NewReader(idle)
	io.WriteString(idle, "GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n")
	if resp, err := http.ReadResponse(idleReader, nil); err != nil {
		t.Fatalf("the first response: %v", err)
	} else {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}

	// The head, and half of a body: the request is in flight.
	busy := dial(t, srv.addr)
	defer busy.Close()
	busy.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(busy, "POST /hello HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\nhello")
	srv.waitForConsole("Accepted connection", 2)

	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// (The count of requests in flight that the line gives is left out:
	// the busy connection's request may have arrived but not been read
	// yet, which the server counts as waiting, and answers all the same.)
	srv.waitForConsole("Shutting down: no new connections; waiting for", 1)

	if _, err := idleReader.ReadByte(); err != io.EOF {
		t.Errorf("the idle connection read %v, want the end of the stream: the shutdown closes idle connections", err)
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

// TestCurlReusesStep7sConnection runs curl with two URLs: it sends both
// requests on one connection, since step 7 keeps it open.
func TestCurlReusesStep7sConnection(t *testing.T) {
	t.Parallel()
	curl := findCurl(t)
	srv := startStep(t, "step9-keep-alive")
	stdout, stderr := runCurl(t, curl, "-sS", "-v", "http://"+srv.addr+"/hello/one", "http://"+srv.addr+"/hello/two")
	console := string(srv.stop())

	if m := curlComplaint.FindString(stderr); m != "" {
		t.Errorf("curl complained (%q):\n%s", m, stderr)
	}
	if !strings.Contains(stdout, "Hello, one!") || !strings.Contains(stdout, "Hello, two!") {
		t.Errorf("curl printed %q, want both greetings", stdout)
	}
	// curl 7 says "Re-using existing connection #0", curl 8 "Re-using
	// existing http: connection".
	if !strings.Contains(stderr, "Re-using existing") {
		t.Errorf("curl did not reuse the connection:\n%s", stderr)
	}
	if n := strings.Count(console, "Accepted connection"); n != 1 {
		t.Errorf("the server accepted %d connections, want 1:\n%s", n, console)
	}
	if !strings.Contains(console, "after 2 requests") {
		t.Errorf("the server does not say it answered 2 requests on the connection:\n%s", console)
	}
}
