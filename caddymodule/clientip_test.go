package caddymodule

import (
	"net/http/httptest"
	"net/netip"
	"reflect"
	"testing"
	"unsafe"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// TestTrustedRangesField: the server field trustedRanges reads exists and
// holds an IPRangeSource; a Caddy upgrade that changes it fails here.
func TestTrustedRangesField(t *testing.T) {
	f, ok := reflect.TypeOf(caddyhttp.Server{}).FieldByName("trustedProxies")
	if !ok || f.Type != reflect.TypeOf((*caddyhttp.IPRangeSource)(nil)).Elem() {
		t.Fatalf("caddyhttp.Server.trustedProxies is %v (found %v): update trustedRanges", f.Type, ok)
	}
	src := &caddyhttp.StaticIPRange{Ranges: []string{"10.0.0.0/8"}}
	if err := src.Provision(caddy.Context{}); err != nil {
		t.Fatal(err)
	}
	srv := new(caddyhttp.Server)
	reflect.NewAt(f.Type, unsafe.Pointer(reflect.ValueOf(srv).Elem().FieldByIndex(f.Index).UnsafeAddr())).Elem().Set(reflect.ValueOf(src))
	r := httptest.NewRequest("GET", "/", nil)
	if got := trustedRanges(srv, r); len(got) != 1 || got[0].String() != "10.0.0.0/8" {
		t.Errorf("trustedRanges = %v", got)
	}
	if got := trustedRanges(new(caddyhttp.Server), r); got != nil {
		t.Errorf("no trusted proxies: %v", got)
	}
}

// TestRightmostUntrusted: the client's own X-Forwarded-For entries never
// choose the address; trusted hops are skipped from the right.
func TestRightmostUntrusted(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	for _, c := range []struct {
		xff  []string
		want string
	}{
		{nil, "10.0.0.1"},
		{[]string{"203.0.113.9"}, "203.0.113.9"},
		{[]string{"198.51.100.1, 203.0.113.9"}, "203.0.113.9"},                  // forged left entry
		{[]string{"198.51.100.1, 203.0.113.9, 10.1.1.1"}, "203.0.113.9"},        // two trusted hops
		{[]string{"198.51.100.1", "203.0.113.9:1234, 10.1.1.1"}, "203.0.113.9"}, // several lines, port
		{[]string{"junk, [2001:db8::1]:80, fd00::5"}, "2001:db8::1"},
		{[]string{"10.2.2.2, 10.1.1.1"}, "10.0.0.1"}, // only trusted: the peer
	} {
		r := httptest.NewRequest("GET", "/", nil)
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := rightmostUntrusted(r, nil, trusted, "10.0.0.1"); got != c.want {
			t.Errorf("X-Forwarded-For %q: %q, want %q", c.xff, got, c.want)
		}
	}
}
