//go:build unix

package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

// environ is what an application can see of an *http.Request, in a form
// that cmp can compare.
type environ struct {
	Method           string
	URL              string
	Path             string
	RawQuery         string
	Proto            string
	ProtoMajor       int
	ProtoMinor       int
	Header           http.Header
	Host             string
	ContentLength    int64
	TransferEncoding []string
	Body             string
	RemoteAddr       string
	RequestURI       string
}

func environOf(t *testing.T, r *http.Request) environ {
	t.Helper()
	body, err := io.ReadAll(r.Body)
	require.NoError(t, err, "reading r.Body")
	return environ{
		Method: r.Method, URL: r.URL.String(), Path: r.URL.Path, RawQuery: r.URL.RawQuery,
		Proto: r.Proto, ProtoMajor: r.ProtoMajor, ProtoMinor: r.ProtoMinor,
		Header: r.Header, Host: r.Host, ContentLength: r.ContentLength,
		TransferEncoding: r.TransferEncoding, Body: string(body),
		RemoteAddr: r.RemoteAddr, RequestURI: r.RequestURI,
	}
}

// parsed parses a request head with step 5's parser, as the server does.
func parsed(t *testing.T, head string) request {
	t.Helper()
	req, err := parseRequest([]byte(head))
	require.NoError(t, err, "parseRequest(%q)", head)
	return req
}

func TestNewRequestFillsTheEnviron(t *testing.T) {
	tests := []struct {
		name string
		head string
		body string
		want environ
	}{
		{
			name: "turns a GET with a query into method, URL, query and header fields",
			head: "GET /hello?name=ada HTTP/1.1\r\nHost: localhost:8888\r\nAccept: */*\r\n\r\n",
			want: environ{
				Method: "GET", URL: "/hello?name=ada", Path: "/hello", RawQuery: "name=ada",
				Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
				Header: http.Header{"Accept": {"*/*"}}, Host: "localhost:8888",
				RemoteAddr: "127.0.0.1:40000", RequestURI: "/hello?name=ada",
			},
		},
		{
			name: "gives header names their canonical case and keeps repeated fields in order",
			head: "GET / HTTP/1.1\r\nhost: h\r\nx-custom-thing: 1\r\nCOOKIE: a=1\r\ncookie: b=2\r\n\r\n",
			want: environ{
				Method: "GET", URL: "/", Path: "/", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
				Header: http.Header{"X-Custom-Thing": {"1"}, "Cookie": {"a=1", "b=2"}}, Host: "h",
				RemoteAddr: "127.0.0.1:40000", RequestURI: "/",
			},
		},
		{
			name: "decodes a percent-encoded path but keeps the target as sent in RequestURI",
			head: "GET /hello/Ad%C3%A1 HTTP/1.1\r\nHost: h\r\n\r\n",
			want: environ{
				Method: "GET", URL: "/hello/Ad%C3%A1", Path: "/hello/Adá", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
				Header: http.Header{}, Host: "h", RemoteAddr: "127.0.0.1:40000", RequestURI: "/hello/Ad%C3%A1",
			},
		},
		{
			name: "takes the host from an absolute-form target rather than from Host",
			head: "GET http://example.com:8080/a?b=c HTTP/1.1\r\nHost: other\r\n\r\n",
			want: environ{
				Method: "GET", URL: "http://example.com:8080/a?b=c", Path: "/a", RawQuery: "b=c",
				Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
				Header: http.Header{}, Host: "example.com:8080",
				RemoteAddr: "127.0.0.1:40000", RequestURI: "http://example.com:8080/a?b=c",
			},
		},
		{
			name: "reads HTTP/1.0 as protocol 1.0 and an empty Host when there is none",
			head: "GET / HTTP/1.0\r\n\r\n",
			want: environ{
				Method: "GET", URL: "/", Path: "/", Proto: "HTTP/1.0", ProtoMajor: 1, ProtoMinor: 0,
				Header: http.Header{}, RemoteAddr: "127.0.0.1:40000", RequestURI: "/",
			},
		},
		{
			name: "hands a body sent with Content-Length to r.Body, with its length",
			head: "POST /hello HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\n",
			body: "hello there",
			want: environ{
				Method: "POST", URL: "/hello", Path: "/hello", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
				Header: http.Header{"Content-Type": {"text/plain"}, "Content-Length": {"11"}}, Host: "h",
				ContentLength: 11, Body: "hello there", RemoteAddr: "127.0.0.1:40000", RequestURI: "/hello",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := newRequest(parsed(t, tt.head), strings.NewReader(tt.body), "127.0.0.1:40000")
			require.NoError(t, err)
			if diff := cmp.Diff(tt.want, environOf(t, r)); diff != "" {
				t.Errorf("the *http.Request differs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewRequestGivesAnEmptyBodyAsNoBody(t *testing.T) {
	r, err := newRequest(parsed(t, "GET / HTTP/1.1\r\nHost: h\r\n\r\n"), nil, "127.0.0.1:1")
	require.NoError(t, err)
	if r.Body != http.NoBody {
		t.Errorf("got Body %T, want http.NoBody, as net/http gives a request without a body", r.Body)
	}
	if r.Context() == nil {
		t.Error("got a nil Context, want one an application can use")
	}
}

// TestNewRequestAgreesWithNetHTTP reads each request both with the
// gateway (parseRequest, then newRequest) and with net/http's
// http.ReadRequest, the parser of net/http's own server, and finds the
// same *http.Request.
func TestNewRequestAgreesWithNetHTTP(t *testing.T) {
	tests := []struct{ name, raw, body string }{
		{"a browser's GET", "GET /hello HTTP/1.1\r\nHost: localhost:8888\r\nUser-Agent: Mozilla/5.0\r\nAccept: text/html\r\nAccept-Encoding: gzip, deflate\r\nConnection: keep-alive\r\n\r\n", ""},
		{"a query and a path parameter", "GET /hello/ada?x=1&y=%20 HTTP/1.1\r\nHost: h\r\n\r\n", ""},
		{"a percent-encoded path", "GET /a%2Fb/Ad%C3%A1 HTTP/1.1\r\nHost: h\r\n\r\n", ""},
		{"HTTP/1.0", "GET / HTTP/1.0\r\nUser-Agent: old\r\n\r\n", ""},
		{"an absolute-form target", "GET http://example.com/p?q=1 HTTP/1.1\r\nHost: example.com\r\n\r\n", ""},
		{"an absolute-form target with an IPv6 literal", "GET http://[::1]:8080/hello HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", ""},
		{"an absolute-form target whose scheme is in capitals", "GET HTTP://x/hello HTTP/1.1\r\nHost: x\r\n\r\n", ""},
		{"a POST with Content-Length", "POST /hello HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 20\r\n\r\n", "name=student&lang=go"},
		{"HEAD", "HEAD /hello HTTP/1.1\r\nHost: h\r\n\r\n", ""},
		{"repeated fields in any case", "GET / HTTP/1.1\r\nHost: h\r\ncookie: a=1\r\nCookie: b=2\r\nx-a: 1\r\n\r\n", ""},
	}
	for _, tt := range tests {
		t.Run("the gateway reads "+tt.name+" as net/http does", func(t *testing.T) {
			theirs, err := http.ReadRequest(bufio.NewReader(strings.NewReader(tt.raw + tt.body)))
			require.NoError(t, err, "http.ReadRequest")
			theirs.RemoteAddr = "127.0.0.1:40000" // net/http's server fills it in after ReadRequest

			ours, err := newRequest(parsed(t, tt.raw), strings.NewReader(tt.body), "127.0.0.1:40000")
			require.NoError(t, err)
			if diff := cmp.Diff(environOf(t, theirs), environOf(t, ours)); diff != "" {
				t.Errorf("the gateway's *http.Request differs from net/http's (-net/http +gateway):\n%s", diff)
			}
		})
	}
}

func TestNewRequestRefusesWhatAnApplicationCannotAnswer(t *testing.T) {
	tests := []struct {
		name       string
		head       string
		wantStatus int
	}{
		{"answers 413 to a Content-Length over maxBodyBytes, before the body is read", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1048577\r\n\r\n", http.StatusRequestEntityTooLarge},
		{"answers 400 to a host that a URL cannot have", "GET http://a%20b/ HTTP/1.1\r\nHost: h\r\n\r\n", http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newRequest(parsed(t, tt.head), nil, "127.0.0.1:1")
			var reqErr *requestError
			if !errors.As(err, &reqErr) || reqErr.status != tt.wantStatus {
				t.Errorf("got %v, want a requestError with status %d", err, tt.wantStatus)
			}
		})
	}
	t.Run("passes any method to the application", func(t *testing.T) {
		for _, method := range []string{"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "BREW"} {
			r, err := newRequest(parsed(t, method+" /pot HTTP/1.1\r\nHost: h\r\n\r\n"), nil, "127.0.0.1:1")
			if err != nil || r.Method != method {
				t.Errorf("%s: got %v, %v; want the request passed on", method, r, err)
			}
		}
	})
}

// fixedClock is the time that the tests' responses carry in Date.
func fixedClock() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("CET", 3600)) }

// fixedDate is fixedClock in a Date header field: in GMT, as HTTP wants.
const fixedDate = "Fri, 02 Jan 2026 02:04:05 GMT"

// respond runs handler as the application for a request with this method
// and version, through the gateway's responseWriter, and returns the
// bytes that went out.
func respond(t *testing.T, method, version string, handler http.HandlerFunc) string {
	t.Helper()
	var out bytes.Buffer
	w := newResponseWriter(&out, method, fixedClock)
	r := &http.Request{Method: method, URL: &url.URL{Path: "/"}, Proto: version, Header: http.Header{}, Body: http.NoBody}
	if err := serveApp(handler, w, r); err != nil {
		t.Fatalf("the handler panicked: %v", err)
	}
	w.finish()
	require.NoError(t, w.err)
	return out.String()
}

// head writes a response head: the status line, the fields as given
// (already in order), and the empty line.
func head(status string, fields ...string) string {
	return "HTTP/1.1 " + status + "\r\n" + strings.Join(fields, "\r\n") + "\r\n\r\n"
}

func TestResponseWriter(t *testing.T) {
	long := strings.Repeat("0123456789abcdef", responseBufferSize/16*2+10) // two buffers and 160 bytes
	text := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			io.WriteString(w, body)
		}
	}
	tests := []struct {
		name    string
		method  string // GET if empty
		version string // HTTP/1.1 if empty
		handler http.HandlerFunc
		want    string
	}{
		{
			name:    "sends a short, complete output with Content-Length, the fields sorted by name",
			handler: text("Hello, World!\n"),
			want: head("200 OK", "Connection: close", "Content-Length: 14", "Content-Type: text/plain; charset=utf-8",
				"Date: "+fixedDate, "Server: "+serverName) + "Hello, World!\n",
		},
		{
			name: "sorts the application's own fields among the gateway's",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-App", "test")
				w.Header().Set("Cache-Control", "no-store")
				w.Header().Add("Set-Cookie", "b=2")
				w.Header().Add("Set-Cookie", "a=1")
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				w.WriteHeader(http.StatusCreated)
				io.WriteString(w, "made")
			},
			want: head("201 Created", "Cache-Control: no-store", "Connection: close", "Content-Length: 4",
				"Content-Type: text/plain; charset=utf-8", "Date: "+fixedDate, "Server: "+serverName,
				"Set-Cookie: b=2", "Set-Cookie: a=1", "X-App: test") + "made",
		},
		{
			name:    "answers 200 with an empty body when the application writes nothing",
			handler: func(w http.ResponseWriter, r *http.Request) {},
			want:    head("200 OK", "Connection: close", "Content-Length: 0", "Date: "+fixedDate, "Server: "+serverName),
		},
		{
			name:    "sends an output longer than the buffer without Content-Length: the close ends it",
			handler: text(long),
			want: head("200 OK", "Connection: close", "Content-Type: text/plain; charset=utf-8",
				"Date: "+fixedDate, "Server: "+serverName) + long,
		},
		{
			name:    "sends an output of exactly the buffer's size with Content-Length, since it fits",
			handler: text(long[:responseBufferSize]),
			want: head("200 OK", "Connection: close", "Content-Length: "+strconv.Itoa(responseBufferSize), "Content-Type: text/plain; charset=utf-8",
				"Date: "+fixedDate, "Server: "+serverName) + long[:responseBufferSize],
		},
		{
			name:    "sends an output one byte longer than the buffer without Content-Length",
			handler: text(long[:responseBufferSize+1]),
			want: head("200 OK", "Connection: close", "Content-Type: text/plain; charset=utf-8",
				"Date: "+fixedDate, "Server: "+serverName) + long[:responseBufferSize+1],
		},
		{
			name: "sends a short output without Content-Length when the application flushes",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				io.WriteString(w, "one\n")
				w.(http.Flusher).Flush()
				io.WriteString(w, "two\n")
			},
			want: head("200 OK", "Connection: close", "Content-Type: text/plain; charset=utf-8",
				"Date: "+fixedDate, "Server: "+serverName) + "one\ntwo\n",
		},
		{
			name:    "answers HEAD with the header fields of GET, Content-Length included, and no body",
			method:  "HEAD",
			handler: text("Hello, World!\n"),
			want: head("200 OK", "Connection: close", "Content-Length: 14", "Content-Type: text/plain; charset=utf-8",
				"Date: "+fixedDate, "Server: "+serverName),
		},
		{
			name:    "answers HEAD for a long output without Content-Length, and no body",
			method:  "HEAD",
			handler: text(long),
			want: head("200 OK", "Connection: close", "Content-Type: text/plain; charset=utf-8",
				"Date: "+fixedDate, "Server: "+serverName),
		},
		{
			name:    "sends a long output to an HTTP/1.0 client the same way, ended by the close",
			version: "HTTP/1.0",
			handler: text(long),
			want: head("200 OK", "Connection: close", "Content-Type: text/plain; charset=utf-8",
				"Date: "+fixedDate, "Server: "+serverName) + long,
		},
		{
			name: "drops a Content-Length that the application set for a long body: the gateway frames it, by the close",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", strconv.Itoa(len(long)))
				io.WriteString(w, long)
			},
			want: head("200 OK", "Connection: close", "Date: "+fixedDate, "Server: "+serverName) + long,
		},
		{
			name: "replaces a Content-Length that the application set with the length of what it wrote",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", "many")
				io.WriteString(w, "abc")
			},
			want: head("200 OK", "Connection: close", "Content-Length: 3", "Date: "+fixedDate, "Server: "+serverName) + "abc",
		},
		{
			name: "sends no body and no Content-Length with 204 No Content, whatever the application writes",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusNoContent)
				io.WriteString(w, "ignored")
			},
			want: head("204 No Content", "Connection: close", "Date: "+fixedDate, "Server: "+serverName),
		},
		{
			name: "sends no Content-Type when the application sets none",
			handler: func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, "<!DOCTYPE html><p>hi</p>")
			},
			want: head("200 OK", "Connection: close", "Content-Length: 24",
				"Date: "+fixedDate, "Server: "+serverName) + "<!DOCTYPE html><p>hi</p>",
		},
		{
			name: "ignores changes to the header fields after WriteHeader, as net/http does",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Before", "1")
				w.WriteHeader(http.StatusAccepted)
				w.Header().Set("X-After", "1")
				w.WriteHeader(http.StatusTeapot) // a second WriteHeader is ignored too
			},
			want: head("202 Accepted", "Connection: close", "Content-Length: 0", "Date: "+fixedDate, "Server: "+serverName, "X-Before: 1"),
		},
		{
			name: "skips an interim 1xx status and sends the final one",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusEarlyHints)
				io.WriteString(w, "ok")
			},
			want: head("200 OK", "Connection: close", "Content-Length: 2", "Date: "+fixedDate, "Server: "+serverName) + "ok",
		},
		{
			name: "decides Connection and Transfer-Encoding itself (none), whatever the application set",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Connection", "keep-alive")
				w.Header().Set("Transfer-Encoding", "gzip")
				io.WriteString(w, "ok")
			},
			want: head("200 OK", "Connection: close", "Content-Length: 2", "Date: "+fixedDate, "Server: "+serverName) + "ok",
		},
		{
			name: "sets its own Date and Server, whatever the application set",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Date", "Thu, 01 Jan 1970 00:00:00 GMT")
				w.Header().Set("Server", "my-app")
			},
			want: head("200 OK", "Connection: close", "Content-Length: 0", "Date: "+fixedDate, "Server: "+serverName),
		},
		{
			name: "turns a CR or LF in a value into a space and drops a name that is not a token",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header()["X-Evil"] = []string{"a\r\nSet-Cookie: stolen=1"}
				w.Header()["Bad Name"] = []string{"x"}
			},
			want: head("200 OK", "Connection: close", "Content-Length: 0", "Date: "+fixedDate, "Server: "+serverName,
				"X-Evil: a  Set-Cookie: stolen=1"),
		},
		{
			name:    "writes an empty reason phrase for a status code that has none",
			handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(299) },
			want:    head("299 ", "Connection: close", "Content-Length: 0", "Date: "+fixedDate, "Server: "+serverName),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method, version := orElse(tt.method, "GET"), orElse(tt.version, "HTTP/1.1")
			got := respond(t, method, version, tt.handler)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("the response differs (-want +got):\n%s", diff)
			}
			// Whatever the framing, net/http's client reads the response
			// and finds the body the application wrote (a body ended by
			// the close ends where the string does).
			resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(got)), &http.Request{Method: method})
			require.NoError(t, err, "http.ReadResponse")
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err, "reading the body as net/http's client does")
			_, wantBody, _ := strings.Cut(tt.want, "\r\n\r\n")
			if resp.TransferEncoding != nil {
				t.Errorf("the response has the Transfer-Encoding %v, want none", resp.TransferEncoding)
			}
			if string(body) != wantBody {
				t.Errorf("net/http's client read the body %q, want %q", body, wantBody)
			}
		})
	}
}

// failingConn is a connection whose peer has gone: every write fails.
type failingConn struct{ writes int }

func (c *failingConn) Write(p []byte) (int, error) {
	c.writes++
	return 0, errors.New("broken pipe")
}

func TestResponseWriterStopsSendingWhenTheClientIsGone(t *testing.T) {
	conn := &failingConn{}
	w := newResponseWriter(conn, "GET", fixedClock)
	var errs []error
	serveApp(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for range 3 {
			_, err := w.Write(make([]byte, responseBufferSize+1))
			errs = append(errs, err)
		}
	}), w, &http.Request{})
	w.finish()
	if conn.writes != 1 {
		t.Errorf("the gateway tried %d writes to a connection that failed at the first, want 1", conn.writes)
	}
	for i, err := range errs {
		if err == nil {
			t.Errorf("write %d returned no error, want the failure of the connection", i+1)
		}
	}
	if w.err == nil || !strings.Contains(w.err.Error(), "broken pipe") {
		t.Errorf("got w.err %v, want the connection's error wrapped", w.err)
	}
}

func TestServeAppRecoversFromAPanic(t *testing.T) {
	tests := []struct {
		name         string
		handler      http.HandlerFunc
		wantErr      error
		wantHeadSent bool
	}{
		{"returns errAppFailed when the application panics before writing",
			func(w http.ResponseWriter, r *http.Request) { panic("boom") }, errAppFailed, false},
		{"returns errAppFailed with the output still held back, for the server to throw away",
			func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Secret", "1")
				io.WriteString(w, "half a pa")
				panic(errors.New("index out of range"))
			}, errAppFailed, false},
		{"returns errAppFailed with the head gone out when the application flushed before it panicked",
			func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, "begun\n")
				w.(http.Flusher).Flush()
				panic("too late")
			}, errAppFailed, true},
		{"returns nil when the application does not panic",
			func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "fine") }, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newResponseWriter(io.Discard, "GET", fixedClock)
			if err := serveApp(tt.handler, w, &http.Request{}); err != tt.wantErr {
				t.Errorf("serveApp returned %v, want %v", err, tt.wantErr)
			}
			if w.headSent != tt.wantHeadSent {
				t.Errorf("the head has gone out: %v, want %v", w.headSent, tt.wantHeadSent)
			}
		})
	}
}

func TestAnswerError(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"answers a requestError with its status and reason",
			&requestError{http.StatusRequestEntityTooLarge, "too big"},
			"413 Request Entity Too Large: too big\n"},
		{"finds a wrapped requestError",
			fmt.Errorf("reading: %w", &requestError{http.StatusRequestTimeout, "slow"}),
			"408 Request Timeout: reading: slow\n"},
		{"answers 400 to an error that carries no status",
			errors.New("something"),
			"400 Bad Request: something\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := respond(t, "GET", "HTTP/1.1", func(w http.ResponseWriter, r *http.Request) { answerError(w, tt.err) })
			_, body, _ := strings.Cut(got, "\r\n\r\n")
			if diff := cmp.Diff(tt.want, body); diff != "" {
				t.Errorf("body differs (-want +got):\n%s", diff)
			}
		})
	}
}

// orElse returns s, or fallback if s is empty.
func orElse(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

// checkShortReason fails the test when the reason of err would make an
// error body longer than 1 KiB.
func checkShortReason(t *testing.T, err error) {
	t.Helper()
	if len(err.Error()) > 1<<10-100 {
		t.Fatalf("the reason is %d bytes, too long for an error body of 1 KiB: %.200q", len(err.Error()), err.Error())
	}
}

// FuzzNewRequest feeds the server's parser and then the gateway any
// bytes. Whatever the client sends, the gateway returns an
// *http.Request or a *requestError with a short reason, never panics,
// and what it passes on says what the request line said.
func FuzzNewRequest(f *testing.F) {
	f.Add("GET /hello?name=ada HTTP/1.1\r\nHost: h\r\n\r\n")
	f.Add("GET http://example.com:8080/a%20b?c=%zz HTTP/1.1\r\nhost: x\r\nX: 1\r\n\r\n")
	f.Add("POST /hello HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\n")
	f.Add("OPTIONS * HTTP/1.0\r\n\r\n")
	f.Fuzz(func(t *testing.T, head string) {
		req, err := parseRequest([]byte(head))
		if err != nil {
			checkShortReason(t, err)
			return
		}
		r, err := newRequest(req, strings.NewReader("body"), "127.0.0.1:1")
		if err != nil {
			var reqErr *requestError
			if !errors.As(err, &reqErr) {
				t.Fatalf("got %T %v, want a *requestError", err, err)
			}
			checkShortReason(t, err)
			return
		}
		if r.Method != req.Method || r.RequestURI != req.Target || r.Proto != req.Version || r.ProtoMajor != 1 {
			t.Fatalf("passed on %s %s %s (%d.%d) for the request line %s %s %s",
				r.Method, r.RequestURI, r.Proto, r.ProtoMajor, r.ProtoMinor, req.Method, req.Target, req.Version)
		}
		if _, ok := r.Header["Host"]; ok {
			t.Fatalf("left Host in r.Header: %v", r.Header)
		}
	})
}

// TestAnErrorBodyStaysShort checks that whatever the client sent, the
// error the server answers is at most 1 KiB.
func TestAnErrorBodyStaysShort(t *testing.T) {
	heads := map[string]string{
		"a 60 KB header line of control bytes": "GET / HTTP/1.1\r\nHost: h\r\nX: " + strings.Repeat("\x7f", 60<<10) + "\r\n\r\n",
		"a 8 KB target of spaces":              "GET /" + strings.Repeat("%", 8<<10-20) + " HTTP/1.1\r\nHost: h\r\n\r\n",
		"a 60 KB Host":                         "GET / HTTP/1.1\r\nHost: " + strings.Repeat("<", 60<<10) + "\r\n\r\n",
		"a 60 KB Transfer-Encoding":            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: " + strings.Repeat("x", 60<<10) + "\r\n\r\n",
	}
	for name, head := range heads {
		t.Run("answers "+name+" in at most 1 KiB", func(t *testing.T) {
			_, err := parseRequest([]byte(head))
			require.Error(t, err)
			got := respond(t, "GET", "HTTP/1.1", func(w http.ResponseWriter, r *http.Request) { answerError(w, err) })
			if _, body, _ := strings.Cut(got, "\r\n\r\n"); len(body) > 1<<10 {
				t.Errorf("the error body is %d bytes, want at most 1024", len(body))
			}
		})
	}
}
