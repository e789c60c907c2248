package tests

import (
	"bytes"
	"net"
	"testing"
	"time"
)

// misbehaviours are things a client may do that a server must survive.
var misbehaviours = []struct {
	name string
	act  func(t *testing.T, addr string)
}{
	{"connects and closes at once", func(t *testing.T, addr string) {
		conn := dial(t, addr)
		conn.Close()
	}},
	{"connects and resets the connection", func(t *testing.T, addr string) {
		conn := dial(t, addr)
		conn.SetLinger(0) // close sends RST instead of FIN
		conn.Close()
	}},
	{"sends half a request and closes", func(t *testing.T, addr string) {
		conn := dial(t, addr)
		conn.Write([]byte("GET /hel"))
		conn.Close()
	}},
	{"sends a request and resets before the answer", func(t *testing.T, addr string) {
		conn := dial(t, addr)
		conn.Write(readFixture(t, "firefox.http"))
		conn.SetLinger(0)
		conn.Close()
	}},
	{"sends a request and never reads the answer", func(t *testing.T, addr string) {
		conn := dial(t, addr)
		conn.Write(readFixture(t, "firefox.http"))
		conn.CloseWrite()
		time.Sleep(50 * time.Millisecond)
		conn.Close()
	}},
}

func dial(t *testing.T, addr string) *net.TCPConn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("connect to %s: %v", addr, err)
	}
	return conn.(*net.TCPConn)
}

// TestStepsSurviveMisbehavingClients checks that nothing a client does
// takes a step down: after each misbehaving client, the next client
// still gets the step's usual answer to the Firefox request, and the
// server printed its errors rather than panicking.
func TestStepsSurviveMisbehavingClients(t *testing.T) {
	t.Parallel()
	for _, step := range steps {
		t.Run(step+" goes on serving after misbehaving clients", func(t *testing.T) {
			t.Parallel()
			srv := startStep(t, step)
			want, err := readGolden(step, "firefox.response")
			if err != nil {
				t.Fatal(err)
			}
			for _, mb := range misbehaviours {
				mb.act(t, srv.addr)
				got := normalize(exchange(t, srv.addr, 0, readFixture(t, "firefox.http")))
				if !bytes.Equal(got, want) {
					t.Errorf("after a client that %s, the next client got %q, want %q", mb.name, got, want)
				}
			}
			console := srv.stop()
			if bytes.Contains(console, []byte("panic")) || bytes.Contains(console, []byte("goroutine ")) {
				t.Errorf("the server panicked:\n%s", console)
			}
		})
	}
}
