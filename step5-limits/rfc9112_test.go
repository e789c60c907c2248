package main

import (
	"bufio"
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestParseRequestVerdicts checks the rules of RFC 9112 that step 5
// enforces, each with the status code it answers.
func TestParseRequestVerdicts(t *testing.T) {
	const ok = 0
	tests := []struct {
		name       string
		input      string
		wantStatus int
	}{
		{"answers 414 to a request line longer than 8 KiB", "GET /" + strings.Repeat("a", maxRequestLineBytes) + " HTTP/1.1\r\nHost: h\r\n\r\n", http.StatusRequestURITooLong},
		{"answers 414 to a long request line after an empty line", "\r\nGET /" + strings.Repeat("a", maxRequestLineBytes) + " HTTP/1.1\r\nHost: h\r\n\r\n", http.StatusRequestURITooLong},
		{"accepts one empty line before the request line", "\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", ok},
		{"answers 400 to two empty lines before the request line", "\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", http.StatusBadRequest},
		{"answers 414 to a long request line even before the head ends", "GET /" + strings.Repeat("a", maxRequestLineBytes), http.StatusRequestURITooLong},
		{"accepts a request line of exactly 8 KiB", "GET /" + strings.Repeat("a", maxRequestLineBytes-len("GET / HTTP/1.1")) + " HTTP/1.1\r\nHost: h\r\n\r\n", ok},
		{"answers 431 to more than 100 header fields", "GET / HTTP/1.1\r\nHost: h\r\n" + strings.Repeat("X: y\r\n", maxHeaderFields) + "\r\n", http.StatusRequestHeaderFieldsTooLarge},
		{"accepts exactly 100 header fields", "GET / HTTP/1.1\r\nHost: h\r\n" + strings.Repeat("X: y\r\n", maxHeaderFields-1) + "\r\n", ok},
		{"accepts a head whose every line ends in a bare LF", "GET / HTTP/1.1\nHost: h\n\n", ok},
		{"answers 400 to a head that mixes CRLF and bare LF line ends", "GET / HTTP/1.1\r\nHost: h\r\nDummy: x\nContent-Length: 23\r\n\r\n", http.StatusBadRequest},
		{"answers 400 to an HTTP/1.1 request without Host", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", http.StatusBadRequest},
		{"answers 400 to a request with two Host fields", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", http.StatusBadRequest},
		{"answers 400 to two Host fields in any case", "GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", http.StatusBadRequest},
		{"answers 400 to a Host that is not a host name", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", http.StatusBadRequest},
		{"answers 400 to a Host with a bad percent escape", "GET / HTTP/1.1\r\nHost: a%zz\r\n\r\n", http.StatusBadRequest},
		{"accepts a Host with a port", "GET / HTTP/1.1\r\nHost: localhost:8888\r\n\r\n", ok},
		{"accepts an IPv6 Host", "GET / HTTP/1.1\r\nHost: [::1]:8888\r\n\r\n", ok},
		{"answers 400 to a bad percent escape in the target", "GET /%zz HTTP/1.1\r\nHost: h\r\n\r\n", http.StatusBadRequest},
		{"answers 400 to an absolute URL without a host", "GET http:///p HTTP/1.1\r\nHost: h\r\n\r\n", http.StatusBadRequest},
		{"accepts an HTTP/1.0 request without Host", "GET / HTTP/1.0\r\n\r\n", ok},
		{"answers 505 to HTTP/2.0", "GET / HTTP/2.0\r\nHost: h\r\n\r\n", http.StatusHTTPVersionNotSupported},
		{"answers 505 to HTTP/0.9", "GET / HTTP/0.9\r\nHost: h\r\n\r\n", http.StatusHTTPVersionNotSupported},
		{"accepts a later HTTP/1.x as HTTP/1.1", "GET / HTTP/1.2\r\nHost: h\r\n\r\n", ok},
		{"answers 400 to a version that is not HTTP/d.d", "GET / HTTP/1.10\r\nHost: h\r\n\r\n", http.StatusBadRequest},
		{"answers 400 to a method with a control character", "G\x01T / HTTP/1.1\r\nHost: h\r\n\r\n", http.StatusBadRequest},
		{"answers 400 to a method that is not a token", "GE(T / HTTP/1.1\r\nHost: h\r\n\r\n", http.StatusBadRequest},
		{"answers 400 to a space in the request-target", "GET /a b HTTP/1.1\r\nHost: h\r\n\r\n", http.StatusBadRequest},
		{"answers 400 to a tab in the request-target", "GET /a\tb HTTP/1.1\r\nHost: h\r\n\r\n", http.StatusBadRequest},
		{"answers 400 to a DEL in the request-target", "GET /a\x7fb HTTP/1.1\r\nHost: h\r\n\r\n", http.StatusBadRequest},
		{"answers 400 to a fragment in the request-target", "GET /a#top HTTP/1.1\r\nHost: h\r\n\r\n", http.StatusBadRequest},
		{"answers 400 to a byte that is not ASCII in the request-target", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n", http.StatusBadRequest},
		{"accepts a percent-encoded request-target", "GET /caf%C3%A9 HTTP/1.1\r\nHost: h\r\n\r\n", ok},
		{"answers 400 to a header line without a colon", "GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", http.StatusBadRequest},
		{"answers 400 to whitespace before the colon", "GET / HTTP/1.1\r\nHost: h\r\nX-A\t: 1\r\n\r\n", http.StatusBadRequest},
		{"answers 400 to obsolete line folding", "GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n 2\r\n\r\n", http.StatusBadRequest},
		{"accepts a tab inside a field value", "GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\t2\r\n\r\n", ok},
		{"answers 400 to a NUL inside a field value", "GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\x002\r\n\r\n", http.StatusBadRequest},
		{"accepts a Content-Length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello", ok},
		{"accepts two Content-Length fields that agree", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello", ok},
		{"answers 400 to two Content-Length fields that disagree", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", http.StatusBadRequest},
		{"answers 400 to a Content-Length that is not a number", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: five\r\n\r\n", http.StatusBadRequest},
		{"answers 400 to a negative Content-Length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", http.StatusBadRequest},
		{"answers 400 to a Content-Length list", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\n", http.StatusBadRequest},
		{"answers 400 to an empty Content-Length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n", http.StatusBadRequest},
		{"answers 400 to a Content-Length too big to be a number here", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n", http.StatusBadRequest},
		{"answers 400 to Transfer-Encoding with Content-Length", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", http.StatusBadRequest},
		{"answers 501 to a chunked body, which this step does not read", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", http.StatusNotImplemented},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseRequest([]byte(tt.input))
			if tt.wantStatus == ok {
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				return
			}
			checkRequestError(t, err, tt.wantStatus)
		})
	}
}

func TestParseRequestReadsContentLength(t *testing.T) {
	req, err := parseRequest([]byte("POST /form HTTP/1.1\r\nHost: h\r\ncontent-length: 0012\r\n\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if req.ContentLength != 12 {
		t.Errorf("got ContentLength %d, want 12", req.ContentLength)
	}
}

// maxReasonBytes bounds an error's reason, so that the body of the
// answer (the status line, the reason and a newline) stays under 1 KiB.
const maxReasonBytes = 1<<10 - 64

// FuzzParseRequest feeds the parser any bytes at all. Whatever the input,
// it returns a request or a *requestError with a short reason, never
// panics, and what it accepts keeps within the limits and holds no line
// end or control byte.
// The seed corpus is in testdata/fuzz/FuzzParseRequest.
func FuzzParseRequest(f *testing.F) {
	f.Add([]byte(firefoxRequest))
	f.Add([]byte("GET /hello?name=you HTTP/1.1\r\nHost: h\r\n\r\n"))
	f.Add([]byte("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := parseRequest(data)
		if err != nil {
			var reqErr *requestError
			if !isRequestErrorOf(err, &reqErr) {
				t.Fatalf("got %T %v, want a *requestError", err, err)
			}
			if reqErr.status < 400 || reqErr.status > 599 || strings.ContainsAny(reqErr.reason, "\r\n") {
				t.Fatalf("got status %d and reason %q", reqErr.status, reqErr.reason)
			}
			// The body is the status line, ": ", the reason and a newline:
			// under 1 KiB whatever the input, so the reason under 960 bytes.
			if len(reqErr.reason) > maxReasonBytes {
				t.Fatalf("got a reason of %d bytes, more than %d: %.200q", len(reqErr.reason), maxReasonBytes, reqErr.reason)
			}
			return
		}
		end := endOfHead(data)
		if end < 0 || end > maxHeadBytes {
			t.Fatalf("accepted a head that ends at %d (limit %d)", end, maxHeadBytes)
		}
		if len(req.Method)+len(req.Target)+len(req.Version)+2 > maxRequestLineBytes {
			t.Fatalf("accepted a request line longer than %d bytes", maxRequestLineBytes)
		}
		if len(req.Headers) > maxHeaderFields {
			t.Fatalf("accepted %d header fields", len(req.Headers))
		}
		if !isToken(req.Method) || !isHTTPVersion(req.Version) || req.ContentLength < 0 {
			t.Fatalf("accepted %+v", req)
		}
		for _, field := range req.Headers {
			if !isToken(field.Name) || strings.IndexFunc(field.Value, isControl) >= 0 {
				t.Fatalf("accepted the field %q: %q", field.Name, field.Value)
			}
		}
	})
}

func isRequestErrorOf(err error, target **requestError) bool {
	e, ok := err.(*requestError)
	*target = e
	return ok
}

// TestParseRequestAgreesWithNetHTTP compares step 5's verdict on each
// request with the standard library's http.ReadRequest: both accept or
// both reject, and what both accept they understand the same way. Where
// they disagree on purpose, the table says why.
func TestParseRequestAgreesWithNetHTTP(t *testing.T) {
	tests := []struct {
		name  string
		input string
		// why step 5 differs from http.ReadRequest here; "" if it does not
		disagreement string
	}{
		{name: "the Firefox request", input: firefoxRequest},
		{name: "a query", input: "GET /hello?name=you&x=1 HTTP/1.1\r\nHost: h\r\n\r\n"},
		{name: "HTTP/1.0 without Host", input: "GET / HTTP/1.0\r\n\r\n"},
		{name: "bare LF line ends", input: "GET / HTTP/1.1\nHost: h\n\n"},
		{name: "a head that mixes CRLF and bare LF line ends", input: "GET / HTTP/1.1\r\nHost: h\r\nDummy: x\nContent-Length: 3\r\n\r\nabc",
			disagreement: "http.ReadRequest takes each line's end on its own; RFC 9112 section 2.2 lets a recipient recognize a bare LF, and step 5 does so only when every line of the head ends that way, since another parser may end a mixed head, or a line of it, elsewhere"},
		{name: "one empty line before the request line", input: "\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
			disagreement: "http.ReadRequest refuses it (net/http's Server skips up to four CR and LF bytes before calling it, and only after a POST); RFC 9112 section 2.2 asks a server to ignore at least one empty line before the request line, and step 5 ignores one"},
		{name: "two empty lines before the request line", input: "\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"},
		{name: "a value with spaces around it", input: "GET / HTTP/1.1\r\nHost: h\r\nX-A:  a b \t\r\n\r\n"},
		{name: "a repeated field", input: "GET / HTTP/1.1\r\nHost: h\r\nCookie: a=1\r\nCookie: b=2\r\n\r\n"},
		{name: "an absolute-form target", input: "GET http://h/p?q=1 HTTP/1.1\r\nHost: h\r\n\r\n"},
		{name: "a POST with Content-Length", input: "POST /f HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"},
		{name: "a request line that is not HTTP", input: "HELLO SERVER\r\n\r\n"},
		{name: "a lower-case version", input: "GET / http/1.1\r\nHost: h\r\n\r\n"},
		{name: "a header line without a colon", input: "GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n"},
		{name: "whitespace before the colon", input: "GET / HTTP/1.1\r\nHost: h\r\nX-A : 1\r\n\r\n",
			disagreement: "http.ReadRequest tolerates it; RFC 9112 section 5.1 says a server MUST reject it with 400, since a proxy might read the name differently"},
		{name: "a NUL in a value", input: "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\x00b\r\n\r\n"},
		{name: "two Content-Length fields that disagree", input: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"},
		{name: "Transfer-Encoding with Content-Length", input: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
			disagreement: "http.ReadRequest drops Content-Length and reads the chunks; RFC 9112 section 6.1 lets a server reject such a request, and a server that reads one body at a time should, since the two fields are how requests are smuggled"},
		{name: "a Content-Length that is not a number", input: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: x\r\n\r\n"},
		{name: "HTTP/1.1 without Host", input: "GET / HTTP/1.1\r\n\r\n",
			disagreement: "http.ReadRequest leaves the rule to the server (net/http's Server answers 400); step 5 is parser and server in one"},
		{name: "two Host fields", input: "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"},
		{name: "HTTP/2.0", input: "GET / HTTP/2.0\r\nHost: h\r\n\r\n",
			disagreement: "http.ReadRequest parses any HTTP/x.y and leaves versions to the server (net/http's Server answers 505); step 5 answers 505 itself"},
		{name: "obsolete line folding", input: "GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n 2\r\n\r\n",
			disagreement: "http.ReadRequest joins a folded line to the one before, which RFC 9112 section 5.2 allows; step 5 takes the other choice the RFC gives, 400"},
		{name: "a fragment in the target", input: "GET /a#b HTTP/1.1\r\nHost: h\r\n\r\n",
			disagreement: "http.ReadRequest takes # as the start of a fragment; a fragment is never sent (RFC 9112 section 3.2), so step 5 rejects it"},
		{name: "a byte that is not ASCII in the target", input: "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n",
			disagreement: "http.ReadRequest accepts it; RFC 3986 allows only ASCII in a URI, the rest percent-encoded, and step 5 holds to it"},
		{name: "a target that is not a path or URL", input: "GET hello HTTP/1.1\r\nHost: h\r\n\r\n"},
		{name: "a bad percent escape in the path", input: "GET /%zz HTTP/1.1\r\nHost: h\r\n\r\n"},
		{name: "a good percent escape in the path", input: "GET /a%20b HTTP/1.1\r\nHost: h\r\n\r\n"},
		{name: "an absolute URL with a bad escape for its host", input: "GET http://%0 HTTP/1.1\r\nHost: h\r\n\r\n"},
		{name: "an absolute URL with a port that is not a number", input: "GET http://:A HTTP/1.1\r\nHost: h\r\n\r\n"},
		{name: "an absolute URL with a port", input: "GET http://h:8888/p HTTP/1.1\r\nHost: h\r\n\r\n"},
		{name: "an absolute URL whose host is an IPv6 address", input: "GET http://[::1]:8080/hello HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n"},
		{name: "an absolute URL with an IPv6 address left open", input: "GET http://[::1/hello HTTP/1.1\r\nHost: h\r\n\r\n"},
		{name: "an absolute URL with an upper-case scheme", input: "GET HTTP://x/hello HTTP/1.1\r\nHost: x\r\n\r\n"},
		{name: "a Host with a space", input: "GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
			disagreement: "http.ReadRequest leaves the Host value to the server (net/http's Server answers 400); step 5 is parser and server in one"},
		{name: "a Host with a port", input: "GET / HTTP/1.1\r\nHost: localhost:8888\r\n\r\n"},
		{name: "a chunked body", input: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
			disagreement: "http.ReadRequest decodes chunked bodies; step 5 answers 501 and leaves them to step 10"},
	}
	for _, tt := range tests {
		verb := "agrees with"
		if tt.disagreement != "" {
			verb = "knowingly differs from"
		}
		t.Run("step 5 "+verb+" net/http on "+tt.name, func(t *testing.T) {
			ours, ourErr := parseRequest([]byte(tt.input))
			theirs, theirErr := http.ReadRequest(bufio.NewReader(strings.NewReader(tt.input)))
			weAccept, theyAccept := ourErr == nil, theirErr == nil
			if tt.disagreement != "" {
				if weAccept == theyAccept {
					t.Errorf("the table says we differ (%s), but both %s: ours %v, net/http %v", tt.disagreement, verdict(weAccept), ourErr, theirErr)
				}
				return
			}
			if weAccept != theyAccept {
				t.Fatalf("step 5 %s (%v), net/http %s (%v)", verdict(weAccept), ourErr, verdict(theyAccept), theirErr)
			}
			if !weAccept {
				return
			}
			want := understood{theirs.Method, theirs.URL.EscapedPath(), theirs.URL.RawQuery, theirs.Proto, map[string][]string(theirs.Header)}
			if theirs.URL.Path == "" {
				want.Path = "/"
			}
			got := understood{ours.Method, ours.Path, ours.Query, ours.Version, map[string][]string{}}
			for _, field := range ours.Headers {
				name := http.CanonicalHeaderKey(field.Name)
				if name == "Host" {
					continue // net/http moves Host out of the header map
				}
				got.Headers[name] = append(got.Headers[name], field.Value)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("step 5 understood the request differently (-net/http +step 5):\n%s", diff)
			}
			if theirs.ContentLength > 0 {
				body := new(bytes.Buffer)
				body.ReadFrom(theirs.Body)
				if int(theirs.ContentLength) != ours.ContentLength {
					t.Errorf("Content-Length: net/http %d, step 5 %d", theirs.ContentLength, ours.ContentLength)
				}
			}
		})
	}
}

// understood is what a parser made of a request, in terms both parsers
// share.
type understood struct {
	Method, Path, Query, Version string
	Headers                      map[string][]string
}

func verdict(accepted bool) string {
	if accepted {
		return "accepts"
	}
	return "rejects"
}
