package postgres

import (
	"testing"

	"github.com/jwtgate/jwtgate/store"
	"github.com/jwtgate/jwtgate/store/storetest"
)

// factory makes stores on fresh databases of the test server.
type factory struct{ reg registry }

func (f *factory) New(t *testing.T) store.Store {
	t.Helper()
	s, db := migrated(t)
	f.reg.add(s, urlFor(t, db))
	return s
}

// Another is a second Open on the same URL: a pool of its own, as a
// second gateway would have.
func (f *factory) Another(t *testing.T, s store.Store) store.Store {
	t.Helper()
	dbURL := f.reg.url(t, s)
	o := openStore(t, Options{URL: dbURL})
	f.reg.add(o, dbURL)
	return o
}

// Exec runs plain SQL through a connection of its own, as Django or an
// operator would.
func (f *factory) Exec(t *testing.T, s store.Store, sql string) {
	t.Helper()
	rawExec(t, f.reg.url(t, s), sql)
}

func TestContract(t *testing.T) {
	t.Parallel()
	storetest.Run(t, &factory{})
}
