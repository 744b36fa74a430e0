package pgtest

import (
	"context"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
	"github.com/jwtgate/jwtgate/store"
	"github.com/jwtgate/jwtgate/store/postgres"
)

// TestIndexBuildDoesNotDelayReadiness: on a database with Django's tables
// but without jwtgate's indexes on lower(email) and lower(username), as on
// the first start over an existing auth_user, the gateway serves
// protected requests while the indexes cannot be built yet (another
// transaction holds the lock CREATE INDEX CONCURRENTLY needs, as reading a
// ten-million-row table would hold it up), and builds them once it can.
func TestIndexBuildDoesNotDelayReadiness(t *testing.T) {
	db := newDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := postgres.Open(ctx, postgres.Options{URL: dbURL(t, db)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.MigrateTables(ctx); err != nil {
		t.Fatal(err)
	}
	u, err := s.CreateUser(ctx, store.User{Username: "early", Password: "!", Email: "early@example.com", IsActive: true, DateJoined: time.Now()}, store.CreateUserOptions{})
	s.Close()
	if err != nil {
		t.Fatal(err)
	}

	conn := dbConn(t, dbURL(t, db))
	const valid = `SELECT count(*) FROM pg_index WHERE indexrelid IN (to_regclass('jwtgate_auth_user_email_lower'), to_regclass('jwtgate_auth_user_username_lower')) AND indisvalid`
	if n := queryInt(t, conn, valid); n != 0 {
		t.Fatalf("%d valid indexes after MigrateTables, want none", n)
	}
	locker := dbConn(t, dbURL(t, db))
	tx, err := locker.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// SHARE UPDATE EXCLUSIVE lets reads and writes through and stops
	// CREATE INDEX CONCURRENTLY.
	if _, err := tx.Exec(ctx, `LOCK TABLE auth_user IN SHARE UPDATE EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}

	g := startGateways(t, 1, gatewayOptions{upstream: harness.StartEcho(t).Addr, env: map[string]string{
		"DATABASE_URL":    dbURL(t, db),
		"JWT_SIGNING_KEY": sharedKey,
	}})[0]
	users := getWith(g.URL+"/userprofiles/users/", craftAccess(t, sharedKey, u.ID))
	if s := <-watch(20*time.Second, users, func(a answer) bool { return a.Status == 200 }); s.At.IsZero() {
		t.Fatalf("a protected request while the index build waits: %s (%v), want 200 within 20 s", s.Last, s.Err)
	}
	if n := queryInt(t, conn, valid); n != 0 {
		t.Fatalf("%d valid indexes while their build was blocked: the test did not hold it back", n)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for queryInt(t, conn, valid) != 2 {
		if time.Now().After(deadline) {
			t.Fatal("the gateway did not build its indexes on auth_user within a minute of the lock's release")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
