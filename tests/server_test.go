package tests

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// steps are the step directories, in the order of the chapters.
var steps = []string{
	"step1-socket",
	"step2-request-print",
	"step3-response",
	"step4-parse",
	"step5-limits",
	"step6-gateway",
	"step7-processes",
	"step8-threads",
	"step9-goroutines",
	"step10-keep-alive",
	"step11-event-loop",
}

// keepAliveSteps are the steps that keep a connection open after a
// response, for the client's next request (HTTP/1.1's keep-alive).
var keepAliveSteps = map[string]bool{"step10-keep-alive": true, "step11-event-loop": true}

// tools are the programs beside the steps that the tests run too, by
// their directory; each binary is named after the directory's last
// element.
var tools = []string{"checker", "client"}

// binDir holds the step and tool binaries that TestMain builds.
var binDir string

// TestMain builds every step and tool once, with the race detector when the tests
// themselves run with it, so that each test only starts a process.
func TestMain(m *testing.M) {
	flag.Parse()
	// The tests mostly wait on processes, sockets and timeouts, not the
	// CPU: let many more of them run at once than the default of one per
	// core, unless -parallel says otherwise. (The browser tests run their
	// cases one after another, so that few Chromiums start at once.)
	// Under the race detector every process is several times slower and
	// larger: fewer at once, so that the timeouts the tests set still
	// measure the servers, not a crowded machine.
	if f := flag.Lookup("test.parallel"); f != nil && f.Value.String() == strconv.Itoa(runtime.GOMAXPROCS(0)) {
		if raceEnabled {
			flag.Set("test.parallel", "8")
		} else {
			flag.Set("test.parallel", "32")
		}
	}
	dir, err := os.MkdirTemp("", "lsbaws-steps-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "tests:", err)
		os.Exit(1)
	}
	binDir = dir
	code := 1
	if err := buildSteps(dir); err != nil {
		fmt.Fprintln(os.Stderr, "tests:", err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

func buildSteps(dir string) error {
	args := []string{"build", "-o", dir + string(os.PathSeparator)}
	if raceEnabled {
		args = append(args, "-race")
	}
	for _, dir := range append(append([]string{}, steps...), tools...) {
		args = append(args, "./"+dir)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build the steps and tools: %w\n%s", err, out)
	}
	return nil
}

// server is one step running as a process.
type server struct {
	t    *testing.T
	cmd  *exec.Cmd
	addr string // host:port it listens on
	// keepsAlive says that the server keeps a connection open after its
	// response: a client that has sent all it has to send says so.
	keepsAlive bool

	mu      sync.Mutex
	console bytes.Buffer // what it printed, stdout and stderr in order
	done    chan struct{}
}

// servingLine is the line every step prints once it listens.
var servingLine = regexp.MustCompile(`^Serving HTTP on (\S+) \.\.\.$`)

// startStep starts a step on a port of the kernel's choosing, with any
// further flags given, and waits until it says where it listens. The process is stopped when the test
// ends, if the test has not stopped it.
func startStep(t *testing.T, step string, flags ...string) *server {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, step), append([]string{"-addr", "127.0.0.1:0"}, flags...)...)
	reader, writer, err := os.Pipe()
	if err != nil {
		t.Fatalf("pipe: %v", err)
	}
	// One pipe for both streams keeps their lines in the order printed.
	cmd.Stdout, cmd.Stderr = writer, writer
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", step, err)
	}
	writer.Close()

	s := &server{t: t, cmd: cmd, keepsAlive: keepAliveSteps[step], done: make(chan struct{})}
	firstLine := make(chan string, 1)
	go func() {
		defer close(s.done)
		lines := bufio.NewReader(reader)
		for first := true; ; first = false {
			line, err := lines.ReadBytes('\n')
			s.mu.Lock()
			s.console.Write(line)
			s.mu.Unlock()
			if first {
				firstLine <- string(line)
			}
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})

	select {
	case line := <-firstLine:
		m := servingLine.FindStringSubmatch(strings.TrimSuffix(line, "\n"))
		if m == nil {
			t.Fatalf("%s printed %q first, want %q", step, line, "Serving HTTP on ADDRESS ...")
		}
		s.addr = m[1]
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not say where it listens within 10s", step)
	}
	return s
}

// stop interrupts the server as Ctrl-C would, checks that it exits with
// status 0, and returns all it printed.
func (s *server) stop() []byte {
	s.t.Helper()
	if s.keepsAlive {
		s.waitForClosings()
	}
	if err := s.cmd.Process.Signal(os.Interrupt); err != nil {
		s.t.Fatalf("interrupt: %v", err)
	}
	return s.waitForExit("Ctrl-C")
}

// waitForExit waits for the server to exit after what (a signal, or
// Ctrl-C), checks that its status is 0, and returns all it printed.
func (s *server) waitForExit(what string) []byte {
	s.t.Helper()
	exited := make(chan error, 1)
	go func() { exited <- s.cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			s.t.Errorf("after %s the server exited with %v, want status 0", what, err)
		}
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		s.t.Fatalf("the server did not exit within 10s of %s", what)
	}
	<-s.done
	return []byte(s.consoleText())
}

// consoleText is what the server has printed so far.
func (s *server) consoleText() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.console.String()
}

// closingWait bounds how long stop waits for a keep-alive server's
// closing lines.
const closingWait = time.Second

// waitForClosings waits, for at most closingWait, until a server that
// logs each connection's end (steps 10 and 11) has printed a "Closing
// connection" line for every "Accepted connection" line. A client sees
// the end of its response at the server's FIN, which the lingering
// close sends before it drains and logs; without the wait, the Ctrl-C
// of stop could come between the two, and "Shutting down" would print
// before the last closing line, as a student who presses Ctrl-C a
// moment later never sees. A test that stops the server with
// connections still open just waits the bound.
func (s *server) waitForClosings() {
	deadline := time.Now().Add(closingWait)
	for time.Now().Before(deadline) {
		text := s.consoleText()
		if strings.Count(text, "Closing connection") >= strings.Count(text, "Accepted connection") {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitForConsole waits until the server has printed text at least n
// times.
func (s *server) waitForConsole(text string, n int) {
	s.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(s.consoleText(), text) < n {
		if time.Now().After(deadline) {
			s.t.Fatalf("the server did not print %q %d times within 5 s:\n%s", text, n, s.consoleText())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// exchange connects to the server, sends the request in the given
// pieces, pausing between them (or, given no pieces, closes its sending
// side at once), and returns every byte that comes back
// until the server closes the connection. A reset that ends the reply is
// taken as its end: it is how a server that closes with unread request
// bytes hangs up, and what the client received before it still counts.
func exchange(t *testing.T, addr string, pause time.Duration, pieces ...[]byte) []byte {
	t.Helper()
	return talk(t, addr, pause, false, pieces)
}

// exchange is exchange with this server. A server that keeps connections
// open would wait for a next request that never comes: with it, the
// client hangs up its sending side once the request is out, as a client
// with nothing more to say does, and the server closes the connection
// when it has answered.
func (s *server) exchange(pause time.Duration, pieces ...[]byte) []byte {
	s.t.Helper()
	return talk(s.t, s.addr, pause, s.keepsAlive, pieces)
}

// talk is exchange; with hangUp, the client hangs up its sending side
// after the last piece.
func talk(t *testing.T, addr string, pause time.Duration, hangUp bool, pieces [][]byte) []byte {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("connect to %s: %v", addr, err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))

	for i, piece := range pieces {
		if i > 0 {
			time.Sleep(pause)
		}
		if _, err := conn.Write(piece); err != nil {
			// A server that has already answered and hung up may refuse
			// the rest of the request: that is its behaviour, not ours.
			if isResetOrClosed(err) {
				break
			}
			t.Fatalf("send: %v", err)
		}
	}
	if len(pieces) == 0 || hangUp {
		// A client with nothing (more) to say hangs up its sending side:
		// the server's recv returns 0 bytes, the end of the stream.
		conn.(*net.TCPConn).CloseWrite()
	}
	reply, err := io.ReadAll(conn)
	if err != nil && !isResetOrClosed(err) {
		t.Fatalf("receive: %v (after %q)", err, reply)
	}
	return reply
}

func isResetOrClosed(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// readFixture reads a request from testdata/requests/.
func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "requests", name))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return data
}

var (
	addrPattern = regexp.MustCompile(`127\.0\.0\.1:[0-9]+`)
	fdPattern   = regexp.MustCompile(`\bfd [0-9]+`)
	// datePattern matches a Date header field in HTTP's date format, and
	// only that: a Date in another format stays, and the golden file
	// catches it.
	datePattern = regexp.MustCompile(`(?m)^Date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT\r$`)
)

// normalize replaces what changes from run to run, and nothing else:
// the loopback ports that the kernel chose, the descriptor numbers, and
// the time in a response's Date field, which becomes its format,
// "Www, DD Mmm YYYY hh:mm:ss GMT".
func normalize(output []byte) []byte {
	output = addrPattern.ReplaceAll(output, []byte("127.0.0.1:PORT"))
	output = datePattern.ReplaceAll(output, []byte("Date: Www, DD Mmm YYYY hh:mm:ss GMT\r"))
	return fdPattern.ReplaceAll(output, []byte("fd N"))
}
