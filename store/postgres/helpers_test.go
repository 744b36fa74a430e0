package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jwtgate/jwtgate/internal/testenv"
)

// The tests run against a real PostgreSQL server: by default the
// superuser postgres on 127.0.0.1:5432 with trust authentication.
// JWTGATE_TEST_POSTGRES_URL overrides the maintenance URL (its database is
// only used to create and drop test databases). Without a server they skip
// unless CI=true (see internal/testenv).
func adminURL() string { return testenv.PostgresURL() }

// urlFor is adminURL with another database.
func urlFor(t testing.TB, dbname string) string {
	t.Helper()
	u, err := dbURLErr(dbname)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func dbURLErr(dbname string) (string, error) {
	u, err := url.Parse(adminURL())
	if err != nil {
		return "", fmt.Errorf("JWTGATE_TEST_POSTGRES_URL is not a URL: %v", err)
	}
	u.Path = "/" + dbname
	return u.String(), nil
}

const startHint = "start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start " +
	"(or point JWTGATE_TEST_POSTGRES_URL at a server where the user may create databases)"

// testCtx returns a context that ends with the test, or after 30 s.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// adminExec runs sql on the maintenance database, failing the test with
// instructions when the server cannot be reached.
func adminExec(t testing.TB, sql string) {
	t.Helper()
	if err := adminExecErr(sql); err != nil {
		t.Fatal(err)
	}
}

func adminExecErr(sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, adminURL())
	if err != nil {
		return fmt.Errorf("PostgreSQL is not reachable at %s: %v\n%s", redact(adminURL()), err, startHint)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("%s: %w", sql, err)
	}
	return nil
}

func redact(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	return "the configured server"
}

func randomName(prefix string) string {
	b := make([]byte, 6)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// newDatabase creates an empty database (a copy of template, or of
// template1 when template is "") that is dropped at the end of the test,
// and returns its name.
func newDatabase(t testing.TB, template string) string {
	t.Helper()
	testenv.PostgreSQL(t)
	name := randomName("jwtgate_test_")
	stmt := "CREATE DATABASE " + name
	if template != "" {
		stmt += " TEMPLATE " + quoteIdent(template)
	}
	adminExec(t, stmt)
	t.Cleanup(func() { adminExec(t, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	return name
}

// openStore opens a store on url with opts, closed at the end of the test.
func openStore(t testing.TB, opts Options) *Store {
	t.Helper()
	s, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// migrated opens a store on a fresh database and migrates it.
func migrated(t testing.TB) (*Store, string) {
	t.Helper()
	db := newDatabase(t, "")
	s := openStore(t, Options{URL: urlFor(t, db)})
	if err := s.Migrate(testCtx(t)); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s, db
}

// rawConn connects to the database as another program would (no jwtgate
// code), closed at the end of the test.
func rawConn(t testing.TB, dbURL string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatalf("connecting to %s: %v\n%s", redact(dbURL), err, startHint)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// rawExec runs sql (possibly several statements) on a connection of its
// own.
func rawExec(t testing.TB, dbURL, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatalf("connecting to %s: %v\n%s", redact(dbURL), err, startHint)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("executing %q: %v", sql, err)
	}
}

// queryInt runs a query returning one integer.
func queryInt(t testing.TB, dbURL, sql string) int64 {
	t.Helper()
	conn := rawConn(t, dbURL)
	var n int64
	if err := conn.QueryRow(testCtx(t), sql).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// registry remembers the database URL behind each store, for the
// factory.
type registry struct {
	mu   sync.Mutex
	urls map[*Store]string
}

func (r *registry) add(s *Store, dbURL string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.urls == nil {
		r.urls = map[*Store]string{}
	}
	r.urls[s] = dbURL
}

func (r *registry) url(t testing.TB, s any) string {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	ps, ok := s.(*Store)
	if !ok || r.urls[ps] == "" {
		t.Fatalf("the store %T was not made by this factory", s)
	}
	return r.urls[ps]
}

func must(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func ptr[T any](v T) *T { return &v }
