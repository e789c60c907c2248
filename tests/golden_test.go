package tests

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// goldenCase is one conversation with a step: a request sent the way a
// client would send it.
type goldenCase struct {
	name    string // names the golden files: testdata/<step>/<name>.console and .response
	request string // the fixture in testdata/requests/, or "" to send nothing
	pieces  int    // send the request in this many pieces, with a pause between them
}

// goldenCases are the conversations that the chapters show. Every step
// meets all of them, so that each chapter can show what its step does
// with a request that the previous or the next step handles differently.
var goldenCases = []goldenCase{
	{name: "firefox", request: "firefox.http", pieces: 1},
	{name: "favicon", request: "favicon.http", pieces: 1},
	{name: "query", request: "query.http", pieces: 1},
	{name: "head", request: "head.http", pieces: 1},
	{name: "not-http", request: "not-http.http", pieces: 1},
	{name: "long-cookie", request: "long-cookie.http", pieces: 1},
	{name: "in-pieces", request: "firefox.http", pieces: 2},
	{name: "silent", request: "", pieces: 0},
	{name: "post-form", request: "post-form.http", pieces: 1},
	{name: "no-host", request: "no-host.http", pieces: 1},
	{name: "http2", request: "http2.http", pieces: 1},
}

// piecePause is the pause between the pieces of a request: long enough
// that the server surely reads the first piece on its own.
const piecePause = 250 * time.Millisecond

// TestGolden runs every step on every golden case, as a real process,
// and compares the bytes the client received and the console output the
// server printed with testdata/<step>/<case>.response and .console.
func TestGolden(t *testing.T) {
	t.Parallel()
	for _, step := range steps {
		for _, gc := range goldenCases {
			t.Run(step+" answers the "+gc.name+" request as its golden files show", func(t *testing.T) {
				t.Parallel()
				srv := startStep(t, step)
				var response []byte
				if gc.request != "" {
					request := readFixture(t, gc.request)
					response = srv.exchange(piecePause, split(request, gc.pieces)...)
				} else {
					response = srv.exchange(0)
				}
				console := srv.stop()

				checkGolden(t, filepath.Join(step, gc.name+".response"), normalize(response))
				checkGolden(t, filepath.Join(step, gc.name+".console"), normalize(console))
			})
		}
	}
}

// split cuts data into n pieces of about the same size.
func split(data []byte, n int) [][]byte {
	var pieces [][]byte
	size := (len(data) + n - 1) / n
	for len(data) > size {
		pieces = append(pieces, data[:size])
		data = data[size:]
	}
	return append(pieces, data)
}

// checkGolden compares got with testdata/<name>, or rewrites the file
// with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := readGolden(filepath.Split(name))
	if err != nil {
		t.Fatalf("read golden file (run go test ./tests -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from what the step printed or sent (-want +got); if the change is meant, run go test ./tests -update:\n%s",
			path, cmp.Diff(string(want), string(got)))
	}
}

// readGolden reads testdata/<step>/<name>.
func readGolden(step, name string) ([]byte, error) {
	return os.ReadFile(filepath.Join("testdata", step, name))
}
