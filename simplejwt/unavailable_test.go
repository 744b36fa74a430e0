package simplejwt

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"testing"
	"time"

	sjt "github.com/jwtgate/jwtgate/simplejwt/simplejwttest"
)

// TestDatabaseClosed: with the store closed, every view that needs the
// database answers 503 with Retry-After, logs the fault without passwords
// or tokens, and does not panic; views that need no database still work.
func TestDatabaseClosed(t *testing.T) {
	e := newViewEnv(t, vtOptions{Settings: Settings{
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
		v   View
		req *http.Request
	}{
		{ObtainPair, sjt.JSON(sjt.Obj("username", "anna", "password", annaPassword))},
		{ObtainPair, sjt.Form(url.Values{"username": {"nobody"}, "password": {"Nobody-Secret-1"}})},
		{Refresh, sjt.JSON(sjt.Obj("refresh", refresh))},
		// refresh looks the jti up in the blacklist before it checks the
		// type, as simplejwt does, so an access token is a 503 here too.
		{Refresh, sjt.JSON(sjt.Obj("refresh", access))},
		{Verify, sjt.JSON(sjt.Obj("token", refresh))},
		{Blacklist, sjt.JSON(sjt.Obj("refresh", refresh))},
		{LogoutAll, sjt.Bearer(sjt.Req(http.MethodPost), access)},
		{Sessions, sjt.Bearer(sjt.Req(http.MethodGet), access)},
	} {
		res := e.serve(c.v, c.req)
		res.Want(t, c.v.String(), http.StatusServiceUnavailable, sjt.BodyUnavailable)
		if got := res.Header.Get("Retry-After"); got != "3" {
			t.Errorf("%s: Retry-After = %q, want 3 (2.5 s rounded up)", c.v, got)
		}
		faults = append(faults, c.v.String())
	}
	if f := e.LoginFailures(); len(f) != 0 {
		t.Errorf("LoginFailed %q while the database is down", f)
	}
	// What needs no database keeps working.
	e.serve(ObtainPair, sjt.JSON(`{}`)).Want(t, "field errors", http.StatusBadRequest, `{"username":["This field is required."],"password":["This field is required."]}`)
	e.serve(Refresh, sjt.JSON(sjt.Obj("refresh", "garbage"))).Want(t, "refresh with garbage", http.StatusUnauthorized, sjt.BodyInvalid)
	e.serve(Verify, sjt.JSON(sjt.Obj("token", "garbage"))).Want(t, "verify with garbage", http.StatusUnauthorized, sjt.BodyInvalid)
	e.serve(Sessions, sjt.Bearer(sjt.Req(http.MethodOptions), access)).Want(t, "sessions OPTIONS", http.StatusOK, vtMetadata[Sessions])
	// A logout_all that could not be recorded ended nothing, here either.
	res := e.auth.Check(sjt.Bearer(sjt.Req(http.MethodGet), access), Optional, e.Clock.Now())
	if res.Outcome != Authenticated {
		t.Errorf("the access token after a failed logout_all: %v", res.Outcome)
	}

	sjt.CheckDBFaultLogs(t, e.Env, faults, annaPassword, "Nobody-Secret-1", newPassword, refresh, access)
}

// TestDatabaseLocked: while another connection holds SQLite's write lock
// past the busy timeout, reads still work (WAL), and every write a view
// needs fails into a 503, after the password was checked or hashed; the
// logs hold neither passwords nor tokens. Once the lock is gone the same
// requests succeed.
func TestDatabaseLocked(t *testing.T) {
	e := newViewEnv(t, vtOptions{BusyTimeout: 50 * time.Millisecond, Settings: Settings{
		RotateRefreshTokens: true, BlacklistAfterRotation: true, UpdateLastLogin: true, RehashPasswords: true,
	}})
	const annaPassword = "Anna-Secret-Pass-1"
	e.AddUser("anna", annaPassword, "anna@example.com", true)
	e.Sync()
	refresh, access := e.login("anna", annaPassword)
	logout, _ := e.login("anna", annaPassword)

	ctx := context.Background()
	conn, err := e.Raw().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	locked := true
	unlock := func() {
		if locked {
			if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
				t.Fatal(err)
			}
			locked = false
		}
	}
	defer unlock()

	const newPassword = "Brand-New-Secret-9"
	reqs := []struct {
		v      View
		req    func() *http.Request
		hashes int64
	}{
		{ObtainPair, func() *http.Request { return sjt.JSON(sjt.Obj("username", "anna", "password", annaPassword)) }, 1},
		{Refresh, func() *http.Request { return sjt.JSON(sjt.Obj("refresh", refresh)) }, 0},
		{Blacklist, func() *http.Request { return sjt.Multipart(t, "refresh", logout) }, 0},
	}
	var faults []string
	for _, c := range reqs {
		res := e.serve(c.v, c.req())
		res.Want(t, c.v.String()+" while locked", http.StatusServiceUnavailable, sjt.BodyUnavailable)
		if n := e.HashCount(); n != c.hashes {
			t.Errorf("%s: %d hash computations, want %d", c.v, n, c.hashes)
		}
		faults = append(faults, c.v.String())
	}
	// Reads go on.
	if res := e.serve(Sessions, sjt.Bearer(sjt.Req(http.MethodGet), access)); res.Code != http.StatusOK {
		t.Errorf("sessions while locked: %d %s", res.Code, res.Body)
	}
	e.serve(Verify, sjt.JSON(sjt.Obj("token", refresh))).Want(t, "verify while locked", http.StatusOK, `{}`)
	e.serve(ObtainPair, sjt.JSON(sjt.Obj("username", "anna", "password", "wrong"))).Want(t, "wrong password while locked", http.StatusUnauthorized, sjt.BodyNoActiveAccount)
	sjt.CheckDBFaultLogs(t, e.Env, faults, annaPassword, newPassword, "wrong", refresh, logout, access)
	if n := e.UserCount(); n != 3 {
		t.Errorf("%d users", n)
	}
	if e.User("anna").LastLogin == nil {
		t.Error("the first login did not set last_login")
	}

	unlock()
	e.HashCount()
	for _, c := range reqs {
		if res := e.serve(c.v, c.req()); res.Code/100 != 2 {
			t.Errorf("%s after the lock: %d %s", c.v, res.Code, res.Body)
		}
	}
}

// TestDatabaseTimeout: Settings.DBTimeout "bounds every database call of a
// request" (README: "a database that does not answer in time gives 503 +
// Retry-After"), also when SQLite's own busy timeout is longer: a write
// waiting for another connection's lock must give up after DBTimeout.
func TestDatabaseTimeout(t *testing.T) {
	e := newViewEnv(t, vtOptions{BusyTimeout: 3 * time.Second, Settings: Settings{DBTimeout: 200 * time.Millisecond}})
	ctx := context.Background()
	conn, err := e.Raw().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	defer func(c *sql.Conn) { c.ExecContext(ctx, "ROLLBACK") }(conn)
	start := time.Now()
	res := e.serve(ObtainPair, sjt.JSON(sjt.Obj("username", sjt.Siva, "password", sjt.SivaPassword)))
	took := time.Since(start)
	res.Want(t, "obtain", http.StatusServiceUnavailable, sjt.BodyUnavailable)
	if took > 2500*time.Millisecond {
		t.Errorf("obtain took %v with DBTimeout 200ms and a 3s busy timeout: the database wait was not bounded by DBTimeout", took)
	}
}

// TestRetryAfterSetting: Settings.RetryAfter "is sent with 503 answers"
// (README: retry_after), by every view: refresh, and also sessions (and
// userprofiles' users and register), whose 503 before the user table is
// loaded comes from the Authenticator.
func TestRetryAfterSetting(t *testing.T) {
	e := newViewEnv(t, vtOptions{NoLoad: true, Settings: Settings{RetryAfter: 2 * time.Second}})
	r, access := e.Pair(e.User(sjt.Siva).ID)
	for _, c := range []struct {
		v   View
		req *http.Request
	}{
		{Refresh, sjt.JSON(sjt.Obj("refresh", r.Token))},
		{Sessions, sjt.Bearer(sjt.Req(http.MethodGet), access.Token)},
	} {
		res := e.serve(c.v, c.req)
		res.Want(t, c.v.String(), http.StatusServiceUnavailable, sjt.BodyUnavailable)
		if got := res.Header.Get("Retry-After"); got != "2" {
			t.Errorf("%s: Retry-After = %q, want 2 (Settings.RetryAfter)", c.v, got)
		}
	}
}
