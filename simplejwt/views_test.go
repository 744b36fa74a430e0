package simplejwt

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/password"
	"github.com/jwtgate/jwtgate/store"
)

var vtHexJTI = regexp.MustCompile(`^[0-9a-f]{32}$`)

// vtDjangoTime is a time as Django stores it on SQLite.
func vtDjangoTime(t time.Time) string {
	t = t.UTC().Truncate(time.Microsecond)
	if t.Nanosecond() == 0 {
		return t.Format("2006-01-02 15:04:05")
	}
	return t.Format("2006-01-02 15:04:05.000000")
}

// checkPair checks an obtained pair as docs/simplejwt.md ("What is matched", tokens)
// describes it, issued at now for the user id (a JSON integer, or a
// string with USER_ID_FIELD = "username").
func checkPair(t *testing.T, e *viewEnv, body string, now time.Time, userID any) (refresh, access string) {
	t.Helper()
	if keys := vtKeys(t, body); fmt.Sprint(keys) != "[refresh access]" {
		t.Fatalf("pair keys %v, want [refresh access]: %s", keys, body)
	}
	m := vtStrings(t, body)
	refresh, access = m["refresh"], m["access"]
	jtis := map[string]bool{}
	for _, c := range []struct {
		tok, typ string
		life     time.Duration
	}{{refresh, "refresh", 24 * time.Hour}, {access, "access", 5 * time.Minute}} {
		claims, order := vtPayload(t, c.tok)
		if fmt.Sprint(order) != "[token_type exp iat jti user_id]" {
			t.Errorf("%s claims in order %v", c.typ, order)
		}
		if claims["token_type"] != c.typ {
			t.Errorf("%s token_type = %v", c.typ, claims["token_type"])
		}
		iat, exp := vtInt(t, claims, "iat"), vtInt(t, claims, "exp")
		if iat != now.Unix() || exp-iat != int64(c.life/time.Second) {
			t.Errorf("%s iat %d exp %d; want iat %d, exp-iat %v", c.typ, iat, exp, now.Unix(), c.life)
		}
		jti, _ := claims["jti"].(string)
		if !vtHexJTI.MatchString(jti) || jtis[jti] {
			t.Errorf("%s jti %q: not 32 hex digits, or not unique", c.typ, jti)
		}
		jtis[jti] = true
		switch id := userID.(type) {
		case int64:
			if claims["user_id"] != json.Number(fmt.Sprint(id)) {
				t.Errorf("%s user_id = %#v, want the integer %d", c.typ, claims["user_id"], id)
			}
		case string:
			if claims["user_id"] != id {
				t.Errorf("%s user_id = %#v, want the string %q", c.typ, claims["user_id"], id)
			}
		}
	}
	return refresh, access
}

// checkOutstanding checks the row obtain or register wrote for a refresh
// token (§6), and that the access token has none.
func checkOutstanding(t *testing.T, e *viewEnv, refresh, access string, userID int64, now time.Time) {
	t.Helper()
	jti := vtJTI(t, refresh)
	o, ok := e.outstanding(jti)
	if !ok {
		t.Fatalf("no outstanding row for the refresh token %s", jti)
	}
	claims, _ := vtPayload(t, refresh)
	exp := time.Unix(vtInt(t, claims, "exp"), 0)
	if o.Token != refresh || !o.UserID.Valid || o.UserID.Int64 != userID ||
		o.CreatedAt.String != vtDjangoTime(now) || o.ExpiresAt != vtDjangoTime(exp) || o.Black != 0 {
		t.Errorf("outstanding row %+v; want token %s, user %d, created %s, expires %s, not blacklisted",
			o, refresh, userID, vtDjangoTime(now), vtDjangoTime(exp))
	}
	if _, ok := e.outstanding(vtJTI(t, access)); ok {
		t.Error("the access token was recorded as outstanding")
	}
}

// TestObtainPair: username and password in each of the three encodings
// give {"refresh","access"}, no-store, one hash and one outstanding row;
// the access token works at once on a protected view.
func TestObtainPair(t *testing.T) {
	e := newViewEnv(t, vtOptions{})
	siva := e.user(vtSiva)
	for _, c := range []struct {
		name string
		req  func() *http.Request
	}{
		{"json", func() *http.Request { return vtJSON(vtObj("username", vtSiva, "password", vtSivaPassword)) }},
		{"form", func() *http.Request {
			return vtForm(url.Values{"username": {vtSiva}, "password": {vtSivaPassword}})
		}},
		{"multipart", func() *http.Request { return vtMultipart(t, "username", vtSiva, "password", vtSivaPassword) }},
		{"json, trimmed, extra fields, garbage Authorization", func() *http.Request {
			r := vtJSON(`{"username":"  siva ","password":"\tsiva  ","remember":true}`)
			r.Header.Set("Authorization", "Bearer garbage")
			return r
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			now := e.clock.Advance(time.Second)
			rows := e.outstandingRows()
			res := e.serve(ObtainPair, c.req())
			if res.Code != http.StatusOK {
				t.Fatalf("%d %s", res.Code, res.Body)
			}
			if cc := res.Header.Values("Cache-Control"); len(cc) != 1 || cc[0] != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", cc)
			}
			refresh, access := checkPair(t, e, res.Body, now, siva.ID)
			if n := e.hashCount(); n != 1 {
				t.Errorf("%d hash computations, want 1", n)
			}
			if got := e.outstandingRows(); got != rows+1 {
				t.Errorf("%d outstanding rows after obtain, want %d", got, rows+1)
			}
			checkOutstanding(t, e, refresh, access, siva.ID, now)
			if f := e.loginFailures(); len(f) != 0 {
				t.Errorf("LoginFailed %v on a success", f)
			}
			if res := e.serve(Users, vtBearer(vtReq(http.MethodGet), access)); res.Code != http.StatusOK {
				t.Errorf("the access token on users: %d %s", res.Code, res.Body)
			}
			if res := e.serve(Refresh, vtJSON(vtObj("refresh", refresh))); res.Code != http.StatusOK {
				t.Errorf("the refresh token on refresh: %d %s", res.Code, res.Body)
			}
		})
	}
	// Nothing of the above reaches the log.
	if n := e.logs.Len(); n != 0 {
		t.Errorf("%d log entries on successful logins: %q", n, vtLogText(e.logs))
	}
}

// TestObtainRefused: every refused login answers the same 401, runs the
// hasher exactly once, reports the username to Hooks.LoginFailed and
// records nothing.
func TestObtainRefused(t *testing.T) {
	e := newViewEnv(t, vtOptions{})
	e.addUserHash("unusable", password.MakeUnusable(), "unusable@example.com", true)
	e.addUserHash("malformed", "pbkdf2_sha256$x$y$z", "malformed@example.com", true)
	e.sync()
	var first *vtResp
	for _, c := range []struct{ name, username, password string }{
		{"wrong password", vtSiva, "wrong"},
		{"unknown user", "nobody", vtSivaPassword},
		{"inactive user with the right password", vtInactive, vtInactivePass},
		{"inactive user with a wrong password", vtInactive, "wrong"},
		{"unusable password", "unusable", "anything"},
		{"malformed hash", "malformed", "anything"},
		{"wrong case of the username", "Siva", vtSivaPassword},
		{"wrong case of the password", vtSiva, "SIVA"},
		{"number as username", "123", vtSivaPassword},
	} {
		t.Run(c.name, func(t *testing.T) {
			rows, black := e.outstandingRows(), e.blacklistRows()
			req := vtForm(url.Values{"username": {c.username}, "password": {c.password}})
			if c.username == "123" {
				req = vtJSON(`{"username":123,"password":"siva"}`)
			}
			res := e.serve(ObtainPair, req)
			res.want(t, "obtain", http.StatusUnauthorized, vtBodyNoActiveAccount)
			if res.Header.Get("Cache-Control") != "" {
				t.Errorf("Cache-Control %q on a refusal", res.Header.Get("Cache-Control"))
			}
			if n := e.hashCount(); n != 1 {
				t.Errorf("%d hash computations, want exactly 1", n)
			}
			if f := e.loginFailures(); len(f) != 1 || f[0] != c.username {
				t.Errorf("LoginFailed got %q, want [%q]", f, c.username)
			}
			if e.outstandingRows() != rows || e.blacklistRows() != black {
				t.Error("a refused login wrote token rows")
			}
			if first == nil {
				first = &res
			} else if !reflectEqualHeader(first.Header, res.Header) {
				t.Errorf("headers differ between refusals:\n%v\n%v", first.Header, res.Header)
			}
		})
	}
	if n := e.logs.Len(); n != 0 {
		t.Errorf("the service logged refused logins itself: %q", vtLogText(e.logs))
	}
	e.assertLogsClean(vtSivaPassword, vtInactivePass, "wrong")
}

func reflectEqualHeader(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if fmt.Sprint(b[k]) != fmt.Sprint(v) {
			return false
		}
	}
	return true
}

// TestObtainFieldErrors: invalid input is a 400 in declared field order,
// and no password is hashed.
func TestObtainFieldErrors(t *testing.T) {
	e := newViewEnv(t, vtOptions{})
	for _, c := range []struct {
		name string
		req  *http.Request
		body string
	}{
		{"missing both", vtJSON(`{}`), `{"username":["This field is required."],"password":["This field is required."]}`},
		{"no body at all", vtReq(http.MethodPost), `{"username":["This field is required."],"password":["This field is required."]}`},
		{"missing password", vtJSON(`{"username":"siva"}`), `{"password":["This field is required."]}`},
		{"blank", vtJSON(`{"username":"","password":""}`), `{"username":["This field may not be blank."],"password":["This field may not be blank."]}`},
		{"whitespace only", vtJSON(`{"username":"   ","password":"\t\n"}`), `{"username":["This field may not be blank."],"password":["This field may not be blank."]}`},
		{"blank form", vtForm(url.Values{"username": {""}, "password": {""}}), `{"username":["This field may not be blank."],"password":["This field may not be blank."]}`},
		{"null", vtJSON(`{"username":null,"password":null}`), `{"username":["This field may not be null."],"password":["This field may not be null."]}`},
		{"list and object", vtJSON(`{"username":["siva"],"password":{"p":"siva"}}`), `{"username":["Not a valid string."],"password":["Not a valid string."]}`},
		{"booleans", vtJSON(`{"username":true,"password":false}`), `{"username":["Not a valid string."],"password":["Not a valid string."]}`},
		{"array body", vtJSON(`[]`), `{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}`},
	} {
		res := e.serve(ObtainPair, c.req)
		res.want(t, c.name, http.StatusBadRequest, c.body)
		if n := e.hashCount(); n != 0 {
			t.Errorf("%s: %d hash computations, want none", c.name, n)
		}
	}
	if f := e.loginFailures(); len(f) != 0 {
		t.Errorf("LoginFailed %q on field errors", f)
	}
	if n := e.outstandingRows(); n != 0 {
		t.Errorf("%d outstanding rows", n)
	}
}

// TestObtainUpdateLastLogin: last_login stays NULL unless UpdateLastLogin,
// and is then the login's time, to the microsecond.
func TestObtainUpdateLastLogin(t *testing.T) {
	for _, on := range []bool{false, true} {
		t.Run(fmt.Sprint("UpdateLastLogin=", on), func(t *testing.T) {
			e := newViewEnv(t, vtOptions{Settings: Settings{UpdateLastLogin: on}})
			now := e.clock.Advance(90 * time.Second)
			e.login(vtSiva, vtSivaPassword)
			ll := e.user(vtSiva).LastLogin
			switch {
			case !on && ll != nil:
				t.Errorf("last_login = %v, want NULL", ll)
			case on && (ll == nil || !ll.Equal(now.Truncate(time.Microsecond))):
				t.Errorf("last_login = %v, want %v", ll, now.Truncate(time.Microsecond))
			}
			if on {
				// A refused login leaves it alone.
				e.clock.Advance(time.Minute)
				e.serve(ObtainPair, vtJSON(vtObj("username", vtSiva, "password", "wrong")))
				if ll2 := e.user(vtSiva).LastLogin; ll2 == nil || !ll2.Equal(*ll) {
					t.Errorf("a refused login changed last_login to %v", ll2)
				}
				if n := e.count(`SELECT COUNT(*) FROM "auth_user" WHERE "last_login" = ?`, vtDjangoTime(now)); n != 1 {
					t.Errorf("last_login is not stored as Django stores it (%s)", vtDjangoTime(now))
				}
			}
		})
	}
}

// TestObtainRehash: a 260000-iteration hash (Django 3.2's default, made by
// Django's PBKDF2PasswordHasher) is re-hashed with the preferred hasher on
// a successful login only when RehashPasswords is on.
func TestObtainRehash(t *testing.T) {
	const (
		pw  = "Old-Hash-Pass-1"
		old = "pbkdf2_sha256$260000$kzQ3c0wXxYbm8JfQ0aQh5T$vR0Ikgr+I3OpgymTIKGRARRtZfyuStImJvcWJNI8kXk="
	)
	for _, on := range []bool{false, true} {
		t.Run(fmt.Sprint("RehashPasswords=", on), func(t *testing.T) {
			t.Parallel()
			e := newViewEnv(t, vtOptions{Settings: Settings{RehashPasswords: on}})
			e.addUserHash("olduser", old, "old@example.com", true)
			e.sync()
			sivaHash := e.user(vtSiva).Password

			if on {
				// A wrong password never re-hashes.
				res := e.serve(ObtainPair, vtJSON(vtObj("username", "olduser", "password", "wrong")))
				res.want(t, "wrong password", http.StatusUnauthorized, vtBodyNoActiveAccount)
				if got := e.user("olduser").Password; got != old {
					t.Errorf("a refused login rewrote the hash: %s", got)
				}
				e.hashCount()
			}

			res := e.serve(ObtainPair, vtJSON(vtObj("username", "olduser", "password", pw)))
			if res.Code != http.StatusOK {
				t.Fatalf("login: %d %s", res.Code, res.Body)
			}
			got := e.user("olduser").Password
			wantHashes := int64(1)
			if on {
				wantHashes = 2 // the check, then the new hash
			}
			if n := e.hashCount(); n != wantHashes {
				t.Errorf("%d hash computations, want %d", n, wantHashes)
			}
			if on {
				if got == old || !strings.HasPrefix(got, "pbkdf2_sha256$1000$") {
					t.Errorf("hash after login = %s, want a new pbkdf2_sha256$1000$ hash", got)
				}
				if ok, must := password.NewSet(password.PBKDF2SHA256{Iterations: 1000}).Check(pw, got); !ok || must {
					t.Errorf("the new hash does not verify the password (ok %v, mustUpdate %v)", ok, must)
				}
				// The user logs in again with the new hash.
				e.login("olduser", pw)
			} else if got != old {
				t.Errorf("the hash was rewritten with RehashPasswords off: %s", got)
			}
			// An up-to-date hash is never rewritten.
			e.login(vtSiva, vtSivaPassword)
			if e.user(vtSiva).Password != sivaHash {
				t.Error("an up-to-date hash was rewritten")
			}
		})
	}
}

// TestObtainLearnsUser: a user the index does not know yet (created by
// another process, not yet reported by the feed) can use the tokens of its
// login at once.
func TestObtainLearnsUser(t *testing.T) {
	e := newViewEnv(t, vtOptions{})
	u := e.addUser("late", "late-pass-123", "late@example.com", true)
	if _, ok := e.users.Lookup(u.ID); ok {
		t.Fatal("the index already knows the user")
	}
	_, access := e.login("late", "late-pass-123")
	res := e.serve(Users, vtBearer(vtReq(http.MethodGet), access))
	if res.Code != http.StatusOK {
		t.Errorf("users with the new user's token: %d %s", res.Code, res.Body)
	}
}

// TestObtainByUsername: with USER_ID_FIELD = "username" the tokens carry
// the username, and refresh and the protected view accept them.
func TestObtainByUsername(t *testing.T) {
	e := newViewEnv(t, vtOptions{ByUsername: true, Settings: Settings{UserIDField: "username"}})
	res := e.serve(ObtainPair, vtJSON(vtObj("username", vtSiva, "password", vtSivaPassword)))
	if res.Code != http.StatusOK {
		t.Fatalf("obtain: %d %s", res.Code, res.Body)
	}
	refresh, access := checkPair(t, e, res.Body, e.clock.Now(), vtSiva)
	checkOutstanding(t, e, refresh, access, e.user(vtSiva).ID, e.clock.Now())
	if res := e.serve(Users, vtBearer(vtReq(http.MethodGet), access)); res.Code != http.StatusOK {
		t.Errorf("users: %d %s", res.Code, res.Body)
	}
	res = e.serve(Refresh, vtJSON(vtObj("refresh", refresh)))
	if res.Code != http.StatusOK {
		t.Fatalf("refresh: %d %s", res.Code, res.Body)
	}
	claims, _ := vtPayload(t, vtStrings(t, res.Body)["access"])
	if claims["user_id"] != vtSiva {
		t.Errorf("refreshed access user_id = %#v", claims["user_id"])
	}
	// Register issues username tokens too, usable at once.
	res = e.serve(Register, vtReg("anna", "anna@example.com", "Pw-1", "Pw-1"))
	if res.Code != http.StatusCreated {
		t.Fatalf("register: %d %s", res.Code, res.Body)
	}
	var reg struct {
		Token struct{ Refresh, Access string }
	}
	if err := json.Unmarshal([]byte(res.Body), &reg); err != nil {
		t.Fatal(err)
	}
	if claims, _ := vtPayload(t, reg.Token.Access); claims["user_id"] != "anna" {
		t.Errorf("registered access user_id = %#v", claims["user_id"])
	}
	checkOutstanding(t, e, reg.Token.Refresh, reg.Token.Access, e.user("anna").ID, e.clock.Now())
	if res := e.serve(Users, vtBearer(vtReq(http.MethodGet), reg.Token.Access)); res.Code != http.StatusOK {
		t.Errorf("users with the registered token: %d %s", res.Code, res.Body)
	}
	// A token naming an inactive or unknown user is refused by refresh.
	for _, name := range []string{vtInactive, "nobody"} {
		r, _ := e.pair(name)
		e.serve(Refresh, vtJSON(vtObj("refresh", r.Token))).want(t, "refresh for "+name, http.StatusUnauthorized, vtBodyNoActiveForToken)
	}
}

// TestRefresh: without rotation refresh answers {"access"} with a new
// access token issued now (iat = now, jsonwebtoken's layout), writes
// nothing, and the refresh token can be used again.
func TestRefresh(t *testing.T) {
	e := newViewEnv(t, vtOptions{})
	refresh, access := e.login(vtSiva, vtSivaPassword)
	rows, black := e.outstandingRows(), e.blacklistRows()
	seen := map[string]bool{vtJTI(t, refresh): true, vtJTI(t, access): true}
	for i, req := range []func() *http.Request{
		func() *http.Request { return vtJSON(vtObj("refresh", refresh)) },
		func() *http.Request { return vtForm(url.Values{"refresh": {refresh}}) },
		func() *http.Request { return vtMultipart(t, "refresh", refresh) },
	} {
		now := e.clock.Advance(100 * time.Second)
		res := e.serve(Refresh, req())
		if res.Code != http.StatusOK {
			t.Fatalf("refresh %d: %d %s", i, res.Code, res.Body)
		}
		if keys := vtKeys(t, res.Body); fmt.Sprint(keys) != "[access]" {
			t.Errorf("keys %v, want [access]", keys)
		}
		if res.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("Cache-Control = %q", res.Header.Get("Cache-Control"))
		}
		na := vtStrings(t, res.Body)["access"]
		claims, order := vtPayload(t, na)
		if fmt.Sprint(order) != "[token_type exp iat jti user_id]" {
			t.Errorf("claims in order %v", order)
		}
		if iat := vtInt(t, claims, "iat"); iat != now.Unix() {
			t.Errorf("iat of the refreshed access token = %d, want now %d (jwtgate does not copy the refresh token's)", iat, now.Unix())
		}
		if exp := vtInt(t, claims, "exp"); exp != now.Add(5*time.Minute).Unix() {
			t.Errorf("exp = %d, want now + 5m = %d", exp, now.Add(5*time.Minute).Unix())
		}
		if claims["token_type"] != "access" || claims["user_id"] != json.Number(fmt.Sprint(e.user(vtSiva).ID)) {
			t.Errorf("claims %v", claims)
		}
		jti, _ := claims["jti"].(string)
		if !vtHexJTI.MatchString(jti) || seen[jti] {
			t.Errorf("jti %q is not new", jti)
		}
		seen[jti] = true
		if res := e.serve(Users, vtBearer(vtReq(http.MethodGet), na)); res.Code != http.StatusOK {
			t.Errorf("the refreshed access token on users: %d %s", res.Code, res.Body)
		}
	}
	if e.outstandingRows() != rows || e.blacklistRows() != black {
		t.Error("refresh without rotation wrote token rows")
	}
	if n := e.hashCount(); n != 0 {
		t.Errorf("refresh hashed %d passwords", n)
	}
}

// TestRefreshRotation: with rotation the answer is {"access","refresh"},
// access first, with a new jti; the rotated token is not recorded, and the
// old one stays valid unless BlacklistAfterRotation.
func TestRefreshRotation(t *testing.T) {
	for _, black := range []bool{false, true} {
		t.Run(fmt.Sprint("BlacklistAfterRotation=", black), func(t *testing.T) {
			e := newViewEnv(t, vtOptions{Settings: Settings{RotateRefreshTokens: true, BlacklistAfterRotation: black}})
			refresh, _ := e.login(vtSiva, vtSivaPassword)
			rows := e.outstandingRows()
			now := e.clock.Advance(time.Hour)
			res := e.serve(Refresh, vtJSON(vtObj("refresh", refresh)))
			if res.Code != http.StatusOK {
				t.Fatalf("refresh: %d %s", res.Code, res.Body)
			}
			if !strings.HasPrefix(res.Body, `{"access":"`) || fmt.Sprint(vtKeys(t, res.Body)) != "[access refresh]" {
				t.Errorf("body %s, want {\"access\":…,\"refresh\":…}", res.Body)
			}
			if res.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q", res.Header.Get("Cache-Control"))
			}
			m := vtStrings(t, res.Body)
			rotated := m["refresh"]
			claims, order := vtPayload(t, rotated)
			if fmt.Sprint(order) != "[token_type exp iat jti user_id]" || claims["token_type"] != "refresh" {
				t.Errorf("rotated token claims %v in order %v", claims, order)
			}
			if vtJTI(t, rotated) == vtJTI(t, refresh) || !vtHexJTI.MatchString(vtJTI(t, rotated)) {
				t.Errorf("rotated jti %q, old %q", vtJTI(t, rotated), vtJTI(t, refresh))
			}
			if iat, exp := vtInt(t, claims, "iat"), vtInt(t, claims, "exp"); iat != now.Unix() || exp != now.Add(24*time.Hour).Unix() {
				t.Errorf("rotated iat %d exp %d; want %d and %d", iat, exp, now.Unix(), now.Add(24*time.Hour).Unix())
			}
			if _, ok := e.outstanding(vtJTI(t, rotated)); ok {
				t.Error("the rotated token was recorded as outstanding")
			}

			// The old token again.
			e.clock.Advance(time.Second)
			res = e.serve(Refresh, vtJSON(vtObj("refresh", refresh)))
			if black {
				res.want(t, "reusing the rotated-away token", http.StatusUnauthorized, vtBodyBlacklisted)
				o, ok := e.outstanding(vtJTI(t, refresh))
				if !ok || o.Black != 1 || o.Token != refresh {
					t.Errorf("outstanding row of the old token %+v (found %v), want it blacklisted", o, ok)
				}
				e.serve(Verify, vtJSON(vtObj("token", refresh))).want(t, "verify of the old token", http.StatusBadRequest, vtBodyVerifyBlacklisted)
			} else {
				if res.Code != http.StatusOK {
					t.Errorf("reusing the old token without blacklisting: %d %s", res.Code, res.Body)
				}
				if e.outstandingRows() != rows || e.blacklistRows() != 0 {
					t.Error("rotation without blacklisting wrote token rows")
				}
			}
			// The rotated token works, and rotates in turn.
			e.clock.Advance(time.Second)
			res = e.serve(Refresh, vtJSON(vtObj("refresh", rotated)))
			if res.Code != http.StatusOK || fmt.Sprint(vtKeys(t, res.Body)) != "[access refresh]" {
				t.Errorf("refresh with the rotated token: %d %s", res.Code, res.Body)
			}
		})
	}
}

// TestRefreshBlacklistWithoutRotation is mode m4: BlacklistAfterRotation
// alone changes nothing on refresh.
func TestRefreshBlacklistWithoutRotation(t *testing.T) {
	e := newViewEnv(t, vtOptions{Settings: Settings{BlacklistAfterRotation: true}})
	refresh, _ := e.login(vtSiva, vtSivaPassword)
	for i := 0; i < 2; i++ {
		res := e.serve(Refresh, vtJSON(vtObj("refresh", refresh)))
		if res.Code != http.StatusOK || fmt.Sprint(vtKeys(t, res.Body)) != "[access]" {
			t.Errorf("refresh %d: %d %s", i, res.Code, res.Body)
		}
	}
	if n := e.blacklistRows(); n != 0 {
		t.Errorf("%d blacklist rows", n)
	}
}

// TestRefreshConcurrentRotation: of 16 concurrent refreshes of one token
// with rotation and blacklisting exactly one succeeds; the others are told
// the token is blacklisted.
func TestRefreshConcurrentRotation(t *testing.T) {
	e := newViewEnv(t, vtOptions{Settings: Settings{RotateRefreshTokens: true, BlacklistAfterRotation: true}})
	refresh, _ := e.login(vtSiva, vtSivaPassword)
	e.clock.Advance(time.Second)
	const n = 16
	results := make([]vtResp, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i] = e.serveRaw(Refresh, vtJSON(vtObj("refresh", refresh)))
		}()
	}
	close(start)
	wg.Wait()
	ok := 0
	for _, r := range results {
		switch {
		case r.Code == http.StatusOK:
			ok++
		case r.Code == http.StatusUnauthorized && r.Body == vtBodyBlacklisted:
		default:
			t.Errorf("unexpected answer %d %s", r.Code, r.Body)
		}
	}
	if ok != 1 {
		t.Errorf("%d of %d concurrent refreshes succeeded, want exactly 1", ok, n)
	}
	if calls := e.viewCalls(); len(calls) != n {
		t.Errorf("%d Hooks.View calls for %d requests", len(calls), n)
	}
	if n := e.blacklistRows(); n != 1 {
		t.Errorf("%d blacklist rows, want 1", n)
	}
}

// TestRefreshRefused: token problems are 401 token_not_valid with
// simplejwt's messages, in simplejwt's order; a token without jti is a 401
// (simplejwt: HTML 500).
func TestRefreshRefused(t *testing.T) {
	e := newViewEnv(t, vtOptions{Settings: Settings{RotateRefreshTokens: true, BlacklistAfterRotation: true}})
	refresh, access := e.login(vtSiva, vtSivaPassword)
	now := e.clock.Now().Unix()
	id := e.user(vtSiva).ID
	payload := func(format string) string { return vtSign(vtKey, fmt.Sprintf(format, now+3600, now, id)) }
	segs := strings.Split(refresh, ".")
	for _, c := range []struct {
		name, tok, body string
	}{
		{"access token", access, vtBodyWrongType},
		{"sliding token", payload(`{"token_type":"sliding","exp":%d,"iat":%d,"jti":"0123456789abcdef0123456789abcdef","user_id":%d}`), vtBodyWrongType},
		{"no jti", payload(`{"token_type":"refresh","exp":%d,"iat":%d,"user_id":%d}`), vtBodyNoID},
		{"no type", payload(`{"exp":%d,"iat":%d,"jti":"0123456789abcdef0123456789abcdee","user_id":%d}`), vtBodyNoType},
		{"no exp", vtSign(vtKey, fmt.Sprintf(`{"token_type":"refresh","iat":%d,"jti":"0123456789abcdef0123456789abcded","user_id":%d}`, now, id)), vtBodyNoExp},
		{"expired", vtSign(vtKey, fmt.Sprintf(`{"token_type":"refresh","exp":%d,"iat":%d,"jti":"0123456789abcdef0123456789abcdec","user_id":%d}`, now, now-10, id)), vtBodyInvalid},
		{"iat in the future", vtSign(vtKey, fmt.Sprintf(`{"token_type":"refresh","exp":%d,"iat":%d,"jti":"0123456789abcdef0123456789abcdeb","user_id":%d}`, now+3600, now+60, id)), vtBodyInvalid},
		{"wrong key", vtSign(vtKey+"x", fmt.Sprintf(`{"token_type":"refresh","exp":%d,"iat":%d,"jti":"0123456789abcdef0123456789abcdea","user_id":%d}`, now+3600, now, id)), vtBodyInvalid},
		{"tampered signature", segs[0] + "." + segs[1] + "." + strings.Repeat("A", len(segs[2])), vtBodyInvalid},
		{"garbage", "garbage", vtBodyInvalid},
	} {
		res := e.serve(Refresh, vtJSON(vtObj("refresh", c.tok)))
		res.want(t, c.name, http.StatusUnauthorized, c.body)
		if res.Header.Get("Cache-Control") != "" {
			t.Errorf("%s: Cache-Control on a refusal", c.name)
		}
	}
	e.serve(Refresh, vtJSON(`{}`)).want(t, "missing", http.StatusBadRequest, `{"refresh":["This field is required."]}`)
	e.serve(Refresh, vtJSON(`{"refresh":" "}`)).want(t, "blank", http.StatusBadRequest, `{"refresh":["This field may not be blank."]}`)
	e.serve(Refresh, vtJSON(`{"refresh":null}`)).want(t, "null", http.StatusBadRequest, `{"refresh":["This field may not be null."]}`)
	if n := e.blacklistRows(); n != 0 {
		t.Errorf("refused refreshes blacklisted %d tokens", n)
	}
	// The Authorization header is ignored, even when broken.
	r := vtJSON(vtObj("refresh", refresh))
	r.Header.Set("Authorization", "Bearer")
	if res := e.serve(Refresh, r); res.Code != http.StatusOK {
		t.Errorf("refresh with a broken Authorization header: %d %s", res.Code, res.Body)
	}
	if n := e.logs.Len(); n != 0 {
		t.Errorf("refused tokens were logged: %q", vtLogText(e.logs))
	}
}

// TestRefreshInactiveOrDeletedUser: unlike simplejwt 5.2.2, a refresh
// token of a deactivated or deleted user (as the store's change feed
// reports it) no longer mints tokens, and refusing it blacklists nothing.
func TestRefreshInactiveOrDeletedUser(t *testing.T) {
	e := newViewEnv(t, vtOptions{Watch: true, Settings: Settings{RotateRefreshTokens: true, BlacklistAfterRotation: true}})
	ctx := context.Background()
	u := e.addUser("anna", "anna-pass-123", "anna@example.com", true)
	e.waitIndex(u.ID, "created", func(_ store.UserState, found bool) bool { return found })
	refresh, _ := e.login("anna", "anna-pass-123")

	if err := e.store.SetActive(ctx, u.ID, false); err != nil {
		t.Fatal(err)
	}
	e.waitIndex(u.ID, "deactivated", func(st store.UserState, found bool) bool { return found && !st.IsActive })
	e.serve(Refresh, vtJSON(vtObj("refresh", refresh))).want(t, "inactive user", http.StatusUnauthorized, vtBodyNoActiveForToken)
	if n := e.blacklistRows(); n != 0 {
		t.Errorf("refusing the token blacklisted it (%d rows)", n)
	}

	if err := e.store.SetActive(ctx, u.ID, true); err != nil {
		t.Fatal(err)
	}
	e.waitIndex(u.ID, "reactivated", func(st store.UserState, found bool) bool { return found && st.IsActive })
	res := e.serve(Refresh, vtJSON(vtObj("refresh", refresh)))
	if res.Code != http.StatusOK {
		t.Fatalf("refresh after reactivation: %d %s", res.Code, res.Body)
	}
	rotated := vtStrings(t, res.Body)["refresh"]

	if err := e.store.DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	e.waitIndex(u.ID, "deleted", func(_ store.UserState, found bool) bool { return !found })
	e.serve(Refresh, vtJSON(vtObj("refresh", rotated))).want(t, "deleted user", http.StatusUnauthorized, vtBodyNoActiveForToken)

	// A user that never existed, and a user id that is not one.
	r, _ := e.pair(int64(9999))
	e.serve(Refresh, vtJSON(vtObj("refresh", r.Token))).want(t, "unknown user", http.StatusUnauthorized, vtBodyNoActiveForToken)
	now := e.clock.Now().Unix()
	bad := vtSign(vtKey, fmt.Sprintf(`{"token_type":"refresh","exp":%d,"iat":%d,"jti":"0123456789abcdef0123456789abcdef","user_id":"abc"}`, now+60, now))
	e.serve(Refresh, vtJSON(vtObj("refresh", bad))).want(t, "non-numeric user id", http.StatusUnauthorized, vtBodyNoActiveForToken)
	if n := e.blacklistRows(); n != 1 { // the one successful rotation
		t.Errorf("%d blacklist rows, want 1", n)
	}
}

// TestRefreshIndexNotLoaded: before the user table has been read, refresh
// cannot check the user and answers 503.
func TestRefreshIndexNotLoaded(t *testing.T) {
	e := newViewEnv(t, vtOptions{NoLoad: true})
	r, _ := e.pair(e.user(vtSiva).ID)
	res := e.serve(Refresh, vtJSON(vtObj("refresh", r.Token)))
	res.want(t, "refresh", http.StatusServiceUnavailable, vtBodyUnavailable)
	if got := res.Header.Get("Retry-After"); got != "5" {
		t.Errorf("Retry-After = %q, want 5", got)
	}
}

// TestVerify: any valid token is {}; the blacklist counts only with
// BlacklistAfterRotation, and then as a 400 field error.
func TestVerify(t *testing.T) {
	for _, black := range []bool{false, true} {
		t.Run(fmt.Sprint("BlacklistAfterRotation=", black), func(t *testing.T) {
			e := newViewEnv(t, vtOptions{Settings: Settings{BlacklistAfterRotation: black}})
			refresh, access := e.login(vtSiva, vtSivaPassword)
			now := e.clock.Now().Unix()
			ghost, _ := e.pair(int64(9999))
			for name, tok := range map[string]string{
				"access":              access,
				"refresh":             refresh,
				"no type":             vtSign(vtKey, fmt.Sprintf(`{"exp":%d,"jti":"0123456789abcdef0123456789abcdef","user_id":1}`, now+60)),
				"unknown type":        vtSign(vtKey, fmt.Sprintf(`{"token_type":"sliding","exp":%d,"jti":"0123456789abcdef0123456789abcdef"}`, now+60)),
				"user does not exist": ghost.Token,
			} {
				e.serve(Verify, vtJSON(vtObj("token", tok))).want(t, name, http.StatusOK, `{}`)
			}
			e.serve(Verify, vtForm(url.Values{"token": {access}})).want(t, "form", http.StatusOK, `{}`)
			e.serve(Verify, vtMultipart(t, "token", refresh)).want(t, "multipart", http.StatusOK, `{}`)

			for _, c := range []struct{ name, tok, body string }{
				{"no jti", vtSign(vtKey, fmt.Sprintf(`{"token_type":"access","exp":%d,"iat":%d,"user_id":1}`, now+60, now)), vtBodyNoID},
				{"no exp", vtSign(vtKey, fmt.Sprintf(`{"token_type":"access","iat":%d,"jti":"0123456789abcdef0123456789abcdef","user_id":1}`, now)), vtBodyNoExp},
				{"expired", vtSign(vtKey, fmt.Sprintf(`{"token_type":"access","exp":%d,"jti":"0123456789abcdef0123456789abcdef","user_id":1}`, now)), vtBodyInvalid},
				{"wrong key", vtSign(strings.Repeat("k", 40), fmt.Sprintf(`{"token_type":"access","exp":%d,"jti":"0123456789abcdef0123456789abcdef","user_id":1}`, now+60)), vtBodyInvalid},
				{"garbage", "a.b.c", vtBodyInvalid},
			} {
				e.serve(Verify, vtJSON(vtObj("token", c.tok))).want(t, c.name, http.StatusUnauthorized, c.body)
			}
			e.serve(Verify, vtJSON(`{}`)).want(t, "missing", http.StatusBadRequest, `{"token":["This field is required."]}`)
			e.serve(Verify, vtJSON(`{"token":""}`)).want(t, "blank", http.StatusBadRequest, `{"token":["This field may not be blank."]}`)

			// Log out, then verify the refresh token.
			e.serve(Blacklist, vtJSON(vtObj("refresh", refresh))).want(t, "logout", http.StatusOK, `{}`)
			res := e.serve(Verify, vtJSON(vtObj("token", refresh)))
			if black {
				res.want(t, "verify of a blacklisted token", http.StatusBadRequest, vtBodyVerifyBlacklisted)
			} else {
				res.want(t, "verify of a blacklisted token", http.StatusOK, `{}`)
			}
			// The access token of the pair was never blacklisted.
			e.serve(Verify, vtJSON(vtObj("token", access))).want(t, "access of the pair", http.StatusOK, `{}`)
			// Once expired, a blacklisted token is reported expired.
			e.clock.Advance(25 * time.Hour)
			e.serve(Verify, vtJSON(vtObj("token", refresh))).want(t, "expired blacklisted", http.StatusUnauthorized, vtBodyInvalid)
		})
	}
}

// TestBlacklist: logout answers {}, a second logout and any later refresh
// say the token is blacklisted, the access token stays valid, and a valid
// refresh token never recorded is blacklisted all the same.
func TestBlacklist(t *testing.T) {
	e := newViewEnv(t, vtOptions{})
	refresh, access := e.login(vtSiva, vtSivaPassword)
	rows := e.outstandingRows()
	e.clock.Advance(time.Minute)
	e.serve(Blacklist, vtForm(url.Values{"refresh": {refresh}})).want(t, "logout", http.StatusOK, `{}`)
	if e.outstandingRows() != rows {
		t.Error("logout of a recorded token added an outstanding row")
	}
	if o, ok := e.outstanding(vtJTI(t, refresh)); !ok || o.Black != 1 || !o.UserID.Valid {
		t.Errorf("outstanding row after logout %+v (found %v)", o, ok)
	}
	if n := e.count(`SELECT COUNT(*) FROM "token_blacklist_blacklistedtoken" WHERE "blacklisted_at" = ?`, vtDjangoTime(e.clock.Now())); n != 1 {
		t.Errorf("no blacklist row at %s", vtDjangoTime(e.clock.Now()))
	}
	e.serve(Blacklist, vtJSON(vtObj("refresh", refresh))).want(t, "second logout", http.StatusUnauthorized, vtBodyBlacklisted)
	e.serve(Refresh, vtJSON(vtObj("refresh", refresh))).want(t, "refresh after logout", http.StatusUnauthorized, vtBodyBlacklisted)
	// Logout ends the session: its access token too (docs/sessions.md).
	e.serve(Users, vtBearer(vtReq(http.MethodGet), access)).want(t, "the access token after logout", http.StatusUnauthorized, vtBodyAccessBlacklisted)
	e.serve(Blacklist, vtJSON(vtObj("refresh", access))).want(t, "access token", http.StatusUnauthorized, vtBodyWrongType)

	// A valid refresh token that was never recorded (issued by Django, or
	// by another gateway) is blacklisted with a new row without user and
	// creation time, as simplejwt's get_or_create leaves it.
	ghost, _ := e.pair(e.user(vtSiva).ID)
	e.serve(Blacklist, vtMultipart(t, "refresh", ghost.Token)).want(t, "logout of an unrecorded token", http.StatusOK, `{}`)
	o, ok := e.outstanding(ghost.JTI)
	if !ok || o.Black != 1 || o.UserID.Valid || o.CreatedAt.Valid || o.Token != ghost.Token ||
		o.ExpiresAt != vtDjangoTime(ghost.ExpiresAt) {
		t.Errorf("row of the unrecorded token %+v (found %v); want user_id and created_at NULL, blacklisted", o, ok)
	}
	e.serve(Refresh, vtJSON(vtObj("refresh", ghost.Token))).want(t, "refresh of it", http.StatusUnauthorized, vtBodyBlacklisted)

	now := e.clock.Now().Unix()
	e.serve(Blacklist, vtJSON(vtObj("refresh", vtSign(vtKey, fmt.Sprintf(`{"token_type":"refresh","exp":%d,"iat":%d,"user_id":1}`, now+60, now))))).
		want(t, "no jti", http.StatusUnauthorized, vtBodyNoID)
	e.serve(Blacklist, vtJSON(vtObj("refresh", vtSign(vtKey, fmt.Sprintf(`{"token_type":"refresh","exp":%d,"jti":"0123456789abcdef0123456789abcdef","user_id":1}`, now))))).
		want(t, "expired", http.StatusUnauthorized, vtBodyInvalid)
	e.serve(Blacklist, vtJSON(vtObj("refresh", "x.y.z"))).want(t, "garbage", http.StatusUnauthorized, vtBodyInvalid)
	e.serve(Blacklist, vtJSON(`{}`)).want(t, "missing", http.StatusBadRequest, `{"refresh":["This field is required."]}`)
	e.serve(Blacklist, vtJSON(`{"refresh":""}`)).want(t, "blank", http.StatusBadRequest, `{"refresh":["This field may not be blank."]}`)
}

// TestBlacklistConcurrent: of concurrent logouts of one token exactly one
// succeeds.
func TestBlacklistConcurrent(t *testing.T) {
	e := newViewEnv(t, vtOptions{})
	refresh, _ := e.login(vtSiva, vtSivaPassword)
	const n = 8
	codes := make([]vtResp, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = e.serveRaw(Blacklist, vtJSON(vtObj("refresh", refresh)))
		}()
	}
	wg.Wait()
	e.viewCalls()
	ok := 0
	for _, r := range codes {
		switch {
		case r.Code == http.StatusOK && r.Body == `{}`:
			ok++
		case r.Code == http.StatusUnauthorized && r.Body == vtBodyBlacklisted:
		default:
			t.Errorf("unexpected %d %s", r.Code, r.Body)
		}
	}
	if ok != 1 {
		t.Errorf("%d logouts succeeded, want 1", ok)
	}
}

// vtMetadata is what the reference answers to OPTIONS on each view
// (recorded from django_ref with DRF 3.14 / simplejwt 5.2.2).
var vtMetadata = map[View]string{
	ObtainPair: `{"name":"Token Obtain Pair","description":"Takes a set of user credentials and returns an access and refresh JSON web\ntoken pair to prove the authentication of those credentials.","renders":["application/json","text/html"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"],"actions":{"POST":{"username":{"type":"string","required":true,"read_only":false,"label":"Username"},"password":{"type":"string","required":true,"read_only":false,"label":"Password"}}}}`,
	Refresh:    `{"name":"Token Refresh","description":"Takes a refresh type JSON web token and returns an access type JSON web\ntoken if the refresh token is valid.","renders":["application/json","text/html"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"],"actions":{"POST":{"refresh":{"type":"string","required":true,"read_only":false,"label":"Refresh"},"access":{"type":"string","required":false,"read_only":true,"label":"Access"}}}}`,
	Verify:     `{"name":"Token Verify","description":"Takes a token and indicates if it is valid.  This view provides no\ninformation about a token's fitness for a particular use.","renders":["application/json","text/html"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"],"actions":{"POST":{"token":{"type":"string","required":true,"read_only":false,"label":"Token"}}}}`,
	Blacklist:  "{\"name\":\"Token Blacklist\",\"description\":\"Takes a token and blacklists it. Must be used with the\\n`rest_framework_simplejwt.token_blacklist` app installed.\",\"renders\":[\"application/json\",\"text/html\"],\"parses\":[\"application/json\",\"application/x-www-form-urlencoded\",\"multipart/form-data\"],\"actions\":{\"POST\":{\"refresh\":{\"type\":\"string\",\"required\":true,\"read_only\":false,\"label\":\"Refresh\"}}}}",
	Register:   `{"name":"Registration View","description":"","renders":["application/json","text/html"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"]}`,
	Users:      `{"name":"User List View","description":"","renders":["application/json","text/html"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"]}`,
	LogoutAll:  `{"name":"Logout All","description":"Ends every token of the authenticated user issued before now.","renders":["application/json","text/html"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"]}`,
	Sessions:   `{"name":"Sessions","description":"Lists the authenticated user's live sessions; DELETE <id>/ ends one.","renders":["application/json","text/html"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"]}`,
}

// TestViewsCommon: what DRF does the same way on every view: OPTIONS
// metadata, 405 with Allow, 406, 415, 413, the DRF headers, and exactly
// one Hooks.View call per request (checked by serve).
func TestViewsCommon(t *testing.T) {
	e := newViewEnv(t, vtOptions{Settings: Settings{MaxBodyBytes: 1024}})
	_, access := e.login(vtSiva, vtSivaPassword)
	auth := func(v View, r *http.Request) *http.Request {
		if v == Users || v == LogoutAll || v == Sessions {
			return vtBearer(r, access)
		}
		return r
	}
	if len(Views()) != len(vtMetadata) {
		t.Fatalf("%d views, %d metadata bodies", len(Views()), len(vtMetadata))
	}
	for _, v := range Views() {
		t.Run(v.String(), func(t *testing.T) {
			e.serve(v, auth(v, vtReq(http.MethodOptions))).want(t, "OPTIONS", http.StatusOK, vtMetadata[v])
			// OPTIONS with a body and a Content-Type nobody parses: the
			// body is not read.
			r := vtWithBody(http.MethodOptions, "text/plain", "hello")
			e.serve(v, auth(v, r)).want(t, "OPTIONS with a body", http.StatusOK, vtMetadata[v])

			wrong := http.MethodGet
			if v == Users || v == Sessions {
				wrong = http.MethodPut
			}
			e.serve(v, auth(v, vtReq(wrong))).want(t, wrong, http.StatusMethodNotAllowed, `{"detail":"Method \"`+wrong+`\" not allowed."}`)
			e.serve(v, auth(v, vtReq("patch"))).want(t, "lower-case patch", http.StatusMethodNotAllowed, `{"detail":"Method \"PATCH\" not allowed."}`)

			if v == Users || v == LogoutAll || v == Sessions { // no body read
				return
			}
			r = auth(v, vtJSON(`{}`))
			r.Header.Set("Accept", "application/xml")
			e.serve(v, r).want(t, "Accept: application/xml", http.StatusNotAcceptable, `{"detail":"Could not satisfy the request Accept header."}`)
			r = vtWithBody(http.MethodPost, "text/plain", "username=siva")
			r.Header.Set("Accept", "application/xml")
			e.serve(v, r).want(t, "406 before 415", http.StatusNotAcceptable, `{"detail":"Could not satisfy the request Accept header."}`)
			for _, accept := range []string{"*/*", "application/json", "text/html;q=0.5, application/json", "text/html"} {
				r = vtJSON(`[]`)
				r.Header.Set("Accept", accept)
				e.serve(v, r).want(t, "Accept: "+accept, http.StatusBadRequest, `{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}`)
			}

			e.serve(v, vtWithBody(http.MethodPost, "text/plain", "x")).want(t, "text/plain", http.StatusUnsupportedMediaType, `{"detail":"Unsupported media type \"text/plain\" in request."}`)
			e.serve(v, vtWithBody(http.MethodPost, "", "x")).want(t, "no Content-Type", http.StatusUnsupportedMediaType, `{"detail":"Unsupported media type \"\" in request."}`)
			e.serve(v, vtJSON(`{"username": }`)).want(t, "malformed JSON", http.StatusBadRequest, `{"detail":"JSON parse error - Expecting value: line 1 column 14 (char 13)"}`)

			big := `{"pad":"` + strings.Repeat("x", 2000) + `"}`
			e.serve(v, vtJSON(big)).want(t, "large body", http.StatusRequestEntityTooLarge, `{"detail":"Request body exceeds the limit of 1024 bytes."}`)
			r = vtWithBody(http.MethodPost, "application/json", "")
			r.Body = io.NopCloser(vtChunked{strings.NewReader(big)})
			r.ContentLength = -1
			e.serve(v, r).want(t, "large chunked body", http.StatusRequestEntityTooLarge, `{"detail":"Request body exceeds the limit of 1024 bytes."}`)
		})
	}
	if n := e.hashCount(); n != 0 {
		t.Errorf("%d hash computations", n)
	}
	if f := e.loginFailures(); len(f) != 0 {
		t.Errorf("LoginFailed %q", f)
	}
	// An unknown view is a 404, and not a view call.
	w := httptest.NewRecorder()
	e.svc.ServeView(View(99), w, vtReq(http.MethodGet))
	if w.Code != http.StatusNotFound || w.Body.String() != `{"detail":"Not found."}` {
		t.Errorf("unknown view: %d %s", w.Code, w.Body.String())
	}
	if c := e.viewCalls(); len(c) != 0 {
		t.Errorf("Hooks.View %v for an unknown view", c)
	}
}

// TestViewNames: the configuration names of the views.
func TestViewNames(t *testing.T) {
	for _, v := range Views() {
		if got, ok := ParseView(v.String()); !ok || got != v {
			t.Errorf("ParseView(%q) = %v, %v", v.String(), got, ok)
		}
	}
	if fmt.Sprint(Views()) != "[obtain refresh verify blacklist register users logout_all sessions]" {
		t.Errorf("Views() = %v", Views())
	}
	if _, ok := ParseView("login"); ok {
		t.Error("ParseView(login) succeeded")
	}
	if View(99).String() != "unknown" {
		t.Errorf("View(99) = %q", View(99).String())
	}
}

// TestNewServiceChecks: NewService refuses what it cannot run with and
// fills in the defaults.
func TestNewServiceChecks(t *testing.T) {
	e := newViewEnv(t, vtOptions{})
	base := Config{Codec: e.codec, Store: e.store, Passwords: e.pw, Users: e.users, Auth: e.auth}
	for name, mod := range map[string]func(*Config){
		"no codec":     func(c *Config) { c.Codec = nil },
		"no store":     func(c *Config) { c.Store = nil },
		"no passwords": func(c *Config) { c.Passwords = nil },
		"no users":     func(c *Config) { c.Users = nil },
		"no auth":      func(c *Config) { c.Auth = nil },
		"bad id field": func(c *Config) { c.Settings.UserIDField = "email" },
	} {
		cfg := base
		mod(&cfg)
		if _, err := NewService(cfg); err == nil {
			t.Errorf("%s: NewService succeeded", name)
		}
	}
	s, err := NewService(base)
	if err != nil {
		t.Fatal(err)
	}
	want := Settings{HeaderName: "Authorization", HeaderTypes: []string{"Bearer"},
		UserIDField: "id", MaxBodyBytes: 64 << 10, DBTimeout: 5 * time.Second, RetryAfter: 5 * time.Second, RefreshTokenReuseInterval: 10 * time.Second}
	if got := s.Settings(); !reflect.DeepEqual(got, want) {
		t.Errorf("defaults %+v, want %+v", got, want)
	}
	// Without hooks, logger and clock the views still work.
	w := httptest.NewRecorder()
	s.ServeView(ObtainPair, w, vtJSON(vtObj("username", vtSiva, "password", "wrong")))
	if w.Code != http.StatusUnauthorized || w.Body.String() != vtBodyNoActiveAccount {
		t.Errorf("obtain without hooks: %d %s", w.Code, w.Body.String())
	}
}

// TestHooksView: Hooks.View sees the status of every kind of answer,
// once per request (serve checks each call).
func TestHooksView(t *testing.T) {
	e := newViewEnv(t, vtOptions{})
	refresh, access := e.login(vtSiva, vtSivaPassword)
	e.serve(Refresh, vtJSON(vtObj("refresh", refresh)))
	e.serve(Verify, vtJSON(vtObj("token", access)))
	e.serve(Users, vtReq(http.MethodGet))
	e.serve(Register, vtJSON(`{"username":"anna","email":"anna@example.com","password":"x","password2":"x"}`))
	e.serve(Register, vtJSON(`{}`))
	e.serve(ObtainPair, vtReq(http.MethodGet))
	e.serve(Blacklist, vtJSON(vtObj("refresh", refresh)))
	e.serve(Blacklist, vtJSON(vtObj("refresh", refresh)))
	e.store.Close()
	e.serve(ObtainPair, vtJSON(vtObj("username", vtSiva, "password", vtSivaPassword)))
}
