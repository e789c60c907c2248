package main

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
)

// request is what the server understood of a request's head.
//
// For the request line "GET /hello?name=you HTTP/1.1" it holds Method
// "GET", Target "/hello?name=you", Path "/hello", Query "name=you" and
// Version "HTTP/1.1".
type request struct {
	Method  string        // what the client wants done: GET, HEAD, POST...
	Target  string        // the request-target, exactly as sent
	Path    string        // the target up to the first "?"
	Query   string        // what follows the "?", without it; "" if none
	Version string        // the protocol version: HTTP/1.1
	Headers []headerField // the header fields, in the order they came
}

// headerField is one "Name: value" line of the head.
type headerField struct {
	Name  string
	Value string
}

// requestError is a request that the server cannot serve: the status
// code to answer with and the reason, in one line, for the body.
type requestError struct {
	status int
	reason string
}

// Error returns the reason.
func (e *requestError) Error() string { return e.reason }

// badRequest makes the error for a request that breaks HTTP's syntax.
func badRequest(format string, args ...any) *requestError {
	return &requestError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

// endOfHead returns the index just past the empty line that ends the
// head in data, or -1 when data does not hold one yet. Lines end in
// CRLF; a bare LF is tolerated, as RFC 9112 allows.
func endOfHead(data []byte) int {
	end := -1
	// The empty line is a line end followed by another: "\r\n\r\n" (in
	// which "\n\r\n" is found) or "\n\n".
	for _, blank := range []string{"\n\r\n", "\n\n"} {
		if i := bytes.Index(data, []byte(blank)); i >= 0 && (end < 0 || i+len(blank) < end) {
			end = i + len(blank)
		}
	}
	return end
}

// parseRequest takes apart the bytes that recvHead received: the request
// line, then one header field per line, up to the empty line. It returns
// a *requestError, with the status to answer, when the bytes are not a
// complete request head of that form.
//
// It is a pure function of its input, so that it can be tested without
// a network.
func parseRequest(data []byte) (request, error) {
	data = skipEmptyLine(data)
	end := endOfHead(data)
	if end < 0 {
		return request{}, badRequest("the request ended before the empty line that ends its head")
	}
	// Split the head into lines; the last element is what follows the
	// empty line's LF, nothing, and the one before it the empty line.
	lines := strings.Split(string(data[:end]), "\n")
	lines = lines[:len(lines)-1]
	lines = lines[:len(lines)-1] // without the empty line
	for i, line := range lines {
		lines[i] = strings.TrimSuffix(line, "\r")
	}

	req, err := parseRequestLine(lines[0])
	if err != nil {
		return request{}, err
	}
	for _, line := range lines[1:] {
		field, err := parseHeaderField(line)
		if err != nil {
			return request{}, err
		}
		req.Headers = append(req.Headers, field)
	}
	return req, nil
}

// skipEmptyLine drops one empty line, CRLF or a bare LF, from the start
// of data. RFC 9112 (section 2.2) asks a server to ignore at least one
// empty line before the request line: a client may send one after the
// body of its previous request. A second one is not ignored: it is a
// head without a request line, and gets 400.
func skipEmptyLine(data []byte) []byte {
	if rest, found := bytes.CutPrefix(data, []byte("\r\n")); found {
		return rest
	}
	rest, _ := bytes.CutPrefix(data, []byte("\n"))
	return rest
}

// requestMethod returns the method of the request line in data, as far
// as it has arrived: what comes before the first space, or "" if no
// space has come. The server needs it even for a head that it cannot
// parse: an answer to HEAD never has a body, an error's included (RFC
// 9110, section 9.3.2), or the client would read that body as the start
// of the next response.
func requestMethod(data []byte) string {
	line, _, _ := bytes.Cut(skipEmptyLine(data), []byte("\n"))
	method, _, found := bytes.Cut(line, []byte(" "))
	if !found {
		return ""
	}
	return string(method)
}

// parseRequestLine takes apart "METHOD SP request-target SP HTTP-version".
func parseRequestLine(line string) (request, error) {
	parts := strings.Split(line, " ")
	if len(parts) != 3 {
		return request{}, badRequest("the request line %q is not METHOD, target and version separated by single spaces", line)
	}
	req := request{Method: parts[0], Target: parts[1], Version: parts[2]}

	if !isToken(req.Method) {
		return request{}, badRequest("the method %q is not a token (letters, digits and a few symbols)", req.Method)
	}
	if !isHTTPVersion(req.Version) {
		return request{}, badRequest("%q is not an HTTP version such as HTTP/1.1", req.Version)
	}

	path, err := targetPath(req.Target)
	if err != nil {
		return request{}, err
	}
	req.Path, req.Query, _ = strings.Cut(path, "?")
	return req, nil
}

// targetPath returns the path and query of a request-target. A browser
// sends the origin form, "/path?query"; a client that talks to a proxy
// sends the absolute form, "http://host/path?query", which a server must
// accept too; OPTIONS may ask about the whole server with "*".
func targetPath(target string) (string, error) {
	switch {
	case strings.HasPrefix(target, "/"):
		return target, nil
	case target == "*":
		return target, nil
	case hasPrefixFold(target, "http://"), hasPrefixFold(target, "https://"):
		// A scheme is case-insensitive (RFC 9110, section 4.2.3):
		// HTTP://x/ is http://x/.
		_, rest, _ := strings.Cut(target, "://")
		authority, path := rest, "/"
		if i := strings.IndexAny(rest, "/?"); i >= 0 {
			authority, path = rest[:i], rest[i:]
			if rest[i] == '?' {
				path = "/" + path
			}
		}
		if authority == "" {
			return "", badRequest("the request-target %q has no host after ://", target)
		}
		return path, nil
	default:
		return "", badRequest("the request-target %q is neither a path starting with / nor an absolute URL", target)
	}
}

// hasPrefixFold reports whether s begins with prefix, in any case.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// parseHeaderField takes apart "Name: value". The name is a token with
// no space before the colon; spaces and tabs around the value are not
// part of it.
func parseHeaderField(line string) (headerField, error) {
	name, value, found := strings.Cut(line, ":")
	if !found {
		return headerField{}, badRequest("the header line %q has no colon", line)
	}
	if !isToken(name) {
		return headerField{}, badRequest("the header name %q is not a token (no spaces, and none before the colon)", name)
	}
	return headerField{Name: name, Value: strings.Trim(value, " \t")}, nil
}

// isToken reports whether s is a token as HTTP defines it: one or more
// letters, digits and the symbols !#$%&'*+-.^_`|~.
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

// isHTTPVersion reports whether s is "HTTP/" followed by a digit, a
// dot and a digit.
func isHTTPVersion(s string) bool {
	return len(s) == len("HTTP/1.1") && strings.HasPrefix(s, "HTTP/") &&
		isDigit(s[5]) && s[6] == '.' && isDigit(s[7])
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// describe writes what the server understood, one item a line, so that
// a student can see the parse in the browser.
func (req request) describe() string {
	var b strings.Builder
	b.WriteString("This is what the server understood of your request:\n")
	fmt.Fprintf(&b, "method:  %s\n", req.Method)
	fmt.Fprintf(&b, "path:    %s\n", req.Path)
	fmt.Fprintf(&b, "query:   %s\n", req.Query)
	fmt.Fprintf(&b, "version: %s\n", req.Version)
	fmt.Fprintf(&b, "headers: %d\n", len(req.Headers))
	for _, field := range req.Headers {
		fmt.Fprintf(&b, "  %s: %s\n", field.Name, field.Value)
	}
	return b.String()
}
