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

// maxChunkFramingBytes bounds what a chunked body may cost in framing,
// the bytes that are not data: size lines with their extensions, the
// CRLF after each chunk's data, and the trailer. Past it, the body must
// carry at least as much data as framing, or it is refused: otherwise a
// client could make the server read endless extensions for a few bytes
// of body (the attack of net/http's CVE-2023-39326).
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
// the limit 413; a stream that ends too soon is a 400 too, and so is one
// with more framing than data past maxChunkFramingBytes.
type chunkedReader struct {
	r       *bufio.Reader
	limit   int64 // the most body bytes to read
	read    int64 // body bytes read so far
	framing int64 // bytes of framing read so far: every byte that is not data
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
	// The size in hexadecimal, then maybe extensions, ";name=value",
	// which no one uses and this reader checks and ignores.
	digits := 0
	for digits < len(line) && isHex(line[digits]) {
		digits++
	}
	if digits == 0 {
		return badRequest("the chunk size line %s does not start with a size in hexadecimal", excerpt(string(line)))
	}
	var size int64
	for _, d := range line[:digits] {
		v, _ := hexValue(d)
		size = size*16 + v
		if size > c.limit-c.read {
			// Stop before the number grows past what an int64 holds.
			return &requestError{http.StatusRequestEntityTooLarge,
				fmt.Sprintf("the chunked body is longer than the %d bytes this server reads", c.limit)}
		}
	}
	if problem := extensionsProblem(line[digits:]); problem != "" {
		return badRequest("the chunk size line %s has %s", excerpt(string(line)), problem)
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
	if err := c.countFraming(len(line)); err != nil {
		return nil, err
	}
	line = bytes.TrimSuffix(line, []byte("\n"))
	if !bytes.HasSuffix(line, []byte("\r")) {
		return nil, badRequest("a line of the chunked body, %s, ends in a bare LF instead of CRLF", excerpt(string(line)))
	}
	return line[:len(line)-1], nil
}

// countFraming adds n bytes to the body's framing, and refuses the body
// once its framing passes maxChunkFramingBytes and outweighs its data.
func (c *chunkedReader) countFraming(n int) error {
	c.framing += int64(n)
	if c.framing > maxChunkFramingBytes && c.framing > c.read {
		return badRequest("the chunked body has more framing than data")
	}
	return nil
}

// extensionsProblem says what is wrong with what follows a chunk's
// size on its line, or "" when nothing is: zero or more extensions,
// each `BWS ";" BWS name [ BWS "=" BWS value ]`, the name a token, the
// value a token or a quoted string (RFC 9112, section 7.1.1). Anything
// looser, such as a space after the size with no ";" or an empty
// extension ("2;"), is a place where two parsers could disagree on
// where the chunk begins.
func extensionsProblem(ext []byte) string {
	for {
		rest := trimBWS(ext)
		if len(rest) == 0 {
			if len(ext) > 0 {
				return "whitespace that no ; follows"
			}
			return ""
		}
		if rest[0] != ';' {
			return "something other than ; after the size or an extension"
		}
		rest = trimBWS(rest[1:])
		name := tokenLength(rest)
		if name == 0 {
			return "an extension without a name"
		}
		rest = rest[name:]
		if afterName := trimBWS(rest); len(afterName) > 0 && afterName[0] == '=' {
			value := trimBWS(afterName[1:])
			n := tokenLength(value)
			if len(value) > 0 && value[0] == '"' {
				n = quotedStringLength(value)
			}
			if n <= 0 {
				return "an extension whose = is not followed by a token or a whole quoted string"
			}
			rest = value[n:]
		}
		ext = rest
	}
}

// trimBWS drops the spaces and tabs at the start of b: RFC 9112's BWS,
// "bad" whitespace, which a recipient must accept where it may appear.
func trimBWS(b []byte) []byte {
	return bytes.TrimLeft(b, " \t")
}

// tokenLength returns how many bytes at the start of b are token
// characters: letters, digits and !#$%&'*+-.^_`|~.
func tokenLength(b []byte) int {
	n := 0
	for n < len(b) && isToken(string(b[n:n+1])) {
		n++
	}
	return n
}

// quotedStringLength returns the length of the quoted string that b
// begins with, its quotes included, or -1 when it does not end in b or
// holds a control byte. Inside it, a backslash escapes the next byte.
func quotedStringLength(b []byte) int {
	for i := 1; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return i + 1
		case c == '\\' && i+1 < len(b) && (b[i+1] == '\t' || !isControl(rune(b[i+1]))):
			i++ // the escaped byte
		case c == '\t' || !isControl(rune(c)) && c != '\\':
			// text inside the quotes
		default:
			return -1
		}
	}
	return -1
}

// expectCRLF reads the CRLF that ends a chunk's data.
func (c *chunkedReader) expectCRLF() error {
	var end [2]byte
	if _, err := io.ReadFull(c.r, end[:]); err != nil {
		return err
	}
	if string(end[:]) != "\r\n" {
		return badRequest("a chunk's data is longer than its size says: %s follows where CRLF should", excerpt(string(end[:])))
	}
	return c.countFraming(len(end))
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
