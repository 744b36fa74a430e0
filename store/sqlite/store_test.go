package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/store"
	"github.com/jwtgate/jwtgate/store/storetest"
)

// factory makes stores on files in the test's temporary directory.
type factory struct {
	mu    sync.Mutex
	paths map[store.Store]string
}

func (f *factory) New(t *testing.T) store.Store {
	t.Helper()
	s := openStore(t, filepath.Join(t.TempDir(), "jwtgate.sqlite3"))
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	f.remember(s)
	return s
}

func (f *factory) Another(t *testing.T, s store.Store) store.Store {
	t.Helper()
	o := openStore(t, f.path(t, s))
	f.remember(o)
	return o
}

func (f *factory) Exec(t *testing.T, s store.Store, query string) {
	t.Helper()
	rawExec(t, f.path(t, s), query)
}

func (f *factory) remember(s *Store) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.paths[s] = s.opts.Path
}

func (f *factory) path(t *testing.T, s store.Store) string {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.paths[s]
	if !ok {
		t.Fatalf("the store was not made by this factory")
	}
	return p
}

// openStore opens a store with the default options and closes it at the
// end of the test.
func openStore(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), Options{Path: path})
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// rawDB opens the file as another program would: the plain driver, no
// jwtgate code, foreign keys enforced as Django enforces them.
func rawDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open(driverName, path+"?_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// rawExec runs query (possibly several statements) on its own connection.
func rawExec(t testing.TB, path, query string) {
	t.Helper()
	db := rawDB(t, path)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, query); err != nil {
		t.Fatalf("executing %q: %v", query, err)
	}
	db.Close()
}

func TestContract(t *testing.T) {
	storetest.Run(t, &factory{paths: map[store.Store]string{}})
}
