package userindex

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/store"
)

func user(id int64, name string, active bool) store.UserState {
	return store.UserState{ID: id, Username: name, IsActive: active}
}

func TestResetLookupUpdate(t *testing.T) {
	ix := New(true)
	if ix.Loaded() {
		t.Fatal("a new index says it is loaded")
	}
	if _, ok := ix.Lookup(1); ok {
		t.Fatal("a new index knows user 1")
	}
	ix.Reset([]store.UserState{user(1, "siva", true), user(2, "bob", false), user(257, "carol", true)})
	select {
	case <-ix.Ready():
	default:
		t.Fatal("Ready is not closed after Reset")
	}
	if !ix.Loaded() || ix.Len() != 3 {
		t.Fatalf("loaded %v, len %d", ix.Loaded(), ix.Len())
	}
	if st, ok := ix.Lookup(2); !ok || st.IsActive || st.Username != "bob" {
		t.Errorf("Lookup(2) = %+v, %v", st, ok)
	}
	if st, ok := ix.LookupUsername("carol"); !ok || st.ID != 257 {
		t.Errorf("LookupUsername(carol) = %+v, %v", st, ok)
	}

	ix.Update(2, user(2, "bob", true), true)
	if st, _ := ix.Lookup(2); !st.IsActive {
		t.Error("activation not applied")
	}
	ix.Update(2, user(2, "robert", true), true)
	if _, ok := ix.LookupUsername("bob"); ok {
		t.Error("the old username still resolves after a rename")
	}
	if st, ok := ix.LookupUsername("robert"); !ok || st.ID != 2 {
		t.Errorf("renamed user: %+v, %v", st, ok)
	}
	ix.Update(1, store.UserState{ID: 1}, false)
	if _, ok := ix.Lookup(1); ok {
		t.Error("deleted user still found")
	}
	if _, ok := ix.LookupUsername("siva"); ok {
		t.Error("deleted user still found by name")
	}
	if ix.Len() != 2 {
		t.Errorf("len %d after a deletion", ix.Len())
	}
	ix.Update(1, store.UserState{ID: 1}, false) // deleting twice is harmless
	ix.Update(9, user(9, "new", true), true)
	if ix.Len() != 3 {
		t.Errorf("len %d after an insertion", ix.Len())
	}

	// A Reset replaces everything.
	ix.Reset([]store.UserState{user(5, "eve", true)})
	if _, ok := ix.Lookup(9); ok || ix.Len() != 1 {
		t.Errorf("Reset kept old users (len %d)", ix.Len())
	}
}

// TestLearn: a state read outside the feed fills a gap but never overrides
// what the feed said, and never resurrects a user it reported deleted.
func TestLearn(t *testing.T) {
	ix := New(false)
	ix.Reset(nil)
	ix.Learn(user(1, "siva", true))
	if st, ok := ix.Lookup(1); !ok || !st.IsActive {
		t.Fatalf("Learn did not add an unknown user: %+v %v", st, ok)
	}
	ix.Update(1, user(1, "siva", false), true) // the feed: deactivated
	ix.Learn(user(1, "siva", true))            // a stale read from before
	if st, _ := ix.Lookup(1); st.IsActive {
		t.Error("Learn overrode a newer state from the feed")
	}
	ix.Update(1, store.UserState{ID: 1}, false) // the feed: deleted
	ix.Learn(user(1, "siva", true))             // a stale read from before
	if _, ok := ix.Lookup(1); ok {
		t.Error("Learn brought back a deleted user")
	}
	ix.Update(1, user(1, "siva", true), true) // the feed: the id exists again
	if _, ok := ix.Lookup(1); !ok {
		t.Error("a user the feed re-created is missing")
	}
}

func TestLookupUsernameNeedsByUsername(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("LookupUsername on an index without names did not panic")
		}
	}()
	New(false).LookupUsername("x")
}

// TestConcurrentReadsAndWrites runs lookups against writers; with -race it
// proves the copy-on-write shards need no lock on the read side.
func TestConcurrentReadsAndWrites(t *testing.T) {
	ix := New(true)
	var all []store.UserState
	for i := int64(1); i <= 1000; i++ {
		all = append(all, user(i, "u", true))
	}
	ix.Reset(all)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int64(0); ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if st, ok := ix.Lookup(1 + i%1000); ok && st.ID != 1+i%1000 {
					t.Errorf("Lookup returned user %d for %d", st.ID, 1+i%1000)
					return
				}
				ix.LookupUsername("u")
			}
		}()
	}
	for i := int64(1); i <= 2000; i++ {
		ix.Update(1+i%1000, user(1+i%1000, "u", i%2 == 0), i%7 != 0)
		if i%500 == 0 {
			ix.Reset(all)
		}
	}
	close(stop)
	wg.Wait()
}

func TestLookupDoesNotAllocate(t *testing.T) {
	ix := New(false)
	ix.Reset([]store.UserState{user(123456, "x", true)})
	if n := testing.AllocsPerRun(100, func() { ix.Lookup(123456) }); n != 0 {
		t.Errorf("Lookup allocates %v times", n)
	}
}

// benchUsers is how many active users the benchmarks' index holds.
const benchUsers = 100_000

// benchIndex is an index of benchUsers active users, ids 1..benchUsers.
func benchIndex() *Index {
	ix := New(false)
	all := make([]store.UserState, 0, benchUsers)
	for i := int64(1); i <= benchUsers; i++ {
		all = append(all, user(i, "user", true))
	}
	ix.Reset(all)
	return ix
}

func BenchmarkLookup(b *testing.B) {
	ix := benchIndex()
	b.ReportAllocs()
	var id int64
	for b.Loop() {
		id = id%benchUsers + 1
		ix.Lookup(id)
	}
}

// BenchmarkUpdate is the cost of one user change with 100k users: a copy
// of one chunk of 256 users.
func BenchmarkUpdate(b *testing.B) {
	ix := benchIndex()
	b.ReportAllocs()
	var i int64
	for b.Loop() {
		i++
		ix.Update(1+i%benchUsers, user(1+i%benchUsers, "user", i%2 == 0), true)
	}
}

// TestLearnAfterResetDeletion: a user a Reset no longer lists (the feed
// saw its deletion only as a full resync) cannot be brought back by Learn
// from a stale read; a user a later Reset lists again can.
func TestLearnAfterResetDeletion(t *testing.T) {
	ix := New(false)
	ix.Reset([]store.UserState{user(1, "siva", true), user(2, "bob", true)})
	ix.Reset([]store.UserState{user(2, "bob", true)})
	ix.Learn(user(1, "siva", true))
	if _, ok := ix.Lookup(1); ok {
		t.Fatal("Learn resurrected a user a Reset reported gone")
	}
	ix.Reset([]store.UserState{user(1, "siva", true), user(2, "bob", true)})
	if _, ok := ix.Lookup(1); !ok {
		t.Fatal("a Reset listing the user again did not bring it back")
	}
}

// TestRevoke: a revocation applied locally raises NotBefore, adds the
// ended session once, and never lowers what the index holds.
func TestRevoke(t *testing.T) {
	ix := New(false)
	ix.Reset([]store.UserState{user(1, "siva", true)})
	ix.Revoke(1, 100, store.RevokedSession{ID: 7, Until: 200})
	ix.Revoke(1, 50, store.RevokedSession{ID: 7, Until: 200})
	st, _ := ix.Lookup(1)
	if st.NotBefore != 100 || len(st.Revoked) != 1 || !st.SessionRevoked(7) {
		t.Fatalf("after Revoke: %+v", st)
	}
	ix.Revoke(99, 100, store.RevokedSession{ID: 1}) // unknown user: nothing
	if ix.Len() != 1 {
		t.Fatal("Revoke added a user")
	}
}

// BenchmarkRevokedMemory reports the heap the index holds per ended
// session: 100,000 of them over 25,000 users (four each), against the same
// users with none (bench/RESULTS.md).
func BenchmarkRevokedMemory(b *testing.B) {
	const users, perUser = 25000, 4
	build := func(revoked bool) []store.UserState {
		all := make([]store.UserState, users)
		for i := range all {
			all[i] = store.UserState{ID: int64(i + 1), Username: fmt.Sprint("user", i), IsActive: true}
			if revoked {
				rs := make([]store.RevokedSession, perUser)
				for j := range rs {
					rs[j] = store.RevokedSession{ID: uint64(i*perUser + j + 1), Until: 1 << 40}
				}
				all[i].Revoked = rs
			}
		}
		return all
	}
	heap := func(revoked bool) uint64 {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		ix := New(false)
		ix.Reset(build(revoked))
		runtime.GC()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(ix)
		return after.HeapAlloc - before.HeapAlloc
	}
	for b.Loop() {
		with, without := heap(true), heap(false)
		b.ReportMetric(float64(with-without)/(users*perUser), "B/revoked-session")
		b.ReportMetric(float64(with-without)/(1<<20), "MiB/100k-sessions")
	}
}

// TestLoadErrorKeepsIndex: a list that ends in an error (the connection
// dropped mid-read) replaces nothing.
func TestLoadErrorKeepsIndex(t *testing.T) {
	ix := New(true)
	ix.Reset([]store.UserState{user(1, "siva", true)})
	ix.Load(func(yield func(store.UserState, error) bool) {
		if yield(user(2, "bob", true), nil) {
			yield(store.UserState{}, errors.New("connection reset"))
		}
	})
	if _, ok := ix.Lookup(1); !ok || ix.Len() != 1 {
		t.Errorf("a failed Load replaced the index (len %d)", ix.Len())
	}
	if _, ok := ix.Lookup(2); ok {
		t.Error("a failed Load added a user")
	}
	if _, ok := ix.LookupUsername("bob"); ok {
		t.Error("a failed Load added a name")
	}
}

// TestSparseIDs: ids outside the dense range (negative, huge, far beyond
// the directory) are found, moved into the directory when it grows to
// cover them, and counted once, whatever order Load sees them in.
func TestSparseIDs(t *testing.T) {
	ix := New(true)
	huge := int64(1) << 40
	far := int64(chunkSize) * 7000
	ix.Reset([]store.UserState{user(far, "far", true), user(huge, "huge", true), user(-3, "neg", true), user(0, "zero", true), user(3000*chunkSize, "mid", true)})
	check := func(when string, want map[int64]string) {
		t.Helper()
		for id, name := range want {
			if st, ok := ix.Lookup(id); !ok || st.ID != id || st.Username != name || !st.IsActive {
				t.Errorf("%s: Lookup(%d) = %+v, %v", when, id, st, ok)
			}
			if st, ok := ix.LookupUsername(name); !ok || st.ID != id {
				t.Errorf("%s: LookupUsername(%s) = %+v, %v", when, name, st, ok)
			}
		}
		if ix.Len() != len(want) {
			t.Errorf("%s: Len = %d, want %d", when, ix.Len(), len(want))
		}
	}
	want := map[int64]string{far: "far", huge: "huge", -3: "neg", 0: "zero", 3000 * chunkSize: "mid"}
	check("after Load", want)
	for _, id := range []int64{5000 * chunkSize, 6500 * chunkSize, huge + 1} {
		name := fmt.Sprint("u", id)
		ix.Update(id, user(id, name, true), true)
		want[id] = name
		check(fmt.Sprintf("after adding %d", id), want)
	}
	if _, ok := (*ix.other.Load())[far]; ok {
		t.Errorf("user %d still outside the directory after it grew past it", far)
	}
	ix.Update(huge, store.UserState{ID: huge}, false)
	delete(want, huge)
	ix.Update(-3, user(-3, "minus", false), true)
	want[-3] = "minus"
	if st, _ := ix.Lookup(-3); st.IsActive {
		t.Error("deactivation of a negative id not applied")
	}
	ix.Update(-3, user(-3, "minus", true), true)
	check("after changes", want)
}

// TestBytesPerUser: 200,000 users with usernames of 10 bytes hold well
// under the 270 bytes per user of a map of UserState (bench/RESULTS.md).
func TestBytesPerUser(t *testing.T) {
	const users = 200_000
	per := heapPerUser(users)
	t.Logf("%.1f bytes per user", per)
	if per > 40 {
		t.Errorf("the index holds %.1f bytes per user, want at most 40 (24 for the entry, 10 for the name)", per)
	}
}

// heapPerUser is the heap an index of n users (ids 1..n, names
// "u000000001") holds per user.
func heapPerUser(n int) float64 {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	ix := New(false)
	ix.Load(func(yield func(store.UserState, error) bool) {
		for i := int64(1); i <= int64(n); i++ {
			if !yield(store.UserState{ID: i, Username: fmt.Sprintf("u%09d", i), IsActive: true, NotBefore: 1_700_000_000}, nil) {
				return
			}
		}
	})
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(ix)
	return float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
}

// BenchmarkBytesPerUser reports the heap per user at a million users.
func BenchmarkBytesPerUser(b *testing.B) {
	for b.Loop() {
		b.ReportMetric(heapPerUser(1_000_000), "B/user")
	}
}

// TestPasswordFingerprint: the password fingerprint (CHECK_REVOKE_TOKEN)
// survives Load, Update and an edit of another user of the same chunk.
func TestPasswordFingerprint(t *testing.T) {
	ix := New(false)
	a, b := user(1, "siva", true), user(2, "bob", true)
	a.Password, b.Password = store.PasswordFingerprint("pbkdf2_sha256$1$a$x"), store.PasswordFingerprint("pbkdf2_sha256$1$b$y")
	ix.Reset([]store.UserState{a, b})
	if st, _ := ix.Lookup(1); st.Password != a.Password || st.Password == 0 {
		t.Fatalf("after Load: %x, want %x", st.Password, a.Password)
	}
	a.Password = store.PasswordFingerprint("pbkdf2_sha256$1$a$changed")
	ix.Update(1, a, true)
	b.IsActive = false
	ix.Update(2, b, true)
	if st, _ := ix.Lookup(1); st.Password != a.Password {
		t.Errorf("after Update: %x, want %x", st.Password, a.Password)
	}
	if st, _ := ix.Lookup(2); st.Password != b.Password {
		t.Errorf("another user's after an edit of the chunk: %x, want %x", st.Password, b.Password)
	}
}

// TestFreshness: Fresh never moves back, Stale compares with it without
// allocating, and FeedHealth records the feed's state.
func TestFreshness(t *testing.T) {
	ix := New(false)
	now := time.Unix(1_800_000_000, 0)
	if !ix.Stale(now, time.Hour) || !ix.FreshAt().IsZero() {
		t.Error("a never-confirmed index is not stale")
	}
	ix.Fresh(now.Add(-10 * time.Second))
	ix.Fresh(now.Add(-time.Minute)) // older: ignored
	if got := ix.FreshAt(); !got.Equal(now.Add(-10 * time.Second)) {
		t.Errorf("FreshAt = %v", got)
	}
	if ix.Stale(now, 10*time.Second) || !ix.Stale(now, 9*time.Second) {
		t.Error("Stale does not compare with the latest confirmation")
	}
	if n := testing.AllocsPerRun(100, func() { ix.Stale(now, time.Second) }); n != 0 {
		t.Errorf("Stale allocates %v times", n)
	}
	if ix.FeedDown() != nil {
		t.Error("a new index reports its feed down")
	}
	ix.FeedHealth(errors.New("triggers disabled"))
	if err := ix.FeedDown(); err == nil || err.Error() != "triggers disabled" {
		t.Errorf("FeedDown = %v", err)
	}
	ix.FeedHealth(nil)
	if ix.FeedDown() != nil {
		t.Error("FeedDown after recovery")
	}
}
