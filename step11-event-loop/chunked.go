package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// maxChunkLineBytes bounds a chunk's size line, extensions included, and
// each trailer field line: a client must not make the server read an
// endless line.
const maxChunkLineBytes = 4 << 10

// maxChunkFramingBytes bounds what a chunked body may spend on framing
// (size lines, extensions, the CRLF after each chunk's data, trailer
// fields) beyond its data: past it, a body whose framing outweighs its
// data is refused. Without it, a client could stream endless extensions
// on one-byte chunks, and the server would read them all for a few
// bytes of body (issue 12; net/http's CVE-2023-39326 was the same).
const maxChunkFramingBytes = 16 << 10

// chunkedReader decodes a body sent with Transfer-Encoding: chunked (RFC
// 9112, section 7.1). Such a body is a series of chunks, each its length
// in hexadecimal, CRLF, that many bytes, CRLF; a chunk of length 0 ends
// it, followed by optional trailer fields and an empty line:
//
//	7\r\n
//	Hello, \r\n
//	6\r\n
//	World!\r\n
//	0\r\n
//	\r\n
//
// Read returns the chunks' bytes, "Hello, World!", then io.EOF. A body
// that breaks these rules gets a *requestError with 400, one longer than
// the limit 413; a stream that ends too soon is a 400 too.
type chunkedReader struct {
	r       *bufio.Reader
	limit   int64 // the most body bytes to read
	read    int64 // body bytes read so far
	framing int64 // bytes read that are not body data: size lines, CRLFs, trailer
	left    int64 // bytes left in the current chunk
	done    bool  // the last chunk and the trailer have been read
	err     error // the first error, returned from then on
}

// newChunkedReader returns a reader of the chunked body that r holds, of
// at most limit bytes once decoded. r's buffer must hold a whole size
// line: bufio.NewReader's 4096 bytes do.
func newChunkedReader(r *bufio.Reader, limit int64) *chunkedReader {
	return &chunkedReader{r: r, limit: limit}
}

// Read reads the body's bytes, chunk after chunk.
func (c *chunkedReader) Read(p []byte) (int, error) {
	for c.err == nil && !c.done && c.left == 0 {
		c.err = c.startChunk()
	}
	if c.err != nil {
		return 0, c.err
	}
	if c.done {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	n, err := c.r.Read(p[:min(int64(len(p)), c.left)])
	c.left -= int64(n)
	c.read += int64(n)
	if err == nil && c.left == 0 {
		// The chunk's data ends in CRLF.
		err = c.expectCRLF()
	}
	if err != nil {
		c.err = endedEarly(err)
	}
	return n, c.err
}

// startChunk reads a chunk's size line; after the last chunk, the
// trailer fields too.
func (c *chunkedReader) startChunk() error {
	line, err := c.readLine()
	if err != nil {
		return err
	}
	// The size, then maybe extensions: ";name=value", which no one uses
	// and this reader checks and ignores.
	digits, extensions := cutHexDigits(line)
	if len(digits) == 0 {
		return badRequest("the chunk size line %s does not start with a size in hexadecimal", excerpt(string(line)))
	}
	var size int64
	for _, d := range digits {
		v, _ := hexValue(d)
		size = size*16 + v
		if size > c.limit-c.read {
			// Stop before the number grows past what an int64 holds.
			return &requestError{http.StatusRequestEntityTooLarge,
				fmt.Sprintf("the chunked body is longer than the %d bytes this server reads", c.limit)}
		}
	}
	if err := checkChunkExtensions(extensions); err != nil {
		return err
	}
	if size > 0 {
		c.left = size
		return nil
	}
	// The last chunk. Trailer fields may follow, up to an empty line:
	// they are checked and dropped (net/http offers them in r.Trailer).
	for fields := 0; ; fields++ {
		line, err := c.readLine()
		if err != nil {
			return err
		}
		if len(line) == 0 {
			c.done = true
			return nil
		}
		if fields == maxHeaderFields {
			return &requestError{http.StatusRequestHeaderFieldsTooLarge,
				fmt.Sprintf("the chunked body has more than %d trailer fields", maxHeaderFields)}
		}
		if bytes.ContainsFunc(line, isControl) {
			return badRequest("the trailer line %s holds a control character", excerpt(string(line)))
		}
		if _, err := parseHeaderField(string(line)); err != nil {
			return err
		}
	}
}

// readLine reads one line of the chunked framing and returns it without
// its CRLF. Unlike the head, where a bare LF is tolerated, the framing
// of a body must end its lines in CRLF: a reader that accepted a bare LF
// here would split the body where another reader does not.
func (c *chunkedReader) readLine() ([]byte, error) {
	line, err := c.r.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull) || len(line) > maxChunkLineBytes:
		return nil, badRequest("a line of the chunked body is longer than %d bytes", maxChunkLineBytes)
	case err != nil:
		return nil, endedEarly(err)
	}
	if err := c.chargeFraming(len(line)); err != nil {
		return nil, err
	}
	line = bytes.TrimSuffix(line, []byte("\n"))
	if !bytes.HasSuffix(line, []byte("\r")) {
		return nil, badRequest("a line of the chunked body, %s, ends in a bare LF instead of CRLF", excerpt(string(line)))
	}
	return line[:len(line)-1], nil
}

// expectCRLF reads the CRLF that ends a chunk's data.
func (c *chunkedReader) expectCRLF() error {
	var end [2]byte
	if _, err := io.ReadFull(c.r, end[:]); err != nil {
		return err
	}
	if string(end[:]) != "\r\n" {
		return badRequest("a chunk's data is longer than its size says: %q follows where CRLF should", end[:])
	}
	return c.chargeFraming(len(end))
}

// chargeFraming counts n more bytes of framing, and refuses the body
// once its framing is both past maxChunkFramingBytes and larger than
// the data so far: a real client's framing is a few bytes a chunk.
func (c *chunkedReader) chargeFraming(n int) error {
	c.framing += int64(n)
	if c.framing > maxChunkFramingBytes && c.framing > c.read {
		return badRequest("the chunked body has more framing than data")
	}
	return nil
}

// cutHexDigits splits a chunk size line into its leading hexadecimal
// digits, the size, and what follows them.
func cutHexDigits(line []byte) (digits, rest []byte) {
	i := 0
	for i < len(line) && isHex(line[i]) {
		i++
	}
	return line[:i], line[i:]
}

// checkChunkExtensions checks what follows a chunk's size on its line,
// under RFC 9112's grammar (section 7.1.1): zero or more extensions,
// each `BWS ";" BWS name [ BWS "=" BWS value ]`, where BWS is optional
// spaces and tabs, the name a token, the value a token or a quoted
// string. Anything else is refused: readers that skip a malformed
// extension in different ways disagree on where a chunk starts.
func checkChunkExtensions(rest []byte) error {
	for len(rest) > 0 {
		rest = trimBWS(rest)
		if len(rest) == 0 || rest[0] != ';' {
			return badRequest("the chunk size line has %s after its size, where only ;extensions may come", excerpt(string(rest)))
		}
		var name []byte
		name, rest = cutToken(trimBWS(rest[1:]))
		if len(name) == 0 {
			return badRequest("a chunk extension has no name")
		}
		afterName := trimBWS(rest)
		if len(afterName) == 0 || afterName[0] != '=' {
			continue // a name without a value
		}
		value := trimBWS(afterName[1:])
		var ok bool
		if len(value) > 0 && value[0] == '"' {
			rest, ok = skipQuotedString(value)
		} else {
			var token []byte
			token, rest = cutToken(value)
			ok = len(token) > 0
		}
		if !ok {
			return badRequest("the chunk extension %s has no valid value after its =", excerpt(string(name)))
		}
	}
	return nil
}

// trimBWS drops the spaces and tabs at the start of b: "bad" whitespace,
// which RFC 9110 allows around ; and = in an extension.
func trimBWS(b []byte) []byte {
	return bytes.TrimLeft(b, " \t")
}

// cutToken splits b into its leading token characters and the rest.
func cutToken(b []byte) (token, rest []byte) {
	i := 0
	for i < len(b) && isToken(string(b[i])) {
		i++
	}
	return b[:i], b[i:]
}

// skipQuotedString skips the quoted string at the start of b, such as
// "a \"b\" c", and returns what follows it; ok is false when b's string
// is not closed or holds a byte that a quoted string may not.
func skipQuotedString(b []byte) (rest []byte, ok bool) {
	for i := 1; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return b[i+1:], true
		case c == '\\' && i+1 < len(b) && !isControl(rune(b[i+1])):
			i++ // an escaped byte, \" or \\
		case isControl(rune(c)) || c == '\\':
			return nil, false
		}
	}
	return nil, false // no closing quote
}

// endedEarly turns the end of the stream inside the body into a 400;
// other errors (a timeout, a reset) stay as they are.
func endedEarly(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return badRequest("the request ended before the last chunk of its body")
	}
	return err
}

// hexValue returns the value of a hexadecimal digit.
func hexValue(d byte) (int64, bool) {
	switch {
	case '0' <= d && d <= '9':
		return int64(d - '0'), true
	case 'a' <= d && d <= 'f':
		return int64(d-'a') + 10, true
	case 'A' <= d && d <= 'F':
		return int64(d-'A') + 10, true
	}
	return 0, false
}
