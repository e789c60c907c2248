package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"
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

// TestEveryCheckIsInTheChineseChapter keeps docs/zh-CN/checker.md's
// list of checks in step with the names the checker prints: each
// appears there as "- ID 中文名（English name）", the name that -lang
// zh-CN prints, then the one it prints without.
func TestEveryCheckIsInTheChineseChapter(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "docs", "zh-CN", "checker.md"))
	if err != nil {
		t.Fatal(err)
	}
	g := &grader{addr: "127.0.0.1:8888", timeout: time.Second}
	for n := 1; n <= maxStages; n++ {
		for i, c := range g.stage(n) {
			line := fmt.Sprintf("- %d.%d %s（%s）\n", n, i+1, translate("zh-CN", c.name), c.name)
			t.Run(fmt.Sprintf("check %d.%d is listed in docs/zh-CN/checker.md as the checker names it", n, i+1), func(t *testing.T) {
				if !strings.Contains(string(data), line) {
					t.Errorf("docs/zh-CN/checker.md does not list %q", strings.TrimSpace(line))
				}
			})
		}
	}
}

// TestEveryCheckSpeaksChinese checks that -lang zh-CN names every stage
// and every check in Chinese, and points to a Chinese chapter section
// that exists.
func TestEveryCheckSpeaksChinese(t *testing.T) {
	g := &grader{addr: "127.0.0.1:8888", timeout: time.Second}
	for n := 1; n <= maxStages; n++ {
		t.Run(fmt.Sprintf("stage %d has a Chinese name", n), func(t *testing.T) {
			if _, ok := zhCN[stageNames[n]]; !ok {
				t.Errorf("no Chinese for the stage %q", stageNames[n])
			}
		})
		for i, c := range g.stage(n) {
			t.Run(fmt.Sprintf("check %d.%d has a Chinese name", n, i+1), func(t *testing.T) {
				if _, ok := zhCN[c.name]; !ok {
					t.Errorf("no Chinese for the check %q", c.name)
				}
			})
		}
		file, anchor, _ := strings.Cut(chapterIn("zh-CN", chapters[n]), "#")
		t.Run(fmt.Sprintf("stage %d points to a section of %s that exists", n, file), func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("..", filepath.FromSlash(file)))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(data), "\n## "+anchor+"\n") {
				t.Errorf("%s has no heading ## %s", file, anchor)
			}
		})
	}
}

// TestSectionsExist checks that every section the checker links to, in
// English and in Chinese, is a heading of its page, or an explicit
// <a id> on a line of its own: the stages' chapters and the sections
// that single checks point to (readLoop).
func TestSectionsExist(t *testing.T) {
	links := append([]string{readLoop}, chapters[1:]...)
	for _, lang := range languages {
		for _, link := range links {
			file, anchor, _ := strings.Cut(chapterIn(lang, link), "#")
			t.Run(fmt.Sprintf("%s has a heading whose anchor is #%s", file, anchor), func(t *testing.T) {
				data, err := os.ReadFile(filepath.Join("..", filepath.FromSlash(file)))
				if err != nil {
					t.Fatal(err)
				}
				for line := range strings.SplitSeq(string(data), "\n") {
					if strings.HasPrefix(line, "#") && headingAnchor(strings.TrimLeft(line, "# ")) == anchor {
						return
					}
					// An explicit anchor keeps a link working when its
					// heading is renamed.
					if line == `<a id="`+anchor+`"></a>` {
						return
					}
				}
				t.Errorf("%s has no heading, nor an <a id>, with the anchor #%s", file, anchor)
			})
		}
	}
}

// headingAnchor makes a heading's anchor as GitHub does (and as the
// docs' tests do): lower case, every character that is not a letter, a
// digit, a space, "-" or "_" dropped, and spaces made "-".
func headingAnchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			b.WriteRune(r)
		}
	}
	return b.String()
}
