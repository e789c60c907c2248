package main

import (
	"bytes"
	"fmt"
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
	if c, _ := h.get("Connection"); strings.EqualFold(c, "close") {
		return false
	}
	length, ok := contentLength(h)
	return ok && len(raw)-h.bodyStart >= length
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
