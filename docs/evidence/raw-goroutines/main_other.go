//go:build !linux

package main

import (
	"fmt"
	"os"
)

// main explains why this program does not run here: it makes raw Linux
// socket system calls, and is measured through Linux's /proc.
func main() {
	fmt.Fprintln(os.Stderr, "raw-goroutines makes raw Linux socket system calls and is measured through /proc; run it on Linux.")
	os.Exit(1)
}
