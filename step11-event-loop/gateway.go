package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
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
//	start_response(status, hdrs)  w.Header(), w.WriteHeader(status)
//	the returned body             w.Write(data)          (responseWriter)
//	application(environ, s_r)     app.ServeHTTP(w, r)    (serveApp)
//	the server                    serveForever           (main.go)
//
// So a server that builds an *http.Request and offers an
// http.ResponseWriter can run a chi or gin application unchanged.

// responseBufferSize is how much of the application's output the gateway
// holds back before it must send the head: while the output fits, the
// gateway knows its whole length and sends Content-Length; once it does
// not, the gateway sends the body in chunks of this size.
const responseBufferSize = 4 << 10

// serverName goes into the Server header field of every response.
const serverName = "lsbaws-go/step11-event-loop"

// continueResponse is the interim response that tells a client which
// sent "Expect: 100-continue" to send its body (RFC 9110, section
// 10.1.1): curl sends that header before a large upload, and waits a
// second for this answer before it sends the body anyway.
const continueResponse = "HTTP/1.1 100 Continue\r\n\r\n"

// exchange holds what the gateway makes for a request and its response:
// the *http.Request, its URL and header map, and the responseWriter with
// its own maps. A loop runs one application call at a time, so it keeps
// one exchange and fills it anew for every request, rather than
// allocating each of them (about a dozen allocations) every time; a
// cleared map keeps its memory for the next one. The price is a rule,
// the one fasthttp states for its RequestCtx: an application must not
// keep the request, its header or the writer once it has returned.
// (net/http makes new ones for every request, and an application may
// keep them.)
type exchange struct {
	request http.Request
	url     url.URL
	header  http.Header
	values  []string // the header's values, one slice for all of them
	writer  responseWriter
}

// newRequest turns what the server understood of a request into the
// *http.Request that an application reads: WSGI's environ. The body is
// not read yet: the application reads it from r.Body, which takes it
// from the socket as it arrives (see requestBody). remoteAddr is the
// client's "ip:port". The request is x's, filled anew.
func (x *exchange) newRequest(req request, body io.Reader, remoteAddr string) (*http.Request, error) {
	// The application answers requests for a resource, named by a path.
	// "OPTIONS *" asks about the server itself, which only the server
	// could answer, and this one does not. (CONNECT, which asks for a
	// tunnel, is refused by the parser: see parseRequestLine.)
	if req.Target == "*" {
		return nil, &requestError{http.StatusNotImplemented,
			fmt.Sprintf("this server passes requests for a path to its application; it does not answer %s *", req.Method)}
	}
	// The target, "/hello?name=you" or "http://host/hello?name=you",
	// becomes a URL: WSGI's PATH_INFO and QUERY_STRING.
	u := &x.url
	if plainPath(req.Path) && req.Path == req.Target[:len(req.Path)] {
		// "/hello?name=you", with nothing in the path that a URL would
		// escape or unescape: the URL that url.ParseRequestURI would
		// make, without its allocation.
		*u = url.URL{Path: req.Path, RawQuery: req.Query, ForceQuery: req.Query == "" && strings.HasSuffix(req.Target, "?")}
	} else {
		var err error
		if u, err = url.ParseRequestURI(req.Target); err != nil {
			return nil, badRequest("the request-target %s is not a valid URL: %v", excerpt(req.Target), errors.Unwrap(err))
		}
	}
	major, minor, _ := http.ParseHTTPVersion(req.Version)

	// The header fields, by canonical name ("content-type" becomes
	// "Content-Type"), each name with its values in the order they came:
	// WSGI's HTTP_* variables. Host moves to r.Host, as net/http does.
	if x.header == nil {
		x.header = make(http.Header, len(req.Headers))
	}
	header := x.header
	clear(header)
	// One slice holds every value, and each name's values are a piece of
	// it, rather than a slice of their own for each (as net/http does).
	if cap(x.values) < len(req.Headers) {
		x.values = make([]string, len(req.Headers))
	}
	values := x.values[:len(req.Headers)]
	for i, field := range req.Headers {
		name := http.CanonicalHeaderKey(field.Name)
		values[i] = field.Value
		if have, ok := header[name]; ok {
			header[name] = append(have, field.Value)
		} else {
			header[name] = values[i : i+1 : i+1]
		}
	}
	host := u.Host // from an absolute-form target, which wins over Host
	if host == "" {
		host = header.Get("Host")
	}
	header.Del("Host")

	r := &x.request
	*r = http.Request{
		Method:     req.Method,  // REQUEST_METHOD
		URL:        u,           // PATH_INFO, QUERY_STRING
		Proto:      req.Version, // SERVER_PROTOCOL
		ProtoMajor: major,
		ProtoMinor: minor,
		Header:     header,     // HTTP_*, CONTENT_TYPE
		Host:       host,       // HTTP_HOST
		RemoteAddr: remoteAddr, // REMOTE_ADDR, REMOTE_PORT
		RequestURI: req.Target, // the target exactly as sent
		// Whether the connection ends with this response: the client
		// asked for that, or spoke HTTP/1.0 and did not ask to keep it.
		Close: !req.keepAlive(),
		// wsgi.input and CONTENT_LENGTH: the body and its length.
		Body:          http.NoBody,
		ContentLength: int64(req.ContentLength),
	}
	if req.ContentLength > 0 || req.Chunked {
		r.Body = io.NopCloser(body)
	}
	if req.Chunked {
		// As net/http says of a chunked request: its length was not
		// known in advance, and the chunks are gone, decoded.
		header.Del("Transfer-Encoding")
		r.TransferEncoding = []string{"chunked"}
		r.ContentLength = -1
	}
	return r, nil
}

// plainPath reports whether path holds only letters, digits and the
// symbols -._~/$&+,:;=@, which a URL's path keeps as they are: for such a
// path, url.URL's Path is the path itself, and RawPath is empty.
func plainPath(path string) bool {
	for _, c := range []byte(path) {
		isAlnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if !isAlnum && !strings.ContainsRune("-._~/$&+,:;=@", rune(c)) {
			return false
		}
	}
	return path != ""
}

// requestBody is r.Body: the request's body as the application reads
// it, straight from the socket, piece by piece as it arrives. Nothing
// is read before the application asks, so that a client's
// Content-Length is a limit, never an amount of memory set aside (a
// client that announced 1 MiB and sent 1 byte once cost 1 MiB).
//
// A client that sent "Expect: 100-continue" waits for 100 Continue
// before it sends the body: requestBody sends it at the application's
// first Read, as net/http does, and not at all if the application never
// reads, or if the response has begun by then.
type requestBody struct {
	source       io.Reader       // the body's bytes as they arrive, decoded
	w            *responseWriter // the response: has its head gone out?
	interim      io.Writer       // where 100 Continue goes: the socket
	continueOwed bool            // the client waits for 100 Continue
	ended        bool            // the body has been read to its end
	err          error           // the first error in reading it
}

// Read reads the next piece of the body; the first Read sends the 100
// Continue that the client waits for.
func (b *requestBody) Read(p []byte) (int, error) {
	if b.continueOwed && !b.w.headSent {
		b.continueOwed = false
		if _, err := io.WriteString(b.interim, continueResponse); err != nil {
			b.err = fmt.Errorf("sending 100 Continue: %w", err)
		}
	}
	switch {
	case b.err != nil:
		return 0, b.err
	case b.ended:
		return 0, io.EOF
	}
	n, err := b.source.Read(p)
	if err == io.EOF {
		b.ended = true
	} else if err != nil {
		b.err = err
	}
	return n, err
}

// discard reads and throws away what the application left of the body,
// so that the connection does not close with the client's bytes unread.
// The body's limits bound it: maxBodyBytes, and the read deadline. A
// client still waiting for 100 Continue may never send the body: then
// there is nothing to wait for, and the connection closes.
func (b *requestBody) discard() {
	if !b.continueOwed {
		io.Copy(io.Discard, b)
	}
}

// answerBodyError answers, in the application's place, an error that
// the application met in reading the body (413 too long, 400 malformed
// or ended early, 408 too slow), as long as the head of its own answer
// has not gone out: the client learns what was wrong with its request,
// not what the application made of the error. It reports whether it
// answered.
func answerBodyError(w *responseWriter, body *requestBody) bool {
	if !isRequestError(body.err) || w.headSent {
		return false
	}
	w.reset()
	answerError(w, body.err)
	return true
}

// responseWriter is the gateway's http.ResponseWriter, to which the
// application writes its response: WSGI's start_response (Header and
// WriteHeader) and the body the application returns (Write).
//
// It holds the output back, up to responseBufferSize bytes. When the
// application returns and all of its output is still held, the response
// goes out with Content-Length. When the output outgrows the buffer, or
// the application calls Flush, the head must go out before the length is
// known: the body then goes in chunks (Transfer-Encoding: chunked), each
// with its length, and an empty chunk ends it.
type responseWriter struct {
	out       io.Writer // the client's connection
	isHEAD    bool      // a response to HEAD has no body
	canChunk  bool      // the client speaks HTTP/1.1, which reads chunks
	keepAlive bool      // the connection stays open for the next request
	date      string    // the Date header field's value

	header     http.Header // the fields the application sets through Header()
	sentHeader http.Header // a copy of them, taken at WriteHeader: what goes out
	sentValues []string    // the copy's values, one slice for all of them
	status     int         // the status code; 0 until WriteHeader

	buffer        []byte // body bytes held back, not yet sent
	declaredLen   int64  // the Content-Length the application set; -1 if none
	written       int64  // body bytes the application wrote
	headSent      bool   // the status line and header fields are out
	chunked       bool   // the body goes in chunks
	finished      bool   // finish has run: the response is complete
	err           error  // the first error in sending: the client is gone
	panicAfterOut bool   // the application panicked after the head went out
}

// newResponseWriter returns the writer for the response to req, which
// sends the response to out, dated date. It is x's writer, its maps
// cleared for this response.
func (x *exchange) newResponseWriter(out io.Writer, req request, date string) *responseWriter {
	w := &x.writer
	header, sentHeader, sentValues := w.header, w.sentHeader, w.sentValues[:0]
	if header == nil {
		header, sentHeader = make(http.Header), make(http.Header)
	}
	clear(header)
	clear(sentHeader)
	*w = responseWriter{
		out:         out,
		isHEAD:      req.Method == http.MethodHead,
		canChunk:    req.Version != "HTTP/1.0",
		keepAlive:   req.keepAlive(),
		date:        date,
		header:      header,
		sentHeader:  sentHeader,
		sentValues:  sentValues,
		declaredLen: -1,
	}
	return w
}

// Header returns the header fields that WriteHeader will send. Changes
// after WriteHeader (or the first Write) are not sent.
func (w *responseWriter) Header() http.Header { return w.header }

// WriteHeader sets the status code of the response, once: it is WSGI's
// start_response(status, response_headers). A second call is ignored, as
// net/http ignores it. Nothing is sent yet: the gateway waits to learn
// whether the body is short enough for Content-Length.
func (w *responseWriter) WriteHeader(code int) {
	if code < 100 || code > 999 {
		// A programming error in the application, as in net/http.
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if w.status != 0 || code < 200 {
		// Already set; or an interim 1xx response (103 Early Hints), which
		// this gateway does not send: the final status follows.
		return
	}
	w.status = code
	// What the application set goes out as it is now: later changes to
	// the map it holds are ignored, as in net/http.
	w.copyHeader()
	if cl := w.sentHeader.Get("Content-Length"); cl != "" {
		n, err := strconv.ParseInt(cl, 10, 64)
		if err != nil || n < 0 {
			w.sentHeader.Del("Content-Length")
		} else {
			w.declaredLen = n
		}
	}
}

// copyHeader copies the application's fields into w.sentHeader, as
// w.header.Clone() would, but into the map and the values' slice kept
// from the previous response.
func (w *responseWriter) copyHeader() {
	clear(w.sentHeader)
	values := w.sentValues[:0]
	for name, vv := range w.header {
		start := len(values)
		values = append(values, vv...)
		w.sentHeader[name] = values[start:len(values):len(values)]
	}
	w.sentValues = values
}

// Write adds data to the body: WSGI's returned body, or its write(). A
// Write before WriteHeader means 200 OK. The data is held back until the
// buffer is full; then it is sent.
func (w *responseWriter) Write(data []byte) (int, error) { return writeBody(w, data) }

// WriteString is Write for a string. io.WriteString, which applications
// call, looks for it, and without it converts the string to a []byte,
// which copies it into new memory (net/http's writer has it too).
func (w *responseWriter) WriteString(data string) (int, error) { return writeBody(w, data) }

// writeBody is Write and WriteString: the same code for both kinds of
// bytes.
func writeBody[T string | []byte](w *responseWriter, data T) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	switch {
	case w.err != nil:
		return 0, w.err
	case w.finished:
		return 0, errors.New("the response is complete: write after the handler returned")
	case !bodyAllowed(w.status):
		return 0, http.ErrBodyNotAllowed
	case w.declaredLen >= 0 && w.written+int64(len(data)) > w.declaredLen:
		return 0, http.ErrContentLength
	}
	total := len(data)
	w.written += int64(total)
	for len(data) > 0 {
		// Fill the buffer to the brim and send it, as often as it takes.
		take := min(responseBufferSize-len(w.buffer), len(data))
		w.buffer = append(w.buffer, data[:take]...)
		data = data[take:]
		if len(w.buffer) == responseBufferSize {
			w.send(false)
		}
		if w.err != nil {
			return total - len(data), w.err
		}
	}
	return total, nil
}

// Flush sends what the application has written so far: the head now,
// and the body in chunks, since its length is not known yet. It makes
// the gateway an http.Flusher, as the application may ask of it.
func (w *responseWriter) Flush() {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if !w.finished {
		w.send(false)
	}
}

// finish completes the response once the application has returned: it
// sends the head, if it has not gone out (with Content-Length, since the
// whole body is known now), the rest of the body, and the last chunk.
func (w *responseWriter) finish() {
	if w.finished {
		return
	}
	if w.status == 0 {
		w.WriteHeader(http.StatusOK) // the application wrote nothing at all
	}
	if w.panicAfterOut {
		// The response was cut short: no last chunk, so that the client
		// can tell. Closing the connection ends it.
		w.keepAlive = false
		w.finished = true
		return
	}
	w.send(true)
	w.finished = true
	if w.declaredLen >= 0 && w.written < w.declaredLen && !w.isHEAD && bodyAllowed(w.status) {
		// The application sent less than its Content-Length: the client
		// waits for the rest, and only the end of the connection tells
		// it that no more will come.
		w.keepAlive = false
	}
}

// send writes the head, if it has not gone out yet, and the buffered
// body; complete says that the application has finished.
func (w *responseWriter) send(complete bool) {
	if !w.headSent {
		w.sendHead(complete)
	}
	body := w.buffer
	w.buffer = w.buffer[:0]
	if w.isHEAD || !bodyAllowed(w.status) {
		return
	}
	switch {
	case w.chunked && len(body) > 0:
		// A chunk: its length in hexadecimal, CRLF, the bytes, CRLF.
		w.sendBytes([]byte(strconv.FormatInt(int64(len(body)), 16) + "\r\n"))
		w.sendBytes(body)
		w.sendBytes([]byte("\r\n"))
	case len(body) > 0:
		w.sendBytes(body)
	}
	if complete && w.chunked {
		// The last chunk has length 0; no trailer fields follow, then the
		// empty line that ends the body.
		w.sendBytes([]byte("0\r\n\r\n"))
	}
}

// sendHead writes the status line and the header fields. complete says
// that the whole body is in the buffer, so its length is known.
func (w *responseWriter) sendHead(complete bool) {
	w.headSent = true
	h := w.sentHeader

	// The fields that the gateway adds go into own, not into the
	// application's map, where each would cost an allocation; they are
	// sorted in among the application's below.
	var ownFields [6]headerField
	own := ownFields[:0]
	contentLength := -1 // a Content-Length of the gateway's own, if not -1

	// How the client will know where the body ends, and whether the
	// connection stays open: the gateway decides, not the application.
	// (WSGI forbids an application to set such "hop-by-hop" fields;
	// net/http overrides them, but honours an application that asks to
	// close the connection, and so does this gateway.)
	if hasToken(h["Connection"], "close") {
		w.keepAlive = false
	}
	h.Del("Transfer-Encoding")
	h.Del("Connection")
	switch {
	case !bodyAllowed(w.status):
		h.Del("Content-Length") // 1xx, 204 and 304 have no body
	case w.declaredLen >= 0:
		// The application said how long its body is: no chunks.
	case complete && !(w.isHEAD && len(w.buffer) == 0):
		// The whole body is known: say how long it is. (A handler that
		// writes nothing for HEAD has not said how long GET's body is.)
		contentLength = len(w.buffer) // written as digits below, with no string made
	case w.isHEAD:
		// No body follows, and its length is not known: say nothing.
	case w.canChunk:
		own = append(own, headerField{"Transfer-Encoding", "chunked"})
		w.chunked = true
	default:
		// An HTTP/1.0 client does not read chunks: the body ends when
		// the server closes the connection, so it must close it.
		w.keepAlive = false
	}
	// A body with no Content-Type gets the type that its first bytes
	// suggest, as net/http does (it sniffs the first 512 bytes).
	if _, set := h["Content-Type"]; !set && bodyAllowed(w.status) && len(w.buffer) > 0 {
		own = append(own, headerField{"Content-Type", http.DetectContentType(w.buffer)})
	}
	if _, set := h["Date"]; !set {
		own = append(own, headerField{"Date", w.date})
	}
	if _, set := h["Server"]; !set {
		own = append(own, headerField{"Server", serverName})
	}
	// Say whether the connection stays open. HTTP/1.1 keeps it open
	// unless told otherwise; HTTP/1.0 closes it unless told otherwise.
	switch {
	case !w.keepAlive:
		own = append(own, headerField{"Connection", "close"})
	case !w.canChunk:
		own = append(own, headerField{"Connection", "keep-alive"})
	}

	// Every field to send, the application's and the gateway's, in a
	// stable order, sorted by name, so that the same response is the
	// same bytes every time (Go's maps have no order). A field with
	// several values keeps them in the order the application added them.
	var fieldArray [32]headerField
	fields := append(fieldArray[:0], own...)
	for name, values := range h {
		for _, value := range values {
			fields = append(fields, headerField{name, value})
		}
	}
	slices.SortStableFunc(fields, func(a, b headerField) int { return strings.Compare(a.Name, b.Name) })

	// The head is built in one slice and goes out in one write; each
	// piece is appended to it, rather than joined into strings first,
	// which would allocate memory for every field. Writing to the
	// connection, as the server does (or to a bufio.Writer), the slice
	// starts as the free end of the connection's own output buffer
	// (conn.AvailableBuffer), so that it is built where it will be sent
	// from, and not even copied.
	var head []byte
	if spare, ok := w.out.(interface{ AvailableBuffer() []byte }); ok {
		head = spare.AvailableBuffer()
	} else {
		head = make([]byte, 0, 512)
	}
	head = append(head, "HTTP/1.1 "...)
	head = appendStatusLine(head, w.status)
	head = append(head, "\r\n"...)
	for _, field := range fields {
		if contentLength >= 0 && field.Name >= "Content-Length" {
			// The gateway's Content-Length, in its place in the order.
			head = appendContentLength(head, contentLength)
			contentLength = -1
		}
		if !isToken(field.Name) {
			continue // not a field name: it would break the head
		}
		head = append(head, field.Name...)
		head = append(head, ": "...)
		for _, c := range []byte(field.Value) {
			// A CR or LF in a value would end the field early and let the
			// rest pose as another field: send them as spaces.
			if c == '\r' || c == '\n' {
				c = ' '
			}
			head = append(head, c)
		}
		head = append(head, "\r\n"...)
	}
	if contentLength >= 0 {
		head = appendContentLength(head, contentLength)
	}
	head = append(head, "\r\n"...)
	w.sendBytes(head)
}

// appendContentLength appends the field "Content-Length: n" to head.
func appendContentLength(head []byte, n int) []byte {
	head = append(head, "Content-Length: "...)
	head = strconv.AppendInt(head, int64(n), 10)
	return append(head, "\r\n"...)
}

// reset throws away what the application set and wrote, all of it
// still held back, so that the gateway can answer in its place.
func (w *responseWriter) reset() {
	clear(w.header)
	clear(w.sentHeader)
	w.status = 0
	w.buffer, w.declaredLen, w.written = w.buffer[:0], -1, 0
}

// sendBytes writes data to the client, unless an earlier write failed.
func (w *responseWriter) sendBytes(data []byte) {
	if w.err != nil {
		return
	}
	if _, err := w.out.Write(data); err != nil {
		w.err = fmt.Errorf("sending the response: %w", err)
	}
}

// framing says how the body was delimited, for the server's console:
// "" for Content-Length or no body, " (chunked)" for chunks.
func (w *responseWriter) framing() string {
	if w.chunked {
		return " (chunked)"
	}
	return ""
}

// panicNote says, in a line, what the client got after the application
// panicked.
func (w *responseWriter) panicNote() string {
	if w.panicAfterOut {
		return "The response had begun: the gateway cuts it short and closes the connection; the server goes on."
	}
	return "The gateway answers 500 Internal Server Error instead; the server goes on."
}

// serveApp calls the application with the request and the writer: the
// moment WSGI's server calls application(environ, start_response). If
// the application panics, serveApp recovers, so that one failing request
// does not take the server down, and returns the panic's value; the
// client gets 500 Internal Server Error, or, if the response had already
// begun, a response cut short.
func serveApp(app http.Handler, w *responseWriter, r *http.Request) (panicValue any) {
	defer func() {
		panicValue = recover()
		if panicValue == nil {
			return
		}
		if w.headSent {
			w.panicAfterOut = true
			return
		}
		// Throw away whatever the application had set or written, and
		// answer for it.
		w.reset()
		answerError(w, &requestError{http.StatusInternalServerError, "the application failed; the server's console says why"})
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

// statusLine gives a status code with its reason phrase, as in
// "404 Not Found". (net/http is used here for its table of reason
// phrases.) A code the table does not know gets a phrase that says so.
func statusLine(code int) string {
	return string(appendStatusLine(nil, code))
}

// appendStatusLine appends statusLine(code) to dst, without allocating
// memory of its own.
func appendStatusLine(dst []byte, code int) []byte {
	dst = strconv.AppendInt(dst, int64(code), 10)
	dst = append(dst, ' ')
	if text := http.StatusText(code); text != "" {
		return append(dst, text...)
	}
	dst = append(dst, "status code "...)
	return strconv.AppendInt(dst, int64(code), 10)
}

// bodyAllowed reports whether a response with this status may have a
// body: not 1xx, 204 No Content or 304 Not Modified.
func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}
