package tests

import (
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// loadReport is what the load client (client/) prints with -json.
type loadReport struct {
	Clients     int            `json:"clients"`
	Connected   int            `json:"connected"`
	Succeeded   int            `json:"succeeded"`
	Statuses    map[string]int `json:"statuses"`
	Errors      map[string]int `json:"errors"`
	MaxInFlight int            `json:"max_in_flight"`
}

// runLoadClient runs the load client against addr with the given flags
// and returns its report. The client bounds itself with -timeout; the
// test gives it 30 s more at most.
func runLoadClient(t *testing.T, addr string, flags ...string) loadReport {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	args := append([]string{"-addr", addr, "-json"}, flags...)
	out, err := exec.CommandContext(ctx, filepath.Join(binDir, "client"), args...).Output()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("run the load client: %v", err)
	}
	var rep loadReport
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("read the load client's report: %v\n%s", err, out)
	}
	return rep
}

// TestLoadClientMeasuresAnIterativeServer runs the load client against
// step6-gateway, which serves one connection after another: every
// request succeeds, and the client never sees two responses being served
// at once.
func TestLoadClientMeasuresAnIterativeServer(t *testing.T) {
	t.Parallel()
	srv := startStep(t, "step6-gateway")
	// Step 6's listen backlog is 1: the kernel completes the handshake
	// for the connection that the server accepts and for two more that
	// wait in its queue, and drops the SYNs of the other two, which the
	// clients send again a second later. Each client sends its request as
	// soon as it is connected, so the server is never stuck on a silent
	// connection, and all five are answered within that second or so.
	rep := runLoadClient(t, srv.addr, "-clients", "5", "-path", "/hello", "-timeout", "5s")
	srv.stop()
	if rep.Succeeded != 5 || rep.Statuses["200 OK"] != 5 {
		t.Errorf("succeeded %d, statuses %v, errors %v; want 5 times 200 OK", rep.Succeeded, rep.Statuses, rep.Errors)
	}
	if rep.MaxInFlight != 1 {
		t.Errorf("the client saw %d responses served at once, want 1: step 6 serves one connection at a time", rep.MaxInFlight)
	}
}

// TestLoadClientRefusesAnotherMachine checks that the load client will
// not connect to an address that is not loopback, and says why.
func TestLoadClientRefusesAnotherMachine(t *testing.T) {
	t.Parallel()
	out, err := exec.Command(filepath.Join(binDir, "client"), "-addr", "192.0.2.1:80", "-clients", "1").CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Errorf("exit %v, want status 2", err)
	}
	if want := "only connects to a loopback address"; !strings.Contains(string(out), want) {
		t.Errorf("the client said %q, want it to say %q", out, want)
	}
}
