package pgtest

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
)

// accessEnded is the Bearer check's 401 for an ended access token.
const accessEnded = `{"detail":"Given token not valid for any token type","code":"token_not_valid","messages":[{"token_class":"AccessToken","token_type":"access","message":"Token is blacklisted"}]}`

// revocationEnv is the gateways' settings for the revocation tests:
// rotation with blacklist, and a short reuse interval.
func revocationEnv(extra map[string]string) map[string]string {
	env := map[string]string{"ROTATE_REFRESH_TOKENS": "true", "BLACKLIST_AFTER_ROTATION": "true", "REFRESH_TOKEN_REUSE_INTERVAL": "1s"}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// TestRevocationPostgres: issue 9 on PostgreSQL, two gateways and the
// Django reference sharing the database (its migrations and seed: siva).
func TestRevocationPostgres(t *testing.T) {
	db := newDatabase(t)
	ref := newReference(t, db)
	ref.resetDB(t)
	echo := harness.StartEcho(t)
	opts := gatewayOptions{upstream: echo.Addr,
		env: revocationEnv(map[string]string{"DATABASE_URL": dbURL(t, db), "JWT_SIGNING_KEY": sharedKey})}
	gs := startGateways(t, 2, opts)
	a, b := gs[0], gs[1]
	rv := &revocation{t: t, a: a, b: b, user: "siva", pw: "siva"}
	rv.logout()

	// Django blacklists a refresh token of a gateway session (its logout):
	// the session's access token is refused by both gateways.
	acc, refresh := a.login(t, "siva", rv.pw)
	rv.works("before Django's logout", acc)
	rv.propagation("Django blacklisting a refresh token", func() {
		ref.shell(t, []string{"TOK=" + refresh}, `
import os
from rest_framework_simplejwt.tokens import RefreshToken
RefreshToken(os.environ['TOK']).blacklist()
`)
	}, acc)

	// Django changes the password: every older token is refused, a login
	// with the new password works.
	acc, refresh = b.login(t, "siva", rv.pw)
	rv.works("before Django's password change", acc)
	newPW := secret("a password", "Siva-new-pass-7c1e")
	rv.propagation("Django's set_password", func() {
		ref.shell(t, []string{"PW=" + newPW}, `
import os
from django.contrib.auth.models import User
u = User.objects.get(username='siva')
u.set_password(os.environ['PW'])
u.save()
`)
	}, acc)
	expect(t, "refresh of a token older than the password change", postForm(t, a.URL+"/userprofiles/api/token/refresh/", "refresh", refresh), 401, harness.Blacklisted)
	rv.pw = newPW
	acc, _ = a.login(t, "siva", rv.pw)
	rv.works("a login after the password change", acc)

	rv.logoutAll()
	rv.cliRevoke()
	rv.reuse()
	rv.sessions()
	rv.restarted(opts)

	// What Django honours: every outstanding refresh token of siva that
	// the revocations covered is blacklisted in simplejwt's tables.
	conn := dbConn(t, dbURL(t, db))
	if n := queryInt(t, conn, `SELECT count(*) FROM token_blacklist_outstandingtoken o WHERE o.user_id = 1 AND o.expires_at > now()
AND NOT EXISTS (SELECT 1 FROM token_blacklist_blacklistedtoken b WHERE b.token_id = o.id)
AND NOT EXISTS (SELECT 1 FROM jwtgate_session s WHERE s.id = left(o.jti, 16) AND s.revoked_at IS NULL)`); n != 0 {
		t.Errorf("%d outstanding refresh tokens of ended sessions are not blacklisted for Django", n)
	}
}

// TestRevocationSQLite: issue 9 on the embedded store, two gateways on one
// SQLite file (the CLI writing as a third process).
func TestRevocationSQLite(t *testing.T) {
	echo := harness.StartEcho(t)
	dbPath := filepath.Join(t.TempDir(), "shared.sqlite3")
	opts := gatewayOptions{upstream: echo.Addr, env: revocationEnv(map[string]string{"JWTGATE_DB_PATH": dbPath})}
	gs := startGateways(t, 1, opts)
	gs = append(gs, startGateways(t, 1, opts)...)
	a, b := gs[0], gs[1]
	b.name = "gateway B"
	pw := secret("a password", "Alice-pass-2d9c71")
	a.createSuperuser(t, "alice", pw)
	rv := &revocation{t: t, a: a, b: b, user: "alice", pw: pw}
	rv.logout()

	// A password change with the CLI of A: holds at A when the command
	// returns, at B within a second.
	acc, refresh := b.login(t, "alice", pw)
	rv.works("before changepassword", acc)
	newPW := secret("a password", "Alice-new-pass-81f3")
	started := time.Now()
	out, err := a.cli(t, newPW+"\n"+newPW+"\n", nil, "changepassword", "alice")
	if err != nil {
		t.Fatalf("changepassword: %v\n%s", err, out)
	}
	done := time.Now()
	expect(t, "A right after changepassword returned", get(t, a.URL+"/userprofiles/users/", bearer(acc)), 401, accessEnded)
	propagated(t, "changepassword → B", <-watch(propagationLimit+5*time.Second, getWith(b.URL+"/userprofiles/users/", acc), is(401, accessEnded)), started, done)
	expect(t, "refresh of a token older than the password change", postForm(t, b.URL+"/userprofiles/api/token/refresh/", "refresh", refresh), 401, harness.Blacklisted)
	rv.pw = newPW
	acc, _ = a.login(t, "alice", rv.pw)
	rv.works("a login after the password change", acc)

	rv.logoutAll()
	rv.cliRevoke()
	rv.reuse()
	rv.sessions()
	rv.restarted(opts)
}

// revocation drives the scenarios shared by both stores.
type revocation struct {
	t        *testing.T
	a, b     *gateway
	user, pw string
	ended    []string // access tokens ended along the way
	live     string   // an access token issued after every revocation of the user
}

// restarted checks that a gateway started afresh on the same store (a
// restart) refuses every token ended before it started.
func (rv *revocation) restarted(o gatewayOptions) {
	rv.t.Helper()
	c := startGateways(rv.t, 1, o)[0]
	for i, acc := range rv.ended {
		expect(rv.t, fmt.Sprintf("ended token %d at a gateway started afterwards", i), get(rv.t, c.URL+"/userprofiles/users/", bearer(acc)), 401, accessEnded)
	}
	if r := get(rv.t, c.URL+"/userprofiles/users/", bearer(rv.live)); r.Status != 200 {
		rv.t.Errorf("a live token at a gateway started afterwards: %s", r)
	}
}

// works checks that an access token passes at both gateways, on the
// gateway's users/ and on a proxied route.
func (rv *revocation) works(what string, acc string) {
	rv.t.Helper()
	for _, g := range []*gateway{rv.a, rv.b} {
		if r := get(rv.t, g.URL+"/userprofiles/users/", bearer(acc)); r.Status != 200 {
			rv.t.Fatalf("%s: the token at %s: %s", what, g.name, r)
		}
		if r, err := send("GET", g.URL+"/movieapi/movie/", "", "", bearer(acc)); err != nil || r.Status != 200 {
			rv.t.Fatalf("%s: the token on a proxied route at %s: %s %v", what, g.name, r, err)
		}
	}
}

// propagation runs action and checks that every token in toks is refused
// at both gateways within propagationLimit of its end (a second is the goal), and not before it started.
func (rv *revocation) propagation(what string, action func(), toks ...string) {
	rv.t.Helper()
	var polls []<-chan sighting
	var names []string
	for _, tok := range toks {
		for _, g := range []*gateway{rv.a, rv.b} {
			polls = append(polls, watch(propagationLimit+5*time.Second, getWith(g.URL+"/userprofiles/users/", tok), is(401, accessEnded)))
			names = append(names, g.name)
		}
	}
	started := time.Now()
	action()
	done := time.Now()
	for i, ch := range polls {
		propagated(rv.t, what+" → "+names[i], <-ch, started, done)
	}
}

func (rv *revocation) refresh(g *gateway, refresh string) (access, rotated string) {
	rv.t.Helper()
	r := postForm(rv.t, g.URL+"/userprofiles/api/token/refresh/", "refresh", refresh)
	if r.Status != 200 {
		rv.t.Fatalf("refresh at %s: %s", g.name, r)
	}
	return str(rv.t, r, "access"), str(rv.t, r, "refresh")
}

// logout: item 1. Logging out with a rotated descendant of a login's
// refresh token ends every token of that login, at both gateways.
func (rv *revocation) logout() {
	t := rv.t
	acc0, ref0 := rv.a.login(t, rv.user, rv.pw)
	acc1, ref1 := rv.refresh(rv.b, ref0)
	other, _ := rv.b.login(t, rv.user, rv.pw)
	rv.works("before logout", acc0)
	rv.works("before logout", acc1)
	rv.propagation("logout at A with the rotated token", func() {
		expect(t, "logout at A", postForm(t, rv.a.URL+"/userprofiles/api/token/blacklist/", "refresh", ref1), 200, `{}`)
	}, acc0, acc1)
	rv.ended = append(rv.ended, acc0, acc1)
	expect(t, "refresh of the session's first token after logout", postForm(t, rv.b.URL+"/userprofiles/api/token/refresh/", "refresh", ref0), 401, harness.Blacklisted)
	rv.works("another session of the user after logout", other)
}

// logoutAll: item 2 through the view; the revoking gateway refuses at
// once, the other within a second; a new login works.
func (rv *revocation) logoutAll() {
	t := rv.t
	acc1, ref1 := rv.a.login(t, rv.user, rv.pw)
	acc2, _ := rv.b.login(t, rv.user, rv.pw)
	rv.works("before logout_all", acc1)
	started := time.Now()
	expect(t, "logout_all at B", call(t, "POST", rv.b.URL+"/userprofiles/api/token/logout_all/", "", "", bearer(acc2)), 200, `{}`)
	done := time.Now()
	expect(t, "B right after its logout_all", get(t, rv.b.URL+"/userprofiles/users/", bearer(acc1)), 401, accessEnded)
	propagated(t, "logout_all → A", <-watch(propagationLimit+5*time.Second, getWith(rv.a.URL+"/userprofiles/users/", acc2), is(401, accessEnded)), started, done)
	expect(t, "refresh after logout_all", postForm(t, rv.a.URL+"/userprofiles/api/token/refresh/", "refresh", ref1), 401, harness.Blacklisted)
	expect(t, "logout_all with an ended token", call(t, "POST", rv.a.URL+"/userprofiles/api/token/logout_all/", "", "", bearer(acc1)), 401, accessEnded)
	acc3, _ := rv.a.login(t, rv.user, rv.pw)
	waitFor(t, "a login after logout_all, at B", 10*time.Second, getWith(rv.b.URL+"/userprofiles/users/", acc3), is(200, ""))
	rv.works("a login after logout_all", acc3)
}

// cliRevoke: items 2 and 6. `user revoke` holds at the gateway on this
// host when it returns, at the other within a second.
func (rv *revocation) cliRevoke() {
	t := rv.t
	acc, _ := rv.b.login(t, rv.user, rv.pw)
	rv.works("before user revoke", acc)
	started := time.Now()
	rv.a.mustCLI(t, "user", "revoke", rv.user)
	done := time.Now()
	expect(t, "A right after `user revoke` returned", get(t, rv.a.URL+"/userprofiles/users/", bearer(acc)), 401, accessEnded)
	propagated(t, "user revoke → B", <-watch(propagationLimit+5*time.Second, getWith(rv.b.URL+"/userprofiles/users/", acc), is(401, accessEnded)), started, done)
}

// reuse: item 4. A rotated token presented again within the interval is
// refused and ends nothing; later it ends the session at both gateways.
func (rv *revocation) reuse() {
	t := rv.t
	time.Sleep(1100 * time.Millisecond) // past the last revocation's not-before
	_, ref0 := rv.a.login(t, rv.user, rv.pw)
	acc1, ref1 := rv.refresh(rv.b, ref0)
	expect(t, "reuse within the interval", postForm(t, rv.a.URL+"/userprofiles/api/token/refresh/", "refresh", ref0), 401, harness.Blacklisted)
	rv.works("after a reuse within the interval", acc1)
	time.Sleep(1500 * time.Millisecond)
	before, counted := rv.reuseReports(), rv.reuseCounted()
	rv.propagation("32 concurrent reuses after the interval, at both gateways", func() {
		answers, errs := concurrently(32, func(i int) (answer, error) {
			g := []*gateway{rv.a, rv.b}[i%2]
			return send("POST", g.URL+"/userprofiles/api/token/refresh/", formType, form("refresh", ref0))
		})
		for i, a := range answers {
			if errs[i] != nil || a.Status != 401 || a.Body != harness.Blacklisted {
				t.Errorf("reuse %d: %s %v", i, a, errs[i])
			}
		}
	}, acc1)
	rv.ended = append(rv.ended, acc1)
	expect(t, "the thief's rotated token after reuse", postForm(t, rv.a.URL+"/userprofiles/api/token/refresh/", "refresh", ref1), 401, harness.Blacklisted)
	if n := rv.reuseReports() - before; n != 1 {
		t.Errorf("the gateways reported %d reuses, want exactly 1", n)
	}
	if n := rv.reuseCounted() - counted; n != 1 {
		t.Errorf("the gateways counted %d reuses in jwtgate_refresh_reuse_detected_total, want exactly 1", n)
	}

	// Logout and refresh of one token at once, at both gateways: whatever
	// wins, no token of the session is left working.
	_, ref := rv.b.login(t, rv.user, rv.pw)
	answers, _ := concurrently(16, func(i int) (answer, error) {
		g := []*gateway{rv.a, rv.b}[i%2]
		path := "/userprofiles/api/token/refresh/"
		if i%4 < 2 {
			path = "/userprofiles/api/token/blacklist/"
		}
		return send("POST", g.URL+path, formType, form("refresh", ref))
	})
	for _, a := range answers {
		if a.Status != 200 || !strings.Contains(a.Body, `"access"`) {
			continue
		}
		acc := str(t, a, "access")
		waitFor(t, "an access token minted while its session was logged out", propagationLimit, getWith(rv.a.URL+"/userprofiles/users/", acc), is(401, accessEnded))
		waitFor(t, "an access token minted while its session was logged out", propagationLimit, getWith(rv.b.URL+"/userprofiles/users/", acc), is(401, accessEnded))
		if r := str(t, a, "refresh"); r != "" {
			expect(t, "a refresh token rotated while its session was logged out", postForm(t, rv.a.URL+"/userprofiles/api/token/refresh/", "refresh", r), 401, harness.Blacklisted)
		}
	}
}

// reuseCounted sums jwtgate_refresh_reuse_detected_total over both
// gateways' metrics (Caddy's admin endpoint).
func (rv *revocation) reuseCounted() int {
	rv.t.Helper()
	n := 0
	for _, g := range []*gateway{rv.a, rv.b} {
		r := get(rv.t, g.admin+"/metrics")
		for _, line := range strings.Split(r.Body, "\n") {
			if v, ok := strings.CutPrefix(line, "jwtgate_refresh_reuse_detected_total "); ok {
				f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil {
					rv.t.Fatalf("metrics line %q: %v", line, err)
				}
				n += int(f)
			}
		}
	}
	return n
}

// reuseReports counts the reuse reports in both gateways' logs.
func (rv *revocation) reuseReports() int {
	return strings.Count(rv.a.proc.Output(), "refresh token reuse detected") + strings.Count(rv.b.proc.Output(), "refresh token reuse detected")
}

// sessions: item 5. The list shows the caller's live sessions; DELETE ends
// one everywhere; bad ids are 404.
func (rv *revocation) sessions() {
	t := rv.t
	acc, ref := rv.a.login(t, rv.user, rv.pw)
	keep, _ := rv.b.login(t, rv.user, rv.pw)
	r := get(t, rv.b.URL+"/userprofiles/api/token/sessions/", bearer(keep))
	if r.Status != 200 || strings.Count(r.Body, `"current":true`) != 1 || strings.Count(r.Body, `"id":`) < 2 {
		t.Fatalf("sessions at B: %s", r)
	}
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(ref, claims); err != nil {
		t.Fatal(err)
	}
	jti, _ := claims["jti"].(string)
	if len(jti) != 32 {
		t.Fatalf("jti %q", jti)
	}
	id := jti[:16]
	if !strings.Contains(r.Body, `"id":"`+id+`"`) {
		t.Fatalf("sessions at B do not list %s: %s", id, r)
	}
	u := rv.b.URL + "/userprofiles/api/token/sessions/" + id + "/"
	rv.propagation("DELETE sessions/<id>/ at B", func() {
		expect(t, "DELETE a session", call(t, "DELETE", u, "", "", bearer(keep)), 204, "")
	}, acc)
	rv.ended = append(rv.ended, acc)
	expect(t, "DELETE an ended session", call(t, "DELETE", u, "", "", bearer(keep)), 404, `{"detail":"Not found."}`)
	expect(t, "DELETE an unknown session", call(t, "DELETE", rv.b.URL+"/userprofiles/api/token/sessions/0123456789abcdef/", "", "", bearer(keep)), 404, `{"detail":"Not found."}`)
	expect(t, "GET a session", call(t, "GET", u, "", "", bearer(keep)), 405, `{"detail":"Method \"GET\" not allowed."}`)
	expect(t, "sessions without a token", get(t, rv.b.URL+"/userprofiles/api/token/sessions/"), 401, `{"detail":"Authentication credentials were not provided."}`)
	rv.works("the caller's own session", keep)
	rv.live = keep
}
