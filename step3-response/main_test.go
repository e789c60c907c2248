//go:build unix

package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func TestMakeResponse(t *testing.T) {
	tests := []struct {
		name   string
		status string
		body   string
		want   string
	}{
		{
			name:   "writes the status line, the header fields, the empty line and the body, with CRLF line ends",
			status: "200 OK",
			body:   "Hello, World!",
			want: "HTTP/1.1 200 OK\r\n" +
				"Content-Type: text/plain; charset=utf-8\r\n" +
				"Content-Length: 13\r\n" +
				"Connection: close\r\n" +
				"\r\n" +
				"Hello, World!",
		},
		{
			name:   "counts the body's length in bytes, not in characters",
			status: "200 OK",
			body:   "你好",
			want: "HTTP/1.1 200 OK\r\n" +
				"Content-Type: text/plain; charset=utf-8\r\n" +
				"Content-Length: 6\r\n" +
				"Connection: close\r\n" +
				"\r\n" +
				"你好",
		},
		{
			name:   "writes Content-Length 0 for an empty body",
			status: "404 Not Found",
			body:   "",
			want: "HTTP/1.1 404 Not Found\r\n" +
				"Content-Type: text/plain; charset=utf-8\r\n" +
				"Content-Length: 0\r\n" +
				"Connection: close\r\n" +
				"\r\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(makeResponse(tt.status, tt.body))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("makeResponse(%q, %q) mismatch (-want +got):\n%s", tt.status, tt.body, diff)
			}
		})
	}
}

func TestMakeResponseIsValidHTTP(t *testing.T) {
	raw := makeResponse("200 OK", responseBody)

	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil)
	if err != nil {
		t.Fatalf("net/http cannot read the response %q: %v", raw, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err, "reading the body")

	type summary struct {
		Proto         string
		StatusCode    int
		ContentType   string
		ContentLength int64
		Close         bool
		Body          string
	}
	want := summary{"HTTP/1.1", 200, "text/plain; charset=utf-8", 13, true, "Hello, World!"}
	got := summary{resp.Proto, resp.StatusCode, resp.Header.Get("Content-Type"), resp.ContentLength, resp.Close, string(body)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("net/http read the response as (-want +got):\n%s", diff)
	}
}

// tcpPair connects a client socket to a server on 127.0.0.1 with the
// step's own system calls, and returns the server's end of the
// connection (the one that handleRequest gets from accept, and the one
// that sendall writes to) and the client's end. setupClient, if not nil,
// runs on the client's socket before it connects.
//
// Both ends are closed when the test ends, and the returned functions
// close them earlier; each end is closed once only, since after a close
// the kernel may give its number to the next file that opens. The
// client's end times out a read after a few seconds, so that a broken
// sendall fails the test instead of hanging it.
func tcpPair(t *testing.T, setupClient func(fd int) error) (server, client int, closeServer, closeClient func()) {
	t.Helper()
	listenSocket, err := createListenSocket("127.0.0.1:0")
	require.NoError(t, err, "createListenSocket")
	closeListener := closeOnce(t, listenSocket)
	defer closeListener()
	addr, err := syscall.Getsockname(listenSocket)
	require.NoError(t, err, "getsockname")

	client, err = syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	require.NoError(t, err, "socket")
	closeClient = closeOnce(t, client)
	timeout := syscall.NsecToTimeval((5 * time.Second).Nanoseconds())
	if err := syscall.SetsockoptTimeval(client, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &timeout); err != nil {
		t.Fatalf("setsockopt SO_RCVTIMEO: %v", err)
	}
	if setupClient != nil {
		if err := setupClient(client); err != nil {
			t.Fatalf("setting up the client's socket: %v", err)
		}
	}
	if err := syscall.Connect(client, addr); err != nil {
		t.Fatalf("connect: %v", err)
	}

	server, _, err = syscall.Accept(listenSocket)
	require.NoError(t, err, "accept")
	closeServer = closeOnce(t, server)
	return server, client, closeServer, closeClient
}

// closeOnce returns a function that closes fd the first time it is
// called, and has t.Cleanup call it too.
func closeOnce(t *testing.T, fd int) func() {
	var once sync.Once
	closeFD := func() { once.Do(func() { syscall.Close(fd) }) }
	t.Cleanup(closeFD)
	return closeFD
}

// received is what a reader got before the end of the stream, or the
// error that stopped it.
type received struct {
	data []byte
	err  error
}

// readUntilEOF reads fd in a goroutine until the other end closes, chunk
// bytes at a time at most, pausing after each read, and delivers all it
// read on the returned channel.
func readUntilEOF(fd, chunk int, pause time.Duration) <-chan received {
	done := make(chan received, 1)
	go func() {
		var data []byte
		buf := make([]byte, chunk)
		for {
			n, err := syscall.Read(fd, buf)
			if err == syscall.EINTR {
				continue
			}
			if err != nil {
				done <- received{data, err}
				return
			}
			if n == 0 {
				done <- received{data, nil}
				return
			}
			data = append(data, buf[:n]...)
			if pause > 0 {
				time.Sleep(pause)
			}
		}
	}()
	return done
}

// pattern returns n bytes that do not repeat with any power-of-two
// period, so that a lost, doubled or reordered chunk shows.
func pattern(n int) []byte {
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(i % 251)
	}
	return data
}

// checkSameBytes reports where got first differs from want.
func checkSameBytes(t *testing.T, want, got []byte) {
	t.Helper()
	if bytes.Equal(want, got) {
		return
	}
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	t.Errorf("the reader got %d bytes, want %d; they first differ at byte %d", len(got), len(want), i)
}

// retryOnEINTR runs try, again while it fails with EINTR, three times at
// most, and returns its last error. A blocking socket call with a timeout
// (SO_SNDTIMEO, SO_RCVTIMEO) that a signal interrupts before it has moved
// a byte fails with EINTR instead of going on, and the Go runtime signals
// its threads now and then; without a timeout the kernel restarts the
// call. The tests below need send timeouts, so they use this.
func retryOnEINTR(t *testing.T, try func() error) error {
	t.Helper()
	var err error
	for range 3 {
		if err = try(); !errors.Is(err, syscall.EINTR) {
			return err
		}
		t.Logf("a signal interrupted a system call (%v); trying again", err)
	}
	return err
}

func TestSendall(t *testing.T) {
	t.Run("sends a payload of a single byte", func(t *testing.T) {
		server, client, closeServer, _ := tcpPair(t, nil)
		done := readUntilEOF(client, 16, 0)
		err := sendall(server, []byte("!"))
		closeServer() // the reader sees the end of the stream
		got := <-done
		require.NoError(t, err, "sendall")
		if got.err != nil {
			t.Fatalf("reading: %v", got.err)
		}
		checkSameBytes(t, []byte("!"), got.data)
	})

	t.Run("sends every byte of a payload larger than the socket buffers", func(t *testing.T) {
		// With small buffers at both ends the kernel takes the payload a
		// few KiB at a time, as the reader makes room. (A small receive
		// buffer also makes the reader's kernel announce the room at once,
		// which keeps this test fast.)
		server, client, closeServer, _ := tcpPair(t, func(fd int) error {
			return syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
		if err := syscall.SetsockoptInt(server, syscall.SOL_SOCKET, syscall.SO_SNDBUF, 4096); err != nil {
			t.Fatalf("setsockopt SO_SNDBUF: %v", err)
		}
		payload := pattern(1 << 20)

		done := readUntilEOF(client, 64<<10, 0)
		err := sendall(server, payload)
		closeServer()
		got := <-done
		require.NoError(t, err, "sendall")
		if got.err != nil {
			t.Fatalf("reading: %v", got.err)
		}
		checkSameBytes(t, payload, got.data)
	})

	t.Run("keeps sending when the kernel takes only part of a write", func(t *testing.T) {
		// A blocking write(2) to a TCP socket waits until the kernel has
		// taken every byte, unless it times out or a signal comes: then it
		// returns how many bytes it took. With a send timeout, small
		// buffers and a slow reader, a write of 1 MiB times out part way.
		// The reader reads 4 KiB, then sleeps 1 ms: at most 4 KiB a
		// millisecond, so some 800 KiB in the 200 ms of the timeout, and it
		// never pauses for long enough that a write times out with nothing
		// taken (which would be an error, EAGAIN).
		const (
			sendTimeout = 200 * time.Millisecond
			bufferSize  = 4096
			readChunk   = 4 << 10
			readPause   = time.Millisecond
		)
		payload := pattern(1 << 20)

		// sendSlowly connects a new pair under these conditions, calls send
		// on the server's end while the client's end reads slowly, then
		// closes the server's end and returns what the client read.
		sendSlowly := func(t *testing.T, send func(server int) error) (received, error) {
			server, client, closeServer, _ := tcpPair(t, func(fd int) error {
				return syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUF, bufferSize)
			})
			if err := syscall.SetsockoptInt(server, syscall.SOL_SOCKET, syscall.SO_SNDBUF, bufferSize); err != nil {
				t.Fatalf("setsockopt SO_SNDBUF: %v", err)
			}
			timeout := syscall.NsecToTimeval(sendTimeout.Nanoseconds())
			if err := syscall.SetsockoptTimeval(server, syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, &timeout); err != nil {
				t.Fatalf("setsockopt SO_SNDTIMEO: %v", err)
			}
			done := readUntilEOF(client, readChunk, readPause)
			err := send(server)
			closeServer()
			return <-done, err
		}

		partial := false // one write was seen to take only part of the payload
		t.Run("one write takes only part of the payload", func(t *testing.T) {
			var n int
			var got received
			err := retryOnEINTR(t, func() (err error) {
				got, err = sendSlowly(t, func(server int) (err error) {
					n, err = syscall.Write(server, payload)
					return err
				})
				return err
			})
			require.NoError(t, err, "write")
			if n == len(payload) {
				t.Skipf("one write took all %d bytes here, so these conditions do not produce a partial write on this system", n)
			}
			if got.err != nil {
				t.Fatalf("reading: %v", got.err)
			}
			t.Logf("one write took %d of %d bytes", n, len(payload))
			checkSameBytes(t, payload[:n], got.data)
			partial = true
		})
		if !partial {
			// Without a partial write, the sub-test below would pass
			// whether or not sendall loops.
			t.Skip("no partial write was seen, so sendall's loop cannot be tested here")
		}

		t.Run("sendall delivers every byte all the same", func(t *testing.T) {
			var got received
			err := retryOnEINTR(t, func() (err error) {
				got, err = sendSlowly(t, func(server int) error {
					return sendall(server, payload)
				})
				return err
			})
			require.NoError(t, err, "sendall")
			if got.err != nil {
				t.Fatalf("reading: %v", got.err)
			}
			checkSameBytes(t, payload, got.data)
		})
	})

	t.Run("reports an error when the client has gone", func(t *testing.T) {
		// The client hangs up. The first bytes that the server sends then
		// reach a socket that no longer exists, whose kernel answers with a
		// reset (RST); a later write fails with ECONNRESET or EPIPE. A
		// write to such a socket also raises SIGPIPE, whose default action
		// kills the process. The Go runtime lets SIGPIPE kill a program
		// only for a write to its standard output or error (descriptors 1
		// and 2); this test would not finish if sendall could kill the
		// server that way.
		server, _, _, closeClient := tcpPair(t, nil)
		if err := syscall.SetsockoptInt(server, syscall.SOL_SOCKET, syscall.SO_SNDBUF, 4096); err != nil {
			t.Fatalf("setsockopt SO_SNDBUF: %v", err)
		}
		// A write that waited for a reset that never comes fails with
		// EAGAIN after this, instead of hanging the test.
		timeout := syscall.NsecToTimeval((2 * time.Second).Nanoseconds())
		if err := syscall.SetsockoptTimeval(server, syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, &timeout); err != nil {
			t.Fatalf("setsockopt SO_SNDTIMEO: %v", err)
		}
		closeClient()

		// The kernel may take the first payload before the reset arrives:
		// send again until a write fails.
		payload := pattern(1 << 20)
		var err error
		for try := 0; try < 10 && err == nil; try++ {
			err = retryOnEINTR(t, func() error { return sendall(server, payload) })
		}
		if !errors.Is(err, syscall.EPIPE) && !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("sendall to a closed connection: got error %v, want one that wraps EPIPE or ECONNRESET", err)
		}
	})
}
