package tests

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestLoadClientSeesStep7ServeManyAtOnce runs the load client against
// step7-processes, whose children hold each connection open for 200 ms
// after the response: unlike step 6, it serves many clients at once.
func TestLoadClientSeesStep7ServeManyAtOnce(t *testing.T) {
	t.Parallel()
	srv := startStep(t, "step7-processes", "-delay", "200ms")
	rep := runLoadClient(t, srv.addr, "-clients", "10", "-path", "/hello", "-timeout", "10s")
	srv.stop()
	if rep.Succeeded != 10 {
		t.Errorf("succeeded %d of 10, errors %v", rep.Succeeded, rep.Errors)
	}
	if rep.MaxInFlight < 2 {
		t.Errorf("the client saw at most %d response served at once, want more than 1: step 7 serves each connection in its own process", rep.MaxInFlight)
	}
}

// TestStep7ReapsItsChildren runs step7-processes under load and reads
// /proc: once the load is over, no child of the server is left, not
// even a zombie, and the server holds as many descriptors as before.
func TestStep7ReapsItsChildren(t *testing.T) {
	skipUnlessProc(t)
	t.Parallel()
	srv := startStep(t, "step7-processes", "-delay", "50ms")
	pid := srv.cmd.Process.Pid
	fdsBefore := countFDs(t, pid)

	rep := runLoadClient(t, srv.addr, "-clients", "20", "-timeout", "10s")
	if rep.Succeeded != 20 {
		t.Errorf("succeeded %d of 20, errors %v", rep.Succeeded, rep.Errors)
	}
	children, zombies := waitForChildren(t, pid, func(children, zombies int) bool { return children == 0 })
	if children != 0 || zombies != 0 {
		t.Errorf("2 s after the load, the server has %d children, %d of them zombies; want none", children, zombies)
	}
	if fdsAfter := countFDs(t, pid); fdsAfter != fdsBefore {
		t.Errorf("the server holds %d descriptors after the load, %d before: it leaks", fdsAfter, fdsBefore)
	}
	srv.stop()
}

// TestStep7WithoutReapingLeavesZombies is the article's lesson: with
// -reap=false, every child that has served its client stays in the
// process table as a zombie, state Z, until the server exits.
func TestStep7WithoutReapingLeavesZombies(t *testing.T) {
	skipUnlessProc(t)
	t.Parallel()
	srv := startStep(t, "step7-processes", "-reap=false")
	pid := srv.cmd.Process.Pid

	rep := runLoadClient(t, srv.addr, "-clients", "10", "-timeout", "10s")
	if rep.Succeeded != 10 {
		t.Errorf("succeeded %d of 10, errors %v", rep.Succeeded, rep.Errors)
	}
	_, zombies := waitForChildren(t, pid, func(children, zombies int) bool { return zombies >= 10 })
	if zombies != 10 {
		t.Errorf("the server has %d zombie children, want 10: one for each client it served", zombies)
	}
	srv.stop()
}

// TestStep7KeepingTheParentsCopyLeaksDescriptors is the article's other
// lesson: with -close-parent-copy=false the parent keeps its copy of
// every connection, so no client sees the end of its response, and the
// parent holds one more descriptor for every client.
func TestStep7KeepingTheParentsCopyLeaksDescriptors(t *testing.T) {
	skipUnlessProc(t)
	t.Parallel()
	srv := startStep(t, "step7-processes", "-close-parent-copy=false")
	pid := srv.cmd.Process.Pid
	fdsBefore := countFDs(t, pid)

	rep := runLoadClient(t, srv.addr, "-clients", "5", "-timeout", "1s")
	if rep.Errors["receive: timeout"] != 5 {
		t.Errorf("errors %v, want 5 timeouts: the response arrives, but the connection never ends", rep.Errors)
	}
	if fdsAfter := countFDs(t, pid); fdsAfter < fdsBefore+5 {
		t.Errorf("the server holds %d descriptors after 5 clients, %d before; want 5 more at least", fdsAfter, fdsBefore)
	}
	srv.stop()
}

// skipUnlessProc skips a test that reads /proc where there is none.
func skipUnlessProc(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc, which only Linux has")
	}
}

// countFDs counts the descriptors that process pid holds open.
func countFDs(t *testing.T, pid int) int {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join("/proc", strconv.Itoa(pid), "fd"))
	if err != nil {
		t.Fatalf("list the server's descriptors: %v", err)
	}
	return len(entries)
}

// fdsWhen counts the descriptors of process pid again and again, for 5 s
// at most, until ok says the count is the one awaited; it returns the
// last count.
func fdsWhen(t *testing.T, pid int, ok func(n int) bool) int {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	n := countFDs(t, pid)
	for !ok(n) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		n = countFDs(t, pid)
	}
	return n
}

// childrenOf counts the processes whose parent is pid, and how many of
// them are zombies (state Z), from /proc/*/stat.
func childrenOf(pid int) (children, zombies int) {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range stats {
		if state, ppid, ok := readStat(path); ok && ppid == pid {
			children++
			if state == "Z" {
				zombies++
			}
		}
	}
	return children, zombies
}

// childPIDs lists the processes whose parent is pid and that are not
// zombies, from /proc/*/stat.
func childPIDs(pid int) []int {
	var children []int
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range stats {
		state, ppid, ok := readStat(path)
		if ok && ppid == pid && state != "Z" {
			child, _ := strconv.Atoi(filepath.Base(filepath.Dir(path)))
			children = append(children, child)
		}
	}
	return children
}

// readStat reads a process's state and parent from its /proc/PID/stat:
// "pid (command) state ppid ...", where the command may hold spaces and
// parentheses, so the fields are read from the last ')'.
func readStat(path string) (state string, ppid int, ok bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", 0, false // the process is gone
	}
	end := bytes.LastIndexByte(data, ')')
	if end < 0 {
		return "", 0, false
	}
	fields := strings.Fields(string(data[end+1:]))
	if len(fields) < 2 {
		return "", 0, false
	}
	ppid, err = strconv.Atoi(fields[1])
	return fields[0], ppid, err == nil
}

// waitForChildren reads the children of pid until done says they are
// as wanted, or 2 s have passed, and returns the last count.
func waitForChildren(t *testing.T, pid int, done func(children, zombies int) bool) (children, zombies int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		children, zombies = childrenOf(pid)
		if done(children, zombies) || time.Now().After(deadline) {
			return children, zombies
		}
		time.Sleep(20 * time.Millisecond)
	}
}
