//go:build unix

// Step 8 of "Let's Build A Web Server": step 7, with a goroutine per
// connection instead of a process, on the same raw system calls.
//
// The server still accepts connections one at a time, but it no longer
// serves them itself: for each one it starts a goroutine that serves
// that connection and ends, and it goes back to accept at once. A
// goroutine costs a few kilobytes, not a process, and nothing is left to
// reap, nor a parent's copy of the connection to close. But each
// goroutine makes step 7's blocking system calls: while one waits in
// recv for its client, the kernel holds the operating-system thread
// that runs it, and Go's runtime starts another thread for the other
// goroutines. A waiting connection costs a thread (some 24 KiB of the
// server's memory, docs/evidence/threads.sh measures, and a kernel
// stack), and the runtime stops a program that has 10000 of them.
//
// Step 7's defences stay, in goroutine form:
//
//	-delay 10s                each goroutine holds the connection open after its response, as the
//	                          article's time.sleep, so that many are served at once
//	-max-conns 64             past this many connections, the server stops accepting until one
//	                          ends: clients wait in the listen queue, and hold no thread
//	-shutdown-timeout 5s      on SIGTERM or Ctrl-C the server stops accepting new clients,
//	                          waits this long for the requests in flight, then shuts down the rest
//
// Run it, then the load client with clients that send nothing, and
// count the threads:
//
//	go run ./step8-threads
//	go run ./client -clients 50 -idle -hold 10s
//	ps -o nlwp= -p $(pgrep -f -n step8-threads)
//
// or, on Linux, grep Threads /proc/$(pgrep -f -n step8-threads)/status.
// While the 50 goroutines wait in recv, the server has a thread for
// each, and a few more. (A goroutine that -delay holds waits in the
// runtime, not in the kernel, and holds no thread.)
//
// It runs on Linux and macOS, as step 7 does; on Windows it says so and
// exits. Every call below is the system call that Python's socket
// module makes for the line of the article named in its comment.
package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/lsbaws-go/lsbaws-go/apps"
)

// requestQueueSize is the listen backlog: how many connections that the
// kernel has already accepted (the handshake is done) may wait in a queue
// until the server calls accept. Steps 1 to 6 used 1. Now that the
// server accepts again as soon as it has started a goroutine, a burst of
// clients can arrive faster than it accepts them, and past -max-conns
// clients wait in this queue: the article's webserver3c.py, 3d and 3e
// still use 5; its webserver3f.py, 3g and 3h raise the backlog to 1024, and
// so does this step. (Linux caps it at net.core.somaxconn, 4096 on
// recent kernels.)
const requestQueueSize = 1024

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
	maxConns := flag.Int("max-conns", 64, "the most connections served at once, each with its thread; past it, the server accepts no more until one ends")
	shutdownTimeout := flag.Duration("shutdown-timeout", 5*time.Second, "how long the requests in flight have to finish after SIGTERM or Ctrl-C, before their connections are shut down")
	flag.Parse()

	// The application is whatever the framework built: to the server it
	// is one http.Handler, as a Flask or Django app is one WSGI callable.
	app, err := apps.New(*appName)
	if err == nil && *maxConns < 1 {
		err = fmt.Errorf("-max-conns %d: a server needs at least one connection", *maxConns)
	} else if err == nil {
		conns := newConnections(*maxConns)
		err = serveForever(*addr, conns, *shutdownTimeout, func(clientConn int, clientAddr syscall.Sockaddr) {
			handleRequest(clientConn, clientAddr, *readTimeout, *writeTimeout, *delay, app, conns.terminated)
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
func serveForever(addr string, conns *connections, shutdownTimeout time.Duration, serve func(int, syscall.Sockaddr)) error {
	listenSocket, err := createListenSocket(addr)
	if err != nil {
		return err
	}
	shutDownOnInterrupt(listenSocket, conns, shutdownTimeout)

	// With port 0 the kernel picked a free port: ask the socket which.
	boundAddr, err := syscall.Getsockname(listenSocket)
	if err != nil {
		return fmt.Errorf("getsockname: %w", err)
	}
	fmt.Printf("Serving HTTP on %s ...\n", formatAddr(boundAddr))

	for {
		// Past -max-conns, wait until a connection ends: meanwhile the
		// kernel queues new clients, up to the backlog, and one slow
		// client after another cannot make the server start goroutines,
		// and threads, until the runtime or the machine gives out.
		conns.waitForRoom()

		// accept blocks until a client has connected, then returns a new
		// socket for talking to that client (the listening socket goes
		// on listening) and the client's address. It blocks in the
		// kernel, and holds the thread of this goroutine while no client
		// comes. The new descriptor belongs to this process alone: no
		// child inherits it, so step 7's close-on-exec mark is gone.
		// Python: client_connection, client_address = listen_socket.accept()
		clientConn, clientAddr, err := syscall.Accept(listenSocket)
		if err == syscall.EMFILE || err == syscall.ENFILE {
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
			// themselves too (PEP 475). The branch stays to mark the place
			// where the article's lesson would be.
			if err != syscall.EINTR {
				fmt.Fprintln(os.Stderr, "accept:", err)
			}
			continue
		}
		fmt.Printf("Accepted connection fd %d from %s\n", clientConn, formatAddr(clientAddr))

		// Start a goroutine to serve the connection. Python: pid = os.fork()
		if err := conns.start(clientConn, clientAddr, serve); err != nil {
			fmt.Fprintln(os.Stderr, "starting a goroutine:", err)
			syscall.Close(clientConn)
		}
	}
}

// connections is the server's record of the connections it serves and
// that have not ended: each one, so that a shutdown can shut down those
// left, and one slot each in room, so that no more than -max-conns are
// served at once.
type connections struct {
	mu         sync.Mutex
	open       map[int]bool
	room       chan struct{} // a token per connection, and one for the accept in progress
	stopping   bool          // a shutdown has begun: start no more goroutines
	terminated chan struct{} // closed when the shutdown begins: it cuts -delay short
}

// newConnections returns an empty record that allows max connections at
// once.
func newConnections(max int) *connections {
	return &connections{open: make(map[int]bool), room: make(chan struct{}, max), terminated: make(chan struct{})}
}

// waitForRoom blocks until fewer than the most connections allowed are
// served, and takes the room for the next one.
func (c *connections) waitForRoom() { c.room <- struct{}{} }

// leaveRoom gives back the room that waitForRoom took, when no
// goroutine was started in it.
func (c *connections) leaveRoom() { <-c.room }

// start starts a goroutine that serves clientConn, in the room that
// waitForRoom took, and records it. When serve returns, the goroutine
// forgets the connection, closes it, gives back its room, and ends.
func (c *connections) start(clientConn int, clientAddr syscall.Sockaddr, serve func(int, syscall.Sockaddr)) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopping {
		c.leaveRoom()
		return errors.New("the server is shutting down")
	}
	c.open[clientConn] = true
	go func() {
		serve(clientConn, clientAddr)
		c.mu.Lock()
		defer c.mu.Unlock()
		delete(c.open, clientConn)
		// close frees the number for accept to give the next client:
		// forgotten first, under the lock, it cannot be that client's.
		// Python: client_connection.close()
		syscall.Close(clientConn)
		c.leaveRoom()
	}()
	return nil
}

// shutdownAll shuts down both directions of every connection that has
// not ended, and returns how many there were: their goroutines' recv
// returns 0 at once, and their send fails (EPIPE). It does not close
// them: a descriptor closed while another goroutine uses it could be
// given at once to a new socket, and that goroutine would read or write
// someone else's connection; each goroutine closes its own when it
// returns. (Linux does not wake a recv blocked on a socket that another
// thread closes, either.)
func (c *connections) shutdownAll() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	for clientConn := range c.open {
		syscall.Shutdown(clientConn, syscall.SHUT_RDWR)
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
// to shut connections down. The kernel closes every socket of a process
// that exits, the listening one too, so the port is free again at once.
func shutDownOnInterrupt(listenSocket int, conns *connections, timeout time.Duration) {
	interrupted := make(chan os.Signal, 1)
	signal.Notify(interrupted, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-interrupted
		fmt.Println("Shutting down.")
		if !shutdown(listenSocket, conns, timeout) {
			os.Exit(1)
		}
		os.Exit(0)
	}()
}

// shutdown stops accepting, lets the goroutines finish the requests they
// serve, and waits up to timeout for them; then it shuts down the
// connections left, and reports whether there were none. (A process can
// be killed; a goroutine cannot: those left end with the process.)
func shutdown(listenSocket int, conns *connections, timeout time.Duration) bool {
	conns.stop()
	// shutdown on a listening socket wakes the accept that waits on
	// it (Linux: EINVAL), and the kernel refuses new clients.
	syscall.Shutdown(listenSocket, syscall.SHUT_RD)
	deadline := time.Now().Add(timeout)
	for conns.left() > 0 && time.Now().Before(deadline) {
		time.Sleep(shutdownPoll)
	}
	if left := conns.shutdownAll(); left > 0 {
		fmt.Printf("%d connections did not finish within %s: shutting them down.\n", left, timeout)
		return false
	}
	return true
}

// createListenSocket makes the four system calls that turn an address
// into a socket that clients can connect to.
func createListenSocket(addr string) (int, error) {
	sockaddr, err := parseAddr(addr)
	if err != nil {
		return -1, err
	}

	// socket creates an endpoint for talking over a network: AF_INET for
	// IPv4 addresses, SOCK_STREAM for a reliable byte stream, that is TCP.
	// The kernel answers with a file descriptor, a small number.
	// Python: listen_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
	listenSocket, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		return -1, fmt.Errorf("socket: %w", err)
	}

	// SO_REUSEADDR lets us bind the port again at once after a restart,
	// while connections of the old process still linger in TIME_WAIT;
	// without it, bind fails with "address already in use".
	// Python: listen_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	if err := syscall.SetsockoptInt(listenSocket, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
		syscall.Close(listenSocket)
		return -1, fmt.Errorf("setsockopt SO_REUSEADDR: %w", err)
	}

	// bind gives the socket its address: the IP address and port on
	// which clients will find it.
	// Python: listen_socket.bind(SERVER_ADDRESS)
	if err := syscall.Bind(listenSocket, sockaddr); err != nil {
		syscall.Close(listenSocket)
		return -1, fmt.Errorf("bind %s: %w", addr, err)
	}

	// listen turns it into a listening socket: from now on the kernel
	// completes the handshake with clients that connect, and queues them.
	// Python: listen_socket.listen(REQUEST_QUEUE_SIZE)
	if err := syscall.Listen(listenSocket, requestQueueSize); err != nil {
		syscall.Close(listenSocket)
		return -1, fmt.Errorf("listen: %w", err)
	}
	return listenSocket, nil
}

// handleRequest serves one client: it reads the request's head, prints
// it, parses it, and has the application answer it through the gateway.
// The goroutine that calls it closes the connection (connections.start).
func handleRequest(clientConn int, clientAddr syscall.Sockaddr, readTimeout, writeTimeout, delay time.Duration, app http.Handler, terminated <-chan struct{}) {
	// A client that sends half a request and then nothing keeps its own
	// goroutine busy, no longer every other client; but a goroutine
	// holds a connection, its room and, while it waits, a thread, so the
	// whole request must still arrive before this deadline.
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
		r, err = newRequest(req, body, formatAddr(clientAddr))
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
		syscall.SetsockoptLinger(clientConn, syscall.SOL_SOCKET, syscall.SO_LINGER, &syscall.Linger{Onoff: 1, Linger: 0})
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

	// A client that may still be sending gets a lingering close: after
	// an error answer (a body the server refused to read, the rest of a
	// head it stopped at), or when bytes it sent are still unread (it
	// sent a next request already, or waits for 100 Continue to send its
	// body).
	if err != nil || body != nil && body.continueOwed || inputPending(clientConn) {
		lingeringClose(clientConn)
	}

	// Hold the connection open a while, so that many are served at once
	// and can be watched; a shutdown cuts the wait short.
	// Python: time.sleep(60)
	select {
	case <-time.After(delay):
	case <-terminated:
	}
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
func lingeringClose(clientConn int) {
	// shutdown(SHUT_WR) closes the server's sending side only: the kernel
	// sends a FIN after the answer, so the client reads the answer to the
	// end of the stream, and the server can still recv. (The article
	// never needs it: its server reads one recv and closes.)
	// Python: client_connection.shutdown(socket.SHUT_WR)
	if err := syscall.Shutdown(clientConn, syscall.SHUT_WR); err != nil {
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

// inputPending reports whether the client has sent bytes that the
// server has not read: they wait in the kernel's receive buffer, and
// would make close send a RST. MSG_PEEK looks without taking them,
// MSG_DONTWAIT answers at once (EAGAIN when there are none).
func inputPending(clientConn int) bool {
	var b [1]byte
	// Python: client_connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
	n, _, err := syscall.Recvfrom(clientConn, b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	return err == nil && n > 0
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
func recvHead(clientConn int, deadline time.Time) ([]byte, error) {
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
func discardBody(clientConn int, arrived []byte, length int, deadline time.Time) error {
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

// recvBefore is one recv that gives up at the deadline. The socket
// option SO_RCVTIMEO tells the kernel how long a recv may wait; the
// server sets it to the time left before each call, so that a client
// sending one byte at a time cannot stretch the deadline. While recv
// waits, the goroutine's thread waits with it, in the kernel: the
// runtime cannot run anything else on that thread until recv returns,
// so it starts another one for the other goroutines.
func recvBefore(clientConn int, buffer []byte, deadline time.Time) (int, error) {
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return 0, errTimedOut
		}
		// A timeout of zero would mean "wait forever": wait at least 1µs.
		timeout := syscall.NsecToTimeval(max(left, time.Microsecond).Nanoseconds())
		if err := syscall.SetsockoptTimeval(clientConn, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &timeout); err != nil {
			return 0, fmt.Errorf("setsockopt SO_RCVTIMEO: %w", err)
		}
		n, err := syscall.Read(clientConn, buffer)
		switch err {
		case nil:
			return n, nil
		case syscall.EAGAIN: // the timeout passed with nothing to read
			return 0, errTimedOut
		case syscall.EINTR:
			// A signal came first: try again. Unlike accept's, this
			// branch is live: the kernel never restarts a recv on a
			// socket that has a timeout (SO_RCVTIMEO), SA_RESTART or not
			// (signal(7); strace shows read(...) = -1 EINTR).
			continue
		default:
			return 0, err
		}
	}
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
	clientConn int
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

// sendall writes all of data to the socket, as Python's socket.sendall
// does. On a blocking socket like this one, Linux's send waits until the
// kernel has taken every byte; it returns a short count only when a
// signal comes after part was sent, when a send timeout (SO_SNDTIMEO)
// passes, or on a non-blocking socket (send(2), signal(7)). A signal can
// come at any time, so sendall loops until every byte is out, as
// Python's does. (send with no flags is the write system call.)
//
// Unlike step 4's, this sendall gives up at the deadline: it sets
// SO_SNDTIMEO, as recvBefore sets SO_RCVTIMEO, to the time left before
// each send, so that a client that never reads cannot hold the server.
func sendall(clientConn int, data []byte, deadline time.Time) error {
	for len(data) > 0 {
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("send: %w", errTimedOut)
		}
		timeout := syscall.NsecToTimeval(max(left, time.Microsecond).Nanoseconds())
		if err := syscall.SetsockoptTimeval(clientConn, syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, &timeout); err != nil {
			return fmt.Errorf("setsockopt SO_SNDTIMEO: %w", err)
		}
		n, err := syscall.Write(clientConn, data)
		switch err {
		case nil:
			data = data[n:]
		case syscall.EAGAIN: // the timeout passed and the kernel took nothing
			return fmt.Errorf("send: %w", errTimedOut)
		case syscall.EINTR:
			// A signal came before any byte was taken: try again. With
			// SO_SNDTIMEO set, the kernel does not restart a send, as
			// it does not restart recvBefore's recv (signal(7)).
			continue
		default:
			return fmt.Errorf("send: %w", err)
		}
	}
	return nil
}

// parseAddr turns "host:port" into the address structure that bind
// takes. An empty host means 0.0.0.0, every interface, as the article's
// empty HOST does.
func parseAddr(addr string) (*syscall.SockaddrInet4, error) {
	tcpAddr, err := net.ResolveTCPAddr("tcp4", addr)
	if err != nil {
		return nil, fmt.Errorf("bad -addr %q: %w", addr, err)
	}
	sockaddr := &syscall.SockaddrInet4{Port: tcpAddr.Port}
	if ip := tcpAddr.IP.To4(); ip != nil {
		copy(sockaddr.Addr[:], ip)
	}
	return sockaddr, nil
}

// formatAddr writes a socket address the usual way, as "ip:port".
func formatAddr(sockaddr syscall.Sockaddr) string {
	switch sa := sockaddr.(type) {
	case *syscall.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port)).String()
	case *syscall.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), uint16(sa.Port)).String()
	default:
		return fmt.Sprintf("%v", sockaddr)
	}
}
