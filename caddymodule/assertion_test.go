package caddymodule

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtgate/jwtgate/simplejwt"
	"github.com/jwtgate/jwtgate/token"
)

// newAssertingAuth is newBenchAuth with an ES256 key "assert" beside the
// HMAC signing key, and identity_assertion configured on the handler.
func newAssertingAuth(tb testing.TB, c AssertionConfig) (*Auth, *token.Codec, *ecdsa.PublicKey, error) {
	tb.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	cfg := token.DefaultConfig()
	cfg.Keys = []token.Key{
		{ID: "hmac", Algorithm: "HS256", SigningKey: []byte(benchKey), Signs: true, VerifiesWithoutKID: true},
		{ID: "assert", Algorithm: "ES256", SigningKey: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})},
	}
	h, codec := newBenchAuthWith(tb, simplejwt.Required, cfg)
	h.IdentityAssertion = &c
	return h, codec, &k.PublicKey, h.provisionAssertion()
}

// TestAuthAssertion: the handler sets a verifiable assertion of the user
// and token, replaces one the client sent (in any spelling), reuses it for
// the same token, and hands it to the front proxy in forward-auth mode.
func TestAuthAssertion(t *testing.T) {
	h, codec, pub, err := newAssertingAuth(t, AssertionConfig{Header: "X-Jwtgate-Assertion", Audience: "movieapi", Key: "assert"})
	if err != nil {
		t.Fatal(err)
	}
	_, access, err := codec.NewPair(int64(1), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	serve := func(hdr map[string]string) http.Header {
		next := &recordNext{}
		if err := h.ServeHTTP(httptest.NewRecorder(), caddyRequest("GET", hdr), next); err != nil {
			t.Fatal(err)
		}
		return next.header
	}
	got := serve(map[string]string{"Authorization": "Bearer " + access.Token, "X-Jwtgate-Assertion": "forged", "X_jwtgate_assertion": "forged"})
	if len(got["X-Jwtgate-Assertion"]) != 1 || len(got["X_jwtgate_assertion"]) != 0 {
		t.Fatalf("upstream headers %v", got)
	}
	a := got.Get("X-Jwtgate-Assertion")
	if !strings.Contains(string(codec.JWKS()), `"kid":"assert"`) {
		t.Fatalf("the assertion key is not published: %s", codec.JWKS())
	}
	claims := jwt.MapClaims{}
	tok, err := jwt.ParseWithClaims(a, claims, func(*jwt.Token) (any, error) { return pub, nil },
		jwt.WithValidMethods([]string{"ES256"}), jwt.WithAudience("movieapi"), jwt.WithExpirationRequired())
	if err != nil || tok.Header["kid"] != "assert" {
		t.Fatalf("assertion does not verify: %v %v", err, tok.Header)
	}
	if claims["sub"] != "1" || claims["username"] != "siva" || claims["jti"] != access.JTI || claims["token_type"] != "identity" {
		t.Errorf("claims %v", claims)
	}
	// A Connection header naming it cannot make the proxy drop the
	// gateway's assertion, and a trailer cannot carry one.
	r := caddyRequest("GET", map[string]string{"Authorization": "Bearer " + access.Token})
	r.Header["Connection"] = []string{"keep-alive, x_jwtgate_assertion, X-JWTGATE-ASSERTION"}
	r.Trailer = http.Header{"X-Jwtgate-Assertion": {"forged"}}
	next := &recordNext{}
	if err := h.ServeHTTP(httptest.NewRecorder(), r, next); err != nil {
		t.Fatal(err)
	}
	if c := next.header["Connection"]; len(c) != 1 || c[0] != "keep-alive" || r.Trailer != nil || next.header.Get("X-Jwtgate-Assertion") != a {
		t.Errorf("Connection %q, trailers %v, assertion kept %v", c, r.Trailer, next.header.Get("X-Jwtgate-Assertion") == a)
	}
	// Reused for the same token; a client without a token gets none.
	if again := serve(map[string]string{"Authorization": "Bearer " + access.Token}).Get("X-Jwtgate-Assertion"); again != a {
		t.Error("the assertion was made again for the same token")
	}
	h.Policy, h.policy = "optional", simplejwt.Optional
	if anon := serve(map[string]string{"X-Jwtgate-Assertion": a}); len(anon["X-Jwtgate-Assertion"]) != 0 {
		t.Error("an anonymous request passed a client's assertion on")
	}
	// Forward auth: the assertion is among the headers to copy.
	h.ForwardAuth = true
	w := httptest.NewRecorder()
	r = caddyRequest("GET", map[string]string{"Authorization": "Bearer " + access.Token, "X-Original-Method": "GET"})
	if err := h.ServeHTTP(w, r, caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error { return nil })); err != nil || w.Code != 200 {
		t.Fatalf("forward auth: %v %d", err, w.Code)
	}
	if w.Header().Get("X-Jwtgate-Assertion") != a {
		t.Errorf("forward auth answer lacks the assertion: %v", w.Header())
	}
}

// TestAssertionRefusals: an HMAC key, an unknown kid, the access tokens'
// audience and an identity header's name refuse the config with a reason.
func TestAssertionRefusals(t *testing.T) {
	for _, c := range []struct {
		cfg  AssertionConfig
		want string
	}{
		{AssertionConfig{Header: "X-A", Audience: "up"}, "HMAC"},
		{AssertionConfig{Header: "X-A", Audience: "up", Key: "hmac"}, "HMAC"},
		{AssertionConfig{Header: "X-A", Audience: "up", Key: "nope"}, "not a key of the set"},
		{AssertionConfig{Header: "x-user-id", Audience: "up", Key: "assert"}, "already an identity header"},
		{AssertionConfig{Header: "Authorization", Audience: "up", Key: "assert"}, "token header"},
		{AssertionConfig{Header: "X A", Audience: "up", Key: "assert"}, "not a valid header name"},
		{AssertionConfig{Header: "X-A", Audience: "up", Key: "assert", Lifetime: 1}, "lifetime"},
	} {
		if _, _, _, err := newAssertingAuth(t, c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.cfg, err, c.want)
		}
	}
}

// BenchmarkAuthAssertion is BenchmarkAuthHandler's valid case with the
// identity assertion on: the cost of the cached assertion per request.
func BenchmarkAuthAssertion(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := "off"
		if on {
			name = "on"
		}
		b.Run(name, func(b *testing.B) {
			h, codec, _, err := newAssertingAuth(b, AssertionConfig{Header: "X-Jwtgate-Assertion", Audience: "movieapi", Key: "assert"})
			if err != nil {
				b.Fatal(err)
			}
			if !on {
				h.assertion = nil
			}
			_, access, _ := codec.NewPair(int64(1), time.Now())
			next := &recordNext{}
			w := discardWriter{h: http.Header{}}
			r := caddyRequest("GET", map[string]string{"Authorization": "Bearer " + access.Token, "Accept": "*/*"})
			authz := r.Header["Authorization"]
			vars := r.Context().Value(caddyhttp.VarsCtxKey).(map[string]any)
			b.ReportAllocs()
			for b.Loop() {
				r.Header["Authorization"] = authz
				delete(vars, authVar)
				h.ServeHTTP(w, r, next)
			}
		})
	}
}
