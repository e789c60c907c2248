package docs

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode"
)

// translations is the folder of each translation of docs/, by language.
var translations = []string{"zh-CN"}

// untranslated are the pages of docs/ that are not translated: the
// guide for writers of the docs.
var untranslated = map[string]bool{"docs/WRITING.md": true}

// chapterSectionsIn are the chapter sections of each translation, in the
// order of chapterSections.
var chapterSectionsIn = map[string][]string{
	"zh-CN": {"你将构建什么", "运行它", "网络上实际传输的内容", "这一步添加了什么", "还有什么问题", "练习"},
}

var translationOf = regexp.MustCompile(`^<!-- translation-of: (\S+) sha256:([0-9a-f]{12}) -->$`)

// englishHash is the revision stamp of an English page: the first 12
// hex digits of the SHA-256 of its bytes.
func englishHash(page string) (string, error) {
	data, err := os.ReadFile(filepath.Join(repoRoot, filepath.FromSlash(page)))
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])[:12], nil
}

// TestTranslationsAreUpToDate keeps every translation in step with the
// English page it translates: each English page of docs/ has its
// translation; each translation names, on its first line, the English
// page and the hash of the revision it translates, and that hash must
// be the English page's now; and both pages show the same transcripts,
// responses, diffs and code, the same number of diagrams, sections and
// folded solutions. When an English page changes, bring its translation
// up to date, then put the new hash (the failure says it) on its first
// line: -update does not do that for you.
func TestTranslationsAreUpToDate(t *testing.T) {
	pages := mustPages(t)
	for _, lang := range translations {
		for _, english := range pages {
			if !strings.HasPrefix(english, "docs/") || untranslated[english] || strings.HasPrefix(english, "docs/"+lang+"/") ||
				strings.HasPrefix(english, "docs/evidence/") || isTranslation(english) {
				continue
			}
			translated := "docs/" + lang + "/" + strings.TrimPrefix(english, "docs/")
			t.Run(translated+" translates the current "+english, func(t *testing.T) {
				en, err := readPage(english)
				if err != nil {
					t.Fatal(err)
				}
				tr, err := readPage(translated)
				if err != nil {
					t.Fatalf("%s has no translation: %v", english, err)
				}
				checkStamp(t, english, tr)
				checkSameShape(t, en, tr, lang)
				checkSameSections(t, en, tr)
				checkSameTextBlocks(t, en, tr)
			})
		}
	}
}

// isTranslation reports whether a page lives in a translation's folder.
func isTranslation(page string) bool {
	for _, lang := range translations {
		if strings.HasPrefix(page, "docs/"+lang+"/") {
			return true
		}
	}
	return false
}

// checkStamp checks the first line of a translation.
func checkStamp(t *testing.T, english string, tr *page) {
	t.Helper()
	want, err := englishHash(english)
	if err != nil {
		t.Fatal(err)
	}
	m := translationOf.FindStringSubmatch(tr.lines[0])
	switch {
	case m == nil:
		t.Errorf("%s must start with <!-- translation-of: %s sha256:%s -->", tr.path, english, want)
	case m[1] != english:
		t.Errorf("%s says it translates %s, want %s", tr.path, m[1], english)
	case m[2] != want:
		t.Errorf("%s translates an older %s (sha256:%s); it is now sha256:%s: bring the translation up to date, then change its first line", tr.path, english, m[2], want)
	}
}

// checkSameShape compares what must not differ between a page and its
// translation: every block but diagrams and text to the letter, with its
// marker; the number of diagrams, ## sections and <details>; and the
// link back and forth between the two.
func checkSameShape(t *testing.T, en, tr *page, lang string) {
	t.Helper()
	type shown struct{ lang, marker, text string }
	blocks := func(p *page) (kept []shown, diagrams int) {
		for _, b := range p.blocks {
			switch b.lang {
			case "mermaid":
				diagrams++
			case "text":
			default:
				kept = append(kept, shown{b.lang, b.marker, b.text})
			}
		}
		return kept, diagrams
	}
	enBlocks, enDiagrams := blocks(en)
	trBlocks, trDiagrams := blocks(tr)
	if len(enBlocks) != len(trBlocks) {
		t.Errorf("%s shows %d code blocks (not counting diagrams and text), %s shows %d", en.path, len(enBlocks), tr.path, len(trBlocks))
	} else {
		for i := range enBlocks {
			if enBlocks[i] != trBlocks[i] {
				t.Errorf("block %d differs: %s has a %s block %q, %s has a %s block %q; transcripts, code and markers stay as they are",
					i+1, en.path, enBlocks[i].lang, enBlocks[i].marker, tr.path, trBlocks[i].lang, trBlocks[i].marker)
			}
		}
	}
	if enDiagrams != trDiagrams {
		t.Errorf("%s has %d diagrams, %s has %d", en.path, enDiagrams, tr.path, trDiagrams)
	}
	count := func(p *page, level int) (n int) {
		for _, h := range p.headings {
			if h.level == level {
				n++
			}
		}
		return n
	}
	if a, b := count(en, 2), count(tr, 2); a != b {
		t.Errorf("%s has %d ## sections, %s has %d", en.path, a, tr.path, b)
	}
	details := func(p *page) int { return strings.Count(strings.Join(p.proseLines(), "\n"), "<details>") }
	if a, b := details(en), details(tr); a != b {
		t.Errorf("%s has %d <details>, %s has %d", en.path, a, tr.path, b)
	}
	back := path.Join(strings.Repeat("../", strings.Count(strings.TrimPrefix(tr.path, "docs/"+lang+"/"), "/")+1), strings.TrimPrefix(en.path, "docs/"))
	if !strings.Contains(strings.Join(tr.lines, "\n"), "]("+back+")") {
		t.Errorf("%s does not link back to its English page (%s)", tr.path, back)
	}
	forth := path.Join(strings.Repeat("../", strings.Count(strings.TrimPrefix(en.path, "docs/"), "/")), lang, strings.TrimPrefix(en.path, "docs/"))
	if !strings.Contains(strings.Join(en.lines, "\n"), "]("+forth+")") {
		t.Errorf("%s does not link to its translation (%s)", en.path, forth)
	}
}

// TestEveryEnglishHashIsPrintable prints the hash that a translation's
// first line needs, for whoever brings one up to date:
//
//	go test ./docs -run TestEveryEnglishHashIsPrintable -v
func TestEveryEnglishHashIsPrintable(t *testing.T) {
	for _, english := range mustPages(t) {
		if !strings.HasPrefix(english, "docs/") || isTranslation(english) {
			continue
		}
		hash, err := englishHash(english)
		if err != nil {
			t.Fatal(err)
		}
		t.Log(fmt.Sprintf("<!-- translation-of: %s sha256:%s -->", english, hash))
	}
}

// section is what the translation test counts in one part of a page:
// from one ## heading to the next (the first section runs from the top
// to the first ## heading).
type section struct {
	title                          string
	line                           int
	paragraphs, subheadings, items int
	rows                           int
	numbers                        map[string]bool // the digit runs of the prose
}

// translationOnly, on the line right before a paragraph or list item of a
// translation, marks it as the translator's own (a note for readers of
// that language, a story the English only sums up): the counts leave it
// out.
const translationOnly = "<!-- translation-only -->"

var (
	digitRun   = regexp.MustCompile(`[0-9]+`)
	linkTarget = regexp.MustCompile(`\]\([^)]*\)`)
	htmlTag    = regexp.MustCompile(`<[^>]*>`)
)

// sectionsOf splits a page into its ## sections and counts, in each, the
// paragraphs, ### headings, list items and table rows, and the numbers
// of the prose (links' targets, HTML tags and code blocks left out).
func sectionsOf(p *page) []section {
	sections := []section{{title: "(before the first ## heading)", numbers: map[string]bool{}}}
	blocks := p.mdBlocks()
	for i, b := range blocks {
		s := &sections[len(sections)-1]
		if i > 0 && blocks[i-1].kind == mdHTML && blocks[i-1].first == b.first-1 && strings.TrimSpace(blocks[i-1].lines[0]) == translationOnly {
			continue
		}
		switch b.kind {
		case mdHeading:
			if b.level == 2 {
				sections = append(sections, section{title: strings.TrimLeft(b.lines[0], "# "), line: b.first + 1, numbers: map[string]bool{}})
				continue
			}
			if b.level == 3 {
				s.subheadings++
			}
		case mdParagraph:
			s.paragraphs++
		case mdItem:
			s.items++
		case mdRow:
			s.rows++
		}
		if b.kind == mdCode || b.kind == mdHTML || (b.kind == mdHeading && b.level == 1) {
			continue
		}
		for _, line := range b.lines {
			line = htmlTag.ReplaceAllString(linkTarget.ReplaceAllString(line, "]"), "")
			for _, n := range digitRun.FindAllString(line, -1) {
				s.numbers[n] = true
			}
		}
	}
	return sections
}

// checkSameSections compares a page and its translation section by
// section: the same paragraphs, ### headings, list items and table rows,
// and the same numbers in the prose. A paragraph dropped or added, a
// number changed, on either side, shows here, even when the stamp was
// updated.
func checkSameSections(t *testing.T, en, tr *page) {
	t.Helper()
	enSections, trSections := sectionsOf(en), sectionsOf(tr)
	if len(enSections) != len(trSections) {
		return // checkSameShape reports the ## sections
	}
	for i := range enSections {
		e, c := enSections[i], trSections[i]
		where := fmt.Sprintf("%s:%d (%s) and %s:%d (%s)", en.path, e.line, e.title, tr.path, c.line, c.title)
		for _, n := range []struct {
			what string
			a, b int
		}{
			{"paragraphs", e.paragraphs, c.paragraphs},
			{"### headings", e.subheadings, c.subheadings},
			{"list items", e.items, c.items},
			{"table rows", e.rows, c.rows},
		} {
			if n.a != n.b {
				t.Errorf("%s: %d %s in English, %d in the translation", where, n.a, n.what, n.b)
			}
		}
		if diff := numbersDiff(e.numbers, c.numbers); diff != "" {
			t.Errorf("%s: the numbers of the prose differ: %s", where, diff)
		}
	}
}

// numbersDiff says which numbers only one side has.
func numbersDiff(en, tr map[string]bool) string {
	var only []string
	for n := range en {
		if !tr[n] {
			only = append(only, n+" only in English")
		}
	}
	for n := range tr {
		if !en[n] {
			only = append(only, n+" only in the translation")
		}
	}
	sort.Strings(only)
	return strings.Join(only, "; ")
}

// checkSameTextBlocks compares the text blocks (illustrations) of a page
// and its translation: as many, each as many lines, a line with no
// Chinese in it unchanged, and a translated line with the numbers of the
// English one.
func checkSameTextBlocks(t *testing.T, en, tr *page) {
	t.Helper()
	texts := func(p *page) (out []block) {
		for _, b := range p.blocks {
			if b.lang == "text" {
				out = append(out, b)
			}
		}
		return out
	}
	enTexts, trTexts := texts(en), texts(tr)
	if len(enTexts) != len(trTexts) {
		t.Errorf("%s has %d text blocks, %s has %d", en.path, len(enTexts), tr.path, len(trTexts))
		return
	}
	for i := range enTexts {
		a := strings.Split(strings.TrimSuffix(enTexts[i].text, "\n"), "\n")
		b := strings.Split(strings.TrimSuffix(trTexts[i].text, "\n"), "\n")
		if len(a) != len(b) {
			t.Errorf("%s:%d has %d lines, %s:%d has %d: a text block is translated line for line", en.path, enTexts[i].open+1, len(a), tr.path, trTexts[i].open+1, len(b))
			continue
		}
		for j := range a {
			hasChinese := strings.IndexFunc(b[j], func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0
			switch {
			case !hasChinese && a[j] != b[j]:
				t.Errorf("%s:%d: %q, but %s:%d says %q: a line with nothing to translate stays as it is", tr.path, trTexts[i].open+2+j, b[j], en.path, enTexts[i].open+2+j, a[j])
			case hasChinese && strings.Join(digitRun.FindAllString(a[j], -1), " ") != strings.Join(digitRun.FindAllString(b[j], -1), " "):
				t.Errorf("%s:%d: %q has other numbers than %s:%d, %q", tr.path, trTexts[i].open+2+j, b[j], en.path, enTexts[i].open+2+j, a[j])
			}
		}
	}
}
