// Package docs holds the chapters and concept pages of lsbaws-go, in
// Markdown, and the tests that keep them honest: every transcript,
// response and diff that a page shows is compared with the golden files
// and the code it comes from, every Go snippet compiles or is quoted
// from a step, and every link resolves. WRITING.md explains the markers
// that the tests read; `go test ./docs -update` rewrites the marked
// blocks after a step changes.
package docs
