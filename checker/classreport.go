package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// column is one check of the stages asked for: a column of the report.
type column struct {
	ID, Name string
}

// columns lists every check of stages 1 to stages, in order.
func (c *class) columns() []column {
	g := &grader{addr: "127.0.0.1:0", lang: c.lang, timeout: time.Second}
	var cols []column
	for n := 1; n <= c.stages; n++ {
		for i, ch := range g.stage(n) {
			cols = append(cols, column{fmt.Sprintf("%d.%d", n, i+1), translate(c.lang, ch.name)})
		}
	}
	return cols
}

// writeReport writes index.html, results.csv and results.json into the
// report's folder.
func (c *class) writeReport(results []studentResult) error {
	cols := c.columns()
	for _, write := range []func([]studentResult, []column) (string, []byte, error){c.html, c.csv, c.json} {
		name, data, err := write(results, cols)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(c.reportDir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// statusOf returns the status of check id for a student: pass, fail,
// skip, or "" when it did not run.
func statusOf(r studentResult, id string) (result, string) {
	for _, ch := range r.Checks {
		if ch.ID == id {
			return ch, ch.Status
		}
	}
	return result{}, ""
}

// json writes results.json: the students, in the roster's order.
func (c *class) json(results []studentResult, _ []column) (string, []byte, error) {
	data, err := json.MarshalIndent(results, "", "  ")
	return "results.json", append(data, '\n'), err
}

// csv writes results.csv: a row per student, a column per check.
func (c *class) csv(results []studentResult, cols []column) (string, []byte, error) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	header := []string{"name", "graded", "highest_passed", "first_failure", "why"}
	for _, col := range cols {
		header = append(header, col.ID)
	}
	w.Write(header)
	for _, r := range results {
		first := ""
		if f, failed := r.firstFailure(); failed {
			first = f.ID
		}
		row := []string{r.Name, strconv.FormatBool(r.Graded), strconv.Itoa(r.HighestPassed), first, r.Why}
		for _, col := range cols {
			_, status := statusOf(r, col.ID)
			row = append(row, status)
		}
		w.Write(row)
	}
	w.Flush()
	return "results.csv", b.Bytes(), w.Error()
}

// htmlCell is one student's outcome for one check, as the report shows
// it.
type htmlCell struct {
	Status string // pass, fail, skip, or "" when it did not run
	Mark   string // what the cell shows
	Title  string // what hovering over it shows
}

// htmlRow is one student in the report.
type htmlRow struct {
	Name, Passed string
	Cells        []htmlCell
	Failure      *result  // the check that failed, if any
	Note         string   // why the student was not graded, or grading stopped, or how the server exited
	Tail         []string // the last lines the server printed, when it crashed or never listened
}

// html writes index.html: a table, a row per student and a column per
// check, and below each student who did not pass everything, a row with
// the failure's want, got and why and, for a server that crashed or
// never listened, the last lines it printed. It holds its style and no
// script, and links to nothing, so that it opens from file://.
func (c *class) html(results []studentResult, cols []column) (string, []byte, error) {
	marks := map[string]string{"pass": "✓", "fail": "✗", "skip": "–", "": ""}
	var rows []htmlRow
	for _, r := range results {
		row := htmlRow{Name: r.Name, Passed: c.passedShort(r)}
		if !r.Graded {
			row.Note = r.Why // a graded student's why is the failure's
		}
		for _, col := range cols {
			ch, status := statusOf(r, col.ID)
			title := col.ID + " " + col.Name + ": " + status
			switch status {
			case "fail":
				title += fmt.Sprintf(c.say(": want %s, got %s. Why: %s", "：期望 %s，实际 %s。原因：%s"), ch.Want, ch.Got, ch.Why)
			case "skip":
				title += ": " + ch.Why
			case "":
				title += c.say("not run", "没有运行")
			}
			row.Cells = append(row.Cells, htmlCell{Status: status, Mark: marks[status], Title: title})
		}
		if f, failed := r.firstFailure(); failed {
			row.Failure = &f
		}
		if r.Exited != "" {
			row.Note = fmt.Sprintf(c.say("The server exited during grading (%s).", "服务器在打分时退出了（%s）。"), r.Exited)
		}
		if !r.Graded || r.Exited != "" {
			row.Tail = r.OutputTail
		}
		rows = append(rows, row)
	}
	var b bytes.Buffer
	err := reportPage.Execute(&b, map[string]any{
		"Lang": c.lang, "Stages": c.stages, "Timeout": c.timeout, "Columns": cols, "Rows": rows, "Span": len(cols) + 2,
		"T": map[string]string{
			"title":   c.say("Class report", "全班报告"),
			"intro":   fmt.Sprintf(c.say("%d students, stages 1 to %d, each check bounded by %s. Hover over a cell to see the check; a failure's want, got and why are also in the row below the student.", "%d 个学生，第 1 到 %d 阶段，每项检查限时 %s。把鼠标停在格子上可以看到检查的内容；失败的期望、实际和原因也写在学生下面的一行里。"), len(results), c.stages, c.timeout),
			"student": c.say("Student", "学生"),
			"passed":  c.say("Passed", "通过"),
			"want":    c.say("want", "期望"),
			"got":     c.say("got", "实际"),
			"why":     c.say("Why", "原因"),
			"see":     c.say("See", "参见"),
			"tail":    c.say("The last lines it printed:", "它最后打印的几行："),
			"legend":  c.say("✓ passed, ✗ failed, – skipped, blank: not run (an earlier check failed).", "✓ 通过，✗ 失败，– 跳过，空白：没有运行（前面的检查失败了）。"),
		},
	})
	return "index.html", b.Bytes(), err
}

// reportPage is index.html's template.
var reportPage = template.Must(template.New("index.html").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<title>{{.T.title}}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5em; }
table { border-collapse: collapse; }
th, td { border: 1px solid #bbb; padding: 0.2em 0.45em; vertical-align: top; }
thead th { background: #eee; font-weight: normal; font-size: 85%; }
th.name, td.passed { text-align: left; white-space: nowrap; }
td.cell { text-align: center; min-width: 1.6em; }
td.pass { background: #b9e6b9; }
td.fail { background: #f2a7a7; font-weight: bold; }
td.skip { background: #f3e29b; }
td.none { background: #f4f4f4; }
tr.detail td { background: #fafafa; font-size: 90%; }
pre { margin: 0.3em 0; white-space: pre-wrap; background: #fff; border-left: 3px solid #f2a7a7; padding-left: 0.5em; }
</style>
</head>
<body>
<h1>{{.T.title}}</h1>
<p>{{.T.intro}}</p>
<p>{{.T.legend}}</p>
<table>
<thead>
<tr><th class="name">{{.T.student}}</th><th>{{.T.passed}}</th>{{range .Columns}}<th title="{{.ID}} {{.Name}}">{{.ID}}</th>{{end}}</tr>
</thead>
<tbody>
{{- range .Rows}}
<tr><th class="name">{{.Name}}</th><td class="passed">{{.Passed}}</td>{{range .Cells}}<td class="cell {{if .Status}}{{.Status}}{{else}}none{{end}}" title="{{.Title}}">{{.Mark}}</td>{{end}}</tr>
{{- if or .Failure .Note .Tail}}
<tr class="detail"><td colspan="{{$.Span}}">
{{- if .Failure}}<b>{{.Failure.ID}} {{.Failure.Name}}</b>{{if .Failure.Want}}: {{$.T.want}} {{.Failure.Want}}, {{$.T.got}} {{.Failure.Got}}.{{else}}.{{end}} {{$.T.why}}: {{.Failure.Why}}.{{if .Failure.See}} {{$.T.see}} {{.Failure.See}}{{end}}{{end}}
{{- if .Note}}<p>{{.Note}}</p>{{end}}
{{- if .Tail}}<p>{{$.T.tail}}</p><pre>{{range .Tail}}{{.}}
{{end}}</pre>{{end}}
</td></tr>
{{- end}}
{{- end}}
</tbody>
</table>
</body>
</html>
`))
