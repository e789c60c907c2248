package main

import (
	"errors"
	"flag"
	"net/http"
	"testing"
)

// update is the golden-file flag. `go test ./... -update` passes -update
// to every test binary, and a binary that does not define the flag fails
// with "flag provided but not defined"; this package has no golden files,
// so it only accepts the flag.
var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestParseRequestReadsHowTheBodyIsFramed checks what step 5 changes in
// step 4's parser: a chunked body is read now, not answered with 501,
// under RFC 9112's rules for Transfer-Encoding; and CONNECT, which no
// application behind the gateway could answer, gets 501.
func TestParseRequestReadsHowTheBodyIsFramed(t *testing.T) {
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
		{name: "still answers 400 to what step 4 refuses", input: "GET / HTTP/1.1\r\n\r\n", wantStatus: http.StatusBadRequest},
		{name: "still accepts a method step 4 accepted", input: "BREW /pot HTTP/1.1\r\nHost: h\r\n\r\n", wantStatus: ok},
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
