package apps

import (
	"io"
	"net/http"
)

// stdlibApp is the application written with the standard library alone:
// an http.ServeMux, whose patterns name the method and the path, with
// {name} for a path parameter. A GET pattern answers HEAD too.
func stdlibApp() http.Handler {
	mux := http.NewServeMux()
	hello := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", textPlain)
		io.WriteString(w, greeting(r.URL.Query().Get("name"), r))
	}
	mux.HandleFunc("GET /{$}", hello)
	mux.HandleFunc("GET /hello", hello)
	mux.HandleFunc("GET /hello/{name}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", textPlain)
		io.WriteString(w, greeting(r.PathValue("name"), r))
	})
	mux.HandleFunc("POST /hello", func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", textPlain)
		io.WriteString(w, bodyReport(n, r))
	})
	mux.HandleFunc("GET /count", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", textPlain)
		count(w)
	})
	mux.HandleFunc("GET /panic", func(w http.ResponseWriter, r *http.Request) { panic(PanicMessage) })
	return mux
}
