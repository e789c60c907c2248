package main

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// report is what the client prints at the end: what happened to the
// connections, how long the responses took, and how many were being
// served at once.
type report struct {
	Addr         string         `json:"addr"`
	Path         string         `json:"path"`
	Idle         bool           `json:"idle"`          // no requests: the connections were only held open
	ConnectFirst bool           `json:"connect_first"` // every client connected before any sent its request
	Hold         time.Duration  `json:"hold_ns"`
	Clients      int            `json:"clients"`
	Connected    int            `json:"connected"`
	Succeeded    int            `json:"succeeded"`
	Statuses     map[string]int `json:"statuses"` // every status received, with its count
	Errors       map[string]int `json:"errors"`   // every kind of error, with its count
	Latency      latency        `json:"latency"`  // from the request sent to the end of the response, of the successes
	MaxInFlight  int            `json:"max_in_flight"`
	ConnectTook  time.Duration  `json:"connect_took_ns"` // from the start to the last connection established
	Took         time.Duration  `json:"took_ns"`
}

// latency holds the percentiles of the responses' times.
type latency struct {
	P50 time.Duration `json:"p50_ns"`
	P90 time.Duration `json:"p90_ns"`
	P99 time.Duration `json:"p99_ns"`
	Max time.Duration `json:"max_ns"`
}

// summarize turns what happened to each connection, since start, into
// the report.
func summarize(cfg config, outcomes []outcome, start time.Time, took time.Duration) report {
	rep := report{
		Addr: cfg.addr, Path: cfg.path, Idle: cfg.idle, ConnectFirst: cfg.connectFirst, Hold: cfg.hold, Clients: cfg.clients,
		Statuses: map[string]int{}, Errors: map[string]int{},
		Took: took,
	}
	var times []time.Duration
	var served []interval
	for _, o := range outcomes {
		if !strings.HasPrefix(o.err, "connect:") {
			rep.Connected++
		}
		if !o.connected.IsZero() {
			rep.ConnectTook = max(rep.ConnectTook, o.connected.Sub(start))
		}
		if o.status != "" {
			rep.Statuses[o.status]++
		}
		if !o.firstByte.IsZero() && !o.end.IsZero() {
			served = append(served, interval{o.firstByte, o.end})
		}
		if o.err != "" {
			rep.Errors[o.err]++
			continue
		}
		rep.Succeeded++
		if !cfg.idle {
			times = append(times, o.end.Sub(o.sent))
		}
	}
	slices.Sort(times)
	rep.Latency = latency{
		P50: percentile(times, 50),
		P90: percentile(times, 90),
		P99: percentile(times, 99),
		Max: percentile(times, 100),
	}
	rep.MaxInFlight = maxOverlap(served)
	return rep
}

// percentile returns the p-th percentile (0 < p <= 100) of sorted, by
// the nearest rank: the smallest value that p percent of the values are
// less than or equal to. It returns 0 for no values.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	// The rank is ceil(p/100 × n), counted from 1.
	rank := int(p / 100 * float64(len(sorted)))
	if float64(rank) < p/100*float64(len(sorted)) {
		rank++
	}
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// overlapSlack is how much two intervals must overlap to count as open
// at once. The client notes each time when its goroutine runs after the
// bytes arrived, which may be late by a scheduling delay: an iterative
// server closes one connection and starts on the next within a tenth of
// a millisecond, and without the slack the end of one response, noted
// late, could seem to overlap the start of the next. On a loaded machine
// the delay has been seen to pass a millisecond (the tests' run of step
// 6 counted two at once); servers that do serve clients at once, as the
// chapters run them, overlap by the hundreds of milliseconds of -delay.
const overlapSlack = 10 * time.Millisecond

// interval is the time during which one response was being served, as
// the client saw it: from its first byte to its end.
type interval struct {
	start, end time.Time
}

// maxOverlap returns the largest number of intervals that were open at
// the same moment, counting two as open at once only if they overlap by
// more than overlapSlack.
func maxOverlap(intervals []interval) int {
	type event struct {
		at    time.Time
		delta int // +1 when an interval starts, -1 when it ends
	}
	events := make([]event, 0, 2*len(intervals))
	for _, iv := range intervals {
		// Each interval ends overlapSlack early, but lasts at least 1 ns.
		end := iv.end.Add(-overlapSlack)
		if !end.After(iv.start) {
			end = iv.start.Add(time.Nanosecond)
		}
		events = append(events, event{iv.start, +1}, event{end, -1})
	}
	// In time order; at the same moment, ends before starts.
	slices.SortFunc(events, func(a, b event) int {
		return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.delta, b.delta))
	})
	open, most := 0, 0
	for _, e := range events {
		open += e.delta
		most = max(most, open)
	}
	return most
}

// writeText writes the report for a person to read.
func (r report) writeText(w io.Writer) error {
	var b strings.Builder
	if r.Idle {
		fmt.Fprintf(&b, "idle: %d connections at once to %s, each held open %s without a request\n", r.Clients, r.Addr, r.Hold)
	} else if r.ConnectFirst {
		fmt.Fprintf(&b, "GET %s from %s, %d connections at once, all connected before any request was sent\n", r.Path, r.Addr, r.Clients)
	} else {
		fmt.Fprintf(&b, "GET %s from %s, %d connections at once\n", r.Path, r.Addr, r.Clients)
	}
	fmt.Fprintf(&b, "connected:  %d of %d in %s\n", r.Connected, r.Clients, round(r.ConnectTook))
	if r.Idle {
		fmt.Fprintf(&b, "held open:  %d to the end of the hold\n", r.Succeeded)
	} else {
		fmt.Fprintf(&b, "succeeded:  %d\n", r.Succeeded)
	}
	for _, status := range slices.Sorted(maps.Keys(r.Statuses)) {
		fmt.Fprintf(&b, "  %-40s %d\n", status, r.Statuses[status])
	}
	fmt.Fprintf(&b, "errors:     %d\n", r.Clients-r.Succeeded)
	for _, kind := range slices.Sorted(maps.Keys(r.Errors)) {
		fmt.Fprintf(&b, "  %-40s %d\n", kind, r.Errors[kind])
	}
	if !r.Idle {
		fmt.Fprintf(&b, "latency:    p50 %s, p90 %s, p99 %s, max %s\n",
			round(r.Latency.P50), round(r.Latency.P90), round(r.Latency.P99), round(r.Latency.Max))
		fmt.Fprintf(&b, "in flight:  %d at most (responses being served at once, from first byte to end)\n", r.MaxInFlight)
	}
	fmt.Fprintf(&b, "took:       %s\n", round(r.Took))
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	return nil
}

// round shortens a duration for reading: to the microsecond below 1 ms,
// to the 10 µs below 1 s, to the millisecond above.
func round(d time.Duration) time.Duration {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond)
	case d < time.Second:
		return d.Round(10 * time.Microsecond)
	default:
		return d.Round(time.Millisecond)
	}
}
