//go:build !unix

package main

import "os/exec"

// ownProcessGroup does nothing where there are no Unix process groups.
func ownProcessGroup(cmd *exec.Cmd) {}

// interrupt ends the server: there is no SIGINT to send here.
func interrupt(cmd *exec.Cmd) { cmd.Process.Kill() }

// kill ends the server at once.
func kill(cmd *exec.Cmd) { cmd.Process.Kill() }
