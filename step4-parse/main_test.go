//go:build unix

package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func TestRouteServesTheKnownPages(t *testing.T) {
	tests := []struct {
		name string
		req  request
	}{
		{"answers 200 with the greeting and the parse for /", request{Method: "GET", Target: "/", Path: "/", Version: "HTTP/1.1"}},
		{"answers 200 with the greeting and the parse for /hello", request{
			Method: "GET", Target: "/hello?name=you", Path: "/hello", Query: "name=you", Version: "HTTP/1.1",
			Headers: []headerField{{"Host", "localhost:8888"}},
		}},
		{"answers 200 to any method on a known page, as this step does not judge methods", request{Method: "POST", Target: "/hello", Path: "/hello", Version: "HTTP/1.1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := route(tt.req, nil)
			if status != "200 OK" {
				t.Errorf("got status %q, want %q", status, "200 OK")
			}
			if want := "Hello, World!\n\n"; !strings.HasPrefix(body, want) {
				t.Errorf("got body %q, want it to start with %q", body, want)
			}
			if want := tt.req.describe(); !strings.Contains(body, want) {
				t.Errorf("got body %q, want it to contain the parse %q", body, want)
			}
		})
	}
}

func TestRouteAnswersErrorsAndUnknownPaths(t *testing.T) {
	const reason = `the request line "GET /" is not METHOD, target and version separated by single spaces`
	tests := []struct {
		name       string
		req        request
		err        error
		wantStatus string
		wantBody   string
	}{
		{
			name:       "answers 404 for a path it does not know",
			req:        request{Method: "GET", Target: "/favicon.ico", Path: "/favicon.ico", Version: "HTTP/1.1"},
			wantStatus: "404 Not Found",
			wantBody:   "404 Not Found: there is no page at \"/favicon.ico\"\n",
		},
		{
			name:       "answers 404 for a path that only starts like a known one",
			req:        request{Method: "GET", Target: "/hello/world", Path: "/hello/world", Version: "HTTP/1.1"},
			wantStatus: "404 Not Found",
			wantBody:   "404 Not Found: there is no page at \"/hello/world\"\n",
		},
		{
			name:       "answers 404 for a path that differs from a known one only in case",
			req:        request{Method: "GET", Target: "/Hello", Path: "/Hello", Version: "HTTP/1.1"},
			wantStatus: "404 Not Found",
			wantBody:   "404 Not Found: there is no page at \"/Hello\"\n",
		},
		{
			name:       "answers 400 with the reason to a bad request",
			err:        &requestError{http.StatusBadRequest, reason},
			wantStatus: "400 Bad Request",
			wantBody:   "400 Bad Request: " + reason + "\n",
		},
		{
			name:       "finds the status of a wrapped request error",
			err:        fmt.Errorf("parsing: %w", &requestError{http.StatusBadRequest, "bad"}),
			wantStatus: "400 Bad Request",
			wantBody:   "400 Bad Request: parsing: bad\n",
		},
		{
			name:       "answers 400 to an error that carries no status",
			err:        errors.New("something went wrong"),
			wantStatus: "400 Bad Request",
			wantBody:   "400 Bad Request: something went wrong\n",
		},
		{
			name:       "answers the error even when the request has a known path",
			req:        request{Method: "GET", Target: "/", Path: "/", Version: "HTTP/1.1"},
			err:        &requestError{http.StatusBadRequest, "bad"},
			wantStatus: "400 Bad Request",
			wantBody:   "400 Bad Request: bad\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := route(tt.req, tt.err)
			if status != tt.wantStatus {
				t.Errorf("got status %q, want %q", status, tt.wantStatus)
			}
			if diff := cmp.Diff(tt.wantBody, body); diff != "" {
				t.Errorf("body mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRouteAnswersWhatParseRequestFound(t *testing.T) {
	status, body := route(parseRequest([]byte("GET /\r\n\r\n")))
	if status != "400 Bad Request" {
		t.Errorf("got status %q, want %q", status, "400 Bad Request")
	}
	if want := "400 Bad Request: "; !strings.HasPrefix(body, want) || strings.Count(body, "\n") != 1 || !strings.HasSuffix(body, "\n") {
		t.Errorf("got body %q, want one line that starts with %q", body, want)
	}
}

func TestMakeResponse(t *testing.T) {
	tests := []struct {
		name   string
		status string
		body   string
		want   string
	}{
		{
			name:   "writes the status line, the header fields, the empty line and the body, with CRLF line ends",
			status: "200 OK",
			body:   "Hello, World!",
			want: "HTTP/1.1 200 OK\r\n" +
				"Content-Type: text/plain; charset=utf-8\r\n" +
				"Content-Length: 13\r\n" +
				"Connection: close\r\n" +
				"\r\n" +
				"Hello, World!",
		},
		{
			name:   "counts the body's length in bytes, not in characters",
			status: "200 OK",
			body:   "你好",
			want: "HTTP/1.1 200 OK\r\n" +
				"Content-Type: text/plain; charset=utf-8\r\n" +
				"Content-Length: 6\r\n" +
				"Connection: close\r\n" +
				"\r\n" +
				"你好",
		},
		{
			name:   "writes Content-Length 0 for an empty body",
			status: "404 Not Found",
			body:   "",
			want: "HTTP/1.1 404 Not Found\r\n" +
				"Content-Type: text/plain; charset=utf-8\r\n" +
				"Content-Length: 0\r\n" +
				"Connection: close\r\n" +
				"\r\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(makeResponse(tt.status, tt.body))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("makeResponse(%q, %q) mismatch (-want +got):\n%s", tt.status, tt.body, diff)
			}
		})
	}
}

// socketPair returns the two ends of a connected stream socket: server,
// the end that recvHead reads, and client. Both are closed when the test
// ends, and the returned functions close them earlier; each end is
// closed once only, since after a close the kernel may give its number
// to the next file that opens.
func socketPair(t *testing.T) (server, client int, closeServer, closeClient func()) {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	require.NoError(t, err, "socketpair")
	return fds[0], fds[1], closeOnce(t, fds[0]), closeOnce(t, fds[1])
}

// closeOnce returns a function that closes fd the first time it is
// called, and has t.Cleanup call it too.
func closeOnce(t *testing.T, fd int) func() {
	var once sync.Once
	closeFD := func() { once.Do(func() { syscall.Close(fd) }) }
	t.Cleanup(closeFD)
	return closeFD
}

// watchRecv guards a recvHead on server, which has no deadline and so
// might wait forever: if the returned stop is not called within a
// second, it shuts the socket down, so that recvHead returns, and stop
// then fails the test.
func watchRecv(t *testing.T, server int) (stop func()) {
	t.Helper()
	return watchCall(t, server, time.Second, "recvHead was still reading", "bytes that the client would never send")
}

// watchCall guards a call on fd that might wait forever: if the returned
// stop is not called within limit, it shuts the socket down, so that the
// call returns, and stop then fails the test with "doing after limit,
// waiting for what".
func watchCall(t *testing.T, fd int, limit time.Duration, doing, what string) (stop func()) {
	t.Helper()
	var (
		mu      sync.Mutex
		stopped bool
		fired   bool
	)
	timer := time.AfterFunc(limit, func() {
		mu.Lock()
		defer mu.Unlock()
		if !stopped {
			fired = true
			syscall.Shutdown(fd, syscall.SHUT_RDWR)
		}
	})
	return func() {
		t.Helper()
		timer.Stop()
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		if fired {
			t.Errorf("%s after %v, waiting for %s", doing, limit, what)
		}
	}
}

// writeAll writes data to fd however many writes that takes.
func writeAll(fd int, data []byte) error {
	for len(data) > 0 {
		n, err := syscall.Write(fd, data)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

// longHead is a request head of about 3 KB, as a browser with a few
// cookies sends: nearly three times what one recv of recvBufferSize
// bytes takes.
var longHead = "GET /hello?name=you HTTP/1.1\r\nHost: localhost:8888\r\nCookie: " +
	strings.Repeat("session=0123456789abcdef; ", 115) + "last=1\r\n\r\n"

func TestRecvHead(t *testing.T) {
	tests := []struct {
		name        string
		pieces      []string // written one after another, with a pause between them
		clientHangs bool     // the client closes its side after the last piece
		want        string
	}{
		{
			name:   "returns at the empty line without waiting for the client to hang up",
			pieces: []string{"GET / HTTP/1.1\r\nHost: x\r\n\r\n"},
			want:   "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		},
		{
			name:   "reads on until the empty line when the head arrives in pieces",
			pieces: []string{"GET /hel", "lo HTTP/1.1\r\nHo", "st: x\r\n", "\r\n"},
			want:   "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n",
		},
		{
			name:   "finds the empty line when it arrives alone in the last piece, as nc sends it",
			pieces: []string{"GET /hello HTTP/1.1\r\n", "Host: x\r\n", "\r\n"},
			want:   "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n",
		},
		{
			name:   "finds the empty line of bare LFs when it arrives alone in the last piece",
			pieces: []string{"GET /hello HTTP/1.1\nHost: x\n", "\n"},
			want:   "GET /hello HTTP/1.1\nHost: x\n\n",
		},
		{
			name:   "finds an empty line that is split between two pieces",
			pieces: []string{"GET / HTTP/1.1\r\n\r", "\n"},
			want:   "GET / HTTP/1.1\r\n\r\n",
		},
		{
			name:   "reads a 3 KB head that takes several recvs, sent at once",
			pieces: []string{longHead},
			want:   longHead,
		},
		{
			name:   "reads a 3 KB head that arrives in three pieces, the empty line alone in the last",
			pieces: []string{longHead[:1000], longHead[1000 : len(longHead)-2], "\r\n"},
			want:   longHead,
		},
		{
			name:   "keeps the bytes that came after the empty line in the same read",
			pieces: []string{"POST / HTTP/1.1\r\n\r\nname=you"},
			want:   "POST / HTTP/1.1\r\n\r\nname=you",
		},
		{
			name:        "returns what arrived when the client hangs up before the empty line",
			pieces:      []string{"GET / HTTP/1.1\r\n", "Host: x\r\n"},
			clientHangs: true,
			want:        "GET / HTTP/1.1\r\nHost: x\r\n",
		},
		{
			name:        "returns nothing when the client hangs up without sending anything",
			clientHangs: true,
			want:        "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server, client, _, closeClient := socketPair(t)

			written := make(chan error, 1)
			go func() {
				for i, piece := range tt.pieces {
					if i > 0 {
						time.Sleep(5 * time.Millisecond) // let recvHead read the piece before
					}
					if err := writeAll(client, []byte(piece)); err != nil {
						written <- err
						return
					}
				}
				if tt.clientHangs {
					closeClient()
				}
				written <- nil
			}()
			// Registered after socketPair's, so it runs before the sockets
			// close: a writer still running must not write to a number that
			// the next test's socket may get.
			t.Cleanup(func() { <-written })

			stop := watchRecv(t, server)
			got, err := recvHead(server)
			stop()
			if err != nil {
				t.Fatalf("recvHead error: %v (got %q so far)", err, got)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("recvHead mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRecvHeadReturnsTheErrorOfAFailedRecv(t *testing.T) {
	_, err := recvHead(-1)
	if !errors.Is(err, syscall.EBADF) {
		t.Errorf("recvHead on a closed descriptor: got error %v, want EBADF", err)
	}
}

// serveOne has handleRequest serve one client on a socket pair: the
// client sends request, shuts down its sending side and reads until the
// end of the stream. It returns all that the client read, once
// handleRequest has returned (and closed the server's end).
func serveOne(t *testing.T, request string) []byte {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	require.NoError(t, err, "socketpair")
	server, client := fds[0], fds[1]
	closeClient := closeOnce(t, client)

	served := make(chan struct{})
	go func() {
		defer close(served)
		handleRequest(server, &syscall.SockaddrUnix{})
	}()
	require.NoError(t, writeAll(client, []byte(request)), "write")
	syscall.Shutdown(client, syscall.SHUT_WR)

	var response []byte
	buffer := make([]byte, 4096)
	for {
		n, err := syscall.Read(client, buffer)
		if err == syscall.EINTR {
			continue
		}
		if err != nil || n == 0 {
			break
		}
		response = append(response, buffer[:n]...)
	}
	<-served
	closeClient()
	return response
}

func TestHandleRequestAnswersHEADWithoutABody(t *testing.T) {
	tests := []struct {
		name       string
		request    string
		wantStatus int
		wantBody   bool
	}{
		{"answers HEAD for a page with the header fields of GET and no body", "HEAD /hello HTTP/1.1\r\nHost: h\r\n\r\n", http.StatusOK, false},
		{"answers HEAD for an unknown path with a 404 without a body", "HEAD /nowhere HTTP/1.1\r\nHost: h\r\n\r\n", http.StatusNotFound, false},
		{"answers HEAD with a bad header line with a 400 without a body", "HEAD / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", http.StatusBadRequest, false},
		{"answers HEAD that ends before its empty line with a 400 without a body", "HEAD / HTTP/1.1\r\nHost: h\r\n", http.StatusBadRequest, false},
		{"answers GET for a page with its body", "GET /hello HTTP/1.1\r\nHost: h\r\n\r\n", http.StatusOK, true},
		{"answers GET with a bad header line with a 400 and its body", "GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", http.StatusBadRequest, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := serveOne(t, tt.request)
			resp := readHead(t, raw)
			_, body, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("got status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if !resp.Close {
				t.Errorf("got header fields %v, want Connection: close", resp.Header)
			}
			// The Content-Length is the body's that GET would get, sent or not.
			if resp.ContentLength <= 0 {
				t.Errorf("got Content-Length %d, want the length of the body", resp.ContentLength)
			}
			if tt.wantBody && int64(len(body)) != resp.ContentLength {
				t.Errorf("got a body of %d bytes, want %d", len(body), resp.ContentLength)
			}
			if !tt.wantBody && len(body) != 0 {
				t.Errorf("got %d bytes after the head, want none: %q", len(body), body)
			}
		})
	}
}

func TestHandleRequestGivesHEADTheHeaderFieldsOfGET(t *testing.T) {
	get := readHead(t, serveOne(t, "GET /hello?name=you HTTP/1.1\r\nHost: h\r\n\r\n"))
	head := readHead(t, serveOne(t, "HEAD /hello?name=you HTTP/1.1\r\nHost: h\r\n\r\n"))
	// The bodies differ in one line only, "method:  GET" or "method:
	// HEAD": HEAD's would be one byte longer.
	if head.ContentLength != get.ContentLength+1 {
		t.Errorf("HEAD got Content-Length %d, want GET's %d and one byte more", head.ContentLength, get.ContentLength)
	}
	if head.StatusCode != get.StatusCode {
		t.Errorf("HEAD got status %d, GET %d; want the same", head.StatusCode, get.StatusCode)
	}
	get.Header.Del("Content-Length")
	head.Header.Del("Content-Length")
	if diff := cmp.Diff(get.Header, head.Header); diff != "" {
		t.Errorf("HEAD's header fields differ from GET's (-GET +HEAD):\n%s", diff)
	}
}

// readHead reads the status line and header fields of a response, and
// nothing of its body.
func readHead(t *testing.T, raw []byte) *http.Response {
	t.Helper()
	head, _, found := bytes.Cut(raw, []byte("\r\n\r\n"))
	if !found {
		t.Fatalf("got %q, want a response head", raw)
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(append(head, "\r\n\r\n"...))), &http.Request{Method: "HEAD"})
	require.NoError(t, err, "reading the response head %q", head)
	return resp
}

// serveOneOverTCP has handleRequest serve one client on 127.0.0.1, as
// serveForever would: it listens with createListenSocket, accepts and
// calls handleRequest. It returns the client's connection, which gives
// up after five seconds whatever happens, and a channel closed when
// handleRequest returns.
func serveOneOverTCP(t *testing.T) (net.Conn, <-chan struct{}) {
	t.Helper()
	listenSocket, err := createListenSocket("127.0.0.1:0")
	require.NoError(t, err, "createListenSocket")
	closeListener := closeOnce(t, listenSocket)
	addr, err := syscall.Getsockname(listenSocket)
	require.NoError(t, err, "getsockname")

	served := make(chan struct{})
	go func() {
		defer close(served)
		defer closeListener()
		clientConn, clientAddr, err := syscall.Accept(listenSocket)
		if err != nil {
			t.Errorf("accept: %v", err)
			return
		}
		handleRequest(clientConn, clientAddr)
	}()

	conn, err := net.Dial("tcp", formatAddr(addr))
	require.NoError(t, err, "dial")
	require.NoError(t, conn.SetDeadline(time.Now().Add(5*time.Second)), "SetDeadline")
	// handleRequest has no deadline of its own: if the test fails before
	// the server has answered, closing the connection lets it return.
	t.Cleanup(func() { conn.Close(); <-served })
	return conn, served
}

func TestHandleRequestOverTCPReadsTheWholeHead(t *testing.T) {
	// Each request is sent in pieces, 20 ms apart, on a real TCP
	// connection: the server must answer once, after the last piece, and
	// close normally, with nothing unread (an unread byte would make the
	// kernel reset the connection, and the client's read fail).
	tests := []struct {
		name     string
		pieces   []string
		wantShow string // a line the answer's body must hold
	}{
		{
			name:     "answers a head sent in one piece",
			pieces:   []string{"GET /hello?name=you HTTP/1.1\r\nHost: h\r\n\r\n"},
			wantShow: "query:   name=you",
		},
		{
			name:     "answers a head whose empty line comes alone in the last of three pieces",
			pieces:   []string{"GET /hello?name=you HTTP/1.1\r\n", "Host: h\r\n", "\r\n"},
			wantShow: "query:   name=you",
		},
		{
			name:     "answers a 3 KB head whose empty line comes alone in the last of three pieces",
			pieces:   []string{longHead[:1500], longHead[1500 : len(longHead)-2], "\r\n"},
			wantShow: "  Cookie: session=0123456789abcdef; ",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, served := serveOneOverTCP(t)
			for i, piece := range tt.pieces {
				if i > 0 {
					time.Sleep(20 * time.Millisecond)
				}
				_, err := io.WriteString(conn, piece)
				require.NoError(t, err, "sending piece %d", i+1)
			}
			raw, err := io.ReadAll(conn)
			require.NoError(t, err, "reading the answer (after %q)", raw)
			<-served

			resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil)
			require.NoError(t, err, "reading the response %q", raw)
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err, "reading the body")
			if resp.StatusCode != http.StatusOK {
				t.Errorf("got status %d, want 200: %s", resp.StatusCode, body)
			}
			if !strings.Contains(string(body), tt.wantShow) {
				t.Errorf("got body %q, want it to show %q", body, tt.wantShow)
			}
		})
	}
}
