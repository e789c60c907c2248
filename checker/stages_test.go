package main

import (
	"bufio"
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
			f := statusLineFailure(tt.reply, time.Second)
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
