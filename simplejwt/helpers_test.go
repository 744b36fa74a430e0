package simplejwt

// Helpers of the view tests (views_test.go, unavailable_test.go, …), over
// package simplejwttest: every view test runs the real Service on
// simplejwttest's Env and goes through Service.ServeView.

import (
	"net/http"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/password"
	sjt "github.com/jwtgate/jwtgate/simplejwt/simplejwttest"
	"github.com/jwtgate/jwtgate/throttle"
)

// vtAllow is the Allow header of each view, as the reference sends it.
var vtAllow = map[View]string{
	LogoutAll:  "POST, OPTIONS",
	Sessions:   "GET, OPTIONS",
	ObtainPair: "POST, OPTIONS",
	Refresh:    "POST, OPTIONS",
	Verify:     "POST, OPTIONS",
	Blacklist:  "POST, OPTIONS",
}

// vtOptions tunes newViewEnv.
type vtOptions struct {
	Settings Settings
	// Watch, NoLoad, ByUsername, BusyTimeout and RevokeClaim are
	// simplejwttest.Options'. ByUsername builds the authenticator for
	// UserIDField "username" too (set Settings.UserIDField).
	Watch, NoLoad, ByUsername bool
	BusyTimeout               time.Duration
	RevokeClaim               string
	// Throttle, when set, limits failed logins with these limits.
	Throttle *throttle.Config
	// Gate, when set, bounds password hashing.
	Gate *password.Gate
}

// viewEnv is a Service on a simplejwttest.Env.
type viewEnv struct {
	*sjt.Env
	svc  *Service
	auth *Authenticator
}

// newViewEnv builds the Service on a fresh simplejwttest.Env, with
// Hooks.View and Hooks.LoginFailed recorded.
func newViewEnv(t *testing.T, o vtOptions) *viewEnv {
	t.Helper()
	e := &viewEnv{Env: sjt.New(t, sjt.Options{Watch: o.Watch, NoLoad: o.NoLoad, ByUsername: o.ByUsername,
		BusyTimeout: o.BusyTimeout, RevokeClaim: o.RevokeClaim})}
	var err error
	e.auth, err = NewAuthenticator(e.Codec, e.Users, o.Settings)
	if err != nil {
		t.Fatalf("NewAuthenticator: %v", err)
	}
	var th *throttle.Throttle
	if o.Throttle != nil {
		if th, err = throttle.New(e.Store, *o.Throttle); err != nil {
			t.Fatalf("throttle.New: %v", err)
		}
	}
	e.svc, err = NewService(Config{
		Throttle: th,
		HashGate: o.Gate,
		Codec:    e.Codec, Store: e.Store, Passwords: e.PW, Users: e.Users, Auth: e.auth,
		Settings: o.Settings,
		Logger:   e.Logger,
		Now:      e.Clock.Now,
		Hooks:    Hooks{View: e.RecordView, LoginFailed: e.RecordLoginFailed},
	})
	if err != nil {
		t.Fatalf("NewService: %v", err)
	}
	return e
}

// serve runs one request through ServeView with simplejwttest.Env.Serve's
// checks; it must not run concurrently with other requests of e.
func (e *viewEnv) serve(v View, r *http.Request) sjt.Resp {
	e.T.Helper()
	return e.Serve(v.String(), vtAllow[v], func(w http.ResponseWriter, r *http.Request) { e.svc.ServeView(v, w, r) }, r)
}

// serveRaw runs one request and checks the headers, without looking at
// Hooks.View; safe for concurrent use.
func (e *viewEnv) serveRaw(v View, r *http.Request) sjt.Resp {
	e.T.Helper()
	return e.ServeRaw(v.String(), vtAllow[v], func(w http.ResponseWriter, r *http.Request) { e.svc.ServeView(v, w, r) }, r)
}

// login obtains a pair through the obtain view; it resets the hash count.
func (e *viewEnv) login(username, pw string) (refresh, access string) {
	e.T.Helper()
	res := e.serve(ObtainPair, sjt.JSON(sjt.Obj("username", username, "password", pw)))
	if res.Code != http.StatusOK {
		e.T.Fatalf("login %s: %d %s", username, res.Code, res.Body)
	}
	m := sjt.Strings(e.T, res.Body)
	e.HashCount()
	return m["refresh"], m["access"]
}
