//go:build unix

package main

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

// socketPair returns the two ends of a connected stream socket: server,
// the end that readBody reads, and client. Both are closed when the test
// ends; closeClient closes the client's end earlier, once only.
func socketPair(t *testing.T) (server, client int, closeClient func()) {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	require.NoError(t, err, "socketpair")
	closeOnce(t, fds[0])
	return fds[0], fds[1], closeOnce(t, fds[1])
}

// closeOnce returns a function that closes fd the first time it is
// called, and has t.Cleanup call it too.
func closeOnce(t *testing.T, fd int) func() {
	var once sync.Once
	closeFD := func() { once.Do(func() { syscall.Close(fd) }) }
	t.Cleanup(closeFD)
	return closeFD
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

func TestReadBody(t *testing.T) {
	tests := []struct {
		name     string
		head     string // parsed for the request's framing
		arrived  string // what came with the head, after its empty line
		later    string // what the client sends afterwards
		want     string
		wantLeft string // what must still be unread in the socket
	}{
		{
			name:     "reads the rest of a Content-Length body after what came with the head, and no further",
			head:     "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\n\r\n",
			arrived:  "hello ",
			later:    "world!NEXT",
			want:     "hello world!",
			wantLeft: "NEXT",
		},
		{
			name:    "takes a Content-Length body that came whole with the head",
			head:    "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n",
			arrived: "hello",
			want:    "hello",
		},
		{
			name: "reads nothing for a request without a body",
			head: "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
			want: "",
		},
		{
			name:    "decodes a chunked body that arrives partly with the head and partly after",
			head:    "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
			arrived: "7\r\nHel",
			later:   "lo, \r\n6\r\nWorld!\r\n0\r\n\r\n",
			want:    "Hello, World!",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server, client, _ := socketPair(t)
			require.NoError(t, writeAll(client, []byte(tt.later)))
			got, err := readBody(server, []byte(tt.arrived), parsed(t, tt.head), time.Now().Add(time.Second))
			require.NoError(t, err)
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("body differs (-want +got):\n%s", diff)
			}
			if tt.wantLeft != "" {
				left := make([]byte, 64)
				n, _ := syscall.Read(server, left)
				if string(left[:n]) != tt.wantLeft {
					t.Errorf("readBody read past the body: %q is left, want %q", left[:n], tt.wantLeft)
				}
			}
		})
	}
}

func TestReadBodyAnswersWhatGoesWrong(t *testing.T) {
	tests := []struct {
		name        string
		head        string
		arrived     string
		later       string
		clientHangs bool
		wantStatus  int
	}{
		{
			name:       "answers 413 to a Content-Length over maxBodyBytes, without reading",
			head:       "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1048577\r\n\r\n",
			wantStatus: http.StatusRequestEntityTooLarge,
		},
		{
			name:       "answers 413 to a chunked body that grows past maxBodyBytes",
			head:       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
			arrived:    "80000\r\n", // 512 KiB, then another
			later:      strings.Repeat("x", 0x80000) + "\r\n80001\r\n",
			wantStatus: http.StatusRequestEntityTooLarge,
		},
		{
			name:       "answers 408 to a body that does not arrive in time",
			head:       "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n",
			arrived:    "abc",
			wantStatus: http.StatusRequestTimeout,
		},
		{
			name:       "answers 408 to a chunked body whose last chunk does not arrive in time",
			head:       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
			arrived:    "3\r\nabc\r\n",
			wantStatus: http.StatusRequestTimeout,
		},
		{
			name:        "answers 400 when the client hangs up inside a Content-Length body",
			head:        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n",
			arrived:     "abc",
			clientHangs: true,
			wantStatus:  http.StatusBadRequest,
		},
		{
			name:        "answers 400 when the client hangs up before the last chunk",
			head:        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
			arrived:     "3\r\nabc\r\n",
			clientHangs: true,
			wantStatus:  http.StatusBadRequest,
		},
		{
			name:       "answers 400 to malformed chunks",
			head:       "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
			arrived:    "zz\r\n",
			wantStatus: http.StatusBadRequest,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server, client, closeClient := socketPair(t)
			written := make(chan struct{})
			go func() {
				defer close(written)
				writeAll(client, []byte(tt.later))
			}()
			if tt.clientHangs {
				<-written
				closeClient()
			}
			_, err := readBody(server, []byte(tt.arrived), parsed(t, tt.head), time.Now().Add(200*time.Millisecond))
			// A writer still blocked on a full socket gives up.
			syscall.Shutdown(server, syscall.SHUT_RDWR)
			<-written
			var reqErr *requestError
			if !errors.As(err, &reqErr) || reqErr.status != tt.wantStatus {
				t.Errorf("got %v, want a requestError with status %d", err, tt.wantStatus)
			}
		})
	}
}

// serveOn runs the server's loop of serveForever in this process, with
// app, on a free port of 127.0.0.1, until the test ends; it returns the
// address. What the server prints goes to the test's standard output.
func serveOn(t *testing.T, app http.Handler) string {
	t.Helper()
	listenSocket, err := createListenSocket("127.0.0.1:0")
	require.NoError(t, err)
	bound, err := syscall.Getsockname(listenSocket)
	require.NoError(t, err)
	addr := formatAddr(bound)

	var stopping atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			clientConn, clientAddr, err := syscall.Accept(listenSocket)
			if stopping.Load() {
				if err == nil {
					syscall.Close(clientConn)
				}
				return
			}
			if err != nil {
				continue // EINTR or a client that left before accept
			}
			handleRequest(clientConn, clientAddr, 5*time.Second, 0, app)
		}
	}()
	t.Cleanup(func() {
		// accept does not return when another thread closes the socket:
		// connect once more to wake it, then close.
		stopping.Store(true)
		if conn, err := net.Dial("tcp", addr); err == nil {
			conn.Close()
		}
		<-done
		syscall.Close(listenSocket)
	})
	return addr
}

// roundTrip sends raw to addr and reads the response with net/http's
// client code.
func roundTrip(t *testing.T, addr, raw string) (*http.Response, string, error) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	_, err = io.WriteString(conn, raw)
	require.NoError(t, err)
	method, _, _ := strings.Cut(raw, " ")
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, string(body), err
}

func TestTheServerGoesOnAfterTheAppPanics(t *testing.T) {
	app, err := newApp("stdlib")
	require.NoError(t, err)
	addr := serveOn(t, app)

	resp, body, err := roundTrip(t, addr, "GET /panic HTTP/1.1\r\nHost: h\r\n\r\n")
	require.NoError(t, err)
	if resp.StatusCode != http.StatusInternalServerError || !strings.HasPrefix(body, "500 Internal Server Error: ") {
		t.Errorf("GET /panic got %d %q, want 500 and the reason", resp.StatusCode, body)
	}
	if strings.Contains(body, panicMessage) {
		t.Errorf("the body %q tells the client the panic's value; only the console should", body)
	}

	resp, body, err = roundTrip(t, addr, "GET /hello HTTP/1.1\r\nHost: h\r\n\r\n")
	require.NoError(t, err)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(body, "Hello, World!\n") {
		t.Errorf("the next request got %d %q, want 200 and the greeting", resp.StatusCode, body)
	}
}

func TestAPanicAfterTheHeadWentOutCutsTheResponseShort(t *testing.T) {
	addr := serveOn(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "begun\n")
		w.(http.Flusher).Flush()
		panic("too late for a 500")
	}))
	resp, body, err := roundTrip(t, addr, "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
	if resp == nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("got %v, %v; want the 200 that had gone out", resp, err)
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) || body != "begun\n" {
		t.Errorf("got the body %q and %v, want %q cut short (io.ErrUnexpectedEOF)", body, err, "begun\n")
	}
}
