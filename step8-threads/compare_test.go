//go:build unix

package main

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/lsbaws-go/lsbaws-go/apps"
)

// comparedRequests are sent, byte for byte, to each application twice:
// once served by this step's server through the gateway, once by
// net/http's own server.
var comparedRequests = []struct{ name, raw string }{
	{"GET /", "GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: compare\r\n\r\n"},
	{"GET /hello", "GET /hello HTTP/1.1\r\nHost: localhost\r\nUser-Agent: compare\r\nAccept: */*\r\n\r\n"},
	{"GET /hello?name=ada, a query", "GET /hello?name=ada HTTP/1.1\r\nHost: localhost\r\n\r\n"},
	{"GET /hello/ada, a path parameter", "GET /hello/ada HTTP/1.1\r\nHost: localhost\r\n\r\n"},
	{"GET /hello/Ad%C3%A1, a percent-encoded path parameter", "GET /hello/Ad%C3%A1 HTTP/1.1\r\nHost: localhost\r\n\r\n"},
	{"HEAD /hello", "HEAD /hello HTTP/1.1\r\nHost: localhost\r\n\r\n"},
	{"POST /hello with Content-Length", "POST /hello HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 20\r\n\r\nname=student&lang=go"},
	{"GET /count, a response longer than the buffer", "GET /count HTTP/1.1\r\nHost: localhost\r\n\r\n"},
	{"HEAD /count", "HEAD /count HTTP/1.1\r\nHost: localhost\r\n\r\n"},
	{"GET /count from an HTTP/1.0 client", "GET /count HTTP/1.0\r\n\r\n"},
	{"GET /nowhere, a path no app has", "GET /nowhere HTTP/1.1\r\nHost: localhost\r\n\r\n"},
	{"GET /hello/, with a trailing slash", "GET /hello/ HTTP/1.1\r\nHost: localhost\r\n\r\n"},
	{"PUT /hello, a method the path does not take", "PUT /hello HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n"},
}

// notCompared are the header fields in which the two servers differ on
// purpose. Each of the rest, the application's own fields and those that
// net/http adds for it (Content-Type, X-Content-Type-Options, Allow,
// Location...), must be the same.
var notCompared = map[string]string{
	"Date":       "the time of the response: both send it, at different moments",
	"Server":     "this step names itself in Server; net/http's server sends no Server field",
	"Connection": "this step closes every connection and says so; net/http keeps it open for the next request",
	// Content-Length and Transfer-Encoding say how the body is framed:
	// framing() compares that.
	"Content-Length":    "compared as framing",
	"Transfer-Encoding": "compared as framing",
}

// response is what a client can tell of a response, less what differs
// on purpose.
type response struct {
	Status  int
	Framing string // "Content-Length: N", or "until the close" (net/http's "chunked" too: see summarize)
	Header  http.Header
	Body    string
}

func summarize(t *testing.T, resp *http.Response, body string) response {
	t.Helper()
	header := resp.Header.Clone()
	for name := range notCompared {
		header.Del(name)
	}
	// chi lists the methods of Allow in the order of a Go map, which
	// changes from run to run: compare them as a set.
	if allow := header.Values("Allow"); len(allow) > 0 {
		var methods []string
		for _, v := range allow {
			for _, m := range strings.Split(v, ",") {
				methods = append(methods, strings.TrimSpace(m))
			}
		}
		slices.Sort(methods)
		header["Allow"] = methods
	}
	if resp.Header.Get("Date") == "" {
		t.Errorf("the response has no Date field")
	}
	// Where net/http sends chunks, the gateway, which has no chunked
	// coding (step 10 has), ends the body with the connection instead.
	how := framing(resp)
	if how == "chunked" {
		how = "until the close"
	}
	return response{Status: resp.StatusCode, Framing: how, Header: header, Body: body}
}

// framing says how the response marked the end of its body.
func framing(resp *http.Response) string {
	switch {
	case len(resp.TransferEncoding) > 0:
		return strings.Join(resp.TransferEncoding, ", ")
	case resp.Header.Get("Content-Length") != "":
		return "Content-Length: " + resp.Header.Get("Content-Length")
	default:
		return "until the close"
	}
}

// TestTheGatewayAnswersAsNetHTTPDoes serves each application both with
// this step's server and with net/http's (httptest.NewServer, on
// 127.0.0.1), sends both the same requests, and finds the same status,
// the same framing (Content-Length, or none where net/http chunks), the same header fields
// but those in notCompared, and the same body.
func TestTheGatewayAnswersAsNetHTTPDoes(t *testing.T) {
	for _, name := range []string{"stdlib", "chi", "gin"} {
		app, err := apps.New(name)
		require.NoError(t, err)
		ours := serveOn(t, app)
		theirs := httptest.NewUnstartedServer(app)
		theirs.Config.ErrorLog = log.New(io.Discard, "", 0)
		theirs.Start()
		t.Cleanup(theirs.Close)
		theirsAddr := strings.TrimPrefix(theirs.URL, "http://")

		for _, req := range comparedRequests {
			t.Run("the "+name+" app answers "+req.name+" through the gateway as under net/http", func(t *testing.T) {
				ourResp, ourBody, err := roundTrip(t, ours, req.raw)
				require.NoError(t, err, "through the gateway")
				theirResp, theirBody, err := roundTrip(t, theirsAddr, req.raw)
				require.NoError(t, err, "under net/http")

				if diff := cmp.Diff(summarize(t, theirResp, theirBody), summarize(t, ourResp, ourBody)); diff != "" {
					t.Errorf("the responses differ (-net/http +gateway):\n%s", diff)
				}
				if got := ourResp.Header.Get("Server"); got != serverName {
					t.Errorf("the gateway's Server field is %q, want %q", got, serverName)
				}
				if !ourResp.Close {
					t.Errorf("the gateway's response does not say Connection: close")
				}
			})
		}
	}
}

// TestTheGatewayKnowinglyDiffersFromNetHTTP checks the places where this
// step's server answers otherwise than net/http's, on purpose, and why.
func TestTheGatewayKnowinglyDiffersFromNetHTTP(t *testing.T) {
	app, err := apps.New("stdlib")
	require.NoError(t, err)
	ours := serveOn(t, app)
	theirs := httptest.NewUnstartedServer(app)
	theirs.Config.ErrorLog = log.New(io.Discard, "", 0) // it logs the panic
	theirs.Start()
	t.Cleanup(theirs.Close)
	theirsAddr := strings.TrimPrefix(theirs.URL, "http://")

	t.Run("a handler that panics: the gateway answers 500, net/http hangs up without a response", func(t *testing.T) {
		resp, _, err := roundTrip(t, ours, "GET /panic HTTP/1.1\r\nHost: localhost\r\n\r\n")
		require.NoError(t, err)
		if resp.StatusCode != http.StatusInternalServerError {
			t.Errorf("the gateway answered %d, want 500: a client deserves to know that the server failed", resp.StatusCode)
		}
		if resp, _, err := roundTrip(t, theirsAddr, "GET /panic HTTP/1.1\r\nHost: localhost\r\n\r\n"); err == nil {
			t.Errorf("net/http answered %d; the table says it closes the connection instead", resp.StatusCode)
		}
	})
	t.Run("a head that mixes CRLF and bare LF: the gateway answers 400, net/http reads the bare LF as a line end", func(t *testing.T) {
		// Two readers that split such a head differently disagree on its
		// fields, Content-Length among them: on where the request ends.
		raw := "GET /hello HTTP/1.1\r\nHost: localhost\r\nDummy: x\nX-Other: y\r\n\r\n"
		resp, _, err := roundTrip(t, ours, raw)
		require.NoError(t, err)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("the gateway answered %d, want 400", resp.StatusCode)
		}
		resp, _, err = roundTrip(t, theirsAddr, raw)
		require.NoError(t, err)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("net/http answered %d; the table says 200", resp.StatusCode)
		}
	})
	t.Run("a chunked body: the gateway answers 501, as step 5 does, net/http reads the chunks", func(t *testing.T) {
		raw := "POST /hello HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
		resp, _, err := roundTrip(t, ours, raw)
		require.NoError(t, err)
		if resp.StatusCode != http.StatusNotImplemented {
			t.Errorf("the gateway answered %d, want 501", resp.StatusCode)
		}
		resp, _, err = roundTrip(t, theirsAddr, raw)
		require.NoError(t, err)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("net/http answered %d; the table says 200", resp.StatusCode)
		}
	})
	t.Run("a long response: the gateway ends it with the close, net/http sends it in chunks", func(t *testing.T) {
		raw := "GET /count HTTP/1.1\r\nHost: localhost\r\n\r\n"
		resp, _, err := roundTrip(t, ours, raw)
		require.NoError(t, err)
		if got := framing(resp); got != "until the close" || !resp.Close {
			t.Errorf("the gateway framed /count by %q (Connection: close %v), want until the close", got, resp.Close)
		}
		resp, _, err = roundTrip(t, theirsAddr, raw)
		require.NoError(t, err)
		if got := framing(resp); got != "chunked" {
			t.Errorf("net/http framed /count by %q; the table says chunked", got)
		}
	})
	t.Run("a HEAD the server cannot parse: the gateway's 400 has no body, net/http's has one", func(t *testing.T) {
		// An answer to HEAD has no body (RFC 9110, section 9.3.2): a
		// client reads bytes after its head as the next response.
		raw := "HEAD /hello HTTP/1.1\r\n\r\n" // no Host
		ourRaw := readAllFrom(t, ours, raw)
		if _, body, _ := strings.Cut(ourRaw, "\r\n\r\n"); !strings.HasPrefix(ourRaw, "HTTP/1.1 400 ") || body != "" {
			t.Errorf("the gateway answered %q, want a 400 head and no body", ourRaw)
		}
		theirRaw := readAllFrom(t, theirsAddr, raw)
		if _, body, _ := strings.Cut(theirRaw, "\r\n\r\n"); !strings.HasPrefix(theirRaw, "HTTP/1.1 400 ") || body == "" {
			t.Errorf("net/http answered %q; the table says a 400 with a body", theirRaw)
		}
	})
	t.Run("an HTTP/1.0 request: the gateway's status line says HTTP/1.1, net/http's HTTP/1.0", func(t *testing.T) {
		resp, _, err := roundTrip(t, ours, "GET /hello HTTP/1.0\r\n\r\n")
		require.NoError(t, err)
		if resp.Proto != "HTTP/1.1" {
			t.Errorf("the gateway answered with %s, want HTTP/1.1: a server sends its own version (RFC 9110, section 6.2)", resp.Proto)
		}
		resp, _, err = roundTrip(t, theirsAddr, "GET /hello HTTP/1.0\r\n\r\n")
		require.NoError(t, err)
		if resp.Proto != "HTTP/1.0" {
			t.Errorf("net/http answered with %s; the table says HTTP/1.0", resp.Proto)
		}
	})
}
