package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/store"
)

// testLoginFailures: fixed windows that start at the first failure, end
// after the window, and are seen alike by every handle.
func testLoginFailures(t *testing.T, f Factory) {
	s := f.New(t)
	c := ctx(t)
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	window := 15 * time.Minute
	keys := []string{"c:127.0.0.1", "u:127.0.0.1|siva", "a:siva"}

	got, err := s.LoginFailures(c, keys, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0] != (store.FailureWindow{}) || got[2] != (store.FailureWindow{}) {
		t.Fatalf("no failures yet: %+v", got)
	}
	for i := 0; i < 3; i++ {
		got, err := s.AddLoginFailure(c, keys[:2], now.Add(time.Duration(i)*time.Minute), window)
		if err != nil {
			t.Fatal(err)
		}
		want := store.FailureWindow{Failures: i + 1, Ends: now.Add(window)}
		if len(got) != 2 || got[0] != want || got[1] != want {
			t.Fatalf("failure %d returned %+v, want %+v twice", i+1, got, want)
		}
	}
	got, err = f.Another(t, s).LoginFailures(c, keys, now.Add(5*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	want := store.FailureWindow{Failures: 3, Ends: now.Add(window)}
	if got[0] != want || got[1] != want || got[2] != (store.FailureWindow{}) {
		t.Fatalf("after 3 failures: %+v, want %+v for the first two keys", got, want)
	}
	if !got[0].Ends.Equal(now.Add(window)) || got[0].Ends.Location() != time.UTC {
		t.Errorf("window end %v", got[0].Ends)
	}

	// When the window has ended it counts nothing, and the next failure
	// starts a new window.
	end := now.Add(window)
	if got, _ := s.LoginFailures(c, keys[:1], end); got[0] != (store.FailureWindow{}) {
		t.Errorf("an ended window still counts: %+v", got)
	}
	if _, err := s.AddLoginFailure(c, keys[:1], end, window); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.LoginFailures(c, keys[:1], end); got[0] != (store.FailureWindow{Failures: 1, Ends: end.Add(window)}) {
		t.Errorf("new window: %+v", got)
	}

	// UncountLoginFailure takes one count back, never below zero.
	if err := s.UncountLoginFailure(c, keys[1:]); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.LoginFailures(c, keys, now.Add(time.Minute)); got[1].Failures != 2 || got[2] != (store.FailureWindow{}) {
		t.Errorf("after taking one back: %+v", got)
	}
	if _, err := s.AddLoginFailure(c, keys[1:2], now.Add(time.Minute), window); err != nil {
		t.Fatal(err)
	}
	if err := s.ClearLoginFailures(c, keys[:1]); err != nil {
		t.Fatal(err)
	}
	got, _ = s.LoginFailures(c, keys, now.Add(time.Minute))
	if got[0] != (store.FailureWindow{}) || got[1].Failures != 3 {
		t.Errorf("after clearing the first key: %+v", got)
	}

	// FlushExpired drops windows that ended.
	if _, err := s.FlushExpired(c, now.Add(window)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.LoginFailures(c, keys[1:2], now); got[0] != (store.FailureWindow{}) {
		t.Errorf("FlushExpired kept an ended window: %+v", got)
	}
	if err := s.ClearLoginFailures(c, nil); err != nil {
		t.Errorf("clearing no keys: %v", err)
	}
}

// testLoginFailuresRace: concurrent failures from two handles are all
// counted, and each call sees its own count: of n concurrent calls
// exactly one sees each of 1..n, which is what lets the throttle decide
// before hashing (increment, then check) without a check-then-act race.
func testLoginFailuresRace(t *testing.T, f Factory) {
	s := f.New(t)
	other := f.Another(t, s)
	c := ctx(t)
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	keys := []string{"c:10.0.0.1", "u:10.0.0.1|bob"}
	const n = 16
	var wg sync.WaitGroup
	type result struct {
		ws  []store.FailureWindow
		err error
	}
	results := make(chan result, n)
	for i := 0; i < n; i++ {
		h := s
		if i%2 == 1 {
			h = other
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ws, err := h.AddLoginFailure(c, keys, now, time.Minute)
			results <- result{ws, err}
		}()
	}
	wg.Wait()
	close(results)
	seen := make([]map[int]bool, len(keys))
	for i := range seen {
		seen[i] = map[int]bool{}
	}
	for r := range results {
		if r.err != nil {
			t.Fatal(r.err)
		}
		for i, w := range r.ws {
			if seen[i][w.Failures] {
				t.Errorf("%q: two concurrent calls both saw count %d", keys[i], w.Failures)
			}
			seen[i][w.Failures] = true
		}
	}
	got, err := s.LoginFailures(c, keys, now)
	if err != nil {
		t.Fatal(err)
	}
	for i := range keys {
		if got[i].Failures != n {
			t.Errorf("%q: %d failures counted, want %d", keys[i], got[i].Failures, n)
		}
		for k := 1; k <= n; k++ {
			if !seen[i][k] {
				t.Errorf("%q: no call saw count %d", keys[i], k)
			}
		}
	}
}

// testPruneLoginFailures: PruneLoginFailures deletes exactly the windows
// that ended, through any handle; open windows keep their counts.
func testPruneLoginFailures(t *testing.T, f Factory) {
	s := f.New(t)
	c := ctx(t)
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	for _, w := range []struct {
		key    string
		window time.Duration
	}{{"c:ended", time.Minute}, {"u:ended|siva", 2 * time.Minute}, {"c:open", time.Hour}} {
		if _, err := s.AddLoginFailure(c, []string{w.key}, now, w.window); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.PruneLoginFailures(c, now.Add(time.Minute-time.Millisecond)); err != nil || n != 0 {
		t.Fatalf("prune before any window ended: %d, %v; want 0", n, err)
	}
	if n, err := f.Another(t, s).PruneLoginFailures(c, now.Add(2*time.Minute)); err != nil || n != 2 {
		t.Fatalf("prune after two windows ended: %d, %v; want 2", n, err)
	}
	if n, err := s.PruneLoginFailures(c, now.Add(2*time.Minute)); err != nil || n != 0 {
		t.Fatalf("prune again: %d, %v; want 0 (the rows are gone)", n, err)
	}
	if got, err := s.LoginFailures(c, []string{"c:open"}, now.Add(2*time.Minute)); err != nil || got[0].Failures != 1 {
		t.Errorf("the open window after pruning: %+v, %v", got, err)
	}
}
