//go:build unix

// Step 4 of "Let's Build A Web Server": step 3, plus parsing, which
// reads the whole head of the request and takes it apart.
//
// The server now reads until the empty line that ends the header fields,
// however many reads that takes, and parses the request line (method,
// path, query, version) and the header fields (see request.go). It
// answers according to what it understood: 200 with an echo of the parse
// for / and /hello, 404 for any other path, 501 for a method other than
// GET and HEAD, and for a request it cannot or will not take, the status
// that says why (400, 408, 413, 414, 431, 505) with the reason in one
// line. Every limit is named, a client has -read-timeout to send its
// whole request and -write-timeout to take the whole answer, and an
// error answer quotes at most a short excerpt of the request, so that no
// client can take the server down. When it ends a connection on which
// the client may still be sending, it shuts down its sending side and
// reads what still comes, for a short while, before it closes, so that
// the client gets the answer rather than a reset.
//
// Run it, then open http://localhost:8888/hello?name=you in a browser, or:
//
//	go run ./step4-parse
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
// until the server calls accept. The article uses 1: this server takes
// one client at a time, and the kernel holds a few more while it works.
const requestQueueSize = 1

// recvBufferSize is how many bytes of the request one recv takes: the
// article's 1024.
const recvBufferSize = 1024

// responseBody is what the browser will show.
const responseBody = "Hello, World!"

// When the server ends a connection on which the client may still be
// sending, it first reads and throws away what comes, up to lingerBytes
// for up to lingerTimeout (see lingerBeforeClose). net/http's server
// uses the same two bounds.
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
			// The article's webserver3f retries an accept that a signal
			// interrupted (EINTR). Here that branch never runs on Linux:
			// Go installs its signal handlers with SA_RESTART, so the
			// kernel restarts an interrupted accept itself (strace shows
			// accept4(...) = ? ERESTARTSYS, then the same call again).
			// The article's EINTR lesson (webserver3e, 3f) cannot be
			// reproduced in Go, nor in Python 3.5 and later, which
			// retries such calls itself (PEP 475).
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
	// if bytes the client sent are still unread: lingerBeforeClose, below,
	// reads them first), and the descriptor number is free to be used
	// again.
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

	// An error answer may come while the client is still sending: a body
	// that the server refused to read, the rest of a head it stopped at.
	// A client that sent more than this request (it pipelines) is still
	// sending too. Then the connection must not end in a reset.
	if err != nil || len(request)-endOfHead(request) > req.ContentLength {
		lingerBeforeClose(clientConn)
	}
}

// lingerBeforeClose ends a connection on which the client may still be
// sending without losing the answer (RFC 9112, section 9.6). A close
// with received bytes unread makes the kernel send a reset (RST) instead
// of a FIN, and a reset can reach the client before it has read the
// answer: its send fails, or its read does, and some systems throw away
// what the client had received but not yet read. So the server first
// says that it will send no more, then reads what the client still
// sends until the client hangs up, within bounds (lingerBytes,
// lingerTimeout) so that a client that never stops cannot hold it. The
// deferred close in handleRequest then finds nothing unread.
func lingerBeforeClose(clientConn int) {
	// shutdown(SHUT_WR) closes the server's sending side only: the kernel
	// sends a FIN after the answer, so the client reads the answer to the
	// end of the stream, and the server can still recv. (The article
	// never needs it: its server reads one recv and closes.)
	// Python: client_connection.shutdown(socket.SHUT_WR)
	if err := syscall.Shutdown(clientConn, syscall.SHUT_WR); err != nil {
		return // the connection is gone already
	}
	// recv what the client still sends, and throw it away, until it
	// hangs up (a recv of 0 bytes), an error, or either bound.
	// Python: client_connection.recv(1024), again and again
	deadline := time.Now().Add(lingerTimeout)
	buffer := make([]byte, recvBufferSize)
	for drained := 0; drained < lingerBytes; {
		n, err := recvBefore(clientConn, buffer, deadline)
		if err != nil || n == 0 {
			return
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
			// A signal came first: try again. Go installs its signal
			// handlers with SA_RESTART, but the kernel never restarts a
			// socket call that has a timeout: it fails with EINTR
			// (signal(7)), as strace shows when a signal reaches the
			// thread blocked in this read.
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

// route chooses the answer to a request: its status line and body.
// A request that could not be read or parsed gets the error's status and
// a one-line reason; a method other than GET and HEAD gets 501; a known
// path gets 200 and an echo of what the server understood; any other
// path gets 404. An error body quotes at most an excerpt of what the
// client sent, so that it stays short (under 1 KiB) whatever the input:
// a long answer would take long to send to a client that reads slowly.
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

// sendall writes all of data to the socket before the deadline, as
// Python's socket.sendall does when the socket has a timeout. On a
// blocking socket Linux's send waits until the kernel has taken every
// byte; it returns a short count only when a signal comes after part was
// sent, when the send timeout SO_SNDTIMEO passes, or on a non-blocking
// socket (send(2), signal(7)). sendBefore sets SO_SNDTIMEO, so one send
// may take only part of data, and sendall loops until every byte is out
// or the deadline has passed.
func sendall(clientConn int, data []byte, deadline time.Time) error {
	for len(data) > 0 {
		n, err := sendBefore(clientConn, data, deadline)
		if err != nil {
			return fmt.Errorf("send: %w", err)
		}
		data = data[n:]
	}
	return nil
}

// sendBefore is one send that gives up at the deadline, as recvBefore is
// one recv. The socket option SO_SNDTIMEO tells the kernel how long a
// send may wait for room in the socket's send buffer, which fills when
// the client does not read; the server sets it to the time left before
// each call, so that a client reading one byte at a time cannot stretch
// the deadline. (send with no flags is the write system call.)
func sendBefore(clientConn int, data []byte, deadline time.Time) (int, error) {
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return 0, errTimedOut
		}
		// A timeout of zero would mean "wait forever": wait at least 1µs.
		timeout := syscall.NsecToTimeval(max(left, time.Microsecond).Nanoseconds())
		if err := syscall.SetsockoptTimeval(clientConn, syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, &timeout); err != nil {
			return 0, fmt.Errorf("setsockopt SO_SNDTIMEO: %w", err)
		}
		n, err := syscall.Write(clientConn, data)
		switch err {
		case nil:
			return n, nil
		case syscall.EAGAIN: // the timeout passed before the kernel took a byte
			return 0, errTimedOut
		case syscall.EINTR: // a signal came before the kernel took a byte (see recvBefore)
			continue
		default:
			return 0, err
		}
	}
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
