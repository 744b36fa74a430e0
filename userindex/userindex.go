// Package userindex keeps every user's state (exists, active, username,
// staff flags) in memory, so that the Bearer check answers "User not found"
// and "User is inactive" as simplejwt does without querying the database on
// each request. A store's WatchUsers keeps it in step with auth_user.
//
// Lookups take no lock and do not allocate: users are spread over shards,
// each an immutable map that a writer replaces whole (copy on write).
// Writes are rare (a registration, a deactivation) and serialised.
package userindex

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/jwtgate/jwtgate/store"
)

const shardCount = 256 // a power of two

type shard map[int64]store.UserState

// Index is the in-memory user table, keyed by user id. The zero value is
// not usable; call New.
type Index struct {
	shards [shardCount]atomic.Pointer[shard]
	// byName maps usernames to ids, for USER_ID_FIELD = "username". It is
	// replaced whole on every write, so it is only kept when asked for.
	byName   atomic.Pointer[map[string]int64]
	withName bool

	mu sync.Mutex // serialises writers
	// deleted remembers when users were deleted, so that Learn cannot
	// bring back a user the feed reported gone. Guarded by mu.
	deleted map[int64]time.Time
	ready   chan struct{}
	once    sync.Once
	loaded  atomic.Bool
	size    atomic.Int64
	err     atomic.Pointer[errBox]
}

type errBox struct{ err error }

// New returns an empty index. With byUsername it can also be searched by
// username (LookupUsername), at the cost of a copy of the name map per
// write.
func New(byUsername bool) *Index {
	ix := &Index{withName: byUsername, ready: make(chan struct{}), deleted: map[int64]time.Time{}}
	empty := shard{}
	for i := range ix.shards {
		ix.shards[i].Store(&empty)
	}
	names := map[string]int64{}
	ix.byName.Store(&names)
	return ix
}

func shardOf(id int64) int { return int(uint64(id) & (shardCount - 1)) }

// Lookup returns the state of the user with this id; ok is false when no
// such user exists.
func (ix *Index) Lookup(id int64) (st store.UserState, ok bool) {
	st, ok = (*ix.shards[shardOf(id)].Load())[id]
	return st, ok
}

// LookupUsername returns the state of the user with exactly this username.
// It panics unless the index was made with byUsername.
func (ix *Index) LookupUsername(name string) (store.UserState, bool) {
	if !ix.withName {
		panic("userindex: LookupUsername on an index made without byUsername")
	}
	id, ok := (*ix.byName.Load())[name]
	if !ok {
		return store.UserState{}, false
	}
	return ix.Lookup(id)
}

// Len returns how many users the index holds.
func (ix *Index) Len() int { return int(ix.size.Load()) }

// Ready is closed once the index has been filled by a first Reset.
func (ix *Index) Ready() <-chan struct{} { return ix.ready }

// Loaded reports whether the index has been filled by a first Reset. Until
// then it cannot tell an unknown user from one not loaded yet.
func (ix *Index) Loaded() bool { return ix.loaded.Load() }

// Reset replaces the whole index with all. It implements
// store.UserWatcher.
func (ix *Index) Reset(all []store.UserState) {
	var parts [shardCount]shard
	for i := range parts {
		parts[i] = shard{}
	}
	names := make(map[string]int64, len(all))
	present := make(map[int64]bool, len(all))
	for _, st := range all {
		present[st.ID] = true
		parts[shardOf(st.ID)][st.ID] = st
		if ix.withName {
			names[st.Username] = st.ID
		}
	}
	ix.mu.Lock()
	// A user a Reset no longer lists was deleted, however the feed saw it
	// (a missed notification, a full resync): remember it, so that Learn
	// cannot bring it back from a stale read.
	now := time.Now()
	for i := range ix.shards {
		for id := range *ix.shards[i].Load() {
			if !present[id] {
				ix.deleted[id] = now
			}
		}
	}
	for id := range present {
		delete(ix.deleted, id)
	}
	for i := range parts {
		p := parts[i]
		ix.shards[i].Store(&p)
	}
	if ix.withName {
		ix.byName.Store(&names)
	}
	ix.size.Store(int64(len(all)))
	ix.mu.Unlock()
	ix.err.Store(nil)
	ix.loaded.Store(true)
	ix.once.Do(func() { close(ix.ready) })
}

// Update records one user's state, or its deletion when exists is false.
// It implements store.UserWatcher.
func (ix *Index) Update(id int64, st store.UserState, exists bool) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if exists {
		delete(ix.deleted, id)
	} else {
		ix.deleted[id] = time.Now()
	}
	ix.set(id, st, exists)
}

// tombstoneTTL is how long a deletion blocks Learn: longer than any
// store's periodic full resync, after which the feed is authoritative
// anyway.
const tombstoneTTL = 15 * time.Minute

// Learn adds a user state read from the database outside the feed (a login
// just read it), so that tokens this gateway issues work at once, before
// the feed reports a user another process created. It only adds a user the
// index does not know and did not see deleted recently, so a stale read
// can never undo a newer change the feed delivered.
func (ix *Index) Learn(st store.UserState) {
	if _, ok := ix.Lookup(st.ID); ok {
		return
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	now := time.Now()
	for id, at := range ix.deleted {
		if now.Sub(at) > tombstoneTTL {
			delete(ix.deleted, id)
		}
	}
	if _, gone := ix.deleted[st.ID]; gone {
		return
	}
	if _, ok := (*ix.shards[shardOf(st.ID)].Load())[st.ID]; ok {
		return
	}
	ix.set(st.ID, st, true)
}

// set writes one entry; ix.mu must be held.
func (ix *Index) set(id int64, st store.UserState, exists bool) {
	sp := &ix.shards[shardOf(id)]
	old := *sp.Load()
	prev, had := old[id]
	if exists && had && prev.Equal(st) {
		return
	}
	if !exists && !had {
		return
	}
	next := make(shard, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	if exists {
		next[id] = st
	} else {
		delete(next, id)
	}
	sp.Store(&next)
	switch {
	case exists && !had:
		ix.size.Add(1)
	case !exists && had:
		ix.size.Add(-1)
	}
	if ix.withName && (!had || !exists || prev.Username != st.Username) {
		oldNames := *ix.byName.Load()
		names := make(map[string]int64, len(oldNames)+1)
		for k, v := range oldNames {
			names[k] = v
		}
		if had && names[prev.Username] == id {
			delete(names, prev.Username)
		}
		if exists {
			names[st.Username] = id
		}
		ix.byName.Store(&names)
	}
}

// Revoke applies a revocation this process has just committed, before the
// change feed reports it, so that the instance that revokes enforces it
// on its next request: it raises the user's NotBefore to at least
// notBefore and adds the ended session, if any (ended.ID != 0). The feed's
// next report of the user replaces it with the database's state.
func (ix *Index) Revoke(id int64, notBefore int64, ended store.RevokedSession) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	st, ok := (*ix.shards[shardOf(id)].Load())[id]
	if !ok {
		return
	}
	st.NotBefore = max(st.NotBefore, notBefore)
	if ended.ID != 0 && !st.SessionRevoked(ended.ID) {
		st.Revoked = append(append(make([]store.RevokedSession, 0, len(st.Revoked)+1), st.Revoked...), ended)
	}
	ix.set(id, st, true)
}

// Error records a failure of the feed that keeps the index current. It
// implements store.UserWatcher.
func (ix *Index) Error(err error) { ix.err.Store(&errBox{err}) }

// Err returns the last feed failure since the last Reset, or nil.
func (ix *Index) Err() error {
	if b := ix.err.Load(); b != nil {
		return b.err
	}
	return nil
}

var _ store.UserWatcher = (*Index)(nil)
