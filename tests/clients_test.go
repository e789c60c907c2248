package tests

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// curlComplaint matches what curl -v says about a reply it finds wrong:
// a malformed or weird status line, an HTTP/0.9 reply, a length that
// does not match, excess data, or any warning.
var curlComplaint = regexp.MustCompile(`(?i)malformed|weird|http/0\.9|excess|invalid|mismatch|warning|left intact.*error`)

// TestCurlAcceptsTheResponses runs the real curl against the steps that
// answer, as the chapters tell students to, and checks that curl exits 0
// and finds nothing to complain about.
func TestCurlAcceptsTheResponses(t *testing.T) {
	t.Parallel()
	curl := findCurl(t)
	tests := []struct {
		step     string
		flags    []string // the step's own flags, after -addr
		args     []string // after curl -sS -v, before the URL
		path     string
		wantBody string // what the body must contain; "" for none
	}{
		{"step3-response", nil, nil, "/", "Hello, World!"},
		{"step3-response", nil, nil, "/hello", "Hello, World!"},
		{"step4-parse", nil, nil, "/hello?name=curl", "query:   name=curl"},
		{"step4-parse", nil, []string{"--head"}, "/hello", ""},
		{"step5-limits", nil, nil, "/hello?name=curl", "query:   name=curl"},
		{"step5-limits", nil, []string{"--head"}, "/hello", ""},
		{"step5-limits", nil, []string{"--fail-with-body"}, "/", "method:  GET"},
		{"step6-gateway", []string{"-app", "gin"}, nil, "/hello/curl", "Hello, curl!"},
		{"step6-gateway", []string{"-app", "chi"}, []string{"--head"}, "/hello", ""},
		{"step6-gateway", []string{"-app", "stdlib"}, []string{"--data-binary", "name=curl"}, "/hello", "Received a body of 9 bytes."},
		{"step10-keep-alive", []string{"-app", "gin"}, []string{"-H", "Transfer-Encoding: chunked", "--data-binary", "name=curl"}, "/hello", "Received a body of 9 bytes."},
		{"step6-gateway", []string{"-app", "chi"}, nil, "/count", "\n1999\n2000\n"},
	}
	for _, tt := range tests {
		command := strings.Join(append(append([]string{"curl"}, tt.args...), tt.path), " ")
		step := strings.Join(append([]string{tt.step}, tt.flags...), " ")
		t.Run(step+" answers "+command+" without a complaint", func(t *testing.T) {
			t.Parallel()
			srv := startStep(t, tt.step, tt.flags...)
			_, port, _ := net.SplitHostPort(srv.addr)
			url := "http://localhost:" + port + tt.path

			stdout, stderr := runCurl(t, curl, append(append([]string{"-sS", "-v"}, tt.args...), url)...)
			srv.stop()

			if m := curlComplaint.FindString(stderr); m != "" {
				t.Errorf("curl complained (%q):\n%s", m, stderr)
			}
			if !strings.Contains(stderr, "< HTTP/1.1 ") {
				t.Errorf("curl did not see an HTTP/1.1 status line:\n%s", stderr)
			}
			if tt.wantBody != "" && !strings.Contains(stdout, tt.wantBody) {
				t.Errorf("curl printed %q, want it to contain %q", stdout, tt.wantBody)
			}
		})
	}
}

// findCurl returns the path of curl, or skips the test where there is
// none.
func findCurl(t *testing.T) string {
	t.Helper()
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl is not installed (Debian: apt-get install curl); .ci/run installs it")
	}
	return curl
}

// runCurl runs curl with args, for 10 s at most, and returns what it
// printed on standard output and standard error. It fails the test if
// curl fails.
func runCurl(t *testing.T, curl string, args ...string) (stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, curl, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("curl %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return out.String(), errOut.String()
}

// chromiumPaths are where Debian and other systems install Chromium.
var chromiumPaths = []string{"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"}

// chromiumFlags make headless Chromium work in a sandboxed machine with
// no internet: no sandbox (the tests may run as root), no GPU, and none
// of the background connections it would otherwise try to make.
var chromiumFlags = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
	"--no-first-run", "--disable-background-networking",
	"--disable-component-update", "--disable-sync",
	"--disable-dev-shm-usage",
}

// findChromium returns the path of Chromium, or skips the test where
// it is not installed.
func findChromium(t *testing.T) string {
	t.Helper()
	for _, path := range chromiumPaths {
		if _, err := os.Stat(path); err == nil {
			return path
		}
	}
	t.Skip("Chromium is not installed (Debian: apt-get install chromium); .ci/run installs it")
	return ""
}

// TestBrowserShowsThePage loads the page in a real browser, headless
// Chromium, as a student opens http://localhost:8888/, and checks the
// page that the browser rendered.
func TestBrowserShowsThePage(t *testing.T) {
	t.Parallel()
	browser := findChromium(t)
	tests := []struct {
		step  string
		flags []string // the step's own flags, after -addr
		path  string
		want  []string // what the rendered page must say
	}{
		{"step3-response", nil, "/", []string{"Hello, World!"}},
		{"step4-parse", nil, "/hello?name=chromium", []string{"Hello, World!", "path:    /hello", "query:   name=chromium", "User-Agent: Mozilla/5.0"}},
		{"step5-limits", nil, "/hello?name=chromium", []string{"Hello, World!", "path:    /hello", "query:   name=chromium", "User-Agent: Mozilla/5.0"}},
		{"step6-gateway", []string{"-app", "gin"}, "/hello/chromium", []string{"Hello, chromium!", "The app received: GET /hello/chromium HTTP/1.1"}},
		{"step10-keep-alive", nil, "/hello/chromium", []string{"Hello, chromium!", "The app received: GET /hello/chromium HTTP/1.1"}},
	}
	for _, tt := range tests {
		step := strings.Join(append([]string{tt.step}, tt.flags...), " ")
		t.Run("Chromium shows what "+step+" answers to "+tt.path, func(t *testing.T) {
			srv := startStep(t, tt.step, tt.flags...)
			_, port, _ := net.SplitHostPort(srv.addr)

			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			args := append(append([]string{}, chromiumFlags...),
				"--user-data-dir="+t.TempDir(), "--dump-dom", "http://localhost:"+port+tt.path)
			cmd := exec.CommandContext(ctx, browser, args...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			console := srv.stop()

			if err != nil {
				t.Fatalf("chromium: %v\n%s", err, stderr.String())
			}
			for _, want := range tt.want {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("the page Chromium rendered does not say %q:\n%s\nserver console:\n%s", want, stdout.String(), console)
				}
			}
		})
	}
}
