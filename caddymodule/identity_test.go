package caddymodule

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/simplejwt"
)

// TestIdentityStrip: every identity header the gateway sets is deleted in
// any case or with '_' for '-', whatever map key it arrived under; other
// headers stay.
func TestIdentityStrip(t *testing.T) {
	app := &App{UsernameHeader: "X-Username", ClaimHeaders: map[string]string{"tenant": "X-Tenant"}}
	ih, err := newIdentityHeaders(app, []string{"tenant"})
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{
		"X-User-Id": {"1"}, "x-user-id": {"2"}, "X_User_Id": {"3"}, "X-USER_ID": {"4"},
		"X-Username": {"root"}, "x_username": {"root"}, "X-Tenant": {"acme"}, "X_TENANT": {"acme"},
		"X-User-Ids": {"keep"}, "X-User.Id": {"keep"}, "X-Usern4me": {"keep"}, "Accept": {"keep"},
	}
	ih.strip(h)
	if len(h) != 4 || h.Get("X-User-Ids") == "" || h["X-User.Id"] == nil || h.Get("X-Usern4me") == "" || h.Get("Accept") == "" {
		t.Errorf("after strip: %v", h)
	}
	if _, err := newIdentityHeaders(&App{UserIDHeader: "authorization"}, nil); err == nil {
		t.Error("an identity header named Authorization was accepted")
	}
}

// TestCleanTrailersAndConnection: the request jwt_auth passes on has no
// trailers, and its Connection header names none of the identity headers
// nor the token header, in any spelling; its other options stay.
func TestCleanTrailersAndConnection(t *testing.T) {
	h, codec := newBenchAuth(t, simplejwt.Required)
	_, access, err := codec.NewPair(int64(1), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r := caddyRequest("GET", map[string]string{"Authorization": "Bearer " + access.Token})
	r.Header["Connection"] = []string{"close, X-User-Id,x_username", "Upgrade ,  X-USERNAME, authorization, Keep-Alive", "X-User-Id"}
	r.Trailer = http.Header{"X-User-Id": {"7"}, "X_User_Id": {"9"}, "X-Username": {"mallory"}}
	next := &recordNext{}
	if err := h.ServeHTTP(httptest.NewRecorder(), r, next); err != nil || next.header == nil {
		t.Fatalf("not passed on: %v", err)
	}
	if r.Trailer != nil {
		t.Errorf("trailers passed on: %v", r.Trailer)
	}
	got := next.header["Connection"]
	if len(got) != 3 || got[0] != "close" || got[1] != "Upgrade, Keep-Alive" || got[2] != "" {
		t.Errorf("Connection = %q", got)
	}
	if next.header.Get("X-User-Id") != "1" || next.header.Get("X-Username") != "siva" || next.header.Get("Authorization") != "" {
		t.Errorf("identity: %v", next.header)
	}

	// An ordinary request (keep-alive, no trailers) is cleaned without an
	// allocation.
	r = caddyRequest("GET", map[string]string{"Connection": "keep-alive", "Accept": "*/*"})
	if n := testing.AllocsPerRun(100, func() { h.app.identity.clean(r) }); n != 0 {
		t.Errorf("clean allocates %v times", n)
	}
	if r.Header.Get("Connection") != "keep-alive" {
		t.Errorf("Connection = %q", r.Header.Get("Connection"))
	}
}

// TestPreflightOverrides: a preflight reaches the next handler without
// token and method-override headers, in any spelling.
func TestPreflightOverrides(t *testing.T) {
	h, _ := newBenchAuth(t, simplejwt.Required)
	r := caddyRequest("OPTIONS", map[string]string{"Origin": "https://app.example", "Access-Control-Request-Method": "DELETE",
		"Authorization": "Bearer garbage", "X-HTTP-Method-Override": "DELETE", "Accept": "*/*"})
	r.Header["X_Http_Method"] = []string{"DELETE"}
	r.Header["x-method-override"] = []string{"DELETE"}
	next := &recordNext{}
	if err := h.ServeHTTP(httptest.NewRecorder(), r, next); err != nil || next.header == nil {
		t.Fatalf("preflight not passed on: %v", err)
	}
	if len(next.header) != 3 || next.header.Get("Accept") != "*/*" {
		t.Errorf("preflight headers passed on: %v", next.header)
	}
	// With a body it is an OPTIONS request like any other: refused.
	r = caddyRequest("OPTIONS", map[string]string{"Origin": "https://app.example", "Access-Control-Request-Method": "DELETE"})
	r.ContentLength = 4
	w := httptest.NewRecorder()
	next = &recordNext{}
	h.ServeHTTP(w, r, next)
	if w.Code != 401 || next.header != nil {
		t.Errorf("OPTIONS with a body: %d, passed on %v", w.Code, next.header != nil)
	}
}

// TestAnonymousMethodOverride: a read let through anonymously by
// read_only reaches the upstream as the GET the policy judged, without the
// headers that would make a framework treat it as a DELETE; an
// authenticated request keeps them. In forward-auth mode, where the front
// proxy forwards the original headers, such a request counts as a POST.
func TestAnonymousMethodOverride(t *testing.T) {
	h, codec := newBenchAuth(t, simplejwt.ReadOnly)
	overrides := map[string]string{"X-HTTP-Method-Override": "DELETE", "Accept": "*/*"}
	r := caddyRequest("GET", overrides)
	r.Header["X_Http_Method"] = []string{"DELETE"}
	next := &recordNext{}
	if err := h.ServeHTTP(httptest.NewRecorder(), r, next); err != nil || next.header == nil {
		t.Fatalf("anonymous GET not passed on: %v", err)
	}
	if len(next.header) != 1 || next.header.Get("Accept") != "*/*" {
		t.Errorf("anonymous GET passed on with %v", next.header)
	}

	_, access, err := codec.NewPair(int64(1), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r = caddyRequest("GET", map[string]string{"X-HTTP-Method-Override": "DELETE", "Authorization": "Bearer " + access.Token})
	next = &recordNext{}
	if err := h.ServeHTTP(httptest.NewRecorder(), r, next); err != nil || next.header.Get("X-HTTP-Method-Override") != "DELETE" {
		t.Errorf("authenticated GET: %v, passed on %v", err, next.header)
	}

	h.ForwardAuth = true
	for _, override := range []string{"X-HTTP-Method-Override", "x_method_override"} {
		r = caddyRequest("GET", map[string]string{"X-Original-Method": "GET"})
		r.Header[override] = []string{"DELETE"}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r, &recordNext{})
		if w.Code != 401 {
			t.Errorf("forward-auth GET with %s and no token: %d, want 401", override, w.Code)
		}
	}
}

// TestUsernameValue: the username header is ASCII, Django's ASCII usernames
// go out unchanged, and Python's urllib.parse.unquote (like Go's
// PathUnescape) gives every username back exactly.
func TestUsernameValue(t *testing.T) {
	for name, want := range map[string]string{
		"siva":            "siva",
		"a.b@c+d-e_f":     "a.b@c+d-e_f",
		"José":            "Jos%C3%A9",
		"ｓｉｖａ":            "%EF%BD%93%EF%BD%89%EF%BD%96%EF%BD%81",
		"50% off":         "50%25%20off",
		"a/b?c,d;e":       "a%2Fb%3Fc%2Cd%3Be",
		"x\r\nX-User-Id:": "x%0D%0AX-User-Id:",
	} {
		got := usernameValue(name)
		if got != want {
			t.Errorf("usernameValue(%q) = %q, want %q", name, got, want)
		}
		for i := 0; i < len(got); i++ {
			if got[i] < 0x21 || got[i] > 0x7e {
				t.Errorf("usernameValue(%q) = %q is not visible ASCII", name, got)
			}
		}
		if back, err := url.PathUnescape(got); err != nil || back != name {
			t.Errorf("PathUnescape(%q) = %q, %v", got, back, err)
		}
	}
	if n := testing.AllocsPerRun(100, func() { usernameValue("siva") }); n != 0 {
		t.Errorf("an ASCII username allocates %v times", n)
	}
}

// TestRequestWaitsForStart: Caddy starts its apps in no fixed order, so
// during a reload jwt_auth may see a request before the jwtgate app's
// Start; the request waits for Start instead of getting a 503, and gets
// the 503 only when Start does not come within db_timeout.
func TestRequestWaitsForStart(t *testing.T) {
	h, codec := newBenchAuth(t, simplejwt.Required)
	app := h.app
	built := app.rt.Load()
	app.rt = new(atomic.Pointer[runtime])
	app.started = make(chan struct{})
	app.cfg.views.DBTimeout = 10 * time.Second
	app.notStarted = simplejwt.ServiceUnavailable(time.Second)
	_, access, err := codec.NewPair(int64(1), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan int)
	go func() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, caddyRequest("GET", map[string]string{"Authorization": "Bearer " + access.Token}), &recordNext{})
		done <- w.Code
	}()
	time.Sleep(50 * time.Millisecond) // the request is waiting
	app.rt.Store(built)
	close(app.started)
	if code := <-done; code != 200 {
		t.Errorf("a request that arrived before Start: %d, want 200 once Start ran", code)
	}

	app.rt = new(atomic.Pointer[runtime])
	app.started = make(chan struct{})
	app.cfg.views.DBTimeout = 10 * time.Millisecond
	w := httptest.NewRecorder()
	h.ServeHTTP(w, caddyRequest("GET", map[string]string{"Authorization": "Bearer " + access.Token}), &recordNext{})
	if w.Code != 503 {
		t.Errorf("no Start within db_timeout: %d, want 503", w.Code)
	}
}
