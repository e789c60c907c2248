package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseRoster(t *testing.T) {
	tests := []struct {
		name    string
		roster  string
		want    []student
		wantErr string // "" for none
	}{
		{"reads NAME: COMMAND, one a line",
			"ana: python3 server.py {port}\nbob: go run . -addr 127.0.0.1:{port}\n",
			[]student{{"ana", "python3 server.py {port}"}, {"bob", "go run . -addr 127.0.0.1:{port}"}}, ""},
		{"ignores blank lines and # comments",
			"# the class of Monday\n\n  ana: ./run.sh\n   # cem is away\n\n", []student{{"ana", "./run.sh"}}, ""},
		{"cuts at the first colon only, so that the command keeps its own",
			"ana: exec python3 -m http.server --bind 127.0.0.1:x", []student{{"ana", "exec python3 -m http.server --bind 127.0.0.1:x"}}, ""},
		{"keeps a name with spaces", "Ana Lima: ./run.sh", []student{{"Ana Lima", "./run.sh"}}, ""},
		{"reads Windows line ends", "ana: ./run.sh\r\nbob: ./go.sh\r\n", []student{{"ana", "./run.sh"}, {"bob", "./go.sh"}}, ""},
		{"refuses a line without a colon, naming it", "ana: ./run.sh\nbob ./go.sh\n", nil, `line 2: "bob ./go.sh" is not NAME: COMMAND`},
		{"refuses a line without a name", ": ./run.sh", nil, "line 1: no name before the colon"},
		{"refuses a student without a command", "ana:   ", nil, "line 1: ana has no command"},
		{"refuses a name given twice", "ana: a\nbob: b\nana: c", nil, "line 3: ana is already on line 1"},
		{"refuses a roster with no student", "# nobody yet\n", nil, "names no student"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseRoster(tt.roster)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("got %v, want no error", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("got %v, want an error that says %q", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(student{})); diff != "" {
				t.Errorf("students (-want +got):\n%s", diff)
			}
		})
	}
}

func TestClassExitsTwoWhenTheRosterCannotBeRead(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.txt")
	if err := os.WriteFile(bad, []byte("ana ./run.sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, roster, wantErr string }{
		{"a roster that is not there", filepath.Join(dir, "missing.txt"), "read the roster"},
		{"a roster with a bad line", bad, "line 1"},
	} {
		t.Run("exits 2 on "+tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run([]string{"-class", tt.roster}, &stdout, &stderr); code != exitCannotGo {
				t.Errorf("exit status %d, want %d", code, exitCannotGo)
			}
			if !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("stderr %q, want it to say %q", stderr.String(), tt.wantErr)
			}
		})
	}
	t.Run("exits 2 on a command after -- as well", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		if code := run([]string{"-class", bad, "--", "true"}, &stdout, &stderr); code != exitCannotGo {
			t.Errorf("exit status %d, want %d", code, exitCannotGo)
		}
	})
}

// TestClassReport writes the report of a made-up class and reads it
// back: every student has a row in each file, the HTML shows each
// failure and the last lines of a server that never listened.
func TestClassReport(t *testing.T) {
	c := &class{stages: 2, lang: "en", reportDir: t.TempDir()}
	results := []studentResult{
		{Name: "ana", Graded: true, StagesAsked: 2, HighestPassed: 2, Passed: true, Checks: []result{
			{Stage: 1, ID: "1.1", Status: "pass"}, {Stage: 1, ID: "1.2", Status: "pass"}, {Stage: 1, ID: "1.3", Status: "pass"},
			{Stage: 2, ID: "2.1", Status: "pass"}, {Stage: 2, ID: "2.2", Status: "pass"}, {Stage: 2, ID: "2.3", Status: "pass"}}},
		{Name: "<bob>", Graded: true, StagesAsked: 2, HighestPassed: 0, Exited: "exit status 1", Checks: []result{
			{Stage: 1, ID: "1.1", Status: "fail", Name: "accepts a TCP connection", Want: "the server still running", Got: "it exited (exit status 1)", Why: "nothing a client does may end the server"}},
			OutputTail: []string{"Traceback (most recent call last):", "ConnectionResetError: [Errno 104] Connection reset by peer"}},
		{Name: "cem", StagesAsked: 2, Why: "the server exited (exit status 2) before it listened on 127.0.0.1:9", Checks: []result{},
			OutputTail: []string{"SyntaxError: invalid syntax"}},
	}
	if err := c.writeReport(results); err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		data, err := os.ReadFile(filepath.Join(c.reportDir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}

	t.Run("results.json holds every student, with the fields the issue names", func(t *testing.T) {
		var back []map[string]any
		if err := json.Unmarshal([]byte(read("results.json")), &back); err != nil {
			t.Fatal(err)
		}
		if len(back) != 3 {
			t.Fatalf("%d students, want 3", len(back))
		}
		for _, field := range []string{"name", "graded", "highest_passed", "checks", "output_tail"} {
			if _, ok := back[1][field]; !ok {
				t.Errorf("results.json has no %q: %v", field, back[1])
			}
		}
	})
	t.Run("results.csv has a row per student and a column per check", func(t *testing.T) {
		rows, err := csv.NewReader(strings.NewReader(read("results.csv"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		want := [][]string{
			{"name", "graded", "highest_passed", "first_failure", "why", "1.1", "1.2", "1.3", "2.1", "2.2", "2.3"},
			{"ana", "true", "2", "", "", "pass", "pass", "pass", "pass", "pass", "pass"},
			{"<bob>", "true", "0", "1.1", "", "fail", "", "", "", "", ""},
			{"cem", "false", "0", "", "the server exited (exit status 2) before it listened on 127.0.0.1:9", "", "", "", "", "", ""},
		}
		if diff := cmp.Diff(want, rows); diff != "" {
			t.Errorf("results.csv (-want +got):\n%s", diff)
		}
	})
	t.Run("index.html is self-contained, escapes names, and explains each failure", func(t *testing.T) {
		page := read("index.html")
		for _, want := range []string{"<th class=\"name\">ana</th>", "&lt;bob&gt;", `class="cell fail"`,
			"want the server still running, got it exited (exit status 1)", "ConnectionResetError: [Errno 104] Connection reset by peer",
			"SyntaxError: invalid syntax", "before it listened on 127.0.0.1:9"} {
			if !strings.Contains(page, want) {
				t.Errorf("index.html lacks %q", want)
			}
		}
		for _, external := range []string{"<script", "<link", "src=", "href=", "@import", "url("} {
			if strings.Contains(page, external) {
				t.Errorf("index.html has %q: it must need nothing outside itself", external)
			}
		}
	})
}
