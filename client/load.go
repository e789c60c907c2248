package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// config is what the flags ask for.
type config struct {
	addr         string        // host:port, on a loopback address
	clients      int           // connections at once
	path         string        // what each GET asks for
	hold         time.Duration // how long each connection stays open after its response; with idle, in all
	timeout      time.Duration // for connecting, and again for the exchange
	idle         bool          // send nothing: hold each connection open, idle, then close it
	connectFirst bool          // connect every client before any sends its request

	// dial connects; nil means net.DialTimeout. Tests replace it.
	dial func(network, addr string, timeout time.Duration) (net.Conn, error)
}

// check says what is wrong with the configuration, if anything: the
// address must be loopback, and every number within its bounds.
func (c config) check() error {
	if err := checkLoopback(c.addr); err != nil {
		return err
	}
	switch {
	case c.clients < 1 || c.clients > maxClients:
		return fmt.Errorf("-clients %d: choose 1 to %d", c.clients, maxClients)
	case c.timeout <= 0 || c.timeout > maxTimeout:
		return fmt.Errorf("-timeout %s: choose more than 0 and at most %s", c.timeout, maxTimeout)
	case c.hold < 0 || c.hold > maxHold:
		return fmt.Errorf("-hold %s: choose 0 to %s", c.hold, maxHold)
	case c.idle && c.hold == 0:
		return fmt.Errorf("-idle needs -hold: how long to keep the connections open, up to %s", maxHold)
	case !strings.HasPrefix(c.path, "/") || strings.ContainsAny(c.path, " \r\n"):
		return fmt.Errorf("-path %q: a path starts with / and has no spaces or line ends", c.path)
	}
	return nil
}

// checkLoopback accepts host:port only if host is a loopback address
// (127.0.0.0/8 or ::1) or "localhost", and says why otherwise.
func checkLoopback(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-addr %q: %w", addr, err)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("-addr %q: the port must be a number from 0 to 65535", addr)
	}
	if host == "localhost" {
		return nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.Unmap().IsLoopback() {
		return fmt.Errorf("refusing -addr %q: this load client only connects to a loopback address "+
			"(127.0.0.0/8 or ::1), so that it cannot flood a machine that is not yours", addr)
	}
	return nil
}

// outcome is what happened to one connection.
type outcome struct {
	err       string    // the kind of error, or "" for a success
	status    string    // the response's status, such as "200 OK"
	connected time.Time // when the connection was established; zero if it was not
	sent      time.Time // when the request had been written
	firstByte time.Time // when the first byte of the response arrived; zero if none did
	end       time.Time // when the server closed the connection
}

// runLoad starts cfg.clients clients at once. Each connects, sends its
// request as soon as its connection is up, as a browser does, and reads
// the response to its end; the report says what happened. With
// cfg.connectFirst, every client waits until all have connected (or
// given up) before any sends. Every connection is given up after
// cfg.timeout for connecting and again for the exchange, so runLoad ends
// within 2 × timeout + hold. With cfg.idle it sends nothing: each
// connection is held open for cfg.hold, then closed, and runLoad ends
// within timeout + hold.
func runLoad(cfg config) report {
	start := time.Now()
	outcomes := make([]outcome, cfg.clients)
	request := []byte("GET " + cfg.path + " HTTP/1.1\r\nHost: " + cfg.addr + "\r\nConnection: close\r\n\r\n")

	// With connectFirst, no client sends before every dial has ended:
	// allDialled is closed when the last one has.
	var dialled sync.WaitGroup
	dialled.Add(cfg.clients)
	allDialled := make(chan struct{})
	go func() {
		dialled.Wait()
		close(allDialled)
	}()

	dial := cfg.dial
	if dial == nil {
		dial = net.DialTimeout
	}
	var done sync.WaitGroup
	for i := range outcomes {
		done.Go(func() {
			conn, err := dial("tcp", cfg.addr, cfg.timeout)
			connected := time.Now()
			dialled.Done()
			if err != nil {
				outcomes[i].err = errKind("connect", err)
				return
			}
			if cfg.connectFirst {
				<-allDialled
			}
			if cfg.idle {
				outcomes[i] = holdIdle(conn, cfg.hold)
			} else {
				outcomes[i] = exchange(conn, request, cfg.timeout, cfg.hold)
			}
			outcomes[i].connected = connected
		})
	}
	done.Wait()
	return summarize(cfg, outcomes, start, time.Since(start))
}

// exchange sends the request on conn, reads the response until the
// server closes the connection, holds the connection open for hold, and
// closes it.
func exchange(conn net.Conn, request []byte, timeout, hold time.Duration) outcome {
	defer conn.Close()
	var o outcome
	conn.SetDeadline(time.Now().Add(timeout))
	if _, err := conn.Write(request); err != nil {
		o.err = errKind("send", err)
		return o
	}
	o.sent = time.Now()

	var response []byte
	buffer := make([]byte, 4096)
	for {
		n, err := conn.Read(buffer)
		if n > 0 && o.firstByte.IsZero() {
			o.firstByte = time.Now()
		}
		response = append(response, buffer[:n]...)
		if errors.Is(err, io.EOF) {
			o.end = time.Now()
			break
		}
		if err != nil {
			o.err = errKind("receive", err)
			return o
		}
	}
	o.status, o.err = statusOf(response)
	time.Sleep(hold)
	return o
}

// holdIdle keeps conn open for hold without sending anything, as a
// client between two requests of a kept-alive connection does, then
// closes it. It fails if the server closes the connection, or sends
// anything, before the hold is over.
func holdIdle(conn net.Conn, hold time.Duration) outcome {
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(hold))
	n, err := conn.Read(make([]byte, 1))
	var timeout net.Error
	switch {
	case n > 0:
		return outcome{err: "hold: the server sent data unasked"}
	case errors.As(err, &timeout) && timeout.Timeout():
		return outcome{} // still open at the end of the hold
	case errors.Is(err, io.EOF):
		return outcome{err: "hold: closed by the server"}
	default:
		return outcome{err: errKind("hold", err)}
	}
}

// statusOf reads the status from the response's status line, and says
// what is wrong with the response if it is not a success: "" when the
// status is 2xx.
func statusOf(response []byte) (status, errKind string) {
	if len(response) == 0 {
		return "", "receive: closed without a response"
	}
	line, _, _ := strings.Cut(string(response), "\r\n")
	version, status, ok := strings.Cut(line, " ")
	if !ok || !strings.HasPrefix(version, "HTTP/1.") || len(status) < 3 {
		return "", "receive: not an HTTP response"
	}
	if status[0] != '2' {
		return status, "status " + status
	}
	return status, ""
}

// errKind names the kind of a network error, for the report:
// "connect: connection refused", "receive: timeout", and so on.
func errKind(phase string, err error) string {
	var errno syscall.Errno
	var timeout net.Error
	switch {
	case errors.As(err, &timeout) && timeout.Timeout():
		return phase + ": timeout"
	case errors.As(err, &errno):
		return phase + ": " + errno.Error()
	default:
		return phase + ": " + err.Error()
	}
}
