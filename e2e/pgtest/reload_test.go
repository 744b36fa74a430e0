package pgtest

import (
	"context"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
	"github.com/jwtgate/jwtgate/internal/pgcluster"
)

// TestReloadReusesThePool: the PostgreSQL pool lives in a caddy.UsagePool
// keyed by the store's settings. A reload that keeps them keeps the pool
// and the user feed's connection (the gateway's backends do not change,
// and the user table stays in memory); a reload that changes one opens a
// new pool, and the old one is closed when the old config lets go, so
// backends do not pile up over reloads.
func TestReloadReusesThePool(t *testing.T) {
	db := newDatabase(t)
	url := dbURL(t, db)
	conn := dbConn(t, url)
	confs := map[string]string{
		"same store, 5m": harness.ExampleCaddyfile(t, "access_token_lifetime 5m"),
		"same store, 6m": harness.ExampleCaddyfile(t, "access_token_lifetime 6m"),
		"max_conns 3":    harness.ExampleCaddyfile(t, "store {env.DATABASE_URL} {", "\tmax_conns 3", "}"),
		"max_conns 4":    harness.ExampleCaddyfile(t, "store {env.DATABASE_URL} {", "\tmax_conns 4", "}"),
	}
	g := startGateways(t, 1, gatewayOptions{conf: confs["same store, 5m"], env: map[string]string{"DATABASE_URL": url}})[0]
	g.createSuperuser(t, "siva", "siva")
	access, _ := g.login(t, "siva", "siva")

	backends := func() int64 {
		return queryInt(t, conn, `SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'jwtgate'`, db)
	}
	// pids are the gateway's backend processes: the same ones before and
	// after a reload mean the same connections, so the same pool.
	pids := func() string {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var s string
		if err := conn.QueryRow(ctx, `SELECT coalesce(string_agg(pid::text, ',' ORDER BY pid), '') FROM pg_stat_activity
			WHERE datname = $1 AND application_name = 'jwtgate'`, db).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	reload := func(name string) {
		t.Helper()
		g.reload(t, confs[name])
		// The Bearer check answers at once after every reload: the user
		// table of the new config is in memory.
		expect(t, "users/ right after reloading "+name, get(t, g.URL+"/userprofiles/users/", bearer(access)), 200,
			`[{"id":1,"username":"siva","email":"siva@example.com"}]`)
	}

	n0, p0 := backends(), pids()
	for i := 0; i < 6; i++ {
		reload([]string{"same store, 6m", "same store, 5m"}[i%2])
		if p := pids(); p != p0 {
			t.Errorf("reload %d with the same store settings: backends %s, were %s (the pool was not reused)", i+1, p, p0)
		}
	}
	t.Logf("the same %d backends (%s) across 6 reloads with the same store", n0, p0)

	// New pools: the old ones must be closed, not accumulate.
	for i := 0; i < 6; i++ {
		reload([]string{"max_conns 3", "max_conns 4"}[i%2])
		g.login(t, "siva", "siva") // use the new pool
	}
	var n int64
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(50 * time.Millisecond) {
		if n = backends(); n <= n0+2 {
			break
		}
	}
	t.Logf("%d backends after 6 reloads onto new pools (%d before)", n, n0)
	if p := pids(); p == p0 {
		t.Errorf("the backends did not change when the pool settings did (%s)", p)
	}
	if n > n0+2 {
		t.Errorf("%d backends after 6 reloads onto new pools, %d before: old pools were not closed", n, n0)
	}
	g.alive(t)
}

// TestReloadWithDatabaseHung: with the PostgreSQL server hung (stopped
// with SIGSTOP, so connections neither fail nor answer), `caddy reload`
// returns after about db_timeout, not after TCP or pool timeouts: a reload
// that keeps the store settings keeps the pool and its user table and
// does not wait at all, one that changes them waits for the new pool at
// most db_timeout. Bearer-protected proxying goes on across the first;
// when the server resumes the gateway works again by itself.
func TestReloadWithDatabaseHung(t *testing.T) {
	const dbTimeout = time.Second
	c := pgcluster.New(t)
	c.Start()
	echo := harness.StartEcho(t)
	setting := "db_timeout " + dbTimeout.String()
	confs := map[string]string{
		"start":         harness.ExampleCaddyfile(t, setting),
		"same store":    harness.ExampleCaddyfile(t, setting, "access_token_lifetime 6m"),
		"another store": harness.ExampleCaddyfile(t, setting, "store {env.DATABASE_URL} {", "\tmax_conns 3", "}"),
	}
	g := startGateways(t, 1, gatewayOptions{conf: confs["start"], upstream: echo.Addr,
		env: map[string]string{"DATABASE_URL": clusterURL(c)}})[0]
	g.createSuperuser(t, "dora", "dora-pass-5c1e")
	access, _ := g.login(t, "dora", "dora-pass-5c1e")
	proxied := g.URL + "/movieapi/movie/1/review-create/"
	expect(t, "a proxied write before the server hangs", call(t, "POST", proxied, jsonType, `{}`, bearer(access)), 200, `{"upstream":"ok"}`)

	c.Freeze()
	t.Cleanup(c.Thaw) // before the cluster's own cleanup stops it
	// A reload takes about db_timeout at most; far above what it measures,
	// this bound only catches a reload that hangs on the database.
	const bound = dbTimeout + 15*time.Second
	took := g.reload(t, confs["same store"])
	t.Logf("server hung: reload keeping the store took %s", ms(took))
	if took > bound {
		t.Errorf("server hung: reload keeping the store took %s, want at most about db_timeout (%s)", ms(took), dbTimeout)
	}
	expect(t, "a proxied write after a reload with the server hung", call(t, "POST", proxied, jsonType, `{}`, bearer(access)), 200, `{"upstream":"ok"}`)
	took = g.reload(t, confs["another store"])
	t.Logf("server hung: reload onto a new pool took %s (db_timeout %s)", ms(took), dbTimeout)
	if took > bound {
		t.Errorf("server hung: reload onto a new pool took %s, want at most about db_timeout (%s)", ms(took), dbTimeout)
	}
	g.alive(t)

	c.Thaw()
	waitFor(t, "a proxied write once the server resumes", 30*time.Second, func() (answer, error) {
		return send("POST", proxied, jsonType, `{}`, bearer(access))
	}, is(200, `{"upstream":"ok"}`))
	g.login(t, "dora", "dora-pass-5c1e")
}
