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

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/lsbaws-go/lsbaws-go/apps"
)

// pipeReader returns a buffered reader of one end of an in-memory
// connection whose other end writes arrived, then later, and then closes
// if hangUp. The reading end gives up at deadline.
func pipeReader(t *testing.T, arrived, later string, hangUp bool, deadline time.Time) *bufio.Reader {
	t.Helper()
	server, client := net.Pipe()
	t.Cleanup(func() { server.Close(); client.Close() })
	server.SetReadDeadline(deadline)
	go func() {
		// A write that the reader never takes fails when the test ends.
		if _, err := io.WriteString(client, arrived+later); err == nil && hangUp {
			client.Close()
		}
	}()
	return bufio.NewReaderSize(server, ioBufferSize)
}

// readWholeBody reads the body that head announces from reader, as an
// application that reads all of r.Body does.
func readWholeBody(t *testing.T, reader *bufio.Reader, head string) (string, error) {
	t.Helper()
	req := parsed(t, head)
	if req.ContentLength == 0 && !req.Chunked {
		return "", nil
	}
	source, err := newBodyReader(reader, req)
	if err != nil {
		return "", err
	}
	got, err := io.ReadAll(&requestBody{source: source, w: newResponseWriter(io.Discard, req, fixedClock)})
	return string(got), err
}

func TestRequestBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		head     string // parsed for the request's framing
		sent     string // what the client sends after the head
		want     string
		wantLeft string // what must still be unread: the next request
	}{
		{
			name:     "reads a Content-Length body and not the next request after it",
			head:     "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\n\r\n",
			sent:     "hello world!GET / HTTP/1.1\r\n",
			want:     "hello world!",
			wantLeft: "GET / HTTP/1.1\r\n",
		},
		{
			name: "reads nothing for a request without a body",
			head: "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
			sent: "GET /next HTTP/1.1\r\n", wantLeft: "GET /next HTTP/1.1\r\n",
		},
		{
			name:     "decodes a chunked body and stops after its last chunk",
			head:     "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
			sent:     "7\r\nHello, \r\n6\r\nWorld!\r\n0\r\n\r\nGET / HTTP/1.1\r\n",
			want:     "Hello, World!",
			wantLeft: "GET / HTTP/1.1\r\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reader := pipeReader(t, tt.sent, "", true, time.Now().Add(2*time.Second))
			got, err := readWholeBody(t, reader, tt.head)
			require.NoError(t, err)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("body differs (-want +got):\n%s", diff)
			}
			left, _ := io.ReadAll(reader)
			if string(left) != tt.wantLeft {
				t.Errorf("after the body, %q is left, want %q: the next request must stay whole", left, tt.wantLeft)
			}
		})
	}
}

func TestRequestBodyAnswersWhatGoesWrong(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		head       string
		sent       string
		hangUp     bool
		wantStatus int
	}{
		{
			name:       "answers 413 to a Content-Length over maxBodyBytes, without reading",
			head:       "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1048577\r\n\r\n",
			wantStatus: http.StatusRequestEntityTooLarge,
		},
		{
			name:       "answers 413 to a chunked body that grows past maxBodyBytes",
			head:       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
			sent:       "80000\r\n" + strings.Repeat("x", 0x80000) + "\r\n80001\r\n",
			wantStatus: http.StatusRequestEntityTooLarge,
		},
		{
			name:       "answers 408 to a body that does not arrive in time",
			head:       "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n",
			sent:       "abc",
			wantStatus: http.StatusRequestTimeout,
		},
		{
			name:       "answers 408 to a chunked body whose last chunk does not arrive in time",
			head:       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
			sent:       "3\r\nabc\r\n",
			wantStatus: http.StatusRequestTimeout,
		},
		{
			name:       "answers 400 when the client hangs up inside a Content-Length body",
			head:       "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n",
			sent:       "abc",
			hangUp:     true,
			wantStatus: http.StatusBadRequest,
		},
		{
			name:       "answers 400 when the client hangs up before the last chunk",
			head:       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
			sent:       "3\r\nabc\r\n",
			hangUp:     true,
			wantStatus: http.StatusBadRequest,
		},
		{
			name:       "answers 400 to malformed chunks",
			head:       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
			sent:       "zz\r\n",
			wantStatus: http.StatusBadRequest,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reader := pipeReader(t, tt.sent, "", tt.hangUp, time.Now().Add(200*time.Millisecond))
			_, err := readWholeBody(t, reader, tt.head)
			var reqErr *requestError
			if !errors.As(err, &reqErr) || reqErr.status != tt.wantStatus {
				t.Errorf("got %v, want a requestError with status %d", err, tt.wantStatus)
			}
		})
	}
}

func TestReadHead(t *testing.T) {
	t.Parallel()
	long := "GET /" + strings.Repeat("a", 2*ioBufferSize) + " HTTP/1.1\r\n"
	tests := []struct {
		name     string
		sent     string
		hangUp   bool
		want     string
		wantErr  error
		wantLeft string
	}{
		{
			name:     "stops at the empty line and leaves the body in the buffer",
			sent:     "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nbody",
			want:     "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\n",
			wantLeft: "body",
		},
		{
			name:     "takes bare LF line ends",
			sent:     "GET / HTTP/1.1\nHost: h\n\nGET",
			want:     "GET / HTTP/1.1\nHost: h\n\n",
			wantLeft: "GET",
		},
		{
			name: "reads past one empty line before the request line, which the parser skips",
			sent: "\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
			want: "\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
		},
		{
			name:     "ends the head at a second empty line before the request line, for the parser to refuse",
			sent:     "\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
			want:     "\r\n\r\n",
			wantLeft: "GET / HTTP/1.1\r\n",
		},
		{
			name: "reads a line longer than its buffer whole",
			sent: long + "Host: h\r\n\r\n",
			want: long + "Host: h\r\n\r\n",
		},
		{
			name:    "returns what came when the client hangs up inside the head",
			sent:    "GET / HTTP/1.1\r\nHo",
			hangUp:  true,
			want:    "GET / HTTP/1.1\r\nHo",
			wantErr: io.EOF,
		},
		{
			name:    "returns what came at the deadline",
			sent:    "GET / HTTP/1.1\r\n",
			want:    "GET / HTTP/1.1\r\n",
			wantErr: os.ErrDeadlineExceeded,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &conn{reader: pipeReader(t, tt.sent, "", tt.hangUp, time.Now().Add(200*time.Millisecond))}
			got, err := c.readHead()
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("got the error %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("head differs (-want +got):\n%s", diff)
			}
			if tt.wantLeft != "" {
				left := make([]byte, len(tt.wantLeft))
				io.ReadFull(c.reader, left)
				if string(left) != tt.wantLeft {
					t.Errorf("after the head, %q is left, want %q", left, tt.wantLeft)
				}
			}
		})
	}

	t.Run("stops soon after maxHeadBytes of a head that never ends", func(t *testing.T) {
		endless := strings.Repeat("X-Filler: "+strings.Repeat("x", 90)+"\r\n", maxHeadBytes/50)
		c := &conn{reader: pipeReader(t, "GET / HTTP/1.1\r\n", endless, false, time.Now().Add(2*time.Second))}
		got, err := c.readHead()
		require.NoError(t, err)
		if len(got) <= maxHeadBytes || len(got) > maxHeadBytes+ioBufferSize {
			t.Errorf("read %d bytes, want just over maxHeadBytes (%d)", len(got), maxHeadBytes)
		}
	})
}

// testServer is a server run in this process by serveOn.
type testServer struct {
	*server
	addr   string
	served chan error
}

// quickConfig is the configuration of the servers that the tests run:
// timeouts short enough for a test, and quiet.
func quickConfig() config {
	return config{
		readTimeout:  2 * time.Second,
		writeTimeout: 2 * time.Second,
		idleTimeout:  2 * time.Second,
		maxConns:     100,
	}
}

// serveOn runs a server of app, configured by cfg, in this process, on a
// free port of 127.0.0.1, until the test ends or shuts it down.
func serveOn(t *testing.T, app http.Handler, cfgs ...config) *testServer {
	t.Helper()
	cfg := quickConfig()
	if len(cfgs) > 0 {
		cfg = cfgs[0]
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ts := &testServer{server: newServer(listener, cfg, app), addr: listener.Addr().String(), served: make(chan error, 1)}
	go func() { ts.served <- ts.serve() }()
	t.Cleanup(func() {
		select {
		case <-ts.stopping:
		default:
			ts.shutdown(time.Second)
		}
		require.NoError(t, <-ts.served)
	})
	return ts
}

// roundTrip sends raw to addr on a new connection and reads the response
// with net/http's client code.
func roundTrip(t *testing.T, addr, raw string) (*http.Response, string, error) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	_, err = io.WriteString(conn, raw)
	require.NoError(t, err)
	method, _, _ := strings.Cut(raw, " ")
	return readResponse(bufio.NewReader(conn), method)
}

// readResponse reads one response to method from reader, body and all.
func readResponse(reader *bufio.Reader, method string) (*http.Response, string, error) {
	resp, err := http.ReadResponse(reader, &http.Request{Method: method})
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, string(body), err
}

func TestTheServerGoesOnAfterTheAppPanics(t *testing.T) {
	t.Parallel()
	app, err := apps.New("stdlib")
	require.NoError(t, err)
	srv := serveOn(t, app)

	resp, body, err := roundTrip(t, srv.addr, "GET /panic HTTP/1.1\r\nHost: h\r\n\r\n")
	require.NoError(t, err)
	if resp.StatusCode != http.StatusInternalServerError || !strings.HasPrefix(body, "500 Internal Server Error: ") {
		t.Errorf("GET /panic got %d %q, want 500 and the reason", resp.StatusCode, body)
	}
	if strings.Contains(body, apps.PanicMessage) {
		t.Errorf("the body %q tells the client the panic's value; only the console should", body)
	}

	resp, body, err = roundTrip(t, srv.addr, "GET /hello HTTP/1.1\r\nHost: h\r\n\r\n")
	require.NoError(t, err)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(body, "Hello, World!\n") {
		t.Errorf("the next request got %d %q, want 200 and the greeting", resp.StatusCode, body)
	}
}

func TestAPanicAfterTheHeadWentOutCutsTheResponseShort(t *testing.T) {
	t.Parallel()
	srv := serveOn(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "begun\n")
		w.(http.Flusher).Flush()
		panic("too late for a 500")
	}))
	resp, body, err := roundTrip(t, srv.addr, "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
	if resp == nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("got %v, %v; want the 200 that had gone out", resp, err)
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) || body != "begun\n" {
		t.Errorf("got the body %q and %v, want %q cut short (io.ErrUnexpectedEOF)", body, err, "begun\n")
	}
}

// exchange is one request sent on a connection and what must come back.
type exchange struct {
	send       string // the request, raw; "" to send nothing more
	method     string // its method, for reading the response
	wantStatus int
	wantBody   string // a prefix of the body
	wantClose  bool   // the response says Connection: close (our status line is always HTTP/1.1)
	wantHeader string // the Connection field that http.ReadResponse leaves: it takes "close" out, into Close
}

func TestKeepAlive(t *testing.T) {
	t.Parallel()
	app, err := apps.New("stdlib")
	require.NoError(t, err)
	srv := serveOn(t, app)

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
			conn, err := net.DialTimeout("tcp", srv.addr, 5*time.Second)
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
				resp, body, err := readResponse(reader, ex.method)
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
	cfg := quickConfig()
	cfg.readTimeout, cfg.idleTimeout = 300*time.Millisecond, 100*time.Millisecond
	srv := serveOn(t, app, cfg)

	// closedAfter connects, sends request (if any), reads its response and
	// returns how long after that the server closed the connection.
	closedAfter := func(t *testing.T, request string) time.Duration {
		conn, err := net.DialTimeout("tcp", srv.addr, 5*time.Second)
		require.NoError(t, err)
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		reader := bufio.NewReader(conn)
		if request != "" {
			io.WriteString(conn, request)
			_, _, err := readResponse(reader, "GET")
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
		resp, _, err := roundTrip(t, srv.addr, "GET /hello HTTP/1.1\r\nHost: h\r\n")
		require.NoError(t, err)
		if resp.StatusCode != http.StatusRequestTimeout || !resp.Close {
			t.Errorf("got %d, Close %v; want 408 and Connection: close", resp.StatusCode, resp.Close)
		}
	})
}

// blockingApp is an application whose handler for /slow waits until the
// test releases it, so that a request stays in flight.
type blockingApp struct {
	entered chan struct{} // receives once each time a request reaches /slow
	release chan struct{} // closing it lets every /slow request finish
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

func TestShutdownFinishesTheRequestsInFlight(t *testing.T) {
	t.Parallel()
	app := newBlockingApp()
	srv := serveOn(t, app)

	// One connection waits idle, between requests; another is in the
	// middle of a request.
	idle, err := net.Dial("tcp", srv.addr)
	require.NoError(t, err)
	defer idle.Close()
	idle.SetDeadline(time.Now().Add(5 * time.Second))
	idleReader := bufio.NewReader(idle)
	io.WriteString(idle, "GET /fast HTTP/1.1\r\nHost: h\r\n\r\n")
	_, _, err = readResponse(idleReader, "GET")
	require.NoError(t, err)

	busy, err := net.Dial("tcp", srv.addr)
	require.NoError(t, err)
	defer busy.Close()
	busy.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(busy, "GET /slow HTTP/1.1\r\nHost: h\r\n\r\n")
	<-app.entered

	shutdownDone := make(chan error, 1)
	go func() { shutdownDone <- srv.shutdown(5 * time.Second) }()

	_, err = idleReader.ReadByte()
	require.ErrorIs(t, err, io.EOF, "the shutdown must close the idle connection")
	require.Eventually(t, func() bool {
		conn, err := net.Dial("tcp", srv.addr)
		if err == nil {
			conn.Close()
		}
		return err != nil
	}, 2*time.Second, 10*time.Millisecond, "the shutdown must stop accepting connections")
	select {
	case err := <-shutdownDone:
		t.Fatalf("the shutdown returned %v while a request was in flight", err)
	default:
	}

	close(app.release)
	resp, body, err := readResponse(bufio.NewReader(busy), "GET")
	require.NoError(t, err, "the request in flight must get its response")
	if resp.StatusCode != http.StatusOK || body != "done /slow\n" || !resp.Close {
		t.Errorf("the request in flight got %d %q, Close %v; want 200, %q and Connection: close", resp.StatusCode, body, resp.Close, "done /slow\n")
	}
	require.NoError(t, <-shutdownDone)
}

func TestShutdownGivesUpAfterItsTimeout(t *testing.T) {
	t.Parallel()
	app := newBlockingApp()
	defer close(app.release)
	srv := serveOn(t, app)

	busy, err := net.Dial("tcp", srv.addr)
	require.NoError(t, err)
	defer busy.Close()
	io.WriteString(busy, "GET /slow HTTP/1.1\r\nHost: h\r\n\r\n")
	<-app.entered

	start := time.Now()
	err = srv.shutdown(100 * time.Millisecond)
	require.ErrorContains(t, err, "1 connections were still busy after 100ms")
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the shutdown took %s, want about its timeout, 100ms", took)
	}
}

func TestTheServerHoldsAtMostMaxConnsConnections(t *testing.T) {
	t.Parallel()
	app, err := apps.New("stdlib")
	require.NoError(t, err)
	cfg := quickConfig()
	cfg.maxConns = 2
	srv := serveOn(t, app, cfg)

	// Two connections take the two slots and keep them.
	var kept []net.Conn
	for range 2 {
		conn, err := net.Dial("tcp", srv.addr)
		require.NoError(t, err)
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(conn, "GET /hello HTTP/1.1\r\nHost: h\r\n\r\n")
		_, _, err = readResponse(bufio.NewReader(conn), "GET")
		require.NoError(t, err)
		kept = append(kept, conn)
	}

	// A third connects (the kernel completes the handshake and queues it)
	// but is not served while both are kept.
	third, err := net.Dial("tcp", srv.addr)
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
	resp, body, err := readResponse(reader, "GET")
	require.NoError(t, err)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(body, "Hello, third!") {
		t.Errorf("the third connection got %d %q, want 200 and its greeting", resp.StatusCode, body)
	}
}

func TestNoGoroutineOutlivesItsConnection(t *testing.T) {
	app, err := apps.New("stdlib")
	require.NoError(t, err)
	srv := serveOn(t, app)
	before := runtime.NumGoroutine()

	const clients = 50
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			conn, err := net.Dial("tcp", srv.addr)
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			reader := bufio.NewReader(conn)
			for range 3 {
				io.WriteString(conn, "GET /hello HTTP/1.1\r\nHost: h\r\n\r\n")
				if _, _, err := readResponse(reader, "GET"); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	// Every client has closed its end; the server notices, and its
	// goroutines end.
	require.Eventually(t, func() bool {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		return len(srv.conns) == 0
	}, 5*time.Second, 10*time.Millisecond, "the server must forget every connection")
	// (Polled here, not in require.Eventually, which runs its condition
	// in goroutines of its own.)
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if runtime.NumGoroutine() > before {
		stacks := make([]byte, 1<<20)
		t.Errorf("%d goroutines before the clients, %d after:\n%s", before, runtime.NumGoroutine(), stacks[:runtime.Stack(stacks, true)])
	}
}
