//go:build unix

package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lsbaws-go/lsbaws-go/apps"
)

func TestAConnectionCarriesOneRequest(t *testing.T) {
	app, err := apps.New("stdlib")
	require.NoError(t, err)
	addr := serveOn(t, app)
	tests := []struct{ name, raw string }{
		{"answers one request and closes", "GET /hello HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"answers the first of two pipelined requests only", "GET /hello HTTP/1.1\r\nHost: h\r\n\r\nGET /hello/again HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"closes even when an HTTP/1.0 client asks to keep the connection", "GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readAllFrom(t, addr, tt.raw)
			if n := strings.Count(got, "HTTP/1.1 200 OK\r\n"); n != 1 {
				t.Errorf("got %d responses, want 1:\n%s", n, got)
			}
			if !strings.Contains(got, "\r\nConnection: close\r\n") {
				t.Errorf("the response does not say Connection: close:\n%s", got)
			}
		})
	}
}

// blockingApp answers /wait only once release is closed, and tells
// started when it begins; it answers anything else at once.
func blockingApp(started chan<- struct{}, release <-chan struct{}) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/wait" {
			started <- struct{}{}
			<-release
		}
		io.WriteString(w, "done "+r.URL.Path+"\n")
	})
}

// send opens a connection to addr and sends raw on it, without reading.
func send(t *testing.T, addr, raw string) net.Conn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	_, err = io.WriteString(conn, raw)
	require.NoError(t, err)
	return conn
}

// readResponse reads one response from conn, within timeout, and
// returns its body; an error when none came whole.
func readResponse(conn net.Conn, timeout time.Duration) (string, error) {
	conn.SetReadDeadline(time.Now().Add(timeout))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return string(body), err
}

func TestTheBoundMakesClientsWaitInTheListenQueue(t *testing.T) {
	started, release := make(chan struct{}, 1), make(chan struct{})
	addr := serveOn(t, blockingApp(started, release), 1)
	first := send(t, addr, "GET /wait HTTP/1.1\r\nHost: h\r\n\r\n")
	<-started
	// The kernel completes the second client's handshake, but the server,
	// its one slot taken, does not accept it.
	second := send(t, addr, "GET /second HTTP/1.1\r\nHost: h\r\n\r\n")
	if body, err := readResponse(second, 200*time.Millisecond); err == nil {
		t.Fatalf("the second client got %q while the only slot was taken, want no answer yet", body)
	}
	close(release)
	if body, err := readResponse(first, 5*time.Second); err != nil || body != "done /wait\n" {
		t.Errorf("the first client got %q, %v; want its answer", body, err)
	}
	if body, err := readResponse(second, 5*time.Second); err != nil || body != "done /second\n" {
		t.Errorf("the second client got %q, %v once the slot was free; want its answer", body, err)
	}
}

// listenAndServe runs the accept loop of serveOn (acceptClients), with
// delay and readTimeout, and returns the listening socket, its address, and the
// record that shutdown takes.
func listenAndServe(t *testing.T, app http.Handler, delay, readTimeout time.Duration) (int, string, *connections) {
	t.Helper()
	listenSocket, err := createListenSocket("127.0.0.1:0")
	require.NoError(t, err)
	bound, err := syscall.Getsockname(listenSocket)
	require.NoError(t, err)
	conns := newConnections(128)
	acceptClients(listenSocket, conns, app, readTimeout, delay)
	t.Cleanup(func() {
		if !conns.isStopping() {
			shutdown(listenSocket, conns, 0)
		}
		// Close the listening socket once every goroutine has let go of
		// its connection, so that no descriptor number is reused under one.
		for end := time.Now().Add(5 * time.Second); conns.left() > 0 && time.Now().Before(end); {
			time.Sleep(10 * time.Millisecond)
		}
		syscall.Close(listenSocket)
	})
	return listenSocket, formatAddr(bound), conns
}

func TestTheShutdownLetsTheRequestInFlightFinish(t *testing.T) {
	t.Run("answers the request in flight, then reports that all finished", func(t *testing.T) {
		started, release := make(chan struct{}, 1), make(chan struct{})
		listenSocket, addr, conns := listenAndServe(t, blockingApp(started, release), 0, 5*time.Second)
		client := send(t, addr, "GET /wait HTTP/1.1\r\nHost: h\r\n\r\n")
		<-started
		finished := make(chan bool, 1)
		go func() { finished <- shutdown(listenSocket, conns, 5*time.Second) }()
		time.Sleep(50 * time.Millisecond) // the shutdown has begun
		if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			conn.Close()
			t.Error("a new client could connect after the shutdown began")
		}
		close(release)
		if body, err := readResponse(client, 5*time.Second); err != nil || body != "done /wait\n" {
			t.Errorf("the client in flight got %q, %v; want its answer", body, err)
		}
		if !<-finished {
			t.Error("shutdown reported connections left, want none")
		}
	})
	t.Run("cuts -delay short", func(t *testing.T) {
		app, err := apps.New("stdlib")
		require.NoError(t, err)
		listenSocket, addr, conns := listenAndServe(t, app, time.Minute, 5*time.Second)
		client := send(t, addr, "GET /hello HTTP/1.1\r\nHost: h\r\n\r\n")
		_, err = readResponse(client, 5*time.Second)
		require.NoError(t, err)
		begun := time.Now()
		if !shutdown(listenSocket, conns, 5*time.Second) {
			t.Error("shutdown reported connections left, want none")
		}
		if took := time.Since(begun); took > 2*time.Second {
			t.Errorf("the shutdown took %s, waiting out the -delay of a minute", took)
		}
	})
	t.Run("shuts down the connections left after its timeout", func(t *testing.T) {
		started, release := make(chan struct{}, 1), make(chan struct{})
		defer close(release)
		listenSocket, addr, conns := listenAndServe(t, blockingApp(started, release), 0, 5*time.Second)
		client := send(t, addr, "GET /wait HTTP/1.1\r\nHost: h\r\n\r\n")
		<-started
		if shutdown(listenSocket, conns, 100*time.Millisecond) {
			t.Error("shutdown reported that all finished, want one left")
		}
		client.SetReadDeadline(time.Now().Add(5 * time.Second))
		if n, err := client.Read(make([]byte, 1)); err == nil || isTimeout(err) {
			t.Errorf("the client read %d bytes, %v; want the connection shut down", n, err)
		}
	})
	t.Run("wakes a goroutine blocked in recv for a client that sends nothing", func(t *testing.T) {
		app, err := apps.New("stdlib")
		require.NoError(t, err)
		listenSocket, addr, conns := listenAndServe(t, app, 0, time.Minute)
		send(t, addr, "")
		for end := time.Now().Add(5 * time.Second); conns.left() == 0 && time.Now().Before(end); {
			time.Sleep(10 * time.Millisecond)
		}
		require.Equal(t, 1, conns.left(), "the server has not accepted the client")
		if shutdown(listenSocket, conns, 100*time.Millisecond) {
			t.Error("shutdown reported that all finished, want one left")
		}
		// shutdown(2) made the goroutine's recv return at once, long
		// before the read timeout of a minute: it closes its connection
		// and ends.
		for end := time.Now().Add(2 * time.Second); conns.left() > 0 && time.Now().Before(end); {
			time.Sleep(10 * time.Millisecond)
		}
		if got := conns.left(); got != 0 {
			t.Errorf("%d goroutines still wait in recv 2 s after the shutdown, want 0", got)
		}
	})
}

// isTimeout reports whether err is a deadline that passed.
func isTimeout(err error) bool {
	netErr, ok := err.(net.Error)
	return ok && netErr.Timeout()
}

func TestNoGoroutineOutlivesItsConnection(t *testing.T) {
	app, err := apps.New("stdlib")
	require.NoError(t, err)
	_, addr, conns := listenAndServe(t, app, 0, 5*time.Second)
	readAllFrom(t, addr, "GET /hello HTTP/1.1\r\nHost: h\r\n\r\n") // the server's first goroutines start
	before := runtime.NumGoroutine()

	const clients = 20
	done := make(chan string, clients)
	for range clients {
		go func() { done <- readAllFrom(t, addr, "GET /hello HTTP/1.1\r\nHost: h\r\n\r\n") }()
	}
	for range clients {
		if got := <-done; !strings.HasPrefix(got, "HTTP/1.1 200 OK\r\n") {
			t.Errorf("a client got %q, want 200", got)
		}
	}
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if conns.left() == 0 && runtime.NumGoroutine() <= before {
			return
		}
	}
	t.Errorf("%d connections and %d goroutines are left after %d clients came and went, want 0 and at most %d",
		conns.left(), runtime.NumGoroutine(), clients, before)
}

func TestAWaitingConnectionHoldsAThread(t *testing.T) {
	app, err := apps.New("stdlib")
	require.NoError(t, err)
	_, addr, conns := listenAndServe(t, app, 0, time.Minute)
	// The threadcreate profile counts the threads that the runtime has
	// started in this process (the other tests' too, which it keeps and
	// uses again). No other test here has more than about 30 connections
	// at once.
	threads := pprof.Lookup("threadcreate")

	const idle = 100
	for range idle {
		send(t, addr, "") // connects and sends nothing: its goroutine waits in recv
	}
	// A goroutine blocked in recv gives up its thread's share of the
	// runtime a moment later, and the runtime starts another thread:
	// watch the count for 5 s at most.
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if conns.left() == idle && threads.Count() > idle {
			return
		}
	}
	t.Errorf("the runtime has started %d threads in all while %d connections wait in recv (%d accepted), want more than one each",
		threads.Count(), idle, conns.left())
}
