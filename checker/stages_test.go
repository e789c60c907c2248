package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

func TestStatusLineFailure(t *testing.T) {
	tests := []struct {
		name    string
		reply   reply
		wantWhy string // a part of the failure's why; "" when the line passes
	}{
		{"passes HTTP/1.1 200 OK", reply{raw: []byte("HTTP/1.1 200 OK\r\n\r\n")}, ""},
		{"passes HTTP/1.0 200 OK, which Python's http.server sends", reply{raw: []byte("HTTP/1.0 200 OK\r\nServer: SimpleHTTP/0.6\r\n\r\n")}, ""},
		{"passes another reason phrase, which a client ignores", reply{raw: []byte("HTTP/1.1 200 Fine thanks\r\n\r\n")}, ""},
		{"passes an empty reason phrase after the space", reply{raw: []byte("HTTP/1.1 200 \r\n\r\n")}, ""},
		{"fails HTTP/2, which is not written in lines", reply{raw: []byte("HTTP/2 200 OK\r\n\r\n")}, "HTTP/2 and HTTP/3 do not send their heads as lines of text"},
		{"fails HTTP/2.0", reply{raw: []byte("HTTP/2.0 200 OK\r\n\r\n")}, "the version of HTTP the server speaks"},
		{"fails a version in lower case", reply{raw: []byte("http/1.1 200 OK\r\n\r\n")}, "the version of HTTP the server speaks"},
		{"fails HTTP/1.10, whose minor version is one digit", reply{raw: []byte("HTTP/1.10 200 OK\r\n\r\n")}, "the version of HTTP the server speaks"},
		{"fails another status code", reply{raw: []byte("HTTP/1.1 404 Not Found\r\n\r\n")}, "the status code 200"},
		{"fails a status code without the space after it", reply{raw: []byte("HTTP/1.1 200\r\n\r\n")}, "separated by single spaces"},
		{"fails two spaces after the version", reply{raw: []byte("HTTP/1.1  200 OK\r\n\r\n")}, "separated by single spaces"},
		{"fails a control byte in the reason phrase", reply{raw: []byte("HTTP/1.1 200 O\x00K\r\n\r\n")}, "a reason phrase such as OK"},
		{"fails a bare LF after HTTP/1.0 as after HTTP/1.1", reply{raw: []byte("HTTP/1.0 200 OK\n\n")}, "ends in a bare LF"},
		{"fails an empty line before the status line", reply{raw: []byte("\nHTTP/1.1 200 OK\n")}, "starts with an empty line"},
		{"fails a status line that never ends", reply{raw: []byte("HTTP/1.1 200 OK"), closed: true}, "never ends"},
		{"fails a status line cut short by the deadline", reply{raw: []byte("HTTP/1.1 2"), timedOut: true}, "a client waits only so long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := (&grader{timeout: time.Second}).statusLineFailure(tt.reply)
			switch {
			case tt.wantWhy == "" && f != nil:
				t.Errorf("failed: want %s, got %s, why %q; want a pass", f.want, f.got, f.why)
			case tt.wantWhy != "" && f == nil:
				t.Errorf("passed, want a failure that says %q", tt.wantWhy)
			case tt.wantWhy != "" && !strings.Contains(f.why, tt.wantWhy):
				t.Errorf("why %q, want it to say %q", f.why, tt.wantWhy)
			}
		})
	}
}

func TestKeptOpen(t *testing.T) {
	g := &grader{timeout: time.Second}
	read := func(stream string) (response, error) {
		return readResponse(bufio.NewReader(strings.NewReader(stream)))
	}
	tests := []struct {
		name    string
		stream  string
		wantWhy string // a part of the failure's why; "" when the response passes
	}{
		{"passes an HTTP/1.1 response framed by Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 14\r\n\r\nHello, second!", ""},
		{"passes an HTTP/1.0 response that says Connection: keep-alive",
			"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 14\r\n\r\nHello, second!", ""},
		{"fails an HTTP/1.0 response without Connection: keep-alive, which ends its connection",
			"HTTP/1.0 200 OK\r\nContent-Length: 14\r\n\r\nHello, second!", "a response in HTTP/1.0 ends its connection unless it says Connection: keep-alive"},
		{"fails a response that says Connection: close among other options",
			"HTTP/1.1 200 OK\r\nConnection: upgrade, close\r\nContent-Length: 14\r\n\r\nHello, second!", "it is not keep-alive"},
		{"fails a body framed by neither", "HTTP/1.1 200 OK\r\n\r\nHello, second!", "only Content-Length or the chunks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := read(tt.stream)
			f := g.keptOpen(r, err, "second", "the test's why")
			switch {
			case tt.wantWhy == "" && f != nil:
				t.Errorf("failed: want %s, got %s, why %q; want a pass", f.want, f.got, f.why)
			case tt.wantWhy != "" && f == nil:
				t.Errorf("passed, want a failure that says %q", tt.wantWhy)
			case tt.wantWhy != "" && !strings.Contains(f.why, tt.wantWhy):
				t.Errorf("why %q, want it to say %q", f.why, tt.wantWhy)
			}
		})
	}
}

// serveOnce runs a loopback server that answers every connection with
// answer, given what the client sent, for as long as the test runs.
func serveOnce(t *testing.T, answer func(conn net.Conn, request []byte)) string {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(5 * time.Second))
				var request []byte
				buffer := make([]byte, 64<<10)
				for !bytes.Contains(request, []byte("\r\n\r\n")) {
					n, err := conn.Read(buffer)
					if err != nil {
						return
					}
					request = append(request, buffer[:n]...)
				}
				answer(conn, request)
			}()
		}
	}()
	return l.Addr().String()
}

// answerWith answers with the response given, then closes the
// connection, or, with keep set, holds it open until the client goes.
func answerWith(response string, keep bool) func(net.Conn, []byte) {
	return func(conn net.Conn, _ []byte) {
		io.WriteString(conn, response)
		if keep {
			io.Copy(io.Discard, conn)
		}
	}
}

// checkNamed returns the check of stage n whose name starts with
// prefix.
func checkNamed(t *testing.T, g *grader, n int, prefix string) check {
	t.Helper()
	for _, c := range g.stage(n) {
		if strings.HasPrefix(c.name, prefix) {
			return c
		}
	}
	t.Fatalf("stage %d has no check named %q...", n, prefix)
	return check{}
}

// TestStage5AcceptsWhatTheRFCsAllow runs checks of stage 5 against
// servers that answer as the RFCs allow, but unlike step 5, and against
// servers that do not: each check passes the first and fails the
// second.
func TestStage5AcceptsWhatTheRFCsAllow(t *testing.T) {
	t.Parallel()
	const closed = "HTTP/1.1 %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
	tests := []struct {
		name   string
		check  string // the start of the check's name
		answer func(net.Conn, []byte)
		pass   bool
	}{
		{"passes 431 for a head of 100 KB", "answers a header field of 100 KB", answerWith(fmt.Sprintf(closed, "431 Request Header Fields Too Large"), false), true},
		{"passes 400 for a head of 100 KB, as nginx and Apache answer", "answers a header field of 100 KB", answerWith(fmt.Sprintf(closed, "400 Bad Request"), false), true},
		{"fails 413 for a head of 100 KB, a status for bodies", "answers a head of 100 KB", answerWith(fmt.Sprintf(closed, "413 Content Too Large"), false), false},
		{"fails 431 for a request target of 64 KiB, which is 414's", "answers a request target of 64 KiB", answerWith(fmt.Sprintf(closed, "431 Request Header Fields Too Large"), false), false},
		{"fails 200 for a Content-Length of 2 GB", "answers a Content-Length of 2 GB", answerWith(fmt.Sprintf(closed, "200 OK"), false), false},
		{"fails a server that waits for a body of 2 GB", "answers a Content-Length of 2 GB", func(conn net.Conn, _ []byte) { io.Copy(io.Discard, conn) }, false},
		{"passes 400, then the close, for both Transfer-Encoding and Content-Length", "answers a request with both", answerWith(fmt.Sprintf(closed, "400 Bad Request"), false), true},
		{"passes the answer to the chunked body, then the close", "answers a request with both", answerWith(fmt.Sprintf(closed, "200 OK"), false), true},
		{"passes a close without an answer", "answers a request with both", func(net.Conn, []byte) {}, true},
		{"fails 400 with the connection kept open", "answers a request with both",
			answerWith("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", true), false},
		{"fails 200 with the connection kept open, as net/http does", "answers a request with both",
			answerWith("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true), false},
		{"passes 505 for HTTP/2.0 and HTTP/3.0", "answers requests in HTTP/2.0", answerWith(fmt.Sprintf(closed, "505 HTTP Version Not Supported"), false), true},
		{"fails 400 for HTTP/2.0, a version with a valid syntax", "answers requests in HTTP/2.0", answerWith(fmt.Sprintf(closed, "400 Bad Request"), false), false},
		{"passes 501 for BREW", "answers a method it does not have", answerWith(fmt.Sprintf(closed, "501 Not Implemented"), false), true},
		{"passes 405 with Allow for BREW", "answers a method it does not have",
			answerWith("HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", false), true},
		{"fails 405 without Allow, which RFC 9110 requires", "answers a method it does not have", answerWith(fmt.Sprintf(closed, "405 Method Not Allowed"), false), false},
		{"fails 400 for BREW, a method with a valid syntax", "answers a method it does not have", answerWith(fmt.Sprintf(closed, "400 Bad Request"), false), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := &grader{addr: serveOnce(t, tt.answer), timeout: time.Second}
			f := checkNamed(t, g, 5, tt.check).run()
			switch {
			case tt.pass && f != nil:
				t.Errorf("failed: want %s, got %s, why %q; want a pass", f.want, f.got, f.why)
			case !tt.pass && f == nil:
				t.Errorf("passed, want a failure")
			}
		})
	}
}

// TestStage8NeedsRoomForFifty runs stage 8's check of half-sent
// requests against servers that serve at most n connections at once:
// room for fifty and one passes, room for ten fails.
func TestStage8NeedsRoomForFifty(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		room int
		pass bool
	}{{60, true}, {10, false}} {
		t.Run(fmt.Sprintf("a server with room for %d connections", tt.room), func(t *testing.T) {
			t.Parallel()
			room := make(chan struct{}, tt.room)
			addr := serveOnce(t, func(conn net.Conn, _ []byte) {
				io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 15\r\nConnection: close\r\n\r\nHello, checker!")
			})
			// A front that holds a place for each connection while it
			// lasts, and lets through only as many as there is room for.
			l, err := net.Listen("tcp4", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { l.Close() })
			go func() {
				for {
					room <- struct{}{}
					conn, err := l.Accept()
					if err != nil {
						return
					}
					go func() {
						defer func() { <-room }()
						defer conn.Close()
						back, err := net.Dial("tcp4", addr)
						if err != nil {
							return
						}
						defer back.Close()
						go io.Copy(back, conn)
						io.Copy(conn, back)
					}()
				}
			}()
			g := &grader{addr: l.Addr().String(), timeout: time.Second}
			f := checkNamed(t, g, 8, "answers a new client while fifty").run()
			switch {
			case tt.pass && f != nil:
				t.Errorf("failed: want %s, got %s, why %q; want a pass", f.want, f.got, f.why)
			case !tt.pass && f == nil:
				t.Errorf("passed, want a failure")
			}
		})
	}
}

// serveBounded runs a loopback server that serves at most room
// connections at once, as a server with a thread or a process per
// connection does: past room it accepts no more until one ends, and
// the kernel queues the rest. Each connection has readTimeout to send
// its head, then gets Hello, checker!.
func serveBounded(t *testing.T, room int, readTimeout time.Duration) string {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	slots := make(chan struct{}, room)
	go func() {
		for {
			slots <- struct{}{}
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer func() { <-slots }()
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(readTimeout))
				var request []byte
				buffer := make([]byte, 4096)
				for !bytes.Contains(request, []byte("\r\n\r\n")) {
					n, err := conn.Read(buffer)
					if err != nil {
						return
					}
					request = append(request, buffer[:n]...)
				}
				io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 15\r\nConnection: close\r\n\r\nHello, checker!")
			}()
		}
	}()
	return l.Addr().String()
}

// TestStage9NeedsRoomForFiveHundred runs stage 9's checks against
// servers that serve at most room connections at once: room for the
// five hundred and one passes; room for 64, step 7's and step 8's
// bound, fails, even with a read timeout of 200 ms, shorter than the
// checker's 300 ms: the new client waits in the listen queue behind the
// silent clients, each of which has its read timeout once accepted.
// The cases run one after another: each holds a thousand descriptors.
func TestStage9NeedsRoomForFiveHundred(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		room        int
		readTimeout time.Duration
		pass        bool
	}{{600, 5 * time.Second, true}, {64, 5 * time.Second, false}, {64, 200 * time.Millisecond, false}} {
		for _, prefix := range []string{"answers a new client while five hundred others say nothing", "answers a new client while five hundred others hold half-sent"} {
			t.Run(fmt.Sprintf("a server with room for %d connections and a read timeout of %s: %s", tt.room, tt.readTimeout, prefix), func(t *testing.T) {
				// A failure waits out the whole timeout: a short one keeps
				// the failing cases quick, and still longer than the
				// 200 ms read timeout of the last case.
				timeout := 300 * time.Millisecond
				if tt.pass {
					timeout = time.Second
				}
				g := &grader{addr: serveBounded(t, tt.room, tt.readTimeout), timeout: timeout}
				start := time.Now()
				f := checkNamed(t, g, 9, prefix).run()
				switch {
				case tt.pass && f != nil:
					t.Errorf("failed: want %s, got %s, why %q; want a pass", f.want, f.got, f.why)
				case !tt.pass && f == nil:
					t.Errorf("passed, want a failure")
				case !tt.pass && f.got != "none":
					// Not the failure the bound causes: the new client
					// was not kept waiting (the dials may have failed).
					t.Errorf("failed: want %s, got %s; want the new client to get no answer", f.want, f.got)
				}
				// Whatever the verdict: the dials and the new client's
				// timeout, no more; in particular not the 5 s read
				// timeouts of the silent clients.
				if took, most := time.Since(start), g.timeout+2*time.Second; took > most {
					t.Errorf("the check took %s, more than its timeout %s and 2 s for the dials", took, g.timeout)
				}
			})
		}
	}
}
