package main

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lsbaws-go/lsbaws-go/apps"
)

// The tests of this file are issue 12's hostile clients, in this
// process: each is bounded in time and in count, on 127.0.0.1.

// syncBuffer is a console that the server's goroutines may write to
// while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// smallSendBuffers is a listener whose connections have a small send
// buffer, so that a client that does not read stops the server's writes
// soon.
type smallSendBuffers struct{ net.Listener }

func (l smallSendBuffers) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err == nil {
		conn.(*net.TCPConn).SetWriteBuffer(4096)
	}
	return conn, err
}

// serveWith runs a server of app with cfg on listener, as serveOn does.
func serveWith(t *testing.T, listener net.Listener, app http.Handler, cfg config) *server {
	t.Helper()
	s := newServer(listener, cfg, app)
	served := make(chan error, 1)
	go func() { served <- s.serve() }()
	t.Cleanup(func() {
		s.shutdown(time.Second)
		require.NoError(t, <-served)
	})
	return s
}

// dialSmallReceiveBuffer connects to addr with a small receive buffer,
// so that a client that does not read soon stops what the server sends.
func dialSmallReceiveBuffer(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	require.NoError(t, conn.(*net.TCPConn).SetReadBuffer(4096))
	return conn
}

// waitFor polls until cond holds, for 10 seconds at most: a bound on a
// wait, not a measure of time.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after 10s waiting until %s", what)
		}
	}
}

func TestAFailedWriteEndsTheConnection(t *testing.T) {
	t.Parallel()
	app, err := apps.New("stdlib")
	require.NoError(t, err)
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	console := &syncBuffer{}
	cfg := quickConfig()
	cfg.writeTimeout, cfg.console = 150*time.Millisecond, console
	srv := serveWith(t, smallSendBuffers{listener}, app, cfg)

	// A client that sends request after request and never reads a
	// response: soon the buffers are full, and a write times out.
	const sent = 5000
	conn := dialSmallReceiveBuffer(t, listener.Addr().String())
	go func() {
		conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(conn, strings.Repeat("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n", sent))
	}()

	waitFor(t, "the server closes the connection", func() bool { return strings.Contains(console.String(), "Closing connection") })
	waitFor(t, "the connection's goroutine ends", func() bool {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		return len(srv.conns) == 0
	})
	log := console.String()
	answered := strings.Count(log, "-> 200 OK")
	t.Logf("the server logged %d answers of %d requests before the failed write ended the connection", answered, sent)
	// What fits in the client's receive buffer and the server's send
	// buffer, a few hundred responses of 200 bytes at most; not all.
	if answered > sent/10 {
		t.Errorf("the server logged %d answers of %d requests; want it to stop after the first failed write", answered, sent)
	}
	if !strings.Contains(log, "i/o timeout") {
		t.Errorf("the console does not say that a write timed out:\n%s", lastLines(log, 3))
	}
	if strings.Count(log, "could not be sent") > 1 {
		t.Errorf("the console logs more than one response that could not be sent:\n%s", lastLines(log, 5))
	}
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func TestEqualReadAndWriteTimeoutsStillDeliverThe408(t *testing.T) {
	t.Parallel()
	app, err := apps.New("stdlib")
	require.NoError(t, err)
	cfg := quickConfig()
	cfg.readTimeout, cfg.writeTimeout = 300*time.Millisecond, 300*time.Millisecond
	srv := serveOn(t, app, cfg)

	const clients = 10
	statuses := make(chan string, clients)
	for range clients {
		go func() {
			// Half a head, then nothing: the read deadline passes.
			resp, _, err := roundTrip(t, srv.addr, "GET /hello HTTP/1.1\r\nHost: h\r\n")
			if err != nil {
				statuses <- err.Error()
				return
			}
			statuses <- resp.Status
		}()
	}
	got := 0
	for range clients {
		if status := <-statuses; status == "408 Request Timeout" {
			got++
		} else {
			t.Logf("a client got %s", status)
		}
	}
	if got != clients {
		t.Errorf("%d of %d clients that sent half a head received their 408, want all", got, clients)
	}
}

func TestTheWriteDeadlineStartsWithTheResponse(t *testing.T) {
	t.Parallel()
	cfg := quickConfig()
	cfg.writeTimeout = 200 * time.Millisecond
	srv := serveOn(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(400 * time.Millisecond) // the application takes longer than the write timeout
		io.WriteString(w, "late but whole\n")
	}), cfg)
	resp, body, err := roundTrip(t, srv.addr, "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
	require.NoError(t, err, "the response must come: the application's time is not the client's")
	if resp.StatusCode != http.StatusOK || body != "late but whole\n" {
		t.Errorf("got %d %q, want 200 and the whole body", resp.StatusCode, body)
	}
}

func TestAContentLengthIsNotAnAllocation(t *testing.T) {
	t.Parallel()
	app, err := apps.New("stdlib")
	require.NoError(t, err)
	// A client announces 1 MiB, sends one byte, and hangs up.
	input := []byte("POST /hello HTTP/1.1\r\nHost: h\r\nContent-Length: 1048576\r\n\r\nx")
	serveOnce := func() {
		c := &conn{
			s:          newServer(nil, quickConfig(), app),
			remoteAddr: "192.0.2.1:1234",
			reader:     bufio.NewReader(bytes.NewReader(input)),
			writer:     bufio.NewWriter(io.Discard),
		}
		c.handleRequest()
	}
	serveOnce() // a first run, not counted, warms up what is made only once
	const runs = 10
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range runs {
		serveOnce()
	}
	runtime.ReadMemStats(&after)
	perRequest := (after.TotalAlloc - before.TotalAlloc) / runs
	t.Logf("a request that announces 1 MiB and sends 1 byte allocates %d bytes", perRequest)
	if perRequest > 64<<10 {
		t.Errorf("a request that announces 1 MiB and sends 1 byte allocated %d bytes, want far less than 1 MiB", perRequest)
	}
}

// readingApp answers POST with how many body bytes it read, reading them
// a few at a time; it does not read them at all for /ignore, and tells
// entered when it begins.
type readingApp struct{ entered chan string }

func (a readingApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.entered <- r.URL.Path
	if r.URL.Path == "/ignore" {
		io.WriteString(w, "did not read\n")
		return
	}
	n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{r.Body}, make([]byte, 3))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	io.WriteString(w, "read "+strconv.FormatInt(n, 10)+"\n")
}

func TestExpect100Continue(t *testing.T) {
	t.Parallel()
	app := readingApp{entered: make(chan string, 10)}
	srv := serveOn(t, app)
	const continueLine = "HTTP/1.1 100 Continue\r\n\r\n"

	t.Run("sends 100 Continue once, when the application first reads the body", func(t *testing.T) {
		conn, err := net.DialTimeout("tcp", srv.addr, 5*time.Second)
		require.NoError(t, err)
		defer conn.Close()
		io.WriteString(conn, "POST /read HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 10\r\n\r\n")
		// Like curl, wait for the 100 Continue before sending the body;
		// unlike curl, not for ever.
		conn.SetReadDeadline(time.Now().Add(time.Second))
		got := make([]byte, len(continueLine))
		_, err = io.ReadFull(conn, got)
		require.NoError(t, err, "the 100 Continue must come before the body is sent")
		require.Equal(t, continueLine, string(got))
		io.WriteString(conn, "0123456789")
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		reader := bufio.NewReader(conn)
		resp, body, err := readResponse(reader, "POST")
		require.NoError(t, err)
		if resp.StatusCode != http.StatusOK || body != "read 10\n" || resp.Close {
			t.Errorf("got %d %q, Close %v; want 200, %q, and the connection kept", resp.StatusCode, body, resp.Close, "read 10\n")
		}
		// The next request on the connection is answered, with no second
		// 100 Continue before it.
		io.WriteString(conn, "GET /ignore HTTP/1.1\r\nHost: h\r\n\r\n")
		resp, body, err = readResponse(reader, "GET")
		require.NoError(t, err)
		if resp.StatusCode != http.StatusOK || body != "did not read\n" {
			t.Errorf("the next request got %d %q, want 200 %q", resp.StatusCode, body, "did not read\n")
		}
	})
	t.Run("sends no 100 Continue when the application does not read the body, and closes the connection", func(t *testing.T) {
		conn, err := net.DialTimeout("tcp", srv.addr, 5*time.Second)
		require.NoError(t, err)
		defer conn.Close()
		io.WriteString(conn, "POST /ignore HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n")
		conn.SetReadDeadline(time.Now().Add(time.Second))
		all, err := io.ReadAll(conn)
		require.NoError(t, err, "the server must answer, then close, without waiting for the body")
		resp, body, err := readResponse(bufio.NewReader(bytes.NewReader(all)), "POST")
		require.NoError(t, err)
		if resp.StatusCode != http.StatusOK || body != "did not read\n" || !resp.Close {
			t.Errorf("got %d %q, Close %v; want 200, %q and Connection: close", resp.StatusCode, body, resp.Close, "did not read\n")
		}
	})
	t.Run("sends no 100 Continue to a request that did not ask for it", func(t *testing.T) {
		resp, body, err := roundTrip(t, srv.addr, "POST /read HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc")
		require.NoError(t, err)
		if resp.StatusCode != http.StatusOK || body != "read 3\n" {
			t.Errorf("got %d %q, want the final 200 %q first", resp.StatusCode, body, "read 3\n")
		}
	})
	for len(app.entered) > 0 {
		<-app.entered
	}
}

func TestTheApplicationReadsTheBodyAsItArrives(t *testing.T) {
	t.Parallel()
	app := readingApp{entered: make(chan string, 10)}
	srv := serveOn(t, app)
	conn, err := net.DialTimeout("tcp", srv.addr, 5*time.Second)
	require.NoError(t, err)
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(conn, "POST /read HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n01234")
	select {
	case <-app.entered:
	case <-time.After(time.Second):
		t.Fatal("the application did not run before the whole body came: the server holds it back")
	}
	io.WriteString(conn, "56789")
	resp, body, err := readResponse(bufio.NewReader(conn), "POST")
	require.NoError(t, err)
	if resp.StatusCode != http.StatusOK || body != "read 10\n" {
		t.Errorf("got %d %q, want 200 %q", resp.StatusCode, body, "read 10\n")
	}
}

func TestBodiesTheApplicationLeaves(t *testing.T) {
	t.Parallel()
	app := readingApp{entered: make(chan string, 100)}
	srv := serveOn(t, app)
	tests := []struct {
		name       string
		send       string
		wantStatus int
		wantBody   string
		wantClose  bool
	}{
		{"reads and drops a body the application did not read, and keeps the connection",
			"POST /ignore HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello",
			http.StatusOK, "did not read\n", false},
		{"reads and drops a chunked body the application did not read",
			"POST /ignore HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
			http.StatusOK, "did not read\n", false},
		{"answers a body error the application met with its own status, and closes",
			"POST /read HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2;\r\nab\r\n0\r\n\r\n",
			http.StatusBadRequest, "400 Bad Request: a chunk extension has no name\n", true},
		{"closes after a body the application did not read and that turns out bad",
			"POST /ignore HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
			http.StatusOK, "did not read\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.DialTimeout("tcp", srv.addr, 5*time.Second)
			require.NoError(t, err)
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			reader := bufio.NewReader(conn)
			io.WriteString(conn, tt.send)
			resp, body, err := readResponse(reader, "POST")
			require.NoError(t, err)
			if resp.StatusCode != tt.wantStatus || body != tt.wantBody || resp.Close != tt.wantClose {
				t.Errorf("got %d %q, Close %v; want %d %q, Close %v", resp.StatusCode, body, resp.Close, tt.wantStatus, tt.wantBody, tt.wantClose)
			}
			if tt.wantClose {
				return
			}
			io.WriteString(conn, "GET /ignore HTTP/1.1\r\nHost: h\r\n\r\n")
			resp, _, err = readResponse(reader, "GET")
			require.NoError(t, err, "the next request must be found where it begins")
			require.Equal(t, http.StatusOK, resp.StatusCode)
		})
	}
}

func TestAnAnswerToHEADHasNoBody(t *testing.T) {
	t.Parallel()
	app, err := apps.New("stdlib")
	require.NoError(t, err)
	cfg := quickConfig()
	cfg.readTimeout = 200 * time.Millisecond
	srv := serveOn(t, app, cfg)
	tests := []struct {
		name       string
		send       string
		wantStatus string
	}{
		{"sends no body with a 400 for a HEAD without Host", "HEAD / HTTP/1.1\r\n\r\n", "400 Bad Request"},
		{"sends no body with a 400 for a HEAD whose header is bad", "HEAD / HTTP/1.1\r\nHost: h\r\nContent-Length: x\r\n\r\n", "400 Bad Request"},
		{"sends no body with a 400 for a HEAD whose target is bad", "HEAD /a\x01b HTTP/1.1\r\nHost: h\r\n\r\n", "400 Bad Request"},
		{"sends no body with a 505 for a HEAD in another version", "HEAD / HTTP/2.0\r\nHost: h\r\n\r\n", "505 HTTP Version Not Supported"},
		{"sends no body with a 408 for a HEAD whose head stops coming", "HEAD / HTTP/1.1\r\nHost: h\r\n", "408 Request Timeout"},
		{"sends no body with a 501 for HEAD *, which names no resource", "HEAD * HTTP/1.1\r\nHost: h\r\n\r\n", "501 Not Implemented"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.DialTimeout("tcp", srv.addr, 5*time.Second)
			require.NoError(t, err)
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			io.WriteString(conn, tt.send)
			all, err := io.ReadAll(conn)
			require.NoError(t, err)
			head, body, found := strings.Cut(string(all), "\r\n\r\n")
			require.True(t, found, "got %q, want a whole head", all)
			statusLine, _, _ := strings.Cut(head, "\r\n")
			if statusLine != "HTTP/1.1 "+tt.wantStatus || body != "" {
				t.Errorf("got %q and the body %q, want %s and no body", statusLine, body, tt.wantStatus)
			}
			// The header fields are GET's: a Content-Length of the body
			// that a GET would have got.
			if !strings.Contains(head, "\r\nContent-Length: ") {
				t.Errorf("the head %q has no Content-Length, want the one GET's answer has", head)
			}
		})
	}
}

func TestAClientStillUploadingReadsIts413Whole(t *testing.T) {
	t.Parallel()
	app, err := apps.New("stdlib")
	require.NoError(t, err)
	srv := serveOn(t, app)
	for i := range 3 {
		t.Run("reads the whole 413 and then the end of the stream, not a reset, try "+strconv.Itoa(i+1), func(t *testing.T) {
			conn, err := net.DialTimeout("tcp", srv.addr, 5*time.Second)
			require.NoError(t, err)
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			io.WriteString(conn, "POST /hello HTTP/1.1\r\nHost: h\r\nContent-Length: 4194304\r\n\r\n")
			// Go on uploading, as a client does that does not wait for an
			// early answer, while reading what comes.
			uploaded := make(chan error, 1)
			go func() {
				_, err := conn.Write(bytes.Repeat([]byte("x"), 128<<10))
				uploaded <- err
			}()
			reader := bufio.NewReader(conn)
			resp, body, err := readResponse(reader, "POST")
			require.NoError(t, err, "reading the answer")
			if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.HasPrefix(body, "413 Request Entity Too Large: ") {
				t.Errorf("got %d %q, want 413 and its reason", resp.StatusCode, body)
			}
			// The server shut down its side after the answer: the client
			// reads the end of the stream, and its upload was not cut.
			rest, err := io.ReadAll(reader)
			if err != nil || len(rest) > 0 {
				t.Errorf("after the answer, read %q and %v; want the end of the stream, not a reset", rest, err)
			}
			select {
			case err := <-uploaded:
				if err != nil {
					t.Errorf("the upload failed: %v; want the server to take it, up to lingerBytes", err)
				}
			case <-time.After(5 * time.Second):
				t.Error("the upload did not end")
			}
		})
	}
}
