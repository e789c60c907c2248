//go:build unix

// Step 4 of "Let's Build A Web Server": step 3, plus parsing, which
// reads the whole head of the request and takes it apart.
//
// The server reads until the empty line that ends the header fields,
// however many reads that takes, and parses the request line (method,
// path, query, version) and the header fields (see request.go). It
// answers according to what it understood: 200 with an echo of the parse
// for / and /hello, 404 for any other path, and 400, with the reason in
// one line, for a request line or a header field line that it cannot
// take apart. The answer to HEAD is the answer to GET without its body.
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

func main() {
	addr := flag.String("addr", ":8888", "`host:port` to listen on; an empty host means every interface, port 0 lets the kernel choose")
	flag.Parse()

	if err := serveForever(*addr); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// serveForever opens the listening socket and serves one client after
// another until the process is interrupted.
func serveForever(addr string) error {
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
		handleRequest(clientConn, clientAddr)
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
func handleRequest(clientConn int, clientAddr syscall.Sockaddr) {
	// close hangs up: the kernel sends the client a FIN (a RST instead,
	// if bytes the client sent are still unread), and the descriptor
	// number is free to be used again.
	// Python: client_connection.close()
	defer syscall.Close(clientConn)

	fmt.Printf("Accepted connection fd %d from %s\n", clientConn, formatAddr(clientAddr))

	// One recv of 1024 bytes, as in step 3, is not enough: TCP delivers a
	// stream of bytes, not messages, so a request may arrive in several
	// pieces, and a browser's request with its cookies is often longer
	// than 1024 bytes. So recv until the empty line that ends the head.
	request, err := recvHead(clientConn)
	if err != nil {
		fmt.Fprintln(os.Stderr, "recv:", err)
		return
	}
	if len(request) == 0 {
		fmt.Println("The client closed the connection without sending anything.")
		return
	}

	// Print the request exactly as it arrived, line ends and all, and a
	// newline after it, as Python's print does.
	// Python: print(request.decode())
	fmt.Printf("%s\n", request)

	// Take the request apart (see request.go).
	req, err := parseRequest(request)

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

	// Python: client_connection.sendall(http_response)
	if err := sendall(clientConn, response); err != nil {
		fmt.Fprintln(os.Stderr, "sendall:", err)
	}
}

// recvHead reads from the client until the empty line that ends the
// request's head (its request line and header fields) has arrived, and
// returns all it received. It also stops when the client closes its side
// of the connection. parseRequest then tells which of these happened.
func recvHead(clientConn int) ([]byte, error) {
	received := make([]byte, 0, recvBufferSize)
	buffer := make([]byte, recvBufferSize)
	// This loop has no bound and no deadline: a client may send as much
	// as it likes, as slowly as it likes. Step 5 adds both.
	for endOfHead(received) < 0 {
		// Python: client_connection.recv(1024), again and again
		n, err := syscall.Read(clientConn, buffer)
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

// route chooses the answer to a request: its status line and body.
// A request that could not be parsed gets the error's status and a
// one-line reason; a known path gets 200 and an echo of what the server
// understood; any other path gets 404.
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
	switch req.Path {
	case "/", "/hello":
		return statusLine(http.StatusOK), responseBody + "\n\n" + req.describe()
	default:
		status = statusLine(http.StatusNotFound)
		return status, status + ": there is no page at " + strconv.Quote(req.Path) + "\n"
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
