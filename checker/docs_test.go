package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestEveryCheckIsInItsChapter keeps docs/checker.md's list of checks in
// step with the checks the checker runs: each appears there as
// "- ID name".
func TestEveryCheckIsInItsChapter(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "docs", "checker.md"))
	if err != nil {
		t.Fatal(err)
	}
	g := &grader{addr: "127.0.0.1:8888", timeout: time.Second}
	for n := 1; n <= maxStages; n++ {
		for i, c := range g.stage(n) {
			line := fmt.Sprintf("- %d.%d %s\n", n, i+1, c.name)
			t.Run(fmt.Sprintf("check %d.%d is listed in docs/checker.md", n, i+1), func(t *testing.T) {
				if !strings.Contains(string(data), line) {
					t.Errorf("docs/checker.md does not list %q", strings.TrimSpace(line))
				}
			})
		}
	}
}
