package pgtest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
)

// feedUp probes jwtgate_user_feed_up in the gateway's metrics: the
// answer's Body is its value ("" when absent).
func feedUp(g *gateway) func() (answer, error) {
	return func() (answer, error) {
		a, err := send("GET", g.admin+"/metrics", "", "")
		v := ""
		for _, line := range strings.Split(a.Body, "\n") {
			if x, ok := strings.CutPrefix(line, "jwtgate_user_feed_up "); ok {
				v = x
			}
		}
		return answer{Status: a.Status, Body: v}, err
	}
}

func metric(v string) func(answer) bool { return func(a answer) bool { return a.Body == v } }

// TestFeedCanary: with jwtgate's triggers on auth_user disabled, the
// gateway notices (its canary query reads pg_trigger.tgenabled), logs an
// error, exports jwtgate_user_feed_up 0, and keeps the index current by
// reading every user once a second: a deactivation made meanwhile is
// enforced within seconds, and max_staleness does not trip while polling
// works. Enabled again, the feed reports itself up.
func TestFeedCanary(t *testing.T) {
	db := newDatabase(t)
	url := dbURL(t, db)
	g := startGateways(t, 1, gatewayOptions{conf: harness.ExampleCaddyfile(t, "max_staleness 5s"), env: map[string]string{"DATABASE_URL": url}})[0]
	pw := secret("a password", "Feed-pass-61c2e0")
	g.createSuperuser(t, "alice", pw)
	access, _ := g.login(t, "alice", pw)
	users := g.URL + "/userprofiles/users/"
	expect(t, "alice's token", get(t, users, bearer(access)), 200, `[{"id":1,"username":"alice","email":"alice@example.com"}]`)
	waitFor(t, "jwtgate_user_feed_up 1", 10*time.Second, feedUp(g), metric("1"))

	conn := dbConn(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := conn.Exec(ctx, `ALTER TABLE auth_user DISABLE TRIGGER USER`); err != nil {
		t.Fatal(err)
	}
	took := waitFor(t, "jwtgate_user_feed_up 0 with the triggers disabled", 15*time.Second,
		feedUp(g), metric("0"))
	t.Logf("the feed reported itself down %v after the triggers were disabled", took.Round(time.Millisecond))
	if out := g.proc.Output(); !strings.Contains(out, "user feed not delivering changes") || !strings.Contains(out, "disabled (pg_trigger.tgenabled)") {
		t.Errorf("no error naming the disabled triggers in the log:\n%s", harness.Tail(out, 3000))
	}

	// A deactivation notifies nothing now; polling brings it.
	if _, err := conn.Exec(ctx, `UPDATE auth_user SET is_active = false WHERE username = 'alice'`); err != nil {
		t.Fatal(err)
	}
	took = waitFor(t, "the deactivation without triggers", 10*time.Second, getWith(users, access), is(401, harness.UserInactive))
	t.Logf("a deactivation without triggers enforced in %v (polling)", took.Round(time.Millisecond))
	if _, err := conn.Exec(ctx, `UPDATE auth_user SET is_active = true WHERE username = 'alice'`); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the reactivation without triggers", 10*time.Second, getWith(users, access), is(200, ""))
	// Polling keeps the index confirmed current: max_staleness 5s does
	// not trip.
	for end := time.Now().Add(6 * time.Second); time.Now().Before(end); time.Sleep(500 * time.Millisecond) {
		if a := get(t, users, bearer(access)); a.Status != 200 {
			t.Fatalf("while polling, with max_staleness 5s: %s", a)
		}
	}

	if _, err := conn.Exec(ctx, `ALTER TABLE auth_user ENABLE TRIGGER USER`); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "jwtgate_user_feed_up 1 with the triggers enabled", 15*time.Second,
		feedUp(g), metric("1"))
	if out := g.proc.Output(); !strings.Contains(out, "user feed delivering changes again") {
		t.Errorf("no recovery in the log:\n%s", harness.Tail(out, 3000))
	}
	if _, err := conn.Exec(ctx, `UPDATE auth_user SET is_active = false WHERE username = 'alice'`); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a pushed deactivation", propagationLimit, getWith(users, access), is(401, harness.UserInactive))
}
