package caddymodule

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/jwtgate/jwtgate/simplejwt"
)

// placeholders returns the request's {http.auth.jwt.outcome} and
// {http.auth.jwt.reason}.
func placeholders(repl *caddy.Replacer) (outcome, reason string) {
	outcome, _ = repl.GetString("http.auth.jwt.outcome")
	reason, _ = repl.GetString("http.auth.jwt.reason")
	return outcome, reason
}

// authCount is jwtgate_auth_requests_total{outcome,reason} as a scrape
// would read it.
func authCount(t *testing.T, m *metrics, outcome, reason string) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(m.auth)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		for _, s := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range s.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["outcome"] == outcome && labels["reason"] == reason {
				return s.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// TestAuthRefusalVisible: a refusal reaches a debug log line (outcome,
// reason, client_ip, route; never the token), the placeholders and the
// counter's reason label, and the answer stays simplejwt's body; an
// accepted request sets the outcome with an empty reason and logs nothing.
func TestAuthRefusalVisible(t *testing.T) {
	h, codec := newBenchAuth(t, simplejwt.Required)
	core, logs := observer.New(zapcore.DebugLevel)
	h.logger = zap.New(core)
	_, expired, err := codec.NewPair(int64(1), time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	before := authCount(t, h.app.metrics, "token_invalid", "expired")

	r := caddyRequest("GET", map[string]string{"Authorization": "Bearer " + expired.Token})
	r.URL.Path = "/movieapi/\n\x1b[31mforged"
	w := httptest.NewRecorder()
	next := &recordNext{}
	if err := h.ServeHTTP(w, r, next); err != nil || next.header != nil {
		t.Fatalf("ServeHTTP: %v, next called %v", err, next.header != nil)
	}
	const body = `{"detail":"Given token not valid for any token type","code":"token_not_valid","messages":[{"token_class":"AccessToken","token_type":"access","message":"Token is invalid or expired"}]}`
	if w.Code != 401 || w.Body.String() != body || w.Header().Get("Www-Authenticate") != `Bearer realm="api"` {
		t.Errorf("answer: %d %v %s", w.Code, w.Header(), w.Body)
	}
	repl := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
	if o, why := placeholders(repl); o != "token_invalid" || why != "expired" {
		t.Errorf("placeholders: outcome %q reason %q", o, why)
	}
	if got := authCount(t, h.app.metrics, "token_invalid", "expired") - before; got != 1 {
		t.Errorf("jwtgate_auth_requests_total{outcome=token_invalid,reason=expired} grew by %v", got)
	}
	entries := logs.AllUntimed()
	if len(entries) != 1 {
		t.Fatalf("%d log entries: %v", len(entries), entries)
	}
	e := entries[0]
	fields := e.ContextMap()
	if e.Level != zapcore.DebugLevel || e.Message != "request refused" || fields["outcome"] != "token_invalid" ||
		fields["reason"] != "expired" || fields["client_ip"] != "192.0.2.1" || fields["route"] != `/movieapi/\n\x1b[31mforged` {
		t.Errorf("log entry: %s %q %v", e.Level, e.Message, fields)
	}
	for _, f := range e.Context {
		if strings.Contains(f.String, expired.Token[len(expired.Token)-20:]) {
			t.Errorf("field %s carries the token", f.Key)
		}
	}

	// Accepted: outcome authenticated, reason empty, no log line.
	_, access, err := codec.NewPair(int64(1), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r = caddyRequest("GET", map[string]string{"Authorization": "Bearer " + access.Token})
	w = httptest.NewRecorder()
	if err := h.ServeHTTP(w, r, &recordNext{}); err != nil {
		t.Fatal(err)
	}
	repl = r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
	if o, why := placeholders(repl); o != "authenticated" || why != "" {
		t.Errorf("accepted: outcome %q reason %q", o, why)
	}
	if n := logs.Len(); n != 1 {
		t.Errorf("an accepted request logged: %v", logs.AllUntimed()[1:])
	}
}

// TestAuthCaddyErrors: with errors caddy a refusal is a Caddy handler
// error with the status, for handle_errors; nothing is written but the
// challenge header.
func TestAuthCaddyErrors(t *testing.T) {
	h, _ := newBenchAuth(t, simplejwt.Required)
	h.caddyErrors = true
	r := caddyRequest("POST", map[string]string{"Authorization": "Bearer not.a.token"})
	w := httptest.NewRecorder()
	err := h.ServeHTTP(w, r, &recordNext{})
	var he caddyhttp.HandlerError
	if !errors.As(err, &he) || he.StatusCode != 401 || !strings.Contains(he.Err.Error(), "token_invalid") {
		t.Fatalf("error %#v", err)
	}
	if w.Body.Len() != 0 || w.Header().Get("Www-Authenticate") != `Bearer realm="api"` {
		t.Errorf("written: %v %q", w.Header(), w.Body)
	}
	repl := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
	if o, why := placeholders(repl); o != "token_invalid" || why == "" || why == "token_invalid" {
		t.Errorf("placeholders: outcome %q reason %q", o, why)
	}
}

// TestAuthAcceptedAllocs: reporting the outcome adds no allocation to
// the accepted path (the replacer's values are boxed once).
func TestAuthAcceptedAllocs(t *testing.T) {
	h, codec := newBenchAuth(t, simplejwt.Required)
	_, access, err := codec.NewPair(int64(1), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r := caddyRequest("GET", map[string]string{"Authorization": "Bearer " + access.Token})
	h.ServeHTTP(discardWriter{h: map[string][]string{}}, r, &recordNext{})
	if n := testing.AllocsPerRun(100, func() { h.report(r, simplejwt.Authenticated, "") }); n != 0 {
		t.Errorf("report allocates %v times per accepted request", n)
	}
}

// TestVerdictsBounded: the outcome/reason pairs, and so the metric's label
// sets, stop growing at maxVerdicts.
func TestVerdictsBounded(t *testing.T) {
	var v verdicts
	v.init(newMetrics().auth)
	for i := range 2 * maxVerdicts {
		v.get(simplejwt.TokenInvalid, "r"+strings.Repeat("x", i))
	}
	if len(v.by) > maxVerdicts+1 {
		t.Errorf("%d verdicts", len(v.by))
	}
	if d := v.get(simplejwt.TokenInvalid, "never-seen"); d.reason != "other" {
		t.Errorf("past the bound: reason %q", d.reason)
	}
}
