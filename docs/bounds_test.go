package docs

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// The bounds of issue 14, "one lesson per step": a reader can diff two
// neighbouring steps and see one idea, and read a chapter in one sitting.
const (
	// maxChangedLines bounds the changed lines of non-test Go between two
	// neighbouring steps, comments included.
	maxChangedLines = 500
	// maxProseWords bounds a chapter's words outside its code blocks.
	maxProseWords = 4000
	// maxChapterWords bounds a chapter's words in all: 30 minutes at 200
	// words a minute.
	maxChapterWords = 6000
)

// lastLessonStep is the last step whose diff from the one before is
// bounded. Step 11, the event loop, replaces what Go's runtime did for
// steps 9 and 10 (the poller, the goroutines, the timers) with a loop of
// its own: it is a new architecture, not an idea added to step 10, and
// its chapter reads it file by file instead of as a diff (docs/README.md
// says so).
const lastLessonStep = 10

var stepDirPattern = regexp.MustCompile(`^step([0-9]+)-[a-z0-9-]+$`)

// stepDirs lists the step folders at the repository's root, in the order
// of their numbers.
func stepDirs(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() && stepDirPattern.MatchString(e.Name()) {
			dirs = append(dirs, e.Name())
		}
	}
	sort.Slice(dirs, func(i, j int) bool { return stepNumber(dirs[i]) < stepNumber(dirs[j]) })
	return dirs
}

// stepNumber is the number in a step folder's name.
func stepNumber(dir string) int {
	n, _ := strconv.Atoi(stepDirPattern.FindStringSubmatch(dir)[1])
	return n
}

// changedLines counts the lines that `diff -rN` prints as removed or
// added between two step folders, over their non-test Go files (a file
// only one of them has counts whole).
func changedLines(a, b string) (int, error) {
	cmd := exec.Command("diff", "-rN", "-x", "*_test.go", "-x", "testdata", "-x", "*.md", a, b)
	cmd.Dir = repoRoot
	out, err := cmd.Output()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) {
		return 0, fmt.Errorf("diff -rN %s %s: %w", a, b, err)
	}
	n := 0
	for _, line := range bytes.Split(out, []byte("\n")) {
		if len(line) > 0 && (line[0] == '<' || line[0] == '>') {
			n++
		}
	}
	return n, nil
}

func TestNeighbouringStepsDifferByOneLesson(t *testing.T) {
	if _, err := exec.LookPath("diff"); err != nil {
		t.Skip("diff is not installed (Debian: apt-get install diffutils); .ci/run installs it")
	}
	dirs := stepDirs(t)
	for i, dir := range dirs {
		if stepNumber(dir) != i+1 {
			t.Fatalf("the steps are numbered %v: step %d is missing, and a diff would span two lessons", dirs, i+1)
		}
	}
	for i := 1; i < len(dirs); i++ {
		a, b := dirs[i-1], dirs[i]
		if stepNumber(b) > lastLessonStep {
			continue
		}
		t.Run(fmt.Sprintf("%s differs from %s by at most %d lines", b, a, maxChangedLines), func(t *testing.T) {
			n, err := changedLines(a, b)
			if err != nil {
				t.Fatal(err)
			}
			if n > maxChangedLines {
				t.Errorf("%d changed lines of non-test Go: split the step, or keep the code it shares with %s textually the same", n, a)
			}
		})
	}
}

var chapterPattern = regexp.MustCompile(`^[0-9]{2}-[a-z0-9-]+\.md$`)

// chapterWords counts a page's words, split on white space: in all, and
// outside its fenced code blocks.
func chapterWords(p *page) (prose, total int) {
	inBlock := make([]bool, len(p.lines))
	for _, b := range p.blocks {
		for i := b.open; i <= b.close; i++ {
			inBlock[i] = true
		}
	}
	for i, line := range p.lines {
		n := len(strings.Fields(line))
		total += n
		if !inBlock[i] {
			prose += n
		}
	}
	return prose, total
}

func TestChaptersFitOneSitting(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join(repoRoot, "docs"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !chapterPattern.MatchString(e.Name()) {
			continue
		}
		path := "docs/" + e.Name()
		t.Run(path+" is read in one sitting", func(t *testing.T) {
			p, err := readPage(path)
			if err != nil {
				t.Fatal(err)
			}
			prose, total := chapterWords(p)
			if prose > maxProseWords || total > maxChapterWords {
				t.Errorf("%d words of prose (at most %d) and %d in all (at most %d): move what a first reading can skip to a side page under \"Going further\"",
					prose, maxProseWords, total, maxChapterWords)
			}
		})
	}
}

func TestChapterWords(t *testing.T) {
	p, err := parsePage("x.md", "one two\n```go\nthree four five\n```\nsix\n")
	if err != nil {
		t.Fatal(err)
	}
	prose, total := chapterWords(p)
	if prose != 3 || total != 8 {
		// The fences' lines count as code: "```go" is one word.
		t.Errorf("chapterWords = %d prose, %d total; want 3 prose, 8 total", prose, total)
	}
}

// diffMarkerPattern finds a diff marker's two files: <!-- diff: A B -->.
var diffMarkerPattern = regexp.MustCompile(`<!--\s*diff:\s*(step[0-9]+-[a-z0-9-]+)/\S+\s+(step[0-9]+-[a-z0-9-]+)/\S+\s*-->`)

// TestChaptersShowTheDiffFromTheStepBefore holds the promise of the
// README: compare a step with the one before, and the difference is the
// lesson. Each chapter from 2 to lastLessonStep shows, doc-tested, a
// diff from a file of the step before to the same file of its own step.
func TestChaptersShowTheDiffFromTheStepBefore(t *testing.T) {
	dirs := stepDirs(t)
	byNumber := map[int]string{}
	for _, d := range dirs {
		byNumber[stepNumber(d)] = d
	}
	chapters, err := filepath.Glob(filepath.Join(repoRoot, "docs", "[0-9][0-9]-*.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range chapters {
		name := filepath.Base(file)
		n, _ := strconv.Atoi(name[:2])
		if n < 2 || n > lastLessonStep {
			continue
		}
		path := "docs/" + name
		t.Run(path+" shows the diff from step "+strconv.Itoa(n-1), func(t *testing.T) {
			before, own := byNumber[n-1], byNumber[n]
			if before == "" || own == "" {
				t.Fatalf("no step folder numbered %d or %d", n-1, n)
			}
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range diffMarkerPattern.FindAllStringSubmatch(string(data), -1) {
				if m[1] == before && m[2] == own {
					return
				}
			}
			t.Errorf("no <!-- diff: %s/FILE %s/FILE --> block: show what step %d adds to step %d", before, own, n, n-1)
		})
	}
}
