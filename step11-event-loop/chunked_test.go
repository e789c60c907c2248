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
	t.Parallel()
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
		{"ignores several extensions, with whitespace around ; and =", "5 ;a ; b = 1\t;c=\"q \\\" \\\\\"\r\nhello\r\n0\r\n\r\n", "hello"},
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
	t.Parallel()
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
		{"answers 400 to whitespace after the size with no extension", "3 \r\nabc\r\n0\r\n\r\n", 100, http.StatusBadRequest},
		{"answers 400 to a tab after the size with no extension", "3\t\r\nabc\r\n0\r\n\r\n", 100, http.StatusBadRequest},
		{"answers 400 to an empty extension", "2;\r\nab\r\n0\r\n\r\n", 100, http.StatusBadRequest},
		{"answers 400 to an empty extension after another", "2;a=1;\r\nab\r\n0\r\n\r\n", 100, http.StatusBadRequest},
		{"answers 400 to an extension without a name", "2;=x\r\nab\r\n0\r\n\r\n", 100, http.StatusBadRequest},
		{"answers 400 to an extension with = and no value", "2;a=\r\nab\r\n0\r\n\r\n", 100, http.StatusBadRequest},
		{"answers 400 to an extension name that is not a token", "2;a(b\r\nab\r\n0\r\n\r\n", 100, http.StatusBadRequest},
		{"answers 400 to two words where one name should be", "2;a b\r\nab\r\n0\r\n\r\n", 100, http.StatusBadRequest},
		{"answers 400 to an unterminated quoted string", "2;a=\"xy\r\nab\r\n0\r\n\r\n", 100, http.StatusBadRequest},
		{"answers 400 to a quoted string that ends in an escape", "2;a=\"xy\\\"\r\nab\r\n0\r\n\r\n", 100, http.StatusBadRequest},
		{"answers 400 to text after a quoted string", "2;a=\"x\"y\r\nab\r\n0\r\n\r\n", 100, http.StatusBadRequest},
		{"answers 400 to a bare LF after the data", "3\r\nabc\n0\r\n\r\n", 100, http.StatusBadRequest},
		{"answers 400 to a bare LF that ends the trailer", "0\r\nX: y\r\n\n", 100, http.StatusBadRequest},
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
	t.Parallel()
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

// TestChunkedReaderCountsTheFraming checks the framing budget (issue
// 12, item 3): size lines, extensions, the CRLF after each chunk and the
// trailer cost as much as data; past maxChunkFramingBytes of them, and
// more framing than data, the body is refused.
func TestChunkedReaderCountsTheFraming(t *testing.T) {
	t.Parallel()
	longExtension := "1;x=" + strings.Repeat("e", maxChunkLineBytes-10) + "\r\nd\r\n"
	tests := []struct {
		name       string
		input      string
		wantStatus int // 0: accepted
	}{
		{"accepts a few long extensions", strings.Repeat(longExtension, 3) + "0\r\n\r\n", 0},
		{"answers 400 to a stream of extensions past the budget, for a few bytes of data",
			strings.Repeat(longExtension, 1000) + "0\r\n\r\n", http.StatusBadRequest},
		{"answers 400 to many chunks of one byte, whose framing outweighs their data",
			strings.Repeat("1\r\nd\r\n", 10000) + "0\r\n\r\n", http.StatusBadRequest},
		{"accepts more framing than the budget when the data outweighs it",
			strings.Repeat("fa0;x="+strings.Repeat("e", 3000)+"\r\n"+strings.Repeat("d", 0xfa0)+"\r\n", 10) + "0\r\n\r\n", 0},
		{"answers 400 to a trailer section past the budget",
			"1\r\nd\r\n0\r\n" + strings.Repeat("X-Pad: "+strings.Repeat("p", maxChunkLineBytes-20)+"\r\n", 5) + "\r\n", http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decode(tt.input, 1<<20, false)
			if tt.wantStatus == 0 {
				if err != nil {
					t.Fatalf("got %v, want the body accepted", err)
				}
				return
			}
			var reqErr *requestError
			if !errors.As(err, &reqErr) || reqErr.status != tt.wantStatus || reqErr.reason != "the chunked body has more framing than data" {
				t.Fatalf("got %v; want a requestError with status %d for framing", err, tt.wantStatus)
			}
		})
	}
	t.Run("stops reading soon after the budget is spent", func(t *testing.T) {
		reader := &countingReader{r: strings.NewReader(strings.Repeat(longExtension, 10000))}
		io.ReadAll(newChunkedReader(bufio.NewReader(reader), 1<<20))
		if reader.n > 4*maxChunkFramingBytes {
			t.Errorf("read %d bytes of a 40 MB stream of extensions, want about maxChunkFramingBytes (%d)", reader.n, maxChunkFramingBytes)
		}
	})
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
