//go:build linux

// Step 11 of "Let's Build A Web Server": the event loop. Step 10's server
// again, without a goroutine per connection: one thread per core runs a
// loop that asks the kernel which of its thousands of connections are
// ready (epoll), and serves each ready one a step further without ever
// waiting on it. This is the architecture of nginx, Redis, Node and
// HAProxy, and it is what Go's runtime does inside the net package,
// which the student now writes by hand.
//
// Four ideas, each in its own file:
//
//   - The loop (loop.go): a listening socket per loop (SO_REUSEPORT),
//     accept4, epoll_create1, epoll_ctl, epoll_wait, read and write, on
//     non-blocking sockets, EAGAIN handled everywhere; -loops of them,
//     each on an operating-system thread of its own.
//   - The connection's state machine (conn.go): reading the head, reading
//     the body, writing, lingering; the bytes a connection has received
//     and those it has still to send live in its buffers, since no stack
//     waits for them.
//   - The timers (timers.go): every connection's one deadline (read,
//     write, idle or linger) in a heap, whose earliest entry is how long
//     epoll_wait may sleep.
//   - The price (-delay): the application runs on the loop, so one slow
//     handler freezes every connection of its loop.
//
// Level-triggered epoll by default; -edge makes it edge-triggered, which
// obliges the loop to read and write until EAGAIN (see loop.go and the
// test TestEdgeTriggeredWakesOnlyOnNewData). The parsing (request.go,
// chunked.go) and the gateway (gateway.go) are a copy of step 10's, made
// lean, since speed is this step's lesson: the head parsed in place, the
// request and response objects kept from one request to the next (see
// exchange). -max-conns bounds the connections over every loop; the
// console is written by goroutines of its own (console.go), so that a
// slow terminal never stops a loop. The comparison with net/http is
// there too: -server net/http.
//
// Run it, then:
//
//	go run ./step11-event-loop
//	curl -v http://localhost:8888/hello http://localhost:8888/hello/again
//	wrk -c 64 -d 5s http://127.0.0.1:8888/hello
//
// It runs on Linux only: epoll is Linux's (macOS and the BSDs have
// kqueue, Windows has I/O completion ports).
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/lsbaws-go/lsbaws-go/apps"
)

// idleShutdownGrace is how long a connection that waits for a request
// when the shutdown begins is still given: a request already on its way
// is then answered rather than dropped (as in step 10).
const idleShutdownGrace = 100 * time.Millisecond

// When the server ends a connection on which the client may still be
// sending, it first lingers: it reads and throws away at most
// lingerBytes more, for at most lingerTimeout (the values net/http
// uses), so that the answer is not destroyed by a reset (see
// conn.startLingering).
const (
	lingerBytes   = 256 << 10
	lingerTimeout = 500 * time.Millisecond
)

func main() {
	addr := flag.String("addr", ":8888", "`host:port` to listen on; an empty host means every interface, port 0 lets the kernel choose")
	cfg := config{}
	flag.DurationVar(&cfg.readTimeout, "read-timeout", 10*time.Second, "how long a client may take to send a whole request, and to begin its first")
	flag.DurationVar(&cfg.writeTimeout, "write-timeout", 10*time.Second, "how long a client may take to receive a whole response")
	flag.DurationVar(&cfg.idleTimeout, "idle-timeout", 5*time.Second, "how long a connection is kept open, waiting for the client's next request")
	shutdownTimeout := flag.Duration("shutdown-timeout", 10*time.Second, "on Ctrl-C or SIGTERM, how long the requests in flight may take to finish")
	flag.DurationVar(&cfg.delay, "delay", 0, "how long each request's handler sleeps, on its loop: every connection of that loop waits with it")
	quiet := flag.Bool("quiet", false, "print nothing for each connection and request, only errors (for benchmarks)")
	appName := flag.String("app", "stdlib", "the application to run: `stdlib`, chi or gin")
	serverKind := flag.String("server", "ours", "the server that runs the application: `ours`, or net/http's, to compare them")
	loops := flag.Int("loops", runtime.NumCPU(), "how many event loops, each on a thread of its own, serve the connections")
	edge := flag.Bool("edge", false, "use edge-triggered epoll (EPOLLET) instead of level-triggered")
	flag.IntVar(&cfg.maxConns, "max-conns", 10000, "how many connections are open at once, over every loop; more clients wait in the listen queue")
	flag.Parse()

	// The console: stdout and stderr, written by goroutines of their
	// own, so that a slow reader never makes a loop wait (see console.go).
	stdout, stderr := newConsole(os.Stdout), newConsole(os.Stderr)
	cfg.errlog = stderr
	if !*quiet {
		cfg.console = stdout
	}
	app, err := apps.New(*appName)
	if err == nil && *loops < 1 {
		err = fmt.Errorf("-loops is %d: at least one loop must run", *loops)
	}
	if err == nil && cfg.maxConns < 1 {
		err = fmt.Errorf("-max-conns is %d: at least one connection must be served", cfg.maxConns)
	}
	if err == nil && *serverKind != "ours" && *serverKind != "net/http" {
		err = fmt.Errorf("unknown -server %q: choose ours or net/http", *serverKind)
	}
	if err == nil {
		err = serveUntilInterrupted(*addr, cfg, stdout, app, *shutdownTimeout, *serverKind == "net/http", *loops, *edge)
	}
	// What the consoles still hold is written before the exit, if their
	// readers take it within a second.
	stdout.close(time.Second)
	stderr.close(time.Second)
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// serveUntilInterrupted listens on addr and serves clients until Ctrl-C
// or SIGTERM, then shuts down gracefully, waiting at most
// shutdownTimeout for the requests in flight. With netHTTP, net/http's
// server serves them instead (see nethttp.go), on a listener of the net
// package. It says where it listens on stdout, even if cfg is quiet.
func serveUntilInterrupted(addr string, cfg config, stdout *console, app http.Handler, shutdownTimeout time.Duration, netHTTP bool, loops int, edge bool) error {
	var s httpServer
	var where string
	which := ""
	if netHTTP {
		listener, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("listen: %w", err)
		}
		s, where, which = newNetHTTPServer(listener, cfg, app), listener.Addr().String(), " (with net/http's server)"
	} else {
		es, err := newEventServer(addr, cfg, app, loops, edge)
		if err != nil {
			return err
		}
		s, where = es, es.addr
	}
	stdout.printf("Serving HTTP on %s ...%s\n", where, which)

	interrupted := make(chan os.Signal, 1)
	signal.Notify(interrupted, os.Interrupt, syscall.SIGTERM)
	served := make(chan error, 1)
	go func() { served <- s.serve() }()

	select {
	case err := <-served:
		return err
	case <-interrupted:
	}
	// A second Ctrl-C does not wait for the requests in flight.
	signal.Reset(os.Interrupt, syscall.SIGTERM)
	if err := s.shutdown(shutdownTimeout); err != nil {
		return err
	}
	return <-served
}

// httpServer is what serveUntilInterrupted needs of a server: this
// step's, or net/http's.
type httpServer interface {
	serve() error                         // serves until the shutdown
	shutdown(timeout time.Duration) error // stops gracefully, in timeout at most
}
