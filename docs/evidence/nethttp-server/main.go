// Nethttp-server is evidence, not a step: the applications of steps 6 to
// 10 (the apps package) served by the standard library's own server,
// net/http's http.Server, with step 10's timeouts and its line "Serving
// HTTP on ADDRESS ...". It exists to be measured against step 10, which
// runs the same application through its own server and gateway
// (docs/evidence/wrk.sh): the two, under the same load, compare the
// servers alone. On Ctrl-C or SIGTERM it shuts down gracefully, as
// step 10 does.
//
//	go run ./docs/evidence/nethttp-server -addr 127.0.0.1:8889
//	wrk -c 64 http://127.0.0.1:8889/hello
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/lsbaws-go/lsbaws-go/apps"
)

func main() {
	addr := flag.String("addr", ":8888", "`host:port` to listen on; port 0 lets the kernel choose")
	appName := flag.String("app", "stdlib", "the application to run: `stdlib`, chi or gin")
	readTimeout := flag.Duration("read-timeout", 10*time.Second, "how long a client may take to send a whole request")
	writeTimeout := flag.Duration("write-timeout", 10*time.Second, "how long a client may take to receive a whole response")
	idleTimeout := flag.Duration("idle-timeout", 5*time.Second, "how long a connection is kept open, waiting for the client's next request")
	shutdownTimeout := flag.Duration("shutdown-timeout", 5*time.Second, "how long the requests in flight have to finish after SIGTERM or Ctrl-C")
	flag.Bool("quiet", true, "accepted for step 10's command line: net/http prints nothing for each request anyway")
	flag.Parse()

	app, err := apps.New(*appName)
	if err == nil {
		err = serve(*addr, app, *readTimeout, *writeTimeout, *idleTimeout, *shutdownTimeout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// serve serves app with net/http's server on addr until Ctrl-C or
// SIGTERM, then shuts down, waiting at most shutdownTimeout for the
// requests in flight.
func serve(addr string, app http.Handler, readTimeout, writeTimeout, idleTimeout, shutdownTimeout time.Duration) error {
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           app,
		ReadHeaderTimeout: readTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
	}
	interrupted := make(chan os.Signal, 1)
	signal.Notify(interrupted, os.Interrupt, syscall.SIGTERM)
	shutDown := make(chan error, 1)
	go func() {
		<-interrupted
		fmt.Println("Shutting down.")
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		shutDown <- srv.Shutdown(ctx)
	}()
	fmt.Printf("Serving HTTP on %s ...\n", listener.Addr())
	if err := srv.Serve(listener); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("net/http: %w", err)
	}
	return <-shutDown
}
