package tests

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestLoadClientSeesStep7ServeManyAtOnce runs the load client against
// step7-goroutines, which holds each connection open for 200 ms after
// its response: like step 6, and unlike step 5, it serves many clients
// at once, each in a goroutine.
func TestLoadClientSeesStep7ServeManyAtOnce(t *testing.T) {
	t.Parallel()
	srv := startStep(t, "step7-goroutines", "-delay", "200ms")
	rep := runLoadClient(t, srv.addr, "-clients", "50", "-path", "/hello", "-timeout", "10s")
	srv.stop()
	if rep.Succeeded != 50 {
		t.Errorf("succeeded %d of 50, errors %v", rep.Succeeded, rep.Errors)
	}
	if rep.MaxInFlight < 2 {
		t.Errorf("the client saw at most %d response served at once, want more than 1: step 7 serves each connection in its own goroutine", rep.MaxInFlight)
	}
}

// TestStep7LeaksNoDescriptors runs step7-goroutines under load, twice,
// and reads /proc: once the load is over and the connections closed,
// the server holds as many descriptors as before, and no more threads
// than after the first load.
func TestStep7LeaksNoDescriptors(t *testing.T) {
	skipUnlessProc(t)
	t.Parallel()
	srv := startStep(t, "step7-goroutines")
	pid := srv.cmd.Process.Pid
	fdsBefore := countFDs(t, pid)

	for round := 1; round <= 2; round++ {
		rep := runLoadClient(t, srv.addr, "-clients", "100", "-timeout", "10s")
		if rep.Succeeded != 100 {
			t.Errorf("round %d: succeeded %d of 100, errors %v", round, rep.Succeeded, rep.Errors)
		}
		// The client has read every response to its end: the server has
		// closed every connection. Give it a moment to let go of them.
		deadline := time.Now().Add(5 * time.Second)
		for countFDs(t, pid) != fdsBefore && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if fdsAfter := countFDs(t, pid); fdsAfter != fdsBefore {
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
	srv := startStep(t, "step7-goroutines")

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
	waitForConsole(t, srv, "Accepted connection", 2)

	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// (The count of requests in flight that the line gives is left out:
	// the busy connection's request may have arrived but not been read
	// yet, which the server counts as waiting, and answers all the same.)
	waitForConsole(t, srv, "Shutting down: no new connections; waiting for", 1)

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

	exited := make(chan error, 1)
	go func() { exited <- srv.cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("after SIGTERM the server exited with %v, want status 0", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not exit within 10 s of finishing its last request")
	}
	<-srv.done
	if console := srv.consoleText(); !strings.HasSuffix(console, "Shutting down.\n") {
		t.Errorf("the server's last line is not \"Shutting down.\":\n%s", console)
	}
}

// TestCurlReusesStep7sConnection runs curl with two URLs: it sends both
// requests on one connection, since step 7 keeps it open.
func TestCurlReusesStep7sConnection(t *testing.T) {
	t.Parallel()
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl is not installed (Debian: apt-get install curl); .ci/run installs it")
	}
	srv := startStep(t, "step7-goroutines")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, curl, "-sS", "-v", "http://"+srv.addr+"/hello/one", "http://"+srv.addr+"/hello/two")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("curl: %v\n%s", err, stderr.String())
	}
	console := string(srv.stop())

	if m := curlComplaint.FindString(stderr.String()); m != "" {
		t.Errorf("curl complained (%q):\n%s", m, stderr.String())
	}
	if !strings.Contains(stdout.String(), "Hello, one!") || !strings.Contains(stdout.String(), "Hello, two!") {
		t.Errorf("curl printed %q, want both greetings", stdout.String())
	}
	// curl 7 says "Re-using existing connection #0", curl 8 "Re-using
	// existing http: connection".
	if !strings.Contains(stderr.String(), "Re-using existing") {
		t.Errorf("curl did not reuse the connection:\n%s", stderr.String())
	}
	if n := strings.Count(console, "Accepted connection"); n != 1 {
		t.Errorf("the server accepted %d connections, want 1:\n%s", n, console)
	}
	if !strings.Contains(console, "after 2 requests") {
		t.Errorf("the server does not say it answered 2 requests on the connection:\n%s", console)
	}
}

// waitForConsole waits until the server has printed a line containing
// text at least n times.
func waitForConsole(t *testing.T, srv *server, text string, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(srv.consoleText(), text) < n {
		if time.Now().After(deadline) {
			t.Fatalf("the server did not print %q %d times within 5 s:\n%s", text, n, srv.consoleText())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// consoleText is what the server has printed so far.
func (s *server) consoleText() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.console.String()
}
