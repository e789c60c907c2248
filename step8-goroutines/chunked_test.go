package main

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"net/http/httputil"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// decode reads the whole chunked body in input, with at most limit
// bytes, as readBody does.
func decode(input string, limit int64, oneByteAtATime bool) (string, error) {
	var source io.Reader = strings.NewReader(input)
	if oneByteAtATime {
		source = iotest.OneByteReader(source)
	}
	body, err := io.ReadAll(newChunkedReader(bufio.NewReader(source), limit))
	return string(body), err
}

func TestChunkedReaderDecodesValidBodies(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  string
	}{
		{"reads two chunks and the last one", "7\r\nHello, \r\n6\r\nWorld!\r\n0\r\n\r\n", "Hello, World!"},
		{"reads an empty body: the last chunk alone", "0\r\n\r\n", ""},
		{"reads sizes in upper and lower case hexadecimal", "A\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n", "0123456789abcdefghij"},
		{"reads sizes with leading zeros", "0005\r\nhello\r\n000\r\n\r\n", "hello"},
		{"ignores chunk extensions", "5;name=value\r\nhello\r\n5 ; quoted=\"a b\"\r\nworld\r\n0;last\r\n\r\n", "helloworld"},
		{"reads and drops trailer fields", "5\r\nhello\r\n0\r\nExpires: never\r\nX-Sum: 1234\r\n\r\n", "hello"},
		{"keeps CR and LF inside a chunk's data", "4\r\na\r\nb\r\n0\r\n\r\n", "a\r\nb"},
		{"reads a body of exactly the limit, 20 bytes", "a\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n", "0123456789abcdefghij"},
		{"stops at the end of the body and leaves what follows", "3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n", "abc"},
	}
	for _, tt := range tests {
		for _, oneByte := range []bool{false, true} {
			name := tt.name
			if oneByte {
				name += ", arriving one byte at a time"
			}
			t.Run(name, func(t *testing.T) {
				got, err := decode(tt.input, 20, oneByte)
				if err != nil {
					t.Fatalf("got error %v, want %q", err, tt.want)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("decoded body differs (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestChunkedReaderRefusesMalformedBodies(t *testing.T) {
	tests := []struct {
		name       string
		input      string
		limit      int64
		wantStatus int
	}{
		{"answers 400 to a size that is not hexadecimal", "g\r\nabc\r\n0\r\n\r\n", 100, http.StatusBadRequest},
		{"answers 400 to a negative size", "-1\r\na\r\n0\r\n\r\n", 100, http.StatusBadRequest},
		{"answers 400 to an empty size line", "\r\nabc\r\n0\r\n\r\n", 100, http.StatusBadRequest},
		{"answers 400 to a size with a 0x prefix", "0x3\r\nabc\r\n0\r\n\r\n", 100, http.StatusBadRequest},
		{"answers 400 to whitespace before the size", " 3\r\nabc\r\n0\r\n\r\n", 100, http.StatusBadRequest},
		{"answers 400 to a size line ended by a bare LF", "3\nabc\r\n0\r\n\r\n", 100, http.StatusBadRequest},
		{"answers 400 to data longer than its size", "3\r\nabcd\r\n0\r\n\r\n", 100, http.StatusBadRequest},
		{"answers 400 to data shorter than its size", "5\r\nabc\r\n0\r\n\r\n", 100, http.StatusBadRequest},
		{"answers 400 to data not followed by CRLF", "3\r\nabc0\r\n\r\n", 100, http.StatusBadRequest},
		{"answers 400 to a control character in an extension", "3;a=\x01\r\nabc\r\n0\r\n\r\n", 100, http.StatusBadRequest},
		{"answers 400 to a size line longer than 4 KiB", "3;" + strings.Repeat("x", maxChunkLineBytes) + "\r\nabc\r\n0\r\n\r\n", 100, http.StatusBadRequest},
		{"answers 400 to a trailer line without a colon", "0\r\nnot a field\r\n\r\n", 100, http.StatusBadRequest},
		{"answers 400 to a stream that ends in a chunk's data", "5\r\nab", 100, http.StatusBadRequest},
		{"answers 400 to a stream that ends before the last chunk", "3\r\nabc\r\n", 100, http.StatusBadRequest},
		{"answers 400 to a stream that ends in the trailer", "0\r\n", 100, http.StatusBadRequest},
		{"answers 400 to an empty stream", "", 100, http.StatusBadRequest},
		{"answers 413 to one chunk over the limit, before reading it", "b\r\n", 10, http.StatusRequestEntityTooLarge},
		{"answers 413 to chunks that add up to more than the limit", "6\r\nabcdef\r\n6\r\nghijkl\r\n0\r\n\r\n", 10, http.StatusRequestEntityTooLarge},
		{"answers 413 to a size too big for any integer", "ffffffffffffffffffffffff\r\n", 1 << 20, http.StatusRequestEntityTooLarge},
		{"answers 431 to more trailer fields than a head may have", "0\r\n" + strings.Repeat("X: y\r\n", maxHeaderFields+1) + "\r\n", 100, http.StatusRequestHeaderFieldsTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decode(tt.input, tt.limit, false)
			var reqErr *requestError
			if !errors.As(err, &reqErr) || reqErr.status != tt.wantStatus {
				t.Fatalf("got %q, error %v; want a requestError with status %d", got, err, tt.wantStatus)
			}
			if strings.ContainsAny(reqErr.reason, "\r\n") {
				t.Errorf("the reason %q spans lines; the answer's body is one line", reqErr.reason)
			}
		})
	}
}

// brokenReader delivers some bytes, then fails as a socket does when the
// client is too slow.
type brokenReader struct {
	data string
	err  error
}

func (b *brokenReader) Read(p []byte) (int, error) {
	if b.data == "" {
		return 0, b.err
	}
	n := copy(p, b.data)
	b.data = b.data[n:]
	return n, nil
}

func TestChunkedReaderPassesOnTheSocketsErrors(t *testing.T) {
	// On a socket, this is errTimedOut, and readBody answers 408.
	tooSlow := errors.New("timed out")
	reader := newChunkedReader(bufio.NewReader(&brokenReader{"5\r\nab", tooSlow}), 100)
	got, err := io.ReadAll(reader)
	if !errors.Is(err, tooSlow) {
		t.Errorf("got error %v, want the socket's own error", err)
	}
	if string(got) != "ab" {
		t.Errorf("got %q before the error, want %q", got, "ab")
	}
	if _, again := reader.Read(make([]byte, 10)); !errors.Is(again, tooSlow) {
		t.Errorf("a second Read returned %v, want the same error again", again)
	}
}

// FuzzChunkedReader feeds the chunked reader any bytes. It never panics
// and never returns more than its limit; and whatever it accepts,
// net/http's own chunked decoder (httputil.NewChunkedReader) decodes to
// the same bytes. (net/http accepts some bodies that this reader refuses,
// such as bare LF line ends; never the other way round.)
func FuzzChunkedReader(f *testing.F) {
	f.Add("7\r\nHello, \r\n6\r\nWorld!\r\n0\r\n\r\n")
	f.Add("5;ext=1\r\nhello\r\n0\r\nTrailer: x\r\n\r\n")
	f.Add("3\nabc\n0\n\n")
	f.Add("ffffffff\r\n")
	f.Fuzz(func(t *testing.T, input string) {
		const limit = 64
		got, err := decode(input, limit, false)
		if err != nil {
			var reqErr *requestError
			if !errors.As(err, &reqErr) {
				t.Fatalf("got %T %v, want a *requestError", err, err)
			}
			return
		}
		if len(got) > limit {
			t.Fatalf("returned %d bytes, more than the limit %d", len(got), limit)
		}
		theirs, theirErr := io.ReadAll(httputil.NewChunkedReader(bufio.NewReader(strings.NewReader(input))))
		if theirErr != nil {
			t.Fatalf("accepted %q as %q, but net/http refuses it: %v", input, got, theirErr)
		}
		if string(theirs) != got {
			t.Fatalf("decoded %q as %q, net/http as %q", input, got, theirs)
		}
	})
}

// TestChunkedReaderReadsSizeLinesStrictly checks the grammar of a chunk
// size line (RFC 9112, section 7.1.1): hexadecimal digits, then
// extensions `BWS ";" BWS name [ BWS "=" BWS value ]`, then CRLF.
func TestChunkedReaderReadsSizeLinesStrictly(t *testing.T) {
	tests := []struct {
		name   string
		line   string // the first chunk's size line, without CRLF; its data is "ab"
		wantOK bool
	}{
		{"refuses whitespace after the size without a ;", "2 ", false},
		{"refuses a tab after the size without a ;", "2\t", false},
		{"refuses an empty extension", "2;", false},
		{"refuses an empty extension after whitespace", "2 ;", false},
		{"refuses an extension without a name", "2;=x", false},
		{"refuses an extension with = and no value", "2;a=", false},
		{"refuses an unterminated quoted string", `2;a="x`, false},
		{"refuses a quoted string that ends in an escaped quote", `2;a="x\"`, false},
		{"refuses text after a quoted string", `2;a="x"y`, false},
		{"refuses a second extension left empty", "2;a;", false},
		{"refuses whitespace after an extension", "2;a ", false},
		{"refuses a name that is not a token", "2;a/b", false},
		{"accepts a name alone", "2;a", true},
		{"accepts a name and a token value", "2;a=b", true},
		{"accepts whitespace around ; and =", "2 ; a = b", true},
		{"accepts several extensions", "2;a;b=c;d=\"e\"", true},
		{"accepts a quoted string with spaces and an escaped quote", `2;a="x \" y"`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decode(tt.line+"\r\nab\r\n0\r\n\r\n", 100, false)
			if tt.wantOK {
				if err != nil || got != "ab" {
					t.Errorf("got %q, %v; want %q", got, err, "ab")
				}
				return
			}
			var reqErr *requestError
			if !errors.As(err, &reqErr) || reqErr.status != http.StatusBadRequest {
				t.Errorf("got %q, %v; want a requestError with status 400", got, err)
			}
		})
	}
	t.Run("refuses a size line ended by a bare LF", func(t *testing.T) {
		_, err := decode("2\nab\r\n0\r\n\r\n", 100, false)
		var reqErr *requestError
		if !errors.As(err, &reqErr) || reqErr.status != http.StatusBadRequest {
			t.Errorf("got %v, want a requestError with status 400", err)
		}
	})
}

// countingReader counts the bytes that have been read through it.
type countingReader struct {
	r    io.Reader
	read int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += n
	return n, err
}

// TestChunkedReaderChargesForFraming checks issue 12's third finding:
// a client streamed megabytes of chunk extensions for a few bytes of
// body, and the reader read on. Framing costs now: past
// maxChunkFramingBytes, when it outweighs the data, the body is refused.
func TestChunkedReaderChargesForFraming(t *testing.T) {
	longExt := ";x=" + strings.Repeat("y", maxChunkLineBytes-100)
	tests := []struct {
		name  string
		chunk string // repeated until 4 MiB have been offered
	}{
		{"stops a stream of long extensions on one-byte chunks", "1" + longExt + "\r\nz\r\n"},
		{"stops a stream of one-byte chunks with no extension", "1\r\nz\r\n"},
		{"stops a stream of leading zeros", "00000000000000000000000000000000001\r\nz\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			offered := &countingReader{r: strings.NewReader(strings.Repeat(tt.chunk, 4<<20/len(tt.chunk)))}
			_, err := io.ReadAll(newChunkedReader(bufio.NewReader(offered), maxBodyBytes))
			var reqErr *requestError
			if !errors.As(err, &reqErr) || reqErr.status != http.StatusBadRequest {
				t.Fatalf("got %v, want a requestError with status 400", err)
			}
			if want := "the chunked body has more framing than data"; reqErr.reason != want {
				t.Errorf("got the reason %q, want %q", reqErr.reason, want)
			}
			// What it read: the budget, one line more, and bufio's buffer.
			if most := 64 << 10; offered.read > most {
				t.Errorf("read %d bytes before it stopped, want at most %d", offered.read, most)
			}
		})
	}
	t.Run("reads a body whose framing stays within the budget", func(t *testing.T) {
		body := strings.Repeat("5;name=value\r\nhello\r\n", 100) + "0\r\n\r\n"
		got, err := decode(body, maxBodyBytes, false)
		if err != nil || len(got) != 500 {
			t.Errorf("got %d bytes, %v; want 500 and no error", len(got), err)
		}
	})
	t.Run("reads a large body whose framing is large too but smaller than its data", func(t *testing.T) {
		chunk := "40" + longExt + "\r\n" + strings.Repeat("d", 0x40) + "\r\n" // about 4 KiB of framing for 64 bytes
		body := "20000\r\n" + strings.Repeat("d", 0x20000) + "\r\n" + strings.Repeat(chunk, 8) + "0\r\n\r\n"
		got, err := decode(body, maxBodyBytes, false)
		if err != nil || len(got) != 0x20000+8*0x40 {
			t.Errorf("got %d bytes, %v; want %d and no error", len(got), err, 0x20000+8*0x40)
		}
	})
}
