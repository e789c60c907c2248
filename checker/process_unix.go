//go:build unix

package main

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup puts the server in a process group of its own, so
// that stopping it also stops what it started (go run starts the real
// server as a child).
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// interrupt sends SIGINT to the server's process group, like Ctrl-C.
func interrupt(cmd *exec.Cmd) {
	syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
}

// kill ends the server's process group at once.
func kill(cmd *exec.Cmd) {
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}
