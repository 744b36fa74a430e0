package userprofiles

// Helpers of the view tests: the real Service and the views of New on a
// simplejwttest.Env, every request through ServeView or ServeExtension.

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/password"
	"github.com/jwtgate/jwtgate/simplejwt"
	sjt "github.com/jwtgate/jwtgate/simplejwt/simplejwttest"
	"github.com/jwtgate/jwtgate/throttle"
)

// tutorialView names one of the package's views in the tests.
type tutorialView string

func (v tutorialView) String() string { return string(v) }

// The package's views, and the simplejwt views the tests use beside them.
const (
	Register tutorialView = "register"
	Users    tutorialView = "users"

	ObtainPair = simplejwt.ObtainPair
	Refresh    = simplejwt.Refresh
	Sessions   = simplejwt.Sessions
)

// vtOptions tunes newViewEnv.
type vtOptions struct {
	Settings simplejwt.Settings
	// ValidatePasswords and CaseSensitive are Config's.
	ValidatePasswords, CaseSensitive bool
	// NoLoad, ByUsername and BusyTimeout are simplejwttest.Options'.
	NoLoad, ByUsername bool
	BusyTimeout        time.Duration
	// Throttle, when set, limits registrations with these limits.
	Throttle *throttle.Config
	// Gate, when set, bounds password hashing.
	Gate *password.Gate
}

// viewEnv is a Service and the package's views on a simplejwttest.Env.
type viewEnv struct {
	*sjt.Env
	svc  *simplejwt.Service
	auth *simplejwt.Authenticator
	ext  map[fmt.Stringer]*simplejwt.Extension
}

// newViewEnv builds the Service and the views on a fresh
// simplejwttest.Env, with Hooks.View and Hooks.LoginFailed recorded.
func newViewEnv(t testing.TB, o vtOptions) *viewEnv {
	t.Helper()
	e := &viewEnv{Env: sjt.New(t, sjt.Options{NoLoad: o.NoLoad, ByUsername: o.ByUsername, BusyTimeout: o.BusyTimeout})}
	var err error
	e.auth, err = simplejwt.NewAuthenticator(e.Codec, e.Users, o.Settings)
	if err != nil {
		t.Fatalf("NewAuthenticator: %v", err)
	}
	var th *throttle.Throttle
	if o.Throttle != nil {
		if th, err = throttle.New(e.Store, *o.Throttle); err != nil {
			t.Fatalf("throttle.New: %v", err)
		}
	}
	e.svc, err = simplejwt.NewService(simplejwt.Config{
		Codec: e.Codec, Store: e.Store, Passwords: e.PW, Users: e.Users, Auth: e.auth,
		Settings: o.Settings, Logger: e.Logger, Now: e.Clock.Now, HashGate: o.Gate, Throttle: th,
		Hooks: simplejwt.Hooks{View: e.RecordView, LoginFailed: e.RecordLoginFailed},
	})
	if err != nil {
		t.Fatalf("NewService: %v", err)
	}
	e.ext = map[fmt.Stringer]*simplejwt.Extension{}
	for _, x := range New(Config{Service: e.svc, Store: e.Store, Passwords: e.PW, Throttle: th, Logger: e.Logger, Now: e.Clock.Now,
		ValidatePasswords: o.ValidatePasswords, CaseSensitive: o.CaseSensitive}) {
		e.ext[tutorialView(x.Name)] = x
	}
	return e
}

// handler answers with the view v: one of the package's or of simplejwt's.
func (e *viewEnv) handler(v fmt.Stringer) (allow string, h http.HandlerFunc) {
	if x := e.ext[v]; x != nil {
		return x.Method + ", OPTIONS", func(w http.ResponseWriter, r *http.Request) { e.svc.ServeExtension(x, w, r) }
	}
	allow = "POST, OPTIONS"
	if v == Sessions {
		allow = "GET, OPTIONS"
	}
	return allow, func(w http.ResponseWriter, r *http.Request) { e.svc.ServeView(v.(simplejwt.View), w, r) }
}

// serve runs one request with simplejwttest.Env.Serve's checks; it must
// not run concurrently with other requests of e.
func (e *viewEnv) serve(v fmt.Stringer, r *http.Request) sjt.Resp {
	e.T.Helper()
	allow, h := e.handler(v)
	return e.Serve(v.String(), allow, h, r)
}

// serveRaw runs one request and checks the headers, without looking at
// Hooks.View; safe for concurrent use.
func (e *viewEnv) serveRaw(v fmt.Stringer, r *http.Request) sjt.Resp {
	e.T.Helper()
	allow, h := e.handler(v)
	return e.ServeRaw(v.String(), allow, h, r)
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
