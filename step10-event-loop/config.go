package main

import (
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
