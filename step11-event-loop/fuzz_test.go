//go:build linux

package main

import (
	"bytes"
	"testing"
)

// FuzzSplitDelivery checks that where TCP cuts a client's bytes does not
// matter: any request bytes, delivered in two pieces split at every
// position, and one byte at a time, give the same responses, byte for
// byte, as the same bytes in one piece. (A loop sees a stream in the
// pieces that each read returns; a parser that kept state wrongly
// between them would answer differently.) CI runs it for a bounded time:
//
//	go test ./step11-event-loop -run '^$' -fuzz FuzzSplitDelivery -fuzztime 10s
func FuzzSplitDelivery(f *testing.F) {
	for _, seed := range []string{
		"GET /hello HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /hello/one HTTP/1.1\r\nHost: h\r\n\r\nGET /hello/two HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
		"POST /hello HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\nHost: h\r\n\r\n",
		"POST /hello HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\"b\"\r\nhello\r\n0\r\nX-T: 1\r\n\r\nGET /count HTTP/1.1\r\nHost: h\r\n\r\n",
		"POST /hello HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\nabc",
		"GET /count HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
		"\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
		"HEAD / HTTP/1.1\r\nHost: h\r\nContent-Length: x\r\n\r\n",
		"GET / HTTP/1.1\nHost: h\n\nGET / HTTP/1.1\r\nHost: h\n\r\n",
		"HELLO SERVER\r\n\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		if len(input) > 4<<10 {
			return // every split of a long input would take too long; the limits are tested elsewhere
		}
		l := newTestLoop(t)
		whole, _ := serveBytes(l, [][]byte{input}, true)
		for i := 1; i < len(input); i++ {
			split, _ := serveBytes(l, [][]byte{input[:i], input[i:]}, true)
			if !bytes.Equal(split, whole) {
				t.Fatalf("split at %d of %q, the responses differ:\nin one piece:\n%q\nin two:\n%q", i, input, whole, split)
			}
		}
		bytewise := make([][]byte, len(input))
		for i := range input {
			bytewise[i] = input[i : i+1]
		}
		if got, _ := serveBytes(l, bytewise, true); !bytes.Equal(got, whole) {
			t.Fatalf("a byte at a time, %q gets other responses:\nin one piece:\n%q\na byte at a time:\n%q", input, whole, got)
		}
	})
}
