package main

import (
	"errors"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

// update is the golden-file flag. `go test ./... -update` passes -update
// to every test binary, and a binary that does not define the flag fails
// with "flag provided but not defined"; this package has no golden files
// yet, so it only accepts the flag.
var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// firefoxRequest is the request that Firefox sent in the study note
// (tests/testdata/requests/firefox.http): a request line and eight
// header fields, each line ended by CRLF, then the empty line.
const firefoxRequest = "GET /hello HTTP/1.1\r\n" +
	"Host: localhost:8888\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:58.0) Gecko/20100101 Firefox/58.0\r\n" +
	"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n" +
	"Accept-Language: zh-CN,zh;q=0.8,zh-TW;q=0.7,zh-HK;q=0.5,en-US;q=0.3,en;q=0.2\r\n" +
	"Accept-Encoding: gzip, deflate\r\n" +
	"Cookie: Pycharm-35cf7131=702c9c37-5112-486b-a03b-3cebfe91963b\r\n" +
	"Connection: keep-alive\r\n" +
	"Upgrade-Insecure-Requests: 1\r\n" +
	"\r\n"

func TestParseRequest(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  request
	}{
		{
			name:  "parses the request Firefox sends, every header field in order",
			input: firefoxRequest,
			want: request{
				Method:  "GET",
				Target:  "/hello",
				Path:    "/hello",
				Query:   "",
				Version: "HTTP/1.1",
				Headers: []headerField{
					{"Host", "localhost:8888"},
					{"User-Agent", "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:58.0) Gecko/20100101 Firefox/58.0"},
					{"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
					{"Accept-Language", "zh-CN,zh;q=0.8,zh-TW;q=0.7,zh-HK;q=0.5,en-US;q=0.3,en;q=0.2"},
					{"Accept-Encoding", "gzip, deflate"},
					{"Cookie", "Pycharm-35cf7131=702c9c37-5112-486b-a03b-3cebfe91963b"},
					{"Connection", "keep-alive"},
					{"Upgrade-Insecure-Requests", "1"},
				},
			},
		},
		{
			name:  "parses an HTTP/1.0 request with no header fields",
			input: "GET / HTTP/1.0\r\n\r\n",
			want:  request{Method: "GET", Target: "/", Path: "/", Version: "HTTP/1.0"},
		},
		{
			name:  "leaves the query empty when the target has no question mark",
			input: "GET /hello HTTP/1.1\r\nHost: h\r\n\r\n",
			want:  request{Method: "GET", Target: "/hello", Path: "/hello", Version: "HTTP/1.1", Headers: []headerField{{"Host", "h"}}},
		},
		{
			name:  "splits the query from the path, without the question mark",
			input: "GET /hello?name=you&lang=en HTTP/1.1\r\nHost: h\r\n\r\n",
			want:  request{Method: "GET", Target: "/hello?name=you&lang=en", Path: "/hello", Query: "name=you&lang=en", Version: "HTTP/1.1", Headers: []headerField{{"Host", "h"}}},
		},
		{
			name:  "splits at the first question mark only",
			input: "GET /search?q=why?&x=1 HTTP/1.1\r\nHost: h\r\n\r\n",
			want:  request{Method: "GET", Target: "/search?q=why?&x=1", Path: "/search", Query: "q=why?&x=1", Version: "HTTP/1.1", Headers: []headerField{{"Host", "h"}}},
		},
		{
			name:  "takes the path and query out of an absolute URL",
			input: "GET http://example.com:8888/hello?name=you HTTP/1.1\r\nHost: h\r\n\r\n",
			want:  request{Method: "GET", Target: "http://example.com:8888/hello?name=you", Path: "/hello", Query: "name=you", Version: "HTTP/1.1", Headers: []headerField{{"Host", "h"}}},
		},
		{
			name:  "reads an absolute URL with a query but no path as the root with that query",
			input: "GET http://example.com?name=you HTTP/1.1\r\nHost: h\r\n\r\n",
			want:  request{Method: "GET", Target: "http://example.com?name=you", Path: "/", Query: "name=you", Version: "HTTP/1.1", Headers: []headerField{{"Host", "h"}}},
		},
		{
			name:  "reads an absolute URL with no path as the root",
			input: "GET http://example.com HTTP/1.1\r\nHost: h\r\n\r\n",
			want:  request{Method: "GET", Target: "http://example.com", Path: "/", Version: "HTTP/1.1", Headers: []headerField{{"Host", "h"}}},
		},
		{
			name:  "reads the scheme of an absolute URL in any case",
			input: "GET hTTpS://x/hello HTTP/1.1\r\nHost: x\r\n\r\n",
			want:  request{Method: "GET", Target: "hTTpS://x/hello", Path: "/hello", Version: "HTTP/1.1", Headers: []headerField{{"Host", "x"}}},
		},
		{
			name:  "accepts the asterisk that asks about the whole server",
			input: "OPTIONS * HTTP/1.1\r\nHost: example.com\r\n\r\n",
			want:  request{Method: "OPTIONS", Target: "*", Path: "*", Version: "HTTP/1.1", Headers: []headerField{{"Host", "example.com"}}},
		},
		{
			name:  "accepts lines that end in a bare LF",
			input: "GET /hello HTTP/1.1\nHost: localhost\n\n",
			want:  request{Method: "GET", Target: "/hello", Path: "/hello", Version: "HTTP/1.1", Headers: []headerField{{"Host", "localhost"}}},
		},
		{
			name:  "ignores one empty line before the request line",
			input: "\r\nGET /hello HTTP/1.1\r\nHost: h\r\n\r\n",
			want:  request{Method: "GET", Target: "/hello", Path: "/hello", Version: "HTTP/1.1", Headers: []headerField{{"Host", "h"}}},
		},
		{
			name:  "trims spaces and tabs around a header value but keeps those inside it",
			input: "GET / HTTP/1.1\r\nHost: h\r\nUser-Agent: \t curl/8.5  (test) \t\r\nX-Empty:\r\nX-Tight:value\r\n\r\n",
			want: request{Method: "GET", Target: "/", Path: "/", Version: "HTTP/1.1", Headers: []headerField{
				{"Host", "h"},
				{"User-Agent", "curl/8.5  (test)"},
				{"X-Empty", ""},
				{"X-Tight", "value"},
			}},
		},
		{
			name:  "splits a header line at its first colon only",
			input: "GET / HTTP/1.1\r\nHost: localhost:8888\r\nX-Time: 12:05:00\r\n\r\n",
			want:  request{Method: "GET", Target: "/", Path: "/", Version: "HTTP/1.1", Headers: []headerField{{"Host", "localhost:8888"}, {"X-Time", "12:05:00"}}},
		},
		{
			name:  "keeps a repeated header field twice, in order",
			input: "GET / HTTP/1.1\r\nHost: h\r\nCookie: a=1\r\nCookie: b=2\r\n\r\n",
			want:  request{Method: "GET", Target: "/", Path: "/", Version: "HTTP/1.1", Headers: []headerField{{"Host", "h"}, {"Cookie", "a=1"}, {"Cookie", "b=2"}}},
		},
		{
			name:  "ignores whatever follows the empty line",
			input: "POST /form HTTP/1.1\r\nHost: h\r\nContent-Length: 9\r\n\r\nname=you\n",
			want:  request{Method: "POST", Target: "/form", Path: "/form", Version: "HTTP/1.1", Headers: []headerField{{"Host", "h"}, {"Content-Length", "9"}}},
		},
		{
			name:  "accepts any method that is a token",
			input: "BREW /pot HTTP/1.1\r\nHost: h\r\n\r\n",
			want:  request{Method: "BREW", Target: "/pot", Path: "/pot", Version: "HTTP/1.1", Headers: []headerField{{"Host", "h"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseRequest([]byte(tt.input))
			if err != nil {
				t.Fatalf("parseRequest(%q) error: %v", tt.input, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseRequest(%q) mismatch (-want +got):\n%s", tt.input, diff)
			}
		})
	}
}

func TestParseRequestRejects(t *testing.T) {
	const (
		notThreeParts = "separated by single spaces"
		badMethod     = "the method"
		badVersion    = "not an HTTP version"
		badTarget     = "request-target"
		noHost        = "no host after ://"
		noColon       = "has no colon"
		badName       = "the header name"
		unfinished    = "ended before the empty line"
	)
	tests := []struct {
		name      string
		input     string
		reasonHas string // a phrase of the reason, to show which rule caught it
	}{
		{"an empty request line", "\r\n\r\n", unfinished},
		{"two empty lines before the request line", "\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", notThreeParts},
		{"a request line that is only spaces", " \r\n\r\n", notThreeParts},
		{"a request line that is not HTTP", "HELLO SERVER\r\n\r\n", notThreeParts},
		{"a request line of two parts", "GET /\r\n\r\n", notThreeParts},
		{"a request line of four parts", "GET / HTTP/1.1 extra\r\n\r\n", notThreeParts},
		{"a request line with a double space", "GET  / HTTP/1.1\r\n\r\n", notThreeParts},
		{"a request line with a trailing space", "GET / HTTP/1.1 \r\n\r\n", notThreeParts},
		{"a request line split by tabs", "GET\t/\tHTTP/1.1\r\n\r\n", notThreeParts},
		{"a method with a parenthesis in it", "G(T / HTTP/1.1\r\n\r\n", badMethod},
		{"a method with a comma in it", "GET,POST / HTTP/1.1\r\n\r\n", badMethod},
		{"a version without a minor number", "GET / HTTP/1\r\n\r\n", badVersion},
		{"a version of another protocol", "GET / FOO/1.1\r\n\r\n", badVersion},
		{"a version in lower case", "GET / http/1.1\r\n\r\n", badVersion},
		{"a target that does not start with a slash", "GET hello HTTP/1.1\r\n\r\n", badTarget},
		{"a target that is a URL of another scheme", "GET ftp://example.com/ HTTP/1.1\r\n\r\n", badTarget},
		{"an absolute URL without a host", "GET http:///hello HTTP/1.1\r\n\r\n", noHost},
		{"a header line without a colon", "GET / HTTP/1.1\r\nHost localhost\r\n\r\n", noColon},
		{"a header line with a space before the colon", "GET / HTTP/1.1\r\nHost : localhost\r\n\r\n", badName},
		{"a header name with a space inside", "GET / HTTP/1.1\r\nX Custom: 1\r\n\r\n", badName},
		{"a header line with an empty name", "GET / HTTP/1.1\r\n: value\r\n\r\n", badName},
		{"a header line that starts with a space", "GET / HTTP/1.1\r\n Host: localhost\r\n\r\n", badName},
		{"a request that ends before the empty line", "GET / HTTP/1.1\r\nHost: localhost\r\n", unfinished},
		{"a request line with no line end", "GET / HTTP/1.1", unfinished},
		{"nothing at all", "", unfinished},
	}
	for _, tt := range tests {
		t.Run("rejects "+tt.name, func(t *testing.T) {
			got, err := parseRequest([]byte(tt.input))
			checkRequestError(t, err, http.StatusBadRequest)
			if err != nil && !strings.Contains(err.Error(), tt.reasonHas) {
				t.Errorf("got reason %q, want one that says %q", err, tt.reasonHas)
			}
			if diff := cmp.Diff(request{}, got); diff != "" {
				t.Errorf("parseRequest returned a half-parsed request with its error (-want +got):\n%s", diff)
			}
		})
	}
}

// checkRequestError checks that err is a *requestError with the status
// wantStatus and a reason that fits on one line of the response body.
func checkRequestError(t *testing.T, err error, wantStatus int) {
	t.Helper()
	var reqErr *requestError
	if !errors.As(err, &reqErr) {
		t.Fatalf("got error %v (%T), want a *requestError with status %d", err, err, wantStatus)
	}
	if reqErr.status != wantStatus {
		t.Errorf("got status %d, want %d (reason: %s)", reqErr.status, wantStatus, reqErr.reason)
	}
	if reqErr.reason == "" {
		t.Errorf("got an empty reason, want one that says what is wrong")
	}
	if strings.ContainsAny(reqErr.reason, "\r\n") {
		t.Errorf("got reason %q, want a single line", reqErr.reason)
	}
}

// TestParseRequestTrustsItsClient shows what step 4 leaves to step 5:
// requests that step 5 refuses, for a reason of RFC 9112's or a limit of
// its own, step 4 takes as they come. Each case can fail: a check of
// step 5's that crept into step 4 would reject the request.
func TestParseRequestTrustsItsClient(t *testing.T) {
	tests := []struct {
		name  string
		input string
	}{
		{"accepts an HTTP/1.1 request without Host", "GET / HTTP/1.1\r\n\r\n"},
		{"accepts two Host fields", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"},
		{"accepts a version it does not speak, HTTP/2.0", "GET / HTTP/2.0\r\nHost: h\r\n\r\n"},
		{"accepts a head that mixes CRLF and bare LF line ends", "GET / HTTP/1.1\r\nHost: h\nX: 1\r\n\r\n"},
		{"accepts a bare CR inside a header value", "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n"},
		{"accepts Content-Length and Transfer-Encoding together", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"},
		{"accepts a Content-Length that is not a number", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: five\r\n\r\n"},
		{"accepts a 100 KB header field, past any limit of step 5", "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + strings.Repeat("a", 100<<10) + "\r\n\r\n"},
		{"accepts 1,000 header fields", "GET / HTTP/1.1\r\nHost: h\r\n" + strings.Repeat("X: 1\r\n", 1000) + "\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := parseRequest([]byte(tt.input)); err != nil {
				t.Errorf("parseRequest(%.60q) error: %v, want none: step 4 trusts its client", tt.input, err)
			}
		})
	}
}

func TestEndOfHead(t *testing.T) {
	tests := []struct {
		name string
		data string
		want int
	}{
		{"finds the empty line of CRLF CRLF", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27},
		{"finds the empty line of LF LF", "GET / HTTP/1.1\nHost: x\n\n", 24},
		{"finds a LF line end followed by a CRLF empty line", "GET / HTTP/1.1\nHost: x\n\r\n", 25},
		{"finds a CRLF line end followed by a LF empty line", "GET / HTTP/1.1\r\nHost: x\r\n\n", 26},
		{"points just past the empty line, not at the end of the data", "GET / HTTP/1.1\r\n\r\nbody", 18},
		{"finds an empty request line", "\r\n\r\n", 4},
		{"skips one empty line before the request line", "\r\nGET / HTTP/1.1\r\n\r\n", 20},
		{"returns -1 when the empty line has not arrived yet", "GET / HTTP/1.1\r\nHost: x\r\n", -1},
		{"returns -1 for no data at all", "", -1},
		{"returns -1 for a single line end", "\r\n", -1},
		{"does not take two CRs for an empty line", "GET / HTTP/1.1\r\r", -1},
		{"takes the earlier LF LF when CRLF CRLF comes after it", "GET / HTTP/1.1\n\nX: y\r\n\r\n", 16},
		{"takes the earlier CRLF CRLF when LF LF comes after it", "GET / HTTP/1.1\r\n\r\nbody\n\n", 18},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := endOfHead([]byte(tt.data))
			if got != tt.want {
				t.Errorf("endOfHead(%q) = %d, want %d", tt.data, got, tt.want)
			}
		})
	}
}

func TestIsToken(t *testing.T) {
	tests := []struct {
		name string
		s    string
		want bool
	}{
		{"accepts an upper-case method", "GET", true},
		{"accepts lower case too", "get", true},
		{"accepts a header name with dashes and digits", "X-Custom-Header-2", true},
		{"accepts every symbol that HTTP allows", "!#$%&'*+-.^_`|~", true},
		{"rejects the empty string", "", false},
		{"rejects a space", "GE T", false},
		{"rejects a tab", "GET\t", false},
		{"rejects a parenthesis", "G(T", false},
		{"rejects a colon", "Host:", false},
		{"rejects a slash", "a/b", false},
		{"rejects a non-ASCII letter", "Grüße", false},
		{"rejects a control character", "a\x7f", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isToken(tt.s); got != tt.want {
				t.Errorf("isToken(%q) = %v, want %v", tt.s, got, tt.want)
			}
		})
	}
}

func TestIsHTTPVersion(t *testing.T) {
	tests := []struct {
		name string
		s    string
		want bool
	}{
		{"accepts HTTP/1.1", "HTTP/1.1", true},
		{"accepts HTTP/1.0", "HTTP/1.0", true},
		{"accepts any digit dot digit", "HTTP/2.0", true},
		{"rejects the empty string", "", false},
		{"rejects a version without a minor number", "HTTP/1", false},
		{"rejects two-digit numbers", "HTTP/1.10", false},
		{"rejects letters for digits", "HTTP/a.b", false},
		{"rejects another protocol", "FOO/1.1", false},
		{"rejects lower case", "http/1.1", false},
		{"rejects a trailing space", "HTTP/1.1 ", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isHTTPVersion(tt.s); got != tt.want {
				t.Errorf("isHTTPVersion(%q) = %v, want %v", tt.s, got, tt.want)
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	tests := []struct {
		name string
		req  request
		want string
	}{
		{
			name: "writes every part of the request, one a line, and each header field",
			req: request{
				Method:  "GET",
				Target:  "/hello?name=you",
				Path:    "/hello",
				Query:   "name=you",
				Version: "HTTP/1.1",
				Headers: []headerField{{"Host", "localhost:8888"}, {"Accept", "*/*"}},
			},
			want: "This is what the server understood of your request:\n" +
				"method:  GET\n" +
				"path:    /hello\n" +
				"query:   name=you\n" +
				"version: HTTP/1.1\n" +
				"headers: 2\n" +
				"  Host: localhost:8888\n" +
				"  Accept: */*\n",
		},
		{
			name: "writes an empty query and zero headers",
			req:  request{Method: "HEAD", Target: "/", Path: "/", Version: "HTTP/1.0"},
			want: "This is what the server understood of your request:\n" +
				"method:  HEAD\n" +
				"path:    /\n" +
				"query:   \n" +
				"version: HTTP/1.0\n" +
				"headers: 0\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.req.describe()
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("describe() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFirefoxRequestIsTheFixture(t *testing.T) {
	fixture, err := os.ReadFile(filepath.Join("..", "tests", "testdata", "requests", "firefox.http"))
	require.NoError(t, err)
	if diff := cmp.Diff(string(fixture), firefoxRequest); diff != "" {
		t.Errorf("firefoxRequest differs from tests/testdata/requests/firefox.http (-fixture +here):\n%s", diff)
	}
}

func TestRequestMethod(t *testing.T) {
	tests := []struct {
		name string
		data string
		want string
	}{
		{"reads the method of a good request", "HEAD / HTTP/1.1\r\nHost: h\r\n\r\n", "HEAD"},
		{"reads the method when a header line is bad", "HEAD / HTTP/1.1\r\nNoColon\r\n\r\n", "HEAD"},
		{"reads the method of a head that has not ended", "HEAD / HTTP/1.1\r\nHost: h", "HEAD"},
		{"reads the method after the empty line that is ignored", "\r\nHEAD /a b HTTP/1.1\r\n\r\n", "HEAD"},
		{"reads no method before a space has come", "HEAD", ""},
		{"reads what comes before the first space, a token or not", "HE(D / HTTP/1.1\r\n\r\n", "HE(D"},
		{"reads no method across a line end", "HEAD\r\nHost: a b\r\n\r\n", ""},
		{"reads no method from nothing", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := requestMethod([]byte(tt.data)); got != tt.want {
				t.Errorf("requestMethod(%.40q) = %q, want %q", tt.data, got, tt.want)
			}
		})
	}
}

// FuzzParseRequest feeds the parser any bytes at all. Whatever the input,
// it returns a request or a 400 *requestError with a one-line reason,
// never panics, and what it accepts has a head that ends in an empty
// line, a method and header names that are tokens, an HTTP version,
// and no line end inside a field.
// The seed corpus is in testdata/fuzz/FuzzParseRequest.
func FuzzParseRequest(f *testing.F) {
	f.Add([]byte(firefoxRequest))
	f.Add([]byte("GET /hello?name=you HTTP/1.1\r\nHost: h\r\n\r\n"))
	f.Add([]byte("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := parseRequest(data)
		if err != nil {
			reqErr, ok := err.(*requestError)
			if !ok {
				t.Fatalf("got %T %v, want a *requestError", err, err)
			}
			if reqErr.status != http.StatusBadRequest || strings.ContainsAny(reqErr.reason, "\r\n") {
				t.Fatalf("got status %d and reason %q, want 400 and one line", reqErr.status, reqErr.reason)
			}
			return
		}
		if endOfHead(data) < 0 {
			t.Fatalf("accepted a head without its empty line: %q", data)
		}
		if !isToken(req.Method) || !isHTTPVersion(req.Version) || strings.Contains(req.Target, " ") {
			t.Fatalf("accepted the request line of %+v", req)
		}
		if !strings.HasPrefix(req.Path, "/") && req.Path != "*" {
			t.Fatalf("accepted the path %q", req.Path)
		}
		for _, field := range req.Headers {
			if !isToken(field.Name) || strings.Contains(field.Value, "\n") {
				t.Fatalf("accepted the field %q: %q", field.Name, field.Value)
			}
		}
	})
}
