package main

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// notSaid are the string literals of the checker's source, with a space
// in them, that the checker does not say, and so have no Chinese: the
// bytes it sends and expects, and what it prints before it knows the
// language. Everything else it says is in the catalog (zhCN).
var notSaid = map[string]string{
	"GET /hello HTTP/1.1":                "a request line the checker sends, and looks for in the server's output",
	"GET /hello?name=checker HTTP/1.1":   "a request line the checker sends",
	"GET /checker/no-such-page HTTP/1.1": "a request line the checker sends",
	"GET / HTTP/1.1":                     "a request line the checker sends",
	"GET /hello/checker HTTP/1.1":        "a request line the checker sends",
	"POST /hello HTTP/1.1":               "a request line the checker sends",
	"GET /count HTTP/1.1":                "a request line the checker sends",
	"GET /panic HTTP/1.1":                "a request line the checker sends",
	"GET /hello/again HTTP/1.1":          "a request line the checker sends",
	"BREW /hello HTTP/1.1":               "a request line the checker sends",
	"GET /":                              "the start of a request line the checker sends",
	"GET / ":                             "the start of a request line the checker sends",
	" HTTP/1.1":                          "the end of a request line the checker sends",
	"X-Checker: ":                        "the start of a header field the checker sends",
	"GET ":                               "the start of a request line the checker sends",
	"this is not HTTP\r\n\r\n":           "a request the checker sends",
	"Hello, World!":                      "what a server's body must contain",
	"Hello, checker!":                    "what a server's body must contain",
	"Hello, again!":                      "what a server's body must contain",
	"Hello, ":                            "the start of what a server's body must contain",
	"Received a body of %d bytes.":       "what the application of stage 6 must answer",
	"Received a body of 12 bytes.":       "what the application of stage 10 must answer",
	"checker: -lang must be one of %s\n": "said when the language is not one the checker speaks",
	"Cookie: ":                           "the start of a header field the checker sends",
	"Connection: close":                  "a header field, quoted as the server sent it",
	"exit status 0":                      "how Go says a process ended, which exitIn translates",
}

var (
	verb        = regexp.MustCompile(`%(\[[0-9]+\])?[-+# 0-9.]*[a-zA-Z]`)
	englishWord = regexp.MustCompile(`[A-Za-z]{2,}`)
)

// TestEveryMessageSpeaksChinese reads the checker's source and checks
// that every string literal with a space in it (every phrase) is in the
// catalog, unless notSaid says why the checker does not say it. The
// bytes of HTTP it sends (any literal with a CRLF) are not said either.
func TestEveryMessageSpeaksChinese(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") || name == "zh.go" {
			continue
		}
		file, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ImportSpec, *ast.Field:
				return false // paths and struct tags
			case *ast.CallExpr:
				// The report's HTML template.
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Parse" {
					return false
				}
			case *ast.BasicLit:
				if n.Kind != token.STRING {
					return true
				}
				s, err := strconv.Unquote(n.Value)
				if err != nil {
					t.Fatalf("%s: %v", fset.Position(n.Pos()), err)
				}
				if !strings.Contains(s, " ") || strings.Contains(s, "\r\n") || !englishWord.MatchString(verb.ReplaceAllString(s, "")) {
					return true // a word, bytes of HTTP, or only spaces, punctuation and verbs
				}
				if _, ok := zhCN[s]; !ok && notSaid[s] == "" {
					t.Errorf("%s: %q has no Chinese in zhCN", fset.Position(n.Pos()), s)
				}
			}
			return true
		})
	}
	for _, word := range []string{"PASS", "FAIL", "SKIP", "none", "neither", "Student", "Passed"} {
		if _, ok := zhCN[word]; !ok {
			t.Errorf("%q has no Chinese in zhCN", word)
		}
	}
}

// TestUsageInChinese checks that -lang zh-CN -h prints the usage and
// every flag's help in Chinese, and that -stage's help names the
// highest stage.
func TestUsageInChinese(t *testing.T) {
	var stdout, stderr bytes.Buffer
	run([]string{"-lang", "zh-CN", "-h"}, &stdout, &stderr)
	for _, want := range []string{"用法：checker", "-addr host:port\n    \t服务器监听的地址 host:port（默认值 \"127.0.0.1:8888\"）",
		"给第 1 到第 N 阶段打分（最多 " + strconv.Itoa(maxStages) + "）（默认值 " + strconv.Itoa(maxStages) + "）", "每项检查的时限（默认值 5s）"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("the usage lacks %q:\n%s", want, stderr.String())
		}
	}
}

// TestTranslationsTakeTheirArguments checks that each translation has
// the verbs of its English, so that sayIn fills in every argument: the
// same count of %, once numbered verbs (%[2]d) are counted by the
// arguments they name.
func TestTranslationsTakeTheirArguments(t *testing.T) {
	for en, zh := range zhCN {
		if got, want := verbArgs(zh), verbArgs(en); got != want {
			t.Errorf("%q takes %d arguments, its translation %q takes %d", en, want, zh, got)
		}
	}
}

// verbArgs counts the arguments a format takes: its verbs, or the
// highest argument a numbered verb names.
func verbArgs(format string) int {
	count, highest := 0, 0
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		if i+1 < len(format) && format[i+1] == '%' {
			i++
			continue
		}
		count++
		if i+1 < len(format) && format[i+1] == '[' {
			end := strings.IndexByte(format[i:], ']')
			n, _ := strconv.Atoi(format[i+2 : i+end])
			highest = max(highest, n)
		}
	}
	if highest > 0 {
		return highest
	}
	return count
}

func TestSayIn(t *testing.T) {
	tests := []struct {
		name, lang, format string
		args               []any
		want               string
	}{
		{"fills in English as fmt does", "en", "nothing within %s", []any{1500 * time.Millisecond}, "nothing within 1.5s"},
		{"writes a duration in seconds in Chinese", "zh-CN", "nothing within %s", []any{time.Second}, "1 秒内什么也没有收到"},
		{"writes a duration under a second in milliseconds", "zh-CN", "%s", []any{300 * time.Millisecond}, "300 毫秒"},
		{"writes whole minutes in minutes", "zh-CN", "%s", []any{2 * time.Minute}, "2 分钟"},
		{"reorders the arguments as the translation numbers them", "zh-CN", "%d of %d students were graded: the checker was interrupted.",
			[]any{7, 9}, "9 个学生中有 7 个打了分：检查器被中断了。"},
		{"leaves a message the catalog does not have as it is", "zh-CN", "%d pieces", []any{3}, "3 pieces"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sayIn(tt.lang, tt.format, tt.args...); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
