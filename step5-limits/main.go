//go:build unix

// Step 5 of "Let's Build A Web Server": step 4, plus limits, which let
// the server stand up to the hostile internet.
//
// The server reads until the empty line that ends the header fields,
// however many reads that takes, and parses the request line (method,
// path, query, version) and the header fields (see request.go). It
// answers according to what it understood: 200 with an echo of the parse
// for / and /hello, 404 for any other path, and 400, with the reason in
// one line, for a request line or a header field line that it cannot
// take apart. The answer to HEAD is the answer to GET without its body.
//
// Step 4 trusts its client; this step does not. A client has
// -read-timeout to send its request (408 if late) and -write-timeout to
// take the answer; past each named limit comes 413, 414 or 431; the
// framing is held to RFC 9112 (Host, Content-Length, Transfer-Encoding,
// obsolete folding, bare CR, mixed line ends); 501 answers a method
// other than GET and HEAD, 505 a version other than HTTP/1.x; a body is
// read and thrown away; an error quotes at most an excerpt of the
// request; and a client that may still be sending gets a lingering
// close, so that it gets the answer rather than a reset.
//
// Run it, then open http://localhost:8888/hello?name=you in a browser, or:
//
//	go run ./step5-limits
//	curl -v 'http://localhost:8888/hello?name=you'
//
// Every call below is the system call that Python's socket module makes
// for the line of the article named in its comment.
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
	"syscall"
	"time"
)

// requestQueueSize is the listen backlog: how many connections that the
// kernel has already accepted (the handshake is done) may wait in a queue
// until the server calls accept. The article's Part 1 uses 1: this
// server takes one client at a time. Linux lets the queue hold one more
// than the backlog, so while it works two more clients wait (ss -ltn
// shows them as the listening socket's Recv-Q).
const requestQueueSize = 1

// recvBufferSize is how many bytes of the request one recv takes: the
// article's 1024.
const recvBufferSize = 1024

// responseBody is what the browser will show.
const responseBody = "Hello, World!"

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
	flag.Parse()

	if err := serveForever(*addr, *readTimeout, *writeTimeout); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// serveForever opens the listening socket and serves one client after
// another until the process is interrupted.
func serveForever(addr string, readTimeout, writeTimeout time.Duration) error {
	listenSocket, err := createListenSocket(addr)
	if err != nil {
		return err
	}
	exitOnInterrupt()

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
		if err != nil {
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
		handleRequest(clientConn, clientAddr, readTimeout, writeTimeout)
	}
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
// it, parses it and answers what it understood.
func handleRequest(clientConn int, clientAddr syscall.Sockaddr, readTimeout, writeTimeout time.Duration) {
	// close hangs up: the kernel sends the client a FIN (a RST instead,
	// if bytes the client sent are still unread), and the descriptor
	// number is free to be used again.
	// A client that gets a RST may lose the response: the server reads
	// those bytes first (see discardBody and lingeringClose below).
	// Python: client_connection.close()
	defer syscall.Close(clientConn)

	fmt.Printf("Accepted connection fd %d from %s\n", clientConn, formatAddr(clientAddr))

	// This server serves one client at a time: a client that sends half
	// a request and then nothing would keep every other client waiting.
	// So the whole request must arrive before this deadline.
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
	// Read the body, if the request announces one, and throw it away:
	// this server has no use for it, but closing the connection with
	// unread bytes would make the kernel reset it, and the client could
	// lose the response.
	if err == nil {
		err = discardBody(clientConn, request[endOfHead(request):], req.ContentLength, deadline)
	}
	if err != nil && !isRequestError(err) {
		fmt.Fprintln(os.Stderr, "recv:", err)
		return
	}

	// Choose the answer.
	status, body := route(req, err)
	fmt.Printf("Answered %s\n", status)

	// A response to HEAD is the response to GET without its body: the
	// header fields still say how long that body would be. An error
	// answer too has no body (RFC 9110, section 9.3.2), as soon as the
	// request line has told the method, however bad the rest: a client
	// that sent HEAD reads no body, and would take one for the start of
	// the next response.
	response := makeResponse(status, body)
	if requestMethod(request) == "HEAD" {
		response = response[:len(response)-len(body)]
	}

	// The answer has a deadline too: a client that reads nothing would
	// otherwise keep send waiting for room in the socket's buffer for
	// ever, and every other client waiting behind it. A client that has
	// not taken the whole answer by then loses the connection.
	// Python: client_connection.sendall(http_response)
	if err := sendall(clientConn, response, time.Now().Add(writeTimeout)); err != nil {
		fmt.Fprintln(os.Stderr, "sendall:", err)
		return
	}

	// A client that may still be sending gets a lingering close: after
	// an error answer (a body the server refused to read, the rest of a
	// head it stopped at), or when bytes it sent are still unread (it
	// sent a next request already).
	if err != nil || inputPending(clientConn) {
		lingeringClose(clientConn)
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

// route chooses the answer to a request: its status line and body.
// A request that could not be parsed gets the error's status and a
// one-line reason; a known path gets 200 and an echo of what the server
// understood; any other path gets 404.
// A request that could not be read whole gets its error's status too,
// and a method other than GET and HEAD gets 501. An error body quotes
// at most an excerpt of what the client sent, so that it stays short
// (under 1 KiB) whatever the input: a long answer would take long to
// send to a client that reads slowly.
func route(req request, err error) (status, body string) {
	if err != nil {
		code := http.StatusBadRequest
		var reqErr *requestError
		if errors.As(err, &reqErr) {
			code = reqErr.status
		}
		status = statusLine(code)
		return status, status + ": " + err.Error() + "\n"
	}
	// This server has pages to GET, nothing to POST, PUT or DELETE to. It
	// answers 501 Not Implemented rather than 405 Method Not Allowed:
	// 405 says that this path takes other methods, and none does.
	if req.Method != "GET" && req.Method != "HEAD" {
		status = statusLine(http.StatusNotImplemented)
		return status, status + ": this server answers GET and HEAD only, not " + excerpt(req.Method) + "\n"
	}
	switch req.Path {
	case "/", "/hello":
		return statusLine(http.StatusOK), responseBody + "\n\n" + req.describe()
	default:
		status = statusLine(http.StatusNotFound)
		return status, status + ": there is no page at " + excerpt(req.Path) + "\n"
	}
}

// statusLine gives a status code with its reason phrase, as in
// "404 Not Found". (net/http is used here only for its table of
// reason phrases.)
func statusLine(code int) string {
	return strconv.Itoa(code) + " " + http.StatusText(code)
}

// makeResponse writes an HTTP/1.1 response: the status line, the header
// fields, the empty line that ends them, and the body.
//
// The article's webserver1.py sends "HTTP/1.1 200 OK\n\nHello, World!\n"
// (its """\ continues the line: no newline comes before the status
// line), then closes the connection. curl accepts it, and its body ends
// where the connection does, which HTTP allows (RFC 9112, section 6.3).
// Its faults are two: its lines end in a bare LF, where a sender MUST
// send CRLF (RFC 9112, section 2.2), and it has no header fields to say
// what the body is. This response ends every line in CRLF and says the
// body's type and length. (The study note copies the article's response
// with a newline before the status line and no empty line after it;
// curl reads that one as HTTP/0.9 and refuses it.)
func makeResponse(status, body string) []byte {
	return []byte("HTTP/1.1 " + status + "\r\n" +
		// The body is plain text, in UTF-8: show it as it is.
		"Content-Type: text/plain; charset=utf-8\r\n" +
		// The body's length in bytes: the client knows where it ends.
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\n" +
		// This server hangs up after one response; say so.
		"Connection: close\r\n" +
		"\r\n" +
		body)
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
