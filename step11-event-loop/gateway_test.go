//go:build linux

package main

import (
	"net/url"
	"reflect"
	"testing"
)

// TestNewRequestBuildsTheURLThatNetURLWould checks the gateway's short
// cut for plain paths against url.ParseRequestURI, on the targets where
// the two could differ: the URL an application reads must be the same.
func TestNewRequestBuildsTheURLThatNetURLWould(t *testing.T) {
	t.Parallel()
	for _, target := range []string{
		"/", "/hello", "/hello?name=you", "/hello?", "/hello??", "/a?b?", "/a?b=%20",
		"/a%20b", "/a!b", "/a'b", "/a(b)", "/a*b", "/a;b=c,d", "/a:b@c", "/~x/$y&z+",
		"//x", "/x/../y", "http://h/x?y", "HTTP://h:8/", "http://h?q",
	} {
		t.Run("the target "+target+" gets the URL that url.ParseRequestURI makes", func(t *testing.T) {
			req, err := parseRequest([]byte("GET " + target + " HTTP/1.1\r\nHost: h\r\n\r\n"))
			if err != nil {
				t.Fatal(err)
			}
			var x exchange
			r, err := x.newRequest(req, nil, "192.0.2.1:1234")
			if err != nil {
				t.Fatal(err)
			}
			want, err := url.ParseRequestURI(target)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r.URL, want) {
				t.Errorf("got %#v, want %#v", r.URL, want)
			}
		})
	}
}
