package main

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
)

// Limits on what the server reads from one client, so that no client
// can make it hold an endless request in memory. Past each one the
// server stops and answers with the status code named.
const (
	// maxRequestLineBytes bounds the request line: 414 URI Too Long.
	maxRequestLineBytes = 8 << 10
	// maxHeadBytes bounds the whole head, the request line and header
	// fields: 431 Request Header Fields Too Large.
	maxHeadBytes = 64 << 10
	// maxHeaderFields bounds the number of header fields: 431 too.
	maxHeaderFields = 100
	// maxBodyBytes bounds the body that the server reads (and throws
	// away): 413 Content Too Large.
	maxBodyBytes = 1 << 20
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

	ContentLength int // the body's length in bytes, from Content-Length; 0 if none
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

// isRequestError reports whether err is an answer for the client (a
// *requestError) rather than a failure of the connection.
func isRequestError(err error) bool {
	var reqErr *requestError
	return errors.As(err, &reqErr)
}

// badRequest makes the error for a request that breaks HTTP's syntax.
func badRequest(format string, args ...any) *requestError {
	return &requestError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

// excerptBytes bounds how much of a client's input an error message
// quotes: a reason must stay short, however long the bad line.
const excerptBytes = 100

// excerpt quotes s for an error message: all of it when it is short,
// else its first excerptBytes bytes and how long it was.
func excerpt(s string) string {
	if len(s) <= excerptBytes {
		return strconv.Quote(s)
	}
	return strconv.Quote(s[:excerptBytes]) + fmt.Sprintf("... (%d bytes)", len(s))
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
// complete, well-formed HTTP/1.x request head, as RFC 9112 defines it.
//
// It is a pure function of its input, so that it can be tested without
// a network.
func parseRequest(data []byte) (request, error) {
	data = skipEmptyLine(data)
	// A second empty line is not ignored. endOfHead, which recvHead and
	// handleRequest use on the bytes as they came, takes it for the end of
	// a head without a request line; parseRequest must agree with them.
	if len(skipEmptyLine(data)) < len(data) {
		return request{}, badRequest("the request starts with two empty lines; a server ignores only one before its request line")
	}
	firstLine, _, _ := bytes.Cut(data, []byte("\n"))
	if len(bytes.TrimSuffix(firstLine, []byte("\r"))) > maxRequestLineBytes {
		return request{}, &requestError{http.StatusRequestURITooLong,
			fmt.Sprintf("the request line is longer than %d bytes", maxRequestLineBytes)}
	}
	end := endOfHead(data)
	if end < 0 && len(data) <= maxHeadBytes {
		return request{}, badRequest("the request ended before the empty line that ends its head")
	}
	if end < 0 || end > maxHeadBytes {
		return request{}, &requestError{http.StatusRequestHeaderFieldsTooLarge,
			fmt.Sprintf("the request's head is longer than %d bytes", maxHeadBytes)}
	}
	// Split the head into lines; the last element is what follows the
	// empty line's LF, nothing, and the one before it the empty line.
	lines := strings.Split(string(data[:end]), "\n")
	lines = lines[:len(lines)-1]
	// RFC 9112 (section 2.2) lets a server read a bare LF as a line end,
	// and a head typed into nc ends every line so. But a head that mixes
	// the two is refused: "Dummy: x\nContent-Length: 23\r\n" is one
	// field to a reader that splits at CRLF and two to one that splits at
	// LF, and two readers that disagree on a head disagree on where the
	// request ends: a second request can hide in the first one's body.
	if mixesLineEnds(lines) {
		return request{}, badRequest("the head mixes CRLF and bare LF line ends")
	}
	lines = lines[:len(lines)-1] // without the empty line
	for i, line := range lines {
		lines[i] = strings.TrimSuffix(line, "\r")
		// A CR, NUL or other control byte inside a line could smuggle a
		// line end past one reader and not another: refuse them all.
		if c := strings.IndexFunc(lines[i], isControl); c >= 0 {
			return request{}, badRequest("the line %s holds the control character %q", excerpt(lines[i]), lines[i][c])
		}
	}
	if len(lines)-1 > maxHeaderFields {
		return request{}, &requestError{http.StatusRequestHeaderFieldsTooLarge,
			fmt.Sprintf("the request has %d header fields, more than %d", len(lines)-1, maxHeaderFields)}
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
	if err := checkHost(req); err != nil {
		return request{}, err
	}
	if req.ContentLength, err = bodyLength(req); err != nil {
		return request{}, err
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

// mixesLineEnds reports whether some of these lines end in CR (their LF
// already cut off), that is in CRLF, and others in a bare LF.
func mixesLineEnds(lines []string) bool {
	crlf := 0
	for _, line := range lines {
		if strings.HasSuffix(line, "\r") {
			crlf++
		}
	}
	return crlf != 0 && crlf != len(lines)
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
		return request{}, badRequest("the request line %s is not METHOD, target and version separated by single spaces", excerpt(line))
	}
	req := request{Method: parts[0], Target: parts[1], Version: parts[2]}

	if !isToken(req.Method) {
		return request{}, badRequest("the method %s is not a token (letters, digits and a few symbols)", excerpt(req.Method))
	}
	if !isHTTPVersion(req.Version) {
		return request{}, badRequest("%s is not an HTTP version such as HTTP/1.1", excerpt(req.Version))
	}
	// This server speaks HTTP/1.0 and HTTP/1.1. A later 1.x is answered
	// as 1.1; another major version (HTTP/2.0, HTTP/0.9) is not spoken
	// here.
	if req.Version[5] != '1' {
		return request{}, &requestError{http.StatusHTTPVersionNotSupported,
			fmt.Sprintf("this server speaks HTTP/1.0 and HTTP/1.1, not %s", req.Version)}
	}

	path, err := targetPath(req.Target)
	if err != nil {
		return request{}, err
	}
	req.Path, req.Query, _ = strings.Cut(path, "?")
	return req, nil
}

// checkHost enforces RFC 9112's rule on Host: an HTTP/1.1 request has
// exactly one Host header field (it names the site, for a server that
// serves several); an HTTP/1.0 request has at most one.
func checkHost(req request) error {
	hosts := req.values("Host")
	switch {
	case len(hosts) == 0 && req.Version != "HTTP/1.0":
		return badRequest("an HTTP/1.1 request must have a Host header field")
	case len(hosts) > 1:
		return badRequest("the request has %d Host header fields; it must have one", len(hosts))
	case len(hosts) == 1 && !isAuthority(hosts[0]):
		return badRequest("the Host %s is not a host name or address with an optional port", excerpt(hosts[0]))
	}
	return nil
}

// isAuthority reports whether s can be the authority part of a URL, as
// in a Host header field: a host name or address, maybe a port, in the
// characters RFC 3986 allows there. (Empty is allowed: a URL may have
// no authority.)
func isAuthority(s string) bool {
	for _, c := range []byte(s) {
		isAlnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if !isAlnum && !strings.ContainsRune("-._~!$&'()*+,;=:[]%", rune(c)) {
			return false
		}
	}
	return validPercents(s)
}

// validPercents reports whether every % in s starts an escape of two
// hexadecimal digits, such as %20.
func validPercents(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '%' {
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return false
			}
			i += 2
		}
	}
	return true
}

func isHex(c byte) bool { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// bodyLength returns the length of the body that the request announces.
// A body is announced by Content-Length (a number of bytes) or by
// Transfer-Encoding (the body comes in chunks, each with its length).
// Both at once is an old trick to make two servers disagree on where
// the request ends, so RFC 9112 makes it an error, as it does a
// Content-Length that is not a number or that two fields disagree on.
func bodyLength(req request) (int, error) {
	lengths := req.values("Content-Length")
	if len(req.values("Transfer-Encoding")) > 0 {
		if len(lengths) > 0 {
			return 0, badRequest("the request has both Transfer-Encoding and Content-Length")
		}
		// A deliberate limit of this teaching step, not HTTP's rule: RFC
		// 9112 (section 6.1) says a recipient MUST be able to parse the
		// chunked transfer coding. Step 10 does; this step answers 501 Not
		// Implemented, and closes (see lingeringClose).
		return 0, &requestError{http.StatusNotImplemented, "this step does not read a body sent with Transfer-Encoding"}
	}
	if len(lengths) == 0 {
		return 0, nil
	}
	for _, v := range lengths {
		if v != lengths[0] {
			return 0, badRequest("the Content-Length fields disagree: %s and %s", excerpt(lengths[0]), excerpt(v))
		}
	}
	v := lengths[0]
	if v == "" || len(v) > 18 || strings.Trim(v, "0123456789") != "" {
		return 0, badRequest("the Content-Length %s is not a number of bytes", excerpt(v))
	}
	n, err := strconv.Atoi(v)
	if err != nil { // too big for an int on this machine
		return 0, badRequest("the Content-Length %s is too large", excerpt(v))
	}
	return n, nil
}

// values returns the values of every header field with this name, in
// any case: field names are case-insensitive.
func (req request) values(name string) []string {
	var values []string
	for _, field := range req.Headers {
		if strings.EqualFold(field.Name, name) {
			values = append(values, field.Value)
		}
	}
	return values
}

// targetPath returns the path and query of a request-target. A browser
// sends the origin form, "/path?query"; a client that talks to a proxy
// sends the absolute form, "http://host/path?query", which a server must
// accept too; OPTIONS may ask about the whole server with "*".
func targetPath(target string) (string, error) {
	for _, c := range []byte(target) {
		if c <= ' ' || c >= 0x7f || c == '#' {
			return "", badRequest("the request-target %s holds the byte 0x%02x, which must be percent-encoded", excerpt(target), c)
		}
	}
	if !validPercents(target) {
		return "", badRequest("the request-target %s has a %% that is not followed by two hexadecimal digits", excerpt(target))
	}
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
		if !isHostPort(authority) {
			return "", badRequest("the request-target %s has no valid host after ://", excerpt(target))
		}
		return path, nil
	default:
		return "", badRequest("the request-target %s is neither a path starting with / nor an absolute URL", excerpt(target))
	}
}

// hasPrefixFold reports whether s begins with prefix, in any case.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// isHostPort reports whether authority is a host and maybe a port, as
// in an absolute URL: a name or an IPv4 address, or an IPv6 address in
// brackets, [::1], whose colons are not the port's (RFC 3986, 3.2.2).
func isHostPort(authority string) bool {
	host, port, hasPort := strings.Cut(authority, ":")
	if strings.HasPrefix(authority, "[") {
		inside, afterBracket, closed := strings.Cut(authority[1:], "]")
		if addr, err := netip.ParseAddr(inside); !closed || err != nil || !addr.Is6() {
			return false
		}
		host = authority[:len(inside)+2]
		port, hasPort = strings.CutPrefix(afterBracket, ":")
		if afterBracket != "" && !hasPort {
			return false // something other than :port after the ]
		}
	}
	return host != "" && isAuthority(authority) && !(hasPort && strings.Trim(port, "0123456789") != "")
}

// parseHeaderField takes apart "Name: value". The name is a token with
// no space before the colon; spaces and tabs around the value are not
// part of it.
func parseHeaderField(line string) (headerField, error) {
	if line != "" && (line[0] == ' ' || line[0] == '\t') {
		return headerField{}, badRequest("the header line %s starts with whitespace (obsolete line folding)", excerpt(line))
	}
	name, value, found := strings.Cut(line, ":")
	if !found {
		return headerField{}, badRequest("the header line %s has no colon", excerpt(line))
	}
	if trimmed := strings.TrimRight(name, " \t"); trimmed != name && isToken(trimmed) {
		return headerField{}, badRequest("the header line %s has whitespace before its colon", excerpt(line))
	}
	if !isToken(name) {
		return headerField{}, badRequest("the header name %s is not a token (no spaces, and none before the colon)", excerpt(name))
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

// isControl reports whether r is a control character other than tab,
// which HTTP allows in field values.
func isControl(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }

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
