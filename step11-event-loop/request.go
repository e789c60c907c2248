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
	// maxBodyBytes bounds the body that the server reads and hands to
	// the application, however it is sent: 413 Content Too Large.
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

	ContentLength int  // the body's length in bytes, from Content-Length; 0 if none
	Chunked       bool // the body comes in chunks (Transfer-Encoding: chunked)
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
	return parseHead(data, nil)
}

// parseHead is parseRequest, with the header fields appended to fields:
// a connection passes the slice that its previous request filled, so
// that a request costs no new one. Every string of the request (the
// method, the target, each name and value) is a piece of one string, the
// head's copy: one allocation for the whole head, where a string per
// line and per field would be dozens.
func parseHead(data []byte, fields []headerField) (request, error) {
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
	// The lines of the head, each with its LF: strings.Lines cuts them
	// out of head without copying. The last is the empty line.
	head := string(data[:end])
	// RFC 9112 (section 2.2) lets a server read a bare LF as a line end,
	// and a head typed into nc ends every line so. But a head that mixes
	// the two is refused: "Dummy: x\nContent-Length: 23\r\n" is one
	// field to a reader that splits at CRLF and two to one that splits at
	// LF, and two readers that disagree on a head disagree on where the
	// request ends: a second request can hide in the first one's body.
	lines, crlf := 0, 0
	for line := range strings.Lines(head) {
		lines++
		if strings.HasSuffix(line, "\r\n") {
			crlf++
		}
	}
	if crlf != 0 && crlf != lines {
		return request{}, badRequest("the head mixes CRLF and bare LF line ends")
	}
	lines-- // without the empty line
	for line := range strings.Lines(head) {
		line = trimLineEnd(line)
		// A CR, NUL or other control byte inside a line could smuggle a
		// line end past one reader and not another: refuse them all.
		if c := strings.IndexFunc(line, isControl); c >= 0 {
			return request{}, badRequest("the line %s holds the control character %q", excerpt(line), line[c])
		}
	}
	if lines-1 > maxHeaderFields {
		return request{}, &requestError{http.StatusRequestHeaderFieldsTooLarge,
			fmt.Sprintf("the request has %d header fields, more than %d", lines-1, maxHeaderFields)}
	}

	requestLine, rest, _ := strings.Cut(head, "\n")
	req, err := parseRequestLine(trimLineEnd(requestLine))
	if err != nil {
		return request{}, err
	}
	req.Headers = fields[:0]
	for line := range strings.Lines(rest) {
		line = trimLineEnd(line)
		if line == "" {
			break // the empty line that ends the head
		}
		field, err := parseHeaderField(line)
		if err != nil {
			return request{}, err
		}
		req.Headers = append(req.Headers, field)
	}
	if err := checkHost(req); err != nil {
		return request{}, err
	}
	if req.ContentLength, req.Chunked, err = bodyLength(req); err != nil {
		return request{}, err
	}
	return req, nil
}

// trimLineEnd drops a line's LF, and the CR before it if there is one.
func trimLineEnd(line string) string {
	return strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
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
	method, rest, found := strings.Cut(line, " ")
	target, version, found2 := strings.Cut(rest, " ")
	if !found || !found2 || strings.Contains(version, " ") {
		return request{}, badRequest("the request line %s is not METHOD, target and version separated by single spaces", excerpt(line))
	}
	req := request{Method: method, Target: target, Version: version}

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

	// CONNECT asks the server to open a tunnel to the host and port that
	// its target names: the work of a proxy, which this server is not.
	// An application behind the gateway could not do it either.
	if req.Method == http.MethodConnect {
		return request{}, &requestError{http.StatusNotImplemented,
			fmt.Sprintf("this server is not a proxy: it opens no tunnel to %s", excerpt(req.Target))}
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
	var buf [2]string
	hosts := req.appendValues(buf[:0], "Host")
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

// bodyLength returns the length of the body that the request announces,
// or chunked true for a body that comes in chunks. A body is announced by
// Content-Length (a number of bytes) or by Transfer-Encoding (the body
// comes in chunks, each with its length). Both at once is an old trick
// to make two servers disagree on where the request ends, so RFC 9112
// makes it an error, as it does a Content-Length that is not a number
// or that two fields disagree on.
func bodyLength(req request) (length int, chunked bool, err error) {
	var lengthsBuf, codingsBuf [2]string
	lengths := req.appendValues(lengthsBuf[:0], "Content-Length")
	if codings := req.appendValues(codingsBuf[:0], "Transfer-Encoding"); len(codings) > 0 {
		if len(lengths) > 0 {
			return 0, false, badRequest("the request has both Transfer-Encoding and Content-Length")
		}
		return 0, true, checkTransferCoding(req.Version, codings)
	}
	if len(lengths) == 0 {
		return 0, false, nil
	}
	for _, v := range lengths {
		if v != lengths[0] {
			return 0, false, badRequest("the Content-Length fields disagree: %s and %s", excerpt(lengths[0]), excerpt(v))
		}
	}
	v := lengths[0]
	if v == "" || len(v) > 18 || strings.Trim(v, "0123456789") != "" {
		return 0, false, badRequest("the Content-Length %s is not a number of bytes", excerpt(v))
	}
	length, err = strconv.Atoi(v)
	if err != nil { // too big for an int on this machine
		return 0, false, badRequest("the Content-Length %s is too large", excerpt(v))
	}
	return length, false, nil
}

// checkTransferCoding enforces RFC 9112's rules on Transfer-Encoding:
// HTTP/1.0 has none (a 1.0 request that has one is framed wrongly),
// chunked must come last (or the end of the body cannot be found), and
// this server decodes chunked alone, not gzip or deflate under it.
func checkTransferCoding(version string, codings []string) error {
	var list []string
	for _, field := range codings {
		for _, coding := range strings.Split(field, ",") {
			list = append(list, strings.ToLower(strings.Trim(coding, " \t")))
		}
	}
	switch {
	case version == "HTTP/1.0":
		return badRequest("an HTTP/1.0 request cannot have a Transfer-Encoding")
	case list[len(list)-1] != "chunked":
		return badRequest("the Transfer-Encoding %s does not end in chunked", excerpt(strings.Join(codings, ", ")))
	case len(list) > 1:
		return &requestError{http.StatusNotImplemented,
			fmt.Sprintf("this server decodes the chunked transfer coding only, not %s", excerpt(strings.Join(codings, ", ")))}
	}
	return nil
}

// expectsContinue reports whether the client waits for 100 Continue
// before it sends its body: an HTTP/1.1 request that has a body and
// says "Expect: 100-continue", in any case (RFC 9110, section 10.1.1).
func (req request) expectsContinue() bool {
	hasBody := req.ContentLength > 0 || req.Chunked
	var buf [2]string
	for _, v := range req.appendValues(buf[:0], "Expect") {
		if strings.EqualFold(v, "100-continue") {
			return hasBody && req.Version == "HTTP/1.1"
		}
	}
	return false
}

// keepAlive reports whether the client wants the connection kept open
// for another request once this one is answered (RFC 9112, section
// 9.3): an HTTP/1.1 client does unless it sends "Connection: close"; an
// HTTP/1.0 client does not unless it sends "Connection: keep-alive".
func (req request) keepAlive() bool {
	var buf [2]string
	connection := req.appendValues(buf[:0], "Connection")
	if hasToken(connection, "close") {
		return false
	}
	return req.Version != "HTTP/1.0" || hasToken(connection, "keep-alive")
}

// hasToken reports whether the comma-separated lists in values, such
// as the values of Connection, hold token, in any case.
func hasToken(values []string, token string) bool {
	for _, value := range values {
		for element := range strings.SplitSeq(value, ",") {
			if strings.EqualFold(strings.Trim(element, " \t"), token) {
				return true
			}
		}
	}
	return false
}

// appendValues appends to values the values of every header field with
// this name, in any case: field names are case-insensitive. A caller
// passes a small array of its own, on its stack, so that the usual one
// or two values cost no allocation.
func (req *request) appendValues(values []string, name string) []string {
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
