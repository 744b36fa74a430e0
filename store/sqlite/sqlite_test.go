package sqlite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/store"
	"github.com/jwtgate/jwtgate/store/storetest"
)

func TestFormatTime(t *testing.T) {
	for _, tc := range []struct {
		in   time.Time
		want string
	}{
		{time.Date(2026, 11, 22, 10, 25, 40, 429054000, time.UTC), "2026-11-22 10:25:40.429054"},
		{time.Date(2026, 11, 22, 10, 25, 40, 0, time.UTC), "2026-11-22 10:25:40"},
		{time.Date(2026, 11, 22, 10, 25, 40, 999, time.UTC), "2026-11-22 10:25:40"},
		{time.Date(2026, 11, 22, 10, 25, 40, 1000, time.UTC), "2026-11-22 10:25:40.000001"},
		{time.Date(2026, 11, 22, 10, 25, 40, 500000000, time.UTC), "2026-11-22 10:25:40.500000"},
		{time.Date(2026, 11, 22, 11, 25, 40, 0, time.FixedZone("CET", 3600)), "2026-11-22 10:25:40"},
	} {
		if got := formatTime(tc.in); got != tc.want {
			t.Errorf("formatTime(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseTime(t *testing.T) {
	want := time.Date(2026, 11, 22, 10, 25, 40, 429054000, time.UTC)
	whole := time.Date(2026, 11, 22, 10, 25, 40, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"2026-11-22 10:25:40.429054", want},
		{"2026-11-22 10:25:40", whole},
		{"2026-11-22T10:25:40.429054", want},
		{"2026-11-22 10:25:40.429054+00:00", want},
		{"2026-11-22T10:25:40+00:00", whole},
		{"2026-11-22T10:25:40.429054Z", want},
		{"2026-11-22 11:25:40.429054+01:00", want},
		{"2026-11-22 10:25:40.429054999", want},
		{"2026-11-22 10:25:40.5", time.Date(2026, 11, 22, 10, 25, 40, 500000000, time.UTC)},
	} {
		got, err := parseTime(tc.in)
		if err != nil || !got.Equal(tc.want) || got.Location() != time.UTC {
			t.Errorf("parseTime(%q) = %v, %v; want %v in UTC", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "yesterday", "2026-11-22", "1764000000", "2026-13-01 00:00:00"} {
		if _, err := parseTime(bad); err == nil {
			t.Errorf("parseTime(%q) succeeded, want an error", bad)
		}
	}
}

func TestOpenOptions(t *testing.T) {
	ctx := context.Background()
	for _, o := range []Options{{}, {Path: "a?b.db"}, {Path: "x.db", BusyTimeout: -1}, {Path: "x.db", MaxOpenConns: -1}} {
		if s, err := Open(ctx, o); err == nil {
			s.Close()
			t.Errorf("Open(%+v) succeeded, want an error", o)
		}
	}

	dir := filepath.Join(t.TempDir(), "data", "jwtgate")
	path := filepath.Join(dir, "store.sqlite3")
	s := openStore(t, path)
	if s.opts.BusyTimeout != DefaultBusyTimeout || s.opts.PollInterval != DefaultPollInterval ||
		s.opts.ResyncInterval != DefaultResyncInterval || s.opts.MaxOpenConns != DefaultMaxOpenConns {
		t.Errorf("defaults not applied: %+v", s.opts)
	}
	for p, want := range map[string]os.FileMode{dir: 0o700 | os.ModeDir, path: 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("mode of %s = %v, want %v", p, fi.Mode(), want)
		}
	}
	var mode string
	if err := s.db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	var fk int
	if err := s.db.QueryRow(`PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys = %d, %v; want 1", fk, err)
	}

	notDB := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(notDB, []byte(strings.Repeat("not a database\n", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(ctx, Options{Path: notDB}); err == nil {
		s.Close()
		t.Errorf("Open of a text file succeeded, want an error")
	} else if !strings.Contains(err.Error(), notDB) {
		t.Errorf("Open error %q does not name the file", err)
	}
}

// TestStorageFormat checks the bytes Django will read: integer booleans,
// Django's datetime text, NULLs where simplejwt writes them.
func TestStorageFormat(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db.sqlite3")
	s := openStore(t, path)
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	login := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	u, err := s.CreateUser(ctx, store.User{
		Password: "!", Username: "siva", IsActive: true, IsSuperuser: true, LastLogin: &login,
		DateJoined: time.Date(2026, 11, 22, 10, 25, 40, 429054321, time.UTC),
	}, store.CreateUserOptions{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 22, 12, 0, 0, 5000, time.UTC)
	if err := s.AddOutstanding(ctx, store.OutstandingToken{UserID: &u.ID, JTI: "a", Token: "t", CreatedAt: &now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Blacklist(ctx, store.OutstandingToken{JTI: "b", Token: "t2", ExpiresAt: now}, now); err != nil {
		t.Fatal(err)
	}

	db := rawDB(t, path)
	var active, super, staff, lastLogin, joined string
	err = db.QueryRow(`SELECT typeof("is_active") || ':' || "is_active", typeof("is_superuser") || ':' || "is_superuser", typeof("is_staff") || ':' || "is_staff", typeof("last_login") || ':' || "last_login", typeof("date_joined") || ':' || "date_joined" FROM "auth_user"`).
		Scan(&active, &super, &staff, &lastLogin, &joined)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range [][2]string{{active, "integer:1"}, {super, "integer:1"}, {staff, "integer:0"}, {lastLogin, "text:2026-11-23 00:00:00"}, {joined, "text:2026-11-22 10:25:40.429054"}} {
		if c[0] != c[1] {
			t.Errorf("stored %q, want %q", c[0], c[1])
		}
	}
	rows, err := db.Query(`SELECT "jti", quote("user_id"), quote("created_at"), quote("expires_at") FROM "token_blacklist_outstandingtoken" ORDER BY "jti"`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var jti, uid, created, expires string
		if err := rows.Scan(&jti, &uid, &created, &expires); err != nil {
			t.Fatal(err)
		}
		got = append(got, strings.Join([]string{jti, uid, created, expires}, " | "))
	}
	rows.Close()
	want := []string{
		"a | 1 | '2026-11-22 12:00:00.000005' | '2026-11-22 13:00:00.000005'",
		"b | NULL | NULL | '2026-11-22 12:00:00.000005'",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("outstanding rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var blAt string
	if err := db.QueryRow(`SELECT CAST("blacklisted_at" AS TEXT) FROM "token_blacklist_blacklistedtoken"`).Scan(&blAt); err != nil || blAt != "2026-11-22 12:00:00.000005" {
		t.Errorf("blacklisted_at = %q, %v", blAt, err)
	}
}

// TestTriggers checks which writes reach the change feed.
func TestTriggers(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db.sqlite3")
	s := openStore(t, path)
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	feed := func() []int64 {
		t.Helper()
		rows, err := db.Query(`SELECT "user_id" FROM "jwtgate_user_change" ORDER BY "seq"`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var ids []int64
		for rows.Next() {
			var id int64
			rows.Scan(&id)
			ids = append(ids, id)
		}
		return ids
	}
	same := func(got []int64, want ...int64) bool {
		if len(got) != len(want) {
			return false
		}
		for i := range got {
			if got[i] != want[i] {
				return false
			}
		}
		return true
	}
	u, err := s.CreateUser(ctx, store.User{Username: "siva", IsActive: true, DateJoined: time.Now()}, store.CreateUserOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := feed(); !same(got, u.ID) {
		t.Fatalf("feed after insert = %v, want [%d]", got, u.ID)
	}
	s.SetLastLogin(ctx, u.ID, time.Now())
	s.SetPassword(ctx, u.ID, "!x")
	s.SetActive(ctx, u.ID, true) // unchanged
	rawExec(t, path, `UPDATE auth_user SET password = password, last_login = last_login, is_superuser = is_superuser, username = username, last_name = 'L', email = 'e', is_staff = is_staff, is_active = is_active, date_joined = date_joined, first_name = 'F'`)
	// The password change is recorded twice: as a change of the password
	// (its fingerprint) and of the user's not-before (it ends old tokens).
	if got := feed(); !same(got, u.ID, u.ID, u.ID) {
		t.Errorf("feed after writes that change no watched column but the password = %v, want [%[2]d %[2]d %[2]d]", got, u.ID)
	}
	s.SetActive(ctx, u.ID, false)
	s.SetSuperuser(ctx, u.ID, true)
	rawExec(t, path, `UPDATE auth_user SET username = 'Siva'`)
	rawExec(t, path, `UPDATE auth_user SET id = 42`)
	rawExec(t, path, `DELETE FROM auth_user`)
	if got := feed(); !same(got, u.ID, u.ID, u.ID, u.ID, u.ID, u.ID, 42, u.ID, 42) {
		t.Errorf("feed = %v, want [%[2]d %[2]d %[2]d %[2]d %[2]d %[2]d 42 %[2]d 42]", got, u.ID)
	}
}

func TestDeleteUserReferenced(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db.sqlite3")
	s := openStore(t, path)
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	u, err := s.CreateUser(ctx, store.User{Username: "reviewer", IsActive: true, DateJoined: time.Now()}, store.CreateUserOptions{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := s.AddOutstanding(ctx, store.OutstandingToken{UserID: &u.ID, JTI: "j", Token: "t", CreatedAt: &now, ExpiresAt: now}); err != nil {
		t.Fatal(err)
	}
	rawExec(t, path, `CREATE TABLE "app_review" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "reviewer_id" integer NOT NULL REFERENCES "auth_user" ("id") DEFERRABLE INITIALLY DEFERRED);
		INSERT INTO "app_review" ("reviewer_id") VALUES (1)`)
	err = s.DeleteUser(ctx, u.ID)
	if !errors.Is(err, store.ErrUserReferenced) || !strings.Contains(err.Error(), "app_review.reviewer_id") {
		t.Fatalf("DeleteUser of a referenced user: err = %v, want ErrUserReferenced naming app_review.reviewer_id", err)
	}
	if _, err := s.UserByID(ctx, u.ID); err != nil {
		t.Errorf("the referenced user is gone after the failed DeleteUser: %v", err)
	}
	var uid *int64
	if err := rawDB(t, path).QueryRow(`SELECT "user_id" FROM "token_blacklist_outstandingtoken"`).Scan(&uid); err != nil || uid == nil || *uid != u.ID {
		t.Errorf("the failed DeleteUser was not rolled back: outstanding user_id = %v, %v", uid, err)
	}
	rawExec(t, path, `DELETE FROM "app_review"`)
	if err := s.DeleteUser(ctx, u.ID); err != nil {
		t.Errorf("DeleteUser once no longer referenced: %v", err)
	}
}

// watchStore opens a migrated store with a short poll interval.
func watchStore(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "db.sqlite3")
	s, err := Open(context.Background(), Options{Path: path, PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s, path
}

// watchSiva creates the active user siva in s, then starts a recording
// watcher on s.
func watchSiva(t *testing.T, s *Store) (store.User, *storetest.Watcher) {
	t.Helper()
	u, err := s.CreateUser(context.Background(), store.User{Username: "siva", IsActive: true, DateJoined: time.Now()}, store.CreateUserOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return u, storetest.Watch(t, s)
}

// TestWatchGap: feed rows pruned before the watcher read them lead to a
// full Reset that carries the change.
func TestWatchGap(t *testing.T) {
	s, path := watchStore(t)
	ctx := context.Background()
	u, w := watchSiva(t, s)
	rawExec(t, path, `BEGIN; UPDATE auth_user SET is_active = 0; DELETE FROM jwtgate_user_change; COMMIT`)
	storetest.WaitFor(t, "a second Reset", func() bool { return len(w.Resets()) >= 2 })
	if r := w.Resets()[1]; len(r) != 1 || r[0].ID != u.ID || r[0].IsActive {
		t.Errorf("Reset after the gap = %+v, want siva inactive", r)
	}
	if len(w.Updates()) != 0 || len(w.Errors()) != 0 {
		t.Errorf("updates %v, errors %v; want none", w.Updates(), w.Errors())
	}
	// The feed goes on from there.
	if err := s.SetActive(ctx, u.ID, true); err != nil {
		t.Fatal(err)
	}
	storetest.WaitForUpdate(t, w, "SetActive after the gap", func(up storetest.Update) bool { return up.ID == u.ID && up.State.IsActive })
}

// TestWatchRecovers: an error is reported, retried, and followed by a full
// Reset once the database answers again.
func TestWatchRecovers(t *testing.T) {
	s, path := watchStore(t)
	ctx := context.Background()
	u, w := watchSiva(t, s)
	// auth_user goes away while the feed names a user to re-read.
	rawExec(t, path, `ALTER TABLE auth_user RENAME TO auth_user_away; INSERT INTO jwtgate_user_change (user_id, changed_at) VALUES (1, '2026-01-01 00:00:00.000')`)
	storetest.WaitFor(t, "an error report", func() bool { return len(w.Errors()) > 0 })
	if err := w.Errors()[0]; !strings.Contains(err.Error(), "migrated") {
		t.Errorf("error %q does not say what to check", err)
	}
	rawExec(t, path, `BEGIN; ALTER TABLE auth_user_away RENAME TO auth_user; UPDATE auth_user SET is_active = 0; COMMIT`)
	storetest.WaitFor(t, "a Reset after the error", func() bool {
		calls := strings.Join(w.Calls(), " ")
		return strings.Contains(calls[strings.LastIndex(calls, "error"):], "reset")
	})
	if r := w.Resets(); len(r[len(r)-1]) != 1 || r[len(r)-1][0].IsActive {
		t.Errorf("Reset after recovery = %+v, want siva inactive", r[len(r)-1])
	}
	if err := s.SetActive(ctx, u.ID, true); err != nil {
		t.Fatal(err)
	}
	storetest.WaitForUpdate(t, w, "SetActive after recovery", func(up storetest.Update) bool { return up.ID == u.ID && up.State.IsActive })
}

// TestWatchPrunes: the watcher deletes old feed rows.
func TestWatchPrunes(t *testing.T) {
	s, path := watchStore(t)
	s.pruneAge, s.pruneEvery = 100*time.Millisecond, 0
	ctx := context.Background()
	u, w := watchSiva(t, s)
	if err := s.SetActive(ctx, u.ID, false); err != nil {
		t.Fatal(err)
	}
	storetest.WaitForUpdate(t, w, "SetActive", func(up storetest.Update) bool { return up.ID == u.ID && !up.State.IsActive })
	db := rawDB(t, path)
	storetest.WaitFor(t, "the feed to be pruned", func() bool {
		var n int
		return db.QueryRow(`SELECT count(*) FROM jwtgate_user_change`).Scan(&n) == nil && n == 0
	})
	if len(w.Errors()) != 0 {
		t.Errorf("errors: %v", w.Errors())
	}
}

// TestWatchNoLeak: WatchUsers leaves no goroutine behind.
func TestWatchNoLeak(t *testing.T) {
	s, _ := watchStore(t)
	before := runtime.NumGoroutine()
	for i := 0; i < 3; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		w := &storetest.Watcher{}
		done := make(chan error, 1)
		go func() { done <- s.WatchUsers(ctx, w) }()
		storetest.WaitFor(t, "the first Reset", func() bool { return len(w.Resets()) > 0 })
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("WatchUsers = %v, want context.Canceled", err)
		}
	}
	storetest.WaitFor(t, "goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
}

// TestWatchFresh: each successful poll confirms the watcher fresh as of
// its start (store.FeedObserver), and a failing poll does not.
func TestWatchFresh(t *testing.T) {
	s, path := watchStore(t)
	_, w := watchSiva(t, s)
	mark := time.Now()
	storetest.WaitFor(t, "a poll to confirm the watcher fresh", func() bool { return w.FreshAt().After(mark) })
	rawExec(t, path, `ALTER TABLE auth_user RENAME TO auth_user_away; INSERT INTO jwtgate_user_change (user_id, changed_at) VALUES (1, '2026-01-01 00:00:00.000')`)
	storetest.WaitFor(t, "an error report", func() bool { return len(w.Errors()) > 0 })
	time.Sleep(100 * time.Millisecond)
	stale := w.FreshAt()
	time.Sleep(200 * time.Millisecond)
	if got := w.FreshAt(); !got.Equal(stale) {
		t.Errorf("freshness confirmed while the polls fail: %v after %v", got, stale)
	}
	if h := w.Health(); len(h) != 0 {
		t.Errorf("FeedHealth calls %v from a polling store", h)
	}
}
