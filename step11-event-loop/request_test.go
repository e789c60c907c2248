package main

import (
	"errors"
	"flag"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// update is the golden-file flag. `go test ./... -update` passes -update
// to every test binary, and a binary that does not define the flag fails
// with "flag provided but not defined"; this package has no golden files,
// so it only accepts the flag.
var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestParseRequestReadsHowTheBodyIsFramed checks what this step's parser
// changes in step 5's: a chunked body is read now, as step 10 reads it,
// not answered with 501, under RFC 9112's rules for Transfer-Encoding;
// and CONNECT, which no application behind the gateway could answer,
// gets 501.
func TestParseRequestReadsHowTheBodyIsFramed(t *testing.T) {
	t.Parallel()
	const ok = 0
	tests := []struct {
		name        string
		input       string
		wantStatus  int
		wantLength  int
		wantChunked bool
	}{
		{name: "reads a Content-Length", input: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\n\r\n", wantLength: 12},
		{name: "reads no body when nothing announces one", input: "POST / HTTP/1.1\r\nHost: h\r\n\r\n"},
		{name: "reads Transfer-Encoding: chunked as a chunked body", input: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", wantChunked: true},
		{name: "reads the coding's name in any case", input: "POST / HTTP/1.1\r\nHost: h\r\ntransfer-encoding: Chunked\r\n\r\n", wantChunked: true},
		{name: "answers 400 to Transfer-Encoding with Content-Length", input: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", wantStatus: http.StatusBadRequest},
		{name: "answers 400 to Transfer-Encoding in an HTTP/1.0 request", input: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", wantStatus: http.StatusBadRequest},
		{name: "answers 400 to a coding that does not end in chunked", input: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", wantStatus: http.StatusBadRequest},
		{name: "answers 400 to chunked followed by another coding", input: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", wantStatus: http.StatusBadRequest},
		{name: "answers 400 to an empty Transfer-Encoding", input: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n\r\n", wantStatus: http.StatusBadRequest},
		{name: "answers 501 to gzip under chunked, which it does not decode", input: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", wantStatus: http.StatusNotImplemented},
		{name: "answers 501 to two codings in two fields", input: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", wantStatus: http.StatusNotImplemented},
		{name: "answers 501 to CONNECT, which asks for a tunnel", input: "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", wantStatus: http.StatusNotImplemented},
		{name: "still answers 400 to what step 5 refuses", input: "GET / HTTP/1.1\r\n\r\n", wantStatus: http.StatusBadRequest},
		{name: "still accepts a method step 5's parser accepts", input: "BREW /pot HTTP/1.1\r\nHost: h\r\n\r\n", wantStatus: ok},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := parseRequest([]byte(tt.input))
			if tt.wantStatus != ok {
				var reqErr *requestError
				if !errors.As(err, &reqErr) || reqErr.status != tt.wantStatus {
					t.Errorf("got %v, want a requestError with status %d", err, tt.wantStatus)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if req.ContentLength != tt.wantLength || req.Chunked != tt.wantChunked {
				t.Errorf("got ContentLength %d, Chunked %v; want %d, %v", req.ContentLength, req.Chunked, tt.wantLength, tt.wantChunked)
			}
		})
	}
}

func TestExcerpt(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", excerptBytes) + "tail"
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"quotes a short string whole", "GET /", `"GET /"`},
		{"quotes a string of exactly excerptBytes whole", long[:excerptBytes], strconv.Quote(long[:excerptBytes])},
		{"quotes the first excerptBytes of a longer string and says how long it was", long, strconv.Quote(long[:excerptBytes]) + "... (104 bytes)"},
		{"escapes control bytes, as %q does", "a\x00b", `"a\x00b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := excerpt(tt.in); got != tt.want {
				t.Errorf("excerpt(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

// TestErrorReasonsStayShort sends heads whose bad part is long, and
// finds every reason under 1 KiB: the server quotes an excerpt of what
// it refuses, never all of it (issue 12, item 1).
func TestErrorReasonsStayShort(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 7000)
	tests := []struct{ name, head string }{
		{"a header line full of control bytes", "GET / HTTP/1.1\r\nHost: h\r\nX: " + strings.Repeat("\x01", 60000) + "\r\n\r\n"},
		{"a request line that is not three parts", "GET / HTTP/1.1 " + long + "\r\nHost: h\r\n\r\n"},
		{"a method that is not a token", "G(" + long + " / HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"a target with a byte that must be encoded", "GET /" + long + "\x7f HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"a target with a broken percent-escape", "GET /" + long + "%zz HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"a target neither a path nor a URL", "GET x" + long + " HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"an absolute target with a bad host", "GET http://" + long + ":x/ HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"a CONNECT with a long target", "CONNECT " + long + ":443 HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"a bad Host", "GET / HTTP/1.1\r\nHost: " + long + "/\r\n\r\n"},
		{"a header line without a colon", "GET / HTTP/1.1\r\nHost: h\r\n" + long + "\r\n\r\n"},
		{"a header name that is not a token", "GET / HTTP/1.1\r\nHost: h\r\nX(" + long + ": 1\r\n\r\n"},
		{"a header line that starts with a space", "GET / HTTP/1.1\r\nHost: h\r\n " + long + "\r\n\r\n"},
		{"a header line with a space before its colon", "GET / HTTP/1.1\r\nHost: h\r\nX" + long + " : 1\r\n\r\n"},
		{"Content-Length fields that disagree", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1" + long + "\r\nContent-Length: 2" + long + "\r\n\r\n"},
		{"a Content-Length that is not a number", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: " + long + "\r\n\r\n"},
		{"a Transfer-Encoding that does not end in chunked", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: " + long + "\r\n\r\n"},
		{"a Transfer-Encoding with codings under chunked", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: " + long + ", chunked\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run("keeps the reason short for "+tt.name, func(t *testing.T) {
			_, err := parseRequest([]byte(tt.head))
			if err == nil {
				t.Fatal("got no error, want one")
			}
			if len(err.Error()) > 1<<10 {
				t.Errorf("the reason is %d bytes, want at most 1 KiB: %.200s...", len(err.Error()), err.Error())
			}
		})
	}
}

// TestParseRequestFramesStrictly checks the framing rules of issue 12,
// item 6, and the absolute-form targets of issue 13, item 8.
func TestParseRequestFramesStrictly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		input      string
		wantStatus int    // 0: accepted
		wantReason string // a part of the reason
		wantHost   string // for an accepted absolute-form target: the path it names
	}{
		{name: "accepts a head whose every line ends in CRLF", input: "GET / HTTP/1.1\r\nHost: h\r\n\r\n"},
		{name: "accepts a head whose every line ends in a bare LF, as typed into nc", input: "GET / HTTP/1.1\nHost: h\n\n"},
		{name: "answers 400 to a bare LF among CRLF line ends, which could hide a field from another parser",
			input:      "POST / HTTP/1.1\r\nHost: h\r\nDummy: x\nContent-Length: 23\r\n\r\n",
			wantStatus: http.StatusBadRequest, wantReason: "the head mixes CRLF and bare LF line ends"},
		{name: "answers 400 to a CRLF head that ends with a bare LF empty line",
			input:      "GET / HTTP/1.1\r\nHost: h\r\n\n",
			wantStatus: http.StatusBadRequest, wantReason: "the head mixes CRLF and bare LF line ends"},
		{name: "answers 400 to a bare-LF head that ends with a CRLF empty line",
			input:      "GET / HTTP/1.1\nHost: h\n\r\n",
			wantStatus: http.StatusBadRequest, wantReason: "the head mixes CRLF and bare LF line ends"},
		{name: "answers 400 to a request line in CRLF and the fields in bare LF",
			input:      "GET / HTTP/1.1\r\nHost: h\nX: y\n\n",
			wantStatus: http.StatusBadRequest, wantReason: "the head mixes CRLF and bare LF line ends"},
		{name: "accepts one empty line before the request line, as RFC 9112 asks", input: "\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"},
		{name: "accepts one bare-LF empty line before a bare-LF head", input: "\nGET / HTTP/1.1\nHost: h\n\n"},
		{name: "answers 400 to a second empty line before the request line", input: "\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
			wantStatus: http.StatusBadRequest},
		{name: "still answers 400 to a CR inside a line", input: "GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n",
			wantStatus: http.StatusBadRequest, wantReason: "control character"},
		{name: "accepts an absolute-form target with an IPv6 literal and a port", input: "GET http://[::1]:8080/hello HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", wantHost: "/hello"},
		{name: "accepts an absolute-form target with an IPv6 literal and no port", input: "GET http://[2001:db8::1]/a?b HTTP/1.1\r\nHost: x\r\n\r\n", wantHost: "/a"},
		{name: "accepts a scheme in upper case, since schemes are case-insensitive", input: "GET HTTP://x/hello HTTP/1.1\r\nHost: x\r\n\r\n", wantHost: "/hello"},
		{name: "accepts a scheme in mixed case over TLS's name too", input: "GET hTtPs://x:443 HTTP/1.1\r\nHost: x\r\n\r\n", wantHost: "/"},
		{name: "answers 400 to an IPv6 literal without its closing bracket", input: "GET http://[::1/hello HTTP/1.1\r\nHost: x\r\n\r\n", wantStatus: http.StatusBadRequest},
		{name: "answers 400 to an IPv6 literal followed by other than a port", input: "GET http://[::1]x/hello HTTP/1.1\r\nHost: x\r\n\r\n", wantStatus: http.StatusBadRequest},
		{name: "answers 400 to brackets around what is not an IPv6 address", input: "GET http://[example]/ HTTP/1.1\r\nHost: x\r\n\r\n", wantStatus: http.StatusBadRequest},
		{name: "answers 400 to a port that is not a number after an IPv6 literal", input: "GET http://[::1]:http/ HTTP/1.1\r\nHost: x\r\n\r\n", wantStatus: http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := parseRequest([]byte(tt.input))
			if tt.wantStatus == 0 {
				require.NoError(t, err)
				if tt.wantHost != "" && req.Path != tt.wantHost {
					t.Errorf("got the path %q, want %q", req.Path, tt.wantHost)
				}
				return
			}
			var reqErr *requestError
			if !errors.As(err, &reqErr) || reqErr.status != tt.wantStatus || !strings.Contains(reqErr.reason, tt.wantReason) {
				t.Errorf("got %v, want a requestError with status %d saying %q", err, tt.wantStatus, tt.wantReason)
			}
		})
	}
}

func TestRequestMethod(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		head string
		want string
	}{
		{"reads the method of a whole request line", "HEAD / HTTP/1.1\r\n", "HEAD"},
		{"reads the method once the space after it has come", "HEAD ", "HEAD"},
		{"reads the method of a request line too long to parse", "HEAD /" + strings.Repeat("a", maxRequestLineBytes), "HEAD"},
		{"reads nothing before the space after the method", "HEAD", ""},
		{"reads nothing of an empty head", "", ""},
		{"reads nothing past the end of the first line", "HEAD\r\n /", ""},
		{"reads the method after one empty line", "\r\nHEAD / HTTP/1.1\r\n", "HEAD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := requestMethod([]byte(tt.head)); got != tt.want {
				t.Errorf("requestMethod(%.40q) = %q, want %q", tt.head, got, tt.want)
			}
		})
	}
}
