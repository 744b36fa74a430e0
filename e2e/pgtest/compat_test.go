package pgtest

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
)

// passwordChanged is the Bearer check's 401 with check_revoke_token for a
// token whose hash_password is not the current password's (simplejwt
// 5.5.1 authentication.py:141-147).
const passwordChanged = `{"detail":"The user's password has been changed.","code":"password_changed"}`

// passwordHash is simplejwt 5.3+'s get_md5_hash_password of an encoded
// password (utils.py: hashlib.md5(password.encode()).hexdigest().upper()),
// recorded as something no log may contain.
func passwordHash(encoded string) string {
	return secret("a password's MD5", fmt.Sprintf("%X", md5.Sum([]byte(encoded))))
}

// claimShape lists a token's claims in order with the JSON type of each
// value ("token_type:string", "user_id:number", …).
func claimShape(t testing.TB, tok string) []string {
	t.Helper()
	claims := tokenClaims(t, tok)
	out := make([]string, len(claims))
	for i, c := range claims {
		kind := "object"
		switch c.raw[0] {
		case '"':
			kind = "string"
		case 'n':
			kind = "null"
		case 't', 'f':
			kind = "bool"
		case '[':
			kind = "array"
		case '{':
		default:
			kind = "number"
		}
		out[i] = c.name + ":" + kind
	}
	return out
}

type rawClaim struct {
	name string
	raw  json.RawMessage
}

// tokenClaims decodes a token's payload, keeping the claims' order.
func tokenClaims(t testing.TB, tok string) []rawClaim {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS: %d segments", len(parts))
	}
	p, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(p))
	if _, err := dec.Token(); err != nil { // {
		t.Fatal(err)
	}
	var out []rawClaim
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, rawClaim{k.(string), v})
	}
	return out
}

// claim returns one claim of tok as raw JSON, "" when absent.
func claim(t testing.TB, tok, name string) string {
	t.Helper()
	for _, c := range tokenClaims(t, tok) {
		if c.name == name {
			return string(c.raw)
		}
	}
	return ""
}

// TestMixedWithDjango52 is the mixed test of issue 12: the Django
// reference (simplejwt 5.2.2) and a gateway in the 5.2 profile
// (SIMPLEJWT_COMPAT=5.2) serve one PostgreSQL database with the same key,
// both rotating refresh tokens and blacklisting after rotation. Their
// tokens have one shape; each accepts the other's; a chain of rotations
// that alternates between them works, and every rotated token is refused
// by both with the same bytes; the rows both write in simplejwt's tables
// are the ones 5.2.2 writes; a logout on either side holds on both. Then a
// gateway with check_revoke_token (CHECK_REVOKE_TOKEN of simplejwt 5.3+)
// on the same database honours a token Django makes the way 5.3's
// for_user does, and refuses with password_changed, within the feed's
// bound, every token from before a password change made through Django.
func TestMixedWithDjango52(t *testing.T) {
	db := newDatabase(t)
	ref := newReference(t, db)
	ref.env = append(ref.env, "JWT_ROTATE_REFRESH_TOKENS=1", "JWT_BLACKLIST_AFTER_ROTATION=1")
	ref.resetDB(t)
	gunicorn := ref.start(t)
	echo := harness.StartEcho(t)
	env := map[string]string{"DATABASE_URL": dbURL(t, db), "JWT_SIGNING_KEY": sharedKey, "SIMPLEJWT_COMPAT": "5.2",
		"ROTATE_REFRESH_TOKENS": "true", "BLACKLIST_AFTER_ROTATION": "true"}
	g := startGateways(t, 1, gatewayOptions{upstream: echo.Addr, env: env})[0]
	ref.ready(t, gunicorn)
	conn := dbConn(t, dbURL(t, db))
	type side struct{ name, url string }
	django, gate := side{"Django", ref.URL}, side{"the gateway", g.URL}
	sides := []side{django, gate}
	login := func(s side) (access, refresh string) {
		t.Helper()
		a := postForm(t, s.url+"/userprofiles/api/token/", "username", "siva", "password", "siva")
		if a.Status != 200 {
			t.Fatalf("login at %s: %s", s.name, a)
		}
		noteTokens(a.Body)
		return str(t, a, "access"), str(t, a, "refresh")
	}
	row := func(jti string) string {
		t.Helper()
		var n, users, times int
		err := conn.QueryRow(context.Background(), `SELECT count(*), count(user_id), count(created_at)
FROM token_blacklist_outstandingtoken WHERE jti = $1`, jti).Scan(&n, &users, &times)
		switch {
		case err != nil:
			t.Fatalf("reading the outstanding row: %v", err)
		case n == 0:
			return "absent"
		}
		return fmt.Sprintf("user_id set %v, created_at set %v", users == 1, times == 1)
	}
	jti := func(tok string) string {
		t.Helper()
		var s string
		if err := json.Unmarshal([]byte(claim(t, tok, "jti")), &s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	users := func(s side, tok string) answer { return get(t, s.url+"/userprofiles/users/", bearer(tok)) }

	// One shape: the same claims in the same order, with the same JSON
	// types (user_id a number, as 5.2.2 writes it).
	dA, dR := login(django)
	gA, gR := login(gate)
	for _, p := range [][2]string{{dA, gA}, {dR, gR}} {
		if d, g := claimShape(t, p[0]), claimShape(t, p[1]); fmt.Sprint(d) != fmt.Sprint(g) {
			t.Errorf("token shapes differ:\n Django      %v\n the gateway %v", d, g)
		}
	}
	if c := claim(t, gA, "user_id"); c != "1" {
		t.Errorf("user_id in the 5.2 profile = %s, want 1", c)
	}
	if row(jti(dR)) != "user_id set true, created_at set true" || row(jti(gR)) != "user_id set true, created_at set true" {
		t.Errorf("login rows: Django %s, the gateway %s; want both recorded with user and time", row(jti(dR)), row(jti(gR)))
	}

	// Each accepts the other's access tokens, with the same answer.
	want := users(django, dA)
	if want.Status != 200 || !strings.HasPrefix(want.Body, `[{"id":1,"username":"siva"`) {
		t.Fatalf("Django's users/ with its own token: %s", want)
	}
	for _, s := range sides {
		for _, tok := range []string{dA, gA} {
			expect(t, s.name+"'s users/ with a token of either side", users(s, tok), 200, want.Body)
		}
	}

	// A rotation chain alternating between the sides. Each side writes no
	// row for the refresh token it rotates to (5.2.2's
	// TokenRefreshSerializer calls no outstand()); each new access token
	// works on both.
	chain := []string{dR}
	for i, s := range []side{gate, django, gate, django} {
		r := postForm(t, s.url+"/userprofiles/api/token/refresh/", "refresh", chain[len(chain)-1])
		if r.Status != 200 {
			t.Fatalf("rotation %d at %s: %s", i+1, s.name, r)
		}
		noteTokens(r.Body)
		acc, next := str(t, r, "access"), str(t, r, "refresh")
		if got := row(jti(next)); got != "absent" {
			t.Errorf("rotation %d at %s recorded the new refresh token: %s, want absent (5.2.2)", i+1, s.name, got)
		}
		for _, o := range sides {
			expect(t, fmt.Sprintf("%s's users/ with the access token of rotation %d at %s", o.name, i+1, s.name), users(o, acc), 200, want.Body)
		}
		chain = append(chain, next)
	}
	// Every rotated token is refused by both, byte for byte alike, on
	// refresh, verify and blacklist; the row its blacklisting created has
	// no user and no time, whichever side blacklisted it (5.2.2's
	// blacklist() get_or_create defaults token and expires_at only).
	for i, old := range chain[:len(chain)-1] {
		for _, s := range sides {
			expect(t, fmt.Sprintf("refresh of rotated token %d at %s", i, s.name),
				postForm(t, s.url+"/userprofiles/api/token/refresh/", "refresh", old), 401, harness.Blacklisted)
		}
		dv := postForm(t, django.url+"/userprofiles/api/token/verify/", "token", old)
		expect(t, fmt.Sprintf("the gateway's verify of rotated token %d (Django's answer)", i),
			postForm(t, gate.url+"/userprofiles/api/token/verify/", "token", old), dv.Status, dv.Body)
		dbl := postForm(t, django.url+"/userprofiles/api/token/blacklist/", "refresh", old)
		expect(t, fmt.Sprintf("the gateway's blacklist of rotated token %d (Django's answer)", i),
			postForm(t, gate.url+"/userprofiles/api/token/blacklist/", "refresh", old), dbl.Status, dbl.Body)
		if i > 0 {
			if got := row(jti(old)); got != "user_id set false, created_at set false" {
				t.Errorf("row of rotated token %d (made by one side, blacklisted by the other): %s, want no user and no time", i, got)
			}
		}
	}
	if dv := postForm(t, django.url+"/userprofiles/api/token/verify/", "token", chain[0]); dv.Status != 400 || dv.Body != `{"non_field_errors":["Token is blacklisted"]}` {
		t.Errorf("Django's verify of a rotated token: %s (the comparison above is only as good as this)", dv)
	}

	// A logout on either side holds on both.
	_, gR2 := login(gate)
	_, dR2 := login(django)
	expect(t, "Django's logout of a gateway refresh token", postForm(t, django.url+"/userprofiles/api/token/blacklist/", "refresh", gR2), 200, `{}`)
	expect(t, "the gateway's logout of a Django refresh token", postForm(t, gate.url+"/userprofiles/api/token/blacklist/", "refresh", dR2), 200, `{}`)
	for _, s := range sides {
		for name, tok := range map[string]string{"a gateway token logged out at Django": gR2, "a Django token logged out at the gateway": dR2} {
			expect(t, s.name+"'s refresh of "+name, postForm(t, s.url+"/userprofiles/api/token/refresh/", "refresh", tok), 401, harness.Blacklisted)
		}
	}

	// check_revoke_token on a gateway of the same database.
	rg := startGateways(t, 1, gatewayOptions{conf: harness.ExampleCaddyfile(t, "check_revoke_token true"), upstream: echo.Addr, env: env})[0]
	rg.name = "the check_revoke_token gateway"
	hash := passwordHash(readUser(t, conn, "siva").Password)
	rA, rR := rg.login(t, "siva", "siva")
	noteTokens(rA + " " + rR)
	for _, tok := range []string{rA, rR} {
		if c := claim(t, tok, "hash_password"); c != `"`+hash+`"` {
			t.Errorf("hash_password of a check_revoke_token login = %s, want the MD5 of auth_user.password in upper-case hex", c)
		}
	}
	// What simplejwt 5.3's for_user does with CHECK_REVOKE_TOKEN
	// (tokens.py: token[REVOKE_TOKEN_CLAIM] = get_md5_hash_password(user.password)),
	// done by Django's 5.2.2 classes.
	out := ref.shell(t, nil, `
import hashlib
from django.contrib.auth.models import User
from rest_framework_simplejwt.tokens import RefreshToken
u = User.objects.get(username='siva')
r = RefreshToken.for_user(u)
r['hash_password'] = hashlib.md5(u.password.encode()).hexdigest().upper()
print('ACCESS', str(r.access_token))
`)
	noteTokens(out)
	i := strings.Index(out, "ACCESS ")
	if i < 0 {
		t.Fatalf("Django made no token:\n%s", out)
	}
	djA := strings.Fields(out[i:])[1]
	for _, tok := range []string{rA, djA} {
		expect(t, "the check_revoke_token gateway's users/ with a token carrying the current hash", users(side{rg.name, rg.URL}, tok), 200, want.Body)
		if a := users(django, tok); a.Status != 200 {
			t.Errorf("Django's users/ with a token carrying hash_password: %s", a)
		}
	}
	expect(t, "the check_revoke_token gateway's users/ with a token without the claim (CHECK_REVOKE_TOKEN refuses it)",
		users(side{rg.name, rg.URL}, gA), 401, passwordChanged)

	// Django changes the password: both tokens are refused with
	// password_changed within the feed's bound.
	newPW := secret("a password", "Siva-compat-pass-5e2a")
	var polls []<-chan sighting
	for _, tok := range []string{rA, djA} {
		polls = append(polls, watch(propagationLimit+5*time.Second, getWith(rg.URL+"/userprofiles/users/", tok), is(401, passwordChanged)))
	}
	started := time.Now()
	ref.shell(t, []string{"PW=" + newPW}, `
import os
from django.contrib.auth.models import User
u = User.objects.get(username='siva')
u.set_password(os.environ['PW'])
u.save()
`)
	done := time.Now()
	for i, ch := range polls {
		propagated(t, fmt.Sprintf("Django's set_password → password_changed for token %d", i), <-ch, started, done)
	}
	expect(t, "verify of a token from before the password change (simplejwt's verify does not look)",
		postForm(t, rg.URL+"/userprofiles/api/token/verify/", "token", rA), 200, `{}`)
	rA, _ = rg.login(t, "siva", newPW)
	if c, h := claim(t, rA, "hash_password"), passwordHash(readUser(t, conn, "siva").Password); c != `"`+h+`"` {
		t.Errorf("hash_password after the change = %s, want %s", c, h)
	}
	if a := users(side{rg.name, rg.URL}, rA); a.Status != 200 {
		t.Errorf("a login after the password change: %s", a)
	}
}

// TestCheckRevokeToken: check_revoke_token on two gateways sharing a
// PostgreSQL database. A password change with the CLI holds at the
// gateway it syncs when the command returns and at the other within the
// feed's bound; one made by a plain SQL UPDATE of auth_user.password, by
// both within the bound; the refusal is simplejwt's password_changed, and
// tokens of a login after the change carry the new hash and work.
func TestCheckRevokeToken(t *testing.T) {
	db := newDatabase(t)
	echo := harness.StartEcho(t)
	gs := startGateways(t, 2, gatewayOptions{conf: harness.ExampleCaddyfile(t, "check_revoke_token true"), upstream: echo.Addr,
		env: map[string]string{"DATABASE_URL": dbURL(t, db)}})
	a, b := gs[0], gs[1]
	conn := dbConn(t, dbURL(t, db))
	pw := secret("a password", "Alice-revoke-pass-3b7d")
	a.createSuperuser(t, "alice", pw)
	bobPW := secret("a password", "Bob-revoke-pass-c41e")
	a.createSuperuser(t, "bob", bobPW)

	acc, _ := b.login(t, "alice", pw)
	noteTokens(acc)
	if c := claim(t, acc, "hash_password"); c != `"`+passwordHash(readUser(t, conn, "alice").Password)+`"` {
		t.Fatalf("hash_password = %s, want the MD5 of alice's auth_user.password in upper-case hex", c)
	}
	works := func(what, tok string) {
		t.Helper()
		for _, g := range gs {
			if r := get(t, g.URL+"/userprofiles/users/", bearer(tok)); r.Status != 200 {
				t.Fatalf("%s at %s: %s", what, g.name, r)
			}
			if r, err := send("GET", g.URL+"/movieapi/movie/", "", "", bearer(tok)); err != nil || r.Status != 200 {
				t.Fatalf("%s on a proxied route at %s: %s %v", what, g.name, r, err)
			}
		}
	}
	works("a fresh token", acc)

	// The CLI's changepassword.
	newPW := secret("a password", "Alice-revoke-new-8a0f")
	poll := watch(propagationLimit+5*time.Second, getWith(b.URL+"/userprofiles/users/", acc), is(401, passwordChanged))
	started := time.Now()
	if out, err := a.cli(t, newPW+"\n"+newPW+"\n", nil, "changepassword", "alice"); err != nil {
		t.Fatalf("changepassword: %v\n%s", err, out)
	}
	done := time.Now()
	expect(t, "A right after changepassword returned", get(t, a.URL+"/userprofiles/users/", bearer(acc)), 401, passwordChanged)
	expect(t, "a proxied route at A right after changepassword returned", call(t, "GET", a.URL+"/movieapi/movie/", "", "", bearer(acc)), 401, passwordChanged)
	propagated(t, "changepassword → B refuses with password_changed", <-poll, started, done)
	acc, _ = a.login(t, "alice", newPW)
	noteTokens(acc)
	works("a login after changepassword", acc)

	// A plain SQL UPDATE (bob's hash: alice now logs in with bob's password).
	var polls []<-chan sighting
	for _, g := range gs {
		polls = append(polls, watch(propagationLimit+5*time.Second, getWith(g.URL+"/userprofiles/users/", acc), is(401, passwordChanged)))
	}
	started = time.Now()
	if _, err := conn.Exec(context.Background(), `UPDATE auth_user SET password = (SELECT password FROM auth_user WHERE username = 'bob') WHERE username = 'alice'`); err != nil {
		t.Fatal(err)
	}
	done = time.Now()
	for i, ch := range polls {
		propagated(t, "UPDATE auth_user SET password → "+gs[i].name+" refuses with password_changed", <-ch, started, done)
	}
	acc, _ = b.login(t, "alice", bobPW)
	noteTokens(acc)
	if c := claim(t, acc, "hash_password"); c != `"`+passwordHash(readUser(t, conn, "bob").Password)+`"` {
		t.Errorf("hash_password after the UPDATE = %s, want the MD5 of the new auth_user.password", c)
	}
	works("a login after the UPDATE", acc)
}
