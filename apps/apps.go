// Package apps holds the applications that the gateway steps run (step 6
// on): one per framework, in stdlib.go, chi.go and gin.go. They live
// outside the servers, as the article's flaskapp.py, pyramidapp.py and
// djangoapp.py live outside webserver2.py: a gateway knows nothing of
// the application but its interface, and the same three run unchanged
// under every server from step 6 to step 11. Each is built the way its
// framework's documentation shows, and each is, to the server, one
// http.Handler. They serve the same pages with the same words, so that
// their responses can be compared:
//
//	GET  /                 Hello, World!
//	GET  /hello            Hello, World!
//	GET  /hello?name=ada   Hello, ada!       (a query parameter)
//	GET  /hello/ada        Hello, ada!       (a path parameter)
//	POST /hello            how many bytes the body had
//	GET  /count            the numbers 1 to 2000, one a line: about 9 KB
//	GET  /panic            nothing: the handler panics, on purpose
//
// HEAD works wherever GET does; every other path gets the framework's
// own 404.
package apps

import (
	"fmt"
	"io"
	"net/http"
)

// textPlain is the media type of every page: text, in UTF-8.
const textPlain = "text/plain; charset=utf-8"

// CountTo is how far /count counts: its output, 8893 bytes, is more than
// the 4 KiB a gateway holds back before it sends, so it leaves in several
// writes.
const CountTo = 2000

// PanicMessage is what the handler of /panic panics with, to show what
// the gateway does when an application fails.
const PanicMessage = "the handler of /panic panics, on purpose"

// New returns the application that -app names: stdlib, chi or gin. Each response it
// sends carries X-App, the application's name, so that a client can see
// which framework answered.
func New(name string) (http.Handler, error) {
	apps := map[string]func() http.Handler{
		"stdlib": stdlibApp,
		"chi":    chiApp,
		"gin":    ginApp,
	}
	build, ok := apps[name]
	if !ok {
		return nil, fmt.Errorf("unknown -app %q: choose stdlib, chi or gin", name)
	}
	app := build()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-App", name)
		app.ServeHTTP(w, r)
	}), nil
}

// greeting is the body of the answer to GET /hello: a greeting for name
// ("World" if none), then the request line as the application saw it,
// which shows that the request came through the gateway whole.
func greeting(name string, r *http.Request) string {
	if name == "" {
		name = "World"
	}
	return "Hello, " + name + "!\n" + received(r)
}

// bodyReport is the body of the answer to POST /hello: how many bytes
// the request's body had, then the request line.
func bodyReport(n int64, r *http.Request) string {
	return fmt.Sprintf("Received a body of %d bytes.\n", n) + received(r)
}

// received writes the request line that the application received.
func received(r *http.Request) string {
	return "The app received: " + r.Method + " " + r.RequestURI + " " + r.Proto + "\n"
}

// count writes the numbers from 1 to countTo, one a line.
func count(w io.Writer) {
	for i := 1; i <= CountTo; i++ {
		fmt.Fprintln(w, i)
	}
}
