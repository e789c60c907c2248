package tests

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// A framingCase is one raw request and the verdict each server gives
// it: the status codes that come back, in order, then how the
// connection ends (see framingVerdict).
//
// want is step 10's verdict, "ours": the SPEC's rules D and E on a server
// that keeps connections alive. Steps 5 to 9 answer one request per
// connection, so theirs is want's first status, then "close", unless
// step5to9 says otherwise; step 5's is the same as steps 6 to 9's unless
// step5 says otherwise (step 5 answers POST, and any Transfer-Encoding,
// with 501), and steps 6 to 9, which read a body by Content-Length only,
// give a request with Transfer-Encoding step 5's verdict. nethttp is
// what net/http's own server says, with a handler that reads the body
// (see startNetHTTP); where want differs from it, why says why ours is
// meant to.
type framingCase struct {
	name     string // what the request is, as the end of a sentence
	request  string
	head     bool // the first request is a HEAD: its answer has no body
	requests int  // how many requests the bytes hold; 0 means 1
	want     string
	step5to9 string
	step5    string
	nethttp  string
	why      string
}

// The verdicts' words after the status codes.
const (
	// open: the server answered the probe sent after the request, so the
	// connection was kept for a next request.
	open = "open"
	// closed: the server closed the connection after its answers.
	closed = "close"
)

// Bodies and heads the cases share.
const (
	postHead   = "POST /hello HTTP/1.1\r\nHost: x\r\n"
	chunkedTE  = "Transfer-Encoding: chunked\r\n"
	helloChunk = "5\r\nhello\r\n0\r\n\r\n"
	getHello   = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"
)

// step5POST is step 5's verdict on a POST it could parse: step 5 has no
// page to POST to.
const step5POST = "501 close"

// hiddenGET is a whole second request, which a body may carry.
const hiddenGET = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"

var framingCases = []framingCase{
	// Line ends in the head (SPEC D1, RFC 9112 §2.2).
	{name: "a head whose every line ends in CRLF", request: getHello,
		want: "200 open", nethttp: "200 open"},
	{name: "a head whose every line ends in a bare LF, as typed into nc", request: "GET /hello HTTP/1.1\nHost: x\n\n",
		want: "200 open", nethttp: "200 open"},
	{name: "a CRLF head with one field line ending in a bare LF", request: postHead + "Dummy: x\nContent-Length: 5\r\n\r\nhello",
		want: "400 close", step5: "400 close", nethttp: "200 open",
		why: "a head that mixes line ends is read one way by a reader that splits at CRLF and another by one that splits at LF (SPEC D1)"},
	{name: "a CRLF head that ends in a bare-LF empty line", request: "GET /hello HTTP/1.1\r\nHost: x\r\n\n",
		want: "400 close", nethttp: "200 open", why: "mixed line ends (SPEC D1)"},
	{name: "a CRLF head ended by a bare-LF empty line, and a request after it", request: "GET /hello HTTP/1.1\r\nHost: x\r\n\n" + hiddenGET,
		want: "400 close", nethttp: "200 200 open",
		why: "a reader that ends the head at CRLF CRLF only sees one request with a strange field line where this one sees two (SPEC D1)"},
	{name: "an LF head that ends in a CRLF empty line", request: "GET /hello HTTP/1.1\nHost: x\n\r\n",
		want: "400 close", nethttp: "200 open", why: "mixed line ends (SPEC D1)"},
	{name: "a head whose request line alone ends in a bare LF", request: "GET /hello HTTP/1.1\nHost: x\r\n\r\n",
		want: "400 close", nethttp: "200 open", why: "mixed line ends (SPEC D1)"},
	{name: "a bare-LF field line that hides Content-Length from a CRLF reader, and a second request in the body",
		request: postHead + "Dummy: x\nContent-Length: " + strconv.Itoa(len(hiddenGET)) + "\r\n\r\n" + hiddenGET,
		want:    "400 close", step5: "400 close", nethttp: "200 open",
		why: "a reader that splits at CRLF only sees no Content-Length and answers the body as a request: the smuggling that mixed line ends allow (SPEC D1)"},
	{name: "a bare CR inside a field value", request: "GET /hello HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n",
		want: "400 close", nethttp: "400 close"},
	{name: "a request line that ends in a bare CR", request: "GET /hello HTTP/1.1\rHost: x\r\n\r\n",
		want: "400 close", nethttp: "400 close"},
	{name: "an obs-fold continuation line", request: "GET /hello HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n",
		want: "400 close", nethttp: "200 open",
		why: "RFC 9112 §5.2 lets a server reject obs-fold with 400 or unfold it; ours rejects it, net/http unfolds it"},
	{name: "one empty line before the request line", request: "\r\n" + getHello,
		want: "200 open", nethttp: "400 close",
		why: "RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request line (SPEC D4); net/http does not"},
	{name: "one bare-LF empty line before an LF head", request: "\nGET /hello HTTP/1.1\nHost: x\n\n",
		want: "200 open", nethttp: "400 close",
		why: "one empty line before the request line is ignored (SPEC D4, RFC 9112 §2.2); net/http does not"},
	{name: "two empty lines before the request line", request: "\r\n\r\n" + getHello,
		want: "400 close", nethttp: "400 close"},

	// Content-Length (RFC 9112 §6.3).
	{name: "a Content-Length of 5 and 5 bytes of body", request: postHead + "Content-Length: 5\r\n\r\nhello",
		want: "200 open", step5: step5POST, nethttp: "200 open"},
	{name: "two equal Content-Length fields", request: postHead + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
		want: "200 open", step5: step5POST, nethttp: "200 open"},
	{name: "two Content-Length fields that disagree", request: postHead + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
		want: "400 close", nethttp: "400 close"},
	{name: "the Content-Length list 5, 5", request: postHead + "Content-Length: 5, 5\r\n\r\nhello",
		want: "400 close", nethttp: "400 close"},
	{name: "a Content-Length with a plus sign", request: postHead + "Content-Length: +5\r\n\r\nhello",
		want: "400 close", nethttp: "400 close"},
	{name: "a negative Content-Length", request: postHead + "Content-Length: -1\r\n\r\nhello",
		want: "400 close", nethttp: "400 close"},
	{name: "a Content-Length in hexadecimal", request: postHead + "Content-Length: 0x5\r\n\r\nhello",
		want: "400 close", nethttp: "400 close"},
	{name: "a Content-Length with leading zeros", request: postHead + "Content-Length: 005\r\n\r\nhello",
		want: "200 open", step5: step5POST, nethttp: "200 open"},
	{name: "a Content-Length with spaces around it", request: postHead + "Content-Length:   5  \r\n\r\nhello",
		want: "200 open", step5: step5POST, nethttp: "200 open"},
	{name: "an empty Content-Length", request: postHead + "Content-Length: \r\n\r\nhello",
		want: "400 close", nethttp: "400 close"},
	{name: "a Content-Length of 20 digits", request: postHead + "Content-Length: 99999999999999999999\r\n\r\nhello",
		want: "400 close", nethttp: "400 close"},
	{name: "a Content-Length over the server's limit", request: postHead + "Content-Length: 2000000\r\n\r\nhello",
		want: "413 close", nethttp: "400 close",
		why: "ours refuses a body over maxBodyBytes (1 MiB) before reading it; net/http has no limit unless the handler sets one, and waits for the body until its read timeout"},

	// Transfer-Encoding (RFC 9112 §6.1). Steps 5 to 9 decode none: 501.
	{name: "a chunked body", request: postHead + chunkedTE + "\r\n" + helloChunk,
		want: "200 open", step5: "501 close", nethttp: "200 open"},
	{name: "Transfer-Encoding: Chunked in capitals", request: postHead + "Transfer-Encoding: Chunked\r\n\r\n" + helloChunk,
		want: "200 open", step5: "501 close", nethttp: "200 open"},
	{name: "Transfer-Encoding: gzip, chunked", request: postHead + "Transfer-Encoding: gzip, chunked\r\n\r\n" + helloChunk,
		want: "501 close", step5: "501 close", nethttp: "501 close"},
	{name: "Transfer-Encoding: chunked, gzip", request: postHead + "Transfer-Encoding: chunked, gzip\r\n\r\n" + helloChunk,
		want: "400 close", step5: "501 close", nethttp: "501 close",
		why: "a body whose last coding is not chunked has no end but the connection's: RFC 9112 §6.3 says 400 and close; net/http says 501 to any coding but chunked"},
	{name: "Transfer-Encoding: identity", request: postHead + "Transfer-Encoding: identity\r\n\r\n" + helloChunk,
		want: "400 close", step5: "501 close", nethttp: "501 close",
		why: "identity is no longer a transfer coding, and the list does not end in chunked (RFC 9112 §6.3): 400"},
	{name: "two Transfer-Encoding: chunked fields", request: postHead + chunkedTE + chunkedTE + "\r\n" + helloChunk,
		want: "501 close", step5: "501 close", nethttp: "501 close"},
	{name: "both Transfer-Encoding and Content-Length", request: postHead + chunkedTE + "Content-Length: 5\r\n\r\n" + helloChunk,
		want: "400 close", step5: "400 close", nethttp: "200 open",
		why: "both at once is the classic way to make two servers split a stream differently; RFC 9112 §6.1 lets a server reject it, which ours does; net/http drops Content-Length and reads the chunks"},
	{name: "Transfer-Encoding in an HTTP/1.0 request", request: "POST /hello HTTP/1.0\r\nHost: x\r\n" + chunkedTE + "\r\n" + helloChunk,
		want: "400 close", step5: "501 close", nethttp: "200 close",
		why: "HTTP/1.0 has no Transfer-Encoding, so the request's framing is wrong (RFC 9112 §6.1); net/http decodes it anyway"},

	// Chunk lines (SPEC D2, RFC 9112 §7.1.1). Steps 5 to 9 decode none: 501.
	{name: "a chunk size followed by a space", request: postHead + chunkedTE + "\r\n5 \r\nhello\r\n0\r\n\r\n",
		want: "400 close", step5: "501 close", nethttp: "200 open",
		why: "whitespace after the size is allowed only before a ';' (SPEC D2)"},
	{name: "a chunk size and an empty extension", request: postHead + chunkedTE + "\r\n5;\r\nhello\r\n0\r\n\r\n",
		want: "400 close", step5: "501 close", nethttp: "200 open",
		why: "an extension needs a name (SPEC D2); net/http ignores everything after ';'"},
	{name: "a chunk extension with a value and no name", request: postHead + chunkedTE + "\r\n5;=x\r\nhello\r\n0\r\n\r\n",
		want: "400 close", step5: "501 close", nethttp: "200 open",
		why: "an extension needs a name (SPEC D2); net/http ignores everything after ';'"},
	{name: "a chunk extension with an unterminated quoted string", request: postHead + chunkedTE + "\r\n5;a=\"unterminated\r\nhello\r\n0\r\n\r\n",
		want: "400 close", step5: "501 close", nethttp: "200 open",
		why: "a quoted string must end (SPEC D2); net/http ignores everything after ';'"},
	{name: "an unterminated quoted chunk extension that swallows the chunks, and a request after them",
		request: postHead + chunkedTE + "\r\n5;a=\"x\r\nhello\r\n0\r\n\r\n" + hiddenGET,
		want:    "400 close", step5: "501 close", nethttp: "200 200 open",
		why: "for a reader that reads the quoted string on, the chunks and the GET are all one extension; a server that answers the GET answers a request that reader never saw: the smuggling an unterminated quoted string allows (SPEC D2)"},
	{name: "valid chunk extensions, a token value and a name alone", request: postHead + chunkedTE + "\r\n5;name=value;flag\r\nhello\r\n0\r\n\r\n",
		want: "200 open", step5: "501 close", nethttp: "200 open"},
	{name: "a valid quoted chunk extension with whitespace around the semicolon", request: postHead + chunkedTE + "\r\n5 ; q=\"a;b\"\r\nhello\r\n0\r\n\r\n",
		want: "200 open", step5: "501 close", nethttp: "400 close",
		why: "RFC 9112 §7.1.1 allows BWS around ';' and a quoted string may hold ';' (SPEC D2); net/http refuses whitespace before ';'"},
	{name: "a chunk size line that ends in a bare LF", request: postHead + chunkedTE + "\r\n5\nhello\r\n0\r\n\r\n",
		want: "400 close", step5: "501 close", nethttp: "400 close"},
	{name: "a chunk size in uppercase hexadecimal", request: postHead + chunkedTE + "\r\nA\r\n0123456789\r\n0\r\n\r\n",
		want: "200 open", step5: "501 close", nethttp: "200 open"},
	{name: "a chunk size that overflows 64 bits", request: postHead + chunkedTE + "\r\nfffffffffffffffffff\r\nhello\r\n0\r\n\r\n",
		want: "413 close", step5: "501 close", nethttp: "400 close",
		why: "ours stops reading the size once it passes maxBodyBytes: too large, 413; net/http calls it a bad chunk length"},
	{name: "a chunk whose data is longer than its size", request: postHead + chunkedTE + "\r\n3\r\nhello\r\n0\r\n\r\n",
		want: "400 close", step5: "501 close", nethttp: "400 close"},
	{name: "a chunk size that is not hexadecimal", request: postHead + chunkedTE + "\r\nxyz\r\nhello\r\n0\r\n\r\n",
		want: "400 close", step5: "501 close", nethttp: "400 close"},
	{name: "a valid trailer field", request: postHead + chunkedTE + "\r\n5\r\nhello\r\n0\r\nX-Checksum: 1234\r\n\r\n",
		want: "200 open", step5: "501 close", nethttp: "200 open"},
	{name: "a trailer line without a colon", request: postHead + chunkedTE + "\r\n5\r\nhello\r\n0\r\nno colon here\r\n\r\n",
		want: "400 close", step5: "501 close", nethttp: "400 close"},
	{name: "a trailer field with a space before its colon", request: postHead + chunkedTE + "\r\n5\r\nhello\r\n0\r\nX-Checksum : 1234\r\n\r\n",
		want: "400 close", step5: "501 close", nethttp: "200 open",
		why: "a trailer field is a field line: no whitespace before its colon, which a server MUST answer with 400 (RFC 9112 §5.1); net/http lets it through in a trailer"},
	{name: "a chunked body whose data is a second request", request: postHead + chunkedTE + "\r\n" + strconv.FormatInt(int64(len(hiddenGET)), 16) + "\r\n" + hiddenGET + "\r\n0\r\n\r\n",
		want: "200 open", step5: "501 close", nethttp: "200 open"},

	// Bodies that hold requests, and requests one after the other.
	{name: "a body whose Content-Length covers a second request", request: postHead + "Content-Length: " + strconv.Itoa(len(hiddenGET)) + "\r\n\r\n" + hiddenGET,
		want: "200 open", step5: step5POST, nethttp: "200 open"},
	{name: "two GET requests sent at once", request: getHello + getHello, requests: 2,
		want: "200 200 open", nethttp: "200 200 open"},
	{name: "a POST with a body and a GET sent at once", request: postHead + "Content-Length: 5\r\n\r\nhello" + getHello, requests: 2,
		want: "200 200 open", step5: step5POST, nethttp: "200 200 open"},
	{name: "a chunked POST and a GET sent at once", request: postHead + chunkedTE + "\r\n" + helloChunk + getHello, requests: 2,
		want: "200 200 open", step5: "501 close", nethttp: "200 200 open"},

	// HEAD: no body, error answers included (SPEC D3, RFC 9110 §9.3.2).
	{name: "a HEAD request", request: "HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n", head: true,
		want: "200 open", nethttp: "200 open"},
	{name: "a HEAD request with a malformed field line", request: "HEAD /hello HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n", head: true,
		want: "400 close", nethttp: "400 garbage",
		why: "an answer to HEAD never has a body (RFC 9110 §9.3.2); net/http sends its error body \"400 Bad Request\" even to HEAD, which a client reads as the next response"},
	{name: "a HEAD request in an unknown HTTP version", request: "HEAD /hello HTTP/2.0\r\nHost: x\r\n\r\n", head: true,
		want: "505 close", nethttp: "505 garbage",
		why: "an answer to HEAD never has a body (RFC 9110 §9.3.2), error answers included"},
	{name: "a HEAD request without Host", request: "HEAD /hello HTTP/1.1\r\n\r\n", head: true,
		want: "400 close", nethttp: "400 garbage",
		why: "an answer to HEAD never has a body (RFC 9110 §9.3.2), error answers included"},
	{name: "a GET request without Host", request: "GET /hello HTTP/1.1\r\n\r\n",
		want: "400 close", nethttp: "400 close"},
}

// framingSteps are the steps that parse requests, and so meet the
// framing table.
var framingSteps = []string{"step5-limits", "step6-gateway", "step7-processes", "step8-threads", "step9-goroutines", "step10-keep-alive"}

// wantFor is the verdict that step must give c.
func (c framingCase) wantFor(step string) string {
	switch step {
	case "step10-keep-alive":
		return c.want
	case "step5-limits":
		if c.step5 != "" {
			return c.step5
		}
	case "step6-gateway", "step7-processes", "step8-threads", "step9-goroutines":
		// They read a body by Content-Length only: a request with
		// Transfer-Encoding gets step 5's verdict.
		if strings.Contains(c.request, "Transfer-Encoding") {
			return c.step5
		}
	}
	if c.step5to9 != "" {
		return c.step5to9
	}
	// One response per connection: the first answer, then the end.
	first, _, _ := strings.Cut(c.want, " ")
	return first + " " + closed
}

// TestFramingTable sends every request of framingCases to every step
// that parses requests, and to net/http's server, and compares the
// verdicts with the table's. Each step runs the table in order on one
// server (steps 5 and 6 serve one connection at a time); the steps run
// at once.
func TestFramingTable(t *testing.T) {
	t.Parallel()
	if len(framingCases) < 40 {
		t.Errorf("the framing table has %d cases, want 40 at least", len(framingCases))
	}
	for _, c := range framingCases {
		if c.want != c.nethttp && c.why == "" {
			t.Errorf("the case %q: ours says %q, net/http %q, and the table does not say why they differ", c.name, c.want, c.nethttp)
		}
	}

	var mu sync.Mutex
	verdicts := map[string]map[string]string{} // case name → server → verdict
	record := func(server, name, verdict string) {
		mu.Lock()
		defer mu.Unlock()
		if verdicts[name] == nil {
			verdicts[name] = map[string]string{}
		}
		verdicts[name][server] = verdict
	}
	t.Cleanup(func() {
		if !testing.Verbose() {
			return
		}
		// The table as the runs found it, for the chapters.
		var b strings.Builder
		fmt.Fprintf(&b, "| request | %s | net/http |\n", strings.Join(framingSteps, " | "))
		for _, c := range framingCases {
			fmt.Fprintf(&b, "| %s |", c.name)
			for _, server := range append(append([]string{}, framingSteps...), "net/http") {
				fmt.Fprintf(&b, " %s |", verdicts[c.name][server])
			}
			b.WriteString("\n")
		}
		t.Logf("framing verdicts:\n%s", b.String())
	})

	t.Run("net/http's server gives every request the verdict the table says", func(t *testing.T) {
		t.Parallel()
		addr := startNetHTTP(t)
		for _, c := range framingCases {
			t.Run("net/http answers "+c.name+" with "+spoken(c.nethttp), func(t *testing.T) {
				got := framingVerdict(addr, c)
				record("net/http", c.name, got)
				if got != c.nethttp {
					t.Errorf("net/http's verdict on %q is %q, the table says %q", c.request, got, c.nethttp)
				}
			})
		}
	})
	for _, step := range framingSteps {
		t.Run(step+" gives every request of the framing table its verdict", func(t *testing.T) {
			t.Parallel()
			srv := startStep(t, step, "-read-timeout", "1s")
			for _, c := range framingCases {
				want := c.wantFor(step)
				t.Run(step+" answers "+c.name+" with "+spoken(want), func(t *testing.T) {
					got := framingVerdict(srv.addr, c)
					record(step, c.name, got)
					if got != want {
						t.Errorf("%s's verdict on %q is %q, want %q (net/http: %q)", step, c.request, got, want, c.nethttp)
					}
				})
			}
			console := srv.stop()
			if strings.Contains(string(console), "panic") {
				t.Errorf("%s panicked:\n%s", step, console)
			}
		})
	}
}

// spoken turns a verdict into the end of a sentence: "200 200 open"
// becomes "200, 200 and keeps the connection open".
func spoken(verdict string) string {
	words := strings.Fields(verdict)
	if len(words) < 2 {
		return verdict
	}
	codes, how := words[:len(words)-1], words[len(words)-1]
	switch how {
	case open:
		how = "keeps the connection open"
	case closed:
		how = "closes the connection"
	default:
		how = "then " + how
	}
	return strings.Join(codes, ", ") + " and " + how
}

// probe is the request the client sends once it has read the answers to
// a case's requests: an answer to it (404, which no case's request
// gets) shows that the server kept the connection for a next request.
// It asks to close the connection, so that the server closes it then.
const probe = "GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"

// framingExchangeTime bounds one case's exchange with a server.
const framingExchangeTime = 2 * time.Second

// framingVerdict sends c's request to addr and says what came back: the
// status code of each response, read with http.ReadResponse (so a body
// is read as its framing says, and an answer to HEAD has none), then
// how the connection ended:
//
//	open     the server answered the probe sent after the answers
//	close    the connection ended after the answers (a FIN; or a reset
//	         once at least one answer was read)
//	reset    the connection was reset before any answer could be read
//	garbage  bytes came that are not a response (a body the framing did
//	         not announce, such as an error body sent to HEAD)
//	timeout  the server sent nothing more within framingExchangeTime
func framingVerdict(addr string, c framingCase) string {
	conn, err := net.DialTimeout("tcp", addr, framingExchangeTime)
	if err != nil {
		return "connect: " + err.Error()
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(framingExchangeTime))
	if _, err := io.WriteString(conn, c.request); err != nil {
		return "send: " + err.Error()
	}
	requests := max(c.requests, 1)
	reader := bufio.NewReader(conn)
	var codes []string
	probed := false
	end := func(how string) string { return strings.Join(append(codes, how), " ") }
	for {
		if len(codes) == requests && !probed {
			// A server that has closed the connection may refuse the probe.
			io.WriteString(conn, probe)
			probed = true
		}
		// ReadResponse takes a stream that ends before a status line for
		// a truncated response: look for the end first.
		if _, err := reader.Peek(1); err != nil {
			return end(endOfStream(err, len(codes)))
		}
		method := http.MethodGet
		if len(codes) == 0 && c.head {
			method = http.MethodHead
		}
		resp, err := http.ReadResponse(reader, &http.Request{Method: method})
		if err != nil {
			return end(endOfStream(err, len(codes)))
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if probed && resp.StatusCode == http.StatusNotFound {
			return end(open)
		}
		codes = append(codes, strconv.Itoa(resp.StatusCode))
		if err != nil {
			return end(endOfStream(err, len(codes)))
		}
	}
}

// endOfStream names the way a stream of responses ended, by the error
// that ended it, after answers responses were read.
func endOfStream(err error, answers int) string {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return "timeout"
	case errors.Is(err, io.EOF):
		return closed
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE):
		if answers == 0 {
			return "reset"
		}
		return closed
	default:
		return "garbage"
	}
}

// startNetHTTP runs net/http's server in this process, on a port of the
// kernel's choosing, with a handler as plain as the steps' applications:
// 404 for /nowhere (the probe), 200 for anything else once the body has
// been read, 400 when the body cannot be read. Like the steps in the
// framing test, it gives a request 1 s to arrive.
func startNetHTTP(t *testing.T) string {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/nowhere" {
			http.NotFound(w, r)
			return
		}
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		io.WriteString(w, "ok\n")
	})
	server := &http.Server{Handler: handler, ReadTimeout: time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go server.Serve(listener)
	t.Cleanup(func() { server.Close() })
	return listener.Addr().String()
}
