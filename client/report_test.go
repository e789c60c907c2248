package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(values ...int) []time.Duration {
		var ds []time.Duration
		for _, v := range values {
			ds = append(ds, time.Duration(v)*time.Millisecond)
		}
		return ds
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"is 0 for no values", nil, 50, 0},
		{"is the only value of one", ms(7), 50, 7 * time.Millisecond},
		{"p50 of 1 to 10 is 5, by the nearest rank", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 50, 5 * time.Millisecond},
		{"p90 of 1 to 10 is 9", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 90, 9 * time.Millisecond},
		{"p99 of 1 to 10 is 10, rounding the rank up", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 10 * time.Millisecond},
		{"p100 is the max", ms(1, 2, 30), 100, 30 * time.Millisecond},
		{"p50 of two values is the lower", ms(1, 2), 50, time.Millisecond},
		{"p1 of three values is the first", ms(1, 2, 3), 1, time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestMaxOverlap(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms float64) time.Time { return t0.Add(time.Duration(ms * float64(time.Millisecond))) }
	tests := []struct {
		name      string
		intervals []interval
		want      int
	}{
		{"is 0 for no intervals", nil, 0},
		{"is 1 for one interval", []interval{{at(0), at(10)}}, 1},
		{"is 1 for intervals one after another", []interval{{at(0), at(10)}, {at(20), at(30)}, {at(40), at(50)}}, 1},
		{"is 1 when one ends as the next starts", []interval{{at(0), at(10)}, {at(10), at(20)}}, 1},
		{"is 1 when the end of one seems to come a little after the next starts", []interval{{at(0), at(19)}, {at(10), at(30)}}, 1},
		{"is 1 for short intervals that touch", []interval{{at(0), at(0.1)}, {at(0.1), at(0.2)}, {at(0.2), at(0.3)}}, 1},
		{"is 2 for two intervals that overlap by more than the slack", []interval{{at(0), at(30)}, {at(15), at(40)}}, 2},
		{"is 3 for three intervals of 200 ms started together", []interval{{at(0), at(200)}, {at(1), at(201)}, {at(2), at(202)}}, 3},
		{"counts the most at one moment, not the total", []interval{{at(0), at(30)}, {at(15), at(45)}, {at(60), at(90)}, {at(75), at(105)}}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := maxOverlap(tt.intervals); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	outcomes := []outcome{
		{status: "200 OK", connected: at(0), sent: at(0), firstByte: at(1), end: at(10)},
		{status: "200 OK", connected: at(0), sent: at(0), firstByte: at(10), end: at(20)},
		{status: "404 Not Found", err: "status 404 Not Found", connected: at(0), sent: at(0), firstByte: at(20), end: at(30)},
		{err: "receive: timeout", connected: at(3), sent: at(3)},
		{err: "connect: connection refused"},
	}
	cfg := config{addr: "127.0.0.1:8888", path: "/", clients: len(outcomes)}
	rep := summarize(cfg, outcomes, t0, time.Second)

	if rep.Connected != 4 || rep.Succeeded != 2 {
		t.Errorf("connected %d, succeeded %d; want 4 and 2", rep.Connected, rep.Succeeded)
	}
	if rep.Statuses["200 OK"] != 2 || rep.Statuses["404 Not Found"] != 1 {
		t.Errorf("statuses %v, want 200 OK twice and 404 once", rep.Statuses)
	}
	wantErrors := map[string]int{"status 404 Not Found": 1, "receive: timeout": 1, "connect: connection refused": 1}
	for kind, n := range wantErrors {
		if rep.Errors[kind] != n {
			t.Errorf("errors %v, want %v", rep.Errors, wantErrors)
			break
		}
	}
	if rep.Latency.P50 != 10*time.Millisecond || rep.Latency.Max != 20*time.Millisecond {
		t.Errorf("latency %+v, want p50 10ms and max 20ms (of the successes only)", rep.Latency)
	}
	if rep.ConnectTook != 3*time.Millisecond {
		t.Errorf("connect took %s, want 3ms: the last connection was established 3 ms after the start", rep.ConnectTook)
	}
	if rep.MaxInFlight != 1 {
		t.Errorf("max in flight %d, want 1: the responses were served one after another", rep.MaxInFlight)
	}

	t.Run("the text report names every status and error", func(t *testing.T) {
		var out bytes.Buffer
		if err := rep.writeText(&out); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"connected:  4 of 5", "succeeded:  2", "200 OK", "errors:     3",
			"connect: connection refused", "connected:  4 of 5 in 3ms", "p50 10ms", "max 20ms", "in flight:  1 at most"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("the report lacks %q:\n%s", want, out.String())
			}
		}
	})
	t.Run("the JSON report reads back", func(t *testing.T) {
		var out bytes.Buffer
		if err := printReport(&out, rep, true); err != nil {
			t.Fatal(err)
		}
		var back report
		if err := json.Unmarshal(out.Bytes(), &back); err != nil {
			t.Fatalf("%v:\n%s", err, out.String())
		}
		if back.Succeeded != 2 || back.MaxInFlight != 1 || back.Latency.Max != 20*time.Millisecond {
			t.Errorf("read back %+v", back)
		}
	})
}

func TestConfigCheck(t *testing.T) {
	good := config{addr: "127.0.0.1:8888", clients: 300, path: "/", timeout: 10 * time.Second}
	tests := []struct {
		name    string
		change  func(c *config)
		wantErr string // "" for none
	}{
		{"accepts 127.0.0.1", func(c *config) {}, ""},
		{"accepts the rest of 127.0.0.0/8", func(c *config) { c.addr = "127.1.2.3:80" }, ""},
		{"accepts ::1", func(c *config) { c.addr = "[::1]:8888" }, ""},
		{"accepts localhost", func(c *config) { c.addr = "localhost:8888" }, ""},
		{"refuses another machine, saying why", func(c *config) { c.addr = "192.168.1.1:80" }, "only connects to a loopback address"},
		{"refuses every interface", func(c *config) { c.addr = "0.0.0.0:8888" }, "only connects to a loopback address"},
		{"refuses a host name", func(c *config) { c.addr = "example.com:80" }, "only connects to a loopback address"},
		{"refuses an address without a port", func(c *config) { c.addr = "127.0.0.1" }, "missing port"},
		{"refuses 0 clients", func(c *config) { c.clients = 0 }, "-clients 0"},
		{"refuses too many clients", func(c *config) { c.clients = maxClients + 1 }, "-clients"},
		{"refuses no timeout", func(c *config) { c.timeout = 0 }, "-timeout"},
		{"refuses a negative hold", func(c *config) { c.hold = -time.Second }, "-hold"},
		{"accepts idle connections held for a while", func(c *config) { c.idle, c.hold = true, time.Minute }, ""},
		{"refuses idle connections without a hold", func(c *config) { c.idle = true }, "-idle needs -hold"},
		{"refuses a path that would break the request line", func(c *config) { c.path = "/a b" }, "-path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			tt.change(&c)
			err := c.check()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("got %v, want no error", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("got %v, want an error that says %q", err, tt.wantErr)
			}
		})
	}
}

func TestStatusOf(t *testing.T) {
	tests := []struct {
		response, wantStatus, wantErr string
	}{
		{"HTTP/1.1 200 OK\r\n\r\nhi", "200 OK", ""},
		{"HTTP/1.1 404 Not Found\r\n\r\n", "404 Not Found", "status 404 Not Found"},
		{"", "", "receive: closed without a response"},
		{"Hello, World!", "", "receive: not an HTTP response"},
	}
	for _, tt := range tests {
		status, err := statusOf([]byte(tt.response))
		if status != tt.wantStatus || err != tt.wantErr {
			t.Errorf("statusOf(%q) = %q, %q; want %q, %q", tt.response, status, err, tt.wantStatus, tt.wantErr)
		}
	}
}
