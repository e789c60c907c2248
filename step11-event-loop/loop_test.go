//go:build linux

package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lsbaws-go/lsbaws-go/apps"
)

// TestEdgeTriggeredWakesOnlyOnNewData is the experiment behind -edge:
// the bug that edge-triggered epoll invites. A socket gets 100 bytes;
// the program reads 10 of them, not until EAGAIN, and asks epoll again.
// Level-triggered, epoll says the socket is still readable; edge-
// triggered, it says nothing, since nothing new came: the 90 bytes wait
// until the client sends more, which a client waiting for its answer
// never does. Hence the rule: edge-triggered, read until EAGAIN.
func TestEdgeTriggeredWakesOnlyOnNewData(t *testing.T) {
	tests := []struct {
		name           string
		events         uint32
		wantAfterShort int // ready descriptors after a short read
	}{
		{"level-triggered epoll reports bytes left after a short read", syscall.EPOLLIN, 1},
		{"edge-triggered epoll does not report bytes left after a short read", syscall.EPOLLIN | epollET, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Two connected sockets, like a client's and a server's.
			pair, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			server, client := pair[0], pair[1]
			defer syscall.Close(server)
			defer syscall.Close(client)
			epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
			if err != nil {
				t.Fatal(err)
			}
			defer syscall.Close(epfd)
			if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, server, &syscall.EpollEvent{Events: tt.events, Fd: int32(server)}); err != nil {
				t.Fatal(err)
			}
			ready := func() int {
				events := make([]syscall.EpollEvent, 4)
				for {
					n, err := syscall.EpollWait(epfd, events, 0) // 0: do not wait, just say
					if err != syscall.EINTR {
						if err != nil {
							t.Fatal(err)
						}
						return n
					}
				}
			}

			syscall.Write(client, bytes.Repeat([]byte("x"), 100))
			if got := ready(); got != 1 {
				t.Fatalf("after the client sent 100 bytes, %d descriptors are ready, want 1", got)
			}
			buf := make([]byte, 10)
			if n, _ := syscall.Read(server, buf); n != 10 {
				t.Fatalf("read %d bytes, want 10", n)
			}
			if got := ready(); got != tt.wantAfterShort {
				t.Errorf("with 90 bytes left unread, %d descriptors are ready, want %d", got, tt.wantAfterShort)
			}
			// New bytes make a new edge: both kinds report the socket.
			syscall.Write(client, []byte("y"))
			if got := ready(); got != 1 {
				t.Errorf("after one byte more, %d descriptors are ready, want 1", got)
			}
		})
	}
}

// startTestServer runs this step's server, level- or edge-triggered, on
// a free loopback port, with two loops, and stops it when the test ends.
func startTestServer(t *testing.T, edge bool) string {
	t.Helper()
	cfg := config{readTimeout: 5 * time.Second, writeTimeout: 5 * time.Second, idleTimeout: 5 * time.Second}
	return startServerWith(t, cfg, 2, edge).addr
}

// startServerWith runs this step's server with cfg and loops loops, on a
// free loopback port, and stops it when the test ends.
func startServerWith(t *testing.T, cfg config, loops int, edge bool) *eventServer {
	t.Helper()
	app, err := apps.New("stdlib")
	if err != nil {
		t.Fatal(err)
	}
	s, err := newEventServer("127.0.0.1:0", cfg, app, loops, edge)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.serve() }()
	t.Cleanup(func() {
		if err := s.shutdown(5 * time.Second); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		<-served
	})
	return s
}

func TestTheLoopServesOverRealSockets(t *testing.T) {
	for _, mode := range []struct {
		name string
		edge bool
	}{{"level-triggered", false}, {"edge-triggered", true}} {
		t.Run(mode.name+", the loop finishes partial writes when the client reads late", func(t *testing.T) {
			addr := startTestServer(t, mode.edge)
			// A small receive buffer on the client's side, and 100
			// pipelined requests for 9 KB each, read only once all are
			// sent: the server's writes fill the socket and get EAGAIN,
			// and the rest must go out on EPOLLOUT.
			dialer := net.Dialer{Control: func(network, address string, rc syscall.RawConn) error {
				return rc.Control(func(fd uintptr) {
					syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
				})
			}}
			conn, err := dialer.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(20 * time.Second))
			const n = 100
			request := "GET /count HTTP/1.1\r\nHost: h\r\n\r\n"
			if _, err := io.WriteString(conn, strings.Repeat(request, n)); err != nil {
				t.Fatal(err)
			}
			reader := bufio.NewReader(conn)
			for i := range n {
				resp, err := http.ReadResponse(reader, nil)
				if err != nil {
					t.Fatalf("response %d: %v", i+1, err)
				}
				body, err := io.ReadAll(resp.Body)
				if err != nil || !bytes.HasSuffix(body, []byte("\n2000\n")) {
					t.Fatalf("response %d: a body of %d bytes (%v), want /count's whole", i+1, len(body), err)
				}
			}
		})
		t.Run(mode.name+", the loop reads a body of 1 MiB as it arrives", func(t *testing.T) {
			addr := startTestServer(t, mode.edge)
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(20 * time.Second))
			body := bytes.Repeat([]byte("b"), maxBodyBytes)
			go func() {
				io.WriteString(conn, "POST /hello HTTP/1.1\r\nHost: h\r\nContent-Length: 1048576\r\n\r\n")
				conn.Write(body)
			}()
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			if want := "Received a body of 1048576 bytes."; !bytes.Contains(got, []byte(want)) {
				t.Errorf("got %q, want it to say %q", got, want)
			}
		})
	}
}

// TestMaxConnsLeavesTheRestInTheListenQueue opens -max-conns 2
// connections, over one loop and over two: a third client is connected
// by the kernel, but its request gets no answer while the two are open,
// and gets it once one of them closes, whichever loop it came to.
func TestMaxConnsLeavesTheRestInTheListenQueue(t *testing.T) {
	for _, loops := range []int{1, 2} {
		t.Run(fmt.Sprintf("with -loops %d, a third client waits until one of two closes", loops), func(t *testing.T) {
			cfg := config{readTimeout: 5 * time.Second, writeTimeout: 5 * time.Second, idleTimeout: 5 * time.Second, maxConns: 2}
			s := startServerWith(t, cfg, loops, false)
			request := "GET /hello HTTP/1.1\r\nHost: h\r\n\r\n"
			ask := func(conn net.Conn, reader *bufio.Reader) error {
				if _, err := io.WriteString(conn, request); err != nil {
					return err
				}
				resp, err := http.ReadResponse(reader, nil)
				if err != nil {
					return err
				}
				_, err = io.Copy(io.Discard, resp.Body)
				return err
			}
			var open []net.Conn
			for i := range 2 {
				conn, err := net.Dial("tcp", s.addr)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(5 * time.Second))
				if err := ask(conn, bufio.NewReader(conn)); err != nil {
					t.Fatalf("connection %d: %v", i+1, err)
				}
				open = append(open, conn)
			}

			third, err := net.Dial("tcp", s.addr)
			if err != nil {
				t.Fatalf("the third client was not even connected by the kernel: %v", err)
			}
			defer third.Close()
			io.WriteString(third, request)
			reader := bufio.NewReader(third)
			third.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
			if _, err := reader.ReadByte(); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("with two connections open, the third got %v, want no answer yet", err)
			}
			if got := s.open.Load(); got != 2 {
				t.Errorf("%d connections are open, want 2", got)
			}

			open[0].Close()
			third.SetReadDeadline(time.Now().Add(10 * time.Second))
			resp, err := http.ReadResponse(reader, nil)
			if err != nil {
				t.Fatalf("once a connection closed, the third got no answer: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("the third got %d, want 200", resp.StatusCode)
			}
		})
	}
}

// TestAStalledConsoleDoesNotStopTheLoop gives the server a console whose
// reader never reads: a pipe, as when stdout goes to `| less` that no
// one scrolls. The pipe fills after some thousand lines; the loop must
// go on answering, its log lines dropped and counted, not wait.
func TestAStalledConsoleDoesNotStopTheLoop(t *testing.T) {
	reader, writer, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	console := newConsole(writer)
	cfg := config{readTimeout: 5 * time.Second, writeTimeout: 5 * time.Second, idleTimeout: 5 * time.Second, console: console}
	s := startServerWith(t, cfg, 1, false)
	conn, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	// 5000 requests log some 250 KB: the pipe's 64 KiB and the
	// console's buffer are full long before the last.
	const batches, perBatch = 50, 100
	responses := bufio.NewReader(conn)
	batch := strings.Repeat("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n", perBatch)
	for b := range batches {
		if _, err := io.WriteString(conn, batch); err != nil {
			t.Fatal(err)
		}
		for i := range perBatch {
			resp, err := http.ReadResponse(responses, nil)
			if err != nil {
				t.Fatalf("request %d got no answer: %v (the loop waits for its console?)", b*perBatch+i+1, err)
			}
			io.Copy(io.Discard, resp.Body)
		}
	}
	// Now read the pipe: the console writes what it kept, and says how
	// many lines it dropped.
	conn.Close()
	logged := make(chan []byte)
	go func() {
		text, _ := io.ReadAll(reader)
		logged <- text
	}()
	console.close(5 * time.Second)
	writer.Close()
	text := <-logged
	if !bytes.Contains(text, []byte(" -> 200 OK\n")) || !dropNote.Match(text) {
		t.Errorf("the console wrote %d bytes, want request lines and a note of the lines dropped; it ends with %q", len(text), text[max(0, len(text)-200):])
	}
}

// dropNote is the console's note of the lines it dropped.
var dropNote = regexp.MustCompile(`\(\d+ lines? dropped: the console did not keep up\)\n`)
