package postgres

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/internal/pgcluster"
	"github.com/jwtgate/jwtgate/internal/testenv"
	"github.com/jwtgate/jwtgate/store"
	"github.com/jwtgate/jwtgate/store/storetest"
)

// faultSecret is the password in the URL of the fault test: trust
// authentication ignores it, and no error may contain it.
const faultSecret = "s3cret-Pa55word"

// waitUntil polls cond every 10 ms for up to limit.
func waitUntil(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", limit, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// failsFast checks that a call made while the server is down fails, with
// the connection error, well within its deadline, and without the
// password.
func failsFast(t *testing.T, what string, call func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	start := time.Now()
	err := call(ctx)
	took := time.Since(start)
	switch {
	case err == nil:
		t.Errorf("%s with the server down succeeded", what)
	case errors.Is(err, store.ErrNotFound):
		t.Errorf("%s with the server down: %v, want a connection error", what, err)
	case took > 2*time.Second:
		t.Errorf("%s with the server down took %v, want it to fail at once", what, took)
	case strings.Contains(err.Error(), faultSecret):
		t.Errorf("%s: the error contains the password: %v", what, err)
	}
}

func checkNoSecret(t *testing.T, errs []error) {
	t.Helper()
	for _, err := range errs {
		if strings.Contains(err.Error(), faultSecret) {
			t.Errorf("WatchUsers reported an error containing the password: %v", err)
		}
	}
}

// TestServerDownAndBack runs the store against a server that is down at
// Open, comes up, goes down and comes back.
func TestServerDownAndBack(t *testing.T) {
	t.Parallel()
	c := pgcluster.New(t)
	s := openStore(t, Options{URL: c.URL(c.Port, faultSecret), ConnectTimeout: 2 * time.Second})
	s.minBackoff, s.maxBackoff = 50*time.Millisecond, 400*time.Millisecond

	failsFast(t, "Migrate", s.Migrate)
	failsFast(t, "UserByID", func(ctx context.Context) error { _, err := s.UserByID(ctx, 1); return err })

	w := &storetest.Watcher{}
	wctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.WatchUsers(wctx, w) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("WatchUsers returned %v, want context.Canceled", err)
			}
		case <-time.After(2 * time.Second):
			t.Errorf("WatchUsers did not return within 2s of its context being cancelled")
		}
	})
	waitUntil(t, 5*time.Second, "WatchUsers to report that the server is down", func() bool { return len(w.Errors()) > 0 })
	if n := len(w.Resets()); n != 0 {
		t.Fatalf("WatchUsers called Reset %d times with the server down", n)
	}

	// The server comes up: the same store works, the watcher catches up.
	c.Start()
	ctx := testCtx(t)
	must(t, "Migrate once the server is up", s.Migrate(ctx))
	alice, err := s.CreateUser(ctx, store.User{Password: "!", Username: "alice", IsActive: true, DateJoined: time.Now()}, store.CreateUserOptions{})
	must(t, "CreateUser(alice)", err)
	waitUntil(t, 5*time.Second, "WatchUsers to Reset once the server is up", func() bool { return len(w.Resets()) > 0 })
	bob, err := s.CreateUser(ctx, store.User{Password: "!", Username: "bob", IsActive: true, DateJoined: time.Now()}, store.CreateUserOptions{})
	must(t, "CreateUser(bob)", err)
	storetest.WaitForUpdate(t, w, "CreateUser(bob) once the server is up", func(u storetest.Update) bool { return u.ID == bob.ID && u.Exists })

	// The server stops: the watcher says so, calls fail fast.
	errsBefore := len(w.Errors())
	c.Stop()
	waitUntil(t, 5*time.Second, "WatchUsers to report the server stopping", func() bool { return len(w.Errors()) > errsBefore })
	failsFast(t, "UserByUsername", func(ctx context.Context) error { _, err := s.UserByUsername(ctx, "alice"); return err })

	// Meanwhile users change where the watcher cannot see it: the same
	// data directory served on another port.
	resetsBefore := len(w.Resets())
	other := testenv.FreePort(t)
	c.StartOn(other)
	rawExec(t, c.URL(other, faultSecret), `UPDATE auth_user SET is_active = false WHERE username = 'alice';
INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined)
VALUES ('!', false, 'dave', '', '', '', false, true, now())`)
	c.Stop()
	if n := len(w.Resets()); n != resetsBefore {
		t.Fatalf("WatchUsers reset while its server was down")
	}

	// The server is back: a full Reset shows what changed, and the feed
	// works again, all without reopening the store.
	c.Start()
	waitUntil(t, 5*time.Second, "WatchUsers to Reset after the restart", func() bool { return len(w.Resets()) > resetsBefore })
	last := w.Resets()[len(w.Resets())-1]
	var sawAlice, sawDave bool
	for _, st := range last {
		switch st.Username {
		case "alice":
			sawAlice = st.ID == alice.ID && !st.IsActive
		case "dave":
			sawDave = st.IsActive
		}
	}
	if !sawAlice || !sawDave {
		t.Errorf("the Reset after the restart = %+v, want alice inactive and dave present", last)
	}
	if _, err := s.UserByUsername(ctx, "dave"); err != nil {
		t.Errorf("UserByUsername(dave) after the restart, same store: %v", err)
	}
	must(t, "SetActive(bob) after the restart", s.SetActive(ctx, bob.ID, false))
	storetest.WaitForUpdate(t, w, "SetActive(bob, false) after the restart", func(u storetest.Update) bool {
		return u.ID == bob.ID && u.Exists && !u.State.IsActive
	})
	checkNoSecret(t, w.Errors())
	for _, err := range w.Errors() {
		t.Logf("WatchUsers reported: %v", err)
	}
}
