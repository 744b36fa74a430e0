package caddymodule

import (
	"cmp"
	"net"
	"net/http"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"unsafe"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/jwtgate/jwtgate/throttle"
)

// clientIP is the address the gateway logs and throttles a request by:
// the connection's address or, when the connection comes from one of the
// server's trusted_proxies, the right-most address of its client IP
// headers (X-Forwarded-For by default) that is not a trusted proxy
// itself. Each trusted proxy appends the address it saw, so the entries
// right of the client's own are written by proxies the operator trusts and
// the client cannot choose the result by sending X-Forwarded-For itself.
//
// With trusted_proxies_strict that is Caddy's own client_ip. Without it,
// Caddy takes the left-most entry, which the client writes; the gateway
// then walks the header itself, with the server's trusted ranges.
func clientIP(r *http.Request) string {
	ctx := r.Context()
	ip, _ := caddyhttp.GetVar(ctx, caddyhttp.ClientIPVarKey).(string)
	if trusted, _ := caddyhttp.GetVar(ctx, caddyhttp.TrustedProxyVarKey).(bool); trusted {
		if srv, _ := ctx.Value(caddyhttp.ServerCtxKey).(*caddyhttp.Server); srv != nil && srv.TrustedProxiesStrict == 0 {
			return rightmostUntrusted(r, srv.ClientIPHeaders, trustedRanges(srv, r), remoteIP(r))
		}
	}
	if ip != "" {
		return ip
	}
	return remoteIP(r)
}

// rightmostUntrusted is Caddy's strict client address: the right-most
// address of the headers that is not in trusted, else fallback.
func rightmostUntrusted(r *http.Request, headers []string, trusted []netip.Prefix, fallback string) string {
	if len(headers) == 0 {
		headers = []string{"X-Forwarded-For"}
	}
	for _, name := range headers {
		parts := strings.Split(strings.Join(r.Header.Values(name), ","), ",")
		for _, part := range slices.Backward(parts) {
			host, _, err := net.SplitHostPort(strings.TrimSpace(part))
			if err != nil {
				host = strings.TrimSpace(part)
			}
			host, _, _ = strings.Cut(host, "%")
			ip, err := netip.ParseAddr(host)
			if err != nil {
				continue
			}
			if !slices.ContainsFunc(trusted, func(p netip.Prefix) bool { return p.Contains(ip) }) {
				return ip.String()
			}
		}
	}
	return fallback
}

// trustedRanges returns the server's trusted proxy ranges. Caddy keeps
// its provisioned IPRangeSource in an unexported field (its raw JSON is
// released after provisioning), so it is read by reflection; a Caddy
// version that renames the field fails TestTrustedRangesField. Without
// it, no range is trusted: the right-most entry is taken, which only the
// nearest trusted proxy writes.
func trustedRanges(srv *caddyhttp.Server, r *http.Request) []netip.Prefix {
	f := reflect.ValueOf(srv).Elem().FieldByName("trustedProxies")
	if !f.IsValid() || f.Kind() != reflect.Interface || f.IsNil() {
		return nil
	}
	src, ok := reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Interface().(caddyhttp.IPRangeSource)
	if !ok {
		return nil
	}
	return src.GetIPRanges(r)
}

// clientKey is the throttle and hash-gate key of the request's client:
// its address (clientIP) masked to the configured prefix.
func (a *App) clientKey(r *http.Request) string {
	return throttle.ClientKey(clientIP(r), cmp.Or(a.ClientIPv4Prefix, 32), cmp.Or(a.ClientIPv6Prefix, 64))
}
