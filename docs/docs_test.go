package docs

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the marked blocks in docs/ from the golden files and the code")

// TestMarkedBlocksMatchTheirSource checks every block that has a marker
// (see WRITING.md) against what the marker names: a golden file, the
// diff of two files, a quote from a file, or a whole file. With -update
// it rewrites the blocks instead (all but quotes, which are a choice).
func TestMarkedBlocksMatchTheirSource(t *testing.T) {
	for _, path := range mustPages(t) {
		p, err := readPage(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(path+" shows what its sources say", func(t *testing.T) {
			changed := false
			// Rewrite from the last block up, so that line numbers of
			// earlier blocks stay right.
			for i := len(p.blocks) - 1; i >= 0; i-- {
				b := p.blocks[i]
				if b.marker == "" {
					continue
				}
				kind, arg, _ := strings.Cut(b.marker, ": ")
				where := fmt.Sprintf("%s:%d", path, b.open+1)
				if kind == "quote" {
					if err := checkQuote(arg, b.text); err != nil {
						t.Errorf("%s: %v", where, err)
					}
					continue
				}
				want, err := expectedBlock(kind, arg)
				if err != nil {
					t.Errorf("%s: %v", where, err)
					continue
				}
				if want == b.text {
					continue
				}
				if *update {
					p.replaceBlock(b, want)
					changed = true
					continue
				}
				t.Errorf("%s: the block differs from its %s (-want +got); run go test ./docs -update:\n%s",
					where, b.marker, cmp.Diff(want, b.text))
			}
			if changed {
				if err := os.WriteFile(filepath.Join(repoRoot, path), []byte(strings.Join(p.lines, "\n")+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// replaceBlock puts text between the fences of b.
func (p *page) replaceBlock(b block, text string) {
	var lines []string
	lines = append(lines, p.lines[:b.open+1]...)
	if text != "" {
		lines = append(lines, strings.Split(strings.TrimSuffix(text, "\n"), "\n")...)
	}
	lines = append(lines, p.lines[b.close:]...)
	p.lines = lines
}

// expectedBlock returns what a block with the marker kind: arg must hold,
// each line ending in "\n".
func expectedBlock(kind, arg string) (string, error) {
	switch kind {
	case "golden":
		data, err := readRepoFile(arg)
		if err != nil {
			return "", err
		}
		if strings.HasSuffix(arg, ".console") {
			step := path.Base(path.Dir(arg))
			return asBlock(consoleView(step, string(data))), nil
		}
		return asBlock(strings.ReplaceAll(string(data), "\r", "")), nil
	case "file":
		data, err := readRepoFile(arg)
		if err != nil {
			return "", err
		}
		return asBlock(string(data)), nil
	case "diff":
		files := strings.Fields(arg)
		if len(files) != 2 {
			return "", fmt.Errorf("diff: marker wants two paths, got %q", arg)
		}
		out, err := unifiedDiff(files[0], files[1])
		return asBlock(out), err
	default:
		return "", fmt.Errorf("unknown marker %q (see docs/WRITING.md)", kind)
	}
}

// asBlock makes text end in exactly one line end, as the lines of a
// fenced block do; empty text stays empty.
func asBlock(text string) string {
	if text == "" {
		return ""
	}
	return strings.TrimSuffix(text, "\n") + "\n"
}

var servingAnyAddress = regexp.MustCompile(`(?m)^Serving HTTP on 127\.0\.0\.1:PORT \.\.\.$`)

// defaultAddress is where a step listens by default, as it says at its
// start: steps 1 to 8 make an IPv4 socket for every interface, 0.0.0.0;
// step 9's net.Listen("tcp", ":8888") makes one for IPv6 and IPv4 alike,
// which Go writes [::], and so does step 10's; so does step 11's socket
// on [::] (its number is compared as a number: "step10" < "step9" as
// strings).
func defaultAddress(step string) string {
	var n int
	fmt.Sscanf(step, "step%d", &n)
	if n >= 9 {
		return "[::]:8888"
	}
	return "0.0.0.0:8888"
}

// consoleView turns a step's golden console output into what a student
// sees in the terminal after `go run ./STEP` with the default address
// and Ctrl-C at the end (see WRITING.md).
func consoleView(step, console string) string {
	console = strings.ReplaceAll(console, "\r", "")
	console = servingAnyAddress.ReplaceAllLiteralString(console, "Serving HTTP on "+defaultAddress(step)+" ...")
	// The first "Shutting down" line follows the Ctrl-C: "Shutting down."
	// for steps 1 to 6, "Shutting down: no new connections; ..." for 7.
	console = strings.Replace(console, "\nShutting down", "\n^CShutting down", 1)
	return "$ go run ./" + step + "\n" + console
}

// unifiedDiff returns `diff -u` of two files of the repository, labelled
// with their paths.
func unifiedDiff(oldPath, newPath string) (string, error) {
	cmd := exec.Command("diff", "-u", "--label", oldPath, "--label", newPath, filepath.FromSlash(oldPath), filepath.FromSlash(newPath))
	cmd.Dir = repoRoot
	out, err := cmd.Output()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 1 {
		err = nil // 1 means the files differ, as they should
	}
	if err != nil {
		return "", fmt.Errorf("diff -u %s %s: %w", oldPath, newPath, err)
	}
	return string(out), nil
}

// checkQuote reports whether the block's lines appear in the file, in
// a row and unchanged.
func checkQuote(file, text string) error {
	data, err := readRepoFile(file)
	if err != nil {
		return err
	}
	if text == "" {
		return errors.New("quote: the block is empty")
	}
	if !bytes.HasPrefix(data, []byte(text)) && !bytes.Contains(data, []byte("\n"+text)) {
		return fmt.Errorf("quote: these lines are not in %s as they stand:\n%s", file, text)
	}
	return nil
}

func readRepoFile(name string) ([]byte, error) {
	if strings.Contains(name, "..") || path.IsAbs(name) {
		return nil, fmt.Errorf("%q: a marker names a path inside the repository, from its root", name)
	}
	return os.ReadFile(filepath.Join(repoRoot, filepath.FromSlash(name)))
}

// TestTranscriptsAndDiffsAreMarked checks that no transcript, response
// or diff is shown without a marker that ties it to its source, and
// that every Go snippet is either quoted or a whole file.
func TestTranscriptsAndDiffsAreMarked(t *testing.T) {
	for _, path := range mustPages(t) {
		p, err := readPage(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(path+" marks every transcript, response and diff", func(t *testing.T) {
			for _, b := range p.blocks {
				where := fmt.Sprintf("%s:%d", path, b.open+1)
				switch b.lang {
				case "console", "http", "diff":
					if b.marker == "" {
						t.Errorf("%s: a %s block needs a marker naming its source (see docs/WRITING.md)", where, b.lang)
					}
				case "go":
					if b.marker == "" && !strings.HasPrefix(strings.TrimSpace(b.text), "package ") &&
						!strings.HasPrefix(strings.TrimSpace(b.text), "//") {
						t.Errorf("%s: a Go block is either quoted (<!-- quote: PATH -->) or a whole file starting with package", where)
					}
				}
			}
		})
	}
}

// TestGoSnippetsCompile writes every unquoted Go block of the docs to a
// module of its own and runs go vet on all of them: a snippet that a
// reader copies must build.
func TestGoSnippetsCompile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module snippets\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	origin := map[string]string{}
	for _, path := range mustPages(t) {
		p, err := readPage(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range p.blocks {
			if b.lang != "go" || b.marker != "" {
				continue
			}
			name := fmt.Sprintf("snippet%02d", len(origin)+1)
			origin[name] = fmt.Sprintf("%s:%d", path, b.open+1)
			if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, name, "snippet.go"), []byte(b.text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(origin) == 0 {
		t.Skip("the docs have no Go snippet of their own yet")
	}
	cmd := exec.Command("go", "vet", "./...")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		report := string(out)
		for name, where := range origin {
			report = strings.ReplaceAll(report, name+"/snippet.go", where)
			report = strings.ReplaceAll(report, "snippets/"+name, where)
		}
		t.Errorf("a Go snippet in the docs does not build or vet cleanly: %v\n%s", err, report)
	}
}

var linkPattern = regexp.MustCompile(`!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)

// TestLinksResolve checks every relative link of the docs and the README:
// the file exists, and the #anchor, if any, names a heading of it.
func TestLinksResolve(t *testing.T) {
	pages := map[string]*page{}
	load := func(path string) (*page, error) {
		if p, ok := pages[path]; ok {
			return p, nil
		}
		p, err := readPage(path)
		if err == nil {
			pages[path] = p
		}
		return p, err
	}
	for _, from := range mustPages(t) {
		p, err := load(from)
		if err != nil {
			t.Fatal(err)
		}
		t.Run("every link of "+from+" resolves", func(t *testing.T) {
			for i, line := range p.proseLines() {
				for _, m := range linkPattern.FindAllStringSubmatch(line, -1) {
					target := m[1]
					if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
						continue
					}
					where := fmt.Sprintf("%s:%d: link %q", from, i+1, target)
					file, anchor, _ := strings.Cut(target, "#")
					to := from
					if file != "" {
						to = path.Clean(path.Join(path.Dir(from), file))
						if strings.HasPrefix(to, "../") {
							t.Errorf("%s leaves the repository", where)
							continue
						}
						if _, err := os.Stat(filepath.Join(repoRoot, filepath.FromSlash(to))); err != nil {
							t.Errorf("%s: no such file %s", where, to)
							continue
						}
					}
					if anchor == "" {
						continue
					}
					if !strings.HasSuffix(to, ".md") {
						t.Errorf("%s: an anchor into a file that is not Markdown", where)
						continue
					}
					targetPage, err := load(to)
					if err != nil {
						t.Errorf("%s: %v", where, err)
						continue
					}
					if !targetPage.anchors()[anchor] {
						t.Errorf("%s: %s has no heading with the anchor #%s", where, to, anchor)
					}
				}
			}
		})
	}
}

// chapterSections are the sections of every chapter, in order.
var chapterSections = []string{
	"What you will build",
	"Run it",
	"On the wire",
	"What this step adds",
	"What is still wrong",
	"Exercises",
}

var chapterName = regexp.MustCompile(`^docs/(?:[a-zA-Z-]+/)?[0-9][0-9]-[a-z0-9-]+\.md$`)

// TestChaptersHaveTheirSections checks the shape that every chapter
// shares (see WRITING.md): its sections, in order, and 3 to 5 exercises
// with their solutions folded in <details>.
func TestChaptersHaveTheirSections(t *testing.T) {
	for _, path := range mustPages(t) {
		if !chapterName.MatchString(path) {
			continue
		}
		p, err := readPage(path)
		if err != nil {
			t.Fatal(err)
		}
		sections := chapterSections
		for lang, translated := range chapterSectionsIn {
			if strings.HasPrefix(path, "docs/"+lang+"/") {
				sections = translated
			}
		}
		t.Run(path+" has the sections of a chapter", func(t *testing.T) {
			var got []string
			exercisesAt := -1
			for _, h := range p.headings {
				if h.level == 2 {
					got = append(got, h.text)
					if h.text == sections[len(sections)-1] {
						exercisesAt = h.line
					}
				}
			}
			next := 0
			for _, title := range got {
				if next < len(sections) && title == sections[next] {
					next++
				}
			}
			if next < len(sections) {
				t.Errorf("the ## sections are %q; want these, in this order: %q", got, sections)
			}
			if exercisesAt < 0 {
				return
			}
			details := 0
			for _, line := range p.proseLines()[exercisesAt:] {
				details += strings.Count(line, "<details>")
			}
			if details < 3 || details > 5 {
				t.Errorf("the exercises have %d <details> blocks; want one solution folded in each of 3 to 5 exercises", details)
			}
		})
	}
}

func mustPages(t *testing.T) []string {
	t.Helper()
	pages, err := markdownPages()
	if err != nil {
		t.Fatal(err)
	}
	return pages
}
