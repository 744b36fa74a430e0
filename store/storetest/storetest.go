// Package storetest is the contract suite every store.Store implementation
// runs (the embedded SQLite store and the PostgreSQL store): a store passes
// when Run passes against a real database.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/store"
)

// Factory makes stores for the suite.
type Factory interface {
	// New returns a migrated store on a fresh, empty database.
	New(t *testing.T) store.Store
	// Another opens a second, independent handle on the database behind s
	// (as a second process would).
	Another(t *testing.T, s store.Store) store.Store
	// Exec runs raw SQL on the database behind s, as Django or an operator
	// would (no placeholders; plain SQL valid on SQLite and PostgreSQL).
	Exec(t *testing.T, s store.Store, sql string)
}

// Run runs the whole contract suite, each subtest on its own fresh store.
func Run(t *testing.T, f Factory) {
	tests := []struct {
		name string
		fn   func(*testing.T, Factory)
	}{
		{"MigrateTwice", testMigrateTwice},
		{"CreateAndRead", testCreateAndRead},
		{"ListUsersOrderedByID", testListUsers},
		{"NotFound", testNotFound},
		{"UsernameTaken", testUsernameTaken},
		{"UniqueEmailRace", testUniqueEmailRace},
		{"ManyEmailsRace", testManyEmailsRace},
		{"UsernameRace", testUsernameRace},
		{"EmailExactMatch", testEmailExactMatch},
		{"IgnoreCase", testIgnoreCase},
		{"IgnoreCaseRace", testIgnoreCaseRace},
		{"Setters", testSetters},
		{"Times", testTimes},
		{"DeleteUser", testDeleteUser},
		{"Blacklist", testBlacklist},
		{"BlacklistUnknownJTI", testBlacklistUnknownJTI},
		{"BlacklistKeepsExistingRow", testBlacklistKeepsExistingRow},
		{"BlacklistRace", testBlacklistRace},
		{"FlushExpired", testFlushExpired},
		{"LoginFailures", testLoginFailures},
		{"LoginFailuresRace", testLoginFailuresRace},
		{"PruneLoginFailures", testPruneLoginFailures},
		{"WatchUsers", testWatchUsers},
		{"WatchUsersCancel", testWatchUsersCancel},
		{"Sessions", testSessions},
		{"RotateRace", testRotateRace},
		{"RotateRevokeRace", testRotateRevokeRace},
		{"RevocationFeed", testRevocationFeed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, f) })
	}
}

// ctx returns a context that ends with the test, or after 30 s.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// joined is a date_joined with microseconds, as Django writes it.
var joined = time.Date(2026, 11, 22, 10, 25, 40, 429054000, time.UTC)

func newUser(name string) store.User {
	return store.User{
		Password:   "pbkdf2_sha256$600000$salt$" + name,
		Username:   name,
		FirstName:  "First " + name,
		LastName:   "Last " + name,
		Email:      name + "@example.com",
		IsActive:   true,
		DateJoined: joined,
	}
}

func mustCreate(t *testing.T, s store.Store, u store.User) store.User {
	t.Helper()
	got, err := s.CreateUser(ctx(t), u, store.CreateUserOptions{})
	if err != nil {
		t.Fatalf("CreateUser(%q): %v", u.Username, err)
	}
	return got
}

func mustUser(t *testing.T, s store.Store, id int64) store.User {
	t.Helper()
	u, err := s.UserByID(ctx(t), id)
	if err != nil {
		t.Fatalf("UserByID(%d): %v", id, err)
	}
	return u
}

// sameUser fails unless got and want are the same user, times compared
// as instants and required to be in UTC.
func sameUser(t *testing.T, what string, got, want store.User) {
	t.Helper()
	g, w := got, want
	if !g.DateJoined.Equal(w.DateJoined) || g.DateJoined.Location() != time.UTC {
		t.Errorf("%s: DateJoined = %v, want %v in UTC", what, g.DateJoined, w.DateJoined)
	}
	switch {
	case (g.LastLogin == nil) != (w.LastLogin == nil):
		t.Errorf("%s: LastLogin = %v, want %v", what, g.LastLogin, w.LastLogin)
	case g.LastLogin != nil && (!g.LastLogin.Equal(*w.LastLogin) || g.LastLogin.Location() != time.UTC):
		t.Errorf("%s: LastLogin = %v, want %v in UTC", what, *g.LastLogin, *w.LastLogin)
	}
	g.DateJoined, w.DateJoined, g.LastLogin, w.LastLogin = time.Time{}, time.Time{}, nil, nil
	if g != w {
		t.Errorf("%s:\n got %+v\nwant %+v", what, g, w)
	}
}

func testMigrateTwice(t *testing.T, f Factory) {
	s := f.New(t)
	u := mustCreate(t, s, newUser("siva"))
	for i := 0; i < 2; i++ {
		if err := s.Migrate(ctx(t)); err != nil {
			t.Fatalf("Migrate on a migrated database: %v", err)
		}
	}
	sameUser(t, "user after Migrate", mustUser(t, s, u.ID), u)
}

func testCreateAndRead(t *testing.T, f Factory) {
	s := f.New(t)
	want := newUser("siva")
	want.IsStaff, want.IsSuperuser = true, true
	got := mustCreate(t, s, want)
	if got.ID <= 0 {
		t.Fatalf("CreateUser returned id %d, want a positive id", got.ID)
	}
	want.ID = got.ID
	sameUser(t, "CreateUser result", got, want)
	byName, err := s.UserByUsername(ctx(t), "siva")
	if err != nil {
		t.Fatalf("UserByUsername(siva): %v", err)
	}
	sameUser(t, "UserByUsername", byName, want)
	sameUser(t, "UserByID", mustUser(t, s, got.ID), want)
	if _, err := s.UserByUsername(ctx(t), "Siva"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UserByUsername(Siva) with only siva stored: err = %v, want ErrNotFound (usernames are case-sensitive)", err)
	}
	other, err := s.CreateUser(ctx(t), newUser("Siva"), store.CreateUserOptions{})
	if err != nil {
		t.Fatalf("CreateUser(Siva) beside siva: %v (usernames are case-sensitive)", err)
	}
	if u, err := s.UserByUsername(ctx(t), "Siva"); err != nil || u.ID != other.ID {
		t.Errorf("UserByUsername(Siva) = id %d, %v; want id %d", u.ID, err, other.ID)
	}
}

func testListUsers(t *testing.T, f Factory) {
	s := f.New(t)
	if all, err := s.ListUsers(ctx(t)); err != nil || len(all) != 0 {
		t.Fatalf("ListUsers on an empty database = %v, %v; want none", all, err)
	}
	var want []store.User
	for _, name := range []string{"charlie", "alice", "bob"} {
		want = append(want, mustCreate(t, s, newUser(name)))
	}
	all, err := s.ListUsers(ctx(t))
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	if len(all) != len(want) {
		t.Fatalf("ListUsers returned %d users, want %d", len(all), len(want))
	}
	for i := range all {
		if i > 0 && all[i].ID <= all[i-1].ID {
			t.Errorf("ListUsers is not ordered by id: %d after %d", all[i].ID, all[i-1].ID)
		}
		sameUser(t, fmt.Sprintf("ListUsers[%d]", i), all[i], want[i])
	}
	// UsersAfter pages through the same users, two at a time.
	var paged []store.UserSummary
	for after := int64(0); ; {
		page, err := s.UsersAfter(ctx(t), after, 2)
		if err != nil {
			t.Fatalf("UsersAfter(%d, 2): %v", after, err)
		}
		if len(page) > 2 {
			t.Fatalf("UsersAfter(%d, 2) returned %d users", after, len(page))
		}
		paged = append(paged, page...)
		if len(page) < 2 {
			break
		}
		after = page[len(page)-1].ID
	}
	if len(paged) != len(want) {
		t.Fatalf("UsersAfter pages hold %d users, want %d", len(paged), len(want))
	}
	for i, u := range paged {
		if w := (store.UserSummary{ID: want[i].ID, Username: want[i].Username, Email: want[i].Email}); u != w {
			t.Errorf("UsersAfter user %d = %+v, want %+v", i, u, w)
		}
	}
}

func testNotFound(t *testing.T, f Factory) {
	s := f.New(t)
	u := mustCreate(t, s, newUser("siva"))
	missing := u.ID + 1000
	c := ctx(t)
	checks := map[string]error{
		"UserByUsername(nobody)": func() error { _, err := s.UserByUsername(c, "nobody"); return err }(),
		"UserByID(unknown)":      func() error { _, err := s.UserByID(c, missing); return err }(),
		"SetPassword(unknown)":   s.SetPassword(c, missing, "!"),
		"SetActive(unknown)":     s.SetActive(c, missing, false),
		"SetSuperuser(unknown)":  s.SetSuperuser(c, missing, true),
		"SetLastLogin(unknown)":  s.SetLastLogin(c, missing, time.Now()),
		"DeleteUser(unknown)":    s.DeleteUser(c, missing),
	}
	for what, err := range checks {
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: err = %v, want ErrNotFound", what, err)
		}
	}
}

func testUsernameTaken(t *testing.T, f Factory) {
	s := f.New(t)
	mustCreate(t, s, newUser("siva"))
	dup := newUser("siva")
	dup.Email = "other@example.com"
	if _, err := s.CreateUser(ctx(t), dup, store.CreateUserOptions{}); !errors.Is(err, store.ErrUsernameTaken) {
		t.Errorf("second CreateUser(siva): err = %v, want ErrUsernameTaken", err)
	}
	if _, err := s.CreateUser(ctx(t), dup, store.CreateUserOptions{UniqueEmail: true}); !errors.Is(err, store.ErrUsernameTaken) {
		t.Errorf("second CreateUser(siva) with UniqueEmail: err = %v, want ErrUsernameTaken", err)
	}
	if all, _ := s.ListUsers(ctx(t)); len(all) != 1 {
		t.Errorf("%d users after the failed creations, want 1", len(all))
	}
}

// race runs fn(i) for i in [0, n) at once and returns the errors.
func race(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := 0; i < n; i++ {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			errs[i] = fn(i)
		}()
	}
	start.Done()
	done.Wait()
	return errs
}

// exactlyOneNil fails unless exactly one of errs is nil and the others are
// want.
func exactlyOneNil(t *testing.T, what string, errs []error, want error) {
	t.Helper()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, want):
			t.Errorf("%s: err = %v, want nil or %v", what, err, want)
		}
	}
	if ok != 1 {
		t.Errorf("%s: %d of %d calls succeeded, want exactly 1", what, ok, len(errs))
	}
}

func testUniqueEmailRace(t *testing.T, f Factory) {
	s := f.New(t)
	c := ctx(t)
	errs := race(16, func(i int) error {
		u := newUser(fmt.Sprintf("user%02d", i))
		u.Email = "shared@example.com"
		_, err := s.CreateUser(c, u, store.CreateUserOptions{UniqueEmail: true})
		return err
	})
	exactlyOneNil(t, "16 concurrent registrations of one email", errs, store.ErrEmailTaken)
	if all, _ := s.ListUsers(c); len(all) != 1 {
		t.Errorf("%d users after the race, want 1", len(all))
	}
}

// testManyEmailsRace registers 16 emails at once, each twice exactly and
// once in other case: per email exactly one of the exact pair and the
// other-case one succeed, however the store spreads its locks.
func testManyEmailsRace(t *testing.T, f Factory) {
	s := f.New(t)
	c := ctx(t)
	const emails = 16
	errs := race(3*emails, func(i int) error {
		u := newUser(fmt.Sprintf("user%02d", i))
		u.Email = fmt.Sprintf("shared%02d@example.com", i%emails)
		if i >= 2*emails {
			u.Email = strings.ToUpper(u.Email)
		}
		_, err := s.CreateUser(c, u, store.CreateUserOptions{UniqueEmail: true})
		return err
	})
	for e := range emails {
		exactlyOneNil(t, fmt.Sprintf("two concurrent registrations of email %d", e), []error{errs[e], errs[e+emails]}, store.ErrEmailTaken)
		if err := errs[e+2*emails]; err != nil {
			t.Errorf("registration of email %d in upper case: %v (the match is exact)", e, err)
		}
	}
	if all, _ := s.ListUsers(c); len(all) != 2*emails {
		t.Errorf("%d users after the race, want %d", len(all), 2*emails)
	}
}

func testUsernameRace(t *testing.T, f Factory) {
	s := f.New(t)
	c := ctx(t)
	errs := race(16, func(i int) error {
		u := newUser("siva")
		u.Email = fmt.Sprintf("siva%02d@example.com", i)
		_, err := s.CreateUser(c, u, store.CreateUserOptions{})
		return err
	})
	exactlyOneNil(t, "16 concurrent creations of one username", errs, store.ErrUsernameTaken)
}

// testIgnoreCase: with IgnoreCase a username or email that differs from
// an existing one only in ASCII case is taken (what every store's lower()
// folds); without it, it is not.
func testIgnoreCase(t *testing.T, f Factory) {
	s := f.New(t)
	c := ctx(t)
	mustCreate(t, s, newUser("siva")) // siva@example.com
	fold := store.CreateUserOptions{UniqueEmail: true, IgnoreCase: true}
	for _, name := range []string{"Siva", "SIVA", "sIvA"} {
		u := newUser(name)
		u.Email = name + ".other@example.com"
		if _, err := s.CreateUser(c, u, fold); !errors.Is(err, store.ErrUsernameTaken) {
			t.Errorf("CreateUser(%s) beside siva with IgnoreCase: %v, want ErrUsernameTaken", name, err)
		}
	}
	for _, email := range []string{"SIVA@example.com", "siva@EXAMPLE.COM"} {
		u := newUser("other")
		u.Email = email
		if _, err := s.CreateUser(c, u, fold); !errors.Is(err, store.ErrEmailTaken) {
			t.Errorf("CreateUser with email %s beside siva@example.com with IgnoreCase: %v, want ErrEmailTaken", email, err)
		}
	}
	// The username is checked before the email.
	both := newUser("SIVA")
	if _, err := s.CreateUser(c, both, fold); !errors.Is(err, store.ErrUsernameTaken) {
		t.Errorf("CreateUser(SIVA, siva's email): %v, want ErrUsernameTaken", err)
	}
	if all, _ := s.ListUsers(c); len(all) != 1 {
		t.Errorf("%d users, want only siva", len(all))
	}
	other := newUser("Siva")
	other.Email = "SIVA@example.com"
	if _, err := s.CreateUser(c, other, store.CreateUserOptions{UniqueEmail: true}); err != nil {
		t.Errorf("CreateUser(Siva, SIVA@example.com) without IgnoreCase: %v", err)
	}
}

// testIgnoreCaseRace: 16 concurrent registrations of one username in
// different cases, through two handles (two processes), and 16 of one
// email in different cases: exactly one of each succeeds.
func testIgnoreCaseRace(t *testing.T, f Factory) {
	s := f.New(t)
	handles := []store.Store{s, f.Another(t, s)}
	c := ctx(t)
	fold := store.CreateUserOptions{UniqueEmail: true, IgnoreCase: true}
	spell := func(word string, i int) string {
		b := []byte(word)
		for j := range b {
			if i&(1<<j) != 0 {
				b[j] -= 'a' - 'A'
			}
		}
		return string(b)
	}
	errs := race(16, func(i int) error {
		u := newUser(spell("anna", i))
		u.Email = fmt.Sprintf("anna%02d@example.com", i)
		_, err := handles[i%2].CreateUser(c, u, fold)
		return err
	})
	exactlyOneNil(t, "16 concurrent registrations of anna in 16 cases", errs, store.ErrUsernameTaken)
	errs = race(16, func(i int) error {
		u := newUser(fmt.Sprintf("bob%02d", i))
		u.Email = spell("bobx", i) + "@example.com"
		_, err := handles[i%2].CreateUser(c, u, fold)
		return err
	})
	exactlyOneNil(t, "16 concurrent registrations of bobx@example.com in 16 cases", errs, store.ErrEmailTaken)
	if all, _ := s.ListUsers(c); len(all) != 2 {
		t.Errorf("%d users after the races, want 2", len(all))
	}
}

func testEmailExactMatch(t *testing.T, f Factory) {
	s := f.New(t)
	c := ctx(t)
	mustCreate(t, s, newUser("siva")) // siva@example.com
	upper := newUser("upper")
	upper.Email = "SIVA@example.com"
	if _, err := s.CreateUser(c, upper, store.CreateUserOptions{UniqueEmail: true}); err != nil {
		t.Errorf("CreateUser with UniqueEmail and SIVA@example.com beside siva@example.com: %v (the match is exact)", err)
	}
	same := newUser("same")
	same.Email = "siva@example.com"
	if _, err := s.CreateUser(c, same, store.CreateUserOptions{UniqueEmail: true}); !errors.Is(err, store.ErrEmailTaken) {
		t.Errorf("CreateUser with UniqueEmail and a taken email: err = %v, want ErrEmailTaken", err)
	}
	if _, err := s.CreateUser(c, same, store.CreateUserOptions{}); err != nil {
		t.Errorf("CreateUser without UniqueEmail and a taken email: %v (Django allows it)", err)
	}
}

func testSetters(t *testing.T, f Factory) {
	s := f.New(t)
	c := ctx(t)
	want := mustCreate(t, s, newUser("siva"))
	other := mustCreate(t, s, newUser("other"))
	step := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		sameUser(t, "after "+what, mustUser(t, s, want.ID), want)
	}

	want.Password = "pbkdf2_sha256$1000000$newsalt$newhash="
	step("SetPassword", s.SetPassword(c, want.ID, want.Password))
	want.IsActive = false
	step("SetActive(false)", s.SetActive(c, want.ID, false))
	want.IsActive = true
	step("SetActive(true)", s.SetActive(c, want.ID, true))
	want.IsStaff, want.IsSuperuser = true, true
	step("SetSuperuser(true)", s.SetSuperuser(c, want.ID, true))
	want.IsStaff, want.IsSuperuser = false, false
	step("SetSuperuser(false)", s.SetSuperuser(c, want.ID, false))
	login := time.Date(2026, 11, 23, 8, 0, 1, 123456000, time.UTC)
	want.LastLogin = &login
	step("SetLastLogin", s.SetLastLogin(c, want.ID, login))
	sameUser(t, "the other user", mustUser(t, s, other.ID), other)
}

func testTimes(t *testing.T, f Factory) {
	s := f.New(t)
	c := ctx(t)
	zone := time.FixedZone("UTC+05:30", 5*3600+1800)
	cases := []struct {
		name string
		in   time.Time
		want time.Time
	}{
		{"micro", joined, joined},
		{"whole-second", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		{"one-micro", time.Date(2026, 1, 2, 3, 4, 5, 1000, time.UTC), time.Date(2026, 1, 2, 3, 4, 5, 1000, time.UTC)},
		{"nanos-truncated", time.Date(2026, 1, 2, 3, 4, 5, 999999999, time.UTC), time.Date(2026, 1, 2, 3, 4, 5, 999999000, time.UTC)},
		{"zone", time.Date(2026, 7, 1, 1, 30, 0, 250000000, zone), time.Date(2026, 6, 30, 20, 0, 0, 250000000, time.UTC)},
	}
	for _, tc := range cases {
		u := newUser("t-" + tc.name)
		u.DateJoined = tc.in
		login := tc.in
		u.LastLogin = &login
		got := mustCreate(t, s, u)
		read := mustUser(t, s, got.ID)
		for _, v := range []struct {
			what string
			t    time.Time
		}{{"CreateUser DateJoined", got.DateJoined}, {"read DateJoined", read.DateJoined}, {"read LastLogin", *read.LastLogin}} {
			if !v.t.Equal(tc.want) || v.t.Location() != time.UTC {
				t.Errorf("%s: %s = %v, want %v in UTC", tc.name, v.what, v.t, tc.want)
			}
		}
		if err := s.SetLastLogin(c, got.ID, tc.in); err != nil {
			t.Fatalf("SetLastLogin: %v", err)
		}
		if ll := mustUser(t, s, got.ID).LastLogin; ll == nil || !ll.Equal(tc.want) || ll.Location() != time.UTC {
			t.Errorf("%s: LastLogin after SetLastLogin = %v, want %v in UTC", tc.name, ll, tc.want)
		}
	}
	noLogin := mustCreate(t, s, newUser("never"))
	if ll := mustUser(t, s, noLogin.ID).LastLogin; ll != nil {
		t.Errorf("LastLogin of a user who never logged in = %v, want nil", *ll)
	}
}

func tok(jti string, userID *int64, created *time.Time, expires time.Time) store.OutstandingToken {
	return store.OutstandingToken{UserID: userID, JTI: jti, Token: "header.payload-" + jti + ".signature", CreatedAt: created, ExpiresAt: expires}
}

func testDeleteUser(t *testing.T, f Factory) {
	s := f.New(t)
	c := ctx(t)
	gone := mustCreate(t, s, newUser("gone"))
	kept := mustCreate(t, s, newUser("kept"))
	now := time.Now().UTC()
	past := now.Add(-time.Hour)
	for _, tk := range []store.OutstandingToken{
		tok("gone-1", &gone.ID, &past, past),
		tok("gone-2", &gone.ID, &past, past),
		tok("kept-1", &kept.ID, &past, past),
	} {
		if err := s.AddOutstanding(c, tk); err != nil {
			t.Fatalf("AddOutstanding(%s): %v", tk.JTI, err)
		}
	}
	if err := s.Blacklist(c, tok("gone-1", &gone.ID, &past, past), now); err != nil {
		t.Fatalf("Blacklist(gone-1): %v", err)
	}
	if err := s.DeleteUser(c, gone.ID); err != nil {
		t.Fatalf("DeleteUser of a user with outstanding tokens: %v", err)
	}
	if _, err := s.UserByID(c, gone.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UserByID after DeleteUser: err = %v, want ErrNotFound", err)
	}
	if err := s.DeleteUser(c, gone.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second DeleteUser: err = %v, want ErrNotFound", err)
	}
	sameUser(t, "the other user", mustUser(t, s, kept.ID), kept)
	if bl, err := s.IsBlacklisted(c, "gone-1"); err != nil || !bl {
		t.Errorf("IsBlacklisted(gone-1) after its user was deleted = %v, %v; want true", bl, err)
	}
	// The deleted user's two rows remain, with user_id NULL: deleting the
	// NULL rows leaves only the other user's row for FlushExpired.
	f.Exec(t, s, `DELETE FROM token_blacklist_blacklistedtoken WHERE token_id IN (SELECT id FROM token_blacklist_outstandingtoken WHERE user_id IS NULL)`)
	f.Exec(t, s, `DELETE FROM token_blacklist_outstandingtoken WHERE user_id IS NULL AND jti IN ('gone-1', 'gone-2')`)
	if n, err := s.FlushExpired(c, now); err != nil || n != 1 {
		t.Errorf("FlushExpired after removing the NULL-user rows = %d, %v; want 1 (the deleted user's tokens must keep their rows with user_id NULL)", n, err)
	}
}

func testBlacklist(t *testing.T, f Factory) {
	s := f.New(t)
	c := ctx(t)
	u := mustCreate(t, s, newUser("siva"))
	now := time.Now()
	exp := now.Add(24 * time.Hour)
	tk := tok("jti-1", &u.ID, &now, exp)
	if err := s.AddOutstanding(c, tk); err != nil {
		t.Fatalf("AddOutstanding: %v", err)
	}
	if bl, err := s.IsBlacklisted(c, "jti-1"); err != nil || bl {
		t.Fatalf("IsBlacklisted before Blacklist = %v, %v; want false", bl, err)
	}
	if err := s.Blacklist(c, tk, now); err != nil {
		t.Fatalf("Blacklist: %v", err)
	}
	if err := s.Blacklist(c, tk, now); !errors.Is(err, store.ErrAlreadyBlacklisted) {
		t.Errorf("second Blacklist: err = %v, want ErrAlreadyBlacklisted", err)
	}
	if bl, err := s.IsBlacklisted(c, "jti-1"); err != nil || !bl {
		t.Errorf("IsBlacklisted after Blacklist = %v, %v; want true", bl, err)
	}
	if bl, err := s.IsBlacklisted(c, "jti-2"); err != nil || bl {
		t.Errorf("IsBlacklisted of another jti = %v, %v; want false", bl, err)
	}
	other := f.Another(t, s)
	if bl, err := other.IsBlacklisted(c, "jti-1"); err != nil || !bl {
		t.Errorf("IsBlacklisted through another handle = %v, %v; want true", bl, err)
	}
	if err := other.Blacklist(c, tok("jti-1", nil, nil, exp), now); !errors.Is(err, store.ErrAlreadyBlacklisted) {
		t.Errorf("Blacklist through another handle: err = %v, want ErrAlreadyBlacklisted", err)
	}
}

func testBlacklistUnknownJTI(t *testing.T, f Factory) {
	s := f.New(t)
	c := ctx(t)
	now := time.Now()
	if err := s.Blacklist(c, tok("rotated", nil, nil, now.Add(time.Hour)), now); err != nil {
		t.Fatalf("Blacklist of a jti never recorded: %v", err)
	}
	other := f.Another(t, s)
	if bl, err := other.IsBlacklisted(c, "rotated"); err != nil || !bl {
		t.Fatalf("IsBlacklisted through another handle = %v, %v; want true", bl, err)
	}
	if err := other.Blacklist(c, tok("rotated", nil, nil, now.Add(time.Hour)), now); !errors.Is(err, store.ErrAlreadyBlacklisted) {
		t.Errorf("second Blacklist: err = %v, want ErrAlreadyBlacklisted", err)
	}
	// The row it created has user_id and created_at NULL, as simplejwt
	// writes it: a delete that only matches such a row unblacklists it.
	f.Exec(t, s, `DELETE FROM token_blacklist_blacklistedtoken WHERE token_id IN (SELECT id FROM token_blacklist_outstandingtoken WHERE jti = 'rotated' AND user_id IS NULL AND created_at IS NULL)`)
	if bl, err := s.IsBlacklisted(c, "rotated"); err != nil || bl {
		t.Errorf("the outstanding row Blacklist created does not have user_id and created_at NULL (IsBlacklisted = %v, %v after deleting such rows' blacklist entries)", bl, err)
	}
	if n, err := s.FlushExpired(c, now.Add(2*time.Hour)); err != nil || n != 1 {
		t.Errorf("FlushExpired after the token expired = %d, %v; want 1 (Blacklist must create the outstanding row)", n, err)
	}
}

func testBlacklistKeepsExistingRow(t *testing.T, f Factory) {
	s := f.New(t)
	c := ctx(t)
	u := mustCreate(t, s, newUser("siva"))
	now := time.Now()
	if err := s.AddOutstanding(c, tok("jti", &u.ID, &now, now.Add(time.Hour))); err != nil {
		t.Fatalf("AddOutstanding: %v", err)
	}
	// Blacklist gets the existing row; the values it is given are only for
	// a row it has to create.
	if err := s.Blacklist(c, tok("jti", nil, nil, now.Add(-time.Hour)), now); err != nil {
		t.Fatalf("Blacklist: %v", err)
	}
	if n, err := s.FlushExpired(c, now); err != nil || n != 0 {
		t.Errorf("FlushExpired(now) = %d, %v; want 0 (Blacklist must not replace the existing row's expires_at)", n, err)
	}
	f.Exec(t, s, fmt.Sprintf(`DELETE FROM token_blacklist_blacklistedtoken WHERE token_id IN (SELECT id FROM token_blacklist_outstandingtoken WHERE user_id = %d)`, u.ID))
	if bl, err := s.IsBlacklisted(c, "jti"); err != nil || bl {
		t.Errorf("Blacklist changed the existing row's user_id (IsBlacklisted = %v, %v after deleting the user's blacklist entries)", bl, err)
	}
}

func testBlacklistRace(t *testing.T, f Factory) {
	s := f.New(t)
	other := f.Another(t, s)
	c := ctx(t)
	u := mustCreate(t, s, newUser("siva"))
	now := time.Now()
	tk := tok("contested", &u.ID, &now, now.Add(time.Hour))
	if err := s.AddOutstanding(c, tk); err != nil {
		t.Fatalf("AddOutstanding: %v", err)
	}
	errs := race(32, func(i int) error {
		h := s
		if i%2 == 1 {
			h = other
		}
		return h.Blacklist(c, tk, now)
	})
	exactlyOneNil(t, "32 concurrent Blacklist calls for one recorded jti (over two handles)", errs, store.ErrAlreadyBlacklisted)

	errs = race(32, func(i int) error {
		h := s
		if i%2 == 1 {
			h = other
		}
		return h.Blacklist(c, tok("unrecorded", nil, nil, now.Add(time.Hour)), now)
	})
	exactlyOneNil(t, "32 concurrent Blacklist calls for one unrecorded jti (over two handles)", errs, store.ErrAlreadyBlacklisted)
}

func testFlushExpired(t *testing.T, f Factory) {
	s := f.New(t)
	c := ctx(t)
	u := mustCreate(t, s, newUser("siva"))
	// A whole second: Django's format leaves the fraction out, which must
	// still compare right against fractions of the same second.
	now := time.Now().UTC().Truncate(time.Second)
	created := now.Add(-48 * time.Hour)
	tokens := map[string]time.Time{
		"long-gone":     now.Add(-time.Hour),
		"just-now":      now,
		"micro-ago":     now.Add(-time.Microsecond),
		"micro-ahead":   now.Add(time.Microsecond),
		"half-second":   now.Add(500 * time.Millisecond),
		"tomorrow":      now.Add(24 * time.Hour),
		"tomorrow-blck": now.Add(24 * time.Hour),
	}
	for jti, exp := range tokens {
		if err := s.AddOutstanding(c, tok(jti, &u.ID, &created, exp)); err != nil {
			t.Fatalf("AddOutstanding(%s): %v", jti, err)
		}
	}
	for _, jti := range []string{"long-gone", "just-now", "tomorrow-blck"} {
		if err := s.Blacklist(c, tok(jti, &u.ID, &created, tokens[jti]), now); err != nil {
			t.Fatalf("Blacklist(%s): %v", jti, err)
		}
	}
	n, err := s.FlushExpired(c, now)
	if err != nil || n != 3 {
		t.Errorf("FlushExpired = %d, %v; want 3 (long-gone, micro-ago, just-now: expires_at <= now)", n, err)
	}
	for jti, want := range map[string]bool{"long-gone": false, "just-now": false, "tomorrow-blck": true} {
		if bl, err := s.IsBlacklisted(c, jti); err != nil || bl != want {
			t.Errorf("IsBlacklisted(%s) after FlushExpired = %v, %v; want %v", jti, bl, err, want)
		}
	}
	if n, err := s.FlushExpired(c, now); err != nil || n != 0 {
		t.Errorf("second FlushExpired = %d, %v; want 0", n, err)
	}
	if n, err := s.FlushExpired(c, now.Add(time.Second)); err != nil || n != 2 {
		t.Errorf("FlushExpired one second later = %d, %v; want 2 (micro-ahead, half-second)", n, err)
	}
}

func testWatchUsers(t *testing.T, f Factory) {
	s := f.New(t)
	c := ctx(t)
	siva := mustCreate(t, s, newUser("siva"))
	bob := mustCreate(t, s, newUser("bob"))
	w := Watch(t, s)
	first := w.Resets()[0]
	wantFirst := []store.UserState{siva.State(), bob.State()}
	if len(first) != 2 || !first[0].Equal(wantFirst[0]) || !first[1].Equal(wantFirst[1]) {
		t.Fatalf("first Reset = %+v, want %+v", first, wantFirst)
	}

	other := f.Another(t, s)
	carol, err := other.CreateUser(c, newUser("carol"), store.CreateUserOptions{})
	if err != nil {
		t.Fatal(err)
	}
	WaitForUpdate(t, w, "CreateUser through another handle", func(u Update) bool {
		return u.ID == carol.ID && u.Exists && u.State.Equal(carol.State())
	})

	if err := other.SetActive(c, siva.ID, false); err != nil {
		t.Fatal(err)
	}
	WaitForUpdate(t, w, "SetActive(false) through another handle", func(u Update) bool {
		return u.ID == siva.ID && u.Exists && !u.State.IsActive && u.State.Username == "siva"
	})

	if err := other.SetSuperuser(c, bob.ID, true); err != nil {
		t.Fatal(err)
	}
	WaitForUpdate(t, w, "SetSuperuser(true) through another handle", func(u Update) bool {
		return u.ID == bob.ID && u.Exists && u.State.IsStaff && u.State.IsSuperuser
	})

	// Every password change reaches the feed with the new password's
	// fingerprint (CHECK_REVOKE_TOKEN compares tokens with it), also a
	// second one right after the first, and one made by raw SQL.
	for i, pw := range []string{"pbkdf2_sha256$1000$a$first", "pbkdf2_sha256$1000$a$second"} {
		if err := other.SetPassword(c, bob.ID, pw); err != nil {
			t.Fatal(err)
		}
		WaitForUpdate(t, w, fmt.Sprintf("SetPassword #%d through another handle", i+1), func(u Update) bool {
			return u.ID == bob.ID && u.Exists && u.State.Password == store.PasswordFingerprint(pw)
		})
	}
	f.Exec(t, s, `UPDATE auth_user SET password = 'pbkdf2_sha256$1000$a$third' WHERE username = 'bob'`)
	WaitForUpdate(t, w, "a raw UPDATE of the password", func(u Update) bool {
		return u.ID == bob.ID && u.Exists && u.State.Password == store.PasswordFingerprint("pbkdf2_sha256$1000$a$third")
	})

	// last_login changes need not be reported, but must not break the feed.
	for _, h := range []store.Store{s, other} {
		if err := h.SetLastLogin(c, bob.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
	}

	if err := other.DeleteUser(c, carol.ID); err != nil {
		t.Fatal(err)
	}
	WaitForUpdate(t, w, "DeleteUser through another handle", func(u Update) bool {
		return u.ID == carol.ID && !u.Exists
	})

	f.Exec(t, s, `UPDATE auth_user SET is_active = false WHERE username = 'bob'`)
	WaitForUpdate(t, w, "a raw UPDATE of is_active", func(u Update) bool {
		return u.ID == bob.ID && u.Exists && !u.State.IsActive
	})

	f.Exec(t, s, `INSERT INTO auth_user (password, last_login, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined) VALUES ('!', NULL, false, 'raw', '', '', 'raw@example.com', true, true, '2026-01-02 03:04:05')`)
	WaitForUpdate(t, w, "a raw INSERT", func(u Update) bool {
		return u.Exists && u.State.Username == "raw" && u.State.IsActive && u.State.IsStaff && !u.State.IsSuperuser
	})

	f.Exec(t, s, `DELETE FROM auth_user WHERE username = 'siva'`)
	WaitForUpdate(t, w, "a raw DELETE", func(u Update) bool {
		return u.ID == siva.ID && !u.Exists
	})

	if errs := w.Errors(); len(errs) > 0 {
		t.Errorf("WatchUsers reported errors: %v", errs)
	}
}

func testWatchUsersCancel(t *testing.T, f Factory) {
	s := f.New(t)
	mustCreate(t, s, newUser("siva"))
	w := &Watcher{}
	c, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.WatchUsers(c, w) }()
	WaitFor(t, "the first Reset", func() bool { return len(w.Resets()) > 0 })
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("WatchUsers returned %v after cancel, want context.Canceled", err)
		}
	case <-time.After(time.Second):
		t.Fatal("WatchUsers did not return within 1s of its context being cancelled")
	}

	// An already-cancelled context ends it at once too.
	done2 := make(chan error, 1)
	go func() { done2 <- s.WatchUsers(c, &Watcher{}) }()
	select {
	case err := <-done2:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("WatchUsers with a cancelled context returned %v, want context.Canceled", err)
		}
	case <-time.After(time.Second):
		t.Fatal("WatchUsers with a cancelled context did not return within 1s")
	}
}
