// Step 9 of "Let's Build A Web Server": step 8 on Go's net package, so
// that a waiting connection costs a parked goroutine, not a thread.
//
// A goroutine still serves each connection, as in step 8. But net makes
// step 8's system calls on non-blocking sockets and, when one would
// wait, parks the goroutine on the runtime's poller (epoll on Linux,
// kqueue on macOS), and its thread runs other goroutines: a thousand
// idle connections cost a thousand small stacks, not a thousand
// threads, and the bound rises from step 8's 64 connections to 10000.
//
// Step 8's flags stay:
//
//	-delay 10s                each goroutine holds the connection open after its response, as the
//	                          article's time.sleep, so that many are served at once
//	-max-conns 10000          past this many connections, the server stops accepting until one
//	                          ends: clients wait in the listen queue
//	-shutdown-timeout 5s      on SIGTERM or Ctrl-C the server stops accepting new clients,
//	                          waits this long for the requests in flight, then closes the rest
//
// Run it, then the load client, and count the threads:
//
//	go run ./step9-goroutines
//	go run ./client -clients 50 -idle -hold 10s
//	ps -o nlwp= -p $(pgrep -f -n step9-goroutines)
//
// It has a few threads, not one for each of the 50 connections. Each
// still carries one request (Connection: close). It runs on Windows
// too: the net package speaks to each system in its own terms.
package main

import (
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

// recvBufferSize is how many bytes of the request one recv takes: the
// article's 1024.
const recvBufferSize = 1024

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
	maxConns := flag.Int("max-conns", 10000, "the most connections served at once; past it, the server accepts no more until one ends")
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
// it, parses it, and has the application answer it through the gateway.
func handleRequest(clientConn net.Conn, readTimeout, writeTimeout, delay time.Duration, app http.Handler, terminated <-chan struct{}) {
	// close hangs up: the kernel sends the client a FIN (a RST instead,
	// if bytes the client sent are still unread), and the descriptor
	// number is free to be used again.
	// A client that gets a RST may lose the response: the server reads
	// those bytes first (see discardBody and lingeringClose below).
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
	// The answer goes out through the gateway (see gateway.go), whoever writes it.
	w := newResponseWriter(&connWriter{clientConn: clientConn, timeout: writeTimeout}, requestMethod(request), time.Now)
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
		r, err = newRequest(req, body, clientConn.RemoteAddr().String())
	}
	if err == nil {
		if err = serveApp(app, w, r); err == nil {
			err = body.err
		}
		if err == nil && !body.continueOwed { // else the client may never send it
			err = discardBody(clientConn, body.arrived, body.left, deadline)
		}
	}
	if err != nil && !isRequestError(err) {
		fmt.Fprintln(os.Stderr, "recv:", err)
		return
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
		if tcpConn, ok := clientConn.(*net.TCPConn); ok {
			tcpConn.SetLinger(0)
		}
		return
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
	w.finish()
	fmt.Printf("Answered %s\n", statusLine(w.status))
	if w.err != nil {
		fmt.Fprintln(os.Stderr, "sendall:", w.err)
		return
	}

	// Hold the connection open a while, so that many are served at once
	// and can be watched; a shutdown cuts the wait short.
	// Python: time.sleep(60)
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-terminated:
		}
	}

	// A client that may still be sending gets a lingering close: after
	// an error answer (a body the server refused to read, the rest of a
	// head it stopped at), or when bytes it sent are still unread (it
	// sent a next request already, or waits for 100 Continue to send its
	// body). The net package cannot peek into the socket's receive queue,
	// as step 7's recv with MSG_PEEK did, so every connection ends this
	// way: a client that has sent all it had sees the FIN, closes its side
	// too, and the drain ends at once.
	lingeringClose(clientConn)
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
