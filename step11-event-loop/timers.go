//go:build linux

package main

import (
	"container/heap"
	"time"
)

// timerHeap holds the deadline of every connection of a loop, the
// earliest first: a binary min-heap, kept in a slice, in which each
// connection is never later than the two below it (at 2i+1 and 2i+2).
//
//	             [0] 10:00:01.2
//	            /              \
//	  [1] 10:00:03.0      [2] 10:00:05.5
//	    /        \
//	[3] 10:00:04  [4] 10:00:09
//
// The loop needs three things of it, each cheap whatever the number of
// connections: the earliest deadline, to know how long epoll_wait may
// sleep (look at [0]: O(1)); to take out the connections whose deadline
// has passed (O(log n) each); and to move a connection's deadline at each
// request, as it goes from idle to reading to writing (O(log n): the
// entry sifts up or down). Each connection has one deadline at a time,
// for its present state, so there is one entry per connection. (A
// timing wheel, as the Linux kernel and Netty keep, does all of this in
// O(1), at the price of rounding each deadline to the wheel's tick.)
//
// container/heap does the sifting; timerHeap says how to compare and
// swap, and keeps each connection's place in it, c.timerIndex, so that
// its entry can be found to be moved.
type timerHeap []*conn

// Len is how many deadlines the heap holds.
func (h timerHeap) Len() int { return len(h) }

// Less says whether entry i is due before entry j.
func (h timerHeap) Less(i, j int) bool { return h[i].due.Before(h[j].due) }

// Swap exchanges two entries, and tells each connection its new place.
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].timerIndex, h[j].timerIndex = i, j
}

// Push adds an entry at the end, for container/heap: call set instead.
func (h *timerHeap) Push(x any) {
	c := x.(*conn)
	c.timerIndex = len(*h)
	*h = append(*h, c)
}

// Pop removes the last entry, for container/heap.
func (h *timerHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	c.timerIndex = -1
	return c
}

// set files c's deadline, or moves it.
func (h *timerHeap) set(c *conn, due time.Time) {
	if c.timerIndex >= 0 {
		if c.due.Equal(due) {
			return
		}
		c.due = due
		heap.Fix(h, c.timerIndex)
		return
	}
	c.due = due
	heap.Push(h, c)
}

// remove takes c's deadline out, if it has one.
func (h *timerHeap) remove(c *conn) {
	if c.timerIndex >= 0 {
		heap.Remove(h, c.timerIndex)
	}
}

// earliest returns the earliest deadline, if there is one.
func (h timerHeap) earliest() (time.Time, bool) {
	if len(h) == 0 {
		return time.Time{}, false
	}
	return h[0].due, true
}

// expired takes out and returns a connection whose deadline is not after
// now, or nil when there is none.
func (h *timerHeap) expired(now time.Time) *conn {
	if len(*h) == 0 || (*h)[0].due.After(now) {
		return nil
	}
	return heap.Pop(h).(*conn)
}
