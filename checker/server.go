package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// serverProcess is a server that the checker started itself (-- CMD).
type serverProcess struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited

	mu      sync.Mutex
	out     bytes.Buffer // its standard output and error, in order
	waitErr error
}

// Write collects the server's output.
func (s *serverProcess) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.Write(p)
}

// output returns what the server has printed so far.
func (s *serverProcess) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// startServer runs command and waits until something accepts
// connections on addr, or the process exits, or startup passes.
func startServer(command []string, addr string, startup time.Duration) (*serverProcess, error) {
	s := &serverProcess{cmd: exec.Command(command[0], command[1:]...), done: make(chan struct{})}
	s.cmd.Stdout, s.cmd.Stderr = s, s
	// Python holds its output back when it goes to a pipe; ask it not to.
	s.cmd.Env = append(os.Environ(), "PYTHONUNBUFFERED=1")
	s.cmd.WaitDelay = time.Second
	ownProcessGroup(s.cmd)
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", strings.Join(command, " "), err)
	}
	go func() {
		err := s.cmd.Wait()
		s.mu.Lock()
		s.waitErr = err
		s.mu.Unlock()
		close(s.done)
	}()

	deadline := time.Now().Add(startup)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return s, nil
		}
		if s.exited() {
			return nil, fmt.Errorf("the server exited (%s) before it listened on %s; it printed: %q", s.exitStatus(), addr, s.output())
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("nothing listened on %s within %s of starting %s", addr, startup, strings.Join(command, " "))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// exited reports whether the process has ended.
func (s *serverProcess) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// exitStatus says how the process ended.
func (s *serverProcess) exitStatus() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.waitErr == nil {
		return "exit status 0"
	}
	return s.waitErr.Error()
}

// stop interrupts the server and everything it started, as Ctrl-C
// would, and kills them if they are still there after a few seconds.
func (s *serverProcess) stop() {
	if s.exited() {
		return
	}
	interrupt(s.cmd)
	select {
	case <-s.done:
	case <-time.After(3 * time.Second):
		kill(s.cmd)
		<-s.done
	}
}
