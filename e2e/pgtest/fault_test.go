package pgtest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
	"github.com/jwtgate/jwtgate/internal/pgcluster"
)

// clusterURL is the gateway's DATABASE_URL on c: its postgres database,
// with a password trust authentication ignores.
func clusterURL(c *pgcluster.Cluster) string {
	return c.URL(c.Port, secret("the database password", urlPassword))
}

// tableExists reports whether the cluster c has the table.
func tableExists(t *testing.T, c *pgcluster.Cluster, table string) bool {
	t.Helper()
	conn := dbConn(t, clusterURL(c))
	var exists bool
	if err := conn.QueryRow(context.Background(), `SELECT to_regclass($1) IS NOT NULL`, table).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	return exists
}

// The fault settings: a short db_timeout, and the Retry-After to expect.
const (
	dbTimeout  = 2 * time.Second
	retryAfter = "3"
	// answerWithin detects a hang while the database is down: answers
	// come within db_timeout, and the measured times are logged, but a
	// loaded CI machine must not turn a slow answer into a failure (tests
	// never assert performance), so the bound is generous.
	answerWithin = dbTimeout + 10*time.Second
)

// expectUnavailable checks that a token route answers the 503 of DRF's
// ServiceUnavailable, as JSON with Retry-After, in time.
func expectUnavailable(t *testing.T, what string, a answer, err error) {
	t.Helper()
	switch {
	case err != nil:
		t.Errorf("%s with the database down: %v", what, err)
	case a.Status != 503 || a.Body != unavailable:
		t.Errorf("%s with the database down: got %s, want 503 %s", what, a, unavailable)
	case a.Header.Get("Retry-After") != retryAfter:
		t.Errorf("%s with the database down: Retry-After %q, want %q", what, a.Header.Get("Retry-After"), retryAfter)
	case a.Header.Get("Content-Type") != "application/json":
		t.Errorf("%s with the database down: Content-Type %q", what, a.Header.Get("Content-Type"))
	}
	if a.Took > answerWithin {
		t.Errorf("%s with the database down took %s, want at most %s (db_timeout %s)", what, ms(a.Took), ms(answerWithin), dbTimeout)
	}
}

// TestDatabaseDownAndBack runs a gateway on a throwaway PostgreSQL cluster
// (db_timeout 2s, retry_after 3s, BLACKLIST_AFTER_ROTATION=true so that
// verify consults the blacklist) and stops and starts the server under
// it: the gateway starts while the database is down and creates the
// tables when it comes up; with the server stopped the token routes answer
// 503 JSON with Retry-After within 3 s while Bearer-protected proxying
// keeps working; when the server returns the gateway recovers by itself,
// user feed included, without a restart.
func TestDatabaseDownAndBack(t *testing.T) {
	c := pgcluster.New(t) // initdb only: the server is not running
	echo := harness.StartEcho(t)
	g := startGateways(t, 1, gatewayOptions{
		// The test's concurrent requests all come from 127.0.0.1: a
		// per-client share of the hashing gate as large as its bursts
		// keeps their 503s those of the database (Retry-After 3), not the
		// gate's (Retry-After 1).
		conf:     harness.ExampleCaddyfile(t, "db_timeout "+dbTimeout.String(), "retry_after "+retryAfter+"s", "hash_per_client 8"),
		upstream: echo.Addr,
		env: map[string]string{
			"DATABASE_URL":             clusterURL(c),
			"BLACKLIST_AFTER_ROTATION": "true",
		},
	})[0]
	tokenURL := g.URL + "/userprofiles/api/token/"
	proxied := g.URL + "/movieapi/movie/1/review-create/"
	pw := secret("a password", "Dora-pass-6a1e2c")

	// 1. The gateway started with the database down; the token routes
	// answer 503 until it is up.
	a, err := send("POST", tokenURL, formType, form("username", "dora", "password", pw))
	expectUnavailable(t, "obtain, the gateway started with the database down", a, err)
	a, err = send("POST", g.URL+"/userprofiles/register/", jsonType, `{"username":"x","email":"x@example.com","password":"`+pw+`","password2":"`+pw+`"}`)
	expectUnavailable(t, "register, the gateway started with the database down", a, err)
	// Bearer-protected routes: the user states have never been loaded, so
	// a well-signed token cannot be checked (503, with the configured
	// Retry-After); a token that is invalid whatever the database says is
	// refused as simplejwt refuses it, token checks first.
	valid := craftAccess(t, harness.TestSigningKey, 1)
	a, err = send("POST", proxied, jsonType, `{}`, bearer(valid))
	expectUnavailable(t, "a proxied write with a well-signed token, the gateway started with the database down", a, err)
	expect(t, "a proxied write with a bad token, the gateway started with the database down", call(t, "POST", proxied, jsonType, `{}`, bearer("garbage")), 401, harness.AccessInvalid)
	expect(t, "a proxied write without a token, the gateway started with the database down", call(t, "POST", proxied, jsonType, `{}`), 401, harness.NotProvided)
	if n := echo.Requests(); n != 0 {
		t.Errorf("the upstream received %d requests before the user states were loaded", n)
	}
	g.alive(t)

	// The server comes up: the gateway creates the tables by itself, and
	// obtain answers (401 for a user nobody created yet).
	c.Start()
	var statuses []int
	took := waitFor(t, "obtain to answer once the database is up", 40*time.Second,
		func() (answer, error) {
			return send("POST", tokenURL, formType, form("username", "dora", "password", pw))
		},
		func(a answer) bool {
			if len(statuses) == 0 || statuses[len(statuses)-1] != a.Status {
				statuses = append(statuses, a.Status)
			}
			return a.Status == 401 && a.Body == harness.NoActiveAccount
		})
	t.Logf("started with the database down: obtain answered 401 (tables created) %s after the server came up; statuses meanwhile %v", ms(took), statuses)
	for _, s := range statuses {
		if s != 503 && s != 401 {
			t.Errorf("while the gateway created the tables, obtain answered %d (statuses %v), want only 503 then 401", s, statuses)
		}
	}
	for _, table := range []string{"auth_user", "token_blacklist_outstandingtoken", "token_blacklist_blacklistedtoken"} {
		if !tableExists(t, c, table) {
			t.Errorf("the gateway did not create %s", table)
		}
	}

	// 2. A user, a valid pair, a working proxied route.
	g.createSuperuser(t, "dora", pw)
	access, refresh := g.login(t, "dora", pw)
	waitFor(t, "dora's token on the proxied route", 5*time.Second, func() (answer, error) {
		return send("POST", proxied, jsonType, `{}`, bearer(access))
	}, is(200, `{"upstream":"ok"}`))

	// 3. The server stops. Every token route answers 503 JSON with
	// Retry-After, fast; Bearer-protected proxying goes on.
	c.Stop()
	stopped := time.Now()
	for round := 1; round <= 2; round++ {
		routes := []struct {
			what        string
			path, ctype string
			body        string
			header      []string
		}{
			{"obtain", "api/token/", formType, form("username", "dora", "password", pw), nil},
			{"login/", "login/", formType, form("username", "dora", "password", pw), nil},
			{"refresh", "api/token/refresh/", formType, form("refresh", refresh), nil},
			{"register", "register/", jsonType, `{"username":"eve","email":"eve@example.com","password":"` + pw + `","password2":"` + pw + `"}`, nil},
			{"verify (blacklist mode)", "api/token/verify/", formType, form("token", refresh), nil},
			{"blacklist", "api/token/blacklist/", formType, form("refresh", refresh), nil},
			{"users/", "users/", "", "", []string{bearer(access)}},
		}
		for _, r := range routes {
			method := "POST"
			if r.path == "users/" {
				method = "GET"
			}
			a, err := send(method, g.URL+"/userprofiles/"+r.path, r.ctype, r.body, r.header...)
			expectUnavailable(t, fmt.Sprintf("%s (round %d)", r.what, round), a, err)
			t.Logf("database down: %s answered %d in %s", r.what, a.Status, ms(a.Took))
		}
		before := echo.Requests()
		expect(t, "a proxied write with a valid token, the database down", call(t, "POST", proxied, jsonType, `{}`, bearer(access)), 200, `{"upstream":"ok"}`)
		expect(t, "a proxied write with a bad token, the database down", call(t, "POST", proxied, jsonType, `{}`, bearer(access+"x")), 401,
			harness.AccessInvalid)
		expect(t, "a proxied write without a token, the database down", call(t, "POST", proxied, jsonType, `{}`), 401, harness.NotProvided)
		if echo.Requests() != before+1 {
			t.Errorf("the upstream received %d requests, want 1 (the valid token's)", echo.Requests()-before)
		}
		if id := echo.Last(t).Get("X-User-Id"); id != "1" {
			t.Errorf("the upstream saw X-User-Id %q, want 1", id)
		}
	}
	// A burst of logins while down: all 503, none hangs.
	answers, errs := concurrently(8, func(int) (answer, error) {
		return send("POST", tokenURL, formType, form("username", "dora", "password", pw))
	})
	for i := range answers {
		expectUnavailable(t, fmt.Sprintf("concurrent obtain %d", i), answers[i], errs[i])
	}
	t.Logf("database down: 8 concurrent logins answered 503, slowest in %s", ms(slowest(answers)))
	g.alive(t)

	// 4. The server comes back on the same port: the same gateway process
	// recovers by itself.
	time.Sleep(time.Until(stopped.Add(2 * time.Second))) // down long enough for the feed to back off
	c.Start()
	back := time.Now()
	took = waitFor(t, "obtain to work again after the server's restart", 15*time.Second, func() (answer, error) {
		return send("POST", tokenURL, formType, form("username", "dora", "password", pw))
	}, is(200, ""))
	t.Logf("server restarted: obtain works again %s after it accepted connections", ms(took))
	if r := postForm(t, g.URL+"/userprofiles/api/token/refresh/", "refresh", refresh); r.Status != 200 {
		t.Errorf("refresh after the restart: %s", r)
	}

	// A deactivation made after the restart reaches the gateway: the user
	// feed reconnected (it backs off up to 5 s), and then a reactivation
	// propagates within a second.
	raw := dbConn(t, clusterURL(c))
	update := func(sql string) time.Time {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := raw.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return time.Now()
	}
	deactivated := update(`UPDATE auth_user SET is_active = false WHERE username = 'dora'`)
	s := <-watch(15*time.Second, func() (answer, error) { return send("POST", proxied, jsonType, `{}`, bearer(access)) }, is(401, harness.UserInactive))
	if s.At.IsZero() {
		t.Fatalf("a deactivation made after the restart did not reach the gateway within 15 s: %s %v", s.Last, s.Err)
	}
	t.Logf("server restarted: a deactivation made %s after it came back reached the gateway %s later", ms(deactivated.Sub(back)), ms(s.At.Sub(deactivated)))
	reactivated := update(`UPDATE auth_user SET is_active = true WHERE username = 'dora'`)
	propagated(t, "server restarted: a reactivation reaches the gateway (proxied 200)",
		<-watch(propagationLimit+5*time.Second, func() (answer, error) { return send("POST", proxied, jsonType, `{}`, bearer(access)) }, is(200, "")),
		reactivated, reactivated)

	// 5. The server hangs: every server process is stopped with SIGSTOP,
	// so the kernel still accepts connections and nothing answers. The
	// token routes answer 503 once db_timeout has passed, not later, and
	// proxying goes on; when the server resumes, everything works again.
	c.Freeze()
	hung := []struct {
		what, method, path, ctype, body string
		header                          []string
	}{
		{"obtain", "POST", "api/token/", formType, form("username", "dora", "password", pw), nil},
		{"refresh", "POST", "api/token/refresh/", formType, form("refresh", refresh), nil},
		{"register", "POST", "register/", jsonType, `{"username":"fay","email":"fay@example.com","password":"` + pw + `","password2":"` + pw + `"}`, nil},
		{"verify (blacklist mode)", "POST", "api/token/verify/", formType, form("token", refresh), nil},
		{"blacklist", "POST", "api/token/blacklist/", formType, form("refresh", refresh), nil},
		{"users/", "GET", "users/", "", "", []string{bearer(access)}},
	}
	answers, errs = concurrently(len(hung), func(i int) (answer, error) {
		h := hung[i]
		return send(h.method, g.URL+"/userprofiles/"+h.path, h.ctype, h.body, h.header...)
	})
	for i, h := range hung {
		expectUnavailable(t, h.what+" with the server hung", answers[i], errs[i])
		t.Logf("server hung: %s answered %d in %s (db_timeout %s)", h.what, answers[i].Status, ms(answers[i].Took), dbTimeout)
	}
	p := call(t, "POST", proxied, jsonType, `{}`, bearer(access))
	expect(t, "a proxied write with a valid token, the server hung", p, 200, `{"upstream":"ok"}`)
	t.Logf("server hung: a proxied write with a valid token answered %d in %s", p.Status, ms(p.Took))
	g.alive(t)
	c.Thaw()
	took = waitFor(t, "obtain to work again after the server resumed", 15*time.Second, func() (answer, error) {
		return send("POST", tokenURL, formType, form("username", "dora", "password", pw))
	}, is(200, ""))
	t.Logf("server resumed: obtain works again after %s", ms(took))
	deactivated = update(`UPDATE auth_user SET is_active = false WHERE username = 'dora'`)
	propagated(t, "server resumed: a deactivation reaches the gateway (proxied 401 "+harness.UserInactive+")",
		<-watch(propagationLimit+5*time.Second, func() (answer, error) { return send("POST", proxied, jsonType, `{}`, bearer(access)) }, is(401, harness.UserInactive)),
		deactivated, deactivated)

	// All without a restart: the one process ran throughout.
	g.alive(t)
}
