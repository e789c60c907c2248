package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// netHTTPServer is the standard library's own server, net/http's
// http.Server, configured as this step's server is: the same timeouts,
// on the same listening socket. It is there to be compared with: run the
// step twice, with -server ours and -server net/http, and the same
// application answers through each, so that a load run (the load client,
// or wrk) measures the servers alone. (net/http has no bound on its
// connections; the bound is left out of the comparison.)
type netHTTPServer struct {
	srv      *http.Server
	listener net.Listener
	console  *console // where it says that it shuts down; nil for -quiet
}

// newNetHTTPServer returns net/http's server of app on listener.
func newNetHTTPServer(listener net.Listener, cfg config, app http.Handler) *netHTTPServer {
	return &netHTTPServer{
		srv: &http.Server{
			Handler:           app,
			ReadHeaderTimeout: cfg.readTimeout,
			ReadTimeout:       cfg.readTimeout,
			WriteTimeout:      cfg.writeTimeout,
			IdleTimeout:       cfg.idleTimeout,
		},
		listener: listener,
		console:  cfg.console,
	}
}

// serve serves until the shutdown; then it returns nil.
func (n *netHTTPServer) serve() error {
	if err := n.srv.Serve(n.listener); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("net/http: %w", err)
	}
	return nil
}

// shutdown is net/http's graceful shutdown, for timeout at most.
func (n *netHTTPServer) shutdown(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := n.srv.Shutdown(ctx); err != nil {
		return fmt.Errorf("shutting down net/http's server: %w", err)
	}
	if n.console != nil {
		n.console.printf("Shutting down.\n")
	}
	return nil
}
