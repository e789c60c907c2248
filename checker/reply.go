package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http/httputil"
	"strconv"
	"strings"
)

// reply is what came back from the server for one request, and how the
// exchange ended.
type reply struct {
	raw      []byte // every byte received, in order
	closed   bool   // the server closed the connection (end of stream)
	reset    bool   // the connection was reset
	timedOut bool   // the deadline passed before the exchange ended
}

// head is a reply's status line and header fields, taken apart.
type head struct {
	statusLine string        // without its line end
	fields     []headerField // in the order received
	bodyStart  int           // index in raw of the first body byte
}

// headerField is one "Name: value" line.
type headerField struct {
	name, value string
}

// get returns the value of the first field with this name, any case.
func (h head) get(name string) (string, bool) {
	for _, f := range h.fields {
		if strings.EqualFold(f.name, name) {
			return f.value, true
		}
	}
	return "", false
}

// statusCode returns the status code of the status line, or "" when
// it has none.
func (h head) statusCode() string {
	parts := strings.SplitN(h.statusLine, " ", 3)
	if len(parts) < 2 || !strings.HasPrefix(parts[0], "HTTP/") {
		return ""
	}
	return parts[1]
}

// version returns the HTTP version that the status line starts with,
// such as "HTTP/1.1".
func (h head) version() string {
	version, _, _ := strings.Cut(h.statusLine, " ")
	return version
}

// says reports whether a Connection field of the head lists option, in
// any case: the field is a comma-separated list (RFC 9110 §7.6.1).
func (h head) says(option string) bool {
	for _, f := range h.fields {
		if !strings.EqualFold(f.name, "Connection") {
			continue
		}
		for o := range strings.SplitSeq(f.value, ",") {
			if strings.EqualFold(strings.TrimSpace(o), option) {
				return true
			}
		}
	}
	return false
}

// saysClose reports whether the head's Connection field says close.
func (h head) saysClose() bool {
	return h.says("close")
}

// lines splits data into lines, each with its line end ("\r\n", "\n",
// or "" for a last line that has none).
func lines(data []byte) (text, ends []string) {
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			return append(text, string(data)), append(ends, "")
		}
		line, end := data[:i], "\n"
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line, end = line[:len(line)-1], "\r\n"
		}
		text, ends = append(text, string(line)), append(ends, end)
		data = data[i+1:]
	}
	return text, ends
}

// findHead locates the empty line that ends the head of raw and parses
// the lines before it leniently (line ends are checked elsewhere). ok is
// false when raw has no empty line yet.
func findHead(raw []byte) (h head, ok bool) {
	text, ends := lines(raw)
	offset := 0
	for i, line := range text {
		offset += len(line) + len(ends[i])
		if ends[i] == "" {
			return head{}, false // the last, unfinished line
		}
		if i == 0 {
			h.statusLine = line
			continue
		}
		if line == "" {
			h.bodyStart = offset
			return h, true
		}
		name, value, _ := strings.Cut(line, ":")
		h.fields = append(h.fields, headerField{name, strings.Trim(value, " \t")})
	}
	return head{}, false
}

// complete reports whether raw holds a whole response that a client can
// recognise without the connection closing: a head and, when it names
// one, as many body bytes as Content-Length says. A response with
// "Connection: close" or without Content-Length is complete only when
// the connection closes.
func complete(raw []byte) bool {
	h, ok := findHead(raw)
	if !ok {
		return false
	}
	if h.saysClose() {
		return false
	}
	length, ok := contentLength(h)
	return ok && len(raw)-h.bodyStart >= length
}

// response is one response read from a connection that may stay open
// after it, for the next.
type response struct {
	head     head
	headRead bool   // the head came whole, up to its empty line
	raw      []byte // the head's bytes, as received (all of them, when it did not come whole)
	body     []byte // decoded if it came in chunks
	framed   bool   // Content-Length or chunks mark where the body ends
	closed   bool   // the server closed the connection to end the body
}

// maxResponseHead bounds a response head: a server that sends bytes
// without an empty line is not read forever.
const maxResponseHead = 64 << 10

// readResponse reads the next response from in: its head, up to the
// empty line, then its body as the head frames it, Content-Length bytes
// or chunks up to the last one, and not a byte more: what follows is
// the next response. A body framed by neither ends only with the
// connection, so it is read until the server closes it. err is what cut
// the response short: the end of the connection (io.EOF), a reset, the
// deadline.
func readResponse(in *bufio.Reader) (r response, err error) {
	for !r.headRead {
		var line []byte
		line, err = in.ReadSlice('\n')
		r.raw = append(r.raw, line...)
		switch {
		case err == bufio.ErrBufferFull && len(r.raw) <= maxResponseHead:
			continue // a long line: the rest follows
		case err == bufio.ErrBufferFull:
			return r, fmt.Errorf("no empty line in %d bytes", len(r.raw))
		case err != nil:
			return r, err
		}
		r.head, r.headRead = findHead(r.raw)
	}

	var body bytes.Buffer
	length, hasLength := contentLength(r.head)
	if te, _ := r.head.get("Transfer-Encoding"); strings.EqualFold(te, "chunked") {
		r.framed = true
		_, err = io.Copy(&body, httputil.NewChunkedReader(in))
		// After the last chunk come trailer fields, if any, and an empty line.
		for line := ""; err == nil && line != "\r\n" && line != "\n"; {
			line, err = in.ReadString('\n')
		}
	} else if hasLength {
		r.framed = true
		_, err = io.CopyN(&body, in, int64(length))
	} else {
		_, err = io.Copy(&body, in)
		r.closed = err == nil
	}
	r.body = body.Bytes()
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = io.EOF // the connection ended in the middle of a chunk
	}
	return r, err
}

// contentLength returns the Content-Length a head declares, if it
// declares a valid one.
func contentLength(h head) (int, bool) {
	v, ok := h.get("Content-Length")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// isToken reports whether s is an HTTP token: letters, digits and
// !#$%&'*+-.^_`|~, at least one.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		isAlnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if !isAlnum && !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}

// quote shows bytes the way Go writes a string, so that invisible
// bytes such as \r and \n can be seen, cut to about max bytes.
func quote(data []byte, max int) string {
	if len(data) > max {
		return strconv.Quote(string(data[:max])) + fmt.Sprintf(" (and %d more bytes)", len(data)-max)
	}
	return strconv.Quote(string(data))
}
