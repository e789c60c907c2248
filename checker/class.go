package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"
)

// class grades every student of a roster (-class): it starts each
// student's server with their command, grades it as -- mode does, and
// stops it, a few students at once.
type class struct {
	stages    int           // grade stages 1 to stages
	timeout   time.Duration // bound on each check
	startup   time.Duration // how long a server may take to listen
	limit     time.Duration // how long one student's grading may take once the server listens
	jobs      int           // students graded at once
	lang      string        // the language of the messages
	reportDir string        // where to write the report, or ""
	asJSON    bool          // print the results as JSON instead of a table
	stdout    io.Writer     // the summary
	stderr    io.Writer     // a line per student as each finishes, and the checker's errors

	mu       sync.Mutex
	ports    map[string]bool // the ports handed out so far
	finished int             // students done so far
}

// student is one line of a roster: NAME: COMMAND.
type student struct {
	name, command string
}

// classGrace is how long a student's server has to end after the
// checker interrupts it, before it is killed: shorter than -- mode's,
// so that a server that ignores Ctrl-C does not hold up the class.
const classGrace = 500 * time.Millisecond

// parseRoster reads a roster: one student a line, NAME: COMMAND, the
// name before the first colon; blank lines and lines that start with #
// are ignored. Names must be unique.
func parseRoster(text string) ([]student, error) {
	var students []student
	seen := map[string]int{}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, command, found := strings.Cut(line, ":")
		name, command = strings.TrimSpace(name), strings.TrimSpace(command)
		switch {
		case !found:
			return nil, fmt.Errorf("line %d: %q is not NAME: COMMAND", i+1, line)
		case name == "":
			return nil, fmt.Errorf("line %d: no name before the colon", i+1)
		case command == "":
			return nil, fmt.Errorf("line %d: %s has no command after the colon", i+1, name)
		case seen[name] > 0:
			return nil, fmt.Errorf("line %d: %s is already on line %d", i+1, name, seen[name])
		}
		seen[name] = i + 1
		students = append(students, student{name, command})
	}
	if len(students) == 0 {
		return nil, errors.New("it names no student")
	}
	return students, nil
}

// studentResult is how one student's server did, as results.json
// holds it.
type studentResult struct {
	Name          string `json:"name"`
	Command       string `json:"command"`
	Graded        bool   `json:"graded"` // false when the server never listened
	StagesAsked   int    `json:"stages_asked"`
	HighestPassed int    `json:"highest_passed"`
	Passed        bool   `json:"passed"` // every stage asked for passed
	// Why says why the student was not graded, or why grading was cut
	// short (the time limit, Ctrl-C).
	Why string `json:"why,omitempty"`
	// Exited is the server's exit status when it exited during grading.
	Exited     string   `json:"exited,omitempty"`
	Checks     []result `json:"checks"`
	OutputTail []string `json:"output_tail"` // the last lines the server printed
	// Seconds is how long the grading took, from the server's start to
	// its stop.
	Seconds float64 `json:"seconds"`
}

// firstFailure returns the check that failed, if one did.
func (r studentResult) firstFailure() (result, bool) {
	for _, c := range r.Checks {
		if c.Status == "fail" {
			return c, true
		}
	}
	return result{}, false
}

// run grades the class of the roster at path and returns the exit
// status: 0 when every student was graded, whatever their marks; 1 when
// some could not be (their server never listened); 2 when the roster
// cannot be read, the report cannot be written, or Ctrl-C stopped it.
func (c *class) run(path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(c.stderr, "checker: read the roster:", err)
		return exitCannotGo
	}
	students, err := parseRoster(string(data))
	if err != nil {
		fmt.Fprintf(c.stderr, "checker: the roster %s: %v\n", path, err)
		return exitCannotGo
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		fmt.Fprintln(c.stderr, "checker:", err)
		return exitCannotGo
	}
	dir := filepath.Dir(abs)
	if c.reportDir != "" {
		if err := os.MkdirAll(c.reportDir, 0o755); err != nil {
			fmt.Fprintln(c.stderr, "checker: the report:", err)
			return exitCannotGo
		}
	}

	// Ctrl-C (or SIGTERM) stops every server that is up (each grade
	// watches ctx), and grades no one more.
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	c.ports = map[string]bool{}

	results := make([]studentResult, len(students))
	slots := make(chan struct{}, c.jobs)
	var wg sync.WaitGroup
	for i, st := range students {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			results[i] = c.grade(ctx, st, dir)
			c.mu.Lock()
			c.finished++
			fmt.Fprintf(c.stderr, "[%d/%d] %s: %s\n", c.finished, len(students), st.name, c.verdict(results[i]))
			c.mu.Unlock()
		})
	}
	wg.Wait()

	if c.asJSON {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		enc.Encode(results)
	} else {
		c.summary(results, ctx.Err() != nil)
	}
	if c.reportDir != "" {
		if err := c.writeReport(results); err != nil {
			fmt.Fprintln(c.stderr, "checker: the report:", err)
			return exitCannotGo
		}
		fmt.Fprintln(c.stderr, c.say("The report is in ", "报告在 ")+filepath.Join(c.reportDir, "index.html"))
	}
	if ctx.Err() != nil {
		fmt.Fprintln(c.stderr, "checker: interrupted: the students not yet graded were not")
		return exitCannotGo
	}
	for _, r := range results {
		if !r.Graded {
			return exitFailed
		}
	}
	return exitPassed
}

// say picks the English or the Chinese form of a line.
func (c *class) say(en, zh string) string {
	if c.lang == "zh-CN" {
		return zh
	}
	return en
}

// grade starts one student's server on a free port, grades it, and
// stops it and everything it started, whatever happens.
func (c *class) grade(ctx context.Context, st student, dir string) (r studentResult) {
	r = studentResult{Name: st.name, Command: st.command, StagesAsked: c.stages, Checks: []result{}}
	if ctx.Err() != nil {
		r.Why = c.say("the checker was interrupted", "检查器被中断了")
		return r
	}
	port, err := c.freePort()
	if err != nil {
		r.Why = err.Error()
		return r
	}
	addr := net.JoinHostPort("127.0.0.1", port)
	command := strings.ReplaceAll(st.command, "{port}", port)
	server, err := launch([]string{"sh", "-c", command}, dir, "PORT="+port)
	if err != nil {
		r.Why = err.(*startError).why
		return r
	}
	started := time.Now()
	defer func() {
		server.stop(classGrace)
		r.OutputTail = server.tail(tailLines)
		r.Seconds = time.Since(started).Round(time.Millisecond).Seconds()
	}()

	listening := make(chan error, 1)
	go func() { listening <- server.waitListening(addr, c.startup, classGrace) }()
	select {
	case err = <-listening:
	case <-ctx.Done():
		server.stop(classGrace)
		err = <-listening
	}
	if err != nil {
		r.Why = err.(*startError).why
		if ctx.Err() != nil {
			r.Why = c.say("the checker was interrupted", "检查器被中断了")
		}
		return r
	}

	g := &grader{addr: addr, lang: c.lang, timeout: c.timeout, server: server}
	graded := make(chan report, 1)
	go func() { graded <- g.grade(c.stages, nil) }()
	var rep report
	stopped := ""
	select {
	case rep = <-graded:
	case <-time.After(c.limit):
		stopped = fmt.Sprintf(c.say("stopped: grading took longer than -student-limit %s", "被停止：打分用的时间超过了 -student-limit %s"), c.limit)
	case <-ctx.Done():
		stopped = c.say("stopped: the checker was interrupted", "被停止：检查器被中断了")
	}
	if stopped != "" {
		// The check under way fails at once without a server.
		server.killGroup()
		rep = <-graded
		if n := len(rep.Results); n > 0 && rep.Results[n-1].Status == "fail" {
			last := &rep.Results[n-1]
			last.Want, last.Got, last.Why, last.Output = "", "", stopped, nil
		}
		r.Why = stopped
	} else if server.exited() {
		r.Exited = server.exitStatus()
	}
	r.Graded, r.HighestPassed, r.Passed, r.Checks = true, rep.HighestPassed, rep.Passed && stopped == "", rep.Results
	return r
}

// freePort returns a loopback port that was free a moment ago and that
// no other student of this class got.
func (c *class) freePort() (string, error) {
	for range 20 {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			return "", fmt.Errorf("find a free port: %w", err)
		}
		_, port, _ := net.SplitHostPort(l.Addr().String())
		l.Close()
		c.mu.Lock()
		taken := c.ports[port]
		c.ports[port] = true
		c.mu.Unlock()
		if !taken {
			return port, nil
		}
	}
	return "", errors.New("find a free port: the kernel gave only ports already taken")
}

// verdict says in a line how a student did, for the line printed when
// the student is done: "passed stages 1–4, failed 5.3 ...".
func (c *class) verdict(r studentResult) string {
	if !r.Graded {
		return c.say("not graded: ", "没有打分：") + r.Why
	}
	passed := c.passedStages(r)
	f, failed := r.firstFailure()
	if !failed {
		return c.say("passed ", "通过了") + passed
	}
	what := c.failure(r, f)
	if r.Why != "" {
		// Stopped: which check was under way when the time ran out says
		// little.
		return c.say("passed ", "通过了") + passed + c.say("; ", "；") + r.Why
	}
	if r.HighestPassed == 0 {
		return c.say("failed ", "失败于 ") + what
	}
	return c.say("passed ", "通过了") + passed + c.say(", failed ", "，失败于 ") + what
}

// passedStages names the stages a student passed: "stages 1–4",
// "stage 1" or "no stage".
func (c *class) passedStages(r studentResult) string {
	switch r.HighestPassed {
	case 0:
		return c.say("no stage", "零个阶段")
	case 1:
		return c.say("stage 1", "第 1 阶段")
	}
	return fmt.Sprintf(c.say("stages 1–%d", "第 1–%d 阶段"), r.HighestPassed)
}

// passedShort names the stages a student passed, for a table: "1–4",
// "1", "none" or "not graded".
func (c *class) passedShort(r studentResult) string {
	switch {
	case !r.Graded:
		return c.say("not graded", "没有打分")
	case r.HighestPassed == 0:
		return c.say("none", "无")
	case r.HighestPassed == 1:
		return "1"
	}
	return "1–" + strconv.Itoa(r.HighestPassed)
}

// failure names the check that failed, or says why grading stopped,
// and says when the server exited.
func (c *class) failure(r studentResult, f result) string {
	if r.Why != "" {
		return r.Why
	}
	what := f.ID + " " + f.Name
	if r.Exited != "" {
		what += fmt.Sprintf(c.say(": the server exited (%s)", "：服务器退出了（%s）"), r.Exited)
	}
	return what
}

// summary prints the class as a table: each student, the stages passed,
// and the first check that failed.
func (c *class) summary(results []studentResult, interrupted bool) {
	graded := 0
	for _, r := range results {
		if r.Graded {
			graded++
		}
	}
	fmt.Fprintf(c.stdout, c.say("The class: %d students, stages 1 to %d.\n", "全班：%d 个学生，第 1 到 %d 阶段。\n"), len(results), c.stages)
	w := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, c.say("STUDENT\tPASSED\tFIRST FAILING CHECK", "学生\t通过的阶段\t第一个失败的检查"))
	for _, r := range results {
		passed, first := c.passedShort(r), c.say("none", "无")
		if !r.Graded {
			first = r.Why
		}
		if f, failed := r.firstFailure(); failed {
			first = c.failure(r, f)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", r.Name, passed, first)
	}
	w.Flush()
	switch {
	case interrupted:
		fmt.Fprintf(c.stdout, c.say("%d of %d students were graded: the checker was interrupted.\n", "%[2]d 个学生中有 %[1]d 个打了分：检查器被中断了。\n"), graded, len(results))
	case graded == len(results):
		fmt.Fprintf(c.stdout, c.say("All %d students were graded.\n", "全部 %d 个学生都打了分。\n"), graded)
	default:
		fmt.Fprintf(c.stdout, c.say("%d of %d students were graded: a server that never listened cannot be.\n", "%[2]d 个学生中有 %[1]d 个打了分：从未开始监听的服务器无法打分。\n"), graded, len(results))
	}
}
