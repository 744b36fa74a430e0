package pgtest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
)

// TestConcurrency runs two gateways with rotation and blacklisting
// (ROTATE_REFRESH_TOKENS=true BLACKLIST_AFTER_ROTATION=true) on one
// database: concurrent refreshes of one refresh token give exactly one
// success, at one instance and split over both; concurrent registrations
// of one username, or of one email, create exactly one user, also when
// they spell it in different cases or in fullwidth or mathematical letters
// (NFKC); createsuperuser normalizes too.
func TestConcurrency(t *testing.T) {
	db := newDatabase(t)
	// The hashing gate (default: half the CPUs, a queue of 8 per worker,
	// 2 s of waiting) would turn some of 16 registrations, each hashing at
	// 1000000 iterations, into 503s on a small machine before they reach
	// the database; widened here so that every request races in the
	// database. db_timeout too: the gateway counts the wait for the gate
	// and the hashing against it (see TestLoginBurstOnHealthyDatabase).
	conf := harness.ExampleCaddyfile(t, "hash_queue 64", "hash_per_client 64", "hash_wait 60s", "db_timeout 60s",
		"login_throttle {", "\tregister_per_client 0", "\thashes_per_client 0", "}")
	gs := startGateways(t, 2, gatewayOptions{conf: conf, env: map[string]string{
		"DATABASE_URL":             dbURL(t, db),
		"ROTATE_REFRESH_TOKENS":    "true",
		"BLACKLIST_AFTER_ROTATION": "true",
	}})
	a, b := gs[0], gs[1]
	conn := dbConn(t, dbURL(t, db))
	pw := secret("a password", "Carol-pass-71fa3b")
	a.createSuperuser(t, "carol", pw)

	refreshRace := func(what string, at func(i int) *gateway) {
		t.Helper()
		_, refresh := a.login(t, "carol", pw)
		answers, errs := concurrently(16, func(i int) (answer, error) {
			return send("POST", at(i).URL+"/userprofiles/api/token/refresh/", formType, form("refresh", refresh))
		})
		got := tally(t, answers, errs)
		if got["200"] != 1 || got["401 "+harness.Blacklisted] != 15 {
			t.Errorf("%s: 16 concurrent refreshes of one token gave %v, want one 200 and 15 401 %s", what, got, harness.Blacklisted)
		}
		for _, r := range answers {
			if r.Status == 200 {
				// The one success rotated the token: the new one works once.
				if !strings.HasPrefix(r.Body, `{"access":"`) || !strings.Contains(r.Body, `","refresh":"`) {
					t.Errorf("%s: the successful refresh answered %s", what, r)
					continue
				}
				next := str(t, r, "refresh")
				if n := postForm(t, b.URL+"/userprofiles/api/token/refresh/", "refresh", next); n.Status != 200 {
					t.Errorf("%s: refresh with the rotated token: %s", what, n)
				}
			}
		}
		t.Logf("%s: %v (slowest answer %s)", what, got, ms(slowest(answers)))
	}
	refreshRace("16 refreshes at A", func(int) *gateway { return a })
	refreshRace("8 refreshes at A and 8 at B", func(i int) *gateway { return gs[i%2] })

	// One username, 16 emails, 8 registrations at each instance.
	regPw := secret("a password", "Racer-pass-5c0d92")
	register := func(g *gateway, username, email string) (answer, error) {
		return send("POST", g.URL+"/userprofiles/register/", jsonType,
			fmt.Sprintf(`{"username":%q,"email":%q,"password":%q,"password2":%q}`, username, email, regPw, regPw))
	}
	answers, errs := concurrently(16, func(i int) (answer, error) {
		return register(gs[i%2], "racer", fmt.Sprintf("racer%d@example.com", i))
	})
	got := tally(t, answers, errs)
	if got["201"] != 1 || got["400 "+usernameUsed] != 15 {
		t.Errorf("16 concurrent registrations of one username gave %v, want one 201 and 15 400 %s", got, usernameUsed)
	}
	t.Logf("16 registrations of one username over two instances: %v (slowest answer %s)", got, ms(slowest(answers)))
	if n := queryInt(t, conn, `SELECT count(*) FROM auth_user WHERE username = 'racer'`); n != 1 {
		t.Errorf("auth_user has %d rows for the username racer, want 1", n)
	}

	// One email, 16 usernames.
	answers, errs = concurrently(16, func(i int) (answer, error) {
		return register(gs[i%2], fmt.Sprintf("mailer%d", i), "shared@example.com")
	})
	got = tally(t, answers, errs)
	if got["201"] != 1 || got["400 "+emailUsed] != 15 {
		t.Errorf("16 concurrent registrations of one email gave %v, want one 201 and 15 400 %s", got, emailUsed)
	}
	t.Logf("16 registrations of one email over two instances: %v (slowest answer %s)", got, ms(slowest(answers)))
	if n := queryInt(t, conn, `SELECT count(*) FROM auth_user WHERE email = 'shared@example.com'`); n != 1 {
		t.Errorf("auth_user has %d rows with the email shared@example.com, want 1", n)
	}
	for _, r := range answers {
		if r.Status == 201 {
			user := str(t, r, "username")
			b.login(t, user, regPw)
			a.login(t, user, regPw)
		}
	}

	// One username in 16 spellings (case, fullwidth, mathematical bold:
	// NFKC and the case-insensitive check make them one), and one email
	// in 16 cases.
	spellings := []string{"rider", "Rider", "RIDER", "rIdEr", "ｒｉｄｅｒ", "Ｒｉｄｅｒ", "ＲＩＤＥＲ", "𝐫𝐢𝐝𝐞𝐫", "𝐑𝐢𝐝𝐞𝐫", "𝐑𝐈𝐃𝐄𝐑",
		"riDER", "RiDeR", "ｒＩＤＥＲ", "𝐫𝐈𝐃𝐄𝐑", "rideR", "ＲＩＤＥｒ"}
	answers, errs = concurrently(16, func(i int) (answer, error) {
		return register(gs[i%2], spellings[i], fmt.Sprintf("rider%d@example.com", i))
	})
	got = tally(t, answers, errs)
	if got["201"] != 1 || got["400 "+usernameUsed] != 15 {
		t.Errorf("16 concurrent registrations of rider in 16 spellings gave %v, want one 201 and 15 400 %s", got, usernameUsed)
	}
	if n := queryInt(t, conn, `SELECT count(*) FROM auth_user WHERE lower(username) = 'rider'`); n != 1 {
		t.Errorf("auth_user has %d rows for rider in any case, want 1", n)
	}
	answers, errs = concurrently(16, func(i int) (answer, error) {
		email := []byte("folded@example.com")
		for j := range 4 {
			if i&(1<<j) != 0 {
				email[j] -= 'a' - 'A'
			}
		}
		return register(gs[i%2], fmt.Sprintf("folder%d", i), string(email))
	})
	got = tally(t, answers, errs)
	if got["201"] != 1 || got["400 "+emailUsed] != 15 {
		t.Errorf("16 concurrent registrations of one email in 16 cases gave %v, want one 201 and 15 400 %s", got, emailUsed)
	}

	// createsuperuser normalizes as Django's create_user, and the
	// case-insensitive check holds for it too.
	a.createSuperuser(t, "ｄａｖｅ", pw)
	if n := queryInt(t, conn, `SELECT count(*) FROM auth_user WHERE username = 'dave'`); n != 1 {
		t.Errorf("createsuperuser ｄａｖｅ stored %d rows named dave, want 1", n)
	}
	if out, err := a.cli(t, "", []string{"JWTGATE_SUPERUSER_PASSWORD=" + pw}, "createsuperuser", "--noinput", "--username", "Carol", "--email", "c2@example.com"); err == nil || !strings.Contains(out, "already taken") {
		t.Errorf("createsuperuser Carol beside carol: %v\n%s", err, out)
	}
}

// TestLoginBurstOnHealthyDatabase: db_timeout bounds the database calls
// of a request ("a database that does not answer in time gives 503"), and
// hash_wait the wait for a hashing slot. A burst of logins on a healthy
// database, whose queries answer in milliseconds, waits for the gate
// (hash_workers 1, hash_wait 10s) but must not be refused as if the
// database were down.
func TestLoginBurstOnHealthyDatabase(t *testing.T) {
	db := newDatabase(t)
	conf := harness.ExampleCaddyfile(t, "db_timeout 1s", "hash_workers 1", "hash_queue 64", "hash_per_client 64", "hash_wait 10s",
		// Every attempt counts before its hash: ten at once would pass
		// the per-account limit (5) before the first success took its
		// count back.
		"login_throttle {", "\tper_account 20", "}")
	g := startGateways(t, 1, gatewayOptions{conf: conf, env: map[string]string{"DATABASE_URL": dbURL(t, db)}})[0]
	pw := secret("a password", "Hana-pass-0f3b8e")
	g.createSuperuser(t, "hana", pw)
	answers, errs := concurrently(10, func(int) (answer, error) {
		return send("POST", g.URL+"/userprofiles/api/token/", formType, form("username", "hana", "password", pw))
	})
	got := tally(t, answers, errs)
	t.Logf("10 concurrent logins, one hashing slot, db_timeout 1s: %v (slowest answer %s)", got, ms(slowest(answers)))
	if got["200"] != 10 {
		t.Errorf("10 concurrent logins on a healthy database gave %v, want 10 × 200: the wait for the hashing gate "+
			"(hash_wait 10s) and the hashing are counted against db_timeout (1s)", got)
	}
	g.proc.Stop(t)
	for _, line := range strings.Split(g.proc.Output(), "\n") {
		if strings.Contains(line, `"database unavailable"`) {
			t.Errorf("with the database healthy, the gateway logged it unavailable: %s", harness.Tail(line, 500))
		}
	}
}
