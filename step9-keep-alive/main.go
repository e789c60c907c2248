// Step 7, after "Let's Build A Web Server": step 6's many clients at
// once, served by a goroutine per connection instead of a process,
// through Go's net package instead of raw system calls; and what a real
// server adds on top: persistent connections, a bound on them, and a
// graceful shutdown. This step is ours: the article has no counterpart.
// Its Part 3 ends with webserver3h.py, which still forks a process for
// each connection and closes it after one response.
//
// Four ideas, each in its own part of this file:
//
//   - A goroutine per connection (serve). A goroutine costs a few
//     kilobytes, not a process; the server goes back to accept at once,
//     and nothing is left to reap.
//   - The net package (serveUntilInterrupted, serve). A goroutine
//     blocked in a raw accept or recv holds an operating-system thread
//     for as long as it waits. net makes the same system calls on
//     non-blocking sockets and, when one would wait, parks the goroutine
//     on the runtime's poller (epoll on Linux, kqueue on macOS): ten
//     thousand idle connections cost ten thousand small stacks, not ten
//     thousand threads.
//   - Persistent connections, HTTP/1.1's keep-alive (serveRequests): after
//     a response the connection stays open for the client's next request,
//     until the client asks to close it or stays idle for -idle-timeout.
//   - Limits and a graceful shutdown (serve, shutdown): at most
//     -max-conns connections are served at once, the rest wait in the
//     listen queue; on Ctrl-C or SIGTERM the server stops accepting,
//     closes its idle connections, lets the requests in flight finish,
//     and exits with status 0.
//
// The request's parsing (request.go), the gateway (gateway.go) and the
// applications are step 6's, but for the words about keep-alive. So are
// the defences against hostile clients: error answers that quote little,
// strict framing, bodies read as they arrive; and here, on a kept
// connection, a failed write ends it (handleRequest), the write deadline
// starts with the response (Write), and a connection on which the client
// may still be sending ends with lingeringClose.
//
// Run it, then open http://localhost:8888/hello/you in a browser, or:
//
//	go run ./step9-keep-alive
//	curl -v http://localhost:8888/hello http://localhost:8888/hello/again
//
// curl says "Re-using existing connection" for the second request: one
// connection, two requests. Unlike steps 1 to 6, this one runs on
// Windows too: the net package speaks to each system in its own terms.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/lsbaws-go/lsbaws-go/apps"
)

// ioBufferSize is the size of each connection's read and write buffers:
// one read system call brings in up to this many bytes of requests, and
// one write sends up to this many bytes of responses.
const ioBufferSize = 4 << 10

// idleShutdownGrace is how long a connection that waits for a request
// when the shutdown begins is still given. A request that arrived just
// before, which the connection's goroutine has not begun to read, is
// then answered rather than dropped.
const idleShutdownGrace = 100 * time.Millisecond

// bodyPieceBytes bounds one read of the body: the body is read as it
// arrives, in pieces of at most this size, never all at once.
const bodyPieceBytes = 32 << 10

// When the server ends a connection on which the client may still be
// sending, it first lingers: it reads and throws away at most
// lingerBytes more, for at most lingerTimeout, so that the answer is not
// destroyed by a reset (see lingeringClose). The numbers are net/http's:
// it reads at most 256 KiB of a body that a handler left
// (maxPostHandlerReadBytes), and waits 500 ms after shutting down its
// sending side (rstAvoidanceDelay).
const (
	lingerBytes   = 256 << 10
	lingerTimeout = 500 * time.Millisecond
)

func main() {
	addr := flag.String("addr", ":8888", "`host:port` to listen on; an empty host means every interface, port 0 lets the kernel choose")
	cfg := config{}
	flag.DurationVar(&cfg.readTimeout, "read-timeout", 10*time.Second, "how long a client may take to send a whole request, and to begin its first")
	flag.DurationVar(&cfg.writeTimeout, "write-timeout", 10*time.Second, "how long a client may take to receive a whole response")
	flag.DurationVar(&cfg.idleTimeout, "idle-timeout", 5*time.Second, "how long a connection is kept open, waiting for the client's next request")
	flag.IntVar(&cfg.maxConns, "max-conns", 10000, "how many connections are served at once; more clients wait in the listen queue")
	shutdownTimeout := flag.Duration("shutdown-timeout", 10*time.Second, "on Ctrl-C or SIGTERM, how long the requests in flight may take to finish")
	flag.DurationVar(&cfg.delay, "delay", 0, "how long to hold each connection after each response, as the article's time.sleep")
	quiet := flag.Bool("quiet", false, "print nothing for each connection and request, only errors (for benchmarks)")
	appName := flag.String("app", "stdlib", "the application to run: `stdlib`, chi or gin")
	serverKind := flag.String("server", "ours", "the server that runs the application: `ours`, or net/http's, to compare them")
	flag.Parse()

	if !*quiet {
		cfg.console = os.Stdout
	}
	app, err := apps.New(*appName)
	if err == nil && cfg.maxConns < 1 {
		err = fmt.Errorf("-max-conns is %d: at least one connection must be served", cfg.maxConns)
	}
	if err == nil && *serverKind != "ours" && *serverKind != "net/http" {
		err = fmt.Errorf("unknown -server %q: choose ours or net/http", *serverKind)
	}
	if err == nil {
		err = serveUntilInterrupted(*addr, cfg, app, *shutdownTimeout, *serverKind == "net/http")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// config is how the server treats its clients: the flags.
type config struct {
	readTimeout  time.Duration
	writeTimeout time.Duration
	idleTimeout  time.Duration
	maxConns     int
	delay        time.Duration
	console      io.Writer // where the server tells what it does; nil for -quiet
}

// serveUntilInterrupted listens on addr and serves clients until Ctrl-C
// or SIGTERM, then shuts down gracefully, waiting at most
// shutdownTimeout for the requests in flight. With netHTTP, net/http's
// server serves them instead (see nethttp.go).
func serveUntilInterrupted(addr string, cfg config, app http.Handler, shutdownTimeout time.Duration, netHTTP bool) error {
	// net.Listen makes the calls of steps 1 to 6 (socket, setsockopt
	// SO_REUSEADDR, bind, listen), with a non-blocking socket, and a
	// backlog as large as the system allows (net.core.somaxconn on Linux).
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	var s httpServer = newServer(listener, cfg, app)
	which := ""
	if netHTTP {
		s, which = newNetHTTPServer(listener, cfg, app), " (with net/http's server)"
	}
	fmt.Printf("Serving HTTP on %s ...%s\n", listener.Addr(), which)

	interrupted := make(chan os.Signal, 1)
	signal.Notify(interrupted, os.Interrupt, syscall.SIGTERM)
	served := make(chan error, 1)
	go func() { served <- s.serve() }()

	select {
	case err := <-served:
		return err
	case <-interrupted:
	}
	// A second Ctrl-C does not wait for the requests in flight.
	signal.Reset(os.Interrupt, syscall.SIGTERM)
	if err := s.shutdown(shutdownTimeout); err != nil {
		return err
	}
	return <-served
}

// httpServer is what serveUntilInterrupted needs of a server: this
// step's, or net/http's.
type httpServer interface {
	serve() error                         // serves until the shutdown
	shutdown(timeout time.Duration) error // stops gracefully, in timeout at most
}

// server serves HTTP/1.1 clients on one listening socket, a goroutine
// for each connection.
type server struct {
	config
	app      http.Handler
	listener net.Listener
	slots    chan struct{} // one token for each connection being served: the bound
	stopping chan struct{} // closed when the shutdown begins

	mu    sync.Mutex
	conns map[*conn]struct{} // the open connections; mu guards it, and their idle fields

	accepting sync.WaitGroup // the accept loop
	serving   sync.WaitGroup // the connections' goroutines
}

// newServer returns a server of app on listener. Its accept loop, serve,
// must then run, once.
func newServer(listener net.Listener, cfg config, app http.Handler) *server {
	s := &server{
		config:   cfg,
		app:      app,
		listener: listener,
		slots:    make(chan struct{}, cfg.maxConns),
		stopping: make(chan struct{}),
		conns:    make(map[*conn]struct{}),
	}
	s.accepting.Add(1) // serve's
	return s
}

// serve accepts connections until the shutdown, and serves each in a
// goroutine of its own. It returns nil once the listener is closed.
func (s *server) serve() error {
	defer s.accepting.Done()
	retryDelay := time.Duration(0)
	for {
		// Take a slot before accepting: when every slot is taken, the
		// server accepts no more, and new clients wait in the kernel's
		// listen queue until a connection ends.
		select {
		case s.slots <- struct{}{}:
		default:
			s.logf("All %d connection slots are taken: new clients wait in the listen queue.\n", s.maxConns)
			select {
			case s.slots <- struct{}{}:
			case <-s.stopping:
				return nil
			}
		}

		// net's Accept is accept4 on a non-blocking socket. With no client
		// waiting, accept4 fails with EAGAIN, and the runtime parks this
		// goroutine until epoll says a client has come: no thread waits.
		netConn, err := s.listener.Accept()
		if err != nil {
			<-s.slots
			if errors.Is(err, net.ErrClosed) {
				return nil // the shutdown closed the listener
			}
			// Out of descriptors (EMFILE), or a client gone before accept:
			// say so and try again, waiting longer each time in a row,
			// rather than spin on the error.
			fmt.Fprintln(os.Stderr, "accept:", err)
			retryDelay = min(max(2*retryDelay, 5*time.Millisecond), time.Second)
			time.Sleep(retryDelay)
			continue
		}
		retryDelay = 0

		c := s.newConn(netConn)
		// One goroutine for each connection: the accept loop goes on at
		// once, as step 6's parent did after starting a child.
		s.serving.Go(func() {
			defer func() { <-s.slots }()
			c.serve()
		})
	}
}

// shutdown stops the server gracefully: it stops accepting, closes the
// connections that wait idle for a request, and waits for those in the
// middle of one to finish, for timeout at most. Then it closes what is
// left, and says whether every request in flight was finished.
func (s *server) shutdown(timeout time.Duration) error {
	close(s.stopping)
	s.listener.Close()
	s.mu.Lock()
	inFlight := 0
	for c := range s.conns {
		if c.idle {
			// Cut short the wait for the next request: unless a request
			// is already on its way, the read fails, and the goroutine,
			// seeing the shutdown, hangs up.
			c.netConn.SetReadDeadline(time.Now().Add(idleShutdownGrace))
		} else {
			inFlight++
		}
	}
	s.mu.Unlock()
	s.logf("Shutting down: no new connections; waiting for %s in flight.\n", plural(inFlight, "request"))

	s.accepting.Wait() // after this, no connection is added to serving
	finished := make(chan struct{})
	go func() {
		s.serving.Wait()
		close(finished)
	}()
	select {
	case <-finished:
		s.logf("Shutting down.\n")
		return nil
	case <-time.After(timeout):
	}
	s.mu.Lock()
	left := len(s.conns)
	for c := range s.conns {
		c.netConn.Close()
	}
	s.mu.Unlock()
	return fmt.Errorf("shutting down: %d connections were still busy after %s; closed them", left, timeout)
}

// isStopping reports whether the shutdown has begun.
func (s *server) isStopping() bool {
	select {
	case <-s.stopping:
		return true
	default:
		return false
	}
}

// logf tells on the console what the server does, unless it is quiet.
func (s *server) logf(format string, args ...any) {
	if s.console != nil {
		fmt.Fprintf(s.console, format, args...)
	}
}

// conn is one client's connection, served by one goroutine.
type conn struct {
	s           *server
	netConn     net.Conn
	remoteAddr  string
	reader      *bufio.Reader // the bytes received and not yet used
	writer      *bufio.Writer // the response, sent by Flush, through Write
	requests    int           // how many requests it has answered
	idle        bool          // it waits for a request, between two; guarded by s.mu
	writing     bool          // the current response has begun to go out: its write deadline runs
	unreadInput bool          // the client may still be sending: the connection ends with lingeringClose
}

// newConn registers netConn as an open connection of s.
func (s *server) newConn(netConn net.Conn) *conn {
	c := &conn{
		s:          s,
		netConn:    netConn,
		remoteAddr: netConn.RemoteAddr().String(),
		reader:     bufio.NewReaderSize(netConn, ioBufferSize),
	}
	// The response goes out through c.Write, which arms the write deadline.
	c.writer = bufio.NewWriterSize(c, ioBufferSize)
	s.mu.Lock()
	s.conns[c] = struct{}{}
	open := len(s.conns)
	s.mu.Unlock()
	s.logf("Accepted connection from %s (%d open)\n", c.remoteAddr, open)
	return c
}

// serve answers the requests of one connection, one after another, until
// the client or the server ends it; then it closes the connection.
func (c *conn) serve() {
	why := c.serveRequests()
	c.s.mu.Lock()
	delete(c.s.conns, c)
	open := len(c.s.conns)
	c.s.mu.Unlock()
	c.s.logf("Closing connection from %s after %s: %s (%d open)\n", c.remoteAddr, plural(c.requests, "request"), why, open)
	if c.unreadInput {
		c.lingeringClose()
	}
	// close sends a FIN when every byte the client sent has been read;
	// with bytes still unread in the socket's receive queue, it sends a
	// reset (RST) instead, and the client may lose the response that has
	// not reached it yet: hence lingeringClose.
	c.netConn.Close()
}

// serveRequests is the keep-alive loop: wait for a request, answer it,
// and go on while both sides want to. It returns why it stopped.
func (c *conn) serveRequests() string {
	for {
		// Wait for the first byte of the next request: the first request
		// within the read timeout, the next ones within the idle timeout.
		wait := c.s.idleTimeout
		if c.requests == 0 {
			wait = c.s.readTimeout
		}
		c.netConn.SetReadDeadline(time.Now().Add(wait))
		if !c.setIdle(true) {
			return "the server is shutting down"
		}
		_, err := c.reader.Peek(1)
		stopping := !c.setIdle(false)
		switch {
		case err != nil && stopping:
			return "the server is shutting down"
		case errors.Is(err, os.ErrDeadlineExceeded) && c.requests == 0:
			return fmt.Sprintf("the client sent nothing within %s", wait)
		case errors.Is(err, os.ErrDeadlineExceeded):
			return fmt.Sprintf("idle for %s", wait)
		case errors.Is(err, io.EOF):
			return "the client closed it"
		case err != nil:
			return "recv: " + err.Error()
		}

		// A request has begun: it must arrive whole within the read
		// timeout. (Its response must leave within the write timeout,
		// which starts when the response does: see Write.)
		c.netConn.SetReadDeadline(time.Now().Add(c.s.readTimeout))
		keepAlive, why := c.handleRequest()
		c.requests++
		// Hold the connection a while after the response, as the
		// article's time.sleep(60), so that many are open at once and can
		// be watched; a shutdown cuts it short.
		if c.s.delay > 0 {
			select {
			case <-time.After(c.s.delay):
			case <-c.s.stopping:
			}
		}
		if !keepAlive {
			return why
		}
	}
}

// plural writes n and a noun, in the plural unless n is 1: "1 request",
// "2 requests".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// setIdle records whether c waits idle for a request. It returns false
// when the server is shutting down, in which case c must not wait.
//
// c says whether it is idle, and looks for the shutdown, while it holds
// the server's mutex; shutdown begins, then takes the same mutex to look
// for idle connections. So either c goes first, and shutdown then sees
// it idle and wakes it; or shutdown goes first, and c then sees the
// shutdown. Never neither.
func (c *conn) setIdle(idle bool) bool {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	c.idle = idle
	return !c.s.isStopping()
}

// handleRequest reads one request, has the application answer it
// through the gateway, and sends the response. It reports whether the
// connection stays open for the next request, and if not, why. While
// the server shuts down, the response says Connection: close.
func (c *conn) handleRequest() (keepAlive bool, why string) {
	c.writing = false // this response has not begun
	c.unreadInput = false
	// Read the head, up to the empty line (maxHeadBytes at most), and
	// take it apart (see request.go).
	head, err := c.readHead()
	timedOut := errors.Is(err, os.ErrDeadlineExceeded)
	if err != nil && !timedOut && !errors.Is(err, io.EOF) {
		return false, "recv: " + err.Error()
	}
	req, err := parseRequest(head)
	if timedOut && endOfHead(head) < 0 {
		err = &requestError{http.StatusRequestTimeout, fmt.Sprintf("the request's head did not arrive within %s", c.s.readTimeout)}
	}
	if err != nil {
		// Even a head that could not be parsed may say HEAD, whose
		// answer has no body, an error's included.
		req.Method = requestMethod(head)
	}

	// The response goes out through the gateway's http.ResponseWriter.
	w := newResponseWriter(c.writer, req, time.Now)
	// The body, if the request has one, is not read yet: the application
	// reads it from the *http.Request, from the connection, as it
	// arrives; and on a kept connection, not a byte more, which is the
	// next request's.
	var body *requestBody
	if err == nil && (req.ContentLength > 0 || req.Chunked) {
		var source io.Reader
		source, err = newBodyReader(c.reader, req)
		body = &requestBody{
			source: source, w: w, continueOwed: req.expectsContinue(),
			// 100 Continue is not the response: it has a deadline of its own.
			interim: (*interimWriter)(c),
		}
	}
	var r *http.Request
	if err == nil {
		r, err = newRequest(req, body, c.remoteAddr)
	}
	if err != nil && !isRequestError(err) {
		return false, "recv: " + err.Error()
	}

	if err != nil || c.s.isStopping() {
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
	} else if panicValue := serveApp(c.s.app, w, r); panicValue != nil {
		fmt.Fprintf(os.Stderr, "The app panicked: %v\n", panicValue)
		fmt.Fprintln(os.Stderr, w.panicNote())
	} else if body != nil && !answerBodyError(w, body) {
		// What the application left of the body is read and thrown away,
		// so that the next request is found where it begins.
		body.discard()
	}
	if body != nil && !body.ended {
		// The body could not be read to its end: it was bad, or its
		// client waits for a 100 Continue that never came and may never
		// send it. Where a next request would begin is not known.
		w.keepAlive = false
	}
	if !w.headSent && c.s.isStopping() {
		// The shutdown began while the application worked: this response
		// is the last on this connection, and can still say so.
		w.keepAlive = false
	}
	w.finish()
	if w.err == nil {
		if err := c.writer.Flush(); err != nil {
			w.err = fmt.Errorf("sending the response: %w", err)
		}
	}
	// The client may still be sending when its request could not be
	// read (the rest of it is on its way), when its body was not read to
	// the end, or when it sent more requests than will be answered. A
	// client that does not take its response is not waited for.
	c.unreadInput = w.err == nil && (err != nil || body != nil && !body.ended || c.reader.Buffered() > 0)
	if c.s.console != nil {
		requestLine, _, _ := bytes.Cut(skipEmptyLine(head), []byte("\n"))
		notSent := ""
		if w.err != nil {
			notSent = ", which could not be sent"
		}
		c.s.logf("%s: %s -> %s%s%s\n", c.remoteAddr, bytes.TrimSuffix(requestLine, []byte("\r")), statusLine(w.status), w.framing(), notSent)
	}

	switch {
	case w.err != nil:
		// A write that failed (the client did not take the response in
		// time, or reset the connection) ends the connection, always:
		// nothing more can reach this client.
		return false, w.err.Error()
	case w.keepAlive:
		return true, ""
	case err != nil:
		return false, "its request could not be read, so a next one could not be found"
	case body != nil && !body.ended:
		return false, "its request's body was not read to its end, so a next request could not be found"
	case c.s.isStopping():
		return false, "the server is shutting down"
	case req.Version == "HTTP/1.0" && !req.keepAlive():
		return false, "an HTTP/1.0 client, which did not ask to keep it"
	case !req.keepAlive():
		return false, "the client asked to close it (Connection: close)"
	default:
		return false, "the response could end only with the connection"
	}
}

// Write sends data on the connection: the bufio.Writer calls it when
// its buffer is full or flushed. The first write of a response arms the
// write deadline: from then on the client has -write-timeout to take the
// whole response. The time the client took to send its request, and the
// application to answer, do not count against it; and a 408 for a head
// that came too slowly still has its own time to go out.
func (c *conn) Write(data []byte) (int, error) {
	if !c.writing {
		c.writing = true
		c.netConn.SetWriteDeadline(time.Now().Add(c.s.writeTimeout))
	}
	// One call sends all of data, as steps 3 to 6's sendall did: on its
	// non-blocking socket, net's Write calls write again after a short
	// count, and parks on the poller while the send buffer is full,
	// until every byte is out or the deadline passes.
	return c.netConn.Write(data)
}

// interimWriter sends an interim response, 100 Continue, for the
// gateway (see requestBody): at once, within a write deadline of its
// own; the response itself, which may come long after the body, starts
// its own deadline. It is the connection, seen as another io.Writer.
type interimWriter conn

// Write sends data, and flushes it at once.
func (i *interimWriter) Write(data []byte) (int, error) {
	c := (*conn)(i)
	n, err := c.writer.Write(data)
	if err == nil {
		err = c.writer.Flush()
	}
	c.writing = false
	return n, err
}

// lingeringClose prepares the end of a connection on which the client
// may still be sending (RFC 9112, section 9.6). Were the server to close
// at once, the bytes it has not read would make the kernel answer with a
// reset, and the client could lose the response before reading it: a
// client still uploading a body would see "connection reset" instead of
// its 413. So the server first shuts down its sending side (a FIN: the
// client sees the end of the response), then reads and throws away what
// the client still sends, at most lingerBytes for at most lingerTimeout,
// or until the client closes its side too.
func (c *conn) lingeringClose() {
	if tcpConn, ok := c.netConn.(interface{ CloseWrite() error }); ok {
		tcpConn.CloseWrite()
	}
	c.netConn.SetReadDeadline(time.Now().Add(lingerTimeout))
	io.CopyN(io.Discard, c.reader, lingerBytes)
}

// readHead reads the request's head, from its request line to the empty
// line that ends it, line by line from the connection's buffer. It stops
// early when the client closes the connection, at the read deadline, and
// when more than maxHeadBytes have come: parseRequest then says what was
// wrong. What follows the head stays in the buffer: the body, and maybe
// the next request, which a client may send before this one's response
// has come (pipelining).
func (c *conn) readHead() ([]byte, error) {
	var head []byte
	lineStart := 0
	for len(head) <= maxHeadBytes {
		piece, err := c.reader.ReadSlice('\n')
		head = append(head, piece...)
		if err == bufio.ErrBufferFull {
			continue // a line longer than the buffer: the rest follows
		}
		if err != nil {
			return head, err
		}
		line := head[lineStart:]
		isBlank := string(line) == "\r\n" || string(line) == "\n"
		if isBlank && lineStart > 0 {
			return head, nil // the empty line: the head is complete
		}
		// An empty first line does not end the head: RFC 9112 asks a
		// server to ignore one before the request line, which some
		// clients send after a body; parseRequest skips it. A second
		// one ends the head, and parseRequest refuses it.
		lineStart = len(head)
	}
	return head, nil
}

// newBodyReader returns a reader of the body that the request
// announces, from the connection's buffer: Content-Length bytes, or
// chunks until the last one (see chunked.go). It reads only when it is
// read, and only as much as it is asked for, so that a client's
// Content-Length sets no memory aside. A body longer than maxBodyBytes
// is not read at all: it gets 413.
func newBodyReader(reader *bufio.Reader, req request) (io.Reader, error) {
	if req.ContentLength > maxBodyBytes {
		return nil, &requestError{http.StatusRequestEntityTooLarge,
			fmt.Sprintf("the body is %d bytes, more than the %d this server reads", req.ContentLength, maxBodyBytes)}
	}
	if req.Chunked {
		return &bodyReader{decoded: newChunkedReader(reader, maxBodyBytes)}, nil
	}
	return &bodyReader{decoded: &lengthReader{reader, int64(req.ContentLength)}}, nil
}

// bodyReader reads a request's body in pieces of at most bodyPieceBytes,
// and turns what goes wrong into the answer for the client.
type bodyReader struct {
	decoded io.Reader // the body's bytes: Content-Length bytes, or decoded chunks
}

// Read reads the next piece of the body.
func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.decoded.Read(p[:min(len(p), bodyPieceBytes)])
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		err = &requestError{http.StatusRequestTimeout, "the request's body did not arrive in time"}
	case errors.Is(err, io.ErrUnexpectedEOF):
		err = badRequest("the request ended before the end of its body")
	}
	return n, err
}

// lengthReader reads the left bytes of a body sent with Content-Length,
// and not a byte more: what follows is the next request.
type lengthReader struct {
	stream io.Reader
	left   int64
}

// Read reads the body, until io.EOF after its last byte; a stream that
// ends before is io.ErrUnexpectedEOF.
func (l *lengthReader) Read(p []byte) (int, error) {
	if l.left == 0 {
		return 0, io.EOF
	}
	n, err := l.stream.Read(p[:min(int64(len(p)), l.left)])
	l.left -= int64(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF // the body is not complete
	}
	return n, err
}
