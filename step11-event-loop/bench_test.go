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
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lsbaws-go/lsbaws-go/apps"
)

// BenchmarkServers measures this step's server against net/http's own,
// side by side in one run: the same application (the stdlib app, GET
// /hello), the same client, at 1, 16 and 64 connections, with keep-alive
// (every connection sends request after request) and without (a new
// connection for every request, which asks to close it). Each result
// reports req/s; compare the two servers line by line:
//
//	go test ./step11-event-loop -run '^$' -bench Servers -benchtime 2s
//
// The client runs in the same process and on the same cores as the
// servers, so the figures are lower than a separate load generator's
// (see the wrk run in docs/11-event-loop.md). Here the ratio does not
// favour the loop: its threads are locked, and the client's goroutines,
// which net/http's share the runtime's threads with, must wait for the
// CPU they hold. wrk, a process of its own, is the fair measure;
// BenchmarkStateMachine measures the loop's own work per request.
func BenchmarkServers(b *testing.B) {
	app, err := apps.New("stdlib")
	if err != nil {
		b.Fatal(err)
	}
	for _, keepAlive := range []bool{true, false} {
		for _, conns := range []int{1, 16, 64} {
			for _, kind := range []string{"ours", "net-http"} {
				mode := "keep-alive"
				if !keepAlive {
					mode = "close"
				}
				b.Run(fmt.Sprintf("%s/conns=%d/server=%s", mode, conns, kind), func(b *testing.B) {
					addr := startBenchServer(b, kind, app)
					runBenchClients(b, addr, conns, keepAlive)
				})
			}
		}
	}
}

// startBenchServer starts a quiet server of kind, ours or net-http, with
// app on a free loopback port, and stops it when the benchmark ends.
func startBenchServer(b *testing.B, kind string, app http.Handler) string {
	b.Helper()
	cfg := config{readTimeout: 10 * time.Second, writeTimeout: 10 * time.Second, idleTimeout: 10 * time.Second}
	var s httpServer
	var addr string
	if kind == "net-http" {
		listener, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		s, addr = newNetHTTPServer(listener, cfg, app), listener.Addr().String()
	} else {
		es, err := newEventServer("127.0.0.1:0", cfg, app, runtime.NumCPU(), false)
		if err != nil {
			b.Fatal(err)
		}
		s, addr = es, es.addr
	}
	go s.serve()
	b.Cleanup(func() { s.shutdown(5 * time.Second) })
	return addr
}

// runBenchClients sends b.N requests to addr from conns goroutines at
// once, each with a connection of its own (a new one for every request
// unless keepAlive), and reports the requests per second. Any failed
// request fails the benchmark.
func runBenchClients(b *testing.B, addr string, conns int, keepAlive bool) {
	request := []byte("GET /hello HTTP/1.1\r\nHost: " + addr + "\r\nUser-Agent: bench\r\n\r\n")
	if !keepAlive {
		request = []byte("GET /hello HTTP/1.1\r\nHost: " + addr + "\r\nUser-Agent: bench\r\nConnection: close\r\n\r\n")
	}
	var left atomic.Int64
	left.Store(int64(b.N))
	var firstErr error
	var errOnce sync.Once
	fail := func(err error) { errOnce.Do(func() { firstErr = err }) }

	b.ResetTimer()
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			var conn net.Conn
			var reader *bufio.Reader
			defer func() {
				if conn != nil {
					conn.Close()
				}
			}()
			for left.Add(-1) >= 0 {
				if conn == nil {
					c, err := net.Dial("tcp", addr)
					if err != nil {
						fail(err)
						return
					}
					conn, reader = c, bufio.NewReader(c)
				}
				if _, err := conn.Write(request); err != nil {
					fail(err)
					return
				}
				if err := readBenchResponse(reader); err != nil {
					fail(err)
					return
				}
				if !keepAlive {
					conn.Close()
					conn = nil
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	if firstErr != nil {
		b.Fatalf("a request failed: %v", firstErr)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// readBenchResponse reads one response with a Content-Length body, and
// checks that its status is 200.
func readBenchResponse(reader *bufio.Reader) error {
	statusLine, err := reader.ReadSlice('\n')
	if err != nil {
		return fmt.Errorf("reading the status line: %w", err)
	}
	if !bytes.HasPrefix(statusLine, []byte("HTTP/1.1 200 ")) {
		return fmt.Errorf("the status line is %q, want 200", statusLine)
	}
	length := -1
	for {
		line, err := reader.ReadSlice('\n')
		if err != nil {
			return fmt.Errorf("reading the head: %w", err)
		}
		if len(line) <= 2 {
			break
		}
		if name, value, ok := bytes.Cut(line, []byte(":")); ok && string(name) == "Content-Length" {
			length, err = strconv.Atoi(string(bytes.TrimSpace(value)))
			if err != nil {
				return fmt.Errorf("the Content-Length %q: %w", value, err)
			}
		}
	}
	if length < 0 {
		return errors.New("the response has no Content-Length")
	}
	_, err = reader.Discard(length)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// BenchmarkStateMachine measures what the loop does for one request
// without any system call: the state machine takes a GET /hello that
// has arrived, the application answers it through the gateway, and the
// response is queued, on one kept connection. It is the CPU that a
// request costs the loop, besides its read, write and share of
// epoll_wait.
func BenchmarkStateMachine(b *testing.B) {
	l := newTestLoop(b)
	c := &conn{remoteAddr: "192.0.2.1:1234", timerIndex: -1, since: l.now}
	request := []byte("GET /hello HTTP/1.1\r\nHost: h\r\nUser-Agent: bench\r\n\r\n")
	b.ReportAllocs()
	for b.Loop() {
		c.received(request, false, l.now)
		c.advance(l)
		if !c.pending() {
			b.Fatal("no response was queued")
		}
		c.sent = len(c.out)
		c.wrote(l.now)
	}
}
