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
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/password"
	sjt "github.com/jwtgate/jwtgate/simplejwt/simplejwttest"
	"github.com/jwtgate/jwtgate/store"
)

// TestObtainPair: username and password in each of the three encodings
// give {"refresh","access"}, no-store, one hash and one outstanding row;
// the access token works at once on a protected view.
func TestObtainPair(t *testing.T) {
	e := newViewEnv(t, vtOptions{})
	siva := e.User(sjt.Siva)
	for _, c := range []struct {
		name string
		req  func() *http.Request
	}{
		{"json", func() *http.Request { return sjt.JSON(sjt.Obj("username", sjt.Siva, "password", sjt.SivaPassword)) }},
		{"form", func() *http.Request {
			return sjt.Form(url.Values{"username": {sjt.Siva}, "password": {sjt.SivaPassword}})
		}},
		{"multipart", func() *http.Request { return sjt.Multipart(t, "username", sjt.Siva, "password", sjt.SivaPassword) }},
		{"json, trimmed, extra fields, garbage Authorization", func() *http.Request {
			r := sjt.JSON(`{"username":"  siva ","password":"\tsiva  ","remember":true}`)
			r.Header.Set("Authorization", "Bearer garbage")
			return r
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			now := e.Clock.Advance(time.Second)
			rows := e.OutstandingRows()
			res := e.serve(ObtainPair, c.req())
			if res.Code != http.StatusOK {
				t.Fatalf("%d %s", res.Code, res.Body)
			}
			if cc := res.Header.Values("Cache-Control"); len(cc) != 1 || cc[0] != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", cc)
			}
			refresh, access := sjt.CheckPair(t, e.Env, res.Body, now, siva.ID)
			if n := e.HashCount(); n != 1 {
				t.Errorf("%d hash computations, want 1", n)
			}
			if got := e.OutstandingRows(); got != rows+1 {
				t.Errorf("%d outstanding rows after obtain, want %d", got, rows+1)
			}
			sjt.CheckOutstanding(t, e.Env, refresh, access, siva.ID, now)
			if f := e.LoginFailures(); len(f) != 0 {
				t.Errorf("LoginFailed %v on a success", f)
			}
			if res := e.serve(Sessions, sjt.Bearer(sjt.Req(http.MethodGet), access)); res.Code != http.StatusOK {
				t.Errorf("the access token on users: %d %s", res.Code, res.Body)
			}
			if res := e.serve(Refresh, sjt.JSON(sjt.Obj("refresh", refresh))); res.Code != http.StatusOK {
				t.Errorf("the refresh token on refresh: %d %s", res.Code, res.Body)
			}
		})
	}
	// Nothing of the above reaches the log.
	if n := e.Logs.Len(); n != 0 {
		t.Errorf("%d log entries on successful logins: %q", n, sjt.LogText(e.Logs))
	}
}

// TestObtainRefused: every refused login answers the same 401, runs the
// hasher exactly once, reports the username to Hooks.LoginFailed and
// records nothing.
func TestObtainRefused(t *testing.T) {
	e := newViewEnv(t, vtOptions{})
	e.AddUserHash("unusable", password.MakeUnusable(), "unusable@example.com", true)
	e.AddUserHash("malformed", "pbkdf2_sha256$x$y$z", "malformed@example.com", true)
	e.Sync()
	var first *sjt.Resp
	for _, c := range []struct{ name, username, password string }{
		{"wrong password", sjt.Siva, "wrong"},
		{"unknown user", "nobody", sjt.SivaPassword},
		{"inactive user with the right password", sjt.Inactive, sjt.InactivePass},
		{"inactive user with a wrong password", sjt.Inactive, "wrong"},
		{"unusable password", "unusable", "anything"},
		{"malformed hash", "malformed", "anything"},
		{"wrong case of the username", "Siva", sjt.SivaPassword},
		{"wrong case of the password", sjt.Siva, "SIVA"},
		{"number as username", "123", sjt.SivaPassword},
	} {
		t.Run(c.name, func(t *testing.T) {
			rows, black := e.OutstandingRows(), e.BlacklistRows()
			req := sjt.Form(url.Values{"username": {c.username}, "password": {c.password}})
			if c.username == "123" {
				req = sjt.JSON(`{"username":123,"password":"siva"}`)
			}
			res := e.serve(ObtainPair, req)
			res.Want(t, "obtain", http.StatusUnauthorized, sjt.BodyNoActiveAccount)
			if res.Header.Get("Cache-Control") != "" {
				t.Errorf("Cache-Control %q on a refusal", res.Header.Get("Cache-Control"))
			}
			if n := e.HashCount(); n != 1 {
				t.Errorf("%d hash computations, want exactly 1", n)
			}
			if f := e.LoginFailures(); len(f) != 1 || f[0] != c.username {
				t.Errorf("LoginFailed got %q, want [%q]", f, c.username)
			}
			if e.OutstandingRows() != rows || e.BlacklistRows() != black {
				t.Error("a refused login wrote token rows")
			}
			if first == nil {
				first = &res
			} else if !reflectEqualHeader(first.Header, res.Header) {
				t.Errorf("headers differ between refusals:\n%v\n%v", first.Header, res.Header)
			}
		})
	}
	if n := e.Logs.Len(); n != 0 {
		t.Errorf("the service logged refused logins itself: %q", sjt.LogText(e.Logs))
	}
	e.AssertLogsClean(sjt.SivaPassword, sjt.InactivePass, "wrong")
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
		{"missing both", sjt.JSON(`{}`), `{"username":["This field is required."],"password":["This field is required."]}`},
		{"no body at all", sjt.Req(http.MethodPost), `{"username":["This field is required."],"password":["This field is required."]}`},
		{"missing password", sjt.JSON(`{"username":"siva"}`), `{"password":["This field is required."]}`},
		{"blank", sjt.JSON(`{"username":"","password":""}`), `{"username":["This field may not be blank."],"password":["This field may not be blank."]}`},
		{"whitespace only", sjt.JSON(`{"username":"   ","password":"\t\n"}`), `{"username":["This field may not be blank."],"password":["This field may not be blank."]}`},
		{"blank form", sjt.Form(url.Values{"username": {""}, "password": {""}}), `{"username":["This field may not be blank."],"password":["This field may not be blank."]}`},
		{"null", sjt.JSON(`{"username":null,"password":null}`), `{"username":["This field may not be null."],"password":["This field may not be null."]}`},
		{"list and object", sjt.JSON(`{"username":["siva"],"password":{"p":"siva"}}`), `{"username":["Not a valid string."],"password":["Not a valid string."]}`},
		{"booleans", sjt.JSON(`{"username":true,"password":false}`), `{"username":["Not a valid string."],"password":["Not a valid string."]}`},
		{"array body", sjt.JSON(`[]`), `{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}`},
	} {
		res := e.serve(ObtainPair, c.req)
		res.Want(t, c.name, http.StatusBadRequest, c.body)
		if n := e.HashCount(); n != 0 {
			t.Errorf("%s: %d hash computations, want none", c.name, n)
		}
	}
	if f := e.LoginFailures(); len(f) != 0 {
		t.Errorf("LoginFailed %q on field errors", f)
	}
	if n := e.OutstandingRows(); n != 0 {
		t.Errorf("%d outstanding rows", n)
	}
}

// TestObtainUpdateLastLogin: last_login stays NULL unless UpdateLastLogin,
// and is then the login's time, to the microsecond.
func TestObtainUpdateLastLogin(t *testing.T) {
	for _, on := range []bool{false, true} {
		t.Run(fmt.Sprint("UpdateLastLogin=", on), func(t *testing.T) {
			e := newViewEnv(t, vtOptions{Settings: Settings{UpdateLastLogin: on}})
			now := e.Clock.Advance(90 * time.Second)
			e.login(sjt.Siva, sjt.SivaPassword)
			ll := e.User(sjt.Siva).LastLogin
			switch {
			case !on && ll != nil:
				t.Errorf("last_login = %v, want NULL", ll)
			case on && (ll == nil || !ll.Equal(now.Truncate(time.Microsecond))):
				t.Errorf("last_login = %v, want %v", ll, now.Truncate(time.Microsecond))
			}
			if on {
				// A refused login leaves it alone.
				e.Clock.Advance(time.Minute)
				e.serve(ObtainPair, sjt.JSON(sjt.Obj("username", sjt.Siva, "password", "wrong")))
				if ll2 := e.User(sjt.Siva).LastLogin; ll2 == nil || !ll2.Equal(*ll) {
					t.Errorf("a refused login changed last_login to %v", ll2)
				}
				if n := e.Count(`SELECT COUNT(*) FROM "auth_user" WHERE "last_login" = ?`, sjt.DjangoTime(now)); n != 1 {
					t.Errorf("last_login is not stored as Django stores it (%s)", sjt.DjangoTime(now))
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
			e.AddUserHash("olduser", old, "old@example.com", true)
			e.Sync()
			sivaHash := e.User(sjt.Siva).Password

			if on {
				// A wrong password never re-hashes.
				res := e.serve(ObtainPair, sjt.JSON(sjt.Obj("username", "olduser", "password", "wrong")))
				res.Want(t, "wrong password", http.StatusUnauthorized, sjt.BodyNoActiveAccount)
				if got := e.User("olduser").Password; got != old {
					t.Errorf("a refused login rewrote the hash: %s", got)
				}
				e.HashCount()
			}

			res := e.serve(ObtainPair, sjt.JSON(sjt.Obj("username", "olduser", "password", pw)))
			if res.Code != http.StatusOK {
				t.Fatalf("login: %d %s", res.Code, res.Body)
			}
			got := e.User("olduser").Password
			wantHashes := int64(1)
			if on {
				wantHashes = 2 // the check, then the new hash
			}
			if n := e.HashCount(); n != wantHashes {
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
			e.login(sjt.Siva, sjt.SivaPassword)
			if e.User(sjt.Siva).Password != sivaHash {
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
	u := e.AddUser("late", "late-pass-123", "late@example.com", true)
	if _, ok := e.Users.Lookup(u.ID); ok {
		t.Fatal("the index already knows the user")
	}
	_, access := e.login("late", "late-pass-123")
	res := e.serve(Sessions, sjt.Bearer(sjt.Req(http.MethodGet), access))
	if res.Code != http.StatusOK {
		t.Errorf("sessions with the new user's token: %d %s", res.Code, res.Body)
	}
}

// TestObtainByUsername: with USER_ID_FIELD = "username" the tokens carry
// the username, and refresh and the protected view accept them.
func TestObtainByUsername(t *testing.T) {
	e := newViewEnv(t, vtOptions{ByUsername: true, Settings: Settings{UserIDField: "username"}})
	res := e.serve(ObtainPair, sjt.JSON(sjt.Obj("username", sjt.Siva, "password", sjt.SivaPassword)))
	if res.Code != http.StatusOK {
		t.Fatalf("obtain: %d %s", res.Code, res.Body)
	}
	refresh, access := sjt.CheckPair(t, e.Env, res.Body, e.Clock.Now(), sjt.Siva)
	sjt.CheckOutstanding(t, e.Env, refresh, access, e.User(sjt.Siva).ID, e.Clock.Now())
	if res := e.serve(Sessions, sjt.Bearer(sjt.Req(http.MethodGet), access)); res.Code != http.StatusOK {
		t.Errorf("sessions: %d %s", res.Code, res.Body)
	}
	res = e.serve(Refresh, sjt.JSON(sjt.Obj("refresh", refresh)))
	if res.Code != http.StatusOK {
		t.Fatalf("refresh: %d %s", res.Code, res.Body)
	}
	claims, _ := sjt.Payload(t, sjt.Strings(t, res.Body)["access"])
	if claims["user_id"] != sjt.Siva {
		t.Errorf("refreshed access user_id = %#v", claims["user_id"])
	}
	// A token naming an inactive or unknown user is refused by refresh.
	for _, name := range []string{sjt.Inactive, "nobody"} {
		r, _ := e.Pair(name)
		e.serve(Refresh, sjt.JSON(sjt.Obj("refresh", r.Token))).Want(t, "refresh for "+name, http.StatusUnauthorized, sjt.BodyNoActiveForToken)
	}
}

// TestRefresh: without rotation refresh answers {"access"} with a new
// access token issued now (iat = now, jsonwebtoken's layout), writes
// nothing, and the refresh token can be used again.
func TestRefresh(t *testing.T) {
	e := newViewEnv(t, vtOptions{})
	refresh, access := e.login(sjt.Siva, sjt.SivaPassword)
	rows, black := e.OutstandingRows(), e.BlacklistRows()
	seen := map[string]bool{sjt.JTI(t, refresh): true, sjt.JTI(t, access): true}
	for i, req := range []func() *http.Request{
		func() *http.Request { return sjt.JSON(sjt.Obj("refresh", refresh)) },
		func() *http.Request { return sjt.Form(url.Values{"refresh": {refresh}}) },
		func() *http.Request { return sjt.Multipart(t, "refresh", refresh) },
	} {
		now := e.Clock.Advance(100 * time.Second)
		res := e.serve(Refresh, req())
		if res.Code != http.StatusOK {
			t.Fatalf("refresh %d: %d %s", i, res.Code, res.Body)
		}
		if keys := sjt.Keys(t, res.Body); fmt.Sprint(keys) != "[access]" {
			t.Errorf("keys %v, want [access]", keys)
		}
		if res.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("Cache-Control = %q", res.Header.Get("Cache-Control"))
		}
		na := sjt.Strings(t, res.Body)["access"]
		claims, order := sjt.Payload(t, na)
		if fmt.Sprint(order) != "[token_type exp iat jti user_id]" {
			t.Errorf("claims in order %v", order)
		}
		if iat := sjt.Int(t, claims, "iat"); iat != now.Unix() {
			t.Errorf("iat of the refreshed access token = %d, want now %d (jwtgate does not copy the refresh token's)", iat, now.Unix())
		}
		if exp := sjt.Int(t, claims, "exp"); exp != now.Add(5*time.Minute).Unix() {
			t.Errorf("exp = %d, want now + 5m = %d", exp, now.Add(5*time.Minute).Unix())
		}
		if claims["token_type"] != "access" || claims["user_id"] != json.Number(fmt.Sprint(e.User(sjt.Siva).ID)) {
			t.Errorf("claims %v", claims)
		}
		jti, _ := claims["jti"].(string)
		if !sjt.HexJTI.MatchString(jti) || seen[jti] {
			t.Errorf("jti %q is not new", jti)
		}
		seen[jti] = true
		if res := e.serve(Sessions, sjt.Bearer(sjt.Req(http.MethodGet), na)); res.Code != http.StatusOK {
			t.Errorf("the refreshed access token on users: %d %s", res.Code, res.Body)
		}
	}
	if e.OutstandingRows() != rows || e.BlacklistRows() != black {
		t.Error("refresh without rotation wrote token rows")
	}
	if n := e.HashCount(); n != 0 {
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
			refresh, _ := e.login(sjt.Siva, sjt.SivaPassword)
			rows := e.OutstandingRows()
			now := e.Clock.Advance(time.Hour)
			res := e.serve(Refresh, sjt.JSON(sjt.Obj("refresh", refresh)))
			if res.Code != http.StatusOK {
				t.Fatalf("refresh: %d %s", res.Code, res.Body)
			}
			if !strings.HasPrefix(res.Body, `{"access":"`) || fmt.Sprint(sjt.Keys(t, res.Body)) != "[access refresh]" {
				t.Errorf("body %s, want {\"access\":…,\"refresh\":…}", res.Body)
			}
			if res.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q", res.Header.Get("Cache-Control"))
			}
			m := sjt.Strings(t, res.Body)
			rotated := m["refresh"]
			claims, order := sjt.Payload(t, rotated)
			if fmt.Sprint(order) != "[token_type exp iat jti user_id]" || claims["token_type"] != "refresh" {
				t.Errorf("rotated token claims %v in order %v", claims, order)
			}
			if sjt.JTI(t, rotated) == sjt.JTI(t, refresh) || !sjt.HexJTI.MatchString(sjt.JTI(t, rotated)) {
				t.Errorf("rotated jti %q, old %q", sjt.JTI(t, rotated), sjt.JTI(t, refresh))
			}
			if iat, exp := sjt.Int(t, claims, "iat"), sjt.Int(t, claims, "exp"); iat != now.Unix() || exp != now.Add(24*time.Hour).Unix() {
				t.Errorf("rotated iat %d exp %d; want %d and %d", iat, exp, now.Unix(), now.Add(24*time.Hour).Unix())
			}
			if _, ok := e.Outstanding(sjt.JTI(t, rotated)); ok {
				t.Error("the rotated token was recorded as outstanding")
			}

			// The old token again.
			e.Clock.Advance(time.Second)
			res = e.serve(Refresh, sjt.JSON(sjt.Obj("refresh", refresh)))
			if black {
				res.Want(t, "reusing the rotated-away token", http.StatusUnauthorized, sjt.BodyBlacklisted)
				o, ok := e.Outstanding(sjt.JTI(t, refresh))
				if !ok || o.Black != 1 || o.Token != refresh {
					t.Errorf("outstanding row of the old token %+v (found %v), want it blacklisted", o, ok)
				}
				e.serve(Verify, sjt.JSON(sjt.Obj("token", refresh))).Want(t, "verify of the old token", http.StatusBadRequest, sjt.BodyVerifyBlacklisted)
			} else {
				if res.Code != http.StatusOK {
					t.Errorf("reusing the old token without blacklisting: %d %s", res.Code, res.Body)
				}
				if e.OutstandingRows() != rows || e.BlacklistRows() != 0 {
					t.Error("rotation without blacklisting wrote token rows")
				}
			}
			// The rotated token works, and rotates in turn.
			e.Clock.Advance(time.Second)
			res = e.serve(Refresh, sjt.JSON(sjt.Obj("refresh", rotated)))
			if res.Code != http.StatusOK || fmt.Sprint(sjt.Keys(t, res.Body)) != "[access refresh]" {
				t.Errorf("refresh with the rotated token: %d %s", res.Code, res.Body)
			}
		})
	}
}

// TestRefreshBlacklistWithoutRotation is mode m4: BlacklistAfterRotation
// alone changes nothing on refresh.
func TestRefreshBlacklistWithoutRotation(t *testing.T) {
	e := newViewEnv(t, vtOptions{Settings: Settings{BlacklistAfterRotation: true}})
	refresh, _ := e.login(sjt.Siva, sjt.SivaPassword)
	for i := 0; i < 2; i++ {
		res := e.serve(Refresh, sjt.JSON(sjt.Obj("refresh", refresh)))
		if res.Code != http.StatusOK || fmt.Sprint(sjt.Keys(t, res.Body)) != "[access]" {
			t.Errorf("refresh %d: %d %s", i, res.Code, res.Body)
		}
	}
	if n := e.BlacklistRows(); n != 0 {
		t.Errorf("%d blacklist rows", n)
	}
}

// TestRefreshConcurrentRotation: of 16 concurrent refreshes of one token
// with rotation and blacklisting exactly one succeeds; the others are told
// the token is blacklisted.
func TestRefreshConcurrentRotation(t *testing.T) {
	e := newViewEnv(t, vtOptions{Settings: Settings{RotateRefreshTokens: true, BlacklistAfterRotation: true}})
	refresh, _ := e.login(sjt.Siva, sjt.SivaPassword)
	e.Clock.Advance(time.Second)
	const n = 16
	results := make([]sjt.Resp, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i] = e.serveRaw(Refresh, sjt.JSON(sjt.Obj("refresh", refresh)))
		}()
	}
	close(start)
	wg.Wait()
	ok := 0
	for _, r := range results {
		switch {
		case r.Code == http.StatusOK:
			ok++
		case r.Code == http.StatusUnauthorized && r.Body == sjt.BodyBlacklisted:
		default:
			t.Errorf("unexpected answer %d %s", r.Code, r.Body)
		}
	}
	if ok != 1 {
		t.Errorf("%d of %d concurrent refreshes succeeded, want exactly 1", ok, n)
	}
	if calls := e.ViewCalls(); len(calls) != n {
		t.Errorf("%d Hooks.View calls for %d requests", len(calls), n)
	}
	if n := e.BlacklistRows(); n != 1 {
		t.Errorf("%d blacklist rows, want 1", n)
	}
}

// TestRefreshRefused: token problems are 401 token_not_valid with
// simplejwt's messages, in simplejwt's order; a token without jti is a 401
// (simplejwt: HTML 500).
func TestRefreshRefused(t *testing.T) {
	e := newViewEnv(t, vtOptions{Settings: Settings{RotateRefreshTokens: true, BlacklistAfterRotation: true}})
	refresh, access := e.login(sjt.Siva, sjt.SivaPassword)
	now := e.Clock.Now().Unix()
	id := e.User(sjt.Siva).ID
	payload := func(format string) string { return sjt.Sign(sjt.Key, fmt.Sprintf(format, now+3600, now, id)) }
	segs := strings.Split(refresh, ".")
	for _, c := range []struct {
		name, tok, body string
	}{
		{"access token", access, sjt.BodyWrongType},
		{"sliding token", payload(`{"token_type":"sliding","exp":%d,"iat":%d,"jti":"0123456789abcdef0123456789abcdef","user_id":%d}`), sjt.BodyWrongType},
		{"no jti", payload(`{"token_type":"refresh","exp":%d,"iat":%d,"user_id":%d}`), sjt.BodyNoID},
		{"no type", payload(`{"exp":%d,"iat":%d,"jti":"0123456789abcdef0123456789abcdee","user_id":%d}`), sjt.BodyNoType},
		{"no exp", sjt.Sign(sjt.Key, fmt.Sprintf(`{"token_type":"refresh","iat":%d,"jti":"0123456789abcdef0123456789abcded","user_id":%d}`, now, id)), sjt.BodyNoExp},
		{"expired", sjt.Sign(sjt.Key, fmt.Sprintf(`{"token_type":"refresh","exp":%d,"iat":%d,"jti":"0123456789abcdef0123456789abcdec","user_id":%d}`, now, now-10, id)), sjt.BodyInvalid},
		{"iat in the future", sjt.Sign(sjt.Key, fmt.Sprintf(`{"token_type":"refresh","exp":%d,"iat":%d,"jti":"0123456789abcdef0123456789abcdeb","user_id":%d}`, now+3600, now+60, id)), sjt.BodyInvalid},
		{"wrong key", sjt.Sign(sjt.Key+"x", fmt.Sprintf(`{"token_type":"refresh","exp":%d,"iat":%d,"jti":"0123456789abcdef0123456789abcdea","user_id":%d}`, now+3600, now, id)), sjt.BodyInvalid},
		{"tampered signature", segs[0] + "." + segs[1] + "." + strings.Repeat("A", len(segs[2])), sjt.BodyInvalid},
		{"garbage", "garbage", sjt.BodyInvalid},
	} {
		res := e.serve(Refresh, sjt.JSON(sjt.Obj("refresh", c.tok)))
		res.Want(t, c.name, http.StatusUnauthorized, c.body)
		if res.Header.Get("Cache-Control") != "" {
			t.Errorf("%s: Cache-Control on a refusal", c.name)
		}
	}
	e.serve(Refresh, sjt.JSON(`{}`)).Want(t, "missing", http.StatusBadRequest, `{"refresh":["This field is required."]}`)
	e.serve(Refresh, sjt.JSON(`{"refresh":" "}`)).Want(t, "blank", http.StatusBadRequest, `{"refresh":["This field may not be blank."]}`)
	e.serve(Refresh, sjt.JSON(`{"refresh":null}`)).Want(t, "null", http.StatusBadRequest, `{"refresh":["This field may not be null."]}`)
	if n := e.BlacklistRows(); n != 0 {
		t.Errorf("refused refreshes blacklisted %d tokens", n)
	}
	// The Authorization header is ignored, even when broken.
	r := sjt.JSON(sjt.Obj("refresh", refresh))
	r.Header.Set("Authorization", "Bearer")
	if res := e.serve(Refresh, r); res.Code != http.StatusOK {
		t.Errorf("refresh with a broken Authorization header: %d %s", res.Code, res.Body)
	}
	if n := e.Logs.Len(); n != 0 {
		t.Errorf("refused tokens were logged: %q", sjt.LogText(e.Logs))
	}
}

// TestRefreshInactiveOrDeletedUser: unlike simplejwt 5.2.2, a refresh
// token of a deactivated or deleted user (as the store's change feed
// reports it) no longer mints tokens, and refusing it blacklists nothing.
func TestRefreshInactiveOrDeletedUser(t *testing.T) {
	e := newViewEnv(t, vtOptions{Watch: true, Settings: Settings{RotateRefreshTokens: true, BlacklistAfterRotation: true}})
	ctx := context.Background()
	u := e.AddUser("anna", "anna-pass-123", "anna@example.com", true)
	e.WaitIndex(u.ID, "created", func(_ store.UserState, found bool) bool { return found })
	refresh, _ := e.login("anna", "anna-pass-123")

	if err := e.Store.SetActive(ctx, u.ID, false); err != nil {
		t.Fatal(err)
	}
	e.WaitIndex(u.ID, "deactivated", func(st store.UserState, found bool) bool { return found && !st.IsActive })
	e.serve(Refresh, sjt.JSON(sjt.Obj("refresh", refresh))).Want(t, "inactive user", http.StatusUnauthorized, sjt.BodyNoActiveForToken)
	if n := e.BlacklistRows(); n != 0 {
		t.Errorf("refusing the token blacklisted it (%d rows)", n)
	}

	if err := e.Store.SetActive(ctx, u.ID, true); err != nil {
		t.Fatal(err)
	}
	e.WaitIndex(u.ID, "reactivated", func(st store.UserState, found bool) bool { return found && st.IsActive })
	res := e.serve(Refresh, sjt.JSON(sjt.Obj("refresh", refresh)))
	if res.Code != http.StatusOK {
		t.Fatalf("refresh after reactivation: %d %s", res.Code, res.Body)
	}
	rotated := sjt.Strings(t, res.Body)["refresh"]

	if err := e.Store.DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	e.WaitIndex(u.ID, "deleted", func(_ store.UserState, found bool) bool { return !found })
	e.serve(Refresh, sjt.JSON(sjt.Obj("refresh", rotated))).Want(t, "deleted user", http.StatusUnauthorized, sjt.BodyNoActiveForToken)

	// A user that never existed, and a user id that is not one.
	r, _ := e.Pair(int64(9999))
	e.serve(Refresh, sjt.JSON(sjt.Obj("refresh", r.Token))).Want(t, "unknown user", http.StatusUnauthorized, sjt.BodyNoActiveForToken)
	now := e.Clock.Now().Unix()
	bad := sjt.Sign(sjt.Key, fmt.Sprintf(`{"token_type":"refresh","exp":%d,"iat":%d,"jti":"0123456789abcdef0123456789abcdef","user_id":"abc"}`, now+60, now))
	e.serve(Refresh, sjt.JSON(sjt.Obj("refresh", bad))).Want(t, "non-numeric user id", http.StatusUnauthorized, sjt.BodyNoActiveForToken)
	if n := e.BlacklistRows(); n != 1 { // the one successful rotation
		t.Errorf("%d blacklist rows, want 1", n)
	}
}

// TestRefreshIndexNotLoaded: before the user table has been read, refresh
// cannot check the user and answers 503.
func TestRefreshIndexNotLoaded(t *testing.T) {
	e := newViewEnv(t, vtOptions{NoLoad: true})
	r, _ := e.Pair(e.User(sjt.Siva).ID)
	res := e.serve(Refresh, sjt.JSON(sjt.Obj("refresh", r.Token)))
	res.Want(t, "refresh", http.StatusServiceUnavailable, sjt.BodyUnavailable)
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
			refresh, access := e.login(sjt.Siva, sjt.SivaPassword)
			now := e.Clock.Now().Unix()
			ghost, _ := e.Pair(int64(9999))
			for name, tok := range map[string]string{
				"access":              access,
				"refresh":             refresh,
				"no type":             sjt.Sign(sjt.Key, fmt.Sprintf(`{"exp":%d,"jti":"0123456789abcdef0123456789abcdef","user_id":1}`, now+60)),
				"unknown type":        sjt.Sign(sjt.Key, fmt.Sprintf(`{"token_type":"sliding","exp":%d,"jti":"0123456789abcdef0123456789abcdef"}`, now+60)),
				"user does not exist": ghost.Token,
			} {
				e.serve(Verify, sjt.JSON(sjt.Obj("token", tok))).Want(t, name, http.StatusOK, `{}`)
			}
			e.serve(Verify, sjt.Form(url.Values{"token": {access}})).Want(t, "form", http.StatusOK, `{}`)
			e.serve(Verify, sjt.Multipart(t, "token", refresh)).Want(t, "multipart", http.StatusOK, `{}`)

			for _, c := range []struct{ name, tok, body string }{
				{"no jti", sjt.Sign(sjt.Key, fmt.Sprintf(`{"token_type":"access","exp":%d,"iat":%d,"user_id":1}`, now+60, now)), sjt.BodyNoID},
				{"no exp", sjt.Sign(sjt.Key, fmt.Sprintf(`{"token_type":"access","iat":%d,"jti":"0123456789abcdef0123456789abcdef","user_id":1}`, now)), sjt.BodyNoExp},
				{"expired", sjt.Sign(sjt.Key, fmt.Sprintf(`{"token_type":"access","exp":%d,"jti":"0123456789abcdef0123456789abcdef","user_id":1}`, now)), sjt.BodyInvalid},
				{"wrong key", sjt.Sign(strings.Repeat("k", 40), fmt.Sprintf(`{"token_type":"access","exp":%d,"jti":"0123456789abcdef0123456789abcdef","user_id":1}`, now+60)), sjt.BodyInvalid},
				{"garbage", "a.b.c", sjt.BodyInvalid},
			} {
				e.serve(Verify, sjt.JSON(sjt.Obj("token", c.tok))).Want(t, c.name, http.StatusUnauthorized, c.body)
			}
			e.serve(Verify, sjt.JSON(`{}`)).Want(t, "missing", http.StatusBadRequest, `{"token":["This field is required."]}`)
			e.serve(Verify, sjt.JSON(`{"token":""}`)).Want(t, "blank", http.StatusBadRequest, `{"token":["This field may not be blank."]}`)

			// Log out, then verify the refresh token.
			e.serve(Blacklist, sjt.JSON(sjt.Obj("refresh", refresh))).Want(t, "logout", http.StatusOK, `{}`)
			res := e.serve(Verify, sjt.JSON(sjt.Obj("token", refresh)))
			if black {
				res.Want(t, "verify of a blacklisted token", http.StatusBadRequest, sjt.BodyVerifyBlacklisted)
			} else {
				res.Want(t, "verify of a blacklisted token", http.StatusOK, `{}`)
			}
			// The access token of the pair was never blacklisted.
			e.serve(Verify, sjt.JSON(sjt.Obj("token", access))).Want(t, "access of the pair", http.StatusOK, `{}`)
			// Once expired, a blacklisted token is reported expired.
			e.Clock.Advance(25 * time.Hour)
			e.serve(Verify, sjt.JSON(sjt.Obj("token", refresh))).Want(t, "expired blacklisted", http.StatusUnauthorized, sjt.BodyInvalid)
		})
	}
}

// TestBlacklist: logout answers {}, a second logout and any later refresh
// say the token is blacklisted, the access token stays valid, and a valid
// refresh token never recorded is blacklisted all the same.
func TestBlacklist(t *testing.T) {
	e := newViewEnv(t, vtOptions{})
	refresh, access := e.login(sjt.Siva, sjt.SivaPassword)
	rows := e.OutstandingRows()
	e.Clock.Advance(time.Minute)
	e.serve(Blacklist, sjt.Form(url.Values{"refresh": {refresh}})).Want(t, "logout", http.StatusOK, `{}`)
	if e.OutstandingRows() != rows {
		t.Error("logout of a recorded token added an outstanding row")
	}
	if o, ok := e.Outstanding(sjt.JTI(t, refresh)); !ok || o.Black != 1 || !o.UserID.Valid {
		t.Errorf("outstanding row after logout %+v (found %v)", o, ok)
	}
	if n := e.Count(`SELECT COUNT(*) FROM "token_blacklist_blacklistedtoken" WHERE "blacklisted_at" = ?`, sjt.DjangoTime(e.Clock.Now())); n != 1 {
		t.Errorf("no blacklist row at %s", sjt.DjangoTime(e.Clock.Now()))
	}
	e.serve(Blacklist, sjt.JSON(sjt.Obj("refresh", refresh))).Want(t, "second logout", http.StatusUnauthorized, sjt.BodyBlacklisted)
	e.serve(Refresh, sjt.JSON(sjt.Obj("refresh", refresh))).Want(t, "refresh after logout", http.StatusUnauthorized, sjt.BodyBlacklisted)
	// Logout ends the session: its access token too (docs/sessions.md).
	e.serve(Sessions, sjt.Bearer(sjt.Req(http.MethodGet), access)).Want(t, "the access token after logout", http.StatusUnauthorized, sjt.BodyAccessBlacklisted)
	e.serve(Blacklist, sjt.JSON(sjt.Obj("refresh", access))).Want(t, "access token", http.StatusUnauthorized, sjt.BodyWrongType)

	// A valid refresh token that was never recorded (issued by Django, or
	// by another gateway) is blacklisted with a new row without user and
	// creation time, as simplejwt's get_or_create leaves it.
	ghost, _ := e.Pair(e.User(sjt.Siva).ID)
	e.serve(Blacklist, sjt.Multipart(t, "refresh", ghost.Token)).Want(t, "logout of an unrecorded token", http.StatusOK, `{}`)
	o, ok := e.Outstanding(ghost.JTI)
	if !ok || o.Black != 1 || o.UserID.Valid || o.CreatedAt.Valid || o.Token != ghost.Token ||
		o.ExpiresAt != sjt.DjangoTime(ghost.ExpiresAt) {
		t.Errorf("row of the unrecorded token %+v (found %v); want user_id and created_at NULL, blacklisted", o, ok)
	}
	e.serve(Refresh, sjt.JSON(sjt.Obj("refresh", ghost.Token))).Want(t, "refresh of it", http.StatusUnauthorized, sjt.BodyBlacklisted)

	now := e.Clock.Now().Unix()
	e.serve(Blacklist, sjt.JSON(sjt.Obj("refresh", sjt.Sign(sjt.Key, fmt.Sprintf(`{"token_type":"refresh","exp":%d,"iat":%d,"user_id":1}`, now+60, now))))).
		Want(t, "no jti", http.StatusUnauthorized, sjt.BodyNoID)
	e.serve(Blacklist, sjt.JSON(sjt.Obj("refresh", sjt.Sign(sjt.Key, fmt.Sprintf(`{"token_type":"refresh","exp":%d,"jti":"0123456789abcdef0123456789abcdef","user_id":1}`, now))))).
		Want(t, "expired", http.StatusUnauthorized, sjt.BodyInvalid)
	e.serve(Blacklist, sjt.JSON(sjt.Obj("refresh", "x.y.z"))).Want(t, "garbage", http.StatusUnauthorized, sjt.BodyInvalid)
	e.serve(Blacklist, sjt.JSON(`{}`)).Want(t, "missing", http.StatusBadRequest, `{"refresh":["This field is required."]}`)
	e.serve(Blacklist, sjt.JSON(`{"refresh":""}`)).Want(t, "blank", http.StatusBadRequest, `{"refresh":["This field may not be blank."]}`)
}

// TestBlacklistConcurrent: of concurrent logouts of one token exactly one
// succeeds.
func TestBlacklistConcurrent(t *testing.T) {
	e := newViewEnv(t, vtOptions{})
	refresh, _ := e.login(sjt.Siva, sjt.SivaPassword)
	const n = 8
	codes := make([]sjt.Resp, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = e.serveRaw(Blacklist, sjt.JSON(sjt.Obj("refresh", refresh)))
		}()
	}
	wg.Wait()
	e.ViewCalls()
	ok := 0
	for _, r := range codes {
		switch {
		case r.Code == http.StatusOK && r.Body == `{}`:
			ok++
		case r.Code == http.StatusUnauthorized && r.Body == sjt.BodyBlacklisted:
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
	LogoutAll:  `{"name":"Logout All","description":"Ends every token of the authenticated user issued before now.","renders":["application/json","text/html"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"]}`,
	Sessions:   `{"name":"Sessions","description":"Lists the authenticated user's live sessions; DELETE <id>/ ends one.","renders":["application/json","text/html"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"]}`,
}

// TestViewsCommon: what DRF does the same way on every view: OPTIONS
// metadata, 405 with Allow, 406, 415, 413, the DRF headers, and exactly
// one Hooks.View call per request (checked by serve).
func TestViewsCommon(t *testing.T) {
	e := newViewEnv(t, vtOptions{Settings: Settings{MaxBodyBytes: 1024}})
	_, access := e.login(sjt.Siva, sjt.SivaPassword)
	auth := func(v View, r *http.Request) *http.Request {
		if v == LogoutAll || v == Sessions {
			return sjt.Bearer(r, access)
		}
		return r
	}
	if len(Views()) != len(vtMetadata) {
		t.Fatalf("%d views, %d metadata bodies", len(Views()), len(vtMetadata))
	}
	for _, v := range Views() {
		t.Run(v.String(), func(t *testing.T) {
			e.serve(v, auth(v, sjt.Req(http.MethodOptions))).Want(t, "OPTIONS", http.StatusOK, vtMetadata[v])
			// OPTIONS with a body and a Content-Type nobody parses: the
			// body is not read.
			r := sjt.WithBody(http.MethodOptions, "text/plain", "hello")
			e.serve(v, auth(v, r)).Want(t, "OPTIONS with a body", http.StatusOK, vtMetadata[v])

			wrong := http.MethodGet
			if v == Sessions {
				wrong = http.MethodPut
			}
			e.serve(v, auth(v, sjt.Req(wrong))).Want(t, wrong, http.StatusMethodNotAllowed, `{"detail":"Method \"`+wrong+`\" not allowed."}`)
			e.serve(v, auth(v, sjt.Req("patch"))).Want(t, "lower-case patch", http.StatusMethodNotAllowed, `{"detail":"Method \"PATCH\" not allowed."}`)

			if v == LogoutAll || v == Sessions { // no body read
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
	// An unknown view is a 404, and not a view call.
	w := httptest.NewRecorder()
	e.svc.ServeView(View(99), w, sjt.Req(http.MethodGet))
	if w.Code != http.StatusNotFound || w.Body.String() != `{"detail":"Not found."}` {
		t.Errorf("unknown view: %d %s", w.Code, w.Body.String())
	}
	if c := e.ViewCalls(); len(c) != 0 {
		t.Errorf("Hooks.View %v for an unknown view", c)
	}
}

// TestViewNames: the configuration names of the views.
func TestViewNames(t *testing.T) {
	if fmt.Sprint(Views()) != "[obtain refresh verify blacklist logout_all sessions]" {
		t.Errorf("Views() = %v", Views())
	}
	if View(99).String() != "unknown" {
		t.Errorf("View(99) = %q", View(99).String())
	}
}

// TestNewServiceChecks: NewService refuses what it cannot run with and
// fills in the defaults.
func TestNewServiceChecks(t *testing.T) {
	e := newViewEnv(t, vtOptions{})
	base := Config{Codec: e.Codec, Store: e.Store, Passwords: e.PW, Users: e.Users, Auth: e.auth}
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
	s.ServeView(ObtainPair, w, sjt.JSON(sjt.Obj("username", sjt.Siva, "password", "wrong")))
	if w.Code != http.StatusUnauthorized || w.Body.String() != sjt.BodyNoActiveAccount {
		t.Errorf("obtain without hooks: %d %s", w.Code, w.Body.String())
	}
}

// TestHooksView: Hooks.View sees the status of every kind of answer,
// once per request (serve checks each call).
func TestHooksView(t *testing.T) {
	e := newViewEnv(t, vtOptions{})
	refresh, access := e.login(sjt.Siva, sjt.SivaPassword)
	e.serve(Refresh, sjt.JSON(sjt.Obj("refresh", refresh)))
	e.serve(Verify, sjt.JSON(sjt.Obj("token", access)))
	e.serve(Sessions, sjt.Req(http.MethodGet))
	e.serve(ObtainPair, sjt.JSON(`{}`))
	e.serve(ObtainPair, sjt.Req(http.MethodGet))
	e.serve(Blacklist, sjt.JSON(sjt.Obj("refresh", refresh)))
	e.serve(Blacklist, sjt.JSON(sjt.Obj("refresh", refresh)))
	e.Store.Close()
	e.serve(ObtainPair, sjt.JSON(sjt.Obj("username", sjt.Siva, "password", sjt.SivaPassword)))
}
