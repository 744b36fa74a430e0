package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/internal/testenv"
	"github.com/jwtgate/jwtgate/store"
	"github.com/jwtgate/jwtgate/store/storetest"
)

func TestOpenOptions(t *testing.T) {
	t.Parallel()
	const secret = "sup3rSECRETpw"
	bad := map[string]Options{
		"no URL":              {},
		"negative MaxConns":   {URL: "postgres://127.0.0.1/x", MaxConns: -1},
		"negative timeout":    {URL: "postgres://127.0.0.1/x", ConnectTimeout: -time.Second},
		"MinConns > MaxConns": {URL: "postgres://127.0.0.1/x", MinConns: 5, MaxConns: 2},
		"URL bad port":        {URL: "postgres://u:" + secret + "@127.0.0.1:notaport/db"},
		"URL bad option":      {URL: "postgres://u:" + secret + "@127.0.0.1/db?pool_max_conns=many"},
		"URL bad escape":      {URL: "postgres://u:" + secret + "%zz@127.0.0.1/db"},
		"keyword/value":       {URL: "host=127.0.0.1 port=notaport password=" + secret},
		"not a URL":           {URL: "postgres://u:" + secret + "@[::1/db"},
	}
	for name, opts := range bad {
		s, err := Open(context.Background(), opts)
		if err == nil {
			s.Close()
			t.Errorf("%s: Open succeeded, want an error", name)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("%s: the error contains the password: %v", name, err)
		}
		if !strings.HasPrefix(err.Error(), "postgres: ") {
			t.Errorf("%s: error %q does not say where it comes from", name, err)
		}
	}

	// Defaults, and Open does not connect (here: to a port nothing
	// listens on).
	s := openStore(t, Options{URL: fmt.Sprintf("postgres://u:%s@127.0.0.1:%d/db", secret, testenv.FreePort(t))})
	cfg := s.pool.Config()
	if s.opts.Schema != "public" || cfg.MaxConns != 10 || cfg.MinConns != 0 || cfg.ConnConfig.ConnectTimeout != 5*time.Second || s.opts.ResyncInterval != 5*time.Minute {
		t.Errorf("defaults: %+v, pool MaxConns %d MinConns %d ConnectTimeout %v", s.opts, cfg.MaxConns, cfg.MinConns, cfg.ConnConfig.ConnectTimeout)
	}
	if p := cfg.ConnConfig.RuntimeParams; p["search_path"] != `"public"` || p["application_name"] != "jwtgate" {
		t.Errorf("runtime parameters = %v", p)
	}
	s2 := openStore(t, Options{URL: "postgres://127.0.0.1/db?application_name=mine&pool_max_conns=3", Schema: `a "b"`, MaxConns: 4, MinConns: 1})
	cfg = s2.pool.Config()
	if p := cfg.ConnConfig.RuntimeParams; p["search_path"] != `"a ""b"""` || p["application_name"] != "mine" || cfg.MaxConns != 4 || cfg.MinConns != 1 {
		t.Errorf("options: runtime parameters %v, MaxConns %d, MinConns %d", p, cfg.MaxConns, cfg.MinConns)
	}
}

// TestSchema keeps the tables in a schema of their own, with a name that
// needs quoting.
func TestSchema(t *testing.T) {
	t.Parallel()
	db := newDatabase(t, "")
	dbURL := urlFor(t, db)
	const schema = `Jwt "gate" schema`
	s := openStore(t, Options{URL: dbURL, Schema: schema})
	ctx := testCtx(t)
	must(t, "Migrate", s.Migrate(ctx))
	must(t, "second Migrate", s.Migrate(ctx))
	if n := queryInt(t, dbURL, `SELECT count(*) FROM pg_tables WHERE schemaname = 'Jwt "gate" schema'`); n != 6 {
		t.Errorf("%d tables in the schema, want Django's three, jwtgate_login_failure, jwtgate_session and jwtgate_user_revocation", n)
	}
	if n := queryInt(t, dbURL, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`); n != 0 {
		t.Errorf("%d tables in public, want none", n)
	}
	w := storetest.Watch(t, s)
	u, err := s.CreateUser(ctx, store.User{Password: "!", Username: "siva", Email: "s@example.com", IsActive: true, DateJoined: time.Now()}, store.CreateUserOptions{UniqueEmail: true})
	must(t, "CreateUser", err)
	storetest.WaitForUpdate(t, w, "CreateUser in the schema", func(up storetest.Update) bool { return up.ID == u.ID && up.Exists })
	must(t, "Blacklist", s.Blacklist(ctx, store.OutstandingToken{UserID: &u.ID, JTI: "j", Token: "t", ExpiresAt: time.Now()}, time.Now()))
	must(t, "DeleteUser", s.DeleteUser(ctx, u.ID))
	storetest.WaitForUpdate(t, w, "DeleteUser in the schema", func(up storetest.Update) bool { return up.ID == u.ID && !up.Exists })

	// Options.Schema wins over a search_path in the URL's options.
	viaOptions := openStore(t, Options{URL: dbURL + "&options=-c%20search_path%3Dpublic", Schema: schema})
	if _, err := viaOptions.UserByID(ctx, u.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UserByID through a URL with another search_path: %v, want ErrNotFound from the schema's table", err)
	}

	// A store on public sees none of it.
	pub := openStore(t, Options{URL: dbURL})
	if _, err := pub.UserByID(ctx, u.ID); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Errorf("UserByID on public before its Migrate: %v, want an error (no table)", err)
	}
}

// TestRacesAcrossPools runs the registration and blacklist races over two
// independent stores, as two gateways would.
func TestRacesAcrossPools(t *testing.T) {
	t.Parallel()
	a, db := migrated(t)
	b := openStore(t, Options{URL: urlFor(t, db)})
	handles := []*Store{a, b}
	ctx := testCtx(t)

	const n = 24
	race := func(fn func(i int) error) []error {
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				errs[i] = fn(i)
			})
		}
		close(start)
		wg.Wait()
		return errs
	}
	oneNil := func(what string, errs []error, want error) {
		t.Helper()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else if !errors.Is(err, want) {
				t.Errorf("%s: %v, want nil or %v", what, err, want)
			}
		}
		if ok != 1 {
			t.Errorf("%s: %d calls succeeded, want exactly 1", what, ok)
		}
	}

	for round, email := range []string{"shared@example.com", "other@example.com"} {
		errs := race(func(i int) error {
			_, err := handles[i%2].CreateUser(ctx, store.User{Password: "!", Username: fmt.Sprintf("u%d-%02d", round, i), Email: email, IsActive: true, DateJoined: time.Now()}, store.CreateUserOptions{UniqueEmail: true})
			return err
		})
		oneNil("registrations of "+email+" over two pools", errs, store.ErrEmailTaken)
	}
	if n := queryInt(t, urlFor(t, db), `SELECT count(*) FROM auth_user`); n != 2 {
		t.Errorf("%d users after the races, want 2", n)
	}

	// Several tokens at once, each blacklisted by several callers.
	const jtis = 4
	errs := race(func(i int) error {
		return handles[i%2].Blacklist(ctx, store.OutstandingToken{JTI: fmt.Sprintf("jti-%d", i%jtis), Token: "t", ExpiresAt: time.Now().Add(time.Hour)}, time.Now())
	})
	for j := range jtis {
		var mine []error
		for i := j; i < n; i += jtis {
			mine = append(mine, errs[i])
		}
		oneNil(fmt.Sprintf("Blacklist of jti-%d over two pools", j), mine, store.ErrAlreadyBlacklisted)
	}
	if n := queryInt(t, urlFor(t, db), `SELECT count(*) FROM token_blacklist_blacklistedtoken`); n != jtis {
		t.Errorf("%d blacklist rows, want %d", n, jtis)
	}
}

// TestDeleteUserReferenced checks that an application's foreign key to
// auth_user, deferred as Django makes them or immediate, stops DeleteUser
// with ErrUserReferenced naming the table, and rolls everything back.
func TestDeleteUserReferenced(t *testing.T) {
	t.Parallel()
	s, db := migrated(t)
	dbURL := urlFor(t, db)
	ctx := testCtx(t)
	rawExec(t, dbURL, `
CREATE TABLE app_deferred (id serial PRIMARY KEY, owner_id integer REFERENCES auth_user(id) DEFERRABLE INITIALLY DEFERRED);
CREATE TABLE app_immediate (id serial PRIMARY KEY, owner_id integer REFERENCES auth_user(id))`)
	for _, table := range []string{"app_deferred", "app_immediate"} {
		u, err := s.CreateUser(ctx, store.User{Password: "!", Username: table, IsActive: true, DateJoined: time.Now()}, store.CreateUserOptions{})
		must(t, "CreateUser", err)
		must(t, "AddOutstanding", s.AddOutstanding(ctx, store.OutstandingToken{UserID: &u.ID, JTI: table, Token: "t", ExpiresAt: time.Now()}))
		rawExec(t, dbURL, fmt.Sprintf(`INSERT INTO %s (owner_id) VALUES (%d)`, table, u.ID))
		err = s.DeleteUser(ctx, u.ID)
		if !errors.Is(err, store.ErrUserReferenced) || !strings.Contains(err.Error(), `"`+table+`"`) {
			t.Errorf("DeleteUser of a user referenced by %s: %v, want ErrUserReferenced naming the table", table, err)
		}
		if _, err := s.UserByID(ctx, u.ID); err != nil {
			t.Errorf("the user after the failed DeleteUser: %v", err)
		}
		if n := queryInt(t, dbURL, fmt.Sprintf(`SELECT count(*) FROM token_blacklist_outstandingtoken WHERE user_id = %d`, u.ID)); n != 1 {
			t.Errorf("%s: the failed DeleteUser left %d tokens with the user, want 1 (rolled back)", table, n)
		}
		rawExec(t, dbURL, `DELETE FROM `+table)
		must(t, "DeleteUser once the reference is gone", s.DeleteUser(ctx, u.ID))
	}
}

// TestMigrateConcurrently starts several gateways on an empty database at
// once.
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	db := newDatabase(t, "")
	dbURL := urlFor(t, db)
	ctx := testCtx(t)
	errs := make(chan error, 6)
	for range 6 {
		s := openStore(t, Options{URL: dbURL})
		go func() { errs <- s.Migrate(ctx) }()
	}
	for range 6 {
		if err := <-errs; err != nil {
			t.Errorf("concurrent Migrate: %v", err)
		}
	}
	if n := queryInt(t, dbURL, `SELECT count(*) FROM pg_trigger WHERE tgrelid = 'auth_user'::regclass AND tgname LIKE 'jwtgate%'`); n != 5 {
		t.Errorf("%d jwtgate triggers, want 5 (the feed's four and the password change)", n)
	}
	// A second Migrate takes no lock on auth_user: it passes while
	// another transaction holds one that conflicts with CREATE TRIGGER,
	// and leaves the function as it is.
	fnVersion := queryInt(t, dbURL, `SELECT xmin::text::bigint FROM pg_proc WHERE proname = 'jwtgate_notify_user_change'`)
	conn := rawConn(t, dbURL)
	tx, err := conn.Begin(ctx)
	must(t, "BEGIN", err)
	defer tx.Rollback(ctx)
	_, err = tx.Exec(ctx, `LOCK TABLE auth_user IN ROW EXCLUSIVE MODE`)
	must(t, "LOCK", err)
	mctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := openStore(t, Options{URL: dbURL}).Migrate(mctx); err != nil {
		t.Errorf("Migrate of a migrated database while auth_user is being written: %v", err)
	}
	if v := queryInt(t, dbURL, `SELECT xmin::text::bigint FROM pg_proc WHERE proname = 'jwtgate_notify_user_change'`); v != fnVersion {
		t.Errorf("a second Migrate rewrote the trigger function")
	}
}

// TestMigrateKeepsExistingTables runs Migrate where auth_user exists in
// another layout (an identity column, an extra column): it is left alone,
// and the store still works on it.
func TestMigrateKeepsExistingTables(t *testing.T) {
	t.Parallel()
	db := newDatabase(t, "")
	dbURL := urlFor(t, db)
	rawExec(t, dbURL, `CREATE TABLE auth_user (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    password varchar(128) NOT NULL, last_login timestamptz, is_superuser boolean NOT NULL,
    username varchar(150) NOT NULL CONSTRAINT custom_username_unique UNIQUE,
    first_name varchar(150) NOT NULL, last_name varchar(150) NOT NULL, email varchar(254) NOT NULL,
    is_staff boolean NOT NULL, is_active boolean NOT NULL, date_joined timestamptz NOT NULL,
    extra text NOT NULL DEFAULT 'kept')`)
	before := dumpSchema(t, db, "public.auth_user")
	s := openStore(t, Options{URL: dbURL})
	ctx := testCtx(t)
	must(t, "Migrate", s.Migrate(ctx))
	after, ours := withoutJwtgate(dumpSchema(t, db, "public.auth_user"))
	sameStatements(t, "the existing auth_user before and after Migrate", after, before)
	if len(ours) != 7 {
		t.Errorf("%d jwtgate objects on the existing auth_user, want 7 (five triggers, the indexes on lower(email) and lower(username))", len(ours))
	}
	u, err := s.CreateUser(ctx, store.User{Password: "!", Username: "siva", IsActive: true, DateJoined: time.Now()}, store.CreateUserOptions{})
	must(t, "CreateUser on an identity column", err)
	if _, err := s.CreateUser(ctx, store.User{Password: "!", Username: "siva", DateJoined: time.Now()}, store.CreateUserOptions{}); !errors.Is(err, store.ErrUsernameTaken) {
		t.Errorf("duplicate username under a custom constraint name: %v, want ErrUsernameTaken", err)
	}
	if _, err := s.UserByID(ctx, u.ID); err != nil {
		t.Errorf("UserByID: %v", err)
	}
	// Rows inserted with explicit ids leave a sequence behind; the error
	// says how to repair it.
	rawExec(t, dbURL, `INSERT INTO auth_user (id, password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined)
VALUES ((SELECT last_value + 1 FROM auth_user_id_seq), '!', false, 'explicit', '', '', '', false, true, now())`)
	_, err = s.CreateUser(ctx, store.User{Password: "!", Username: "next", DateJoined: time.Now()}, store.CreateUserOptions{})
	if err == nil || errors.Is(err, store.ErrUsernameTaken) || !strings.Contains(err.Error(), "sequence") {
		t.Errorf("CreateUser when the next id is taken: %v, want an error about the sequence", err)
	}
}

// replay applies the watcher's calls in order and returns its view.
func replay(w *storetest.Watcher) map[int64]store.UserState {
	view := map[int64]store.UserState{}
	resets, updates := w.Resets(), w.Updates()
	for _, kind := range w.Calls() {
		switch kind {
		case "reset":
			view = map[int64]store.UserState{}
			for _, st := range resets[0] {
				view[st.ID] = st
			}
			resets = resets[1:]
		case "update":
			u := updates[0]
			updates = updates[1:]
			if u.Exists {
				view[u.ID] = u.State
			} else {
				delete(view, u.ID)
			}
		}
	}
	return view
}

// inSync reports whether the watcher's view is the users of s.
func inSync(t *testing.T, s *Store, w *storetest.Watcher) bool {
	t.Helper()
	all, err := s.ListUsers(testCtx(t))
	must(t, "ListUsers", err)
	view := replay(w)
	if len(view) != len(all) {
		return false
	}
	for _, u := range all {
		if !view[u.ID].Equal(u.State()) {
			return false
		}
	}
	return true
}

// TestWatchUsersFeed covers the triggers' cases the contract suite does
// not: id changes, updates that must not notify, bursts, TRUNCATE, and a
// change that bypasses triggers.
func TestWatchUsersFeed(t *testing.T) {
	t.Parallel()
	s, db := migrated(t)
	dbURL := urlFor(t, db)
	ctx := testCtx(t)
	mk := func(name string) store.User {
		u, err := s.CreateUser(ctx, store.User{Password: "!", Username: name, IsActive: true, DateJoined: time.Now()}, store.CreateUserOptions{})
		must(t, "CreateUser("+name+")", err)
		return u
	}
	quiet, marker, moved := mk("quiet"), mk("marker"), mk("moved")
	w := storetest.Watch(t, s)

	// last_login and no-op updates notify nothing: once the marker's later
	// change has arrived, nothing came for quiet. (A password change does:
	// it ends the user's older tokens, storetest's RevocationFeed.)
	must(t, "SetLastLogin", s.SetLastLogin(ctx, quiet.ID, time.Now()))
	rawExec(t, dbURL, fmt.Sprintf(`UPDATE auth_user SET password = password WHERE id = %d`, quiet.ID))
	must(t, "SetActive(unchanged)", s.SetActive(ctx, quiet.ID, true))
	rawExec(t, dbURL, fmt.Sprintf(`UPDATE auth_user SET first_name = 'Q', email = 'q@example.com' WHERE id = %d`, quiet.ID))
	must(t, "SetActive(marker)", s.SetActive(ctx, marker.ID, false))
	storetest.WaitForUpdate(t, w, "the marker", func(u storetest.Update) bool { return u.ID == marker.ID && !u.State.IsActive })
	if w.HasUpdate(func(u storetest.Update) bool { return u.ID == quiet.ID }) {
		t.Errorf("updates of last_login, first_name, email or to the same value were notified: %+v", w.Updates())
	}

	// An id change reports the old id gone and the new one present.
	rawExec(t, dbURL, fmt.Sprintf(`UPDATE auth_user SET id = 100000 WHERE id = %d`, moved.ID))
	storetest.WaitForUpdate(t, w, "the old id of a renumbered user", func(u storetest.Update) bool { return u.ID == moved.ID && !u.Exists })
	storetest.WaitForUpdate(t, w, "the new id of a renumbered user", func(u storetest.Update) bool {
		return u.ID == 100000 && u.Exists && u.State.Username == "moved"
	})

	// Bursts: many users in one transaction, and more than one batch.
	for _, n := range []int{300, 1500} {
		rawExec(t, dbURL, fmt.Sprintf(`INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined)
SELECT '!', false, 'burst%d-' || i, '', '', '', i %% 2 = 0, true, now() FROM generate_series(1, %d) AS i`, n, n))
		storetest.WaitFor(t, fmt.Sprintf("the watcher to see a burst of %d users", n), func() bool { return inSync(t, s, w) })
	}

	// TRUNCATE (Django's flush) resets.
	resets := len(w.Resets())
	rawExec(t, dbURL, `TRUNCATE auth_user CASCADE`)
	storetest.WaitFor(t, "a Reset after TRUNCATE", func() bool {
		r := w.Resets()
		return len(r) > resets && len(r[len(r)-1]) == 0
	})
	if errs := w.Errors(); len(errs) > 0 {
		t.Errorf("WatchUsers reported errors: %v", errs)
	}
}

// TestWatchUsersResync checks the periodic Reset, which catches changes
// made without triggers.
func TestWatchUsersResync(t *testing.T) {
	t.Parallel()
	_, db := migrated(t)
	dbURL := urlFor(t, db)
	s := openStore(t, Options{URL: dbURL, ResyncInterval: 300 * time.Millisecond})
	s.pingInterval = 100 * time.Millisecond // pings between resyncs must not disturb the feed
	ctx := testCtx(t)
	u, err := s.CreateUser(ctx, store.User{Password: "!", Username: "siva", IsActive: true, DateJoined: time.Now()}, store.CreateUserOptions{})
	must(t, "CreateUser", err)
	w := storetest.Watch(t, s)
	rawExec(t, dbURL, fmt.Sprintf(`SET session_replication_role = replica; UPDATE auth_user SET is_active = false WHERE id = %d`, u.ID))
	storetest.WaitFor(t, "a periodic Reset to show a change made without triggers", func() bool {
		r := w.Resets()
		last := r[len(r)-1]
		return len(r) > 1 && len(last) == 1 && !last[0].IsActive
	})
	must(t, "SetActive", s.SetActive(ctx, u.ID, true))
	storetest.WaitForUpdate(t, w, "a change after resyncs and pings", func(up storetest.Update) bool { return up.ID == u.ID && up.State.IsActive })
	if errs := w.Errors(); len(errs) > 0 {
		t.Errorf("WatchUsers reported errors: %v", errs)
	}
}

// waitLong waits up to 15 s for cond (the feed's fallback polls once a
// second, which a loaded machine can stretch).
func waitLong(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for start := time.Now(); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Since(start) > 15*time.Second {
			t.Fatalf("waited 15s for %s", what)
		}
	}
}

// TestWatchUsersCanary: canaries keep confirming the watcher fresh; with
// jwtgate's triggers on auth_user disabled (pg_trigger.tgenabled) the feed
// reports itself down, changes still arrive by polling within seconds, and
// freshness keeps coming from the polls; enabled again, it reports itself
// up.
func TestWatchUsersCanary(t *testing.T) {
	t.Parallel()
	_, db := migrated(t)
	dbURL := urlFor(t, db)
	s := openStore(t, Options{URL: dbURL, CanaryInterval: 100 * time.Millisecond})
	ctx := testCtx(t)
	u, err := s.CreateUser(ctx, store.User{Password: "!", Username: "siva", IsActive: true, DateJoined: time.Now()}, store.CreateUserOptions{})
	must(t, "CreateUser", err)
	w := storetest.Watch(t, s)

	mark := time.Now()
	waitLong(t, "a canary to confirm the watcher fresh", func() bool { return w.FreshAt().After(mark) })
	if h := w.Health(); len(h) != 0 {
		t.Fatalf("FeedHealth calls on a healthy feed: %v", h)
	}

	rawExec(t, dbURL, `ALTER TABLE auth_user DISABLE TRIGGER USER`)
	waitLong(t, "the feed to report itself down", func() bool { return len(w.Health()) > 0 })
	if h := w.Health(); len(h) != 1 || h[0] == nil || !strings.Contains(h[0].Error(), "jwtgate_user_change_update") || !strings.Contains(h[0].Error(), "disabled") {
		t.Fatalf("FeedHealth calls %v, want one naming the disabled triggers", h)
	}
	must(t, "SetActive(false)", s.SetActive(ctx, u.ID, false))
	changed := time.Now()
	waitLong(t, "the deactivation to arrive by polling", func() bool {
		r := w.Resets()
		last := r[len(r)-1]
		return len(last) == 1 && !last[0].IsActive
	})
	t.Logf("a change made without triggers arrived by polling in %v", time.Since(changed).Round(time.Millisecond))
	mark = time.Now()
	waitLong(t, "a poll to confirm the watcher fresh", func() bool { return w.FreshAt().After(mark) })

	rawExec(t, dbURL, `ALTER TABLE auth_user ENABLE TRIGGER USER`)
	waitLong(t, "the feed to report itself up", func() bool { h := w.Health(); return len(h) == 2 && h[1] == nil })
	resets := len(w.Resets())
	must(t, "SetActive(true)", s.SetActive(ctx, u.ID, true))
	storetest.WaitForUpdate(t, w, "a pushed change once the triggers are back", func(up storetest.Update) bool { return up.ID == u.ID && up.State.IsActive })
	time.Sleep(1500 * time.Millisecond)
	if n := len(w.Resets()); n != resets {
		t.Errorf("%d full reads after the feed recovered; polling should have stopped", n-resets)
	}
	if errs := w.Errors(); len(errs) > 0 {
		t.Errorf("WatchUsers reported errors: %v", errs)
	}
}
