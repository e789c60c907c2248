package apps

import (
	"io"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// chiApp is the application written with chi, a router that keeps to
// net/http's own types: its handlers are http.HandlerFuncs, and
// chi.URLParam reads the {name} path parameter.
func chiApp() http.Handler {
	r := chi.NewRouter()
	r.Use(middleware.GetHead) // answer HEAD with the GET route, as ServeMux does
	hello := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", textPlain)
		io.WriteString(w, greeting(r.URL.Query().Get("name"), r))
	}
	r.Get("/", hello)
	r.Get("/hello", hello)
	r.Get("/hello/{name}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", textPlain)
		io.WriteString(w, greeting(chi.URLParam(r, "name"), r))
	})
	r.Post("/hello", func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", textPlain)
		io.WriteString(w, bodyReport(n, r))
	})
	r.Get("/count", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", textPlain)
		count(w)
	})
	r.Get("/panic", func(w http.ResponseWriter, r *http.Request) { panic(PanicMessage) })
	return r
}
