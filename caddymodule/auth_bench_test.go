package caddymodule

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/jwtgate/jwtgate/simplejwt"
	"github.com/jwtgate/jwtgate/store"
	"github.com/jwtgate/jwtgate/token"
	"github.com/jwtgate/jwtgate/userindex"
)

const benchKey = "bench-signing-key-0123456789abcdef0123456789abcdef"

// newBenchAuth builds a jwt_auth handler on an App wired by hand (no
// store: the Bearer check never touches it).
func newBenchAuth(tb testing.TB, policy simplejwt.Policy) (*Auth, *token.Codec) {
	cfg := token.DefaultConfig()
	cfg.SigningKey = []byte(benchKey)
	return newBenchAuthWith(tb, policy, cfg)
}

// newBenchAuthWith is newBenchAuth with the codec of cfg.
func newBenchAuthWith(tb testing.TB, policy simplejwt.Policy, cfg token.Config) (*Auth, *token.Codec) {
	tb.Helper()
	codec, err := token.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	users := userindex.New(false)
	users.Reset([]store.UserState{{ID: 1, Username: "siva", IsActive: true}, {ID: 2, Username: "bob", IsActive: false}})
	auth, err := simplejwt.NewAuthenticator(codec, users, simplejwt.Settings{})
	if err != nil {
		tb.Fatal(err)
	}
	m, _ := registerMetrics(nil)
	app := &App{metrics: m, UsernameHeader: "X-Username", rt: new(atomic.Pointer[runtime]),
		codec: codec, cfg: settings{token: codec.Config()}}
	app.rt.Store(&runtime{codec: codec, auth: auth})
	if app.identity, err = newIdentityHeaders(app, nil); err != nil {
		tb.Fatal(err)
	}
	return &Auth{app: app, policy: policy, logger: zap.NewNop()}, codec
}

// caddyRequest is a request with the context Caddy's server gives every
// request: the replacer and the vars map.
func caddyRequest(method string, headers map[string]string) *http.Request {
	r := httptest.NewRequest(method, "/movieapi/movie/", nil)
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	ctx := context.WithValue(r.Context(), caddy.ReplacerCtxKey, caddy.NewReplacer())
	ctx = context.WithValue(ctx, caddyhttp.VarsCtxKey, map[string]any{})
	return r.WithContext(ctx)
}

// discardWriter is a ResponseWriter that keeps nothing but its header map.
type discardWriter struct{ h http.Header }

func (d discardWriter) Header() http.Header         { return d.h }
func (d discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d discardWriter) WriteHeader(int)             {}

type recordNext struct{ header http.Header }

func (n *recordNext) ServeHTTP(w http.ResponseWriter, r *http.Request) error {
	n.header = r.Header
	return nil
}

// TestAuthHandler: the handler strips spoofed identity headers, sets the
// real ones and removes the token; a stacked second handler trusts the
// first and does not strip what it set.
func TestAuthHandler(t *testing.T) {
	h, codec := newBenchAuth(t, simplejwt.Required)
	_, access, err := codec.NewPair(int64(1), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r := caddyRequest("GET", map[string]string{"Authorization": "Bearer " + access.Token, "X-User-Id": "99", "X_Username": "root"})
	next := &recordNext{}
	w := httptest.NewRecorder()
	if err := h.ServeHTTP(w, r, next); err != nil {
		t.Fatal(err)
	}
	got := next.header
	if got == nil || got.Get("X-User-Id") != "1" || got.Get("X-Username") != "siva" || got.Get("Authorization") != "" || len(got["X_Username"]) != 0 {
		t.Fatalf("upstream headers: %v", got)
	}
	repl := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
	if id, _ := repl.GetString("http.auth.user.id"); id != "1" {
		t.Errorf("{http.auth.user.id} = %q", id)
	}
	// A second, stacked handler keeps the identity the first one set.
	second, _ := newBenchAuth(t, simplejwt.Required)
	next2 := &recordNext{}
	if err := second.ServeHTTP(httptest.NewRecorder(), r, next2); err != nil || next2.header.Get("X-User-Id") != "1" {
		t.Errorf("stacked handler: %v, X-User-Id %q", err, next2.header.Get("X-User-Id"))
	}
	// Anonymous on a required route: 401 and next is not called.
	r = caddyRequest("GET", map[string]string{"X-User-Id": "1"})
	next = &recordNext{}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r, next)
	if w.Code != 401 || next.header != nil {
		t.Errorf("anonymous: %d, next called %v", w.Code, next.header != nil)
	}
}

// BenchmarkAuthHandler is the whole jwt_auth handler per request: strip,
// verify, look up, set the identity headers and placeholders.
func BenchmarkAuthHandler(b *testing.B) {
	h, codec := newBenchAuth(b, simplejwt.Required)
	_, access, err := codec.NewPair(int64(1), time.Now())
	if err != nil {
		b.Fatal(err)
	}
	_, expired, err := codec.NewPair(int64(1), time.Now().Add(-time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, header string }{
		{"valid", "Bearer " + access.Token},
		{"expired", "Bearer " + expired.Token},
		{"garbage", "Bearer garbage"},
	} {
		b.Run(c.name, func(b *testing.B) {
			next := &recordNext{}
			w := discardWriter{h: http.Header{}}
			// One request, put back as Caddy would hand it over before each
			// iteration: the handler removes the token, sets the identity
			// headers and marks the request's vars.
			r := caddyRequest("GET", map[string]string{"Authorization": c.header, "Accept": "*/*", "User-Agent": "bench",
				"Accept-Encoding": "gzip", "X-Forwarded-For": "192.0.2.1"})
			authz := r.Header["Authorization"]
			vars := r.Context().Value(caddyhttp.VarsCtxKey).(map[string]any)
			b.ReportAllocs()
			for b.Loop() {
				r.Header["Authorization"] = authz
				delete(r.Header, "X-User-Id")
				delete(r.Header, "X-Username")
				delete(vars, authVar)
				clear(w.h)
				h.ServeHTTP(w, r, next)
			}
		})
	}
}
