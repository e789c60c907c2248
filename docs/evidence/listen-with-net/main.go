// Listen-with-net is evidence, not a step: the smallest server written
// with Go's net package instead of raw system calls. It listens on an
// IPv4 address, says where, accepts one connection, prints it, closes it
// and exits.
//
// It exists to be run under strace (see docs/evidence/README.md and
// docs/evidence/capture.sh), to show that net.Listen makes the same
// system calls that step 1 makes by hand, socket, setsockopt
// SO_REUSEADDR, bind and listen, and that Listener.Accept is accept4.
//
//	go run ./docs/evidence/listen-with-net -addr 127.0.0.1:8888
//	curl http://127.0.0.1:8888/
//
// Unlike the steps, it builds and runs on every system Go supports,
// Windows included: the net package hides each system's socket API.
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "`host:port` to listen on; port 0 lets the kernel choose")
	flag.Parse()

	if err := acceptOne(*addr); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// acceptOne listens on addr, accepts one connection, prints who it came
// from and closes it.
func acceptOne(addr string) error {
	// socket, setsockopt(SO_REUSEADDR), bind, listen: all four in one call.
	listener, err := net.Listen("tcp4", addr)
	if err != nil {
		return err
	}
	defer listener.Close()
	fmt.Printf("Serving on %s\n", listener.Addr())

	// accept4, after the runtime's poller says a client is waiting.
	conn, err := listener.Accept()
	if err != nil {
		return err
	}
	fmt.Printf("Accepted connection from %s\n", conn.RemoteAddr())
	return conn.Close()
}
