package main

import "time"

// config is how the server treats its clients: the flags.
type config struct {
	readTimeout  time.Duration
	writeTimeout time.Duration
	idleTimeout  time.Duration
	delay        time.Duration
	maxConns     int      // the most connections open at once, over every loop; 0: no bound (tests)
	console      *console // where the server tells what it does; nil for -quiet
	errlog       *console // where it tells what went wrong; nil: os.Stderr, directly (tests)
}
