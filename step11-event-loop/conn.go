//go:build linux

package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"
)

// connState is where a connection stands. In step 10 this was where its
// goroutine stood in its code: in readHead, in readBody, in Flush. A
// loop has no goroutine per connection to remember that, so each
// connection remembers it here, and every event moves it on:
//
//	readingHead --head complete--> readingBody --body complete, app answered--> writing
//	writing --all sent, keep-alive--> readingHead
//	writing --all sent, the client may still send--> lingering --EOF, 256 KiB or 500 ms--> closed
//	writing --all sent, nothing unread--> closed
//
// An error in the head or the body (400, 408, 413, 414, 431, 501, 505)
// goes to writing too, with the connection to end after the answer.
type connState int

const (
	readingHead connState = iota // waiting for the empty line that ends a head
	readingBody                  // the head is in: waiting for the end of its body
	writing                      // the response is queued: waiting until the socket has taken it all
	lingering                    // the answer is out and the sending side shut: reading what the client still sends, and throwing it away
)

// conn is one client's connection: everything that step 10 kept on a
// goroutine's stack, and in its bufio buffers, lives here between two
// events.
type conn struct {
	fd         int
	remoteAddr string
	state      connState
	in         []byte    // bytes received and not yet used: part of a request, or more
	out        []byte    // the response being sent
	sent       int       // how much of out the socket has taken
	since      time.Time // when the connection came, or its last response went out
	started    time.Time // when the first byte of the current request came
	requests   int       // how many requests it has answered

	req         request       // the request whose body is being read
	fields      []headerField // the memory for a request's header fields, kept from one to the next
	headEnd     int           // where its head ends in in
	scan        chunkScan     // how far a chunked body has been checked
	writeStart  time.Time     // when the response was queued
	lingerStart time.Time     // when the lingering began
	lingered    int           // bytes thrown away while lingering

	eof         bool   // the client closed its sending side: nothing more will come
	closeAfter  bool   // the connection ends once the response is out
	lingerAfter bool   // ... after lingering, since the client may still be sending
	why         string // why the connection ends, for the console

	readable   bool      // the socket may hold bytes not yet read (edge-triggered: until EAGAIN)
	watching   uint32    // the events epoll watches for it
	timerIndex int       // its place in the loop's timer heap; -1 if none
	due        time.Time // its deadline, as filed in the heap
}

// Write adds data to the response being sent: the gateway's bufio.Writer
// flushes into it.
func (c *conn) Write(data []byte) (int, error) {
	c.out = append(c.out, data...)
	return len(data), nil
}

// AvailableBuffer returns the free end of the response being sent, for
// the gateway to build a response's head in place (as bufio.Writer's
// method of the same name does): Write then finds the bytes already
// where they go, and copies nothing.
func (c *conn) AvailableBuffer() []byte {
	if cap(c.out)-len(c.out) < 512 {
		c.out = slices.Grow(c.out, 512)
	}
	return c.out[len(c.out):]
}

// pending reports whether some of the response has not been sent yet.
func (c *conn) pending() bool { return c.sent < len(c.out) }

// begun reports whether the next request has begun to arrive.
func (c *conn) begun() bool { return len(c.in) > 0 }

// idle reports whether the connection waits for a request, between two,
// with nothing in flight.
func (c *conn) idle() bool {
	return c.state == readingHead && !c.begun() && !c.pending() && !c.closeAfter
}

// wantsInput reports whether the loop should read from the socket: not
// while a response waits to go out (the client must read it first: so a
// client that sends and never reads cannot fill the server's memory), nor
// after the client's EOF.
func (c *conn) wantsInput() bool {
	switch c.state {
	case lingering:
		return !c.eof && c.lingered < lingerBytes
	case writing:
		return false
	default:
		return !c.eof && !c.closeAfter
	}
}

// received takes what a read brought: data, or the client's EOF.
func (c *conn) received(data []byte, eof bool, now time.Time) {
	if eof {
		c.eof = true
	}
	if c.state == lingering {
		c.lingered += len(data)
		return
	}
	if len(data) > 0 && !c.begun() {
		c.started = now // a request begins: it has readTimeout to arrive whole
	}
	c.in = append(c.in, data...)
}

// wrote is called when a write has taken bytes: once the response is
// all out, the connection waits for the next request.
func (c *conn) wrote(now time.Time) {
	if c.pending() {
		return
	}
	if cap(c.out) > 64<<10 {
		c.out = nil // a large response's buffer is not kept while idle
	}
	c.out, c.sent = c.out[:0], 0
	if c.state == writing && !c.closeAfter {
		c.state, c.since = readingHead, now
		if len(c.in) > 0 {
			c.started = now // a pipelined request was already there
		}
	}
}

// lingerDone reports whether the lingering is over: the client's EOF
// came, or lingerBytes were thrown away.
func (c *conn) lingerDone() bool { return c.eof || c.lingered >= lingerBytes }

// startLingering begins the lingering close, once the answer is out and
// the sending side is shut (see loop.settle).
func (c *conn) startLingering(now time.Time) {
	c.state, c.lingerStart, c.lingered, c.in = lingering, now, 0, nil
}

// deadline is when the connection times out in its present state: the
// read timeout for a request that has begun (and for the first, from the
// accept), the idle timeout between requests (cut to idleShutdownGrace
// once the shutdown has begun, at stopAt), the write timeout for a
// response, the linger timeout.
func (c *conn) deadline(cfg config, stopping bool, stopAt time.Time) time.Time {
	switch {
	case c.state == lingering:
		return c.lingerStart.Add(lingerTimeout)
	case c.state == writing || c.pending():
		return c.writeStart.Add(cfg.writeTimeout)
	case c.begun():
		return c.started.Add(cfg.readTimeout)
	}
	wait := cfg.idleTimeout
	if c.requests == 0 {
		wait = cfg.readTimeout
	}
	d := c.since.Add(wait)
	if stopping && stopAt.Add(idleShutdownGrace).Before(d) {
		d = stopAt.Add(idleShutdownGrace)
	}
	return d
}

// timeout handles the passing of c's deadline. It returns true when c
// is to be closed now, for c.why; false when it queued an answer (408).
func (c *conn) timeout(l *loop) bool {
	cfg := l.s.config
	switch {
	case c.state == lingering:
		return true
	case c.state == writing || c.pending():
		l.s.errorf("sendall: %s did not take the response within %s\n", c.remoteAddr, cfg.writeTimeout)
		c.why = fmt.Sprintf("the client did not take the response within %s", cfg.writeTimeout)
		return true
	case c.state == readingBody:
		c.respond(l, c.req, c.in[:c.headEnd], nil, &requestError{http.StatusRequestTimeout, "the request's body did not arrive in time"}, 0)
		return false
	case c.begun():
		head := c.in[:min(len(c.in), maxHeadBytes+1)]
		c.respond(l, request{Method: requestMethod(head)}, head, nil,
			&requestError{http.StatusRequestTimeout, fmt.Sprintf("the request's head did not arrive within %s", cfg.readTimeout)}, 0)
		return false
	case l.stopping:
		c.why = "the server is shutting down"
	case c.requests == 0:
		c.why = fmt.Sprintf("the client sent nothing within %s", cfg.readTimeout)
	default:
		c.why = fmt.Sprintf("idle for %s", cfg.idleTimeout)
	}
	return true
}

// advance takes the requests in c.in as far as the bytes go: a complete
// head moves c to readingBody, a complete body has the application
// answer it, and the response is queued in c.out. It makes no system
// call, so that tests can give it any bytes, split anyhow. It reports
// whether c's state changed.
func (c *conn) advance(l *loop) bool {
	changed := false
	for {
		var moved bool
		switch c.state {
		case readingHead:
			moved = !c.closeAfter && c.takeHead(l)
		case readingBody:
			moved = c.takeBody(l)
		}
		if !moved {
			return changed
		}
		changed = true
	}
}

// takeHead looks for a complete head in c.in and parses it. It reports
// whether it moved c on: to readingBody, or to writing an error, or, at
// the client's EOF between requests, to closing.
func (c *conn) takeHead(l *loop) bool {
	if len(c.in) == 0 {
		if c.eof {
			c.closeAfter, c.why = true, "the client closed it"
			return true
		}
		return false
	}
	// The head is the bytes up to the empty line that ends it. (One
	// empty line before the request line is ignored, by parseRequest,
	// and endOfHead does not take it for the end: RFC 9112, section 2.2.)
	end := endOfHead(c.in)
	if end < 0 || end > maxHeadBytes {
		if len(c.in) <= maxHeadBytes && !c.eof {
			return false // the rest of the head is still to come
		}
		// The client closed before the end of the head, or sent more
		// than maxHeadBytes without one: parseRequest says which error.
		head := c.in[:min(len(c.in), maxHeadBytes+1)]
		_, err := parseRequest(head)
		c.respond(l, request{Method: requestMethod(head)}, head, nil, err, 0)
		return true
	}
	head := c.in[:end]
	req, err := parseHead(head, c.fields)
	c.fields = req.Headers[:0] // kept for the next request's fields
	if err == nil && req.ContentLength > maxBodyBytes {
		err = &requestError{http.StatusRequestEntityTooLarge,
			fmt.Sprintf("the body is %d bytes, more than the %d this server reads", req.ContentLength, maxBodyBytes)}
	}
	if err != nil {
		if req.Method == "" {
			req = request{Method: requestMethod(head)}
		}
		c.respond(l, req, head, nil, err, 0)
		return true
	}
	c.req, c.headEnd, c.state = req, end, readingBody
	c.scan = chunkScan{pos: end, scanned: end, lineStart: end}
	if req.expectsContinue() {
		// The client waits for this interim answer before it sends its
		// body (RFC 9110, section 10.1.1). The loop reads every body
		// before the application runs, so it says "go on" at once; a
		// body too large got its 413 above instead.
		c.out = append(c.out, continueResponse...)
		c.writeStart = l.now
	}
	return true
}

// takeBody looks for the end of the request's body in c.in; once it is
// there, the application answers the request. It reports whether it
// moved c on.
func (c *conn) takeBody(l *loop) bool {
	head := c.in[:c.headEnd]
	var end int
	if c.req.Chunked {
		if !c.scan.worthScanning(c.in, c.eof) {
			return false
		}
		var err error
		end, err = c.scanChunked(l)
		if errors.Is(err, errNeedMore) {
			return false
		}
		if err != nil {
			c.respond(l, c.req, head, nil, err, 0)
			return true
		}
	} else {
		end = c.headEnd + c.req.ContentLength
		if len(c.in) < end {
			if !c.eof {
				return false // the body is still coming: it is never allocated ahead
			}
			c.respond(l, c.req, head, nil, badRequest("the request ended before the end of its body"), 0)
			return true
		}
	}
	body := c.in[c.headEnd:end]
	if c.req.Chunked {
		// The chunks have been checked: decode them into the body the
		// application reads.
		l.chunks.Reset(bytes.NewReader(body))
		decoded, err := io.ReadAll(newChunkedReader(l.chunks, maxBodyBytes))
		if err != nil {
			c.respond(l, c.req, head, nil, err, 0)
			return true
		}
		body = decoded
	}
	c.respond(l, c.req, head, body, nil, end)
	return true
}

// respond has the application answer req, whose body has all come (or
// answers err, a request that could not be read), queues the response in
// c.out, and moves c to writing. used is how many bytes of c.in the
// request took; the rest is the next request's.
func (c *conn) respond(l *loop, req request, head, bodyBytes []byte, err error, used int) {
	if err != nil {
		// Even a head that could not be parsed may say HEAD, whose
		// answer has no body, an error's included.
		req.Method = requestMethod(head)
	}
	// The response goes out through the gateway's http.ResponseWriter,
	// into c.out.
	w := l.exchange.newResponseWriter(c, req, l.date())
	// The body has all arrived: the application reads it from memory,
	// and nothing it does can make the loop wait for the client. Its 100
	// Continue, if it was owed, went out with the head (see takeHead).
	var body *requestBody
	if err == nil && (req.ContentLength > 0 || req.Chunked) {
		body = &requestBody{source: bytes.NewReader(bodyBytes), w: w}
	}
	var r *http.Request
	if err == nil {
		r, err = l.exchange.newRequest(req, body, c.remoteAddr)
	}
	w.buffer = l.response[:0]
	if err != nil || l.stopping {
		// After a request that could not be read, the server cannot tell
		// where the next one would begin; and a server shutting down takes
		// no next request. Either way, this response is the last.
		w.keepAlive = false
	}
	if r != nil {
		r.Close = !w.keepAlive
	}
	if err != nil {
		answerError(w, err)
	} else {
		if l.s.delay > 0 {
			// A slow handler, as the article's time.sleep: the loop's
			// thread sleeps, and every connection of this loop waits.
			time.Sleep(l.s.delay)
		}
		if panicValue := serveApp(l.s.app, w, r); panicValue != nil {
			l.s.errorf("The app panicked: %v\n%s\n", panicValue, w.panicNote())
		} else if body != nil && !answerBodyError(w, body) {
			body.discard() // from memory: what the application left of it
		}
	}
	w.finish()
	if l.s.console != nil {
		// "192.0.2.1:1234: GET /hello HTTP/1.1 -> 200 OK", appended to
		// the console's buffer piece by piece: no fmt, no strings made.
		requestLine, _, _ := bytes.Cut(skipEmptyLine(head), []byte("\n"))
		line := l.s.console.begin()
		line = append(line, c.remoteAddr...)
		line = append(line, ": "...)
		line = append(line, bytes.TrimSuffix(requestLine, []byte("\r"))...)
		line = append(line, " -> "...)
		line = appendStatusLine(line, w.status)
		line = append(line, w.framing()...)
		l.s.console.end(append(line, '\n'))
	}
	c.requests++
	c.consume(used)
	c.state, c.writeStart = writing, l.now
	c.req, c.headEnd = request{}, 0
	if w.keepAlive {
		return
	}
	c.closeAfter = true
	// The client may still be sending when its request could not be
	// read, or when bytes are left after it: then the connection ends
	// with a lingering close.
	c.lingerAfter = err != nil || len(c.in) > 0
	switch {
	case err != nil:
		c.why = "its request could not be read, so a next one could not be found"
	case l.stopping:
		c.why = "the server is shutting down"
	case req.Version == "HTTP/1.0" && !req.keepAlive():
		c.why = "an HTTP/1.0 client, which did not ask to keep it"
	case !req.keepAlive():
		c.why = "the client asked to close it (Connection: close)"
	default:
		c.why = "the response could end only with the connection"
	}
}

// consume drops the first n bytes of c.in, which a request used.
func (c *conn) consume(n int) {
	rest := copy(c.in, c.in[n:])
	c.in = c.in[:rest]
	if rest == 0 && cap(c.in) > 4<<10 {
		c.in = nil // a large request's buffer is not kept while idle
	}
}

// errNeedMore says that the bytes received end inside a chunked body.
var errNeedMore = errors.New("the body has not all arrived yet")

// chunkScan is how far a chunked body has been checked, so that each
// new piece of it is checked on its own, not the whole body again: where
// in c.in the check goes on, and the chunked reader's counts there.
type chunkScan struct {
	pos                 int
	read, framing, left int64
	scanned             int // how much of c.in the last check saw
	lineStart           int // where the last line begun in c.in starts
}

// worthScanning reports whether the bytes that came since the last
// check can change its outcome. Between two chunks' data the reader
// reads lines, and a line is complete only when its LF comes: so unless
// a LF came, or the line has grown past maxChunkLineBytes (an error to
// answer), the check waits. Without this, a client that sends a long
// trailer a byte at a time would have the whole of it checked again at
// every byte.
func (s *chunkScan) worthScanning(in []byte, eof bool) bool {
	fresh := in[s.scanned:]
	s.scanned = len(in)
	if i := bytes.LastIndexByte(fresh, '\n'); i >= 0 {
		s.lineStart = len(in) - len(fresh) + i + 1
		return true
	}
	return eof || s.left > 0 || len(in)-max(s.lineStart, s.pos) > maxChunkLineBytes
}

// scanChunked checks the chunked body in c.in, from where the last
// check stopped, with the same chunkedReader that decodes it, and returns
// where it ends; errNeedMore when it has not all come; or the error that
// answers it (400, 413).
func (c *conn) scanChunked(l *loop) (int, error) {
	base := c.scan.pos
	source := &arrivedBytes{data: c.in[base:], eof: c.eof}
	total := len(source.data)
	l.chunks.Reset(source)
	cr := newChunkedReader(l.chunks, maxBodyBytes)
	cr.read, cr.framing, cr.left = c.scan.read, c.scan.framing, c.scan.left
	used := func() int { return base + total - len(source.data) - l.chunks.Buffered() }
	for {
		_, err := cr.Read(l.scratch)
		switch {
		case err == nil:
			// A point where the reader holds nothing but its counts: the
			// next check can begin here.
			c.scan.pos, c.scan.read, c.scan.framing, c.scan.left = used(), cr.read, cr.framing, cr.left
		case err == io.EOF:
			return used(), nil
		default:
			return 0, err
		}
	}
}

// arrivedBytes reads the bytes that have arrived, then errNeedMore, or
// io.EOF after the client's EOF.
type arrivedBytes struct {
	data []byte
	eof  bool
}

// Read reads what has arrived.
func (a *arrivedBytes) Read(p []byte) (int, error) {
	if len(a.data) == 0 {
		if a.eof {
			return 0, io.EOF
		}
		return 0, errNeedMore
	}
	n := copy(p, a.data)
	a.data = a.data[n:]
	return n, nil
}
