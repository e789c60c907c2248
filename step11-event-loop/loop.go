//go:build linux

package main

import (
	"bufio"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The event loop, after Redis's ae.c: one loop per thread; each owns an
// epoll instance, a listening socket and the connections it accepted,
// and goes round and round:
//
//	wait in epoll_wait for descriptors that are ready, or the next deadline
//	for each ready descriptor:
//	    the listening socket: accept4 every waiting client
//	    a connection: read what came, answer what is complete, write what the socket takes
//	for each deadline that has passed: time the connection out
//
// No call ever waits but epoll_wait: every socket is non-blocking, and a
// read or write that would wait fails with EAGAIN instead, which means
// "not now; epoll will say when".

// readBufferSize is how much one read takes from a socket: the loop's
// one buffer, shared by all its connections, into which the kernel
// copies what arrived. Only the bytes that arrived are kept, in the
// connection's own buffer.
const readBufferSize = 64 << 10

// maxEvents is how many ready descriptors one epoll_wait reports at
// most; more wait for the next round.
const maxEvents = 256

// epollET is EPOLLET, the flag for edge-triggered events, as the
// uint32 that epoll_ctl takes (the syscall package declares it as a
// negative int: it is the top bit).
const epollET = 1 << 31

// listenBacklog is the listen queue of each loop's socket (Linux caps
// it at net.core.somaxconn, 4096 on recent kernels).
const listenBacklog = 4096

// eventServer is this step's server: loops event loops, one per thread.
type eventServer struct {
	config
	app   http.Handler
	addr  string // the address it listens on, for the console
	edge  bool   // edge-triggered epoll
	loops []*loop
	open  atomic.Int64 // the open connections of every loop, for -max-conns and the console
	full  atomic.Bool  // -max-conns connections are open: the console has said so

	stopOnce sync.Once
	finished sync.WaitGroup // the loops, until each has ended
}

// newEventServer opens a listening socket for each of loops loops on
// addr, and their epoll instances; serve starts them.
func newEventServer(addr string, cfg config, app http.Handler, loops int, edge bool) (*eventServer, error) {
	sockaddr, family, err := parseAddr(addr)
	if err != nil {
		return nil, err
	}
	if cfg.maxConns <= 0 {
		cfg.maxConns = math.MaxInt32
	}
	s := &eventServer{config: cfg, app: app, edge: edge}
	for i := range loops {
		fd, err := createListenSocket(family, sockaddr)
		if err != nil {
			s.closeAll()
			return nil, err
		}
		if i == 0 {
			// With port 0, the kernel picked a free port for the first
			// socket: getsockname asks which, and the others bind that
			// same port.
			bound, err := syscall.Getsockname(fd)
			if err != nil {
				syscall.Close(fd)
				return nil, fmt.Errorf("getsockname: %w", err)
			}
			sockaddr, s.addr = bound, formatAddr(bound)
		}
		l, err := newLoop(s, fd)
		if err != nil {
			syscall.Close(fd)
			s.closeAll()
			return nil, err
		}
		s.loops = append(s.loops, l)
	}
	return s, nil
}

// closeAll closes what newEventServer had opened, when it fails.
func (s *eventServer) closeAll() {
	for _, l := range s.loops {
		syscall.Close(l.listenFD)
		syscall.Close(l.epfd)
	}
}

// serve runs every loop, each in a goroutine locked to a thread of its
// own, and returns once all have ended, after the shutdown.
func (s *eventServer) serve() error {
	for _, l := range s.loops {
		s.finished.Go(func() {
			// The loop's goroutine keeps its thread for itself: the loop
			// is the thread's whole work, as in nginx's worker processes.
			// While it waits in epoll_wait, Go's runtime lends the CPU to
			// other goroutines; only this thread waits.
			runtime.LockOSThread()
			l.run()
		})
	}
	s.finished.Wait()
	return nil
}

// shutdown stops the server gracefully: every loop stops accepting,
// closes its idle connections, and ends once its requests in flight are
// answered. It waits for timeout at most; then it gives up, and the
// process's exit closes what is left.
func (s *eventServer) shutdown(timeout time.Duration) error {
	inFlight := make(chan int, len(s.loops))
	for _, l := range s.loops {
		l.requestStop(inFlight)
	}
	total := 0
	for range s.loops {
		total += <-inFlight
	}
	s.logf("Shutting down: no new connections; waiting for %s in flight.\n", plural(total, "request"))

	finished := make(chan struct{})
	go func() {
		s.finished.Wait()
		close(finished)
	}()
	select {
	case <-finished:
		s.logf("Shutting down.\n")
		return nil
	case <-time.After(timeout):
	}
	return fmt.Errorf("shutting down: %d connections were still busy after %s; the exit closes them", s.open.Load(), timeout)
}

// logf tells on the console what the server does, unless it is quiet.
func (s *eventServer) logf(format string, args ...any) {
	if s.console != nil {
		s.console.printf(format, args...)
	}
}

// errorf tells what went wrong, on stderr, without waiting for it (see
// console).
func (s *eventServer) errorf(format string, args ...any) {
	if s.errlog != nil {
		s.errlog.printf(format, args...)
	} else {
		fmt.Fprintf(os.Stderr, format, args...)
	}
}

// loop is one event loop: its epoll instance, its listening socket, and
// the connections it serves. Only its own thread touches it, so it needs
// no lock (but for stop, which the signal's goroutine writes to).
type loop struct {
	s        *eventServer
	epfd     int       // the epoll instance
	listenFD int       // this loop's listening socket; -1 once closed
	wakeR    int       // the read end of the pipe that wakes the loop from epoll_wait
	wakeW    int       // its write end, for requestStop
	conns    []*conn   // the connections, by descriptor: conns[fd]
	count    int       // how many connections are open
	timers   timerHeap // every connection's deadline, the earliest first
	events   []syscall.EpollEvent
	readBuf  []byte        // what one read brings in
	scratch  []byte        // where a chunked body's check reads its data to
	chunks   *bufio.Reader // the chunked reader's buffer, over a body that has arrived
	response []byte        // the gateway's buffer for the body it holds back (see responseWriter)
	exchange exchange      // the request and response objects, filled anew for each request
	now      time.Time     // the time of this round, read once after epoll_wait
	dateSec  int64         // the second that dateText says
	dateText string        // the Date header field for that second

	stopping  bool            // the shutdown has begun
	stopAt    time.Time       // when it began
	stop      chan chan<- int // requestStop hands the loop where to report its requests in flight
	accepting bool            // the listening socket is in the epoll set
	acceptOff time.Time       // accept4 failed for want of descriptors: accept again after this
	paused    atomic.Bool     // -max-conns connections are open: accept again when one closes
}

// newLoop makes the epoll instance of a loop that accepts on listenFD,
// and registers the listening socket and the wake-up pipe with it.
func newLoop(s *eventServer, listenFD int) (*loop, error) {
	// epoll_create1 makes an epoll instance: a set of descriptors that
	// the kernel watches for this loop, and a list of those that are
	// ready, which epoll_wait hands over. It is itself a descriptor;
	// EPOLL_CLOEXEC closes it in any program this one would start.
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create1: %w", err)
	}
	l := &loop{
		s:        s,
		epfd:     epfd,
		listenFD: listenFD,
		events:   make([]syscall.EpollEvent, maxEvents),
		readBuf:  make([]byte, readBufferSize),
		scratch:  make([]byte, 4<<10),
		chunks:   bufio.NewReaderSize(nil, 4<<10),
		response: make([]byte, 0, responseBufferSize),
		stop:     make(chan chan<- int, 1),
	}
	// A pipe, the "self-pipe trick": a loop asleep in epoll_wait hears
	// of nothing but its descriptors, so to wake it for the shutdown,
	// another thread writes a byte into a pipe that the loop watches.
	// O_NONBLOCK: neither end may ever make a thread wait.
	var pipe [2]int
	if err := syscall.Pipe2(pipe[:], syscall.O_NONBLOCK|syscall.O_CLOEXEC); err != nil {
		syscall.Close(epfd)
		return nil, fmt.Errorf("pipe2: %w", err)
	}
	l.wakeR, l.wakeW = pipe[0], pipe[1]
	// The listening socket and the pipe are level-triggered whatever
	// -edge says: their events are few, and simple is enough.
	if err := l.watch(syscall.EPOLL_CTL_ADD, listenFD, syscall.EPOLLIN); err != nil {
		return nil, err
	}
	l.accepting = true
	if err := l.watch(syscall.EPOLL_CTL_ADD, l.wakeR, syscall.EPOLLIN); err != nil {
		return nil, err
	}
	return l, nil
}

// watch tells the epoll instance which events of fd the loop waits for:
// op EPOLL_CTL_ADD starts watching fd, EPOLL_CTL_MOD changes the events,
// EPOLL_CTL_DEL stops (as Redis's aeApiAddEvent and aeApiDelEvent).
// EPOLLIN means "there is something to read" (data, a client's FIN, or
// a client waiting to be accepted); EPOLLOUT "the socket's send buffer
// has room". The kernel hands back the fd with each event, so that the
// loop can find whose event it is.
func (l *loop) watch(op, fd int, events uint32) error {
	event := syscall.EpollEvent{Events: events, Fd: int32(fd)}
	if err := syscall.EpollCtl(l.epfd, op, fd, &event); err != nil {
		return fmt.Errorf("epoll_ctl fd %d: %w", fd, err)
	}
	return nil
}

// run is the loop itself: it goes round until the shutdown has begun and
// the last of its connections has ended.
func (l *loop) run() {
	defer syscall.Close(l.epfd)
	for !l.stopping || l.count > 0 {
		// epoll_wait sleeps until at least one watched descriptor is
		// ready, or until the timeout, in milliseconds: the time left
		// until the earliest deadline (-1, forever, when there is none).
		// It fills events with the ready descriptors, up to maxEvents at
		// once, and returns how many.
		n, err := syscall.EpollWait(l.epfd, l.events, l.pollTimeout())
		if err == syscall.EINTR {
			// A signal arrived while the thread slept. Unlike read and
			// accept, epoll_wait is never restarted after a signal
			// handler, SA_RESTART or not (signal(7)); and Go's runtime
			// signals its threads (SIGURG, to preempt goroutines), so
			// this does happen: just wait again.
			continue
		}
		if err != nil {
			l.s.errorf("epoll_wait: %v\n", err)
			return
		}
		l.now = time.Now()
		for _, event := range l.events[:n] {
			fd := int(event.Fd)
			switch {
			case fd == l.wakeR:
				l.woken()
			case fd == l.listenFD:
				l.acceptClients()
			case fd < len(l.conns) && l.conns[fd] != nil:
				l.serveConn(l.conns[fd], event.Events)
			}
		}
		l.expireTimers()
		if !l.acceptOff.IsZero() && !l.now.Before(l.acceptOff) {
			l.acceptOff = time.Time{}
			if !l.paused.Load() {
				l.startAccepting()
			}
		}
	}
}

// date returns the value of the Date header field: the time of this
// round, l.now, formatted once a second rather than for every response
// (the field says the second; a round takes far less).
func (l *loop) date() string {
	if sec := l.now.Unix(); sec != l.dateSec || l.dateText == "" {
		l.dateSec, l.dateText = sec, l.now.UTC().Format(http.TimeFormat)
	}
	return l.dateText
}

// pollTimeout is how long epoll_wait may sleep: until the earliest
// deadline, rounded up to a whole millisecond, or forever.
func (l *loop) pollTimeout() int {
	next, ok := l.timers.earliest()
	if !l.acceptOff.IsZero() && (!ok || l.acceptOff.Before(next)) {
		next, ok = l.acceptOff, true
	}
	if !ok {
		return -1
	}
	wait := time.Until(next)
	if wait <= 0 {
		return 0
	}
	return int((wait + time.Millisecond - 1) / time.Millisecond)
}

// acceptClients accepts every client waiting in the listen queue, as
// long as fewer than -max-conns connections are open.
func (l *loop) acceptClients() {
	for range maxEvents { // a bound, so that one round serves the connections too
		// The bound is the whole server's, over every loop: each loop
		// takes a place (open goes up by one) before it accepts, so that
		// two loops cannot both take the last one.
		if l.s.open.Add(1) > int64(l.s.maxConns) {
			l.s.open.Add(-1)
			l.pauseAccepting()
			return
		}
		// accept4 is accept with flags for the new socket:
		// SOCK_NONBLOCK makes its reads and writes fail with EAGAIN
		// rather than wait, which the loop cannot afford; SOCK_CLOEXEC
		// closes it in any program this one would start. One call
		// instead of accept, then fcntl.
		fd, sa, err := syscall.Accept4(l.listenFD, syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC)
		if err != nil {
			l.s.open.Add(-1) // the place taken is not used
		}
		switch {
		case err == syscall.EAGAIN:
			return // no one else is waiting
		case err == syscall.EMFILE || err == syscall.ENFILE:
			// Out of descriptors (ulimit -n). The listening socket stays
			// readable, and a level-triggered loop would spin on it: stop
			// watching it for a while.
			l.s.errorf("accept4: %v\n", err)
			l.stopAccepting()
			l.acceptOff = l.now.Add(100 * time.Millisecond)
			return
		case err != nil:
			// ECONNABORTED: a client that left before it was accepted.
			l.s.errorf("accept4: %v\n", err)
			return
		}
		// TCP_NODELAY sends each response at once, even a small one,
		// rather than waiting to fill a packet (Nagle's algorithm); Go's
		// net package sets it on every connection too.
		syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
		l.addConn(fd, formatAddr(sa))
	}
}

// pauseAccepting stops accepting, for -max-conns connections are open:
// the listening socket leaves the epoll set (level-triggered, its
// waiting clients would wake the loop at every round), and new clients
// wait in its listen queue, where the kernel has completed their
// handshakes, until a connection closes (see closeConn and woken).
func (l *loop) pauseAccepting() {
	l.paused.Store(true)
	l.stopAccepting()
	if l.s.full.CompareAndSwap(false, true) {
		l.s.logf("All %d connections are open (-max-conns): new clients wait in the listen queue.\n", l.s.maxConns)
	}
	// A connection of another loop may have closed between the count
	// and paused: that loop did not see this one paused, and woke no
	// one. So count again; with a place free, accept on.
	if l.s.open.Load() < int64(l.s.maxConns) {
		l.resumeAccepting()
	}
}

// resumeAccepting accepts again after pauseAccepting, unless the server
// is shutting down or out of descriptors (acceptOff).
func (l *loop) resumeAccepting() {
	if l.paused.CompareAndSwap(true, false) && l.acceptOff.IsZero() {
		l.startAccepting()
	}
}

// startAccepting puts the listening socket back into the epoll set.
func (l *loop) startAccepting() {
	if !l.accepting && !l.stopping {
		l.watch(syscall.EPOLL_CTL_ADD, l.listenFD, syscall.EPOLLIN)
		l.accepting = true
	}
}

// stopAccepting takes the listening socket out of the epoll set.
func (l *loop) stopAccepting() {
	if l.accepting {
		l.watch(syscall.EPOLL_CTL_DEL, l.listenFD, 0)
		l.accepting = false
	}
}

// addConn starts serving the new connection fd, for which acceptClients
// has counted a place: its state, and epoll's watch over it.
func (l *loop) addConn(fd int, remoteAddr string) {
	c := &conn{fd: fd, remoteAddr: remoteAddr, since: l.now, timerIndex: -1}
	events := uint32(syscall.EPOLLIN)
	if l.s.edge {
		// Edge-triggered: epoll reports a descriptor once when it becomes
		// ready, not again while it stays ready. The loop must then read
		// until EAGAIN, or bytes left in the socket are never reported
		// again; but it need not tell epoll what it waits for at each
		// turn, so it watches both directions once and for all.
		events = syscall.EPOLLIN | syscall.EPOLLOUT | syscall.EPOLLRDHUP | epollET
	}
	if err := l.watch(syscall.EPOLL_CTL_ADD, fd, events); err != nil {
		l.s.errorf("%v\n", err)
		syscall.Close(fd)
		l.s.open.Add(-1)
		return
	}
	c.watching = events
	for fd >= len(l.conns) {
		l.conns = append(l.conns, make([]*conn, len(l.conns)+64)...)
	}
	l.conns[fd] = c
	l.count++
	l.s.logf("Accepted connection from %s (%d open)\n", remoteAddr, l.s.open.Load())
	if l.stopping {
		c.closeAfter, c.why = true, "the server is shutting down"
	}
	l.settle(c)
}

// serveConn serves a connection that epoll reported ready: it reads what
// came, answers the requests that are complete, and writes what the
// socket takes, as long as that makes progress.
func (l *loop) serveConn(c *conn, events uint32) {
	if events&(syscall.EPOLLIN|syscall.EPOLLRDHUP|syscall.EPOLLHUP|syscall.EPOLLERR) != 0 {
		c.readable = true
	}
	for {
		read := false
		if c.readable && c.wantsInput() {
			if !l.readFrom(c) {
				return // closed
			}
			read = true
		}
		answered := c.advance(l)
		wrote, ok := l.flush(c)
		if !ok {
			return // closed
		}
		if !read && !answered && !wrote {
			break // nothing more to do until epoll says so
		}
	}
	l.settle(c)
}

// readFrom reads what the socket holds into c's buffer: once when
// level-triggered (epoll will report the rest), until EAGAIN when
// edge-triggered (it would not). It returns false if it closed c.
func (l *loop) readFrom(c *conn) bool {
	for c.wantsInput() {
		// read copies into the buffer what the kernel has received on
		// this socket, up to its length, and returns how many bytes: 0
		// means the client closed its side (its FIN came). Non-blocking:
		// with nothing there, it fails with EAGAIN instead of waiting.
		n, err := syscall.Read(c.fd, l.readBuf)
		switch {
		case err == syscall.EAGAIN:
			c.readable = false // all read; epoll says when more comes
			return true
		case err != nil:
			l.closeConn(c, "recv: "+err.Error())
			return false
		case n == 0:
			c.received(nil, true, l.now)
			c.readable = false
			return true
		}
		c.received(l.readBuf[:n], false, l.now)
		if !l.s.edge {
			// Level-triggered: no need to read until EAGAIN, which costs
			// one more call; if more is there, epoll reports it again.
			c.readable = false
			return true
		}
	}
	return true
}

// flush writes what c has to send, as far as the socket takes it. What
// it does not take stays in c's buffer, for when epoll reports room
// (EPOLLOUT). It reports whether it wrote anything, and ok false if it
// closed c.
func (l *loop) flush(c *conn) (wrote, ok bool) {
	for c.pending() {
		// write copies the bytes into the socket's send buffer in the
		// kernel, which sends them on; it returns how many it took. A
		// non-blocking socket takes what fits and returns at once, so
		// the count may be short; with no room at all, EAGAIN. (Go
		// ignores SIGPIPE for sockets: a client that is gone makes write
		// fail with EPIPE, not kill the process.)
		n, err := syscall.Write(c.fd, c.out[c.sent:])
		if err == syscall.EAGAIN {
			return wrote, true // the rest waits for EPOLLOUT
		}
		if err != nil {
			l.closeConn(c, "sending the response: "+err.Error())
			return wrote, false
		}
		c.sent += n
		wrote = true
	}
	if wrote {
		c.wrote(l.now)
	}
	return wrote, true
}

// settle is the end of each turn for a connection: it closes c or starts
// its lingering when its state says so, tells epoll what c waits for,
// and files its deadline.
func (l *loop) settle(c *conn) {
	switch {
	case c.pending():
		// A response is not all out: wait for room.
	case c.closeAfter && c.state != lingering && c.lingerAfter:
		// shutdown(SHUT_WR) sends the client a FIN after the answer: the
		// client sees its end, while this side can still read, and
		// throws away, what the client sends. (close would do more: with
		// bytes unread it sends a reset, RST, and the client's kernel may
		// drop the answer before the client has read it.)
		if err := syscall.Shutdown(c.fd, syscall.SHUT_WR); err != nil {
			l.closeConn(c, c.why)
			return
		}
		c.startLingering(l.now)
	case c.closeAfter && c.state != lingering:
		l.closeConn(c, c.why)
		return
	case c.state == lingering && c.lingerDone():
		l.closeConn(c, c.why)
		return
	}
	if !l.s.edge {
		// Level-triggered: watch for what c waits for now, and only that;
		// a socket with room to write is reported at every epoll_wait
		// while EPOLLOUT is watched, and one that has unread bytes while
		// EPOLLIN is.
		want := uint32(0)
		if c.wantsInput() {
			want |= syscall.EPOLLIN
		}
		if c.pending() {
			want |= syscall.EPOLLOUT
		}
		if want != c.watching {
			if err := l.watch(syscall.EPOLL_CTL_MOD, c.fd, want); err != nil {
				l.closeConn(c, err.Error())
				return
			}
			c.watching = want
		}
	}
	l.timers.set(c, c.deadline(l.s.config, l.stopping, l.stopAt))
}

// expireTimers times out every connection whose deadline has passed.
func (l *loop) expireTimers() {
	for {
		c := l.timers.expired(l.now)
		if c == nil {
			return
		}
		if c.timeout(l) {
			l.closeConn(c, c.why)
			continue
		}
		if _, ok := l.flush(c); ok {
			l.settle(c)
		}
	}
}

// closeConn ends a connection: it stops watching it and closes it.
func (l *loop) closeConn(c *conn, why string) {
	l.timers.remove(c)
	// close releases the descriptor, and epoll forgets it (a descriptor
	// is removed from every epoll set when it is closed). The kernel
	// sends the client a FIN, or a reset (RST) if bytes it sent are
	// still unread in the socket: the reason for lingering.
	syscall.Close(c.fd)
	l.conns[c.fd] = nil
	l.count--
	open := l.s.open.Add(-1)
	l.s.logf("Closing connection from %s after %s: %s (%d open)\n", c.remoteAddr, plural(c.requests, "request"), why, open)
	if open < int64(l.s.maxConns) {
		l.s.roomForOne()
	}
}

// roomForOne is called when a connection has closed below -max-conns:
// the loops that had paused accepting may accept again. Each is woken
// through its pipe, since it may be asleep in epoll_wait, and another
// thread's loop must not touch its epoll set; this loop resumes at once.
func (s *eventServer) roomForOne() {
	s.full.Store(false)
	for _, l := range s.loops {
		if l.paused.Load() {
			syscall.Write(l.wakeW, []byte{1})
		}
	}
}

// woken handles a byte in the loop's pipe: a request to stop (see
// requestStop), or room for a connection after a pause (see
// roomForOne).
func (l *loop) woken() {
	// read empties the pipe, or, level-triggered, epoll would report it
	// ready again at once.
	var drain [16]byte
	syscall.Read(l.wakeR, drain[:])
	if l.paused.Load() && l.s.open.Load() < int64(l.s.maxConns) {
		l.resumeAccepting()
	}
	select {
	case inFlight := <-l.stop:
		l.beginStop(inFlight)
	default:
	}
}

// requestStop asks the loop, from another goroutine, to begin the
// shutdown, and to report its requests in flight on inFlight.
func (l *loop) requestStop(inFlight chan<- int) {
	l.stop <- inFlight
	// write to the pipe: the loop's epoll_wait returns, with the pipe's
	// read end ready.
	syscall.Write(l.wakeW, []byte{0})
}

// beginStop is the shutdown, in the loop: stop accepting, give the idle
// connections idleShutdownGrace, and report the requests in flight on
// inFlight.
func (l *loop) beginStop(inFlight chan<- int) {
	if !l.stopping {
		// Closing the listening socket refuses new clients; those waiting
		// in its queue get a reset.
		l.stopAccepting()
		l.stopping, l.stopAt = true, l.now
		syscall.Close(l.listenFD)
		l.listenFD = -1
	}
	busy := 0
	for _, c := range l.conns {
		if c == nil {
			continue
		}
		if !c.idle() {
			busy++
		}
		l.timers.set(c, c.deadline(l.s.config, true, l.stopAt))
	}
	inFlight <- busy
}

// plural writes n and a noun, in the plural unless n is 1: "1 request",
// "2 requests".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// parseAddr turns "host:port" into the address for bind, and its
// family: AF_INET6 for an IPv6 address or an empty host (every
// interface, IPv4 too), AF_INET for an IPv4 address.
func parseAddr(addr string) (syscall.Sockaddr, int, error) {
	tcpAddr, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		return nil, 0, fmt.Errorf("the address %q: %w", addr, err)
	}
	if tcpAddr.IP == nil {
		return &syscall.SockaddrInet6{Port: tcpAddr.Port}, syscall.AF_INET6, nil
	}
	if ip4 := tcpAddr.IP.To4(); ip4 != nil {
		sa := &syscall.SockaddrInet4{Port: tcpAddr.Port}
		copy(sa.Addr[:], ip4)
		return sa, syscall.AF_INET, nil
	}
	sa := &syscall.SockaddrInet6{Port: tcpAddr.Port}
	copy(sa.Addr[:], tcpAddr.IP.To16())
	return sa, syscall.AF_INET6, nil
}

// formatAddr writes a socket address as "ip:port", "[::1]:port" for
// IPv6; an IPv4 client of a socket that listens on IPv6 too is shown as
// IPv4.
func formatAddr(sa syscall.Sockaddr) string {
	switch sa := sa.(type) {
	case *syscall.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port)).String()
	case *syscall.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), uint16(sa.Port)).String()
	}
	return "an unknown address"
}

// createListenSocket makes one loop's listening socket, as steps 1 to 8
// did, with two options more.
func createListenSocket(family int, sockaddr syscall.Sockaddr) (int, error) {
	// socket, as in step 1, with two flags: SOCK_NONBLOCK, so that
	// accept4 on it fails with EAGAIN when no client waits, instead of
	// blocking the loop; SOCK_CLOEXEC, closed in any program started.
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("socket: %w", err)
	}
	fail := func(call string, err error) (int, error) {
		syscall.Close(fd)
		return -1, fmt.Errorf("%s: %w", call, err)
	}
	// SO_REUSEADDR, as in step 1: bind again at once after a restart.
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
		return fail("setsockopt SO_REUSEADDR", err)
	}
	// SO_REUSEPORT lets several sockets bind the same address and port,
	// each with its own listen queue: the kernel spreads new connections
	// among them by a hash of the client's address and port. So each
	// loop has its own socket, accepts only its own clients, and no two
	// loops wake for the same client. (The other way, one socket shared
	// by every loop's epoll with EPOLLEXCLUSIVE, wakes one loop per
	// client but shares one queue, and the kernel tends to wake the same
	// loop again and again; nginx offers both, as "reuseport" and
	// "accept_mutex".) Only a process of the same user may bind the port
	// beside us.
	// (The syscall package, frozen before Linux 3.9 added the option,
	// lacks its number; golang.org/x/sys/unix has it.)
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
		return fail("setsockopt SO_REUSEPORT", err)
	}
	if family == syscall.AF_INET6 {
		// IPV6_V6ONLY off: a socket on [::] takes IPv4 clients too, as
		// Go's net package arranges for ":8888".
		if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, 0); err != nil {
			return fail("setsockopt IPV6_V6ONLY", err)
		}
	}
	// bind gives the socket its address and port, as in step 1; with
	// SO_REUSEPORT, every loop's socket binds the same one.
	if err := syscall.Bind(fd, sockaddr); err != nil {
		return fail("bind "+formatAddr(sockaddr), err)
	}
	// listen makes it a listening socket, as in step 1: the kernel
	// completes clients' handshakes and queues them, up to the backlog,
	// until this loop's accept4 takes them.
	if err := syscall.Listen(fd, listenBacklog); err != nil {
		return fail("listen", err)
	}
	return fd, nil
}
