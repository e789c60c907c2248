package main

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// consoleBufferSize bounds the lines that wait to be written to the
// console: some 600 request lines. Past it, lines are dropped, and
// counted.
const consoleBufferSize = 64 << 10

// console is where the server tells what it does (stdout), or what went
// wrong (stderr), without ever making a loop wait for it. Writing to a
// terminal, or to a pipe that no one reads fast enough (`| less`, a
// logging daemon that stalls), blocks: the kernel's pipe buffer is 64
// KiB, and once it is full write waits until the reader takes some. A
// loop that waited there would stop answering every connection it
// serves, for as long as the reader dawdles: the -delay lesson again,
// caused by a log line.
//
// So a loop never writes to the console itself. It appends its line to
// a buffer in memory, under a lock held only for that append, and a
// goroutine of the console's own writes the buffer out; it is the one
// that waits when the reader is slow. The buffer is bounded: when it is
// full, the line is dropped and counted, and the console says how many
// were lost once it can write again, as syslog's "message repeated"
// and journald's "Suppressed N messages" do. Losing log lines under
// overload is the price; a loop that stops serving is the alternative.
type console struct {
	out io.Writer

	mu      sync.Mutex
	buf     []byte        // the lines that wait, in the order they came
	mark    int           // where the line being appended begins in buf
	dropped int           // the lines dropped since the last write
	wake    chan struct{} // tells the writer that lines wait
	closing chan struct{} // closed by close: write what is left and end
	done    chan struct{} // closed when the writer has ended
}

// newConsole returns a console that writes to out, and starts its
// writer.
func newConsole(out io.Writer) *console {
	c := &console{
		out:     out,
		buf:     make([]byte, 0, 4<<10),
		wake:    make(chan struct{}, 1),
		closing: make(chan struct{}),
		done:    make(chan struct{}),
	}
	go c.write()
	return c
}

// printf appends a line to the console, formatted as fmt.Printf does,
// unless the buffer is full. It never waits for the console's reader.
func (c *console) printf(format string, args ...any) {
	c.end(fmt.Appendf(c.begin(), format, args...))
}

// begin locks the buffer and returns it, for the caller to append one
// line to, and to hand to end. (The request lines are appended so,
// piece by piece, without fmt: see conn.respond.)
func (c *console) begin() []byte {
	c.mu.Lock()
	c.mark = len(c.buf)
	return c.buf
}

// end keeps the line appended to buf since begin, or drops it if the
// buffer would then be past consoleBufferSize, and unlocks the buffer.
func (c *console) end(buf []byte) {
	if len(buf) > consoleBufferSize {
		buf = buf[:c.mark]
		c.dropped++
	}
	c.buf = buf
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default: // the writer has been told already
	}
}

// write is the console's writer, in a goroutine of its own: it takes the
// lines that wait, all at once, and writes them out, as long as the
// console is open; then what is left.
func (c *console) write() {
	defer close(c.done)
	var spare []byte // the buffer being written, while the loops fill the other
	for {
		select {
		case <-c.wake:
		case <-c.closing:
			c.flush(spare)
			return
		}
		spare = c.flush(spare)
	}
}

// flush writes the lines that wait, and says how many were dropped. It
// swaps the full buffer for spare, so that the loops append to the one
// while it writes the other, and returns the written one, emptied, to
// be the next spare.
func (c *console) flush(spare []byte) []byte {
	c.mu.Lock()
	lines, dropped := c.buf, c.dropped
	c.buf, c.dropped = spare[:0], 0
	c.mu.Unlock()
	if dropped > 0 {
		noun := "lines"
		if dropped == 1 {
			noun = "line"
		}
		lines = fmt.Appendf(lines, "(%d %s dropped: the console did not keep up)\n", dropped, noun)
	}
	if len(lines) > 0 {
		c.out.Write(lines)
	}
	if cap(lines) > 2*consoleBufferSize {
		return nil // a burst's buffer is not kept
	}
	return lines[:0]
}

// close writes what waits, and ends the writer: it waits for timeout at
// most, since the console's reader may never read again.
func (c *console) close(timeout time.Duration) {
	close(c.closing)
	select {
	case <-c.done:
	case <-time.After(timeout):
	}
}

// Write appends p, one or more whole lines, as printf does: a console
// is an io.Writer, for net/http's server (see nethttp.go).
func (c *console) Write(p []byte) (int, error) {
	c.end(append(c.begin(), p...))
	return len(p), nil
}
