package main

import (
	"bufio"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestEachClientSendsOnceConnected runs the load client through a dialer
// that lets a client connect only once the server has received a
// request, as a server that serves one connection at a time takes the
// next connection only once it has answered the last: a client that
// sends as soon as it is connected unblocks the others; with
// -connect-first, the first client waits for the others, which wait for
// its request, and they give up connecting.
func TestEachClientSendsOnceConnected(t *testing.T) {
	tests := []struct {
		name          string
		connectFirst  bool
		wantSucceeded int
		wantErrors    map[string]int
	}{
		{"sends each request as soon as its connection is up", false, 4, map[string]int{}},
		{"with -connect-first, sends no request before every client has connected", true, 1, map[string]int{"connect: timeout": 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr, requested := serveRequests(t)
			var dials atomic.Int32
			dial := func(network, addr string, timeout time.Duration) (net.Conn, error) {
				if dials.Add(1) > 1 {
					select {
					case <-requested:
					case <-time.After(timeout):
						return nil, &net.OpError{Op: "dial", Net: network, Err: os.ErrDeadlineExceeded}
					}
				}
				return net.DialTimeout(network, addr, timeout)
			}
			cfg := config{addr: addr, clients: 4, path: "/", timeout: 500 * time.Millisecond, connectFirst: tt.connectFirst, dial: dial}
			rep := runLoad(cfg)
			if rep.Succeeded != tt.wantSucceeded || len(rep.Errors) != len(tt.wantErrors) {
				t.Fatalf("succeeded %d, errors %v; want %d and %v", rep.Succeeded, rep.Errors, tt.wantSucceeded, tt.wantErrors)
			}
			for kind, n := range tt.wantErrors {
				if rep.Errors[kind] != n {
					t.Errorf("errors %v, want %v", rep.Errors, tt.wantErrors)
				}
			}
			if rep.ConnectFirst != tt.connectFirst {
				t.Errorf("the report says connect_first %v, want %v", rep.ConnectFirst, tt.connectFirst)
			}
		})
	}
}

// serveRequests listens on 127.0.0.1 until the test ends, reads each
// connection's request head and answers it with 200 OK; requested is
// closed when the first request has come.
func serveRequests(t *testing.T) (addr string, requested <-chan struct{}) {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	seen := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	t.Cleanup(func() {
		listener.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			conn, err := listener.Accept()
			if err != nil {
				return // the listener is closed
			}
			wg.Go(func() {
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(5 * time.Second))
				in := bufio.NewReader(conn)
				for {
					line, err := in.ReadString('\n')
					if err != nil {
						return
					}
					if line == "\r\n" {
						break
					}
				}
				once.Do(func() { close(seen) })
				io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi")
			})
		}
	})
	return listener.Addr().String(), seen
}
