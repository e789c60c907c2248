// Command classroom is a class of small servers for the checker's tests
// of -class (tests/checker_test.go): each -mode is one student's server,
// with one way to go wrong. It is not a step: it exists so that the
// class in roster.txt, beside this folder, has students who fail at
// given stages, crash, never start, or hang.
//
//	classroom -mode MODE -addr 127.0.0.1:PORT
//
// The modes:
//
//	study-note  prints the request and answers the study note's response:
//	            passes stages 1 and 2, fails 3.2
//	every-path  answers 200 with Hello, World! for every path, and prints
//	            the request: passes stages 1 to 3, fails 4.2
//	crash       exits with status 1 when a client resets its connection,
//	            as a server that treats ECONNRESET as fatal does: fails 1.3
//	exit        prints an error and exits with status 2 before it
//	            listens: never starts
//	hang        listens, never accepts, and ignores SIGINT and SIGTERM:
//	            passes stage 1, and must be stopped by the time limit and
//	            killed
//	wait        ignores SIGINT and SIGTERM, and waits for ever before it
//	            listens: never starts, and must be killed
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	mode := flag.String("mode", "", "study-note, every-path, crash, exit, hang or wait")
	addr := flag.String("addr", "127.0.0.1:8888", "`host:port` to listen on")
	flag.Parse()

	if *mode == "exit" {
		fmt.Println("Starting the server ...")
		fmt.Fprintln(os.Stderr, "error: open www/index.html: no such file or directory")
		os.Exit(2)
	}
	if *mode == "hang" || *mode == "wait" {
		signal.Ignore(syscall.SIGINT, syscall.SIGTERM)
	}
	if *mode == "wait" {
		fmt.Println("Waiting for the database ...")
		select {} // never listens
	}
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("Serving HTTP on %s ...\n", l.Addr())
	if *mode == "hang" {
		select {} // never accepts
	}
	for {
		conn, err := l.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		serve(conn, *mode) // one client at a time, as the first steps do
	}
}

// serve reads a request's head from conn, prints it, and answers as
// mode says.
func serve(conn net.Conn, mode string) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	in := bufio.NewReader(conn)
	var head strings.Builder
	for {
		line, err := in.ReadString('\n')
		head.WriteString(line)
		if errors.Is(err, syscall.ECONNRESET) && mode == "crash" {
			fmt.Fprintln(os.Stderr, "recv:", err)
			fmt.Fprintln(os.Stderr, "The client reset the connection: giving up.")
			os.Exit(1)
		}
		if err != nil {
			return // the client left without a whole request
		}
		if line == "\r\n" || line == "\n" {
			break
		}
	}
	fmt.Print(head.String())
	switch mode {
	case "study-note":
		io.WriteString(conn, "\nHTTP/1.1 200 OK\nHello world!")
	default:
		io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 39\r\nConnection: close\r\n\r\nHello, World! GET /hello ?name=checker\n")
	}
}
