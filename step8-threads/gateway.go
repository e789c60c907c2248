//go:build unix

package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// The gateway joins the server (main.go), which knows sockets and HTTP,
// to an application, which knows what to answer. Python's WSGI (PEP 3333)
// is such an interface: the server calls application(environ,
// start_response); environ holds the request, start_response takes the
// status and header fields, and the body is what the application returns.
// Go's net/http defines the same three things, and every Go web framework
// builds on them:
//
//	WSGI                          Go
//	environ                       *http.Request          (newRequest)
//	environ["wsgi.input"]         r.Body                 (requestBody)
//	start_response(status, hdrs)  w.Header(), w.WriteHeader(status)
//	the returned body             w.Write(data)          (responseWriter)
//	application(environ, s_r)     app.ServeHTTP(w, r)    (serveApp)
//	the server                    serveForever           (main.go)
//
// So a server that builds an *http.Request and offers an
// http.ResponseWriter can run a chi or gin application unchanged.

const (
	// responseBufferSize is the output held back: see responseWriter.
	responseBufferSize = 4 << 10
	// serverName goes into the Server field of every response.
	serverName = "lsbaws-go/step8-threads"
	// continueResponse tells a client that sent "Expect: 100-continue" to
	// send its body (RFC 9110, section 10.1.1): curl waits a second for it.
	continueResponse = "HTTP/1.1 100 Continue\r\n\r\n"
)

// newRequest turns what the server understood of a request into the
// *http.Request that an application reads: WSGI's environ. body is
// r.Body, not read yet; remoteAddr is the client's "ip:port".
func newRequest(req request, body io.Reader, remoteAddr string) (*http.Request, error) {
	// A body longer than maxBodyBytes is not read at all: it gets 413.
	if req.ContentLength > maxBodyBytes {
		return nil, &requestError{http.StatusRequestEntityTooLarge,
			fmt.Sprintf("the body is %d bytes, more than the %d this server reads", req.ContentLength, maxBodyBytes)}
	}
	// The target, "/hello?name=you" or "http://host/hello?name=you",
	// becomes a URL: WSGI's PATH_INFO and QUERY_STRING.
	u, err := url.ParseRequestURI(req.Target)
	if err != nil {
		return nil, badRequest("the request-target %s is not a valid URL: %v", excerpt(req.Target), errors.Unwrap(err))
	}
	major, minor, _ := http.ParseHTTPVersion(req.Version)

	// The header fields, by canonical name ("content-type" becomes
	// "Content-Type"), each name with its values in the order they came:
	// WSGI's HTTP_* variables. Host moves to r.Host, as net/http does.
	header := make(http.Header, len(req.Headers))
	for _, field := range req.Headers {
		header.Add(field.Name, field.Value)
	}
	host := u.Host // from an absolute-form target, which wins over Host
	if host == "" {
		host = header.Get("Host")
	}
	header.Del("Host")

	r := &http.Request{
		Method:     req.Method,  // REQUEST_METHOD
		URL:        u,           // PATH_INFO, QUERY_STRING
		Proto:      req.Version, // SERVER_PROTOCOL
		ProtoMajor: major,
		ProtoMinor: minor,
		Header:     header,     // HTTP_*, CONTENT_TYPE
		Host:       host,       // HTTP_HOST
		RemoteAddr: remoteAddr, // REMOTE_ADDR, REMOTE_PORT
		RequestURI: req.Target, // the target exactly as sent
		Close:      true,       // this server hangs up after every response
		// wsgi.input and CONTENT_LENGTH: the body and its length.
		Body:          http.NoBody,
		ContentLength: int64(req.ContentLength),
	}
	if req.ContentLength > 0 {
		r.Body = io.NopCloser(body)
	}
	return r, nil
}

// expectsContinue reports whether the client waits for 100 Continue
// before it sends its body, as "Expect: 100-continue" says in HTTP/1.1.
func (req request) expectsContinue() bool {
	expect := strings.ToLower(strings.Join(req.values("Expect"), ","))
	return expect == "100-continue" && req.ContentLength > 0 && req.Version == "HTTP/1.1"
}

// requestBody is r.Body: the body's Content-Length bytes, read from the
// socket as the application asks (Content-Length is a limit, never an
// amount of memory set aside). The first Read sends the 100 Continue a
// client may wait for, as net/http does, unless the response has begun.
type requestBody struct {
	clientConn   int
	arrived      []byte          // the body's first bytes, which came with the head
	left         int             // how many bytes of the body are not read yet
	deadline     time.Time       // the request's read deadline
	w            *responseWriter // the response: has its head gone out?
	continueOwed bool            // the client waits for 100 Continue
	err          error           // the first error in reading the body
}

// Read reads what came with the head, then one recv at a time, never
// past the body's end.
func (b *requestBody) Read(p []byte) (int, error) {
	if b.continueOwed && !b.w.headSent {
		b.continueOwed = false
		// Part of the request's exchange: it has the read deadline. If it
		// fails, the client is gone, and the recv below fails too.
		sendall(b.clientConn, []byte(continueResponse), b.deadline)
	}
	if b.err != nil {
		return 0, b.err
	}
	if b.left == 0 {
		return 0, io.EOF
	}
	p = p[:min(len(p), b.left)]
	n := copy(p, b.arrived)
	b.arrived = b.arrived[n:]
	if n == 0 && len(p) > 0 {
		// Python: environ['wsgi.input'].read(), a recv on the socket
		var err error
		n, err = recvBefore(b.clientConn, p, b.deadline)
		switch {
		case errors.Is(err, errTimedOut):
			b.err = &requestError{http.StatusRequestTimeout, "the request's body did not arrive in time"}
		case err != nil:
			b.err = err
		case n == 0:
			b.err = badRequest("the request ended %d bytes before the end of its body", b.left)
		}
	}
	b.left -= n
	return n, b.err
}

// responseWriter is the gateway's http.ResponseWriter, to which the
// application writes its response: WSGI's start_response (Header and
// WriteHeader) and the body the application returns (Write).
//
// It holds the output back, up to responseBufferSize bytes. When the
// application returns and all of its output is still held, the response
// goes out with Content-Length. When the output outgrows the buffer, or
// the application calls Flush, the head goes out before the length is
// known: without Content-Length, the body ends when the connection does.
type responseWriter struct {
	out      io.Writer        // the client's connection
	isHEAD   bool             // a response to HEAD has no body
	now      func() time.Time // the clock, for the Date header field
	header   http.Header      // the fields the application sets through Header()
	sent     http.Header      // a copy of them, taken at WriteHeader: what goes out
	status   int              // the status code; 0 until WriteHeader
	buffer   []byte           // body bytes held back, not yet sent
	headSent bool             // the status line and header fields are out
	err      error            // the first error in sending: the client is gone
}

// newResponseWriter returns the writer of a response to out, for a
// request with this method.
func newResponseWriter(out io.Writer, method string, now func() time.Time) *responseWriter {
	return &responseWriter{out: out, isHEAD: method == http.MethodHead, now: now, header: make(http.Header)}
}

// Header returns the header fields that WriteHeader will send. Changes
// after WriteHeader (or the first Write) are not sent, as in net/http.
func (w *responseWriter) Header() http.Header { return w.header }

// WriteHeader sets the status code, once, and sends nothing yet: WSGI's
// start_response. An interim 1xx status (103 Early Hints) is ignored.
func (w *responseWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status, w.sent = code, w.header.Clone()
	}
}

// Write adds data to the body: WSGI's returned body, or its write(). A
// Write before WriteHeader means 200 OK. The output is held back while
// it fits in the buffer; once it outgrows it, out it goes, head first.
func (w *responseWriter) Write(data []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.buffer = append(w.buffer, data...)
	if len(w.buffer) > responseBufferSize {
		w.Flush()
	}
	if w.err != nil {
		return 0, w.err
	}
	return len(data), nil
}

// Flush sends what the application has written so far, head first: the
// gateway is an http.Flusher.
func (w *responseWriter) Flush() { w.send(false) }

// finish sends the rest once the application has returned, with
// Content-Length if the head has not gone out: the whole body is known.
func (w *responseWriter) finish() { w.send(true) }

// send writes the head, if it has not gone out yet, and the body held
// back; complete says that the body held back is the whole body.
func (w *responseWriter) send(complete bool) {
	w.WriteHeader(http.StatusOK) // if the application has not
	if !w.headSent {
		w.sendHead(complete)
	}
	if !w.isHEAD && bodyAllowed(w.status) { // HEAD, 204 and 304: no body
		w.sendBytes(w.buffer)
	}
	w.buffer = w.buffer[:0]
}

// sendHead writes the status line and the header fields.
func (w *responseWriter) sendHead(complete bool) {
	w.headSent = true
	h := w.sent
	// How the client will know where the body ends: the gateway decides,
	// not the application (WSGI forbids it such "hop-by-hop" fields).
	h.Del("Transfer-Encoding")
	switch {
	case !bodyAllowed(w.status):
		h.Del("Content-Length") // 1xx, 204 and 304 have no body
	case w.isHEAD && len(w.buffer) == 0:
		// A handler that writes nothing for HEAD has not said how long
		// GET's body is, unless it set Content-Length itself.
	case complete:
		h.Set("Content-Length", strconv.Itoa(len(w.buffer)))
	default:
		// The length is not known: the body is close-delimited, it ends
		// when the server closes the connection (RFC 9112, section 6.3,
		// the last rule), as this server does after every response.
		h.Del("Content-Length")
	}
	h.Set("Date", w.now().UTC().Format(http.TimeFormat))
	h.Set("Server", serverName)
	// This server hangs up after one response; say so.
	h.Set("Connection", "close")

	// http.Header's Write sorts the fields by name, drops a name that is
	// not a token, and turns a CR or LF in a value, which could forge a
	// field, into a space.
	var head bytes.Buffer
	head.WriteString("HTTP/1.1 " + statusLine(w.status) + "\r\n")
	h.Write(&head)
	head.WriteString("\r\n")
	w.sendBytes(head.Bytes())
}

// sendBytes writes data to the client, unless an earlier write failed.
func (w *responseWriter) sendBytes(data []byte) {
	if w.err != nil || len(data) == 0 {
		return
	}
	if _, err := w.out.Write(data); err != nil {
		w.err = fmt.Errorf("sending the response: %w", err)
	}
}

// errAppFailed is the answer to a request whose application panicked.
var errAppFailed = &requestError{http.StatusInternalServerError, "the application failed; the server's console says why"}

// serveApp calls the application: the moment WSGI's server calls
// application(environ, start_response). A panic in the application is
// recovered, so that one failing request does not take the server down:
// the console gets its value, and the client errAppFailed.
func serveApp(app http.Handler, w http.ResponseWriter, r *http.Request) (err error) {
	defer func() {
		if v := recover(); v != nil {
			fmt.Fprintf(os.Stderr, "The app panicked: %v\n", v)
			err = errAppFailed
		}
	}()
	app.ServeHTTP(w, r)
	return nil
}

// answerError answers a request that the server answers itself, without
// the application: one that it could not read, parse or pass on, or whose
// application panicked. The body is the status and the reason, in a line.
func answerError(w http.ResponseWriter, err error) {
	code := http.StatusBadRequest
	var reqErr *requestError
	if errors.As(err, &reqErr) {
		code = reqErr.status
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	io.WriteString(w, statusLine(code)+": "+err.Error()+"\n")
}

// bodyAllowed reports whether a response with this status may have a
// body: not 1xx, 204 No Content or 304 Not Modified.
func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}
