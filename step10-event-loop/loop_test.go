//go:build linux

package main

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
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
	app, err := apps.New("stdlib")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config{readTimeout: 5 * time.Second, writeTimeout: 5 * time.Second, idleTimeout: 5 * time.Second}
	s, err := newEventServer("127.0.0.1:0", cfg, app, 2, edge)
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
	return s.addr
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
