package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// serveNetHTTP serves app with the standard library's own server,
// net/http's http.Server, configured as this step's server is: the same
// timeouts, a listening socket made the same way, the same graceful
// shutdown on Ctrl-C or SIGTERM. It is there to be compared with: run
// the step twice, with -server ours and -server net/http, and the same
// application answers through each, so that a load run (the load
// client, or wrk) measures the servers alone. (net/http has no bound on
// its connections; the bound is left out of the comparison.)
func serveNetHTTP(addr string, app http.Handler, readTimeout, writeTimeout, idleTimeout, shutdownTimeout time.Duration) error {
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
	fmt.Printf("Serving HTTP on %s ... (with net/http's server)\n", listener.Addr())
	if err := srv.Serve(listener); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("net/http: %w", err)
	}
	if err := <-shutDown; err != nil {
		return fmt.Errorf("shutting down net/http's server: %w", err)
	}
	return nil
}
