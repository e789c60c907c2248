package tests

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The evidence in docs/evidence/ shows, with strace, which system calls
// step 1, Go's net package, step 8 and step 9 make. These tests keep it honest:
// they run the programs under strace again and check the calls that the
// transcripts show, and they check that the checked-in transcripts
// still hold those calls, in order.

// A wantCall is one system call that a trace must show, as a pattern
// over one line of strace output without its process id. FD in the
// pattern stands for the listening socket's descriptor, once a pattern
// with an fd group has found it; CONN likewise stands for a connection's
// descriptor, once a pattern with a conn group has found it.
type wantCall struct {
	what    string // how the call reads in a message
	pattern string
}

// step1Calls are the calls that step1-socket makes by hand, as the
// article's Python does: a plain blocking TCP socket, SO_REUSEADDR,
// bind, a backlog of 1, and accept. (Go's syscall.Accept is accept4 with
// no flags on Linux; other systems may show accept.)
var step1Calls = []wantCall{
	{"socket(AF_INET, SOCK_STREAM, …)", `^socket\(AF_INET, SOCK_STREAM, IPPROTO_(IP|TCP)\) += \d+$`},
	{"setsockopt(…, SOL_SOCKET, SO_REUSEADDR, [1], …)", `^setsockopt\((?P<fd>\d+), SOL_SOCKET, SO_REUSEADDR, \[1\], 4\) += 0$`},
	{"bind(… 127.0.0.1 …)", `^bind\(FD, \{sa_family=AF_INET, sin_port=htons\(\w+\), sin_addr=inet_addr\("127\.0\.0\.1"\)\}, 16\) += 0$`},
	{"listen(…, 1)", `^listen\(FD, 1\) += 0$`},
	{"accept(…) of a client on 127.0.0.1", `^accept4?\(FD, \{sa_family=AF_INET, sin_port=htons\(\w+\), sin_addr=inet_addr\("127\.0\.0\.1"\)\}, \[(\d+ => )?16\](, 0)?\) += \d+$`},
}

// netListenCalls are the same calls as Go's net package makes them in
// listen-with-net: non-blocking, close-on-exec sockets (TCP or, since
// Go 1.24, Multipath TCP), a backlog from /proc/sys/net/core/somaxconn,
// and accept4.
var netListenCalls = []wantCall{
	{"socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, …)", `^socket\(AF_INET, SOCK_STREAM\|SOCK_CLOEXEC\|SOCK_NONBLOCK, IPPROTO_(TCP|MPTCP)\) += \d+$`},
	{"setsockopt(…, SOL_SOCKET, SO_REUSEADDR, [1], …)", `^setsockopt\((?P<fd>\d+), SOL_SOCKET, SO_REUSEADDR, \[1\], 4\) += 0$`},
	{"bind(… 127.0.0.1 …)", `^bind\(FD, \{sa_family=AF_INET, sin_port=htons\(\w+\), sin_addr=inet_addr\("127\.0\.0\.1"\)\}, 16\) += 0$`},
	{"listen(…, backlog)", `^listen\(FD, \d+\) += 0$`},
	{"accept4(…, SOCK_CLOEXEC|SOCK_NONBLOCK) of a client on 127.0.0.1", `^accept4\(FD, \{sa_family=AF_INET, sin_port=htons\(\w+\), sin_addr=inet_addr\("127\.0\.0\.1"\)\}, \[\d+ => 16\], SOCK_CLOEXEC\|SOCK_NONBLOCK\) += \d+$`},
}

// step8Calls are the calls of step8-threads, serving one request: step
// 1's blocking socket, with step 7's backlog of 1024; an accept4 without
// flags, so that the connection is blocking too; then the request read
// from it, and the response written to it, each after the setsockopt
// that bounds how long the call may block (SO_RCVTIMEO, SO_SNDTIMEO;
// recent strace prints them as SO_RCVTIMEO_OLD and SO_SNDTIMEO_OLD, the
// options' original numbers, which take the struct timeval that Go's
// syscall package passes).
var step8Calls = []wantCall{
	step1Calls[0], step1Calls[1], step1Calls[2],
	{"listen(…, 1024)", `^listen\(FD, 1024\) += 0$`},
	{"accept4(…, 0) that returns a blocking connection", `^accept4\(FD, \{sa_family=AF_INET, sin_port=htons\(\w+\), sin_addr=inet_addr\("127\.0\.0\.1"\)\}, \[(\d+ => )?16\], 0\) += (?P<conn>\d+)$`},
	{"setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, …)", `^setsockopt\(CONN, SOL_SOCKET, SO_RCVTIMEO(_OLD)?, .*\) += 0$`},
	{"read(connection, the request …)", `^read\(CONN, "GET / HTTP/1\.1\\r\\n.*, \d+\) += [1-9]\d*$`},
	{"setsockopt(connection, SOL_SOCKET, SO_SNDTIMEO, …)", `^setsockopt\(CONN, SOL_SOCKET, SO_SNDTIMEO(_OLD)?, .*\) += 0$`},
	{"write(connection, the response …)", `^write\(CONN, "HTTP/1\.1 200 OK\\r\\n.*, \d+\) += [1-9]\d*$`},
}

// step9Calls are the calls of step9-goroutines, serving one request: the
// calls of net.Listen, on a non-blocking socket, which is registered with
// the runtime's poller (epoll_ctl ADD); an accept4 that finds no client
// and fails with EAGAIN instead of waiting (the goroutine parks on the
// poller); later, woken by the poller, the accept4 that returns the
// connection, non-blocking too; then the request read from it and the
// response written to it.
var step9Calls = []wantCall{
	netListenCalls[0], netListenCalls[1], netListenCalls[2], netListenCalls[3], // socket, setsockopt, bind, listen
	{"epoll_ctl(…, EPOLL_CTL_ADD, the listening socket, …)", `^epoll_ctl\(\d+, EPOLL_CTL_ADD, FD, \{events=EPOLLIN\|EPOLLOUT\|EPOLLRDHUP\|EPOLLET, data=\{[^}]*\}\}\) += 0$`},
	{"accept4(…) = -1 EAGAIN: no client yet, and the goroutine parks", `^accept4\(FD, 0x\w+, \[\d+\], SOCK_CLOEXEC\|SOCK_NONBLOCK\) += -1 EAGAIN \(Resource temporarily unavailable\)$`},
	{"accept4(…, SOCK_CLOEXEC|SOCK_NONBLOCK) that returns the connection", `^accept4\(FD, \{sa_family=AF_INET, sin_port=htons\(\w+\), sin_addr=inet_addr\("127\.0\.0\.1"\)\}, \[\d+ => 16\], SOCK_CLOEXEC\|SOCK_NONBLOCK\) += (?P<conn>\d+)$`},
	{"read(connection, the request …)", `^read\(CONN, "GET / HTTP/1\.1\\r\\n.*, \d+\) += [1-9]\d*$`},
	{"write(connection, the response …)", `^write\(CONN, "HTTP/1\.1 200 OK\\r\\n.*, \d+\) += [1-9]\d*$`},
}

// TestEvidenceStep1MakesTheArticlesSystemCalls runs step1-socket under
// strace, connects once, stops it with Ctrl-C, and checks the calls it
// made, in order.
func TestEvidenceStep1MakesTheArticlesSystemCalls(t *testing.T) {
	t.Parallel()
	strace := straceOrSkip(t)
	trace := filepath.Join(t.TempDir(), "step1.strace")
	addr, straced := startTraced(t, strace, trace, "network", filepath.Join(binDir, "step1-socket"), servingLine)
	exchange(t, addr, 0)
	// Wait until the step waits in its next accept, then press Ctrl-C.
	waitForLines(t, trace, `^\d+ +accept4?\(`, 2)
	interruptTraced(t, trace, straced)
	checkCallsInOrder(t, "step1-socket under strace", readTrace(t, trace), step1Calls)
}

// TestEvidenceNetListenMakesTheSameSystemCalls builds listen-with-net
// from docs/evidence/, runs it under strace, connects once (it exits
// after one connection), and checks that net.Listen and Accept made
// the calls that step 1 makes by hand.
func TestEvidenceNetListenMakesTheSameSystemCalls(t *testing.T) {
	t.Parallel()
	strace := straceOrSkip(t)
	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", dir+string(os.PathSeparator), "./docs/evidence/listen-with-net")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./docs/evidence/listen-with-net: %v\n%s", err, out)
	}
	trace := filepath.Join(dir, "net.strace")
	addr, straced := startTraced(t, strace, trace, "network", filepath.Join(dir, "listen-with-net"), netServingLine)
	exchange(t, addr, 0)
	waitTraced(t, straced)
	checkCallsInOrder(t, "listen-with-net under strace", readTrace(t, trace), netListenCalls)
}

// TestEvidenceStep8BlocksInTheKernel runs step8-threads under strace,
// with the poller's calls and read and write traced too, has it serve
// one request, stops it with Ctrl-C, and checks that it made step 7's
// blocking calls, and that none of its sockets went to the runtime's
// poller: no epoll_ctl names them.
func TestEvidenceStep8BlocksInTheKernel(t *testing.T) {
	t.Parallel()
	strace := straceOrSkip(t)
	trace := filepath.Join(t.TempDir(), "step8.strace")
	addr, straced := startTraced(t, strace, trace, "%network,/^epoll_,read,write", filepath.Join(binDir, "step8-threads"), servingLine)
	reply := talk(t, addr, 0, true, [][]byte{[]byte("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")})
	if !bytes.HasPrefix(reply, []byte("HTTP/1.1 200 OK\r\n")) {
		t.Errorf("step 8 answered %q, want HTTP/1.1 200 OK", reply)
	}
	interruptTraced(t, trace, straced)
	calls := readTrace(t, trace)
	checkCallsInOrder(t, "step8-threads under strace", calls, step8Calls)
	// The runtime registers descriptors of its own with epoll (and tries
	// files it opens before the socket, whose numbers the socket may take
	// again): look from the listening socket on.
	socket := indexOfMatch(calls, regexp.MustCompile(step1Calls[0].pattern), 0)
	if i := indexOfMatch(calls, regexp.MustCompile(`^epoll_ctl\(\d+, EPOLL_CTL_ADD, `), max(socket, 0)); socket >= 0 && i >= 0 {
		t.Errorf("step8-threads registered a descriptor with the poller after its socket call, want none: %s", calls[i])
	}
}

// TestEvidenceStep9ParksOnThePoller runs step9-goroutines under
// strace, with the poller's calls and read and write traced too, has it
// serve one request, stops it with Ctrl-C, and checks that its
// goroutines waited on the poller, not in the kernel: every socket
// non-blocking and registered with epoll, an accept4 that fails with
// EAGAIN before the one that returns the connection.
func TestEvidenceStep9ParksOnThePoller(t *testing.T) {
	t.Parallel()
	strace := straceOrSkip(t)
	trace := filepath.Join(t.TempDir(), "step9.strace")
	addr, straced := startTraced(t, strace, trace, "%network,/^epoll_,read,write", filepath.Join(binDir, "step9-goroutines"), servingLine)
	// Step 9 says where it listens just before its accept loop starts:
	// connect once the first accept4 has found nobody, so that the
	// trace shows it.
	waitForLines(t, trace, `accept4.* = -1 EAGAIN`, 1)
	// One request; step 9 answers it with Connection: close, shuts down
	// its sending side, and closes the connection once the client,
	// having hung up its own, is gone.
	reply := talk(t, addr, 0, true, [][]byte{[]byte("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")})
	if !bytes.HasPrefix(reply, []byte("HTTP/1.1 200 OK\r\n")) {
		t.Errorf("step 9 answered %q, want HTTP/1.1 200 OK", reply)
	}
	interruptTraced(t, trace, straced)
	checkCallsInOrder(t, "step9-goroutines under strace", readTrace(t, trace), step9Calls)
}

// TestEvidenceTranscriptsShowTheCallsInOrder checks the transcripts that
// are checked in, so that a new capture that lost a call, or mixed up
// their order, fails.
func TestEvidenceTranscriptsShowTheCallsInOrder(t *testing.T) {
	for _, tt := range []struct {
		file  string
		calls []wantCall
	}{
		{"strace-step1.txt", step1Calls},
		{"strace-net-listen.txt", netListenCalls},
		{"strace-step9.txt", step9Calls},
	} {
		t.Run(tt.file+" shows the calls in order", func(t *testing.T) {
			checkCallsInOrder(t, tt.file, readTrace(t, filepath.Join("..", "docs", "evidence", tt.file)), tt.calls)
		})
	}
	t.Run("tcpdump-step3.txt shows the handshake, the exchange and both FINs", func(t *testing.T) {
		data, err := os.ReadFile(filepath.Join("..", "docs", "evidence", "tcpdump-step3.txt"))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(data), "\n")
		checkCallsInOrder(t, "tcpdump-step3.txt", lines, []wantCall{
			{"the client's SYN", `^IP 127\.0\.0\.1\.CLIENT > 127\.0\.0\.1\.PORT: Flags \[S\], seq 0,`},
			{"the server's SYN-ACK", `^IP 127\.0\.0\.1\.PORT > 127\.0\.0\.1\.CLIENT: Flags \[S\.\], seq 0, ack 1,`},
			{"the client's ACK", `^IP 127\.0\.0\.1\.CLIENT > 127\.0\.0\.1\.PORT: Flags \[\.\], ack 1,`},
			{"the request line", `^ +GET / HTTP/1\.1\\r\\n$`},
			{"the status line", `^ +HTTP/1\.1 200 OK\\r\\n$`},
			{"the body", `^ +Hello, World!$`},
		})
		for _, fin := range []wantCall{
			{"the server's FIN", `^IP 127\.0\.0\.1\.PORT > 127\.0\.0\.1\.CLIENT: Flags \[F\.\]`},
			{"the client's FIN", `^IP 127\.0\.0\.1\.CLIENT > 127\.0\.0\.1\.PORT: Flags \[F\.\]`},
		} {
			// Which side's FIN comes first is a race between the two
			// processes; both must come after the body.
			body := indexOfMatch(lines, regexp.MustCompile(`^ +Hello, World!$`), 0)
			if indexOfMatch(lines, regexp.MustCompile(fin.pattern), body+1) < 0 {
				t.Errorf("tcpdump-step3.txt does not show %s after the response; recapture with bash docs/evidence/capture.sh", fin.what)
			}
		}
	})
}

// netServingLine is the line listen-with-net prints once it listens.
var netServingLine = regexp.MustCompile(`^Serving on (\S+)$`)

var (
	straceProbe    sync.Once
	straceProbeErr error
)

// straceOrSkip returns the path of strace, or skips the test where
// strace is missing or may not trace (ptrace not permitted, as in many
// containers).
func straceOrSkip(t *testing.T) string {
	t.Helper()
	strace, err := exec.LookPath("strace")
	if err != nil {
		t.Skip("strace is not installed (Debian: apt-get install strace); .ci/run installs it")
	}
	straceProbe.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, strace, "-f", "-o", os.DevNull, "true").CombinedOutput()
		if err != nil {
			straceProbeErr = fmt.Errorf("%v: %s", err, strings.TrimSpace(string(out)))
		}
	})
	if straceProbeErr != nil {
		t.Skipf("strace cannot trace here; ptrace is probably not permitted (in a container, it needs CAP_SYS_PTRACE): strace -f true: %v", straceProbeErr)
	}
	return strace
}

// startTraced starts program -addr 127.0.0.1:0 under strace -f -e
// trace=CALLS, writing the trace to trace, and waits until the program
// says where it listens (the first line it prints, matched by serving).
// It returns the address and the running strace.
func startTraced(t *testing.T, strace, trace, calls, program string, serving *regexp.Regexp) (string, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(strace, "-f", "-e", "trace="+calls, "-o", trace, program, "-addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start strace: %v", err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState != nil {
			return
		}
		// A test that failed halfway: stop the traced program (strace
		// would leave it running when it ends), then strace.
		if pid := firstPid(trace); pid > 0 {
			if p, err := os.FindProcess(pid); err == nil {
				p.Kill()
			}
		}
		cmd.Process.Kill()
		cmd.Wait()
	})
	first := make(chan string, 1)
	go func() {
		lines := bufio.NewScanner(stdout)
		if lines.Scan() {
			first <- lines.Text()
		}
		close(first)
		for lines.Scan() { // read the rest, so that the program never blocks
		}
	}()
	select {
	case line, ok := <-first:
		m := serving.FindStringSubmatch(line)
		if m == nil {
			cmd.Process.Kill()
			cmd.Wait()
			if !ok && strings.Contains(stderr.String(), "ptrace") {
				t.Skipf("strace cannot trace here (ptrace is not permitted): %s", stderr.String())
			}
			t.Fatalf("%s under strace printed %q first, want a line like %q; strace said:\n%s",
				filepath.Base(program), line, serving.String(), stderr.String())
		}
		return m[1], cmd
	case <-time.After(10 * time.Second):
		t.Fatalf("%s under strace did not say where it listens within 10s", filepath.Base(program))
	}
	return "", nil
}

// interruptTraced presses Ctrl-C: it sends SIGINT to the traced program,
// and waits until it, and strace, have exited. strace ignores SIGINT
// while it runs a program, so the signal goes to the program itself: the
// process that made the first call in the trace.
func interruptTraced(t *testing.T, trace string, straced *exec.Cmd) {
	t.Helper()
	program, err := os.FindProcess(tracedPid(t, trace))
	if err == nil {
		err = program.Signal(os.Interrupt)
	}
	if err != nil {
		t.Fatalf("interrupt the traced program: %v", err)
	}
	waitTraced(t, straced)
}

// waitTraced waits until strace, and so the traced program, has exited.
func waitTraced(t *testing.T, straced *exec.Cmd) {
	t.Helper()
	exited := make(chan error, 1)
	go func() { exited <- straced.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("the traced program exited with %v, want status 0", err)
		}
	case <-time.After(10 * time.Second):
		straced.Process.Kill()
		t.Fatal("the traced program did not exit within 10s")
	}
}

// tracedPid returns the process id of the traced program: the id in
// front of the first line of the trace.
func tracedPid(t *testing.T, trace string) int {
	t.Helper()
	pid := firstPid(trace)
	if pid <= 0 {
		t.Fatalf("no process id in front of the first line of the trace")
	}
	return pid
}

// firstPid returns the process id in front of the first line of the
// trace, or 0.
func firstPid(trace string) int {
	data, _ := os.ReadFile(trace)
	if m := stracePid.FindSubmatch(data); m != nil {
		pid, _ := strconv.Atoi(string(m[1]))
		return pid
	}
	return 0
}

// waitForLines waits up to 5s until n lines of the trace file match
// pattern. A call that has not returned yet counts: strace writes its
// start at once.
func waitForLines(t *testing.T, trace, pattern string, n int) {
	t.Helper()
	re := regexp.MustCompile(pattern)
	deadline := time.Now().Add(5 * time.Second)
	for {
		data, _ := os.ReadFile(trace)
		found := 0
		for _, line := range strings.Split(string(data), "\n") {
			if re.MatchString(line) {
				found++
			}
		}
		if found >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d lines of the trace match %s after 5s, want %d:\n%s", found, pattern, n, data)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// readTrace reads an strace output file, raw or normalised, as one call
// per line without process ids.
func readTrace(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return straceCalls(string(data))
}

var (
	stracePid      = regexp.MustCompile(`^(\d+) +`)
	straceResumed  = regexp.MustCompile(`^<\.\.\. \w+ resumed>`)
	straceUnfinish = regexp.MustCompile(` <unfinished \.\.\.>$`)
)

// straceCalls turns strace -f output into one call per line: it drops
// the process ids and joins a call that another thread's line cut in two
// (<unfinished ...>, then <... NAME resumed>) back into one line.
func straceCalls(text string) []string {
	var calls []string
	open := map[string]int{} // process id → index of its unfinished call
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		pid := ""
		if m := stracePid.FindStringSubmatch(line); m != nil {
			pid, line = m[1], line[len(m[0]):]
		}
		if loc := straceResumed.FindStringIndex(line); loc != nil {
			if i, ok := open[pid]; ok {
				calls[i] += line[loc[1]:]
				delete(open, pid)
			}
			continue
		}
		if straceUnfinish.MatchString(line) {
			open[pid] = len(calls)
			line = straceUnfinish.ReplaceAllString(line, "")
		}
		calls = append(calls, line)
	}
	return calls
}

// checkCallsInOrder checks that lines hold a match of each wanted call,
// each after the one before. A descriptor that a pattern's fd or conn
// group finds stands for FD or CONN in the patterns after it.
func checkCallsInOrder(t *testing.T, name string, lines []string, want []wantCall) {
	t.Helper()
	descriptors := map[string]string{"FD": `\d+`, "CONN": `\d+`}
	from := 0
	for _, w := range want {
		pattern := w.pattern
		for placeholder, fd := range descriptors {
			pattern = strings.ReplaceAll(pattern, placeholder, fd)
		}
		re := regexp.MustCompile(pattern)
		i := indexOfMatch(lines, re, from)
		if i < 0 {
			t.Errorf("%s does not show %s after line %d (pattern %s):\n%s",
				name, w.what, from, re, strings.Join(lines, "\n"))
			return
		}
		match := re.FindStringSubmatch(lines[i])
		for group, groupName := range re.SubexpNames() {
			if placeholder := strings.ToUpper(groupName); descriptors[placeholder] != "" {
				descriptors[placeholder] = match[group]
			}
		}
		from = i + 1
	}
}

// indexOfMatch returns the index of the first of lines, from from on,
// that re matches, or -1.
func indexOfMatch(lines []string, re *regexp.Regexp, from int) int {
	for i := from; i < len(lines); i++ {
		if re.MatchString(lines[i]) {
			return i
		}
	}
	return -1
}
