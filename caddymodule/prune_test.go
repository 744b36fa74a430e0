package caddymodule

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/jwtgate/jwtgate/store/sqlite"
	"github.com/jwtgate/jwtgate/throttle"
)

// TestPruner: the pruner the app starts deletes ended login failure
// windows while it runs, keeps open ones, and stop returns once it has
// stopped.
func TestPruner(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db.sqlite3")
	st, err := sqlite.Open(ctx, sqlite.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if _, err := st.AddLoginFailure(ctx, []string{"c:ended", "u:ended|siva"}, now.Add(-time.Hour), time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddLoginFailure(ctx, []string{"c:open"}, now, time.Hour); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows := func() (keys []string) {
		r, err := raw.Query(`SELECT "key" FROM "jwtgate_login_failure" ORDER BY "key"`)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		for r.Next() {
			var k string
			r.Scan(&k)
			keys = append(keys, k)
		}
		return keys
	}
	if got := rows(); len(got) != 3 {
		t.Fatalf("rows before pruning: %q", got)
	}

	stop := startPruner(ctx, st, 10*time.Millisecond, time.Second, zap.NewNop())
	deadline := time.Now().Add(10 * time.Second)
	for len(rows()) != 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := rows(); len(got) != 1 || got[0] != "c:open" {
		t.Errorf("rows after pruning: %q, want only c:open", got)
	}
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("stop did not return")
	}

	for _, c := range []struct {
		th   *throttle.Config
		want time.Duration
	}{{nil, time.Minute}, {&throttle.Config{Window: 15 * time.Minute}, time.Minute}, {&throttle.Config{Window: 5 * time.Second}, 5 * time.Second}, {&throttle.Config{Window: time.Millisecond}, time.Second}} {
		if got := pruneInterval(c.th); got != c.want {
			t.Errorf("pruneInterval(%+v) = %v, want %v", c.th, got, c.want)
		}
	}
}
