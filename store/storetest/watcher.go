package storetest

import (
	"context"
	"errors"
	"iter"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/store"
)

// Update is one recorded Watcher.Update call.
type Update struct {
	ID     int64
	State  store.UserState
	Exists bool
}

// Watcher is a store.UserWatcher that records every call, for tests. It is
// safe for concurrent use.
type Watcher struct {
	mu      sync.Mutex
	calls   []string // "reset", "update" or "error", in order
	resets  [][]store.UserState
	updates []Update
	errs    []error
	fresh   time.Time
	health  []error // FeedHealth calls, in order
}

var (
	_ store.UserWatcher  = (*Watcher)(nil)
	_ store.FeedObserver = (*Watcher)(nil)
)

// Fresh records the latest freshness confirmation.
func (w *Watcher) Fresh(at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if at.After(w.fresh) {
		w.fresh = at
	}
}

// FeedHealth records a change of the feed's state.
func (w *Watcher) FeedHealth(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.health = append(w.health, err)
}

// FreshAt returns the latest time Fresh confirmed (zero: none yet).
func (w *Watcher) FreshAt() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.fresh
}

// Health returns the FeedHealth calls so far (nil: the feed works again).
func (w *Watcher) Health() []error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]error(nil), w.health...)
}

// Load records a Load call (as "reset") with the list it read whole; a
// list that ended in an error is not recorded.
func (w *Watcher) Load(all iter.Seq2[store.UserState, error]) {
	list := []store.UserState{}
	for st, err := range all {
		if err != nil {
			return
		}
		list = append(list, st)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls = append(w.calls, "reset")
	w.resets = append(w.resets, list)
}

// Update records an Update call.
func (w *Watcher) Update(id int64, st store.UserState, exists bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls = append(w.calls, "update")
	w.updates = append(w.updates, Update{ID: id, State: st, Exists: exists})
}

// Error records an Error call.
func (w *Watcher) Error(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls = append(w.calls, "error")
	w.errs = append(w.errs, err)
}

// Calls returns the kinds of the calls so far, in order.
func (w *Watcher) Calls() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.calls...)
}

// Resets returns the lists of the Load calls so far, each sorted by id.
func (w *Watcher) Resets() [][]store.UserState {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([][]store.UserState, len(w.resets))
	for i, all := range w.resets {
		out[i] = append([]store.UserState(nil), all...)
		sort.Slice(out[i], func(a, b int) bool { return out[i][a].ID < out[i][b].ID })
	}
	return out
}

// Updates returns the Update calls so far.
func (w *Watcher) Updates() []Update {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Update(nil), w.updates...)
}

// Errors returns the errors reported so far.
func (w *Watcher) Errors() []error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]error(nil), w.errs...)
}

// HasUpdate reports whether an Update call so far satisfies match.
func (w *Watcher) HasUpdate(match func(Update) bool) bool {
	for _, u := range w.Updates() {
		if match(u) {
			return true
		}
	}
	return false
}

// WaitFor polls cond every 10 ms and fails the test if it is not true
// within 2 s. It returns how long it waited.
func WaitFor(t testing.TB, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > 2*time.Second {
			t.Fatalf("waited 2s for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}

// WaitForUpdate waits (see WaitFor) for an Update call that satisfies
// match and fails the test if it took more than a second, the delay the
// store contract promises.
func WaitForUpdate(t testing.TB, w *Watcher, what string, match func(Update) bool) {
	t.Helper()
	if d := WaitFor(t, what, func() bool { return w.HasUpdate(match) }); d > time.Second {
		t.Errorf("%s took %v, want at most 1s", what, d)
	}
}

// Watch runs s.WatchUsers with a new Watcher in another goroutine until the
// test ends, and waits for its first call, which must be a Load. At the
// end of the test it cancels the watch and checks that WatchUsers returned
// context.Canceled within 2 s.
func Watch(t testing.TB, s store.Store) *Watcher {
	t.Helper()
	w := &Watcher{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.WatchUsers(ctx, w) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("WatchUsers returned %v after its context was cancelled, want context.Canceled", err)
			}
		case <-time.After(2 * time.Second):
			t.Errorf("WatchUsers did not return within 2s of its context being cancelled")
		}
	})
	WaitFor(t, "the first call of WatchUsers", func() bool { return len(w.Calls()) > 0 })
	if c := w.Calls(); c[0] != "reset" {
		t.Fatalf("the first call of WatchUsers is %s (errors: %v), want reset", c[0], w.Errors())
	}
	return w
}
