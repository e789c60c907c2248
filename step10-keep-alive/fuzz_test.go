package main

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lsbaws-go/lsbaws-go/apps"
)

// fakeConn is a connection whose client has sent input and then closed
// its side; what the server sends goes to out. Deadlines never pass.
type fakeConn struct {
	net.Conn // not used: a method it lacks would panic
	input    *bytes.Reader
	out      bytes.Buffer
}

func (f *fakeConn) Read(p []byte) (int, error)           { return f.input.Read(p) }
func (f *fakeConn) Write(p []byte) (int, error)          { return f.out.Write(p) }
func (f *fakeConn) Close() error                         { return nil }
func (f *fakeConn) RemoteAddr() net.Addr                 { return &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 1234} }
func (f *fakeConn) SetReadDeadline(time.Time) error      { return nil }
func (f *fakeConn) SetWriteDeadline(time.Time) error     { return nil }
func (f *fakeConn) SetDeadline(deadline time.Time) error { return nil }

// FuzzHandleRequests feeds any bytes to a connection's keep-alive loop,
// as a client could send them, one request after another, and checks
// that the server neither panics nor loops forever, and that everything
// it sends is a sequence of HTTP/1.1 responses that net/http can read,
// one for each request that the console shows. CI runs it for a bounded
// time:
//
//	go test ./step10-keep-alive -run '^$' -fuzz FuzzHandleRequests -fuzztime 10s
func FuzzHandleRequests(f *testing.F) {
	for _, seed := range []string{
		"GET /hello HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /hello/one HTTP/1.1\r\nHost: h\r\n\r\nGET /hello/two HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
		"POST /hello HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\nHost: h\r\n\r\n",
		"POST /hello HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nGET /count HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /count HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
		"\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: x\r\n\r\nGET / HTTP/1.1\r\n\r\n",
		"GET /panic HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
		"HELLO SERVER\r\n\r\n",
		"POST /hello HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\nHost: h\r\n\r\n",
		"POST /nowhere HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello",
		"HEAD / HTTP/1.1\r\nHost: h\r\nContent-Length: x\r\n\r\n",
		"HEAD /count HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n",
		"POST /hello HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\"b\"\r\nhello\r\n0\r\n\r\n",
	} {
		f.Add([]byte(seed))
	}
	app, err := apps.New("stdlib")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		var log bytes.Buffer
		console = &log
		defer func() { console = io.Discard }()
		client := &fakeConn{input: bytes.NewReader(input)}
		done := make(chan struct{})
		go func() {
			defer close(done)
			serveConnection(client, time.Second, time.Second, time.Second, 0, app, newConnections(1))
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("the server did not finish with %d bytes of input within 10s", len(input))
		}
		// One console line for each request answered: its method decides
		// whether its response has a body (HEAD's has none).
		sent := client.out.String()
		responses := bufio.NewReader(&client.out)
		for i, line := range strings.Split(log.String(), "\n") {
			_, request, found := strings.Cut(line, ": ")
			if !found || !strings.Contains(request, " -> ") {
				continue // not a request's line
			}
			method, _, _ := strings.Cut(request, " ")
			resp, err := http.ReadResponse(responses, &http.Request{Method: method})
			for err == nil && resp.StatusCode == http.StatusContinue {
				// An interim answer to Expect: 100-continue; the final
				// response follows.
				resp, err = http.ReadResponse(responses, &http.Request{Method: method})
			}
			if err != nil {
				t.Fatalf("response %d is not HTTP that net/http can read: %v\nall that was sent:\n%q", i+1, err, sent)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}
