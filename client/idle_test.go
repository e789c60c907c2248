package main

import (
	"bytes"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestIdleHoldsConnectionsWithoutARequest runs the client with -idle
// against a listener of the test's own, which does with each connection
// what the case says, and checks what the report makes of it.
func TestIdleHoldsConnectionsWithoutARequest(t *testing.T) {
	const clients = 5
	tests := []struct {
		name          string
		serve         func(conn net.Conn) // what the server does with a connection it has accepted
		wantSucceeded int
		wantError     string // the kind of error of every connection that did not succeed
	}{
		{"counts every connection that the server keeps open to the end of the hold",
			func(conn net.Conn) {}, clients, ""},
		{"counts a connection that the server closes during the hold as an error",
			func(conn net.Conn) { conn.Close() }, 0, "hold: closed by the server"},
		{"counts a connection on which the server sends unasked as an error",
			func(conn net.Conn) { conn.Write([]byte("HTTP/1.1 408 Request Timeout\r\n\r\n")) }, 0, "hold: the server sent data unasked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr, received := serveConnections(t, tt.serve)
			cfg := config{addr: addr, clients: clients, path: "/", hold: 300 * time.Millisecond, timeout: 5 * time.Second, idle: true}
			if err := cfg.check(); err != nil {
				t.Fatal(err)
			}
			rep := runLoad(cfg)
			if rep.Connected != clients || rep.Succeeded != tt.wantSucceeded {
				t.Errorf("connected %d, held open %d, errors %v; want %d and %d", rep.Connected, rep.Succeeded, rep.Errors, clients, tt.wantSucceeded)
			}
			if tt.wantError != "" && rep.Errors[tt.wantError] != clients-tt.wantSucceeded {
				t.Errorf("errors %v, want %q %d times", rep.Errors, tt.wantError, clients-tt.wantSucceeded)
			}
			if rep.Took < cfg.hold && tt.wantSucceeded == clients {
				t.Errorf("the client took %s, less than the hold of %s", rep.Took, cfg.hold)
			}
			if n := received(); n != 0 {
				t.Errorf("the server received %d bytes, want none: an idle client sends nothing", n)
			}
		})
	}

	t.Run("the report says the connections were held, not requested", func(t *testing.T) {
		rep := summarize(config{addr: "127.0.0.1:8888", clients: 2, hold: time.Second, idle: true},
			[]outcome{{}, {err: "hold: closed by the server"}}, time.Now(), time.Second)
		var out bytes.Buffer
		if err := rep.writeText(&out); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"idle: 2 connections at once", "held open 1s", "connected:  2 of 2", "held open:  1 to the end", "hold: closed by the server"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("the report lacks %q:\n%s", want, out.String())
			}
		}
		for _, unwanted := range []string{"latency:", "in flight:", "GET "} {
			if strings.Contains(out.String(), unwanted) {
				t.Errorf("the report of idle connections says %q, which only requests have:\n%s", unwanted, out.String())
			}
		}
	})
}

// serveConnections listens on 127.0.0.1 until the test ends, and calls
// serve with every connection it accepts, then reads from it until the
// client closes it. It returns the address, and a function that says
// how many bytes all the connections have received so far.
func serveConnections(t *testing.T, serve func(conn net.Conn)) (addr string, received func() int) {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	total := 0
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
				serve(conn)
				conn.SetReadDeadline(time.Now().Add(5 * time.Second))
				buffer := make([]byte, 512)
				for {
					n, err := conn.Read(buffer)
					mu.Lock()
					total += n
					mu.Unlock()
					if err != nil {
						return
					}
				}
			})
		}
	})
	return listener.Addr().String(), func() int {
		mu.Lock()
		defer mu.Unlock()
		return total
	}
}
