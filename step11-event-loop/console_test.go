//go:build linux

package main

import (
	"bytes"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"
)

// stalledWriter is a console's reader that takes nothing until it is
// released, as a full pipe does.
type stalledWriter struct {
	released chan struct{}
	mu       sync.Mutex
	got      bytes.Buffer
}

// Write waits until the writer is released, then keeps p.
func (w *stalledWriter) Write(p []byte) (int, error) {
	<-w.released
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.got.Write(p)
}

// TestConsoleDropsAndCountsWhatItCannotHold prints 10,000 lines to a
// console whose reader is stalled: every printf returns, the lines past
// the buffer are dropped, and once the reader takes again, the console
// writes the lines it kept, in order, and how many it dropped: together,
// every line.
func TestConsoleDropsAndCountsWhatItCannotHold(t *testing.T) {
	t.Parallel()
	out := &stalledWriter{released: make(chan struct{})}
	c := newConsole(out)
	const lines = 10000
	printed := make(chan struct{})
	go func() {
		for i := range lines {
			c.printf("line %d of a console whose reader does not read\n", i)
		}
		close(printed)
	}()
	select {
	case <-printed:
	case <-time.After(10 * time.Second):
		t.Fatal("printf waited for the stalled reader")
	}
	close(out.released)
	c.close(5 * time.Second)

	text := out.got.String()
	dropped := 0
	for _, note := range dropNote.FindAllString(text, -1) {
		n, _ := strconv.Atoi(regexp.MustCompile(`\d+`).FindString(note))
		dropped += n
	}
	if dropped == 0 {
		t.Fatalf("the console wrote no note of the lines dropped:\n%s", text[max(0, len(text)-300):])
	}
	kept := regexp.MustCompile(`(?m)^line (\d+) of`).FindAllStringSubmatch(text, -1)
	if len(kept)+dropped != lines {
		t.Errorf("the console wrote %d lines and says it dropped %d: %d in all, want %d", len(kept), dropped, len(kept)+dropped, lines)
	}
	last := -1
	for _, m := range kept {
		n, _ := strconv.Atoi(m[1])
		if n <= last {
			t.Fatalf("line %d comes after line %d: out of order", n, last)
		}
		last = n
	}
}
