package main

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http/httputil"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// firefoxRequest is the request that Firefox sent in the study note,
// the one the repository's tests send too (tests/testdata/requests/
// firefox.http; a test keeps the two the same).
const firefoxRequest = "GET /hello HTTP/1.1\r\n" +
	"Host: localhost:8888\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:58.0) Gecko/20100101 Firefox/58.0\r\n" +
	"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n" +
	"Accept-Language: zh-CN,zh;q=0.8,zh-TW;q=0.7,zh-HK;q=0.5,en-US;q=0.3,en;q=0.2\r\n" +
	"Accept-Encoding: gzip, deflate\r\n" +
	"Cookie: Pycharm-35cf7131=702c9c37-5112-486b-a03b-3cebfe91963b\r\n" +
	"Connection: keep-alive\r\n" +
	"Upgrade-Insecure-Requests: 1\r\n" +
	"\r\n"

// maxStages is the highest stage the checker knows: stage N checks what
// step N adds, and the steps after the last stage (step11-event-loop)
// are graded at it.
const maxStages = 10

// stageNames say what each stage grades, after the step that teaches it.
var stageNames = [maxStages + 1]string{
	1:  "accepts connections (step1-socket)",
	2:  "reads the request (step2-request-print)",
	3:  "answers with valid HTTP/1.1 (step3-response)",
	4:  "parses the request (step4-parse)",
	5:  "refuses what it will not take (step5-limits)",
	6:  "runs an application through a gateway (step6-gateway)",
	7:  "serves several clients at once (step7-processes)",
	8:  "serves many clients at once (step8-threads)",
	9:  "serves new clients while hundreds of connections wait (step9-goroutines)",
	10: "keeps connections open (step10-keep-alive)",
}

// readLoop is the section of chapter 4 that explains reading a request
// in a loop until its head has arrived whole, which stage 4's checks of
// requests in pieces and of long requests point to.
const readLoop = "docs/04-parse.md#reading-the-whole-head-before-a-deadline"

// chapters are the sections that explain each stage's rules.
var chapters = [maxStages + 1]string{
	1:  "docs/01-socket.md#what-this-step-adds",
	2:  "docs/02-request-print.md#what-this-step-adds",
	3:  "docs/03-response.md#what-this-step-adds",
	4:  "docs/04-parse.md#what-this-step-adds",
	5:  "docs/05-limits.md#what-this-step-adds",
	6:  "docs/06-gateway.md#what-this-step-adds",
	7:  "docs/07-processes.md#what-this-step-adds",
	8:  "docs/08-threads.md#what-this-step-adds",
	9:  "docs/09-goroutines.md#what-this-step-adds",
	10: "docs/10-keep-alive.md#what-this-step-adds",
}

// result is the outcome of one check.
type result struct {
	Stage  int    `json:"stage"`
	ID     string `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"` // pass, fail or skip
	Want   string `json:"want,omitempty"`
	Got    string `json:"got,omitempty"`
	Why    string `json:"why,omitempty"`
	See    string `json:"see,omitempty"`
	// Output is the last lines the server printed, when it exited during
	// the check.
	Output []string `json:"output,omitempty"`
}

// failure says why a check did not pass: what was expected, what came
// back, and the rule in a sentence. A failure with skip set is a check
// that could not run here. Each is a phrase of the catalog (zhCN),
// translated when the result is made (runStage); a phrase with
// arguments is written in the grader's language where it is made
// (g.say).
type failure struct {
	want, got, why string
	skip           bool
	output         []string // the last lines the server printed, if it exited
	see            string   // the section that explains the rule, when not the stage's chapter (see chapters)
}

// check is one rule of a stage.
type check struct {
	name string
	run  func() *failure // nil when the server keeps the rule
}

// grader runs the checks against one server.
type grader struct {
	addr    string
	lang    string // the language of the messages: en or zh-CN
	timeout time.Duration
	server  *serverProcess // the server the checker started, or nil
}

// stage returns the checks of stage n, in order.
func (g *grader) stage(n int) []check {
	switch n {
	case 1:
		return g.stage1()
	case 2:
		return g.stage2()
	case 3:
		return g.stage3()
	case 4:
		return g.stage4()
	case 5:
		return g.stage5()
	case 6:
		return g.stage6()
	case 7:
		return g.stage7()
	case 8:
		return g.stage8()
	case 9:
		return g.stage9()
	case 10:
		return g.stage10()
	}
	return nil
}

// crashWait is how long a failed check waits for the server it started
// to be seen exiting: a server that a check made crash may still be
// dying when the next connection is refused.
const crashWait = 300 * time.Millisecond

// runStage runs the checks of stage n in order and stops at the first
// that fails: the later ones stand on it.
func (g *grader) runStage(n int) (results []result, passed bool) {
	for i, c := range g.stage(n) {
		r := result{Stage: n, ID: fmt.Sprintf("%d.%d", n, i+1), Name: translate(g.lang, c.name), Status: "pass"}
		f := c.run()
		if g.server != nil && g.server.exited() || f != nil && !f.skip && g.server != nil && g.server.waitExit(crashWait) {
			// Whatever the check saw (often a refused connection), the
			// reason is that the server is gone.
			f = &failure{want: "the server still running", got: g.say("it exited (%s)", exitIn(g.lang, g.server.exitStatus())),
				why: "nothing a client does may end the server: the last lines it printed are below", output: g.server.tail(tailLines)}
		}
		if f != nil {
			r.Want, r.Got, r.Why = translate(g.lang, f.want), translate(g.lang, f.got), translate(g.lang, f.why)
			r.Output = f.output
			if f.skip {
				r.Status = "skip"
			} else {
				r.Status, r.See = "fail", chapterIn(g.lang, cmp.Or(f.see, chapters[n]))
			}
		}
		results = append(results, r)
		if r.Status == "fail" {
			return results, false
		}
	}
	return results, true
}

// say writes a message of the catalog in the grader's language (see
// sayIn).
func (g *grader) say(format string, args ...any) string {
	return sayIn(g.lang, format, args...)
}

// quote shows bytes that came from the server as Go writes a string,
// so that \r and \n show, and at most max of them, saying how many more
// there were (see quoteBytes).
func (g *grader) quote(data []byte, max int) string {
	q, more := quoteBytes(data, max)
	if more == 0 {
		return q
	}
	return q + g.say(" (and %d more bytes)", more)
}

// dial connects to the server within the timeout.
func (g *grader) dial() (*net.TCPConn, *failure) {
	conn, err := net.DialTimeout("tcp", g.addr, g.timeout)
	if err != nil {
		return nil, &failure{want: g.say("a connection to %s", g.addr), got: g.say("%v", err),
			why: "a server accepts connections for as long as it runs"}
	}
	return conn.(*net.TCPConn), nil
}

// exchange sends request on a new connection and reads the reply until
// the server closes the connection, the reply is complete (see
// complete), or the deadline passes; wait bounds the whole exchange.
func (g *grader) exchange(request string, wait time.Duration) (reply, *failure) {
	conn, f := g.dial()
	if f != nil {
		return reply{}, f
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(wait))

	if _, err := io.WriteString(conn, request); err != nil {
		if !isReset(err) {
			return reply{}, &failure{want: "to send the request", got: g.say("%v", err), why: "the server must let the client send its request"}
		}
		return reply{reset: true}, nil
	}
	return g.readReply(conn)
}

// sendLong sends a long request on a new connection while it reads the
// reply, within the timeout: a server that refuses the request may
// answer before the request has all arrived, and close. What the
// server did with the rest, read it or reset the connection, does not
// matter then: the reply is what the client got.
func (g *grader) sendLong(request string) (reply, *failure) {
	conn, f := g.dial()
	if f != nil {
		return reply{}, f
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(g.timeout))
	// The write ends when all is sent, the server resets the connection,
	// the deadline passes, or the deferred Close comes.
	go io.WriteString(conn, request)
	return g.readReply(conn)
}

// readReply reads what the server sends on conn until it closes the
// connection, the reply is complete (see complete), or the connection's
// deadline passes.
func (g *grader) readReply(conn *net.TCPConn) (reply, *failure) {
	var r reply
	buffer := make([]byte, 4096)
	for {
		n, err := conn.Read(buffer)
		r.raw = append(r.raw, buffer[:n]...)
		switch {
		case err == io.EOF:
			r.closed = true
			return r, nil
		case isTimeout(err):
			r.timedOut = true
			return r, nil
		case isReset(err):
			r.reset = true
			return r, nil
		case err != nil:
			return r, &failure{want: "a reply", got: g.say("%v", err), why: "the connection failed"}
		}
		if complete(r.raw) {
			return r, nil
		}
	}
}

func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

func isTimeout(err error) bool {
	var netErr net.Error
	return errors.As(err, &netErr) && netErr.Timeout() || errors.Is(err, os.ErrDeadlineExceeded)
}

// stage1: the server accepts TCP connections and survives clients that
// leave at once.
func (g *grader) stage1() []check {
	connectThen := func(leave func(*net.TCPConn)) func() *failure {
		return func() *failure {
			conn, f := g.dial()
			if f != nil {
				return f
			}
			leave(conn)
			// Give a server that the client's leaving makes crash the
			// moment it needs to die; then it must still take the next.
			time.Sleep(200 * time.Millisecond)
			next, f := g.dial()
			if f != nil {
				return f
			}
			next.Close()
			return nil
		}
	}
	return []check{
		{"accepts a TCP connection", func() *failure {
			conn, f := g.dial()
			if f != nil {
				return f
			}
			conn.Close()
			return nil
		}},
		{"accepts the next client after one that connects and closes at once", connectThen(func(c *net.TCPConn) {
			c.Close()
		})},
		{"accepts the next client after one that connects and resets", connectThen(func(c *net.TCPConn) {
			c.SetLinger(0) // close sends a reset (RST) instead of FIN
			c.Close()
		})},
	}
}

// stage2: the server reads the request before it closes the connection.
func (g *grader) stage2() []check {
	return []check{
		{"waits for the request instead of hanging up at once", func() *failure {
			conn, f := g.dial()
			if f != nil {
				return f
			}
			defer conn.Close()
			// Say nothing for a moment: a server that reads the request
			// is now blocked in recv; one that does not has hung up.
			conn.SetReadDeadline(time.Now().Add(min(g.timeout, 300*time.Millisecond)))
			_, err := conn.Read(make([]byte, 1))
			if isTimeout(err) {
				return nil
			}
			got := "the server closed the connection before the client sent anything"
			if err == nil {
				got = "the server sent something before the request arrived"
			}
			return &failure{want: "the connection kept open while the server waits in recv", got: got,
				why: "a server reads the request (recv) before it answers and closes"}
		}},
		{"reads the Firefox request without a reset", func() *failure {
			// A second is plenty for a server to read a request and
			// hang up; a server that keeps the connection open is fine.
			r, f := g.exchange(firefoxRequest, min(g.timeout, time.Second))
			if f != nil {
				return f
			}
			if r.reset && len(r.raw) == 0 {
				return &failure{want: "the request read, then a normal close (FIN) or a reply",
					got: "the connection was reset",
					why: "when a server closes a connection with request bytes still unread, the kernel resets it: recv the whole request before close"}
			}
			return nil
		}},
		{"prints the request line it received", func() *failure {
			if g.server == nil {
				return &failure{skip: true, why: "the checker can read the server's output only when it starts the server: -- CMD ARGS..."}
			}
			want := "GET /hello HTTP/1.1"
			deadline := time.Now().Add(g.timeout)
			for !strings.Contains(g.server.output(), want) {
				if time.Now().After(deadline) || g.server.exited() {
					return &failure{want: g.say("%q in the server's output", want),
						got: g.quote([]byte(g.server.output()), 200),
						why: "step 2 prints the request it received, so that you see what the browser sends (if yours prints it, flush its output: a program whose output is a pipe may hold it back)"}
				}
				time.Sleep(20 * time.Millisecond)
			}
			return nil
		}},
	}
}

// stage3: the server answers with valid HTTP/1.1, byte by byte.
func (g *grader) stage3() []check {
	var r reply
	var h head
	return []check{
		{"answers the request", func() *failure {
			var f *failure
			r, f = g.exchange(firefoxRequest, g.timeout)
			if f != nil {
				return f
			}
			if len(r.raw) > 0 {
				return nil
			}
			got := "the server closed the connection without a byte"
			switch {
			case r.reset:
				got = "the connection was reset without a byte"
			case r.timedOut:
				got = g.say("nothing within %s", g.timeout)
			}
			return &failure{want: "a response", got: got, why: "after reading the request, the server sends its response with sendall"}
		}},
		{"starts with a status line such as HTTP/1.1 200 OK, ending in CRLF", func() *failure {
			return g.statusLineFailure(r)
		}},
		{"ends the header fields with an empty line", func() *failure {
			var ok bool
			h, ok = findHead(r.raw)
			if !ok && r.timedOut {
				return &failure{want: g.say("a whole response head within %s", g.timeout), got: g.say("%s, then nothing more", g.quote(r.raw, 120)),
					why: "a client waits only so long: the server must send its whole response at once, with sendall"}
			}
			if !ok {
				return &failure{want: `an empty line ("\r\n") after the header fields`, got: g.quote(r.raw, 120),
					why: "without the empty line the client cannot tell the header fields from the body: it reads the body as more header fields"}
			}
			return nil
		}},
		{"writes each header field as Name: value, ending in CRLF", func() *failure {
			text, ends := lines(r.raw[:h.bodyStart])
			for i := 1; i < len(text)-1; i++ {
				line := text[i]
				name, _, found := strings.Cut(line, ":")
				switch {
				case ends[i] != "\r\n":
					return &failure{want: "a line ending in \\r\\n", got: g.quote([]byte(line+ends[i]), 80),
						why: "the header field ends in a bare LF: every line of an HTTP/1.1 head ends in CRLF, \\r\\n"}
				case !found:
					return &failure{want: "Name: value", got: g.quote([]byte(line), 80), why: "a header field has a name, a colon, and a value"}
				case !isToken(name):
					return &failure{want: "a field name with no spaces, followed at once by the colon", got: g.quote([]byte(line), 80),
						why: "a header field's name is a token: letters, digits and a few symbols, no space before the colon"}
				}
			}
			if ends[len(ends)-1] != "\r\n" {
				return &failure{want: `the empty line as "\r\n"`, got: g.quote([]byte(ends[len(ends)-1]), 10),
					why: "the empty line that ends the head is a CRLF on its own"}
			}
			return nil
		}},
		{"sends a body that contains Hello, World!", func() *failure {
			body := r.raw[h.bodyStart:]
			if !strings.Contains(string(body), "Hello, World!") {
				return &failure{want: `a body containing "Hello, World!"`, got: g.quote(body, 80),
					why: "the body follows the empty line; it is what the browser shows"}
			}
			return nil
		}},
		{"ends the body where Content-Length says, or by closing the connection", func() *failure {
			body := r.raw[h.bodyStart:]
			value, declared := h.get("Content-Length")
			length, valid := contentLength(h)
			switch {
			case declared && !valid:
				return &failure{want: "Content-Length: a number of bytes", got: strconv.Quote(value),
					why: "Content-Length is the body's length in bytes, in decimal digits"}
			case declared && len(body) != length:
				return &failure{want: g.say("%d body bytes, as Content-Length says", length),
					got: g.say("%d bytes: %s", len(body), g.quote(body, 60)),
					why: "Content-Length must count the body's bytes exactly: a client reads that many and stops, or waits for bytes that never come"}
			case !declared && !r.closed:
				return &failure{want: "Content-Length, or the connection closed after the body", got: "neither",
					why: "without Content-Length, only the end of the connection tells the client where the body ends"}
			}
			return nil
		}},
		{"closes the connection or keeps it open as the headers say", func() *failure {
			if h.saysClose() && !r.closed {
				got := "the connection stayed open"
				if r.timedOut {
					got = g.say("the connection stayed open for %s after the body", g.timeout)
				}
				return &failure{want: "the connection closed after the body", got: got,
					why: "Connection: close promises that the server hangs up after this response; the client waits for it"}
			}
			return nil
		}},
	}
}

// wantStatusLine is the status line that stage 3 shows a server that
// gets its own wrong; statusLineFailure accepts others too.
const wantStatusLine = "HTTP/1.1 200 OK\r\n"

// statusLineFailure judges the first line of the reply to stage 3's GET.
// It must be a status line, HTTP-version SP status-code SP
// [reason-phrase] (RFC 9112 §4), ending in CRLF, with the status code
// 200 and a version HTTP/1.x: a server may answer an HTTP/1.1 request in
// HTTP/1.0 (RFC 9110 §6.2; Python's http.server does by default), and a
// client ignores the reason phrase (RFC 9112 §4), so "HTTP/1.0 200 OK"
// and "HTTP/1.1 200 Fine" pass too.
func (g *grader) statusLineFailure(r reply) *failure {
	text, ends := lines(r.raw)
	line, end := text[0], ends[0]
	got := g.quote([]byte(line+end), 60)
	want := strconv.Quote(wantStatusLine)
	version, rest, _ := strings.Cut(line, " ")
	code, reason, spaced := strings.Cut(rest, " ")
	switch {
	case end == "" && r.timedOut:
		return &failure{want: g.say("%s within %s", want, g.timeout), got: g.say("%s, then nothing more", got),
			why: "a client waits only so long: the server must send its whole response at once, with sendall"}
	case line == "" && end != "":
		return &failure{want: want, got: g.quote(r.raw, 40),
			why: "the response starts with an empty line: a browser skips it, but in HTTP/1.1 the first line must be the status line, and curl refuses such a reply as HTTP/0.9"}
	case !isHTTP1(version):
		return &failure{want: want, got: got,
			why: "the status line starts with the version of HTTP the server speaks: HTTP/1.1, or HTTP/1.0, with which a server may answer too; HTTP/2 and HTTP/3 do not send their heads as lines of text"}
	case code != "200" || !spaced || !isReasonPhrase(reason):
		return &failure{want: want, got: got,
			why: "the status line is the version HTTP/1.1 (or HTTP/1.0), the status code 200 and a reason phrase such as OK, separated by single spaces"}
	case end == "\n":
		return &failure{want: want, got: got,
			why: "the status line ends in a bare LF: every line of an HTTP/1.1 head ends in CRLF, \\r\\n"}
	case end == "":
		return &failure{want: want, got: got,
			why: "the status line never ends: after it come CRLF, the header fields and an empty line"}
	}
	return nil
}

// isHTTP1 reports whether version is HTTP/1.x: "HTTP/1." and one digit
// (RFC 9112 §2.3; the name is case-sensitive).
func isHTTP1(version string) bool {
	return len(version) == len("HTTP/1.1") && strings.HasPrefix(version, "HTTP/1.") && '0' <= version[7] && version[7] <= '9'
}

// isReasonPhrase reports whether s may follow the status code: any
// visible characters, spaces and tabs, or nothing (RFC 9112 §4).
func isReasonPhrase(s string) bool {
	for _, c := range []byte(s) {
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// stage4: the server parses the request and answers what it understood.
func (g *grader) stage4() []check {
	request := func(line string) string {
		return line + "\r\nHost: " + g.addr + "\r\nUser-Agent: lsbaws-checker\r\nAccept: */*\r\nConnection: close\r\n\r\n"
	}
	// status sends a request and returns the reply's status code and body.
	status := func(req string) (code string, body []byte, f *failure) {
		r, f := g.exchange(req, g.timeout)
		if f != nil {
			return "", nil, f
		}
		h, ok := findHead(r.raw)
		if !ok {
			return "", nil, &failure{want: "a whole response head", got: g.quote(r.raw, 80),
				why: "every request gets a response: status line, header fields, empty line"}
		}
		code = h.statusCode()
		if code == "" {
			return "", nil, &failure{want: "a status line such as HTTP/1.1 200 OK", got: strconv.Quote(h.statusLine),
				why: "the status line is the version, the status code and the reason phrase"}
		}
		return code, r.raw[h.bodyStart:], nil
	}
	expect := func(line, wantCode, why string, mustShow ...string) func() *failure {
		return func() *failure {
			code, body, f := status(request(line))
			if f != nil {
				return f
			}
			if code != wantCode {
				return &failure{want: g.say("status %s", wantCode), got: g.say("status %s, body %s", code, g.quote(body, 60)), why: why}
			}
			for _, s := range mustShow {
				if !strings.Contains(string(body), s) {
					return &failure{want: g.say("a body that shows %q", s), got: g.quote(body, 120),
						why: "step 4's body shows what the server understood: the method, the path and the query"}
				}
			}
			return nil
		}
	}
	return []check{
		{"answers GET /hello?name=checker with 200 and shows the method, path and query", expect(
			"GET /hello?name=checker HTTP/1.1", "200",
			"/hello is a page of the server: it answers 200 OK", "GET", "/hello", "name=checker")},
		{"answers a path it does not have with 404", expect(
			"GET /checker/no-such-page HTTP/1.1", "404",
			"a path the server has no page for gets 404 Not Found, as the browser's own /favicon.ico request does")},
		{"answers a request line that is not HTTP with 400", func() *failure {
			code, body, f := status("this is not HTTP\r\n\r\n")
			if f != nil {
				return f
			}
			if code != "400" {
				return &failure{want: "status 400", got: g.say("status %s, body %s", code, g.quote(body, 60)),
					why: "a request line is METHOD, target and HTTP version, separated by single spaces; anything else gets 400 Bad Request"}
			}
			return nil
		}},
		{"still answers GET / with 200 afterwards", expect(
			"GET / HTTP/1.1", "200", "a bad request must not take the server down")},
		{"reads a 3 KB request, with a long Cookie field, and answers 200", func() *failure {
			req := strings.Replace(request("GET /hello?name=checker HTTP/1.1"), "\r\n\r\n", "\r\n"+longCookie+"\r\n\r\n", 1)
			r, _, f := g.sendInPieces([]string{req}, 0)
			if f != nil {
				return f
			}
			return g.readWhole(r, "the request is 3 KB, as a browser with a few cookies sends: a server that reads it with one recv(1024) answers after its first 1024 bytes and closes the connection with the rest unread, and the kernel then resets the connection; recv in a loop, adding what each recv returns to what came before, until the empty line that ends the head has arrived")
		}},
		{"reads a request that arrives in three pieces, 100 ms apart, and answers 200", func() *failure {
			// Cut as a person typing into nc sends it: the empty line
			// comes on its own.
			whole := request("GET /hello?name=checker HTTP/1.1")
			cut := strings.Index(whole, "Accept:")
			pieces := []string{whole[:cut], whole[cut : len(whole)-2], "\r\n"}
			r, sent, f := g.sendInPieces(pieces, pieceGap)
			if f != nil {
				return f
			}
			if sent < len(pieces) {
				got := g.say("the server closed the connection")
				switch h, ok := findHead(r.raw); {
				case ok:
					got = strconv.Quote(h.statusLine)
				case len(r.raw) > 0:
					got = g.quote(r.raw, 60)
				case r.reset:
					got = g.say("the connection was reset")
				}
				return &failure{want: "no answer before the request's last piece, its empty line, has arrived",
					got: g.say([]string{"%s", "%s, after the first piece of the request", "%s, after two pieces of the request"}[sent], got), see: readLoop,
					why: "TCP carries a stream of bytes, not messages: a recv returns what has arrived so far, here a part of the request; recv in a loop, adding what each recv returns to what came before, until the empty line that ends the head has arrived"}
			}
			if len(r.raw) == 0 && r.timedOut {
				return &failure{want: g.say("an answer within %s of the last piece", g.timeout), got: "none", see: readLoop,
					why: "the request's empty line came in a piece of its own, as it does when someone types a request into nc: look for the empty line in everything received so far, not in the last recv's bytes alone"}
			}
			return g.readWhole(r, "the server answered, then closed the connection with a part of the request still unread, and the kernel reset the connection: recv in a loop, adding what each recv returns to what came before, until the empty line that ends the head has arrived")
		}},
	}
}

// pieceGap is the pause between the pieces of stage 4's request in
// pieces: long enough for a server's recv to return each piece on its
// own, short enough that the check costs 200 ms.
const pieceGap = 100 * time.Millisecond

// longCookie is a Cookie field of 2,886 bytes, 60 cookies of a
// browser's kind, which makes stage 4's long request about 3,000 bytes
// (3 KB): nearly three times what the article's recv(1024) reads at once.
var longCookie = func() string {
	var b strings.Builder
	b.WriteString("Cookie: ")
	for i := range 60 {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "session%02d=%s", i, strings.Repeat(fmt.Sprintf("%02d", i), 18))
	}
	return b.String()
}()

// sendInPieces sends the pieces of a request on a new connection, gap
// apart, then reads the reply until the server closes the connection,
// resets it, or the timeout passes. Between two pieces it watches for
// the server's answer, which must wait for the request's end: sent is
// how many pieces the server had when it answered, closed or reset the
// connection (len(pieces) when it waited for them all).
func (g *grader) sendInPieces(pieces []string, gap time.Duration) (r reply, sent int, f *failure) {
	conn, f := g.dial()
	if f != nil {
		return r, 0, f
	}
	defer conn.Close()
	buffer := make([]byte, 4096)
	// read reads once before the deadline into r, and reports whether
	// the exchange has ended: the server closed or reset the
	// connection, or another error came.
	read := func(deadline time.Time) (ended bool, f *failure) {
		conn.SetReadDeadline(deadline)
		n, err := conn.Read(buffer)
		r.raw = append(r.raw, buffer[:n]...)
		switch {
		case err == nil:
			return false, nil
		case err == io.EOF:
			r.closed = true
		case isTimeout(err):
			r.timedOut = true
		case isReset(err):
			r.reset = true
		default:
			return true, &failure{want: "a reply", got: err.Error(), why: "the connection failed"}
		}
		return true, nil
	}
	for i, piece := range pieces {
		if i > 0 {
			if _, f := read(time.Now().Add(gap)); f != nil || len(r.raw) > 0 || r.closed || r.reset {
				return r, i, f
			}
			r.timedOut = false // the server waited for the next piece, as it should
		}
		conn.SetWriteDeadline(time.Now().Add(g.timeout))
		if _, err := io.WriteString(conn, piece); err != nil {
			if isReset(err) {
				r.reset = true
				return r, i, nil
			}
			return r, i, &failure{want: "to send the request", got: err.Error(), why: "the server must let the client send its request"}
		}
	}
	deadline := time.Now().Add(g.timeout)
	for {
		if ended, f := read(deadline); ended {
			return r, len(pieces), f
		}
	}
}

// readWhole judges the reply to one of stage 4's requests that a server
// must read whole: status 200, and a close, not a reset. A reset after
// the answer means that the server closed the connection with a part
// of the request unread; why says what that tells.
func (g *grader) readWhole(r reply, why string) *failure {
	h, ok := findHead(r.raw)
	switch {
	case r.reset:
		got := "the connection was reset without a byte"
		if ok {
			got = g.say("%q, then the connection was reset", h.statusLine)
		} else if len(r.raw) > 0 {
			got = g.say("%s, then the connection was reset", g.quote(r.raw, 60))
		}
		return &failure{want: "status 200, then a normal close (FIN)", got: got, see: readLoop, why: why}
	case !ok && r.timedOut && len(r.raw) == 0:
		return &failure{want: g.say("an answer within %s", g.timeout), got: "none", see: readLoop,
			why: "the request's head ends with its empty line: once it has arrived, the server answers"}
	case !ok:
		return &failure{want: "a whole response head", got: g.quote(r.raw, 80),
			why: "every request gets a response: status line, header fields, empty line"}
	case h.statusCode() != "200":
		return &failure{want: "status 200", got: g.say("status %s, body %s", h.statusCode(), g.quote(r.raw[h.bodyStart:], 60)), see: readLoop,
			why: "a request that is long, or that arrives in pieces, is still an ordinary request: read all of its head, then parse it"}
	}
	return nil
}

// The sizes of stage 5's requests, each past what the server should
// read of it (step5-limits reads at most 8 KiB of request line and
// 64 KiB of head). RFC 9112 §3 recommends reading request lines of at
// least 8000 bytes, and browsers send heads of a few KB; the checker
// asks for a bound, not for a number, so it sends many times more.
const (
	// bigHead is the size of the head of 5.1 and 5.2: 100 KB.
	bigHead = 100_000
	// longTarget is the size of the request target of 5.3: 64 KiB.
	longTarget = 64 << 10
	// hugeBody is the Content-Length of 5.5: 2 GB, which fits in a
	// signed 32-bit integer.
	hugeBody = 2_000_000_000
)

// tooLarge says why a server answers a head too large with 431 or 400.
const tooLarge = "a server bounds the head it reads, or one client can make it hold all the memory it has: past its bound it stops reading and answers 431 Request Header Fields Too Large (RFC 6585 §5); RFC 9110 §5.4 asks for a 4xx status, and 400 Bad Request, which nginx and Apache send, is one too"

// stage5: the server bounds what it reads of a request, refuses what it
// will not take with the status code that says why (RFC 9110, RFC
// 9112), and goes on serving. Each request is answered at once: none
// waits for a timeout of the server's.
func (g *grader) stage5() []check {
	request := func(line string, fields ...string) string {
		return line + "\r\nHost: " + g.addr + "\r\nUser-Agent: lsbaws-checker\r\n" + strings.Join(fields, "") + "Connection: close\r\n\r\n"
	}
	// refused sends a request, long ones while it reads, and wants a
	// response whose status code is one of codes; want says so.
	refused := func(req, want, why string, codes ...string) func() *failure {
		return func() *failure {
			r, f := g.sendLong(req)
			if f != nil {
				return f
			}
			code, body, f := g.refusal(r, want, why)
			if f != nil {
				return f
			}
			if !slices.Contains(codes, code) {
				return &failure{want: want, got: g.say("status %s, body %s", code, g.quote(body, 60)), why: why}
			}
			return nil
		}
	}
	var fields strings.Builder
	for i := 0; fields.Len() < bigHead; i++ {
		fmt.Fprintf(&fields, "X-Checker-%04d: %s\r\n", i, strings.Repeat("x", 84))
	}
	return []check{
		{"answers a header field of 100 KB with 431, or 400", refused(
			request("GET / HTTP/1.1", "X-Checker: "+strings.Repeat("x", bigHead)+"\r\n"),
			"status 431, or 400", tooLarge, "431", "400")},
		{"answers a head of 100 KB in a thousand header fields with 431, or 400", refused(
			request("GET / HTTP/1.1", fields.String()),
			"status 431, or 400", tooLarge, "431", "400")},
		{"answers a request target of 64 KiB with 414", refused(
			request("GET /"+strings.Repeat("x", longTarget-1)+" HTTP/1.1"),
			"status 414", "a server bounds the request line too: RFC 9112 §3 recommends reading at least 8000 bytes of it, and says that a server answers a request target longer than it will read with 414 URI Too Long", "414")},
		{"answers an HTTP/1.1 request without Host with 400", refused(
			"GET / HTTP/1.1\r\nUser-Agent: lsbaws-checker\r\nConnection: close\r\n\r\n",
			"status 400", "an HTTP/1.1 request must have a Host header field, and a server must answer one without it with 400 Bad Request (RFC 9112 §3.2)", "400")},
		{"answers a Content-Length of 2 GB with 413 at once", refused(
			request("POST /hello HTTP/1.1", fmt.Sprintf("Content-Length: %d\r\n", hugeBody)),
			"status 413", "a server bounds the body it reads too: past its bound it answers 413 Content Too Large (RFC 9110 §15.5.14) as soon as Content-Length says so, rather than wait for bytes that a client may send as slowly as it likes, or never", "413")},
		{"answers a request with both Transfer-Encoding and Content-Length, then closes the connection", g.smuggled},
		{"answers requests in HTTP/2.0 and HTTP/3.0 with 505", func() *failure {
			for _, version := range []string{"HTTP/2.0", "HTTP/3.0"} {
				r, f := g.exchange(request("GET / "+version), g.timeout)
				if f != nil {
					return f
				}
				want := g.say("status 505 to a request in %s", version)
				why := "the request line names the version of HTTP the client speaks; a server that does not speak its major version answers 505 HTTP Version Not Supported (RFC 9110 §15.6.6), not as if the client spoke HTTP/1.1"
				code, body, f := g.refusal(r, want, why)
				if f != nil {
					return f
				}
				if code != "505" {
					return &failure{want: want, got: g.say("status %s, body %s", code, g.quote(body, 60)), why: why}
				}
			}
			return nil
		}},
		{"answers a method it does not have, BREW, with 501, or 405 and Allow", func() *failure {
			r, f := g.exchange(request("BREW /hello HTTP/1.1"), g.timeout)
			if f != nil {
				return f
			}
			const want = "status 501, or 405 with an Allow field"
			const why = "a server answers a method it does not implement with 501 Not Implemented, and one it implements but not for this path with 405 Method Not Allowed and an Allow field that lists the methods the path takes (RFC 9110 §9.1, §15.5.6)"
			code, body, f := g.refusal(r, want, why)
			if f != nil {
				return f
			}
			h, _ := findHead(r.raw)
			if _, allow := h.get("Allow"); code == "501" || code == "405" && allow {
				return nil
			}
			return &failure{want: want, got: g.say("status %s, body %s", code, g.quote(body, 60)), why: why}
		}},
		{"still answers GET / with 200 afterwards", func() *failure {
			r, f := g.exchange(request("GET / HTTP/1.1"), g.timeout)
			if f != nil {
				return f
			}
			const why = "a request the server refuses must not take it down"
			code, body, f := g.refusal(r, "status 200", why)
			if f != nil {
				return f
			}
			if code != "200" {
				return &failure{want: "status 200", got: g.say("status %s, body %s", code, g.quote(body, 60)), why: why}
			}
			return nil
		}},
	}
}

// refusal returns the status code and the body of the reply to one of
// stage 5's requests, or the failure of a reply without a whole head:
// want and why say what was wanted, and got how the exchange ended.
func (g *grader) refusal(r reply, want, why string) (code string, body []byte, f *failure) {
	h, ok := findHead(r.raw)
	switch {
	case ok && h.statusCode() != "":
		return h.statusCode(), r.raw[h.bodyStart:], nil
	case ok:
		return "", nil, &failure{want: "a status line such as HTTP/1.1 200 OK", got: strconv.Quote(h.statusLine),
			why: "the status line is the version, the status code and the reason phrase"}
	case len(r.raw) > 0:
		return "", nil, &failure{want: want, got: g.quote(r.raw, 80), why: why}
	case r.reset:
		return "", nil, &failure{want: want, got: "the connection was reset without a byte", why: why}
	case r.timedOut:
		return "", nil, &failure{want: want, got: g.say("nothing within %s", g.timeout), why: why}
	}
	return "", nil, &failure{want: want, got: "the server closed the connection without a byte", why: why}
}

// smuggledBody is the body of stage 5's request with both
// Transfer-Encoding and Content-Length: read by its chunks or by its
// length, it is the same 15 bytes, so that no byte is left unread
// whichever a server goes by.
const smuggledBody = "5\r\nhello\r\n0\r\n\r\n"

// smuggled sends a request with both Transfer-Encoding and
// Content-Length and no Connection field, and wants a response, then
// the end of the connection. RFC 9112 §6.1 lets a server refuse such a
// request, with 400, or read its body by Transfer-Encoding alone, and
// says that either way it closes the connection after its response; a
// server that closes the connection without a response refuses it too.
func (g *grader) smuggled() *failure {
	c, f := g.keep()
	if f != nil {
		return f
	}
	defer c.Close()
	const want = "a response (400, or the answer to the body that the chunks frame), then the connection closed"
	const why = "with both, one server reads the body by its chunks and another by its length, and each takes a different part of it for the next request (request smuggling): RFC 9112 §6.1 lets a server refuse such a request with 400 or read the body by Transfer-Encoding alone, and either way close the connection after its response"
	r, err := c.ask("POST /hello HTTP/1.1\r\nHost: " + g.addr + "\r\nUser-Agent: lsbaws-checker\r\n" +
		fmt.Sprintf("Transfer-Encoding: chunked\r\nContent-Length: %d\r\n\r\n", len(smuggledBody)) + smuggledBody)
	switch {
	case !r.headRead && len(r.raw) == 0 && (err == io.EOF || isReset(err)):
		return nil // refused by closing the connection
	case !r.headRead:
		return &failure{want: want, got: g.cutShort(r.raw, err), why: why}
	case r.closed:
		return nil // a body that the close ended
	case err == nil:
		_, err = c.in.ReadByte() // what follows the response
	}
	if err == io.EOF || isReset(err) {
		return nil
	}
	got := g.say("%q, then the connection stayed open", r.head.statusLine)
	if isTimeout(err) {
		got = g.say("%q, then the connection stayed open for %s", r.head.statusLine, g.timeout)
	}
	return &failure{want: want, got: got, why: why}
}

// countTo is how far the application of stages 6 and 10 counts at
// /count, one number a line: a body too long for any one buffer of a
// server.
const countTo = 2000

// countBody is the body of /count: the numbers 1 to countTo, one a
// line.
func countBody() string {
	var numbers strings.Builder
	for i := 1; i <= countTo; i++ {
		fmt.Fprintf(&numbers, "%d\n", i)
	}
	return numbers.String()
}

// stage6: a gateway runs an application that routes by path, reads a
// request body that Content-Length frames, sends a long body whole, and
// whose failure does not end the server. The application is the one
// that docs/checker.md describes (step6-gateway's, in any framework).
// Every request says Connection: close, so a body may end with the
// connection: the chunked coding waits for stage 10.
func (g *grader) stage6() []check {
	head := func(line string, fields ...string) string {
		return line + "\r\nHost: " + g.addr + "\r\nUser-Agent: lsbaws-checker\r\n" + strings.Join(fields, "") + "Connection: close\r\n\r\n"
	}
	expect := func(request, wantCode, wantBody, why string) func() *failure {
		return func() *failure {
			code, body, f := g.answer(request)
			if f != nil {
				return f
			}
			if code != wantCode || !strings.Contains(string(body), wantBody) {
				return &failure{want: g.say("status %s and a body containing %q", wantCode, wantBody),
					got: g.say("status %s, body %s", code, g.quote(body, 80)), why: why}
			}
			return nil
		}
	}
	const upload = "name=checker&stage=6"
	return []check{
		{"lets the application route /hello/checker to Hello, checker!", expect(
			head("GET /hello/checker HTTP/1.1"), "200", "Hello, checker!",
			"the gateway hands every request to the application, which routes /hello/{name} itself")},
		{"hands a body sent with Content-Length to the application", expect(
			head("POST /hello HTTP/1.1", "Content-Type: application/x-www-form-urlencoded\r\n",
				fmt.Sprintf("Content-Length: %d\r\n", len(upload)))+upload,
			"200", fmt.Sprintf("Received a body of %d bytes.", len(upload)),
			"the request's body reaches the application as r.Body (WSGI's wsgi.input)")},
		{"sends a long body whole, ended by Content-Length or by the close", func() *failure {
			code, body, f := g.answer(head("GET /count HTTP/1.1"))
			if f != nil {
				return f
			}
			if code != "200" || string(body) != countBody() {
				return &failure{want: g.say("status 200 and the numbers 1 to %d, one a line", countTo),
					got: g.say("status %s, %d body bytes: %s", code, len(body), g.quote(body, 60)),
					why: "an application's output longer than the gateway's buffer goes out as it comes, and must arrive whole: with Content-Length when the gateway knows the length before it sends, else ended by closing the connection"}
			}
			return nil
		}},
		{"answers 500 when the application panics", expect(
			head("GET /panic HTTP/1.1"), "500", "",
			"when the application fails, the gateway tells the client with 500 Internal Server Error")},
		{"still runs the application after it panicked", expect(
			head("GET /hello/again HTTP/1.1"), "200", "Hello, again!",
			"one failed request must not take the server down")},
	}
}

// answer sends a request on a new connection and returns the status
// code and the body of the reply, decoded if it came in chunks.
func (g *grader) answer(request string) (code string, body []byte, f *failure) {
	r, f := g.exchange(request, g.timeout)
	if f != nil {
		return "", nil, f
	}
	return g.answerIn(r)
}

// answerIn returns the status code and the body of a reply, decoded if
// it came in chunks.
func (g *grader) answerIn(r reply) (code string, body []byte, f *failure) {
	h, ok := findHead(r.raw)
	if !ok {
		return "", nil, &failure{want: "a whole response head", got: g.quote(r.raw, 80),
			why: "every request gets a response: status line, header fields, empty line"}
	}
	code = h.statusCode()
	if code == "" {
		return "", nil, &failure{want: "a status line such as HTTP/1.1 200 OK", got: strconv.Quote(h.statusLine),
			why: "the status line is the version, the status code and the reason phrase"}
	}
	body = r.raw[h.bodyStart:]
	if te, _ := h.get("Transfer-Encoding"); strings.EqualFold(te, "chunked") {
		decoded, err := io.ReadAll(httputil.NewChunkedReader(bytes.NewReader(body)))
		if err != nil {
			return "", nil, &failure{want: "a well-formed chunked body", got: g.say("%s: %v", g.quote(body, 80), err),
				why: "each chunk is its size in hexadecimal, CRLF, the bytes, CRLF; a chunk of size 0 ends the body"}
		}
		body = decoded
	}
	return code, body, nil
}

// stage7: the server serves several clients at once: a client that
// connects and says nothing must not keep the others waiting, as it
// does with a server that serves one client at a time.
func (g *grader) stage7() []check {
	// whileSilent holds n connections open without a word, then asks for
	// a page on one more, and closes the silent ones at the end.
	whileSilent := func(n int) func() *failure {
		return func() *failure {
			var silent []*net.TCPConn
			defer func() {
				for _, conn := range silent {
					conn.Close()
				}
			}()
			for range n {
				conn, f := g.dial()
				if f != nil {
					return f
				}
				silent = append(silent, conn)
			}
			return g.answersNewClient("while other clients say nothing, a server that serves one client at a time waits on the first of them, and everyone else waits too: serve each connection on its own (a process, a thread or a goroutine)")
		}
	}
	return []check{
		{"answers a client while another one says nothing", whileSilent(1)},
		{"answers a client while ten others say nothing", whileSilent(10)},
		{"still answers after the silent clients have gone", whileSilent(0)},
	}
}

// answersNewClient asks for /hello/checker on a new connection, while
// other clients hold theirs; why says what no answer means.
func (g *grader) answersNewClient(why string) *failure {
	code, body, f := g.answer(g.getRequest("/hello/checker", "Connection: close\r\n"))
	if f != nil {
		return &failure{want: g.say("an answer within %s", g.timeout), got: "none", why: why}
	}
	if code != "200" || !strings.Contains(string(body), "Hello, checker!") {
		return &failure{want: `status 200 and "Hello, checker!"`, got: g.say("status %s, body %s", code, g.quote(body, 60)),
			why: "the other clients must be served as usual"}
	}
	return nil
}

// The sizes of stage 8's crowds.
const (
	// burst is how many clients 8.1 connects at once.
	burst = 100
	// halfSent is how many clients of 8.2 send half a request and wait.
	halfSent = 50
)

// stage8: the server serves many clients at once, not several: a
// hundred that come together, and a new client while fifty others hold
// it with requests they never finish, as a slow or a hostile client
// does. Every client is on loopback, and the whole stage takes at most
// a few times the timeout.
func (g *grader) stage8() []check {
	return []check{
		{"answers a hundred clients that connect at once, each with a request", func() *failure {
			deadline := time.Now().Add(g.timeout)
			answered := make(chan bool, burst)
			for range burst {
				go func() { answered <- g.answersBy(deadline) }()
			}
			n := 0
			for range burst {
				if <-answered {
					n++
				}
			}
			if n < burst {
				return &failure{want: g.say("an answer to each of %d clients within %s", burst, g.timeout),
					got: g.say("%d of them answered", n),
					why: "clients come in crowds: a server that serves each connection with a thread (or a process, or a goroutine), and whose listen queue is deep enough for the rest, answers them all at once; a queue too short makes the kernel drop connection attempts, which a client sends again only a second later (RFC 6298's first retransmission timeout)"}
			}
			return nil
		}},
		{"answers a new client while fifty others hold half-sent requests", g.whileHeld(halfSent, g.halfRequest(),
			g.say("while %d clients hold their connections with half a request, as clients on slow networks do and as an attack does on purpose (slowloris), each holds what serves it, a thread or a process, until its read deadline: a server needs room for many more connections than it has requests to answer", halfSent))},
		{"still answers after the half-sent clients have gone", g.whileHeld(0, "",
			"when clients leave, what served them must be freed: a server whose bound still counts connections that have gone soon serves no one")},
	}
}

// whileHeld holds n connections, on each of which it has sent sent
// (nothing, when it is ""), then asks for a page on one more, and
// closes the n at the end, whatever happened: why says what no answer
// means. All n connect and send within the timeout, and the new client
// gets the timeout for its answer.
func (g *grader) whileHeld(n int, sent, why string) func() *failure {
	return func() *failure {
		var held []*net.TCPConn
		defer func() {
			for _, conn := range held {
				conn.Close()
			}
		}()
		// A server whose listen queue is full leaves a connection
		// attempt waiting.
		deadline := time.Now().Add(g.timeout)
		for i := range n {
			conn, err := (&net.Dialer{Deadline: deadline}).Dial("tcp", g.addr)
			if err != nil {
				return &failure{want: g.say("%d connections open at once within %s", n, g.timeout),
					got: g.say("%d connected, then: %v", i, err), why: why}
			}
			held = append(held, conn.(*net.TCPConn))
			if sent == "" {
				continue
			}
			conn.SetWriteDeadline(deadline)
			if _, err := io.WriteString(conn, sent); err != nil {
				return &failure{want: "to send the request", got: g.say("%v", err), why: "the server must let the client send its request"}
			}
		}
		return g.answersNewClient(why)
	}
}

// halfRequest is the first half of a request, which a slow client has
// sent and a server waits for the rest of.
func (g *grader) halfRequest() string {
	return "GET /hello/slow HTTP/1.1\r\nHost: " + g.addr + "\r\nUser-"
}

// waiting is how many connections stage 9 holds while a new client
// asks for a page: far more than the 64 that a server with a thread or
// a process per connection serves at once (step 7's -max-children 64,
// step 8's -max-conns 64), and half the 1024 file descriptors that a
// process gets by default on Linux (ulimit -n), so that a student's
// server, which holds one for each connection, has room for them and
// for the next client.
const waiting = 500

// queued says why a server with a thread or a process per connection,
// up to a bound, fails stage 9, after what its clients do.
const queued = "a server with a thread or a process for each connection, up to a bound of 64 or so, has given every one of them to a waiting client: the kernel holds the next connections in the listen queue, the new client's among them, and its turn comes only after the clients ahead of it in the queue have each had their read timeout; a goroutine that waits on the net package's poller costs a few KiB and no thread, so a server on net can afford a bound of thousands. A server out of file descriptors (ulimit -n) makes the new client wait too: each connection holds one"

// stage9: the server serves a new client while hundreds of
// connections wait, silent or with half a request: what it keeps for a
// waiting connection costs so little that its bound on them can be in
// the thousands. Every client is on loopback; each check takes at most
// twice the timeout, and closes its connections at the end.
func (g *grader) stage9() []check {
	return []check{
		{"answers a new client while five hundred others say nothing", g.whileHeld(waiting, "",
			g.say("while %d clients say nothing, as idle clients and clients on slow networks do, %s", waiting, translate(g.lang, queued)))},
		{"answers a new client while five hundred others hold half-sent requests", g.whileHeld(waiting, g.halfRequest(),
			g.say("while %d clients hold half a request each, as slow clients do and as an attack does on purpose (slowloris), %s", waiting, translate(g.lang, queued)))},
		{"still answers after the five hundred have gone", g.whileHeld(0, "",
			"when clients leave, what served them must be freed, and their file descriptors closed: a server that keeps them soon serves no one")},
	}
}

// answersBy asks for /hello/checker on a new connection and reports
// whether the answer, status 200 and Hello, checker!, came by the
// deadline.
func (g *grader) answersBy(deadline time.Time) bool {
	conn, err := (&net.Dialer{Deadline: deadline}).Dial("tcp", g.addr)
	if err != nil {
		return false
	}
	defer conn.Close()
	conn.SetDeadline(deadline)
	if _, err := io.WriteString(conn, g.getRequest("/hello/checker", "Connection: close\r\n")); err != nil {
		return false
	}
	r, f := g.readReply(conn.(*net.TCPConn))
	if f != nil {
		return false
	}
	code, body, f := g.answerIn(r)
	return f == nil && code == "200" && strings.Contains(string(body), "Hello, checker!")
}

// keptConn is a connection on which the checker sends one request after
// another, as a browser does on a connection kept open.
type keptConn struct {
	*net.TCPConn
	in *bufio.Reader // what the server sent and the checker has not read yet
}

// keep connects to the server for a conversation that the timeout
// bounds as a whole.
func (g *grader) keep() (keptConn, *failure) {
	conn, f := g.dial()
	if f != nil {
		return keptConn{}, f
	}
	conn.SetDeadline(time.Now().Add(g.timeout))
	return keptConn{conn, bufio.NewReader(conn)}, nil
}

// ask sends a request and reads the response to it.
func (c keptConn) ask(request string) (response, error) {
	if _, err := io.WriteString(c, request); err != nil {
		return response{}, err
	}
	return readResponse(c.in)
}

// ending says how a connection ended a read: closed, reset, or silent
// until the deadline.
func (g *grader) ending(err error) string {
	switch {
	case err == io.EOF:
		return g.say("the server closed the connection")
	case isReset(err):
		return g.say("the connection was reset")
	case isTimeout(err):
		return g.say("nothing within %s", g.timeout)
	}
	return g.say("%v", err)
}

// cutShort says what came before a read ended, and how it ended.
func (g *grader) cutShort(received []byte, err error) string {
	if len(received) == 0 {
		return g.ending(err)
	}
	return g.say("%s, then %s", g.quote(received, 80), g.ending(err))
}

// greets checks that r answers GET /hello/NAME: status 200 and a body
// that says Hello, NAME!. why says what a wrong answer means.
func (g *grader) greets(r response, name, why string) *failure {
	want := "Hello, " + name + "!"
	if r.head.statusCode() != "200" || !strings.Contains(string(r.body), want) {
		return &failure{want: g.say("status %s and a body containing %q", "200", want),
			got: g.say("%q, body %s", r.head.statusLine, g.quote(r.body, 60)), why: why}
	}
	return nil
}

// keptOpen checks a response (and err, what cut it short) to a request
// after which the connection is to stay open: a whole response that
// does not say Connection: close, whose body's end Content-Length or
// the chunks mark (see keptFramed), and that greets name (see greets).
func (g *grader) keptOpen(r response, err error, name, why string) *failure {
	if f := g.keptFramed(r, err); f != nil {
		return f
	}
	return g.greets(r, name, why)
}

// keptFramed checks a response (and err, what cut it short) after which
// the connection is to stay open: a whole response that does not say
// Connection: close, whose body's end Content-Length or the chunks
// mark, and which came whole.
func (g *grader) keptFramed(r response, err error) *failure {
	switch {
	case !r.headRead:
		return &failure{want: "a response", got: g.cutShort(r.raw, err),
			why: "every request gets a response: status line, header fields, empty line"}
	case r.head.version() == "HTTP/1.0" && !r.head.says("keep-alive"):
		return &failure{want: "a response that keeps the connection open: HTTP/1.1, or HTTP/1.0 with Connection: keep-alive", got: g.say("%q without Connection: keep-alive", r.head.statusLine),
			why: "a response in HTTP/1.0 ends its connection unless it says Connection: keep-alive (RFC 9112 §9.3): answer in HTTP/1.1, in which the connection stays open by default"}
	case r.head.saysClose():
		return &failure{want: "a response that keeps the connection open, without Connection: close", got: strconv.Quote("Connection: close"),
			why: "the server closes every connection after one response, and says so with Connection: close: HTTP/1.1 allows that, but it is not keep-alive, HTTP/1.1's default, in which the connection stays open for the client's next request; keep it open after the response, and read the next request from it"}
	case !r.framed:
		return &failure{want: "a body framed by Content-Length or chunks", got: "neither: the body ends only when the connection closes",
			why: "on a connection kept open, only Content-Length or the chunks tell the client where a body ends and the next response begins"}
	case err != nil:
		return g.cutShortBody(r, err)
	}
	return nil
}

// cutShortBody is the failure of a response whose body err cut short
// before the end that its Content-Length or chunks announced.
func (g *grader) cutShortBody(r response, err error) *failure {
	return &failure{want: "the whole body, as its framing announces", got: g.cutShort(r.body, err),
		why: "a client reads a body up to the end that Content-Length or the last chunk marks: the server must send all of it"}
}

// getRequest is a GET of path in HTTP/1.1 with the given header
// fields. Unless they say Connection: close, it asks for the connection
// to be kept open after the response, as HTTP/1.1 does by default.
func (g *grader) getRequest(path string, fields ...string) string {
	return "GET " + path + " HTTP/1.1\r\nHost: " + g.addr + "\r\nUser-Agent: lsbaws-checker\r\n" + strings.Join(fields, "") + "\r\n"
}

// answeredOnce connects and asks for /hello/first, whose response must
// keep the connection open: the start of a conversation that goes on
// with a next request. The caller closes the connection.
func (g *grader) answeredOnce() (keptConn, *failure) {
	c, f := g.keep()
	if f != nil {
		return keptConn{}, f
	}
	first, err := c.ask(g.getRequest("/hello/first"))
	if f := g.keptOpen(first, err, "first", "the application answers GET /hello/NAME with Hello, NAME!"); f != nil {
		c.Close()
		return keptConn{}, f
	}
	return c, nil
}

// stage10: the server keeps a connection open after its response, for
// the client's next request (HTTP/1.1's keep-alive): it answers the
// requests that come on it one after another or all at once, closes it
// when the client asks, and serves new clients while kept connections
// wait idle.
func (g *grader) stage10() []check {
	get := g.getRequest
	const inOrder = "responses come back in the order of the requests: nothing else tells the client which response answers which request"
	return []check{
		{"answers a second request on the same connection", func() *failure {
			c, f := g.answeredOnce()
			if f != nil {
				return f
			}
			defer c.Close()
			second, err := c.ask(get("/hello/second"))
			switch {
			case !second.headRead && len(second.raw) == 0 && (err == io.EOF || isReset(err)):
				return &failure{want: "an answer to the second request", got: "the server closed the connection after the first response, which did not say Connection: close",
					why: "HTTP/1.1 keeps a connection open unless the client or the server says Connection: close: a server that closes it after a response must say so in that response, or the client sends its next request on a connection that is closing, and loses it"}
			case !second.headRead && len(second.raw) == 0 && isTimeout(err):
				return &failure{want: g.say("an answer to the second request within %s", g.timeout), got: "none",
					why: "the first response kept the connection open (it did not say Connection: close), so the client sent its next request on it: after a response, read the next request from the same connection and answer it"}
			}
			return g.keptOpen(second, err, "second", "the second request on a connection is answered like the first")
		}},
		{"answers two requests sent together, in order", func() *failure {
			c, f := g.keep()
			if f != nil {
				return f
			}
			defer c.Close()
			// Both requests in one write: the first recv may bring in both.
			first, err := c.ask(get("/hello/first") + get("/hello/second"))
			if f := g.keptOpen(first, err, "first", inOrder); f != nil {
				return f
			}
			second, err := readResponse(c.in)
			if !second.headRead && len(second.raw) == 0 {
				return &failure{want: "an answer to the second request, after the first's", got: g.ending(err),
					why: "a client may send its next request before the answer to the last has come (pipelining): what a recv brings in after the end of a request is the next request, to be kept and answered, not thrown away"}
			}
			return g.keptOpen(second, err, "second", inOrder)
		}},
		{"closes the connection after a request that says Connection: close", func() *failure {
			c, f := g.answeredOnce()
			if f != nil {
				return f
			}
			defer c.Close()
			last, err := c.ask(get("/hello/last", "Connection: close\r\n"))
			if !last.headRead {
				return &failure{want: "a response", got: g.cutShort(last.raw, err),
					why: "every request gets a response: status line, header fields, empty line"}
			}
			if !last.head.saysClose() {
				return &failure{want: "Connection: close in the response", got: g.quote(last.raw, 200),
					why: "when the client says Connection: close, this response is the connection's last: the server says Connection: close in it too, and closes the connection after it"}
			}
			switch {
			case last.framed && err != nil:
				return g.cutShortBody(last, err)
			case last.framed:
				// What follows the response: the end of the connection, or
				// nothing until the deadline.
				_, err = c.in.ReadByte()
			}
			if last.closed || err == io.EOF || isReset(err) {
				return nil
			}
			got := "the connection stayed open"
			if isTimeout(err) {
				got = g.say("the connection stayed open for %s after the body", g.timeout)
			}
			return &failure{want: "the connection closed after the body", got: got,
				why: "Connection: close promises that the server hangs up after this response; the client waits for it"}
		}},
		{"answers a new client while ten kept-alive connections sit idle", func() *failure {
			var idle []keptConn
			defer func() {
				for _, c := range idle {
					c.Close()
				}
			}()
			// One client after another, all within the timeout.
			deadline := time.Now().Add(g.timeout)
			for i := range 10 {
				c, f := g.keep()
				if f != nil {
					return f
				}
				idle = append(idle, c)
				c.SetDeadline(deadline)
				if r, err := c.ask(get("/hello/idle")); !r.headRead {
					return &failure{want: "an answer to each of ten clients, one after another", got: g.say("%d answered, then for client %d: %s", i, i+1, g.ending(err)),
						why: "after its response a connection stays open for its client's next request, which may come seconds later or never: a server that serves one connection at a time keeps every other client waiting that long; serve each connection on its own (a goroutine, a thread or a process)"}
				}
			}
			return g.answersNewClient("while kept connections wait for their clients' next requests, a server that serves one connection at a time waits on one of them, and the new client waits too: serve each connection on its own (a goroutine, a thread or a process)")
		}},
		{"decodes a chunked request body, then answers the next request on the connection", func() *failure {
			c, f := g.keep()
			if f != nil {
				return f
			}
			defer c.Close()
			r, err := c.ask("POST /hello HTTP/1.1\r\nHost: " + g.addr + "\r\nUser-Agent: lsbaws-checker\r\nTransfer-Encoding: chunked\r\n\r\n" +
				"5\r\nname=\r\n7\r\nchecker\r\n0\r\n\r\n")
			const want = "Received a body of 12 bytes."
			if r.headRead && (r.head.statusCode() != "200" || !strings.Contains(string(r.body), want)) {
				return &failure{want: g.say("status %s and a body containing %q", "200", want),
					got: g.say("%q, body %s", r.head.statusLine, g.quote(r.body, 60)),
					why: "a body sent with Transfer-Encoding: chunked is a series of chunks, each its size in hexadecimal, CRLF, the bytes, CRLF, up to a chunk of size 0 (RFC 9112 §7.1): a server that keeps connections open must decode it, since a client that does not know its body's length in advance has no other way to send it and keep the connection"}
			}
			if f := g.keptFramed(r, err); f != nil {
				return f
			}
			next, err := c.ask(get("/hello/next"))
			return g.keptOpen(next, err, "next", "the request after a chunked body starts where the body's last chunk, and the empty line after it, end: read the body to there, no less and no more")
		}},
		{"sends a long body on a kept connection, framed by Content-Length or chunks, then answers the next request", func() *failure {
			c, f := g.keep()
			if f != nil {
				return f
			}
			defer c.Close()
			r, err := c.ask(get("/count"))
			if f := g.keptFramed(r, err); f != nil {
				return f
			}
			if r.head.statusCode() != "200" || string(r.body) != countBody() {
				return &failure{want: g.say("status 200 and the numbers 1 to %d, one a line", countTo),
					got: g.say("status %s, %d body bytes: %s", r.head.statusCode(), len(r.body), g.quote(r.body, 60)),
					why: "the application's long output must arrive whole on a kept connection too"}
			}
			next, err := c.ask(get("/hello/next"))
			return g.keptOpen(next, err, "next", "on a kept connection, an application's output longer than the server's buffer goes out in chunks (or with its whole length, when the server waits for all of it): the next response starts right after the last chunk")
		}},
	}
}
