// Command client is the load client of Part 3 of "Let's Build A Web
// Server": it opens many connections to a server at once, sends a GET
// request on each, reads each response to its end, and reports how the
// server coped. The article's client3.py forks processes that each open
// connections one after another; this client opens them all from one
// process, with a goroutine per connection, so that they really overlap.
//
// Each client connects and sends its request as soon as its connection
// is up, as a browser does, then reads until the server closes the
// connection. -connect-first makes every client wait until all have
// connected (or given up) before any sends: against a server that serves
// one connection at a time (steps 1 to 6), the first connection it
// accepts then says nothing, the server waits on it, and the other
// clients wait in the listen queue or time out connecting. That is what
// silent clients do to an iterative server (the checker's stage 7), not
// what clients that send at once meet.
//
// What the report measures:
//
//	connected  how many connections were established, and how long after
//	           the start the last of them was
//	succeeded  how many got a whole response with a 2xx status, ended by
//	           the server's close; then every status received, with its count
//	errors     every other client, by kind: connect, send or receive
//	           (timeout, reset, ...), or a status that is not 2xx
//	latency    p50, p90, p99 and max over the successes, from the request
//	           written to the end of the response: the time waiting to be
//	           served counts, the time connecting does not
//	in flight  the largest number of responses being served at the same
//	           moment, as the client saw them: a response is being served
//	           from its first byte to its end. An iterative server (steps
//	           1 to 6) serves one at a time; step 7, with a process per
//	           connection, many
//	took       from the start to the end of the last connection
//
// Run a server, then the client:
//
//	go run ./step7-processes -delay 1s
//	go run ./client -addr 127.0.0.1:8888 -clients 300
//
// -hold keeps every connection open for a while after its response, so
// that the server's descriptors and zombie processes can be watched
// (ls /proc/PID/fd, ps -o pid,stat,cmd). -json prints the report as JSON.
//
// -idle sends no request at all: it opens the connections and holds each
// one open, idle, for -hold, as clients of a kept-alive connection do
// between requests, then closes it. The report says how many connected,
// and how many the server kept open to the end. It is there to count
// what idle connections cost a server, in threads and memory:
//
//	go run ./step10-keep-alive -read-timeout 5m
//	go run ./client -addr 127.0.0.1:8888 -clients 1000 -idle -hold 30s
//	grep -E 'Threads|VmRSS' /proc/$(pgrep step10-keep-alive)/status
//
// The client is bounded: at most 10000 connections, each given up after
// -timeout, and it only ever connects to a loopback address (127.0.0.0/8
// or ::1): a load client must not be pointed at a machine that is not
// yours.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

// The bounds on what the flags may ask for.
const (
	maxClients = 10000            // connections at once
	maxTimeout = 5 * time.Minute  // per connection, for connecting and again for the exchange
	maxHold    = 10 * time.Minute // how long a connection may be held open after its response
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8888", "`host:port` of the server; the host must be a loopback address (127.0.0.0/8, ::1 or localhost)")
	clients := flag.Int("clients", 300, fmt.Sprintf("how many connections to open at once, 1 to %d", maxClients))
	path := flag.String("path", "/", "the `path` that each GET request asks for")
	hold := flag.Duration("hold", 0, "how long to keep each connection open after its response, to watch the server's descriptors and zombies; with -idle, how long to keep it open in all")
	timeout := flag.Duration("timeout", 10*time.Second, "how long each connection may take to connect, and then to send its request and read the response")
	connectFirst := flag.Bool("connect-first", false, "connect every client before any sends its request: against a server that serves one connection at a time, the first, silent connection holds up the rest")
	idle := flag.Bool("idle", false, "send no request: hold each connection open, idle, for -hold, then close it")
	asJSON := flag.Bool("json", false, "print the report as JSON")
	flag.Parse()

	cfg := config{addr: *addr, clients: *clients, path: *path, hold: *hold, timeout: *timeout, idle: *idle, connectFirst: *connectFirst}
	if err := cfg.check(); err != nil {
		fmt.Fprintln(os.Stderr, "client:", err)
		os.Exit(2)
	}
	rep := runLoad(cfg)
	if err := printReport(os.Stdout, rep, *asJSON); err != nil {
		fmt.Fprintln(os.Stderr, "client:", err)
		os.Exit(1)
	}
	if rep.Succeeded < rep.Clients {
		os.Exit(1)
	}
}

// printReport writes the report as text, or as JSON.
func printReport(w io.Writer, rep report, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fmt.Errorf("writing the report: %w", err)
		}
		return nil
	}
	return rep.writeText(w)
}
