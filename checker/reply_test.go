package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// update is the golden-file flag that every test package of the
// repository takes, so that go test ./... -update works everywhere.
var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestFirefoxRequestIsTheTestsFixture(t *testing.T) {
	fixture, err := os.ReadFile(filepath.Join("..", "tests", "testdata", "requests", "firefox.http"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(fixture), firefoxRequest); diff != "" {
		t.Errorf("the checker's Firefox request differs from tests/testdata/requests/firefox.http (-fixture +checker):\n%s", diff)
	}
}

func TestLines(t *testing.T) {
	tests := []struct {
		name       string
		data       string
		text, ends []string
	}{
		{"splits CRLF lines and keeps their ends", "a\r\nb\r\n", []string{"a", "b"}, []string{"\r\n", "\r\n"}},
		{"tells a bare LF from CRLF", "a\nb\r\n", []string{"a", "b"}, []string{"\n", "\r\n"}},
		{"keeps an unfinished last line with no end", "a\r\nb", []string{"a", "b"}, []string{"\r\n", ""}},
		{"sees an empty first line", "\nHTTP/1.1 200 OK\n", []string{"", "HTTP/1.1 200 OK"}, []string{"\n", "\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, ends := lines([]byte(tt.data))
			if diff := cmp.Diff(tt.text, text); diff != "" {
				t.Errorf("text mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.ends, ends); diff != "" {
				t.Errorf("ends mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFindHead(t *testing.T) {
	tests := []struct {
		name   string
		raw    string
		want   head
		wantOK bool
	}{
		{"parses a whole head and finds where the body starts",
			"HTTP/1.1 200 OK\r\nContent-Length: 13\r\nConnection: close\r\n\r\nHello, World!",
			head{statusLine: "HTTP/1.1 200 OK", fields: []headerField{{"Content-Length", "13"}, {"Connection", "close"}}, bodyStart: 58}, true},
		{"accepts bare LF ends, which another check reports",
			"HTTP/1.1 200 OK\nA: b\n\nbody",
			head{statusLine: "HTTP/1.1 200 OK", fields: []headerField{{"A", "b"}}, bodyStart: 22}, true},
		{"has no head while the empty line has not come",
			"HTTP/1.1 200 OK\r\nContent-Length: 13\r\n", head{}, false},
		{"has no head when the body follows the fields directly",
			"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nHello, World!", head{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := findHead([]byte(tt.raw))
			if ok != tt.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tt.wantOK)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(head{}, headerField{})); diff != "" {
				t.Errorf("head mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestComplete(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want bool
	}{
		{"is complete when the body is as long as Content-Length says", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", true},
		{"is not complete while body bytes are missing", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhi", false},
		{"waits for the close when the headers say Connection: close", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi", false},
		{"waits for the close when there is no Content-Length", "HTTP/1.1 200 OK\r\n\r\nhi", false},
		{"is not complete without a whole head", "HTTP/1.1 200 OK\r\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := complete([]byte(tt.raw)); got != tt.want {
				t.Errorf("complete(%q) = %v, want %v", tt.raw, got, tt.want)
			}
		})
	}
}

func TestReadResponse(t *testing.T) {
	tests := []struct {
		name     string
		stream   string // what the server sent
		body     string // the body of the first response, decoded
		framed   bool
		closed   bool
		err      error
		leftOver string // what is left for the next response
	}{
		{"reads Content-Length bytes and leaves the next response",
			"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiHTTP/1.1 200 OK\r\n", "hi", true, false, nil, "HTTP/1.1 200 OK\r\n"},
		{"decodes chunks, reads the trailer and leaves the next response",
			"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n1\r\n!\r\n0\r\nX-Sum: 3\r\n\r\nnext", "hi!", true, false, nil, "next"},
		{"reads a body framed by neither until the connection closes",
			"HTTP/1.1 200 OK\r\n\r\nhi", "hi", false, true, nil, ""},
		{"says the connection ended in the middle of a Content-Length body",
			"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhi", "hi", true, false, io.EOF, ""},
		{"says the connection ended in the middle of a chunk",
			"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhi", "hi", true, false, io.EOF, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := bufio.NewReader(strings.NewReader(tt.stream))
			r, err := readResponse(in)
			if err != tt.err {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if !r.headRead || r.head.statusCode() != "200" {
				t.Errorf("head %+v, read whole: %v; want the status 200, read whole", r.head, r.headRead)
			}
			if string(r.body) != tt.body || r.framed != tt.framed || r.closed != tt.closed {
				t.Errorf("body %q, framed %v, closed %v; want %q, %v, %v", r.body, r.framed, r.closed, tt.body, tt.framed, tt.closed)
			}
			if rest, _ := io.ReadAll(in); string(rest) != tt.leftOver {
				t.Errorf("left %q for the next response, want %q", rest, tt.leftOver)
			}
		})
	}
	t.Run("says the connection ended before the head did", func(t *testing.T) {
		r, err := readResponse(bufio.NewReader(strings.NewReader("HTTP/1.1 200 OK\r\n")))
		if err != io.EOF || r.headRead || string(r.raw) != "HTTP/1.1 200 OK\r\n" {
			t.Errorf("err %v, head read %v, raw %q; want EOF, false, the status line", err, r.headRead, r.raw)
		}
	})
}

func TestQuote(t *testing.T) {
	tests := []struct {
		name, lang, data string
		max              int
		want             string
	}{
		{"shows CR and LF", "en", "a\r\n", 10, `"a\r\n"`},
		{"cuts long data and says how much is left", "en", "abcdef", 2, `"ab" (and 4 more bytes)`},
		{"says how much is left in Chinese, the bytes as they are", "zh-CN", "abcdef", 2, `"ab"（后面还有 4 个字节）`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := &grader{lang: tt.lang}
			if got := g.quote([]byte(tt.data), tt.max); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// TestChaptersExist checks that every link the checker prints leads to
// a chapter and a section that are there.
func TestChaptersExist(t *testing.T) {
	for n := 1; n <= maxStages; n++ {
		file, anchor, _ := strings.Cut(chapters[n], "#")
		t.Run(fmt.Sprintf("stage %d points to a section of %s that exists", n, file), func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("..", filepath.FromSlash(file)))
			if err != nil {
				t.Fatal(err)
			}
			heading := "## " + strings.ToUpper(anchor[:1]) + strings.ReplaceAll(anchor[1:], "-", " ")
			if !strings.Contains(string(data), "\n"+heading+"\n") {
				t.Errorf("%s has no heading %q for the anchor #%s", file, heading, anchor)
			}
		})
	}
}
