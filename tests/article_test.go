package tests

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// These tests serve two responses byte for byte, the article's and the
// study note's, each from a tiny loopback server that reads the request
// and then writes the response and closes, as the Python does, and show
// what real clients make of them, next to step3-response's response.

// articleResponse is what Ruslan Spivak's part1/webserver1.py sends:
//
//	http_response = """\
//	HTTP/1.1 200 OK
//
//	Hello, World!
//	"""
//
// The backslash after the opening """ continues the line, so the string
// starts with the status line, not with a newline. Then comes an empty
// line, the body and a newline; the server closes the connection after
// it. The body is close-delimited, which HTTP/1.1 allows for a response
// (RFC 9112, section 6.3); its faults are bare LF line ends, where the
// grammar wants CRLF (RFC 9112, sections 2.1 and 2.2), and no header
// fields.
const articleResponse = "HTTP/1.1 200 OK\n\nHello, World!\n"

// studyNoteResponse is the response as the study note transcribes it:
//
//	http_response="""
//	HTTP/1.1 200 OK
//	Hello world!"""
//
// Without the backslash, the string starts with a newline; and no empty
// line separates the status line from the body.
const studyNoteResponse = "\nHTTP/1.1 200 OK\nHello world!"

// The names of the three servers that the tests compare.
const (
	articleServer = "the article's response"
	noteServer    = "the study note's response"
	step3Server   = "step3-response's response"
)

// articleServers starts one server for each response the tests compare
// and returns their addresses, by name.
func articleServers(t *testing.T) map[string]string {
	t.Helper()
	return map[string]string{
		articleServer: serveMistake(t, say(articleResponse)),
		noteServer:    serveMistake(t, say(studyNoteResponse)),
		step3Server:   startStep(t, "step3-response").addr,
	}
}

// TestCurlOnTheArticlesAndTheNotesResponses runs curl against each
// response as chapter 3 does: `curl` and `curl --http0.9`. curl accepts
// the article's response (no length, so the body is what comes before
// the close) and step 3's; it takes the note's for HTTP/0.9, because its
// first line is empty, and refuses it unless --http0.9 allows it.
func TestCurlOnTheArticlesAndTheNotesResponses(t *testing.T) {
	t.Parallel()
	curl := findCurl(t)
	servers := articleServers(t)
	tests := []struct {
		name       string
		server     string
		args       []string // between curl -sS and the URL
		wantStatus int      // curl's exit status
		wantStdout string   // all that curl prints on standard output
		wantStderr string   // a pattern curl's standard error must match; "" for nothing
	}{
		{"curl accepts the article's response and prints its body, up to the close",
			articleServer, nil, 0, "Hello, World!\n", ""},
		{"curl sees status 200 in the article's response",
			articleServer, []string{"-o", "/dev/null", "-w", "%{http_code}"}, 0, "200", ""},
		{"curl refuses the study note's response as HTTP/0.9",
			noteServer, nil, 1, "", `Received HTTP/0\.9 when not allowed`},
		{"curl --http0.9 prints the study note's response as it came",
			noteServer, []string{"--http0.9"}, 0, studyNoteResponse, ""},
		{"curl accepts step3-response's response",
			step3Server, nil, 0, "Hello, World!", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			args := append(append([]string{"-sS"}, tt.args...), "http://"+servers[tt.server]+"/")
			cmd := exec.CommandContext(ctx, curl, args...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			status := 0
			if err := cmd.Run(); err != nil {
				var exit *exec.ExitError
				if !errors.As(err, &exit) {
					t.Fatalf("curl: %v", err)
				}
				status = exit.ExitCode()
			}
			if status != tt.wantStatus {
				t.Errorf("curl exited with status %d, want %d\n%s", status, tt.wantStatus, stderr.String())
			}
			if got := stdout.String(); got != tt.wantStdout {
				t.Errorf("curl printed %q, want %q", got, tt.wantStdout)
			}
			if tt.wantStderr != "" && !regexp.MustCompile(tt.wantStderr).MatchString(stderr.String()) {
				t.Errorf("curl's complaint %q does not match %q", stderr.String(), tt.wantStderr)
			}
		})
	}
}

// pageBody matches the body of the page that Chromium's --dump-dom prints.
var pageBody = regexp.MustCompile(`(?s)<body>(.*)</body>`)

// TestChromiumRendersTheArticlesAndTheNotesResponses loads each response
// in headless Chromium. It shows the article's body. In the study note's
// response no empty line ends the head, so Chromium reads "Hello world!"
// as part of the head, not as a body, and shows an empty page.
func TestChromiumRendersTheArticlesAndTheNotesResponses(t *testing.T) {
	t.Parallel()
	browser := findChromium(t)
	servers := articleServers(t)
	tests := []struct {
		name     string
		server   string
		wantBody string // the text of the rendered page; "" for an empty page
	}{
		{"Chromium shows Hello, World! for the article's response", articleServer, "Hello, World!"},
		{"Chromium shows an empty page for the study note's response", noteServer, ""},
		{"Chromium shows Hello, World! for step3-response's response", step3Server, "Hello, World!"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			args := append(append([]string{}, chromiumFlags...),
				"--user-data-dir="+t.TempDir(), "--dump-dom", "http://"+servers[tt.server]+"/")
			cmd := exec.CommandContext(ctx, browser, args...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("chromium: %v\n%s", err, stderr.String())
			}
			m := pageBody.FindStringSubmatch(stdout.String())
			if m == nil {
				t.Fatalf("Chromium's page has no <body>:\n%s", stdout.String())
			}
			text := strings.TrimSpace(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(m[1], ""))
			if text != tt.wantBody {
				t.Errorf("the page Chromium rendered says %q, want %q:\n%s", text, tt.wantBody, stdout.String())
			}
		})
	}
}
