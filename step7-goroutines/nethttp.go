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

// serveWithNetHTTP serves app with the standard library's own server,
// net/http's http.Server, configured as this step's server is: the same
// timeouts, on the same listening socket, until Ctrl-C or SIGTERM, and
// then a graceful shutdown. It is there to be compared with: run the
// step twice, with -server ours and -server net/http, and the same
// application answers through each, so that a load run (the load client,
// or wrk) measures the servers alone. (net/http has no bound on its
// connections; the bound is left out of the comparison.)
func serveWithNetHTTP(listener net.Listener, cfg config, app http.Handler, shutdownTimeout time.Duration) error {
	srv := &http.Server{
		Handler:           app,
		ReadHeaderTimeout: cfg.readTimeout,
		ReadTimeout:       cfg.readTimeout,
		WriteTimeout:      cfg.writeTimeout,
		IdleTimeout:       cfg.idleTimeout,
	}
	fmt.Printf("Serving HTTP on %s ... (with net/http's server)\n", listener.Addr())

	interrupted := make(chan os.Signal, 1)
	signal.Notify(interrupted, os.Interrupt, syscall.SIGTERM)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(listener) }()
	select {
	case err := <-served:
		return fmt.Errorf("net/http: %w", err)
	case <-interrupted:
	}
	signal.Reset(os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		return fmt.Errorf("shutting down net/http's server: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("net/http: %w", err)
	}
	fmt.Println("Shutting down.")
	return nil
}
