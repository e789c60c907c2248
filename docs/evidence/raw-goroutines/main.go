//go:build linux

// Raw-goroutines is evidence, not a step: step 9's design, a goroutine
// for each connection, built on the raw blocking system calls of steps 1
// to 7 instead of Go's net package. It answers every request with the
// same "Hello, World!" and keeps the connection open for the next one,
// as step 10 does, waiting for it in a plain blocking read.
//
// It exists to be measured against step 9 (docs/evidence/threads.sh,
// tests/threads_test.go). A goroutine blocked in a raw read waits in the
// kernel, and so does the operating-system thread that runs it: the Go
// runtime cannot use that thread for anything else until the read
// returns, so it starts another one for the other goroutines. Each idle
// connection holds a thread, and ten thousand of them are more threads
// than the runtime allows: it stops the program with "program exceeds
// 10000-thread limit". Step 9 makes the same calls on non-blocking
// sockets, and when one would wait it parks the goroutine on the
// runtime's poller instead: a few threads serve all the connections.
//
//	go run ./docs/evidence/raw-goroutines
//	curl http://127.0.0.1:8888/ http://127.0.0.1:8888/   # one connection, two requests
//	grep Threads /proc/$(pgrep raw-goroutines)/status
//
// It reads request heads only (a request with a body is not for it),
// prints nothing for each connection, so that ten thousand of them can be
// opened and counted, and reports its errors on standard error. It runs
// on Linux only, where /proc shows a process's threads.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"syscall"
	"time"
)

// backlog is the listen backlog: room for thousands of clients that
// connect at once. The kernel cuts it to net.core.somaxconn (4096 by
// default since Linux 5.4).
const backlog = 4096

// maxHeadBytes is the most a request's head may take; a client that
// sends more without ending its head is hung up on.
const maxHeadBytes = 8 << 10

// response is the answer to every request. It says nothing about the
// connection: in HTTP/1.1 the connection then stays open for the next
// request.
const response = "HTTP/1.1 200 OK\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Content-Length: 13\r\n" +
	"\r\n" +
	"Hello, World!"

// endOfHead is the empty line that ends a request's head.
var endOfHead = []byte("\r\n\r\n")

func main() {
	addr := flag.String("addr", "127.0.0.1:8888", "IPv4 `address:port` to listen on; port 0 lets the kernel choose")
	flag.Parse()

	if err := serve(*addr); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// serve listens on addr and serves each connection in a goroutine of its
// own, until the process is killed or interrupted (Ctrl-C).
func serve(addr string) error {
	listenSocket, err := listen(addr)
	if err != nil {
		return err
	}
	bound, err := syscall.Getsockname(listenSocket)
	if err != nil {
		return fmt.Errorf("getsockname: %w", err)
	}
	if sa, ok := bound.(*syscall.SockaddrInet4); ok {
		addr = netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port)).String()
	}
	fmt.Printf("Serving HTTP on %s ...\n", addr)

	for {
		// A blocking accept, as in steps 1 to 8: this goroutine, and the
		// thread that runs it, sleep in the kernel until a client comes.
		conn, _, err := syscall.Accept(listenSocket)
		switch {
		case errors.Is(err, syscall.EINTR), errors.Is(err, syscall.ECONNABORTED):
			// EINTR never comes on Linux: Go installs its signal handlers
			// with SA_RESTART, so the kernel restarts an interrupted
			// accept itself (strace shows ERESTARTSYS). ECONNABORTED: the
			// client left before accept.
			continue
		case err != nil:
			// Out of descriptors (EMFILE): say so, and wait a little
			// rather than spin on the error.
			fmt.Fprintln(os.Stderr, "accept:", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		go serveConn(conn)
	}
}

// listen makes a blocking listening socket on addr, an IPv4 address and
// port: socket, setsockopt SO_REUSEADDR, bind and listen, the calls of
// steps 1 to 8.
func listen(addr string) (int, error) {
	addrPort, err := netip.ParseAddrPort(addr)
	if err != nil {
		return -1, fmt.Errorf("-addr %q: %w", addr, err)
	}
	if !addrPort.Addr().Is4() {
		return -1, fmt.Errorf("-addr %q: this server takes an IPv4 address, such as 127.0.0.1:8888", addr)
	}
	sockaddr := &syscall.SockaddrInet4{Port: int(addrPort.Port()), Addr: addrPort.Addr().As4()}

	listenSocket, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		return -1, fmt.Errorf("socket: %w", err)
	}
	for _, call := range []struct {
		name string
		do   func() error
	}{
		{"setsockopt SO_REUSEADDR", func() error {
			return syscall.SetsockoptInt(listenSocket, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
		}},
		{"bind " + addr, func() error { return syscall.Bind(listenSocket, sockaddr) }},
		{"listen", func() error { return syscall.Listen(listenSocket, backlog) }},
	} {
		if err := call.do(); err != nil {
			syscall.Close(listenSocket)
			return -1, fmt.Errorf("%s: %w", call.name, err)
		}
	}
	return listenSocket, nil
}

// serveConn answers the requests of one connection, one after another,
// until the client closes it: the keep-alive loop, on a blocking read.
func serveConn(conn int) {
	defer syscall.Close(conn)
	var received []byte // bytes received and not answered yet
	buffer := make([]byte, 4096)
	for {
		// Answer every request whose head has arrived whole.
		for {
			end := bytes.Index(received, endOfHead)
			if end < 0 {
				break
			}
			received = received[end+len(endOfHead):]
			if err := writeAll(conn, []byte(response)); err != nil {
				fmt.Fprintln(os.Stderr, "write:", err)
				return
			}
		}
		if len(received) > maxHeadBytes {
			fmt.Fprintf(os.Stderr, "a request head longer than %d bytes: hanging up\n", maxHeadBytes)
			return
		}

		// The blocking read. While the client sends nothing, this
		// goroutine sleeps here, in the kernel, and holds its thread.
		n, err := syscall.Read(conn, buffer)
		switch {
		case errors.Is(err, syscall.EINTR):
			continue // never on Linux, where SA_RESTART restarts the read
		case err != nil:
			fmt.Fprintln(os.Stderr, "read:", err)
			return
		case n == 0:
			return // the client closed the connection
		}
		received = append(received, buffer[:n]...)
	}
}

// writeAll writes all of data to the socket. On a blocking socket one
// write takes all of it, unless a signal arrives after part was sent:
// then it returns the part, and the loop sends the rest.
func writeAll(conn int, data []byte) error {
	for len(data) > 0 {
		n, err := syscall.Write(conn, data)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}
