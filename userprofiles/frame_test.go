package userprofiles

// The tests of the views' frame and faults, moved from simplejwt with the
// views: what simplejwt's view tests check for its own views, checked for
// register and users.

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/password"
	"github.com/jwtgate/jwtgate/simplejwt"
	sjt "github.com/jwtgate/jwtgate/simplejwt/simplejwttest"
	"github.com/jwtgate/jwtgate/throttle"
)

// vtMetadata is what the reference answers to OPTIONS on each view
// (recorded from django_ref with DRF 3.14 / simplejwt 5.2.2).
var vtMetadata = map[tutorialView]string{
	Register: `{"name":"Registration View","description":"","renders":["application/json","text/html"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"]}`,
	Users:    `{"name":"User List View","description":"","renders":["application/json","text/html"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"]}`,
}

// TestViewsCommon: what DRF does the same way on every view: OPTIONS
// metadata, 405 with Allow, 406, 415, 413, the DRF headers, and exactly
// one Hooks.View call per request (checked by serve).
func TestViewsCommon(t *testing.T) {
	e := newViewEnv(t, vtOptions{Settings: simplejwt.Settings{MaxBodyBytes: 1024}})
	_, access := e.login(sjt.Siva, sjt.SivaPassword)
	auth := func(v tutorialView, r *http.Request) *http.Request {
		if v == Users {
			return sjt.Bearer(r, access)
		}
		return r
	}
	for _, v := range []tutorialView{Register, Users} {
		t.Run(v.String(), func(t *testing.T) {
			e.serve(v, auth(v, sjt.Req(http.MethodOptions))).Want(t, "OPTIONS", http.StatusOK, vtMetadata[v])
			// OPTIONS with a body and a Content-Type nobody parses: the
			// body is not read.
			r := sjt.WithBody(http.MethodOptions, "text/plain", "hello")
			e.serve(v, auth(v, r)).Want(t, "OPTIONS with a body", http.StatusOK, vtMetadata[v])

			wrong := http.MethodGet
			if v == Users {
				wrong = http.MethodPut
			}
			e.serve(v, auth(v, sjt.Req(wrong))).Want(t, wrong, http.StatusMethodNotAllowed, `{"detail":"Method \"`+wrong+`\" not allowed."}`)
			e.serve(v, auth(v, sjt.Req("patch"))).Want(t, "lower-case patch", http.StatusMethodNotAllowed, `{"detail":"Method \"PATCH\" not allowed."}`)

			if v == Users { // no body read
				return
			}
			r = auth(v, sjt.JSON(`{}`))
			r.Header.Set("Accept", "application/xml")
			e.serve(v, r).Want(t, "Accept: application/xml", http.StatusNotAcceptable, `{"detail":"Could not satisfy the request Accept header."}`)
			r = sjt.WithBody(http.MethodPost, "text/plain", "username=siva")
			r.Header.Set("Accept", "application/xml")
			e.serve(v, r).Want(t, "406 before 415", http.StatusNotAcceptable, `{"detail":"Could not satisfy the request Accept header."}`)
			for _, accept := range []string{"*/*", "application/json", "text/html;q=0.5, application/json", "text/html"} {
				r = sjt.JSON(`[]`)
				r.Header.Set("Accept", accept)
				e.serve(v, r).Want(t, "Accept: "+accept, http.StatusBadRequest, `{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}`)
			}

			e.serve(v, sjt.WithBody(http.MethodPost, "text/plain", "x")).Want(t, "text/plain", http.StatusUnsupportedMediaType, `{"detail":"Unsupported media type \"text/plain\" in request."}`)
			e.serve(v, sjt.WithBody(http.MethodPost, "", "x")).Want(t, "no Content-Type", http.StatusUnsupportedMediaType, `{"detail":"Unsupported media type \"\" in request."}`)
			e.serve(v, sjt.JSON(`{"username": }`)).Want(t, "malformed JSON", http.StatusBadRequest, `{"detail":"JSON parse error - Expecting value: line 1 column 14 (char 13)"}`)

			big := `{"pad":"` + strings.Repeat("x", 2000) + `"}`
			e.serve(v, sjt.JSON(big)).Want(t, "large body", http.StatusRequestEntityTooLarge, `{"detail":"Request body exceeds the limit of 1024 bytes."}`)
			r = sjt.WithBody(http.MethodPost, "application/json", "")
			r.Body = io.NopCloser(sjt.Chunked{Reader: strings.NewReader(big)})
			r.ContentLength = -1
			e.serve(v, r).Want(t, "large chunked body", http.StatusRequestEntityTooLarge, `{"detail":"Request body exceeds the limit of 1024 bytes."}`)
		})
	}
	if n := e.HashCount(); n != 0 {
		t.Errorf("%d hash computations", n)
	}
	if f := e.LoginFailures(); len(f) != 0 {
		t.Errorf("LoginFailed %q", f)
	}
}

// TestHooksView: Hooks.View sees the status of every kind of answer,
// once per request (serve checks each call).
func TestHooksView(t *testing.T) {
	e := newViewEnv(t, vtOptions{})
	e.serve(Users, sjt.Req(http.MethodGet))
	e.serve(Register, sjt.JSON(`{"username":"anna","email":"anna@example.com","password":"x","password2":"x"}`))
	e.serve(Register, sjt.JSON(`{}`))
}

// TestRegisterByUsername: with USER_ID_FIELD = "username" register issues
// username tokens too, usable at once.
func TestRegisterByUsername(t *testing.T) {
	e := newViewEnv(t, vtOptions{ByUsername: true, Settings: simplejwt.Settings{UserIDField: "username"}})
	// Register issues username tokens too, usable at once.
	res := e.serve(Register, vtReg("anna", "anna@example.com", "Pw-1", "Pw-1"))
	if res.Code != http.StatusCreated {
		t.Fatalf("register: %d %s", res.Code, res.Body)
	}
	var reg struct {
		Token struct{ Refresh, Access string }
	}
	if err := json.Unmarshal([]byte(res.Body), &reg); err != nil {
		t.Fatal(err)
	}
	if claims, _ := sjt.Payload(t, reg.Token.Access); claims["user_id"] != "anna" {
		t.Errorf("registered access user_id = %#v", claims["user_id"])
	}
	sjt.CheckOutstanding(t, e.Env, reg.Token.Refresh, reg.Token.Access, e.User("anna").ID, e.Clock.Now())
	if res := e.serve(Users, sjt.Bearer(sjt.Req(http.MethodGet), reg.Token.Access)); res.Code != http.StatusOK {
		t.Errorf("users with the registered token: %d %s", res.Code, res.Body)
	}
}

// TestRegisterThrottle: registrations from one client are limited, with
// DRF's 429 and Retry-After, before any hashing; another client is not.
func TestRegisterThrottle(t *testing.T) {
	e := newViewEnv(t, vtOptions{Throttle: &throttle.Config{RegisterPerClient: 2, Window: time.Minute}})
	reg := func(client, name string) sjt.Resp {
		r := sjt.JSON(`{"username":"` + name + `","email":"` + name + `@example.com","password":"Str0ng-pass!","password2":"Str0ng-pass!"}`)
		r.RemoteAddr = "[" + client + "]:40000"
		return e.serve(Register, r)
	}
	for _, name := range []string{"anna", "bert"} {
		if res := reg("2001:db8:7:7::1", name); res.Code != 201 {
			t.Fatalf("register %s: %d %s", name, res.Code, res.Body)
		}
	}
	e.HashCount()
	// Another address of the same IPv6 /64 shares the budget.
	res := reg("2001:db8:7:7:ffff::2", "carl")
	res.Want(t, "3rd registration", 429, `{"detail":"Request was throttled. Expected available in 60 seconds."}`)
	if res.Header.Get("Retry-After") != "60" {
		t.Errorf("Retry-After = %q", res.Header.Get("Retry-After"))
	}
	if h := e.HashCount(); h != 0 {
		t.Errorf("a throttled registration hashed %d times", h)
	}
	if res := reg("2001:db8:7:8::1", "dora"); res.Code != 201 {
		t.Errorf("another /64: %d %s", res.Code, res.Body)
	}
}

// TestRegisterHashBusy: when every hashing slot is taken and the wait
// runs out, registrations get 503 with Retry-After at once instead of
// queuing.
func TestRegisterHashBusy(t *testing.T) {
	gate := password.NewGate(1, 1, 1, 30*time.Millisecond)
	e := newViewEnv(t, vtOptions{Gate: gate})
	hold := make(chan struct{})
	go gate.Do(context.Background(), func() { <-hold })
	for running, _ := gate.Busy(); running != 1; running, _ = gate.Busy() {
		time.Sleep(time.Millisecond)
	}
	busy := `{"detail":"Service temporarily unavailable, try again later."}`
	e.serve(Register, sjt.JSON(`{"username":"anna","email":"anna@example.com","password":"Str0ng-pass!","password2":"Str0ng-pass!"}`)).
		Want(t, "register while busy", http.StatusServiceUnavailable, busy)
	close(hold)
}

// TestDatabaseClosed: with the store closed, register and users answer
// 503 with Retry-After, log the fault without passwords or tokens, and do
// not panic; OPTIONS, which needs no database, still works.
func TestDatabaseClosed(t *testing.T) {
	e := newViewEnv(t, vtOptions{Settings: simplejwt.Settings{
		RotateRefreshTokens: true, BlacklistAfterRotation: true, RetryAfter: 2500 * time.Millisecond,
	}})
	const annaPassword = "Anna-Secret-Pass-1"
	e.AddUser("anna", annaPassword, "anna@example.com", true)
	e.Sync()
	refresh, access := e.login("anna", annaPassword)
	if err := e.Store.Close(); err != nil {
		t.Fatal(err)
	}
	const newPassword = "Brand-New-Secret-9"
	var faults []string
	for _, c := range []struct {
		v   tutorialView
		req *http.Request
	}{
		{Register, vtReg("bob", "bob@example.com", newPassword, newPassword)},
		{Users, sjt.Bearer(sjt.Req(http.MethodGet), access)},
	} {
		res := e.serve(c.v, c.req)
		res.Want(t, c.v.String(), http.StatusServiceUnavailable, sjt.BodyUnavailable)
		if got := res.Header.Get("Retry-After"); got != "3" {
			t.Errorf("%s: Retry-After = %q, want 3 (2.5 s rounded up)", c.v, got)
		}
		faults = append(faults, c.v.String())
	}
	e.serve(Users, sjt.Bearer(sjt.Req(http.MethodOptions), access)).Want(t, "users OPTIONS", http.StatusOK, vtMetadata[Users])
	sjt.CheckDBFaultLogs(t, e.Env, faults, annaPassword, newPassword, refresh, access)
}

// TestDatabaseLocked: while another connection holds SQLite's write lock
// past the busy timeout, users still reads (WAL) and register fails into
// a 503 after the password was hashed; the logs hold neither passwords
// nor tokens. Once the lock is gone register succeeds.
func TestDatabaseLocked(t *testing.T) {
	e := newViewEnv(t, vtOptions{BusyTimeout: 50 * time.Millisecond})
	_, access := e.login(sjt.Siva, sjt.SivaPassword)
	ctx := context.Background()
	conn, err := e.Raw().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	const newPassword = "Brand-New-Secret-9"
	reg := func() *http.Request { return vtReg("bob", "bob@example.com", newPassword, newPassword) }
	e.serve(Register, reg()).Want(t, "register while locked", http.StatusServiceUnavailable, sjt.BodyUnavailable)
	if n := e.HashCount(); n != 1 {
		t.Errorf("register: %d hash computations, want 1", n)
	}
	if res := e.serve(Users, sjt.Bearer(sjt.Req(http.MethodGet), access)); res.Code != http.StatusOK {
		t.Errorf("users while locked: %d %s", res.Code, res.Body)
	}
	sjt.CheckDBFaultLogs(t, e.Env, []string{"register"}, newPassword, access)
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if res := e.serve(Register, reg()); res.Code != http.StatusCreated {
		t.Errorf("register after the lock: %d %s", res.Code, res.Body)
	}
}

// TestRetryAfterSetting: Settings.RetryAfter is sent with the 503 users
// and register answer before the user table is loaded, which comes from
// the Authenticator.
func TestRetryAfterSetting(t *testing.T) {
	e := newViewEnv(t, vtOptions{NoLoad: true, Settings: simplejwt.Settings{RetryAfter: 2 * time.Second}})
	_, access := e.Pair(e.User(sjt.Siva).ID)
	for _, c := range []struct {
		v   tutorialView
		req *http.Request
	}{
		{Users, sjt.Bearer(sjt.Req(http.MethodGet), access.Token)},
		{Register, sjt.Bearer(vtReg("bob", "bob@example.com", "Pw-1", "Pw-1"), access.Token)},
	} {
		res := e.serve(c.v, c.req)
		res.Want(t, c.v.String(), http.StatusServiceUnavailable, sjt.BodyUnavailable)
		if got := res.Header.Get("Retry-After"); got != "2" {
			t.Errorf("%s: Retry-After = %q, want 2 (Settings.RetryAfter)", c.v, got)
		}
	}
}
