package throttle

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/store/sqlite"
)

// newThrottle runs on the real embedded store.
func newThrottle(t *testing.T, cfg Config) *Throttle {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, sqlite.Options{Path: filepath.Join(t.TempDir(), "t.sqlite3")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	th, err := New(s, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return th
}

var t0 = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func mustWait(t *testing.T, th *Throttle, user, client string, now time.Time) time.Duration {
	t.Helper()
	w, err := th.Check(context.Background(), user, client, now)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func fail(t *testing.T, th *Throttle, user, client string, now time.Time, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if err := th.Failed(context.Background(), user, client, now); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPerAccount: five failures for a username from one address block that
// pair until the window ends, but not the same username from elsewhere.
func TestPerAccount(t *testing.T) {
	th := newThrottle(t, DefaultConfig())
	fail(t, th, "siva", "10.0.0.1", t0, 4)
	if w := mustWait(t, th, "siva", "10.0.0.1", t0); w != 0 {
		t.Fatalf("after 4 failures: wait %v", w)
	}
	fail(t, th, "siva", "10.0.0.1", t0.Add(time.Minute), 1)
	if w := mustWait(t, th, "siva", "10.0.0.1", t0.Add(2*time.Minute)); w != 13*time.Minute {
		t.Fatalf("after 5 failures: wait %v, want the rest of the window (13m)", w)
	}
	if w := mustWait(t, th, "siva", "10.0.0.2", t0.Add(2*time.Minute)); w != 0 {
		t.Errorf("another address is locked out too: wait %v", w)
	}
	if w := mustWait(t, th, "bob", "10.0.0.1", t0.Add(2*time.Minute)); w != 0 {
		t.Errorf("another username from the address is blocked: wait %v", w)
	}
	if w := mustWait(t, th, "siva", "10.0.0.1", t0.Add(15*time.Minute)); w != 0 {
		t.Errorf("still blocked when the window ended: %v", w)
	}
}

// TestPerClient: an address guessing across usernames is blocked for all
// of them.
func TestPerClient(t *testing.T) {
	th := newThrottle(t, DefaultConfig())
	for i := 0; i < 20; i++ {
		fail(t, th, fmt.Sprintf("user%d", i), "192.0.2.7", t0, 1)
	}
	if w := mustWait(t, th, "fresh-name", "192.0.2.7", t0); w != 15*time.Minute {
		t.Errorf("after 20 failures from one address: wait %v", w)
	}
	if w := mustWait(t, th, "fresh-name", "192.0.2.8", t0); w != 0 {
		t.Errorf("another address is blocked: %v", w)
	}
}

// TestSuccessClearsTheAccountCounter, as django-axes' reset on success;
// the per-client counter keeps counting.
func TestSuccessClearsTheAccountCounter(t *testing.T) {
	th := newThrottle(t, Config{PerClient: 6, PerAccount: 3, Window: time.Hour})
	fail(t, th, "siva", "10.0.0.1", t0, 2)
	if err := th.Succeeded(context.Background(), "siva", "10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	fail(t, th, "siva", "10.0.0.1", t0, 2)
	if w := mustWait(t, th, "siva", "10.0.0.1", t0); w != 0 {
		t.Errorf("the account counter was not cleared: wait %v", w)
	}
	fail(t, th, "siva", "10.0.0.1", t0, 2) // 6 from this address in all
	if w := mustWait(t, th, "siva", "10.0.0.1", t0); w != time.Hour {
		t.Errorf("the per-client counter was cleared too: wait %v", w)
	}
}

func TestPerAccountAnyClientAndDisabledLimits(t *testing.T) {
	th := newThrottle(t, Config{PerAccountAnyClient: 3, Window: time.Minute})
	for i := 0; i < 3; i++ {
		fail(t, th, "siva", fmt.Sprintf("10.0.0.%d", i), t0, 1)
	}
	if w := mustWait(t, th, "siva", "10.9.9.9", t0); w != time.Minute {
		t.Errorf("any-client limit: wait %v", w)
	}
	off := newThrottle(t, Config{Window: time.Minute})
	fail(t, off, "siva", "10.0.0.1", t0, 50)
	if w := mustWait(t, off, "siva", "10.0.0.1", t0); w != 0 {
		t.Errorf("all limits off, still blocked: %v", w)
	}
	if _, err := New(nil, Config{PerClient: -1, Window: time.Minute}); err == nil {
		t.Error("a negative limit was accepted")
	}
	if _, err := New(nil, Config{PerClient: 1}); err == nil {
		t.Error("a zero window was accepted")
	}
}

// TestKeysAreSafe: usernames are hashed into the keys, whatever bytes
// they hold, so distinct usernames never share a counter.
func TestKeysAreSafe(t *testing.T) {
	th := newThrottle(t, Config{PerAccount: 1, Window: time.Minute})
	odd := "a|b\x00c\xff'; DROP TABLE auth_user; --"
	fail(t, th, odd, "10.0.0.1", t0, 1)
	if w := mustWait(t, th, odd, "10.0.0.1", t0); w != time.Minute {
		t.Errorf("odd username: wait %v", w)
	}
	if w := mustWait(t, th, "a", "10.0.0.1", t0); w != 0 {
		t.Errorf("a prefix of the odd username is blocked: %v", w)
	}
}
