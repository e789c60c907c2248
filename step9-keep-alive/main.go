// Step 9 of "Let's Build A Web Server": step 8, with persistent
// connections (HTTP/1.1's keep-alive). After a response the connection
// stays open for the client's next request, which may even come before
// the response has gone (pipelining), until the client asks to close it
// or stays idle for -idle-timeout; a shutdown closes the idle ones. For
// the next message to follow on the same connection, each must say where
// it ends: a request's body by Content-Length or in chunks (chunked.go),
// a streamed response in chunks (gateway.go), where step 8 ended it with
// the connection. The article has no counterpart: its servers close the
// connection after every response.
//
// Run it, then open http://localhost:8888/hello/you in a browser, or:
//
//	go run ./step9-keep-alive
//	curl -v http://localhost:8888/hello http://localhost:8888/hello/again
//
// curl says "Re-using existing connection" for the second request: one
// connection, two requests. -quiet prints nothing for each request, and
// -server net/http serves the application with net/http's server
// instead (nethttp.go): the two, compared under load, measure the
// servers alone.
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
	"sync"
	"syscall"
	"time"

	"github.com/lsbaws-go/lsbaws-go/apps"
)

// recvBufferSize is how many bytes of the requests one recv takes: the
// article's 1024.
const recvBufferSize = 1024

// idleShutdownGrace is how long a connection that waits for a request
// when the shutdown begins is still given. A request that arrived just
// before, which the connection's goroutine has not begun to read, is
// then answered rather than dropped.
const idleShutdownGrace = 100 * time.Millisecond

// bodyPieceBytes bounds one recv of the body: the body is read as it
// arrives, in pieces of at most this size, never all at once.
const bodyPieceBytes = 32 << 10

// A lingering close (see lingeringClose) reads and throws away at most
// lingerBytes of what the client still sends, for at most lingerTimeout:
// net/http's server uses the same bounds.
const (
	lingerBytes   = 256 << 10
	lingerTimeout = 500 * time.Millisecond
)

func main() {
	addr := flag.String("addr", ":8888", "`host:port` to listen on; an empty host means every interface, port 0 lets the kernel choose")
	readTimeout := flag.Duration("read-timeout", 10*time.Second, "how long a client may take to send a whole request, and to begin its first")
	writeTimeout := flag.Duration("write-timeout", 10*time.Second, "how long a client may take to receive a whole response")
	appName := flag.String("app", "stdlib", "the application to run: `stdlib`, chi or gin")
	delay := flag.Duration("delay", 0, "how long each goroutine holds the connection open after each response, as the article's time.sleep")
	idleTimeout := flag.Duration("idle-timeout", 5*time.Second, "how long a connection is kept open, waiting for the client's next request")
	maxConns := flag.Int("max-conns", 64, "the most connections served at once; past it, the server accepts no more until one ends")
	shutdownTimeout := flag.Duration("shutdown-timeout", 5*time.Second, "how long the requests in flight have to finish after SIGTERM or Ctrl-C, before their connections are closed")
	quiet := flag.Bool("quiet", false, "print nothing for each connection and request, only errors (for benchmarks)")
	serverKind := flag.String("server", "ours", "the server that runs the application: `ours`, or net/http's, to compare them")
	flag.Parse()
	if *quiet {
		console = io.Discard
	}

	// The application is whatever the framework built: to the server it
	// is one http.Handler, as a Flask or Django app is one WSGI callable.
	app, err := apps.New(*appName)
	if err == nil && *maxConns < 1 {
		err = fmt.Errorf("-max-conns %d: a server needs at least one connection", *maxConns)
	} else if err == nil && *serverKind != "ours" && *serverKind != "net/http" {
		err = fmt.Errorf("unknown -server %q: choose ours or net/http", *serverKind)
	} else if err == nil && *serverKind == "net/http" {
		err = serveNetHTTP(*addr, app, *readTimeout, *writeTimeout, *idleTimeout, *shutdownTimeout)
	} else if err == nil {
		conns := newConnections(*maxConns)
		err = serveForever(*addr, conns, *shutdownTimeout, func(clientConn net.Conn) {
			serveConnection(clientConn, *readTimeout, *writeTimeout, *idleTimeout, *delay, app, conns)
		})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// serveForever opens the listening socket and accepts clients until the
// process is interrupted, starting a goroutine for each that calls
// serve, no more than conns allows at once. On SIGTERM or Ctrl-C it
// shuts down, giving the requests in flight shutdownTimeout to finish.
func serveForever(addr string, conns *connections, shutdownTimeout time.Duration, serve func(net.Conn)) error {
	// net.Listen makes step 7's calls (socket, setsockopt SO_REUSEADDR,
	// bind, listen) on a non-blocking socket, with a backlog as large as
	// the system allows (Linux: net.core.somaxconn, 4096 on recent kernels).
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	shutDownOnInterrupt(listener, conns, shutdownTimeout)
	fmt.Printf("Serving HTTP on %s ...\n", listener.Addr())

	for {
		// Past -max-conns, wait until a connection ends: meanwhile the
		// kernel queues new clients, up to the backlog, and one slow
		// client after another cannot make the server start goroutines
		// until the machine runs out of memory.
		conns.waitForRoom()

		// accept blocks until a client has connected, then returns a new
		// socket for talking to that client (the listening socket goes
		// on listening) and the client's address. net's Accept is accept4
		// on a non-blocking socket: while no client comes, the runtime
		// parks this goroutine on the poller, and no thread waits.
		// Python: client_connection, client_address = listen_socket.accept()
		clientConn, err := listener.Accept()
		if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
			// Out of descriptors (ulimit -n): every open connection holds
			// one. Wait, rather than spin on the error.
			conns.leaveRoom()
			fmt.Fprintln(os.Stderr, "accept:", err)
			time.Sleep(time.Second)
			continue
		}
		if err != nil {
			conns.leaveRoom()
			if conns.isStopping() {
				// The shutdown closed the door (see shutDownOnInterrupt),
				// and ends the process when the requests in flight have ended.
				select {}
			}
			// EINTR, a signal that cut accept short, is the article's
			// lesson (webserver3e, 3f), but it cannot happen here: Go
			// installs its signal handlers with SA_RESTART, so the
			// kernel restarts an accept that a signal interrupts
			// (strace shows ERESTARTSYS). Python 3.5 and later retry by
			// themselves too (PEP 475), and so does net's Accept.
			fmt.Fprintln(os.Stderr, "accept:", err)
			continue
		}
		fmt.Fprintf(console, "Accepted connection from %s\n", clientConn.RemoteAddr())

		// Start a goroutine to serve the connection. Python: pid = os.fork()
		if err := conns.start(clientConn, serve); err != nil {
			fmt.Fprintln(os.Stderr, "starting a goroutine:", err)
			clientConn.Close()
		}
	}
}

// connections is the server's record of the connections it serves and
// that have not ended: each one, and whether it waits idle for a
// request, so that a shutdown can close those, and one slot each in
// room, so that no more than -max-conns are served at once.
type connections struct {
	mu         sync.Mutex
	open       map[net.Conn]bool // true while the connection waits idle for a request
	room       chan struct{}     // a token per connection, and one for the accept in progress
	stopping   bool              // a shutdown has begun: start no more goroutines
	terminated chan struct{}     // closed when the shutdown begins: it cuts -delay short
}

// newConnections returns an empty record that allows max connections at
// once.
func newConnections(max int) *connections {
	return &connections{open: make(map[net.Conn]bool), room: make(chan struct{}, max), terminated: make(chan struct{})}
}

// waitForRoom blocks until fewer than the most connections allowed are
// served, and takes the room for the next one.
func (c *connections) waitForRoom() { c.room <- struct{}{} }

// leaveRoom gives back the room that waitForRoom took, when no
// goroutine was started in it.
func (c *connections) leaveRoom() { <-c.room }

// start starts a goroutine that serves clientConn, in the room that
// waitForRoom took, and records it. When serve returns, the goroutine
// forgets the connection, gives back its room, and ends.
func (c *connections) start(clientConn net.Conn, serve func(net.Conn)) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopping {
		c.leaveRoom()
		return errors.New("the server is shutting down")
	}
	c.open[clientConn] = false
	go func() {
		serve(clientConn)
		c.mu.Lock()
		defer c.mu.Unlock()
		delete(c.open, clientConn)
		c.leaveRoom()
	}()
	return nil
}

// closeAll closes every connection that has not ended, and returns how
// many there were: their goroutines' reads and writes fail at once.
func (c *connections) closeAll() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	for clientConn := range c.open {
		clientConn.Close()
	}
	return len(c.open)
}

// stop marks the record as shutting down: start starts no more
// goroutines, -delay is cut short, and the connections that wait idle
// for a request wait no more: unless a request is already on its way,
// their read fails, and their goroutines, seeing the shutdown, hang up.
func (c *connections) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopping = true
	close(c.terminated)
	for clientConn, idle := range c.open {
		if idle {
			clientConn.SetReadDeadline(time.Now().Add(idleShutdownGrace))
		}
	}
}

// setIdle records whether clientConn waits idle for a request. It
// returns false when the server is shutting down: then it must not wait.
//
// The connection says whether it is idle, and looks for the shutdown,
// while it holds the mutex; stop takes the same mutex to look for idle
// connections. So either the connection goes first, and stop then sees
// it idle and wakes it; or stop goes first, and the connection then sees
// the shutdown. Never neither.
func (c *connections) setIdle(clientConn net.Conn, idle bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.open[clientConn] = idle
	return !c.stopping
}

// isStopping reports whether a shutdown has begun.
func (c *connections) isStopping() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stopping
}

// left returns how many connections have not ended.
func (c *connections) left() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.open)
}

// shutdownPoll is how often a shutdown looks whether the goroutines have
// all ended.
const shutdownPoll = 10 * time.Millisecond

// shutDownOnInterrupt ends the server cleanly on Ctrl-C (SIGINT) or
// SIGTERM, in a goroutine of its own (see shutdown). It exits with
// status 0 when every request in flight ended by itself, 1 when it had
// to close connections. The kernel closes every socket of a process
// that exits, the listening one too, so the port is free again at once.
func shutDownOnInterrupt(listener net.Listener, conns *connections, timeout time.Duration) {
	interrupted := make(chan os.Signal, 1)
	signal.Notify(interrupted, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-interrupted
		fmt.Println("Shutting down.")
		if !shutdown(listener, conns, timeout) {
			os.Exit(1)
		}
		os.Exit(0)
	}()
}

// shutdown stops accepting, closes the connections that wait idle, lets
// the goroutines finish the requests they serve, and waits up to timeout
// for them; then it closes the
// connections left, and reports whether there were none. (A process can
// be killed; a goroutine cannot: those left end with the process.)
func shutdown(listener net.Listener, conns *connections, timeout time.Duration) bool {
	conns.stop()
	// Closing the listening socket wakes the Accept that waits on it
	// (net.ErrClosed), and the kernel refuses new clients.
	listener.Close()
	deadline := time.Now().Add(timeout)
	for conns.left() > 0 && time.Now().Before(deadline) {
		time.Sleep(shutdownPoll)
	}
	if left := conns.closeAll(); left > 0 {
		fmt.Printf("%d connections did not finish within %s: closing them.\n", left, timeout)
		return false
	}
	return true
}

// console is where the server tells what it does: standard output, or
// nothing with -quiet.
var console io.Writer = os.Stdout

// serveConnection serves one client: it answers the requests of its
// connection, one after another, until the client or the server ends
// it, and then closes the connection.
func serveConnection(clientConn net.Conn, readTimeout, writeTimeout, idleTimeout, delay time.Duration, app http.Handler, conns *connections) {
	// close hangs up: the kernel sends the client a FIN, and the
	// descriptor number is free to be used again. If bytes the client
	// sent are still unread, the kernel sends a RST instead, a reset,
	// and the client may lose the response: the server reads them first
	// (see the body's discard and lingeringClose below).
	// Python: client_connection.close()
	defer clientConn.Close()

	// What the client sent and no request has used yet stays in reader:
	// the next request, which a client may send before this one's
	// response has come (pipelining). The responses go out through
	// writer, one write for each, unless it is long or streamed.
	reader := bufio.NewReaderSize(clientConn, recvBufferSize)
	writer := bufio.NewWriter(nil)
	requests, why := 0, ""
	for why == "" {
		// Wait for the first byte of the next request: the first request
		// within the read timeout, the next ones within the idle timeout.
		wait := idleTimeout
		if requests == 0 {
			wait = readTimeout
		}
		clientConn.SetReadDeadline(time.Now().Add(wait))
		if !conns.setIdle(clientConn, true) {
			why = "the server is shutting down"
			break
		}
		_, err := reader.Peek(1)
		stopping := !conns.setIdle(clientConn, false)
		switch {
		case err != nil && stopping:
			why = "the server is shutting down"
		case errors.Is(err, os.ErrDeadlineExceeded) && requests == 0:
			why = fmt.Sprintf("the client sent nothing within %s", wait)
		case errors.Is(err, os.ErrDeadlineExceeded):
			why = fmt.Sprintf("idle for %s", wait)
		case errors.Is(err, io.EOF):
			why = "the client closed it"
		case err != nil:
			why = "recv: " + err.Error()
		default:
			writer.Reset(&connWriter{clientConn: clientConn, timeout: writeTimeout})
			why = handleRequest(clientConn, reader, writer, readTimeout, writeTimeout, delay, app, conns)
			requests++
		}
	}
	fmt.Fprintf(console, "Closing connection from %s after %d request(s): %s\n", clientConn.RemoteAddr(), requests, why)
}

// handleRequest serves one request: it reads the request's head, parses
// it, and has the application answer it through the gateway; the
// application reads the body, if there is one, as it arrives. It
// returns "" when the connection stays open for the next request, and
// otherwise why it ends.
func handleRequest(clientConn net.Conn, reader *bufio.Reader, writer *bufio.Writer, readTimeout, writeTimeout, delay time.Duration, app http.Handler, conns *connections) string {
	// A client that sends half a request and then nothing keeps its own
	// goroutine busy, no longer every other client; but a goroutine
	// holds a connection and its room, so the whole request must still
	// arrive before this deadline.
	clientConn.SetReadDeadline(time.Now().Add(readTimeout))

	// One recv of 1024 bytes, as in step 3, is not enough: TCP delivers a
	// stream of bytes, not messages, so a request may arrive in several
	// pieces, and a browser's request with its cookies is often longer
	// than 1024 bytes. So recv until the empty line that ends the head.
	request, err := recvHead(reader)
	timedOut := errors.Is(err, os.ErrDeadlineExceeded)
	if err != nil && !timedOut {
		return "recv: " + err.Error()
	}

	// Take the request apart (see request.go).
	req, err := parseRequest(request)
	if timedOut && endOfHead(request) < 0 {
		err = &requestError{http.StatusRequestTimeout, fmt.Sprintf("the request's head did not arrive within %s", readTimeout)}
	}
	if err != nil {
		// Even a head that could not be parsed may say HEAD, whose
		// answer has no body, an error's included.
		req.Method = requestMethod(request)
	}

	// The response goes out through the gateway's http.ResponseWriter,
	// whoever writes it: WSGI's start_response and the body. Its write
	// deadline starts with its first byte.
	w := newResponseWriter(writer, req, time.Now)
	if err != nil || conns.isStopping() {
		// After a request that could not be read, the server cannot tell
		// where the next one would begin; and a server shutting down takes
		// no next request. Either way, this response is the last.
		w.keepAlive = false
	}

	// The body, if the request has one, is not read yet: the application
	// reads it from the *http.Request, from the connection, as it
	// arrives; and not a byte more, which is the next request's.
	var body *requestBody
	if err == nil {
		var source io.Reader
		source, err = newBodyReader(reader, req)
		body = &requestBody{
			source: source, w: w, continueOwed: req.expectsContinue(),
			ended: req.ContentLength == 0 && !req.Chunked, // no body at all
			// 100 Continue is not the response: it has a deadline of its own.
			interim: &connWriter{clientConn: clientConn, timeout: writeTimeout},
		}
	}
	// Turn what the server understood into the application's request:
	// WSGI's environ (see gateway.go).
	var r *http.Request
	if err == nil {
		r, err = newRequest(req, body, clientConn.RemoteAddr().String())
	}
	if r != nil {
		r.Close = !w.keepAlive
	}

	if err != nil {
		// A request that could not be read, parsed or passed on never
		// reaches the application: the server answers it itself.
		answerError(w, err)
	} else if panicValue := serveApp(app, w, r); panicValue != nil {
		// The application failed, not the server: say so, and go on.
		fmt.Fprintf(os.Stderr, "The app panicked: %v\n", panicValue)
		fmt.Fprintln(os.Stderr, w.panicNote())
	} else if !answerBodyError(w, body) {
		// What the application left of the body is read and thrown away,
		// so that the next request is found where it begins.
		body.discard()
	}
	if err != nil || !body.ended || !w.headSent && conns.isStopping() {
		// The body could not be read to its end, so where a next request
		// would begin is not known; or the shutdown began while the
		// application worked. This response is the last, and says so.
		w.keepAlive = false
	}
	w.finish()
	if w.err == nil {
		if err := writer.Flush(); err != nil {
			w.err = fmt.Errorf("sending the response: %w", err)
		}
	}
	requestLine, _, _ := bytes.Cut(skipEmptyLine(request), []byte("\n"))
	fmt.Fprintf(console, "%s: %s -> %s%s\n", clientConn.RemoteAddr(), bytes.TrimSuffix(requestLine, []byte("\r")), statusLine(w.status), w.framing())

	if w.err != nil {
		fmt.Fprintln(os.Stderr, "sendall:", w.err)
		return w.err.Error() // the client does not read: there is no answer to save
	}
	if body != nil && body.err != nil && !isRequestError(body.err) {
		fmt.Fprintln(os.Stderr, "recv:", body.err)
	}

	// Hold the connection open a while, so that many are served at once
	// and can be watched; a shutdown cuts the wait short.
	// Python: time.sleep(60)
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-conns.terminated:
		}
	}
	if w.keepAlive {
		return ""
	}

	// A client that may still be sending gets a lingering close: one
	// whose request was refused, whose body was not read to its end, or
	// who sent more than one request. The net package cannot peek into
	// the socket's receive queue, as step 7's recv with MSG_PEEK did, so
	// every connection ends this way: a client that has sent all it had
	// sees the FIN, closes its side too, and the drain ends at once.
	lingeringClose(clientConn)
	return "the response said Connection: close"
}

// errTimedOut says that the deadline passed before the client sent all
// that the server waited for.
var errTimedOut = errors.New("timed out")

// recvHead reads from the client until the empty line that ends the
// request's head (its request line and header fields) has arrived, and
// returns all it received. It also stops when the client closes its side
// of the connection, and when more than maxHeadBytes have arrived: a
// client must not make the server hold an endless request in memory.
// parseRequest then tells which of these happened. At the deadline it
// returns what it has, with os.ErrDeadlineExceeded.
func recvHead(reader *bufio.Reader) ([]byte, error) {
	received := make([]byte, 0, recvBufferSize)
	for endOfHead(received) < 0 && len(received) <= maxHeadBytes {
		// Python: client_connection.recv(1024), again and again; but a
		// line at a time from the connection's buffer, so that what
		// follows the head stays there: the body, and the next request.
		line, err := reader.ReadSlice('\n')
		received = append(received, line...)
		if err == io.EOF {
			break // the client closed its side: nothing more will come
		}
		if err != nil && err != bufio.ErrBufferFull {
			return received, err
		}
	}
	return received, nil
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

// connWriter lets the gateway write to the client's socket: each Write
// is a sendall. The first Write starts the clock: everything it sends
// must be out within timeout, or the client, who does not read, loses
// the connection, and the server goes on to the next one.
type connWriter struct {
	clientConn net.Conn
	timeout    time.Duration
	deadline   time.Time // set by the first Write
}

// Write sends all of data before the deadline.
func (c *connWriter) Write(data []byte) (int, error) {
	if c.deadline.IsZero() {
		c.deadline = time.Now().Add(c.timeout)
	}
	// Python: client_connection.sendall(http_response)
	if err := sendall(c.clientConn, data, c.deadline); err != nil {
		return 0, err
	}
	return len(data), nil
}

// recvBefore is one recv that gives up at the deadline. net's Read is
// recv on a non-blocking socket: when nothing has arrived, the runtime
// parks this goroutine on the poller until bytes come or the deadline
// passes, and no thread waits. The deadline is the connection's
// (SetReadDeadline), set to the same time before each call, so that a
// client sending one byte at a time cannot stretch it; and net retries
// a recv that a signal interrupted (EINTR) by itself.
func recvBefore(clientConn net.Conn, buffer []byte, deadline time.Time) (int, error) {
	clientConn.SetReadDeadline(deadline)
	n, err := clientConn.Read(buffer)
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return n, errTimedOut
	case err == io.EOF:
		return n, nil // a recv of 0 bytes: the client closed its side
	}
	return n, err
}

// sendall writes all of data to the socket before the deadline, as
// Python's socket.sendall does with a timeout set. net's Write is a
// sendall already: on its non-blocking socket it calls write again
// after a short count, and parks on the poller while the send buffer is
// full, until every byte is out or the deadline (SetWriteDeadline) has
// passed, so that a client that never reads cannot hold the server
// forever.
func sendall(clientConn net.Conn, data []byte, deadline time.Time) error {
	clientConn.SetWriteDeadline(deadline)
	_, err := clientConn.Write(data)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("send: %w", errTimedOut)
	}
	if err != nil {
		return fmt.Errorf("send: %w", err)
	}
	return nil
}

// lingeringClose prepares to close a connection on which the client
// may still be sending: a request the server refused, or a body it did
// not read to its end (RFC 9112, section 9.6). Closing at once would
// make the kernel answer those bytes with a RST, and a client that gets
// a RST may throw away the answer it had not read yet. So the server
// shuts down its sending side, which sends a FIN: the client sees the
// end of the answer. Then it reads and throws away what still comes, at
// most lingerBytes for at most lingerTimeout, stopping at the client's
// own FIN; then the caller closes.
func lingeringClose(clientConn net.Conn) {
	closer, ok := clientConn.(interface{ CloseWrite() error })
	if !ok || closer.CloseWrite() != nil {
		return // the connection is gone already
	}
	deadline := time.Now().Add(lingerTimeout)
	buffer := make([]byte, bodyPieceBytes)
	for drained := 0; drained < lingerBytes; {
		n, err := recvBefore(clientConn, buffer, deadline)
		if err != nil || n == 0 {
			return // the deadline, the client's FIN, or a reset
		}
		drained += n
	}
}
