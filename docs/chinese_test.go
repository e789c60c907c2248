package docs

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// This file holds the checks that only the Chinese pages need: no line
// break inside a paragraph, and one term per idea (see
// docs/zh-CN/glossary.md). It also splits a page into the Markdown blocks
// that the translation test counts.

// mdKind is what a run of prose lines is, as Markdown sees it.
type mdKind int

const (
	mdParagraph mdKind = iota
	mdItem             // one list item, its lazy continuation lines included
	mdHeading
	mdRow  // one table row, the |---| line included
	mdHTML // a line that starts with a tag or an HTML comment, and what follows it to a blank line
	mdCode // a fenced code block
)

// mdBlock is one Markdown block of a page: a paragraph, a list item, a
// heading, a table row, an HTML block or a fenced code block.
type mdBlock struct {
	kind  mdKind
	level int      // a heading's level
	first int      // index in page.lines of its first line
	lines []string // its lines; for a code block, the block's text lines
	code  *block   // for a code block, the block
}

var listMarker = regexp.MustCompile(`^\s*(?:[-*+]|[0-9]+[.)])\s+`)

// mdBlocks splits a page's lines outside code blocks into paragraphs,
// list items, headings, table rows and HTML blocks, in order, with the
// fenced code blocks among them. A line that is none of the others and
// follows a paragraph or a list item with no blank line between
// continues it: GitHub joins the two lines with a space.
func (p *page) mdBlocks() []mdBlock {
	var out []mdBlock
	fence := map[int]*block{}
	for i := range p.blocks {
		fence[p.blocks[i].open] = &p.blocks[i]
	}
	open := false // whether the last block can take another line
	for i := 0; i < len(p.lines); i++ {
		if b, ok := fence[i]; ok {
			out = append(out, mdBlock{kind: mdCode, first: i, code: b, lines: strings.Split(strings.TrimSuffix(b.text, "\n"), "\n")})
			i = b.close
			open = false
			continue
		}
		line := p.lines[i]
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "":
			open = false
		case headingPattern.MatchString(line):
			h := headingPattern.FindStringSubmatch(line)
			out = append(out, mdBlock{kind: mdHeading, level: len(h[1]), first: i, lines: []string{line}})
			open = false
		case strings.HasPrefix(trimmed, "|"):
			out = append(out, mdBlock{kind: mdRow, first: i, lines: []string{line}})
			open = false
		case listMarker.MatchString(line) && !(open && continuesText(out[len(out)-1], line)):
			out = append(out, mdBlock{kind: mdItem, first: i, lines: []string{line}})
			open = true
		case strings.HasPrefix(trimmed, "<"):
			out = append(out, mdBlock{kind: mdHTML, first: i, lines: []string{line}})
			// An HTML comment ends at its -->; any other HTML block goes
			// on to the next blank line.
			open = !(strings.HasPrefix(trimmed, "<!--") && strings.HasSuffix(trimmed, "-->"))
		case open:
			last := &out[len(out)-1]
			last.lines = append(last.lines, line)
		default:
			out = append(out, mdBlock{kind: mdParagraph, first: i, lines: []string{line}})
			open = true
		}
	}
	return out
}

var orderedMarker = regexp.MustCompile(`^(\s*)([0-9]+)[.)]\s`)

// continuesText reports whether a line that looks like an ordered list
// item ("5) or a process", "8888. A student") goes on with the block
// before it instead: in CommonMark a list that starts at a number other
// than 1 cannot interrupt a paragraph, nor can a list nested deeper than
// the item it would sit in.
func continuesText(last mdBlock, line string) bool {
	m := orderedMarker.FindStringSubmatch(line)
	if m == nil || m[2] == "1" {
		return false
	}
	switch last.kind {
	case mdParagraph:
		return true
	case mdItem:
		return len(m[1]) > len(last.lines[0])-len(strings.TrimLeft(last.lines[0], " "))
	}
	return false
}

// isCJK reports whether r is a Chinese character or a full-width
// punctuation mark (，。：；（）「」、 and the curly quotes, dashes and
// ellipsis that Chinese text uses).
func isCJK(r rune) bool {
	return unicode.Is(unicode.Han, r) || isFullWidthPunct(r)
}

// isFullWidthPunct reports whether r is punctuation of Chinese text.
func isFullWidthPunct(r rune) bool {
	return (r >= 0x3000 && r <= 0x303f) || (r >= 0xff00 && r <= 0xffef) || strings.ContainsRune("“”‘’…—", r)
}

// softBreaks lists the lines of a paragraph or list item after which
// GitHub would show a stray space: the line ends in a Chinese character
// or punctuation, or the next one starts with Chinese punctuation.
func softBreaks(b mdBlock) []int {
	if b.kind != mdParagraph && b.kind != mdItem {
		return nil
	}
	var at []int
	for i := 0; i+1 < len(b.lines); i++ {
		last, _ := utf8.DecodeLastRuneInString(strings.TrimRight(b.lines[i], " \t"))
		next, _ := utf8.DecodeRuneInString(strings.TrimLeft(b.lines[i+1], " \t"))
		if isCJK(last) || isFullWidthPunct(next) {
			at = append(at, b.first+i)
		}
	}
	return at
}

// chinesePages lists the pages of docs/zh-CN.
func chinesePages(t *testing.T) []*page {
	t.Helper()
	var pages []*page
	for _, path := range mustPages(t) {
		if !strings.HasPrefix(path, "docs/zh-CN/") {
			continue
		}
		p, err := readPage(path)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, p)
	}
	return pages
}

// TestChineseParagraphsAreOneLine checks that no paragraph or list item
// of a Chinese page breaks a line between two Chinese words: GitHub
// renders such a break as a space, which Chinese text does not have.
// Write each paragraph on one line.
func TestChineseParagraphsAreOneLine(t *testing.T) {
	for _, p := range chinesePages(t) {
		t.Run(p.path+" has no line break inside a Chinese paragraph", func(t *testing.T) {
			for _, b := range p.mdBlocks() {
				for _, i := range softBreaks(b) {
					t.Errorf("%s:%d: the paragraph goes on at the next line, which GitHub shows as a space after %q: join the two lines",
						p.path, i+1, tail(p.lines[i], 12))
				}
			}
		})
	}
}

// tail returns the last n runes of s.
func tail(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		r = r[len(r)-n:]
	}
	return string(r)
}

func TestSoftBreaks(t *testing.T) {
	tests := []struct {
		name, text string
		want       []int
	}{
		{"finds a break between two Chinese characters", "第一行\n第二行\n", []int{0}},
		{"finds a break after Chinese punctuation", "- 一项，\n  接着写\n", []int{0}},
		{"finds a break before Chinese punctuation", "see `x`\n，然后\n", []int{0}},
		{"lets a line end in a Latin word", "调用 `accept`\n返回\n", nil},
		{"lets a paragraph end at a blank line", "第一段\n\n第二段\n", nil},
		{"lets a list item follow a list item", "1. 第一项\n2. 第二项\n", nil},
		{"lets a table row follow a table row", "| 一 |\n| 二 |\n", nil},
		{"reads a line that starts with a number as the paragraph going on", "第五\n6) 项\n", []int{0}},
		{"leaves code blocks alone", "```text\n第一行\n第二行\n```\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := parsePage("x.md", tt.text)
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, b := range p.mdBlocks() {
				got = append(got, softBreaks(b)...)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got breaks after lines %v, want %v", got, tt.want)
			}
		})
	}
}

// glossaryPage is the one list of the Chinese terms.
const glossaryPage = "docs/zh-CN/glossary.md"

// term is one row of the glossary: the Chinese term the pages use, its
// English, and the variants the pages must not use for the same idea.
type term struct {
	chinese, english string
	avoid            []string
	line             int
}

// readGlossary reads the glossary's table: the columns 中文术语, 英文
// and 不用 (variants, separated by 、), found by their header.
func readGlossary(t *testing.T) []term {
	t.Helper()
	p, err := readPage(glossaryPage)
	if err != nil {
		t.Fatal(err)
	}
	var terms []term
	col := map[string]int{}
	for _, b := range p.mdBlocks() {
		if b.kind != mdRow {
			continue
		}
		cells := strings.Split(strings.Trim(strings.TrimSpace(b.lines[0]), "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if len(col) == 0 {
			for i, c := range cells {
				col[c] = i
			}
			for _, name := range []string{"中文术语", "英文", "不用"} {
				if _, ok := col[name]; !ok {
					t.Fatalf("%s:%d: the glossary's table has no column %s (it has %q)", glossaryPage, b.first+1, name, cells)
				}
			}
			continue
		}
		if strings.Trim(strings.Join(cells, ""), "- :") == "" {
			continue // the |---| line
		}
		if len(cells) != len(col) {
			t.Errorf("%s:%d: a row of %d cells in a table of %d columns", glossaryPage, b.first+1, len(cells), len(col))
			continue
		}
		tr := term{chinese: cells[col["中文术语"]], english: cells[col["英文"]], line: b.first + 1}
		if avoid := cells[col["不用"]]; avoid != "" {
			tr.avoid = strings.Split(avoid, "、")
		}
		terms = append(terms, tr)
	}
	if len(terms) == 0 {
		t.Fatalf("%s has no table of terms", glossaryPage)
	}
	return terms
}

// wordsOf returns the text of a page that a reader reads as Chinese: its
// lines with the code blocks blanked out, but for diagrams and text
// illustrations, whose labels are translated.
func wordsOf(p *page) string {
	lines := append([]string(nil), p.lines...)
	for _, b := range p.blocks {
		if b.lang == "mermaid" || b.lang == "text" {
			continue
		}
		for i := b.open; i <= b.close; i++ {
			lines[i] = ""
		}
	}
	return strings.Join(lines, "\n")
}

// TestGlossaryIsTheOneListOfTerms checks that the Chinese pages say one
// idea with one term: no page uses a variant that the glossary's 不用
// column lists, and the glossary lists no term that no page uses.
func TestGlossaryIsTheOneListOfTerms(t *testing.T) {
	terms := readGlossary(t)
	var pages []*page
	for _, p := range chinesePages(t) {
		if p.path != glossaryPage {
			pages = append(pages, p)
		}
	}
	words := make([]string, len(pages))
	for i, p := range pages {
		words[i] = wordsOf(p)
	}
	t.Run("every term of the glossary is used by a page", func(t *testing.T) {
		for _, tr := range terms {
			used := false
			for _, w := range words {
				if strings.Contains(w, tr.chinese) {
					used = true
					break
				}
			}
			if !used {
				t.Errorf("%s:%d: no page uses %s (%s): drop it from the glossary, or use it", glossaryPage, tr.line, tr.chinese, tr.english)
			}
		}
	})
	t.Run("no page uses a variant the glossary rules out", func(t *testing.T) {
		seen := map[string]bool{}
		for _, tr := range terms {
			for _, v := range tr.avoid {
				if seen[v] {
					t.Errorf("%s:%d: %s is ruled out twice", glossaryPage, tr.line, v)
				}
				seen[v] = true
			}
		}
		for i, p := range pages {
			for _, tr := range terms {
				for _, v := range tr.avoid {
					// A term that contains the variant (分块传输编码 holds
					// 分块传输) is not the variant.
					text := words[i]
					for _, other := range terms {
						if strings.Contains(other.chinese, v) {
							text = strings.ReplaceAll(text, other.chinese, "")
						}
					}
					if !strings.Contains(text, v) {
						continue
					}
					for n, line := range strings.Split(text, "\n") {
						if strings.Contains(line, v) {
							t.Errorf("%s:%d: %q: the pages say %s (%s), not %s", p.path, n+1, excerptAround(line, v), tr.chinese, tr.english, v)
						}
					}
				}
			}
		}
	})
}

// excerptAround returns the words around the first v in line.
func excerptAround(line, v string) string {
	i := strings.Index(line, v)
	before, after := []rune(line[:i]), []rune(line[i+len(v):])
	if len(before) > 10 {
		before = before[len(before)-10:]
	}
	if len(after) > 10 {
		after = after[:10]
	}
	return string(before) + v + string(after)
}
