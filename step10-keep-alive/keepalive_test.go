package main

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lsbaws-go/lsbaws-go/apps"
)

// serveWith runs the server's accept loop in this process, as
// serveForever does, with app and these timeouts, no more than maxConns
// connections at once, on a free port of 127.0.0.1; it returns the
// listener and the record that shutdown takes. The test's cleanup shuts
// it down, if the test has not.
func serveWith(t testing.TB, app http.Handler, readTimeout, idleTimeout, delay time.Duration, maxConns int) (net.Listener, *connections) {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	conns := newConnections(maxConns)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			conns.waitForRoom()
			clientConn, err := listener.Accept()
			if err != nil {
				conns.leaveRoom()
				return // the shutdown closed the listener
			}
			conns.start(clientConn, func(clientConn net.Conn) {
				serveConnection(clientConn, readTimeout, 5*time.Second, idleTimeout, delay, app, conns)
			})
		}
	}()
	t.Cleanup(func() {
		if !conns.isStopping() {
			shutdown(listener, conns, 5*time.Second)
		}
		<-done
	})
	return listener, conns
}

// readResponseFrom reads one response to a request with method from
// reader, and its whole body.
func readResponseFrom(reader *bufio.Reader, method string) (*http.Response, string, error) {
	resp, err := http.ReadResponse(reader, &http.Request{Method: method})
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, string(body), err
}

// exchange is one request on a kept connection, and what its response
// must be.
type exchange struct {
	send       string // the request, raw
	method     string // its method, for reading the response
	wantStatus int
	wantBody   string // a prefix of the body
	wantClose  bool   // the response says Connection: close
	wantHeader string // the Connection field that http.ReadResponse leaves: it takes "close" out, into Close
}

func TestKeepAlive(t *testing.T) {
	t.Parallel()
	app, err := apps.New("stdlib")
	require.NoError(t, err)
	addr := serveOn(t, app)

	get := func(path string) string { return "GET " + path + " HTTP/1.1\r\nHost: h\r\n\r\n" }
	tests := []struct {
		name      string
		together  bool // send every request at once, before reading (pipelining)
		exchanges []exchange
		wantEnd   bool // after the last response the server closes the connection
	}{
		{
			name: "answers two HTTP/1.1 requests on one connection and keeps it open",
			exchanges: []exchange{
				{send: get("/hello"), method: "GET", wantStatus: 200, wantBody: "Hello, World!"},
				{send: get("/hello/again"), method: "GET", wantStatus: 200, wantBody: "Hello, again!"},
			},
		},
		{
			name:     "answers requests sent together, before any response, in order",
			together: true,
			exchanges: []exchange{
				{send: get("/hello/one"), method: "GET", wantStatus: 200, wantBody: "Hello, one!"},
				{send: "HEAD /hello HTTP/1.1\r\nHost: h\r\n\r\n", method: "HEAD", wantStatus: 200},
				{send: get("/hello/three"), method: "GET", wantStatus: 200, wantBody: "Hello, three!"},
			},
		},
		{
			name: "does not take a POST's body for the next request",
			exchanges: []exchange{
				{send: "POST /hello HTTP/1.1\r\nHost: h\r\nContent-Length: 9\r\n\r\nGET / bad", method: "POST", wantStatus: 200, wantBody: "Received a body of 9 bytes."},
				{send: get("/hello/next"), method: "GET", wantStatus: 200, wantBody: "Hello, next!"},
			},
		},
		{
			name: "ignores the empty line that a client sends after a body, before its next request",
			exchanges: []exchange{
				{send: "POST /hello HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello\r\n", method: "POST", wantStatus: 200, wantBody: "Received a body of 5 bytes."},
				{send: get("/hello/next"), method: "GET", wantStatus: 200, wantBody: "Hello, next!"},
			},
		},
		{
			name:     "decodes a chunked body and finds the next request right after it, though they came together",
			together: true,
			exchanges: []exchange{
				{send: "POST /hello HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n7\r\nHello, \r\n6\r\nWorld!\r\n0\r\n\r\n", method: "POST", wantStatus: 200, wantBody: "Received a body of 13 bytes."},
				{send: get("/hello/next"), method: "GET", wantStatus: 200, wantBody: "Hello, next!"},
			},
		},
		{
			name: "answers a long chunked response and goes on",
			exchanges: []exchange{
				{send: get("/count"), method: "GET", wantStatus: 200, wantBody: "1\n2\n3\n"},
				{send: get("/hello"), method: "GET", wantStatus: 200, wantBody: "Hello, World!"},
			},
		},
		{
			name: "closes after a request that says Connection: close",
			exchanges: []exchange{
				{send: get("/hello"), method: "GET", wantStatus: 200},
				{send: "GET /hello HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", method: "GET", wantStatus: 200, wantClose: true},
			},
			wantEnd: true,
		},
		{
			name: "closes after an HTTP/1.0 request that does not ask to keep it",
			exchanges: []exchange{
				{send: "GET /hello HTTP/1.0\r\n\r\n", method: "GET", wantStatus: 200, wantClose: true},
			},
			wantEnd: true,
		},
		{
			name: "keeps an HTTP/1.0 connection that asks for keep-alive, and says so",
			exchanges: []exchange{
				{send: "GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", method: "GET", wantStatus: 200, wantHeader: "keep-alive"},
				{send: "GET /hello HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", method: "GET", wantStatus: 200, wantHeader: "keep-alive"},
			},
		},
		{
			name: "closes after a long HTTP/1.0 response, which ends only with the connection",
			exchanges: []exchange{
				{send: "GET /count HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", method: "GET", wantStatus: 200, wantClose: true},
			},
			wantEnd: true,
		},
		{
			name: "answers a request it cannot parse and closes, since the next would start nowhere",
			exchanges: []exchange{
				{send: get("/hello"), method: "GET", wantStatus: 200},
				{send: "GET /hello HTTP/1.1\r\nHost: h\r\nContent-Length: x\r\n\r\n", method: "GET", wantStatus: 400, wantClose: true},
			},
			wantEnd: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
			require.NoError(t, err)
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			reader := bufio.NewReader(conn)
			if tt.together {
				var all strings.Builder
				for _, ex := range tt.exchanges {
					all.WriteString(ex.send)
				}
				_, err := io.WriteString(conn, all.String())
				require.NoError(t, err)
			}
			for i, ex := range tt.exchanges {
				if !tt.together {
					_, err := io.WriteString(conn, ex.send)
					require.NoError(t, err)
				}
				resp, body, err := readResponseFrom(reader, ex.method)
				require.NoError(t, err, "response %d", i+1)
				if resp.StatusCode != ex.wantStatus || !strings.HasPrefix(body, ex.wantBody) {
					t.Errorf("response %d: %d %q, want %d and a body starting %q", i+1, resp.StatusCode, body, ex.wantStatus, ex.wantBody)
				}
				if resp.Close != ex.wantClose || resp.Header.Get("Connection") != ex.wantHeader {
					t.Errorf("response %d: Close %v, Connection %q; want %v, %q", i+1, resp.Close, resp.Header.Get("Connection"), ex.wantClose, ex.wantHeader)
				}
			}
			// Is the connection still open? Read with a short deadline:
			// the end of the stream says closed, a timeout says open.
			conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			_, err = reader.ReadByte()
			if closed := errors.Is(err, io.EOF); closed != tt.wantEnd {
				t.Errorf("after the last response, the read returned %v; want the connection closed: %v", err, tt.wantEnd)
			}
		})
	}
}

func TestIdleTimeouts(t *testing.T) {
	t.Parallel()
	app, err := apps.New("stdlib")
	require.NoError(t, err)
	listener, _ := serveWith(t, app, 300*time.Millisecond, 100*time.Millisecond, 0, 8)
	addr := listener.Addr().String()

	// closedAfter connects, sends request (if any), reads its response and
	// returns how long after that the server closed the connection.
	closedAfter := func(t *testing.T, request string) time.Duration {
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		require.NoError(t, err)
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		reader := bufio.NewReader(conn)
		if request != "" {
			io.WriteString(conn, request)
			_, _, err := readResponseFrom(reader, "GET")
			require.NoError(t, err)
		}
		start := time.Now()
		_, err = reader.ReadByte()
		require.ErrorIs(t, err, io.EOF, "the server must close the connection")
		return time.Since(start)
	}
	t.Run("closes a kept connection after the idle timeout", func(t *testing.T) {
		if got := closedAfter(t, "GET /hello HTTP/1.1\r\nHost: h\r\n\r\n"); got < 50*time.Millisecond || got > 2*time.Second {
			t.Errorf("closed %s after the response, want about the idle timeout, 100ms", got)
		}
	})
	t.Run("closes a connection that never sends a request after the read timeout", func(t *testing.T) {
		if got := closedAfter(t, ""); got < 200*time.Millisecond || got > 2*time.Second {
			t.Errorf("closed %s after the connect, want about the read timeout, 300ms", got)
		}
	})
	t.Run("answers 408 to a head that stops coming", func(t *testing.T) {
		resp, _, err := roundTrip(t, addr, "GET /hello HTTP/1.1\r\nHost: h\r\n")
		require.NoError(t, err)
		if resp.StatusCode != http.StatusRequestTimeout || !resp.Close {
			t.Errorf("got %d, Close %v; want 408 and Connection: close", resp.StatusCode, resp.Close)
		}
	})
}

// blockingApp answers /slow only once release is closed, and tells
// entered each time it begins; it answers anything else at once.
type blockingApp struct {
	entered chan struct{}
	release chan struct{}
}

func newBlockingApp() *blockingApp {
	return &blockingApp{entered: make(chan struct{}, 100), release: make(chan struct{})}
}

func (a *blockingApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/slow" {
		a.entered <- struct{}{}
		<-a.release
	}
	io.WriteString(w, "done "+r.URL.Path+"\n")
}

func TestShutdownClosesIdleConnectionsAndFinishesTheRequestsInFlight(t *testing.T) {
	t.Parallel()
	app := newBlockingApp()
	listener, conns := serveWith(t, app, 5*time.Second, 5*time.Second, 0, 8)
	addr := listener.Addr().String()

	// One connection waits idle, between requests; another is in the
	// middle of a request.
	idle, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer idle.Close()
	idle.SetDeadline(time.Now().Add(5 * time.Second))
	idleReader := bufio.NewReader(idle)
	io.WriteString(idle, "GET /fast HTTP/1.1\r\nHost: h\r\n\r\n")
	_, _, err = readResponseFrom(idleReader, "GET")
	require.NoError(t, err)

	busy, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer busy.Close()
	busy.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(busy, "GET /slow HTTP/1.1\r\nHost: h\r\n\r\n")
	<-app.entered

	finished := make(chan bool, 1)
	go func() { finished <- shutdown(listener, conns, 5*time.Second) }()

	_, err = idleReader.ReadByte()
	require.ErrorIs(t, err, io.EOF, "the shutdown must close the idle connection")
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Error("a new client could connect after the shutdown began")
	}
	select {
	case <-finished:
		t.Fatal("the shutdown returned while a request was in flight")
	default:
	}

	close(app.release)
	resp, body, err := readResponseFrom(bufio.NewReader(busy), "GET")
	require.NoError(t, err, "the request in flight must get its response")
	if resp.StatusCode != http.StatusOK || body != "done /slow\n" || !resp.Close {
		t.Errorf("the request in flight got %d %q, Close %v; want 200, %q and Connection: close", resp.StatusCode, body, resp.Close, "done /slow\n")
	}
	if !<-finished {
		t.Error("shutdown reported connections left, want none")
	}
}

func TestShutdownGivesUpAfterItsTimeout(t *testing.T) {
	t.Parallel()
	app := newBlockingApp()
	defer close(app.release)
	listener, conns := serveWith(t, app, 5*time.Second, 5*time.Second, 0, 8)

	busy, err := net.Dial("tcp", listener.Addr().String())
	require.NoError(t, err)
	defer busy.Close()
	io.WriteString(busy, "GET /slow HTTP/1.1\r\nHost: h\r\n\r\n")
	<-app.entered

	start := time.Now()
	if shutdown(listener, conns, 100*time.Millisecond) {
		t.Error("shutdown reported that all finished, want one left")
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the shutdown took %s, want about its timeout, 100ms", took)
	}
}

func TestTheServerHoldsAtMostMaxConnsConnections(t *testing.T) {
	t.Parallel()
	app, err := apps.New("stdlib")
	require.NoError(t, err)
	listener, _ := serveWith(t, app, 5*time.Second, 5*time.Second, 0, 2)
	addr := listener.Addr().String()

	// Two connections take the two slots and keep them.
	var kept []net.Conn
	for range 2 {
		conn, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(conn, "GET /hello HTTP/1.1\r\nHost: h\r\n\r\n")
		_, _, err = readResponseFrom(bufio.NewReader(conn), "GET")
		require.NoError(t, err)
		kept = append(kept, conn)
	}

	// A third connects (the kernel completes the handshake and queues it)
	// but is not served while both are kept.
	third, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer third.Close()
	io.WriteString(third, "GET /hello/third HTTP/1.1\r\nHost: h\r\n\r\n")
	third.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	reader := bufio.NewReader(third)
	_, err = reader.Peek(1)
	require.ErrorIs(t, err, os.ErrDeadlineExceeded, "the third connection must wait while two are open")

	// When one ends, the third is served.
	kept[0].Close()
	third.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, body, err := readResponseFrom(reader, "GET")
	require.NoError(t, err)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(body, "Hello, third!") {
		t.Errorf("the third connection got %d %q, want 200 and its greeting", resp.StatusCode, body)
	}
}

func TestNoGoroutineOutlivesItsConnection(t *testing.T) {
	app, err := apps.New("stdlib")
	require.NoError(t, err)
	listener, conns := serveWith(t, app, 5*time.Second, 5*time.Second, 0, 100)
	addr := listener.Addr().String()
	before := runtime.NumGoroutine()

	const clients = 50
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			reader := bufio.NewReader(conn)
			for range 3 {
				io.WriteString(conn, "GET /hello HTTP/1.1\r\nHost: h\r\n\r\n")
				if _, _, err := readResponseFrom(reader, "GET"); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	// Every client has closed its end; the server notices, and its
	// goroutines end.
	deadline := time.Now().Add(5 * time.Second)
	for (conns.left() > 0 || runtime.NumGoroutine() > before) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if left, n := conns.left(), runtime.NumGoroutine(); left > 0 || n > before {
		stacks := make([]byte, 1<<20)
		t.Errorf("%d connections left; %d goroutines before the clients, %d after:\n%s", left, before, n, stacks[:runtime.Stack(stacks, true)])
	}
}
