//go:build unix

package main

import (
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// testChildEnv makes this test binary, started again by startChild,
// act as a child that waits for SIGTERM and then exits, as a child
// serving a slow client finishes its response and exits.
const testChildEnv = "STEP7_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childConnEnv) != "" && os.Getenv(testChildEnv) != "" {
		terminate := make(chan os.Signal, 1)
		signal.Notify(terminate, syscall.SIGTERM)
		select {
		case <-terminate:
			os.Exit(0)
		case <-time.After(30 * time.Second):
			os.Exit(2) // no test waits this long: do not outlive it
		}
	}
	os.Exit(m.Run())
}

// startWaitingChild takes room in kids and starts this test binary in
// it as a child that waits for SIGTERM.
func startWaitingChild(t *testing.T, kids *children) {
	t.Helper()
	self, err := os.Executable()
	require.NoError(t, err)
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	require.NoError(t, err)
	defer syscall.Close(fds[0])
	defer syscall.Close(fds[1])
	kids.waitForRoom()
	require.NoError(t, kids.start(self, fds[0]))
}

// reapUntil reaps kids until at most left children remain, for 5 s at
// most, and returns how many remain.
func reapUntil(kids *children, left int) int {
	deadline := time.Now().Add(5 * time.Second)
	n := kids.reap()
	for n > left && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		n = kids.reap()
	}
	return n
}

func TestChildrenAreBoundedAndSignalled(t *testing.T) {
	t.Setenv(testChildEnv, "wait for SIGTERM")

	t.Run("makes the next accept wait while max children run, until one exits", func(t *testing.T) {
		kids := newChildren(2)
		startWaitingChild(t, kids)
		startWaitingChild(t, kids)
		t.Cleanup(func() { kids.signalAll(syscall.SIGKILL); reapUntil(kids, 0) })

		roomMade := make(chan struct{})
		go func() { kids.waitForRoom(); close(roomMade) }()
		select {
		case <-roomMade:
			t.Fatal("there was room for a third child while two ran, want none")
		case <-time.After(100 * time.Millisecond):
		}
		kids.signalAll(syscall.SIGTERM)
		if got := reapUntil(kids, 0); got != 0 {
			t.Fatalf("%d children are left 5 s after SIGTERM, want 0", got)
		}
		select {
		case <-roomMade:
		case <-time.After(5 * time.Second):
			t.Fatal("no room was made when the children had exited")
		}
	})
	t.Run("passes SIGTERM to every child, which exits by itself", func(t *testing.T) {
		kids := newChildren(4)
		for range 3 {
			startWaitingChild(t, kids)
		}
		kids.signalAll(syscall.SIGTERM)
		if got, want := reapUntil(kids, 0), 0; got != want {
			t.Errorf("%d children are left 5 s after SIGTERM, want %d", got, want)
		}
	})
	t.Run("starts no child once a shutdown has begun", func(t *testing.T) {
		kids := newChildren(1)
		kids.stop()
		kids.waitForRoom()
		if err := kids.start("/nonexistent", 0); err == nil {
			t.Error("started a child while stopping, want an error")
		}
		if got := len(kids.room); got != 0 {
			t.Errorf("%d rooms are taken after the refusal, want 0", got)
		}
	})
}
