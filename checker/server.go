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

// serverProcess is a server that the checker started itself (-- CMD,
// or a student's command with -class).
type serverProcess struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited

	mu      sync.Mutex
	out     bytes.Buffer // its standard output and error, in order (the last maxOutput bytes)
	waitErr error
}

// maxOutput bounds how much of a server's output the checker keeps: a
// server that prints without end must not fill the checker's memory.
// Only the end is kept: the request line that check 2.3 looks for, and
// the last lines before a crash.
const maxOutput = 1 << 20

// tailLines is how many of the last lines a server printed the checker
// shows when it crashed or never listened.
const tailLines = 20

// Write collects the server's output.
func (s *serverProcess) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.out.Len()+len(p) > maxOutput {
		kept := append([]byte(nil), s.out.Bytes()[min(s.out.Len(), maxOutput/2):]...)
		s.out.Reset()
		s.out.Write(kept)
	}
	return s.out.Write(p)
}

// output returns what the server has printed so far.
func (s *serverProcess) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// tail returns the last n lines the server printed, without their line
// ends.
func (s *serverProcess) tail(n int) []string {
	return lastLines(s.output(), n)
}

// lastLines returns the last n lines of text, without their line ends,
// nil for none.
func lastLines(text string, n int) []string {
	text = strings.TrimRight(text, "\r\n")
	if text == "" {
		return nil
	}
	all := strings.Split(text, "\n")
	all = all[max(0, len(all)-n):]
	for i, line := range all {
		all[i] = strings.TrimSuffix(line, "\r")
	}
	return all
}

// startError says why a server the checker started never listened:
// why, and the last lines it printed.
type startError struct {
	why  string
	tail []string
}

func (e *startError) Error() string {
	if len(e.tail) == 0 {
		return e.why + "; it printed nothing"
	}
	return e.why + "; the last lines it printed:\n" + indent(e.tail)
}

// indent shows lines that a server printed below the checker's own,
// each after "    | ".
func indent(lines []string) string {
	var b strings.Builder
	for _, line := range lines {
		b.WriteString("    | " + line + "\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// startServer runs command in dir (the checker's own folder when dir is
// ""), with env added to the checker's environment, and waits until
// something accepts connections on addr, or the process exits, or
// startup passes. When the server does not listen, the error is a
// *startError.
func startServer(command []string, addr string, startup time.Duration, dir string, env ...string) (*serverProcess, error) {
	s, err := launch(command, dir, env...)
	if err != nil {
		return nil, err
	}
	if err := s.waitListening(addr, startup, stopGrace); err != nil {
		return nil, err
	}
	return s, nil
}

// launch starts command in dir, in a process group of its own, with
// env added to the checker's environment, and collects its output.
func launch(command []string, dir string, env ...string) (*serverProcess, error) {
	s := &serverProcess{cmd: exec.Command(command[0], command[1:]...), done: make(chan struct{})}
	s.cmd.Stdout, s.cmd.Stderr = s, s
	s.cmd.Dir = dir
	// Python holds its output back when it goes to a pipe; ask it not to.
	s.cmd.Env = append(append(os.Environ(), "PYTHONUNBUFFERED=1"), env...)
	// A server that leaves a child behind holding its output must not
	// keep Wait waiting.
	s.cmd.WaitDelay = time.Second
	ownProcessGroup(s.cmd)
	if err := s.cmd.Start(); err != nil {
		return nil, &startError{why: fmt.Sprintf("could not start %s: %v", strings.Join(command, " "), err)}
	}
	go func() {
		err := s.cmd.Wait()
		s.mu.Lock()
		s.waitErr = err
		s.mu.Unlock()
		close(s.done)
	}()
	return s, nil
}

// waitListening waits until something accepts connections on addr. If
// the server exits first, or startup passes (then it is stopped within
// grace), the error is a *startError that says so.
func (s *serverProcess) waitListening(addr string, startup, grace time.Duration) error {
	deadline := time.Now().Add(startup)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return nil
		}
		if s.exited() {
			s.killGroup() // what it started, if anything is left
			return &startError{why: fmt.Sprintf("the server exited (%s) before it listened on %s", s.exitStatus(), addr), tail: s.tail(tailLines)}
		}
		if time.Now().After(deadline) {
			s.stop(grace)
			return &startError{why: fmt.Sprintf("nothing listened on %s within %s of the server's start", addr, startup), tail: s.tail(tailLines)}
		}
		time.Sleep(50 * time.Millisecond)
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

// waitExit waits up to d for the process to end, and reports whether it
// has: a server that a check made crash may still be dying.
func (s *serverProcess) waitExit(d time.Duration) bool {
	select {
	case <-s.done:
		return true
	case <-time.After(d):
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

// stopGrace is how long a server has to end after the checker
// interrupts it, before it is killed.
const stopGrace = 3 * time.Second

// stop interrupts the server and everything it started, as Ctrl-C
// would, and kills them if they are still there after grace. Whatever
// is left of its process group once it has exited is killed too.
func (s *serverProcess) stop(grace time.Duration) {
	if !s.exited() {
		interrupt(s.cmd)
		if !s.waitExit(grace) {
			kill(s.cmd)
			<-s.done
		}
	}
	s.killGroup()
}

// killGroup kills what is left of the server's process group: the
// children of a shell or of go run that outlived it.
func (s *serverProcess) killGroup() {
	kill(s.cmd)
}
