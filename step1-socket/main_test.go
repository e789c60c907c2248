//go:build unix

package main

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"
)

func TestParseAddr(t *testing.T) {
	tests := []struct {
		name string
		addr string
		want *syscall.SockaddrInet4
	}{
		{"reads an empty host as every interface, 0.0.0.0", ":8888", &syscall.SockaddrInet4{Port: 8888, Addr: [4]byte{0, 0, 0, 0}}},
		{"keeps port 0, which lets the kernel choose", "127.0.0.1:0", &syscall.SockaddrInet4{Port: 0, Addr: [4]byte{127, 0, 0, 1}}},
		{"keeps an IPv4 address as it is", "192.0.2.7:80", &syscall.SockaddrInet4{Port: 80, Addr: [4]byte{192, 0, 2, 7}}},
		{"looks up localhost as 127.0.0.1", "localhost:8080", &syscall.SockaddrInet4{Port: 8080, Addr: [4]byte{127, 0, 0, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseAddr(tt.addr)
			if err != nil {
				t.Fatalf("parseAddr(%q) error: %v", tt.addr, err)
			}
			// SockaddrInet4 also holds the raw structure that the
			// syscall package fills in for the kernel: not ours to check.
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreUnexported(syscall.SockaddrInet4{})); diff != "" {
				t.Errorf("parseAddr(%q) mismatch (-want +got):\n%s", tt.addr, diff)
			}
		})
	}
}

func TestParseAddrRejects(t *testing.T) {
	tests := []struct {
		name string
		addr string
	}{
		{"an address without a port", "nonsense"},
		{"a host without a port", "127.0.0.1"},
		{"a port above 65535", ":99999"},
		{"a negative port", ":-1"},
		{"an IPv6 address, since the socket is IPv4", "[::1]:80"},
	}
	for _, tt := range tests {
		t.Run("rejects "+tt.name, func(t *testing.T) {
			got, err := parseAddr(tt.addr)
			if err == nil {
				t.Fatalf("parseAddr(%q) = %+v, want an error", tt.addr, got)
			}
			if want := fmt.Sprintf("bad -addr %q", tt.addr); !strings.Contains(err.Error(), want) {
				t.Errorf("got error %q, want it to name the flag and the address: %q", err, want)
			}
			var addrErr *net.AddrError
			if !errors.As(err, &addrErr) {
				t.Errorf("got error %v, want it to wrap the resolver's *net.AddrError", err)
			}
		})
	}
}

func TestFormatAddr(t *testing.T) {
	tests := []struct {
		name     string
		sockaddr syscall.Sockaddr
		want     string
	}{
		{"writes an IPv4 address as ip:port", &syscall.SockaddrInet4{Port: 8888, Addr: [4]byte{127, 0, 0, 1}}, "127.0.0.1:8888"},
		{"writes every interface as 0.0.0.0", &syscall.SockaddrInet4{Port: 8888}, "0.0.0.0:8888"},
		{"writes the highest port as it is", &syscall.SockaddrInet4{Port: 65535, Addr: [4]byte{192, 0, 2, 7}}, "192.0.2.7:65535"},
		{"writes an IPv6 address in brackets", &syscall.SockaddrInet6{Port: 80, Addr: [16]byte{15: 1}}, "[::1]:80"},
		{"shortens the zeros of an IPv6 address", &syscall.SockaddrInet6{Port: 443, Addr: [16]byte{0x20, 0x01, 0x0d, 0xb8, 15: 1}}, "[2001:db8::1]:443"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := formatAddr(tt.sockaddr); got != tt.want {
				t.Errorf("formatAddr(%+v) = %q, want %q", tt.sockaddr, got, tt.want)
			}
		})
	}
}

// closeOnce returns a function that closes fd the first time it is
// called, and has t.Cleanup call it too: each descriptor is closed once
// only, since after a close the kernel may give its number to the next
// file that opens.
func closeOnce(t *testing.T, fd int) func() {
	var once sync.Once
	closeFD := func() { once.Do(func() { syscall.Close(fd) }) }
	t.Cleanup(closeFD)
	return closeFD
}

// listenOnLoopback opens a listening socket on 127.0.0.1 at a port that
// the kernel chooses, closed when the test ends, and returns it and its
// port.
func listenOnLoopback(t *testing.T) (listenSocket, port int) {
	t.Helper()
	listenSocket, err := createListenSocket("127.0.0.1:0")
	require.NoError(t, err, "createListenSocket")
	closeOnce(t, listenSocket)
	bound, err := syscall.Getsockname(listenSocket)
	require.NoError(t, err, "getsockname")
	inet4, ok := bound.(*syscall.SockaddrInet4)
	if !ok {
		t.Fatalf("getsockname returned a %T, want an IPv4 address", bound)
	}
	if inet4.Addr != [4]byte{127, 0, 0, 1} {
		t.Errorf("the socket is bound to %v, want 127.0.0.1", inet4.Addr)
	}
	return listenSocket, inet4.Port
}

func TestCreateListenSocket(t *testing.T) {
	t.Run("binds a port that the kernel chose when asked for port 0", func(t *testing.T) {
		_, port := listenOnLoopback(t)
		if port == 0 {
			t.Errorf("getsockname gives port 0, want the port that the kernel chose")
		}
	})

	t.Run("lets the port be reused at once with SO_REUSEADDR", func(t *testing.T) {
		listenSocket, _ := listenOnLoopback(t)
		got, err := syscall.GetsockoptInt(listenSocket, syscall.SOL_SOCKET, syscall.SO_REUSEADDR)
		require.NoError(t, err, "getsockopt SO_REUSEADDR")
		if got == 0 {
			t.Errorf("SO_REUSEADDR is off, want it on")
		}
	})

	t.Run("accepts a connection and knows the client's address", func(t *testing.T) {
		listenSocket, port := listenOnLoopback(t)

		conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 2*time.Second)
		require.NoError(t, err, "dial")
		t.Cleanup(func() { conn.Close() })

		// The kernel completed the handshake when Dial returned, so the
		// connection waits in the listen queue and accept does not block.
		clientConn, clientAddr, err := syscall.Accept(listenSocket)
		require.NoError(t, err, "accept")
		closeOnce(t, clientConn)

		if got, want := formatAddr(clientAddr), conn.LocalAddr().String(); got != want {
			t.Errorf("accept gives the client's address as %q, want the dialer's own address %q", got, want)
		}
	})

	t.Run("fails with an error that wraps EADDRINUSE when the port is taken", func(t *testing.T) {
		_, port := listenOnLoopback(t)

		second, err := createListenSocket(fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			closeOnce(t, second)
			t.Fatalf("binding port %d twice succeeded, want an error", port)
		}
		if !errors.Is(err, syscall.EADDRINUSE) {
			t.Errorf("got error %v, want one that wraps syscall.EADDRINUSE", err)
		}
		if second != -1 {
			t.Errorf("got descriptor %d with the error, want -1", second)
		}
	})

	t.Run("fails on an address that it cannot parse", func(t *testing.T) {
		got, err := createListenSocket("nonsense")
		if err == nil {
			closeOnce(t, got)
			t.Fatalf("createListenSocket(%q) succeeded, want an error", "nonsense")
		}
		if got != -1 {
			t.Errorf("got descriptor %d with the error, want -1", got)
		}
	})
}
