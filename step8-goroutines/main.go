// Step 8 of "Let's Build A Web Server": step 7, with a goroutine per
// connection instead of a process, on Go's net package instead of raw
// system calls. (The series ends Part 3 with a process per connection.)
//
// The server still accepts connections one at a time, but it no longer
// serves them itself: for each one it starts a goroutine that serves
// that connection and ends, and it goes back to accept at once. A
// goroutine costs a few kilobytes, not a process, and nothing is left to
// reap. The net package makes the system calls of step 7 on non-blocking
// sockets and, when one would wait, parks the goroutine on the runtime's
// poller (epoll on Linux, kqueue on macOS): a thousand idle connections
// cost a thousand small stacks, not a thousand threads.
//
// Step 7's defences stay, in goroutine form:
//
//	-delay 10s                each goroutine holds the connection open after its response, as the
//	                          article's time.sleep, so that many are served at once
//	-max-conns 64             past this many connections, the server stops accepting until one
//	                          ends: clients wait in the listen queue
//	-shutdown-timeout 5s      on SIGTERM or Ctrl-C the server stops accepting new clients,
//	                          waits this long for the requests in flight, then closes the rest
//
// Run it, then the load client, and count the threads:
//
//	go run ./step8-goroutines -delay 10s
//	go run ./client -clients 50
//	ps -o nlwp= -p $(pgrep -f -n step8-goroutines)
//
// Each connection still carries one request (Connection: close). It runs
// on Windows too: the net package speaks to each system in its own terms.
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

// recvBufferSize is how many bytes of the request one recv takes: the
// article's 1024.
const recvBufferSize = 1024

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
	readTimeout := flag.Duration("read-timeout", 10*time.Second, "how long a client may take to send its whole request")
	writeTimeout := flag.Duration("write-timeout", 10*time.Second, "how long a client may take to receive a whole response")
	appName := flag.String("app", "stdlib", "the application to run: `stdlib`, chi or gin")
	delay := flag.Duration("delay", 0, "how long each goroutine holds the connection open after its response, as the article's time.sleep")
	maxConns := flag.Int("max-conns", 64, "the most connections served at once; past it, the server accepts no more until one ends")
	shutdownTimeout := flag.Duration("shutdown-timeout", 5*time.Second, "how long the requests in flight have to finish after SIGTERM or Ctrl-C, before their connections are closed")
	flag.Parse()

	// The application is whatever the framework built: to the server it
	// is one http.Handler, as a Flask or Django app is one WSGI callable.
	app, err := apps.New(*appName)
	if err == nil && *maxConns < 1 {
		err = fmt.Errorf("-max-conns %d: a server needs at least one connection", *maxConns)
	} else if err == nil {
		conns := newConnections(*maxConns)
		err = serveForever(*addr, conns, *shutdownTimeout, func(clientConn net.Conn) {
			handleRequest(clientConn, *readTimeout, *writeTimeout, *delay, app, conns.terminated)
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
		fmt.Printf("Accepted connection from %s\n", clientConn.RemoteAddr())

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
// goroutines, and -delay is cut short.
func (c *connections) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopping = true
	close(c.terminated)
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

// handleRequest serves one client: it reads the request's head, prints
// it, parses it, and has the application answer it through the gateway;
// the application reads the body, if there is one, as it arrives.
func handleRequest(clientConn net.Conn, readTimeout, writeTimeout, delay time.Duration, app http.Handler, terminated <-chan struct{}) {
	// close hangs up: the kernel sends the client a FIN, and the
	// descriptor number is free to be used again. If bytes the client
	// sent are still unread, the kernel sends a RST instead, a reset,
	// and the client may lose the response: the server reads them first
	// (see the body's discard and lingeringClose below).
	// Python: client_connection.close()
	defer clientConn.Close()

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
		fmt.Fprintln(os.Stderr, "recv:", err)
		return
	}
	if len(request) == 0 {
		if timedOut {
			fmt.Printf("The client sent nothing within %s; closing.\n", readTimeout)
		} else {
			fmt.Println("The client closed the connection without sending anything.")
		}
		return
	}

	// Print the request exactly as it arrived, line ends and all, and a
	// newline after it, as Python's print does.
	// Python: print(request.decode())
	fmt.Printf("%s\n", request)

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
	w := newResponseWriter(&connWriter{clientConn: clientConn, timeout: writeTimeout}, req, time.Now)

	// The body, if the request has one, is not read yet: the application
	// reads it from the *http.Request, straight from the socket.
	var body *requestBody
	if err == nil {
		var source io.Reader
		source, err = newBodyReader(clientConn, request[endOfHead(request):], req, deadline)
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
		// so that the connection does not close on unread bytes.
		body.discard()
	}
	w.finish()
	fmt.Printf("Answered %s%s\n", statusLine(w.status), w.framing())

	if w.err != nil {
		fmt.Fprintln(os.Stderr, "sendall:", w.err)
		return // the client does not read: there is no answer to save
	}
	if body != nil && body.err != nil && !isRequestError(body.err) {
		fmt.Fprintln(os.Stderr, "recv:", body.err)
	}

	// Hold the connection open a while, so that many are served at once
	// and can be watched; a shutdown cuts the wait short.
	// Python: time.sleep(60)
	select {
	case <-time.After(delay):
	case <-terminated:
	}

	// A client that may still be sending gets a lingering close: one
	// whose request was refused, whose body was not read to its end, or
	// who sent more than one request. The net package cannot peek into
	// the socket's receive queue, as step 7's recv with MSG_PEEK did, so
	// every connection ends this way: a client that has sent all it had
	// sees the FIN, closes its side too, and the drain ends at once.
	lingeringClose(clientConn)
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
// returns what it has, with errTimedOut.
func recvHead(clientConn net.Conn, deadline time.Time) ([]byte, error) {
	received := make([]byte, 0, recvBufferSize)
	buffer := make([]byte, recvBufferSize)
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

// newBodyReader returns a reader of the body that the request
// announces, of which the first bytes arrived with the head:
// Content-Length bytes, or chunks until the last one (see chunked.go).
// It reads from the socket only when it is read, and only as much as it
// is asked for, so that a client's Content-Length sets no memory aside.
// A body longer than maxBodyBytes is not read at all: it gets 413.
func newBodyReader(clientConn net.Conn, arrived []byte, req request, deadline time.Time) (io.Reader, error) {
	if req.ContentLength > maxBodyBytes {
		return nil, &requestError{http.StatusRequestEntityTooLarge,
			fmt.Sprintf("the body is %d bytes, more than the %d this server reads", req.ContentLength, maxBodyBytes)}
	}
	stream := io.MultiReader(bytes.NewReader(arrived), &socketReader{clientConn, deadline})
	if req.Chunked {
		return &bodyReader{decoded: newChunkedReader(bufio.NewReader(stream), maxBodyBytes)}, nil
	}
	return &bodyReader{decoded: &lengthReader{stream, int64(req.ContentLength)}}, nil
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
	case errors.Is(err, errTimedOut):
		err = &requestError{http.StatusRequestTimeout, "the request's body did not arrive in time"}
	case errors.Is(err, io.ErrUnexpectedEOF):
		err = badRequest("the request ended before the end of its body")
	}
	return n, err
}

// lengthReader reads the left bytes of a body sent with Content-Length,
// and not a byte more: what follows belongs to no one.
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

// socketReader reads the client's socket as an io.Reader, one recv at a
// time, until the deadline.
type socketReader struct {
	clientConn net.Conn
	deadline   time.Time
}

// Read is one recv; a recv of 0 bytes, the end of the stream, is io.EOF.
func (s *socketReader) Read(buffer []byte) (int, error) {
	n, err := recvBefore(s.clientConn, buffer, s.deadline)
	if err == nil && n == 0 && len(buffer) > 0 {
		return 0, io.EOF
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
