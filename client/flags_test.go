package main

import "flag"

// `go test ./... -update` passes -update to every test binary, and a
// binary that does not define the flag fails with "flag provided but
// not defined". The client has no golden files, so it only accepts the
// flag.
var _ = flag.Bool("update", false, "rewrite the golden files in testdata/ (the client has none)")
