package pgtest

import (
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
)

// TestSharedDatabaseWithDjango runs the Django reference (gunicorn) and a
// gateway on one PostgreSQL database prepared by Django's own migrations
// and seed, with the same signing key, and proves the interop of issue 3:
// Django's users and hashes (createsuperuser, the 260000-iteration PBKDF2
// of Django 3.2, other iteration counts, argon2, bcrypt_sha256) log in at
// the gateway and are never rewritten; access tokens cross both ways;
// logouts made on either side are honoured by both; a deactivation made
// through Django's ORM reaches the gateway within a second; and a user
// registered at the gateway logs in at Django.
func TestSharedDatabaseWithDjango(t *testing.T) {
	db := newDatabase(t)
	ref := newReference(t, db)
	ref.resetDB(t)
	gunicorn := ref.start(t)

	// Django makes users with its other hashers, and one with
	// createsuperuser, while gunicorn starts.
	passwords := map[string]string{
		"siva":           "siva", // the seed's; too short to look for in logs
		"dj_admin":       secret("a password", "Dj-admin-pass-51c2"),
		"dj_argon2":      secret("a password", "Argon2-pass-4e1b"),
		"dj_bcrypt":      secret("a password", "Bcrypt-pass-9a7d"),
		"dj_pbkdf2_600k": secret("a password", "Pbkdf2-600k-pass-3f0e"),
		"dj_pbkdf2_100k": secret("a password", "Pbkdf2-100k-pass-c6d8"),
	}
	out := ref.shell(t, []string{
		"PW_ARGON2=" + passwords["dj_argon2"], "PW_BCRYPT=" + passwords["dj_bcrypt"],
		"PW_600K=" + passwords["dj_pbkdf2_600k"], "PW_100K=" + passwords["dj_pbkdf2_100k"],
		"DJANGO_SUPERUSER_PASSWORD=" + passwords["dj_admin"],
	}, `
import os
from django.contrib.auth.models import User
from django.contrib.auth.hashers import make_password, PBKDF2PasswordHasher
from django.core.management import call_command
h = PBKDF2PasswordHasher()
users = [
    ('dj_argon2', make_password(os.environ['PW_ARGON2'], hasher='argon2')),
    ('dj_bcrypt', make_password(os.environ['PW_BCRYPT'], hasher='bcrypt_sha256')),
    ('dj_pbkdf2_600k', h.encode(os.environ['PW_600K'], h.salt(), 600000)),
    ('dj_pbkdf2_100k', h.encode(os.environ['PW_100K'], h.salt(), 100000)),
]
for name, enc in users:
    u = User.objects.create_user(name, name + '@example.com')
    u.password = enc
    u.save()
call_command('createsuperuser', interactive=False, username='dj_admin', email='dj_admin@example.com')
for u in User.objects.order_by('id'):
    print('USER', u.id, u.username, u.password.split('$')[0])
`)
	if !strings.Contains(out, "Superuser created successfully.") || !strings.Contains(out, "USER 7 dj_admin pbkdf2_sha256") {
		t.Fatalf("Django did not create the users:\n%s", out)
	}
	ref.ready(t, gunicorn)

	echo := harness.StartEcho(t)
	g := startGateways(t, 1, gatewayOptions{upstream: echo.Addr, env: map[string]string{
		"DATABASE_URL":    dbURL(t, db),
		"JWT_SIGNING_KEY": sharedKey,
	}})[0]
	conn := dbConn(t, dbURL(t, db))
	users := g.URL + "/userprofiles/users/"

	// Django's hashes, as Django wrote them.
	prefixes := map[string]string{
		"siva":           "pbkdf2_sha256$260000$",
		"dj_admin":       "pbkdf2_sha256$260000$",
		"dj_argon2":      "argon2$argon2id$v=19$m=102400,t=2,p=8$",
		"dj_bcrypt":      "bcrypt_sha256$$2b$12$",
		"dj_pbkdf2_600k": "pbkdf2_sha256$600000$",
		"dj_pbkdf2_100k": "pbkdf2_sha256$100000$",
	}
	before := map[string]userRow{}
	for name, prefix := range prefixes {
		before[name] = readUser(t, conn, name)
		if !strings.HasPrefix(before[name].Password, prefix) {
			t.Fatalf("Django's hash of %s is %.40s…, want %s…", name, before[name].Password, prefix)
		}
	}

	// Every Django user logs in at the gateway with Django's password,
	// three times; a wrong password and Django's inactive user are refused.
	for round := 1; round <= 3; round++ {
		for name := range prefixes {
			a := postForm(t, g.URL+"/userprofiles/api/token/", "username", name, "password", passwords[name])
			if a.Status != 200 || !strings.HasPrefix(a.Body, `{"refresh":"`) {
				t.Errorf("round %d: login of Django's %s (%s) at the gateway: %s", round, name, prefixes[name], a)
			}
		}
	}
	expect(t, "a wrong password for Django's argon2 user", postForm(t, g.URL+"/userprofiles/api/token/",
		"username", "dj_argon2", "password", secret("a wrong password", "Argon2-pass-4e1c")), 401, harness.NoActiveAccount)
	expect(t, "Django's inactive user with the right password", postForm(t, g.URL+"/userprofiles/api/token/",
		"username", "inactive_user", "password", secret("a password", "inactive-pass-123")), 401, harness.NoActiveAccount)

	// rehash_passwords is off: not one hash was rewritten, and last_login
	// stays NULL (update_last_login off), as Django would leave them.
	for name, b := range before {
		a := readUser(t, conn, name)
		if a.Password != b.Password {
			t.Errorf("the gateway rewrote %s's hash after 3 logins: %.40s… became %.40s…", name, b.Password, a.Password)
		}
		if a.LastLogin != nil {
			t.Errorf("the gateway set %s's last_login to %v", name, a.LastLogin)
		}
	}

	// Access tokens cross both ways; both list the same users.
	gAccess, gRefresh := g.login(t, "siva", "siva")
	fromDjango := get(t, ref.URL+"/userprofiles/users/", bearer(gAccess))
	if fromDjango.Status != 200 || !strings.HasPrefix(fromDjango.Body, `[{"id":1,"username":"siva","email":"siva@example.com"},`) {
		t.Fatalf("Django's users/ with the gateway's access token: %s", fromDjango)
	}
	d := postForm(t, ref.URL+"/userprofiles/api/token/", "username", "siva", "password", "siva")
	if d.Status != 200 {
		t.Fatalf("login at Django: %s", d)
	}
	dAccess, dRefresh := str(t, d, "access"), str(t, d, "refresh")
	fromGateway := get(t, users, bearer(dAccess))
	expect(t, "the gateway's users/ with Django's access token (Django's own answer)", fromGateway, 200, fromDjango.Body)
	a := call(t, "POST", g.URL+"/movieapi/movie/1/review-create/", jsonType, `{"rating":4,"description":"ok"}`, bearer(dAccess))
	if a.Status != 200 || echo.Last(t).Get("X-User-Id") != "1" {
		t.Errorf("a proxied write with Django's access token: %s, X-User-Id %q", a, echo.Last(t).Get("X-User-Id"))
	}

	// A Django refresh token logged out at the gateway is refused by both;
	// a gateway refresh token logged out at Django too.
	if r := postForm(t, g.URL+"/userprofiles/api/token/refresh/", "refresh", dRefresh); r.Status != 200 || !strings.HasPrefix(r.Body, `{"access":"`) {
		t.Errorf("the gateway's refresh of Django's refresh token, before logout: %s", r)
	}
	expect(t, "logout of Django's refresh token at the gateway", postForm(t, g.URL+"/userprofiles/api/token/blacklist/", "refresh", dRefresh), 200, `{}`)
	expect(t, "Django's refresh of its token logged out at the gateway", postForm(t, ref.URL+"/userprofiles/api/token/refresh/", "refresh", dRefresh), 401, harness.Blacklisted)
	expect(t, "the gateway's refresh of Django's token logged out at the gateway", postForm(t, g.URL+"/userprofiles/api/token/refresh/", "refresh", dRefresh), 401, harness.Blacklisted)

	if r := postForm(t, ref.URL+"/userprofiles/api/token/refresh/", "refresh", gRefresh); r.Status != 200 || !strings.HasPrefix(r.Body, `{"access":"`) {
		t.Errorf("Django's refresh of the gateway's refresh token, before logout: %s", r)
	}
	expect(t, "logout of the gateway's refresh token at Django", postForm(t, ref.URL+"/userprofiles/api/token/blacklist/", "refresh", gRefresh), 200, `{}`)
	expect(t, "the gateway's refresh of its token logged out at Django", postForm(t, g.URL+"/userprofiles/api/token/refresh/", "refresh", gRefresh), 401, harness.Blacklisted)
	expect(t, "Django's refresh of the gateway's token logged out at Django", postForm(t, ref.URL+"/userprofiles/api/token/refresh/", "refresh", gRefresh), 401, harness.Blacklisted)
	expect(t, "logging out Django's token again, at Django", postForm(t, ref.URL+"/userprofiles/api/token/blacklist/", "refresh", dRefresh), 401, harness.Blacklisted)
	if n := queryInt(t, conn, `SELECT count(*) FROM token_blacklist_blacklistedtoken`); n != 2 {
		t.Errorf("token_blacklist_blacklistedtoken has %d rows, want 2 (one logout on each side)", n)
	}

	// Django's logout of the gateway's refresh token ended its session:
	// the access token of that login is refused too (docs/sessions.md).
	waitFor(t, "the access token of the session Django logged out", propagationLimit, getWith(users, gAccess), is(401, accessEnded))
	gAccess, _ = g.login(t, "siva", "siva")

	// siva deactivated through Django's ORM (refuser set-active siva 0):
	// the gateway's protected routes refuse siva's token within a second.
	deactivated := watch(30*time.Second, getWith(users, gAccess), is(401, harness.UserInactive))
	started := ref.setActive(t, "siva", false)
	propagated(t, "deactivation in Django → the gateway refuses siva's token", <-deactivated, started, started)
	expect(t, "a proxied write with the deactivated siva's token", call(t, "POST", g.URL+"/movieapi/movie/1/review-create/", jsonType, `{}`, bearer(gAccess)), 401, harness.UserInactive)
	expect(t, "Django's users/ with the deactivated siva's token", get(t, ref.URL+"/userprofiles/users/", bearer(gAccess)), 401, harness.UserInactive)
	expect(t, "the deactivated siva's login at the gateway", postForm(t, g.URL+"/userprofiles/api/token/", "username", "siva", "password", "siva"), 401, harness.NoActiveAccount)

	reactivated := watch(30*time.Second, getWith(users, gAccess), is(200, ""))
	started = ref.setActive(t, "siva", true)
	propagated(t, "reactivation in Django → the gateway accepts siva's token", <-reactivated, started, started)

	// A user registered through the gateway logs in at Django, and its
	// gateway token works at Django.
	pw := secret("a password", "Registered-pass-8e2f")
	r := call(t, "POST", g.URL+"/userprofiles/register/", jsonType,
		`{"username":"gw_user","email":"gw_user@example.com","password":"`+pw+`","password2":"`+pw+`"}`)
	if r.Status != 201 || !strings.HasPrefix(r.Body, `{"response":"Registration Successfully !!!","username":"gw_user","email":"gw_user@example.com","token":{"refresh":"`) {
		t.Fatalf("register at the gateway: %s", r)
	}
	regAccess := str(t, r, "access")
	hash := readUser(t, conn, "gw_user").Password
	if !strings.HasPrefix(hash, "pbkdf2_sha256$1000000$") {
		t.Errorf("the gateway's hash of a registered user is %.30s…, want pbkdf2_sha256$1000000$…", hash)
	}
	if a := get(t, ref.URL+"/userprofiles/users/", bearer(regAccess)); a.Status != 200 {
		t.Errorf("Django's users/ with the registration's access token: %s", a)
	}
	if a := postForm(t, ref.URL+"/userprofiles/api/token/", "username", "gw_user", "password", pw); a.Status != 200 {
		t.Errorf("login at Django of the user registered at the gateway: %s", a)
	}
	// Django 3.2 re-hashes at its own count on login; the gateway still
	// accepts what Django wrote, and does not write it back.
	rehashed := readUser(t, conn, "gw_user").Password
	t.Logf("gw_user's hash: %.22s… (gateway register) → %.22s… (after a login at Django)", hash, rehashed)
	g.login(t, "gw_user", pw)
	if now := readUser(t, conn, "gw_user").Password; now != rehashed {
		t.Errorf("the gateway rewrote gw_user's hash at login: %.30s… became %.30s…", rehashed, now)
	}

	// Configured to (rehash_passwords true), a gateway does rewrite an
	// old-format hash at login, to its own count, which Django accepts.
	rehasher := startGateways(t, 1, gatewayOptions{conf: harness.ExampleCaddyfile(t, "rehash_passwords true"), env: map[string]string{
		"DATABASE_URL":    dbURL(t, db),
		"JWT_SIGNING_KEY": sharedKey,
	}})[0]
	rehasher.login(t, "dj_pbkdf2_100k", passwords["dj_pbkdf2_100k"])
	if now := readUser(t, conn, "dj_pbkdf2_100k").Password; !strings.HasPrefix(now, "pbkdf2_sha256$1000000$") {
		t.Errorf("with rehash_passwords true, dj_pbkdf2_100k's hash after a login is %.30s…, want pbkdf2_sha256$1000000$…", now)
	}
	if a := postForm(t, ref.URL+"/userprofiles/api/token/", "username", "dj_pbkdf2_100k", "password", passwords["dj_pbkdf2_100k"]); a.Status != 200 {
		t.Errorf("login at Django after the gateway re-hashed the password: %s", a)
	}
}
