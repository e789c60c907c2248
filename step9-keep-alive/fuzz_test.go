package main

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"testing"

	"github.com/lsbaws-go/lsbaws-go/apps"
)

// FuzzHandleRequests feeds any bytes to a connection's keep-alive loop,
// as a client could send them, one request after another, and checks
// that the server neither panics nor loops forever, and that everything
// it sends is a sequence of HTTP/1.1 responses that net/http can read.
// CI runs it for a bounded time:
//
//	go test ./step9-keep-alive -run '^$' -fuzz FuzzHandleRequests -fuzztime 10s
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
		var out bytes.Buffer
		c := &conn{
			s:          newServer(nil, quickConfig(), app),
			remoteAddr: "192.0.2.1:1234",
			reader:     bufio.NewReader(bytes.NewReader(input)),
			writer:     bufio.NewWriter(&out),
		}
		var methods []string
		for {
			if _, err := c.reader.Peek(1); err != nil {
				break // the client has sent all it had
			}
			if c.requests > len(input) {
				t.Fatalf("answered %d requests from %d bytes: the loop does not advance", c.requests, len(input))
			}
			// The method decides whether the response has a body (HEAD's
			// has none), which the reader below must know.
			next, _ := c.reader.Peek(c.reader.Buffered())
			method, _, _ := bytes.Cut(bytes.TrimLeft(next, "\r\n"), []byte(" "))
			methods = append(methods, string(method))
			keepAlive, _ := c.handleRequest()
			c.requests++
			if !keepAlive {
				break
			}
		}
		responses := bufio.NewReader(&out)
		for i, method := range methods {
			resp, err := http.ReadResponse(responses, &http.Request{Method: method})
			for err == nil && resp.StatusCode == http.StatusContinue {
				// An interim answer to Expect: 100-continue; the final
				// response follows.
				resp, err = http.ReadResponse(responses, &http.Request{Method: method})
			}
			if err != nil {
				t.Fatalf("response %d is not HTTP that net/http can read: %v\nall that was sent:\n%q", i+1, err, out.String())
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}
