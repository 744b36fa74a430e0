package postgres

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/jwtgate/jwtgate/store"
)

// migratedWithConn is a migrated store, its database's URL and a raw
// connection to it.
func migratedWithConn(t *testing.T) (*Store, string, *pgx.Conn) {
	s, db := migrated(t)
	dbURL := urlFor(t, db)
	return s, dbURL, rawConn(t, dbURL)
}

// TestEmailIndex: Migrate adds a valid index on lower(email) that the
// registration's email check uses, also on a table that already has
// users, and rebuilds one an interrupted build left invalid.
func TestEmailIndex(t *testing.T) {
	t.Parallel()
	s, dbURL, conn := migratedWithConn(t)
	ctx := testCtx(t)
	valid := func() (ok bool) {
		t.Helper()
		if err := conn.QueryRow(ctx, `SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('`+emailIndex+`')`).Scan(&ok); err != nil {
			t.Fatalf("reading index %s: %v", emailIndex, err)
		}
		return ok
	}
	if !valid() {
		t.Fatalf("index %s is not valid after Migrate", emailIndex)
	}
	if _, err := conn.Exec(ctx, `SET enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	var plan strings.Builder
	rows, err := conn.Query(ctx, `EXPLAIN SELECT EXISTS (SELECT 1 FROM auth_user WHERE lower(email) = lower($1) AND email = $1)`, "a@example.com")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(line + "\n")
	}
	if !strings.Contains(plan.String(), emailIndex) {
		t.Errorf("the email check does not use %s:\n%s", emailIndex, plan.String())
	}

	// Dropped on a table with users, and marked invalid as an interrupted
	// CREATE INDEX CONCURRENTLY leaves it: Migrate builds it again.
	rawExec(t, dbURL, `INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined)
SELECT '!', false, 'u' || g, '', '', 'u' || g || '@example.com', false, true, now() FROM generate_series(1, 1000) g`)
	rawExec(t, dbURL, `UPDATE pg_index SET indisvalid = false WHERE indexrelid = to_regclass('`+emailIndex+`')`)
	if valid() {
		t.Fatal("could not mark the index invalid")
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate over an invalid index: %v", err)
	}
	if !valid() {
		t.Errorf("index %s still invalid after a second Migrate", emailIndex)
	}
	rawExec(t, dbURL, `DROP INDEX `+emailIndex)
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate without the index: %v", err)
	}
	if !valid() {
		t.Errorf("index %s not rebuilt by Migrate", emailIndex)
	}
}

// TestEmailLockPerEmail: a registration holding the lock of one email
// (here another session in the middle of its transaction) does not hold up
// the registration of another email, and does hold up one of the same
// email, in any case, which then sees the first one's row.
func TestEmailLockPerEmail(t *testing.T) {
	t.Parallel()
	s, _, conn := migratedWithConn(t)
	ctx := testCtx(t)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext(lower($2)))`, emailLockNamespace, "held@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined)
VALUES ('!', false, 'holder', '', '', 'held@example.com', false, true, now())`); err != nil {
		t.Fatal(err)
	}

	other := store.User{Password: "!", Username: "other", Email: "other@example.com", IsActive: true, DateJoined: time.Now()}
	octx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := s.CreateUser(octx, other, store.CreateUserOptions{UniqueEmail: true}); err != nil {
		t.Fatalf("registering another email while one email's lock is held: %v", err)
	}

	same := store.User{Password: "!", Username: "same", Email: "held@example.com", IsActive: true, DateJoined: time.Now()}
	done := make(chan error, 1)
	go func() {
		_, err := s.CreateUser(ctx, same, store.CreateUserOptions{UniqueEmail: true})
		done <- err
	}()
	// Wait (bounded) until the registration waits for the advisory lock.
	waiting := false
	for range 200 {
		var n int
		if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			waiting = true
			break
		}
		select {
		case err := <-done:
			t.Fatalf("registration of the held email finished while the lock was held: %v", err)
		case <-time.After(25 * time.Millisecond):
		}
	}
	if !waiting {
		t.Fatal("the registration of the held email never waited for its lock")
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, store.ErrEmailTaken) {
		t.Errorf("registration of the email committed meanwhile: err = %v, want ErrEmailTaken", err)
	}
}
