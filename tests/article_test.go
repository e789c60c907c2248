package tests

import (
	"bytes"
	"context"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The article's server answers with a Python string that starts with a
// newline and has no header fields. These tests serve that response,
// byte for byte, and show what real clients make of it, next to the
// response of step3-response, which they accept.

// studyNoteResponse is the response as the study note prints it:
//
//	http_response="""
//	HTTP/1.1 200 OK
//	Hello world!"""
//
// The triple-quoted string starts with the newline after """, and no
// empty line separates the status line from the body.
const studyNoteResponse = "\nHTTP/1.1 200 OK\nHello world!"

// articleResponse is the response of Ruslan Spivak's original article:
// the same leading newline, then an empty line before the body.
const articleResponse = "\nHTTP/1.1 200 OK\n\nHello, World!"

// articleServers starts one server for each response the tests compare:
// the study note's and the article's from a tiny loopback server that
// answers every connection once it has read the request, and the real
// step3-response. It returns their addresses, by name.
func articleServers(t *testing.T) map[string]string {
	t.Helper()
	return map[string]string{
		"the study note's response":       serveMistake(t, say(studyNoteResponse)),
		"the original article's response": serveMistake(t, say(articleResponse)),
		"step3-response's response":       startStep(t, "step3-response").addr,
	}
}

// TestCurlRefusesTheArticlesResponsesAsHTTP09 runs curl against each
// response: the article's two have no status line where curl looks for
// one (the first line is empty), so curl takes them for HTTP/0.9, which
// it refuses by default; step3-response's it accepts.
func TestCurlRefusesTheArticlesResponsesAsHTTP09(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl is not installed (Debian: apt-get install curl); .ci/run installs it")
	}
	servers := articleServers(t)
	tests := []struct {
		server   string
		accepted bool
		wantBody string
	}{
		{"the study note's response", false, ""},
		{"the original article's response", false, ""},
		{"step3-response's response", true, "Hello, World!"},
	}
	for _, tt := range tests {
		verdict := "curl refuses " + tt.server + " as HTTP/0.9"
		if tt.accepted {
			verdict = "curl accepts " + tt.server
		}
		t.Run(verdict, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, curl, "-sS", "http://"+servers[tt.server]+"/")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if tt.accepted {
				if err != nil {
					t.Fatalf("curl: %v\n%s", err, stderr.String())
				}
				if stdout.String() != tt.wantBody {
					t.Errorf("curl printed %q, want %q", stdout.String(), tt.wantBody)
				}
				return
			}
			if err == nil {
				t.Fatalf("curl exited with status 0 and printed %q; want it to refuse the response", stdout.String())
			}
			if !regexp.MustCompile(`HTTP/0\.9`).MatchString(stderr.String()) {
				t.Errorf("curl failed (%v) but did not complain about HTTP/0.9:\n%s", err, stderr.String())
			}
		})
	}
}

// pageBody matches the body of the page that Chromium's --dump-dom prints.
var pageBody = regexp.MustCompile(`(?s)<body>(.*)</body>`)

// TestChromiumRendersTheArticlesResponses loads each response in
// headless Chromium. Chromium forgives the leading newline, but in the
// study note's response no empty line ends the header section, so
// Chromium reads "Hello world!" as part of the head, not as a body, and
// shows an empty page; the original article's has the empty line, and
// its body shows.
func TestChromiumRendersTheArticlesResponses(t *testing.T) {
	browser := findChromium(t)
	servers := articleServers(t)
	tests := []struct {
		name     string
		server   string
		wantBody string // the text of the rendered page; "" for an empty page
	}{
		{"Chromium shows an empty page for the study note's response", "the study note's response", ""},
		{"Chromium shows Hello, World! for the original article's response", "the original article's response", "Hello, World!"},
		{"Chromium shows Hello, World! for step3-response's response", "step3-response's response", "Hello, World!"},
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
