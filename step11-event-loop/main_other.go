//go:build !linux

package main

import (
	"fmt"
	"os"
)

// main explains why this step does not run here: its event loop is
// built on epoll, which only Linux has (macOS and the BSDs have kqueue,
// Windows has I/O completion ports).
func main() {
	fmt.Fprintln(os.Stderr, "step11-event-loop makes raw Linux system calls (epoll); run it on Linux (on Windows, inside WSL; on macOS, in a Linux container or VM).")
	os.Exit(1)
}
