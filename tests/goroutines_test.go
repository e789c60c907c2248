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

// TestLoadClientSeesTheGoroutineStepsServeManyAtOnce runs the load
// client against step8-threads and step9-goroutines, which hold each
// connection open for 200 ms after its response: like step 7, and
// unlike step 6, they serve many clients at once, each in a goroutine.
func TestLoadClientSeesTheGoroutineStepsServeManyAtOnce(t *testing.T) {
	t.Parallel()
	for _, step := range []string{"step8-threads", "step9-goroutines"} {
		t.Run(step+" serves 50 clients at once", func(t *testing.T) {
			t.Parallel()
			srv := startStep(t, step, "-delay", "200ms")
			rep := runLoadClient(t, srv.addr, "-clients", "50", "-path", "/hello", "-timeout", "10s")
			srv.stop()
			if rep.Succeeded != 50 {
				t.Errorf("succeeded %d of 50, errors %v", rep.Succeeded, rep.Errors)
			}
			if rep.MaxInFlight < 2 {
				t.Errorf("the client saw at most %d response served at once, want more than 1: %s serves each connection in its own goroutine", rep.MaxInFlight, step)
			}
		})
	}
}

// TestGoroutineStepsLeakNoDescriptors runs step8-threads,
// step9-goroutines and step10-keep-alive under load, twice, and reads /proc: once the load is
// over and the connections closed, the server holds as many descriptors
// as before.
func TestGoroutineStepsLeakNoDescriptors(t *testing.T) {
	skipUnlessProc(t)
	t.Parallel()
	for _, step := range []string{"step8-threads", "step9-goroutines", "step10-keep-alive"} {
		t.Run(step+" holds as many descriptors after two loads as before", func(t *testing.T) {
			t.Parallel()
			srv := startStep(t, step, "-max-conns", "200")
			pid := srv.cmd.Process.Pid
			fdsBefore := countFDs(t, pid)

			for round := 1; round <= 2; round++ {
				rep := runLoadClient(t, srv.addr, "-clients", "100", "-timeout", "10s")
				if rep.Succeeded != 100 {
					t.Errorf("round %d: succeeded %d of 100, errors %v", round, rep.Succeeded, rep.Errors)
				}
				// The client has read every response to its end: the server
				// has closed every connection. Give it a moment to let go of
				// them.
				if fdsAfter := fdsWhen(t, pid, func(n int) bool { return n == fdsBefore }); fdsAfter != fdsBefore {
					t.Errorf("round %d: the server holds %d descriptors after the load, %d before: it leaks", round, fdsAfter, fdsBefore)
				}
			}
			srv.stop()
		})
	}
}

// TestSteps8And9FinishTheRequestInFlightOnSIGTERM sends SIGTERM to
// steps 8 and 9 while a client is in the middle of sending a request:
// new connections are refused, the request in flight is answered, and
// the server exits with status 0.
func TestSteps8And9FinishTheRequestInFlightOnSIGTERM(t *testing.T) {
	t.Parallel()
	for _, step := range []string{"step8-threads", "step9-goroutines"} {
		t.Run(step+" answers the request in flight, refuses new clients and exits with 0", func(t *testing.T) {
			t.Parallel()
			srv := startStep(t, step)

			// The head, and half of a body: the request is in flight.
			busy := dial(t, srv.addr)
			defer busy.Close()
			busy.SetDeadline(time.Now().Add(10 * time.Second))
			io.WriteString(busy, "POST /hello HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\nhello")
			srv.waitForConsole("Accepted connection", 1)

			if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			srv.waitForConsole("Shutting down.", 1)
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
			busy.Close()

			console := string(srv.waitForExit("SIGTERM"))
			if strings.Contains(console, "did not finish") {
				t.Errorf("the server closed connections that had not finished:\n%s", console)
			}
		})
	}
}

// TestStep10FinishesTheRequestInFlightOnSIGTERM sends SIGTERM to step 10
// while a client is in the middle of sending a request, and while
// another connection waits idle after its response: the idle one is
// closed at once, the new connections are refused, the request in
// flight is answered (with Connection: close), and the server exits
// with status 0.
func TestStep10FinishesTheRequestInFlightOnSIGTERM(t *testing.T) {
	t.Parallel()
	srv := startStep(t, "step10-keep-alive")

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
	srv.waitForConsole("Shutting down.", 1)

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
	if strings.Contains(console, "did not finish") {
		t.Errorf("the server closed connections that had not finished:\n%s", console)
	}
}

// TestCurlReusesStep10sConnection runs curl with two URLs: it sends both
// requests on one connection, since step 10 keeps it open.
func TestCurlReusesStep10sConnection(t *testing.T) {
	t.Parallel()
	curl := findCurl(t)
	srv := startStep(t, "step10-keep-alive")
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
	if !strings.Contains(console, "after 2 request") {
		t.Errorf("the server does not say it answered 2 requests on the connection:\n%s", console)
	}
}
