package simplejwt

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
)

// checkDBFaultLogs checks that every 503 was logged once as a database
// fault naming its view, and that no log entry holds a secret.
func checkDBFaultLogs(t *testing.T, e *viewEnv, views []View, secrets ...string) {
	t.Helper()
	entries := e.logs.FilterMessage("database unavailable").All()
	var got []string
	for _, en := range entries {
		if en.Level != zapcore.ErrorLevel {
			t.Errorf("database fault logged at %s", en.Level)
		}
		m := en.ContextMap()
		if m["error"] == nil || m["op"] == nil {
			t.Errorf("database fault without error or op: %v", m)
		}
		got = append(got, m["view"].(string))
	}
	var want []string
	for _, v := range views {
		want = append(want, v.String())
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("database faults logged for views %v, want %v", got, want)
	}
	e.assertLogsClean(secrets...)
}

// TestDatabaseClosed: with the store closed, every view that needs the
// database answers 503 with Retry-After, logs the fault without passwords
// or tokens, and does not panic; views that need no database still work.
func TestDatabaseClosed(t *testing.T) {
	e := newViewEnv(t, vtOptions{Settings: Settings{
		RotateRefreshTokens: true, BlacklistAfterRotation: true, RetryAfter: 2500 * time.Millisecond,
	}})
	const annaPassword = "Anna-Secret-Pass-1"
	e.addUser("anna", annaPassword, "anna@example.com", true)
	e.sync()
	refresh, access := e.login("anna", annaPassword)
	if err := e.store.Close(); err != nil {
		t.Fatal(err)
	}
	const newPassword = "Brand-New-Secret-9"
	var faults []View
	for _, c := range []struct {
		v   View
		req *http.Request
	}{
		{ObtainPair, vtJSON(vtObj("username", "anna", "password", annaPassword))},
		{ObtainPair, vtForm(url.Values{"username": {"nobody"}, "password": {"Nobody-Secret-1"}})},
		{Refresh, vtJSON(vtObj("refresh", refresh))},
		// refresh looks the jti up in the blacklist before it checks the
		// type, as simplejwt does, so an access token is a 503 here too.
		{Refresh, vtJSON(vtObj("refresh", access))},
		{Verify, vtJSON(vtObj("token", refresh))},
		{Blacklist, vtJSON(vtObj("refresh", refresh))},
		{Register, vtReg("bob", "bob@example.com", newPassword, newPassword)},
		{Users, vtBearer(vtReq(http.MethodGet), access)},
		{LogoutAll, vtBearer(vtReq(http.MethodPost), access)},
		{Sessions, vtBearer(vtReq(http.MethodGet), access)},
	} {
		res := e.serve(c.v, c.req)
		res.want(t, c.v.String(), http.StatusServiceUnavailable, vtBodyUnavailable)
		if got := res.Header.Get("Retry-After"); got != "3" {
			t.Errorf("%s: Retry-After = %q, want 3 (2.5 s rounded up)", c.v, got)
		}
		faults = append(faults, c.v)
	}
	if f := e.loginFailures(); len(f) != 0 {
		t.Errorf("LoginFailed %q while the database is down", f)
	}
	// What needs no database keeps working.
	e.serve(ObtainPair, vtJSON(`{}`)).want(t, "field errors", http.StatusBadRequest, `{"username":["This field is required."],"password":["This field is required."]}`)
	e.serve(Refresh, vtJSON(vtObj("refresh", "garbage"))).want(t, "refresh with garbage", http.StatusUnauthorized, vtBodyInvalid)
	e.serve(Verify, vtJSON(vtObj("token", "garbage"))).want(t, "verify with garbage", http.StatusUnauthorized, vtBodyInvalid)
	e.serve(Users, vtBearer(vtReq(http.MethodOptions), access)).want(t, "users OPTIONS", http.StatusOK, vtMetadata[Users])
	// A logout_all that could not be recorded ended nothing, here either.
	res := e.auth.Check(vtBearer(vtReq(http.MethodGet), access), Optional, e.clock.Now())
	if res.Outcome != Authenticated {
		t.Errorf("the access token after a failed logout_all: %v", res.Outcome)
	}

	checkDBFaultLogs(t, e, faults, annaPassword, "Nobody-Secret-1", newPassword, refresh, access)
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
	e.addUser("anna", annaPassword, "anna@example.com", true)
	e.sync()
	refresh, access := e.login("anna", annaPassword)
	logout, _ := e.login("anna", annaPassword)

	ctx := context.Background()
	conn, err := e.raw().Conn(ctx)
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
		{ObtainPair, func() *http.Request { return vtJSON(vtObj("username", "anna", "password", annaPassword)) }, 1},
		{Refresh, func() *http.Request { return vtJSON(vtObj("refresh", refresh)) }, 0},
		{Register, func() *http.Request { return vtReg("bob", "bob@example.com", newPassword, newPassword) }, 1},
		{Blacklist, func() *http.Request { return vtMultipart(t, "refresh", logout) }, 0},
	}
	var faults []View
	for _, c := range reqs {
		res := e.serve(c.v, c.req())
		res.want(t, c.v.String()+" while locked", http.StatusServiceUnavailable, vtBodyUnavailable)
		if n := e.hashCount(); n != c.hashes {
			t.Errorf("%s: %d hash computations, want %d", c.v, n, c.hashes)
		}
		faults = append(faults, c.v)
	}
	// Reads go on.
	if res := e.serve(Users, vtBearer(vtReq(http.MethodGet), access)); res.Code != http.StatusOK {
		t.Errorf("users while locked: %d %s", res.Code, res.Body)
	}
	e.serve(Verify, vtJSON(vtObj("token", refresh))).want(t, "verify while locked", http.StatusOK, `{}`)
	e.serve(ObtainPair, vtJSON(vtObj("username", "anna", "password", "wrong"))).want(t, "wrong password while locked", http.StatusUnauthorized, vtBodyNoActiveAccount)
	checkDBFaultLogs(t, e, faults, annaPassword, newPassword, "wrong", refresh, logout, access)
	if n := e.userCount(); n != 3 {
		t.Errorf("%d users", n)
	}
	if e.user("anna").LastLogin == nil {
		t.Error("the first login did not set last_login")
	}

	unlock()
	e.hashCount()
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
	conn, err := e.raw().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	defer func(c *sql.Conn) { c.ExecContext(ctx, "ROLLBACK") }(conn)
	start := time.Now()
	res := e.serve(ObtainPair, vtJSON(vtObj("username", vtSiva, "password", vtSivaPassword)))
	took := time.Since(start)
	res.want(t, "obtain", http.StatusServiceUnavailable, vtBodyUnavailable)
	if took > 2500*time.Millisecond {
		t.Errorf("obtain took %v with DBTimeout 200ms and a 3s busy timeout: the database wait was not bounded by DBTimeout", took)
	}
}

// TestRetryAfterSetting: Settings.RetryAfter "is sent with 503 answers"
// (README: retry_after), by every view: refresh, and also users and
// register, whose 503 before the user table is loaded comes from the
// Authenticator.
func TestRetryAfterSetting(t *testing.T) {
	e := newViewEnv(t, vtOptions{NoLoad: true, Settings: Settings{RetryAfter: 2 * time.Second}})
	r, access := e.pair(e.user(vtSiva).ID)
	for _, c := range []struct {
		v   View
		req *http.Request
	}{
		{Refresh, vtJSON(vtObj("refresh", r.Token))},
		{Users, vtBearer(vtReq(http.MethodGet), access.Token)},
		{Register, vtBearer(vtReg("bob", "bob@example.com", "Pw-1", "Pw-1"), access.Token)},
	} {
		res := e.serve(c.v, c.req)
		res.want(t, c.v.String(), http.StatusServiceUnavailable, vtBodyUnavailable)
		if got := res.Header.Get("Retry-After"); got != "2" {
			t.Errorf("%s: Retry-After = %q, want 2 (Settings.RetryAfter)", c.v, got)
		}
	}
}
