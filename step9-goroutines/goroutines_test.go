package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
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
// delay, and returns the listener and the record that shutdown takes.
func listenAndServe(t *testing.T, app http.Handler, delay time.Duration) (net.Listener, *connections) {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	conns := newConnections(8)
	acceptClients(listener, conns, app, delay)
	t.Cleanup(func() { listener.Close(); conns.closeAll() })
	return listener, conns
}

func TestTheShutdownLetsTheRequestInFlightFinish(t *testing.T) {
	t.Run("answers the request in flight, then reports that all finished", func(t *testing.T) {
		started, release := make(chan struct{}, 1), make(chan struct{})
		listener, conns := listenAndServe(t, blockingApp(started, release), 0)
		client := send(t, listener.Addr().String(), "GET /wait HTTP/1.1\r\nHost: h\r\n\r\n")
		<-started
		finished := make(chan bool, 1)
		go func() { finished <- shutdown(listener, conns, 5*time.Second) }()
		time.Sleep(50 * time.Millisecond) // the shutdown has begun
		if _, err := net.DialTimeout("tcp", listener.Addr().String(), time.Second); err == nil {
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
		listener, conns := listenAndServe(t, app, time.Minute)
		client := send(t, listener.Addr().String(), "GET /hello HTTP/1.1\r\nHost: h\r\n\r\n")
		_, err = readResponse(client, 5*time.Second)
		require.NoError(t, err)
		begun := time.Now()
		if !shutdown(listener, conns, 5*time.Second) {
			t.Error("shutdown reported connections left, want none")
		}
		if took := time.Since(begun); took > 2*time.Second {
			t.Errorf("the shutdown took %s, waiting out the -delay of a minute", took)
		}
	})
	t.Run("closes the connections left after its timeout", func(t *testing.T) {
		started, release := make(chan struct{}, 1), make(chan struct{})
		defer close(release)
		listener, conns := listenAndServe(t, blockingApp(started, release), 0)
		client := send(t, listener.Addr().String(), "GET /wait HTTP/1.1\r\nHost: h\r\n\r\n")
		<-started
		if shutdown(listener, conns, 100*time.Millisecond) {
			t.Error("shutdown reported that all finished, want one left")
		}
		client.SetReadDeadline(time.Now().Add(5 * time.Second))
		if n, err := client.Read(make([]byte, 1)); err == nil || isTimeout(err) {
			t.Errorf("the client read %d bytes, %v; want the connection closed", n, err)
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
	listener, conns := listenAndServe(t, app, 0)
	addr := listener.Addr().String()
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
