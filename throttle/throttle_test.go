package throttle

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
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

// try reserves one login attempt and returns its wait.
func try(t *testing.T, th *Throttle, user, client string, now time.Time) time.Duration {
	t.Helper()
	d, err := th.Login(context.Background(), user, client, now)
	if err != nil {
		t.Fatal(err)
	}
	return d.Wait
}

// fail makes n allowed attempts that fail (never taken back).
func fail(t *testing.T, th *Throttle, user, client string, now time.Time, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if w := try(t, th, user, client, now); w != 0 {
			t.Fatalf("failure %d refused: wait %v", i+1, w)
		}
	}
}

// TestPerAccount: five failures for a username from one address block that
// pair until the window ends, but not the same username from elsewhere.
func TestPerAccount(t *testing.T) {
	th := newThrottle(t, DefaultConfig())
	fail(t, th, "siva", "10.0.0.1", t0, 4)
	fail(t, th, "siva", "10.0.0.1", t0.Add(time.Minute), 1)
	d, err := th.Login(context.Background(), "siva", "10.0.0.1", t0.Add(2*time.Minute))
	if err != nil || d.Wait != 13*time.Minute || !d.First {
		t.Fatalf("6th attempt: %+v %v, want the rest of the window (13m), first refusal", d, err)
	}
	if d, _ := th.Login(context.Background(), "siva", "10.0.0.1", t0.Add(2*time.Minute)); d.Wait == 0 || d.First {
		t.Errorf("7th attempt: %+v, want refused and not the first refusal", d)
	}
	if w := try(t, th, "siva", "10.0.0.2", t0.Add(2*time.Minute)); w != 0 {
		t.Errorf("another address is locked out too: wait %v", w)
	}
	if w := try(t, th, "bob", "10.0.0.1", t0.Add(2*time.Minute)); w != 0 {
		t.Errorf("another username from the address is blocked: wait %v", w)
	}
	if w := try(t, th, "siva", "10.0.0.1", t0.Add(15*time.Minute)); w != 0 {
		t.Errorf("still blocked when the window ended: %v", w)
	}
}

// TestConcurrentAttempts: however many attempts run at once, at most
// PerAccount of them are allowed to hash.
func TestConcurrentAttempts(t *testing.T) {
	th := newThrottle(t, Config{PerAccount: 5, Window: time.Minute})
	const n = 40
	var wg sync.WaitGroup
	allowed := make(chan bool, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := th.Login(context.Background(), "siva", "10.0.0.1", t0)
			allowed <- err == nil && d.Wait == 0
		}()
	}
	wg.Wait()
	close(allowed)
	got := 0
	for ok := range allowed {
		if ok {
			got++
		}
	}
	if got != 5 {
		t.Errorf("%d of %d concurrent attempts allowed, want 5", got, n)
	}
}

// TestPerClient: an address guessing across usernames is blocked for all
// of them.
func TestPerClient(t *testing.T) {
	th := newThrottle(t, DefaultConfig())
	for i := 0; i < 20; i++ {
		fail(t, th, fmt.Sprintf("user%d", i), "192.0.2.7", t0, 1)
	}
	if w := try(t, th, "fresh-name", "192.0.2.7", t0); w != 15*time.Minute {
		t.Errorf("after 20 failures from one address: wait %v", w)
	}
	if w := try(t, th, "fresh-name", "192.0.2.8", t0); w != 0 {
		t.Errorf("another address is blocked: %v", w)
	}
}

// TestSuccessClearsTheAccountCounter, as django-axes' reset on success;
// the per-client counter keeps counting failures, and a success is taken
// back from it.
func TestSuccessClearsTheAccountCounter(t *testing.T) {
	th := newThrottle(t, Config{PerClient: 6, PerAccount: 3, Window: time.Hour})
	fail(t, th, "siva", "10.0.0.1", t0, 2)
	fail(t, th, "siva", "10.0.0.1", t0, 1)
	if err := th.Succeeded(context.Background(), "siva", "10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	fail(t, th, "siva", "10.0.0.1", t0, 2)
	fail(t, th, "siva", "10.0.0.1", t0, 1) // a 3rd: the account counter was cleared
	if err := th.Succeeded(context.Background(), "siva", "10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	fail(t, th, "bob", "10.0.0.1", t0, 2) // 6 failures from this address in all
	if w := try(t, th, "carol", "10.0.0.1", t0); w != time.Hour {
		t.Errorf("the per-client counter was cleared too, or counted the successes: wait %v", w)
	}
}

// TestHashBudget: successful logins and registrations count toward the
// client's hash budget, and registrations toward their own limit.
func TestHashBudget(t *testing.T) {
	ctx := context.Background()
	th := newThrottle(t, Config{HashesPerClient: 4, RegisterPerClient: 2, Window: time.Minute})
	for i := 0; i < 2; i++ {
		if d, err := th.Register(ctx, "10.0.0.1", t0); err != nil || d.Wait != 0 {
			t.Fatalf("registration %d: %+v %v", i+1, d, err)
		}
	}
	if d, _ := th.Register(ctx, "10.0.0.1", t0); d.Wait != time.Minute || !d.First {
		t.Errorf("3rd registration: %+v, want refused", d)
	}
	if w := try(t, th, "siva", "10.0.0.1", t0); w != 0 {
		t.Fatalf("4th hash refused: %v", w)
	}
	if err := th.Succeeded(ctx, "siva", "10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	if w := try(t, th, "siva", "10.0.0.1", t0); w != time.Minute {
		t.Errorf("5th hash: wait %v, want the budget spent", w)
	}
	if w := try(t, th, "siva", "10.0.0.2", t0); w != 0 {
		t.Errorf("another client: wait %v", w)
	}
}

func TestPerAccountAnyClientAndDisabledLimits(t *testing.T) {
	th := newThrottle(t, Config{PerAccountAnyClient: 3, Window: time.Minute})
	for i := 0; i < 3; i++ {
		fail(t, th, "siva", fmt.Sprintf("10.0.0.%d", i), t0, 1)
	}
	if w := try(t, th, "siva", "10.9.9.9", t0); w != time.Minute {
		t.Errorf("any-client limit: wait %v", w)
	}
	off := newThrottle(t, Config{Window: time.Minute})
	fail(t, off, "siva", "10.0.0.1", t0, 50)
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
	if w := try(t, th, odd, "10.0.0.1", t0); w != time.Minute {
		t.Errorf("odd username: wait %v", w)
	}
	if w := try(t, th, "a", "10.0.0.1", t0); w != 0 {
		t.Errorf("a prefix of the odd username is blocked: %v", w)
	}
}

// TestClientKey: IPv6 is keyed by prefix (a /64 by default), IPv4 by
// address, and mapped addresses as IPv4.
func TestClientKey(t *testing.T) {
	for _, c := range []struct {
		addr   string
		v4, v6 int
		want   string
	}{
		{"2001:db8:1:2:aaaa::1", 32, 64, "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", 32, 64, "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", 32, 64, "2001:db8:1:3::/64"},
		{"2001:db8:1:2:aaaa::1", 32, 48, "2001:db8:1::/48"},
		{"2001:db8::1", 32, 128, "2001:db8::1"},
		{"fe80::1%lo", 32, 64, "fe80::/64"},
		{"192.0.2.7", 32, 64, "192.0.2.7"},
		{"192.0.2.7", 24, 64, "192.0.2.0/24"},
		{"::ffff:192.0.2.7", 32, 64, "192.0.2.7"},
		{"not-an-ip", 32, 64, "not-an-ip"},
	} {
		if got := ClientKey(c.addr, c.v4, c.v6); got != c.want {
			t.Errorf("ClientKey(%q, %d, %d) = %q, want %q", c.addr, c.v4, c.v6, got, c.want)
		}
	}
}
