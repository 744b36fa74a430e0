package e2e

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
)

// TestMaxStaleness: with max_staleness, a gateway whose user table can no
// longer be confirmed current (here the SQLite feed's polls fail: auth_user
// renamed while a change is pending) answers 503 with Retry-After to valid
// tokens once that long has passed, instead of trusting users it cannot
// re-read; it recovers by itself when the table is back.
func TestMaxStaleness(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "jwtgate.sqlite3")
	conf := filepath.Join(t.TempDir(), "Caddyfile")
	if err := os.WriteFile(conf, []byte(`{
	admin {$JWTGATE_ADMIN}
	jwtgate {
		store {
			sqlite_path {env.JWTGATE_DB_PATH}
		}
		signing_key {env.JWT_SIGNING_KEY}
		max_staleness 5s
	}
}
http://{$JWTGATE_ADDR} {
	jwt_endpoints /userprofiles/*
	handle /p/* {
		jwt_auth
		respond "ok" 200
	}
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	g := harness.StartGateway(t, harness.GatewayOptions{Caddyfile: conf, Env: map[string]string{"JWTGATE_DB_PATH": dbPath}})
	g.CreateUser(t, "siva", "siva-pass-8d1f")
	access, _ := g.Login(t, "siva", "siva-pass-8d1f")
	protected := func() harness.Response { return harness.Do(t, "GET", g.URL+"/p/x", nil, harness.Bearer(access)) }
	harness.Expect(t, "a valid token with a current table", protected(), 200, "ok")

	db, err := sql.Open("sqlite", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	exec := func(q string) {
		t.Helper()
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	broken := time.Now()
	exec(`ALTER TABLE auth_user RENAME TO auth_user_away`)
	exec(`INSERT INTO jwtgate_user_change (user_id, changed_at) VALUES (1, '2026-01-01 00:00:00.000')`)
	var r harness.Response
	for r = protected(); r.Status == 200 && time.Since(broken) < 30*time.Second; r = protected() {
		time.Sleep(100 * time.Millisecond)
	}
	if r.Status != 503 || r.Header.Get("Retry-After") == "" {
		t.Fatalf("a valid token while the table cannot be re-read: %d %s", r.Status, r.Body)
	}
	// The gateway counts from its last successful poll, which may come
	// shortly before the break (polls are 50 ms apart, later on a busy
	// machine): half a second is far more than that and far less than
	// max_staleness.
	if took := time.Since(broken); took < 4500*time.Millisecond {
		t.Errorf("503 after %v, before max_staleness 5s (less the feed's last poll)", took)
	}
	t.Logf("503 %v after the feed broke (max_staleness 5s)", time.Since(broken).Round(100*time.Millisecond))
	if r := harness.Do(t, "GET", g.URL+"/p/x", nil); r.Status != 401 {
		t.Errorf("no token while stale: %d, want 401", r.Status)
	}
	exec(`ALTER TABLE auth_user_away RENAME TO auth_user`)
	fixed := time.Now()
	for r = protected(); r.Status != 200 && time.Since(fixed) < 30*time.Second; r = protected() {
		time.Sleep(100 * time.Millisecond)
	}
	harness.Expect(t, "a valid token once the table is back", r, 200, "ok")
}
