//go:build unix && !linux

package main

import "syscall"

// acceptCloexec accepts a client, its new descriptor marked
// close-on-exec. macOS has no accept4, so it takes two calls, accept
// and then fcntl(FD_CLOEXEC); syscall.ForkLock keeps every fork of this
// process out of the gap between them, where a child would inherit the
// unmarked descriptor. (Go's net package does the same on such systems.)
func acceptCloexec(listenSocket int) (int, syscall.Sockaddr, error) {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	conn, addr, err := syscall.Accept(listenSocket)
	if err == nil {
		syscall.CloseOnExec(conn)
	}
	return conn, addr, err
}
