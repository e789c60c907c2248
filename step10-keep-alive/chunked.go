package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
)

// A body whose length is not known when its head goes out comes in
// chunks (RFC 9112, section 7.1): each is its size in hexadecimal on a
// line, then that many bytes and CRLF; the last has size 0, and trailer
// fields may follow it, up to an empty line: "7\r\nHello, \r\n6\r\n
// World!\r\n0\r\n\r\n". The gateway streams responses so (see send).

const (
	// maxChunkLineBytes bounds a size line and a trailer line.
	maxChunkLineBytes = 4 << 10
	// maxChunkFramingBytes bounds the framing (size lines, extensions,
	// CRLFs, trailers) beyond as many bytes as the data: a byte of data in
	// each chunk, with long extensions, would have the server read much.
	maxChunkFramingBytes = 16 << 10
)

// chunkSizeLine is a size line (RFC 9112, section 7.1.1): the size, then
// extensions, ;name or ;name=value, which mean nothing to this server
// but must be well formed, or two parsers may disagree on the body.
var chunkSizeLine = regexp.MustCompile(`^([0-9A-Fa-f]+)(?:[ \t]*;[ \t]*` + tokenPattern +
	`(?:[ \t]*=[ \t]*(?:` + tokenPattern + `|"(?:[^"\\\x00-\x08\x0a-\x1f\x7f]|\\[^\x00-\x08\x0a-\x1f\x7f])*"))?)*$`)

// tokenPattern matches a token: a field name, an extension's name.
const tokenPattern = "[!#$%&'*+.^_`|~0-9A-Za-z-]+"

// chunkedReader reads a chunked body, decoded, up to its end: what its
// buffer holds beyond is the next request's. It reads at most limit
// bytes of data; more is 413.
type chunkedReader struct {
	r       *bufio.Reader
	limit   int64 // the most body bytes to read
	read    int64 // body bytes read so far
	framing int64 // bytes read that are not body data
	left    int64 // bytes left in the current chunk
	done    bool  // the last chunk and the trailer have been read
	err     error // the first error, returned from then on
}

// newChunkedReader returns a reader of the chunked body that r holds.
func newChunkedReader(r *bufio.Reader, limit int64) *chunkedReader {
	return &chunkedReader{r: r, limit: limit}
}

// Read reads the body's next bytes, from the current chunk or the next.
func (c *chunkedReader) Read(p []byte) (int, error) {
	for c.err == nil && !c.done && c.left == 0 {
		c.err = c.startChunk()
	}
	switch {
	case c.err != nil:
		return 0, c.err
	case c.done:
		return 0, io.EOF
	}
	n, err := c.r.Read(p[:min(int64(len(p)), c.left)])
	c.left -= int64(n)
	c.read += int64(n)
	if err == nil && c.left == 0 {
		// The chunk's data ends with CRLF, an empty line.
		var line []byte
		if line, err = c.readLine(); err == nil && len(line) > 0 {
			err = badRequest("a chunk's data is longer than its size says: %s follows", excerpt(string(line)))
		}
	}
	if err == io.EOF {
		err = badRequest("the request ended before the end of its chunked body")
	}
	c.err = err
	return n, err
}

// startChunk reads a chunk's size line; after the last chunk, it reads
// the trailer fields, which the server checks and throws away.
func (c *chunkedReader) startChunk() error {
	line, err := c.readLine()
	if err != nil {
		return err
	}
	m := chunkSizeLine.FindSubmatch(line)
	if m == nil {
		return badRequest("the chunk size line %s is not a size in hexadecimal and extensions", excerpt(string(line)))
	}
	size, err := strconv.ParseInt(string(m[1]), 16, 64)
	switch {
	case err != nil || size > c.limit-c.read:
		return &requestError{http.StatusRequestEntityTooLarge,
			fmt.Sprintf("the chunked body is longer than the %d bytes this server reads", c.limit)}
	case size > 0:
		c.left = size
		return nil
	}
	for fields := 0; ; fields++ {
		line, err := c.readLine()
		switch {
		case err != nil:
			return err
		case len(line) == 0:
			c.done = true
			return nil
		case fields == maxHeaderFields:
			return &requestError{http.StatusRequestHeaderFieldsTooLarge,
				fmt.Sprintf("the chunked body has more than %d trailer fields", maxHeaderFields)}
		case bytes.ContainsFunc(line, isControl):
			return badRequest("the trailer line %s holds a control character", excerpt(string(line)))
		}
		if _, err := parseHeaderField(string(line)); err != nil {
			return err
		}
	}
}

// readLine reads one line of the framing, which must end in CRLF, and
// returns it without its CRLF.
func (c *chunkedReader) readLine() ([]byte, error) {
	line, err := c.r.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull) || len(line) > maxChunkLineBytes:
		return nil, badRequest("a line of the chunked body is longer than %d bytes", maxChunkLineBytes)
	case err == io.EOF:
		return nil, badRequest("the request ended before the end of its chunked body")
	case err != nil:
		return nil, err
	}
	c.framing += int64(len(line))
	if c.framing > maxChunkFramingBytes && c.framing > c.read {
		return nil, badRequest("the chunked body has more framing than data")
	}
	line, found := bytes.CutSuffix(line, []byte("\r\n"))
	if !found {
		return nil, badRequest("a line of the chunked body, %s, ends in a bare LF instead of CRLF", excerpt(string(line)))
	}
	return line, nil
}
