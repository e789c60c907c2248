package main

import (
	"errors"
	"flag"
	"net/http"
	"strings"
	"testing"
)

// update is the golden-file flag. `go test ./... -update` passes -update
// to every test binary, and a binary that does not define the flag fails
// with "flag provided but not defined"; this package has no golden files,
// so it only accepts the flag.
var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestParseRequestReadsHowTheBodyIsFramed checks the parser that the
// gateway shares with step 5 on what matters to it: a body comes with
// Content-Length only, and Transfer-Encoding gets step 5's 501 (the
// chunked coding is step 10's).
func TestParseRequestReadsHowTheBodyIsFramed(t *testing.T) {
	const ok = 0
	tests := []struct {
		name       string
		input      string
		wantStatus int
		wantLength int
	}{
		{name: "reads a Content-Length", input: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\n\r\n", wantLength: 12},
		{name: "reads no body when nothing announces one", input: "POST / HTTP/1.1\r\nHost: h\r\n\r\n"},
		{name: "answers 501 to Transfer-Encoding: chunked", input: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", wantStatus: http.StatusNotImplemented},
		{name: "answers 501 to any other Transfer-Encoding", input: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", wantStatus: http.StatusNotImplemented},
		{name: "answers 400 to Transfer-Encoding with Content-Length", input: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", wantStatus: http.StatusBadRequest},
		{name: "answers 400 to CONNECT's target, which is not a path", input: "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", wantStatus: http.StatusBadRequest},
		{name: "still answers 400 to what step 5 refuses", input: "GET / HTTP/1.1\r\n\r\n", wantStatus: http.StatusBadRequest},
		{name: "accepts any method, for the application to answer", input: "BREW /pot HTTP/1.1\r\nHost: h\r\n\r\n", wantStatus: ok},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := parseRequest([]byte(tt.input))
			if tt.wantStatus != ok {
				wantRequestError(t, err, tt.wantStatus)
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if req.ContentLength != tt.wantLength {
				t.Errorf("got ContentLength %d, want %d", req.ContentLength, tt.wantLength)
			}
		})
	}
}

// wantRequestError checks that err is a *requestError with this status,
// and returns it.
func wantRequestError(t *testing.T, err error, wantStatus int) *requestError {
	t.Helper()
	var reqErr *requestError
	if !errors.As(err, &reqErr) || reqErr.status != wantStatus {
		t.Fatalf("got %v, want a requestError with status %d", err, wantStatus)
	}
	return reqErr
}

// TestParseRequestQuotesAnExcerptOfALongBadLine checks issue 12's first
// finding: a 60 KB line of control bytes made a 240 KB reason, which a
// client that never reads could leave half sent forever. The reason
// quotes excerptBytes of it and says how long it was.
func TestParseRequestQuotesAnExcerptOfALongBadLine(t *testing.T) {
	tests := []struct{ name, head string }{
		{"quotes at most an excerpt of a 60 KB header line of control bytes",
			"GET / HTTP/1.1\r\nHost: h\r\nX: " + strings.Repeat("\x01", 60<<10) + "\r\n\r\n"},
		{"quotes at most an excerpt of a 60 KB header line without a colon",
			"GET / HTTP/1.1\r\nHost: h\r\n" + strings.Repeat("x", 60<<10) + "\r\n\r\n"},
		{"quotes at most an excerpt of a 8 KB method",
			strings.Repeat("M", 8<<10-20) + "\x01 / HTTP/1.1\r\nHost: h\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseRequest([]byte(tt.head))
			reqErr := wantRequestError(t, err, http.StatusBadRequest)
			// The quoted excerpt of 100 bytes, each \x01 as 4, and words.
			if got, most := len(reqErr.reason), 4*excerptBytes+200; got > most {
				t.Errorf("the reason is %d bytes, want at most %d", got, most)
			}
			if !strings.Contains(reqErr.reason, " bytes)") {
				t.Errorf("the reason %.200q does not say how long the line was", reqErr.reason)
			}
		})
	}
}

func TestExcerpt(t *testing.T) {
	tests := []struct{ name, input, want string }{
		{"quotes a short string whole", "abc", `"abc"`},
		{"quotes a string of exactly excerptBytes whole", strings.Repeat("a", excerptBytes), `"` + strings.Repeat("a", excerptBytes) + `"`},
		{"quotes the first excerptBytes of a longer string and says its length", strings.Repeat("a", excerptBytes+1), `"` + strings.Repeat("a", excerptBytes) + `"... (101 bytes)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := excerpt(tt.input); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// TestParseRequestFramesTheHeadStrictly checks issue 12's sixth
// finding for the head: its line ends agree with each other, and one
// empty line before the request line is ignored.
func TestParseRequestFramesTheHeadStrictly(t *testing.T) {
	const ok = 0
	tests := []struct {
		name       string
		input      string
		wantStatus int
		wantPath   string
	}{
		{name: "answers 400 to a bare LF line inside a CRLF head", input: "POST / HTTP/1.1\r\nHost: h\r\nDummy: x\nContent-Length: 23\r\n\r\n", wantStatus: http.StatusBadRequest},
		{name: "answers 400 to a CRLF head ended by a bare LF empty line", input: "GET / HTTP/1.1\r\nHost: h\r\n\n", wantStatus: http.StatusBadRequest},
		{name: "answers 400 to a bare LF head ended by a CRLF empty line", input: "GET / HTTP/1.1\nHost: h\n\r\n", wantStatus: http.StatusBadRequest},
		{name: "accepts a head whose every line ends in a bare LF, as typed into nc", input: "GET /nc HTTP/1.1\nHost: h\n\n", wantPath: "/nc"},
		{name: "ignores one CRLF empty line before the request line", input: "\r\nGET /a HTTP/1.1\r\nHost: h\r\n\r\n", wantPath: "/a"},
		{name: "ignores one bare LF empty line before the request line", input: "\nGET /b HTTP/1.1\nHost: h\n\n", wantPath: "/b"},
		{name: "answers 400 to two empty lines before the request line", input: "\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", wantStatus: http.StatusBadRequest},
		{name: "answers 400 to a CR alone inside a line", input: "GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", wantStatus: http.StatusBadRequest},
		{name: "accepts an absolute-form target with an IPv6 literal", input: "GET http://[::1]:8080/hello HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", wantPath: "/hello"},
		{name: "accepts an absolute-form target whose scheme is in capitals", input: "GET HTTP://x/hello HTTP/1.1\r\nHost: x\r\n\r\n", wantPath: "/hello"},
		{name: "answers 400 to an IPv6 literal without its closing bracket", input: "GET http://[::1/hello HTTP/1.1\r\nHost: x\r\n\r\n", wantStatus: http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := parseRequest([]byte(tt.input))
			if tt.wantStatus != ok {
				wantRequestError(t, err, tt.wantStatus)
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if req.Path != tt.wantPath {
				t.Errorf("got the path %q, want %q", req.Path, tt.wantPath)
			}
		})
	}
	t.Run("says why it refuses mixed line ends", func(t *testing.T) {
		_, err := parseRequest([]byte("GET / HTTP/1.1\r\nHost: h\nX: 1\r\n\r\n"))
		reqErr := wantRequestError(t, err, http.StatusBadRequest)
		if want := "the head mixes CRLF and bare LF line ends"; reqErr.reason != want {
			t.Errorf("got the reason %q, want %q", reqErr.reason, want)
		}
	})
}
