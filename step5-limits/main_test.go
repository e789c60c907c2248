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
			name:       "answers 400 with the reason to a bad request",
			err:        &requestError{http.StatusBadRequest, reason},
			wantStatus: "400 Bad Request",
			wantBody:   "400 Bad Request: " + reason + "\n",
		},
		{
			name:       "answers 431 to a head that is too long",
			err:        &requestError{http.StatusRequestHeaderFieldsTooLarge, "the request's head is longer than 65536 bytes"},
			wantStatus: "431 Request Header Fields Too Large",
			wantBody:   "431 Request Header Fields Too Large: the request's head is longer than 65536 bytes\n",
		},
		{
			name:       "finds the status of a wrapped request error",
			err:        fmt.Errorf("parsing: %w", &requestError{http.StatusRequestHeaderFieldsTooLarge, "too long"}),
			wantStatus: "431 Request Header Fields Too Large",
			wantBody:   "431 Request Header Fields Too Large: parsing: too long\n",
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

func TestMakeResponseIsValidHTTP(t *testing.T) {
	raw := makeResponse("200 OK", "Hello, World!")

	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil)
	if err != nil {
		t.Fatalf("net/http cannot read the response %q: %v", raw, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err, "reading the body")

	type summary struct {
		Proto         string
		StatusCode    int
		ContentType   string
		ContentLength int64
		Close         bool
		Body          string
	}
	want := summary{"HTTP/1.1", 200, "text/plain; charset=utf-8", 13, true, "Hello, World!"}
	got := summary{resp.Proto, resp.StatusCode, resp.Header.Get("Content-Type"), resp.ContentLength, resp.Close, string(body)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("net/http read the response as (-want +got):\n%s", diff)
	}
}

// socketPair returns the two ends of a connected stream socket: server,
// the end that recvHead reads, and client. Both are closed when the test
// ends, and the returned functions close them earlier; each end is
// closed once only, since after a close the kernel may give its number
// to the next file that opens.
//
// The sockets get no timeouts: a read with a timeout that a signal
// interrupts fails with EINTR instead of going on, and the Go runtime
// signals its threads now and then. See watchRecv for the guard.
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

// watchRecv guards a recvHead on server that might wait forever: if the
// returned stop is not called within a second, it shuts the socket down,
// so that recvHead returns, and stop then fails the test.
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
			name:   "finds an empty line that is split between two pieces",
			pieces: []string{"GET / HTTP/1.1\r\n\r", "\n"},
			want:   "GET / HTTP/1.1\r\n\r\n",
		},
		{
			name:   "reads on past one empty line before the request line, as parseRequest ignores it",
			pieces: []string{"\r\n", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"},
			want:   "\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
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
			got, err := recvHead(server, time.Now().Add(time.Minute))
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

func TestRecvHeadStopsPastMaxHeadBytes(t *testing.T) {
	server, client, closeServer, _ := socketPair(t)

	// The client sends a request line, then a header field far longer
	// than maxHeadBytes and never an empty line; it stops when the server
	// hangs up (its write fails with EPIPE).
	written := make(chan struct{})
	go func() {
		defer close(written)
		writeAll(client, append([]byte("GET / HTTP/1.1\r\nX-Long: "), bytes.Repeat([]byte("a"), 4*maxHeadBytes)...))
	}()

	stop := watchRecv(t, server)
	got, err := recvHead(server, time.Now().Add(time.Minute))
	stop()
	closeServer()
	<-written
	require.NoError(t, err, "recvHead error")
	if len(got) <= maxHeadBytes || len(got) > maxHeadBytes+recvBufferSize {
		t.Errorf("recvHead returned %d bytes, want more than maxHeadBytes (%d) and at most one recv more (%d)",
			len(got), maxHeadBytes, maxHeadBytes+recvBufferSize)
	}
	_, err = parseRequest(got)
	checkRequestError(t, err, http.StatusRequestHeaderFieldsTooLarge)
}

func TestRecvHeadStopsAtTheDeadline(t *testing.T) {
	server, client, _, _ := socketPair(t)
	require.NoError(t, writeAll(client, []byte("GET / HTTP/1.1\r\nHost: h\r\n")), "write")

	got, err := recvHead(server, time.Now().Add(100*time.Millisecond))
	if !errors.Is(err, errTimedOut) {
		t.Fatalf("got error %v, want errTimedOut", err)
	}
	if string(got) != "GET / HTTP/1.1\r\nHost: h\r\n" {
		t.Errorf("got %q, want what arrived before the deadline", got)
	}
}

func TestDiscardBody(t *testing.T) {
	t.Run("reads the rest of the body after what came with the head", func(t *testing.T) {
		server, client, _, _ := socketPair(t)
		require.NoError(t, writeAll(client, []byte("world!NEXT")), "write")
		err := discardBody(server, []byte("hello "), len("hello world!"), time.Now().Add(time.Second))
		require.NoError(t, err)
		rest := make([]byte, 16)
		n, _ := syscall.Read(server, rest)
		if string(rest[:n]) != "NEXT" {
			t.Errorf("discardBody read past the body: what is left is %q, want %q", rest[:n], "NEXT")
		}
	})
	t.Run("answers 413 to a body over maxBodyBytes without reading it", func(t *testing.T) {
		err := discardBody(-1, nil, maxBodyBytes+1, time.Now().Add(time.Second))
		var reqErr *requestError
		if !errors.As(err, &reqErr) || reqErr.status != http.StatusRequestEntityTooLarge {
			t.Errorf("got %v, want a 413 requestError", err)
		}
	})
	t.Run("answers 408 when the body does not arrive in time", func(t *testing.T) {
		server, _, _, _ := socketPair(t)
		err := discardBody(server, nil, 10, time.Now().Add(50*time.Millisecond))
		var reqErr *requestError
		if !errors.As(err, &reqErr) || reqErr.status != http.StatusRequestTimeout {
			t.Errorf("got %v, want a 408 requestError", err)
		}
	})
}

func TestRouteAnswers501ToMethodsOtherThanGetAndHead(t *testing.T) {
	for _, method := range []string{"POST", "PUT", "DELETE", "BREW"} {
		t.Run("answers 501 to "+method, func(t *testing.T) {
			status, body := route(request{Method: method, Path: "/hello", Version: "HTTP/1.1"}, nil)
			if status != "501 Not Implemented" || !strings.Contains(body, method) {
				t.Errorf("got %q, %q; want 501 Not Implemented naming %s", status, body, method)
			}
		})
	}
}

// maxErrorBodyBytes is the most an error answer's body may weigh,
// whatever the client sent: the answer must reach even a client that
// reads slowly, within the write timeout.
const maxErrorBodyBytes = 1 << 10

func TestErrorBodiesStayShortWhateverTheInput(t *testing.T) {
	// Each input is as long as the limits let it be (8 KiB for the
	// request line, 64 KiB for the head) and breaks one rule whose reason
	// quotes the client's bytes.
	const ok = "GET / HTTP/1.1\r\nHost: h\r\n"
	line := func(n int, c string) string { return strings.Repeat(c, n) }
	longPath := "/" + line(maxRequestLineBytes-len("GET / HTTP/1.1"), "a")
	tests := []struct {
		name  string
		input string
	}{
		{"a 60 KB header line of control bytes", ok + "X: " + line(60<<10, "\x01") + "\r\n\r\n"},
		{"a 60 KB header line without a colon", ok + line(60<<10, "a") + "\r\n\r\n"},
		{"a 60 KB header name that is not a token", ok + line(60<<10, "(") + ": v\r\n\r\n"},
		{"a 60 KB folded header line", ok + " " + line(60<<10, "a") + "\r\n\r\n"},
		{"a 60 KB header line with whitespace before its colon", ok + line(60<<10, "a") + " : v\r\n\r\n"},
		{"a 60 KB Host that is not a host name", "GET / HTTP/1.1\r\nHost: " + line(60<<10, "<") + "\r\n\r\n"},
		{"a 60 KB Content-Length that is not a number", ok + "Content-Length: " + line(60<<10, "x") + "\r\n\r\n"},
		{"two 30 KB Content-Length fields that disagree", ok + "Content-Length: " + line(30<<10, "1") + "\r\nContent-Length: " + line(30<<10, "2") + "\r\n\r\n"},
		{"an 8 KB request line of two words", "GET " + longPath + "\r\n\r\n"},
		{"an 8 KB method that is not a token", line(maxRequestLineBytes-len(" / HTTP/1.1"), "(") + " / HTTP/1.1\r\n\r\n"},
		{"an 8 KB version", "GET / " + line(maxRequestLineBytes-len("GET / "), "H") + "\r\n\r\n"},
		{"an 8 KB target with a byte that must be encoded", "GET /\x80" + longPath[2:] + " HTTP/1.1\r\n\r\n"},
		{"an 8 KB target with a bad percent escape", "GET /%zz" + longPath[4:] + " HTTP/1.1\r\n\r\n"},
		{"an 8 KB target that is not a path", "GET " + longPath[1:] + "a HTTP/1.1\r\n\r\n"},
		{"an 8 KB absolute URL with a bad host", "GET http://" + line(maxRequestLineBytes-len("GET http:// HTTP/1.1"), "<") + " HTTP/1.1\r\n\r\n"},
		{"an 8 KB path that is not a page", "GET " + longPath + " HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"an 8 KB method that this server does not implement", line(maxRequestLineBytes-len(" / HTTP/1.1"), "A") + " / HTTP/1.1\r\nHost: h\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run("answers "+tt.name+" with a body under 1 KiB", func(t *testing.T) {
			status, body := route(parseRequest([]byte(tt.input)))
			if strings.HasPrefix(status, "200") {
				t.Fatalf("got %s, want an error answer", status)
			}
			if len(body) >= maxErrorBodyBytes {
				t.Errorf("got a %s body of %d bytes, want under %d: %.200q...", status, len(body), maxErrorBodyBytes, body)
			}
		})
	}
}

func TestSendallGivesUpAtTheDeadline(t *testing.T) {
	// The server's send buffer is small and the client reads nothing, or
	// stops reading: the kernel soon has no room for more of the payload,
	// and a send without a timeout would wait for ever.
	const (
		bufferSize = 4096
		timeout    = 200 * time.Millisecond
	)
	payload := bytes.Repeat([]byte("x"), 1<<20)
	tests := []struct {
		name      string
		readFirst int // bytes the client reads before it stops reading; -1 reads all
		wantErr   error
	}{
		{"returns a timeout error when the client reads nothing", 0, errTimedOut},
		{"returns a timeout error when the client stops reading half way", len(payload) / 2, errTimedOut},
		{"sends every byte to a client that reads them all", -1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server, client, _, _ := socketPair(t)
			require.NoError(t, syscall.SetsockoptInt(server, syscall.SOL_SOCKET, syscall.SO_SNDBUF, bufferSize), "setsockopt SO_SNDBUF")
			require.NoError(t, syscall.SetsockoptInt(client, syscall.SOL_SOCKET, syscall.SO_RCVBUF, bufferSize), "setsockopt SO_RCVBUF")

			read := make(chan int, 1)
			go func() {
				total, buffer := 0, make([]byte, 64<<10)
				for tt.readFirst < 0 || total < tt.readFirst {
					want := len(buffer)
					if tt.readFirst >= 0 {
						want = min(want, tt.readFirst-total)
					}
					n, err := syscall.Read(client, buffer[:want])
					if err == syscall.EINTR {
						continue
					}
					if err != nil || n == 0 {
						break
					}
					total += n
				}
				read <- total
			}()

			stop := watchCall(t, server, time.Second, "sendall was still sending", "room that the client would never make")
			err := sendall(server, payload, time.Now().Add(timeout))
			stop()
			syscall.Shutdown(server, syscall.SHUT_WR) // a client still reading sees the end
			got := <-read
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("sendall: got error %v, want %v", err, tt.wantErr)
			}
			if tt.readFirst < 0 && got != len(payload) {
				t.Errorf("the client read %d bytes, want %d", got, len(payload))
			}
		})
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
		handleRequest(server, &syscall.SockaddrUnix{}, time.Second, time.Second)
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
		{"answers HEAD with a bad header line with a 400 without a body", "HEAD / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", http.StatusBadRequest, false},
		{"answers HEAD with a mix of line ends with a 400 without a body", "HEAD / HTTP/1.1\r\nHost: h\n\r\n", http.StatusBadRequest, false},
		{"answers HEAD in HTTP/2.0 with a 505 without a body", "HEAD / HTTP/2.0\r\nHost: h\r\n\r\n", http.StatusHTTPVersionNotSupported, false},
		{"answers HEAD with a request line too long with a 414 without a body", "HEAD /" + strings.Repeat("a", maxRequestLineBytes) + " HTTP/1.1\r\n\r\n", http.StatusRequestURITooLong, false},
		{"answers HEAD that ends before its empty line with a 400 without a body", "HEAD / HTTP/1.1\r\nHost: h\r\n", http.StatusBadRequest, false},
		{"answers HEAD for an unknown path with a 404 without a body", "HEAD /nowhere HTTP/1.1\r\nHost: h\r\n\r\n", http.StatusNotFound, false},
		{"answers GET with a bad header line with a 400 and its body", "GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", http.StatusBadRequest, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := serveOne(t, tt.request)
			head, body, found := bytes.Cut(raw, []byte("\r\n\r\n"))
			if !found {
				t.Fatalf("got %q, want a response head", raw)
			}
			resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(append(head, "\r\n\r\n"...))), &http.Request{Method: "HEAD"})
			require.NoError(t, err, "reading the response %q", raw)
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("got status %d, want %d", resp.StatusCode, tt.wantStatus)
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

// serveOneOverTCP has handleRequest serve one client on 127.0.0.1, as
// serveForever would: it listens with createListenSocket, accepts and
// calls handleRequest. The server's sockets get small receive buffers,
// so that a client that sends much soon waits for the server to read.
// It returns the client's connection, which gives up after five seconds
// whatever happens, and a channel closed when handleRequest returns.
func serveOneOverTCP(t *testing.T) (net.Conn, <-chan struct{}) {
	t.Helper()
	listenSocket, err := createListenSocket("127.0.0.1:0")
	require.NoError(t, err, "createListenSocket")
	closeListener := closeOnce(t, listenSocket)
	// An accepted socket takes its buffer sizes from the listening one.
	require.NoError(t, syscall.SetsockoptInt(listenSocket, syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096), "setsockopt SO_RCVBUF")
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
		handleRequest(clientConn, clientAddr, 2*time.Second, 2*time.Second)
	}()

	conn, err := net.Dial("tcp", formatAddr(addr))
	require.NoError(t, err, "dial")
	t.Cleanup(func() { conn.Close() })
	require.NoError(t, conn.(*net.TCPConn).SetWriteBuffer(4096), "SetWriteBuffer")
	require.NoError(t, conn.SetDeadline(time.Now().Add(5*time.Second)), "SetDeadline")
	return conn, served
}

func TestHandleRequestClosesWithoutLosingTheAnswer(t *testing.T) {
	// Each client sends more than the server reads of its request, then
	// reads the answer to the end of the stream. A server that closed with
	// those bytes unread would make its kernel reset the connection: the
	// client's send fails, or its read ends in ECONNRESET, and a client
	// may lose the answer that it had not read yet (RFC 9112, section 9.6).
	const bodySent = 128 << 10 // less than lingerBytes
	tests := []struct {
		name       string
		head       string
		body       int // bytes the client sends after the head, in 16 KiB writes
		wantStatus int
	}{
		{
			name:       "a client still sending the body of a 413 sends it without a reset and reads the whole 413",
			head:       fmt.Sprintf("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n", 2*maxBodyBytes),
			body:       bodySent,
			wantStatus: http.StatusRequestEntityTooLarge,
		},
		{
			name:       "a client still sending after a 400 sends it without a reset and reads the whole 400",
			head:       "GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n",
			body:       bodySent,
			wantStatus: http.StatusBadRequest,
		},
		{
			name:       "a client that pipelines a second request reads the first answer without a reset",
			head:       "GET / HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\nX-Padding: " + strings.Repeat("a", 4<<10) + "\r\n\r\n",
			wantStatus: http.StatusOK,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, served := serveOneOverTCP(t)

			// The client sends as a client would that does not wait for an
			// answer before its body, and reads at the same time.
			answer := make(chan received, 1)
			go func() {
				data, err := io.ReadAll(conn)
				answer <- received{data, err}
			}()
			_, err := conn.Write([]byte(tt.head))
			piece := make([]byte, 16<<10)
			for sent := 0; err == nil && sent < tt.body; sent += len(piece) {
				_, err = conn.Write(piece)
			}
			if err != nil {
				t.Errorf("sending the request: %v", err)
			}
			got := <-answer
			conn.Close()
			<-served

			if got.err != nil {
				t.Errorf("reading the answer: %v (after %d bytes)", got.err, len(got.data))
			}
			resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(got.data)), nil)
			if err != nil {
				t.Fatalf("got %q, want a whole response: %v", got.data, err)
			}
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Errorf("reading the body: %v", err)
			}
			if resp.StatusCode != tt.wantStatus || int64(len(body)) != resp.ContentLength {
				t.Errorf("got %d with %d of %d body bytes, want %d whole", resp.StatusCode, len(body), resp.ContentLength, tt.wantStatus)
			}
		})
	}
}

// received is what a reader got before the end of the stream, or the
// error that stopped it.
type received struct {
	data []byte
	err  error
}

func TestLingerBeforeCloseIsBounded(t *testing.T) {
	tests := []struct {
		name        string
		clientSends bool // the client sends without end; else it sends nothing
		clientHangs bool // the client closes its side first
	}{
		{"returns when the client hangs up", false, true},
		{"returns after lingerTimeout when the client neither sends nor hangs up", false, false},
		{"returns after lingerBytes or lingerTimeout when the client never stops sending", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server, client, closeServer, _ := socketPair(t)
			sent := make(chan int, 1)
			go func() {
				total, piece := 0, make([]byte, 16<<10)
				for tt.clientSends {
					n, err := syscall.Write(client, piece)
					if err == syscall.EINTR {
						continue
					}
					if err != nil {
						break // the server has closed its end
					}
					total += n
				}
				sent <- total
			}()
			if tt.clientHangs {
				syscall.Shutdown(client, syscall.SHUT_WR)
			}

			stop := watchCall(t, server, 3*time.Second, "lingeringClose was still reading", "a client that would never stop")
			lingeringClose(server)
			stop()
			closeServer()
			<-sent

			// The server's side is shut: the client reads the end of the
			// stream. (One that never stopped sending gets a reset: the
			// server closed with its last bytes unread.)
			if tt.clientSends {
				return
			}
			n, err := syscall.Read(client, make([]byte, 1))
			if n != 0 || err != nil {
				t.Errorf("the client's read after lingeringClose: got %d bytes, error %v; want the end of the stream", n, err)
			}
		})
	}
}
