package pgtest

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
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
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, filepath.Join(harness.BinDir, "caddy"), "reload", "--config", confs[name],
			"--adapter", "caddyfile", "--address", g.admin[len("http://"):])
		cmd.Env = g.env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("caddy reload (%s): %v\n%s", name, err, out)
		}
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
