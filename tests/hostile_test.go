package tests

import (
	"bytes"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// misbehaviours are things a client may do that a server must survive.
var misbehaviours = []struct {
	name string
	act  func(t *testing.T, addr string)
}{
	{"connects and closes at once", func(t *testing.T, addr string) {
		conn := dial(t, addr)
		conn.Close()
	}},
	{"connects and resets the connection", func(t *testing.T, addr string) {
		conn := dial(t, addr)
		conn.SetLinger(0) // close sends RST instead of FIN
		conn.Close()
	}},
	{"sends half a request and closes", func(t *testing.T, addr string) {
		conn := dial(t, addr)
		conn.Write([]byte("GET /hel"))
		conn.Close()
	}},
	{"sends a request and resets before the answer", func(t *testing.T, addr string) {
		conn := dial(t, addr)
		conn.Write(readFixture(t, "firefox.http"))
		conn.SetLinger(0)
		conn.Close()
	}},
	{"sends a request and never reads the answer", func(t *testing.T, addr string) {
		conn := dial(t, addr)
		conn.Write(readFixture(t, "firefox.http"))
		conn.CloseWrite()
		time.Sleep(50 * time.Millisecond)
		conn.Close()
	}},
}

func dial(t *testing.T, addr string) *net.TCPConn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("connect to %s: %v", addr, err)
	}
	return conn.(*net.TCPConn)
}

// TestStepsSurviveMisbehavingClients checks that nothing a client does
// takes a step down: after each misbehaving client, the next client
// still gets the step's usual answer to the Firefox request, and the
// server printed its errors rather than panicking.
func TestStepsSurviveMisbehavingClients(t *testing.T) {
	t.Parallel()
	for _, step := range steps {
		t.Run(step+" goes on serving after misbehaving clients", func(t *testing.T) {
			t.Parallel()
			srv := startStep(t, step)
			want, err := readGolden(step, "firefox.response")
			if err != nil {
				t.Fatal(err)
			}
			for _, mb := range misbehaviours {
				mb.act(t, srv.addr)
				got := normalize(srv.exchange(0, readFixture(t, "firefox.http")))
				if !bytes.Equal(got, want) {
					t.Errorf("after a client that %s, the next client got %q, want %q", mb.name, got, want)
				}
			}
			console := srv.stop()
			if bytes.Contains(console, []byte("panic")) || bytes.Contains(console, []byte("goroutine ")) {
				t.Errorf("the server panicked:\n%s", console)
			}
		})
	}
}

// hostileClient is a client that tries to take a step down or to keep
// it busy forever. wantStatus is the status line the client itself
// should get, if it gets one.
type hostileClient struct {
	name       string
	wantStatus string // "" when the client is not expected to read an answer
	// orStatus is another answer that stops the client as well, "" if
	// none: an upload of 2 MB that passes the 1 MiB limit gets 413, but
	// on a loaded machine (CI's race run) its first MiB may not arrive
	// within the tests' 300 ms read deadline, and then it gets 408.
	orStatus string
	act      func(conn *net.TCPConn, stop <-chan struct{})
}

// answers reports whether got is a status line that stops the client.
func (hc hostileClient) answers(got string) bool {
	return got == hc.wantStatus || hc.orStatus != "" && got == hc.orStatus
}

// hostileClients are the clients that issue 4 names, which every step
// that parses requests must hold up against.
var hostileClients = []hostileClient{
	{"connects and closes at once", "", "", func(conn *net.TCPConn, stop <-chan struct{}) {}},
	{"connects and resets", "", "", func(conn *net.TCPConn, stop <-chan struct{}) {
		conn.SetLinger(0)
	}},
	{"sends 1 MB of garbage", "HTTP/1.1 414 Request URI Too Long", "", func(conn *net.TCPConn, stop <-chan struct{}) {
		conn.Write(bytes.Repeat([]byte("x"), 1<<20))
	}},
	{"sends a head that never ends", "HTTP/1.1 408 Request Timeout", "", func(conn *net.TCPConn, stop <-chan struct{}) {
		conn.Write([]byte("GET / HTTP/1.1\r\nHost: localhost\r\nX-Waiting: yes\r\n"))
	}},
	{"sends one byte every 100 ms", "HTTP/1.1 408 Request Timeout", "", func(conn *net.TCPConn, stop <-chan struct{}) {
		// The first byte at once: a server that serves many clients at
		// once answers the normal GET before the next, and a client that
		// has sent nothing at all gets no answer.
		request := readFixtureBytes("firefox.http")
		for i, b := range request {
			if i > 0 {
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Millisecond):
				}
			}
			if _, err := conn.Write([]byte{b}); err != nil {
				return
			}
		}
	}},
}

// hostileUploaders are the clients that step 10 meets once it reads
// chunked bodies: each tries to keep it reading, or to make it hold an
// endless body in memory.
var hostileUploaders = []hostileClient{
	{"sends a chunked body that never ends", "HTTP/1.1 408 Request Timeout", "", func(conn *net.TCPConn, stop <-chan struct{}) {
		conn.Write([]byte("POST /hello HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"))
	}},
	{"announces a chunk of 2 MB", "HTTP/1.1 413 Request Entity Too Large", "", func(conn *net.TCPConn, stop <-chan struct{}) {
		conn.Write([]byte("POST /hello HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n200000\r\n"))
	}},
	{"sends 1 KB chunks until the server stops it", "HTTP/1.1 413 Request Entity Too Large", "HTTP/1.1 408 Request Timeout", func(conn *net.TCPConn, stop <-chan struct{}) {
		conn.Write([]byte("POST /hello HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"))
		chunk := append(append([]byte("400\r\n"), bytes.Repeat([]byte("x"), 1024)...), "\r\n"...)
		for range 2048 {
			if _, err := conn.Write(chunk); err != nil {
				return
			}
		}
	}},
}

// TestParsingStepsHoldUpAgainstHostileClients runs every step that
// parses requests with a short read deadline and, while each hostile
// client does its worst, sends a normal request: it must get 200 within
// a second, and the server must still be running at the end. From step 10
// on, the hostile uploaders join in.
func TestParsingStepsHoldUpAgainstHostileClients(t *testing.T) {
	t.Parallel()
	clientsOf := func(step string) []hostileClient {
		if !keepAliveSteps[step] { // steps 5 to 9 read no chunked body: 501
			return hostileClients
		}
		return append(append(hostileClients[:0:0], hostileClients...), hostileUploaders...)
	}
	// Steps 5 and 6 one after the other: each serves one client at a
	// time, each normal GET has a second to get its answer, and two such
	// servers under attack at once on a busy machine would eat into it.
	// Steps 7 to 10 serve many at once, and run beside them.
	t.Run("the iterative steps 5 and 6", func(t *testing.T) {
		t.Parallel()
		for _, step := range []string{"step5-limits", "step6-gateway"} {
			t.Run(step, func(t *testing.T) { holdsUp(t, step, clientsOf(step)) })
		}
	})
	for _, step := range []string{"step7-processes", "step8-threads", "step9-goroutines", "step10-keep-alive"} {
		t.Run(step, func(t *testing.T) {
			t.Parallel()
			holdsUp(t, step, clientsOf(step))
		})
	}
}

// holdsUp sends a normal request to step while each hostile client
// does its worst.
func holdsUp(t *testing.T, step string, clients []hostileClient) {
	srv := startStep(t, step, "-read-timeout", "300ms")
	// Connection: close, so that step 10 too ends the connection after
	// its answer.
	normal := []byte("GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
	for _, hc := range clients {
		t.Run("a normal GET gets 200 while a client "+hc.name, func(t *testing.T) {
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
			if got := <-answered; !hc.answers(got) {
				t.Errorf("the hostile client got the status line %q, want %q", got, hc.wantStatus)
			}
		})
	}
	console := srv.stop() // fails the test if the process has died
	if bytes.Contains(console, []byte("panic")) {
		t.Errorf("the server panicked:\n%s", console)
	}
}

// readFixtureBytes reads a request from testdata/requests/, for code
// that has no *testing.T at hand; a missing fixture sends nothing.
func readFixtureBytes(name string) []byte {
	data, _ := os.ReadFile(filepath.Join("testdata", "requests", name))
	return data
}
