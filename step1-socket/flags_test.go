package main

import "flag"

// update is the golden-file flag. `go test ./... -update` passes -update
// to every test binary, and a binary that does not define the flag fails
// with "flag provided but not defined". This package has no golden files,
// so it only accepts the flag; the file has no build tag so that the flag
// exists on every system, even where the unix-only tests are left out.
var update = flag.Bool("update", false, "rewrite the golden files in testdata/")
