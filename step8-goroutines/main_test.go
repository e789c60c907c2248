package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/lsbaws-go/lsbaws-go/apps"
)

// socketPair returns the two ends of a TCP connection on the loopback
// interface: server, the end that readBody reads, and client. Both are
// closed when the test ends; closeClient closes the client's end
// earlier, once only.
func socketPair(t *testing.T) (server, client net.Conn, closeClient func()) {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err, "listen")
	defer listener.Close()
	client, err = net.Dial("tcp", listener.Addr().String())
	require.NoError(t, err, "dial")
	server, err = listener.Accept()
	require.NoError(t, err, "accept")
	closeOnce(t, server)
	return server, client, closeOnce(t, client)
}

// closeOnce returns a function that closes conn the first time it is
// called, and has t.Cleanup call it too.
func closeOnce(t *testing.T, conn net.Conn) func() {
	var once sync.Once
	closeConn := func() { once.Do(func() { conn.Close() }) }
	t.Cleanup(closeConn)
	return closeConn
}

// writeAll writes data to conn: net's Write sends it all.
func writeAll(conn net.Conn, data []byte) error {
	_, err := conn.Write(data)
	return err
}

// readWholeBody reads the request's body as an application would, to
// its end, through newBodyReader.
func readWholeBody(server net.Conn, arrived string, req request, deadline time.Time) ([]byte, error) {
	body, err := newBodyReader(server, []byte(arrived), req, deadline)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(body)
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
			got, err := readWholeBody(server, tt.arrived, parsed(t, tt.head), time.Now().Add(time.Second))
			require.NoError(t, err)
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("body differs (-want +got):\n%s", diff)
			}
			if tt.wantLeft != "" {
				left := make([]byte, 64)
				server.SetReadDeadline(time.Now().Add(time.Second))
				n, _ := server.Read(left)
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
			_, err := readWholeBody(server, tt.arrived, parsed(t, tt.head), time.Now().Add(200*time.Millisecond))
			// A writer still blocked on a full socket gives up.
			server.Close()
			<-written
			var reqErr *requestError
			if !errors.As(err, &reqErr) || reqErr.status != tt.wantStatus {
				t.Errorf("got %v, want a requestError with status %d", err, tt.wantStatus)
			}
		})
	}
}

// serveOn runs the server's accept loop in this process, as
// serveForever does, with app, no more than maxConns connections at
// once, on a free port of 127.0.0.1, until the test ends, when it shuts
// down; it returns the address. What the server prints goes to the
// test's standard output.
func serveOn(t *testing.T, app http.Handler, maxConns ...int) string {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	conns := newConnections(append(maxConns, 64)[0])
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
				handleRequest(clientConn, 5*time.Second, 5*time.Second, 0, app, conns.terminated)
			})
		}
	}()
	t.Cleanup(func() {
		if !shutdown(listener, conns, 5*time.Second) {
			t.Error("the requests in flight did not finish within 5s of the shutdown")
		}
		<-done
	})
	return listener.Addr().String()
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
	app, err := apps.New("stdlib")
	require.NoError(t, err)
	addr := serveOn(t, app)

	resp, body, err := roundTrip(t, addr, "GET /panic HTTP/1.1\r\nHost: h\r\n\r\n")
	require.NoError(t, err)
	if resp.StatusCode != http.StatusInternalServerError || !strings.HasPrefix(body, "500 Internal Server Error: ") {
		t.Errorf("GET /panic got %d %q, want 500 and the reason", resp.StatusCode, body)
	}
	if strings.Contains(body, apps.PanicMessage) {
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

// readAllFrom sends raw to addr, then reads until the server closes the
// connection, and returns what came.
func readAllFrom(t *testing.T, addr, raw string) string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	_, err = io.WriteString(conn, raw)
	require.NoError(t, err)
	got, err := io.ReadAll(conn)
	require.NoError(t, err)
	return string(got)
}

// TestAnAnswerToHEADHasNoBodyEvenAnError checks issue 12's finding that
// an error answer to HEAD carried a body, which a client reads as the
// start of the next response (RFC 9110, section 9.3.2).
func TestAnAnswerToHEADHasNoBodyEvenAnError(t *testing.T) {
	app, err := apps.New("stdlib")
	require.NoError(t, err)
	addr := serveOn(t, app)
	tests := []struct{ name, raw, wantStatus string }{
		{"answers a HEAD without Host with 400 and no body", "HEAD /hello HTTP/1.1\r\n\r\n", "400 Bad Request"},
		{"answers a HEAD whose header line is bad with 400 and no body", "HEAD /hello HTTP/1.1\r\nHost: h\r\nno colon\r\n\r\n", "400 Bad Request"},
		{"answers a HEAD of an unknown version with 505 and no body", "HEAD /hello HTTP/2.0\r\nHost: h\r\n\r\n", "505 HTTP Version Not Supported"},
		{"answers a HEAD with a body too large with 413 and no body", "HEAD /hello HTTP/1.1\r\nHost: h\r\nContent-Length: 2000000\r\n\r\n", "413 Request Entity Too Large"},
		{"answers a HEAD with a control byte in its target with 400 and no body", "HEAD /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n", "400 Bad Request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readAllFrom(t, addr, tt.raw)
			head, body, found := strings.Cut(got, "\r\n\r\n")
			if !found || !strings.HasPrefix(head, "HTTP/1.1 "+tt.wantStatus+"\r\n") {
				t.Fatalf("got %q, want a %s head", got, tt.wantStatus)
			}
			if body != "" {
				t.Errorf("got the body %q after the head, want none", body)
			}
			if !strings.Contains(head, "\r\nContent-Length: ") {
				t.Errorf("the head %q has no Content-Length: it should have the one a GET's answer has", head)
			}
		})
	}
}

// TestAClientStillUploadingReadsIts413Whole checks issue 12's tenth
// finding: the server closed with the client's body unread, the kernel
// answered the client's next bytes with a reset, and the client could
// lose the 413 it had been sent (RFC 9112, section 9.6).
func TestAClientStillUploadingReadsIts413Whole(t *testing.T) {
	app, err := apps.New("stdlib")
	require.NoError(t, err)
	addr := serveOn(t, app)
	for i := range 3 {
		t.Run(fmt.Sprintf("a client that goes on sending its 2 MB body reads the whole 413, try %d", i+1), func(t *testing.T) {
			conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
			require.NoError(t, err)
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			io.WriteString(conn, "POST /hello HTTP/1.1\r\nHost: h\r\nContent-Length: 2000000\r\n\r\n")
			go func() {
				piece := make([]byte, 16<<10)
				for range 2000000 / len(piece) {
					if _, err := conn.Write(piece); err != nil {
						return
					}
					time.Sleep(time.Millisecond)
				}
			}()
			reader := bufio.NewReader(conn)
			resp, err := http.ReadResponse(reader, nil)
			require.NoError(t, err, "reading the head of the answer")
			body, err := io.ReadAll(resp.Body)
			if err != nil || resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.HasPrefix(string(body), "413 ") {
				t.Errorf("got %d %q, %v; want the whole 413", resp.StatusCode, body, err)
			}
			// Then the end of the answer: the server's FIN, not a reset.
			if rest, err := io.ReadAll(reader); err != nil || len(rest) > 0 {
				t.Errorf("after the 413 got %q and %v, want the end of the stream", rest, err)
			}
		})
	}
}

// TestABodyIsReadAsItArrivesNotAllocatedByItsLength checks issue 12's
// second finding: a Content-Length of 1 MiB made the server set 1 MiB
// aside before a byte of body had come. Now the announced length is a
// limit: the body is read in pieces, as the application asks.
func TestABodyIsReadAsItArrivesNotAllocatedByItsLength(t *testing.T) {
	server, client, closeClient := socketPair(t)
	require.NoError(t, writeAll(client, []byte("x")))
	closeClient()
	req := parsed(t, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1048576\r\n\r\n")

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	body, err := newBodyReader(server, nil, req, time.Now().Add(time.Second))
	require.NoError(t, err)
	n, err := io.Copy(io.Discard, body)
	runtime.ReadMemStats(&after)

	if n != 1 || !isRequestError(err) {
		t.Errorf("read %d bytes and %v, want 1 byte and the 400 of a body that ended early", n, err)
	}
	if got, most := after.TotalAlloc-before.TotalAlloc, uint64(64<<10); got > most {
		t.Errorf("reading 1 byte of a body announced as 1 MiB allocated %d bytes, want at most %d", got, most)
	}
}

// TestSendallGivesUpAtItsDeadline checks issue 12's first finding: a
// client that never reads held the iterative server in sendall forever.
// The connection's write deadline bounds the send.
func TestSendallGivesUpAtItsDeadline(t *testing.T) {
	server, _, _ := socketPair(t) // the client end is never read
	done := make(chan error, 1)
	go func() { done <- sendall(server, make([]byte, 4<<20), time.Now().Add(100*time.Millisecond)) }()
	select {
	case err := <-done:
		if !errors.Is(err, errTimedOut) {
			t.Errorf("got %v, want errTimedOut", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("sendall to a client that never reads did not return within 10 s")
	}
}

// expectContinueApp answers POST /upload with the size of the body it
// read, and GET /ignore without reading it.
func expectContinueApp() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /upload", func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		fmt.Fprintf(w, "read %d\n", n)
	})
	mux.HandleFunc("POST /ignore", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ignored\n")
	})
	return mux
}

// TestTheServerSends100ContinueWhenTheAppReads checks issue 12's
// seventh finding: a client that sent Expect: 100-continue waited in
// vain (curl: a second) before it sent its body.
func TestTheServerSends100ContinueWhenTheAppReads(t *testing.T) {
	addr := serveOn(t, expectContinueApp())
	t.Run("sends 100 Continue, then reads the body and answers", func(t *testing.T) {
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		require.NoError(t, err)
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(conn, "POST /upload HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 5\r\n\r\n")
		reader := bufio.NewReader(conn)
		interim := make([]byte, len(continueResponse))
		_, err = io.ReadFull(reader, interim)
		require.NoError(t, err, "waiting for 100 Continue before sending the body")
		if string(interim) != continueResponse {
			t.Fatalf("got %q first, want %q", interim, continueResponse)
		}
		io.WriteString(conn, "hello")
		rest, _ := io.ReadAll(reader)
		if !strings.HasPrefix(string(rest), "HTTP/1.1 200 OK\r\n") || !strings.HasSuffix(string(rest), "read 5\n") {
			t.Errorf("after the body got %q, want 200 and read 5", rest)
		}
		if strings.Contains(string(rest), "100 Continue") {
			t.Errorf("got a second 100 Continue in %q", rest)
		}
	})
	t.Run("sends no 100 Continue when the app does not read the body", func(t *testing.T) {
		got := readAllFrom(t, addr, "POST /ignore HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
		if !strings.HasPrefix(got, "HTTP/1.1 200 OK\r\n") || strings.Contains(got, "100 Continue") {
			t.Errorf("got %q, want the 200 alone", got)
		}
	})
}

// TestAnUnreadBodyIsThrownAwayNotReset checks that a body the
// application did not read is read by the server after it, so that
// the connection ends with a FIN, not a RST that could cost the client
// its response.
func TestAnUnreadBodyIsThrownAwayNotReset(t *testing.T) {
	addr := serveOn(t, expectContinueApp())
	for _, size := range []int{10, 100 << 10} {
		t.Run(fmt.Sprintf("reads the response to a %d-byte body the app ignored, then the end of the stream", size), func(t *testing.T) {
			got := readAllFrom(t, addr, fmt.Sprintf("POST /ignore HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n%s", size, strings.Repeat("b", size)))
			if !strings.HasPrefix(got, "HTTP/1.1 200 OK\r\n") || !strings.HasSuffix(got, "ignored\n") {
				t.Errorf("got %q, want the 200", got)
			}
		})
	}
}
