//go:build !unix

package main

import (
	"fmt"
	"os"
)

// main explains why this step does not run here: it makes the Unix
// socket system calls one by one through the syscall package, and
// Windows (Winsock) names and shapes them differently.
func main() {
	fmt.Fprintln(os.Stderr, "step8-threads makes raw Unix socket system calls; run it on Linux or macOS (on Windows, inside WSL).")
	os.Exit(1)
}
