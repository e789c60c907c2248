//go:build unix

// Step 6 of "Let's Build A Web Server": step 5, plus a process per
// connection, so that many clients are served at once (Part 3 of the
// series, webserver3c.py to webserver3g.py).
//
// The server still accepts connections one at a time, but it no longer
// serves them itself: for each one it starts a child process that serves
// that connection and exits, and it goes back to accept at once. Python's
// server calls os.fork(); a running Go program cannot fork (its runtime's
// threads would not survive in the child), so this server starts itself
// again, fork and exec in one call, and hands the child the connection
// as its descriptor 3.
//
// Then it meets the article's troubles, which flags bring back:
//
//	-reap=false               children that exit stay zombies (ps -o pid,stat,cmd: state Z)
//	-close-parent-copy=false  the parent keeps its copy of every connection: clients never
//	                          see the end of the response, and descriptors run out (ulimit -n)
//	-delay 10s                each child holds the connection open after its response, as the
//	                          article's time.sleep, so that many are served at once
//
// Run it, then the load client, and watch the processes:
//
//	go run ./step6-processes -delay 10s
//	go run ./client -clients 50
//	ps -o pid,ppid,stat,cmd --ppid $(pgrep -f -n step6-processes)
//
// It runs on Linux and macOS; on Windows, which has no fork, it says so
// and exits. Every call below is the system call that Python's socket
// and os modules make for the line of the article named in its comment.
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
	"net/netip"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// requestQueueSize is the listen backlog: how many connections that the
// kernel has already accepted (the handshake is done) may wait in a queue
// until the server calls accept. Steps 1 to 5 used 1. Now that the
// server accepts again as soon as it has started a child, a burst of
// clients can arrive faster than it accepts them: the article's
// webserver3c.py raises the backlog to 1024, and so does this step.
// (Linux caps it at net.core.somaxconn, 4096 on recent kernels.)
const requestQueueSize = 1024

// childConnEnv is the environment variable that tells a child process
// which descriptor holds the connection it serves; the parent sets it to
// childConnFD. A process started without it is the parent, the server.
const childConnEnv = "LSBAWS_CHILD_CONN_FD"

// childConnFD is the descriptor of the connection in the child: the
// parent passes it after standard input, output and error, 0, 1 and 2.
const childConnFD = 3

// recvBufferSize is how many bytes of the request one recv takes: the
// article's 1024.
const recvBufferSize = 1024

func main() {
	addr := flag.String("addr", ":8888", "`host:port` to listen on; an empty host means every interface, port 0 lets the kernel choose")
	readTimeout := flag.Duration("read-timeout", 10*time.Second, "how long a client may take to send its whole request")
	appName := flag.String("app", "stdlib", "the application to run: `stdlib`, chi or gin")
	reap := flag.Bool("reap", true, "reap children that have exited (SIGCHLD and waitpid); false leaves them zombies")
	closeParentCopy := flag.Bool("close-parent-copy", true, "close the parent's copy of each connection; false leaves clients hanging and runs out of descriptors")
	delay := flag.Duration("delay", 0, "how long each child holds the connection open after its response, as the article's time.sleep")
	flag.Parse()

	// The application is whatever the framework built: to the server it
	// is one http.Handler, as a Flask or Django app is one WSGI callable.
	app, err := newApp(*appName)
	if err == nil && os.Getenv(childConnEnv) != "" {
		// This process is a child: serve the one connection, and exit.
		err = serveChild(*readTimeout, *delay, app)
	} else if err == nil {
		err = serveForever(*addr, *reap, *closeParentCopy)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// serveForever opens the listening socket and accepts clients until the
// process is interrupted, starting a child process for each. With reap,
// it collects the children that have exited; with closeParentCopy, it
// closes its copy of each connection once the child has its own.
func serveForever(addr string, reap, closeParentCopy bool) error {
	listenSocket, err := createListenSocket(addr)
	if err != nil {
		return err
	}
	// The children must not inherit the listening socket: only the
	// parent accepts. Marked close-on-exec, it is closed in the child as
	// the child starts. Python: listen_socket.close()  # close child copy
	syscall.CloseOnExec(listenSocket)
	exitOnInterrupt()
	if reap {
		reapChildren()
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding this program to start it again: %w", err)
	}

	// With port 0 the kernel picked a free port: ask the socket which.
	boundAddr, err := syscall.Getsockname(listenSocket)
	if err != nil {
		return fmt.Errorf("getsockname: %w", err)
	}
	fmt.Printf("Serving HTTP on %s ...\n", formatAddr(boundAddr))

	for {
		// accept blocks until a client has connected, then returns a new
		// socket for talking to that client (the listening socket goes
		// on listening) and the client's address.
		// Python: client_connection, client_address = listen_socket.accept()
		clientConn, clientAddr, err := syscall.Accept(listenSocket)
		if err == syscall.EMFILE || err == syscall.ENFILE {
			// Out of descriptors (ulimit -n): every connection the parent
			// kept open holds one. Wait, rather than spin on the error.
			fmt.Fprintln(os.Stderr, "accept:", err)
			time.Sleep(time.Second)
			continue
		}
		if err != nil {
			if err != syscall.EINTR {
				fmt.Fprintln(os.Stderr, "accept:", err)
			}
			continue
		}
		fmt.Printf("Accepted connection fd %d from %s\n", clientConn, formatAddr(clientAddr))

		// Start a child to serve the connection. Python: pid = os.fork()
		if err := startChild(self, clientConn); err != nil {
			fmt.Fprintln(os.Stderr, "starting a child:", err)
		}
		// The child has its own copy of the connection now. The kernel
		// closes a connection only when its last copy is closed, so the
		// parent closes its own, or the client never sees the end of the
		// response, and the parent's descriptors run out.
		// Python: client_connection.close()  # close parent copy and loop over
		if closeParentCopy {
			syscall.Close(clientConn)
		}
	}
}

// startChild starts this program again, self, as a child process that
// serves clientConn: the connection becomes the child's descriptor 3,
// and childConnEnv tells the child so. The child inherits the parent's
// flags, its environment, and its standard output and error, so what it
// prints appears on the same console.
//
// It does not wait for the child: the parent goes back to accept at
// once. (Go's exec.Cmd would wait, and reap, in its Wait; this step
// reaps by itself, in reapChildren, as the article does.)
func startChild(self string, clientConn int) error {
	// fork and exec in one call: a copy of this process that at once
	// runs this program afresh, with only the descriptors listed here.
	_, err := syscall.ForkExec(self, os.Args, &syscall.ProcAttr{
		Env:   append(os.Environ(), fmt.Sprintf("%s=%d", childConnEnv, childConnFD)),
		Files: []uintptr{0, 1, 2, uintptr(clientConn)}, // stdin, stdout, stderr, the connection
	})
	if err != nil {
		return fmt.Errorf("fork and exec %s: %w", self, err)
	}
	return nil
}

// serveChild is the whole life of a child process: it serves the one
// connection that the parent passed it, on descriptor 3, and returns.
// The child asks the socket who the client is: the parent knew, but
// only the descriptor crossed over.
func serveChild(readTimeout, delay time.Duration, app http.Handler) error {
	clientAddr, err := syscall.Getpeername(childConnFD)
	if err != nil {
		syscall.Close(childConnFD)
		return fmt.Errorf("getpeername on the connection the parent passed: %w", err)
	}
	handleRequest(childConnFD, clientAddr, readTimeout, delay, app)
	return nil
}

// reapChildren collects every child that has exited, from now on, in
// a goroutine of its own. A child that exits stays in the process table
// as a zombie, holding its exit status, until its parent waits for it.
// The kernel tells the parent with the signal SIGCHLD; signals of the
// same kind do not queue, so one SIGCHLD may stand for many children,
// and the handler waits for all that have exited, without blocking
// (WNOHANG), until none is left. Python: signal.signal(signal.SIGCHLD,
// grim_reaper), whose loop calls os.waitpid(-1, os.WNOHANG).
func reapChildren() {
	childExited := make(chan os.Signal, 1)
	signal.Notify(childExited, syscall.SIGCHLD)
	go func() {
		for range childExited {
			for {
				var status syscall.WaitStatus
				pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
				if err == syscall.EINTR {
					continue
				}
				if err != nil || pid <= 0 {
					break // ECHILD: no children; 0: none has exited yet
				}
			}
		}
	}()
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
// it, parses it, reads its body, and has the application answer it
// through the gateway.
func handleRequest(clientConn int, clientAddr syscall.Sockaddr, readTimeout, delay time.Duration, app http.Handler) {
	// close hangs up: once the parent has closed its copy too, the kernel
	// sends the client a FIN, and the descriptor number is free to be
	// used again. Python: client_connection.close()
	defer syscall.Close(clientConn)

	// A client that sends half a request and then nothing keeps its own
	// child busy, no longer every other client; but a child costs a
	// process, so the whole request must still arrive before this
	// deadline.
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
	// Read the body, if the request has one: the application will read
	// it from the *http.Request. Reading it all now also means that the
	// connection never closes with request bytes unread, which would make
	// the kernel reset it and the client could lose the response.
	var body []byte
	if err == nil {
		body, err = readBody(clientConn, request[endOfHead(request):], req, deadline)
	}
	// Turn what the server understood into the application's request:
	// WSGI's environ (see gateway.go).
	var r *http.Request
	if err == nil {
		r, err = newRequest(req, body, formatAddr(clientAddr))
	}
	if err != nil && !isRequestError(err) {
		fmt.Fprintln(os.Stderr, "recv:", err)
		return
	}

	// The response goes out through the gateway's http.ResponseWriter,
	// whoever writes it: WSGI's start_response and the body.
	w := newResponseWriter(connWriter(clientConn), req, time.Now)
	if err != nil {
		// A request that could not be read, parsed or passed on never
		// reaches the application: the server answers it itself.
		answerError(w, err)
	} else if panicValue := serveApp(app, w, r); panicValue != nil {
		// The application failed, not the server: say so, and go on.
		fmt.Fprintf(os.Stderr, "The app panicked: %v\n", panicValue)
		fmt.Fprintln(os.Stderr, w.panicNote())
	}
	w.finish()
	fmt.Printf("Answered %s%s\n", statusLine(w.status), w.framing())

	if w.err != nil {
		fmt.Fprintln(os.Stderr, "sendall:", w.err)
	}
	// Hold the connection open a while, so that many are served at once
	// and can be watched. Python: time.sleep(60)
	time.Sleep(delay)
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

// readBody reads the body that the request announces, of which the
// first bytes arrived with the head: Content-Length bytes, or chunks
// until the last one (see chunked.go). A body longer than maxBodyBytes
// is not read at all: it gets 413.
func readBody(clientConn int, arrived []byte, req request, deadline time.Time) ([]byte, error) {
	if req.ContentLength > maxBodyBytes {
		return nil, &requestError{http.StatusRequestEntityTooLarge,
			fmt.Sprintf("the body is %d bytes, more than the %d this server reads", req.ContentLength, maxBodyBytes)}
	}
	stream := io.MultiReader(bytes.NewReader(arrived), &socketReader{clientConn, deadline})
	var body []byte
	var err error
	if req.Chunked {
		body, err = io.ReadAll(newChunkedReader(bufio.NewReader(stream), maxBodyBytes))
	} else {
		body = make([]byte, req.ContentLength)
		_, err = io.ReadFull(stream, body)
	}
	switch {
	case errors.Is(err, errTimedOut):
		return nil, &requestError{http.StatusRequestTimeout, "the request's body did not arrive in time"}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return nil, badRequest("the request ended before the end of its body")
	}
	return body, err
}

// socketReader reads the client's socket as an io.Reader, one recv at a
// time, until the deadline.
type socketReader struct {
	clientConn int
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
// is a sendall.
type connWriter int

// Write sends all of data.
func (c connWriter) Write(data []byte) (int, error) {
	// Python: client_connection.sendall(http_response)
	if err := sendall(int(c), data); err != nil {
		return 0, err
	}
	return len(data), nil
}

// recvBefore is one recv that gives up at the deadline. The socket
// option SO_RCVTIMEO tells the kernel how long a recv may wait; the
// server sets it to the time left before each call, so that a client
// sending one byte at a time cannot stretch the deadline.
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
		case syscall.EINTR: // a signal came first: try again
			continue
		default:
			return 0, err
		}
	}
}

// isRequestError reports whether err is an answer for the client (a
// *requestError) rather than a failure of the connection.
func isRequestError(err error) bool {
	var reqErr *requestError
	return errors.As(err, &reqErr)
}

// sendall writes all of data to the socket, as Python's socket.sendall
// does. One send may take only part of it (the kernel copies what fits
// in the socket's send buffer, or a signal cuts the call short) and
// returns how much it took, so sendall loops until every byte is out.
// (send with no flags is the write system call.)
func sendall(clientConn int, data []byte) error {
	for len(data) > 0 {
		n, err := syscall.Write(clientConn, data)
		if err != nil {
			return fmt.Errorf("send: %w", err)
		}
		data = data[n:]
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

// exitOnInterrupt ends the server cleanly on Ctrl-C (SIGINT) or
// SIGTERM: it says so and exits with status 0. The kernel closes every
// socket of a process that exits, the listening one too, so the port is
// free again at once.
func exitOnInterrupt() {
	interrupted := make(chan os.Signal, 1)
	signal.Notify(interrupted, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-interrupted
		fmt.Println("Shutting down.")
		os.Exit(0)
	}()
}
