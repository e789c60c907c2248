package main

import "syscall"

// acceptCloexec accepts a client, its new descriptor marked
// close-on-exec: Linux's accept4 with SOCK_CLOEXEC sets the mark in the
// same system call, so no fork can come in between.
func acceptCloexec(listenSocket int) (int, syscall.Sockaddr, error) {
	return syscall.Accept4(listenSocket, syscall.SOCK_CLOEXEC)
}
