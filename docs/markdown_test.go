package docs

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"unicode"
)

// repoRoot is the repository's root, seen from this package's folder.
const repoRoot = ".."

// page is one Markdown file, split into what the tests look at.
type page struct {
	path     string   // from the repository's root, with slashes
	lines    []string // the file's lines, without line ends
	blocks   []block  // its fenced code blocks
	headings []heading
}

// block is one fenced code block.
type block struct {
	lang   string // the info string's first word: go, console, mermaid...
	marker string // the marker comment on the line before the fence, "" if none
	open   int    // index in page.lines of the opening fence
	close  int    // index in page.lines of the closing fence
	text   string // the lines between the fences, each ending in "\n"
}

// heading is one ATX heading (# Title) outside code blocks.
type heading struct {
	level int
	text  string
	line  int
}

var (
	fencePattern   = regexp.MustCompile("^(```+|~~~+)\\s*([^\\s`]*)")
	markerPattern  = regexp.MustCompile(`^<!--\s*([a-z]+):\s*(.*?)\s*-->$`)
	headingPattern = regexp.MustCompile(`^(#{1,6})\s+(.*?)\s*#*\s*$`)
)

// readPage reads and splits a Markdown file given by its path from the
// repository's root.
func readPage(path string) (*page, error) {
	data, err := os.ReadFile(filepath.Join(repoRoot, filepath.FromSlash(path)))
	if err != nil {
		return nil, fmt.Errorf("read page: %w", err)
	}
	return parsePage(path, string(data))
}

// parsePage splits Markdown text into blocks and headings.
func parsePage(path, text string) (*page, error) {
	p := &page{path: path, lines: strings.Split(strings.TrimSuffix(text, "\n"), "\n")}
	for i := 0; i < len(p.lines); i++ {
		line := p.lines[i]
		m := fencePattern.FindStringSubmatch(line)
		if m == nil {
			if h := headingPattern.FindStringSubmatch(line); h != nil {
				p.headings = append(p.headings, heading{level: len(h[1]), text: h[2], line: i})
			}
			continue
		}
		b := block{lang: m[2], open: i, close: -1}
		if i > 0 {
			if mk := markerPattern.FindStringSubmatch(strings.TrimSpace(p.lines[i-1])); mk != nil {
				b.marker = mk[1] + ": " + mk[2]
			}
		}
		var body strings.Builder
		for j := i + 1; j < len(p.lines); j++ {
			// A closing fence is the opening's character alone, at least as
			// many times.
			closing := strings.TrimSpace(p.lines[j])
			if len(closing) >= len(m[1]) && strings.Trim(closing, m[1][:1]) == "" {
				b.close = j
				break
			}
			body.WriteString(p.lines[j] + "\n")
		}
		if b.close < 0 {
			return nil, fmt.Errorf("%s:%d: code block is never closed", path, i+1)
		}
		b.text = body.String()
		p.blocks = append(p.blocks, b)
		i = b.close
	}
	return p, nil
}

// markdownPages lists README.md and every .md file under docs/, as
// paths from the repository's root.
func markdownPages() ([]string, error) {
	pages := []string{"README.md"}
	err := filepath.WalkDir(filepath.Join(repoRoot, "docs"), func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".md") {
			rel, err := filepath.Rel(repoRoot, path)
			if err != nil {
				return err
			}
			pages = append(pages, filepath.ToSlash(rel))
		}
		return nil
	})
	return pages, err
}

// slug makes a heading's anchor as GitHub does: lower case, every
// character that is not a letter, a digit, a space, "-" or "_" dropped,
// and spaces made "-".
func slug(text string) string {
	// Inline code and links count by their text only.
	text = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`).ReplaceAllString(text, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(text) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// anchors lists every anchor of a page: its headings' slugs, numbered
// -1, -2... when repeated, as GitHub numbers them, and explicit
// <a id="..."> or <a name="..."> anchors.
func (p *page) anchors() map[string]bool {
	anchors := map[string]bool{}
	seen := map[string]int{}
	for _, h := range p.headings {
		s := slug(h.text)
		if n := seen[s]; n > 0 {
			anchors[fmt.Sprintf("%s-%d", s, n)] = true
		} else {
			anchors[s] = true
		}
		seen[s]++
	}
	explicit := regexp.MustCompile(`<a\s+(?:id|name)="([^"]+)"`)
	for _, line := range p.lines {
		for _, m := range explicit.FindAllStringSubmatch(line, -1) {
			anchors[m[1]] = true
		}
	}
	return anchors
}

// proseLines returns the page's lines with code blocks and inline code
// blanked out, so that links are looked for in prose only.
func (p *page) proseLines() []string {
	prose := append([]string(nil), p.lines...)
	for _, b := range p.blocks {
		for i := b.open; i <= b.close; i++ {
			prose[i] = ""
		}
	}
	inlineCode := regexp.MustCompile("`[^`]*`")
	for i, line := range prose {
		prose[i] = inlineCode.ReplaceAllString(line, "")
	}
	return prose
}
