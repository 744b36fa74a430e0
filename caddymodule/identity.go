package caddymodule

import (
	"cmp"
	"fmt"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"github.com/caddyserver/caddy/v2"
	"golang.org/x/net/http/httpguts"

	"github.com/jwtgate/jwtgate/simplejwt"
)

// This file owns what the upstream of a jwt_auth route learns about the
// user: the identity headers jwtgate sets, and everything a client could
// use to pass its own identity, or to remove the gateway's, around them.

// identityHeaders are the request headers jwtgate sets for the upstream,
// and deletes from every incoming request.
type identityHeaders struct {
	userID   string
	username string
	claims   []string // header per token.Config.ExtraClaims entry
	all      []string // canonical names of every header above
	token    string   // canonical name of the header tokens come in
}

func newIdentityHeaders(a *App, extraClaims []string) (identityHeaders, error) {
	h := identityHeaders{userID: cmp.Or(a.UserIDHeader, "X-User-Id"), username: a.UsernameHeader,
		token: simplejwt.HeaderName(a.AuthHeaderName)}
	for _, c := range extraClaims {
		h.claims = append(h.claims, a.ClaimHeaders[c])
	}
	for _, n := range append([]string{h.userID, h.username}, h.claims...) {
		if n == "" {
			continue
		}
		if !httpguts.ValidHeaderFieldName(n) {
			return h, fmt.Errorf("%q is not a valid header name", n)
		}
		if err := h.add(n); err != nil {
			return h, err
		}
	}
	h.userID, h.username = textproto.CanonicalMIMEHeaderKey(h.userID), textproto.CanonicalMIMEHeaderKey(h.username)
	for i, c := range h.claims {
		h.claims[i] = textproto.CanonicalMIMEHeaderKey(c)
	}
	return h, nil
}

// add adds a header to those stripped from every request (the identity
// assertion's header joins them so), refusing one that would overwrite
// the token header.
func (ih *identityHeaders) add(name string) error {
	c := textproto.CanonicalMIMEHeaderKey(name)
	if strings.EqualFold(c, "Authorization") || strings.EqualFold(c, ih.token) {
		return fmt.Errorf("the identity header %q would overwrite the token header", name)
	}
	if !slices.Contains(ih.all, c) {
		ih.all = append(ih.all, c)
	}
	return nil
}

// clean makes r carry no identity but the one jwt_auth is about to set:
// it deletes the identity headers (strip), drops the request's trailers,
// which some upstreams merge into the headers (Apache's MergeTrailers) and
// reverse_proxy forwards, and takes the identity headers and the token
// header out of the Connection header, whose names the proxy would
// otherwise delete after jwt_auth set them.
func (ih *identityHeaders) clean(r *http.Request) {
	ih.strip(r.Header)
	r.Trailer = nil
	if vals, ok := r.Header["Connection"]; ok {
		ih.cleanConnection(vals)
	}
}

// cleanConnection removes from each Connection header value the options
// that name an identity header or the token header, keeping the others
// (close, keep-alive, Upgrade …) in order.
func (ih *identityHeaders) cleanConnection(vals []string) {
	for i, v := range vals {
		if !ih.namesOwn(v) {
			continue
		}
		var kept []string
		for opt := range strings.SplitSeq(v, ",") {
			if opt = textproto.TrimString(opt); opt != "" && !ih.owns(opt) {
				kept = append(kept, opt)
			}
		}
		vals[i] = strings.Join(kept, ", ")
	}
}

// namesOwn reports whether a Connection header value names an identity
// header or the token header, without allocating.
func (ih *identityHeaders) namesOwn(v string) bool {
	for v != "" {
		var opt string
		opt, v, _ = strings.Cut(v, ",")
		if ih.owns(textproto.TrimString(opt)) {
			return true
		}
	}
	return false
}

// owns reports whether name is an identity header or the token header, in
// any case or spelling.
func (ih *identityHeaders) owns(name string) bool {
	return sameHeader(name, ih.token) || anySameHeader(ih.all, name)
}

// anySameHeader reports whether name is one of names, by sameHeader.
func anySameHeader(names []string, name string) bool {
	for _, n := range names {
		if sameHeader(name, n) {
			return true
		}
	}
	return false
}

// strip deletes every identity header from h, whatever its case and
// however often it was sent, including spellings with underscores, which
// some upstreams (WSGI, CGI) read as the same header.
func (ih *identityHeaders) strip(h http.Header) { stripHeaders(h, ih.all) }

// methodOverrides are the headers with which frameworks let a request
// stand for another method (Rails, Symfony, Express's method-override,
// Django middlewares). A request jwt_auth lets through without a user (a
// CORS preflight, a read on a read_only route) must reach the upstream as
// the method the policy judged; in forward-auth mode, where the gateway
// cannot remove them, a request carrying one counts as a POST.
var methodOverrides = []string{"X-Http-Method-Override", "X-Http-Method", "X-Method-Override"}

// stripHeaders deletes the canonical names from h, and every spelling of
// them that differs only in case or in '_' for '-'.
func stripHeaders(h http.Header, names []string) {
	for k := range h {
		if anySameHeader(names, k) {
			delete(h, k)
		}
	}
}

// hasHeader reports whether h has one of the canonical names, in any
// spelling stripHeaders removes.
func hasHeader(h http.Header, names []string) bool {
	for k := range h {
		if anySameHeader(names, k) {
			return true
		}
	}
	return false
}

// sameHeader compares header names ignoring case and treating '_' as '-'.
func sameHeader(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == '_' {
			x = '-'
		}
		if y == '_' {
			y = '-'
		}
		if x|0x20 != y|0x20 || (x != y && !isLetter(x)) {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// setIdentity tells the upstream, and later handlers, who the user is.
// The username header carries the username percent-encoded as UTF-8
// (usernameValue); the {http.auth.user.username} placeholder holds it as
// it is. The header values and both placeholders live in one
// requestIdentity, so a request costs one allocation for them (and one per
// extra claim header).
func (a *App) setIdentity(r *http.Request, id *simplejwt.Identity) {
	ri := &requestIdentity{username: id.User.Username}
	ri.values[0] = ri.formatID(id.User.ID)
	h := r.Header
	h[a.identity.userID] = ri.values[0:1:1]
	if a.identity.username != "" {
		ri.values[1] = usernameValue(id.User.Username)
		h[a.identity.username] = ri.values[1:2:2]
	}
	for i, name := range a.identity.claims {
		if v := id.Claims[i]; v != "" {
			h[name] = []string{v}
		}
	}
	if repl, ok := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer); ok {
		// Pointer-shaped Stringers: put in an interface without a copy.
		repl.Set("http.auth.user.id", userIDPlaceholder{ri})
		repl.Set("http.auth.user.username", usernamePlaceholder{ri})
	}
}

// requestIdentity is what setIdentity hands out for one request: the
// header values (user id, username header) and the raw username. It is
// never changed after setIdentity returns.
type requestIdentity struct {
	values   [2]string
	username string
	digits   [20]byte // the user id's decimal digits
}

// formatID is strconv.FormatInt into ri's own bytes, which nothing writes
// again, so the string needs no allocation of its own.
func (ri *requestIdentity) formatID(id int64) string {
	b := strconv.AppendInt(ri.digits[:0], id, 10)
	return unsafe.String(&b[0], len(b))
}

// userIDPlaceholder and usernamePlaceholder are the values of the
// {http.auth.user.id} and {http.auth.user.username} placeholders (Caddy's
// replacer prints a fmt.Stringer with its String method).
type (
	userIDPlaceholder   struct{ *requestIdentity }
	usernamePlaceholder struct{ *requestIdentity }
)

func (p userIDPlaceholder) String() string   { return p.values[0] }
func (p usernamePlaceholder) String() string { return p.username }

// usernameValue is the username_header value of a username (see
// App.UsernameHeader); one that needs no escape costs no allocation.
func usernameValue(name string) string { return url.PathEscape(name) }
