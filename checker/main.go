// Command checker grades a web server, anyone's, in any language, stage
// by stage, as the chapters of lsbaws-go build one: stage 1 accepts
// connections, stage 2 reads the request, stage 3 answers with valid
// HTTP/1.1, stage 4 parses the request, stage 5 runs an application
// through a gateway, stage 6 serves several clients at once, stage 7
// keeps connections open for the next request (keep-alive).
//
// Grade a server that is already running:
//
//	go run ./checker -addr 127.0.0.1:8888 -stage 3
//
// Or let the checker start it, read its output, grade it and stop it:
//
//	go run ./checker -stage 2 -- python3 webserver1.py
//	go run ./checker -stage 4 -- go run ./step4-parse
//
// It runs the checks of stages 1 to N in order and stops at the first
// that fails. Each check prints one line: PASS or FAIL, its name, and
// for a failure what it wanted, what came back (quoted, so that \r and
// \n show), why the rule exists and the chapter section that explains
// it. -json prints the same as one JSON document, for an instructor who
// collects a class's results.
//
// When the server it started exits during grading, the failing check
// says so, with the exit status, and the last lines the server printed
// follow it.
//
// Exit status: 0 when every stage asked for passes, 1 when one fails,
// 2 when it could not grade (bad flags, nothing listening); with -json,
// a server that could not be graded still gets a document, whose
// "graded" is false.
//
// A whole class at once:
//
//	checker -class ROSTER [-stage N] [-report DIR] [-jobs K]
//
// ROSTER has one student a line, NAME: COMMAND (blank lines and lines
// that start with # are ignored). Each command runs with sh in the
// roster's folder, in a process group of its own, with {port} replaced
// by a free loopback port that the checker chose, and PORT set to it;
// it is graded as -- CMD is, K students at once (the number of CPUs
// unless -jobs says), and stopped at the end whatever happens. -startup
// bounds how long a server may take to listen, -student-limit how long
// its grading may take. A line per student on standard error as each
// finishes, then a table on standard output (-json: an array); -report
// DIR writes index.html, results.csv and results.json there. Exit
// status: 0 when every student was graded, whatever their marks; 1 when
// some server never listened; 2 when the roster cannot be read.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Exit statuses.
const (
	exitPassed   = 0
	exitFailed   = 1
	exitCannotGo = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// report is the whole outcome, as -json prints it.
type report struct {
	Addr          string   `json:"addr"`
	Graded        bool     `json:"graded"` // false when the checker could not grade: nothing listened
	StagesAsked   int      `json:"stages_asked"`
	HighestPassed int      `json:"highest_passed"`
	Passed        bool     `json:"passed"`
	Why           string   `json:"why,omitempty"`         // why it could not grade
	OutputTail    []string `json:"output_tail,omitempty"` // the last lines of a server that never listened
	Results       []result `json:"results"`
}

// run is the whole command: it parses args, grades, prints to stdout
// and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("checker", flag.ContinueOnError)
	flags.SetOutput(stderr)
	addr := flags.String("addr", "127.0.0.1:8888", "`host:port` where the server listens")
	stages := flags.Int("stage", maxStages, fmt.Sprintf("grade stages 1 to `N` (at most %d)", maxStages))
	asJSON := flags.Bool("json", false, "print the results as one JSON document")
	timeout := flags.Duration("timeout", 5*time.Second, "bound on each check")
	startup := flags.Duration("startup", 60*time.Second, "with -- CMD or -class: how long a server may take to start listening")
	lang := flags.String("lang", "en", "the language of the messages: en, or zh-CN for Simplified Chinese")
	roster := flags.String("class", "", "grade a whole class: the `ROSTER` file has one student a line, NAME: COMMAND")
	reportDir := flags.String("report", "", "with -class: write index.html, results.csv and results.json into `DIR`")
	jobs := flags.Int("jobs", runtime.NumCPU(), "with -class: how many students to grade at once")
	limit := flags.Duration("student-limit", 2*time.Minute, "with -class: how long one student's grading may take, once the server listens")
	flags.Usage = func() {
		fmt.Fprintln(stderr, "usage: checker [flags] [-- CMD ARGS...]")
		fmt.Fprintln(stderr, "       checker -class ROSTER [-stage N] [-report DIR] [-jobs K] [flags]")
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		return exitCannotGo
	}
	if *stages < 1 || *stages > maxStages {
		fmt.Fprintf(stderr, "checker: -stage must be 1 to %d\n", maxStages)
		return exitCannotGo
	}
	if !slices.Contains(languages, *lang) {
		fmt.Fprintf(stderr, "checker: -lang must be one of %s\n", strings.Join(languages, ", "))
		return exitCannotGo
	}
	if *timeout <= 0 {
		fmt.Fprintln(stderr, "checker: -timeout must be positive")
		return exitCannotGo
	}
	if *roster != "" {
		if len(flags.Args()) > 0 {
			fmt.Fprintln(stderr, "checker: -class takes each student's command from the roster, not after --")
			return exitCannotGo
		}
		if *jobs < 1 || *limit <= 0 || *startup <= 0 {
			fmt.Fprintln(stderr, "checker: -jobs, -student-limit and -startup must be positive")
			return exitCannotGo
		}
		c := class{stages: *stages, timeout: *timeout, startup: *startup, limit: *limit, jobs: *jobs,
			lang: *lang, reportDir: *reportDir, asJSON: *asJSON, stdout: stdout, stderr: stderr}
		return c.run(*roster)
	}
	if *reportDir != "" {
		fmt.Fprintln(stderr, "checker: -report goes with -class")
		return exitCannotGo
	}

	rep := report{Addr: *addr, StagesAsked: *stages, Results: []result{}}
	out := newPrinter(stdout, *asJSON, *lang)
	g := &grader{addr: *addr, lang: *lang, timeout: *timeout}
	if command := flags.Args(); len(command) > 0 {
		server, err := startServer(command, *addr, *startup, "")
		if err != nil {
			fmt.Fprintln(stderr, "checker:", err)
			rep.Why = err.Error()
			if se, ok := err.(*startError); ok {
				rep.Why, rep.OutputTail = se.why, se.tail
			}
			out.end(rep)
			return exitCannotGo
		}
		defer server.stop(stopGrace)
		g.server = server
	} else if conn, err := net.DialTimeout("tcp", *addr, *timeout); err != nil {
		fmt.Fprintf(stderr, "checker: nothing is listening on %s (%v); start your server first, or give its command after --\n", *addr, errors.Unwrap(err))
		rep.Why = fmt.Sprintf("nothing is listening on %s (%v)", *addr, errors.Unwrap(err))
		out.end(rep)
		return exitCannotGo
	} else {
		conn.Close()
	}

	rep = g.grade(*stages, out)
	if !rep.Passed {
		return exitFailed
	}
	return exitPassed
}

// grade runs the stages 1 to stages in order, and stops at the first
// that fails; out, if not nil, prints the results as they come.
func (g *grader) grade(stages int, out *printer) report {
	rep := report{Addr: g.addr, Graded: true, StagesAsked: stages, Passed: true}
	if out != nil {
		out.start(rep)
	}
	for n := 1; n <= stages; n++ {
		if out != nil {
			out.stage(n)
		}
		results, passed := g.runStage(n)
		if out != nil {
			for _, r := range results {
				out.result(r)
			}
		}
		rep.Results = append(rep.Results, results...)
		if !passed {
			rep.Passed = false
			break
		}
		rep.HighestPassed = n
	}
	if out != nil {
		out.end(rep)
	}
	return rep
}

// printer writes the results as lines of text, or gathers them into
// one JSON document.
type printer struct {
	w      io.Writer
	asJSON bool
	color  bool
	lang   string
}

func newPrinter(w io.Writer, asJSON bool, lang string) *printer {
	return &printer{w: w, asJSON: asJSON, color: isTerminal(w) && os.Getenv("NO_COLOR") == "", lang: lang}
}

// say picks the English or the Chinese form of a line.
func (p *printer) say(en, zh string) string {
	if p.lang == "zh-CN" {
		return zh
	}
	return en
}

func (p *printer) start(rep report) {
	if !p.asJSON {
		fmt.Fprintf(p.w, p.say("Checking the server on %s, stages 1 to %d.\n", "检查 %s 上的服务器，第 1 到 %d 阶段。\n"), rep.Addr, rep.StagesAsked)
	}
}

func (p *printer) stage(n int) {
	if !p.asJSON {
		fmt.Fprintf(p.w, p.say("Stage %d: %s\n", "第 %d 阶段：%s\n"), n, translate(p.lang, stageNames[n]))
	}
}

// result prints one check on one line.
func (p *printer) result(r result) {
	if p.asJSON {
		return
	}
	labels := map[string]string{"pass": "PASS", "fail": "FAIL", "skip": "SKIP"}
	colors := map[string]string{"pass": "\x1b[32m", "fail": "\x1b[31m", "skip": "\x1b[33m"}
	label := labels[r.Status]
	if p.color {
		label = colors[r.Status] + label + "\x1b[0m"
	}
	line := fmt.Sprintf("  %s %s %s", label, r.ID, r.Name)
	switch r.Status {
	case "fail":
		line += fmt.Sprintf(p.say(": want %s, got %s. Why: %s. See %s", "：期望 %s，实际 %s。原因：%s。参见 %s"), r.Want, r.Got, r.Why, r.See)
	case "skip":
		line += p.say(": ", "：") + r.Why
	}
	fmt.Fprintln(p.w, line)
	if len(r.Output) > 0 {
		fmt.Fprintln(p.w, indent(r.Output))
	}
}

func (p *printer) end(rep report) {
	if p.asJSON {
		enc := json.NewEncoder(p.w)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
		return
	}
	switch {
	case !rep.Graded:
		// Not graded: the checker said why on its standard error.
	case rep.Passed:
		fmt.Fprintf(p.w, p.say("Passed: stages 1 to %d of %d.\n", "通过：%[2]d 个阶段中的第 1 到 %[1]d 阶段。\n"), rep.HighestPassed, rep.StagesAsked)
	case rep.HighestPassed == 0:
		fmt.Fprint(p.w, p.say("Failed at stage 1: no stage passed.\n", "在第 1 阶段失败：没有通过任何阶段。\n"))
	default:
		fmt.Fprintf(p.w, p.say("Failed at stage %d: stages 1 to %d passed.\n", "在第 %d 阶段失败：通过了第 1 到 %d 阶段。\n"), rep.HighestPassed+1, rep.HighestPassed)
	}
}

// isTerminal reports whether w is a terminal, where colour helps.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
