//go:build unix

// Step 1 of "Let's Build A Web Server": a listening socket, built one
// system call at a time.
//
// The server creates a TCP socket, lets the port be reused at once,
// binds it to an address, listens, and then waits forever for clients.
// For each client it prints which connection it got and hangs up:
// it does not read or answer anything yet (that is steps 2 and 3).
//
// Run it, then connect from another terminal. curl reports "Empty reply
// from server" or "Connection reset by peer": the server hangs up
// without a word, and whether the request reached it before it did
// decides which (see docs/handshake.md).
//
//	go run ./step1-socket
//	curl http://localhost:8888/
//
// Every call below is the system call that Python's socket module makes
// for the line of the article named in its comment.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"syscall"
)

// requestQueueSize is the listen backlog: how many connections that the
// kernel has already accepted (the handshake is done) may wait in a queue
// until the server calls accept. The article's Part 1 uses 1: this
// server takes one client at a time. Linux lets the queue hold one more
// than the backlog, so while it works two more clients wait (ss -ltn
// shows them as the listening socket's Recv-Q).
const requestQueueSize = 1

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

// handleRequest serves one client: for now, it only says who connected.
func handleRequest(clientConn int, clientAddr syscall.Sockaddr) {
	// close hangs up: the kernel sends the client a FIN (a RST instead,
	// if bytes the client sent are still unread), and the descriptor
	// number is free to be used again.
	// Python: client_connection.close()
	defer syscall.Close(clientConn)

	fmt.Printf("Accepted connection fd %d from %s\n", clientConn, formatAddr(clientAddr))
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
