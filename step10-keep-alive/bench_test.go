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
//	go test ./step10-keep-alive -run '^$' -bench Servers -benchtime 2s
//
// The client runs in the same process and on the same two cores as the
// servers, so the figures are lower than a separate load generator's
// (see the wrk run in docs/10-keep-alive.md); the ratio is what counts.
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
// net/http's is configured as ours is: the same timeouts.
func startBenchServer(b *testing.B, kind string, app http.Handler) string {
	b.Helper()
	console = io.Discard
	b.Cleanup(func() { console = os.Stdout })
	if kind == "ours" {
		listener, _ := serveWith(b, app, 10*time.Second, 10*time.Second, 0, 10000)
		return listener.Addr().String()
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: app, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 10 * time.Second, IdleTimeout: 10 * time.Second}
	go srv.Serve(listener)
	b.Cleanup(func() { srv.Close() })
	return listener.Addr().String()
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
