package main

import (
	"errors"
	"io"
	"time"
)

// config is how the server treats its clients: the flags.
type config struct {
	readTimeout  time.Duration
	writeTimeout time.Duration
	idleTimeout  time.Duration
	delay        time.Duration
	console      io.Writer // where the server tells what it does; nil for -quiet
}

// isRequestError reports whether err is an answer for the client (a
// *requestError) rather than a failure of the connection.
func isRequestError(err error) bool {
	var reqErr *requestError
	return errors.As(err, &reqErr)
}
