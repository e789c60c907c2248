package tests

import (
	"bytes"
	"path/filepath"
	"testing"
)

// gatewayApps are the applications that step6-gateway runs, by the
// name its -app flag takes.
var gatewayApps = []string{"stdlib", "chi", "gin"}

// gatewaySteps are the steps whose gateway answers are kept in golden
// files, each with the applications it is run with: step 6 with every
// one, and step 10, whose gateway adds the chunked coding, with gin, the
// application its chapter shows.
var gatewaySteps = []struct {
	step string
	apps []string
}{
	{"step6-gateway", gatewayApps},
	{"step10-keep-alive", []string{"gin"}},
}

// gatewayCases are the conversations that show what the gateway does
// with each application: every app meets every one, and its answers are
// in testdata/<step>/<app>/<case>.response and .console.
var gatewayCases = []struct {
	name    string // names the golden files
	request string // the fixture in testdata/requests/
	then    string // a fixture sent afterwards, to the same server, whose answer must be 200; "" for none
}{
	{name: "hello", request: "hello.http"},
	{name: "hello-ada", request: "hello-ada.http"},
	{name: "hello-query", request: "hello-query.http"},
	{name: "hello-head", request: "hello-head.http"},
	{name: "post-length", request: "post-form.http"},
	{name: "post-chunked", request: "post-chunked.http"},
	{name: "nowhere", request: "nowhere.http"},
	{name: "count", request: "count.http"},
	{name: "panic", request: "panic.http", then: "hello.http"},
}

// TestGatewayApps runs the gateway steps with their applications (see
// gatewaySteps), each as a real process, sends each gateway case and
// compares the response and the console output with their golden files.
// The Date field is normalised to its format; every other byte of the
// response is compared.
func TestGatewayApps(t *testing.T) {
	t.Parallel()
	for _, gs := range gatewaySteps {
		for _, app := range gs.apps {
			for _, gc := range gatewayCases {
				t.Run(gs.step+" -app "+app+" answers the "+gc.name+" request as its golden files show", func(t *testing.T) {
					t.Parallel()
					srv := startStep(t, gs.step, "-app", app)
					response := srv.exchange(0, readFixture(t, gc.request))
					if gc.then != "" {
						// The application failed on the last request: the
						// server must still answer the next one. A server
						// that logs each connection's end prints it after
						// the FIN the client read the answer to; waiting
						// for that line keeps the golden console in the
						// order a student sees it.
						// (waitForConsole, not waitForClosings: under the
						// race detector on a loaded machine the line has
						// been seen to take more than a second.)
						if srv.keepsAlive {
							srv.waitForConsole("Closing connection", 1)
						}
						next := srv.exchange(0, readFixture(t, gc.then))
						if !bytes.HasPrefix(next, []byte("HTTP/1.1 200 OK\r\n")) {
							t.Errorf("after the %s request, %s got %q, want 200 OK", gc.name, gc.then, next)
						}
					}
					console := srv.stop()

					dir := filepath.Join(gs.step, app)
					checkGolden(t, filepath.Join(dir, gc.name+".response"), normalize(response))
					checkGolden(t, filepath.Join(dir, gc.name+".console"), normalize(console))
				})
			}
		}
	}
}
