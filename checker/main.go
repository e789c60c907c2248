// Command checker grades a web server, anyone's, in any language, stage
// by stage, as the chapters of lsbaws-go build one: stage N checks what
// step N adds. Stage 1 accepts connections, stage 2 reads the request,
// stage 3 answers with valid HTTP/1.1, stage 4 parses the request,
// stage 5 refuses what it will not take (limits, RFC 9112's verdicts),
// stage 6 runs an application through a gateway, stage 7 serves several
// clients at once, stage 8 many, stage 9 serves new clients while
// hundreds of connections wait, stage 10 keeps connections open for the
// next request (keep-alive). A step after the last stage
// (step11-event-loop) is graded at stage 10.
//
// Grade a server that is already running:
//
//	go run ./checker -addr 127.0.0.1:8888 -stage 3
//
// Or let the checker start it, read its output, grade it and stop it:
//
//	go run ./checker -stage 2 -- python3 webserver1.py
//	go run ./checker -stage 5 -- go run ./step5-limits
//
// It runs the checks of stages 1 to N in order and stops at the first
// that fails. Each check prints one line: PASS or FAIL, its name, and
// for a failure what it wanted, what came back (quoted, so that \r and
// \n show), why the rule exists and the chapter section that explains
// it. -json prints the same as one JSON document, for an instructor who
// collects a class's results. -lang zh-CN says all of it in Simplified
// Chinese (zh.go holds the catalog), but the bytes it quotes from the
// server, and links to the Chinese chapters.
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
	stages := flags.Int("stage", maxStages, "grade stages 1 to `N` (at most 10)") // a test checks the 10: maxStages
	asJSON := flags.Bool("json", false, "print the results as one JSON document")
	timeout := flags.Duration("timeout", 5*time.Second, "bound on each check")
	startup := flags.Duration("startup", 60*time.Second, "with -- CMD or -class: how long a server may take to start listening")
	lang := flags.String("lang", "en", "the language of the messages: en, or zh-CN for Simplified Chinese")
	roster := flags.String("class", "", "grade a whole class: the `ROSTER` file has one student a line, NAME: COMMAND")
	reportDir := flags.String("report", "", "with -class: write index.html, results.csv and results.json into `DIR`")
	jobs := flags.Int("jobs", runtime.NumCPU(), "with -class: how many students to grade at once")
	limit := flags.Duration("student-limit", 2*time.Minute, "with -class: how long one student's grading may take, once the server listens")
	flags.Usage = func() {
		// -lang is read by then if it came before -h.
		fmt.Fprintln(stderr, sayIn(*lang, "usage: checker [flags] [-- CMD ARGS...]"))
		fmt.Fprintln(stderr, sayIn(*lang, "       checker -class ROSTER [-stage N] [-report DIR] [-jobs K] [flags]"))
		printFlags(stderr, flags, *lang)
	}
	if err := flags.Parse(args); err != nil {
		return exitCannotGo
	}
	if !slices.Contains(languages, *lang) {
		fmt.Fprintf(stderr, "checker: -lang must be one of %s\n", strings.Join(languages, ", "))
		return exitCannotGo
	}
	// complain says on standard error, in the language, why the checker
	// cannot go on.
	complain := func(format string, args ...any) {
		fmt.Fprintln(stderr, "checker:", sayIn(*lang, format, args...))
	}
	if *stages < 1 || *stages > maxStages {
		complain("-stage must be 1 to %d", maxStages)
		return exitCannotGo
	}
	if *timeout <= 0 {
		complain("-timeout must be positive")
		return exitCannotGo
	}
	if *roster != "" {
		if len(flags.Args()) > 0 {
			complain("-class takes each student's command from the roster, not after --")
			return exitCannotGo
		}
		if *jobs < 1 || *limit <= 0 || *startup <= 0 {
			complain("-jobs, -student-limit and -startup must be positive")
			return exitCannotGo
		}
		c := class{stages: *stages, timeout: *timeout, startup: *startup, limit: *limit, jobs: *jobs,
			lang: *lang, reportDir: *reportDir, asJSON: *asJSON, stdout: stdout, stderr: stderr}
		return c.run(*roster)
	}
	if *reportDir != "" {
		complain("-report goes with -class")
		return exitCannotGo
	}

	rep := report{Addr: *addr, StagesAsked: *stages, Results: []result{}}
	out := newPrinter(stdout, *asJSON, *lang)
	g := &grader{addr: *addr, lang: *lang, timeout: *timeout}
	if command := flags.Args(); len(command) > 0 {
		server, err := startServer(*lang, command, *addr, *startup, "")
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
		complain("nothing is listening on %s (%v); start your server first, or give its command after --", *addr, errors.Unwrap(err))
		rep.Why = sayIn(*lang, "nothing is listening on %s (%v)", *addr, errors.Unwrap(err))
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

// printFlags prints the flags as flag's PrintDefaults does, each with
// its help and its default, in the language.
func printFlags(w io.Writer, flags *flag.FlagSet, lang string) {
	flags.VisitAll(func(f *flag.Flag) {
		f.Usage = translate(lang, f.Usage)
		line := "  -" + f.Name
		name, usage := flag.UnquoteUsage(f)
		if name != "" {
			line += " " + translate(lang, name) // the back-quoted name, or the type: int, duration, string
		}
		if len(line) <= 4 {
			line += "\t"
		} else {
			line += "\n    \t"
		}
		line += usage
		switch {
		case f.DefValue == "" || f.DefValue == "false" || f.DefValue == "0":
		case isString(f):
			line += sayIn(lang, " (default %q)", f.DefValue)
		default:
			line += sayIn(lang, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w, line)
	})
}

// isString reports whether f is a string flag, whose default
// PrintDefaults quotes.
func isString(f *flag.Flag) bool {
	getter, ok := f.Value.(flag.Getter)
	if !ok {
		return false
	}
	_, ok = getter.Get().(string)
	return ok
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

// say writes a message of the catalog in the printer's language (see
// sayIn).
func (p *printer) say(format string, args ...any) string {
	return sayIn(p.lang, format, args...)
}

// stagesUpTo names stages 1 to n: "stages 1 to 3", 第 1–3 阶段, or for
// n = 1 第 1 阶段.
func stagesUpTo(lang string, n int) string {
	if n == 1 {
		return sayIn(lang, "stages 1 to 1")
	}
	return sayIn(lang, "stages 1 to %d", n)
}

func (p *printer) start(rep report) {
	if !p.asJSON {
		fmt.Fprintln(p.w, p.say("Checking the server on %s, %s.", rep.Addr, stagesUpTo(p.lang, rep.StagesAsked)))
	}
}

func (p *printer) stage(n int) {
	if !p.asJSON {
		fmt.Fprintln(p.w, p.say("Stage %d: %s", n, translate(p.lang, stageNames[n])))
	}
}

// result prints one check on one line.
func (p *printer) result(r result) {
	if p.asJSON {
		return
	}
	labels := map[string]string{"pass": "PASS", "fail": "FAIL", "skip": "SKIP"}
	colors := map[string]string{"pass": "\x1b[32m", "fail": "\x1b[31m", "skip": "\x1b[33m"}
	label := translate(p.lang, labels[r.Status])
	if p.color {
		label = colors[r.Status] + label + "\x1b[0m"
	}
	line := fmt.Sprintf("  %s %s %s", label, r.ID, r.Name)
	switch r.Status {
	case "fail":
		line += p.say(": want %s, got %s. Why: %s. See %s", r.Want, r.Got, r.Why, r.See)
	case "skip":
		line += p.say(": %s", r.Why)
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
	case rep.Passed && rep.StagesAsked == 1:
		fmt.Fprintln(p.w, p.say("Passed: stages 1 to 1 of 1."))
	case rep.Passed:
		// Passed means every stage asked for.
		fmt.Fprintln(p.w, p.say("Passed: stages 1 to %[1]d of %[1]d.", rep.StagesAsked))
	case rep.HighestPassed == 0:
		fmt.Fprintln(p.w, p.say("Failed at stage 1: no stage passed."))
	default:
		fmt.Fprintln(p.w, p.say("Failed at stage %d: %s passed.", rep.HighestPassed+1, stagesUpTo(p.lang, rep.HighestPassed)))
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
