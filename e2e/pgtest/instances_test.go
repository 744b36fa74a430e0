package pgtest

import (
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
)

// TestTwoInstances runs two gateway processes on one PostgreSQL database,
// started together (both migrate it), and shows that what is done through
// one is honoured by the other: a logout, a deactivation and an
// activation made with one's CLI, and a registration.
func TestTwoInstances(t *testing.T) {
	db := newDatabase(t)
	echo := harness.StartEcho(t)
	gs := startGateways(t, 2, gatewayOptions{upstream: echo.Addr, env: map[string]string{"DATABASE_URL": dbURL(t, db)}})
	a, b := gs[0], gs[1]
	pw := secret("a password", "Alice-pass-2d9c71")
	a.createSuperuser(t, "alice", pw)

	// A logout at A is refused at B, and one at B at A.
	accessA, refreshA := a.login(t, "alice", pw)
	_, refreshB := b.login(t, "alice", pw)
	if r := postForm(t, b.URL+"/userprofiles/api/token/refresh/", "refresh", refreshA); r.Status != 200 {
		t.Fatalf("refresh at B of A's token, before logout: %s", r)
	}
	expect(t, "logout at A", postForm(t, a.URL+"/userprofiles/api/token/blacklist/", "refresh", refreshA), 200, `{}`)
	expect(t, "refresh at B after logout at A", postForm(t, b.URL+"/userprofiles/api/token/refresh/", "refresh", refreshA), 401, harness.Blacklisted)
	expect(t, "logout at B of the token logged out at A", postForm(t, b.URL+"/userprofiles/api/token/blacklist/", "refresh", refreshA), 401, harness.Blacklisted)
	expect(t, "logout at B", postForm(t, b.URL+"/userprofiles/api/token/blacklist/", "refresh", refreshB), 200, `{}`)
	expect(t, "refresh at A after logout at B", postForm(t, a.URL+"/userprofiles/api/token/refresh/", "refresh", refreshB), 401, harness.Blacklisted)
	// The logout ended the login's access token too (docs/sessions.md);
	// the checks below use a new login's.
	waitFor(t, "A's access token after its logout, at B", propagationLimit, getWith(b.URL+"/userprofiles/users/", accessA), is(401, accessEnded))
	accessA, _ = a.login(t, "alice", pw)

	// alice deactivated with A's CLI: B (and A) refuse her token within a
	// second, on the gateway's users/ and on a proxied route.
	usersA, usersB := a.URL+"/userprofiles/users/", b.URL+"/userprofiles/users/"
	proxied := func(g *gateway) func() (answer, error) {
		return func() (answer, error) {
			return send("POST", g.URL+"/movieapi/movie/1/review-create/", jsonType, `{}`, bearer(accessA))
		}
	}
	for _, g := range gs {
		expect(t, "alice's token at "+g.name, get(t, g.URL+"/userprofiles/users/", bearer(accessA)), 200,
			`[{"id":1,"username":"alice","email":"alice@example.com"}]`)
	}
	propagation := func(what string, action func() (started, returned time.Time), polls map[string]<-chan sighting) {
		t.Helper()
		started, returned := action()
		for name, ch := range polls {
			propagated(t, what+" → "+name, <-ch, started, returned)
		}
	}
	cliAction := func(g *gateway, args ...string) func() (time.Time, time.Time) {
		return func() (time.Time, time.Time) {
			started := time.Now()
			g.mustCLI(t, args...)
			return started, time.Now()
		}
	}
	propagation("deactivation with A's CLI", cliAction(a, "user", "deactivate", "alice"), map[string]<-chan sighting{
		"B users/":  watch(propagationLimit+5*time.Second, getWith(usersB, accessA), is(401, harness.UserInactive)),
		"B proxied": watch(propagationLimit+5*time.Second, proxied(b), is(401, harness.UserInactive)),
		"A users/":  watch(propagationLimit+5*time.Second, getWith(usersA, accessA), is(401, harness.UserInactive)),
		"A proxied": watch(propagationLimit+5*time.Second, proxied(a), is(401, harness.UserInactive)),
	})
	expect(t, "login at B of the user deactivated at A", postForm(t, b.URL+"/userprofiles/api/token/", "username", "alice", "password", pw), 401, harness.NoActiveAccount)
	propagation("activation with B's CLI", cliAction(b, "user", "activate", "alice"), map[string]<-chan sighting{
		"A users/": watch(propagationLimit+5*time.Second, getWith(usersA, accessA), is(200, "")),
		"B users/": watch(propagationLimit+5*time.Second, getWith(usersB, accessA), is(200, "")),
	})

	// A user registered at A: its token works at B as soon as B's feed
	// has the user, before anyone logs in at B; then it logs in at B.
	pwBob := secret("a password", "Bob-pass-0e4a5f")
	reg := call(t, "POST", a.URL+"/userprofiles/register/", jsonType,
		`{"username":"bob","email":"bob@example.com","password":"`+pwBob+`","password2":"`+pwBob+`"}`)
	if reg.Status != 201 {
		t.Fatalf("register at A: %s", reg)
	}
	registered := time.Now()
	propagated(t, "registration of bob at A → bob's token works at B",
		<-watch(propagationLimit+5*time.Second, getWith(usersB, str(t, reg, "access")), is(200, "")), registered, registered)
	b.login(t, "bob", pwBob)
	if out := b.mustCLI(t, "user", "list"); !strings.Contains(out, "bob") {
		t.Errorf("B's CLI does not list bob:\n%s", out)
	}
}
