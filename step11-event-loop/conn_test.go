//go:build linux

package main

import (
	"bufio"
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lsbaws-go/lsbaws-go/apps"
)

// testTime is the clock of the tests' loops: every Date header field is
// the same, so that two responses can be compared byte for byte.
var testTime = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// quickConfig is the flags of a test loop.
func quickConfig() config {
	return config{readTimeout: time.Second, writeTimeout: time.Second, idleTimeout: time.Second}
}

// newTestLoop returns a loop with no epoll instance and no sockets: the
// part of it that a connection's state machine uses, to run the
// application.
func newTestLoop(t testing.TB) *loop {
	t.Helper()
	app, err := apps.New("stdlib")
	if err != nil {
		t.Fatal(err)
	}
	return &loop{
		s:        &eventServer{config: quickConfig(), app: app},
		readBuf:  make([]byte, readBufferSize),
		scratch:  make([]byte, 4<<10),
		chunks:   bufio.NewReaderSize(nil, 4<<10),
		response: make([]byte, 0, responseBufferSize),
		now:      testTime,
	}
}

// serveBytes plays a client that sends pieces one after another, then
// closes its sending side if eof, to a new connection of l, as the
// loop's serveConn would serve them, but with a socket that takes every
// byte at once. It returns all the connection sent, and the connection.
// Once the connection is to end, what the client still sends is thrown
// away, as the lingering close does.
func serveBytes(l *loop, pieces [][]byte, eof bool) ([]byte, *conn) {
	c := &conn{remoteAddr: "192.0.2.1:1234", timerIndex: -1, since: l.now}
	var sent []byte
	settle := func() {
		for {
			changed := c.advance(l)
			wrote := c.pending()
			sent = append(sent, c.out[c.sent:]...)
			c.sent = len(c.out)
			c.wrote(l.now)
			if !changed && !wrote {
				return
			}
		}
	}
	for _, piece := range pieces {
		if c.closeAfter {
			break
		}
		c.received(piece, false, l.now)
		settle()
	}
	if eof && !c.closeAfter {
		c.received(nil, true, l.now)
		settle()
	}
	return sent, c
}

// statusLines returns the status line of every response in sent, in
// order, reading each response as net/http's client would.
func statusLines(t *testing.T, sent []byte, methods ...string) []string {
	t.Helper()
	reader := bufio.NewReader(bytes.NewReader(sent))
	var lines []string
	for i := 0; reader.Buffered() > 0 || i == 0; i++ {
		if _, err := reader.Peek(1); err != nil {
			break
		}
		method := "GET"
		if i < len(methods) {
			method = methods[i]
		}
		resp, err := http.ReadResponse(reader, &http.Request{Method: method})
		if err != nil {
			t.Fatalf("response %d is not HTTP that net/http can read: %v\nall that was sent:\n%q", i+1, err, sent)
		}
		var body bytes.Buffer
		body.ReadFrom(resp.Body)
		resp.Body.Close()
		lines = append(lines, resp.Status)
	}
	return lines
}

func TestTheStateMachineAnswersWhatArrives(t *testing.T) {
	const host = "Host: h\r\n"
	tests := []struct {
		name    string
		pieces  []string
		eof     bool
		methods []string
		want    []string // the status of each response, in order
		wantIn  string   // what sent must contain
	}{
		{
			name:   "two pipelined requests in one piece are answered in order",
			pieces: []string{"GET /hello/one HTTP/1.1\r\n" + host + "\r\nGET /hello/two HTTP/1.1\r\n" + host + "\r\n"},
			want:   []string{"200 OK", "200 OK"},
			wantIn: "Hello, one!\nThe app received: GET /hello/one HTTP/1.1\nHTTP/1.1 200 OK",
		},
		{
			name:   "a head that arrives a byte at a time is answered once it is whole",
			pieces: strings.Split("GET /hello HTTP/1.1\r\n"+host+"\r\n", ""),
			want:   []string{"200 OK"},
		},
		{
			name:   "a body that arrives in pieces reaches the application whole",
			pieces: []string{"POST /hello HTTP/1.1\r\n" + host + "Content-Length: 10\r\n\r\nhel", "lo wo", "rld"},
			want:   []string{"200 OK"},
			wantIn: "Received a body of 10 bytes.",
		},
		{
			name:   "a chunked body split inside its size lines and data is decoded",
			pieces: []string{"POST /hello HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n5", "\r\nhel", "lo\r", "\n6;x=\"y\"\r\n worl", "d\r\n0\r\n", "\r\n"},
			want:   []string{"200 OK"},
			wantIn: "Received a body of 11 bytes.",
		},
		{
			name:   "a client that expects 100-continue gets it before its body is read",
			pieces: []string{"POST /hello HTTP/1.1\r\n" + host + "Content-Length: 3\r\nExpect: 100-continue\r\n\r\n", "abc"},
			want:   []string{"100 Continue", "200 OK"},
		},
		{
			name:   "a Content-Length over the limit is 413 before any body is read",
			pieces: []string{"POST /hello HTTP/1.1\r\n" + host + "Content-Length: 99999999\r\nExpect: 100-continue\r\n\r\n"},
			want:   []string{"413 Request Entity Too Large"},
			wantIn: "Connection: close",
		},
		{
			name:    "an error answer to HEAD has no body",
			pieces:  []string{"HEAD /hello HTTP/1.1\r\n" + host + "Bad Header\r\n\r\nGET / HTTP/1.1\r\n" + host + "\r\n"},
			methods: []string{"HEAD"},
			want:    []string{"400 Bad Request"},
		},
		{
			name:   "a head that mixes CRLF and bare LF is 400 and ends the connection",
			pieces: []string{"GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\nGET / HTTP/1.1\r\n" + host + "\r\n"},
			want:   []string{"400 Bad Request"},
			wantIn: "the head mixes CRLF and bare LF line ends",
		},
		{
			name:   "a body cut short by the client's EOF is 400",
			pieces: []string{"POST /hello HTTP/1.1\r\n" + host + "Content-Length: 10\r\n\r\nhel"},
			eof:    true,
			want:   []string{"400 Bad Request"},
			wantIn: "the request ended before the end of its body",
		},
		{
			name:   "a request after Connection: close is not answered",
			pieces: []string{"GET / HTTP/1.1\r\n" + host + "Connection: close\r\n\r\nGET / HTTP/1.1\r\n" + host + "\r\n"},
			want:   []string{"200 OK"},
		},
		{
			name:   "one empty line before a request line is ignored",
			pieces: []string{"\r", "\nGET / HTTP/1.1\r\n" + host + "\r\n"},
			want:   []string{"200 OK"},
		},
		{
			name:   "a second empty line before a request line is 400",
			pieces: []string{"\r\n", "\r\nGET / HTTP/1.1\r\n" + host + "\r\n"},
			want:   []string{"400 Bad Request"},
			wantIn: "two empty lines",
		},
		{
			name:   "a head longer than the limit is 431 without waiting for its end",
			pieces: []string{"GET / HTTP/1.1\r\n" + host + strings.Repeat("X-Long: "+strings.Repeat("y", 1000)+"\r\n", 70)},
			want:   []string{"431 Request Header Fields Too Large"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var pieces [][]byte
			for _, p := range tt.pieces {
				pieces = append(pieces, []byte(p))
			}
			sent, _ := serveBytes(newTestLoop(t), pieces, tt.eof)
			got := statusLines(t, sent, tt.methods...)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("got the statuses %q, want %q; all that was sent:\n%s", got, tt.want, sent)
			}
			if !bytes.Contains(sent, []byte(tt.wantIn)) {
				t.Errorf("what was sent does not contain %q:\n%s", tt.wantIn, sent)
			}
		})
	}
}

func TestTheConnectionEndsAsItShould(t *testing.T) {
	tests := []struct {
		name       string
		input      string
		eof        bool
		wantLinger bool
		wantWhy    string
	}{
		{"a client that closes between requests is closed at once", "GET / HTTP/1.1\r\nHost: h\r\n\r\n", true, false, "the client closed it"},
		{"a client whose request was bad is lingered on", "GET / HTTP/1.1\r\n\r\n", false, true, "its request could not be read, so a next one could not be found"},
		{"bytes left after Connection: close mean a lingering close", "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\nGET", false, true, "the client asked to close it (Connection: close)"},
		{"Connection: close with nothing after it closes at once", "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", false, false, "the client asked to close it (Connection: close)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c := serveBytes(newTestLoop(t), [][]byte{[]byte(tt.input)}, tt.eof)
			if !c.closeAfter {
				t.Fatalf("the connection stays open, want it to end")
			}
			if c.lingerAfter != tt.wantLinger {
				t.Errorf("got lingerAfter %v, want %v", c.lingerAfter, tt.wantLinger)
			}
			if c.why != tt.wantWhy {
				t.Errorf("got the reason %q, want %q", c.why, tt.wantWhy)
			}
		})
	}
}

func TestEachStateHasItsDeadline(t *testing.T) {
	cfg := config{readTimeout: 10 * time.Second, writeTimeout: 20 * time.Second, idleTimeout: 5 * time.Second}
	t0 := testTime
	tests := []struct {
		name     string
		c        conn
		stopping bool
		want     time.Time
	}{
		{"a new connection has the read timeout for its first request", conn{since: t0}, false, t0.Add(10 * time.Second)},
		{"a kept connection has the idle timeout", conn{since: t0, requests: 1}, false, t0.Add(5 * time.Second)},
		{"an idle connection gets a short grace when the shutdown begins", conn{since: t0, requests: 1}, true, t0.Add(time.Second + idleShutdownGrace)},
		{"a request that has begun has the read timeout from its first byte", conn{since: t0, started: t0.Add(time.Second), in: []byte("GET"), requests: 1}, false, t0.Add(11 * time.Second)},
		{"a response being written has the write timeout", conn{state: writing, writeStart: t0}, false, t0.Add(20 * time.Second)},
		{"a lingering close lasts lingerTimeout", conn{state: lingering, lingerStart: t0}, false, t0.Add(lingerTimeout)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.deadline(cfg, tt.stopping, t0.Add(time.Second)); !got.Equal(tt.want) {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestTheTimerHeapGivesTheEarliestFirst(t *testing.T) {
	var h timerHeap
	conns := make([]*conn, 5)
	for i := range conns {
		conns[i] = &conn{fd: i, timerIndex: -1}
		h.set(conns[i], testTime.Add(time.Duration(10-i)*time.Second))
	}
	h.set(conns[0], testTime.Add(time.Second)) // moved earliest
	h.remove(conns[3])
	var got []int
	for {
		c := h.expired(testTime.Add(time.Hour))
		if c == nil {
			break
		}
		got = append(got, c.fd)
	}
	want := []int{0, 4, 2, 1}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	if _, ok := h.earliest(); ok {
		t.Errorf("the heap still has a deadline after every one expired")
	}
}
