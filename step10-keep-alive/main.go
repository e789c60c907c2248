// Step 10 of "Let's Build A Web Server": step 9, with persistent
// connections (HTTP/1.1's keep-alive). After a response the connection
// stays open for the client's next request, which may even come before
// the response has gone (pipelining), until the client asks to close it
// or stays idle. For the next message to follow on the same connection,
// each must say where it ends: a request's body by Content-Length or in
// chunks, a streamed response in chunks (see chunked.go).
//
// Step 9's flags stay, and two join them:
//
//	-delay 10s                each goroutine holds the connection open after its response, as the
//	                          article's time.sleep, so that many are served at once
//	-max-conns 10000          past this many connections, the server stops accepting until one
//	                          ends: clients wait in the listen queue
//	-shutdown-timeout 5s      on SIGTERM or Ctrl-C the server stops accepting new clients,
//	                          waits this long for the requests in flight, then closes the rest
//	-idle-timeout 5s          how long a connection waits open for the next request (a
//	                          shutdown closes the idle ones at once)
//	-quiet                    print nothing for each request, for benchmarks
//
// Run it, and send two requests on one connection:
//
//	go run ./step10-keep-alive
//	curl -v http://localhost:8888/hello http://localhost:8888/hello/again
//
// curl says "Re-using existing connection" for the second request.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/lsbaws-go/lsbaws-go/apps"
)

// recvBufferSize is how many bytes of the request one recv takes: the
// article's 1024.
const recvBufferSize = 1024

// idleShutdownGrace is how long a connection that waits for a request
// when the shutdown begins is still given. A request that arrived just
// before, which the connection's goroutine has not begun to read, is
// then answered rather than dropped.
const idleShutdownGrace = 100 * time.Millisecond

// A lingering close (see lingeringClose) reads and throws away at most
// lingerBytes of what the client still sends, for at most lingerTimeout:
// net/http's server uses the same bounds.
const (
	lingerBytes   = 256 << 10
	lingerTimeout = 500 * time.Millisecond
)

func main() {
	addr := flag.String("addr", ":8888", "`host:port` to listen on; an empty host means every interface, port 0 lets the kernel choose")
	readTimeout := flag.Duration("read-timeout", 10*time.Second, "how long a client may take to send its whole request")
	writeTimeout := flag.Duration("write-timeout", 10*time.Second, "how long a client may take to receive a whole response")
	appName := flag.String("app", "stdlib", "the application to run: `stdlib`, chi or gin")
	delay := flag.Duration("delay", 0, "how long each goroutine holds the connection open after its response, as the article's time.sleep")
	idleTimeout := flag.Duration("idle-timeout", 5*time.Second, "how long a connection is kept open, waiting for the client's next request")
	maxConns := flag.Int("max-conns", 10000, "the most connections served at once; past it, the server accepts no more until one ends")
	shutdownTimeout := flag.Duration("shutdown-timeout", 5*time.Second, "how long the requests in flight have to finish after SIGTERM or Ctrl-C, before their connections are closed")
	quiet := flag.Bool("quiet", false, "print nothing for each connection and request, only errors (for benchmarks)")
	flag.Parse()
	if *quiet {
		console = io.Discard
	}

	// The application is whatever the framework built: to the server it
	// is one http.Handler, as a Flask or Django app is one WSGI callable.
	app, err := apps.New(*appName)
	if err == nil && *maxConns < 1 {
		err = fmt.Errorf("-max-conns %d: a server needs at least one connection", *maxConns)
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
// that have not ended: each one, so that a shutdown can close those
// left, and one slot each in room, so that no more than -max-conns are
// served at once.
type connections struct {
	mu         sync.Mutex
	open       map[net.Conn]bool
	room       chan struct{} // a token per connection, and one for the accept in progress
	stopping   bool          // a shutdown has begun: start no more goroutines
	terminated chan struct{} // closed when the shutdown begins: it cuts -delay short
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
	c.open[clientConn] = true
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
// goroutines, and -delay is cut short. A connection idle between two
// requests has idleShutdownGrace left, for a request already on its way.
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

// setIdle records whether clientConn waits idle for a request (the
// value in open: a new connection is idle until its first request), and
// returns false when the server is shutting down: then it must not wait.
// Both under the mutex that stop holds: either stop sees the connection
// idle and wakes it, or the connection sees the shutdown. Never neither.
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

// shutdown stops accepting, lets the goroutines finish the requests they
// serve, and waits up to timeout for them; then it closes the
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
func serveConnection(netConn net.Conn, readTimeout, writeTimeout, idleTimeout, delay time.Duration, app http.Handler, conns *connections) {
	clientConn := &conn{Conn: netConn}
	// close hangs up: the kernel sends the client a FIN (a RST instead,
	// if bytes the client sent are still unread), and the descriptor
	// number is free to be used again.
	// A client that gets a RST may lose the response: the server reads
	// those bytes first (see discardBody and lingeringClose below).
	// Python: client_connection.close()
	defer clientConn.Close()

	requests, why := 0, ""
	for why == "" {
		// Wait for the first byte of the next request: the first request
		// within the read timeout, the next ones within the idle timeout.
		wait := idleTimeout
		if requests == 0 {
			wait = readTimeout
		}
		clientConn.SetReadDeadline(time.Now().Add(wait))
		if !conns.setIdle(netConn, true) {
			why = "the server is shutting down"
			break
		}
		err := clientConn.wait()
		stopping := !conns.setIdle(netConn, false)
		switch {
		case err != nil && stopping:
			why = "the server is shutting down"
		case errors.Is(err, os.ErrDeadlineExceeded):
			why = fmt.Sprintf("the client sent nothing within %s", wait)
		case errors.Is(err, io.EOF):
			why = "the client closed it"
		case err != nil:
			why = "recv: " + err.Error()
		default:
			why = handleRequest(clientConn, readTimeout, writeTimeout, delay, app, conns)
			requests++
		}
	}
	fmt.Fprintf(console, "Closing connection from %s after %d request(s): %s\n", clientConn.RemoteAddr(), requests, why)
}

// conn is a client's connection, with the bytes that it has sent and no
// request has used yet: the start of the next request, which a client
// may send before the response to this one has come (pipelining).
type conn struct {
	net.Conn
	pending []byte
	buffer  [recvBufferSize]byte
}

// Read takes what is pending first, then recvs.
func (c *conn) Read(buffer []byte) (int, error) {
	if len(c.pending) == 0 {
		return c.Conn.Read(buffer)
	}
	n := copy(buffer, c.pending)
	c.pending = c.pending[n:]
	return n, nil
}

// unread gives back what a request did not use: it is pending again.
func (c *conn) unread(data []byte) {
	c.pending = append(data[:len(data):len(data)], c.pending...)
}

// wait waits until the client has sent something, unless something is
// pending already, or the read deadline passes; what came is pending.
func (c *conn) wait() error {
	if len(c.pending) > 0 {
		return nil
	}
	n, err := c.Conn.Read(c.buffer[:])
	c.pending = c.buffer[:n]
	return err
}

// handleRequest serves one request: it reads the request's head, parses
// it, and has the application answer it through the gateway. It returns
// "" when the connection stays open for the next request, and otherwise
// why it ends.
func handleRequest(clientConn *conn, readTimeout, writeTimeout, delay time.Duration, app http.Handler, conns *connections) string {

	// A client that sends half a request and then nothing keeps its own
	// goroutine busy, no longer every other client; but a goroutine
	// holds a connection and its room, so the whole request must still
	// arrive before this deadline.
	deadline := time.Now().Add(readTimeout)

	// One recv of 1024 bytes, as in step 3, is not enough: TCP delivers a
	// stream of bytes, not messages, so a request may arrive in several
	// pieces, and a browser's request with its cookies is often longer
	// than 1024 bytes. So recv until the empty line that ends the head.
	request, err := recvHead(clientConn, deadline)
	timedOut := errors.Is(err, errTimedOut)
	if err != nil && !timedOut {
		return "recv: " + err.Error()
	}
	// What came after the head is the body, or the next request: it stays
	// pending on the connection.
	if end := endOfHead(request); end >= 0 {
		clientConn.unread(request[end:])
		request = request[:end]
	}

	// Take the request apart (see request.go).
	req, err := parseRequest(request)
	if timedOut && endOfHead(request) < 0 {
		err = &requestError{http.StatusRequestTimeout, fmt.Sprintf("the request's head did not arrive within %s", readTimeout)}
	}
	// The answer goes out through the gateway (see gateway.go), whoever writes it.
	w := newResponseWriter(&connWriter{clientConn: clientConn, timeout: writeTimeout}, requestMethod(request), time.Now)
	w.keepOpen, w.canChunk = err == nil && req.keepAlive(), req.Version == "HTTP/1.1"
	// The application reads the body, if the request announces one, from
	// r.Body as it arrives; the server throws away what it leaves, as step
	// 5 throws the whole body away: closing the connection with
	// unread bytes would make the kernel reset it, and the client could
	// lose the response.
	var body *requestBody
	var r *http.Request
	if err == nil {
		body = &requestBody{clientConn: clientConn, arrived: request[endOfHead(request):], left: req.ContentLength,
			deadline: deadline, w: w, continueOwed: req.expectsContinue()}
		if req.Chunked {
			// The chunks come within the request's read deadline, which
			// recvHead has set on the connection.
			body.chunks = newChunkedReader(bufio.NewReader(clientConn), maxBodyBytes)
		}
		r, err = newRequest(req, body, clientConn.RemoteAddr().String())
	}
	if err == nil {
		if err = serveApp(app, w, r); err == nil {
			err = body.err
		}
		if err == nil && !body.continueOwed && body.left > 0 { // else the client may never send it
			err = discardBody(clientConn, body.arrived, body.left, deadline)
		}
		if err == nil && !body.continueOwed && body.chunks != nil {
			_, err = io.Copy(io.Discard, body)
			// The chunks' reader reads ahead: what it holds past the last
			// chunk is the next request's.
			next, _ := body.chunks.r.Peek(body.chunks.r.Buffered())
			clientConn.unread(next)
		}
	}
	if err != nil && !isRequestError(err) {
		fmt.Fprintln(os.Stderr, "recv:", err)
		return "recv: " + err.Error()
	}

	// A request that could not be read, parsed or passed on, whose body
	// the application could not read, or whose application panicked, gets
	// the server's own answer, unless the application's head has gone out:
	// then a panic cut short a body that ends with the connection, and a
	// FIN would say it is whole; SO_LINGER 0 makes close send a RST.
	if err != nil && !w.headSent {
		w = newResponseWriter(&connWriter{clientConn: clientConn, timeout: writeTimeout}, requestMethod(request), time.Now)
		answerError(w, err)
	} else if err == errAppFailed {
		if tcpConn, ok := clientConn.Conn.(*net.TCPConn); ok {
			tcpConn.SetLinger(0)
		}
		return "the application failed after its response had begun"
	}

	// A response to HEAD is the response to GET without its body: the
	// header fields still say how long that body would be. An error
	// answer too has no body (RFC 9110, section 9.3.2), as soon as the
	// request line has told the method, however bad the rest: a client
	// that sent HEAD reads no body, and would take one for the start of
	// the next response.
	//
	// The answer has a deadline too: a client that reads nothing would
	// otherwise keep send waiting for room in the socket's buffer for
	// ever, and every other client waiting behind it. A client that has
	// not taken the whole answer by then loses the connection.
	if err != nil || body != nil && body.continueOwed || !w.headSent && conns.isStopping() {
		// After a request that was not read to its end, where the next
		// one would begin is not known; and a server shutting down takes
		// no next request. This response is the last, and says so.
		w.keepOpen = false
	}
	w.finish()
	if console != io.Discard {
		requestLine, _, _ := strings.Cut(string(skipEmptyLine(request)), "\n")
		fmt.Fprintf(console, "%s: %s -> %s\n", clientConn.RemoteAddr(), strings.TrimSuffix(requestLine, "\r"), statusLine(w.status))
	}
	if w.err != nil {
		fmt.Fprintln(os.Stderr, "sendall:", w.err)
		return w.err.Error()
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
	if w.keepOpen {
		return ""
	}

	// A client that may still be sending gets a lingering close: after
	// an error answer (a body the server refused to read, the rest of a
	// head it stopped at), or when bytes it sent are still unread (it
	// sent a next request already, or waits for 100 Continue to send its
	// body). The net package cannot peek into the socket's receive queue,
	// as step 7's recv with MSG_PEEK did, so a response that closes ends this
	// way: a client that has sent all it had sees the FIN, closes its side
	// too, and the drain ends at once.
	lingeringClose(clientConn.Conn)
	return "the response said Connection: close"
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
	// shutdown(SHUT_WR) closes the server's sending side only: the kernel
	// sends a FIN after the answer, so the client reads the answer to the
	// end of the stream, and the server can still recv. (The article
	// never needs it: its server reads one recv and closes.) net calls it
	// CloseWrite.
	// Python: client_connection.shutdown(socket.SHUT_WR)
	tcpConn, ok := clientConn.(*net.TCPConn)
	if !ok || tcpConn.CloseWrite() != nil {
		return // the connection is gone already
	}
	// recv what the client still sends, and throw it away.
	// Python: client_connection.recv(1024), again and again
	deadline := time.Now().Add(lingerTimeout)
	buffer := make([]byte, recvBufferSize)
	for drained := 0; drained < lingerBytes; {
		n, err := recvBefore(clientConn, buffer, deadline)
		if err != nil || n == 0 {
			return // the deadline, the client's FIN, or a reset
		}
		drained += n
	}
}

// errTimedOut says that the deadline passed before the client sent all
// that the server waited for, or took all that the server sent.
var errTimedOut = errors.New("timed out")

// recvHead reads from the client until the empty line that ends the
// request's head (its request line and header fields) has arrived, and
// returns all it received. It also stops when the client closes its side
// of the connection. parseRequest then tells which of these happened.
//
// Unlike step 4's loop, this one has a bound and a deadline: it stops
// past maxHeadBytes, so that no client can make it hold an endless
// request, and at the deadline it returns what it has, with errTimedOut.
func recvHead(clientConn *conn, deadline time.Time) ([]byte, error) {
	received := make([]byte, 0, recvBufferSize)
	buffer := clientConn.buffer[:]
	for endOfHead(received) < 0 && len(received) <= maxHeadBytes {
		// Python: client_connection.recv(1024), again and again
		n, err := recvBefore(clientConn, buffer, deadline)
		if err != nil {
			return received, err
		}
		if n == 0 {
			break // the client closed its side: nothing more will come
		}
		received = append(received, buffer[:n]...)
	}
	return received, nil
}

// discardBody reads and throws away the body of a request that
// announced length bytes, of which the first arrived with the head. A
// body longer than maxBodyBytes is not read at all: it gets 413.
func discardBody(clientConn net.Conn, arrived []byte, length int, deadline time.Time) error {
	if length > maxBodyBytes {
		return &requestError{http.StatusRequestEntityTooLarge,
			fmt.Sprintf("the body is %d bytes, more than the %d this server reads", length, maxBodyBytes)}
	}
	remaining := length - len(arrived)
	buffer := make([]byte, recvBufferSize)
	for remaining > 0 {
		n, err := recvBefore(clientConn, buffer[:min(remaining, len(buffer))], deadline)
		if errors.Is(err, errTimedOut) {
			return &requestError{http.StatusRequestTimeout, "the request's body did not arrive in time"}
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return badRequest("the request ended %d bytes before the end of its body", remaining)
		}
		remaining -= n
	}
	return nil
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

// statusLine gives a status code with its reason phrase, as in
// "404 Not Found". (net/http is used here only for its table of
// reason phrases.)
func statusLine(code int) string {
	return strconv.Itoa(code) + " " + http.StatusText(code)
}

// connWriter is the client's socket as the gateway writes to it: each
// Write is a sendall, and all must be done within timeout of the first,
// or the client, who does not read, loses the connection.
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
