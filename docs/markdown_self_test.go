package docs

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The checks above are only as good as the parsing under them: these
// tests pin it down.

func TestSlug(t *testing.T) {
	tests := []struct {
		name, heading, want string
	}{
		{"lower-cases and joins words with hyphens", "What you will build", "what-you-will-build"},
		{"drops punctuation", "Socket calls: accept(), recv() & send()", "socket-calls-accept-recv--send"},
		{"keeps hyphens and underscores", "SO_REUSEADDR and TIME-WAIT", "so_reuseaddr-and-time-wait"},
		{"keeps the text of inline code", "The `listen` backlog", "the-listen-backlog"},
		{"keeps the text of a link", "See [RFC 9112](https://example.org)", "see-rfc-9112"},
		{"keeps Chinese letters", "三次握手 (handshake)", "三次握手-handshake"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := slug(tt.heading); got != tt.want {
				t.Errorf("slug(%q) = %q, want %q", tt.heading, got, tt.want)
			}
		})
	}
}

func TestParsePage(t *testing.T) {
	text := strings.Join([]string{
		"# Title",
		"",
		"<!-- golden: tests/testdata/step3-response/firefox.response -->",
		"```http",
		"HTTP/1.1 200 OK",
		"```",
		"## Section",
		"````md",
		"```go",
		"# not a heading",
		"```",
		"````",
		"```mermaid",
		"```",
	}, "\n")
	p, err := parsePage("x.md", text)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("finds each block with its language, marker and text", func(t *testing.T) {
		want := []block{
			{lang: "http", marker: "golden: tests/testdata/step3-response/firefox.response", open: 3, close: 5, text: "HTTP/1.1 200 OK\n"},
			{lang: "md", open: 7, close: 11, text: "```go\n# not a heading\n```\n"},
			{lang: "mermaid", open: 12, close: 13, text: ""},
		}
		if diff := cmp.Diff(want, p.blocks, cmp.AllowUnexported(block{})); diff != "" {
			t.Errorf("blocks mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("finds headings outside code blocks only", func(t *testing.T) {
		want := []heading{{level: 1, text: "Title", line: 0}, {level: 2, text: "Section", line: 6}}
		if diff := cmp.Diff(want, p.headings, cmp.AllowUnexported(heading{})); diff != "" {
			t.Errorf("headings mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("replaces a block's text and keeps its fences", func(t *testing.T) {
		p.replaceBlock(p.blocks[0], "HTTP/1.1 404 Not Found\nContent-Length: 0\n")
		got := strings.Join(p.lines[2:7], "\n")
		want := "<!-- golden: tests/testdata/step3-response/firefox.response -->\n```http\nHTTP/1.1 404 Not Found\nContent-Length: 0\n```"
		if got != want {
			t.Errorf("got\n%s\nwant\n%s", got, want)
		}
	})
	t.Run("reports a block that is never closed", func(t *testing.T) {
		if _, err := parsePage("y.md", "```go\npackage main\n"); err == nil {
			t.Error("got no error for an unclosed block")
		}
	})
}

func TestConsoleView(t *testing.T) {
	golden := "Serving HTTP on 127.0.0.1:PORT ...\nAccepted connection fd N from 127.0.0.1:PORT\nGET / HTTP/1.1\r\n\r\n\nShutting down.\n"
	want := "$ go run ./step2-request-print\nServing HTTP on 0.0.0.0:8888 ...\nAccepted connection fd N from 127.0.0.1:PORT\nGET / HTTP/1.1\n\n\n^CShutting down.\n"
	if got := consoleView("step2-request-print", golden); got != want {
		t.Errorf("consoleView shows the student\n%s\nwant\n%s", got, want)
	}
}
