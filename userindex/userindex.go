// Package userindex keeps every user's state (exists, active, username,
// staff flags, revocation) in memory, so that the Bearer check answers
// "User not found" and "User is inactive" as simplejwt does without
// querying the database on each request. A store's WatchUsers keeps it in
// step with auth_user.
//
// # Layout
//
// Django numbers users from a sequence, so ids are dense: the index is a
// directory of chunks, each holding 256 consecutive ids as fixed-size
// entries (24 bytes: flags, not-before, password fingerprint, where the
// username is) and the usernames of the chunk concatenated in one string.
// A user costs its entry and its username's bytes; ended sessions, which
// few users have, live in a small map of the chunk. Ids far outside the dense range (hand
// inserted, negative) go to a small map of their own.
//
// Lookups take no lock and do not allocate: a chunk is immutable once
// published, and a writer replaces one chunk (about 4 KiB and its names)
// through an atomic pointer. Writes are rare (a registration, a
// deactivation) and serialised. Load builds a whole new directory from a
// stream of users without holding the old one's users twice in another
// form.
//
// To keep another per-user field, add it to entry (keeping it fixed-size)
// and to entryOf and state.
package userindex

import (
	"hash/maphash"
	"iter"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jwtgate/jwtgate/store"
)

const (
	chunkBits = 8
	chunkSize = 1 << chunkBits
	chunkMask = chunkSize - 1
	// minDenseChunks is how many chunks the directory may always grow
	// to (ids below 1,048,576); beyond that an id joins the directory
	// only when it is within twice the directory's length, so that a
	// single huge id cannot make it huge.
	minDenseChunks = 4096
	// nameShards is the number of copy-on-write maps of the username
	// lookup (a power of two).
	nameShards = 256
)

// Flags of an entry.
const (
	fExists uint8 = 1 << iota
	fActive
	fStaff
	fSuperuser
)

// entry is one user's state in its chunk; its id is the chunk's base plus
// its slot.
type entry struct {
	notBefore int64
	password  uint64 // store.UserState.Password, for CHECK_REVOKE_TOKEN
	nameOff   uint32 // offset of the username in chunk.names
	nameLen   uint16 // Django's 150 characters are at most 600 bytes
	flags     uint8
}

// chunk holds the users with ids base..base+255. It is never modified
// once published.
type chunk struct {
	entries [chunkSize]entry
	names   string
	// revoked holds the ended sessions of the users that have any, by
	// slot; nil when none has.
	revoked map[uint8][]store.RevokedSession
	n       int // users present
}

// state returns the user in slot i as a UserState, without allocating:
// Username is a substring of c.names and Revoked is shared.
func (c *chunk) state(base int64, i int) store.UserState {
	e := &c.entries[i]
	return store.UserState{
		ID:          base + int64(i),
		Username:    c.names[e.nameOff : e.nameOff+uint32(e.nameLen)],
		IsActive:    e.flags&fActive != 0,
		IsStaff:     e.flags&fStaff != 0,
		IsSuperuser: e.flags&fSuperuser != 0,
		NotBefore:   e.notBefore,
		Password:    e.password,
		Revoked:     c.revoked[uint8(i)], // nil from a nil map
	}
}

// entryOf is st as an entry whose username is at off in the names.
func entryOf(st store.UserState, off int) entry {
	e := entry{notBefore: st.NotBefore, password: st.Password, nameOff: uint32(off), nameLen: uint16(len(st.Username)), flags: fExists}
	if st.IsActive {
		e.flags |= fActive
	}
	if st.IsStaff {
		e.flags |= fStaff
	}
	if st.IsSuperuser {
		e.flags |= fSuperuser
	}
	return e
}

// chunkBuilder collects a chunk's users before it is published.
type chunkBuilder struct {
	c     *chunk
	names []byte
}

// put adds or replaces (exists) or removes the user in slot i.
func (b *chunkBuilder) put(i int, st store.UserState, exists bool) {
	c := b.c
	switch had := c.entries[i].flags&fExists != 0; {
	case exists && !had:
		c.n++
	case !exists && had:
		c.n--
	}
	delete(c.revoked, uint8(i))
	if !exists {
		c.entries[i] = entry{}
		return
	}
	c.entries[i] = entryOf(st, len(b.names))
	b.names = append(b.names, st.Username...)
	if len(st.Revoked) > 0 {
		if c.revoked == nil {
			c.revoked = map[uint8][]store.RevokedSession{}
		}
		c.revoked[uint8(i)] = st.Revoked
	}
}

// finish publishes the chunk: its names become one string.
func (b *chunkBuilder) finish() *chunk {
	b.c.names = string(b.names)
	if len(b.c.revoked) == 0 {
		b.c.revoked = nil
	}
	return b.c
}

// edit returns a builder that starts as a copy of c (nil: empty), with
// the names compacted (a replaced username's old bytes dropped).
func edit(c *chunk) *chunkBuilder {
	b := &chunkBuilder{c: &chunk{}}
	if c == nil {
		return b
	}
	b.c.n, b.c.revoked = c.n, maps.Clone(c.revoked)
	b.names = make([]byte, 0, len(c.names)+32)
	for i := range c.entries {
		e := c.entries[i]
		if e.flags&fExists != 0 {
			name := c.names[e.nameOff : e.nameOff+uint32(e.nameLen)]
			e.nameOff = uint32(len(b.names))
			b.names = append(b.names, name...)
		}
		b.c.entries[i] = e
	}
	return b
}

// directory is the chunk pointers; chunk i holds ids i*256..i*256+255. A
// writer swaps one pointer in place; only growth replaces the directory.
type directory []atomic.Pointer[chunk]

// Index is the in-memory user table, keyed by user id. The zero value is
// not usable; call New.
type Index struct {
	dir atomic.Pointer[directory]
	// other holds the users whose ids are outside the directory; it is
	// replaced whole on a write, and is normally empty.
	other atomic.Pointer[map[int64]store.UserState]
	// byName maps usernames to ids, for USER_ID_FIELD = "username", in
	// shards by hash that a writer replaces one at a time. It is only kept
	// when asked for.
	byName   [nameShards]atomic.Pointer[map[string]int64]
	seed     maphash.Seed
	withName bool

	mu sync.Mutex // serialises writers
	// deleted remembers when users were deleted, so that Learn cannot
	// bring back a user the feed reported gone. Guarded by mu.
	deleted map[int64]time.Time
	ready   chan struct{}
	once    sync.Once
	loaded  atomic.Bool
	size    atomic.Int64
	err     atomic.Pointer[error]
	// fresh is when the contents were last confirmed current (Unix
	// nanoseconds; 0: never), feedDown why the push feed is down (nil: it
	// works). See store.FeedObserver.
	fresh    atomic.Int64
	feedDown atomic.Pointer[error]
}

// New returns an empty index. With byUsername it can also be searched by
// username (LookupUsername), at the cost of a map of names and a copy of
// one of its 256 shards per write.
func New(byUsername bool) *Index {
	ix := &Index{withName: byUsername, ready: make(chan struct{}), deleted: map[int64]time.Time{}, seed: maphash.MakeSeed()}
	ix.dir.Store(&directory{})
	ix.other.Store(&map[int64]store.UserState{})
	if byUsername {
		for i := range ix.byName {
			ix.byName[i].Store(&map[string]int64{})
		}
	}
	return ix
}

// Lookup returns the state of the user with this id; ok is false when no
// such user exists. It does not allocate.
func (ix *Index) Lookup(id int64) (st store.UserState, ok bool) {
	d := *ix.dir.Load()
	if ci := uint64(id) >> chunkBits; ci < uint64(len(d)) {
		c := d[ci].Load()
		if c == nil || c.entries[id&chunkMask].flags&fExists == 0 {
			return store.UserState{}, false
		}
		return c.state(id&^chunkMask, int(id&chunkMask)), true
	}
	st, ok = (*ix.other.Load())[id]
	return st, ok
}

// LookupUsername returns the state of the user with exactly this username.
// It panics unless the index was made with byUsername.
func (ix *Index) LookupUsername(name string) (store.UserState, bool) {
	if !ix.withName {
		panic("userindex: LookupUsername on an index made without byUsername")
	}
	id, ok := (*ix.byName[ix.nameShard(name)].Load())[name]
	if !ok {
		return store.UserState{}, false
	}
	return ix.Lookup(id)
}

func (ix *Index) nameShard(name string) int {
	return int(maphash.String(ix.seed, name) & (nameShards - 1))
}

// Len returns how many users the index holds.
func (ix *Index) Len() int { return int(ix.size.Load()) }

// Ready is closed once the index has been filled by a first Load.
func (ix *Index) Ready() <-chan struct{} { return ix.ready }

// Loaded reports whether the index has been filled by a first Load. Until
// then it cannot tell an unknown user from one not loaded yet.
func (ix *Index) Loaded() bool { return ix.loaded.Load() }

// Reset replaces the whole index with all (Load from a slice).
func (ix *Index) Reset(all []store.UserState) {
	ix.Load(func(yield func(store.UserState, error) bool) {
		for _, st := range all {
			if !yield(st, nil) {
				return
			}
		}
	})
}

// dense reports whether chunk ci belongs in a directory of n chunks, or
// may grow it.
func dense(id int64, n int) bool {
	ci := uint64(id) >> chunkBits
	return id >= 0 && (ci < uint64(n) || ci < max(minDenseChunks, 2*uint64(n)))
}

// Load replaces the whole index with the users all yields, in any order.
// When all yields an error the list was not read whole, and the index
// keeps what it held. It implements store.UserWatcher.
func (ix *Index) Load(all iter.Seq2[store.UserState, error]) {
	var builders []*chunkBuilder
	other := map[int64]store.UserState{}
	put := func(st store.UserState) {
		ci := int(st.ID >> chunkBits)
		if builders[ci] == nil {
			builders[ci] = &chunkBuilder{c: &chunk{}, names: make([]byte, 0, 16*chunkSize)}
		}
		builders[ci].put(int(st.ID&chunkMask), st, true)
	}
	for st, err := range all {
		if err != nil {
			return
		}
		if !dense(st.ID, len(builders)) {
			other[st.ID] = st
			continue
		}
		if ci := int(st.ID >> chunkBits); ci >= len(builders) {
			builders = slices.Grow(builders, ci+1-len(builders))[:ci+1]
		}
		put(st)
	}
	// Ids that came before the ones that made the range grow join it now.
	for id, st := range other {
		if id >= 0 && id>>chunkBits < int64(len(builders)) {
			put(st)
			delete(other, id)
		}
	}
	d := make(directory, len(builders))
	n := int64(len(other))
	for i, b := range builders {
		if b != nil {
			c := b.finish()
			n += int64(c.n)
			d[i].Store(c)
			builders[i] = nil
		}
	}
	var names [nameShards]map[string]int64
	if ix.withName {
		for i := range names {
			names[i] = map[string]int64{}
		}
		for st := range users(d, other) {
			names[ix.nameShard(st.Username)][st.Username] = st.ID
		}
	}
	fresh := &Index{}
	fresh.dir.Store(&d)
	fresh.other.Store(&other)

	ix.mu.Lock()
	// A user the new list no longer holds was deleted, however the feed
	// saw it (a missed notification, a full resync): remember it, so that
	// Learn cannot bring it back from a stale read.
	now := time.Now()
	for st := range users(*ix.dir.Load(), *ix.other.Load()) {
		if _, ok := fresh.Lookup(st.ID); !ok {
			ix.deleted[st.ID] = now
		}
	}
	maps.DeleteFunc(ix.deleted, func(id int64, _ time.Time) bool {
		_, ok := fresh.Lookup(id)
		return ok
	})
	ix.dir.Store(&d)
	ix.other.Store(&other)
	if ix.withName {
		for i := range names {
			ix.byName[i].Store(&names[i])
		}
	}
	ix.size.Store(n)
	ix.mu.Unlock()
	ix.err.Store(nil)
	ix.loaded.Store(true)
	ix.once.Do(func() { close(ix.ready) })
}

// users yields every user of a directory and its map of other ids.
func users(d directory, other map[int64]store.UserState) iter.Seq[store.UserState] {
	return func(yield func(store.UserState) bool) {
		for i := range d {
			if c := d[i].Load(); c != nil {
				for s := range c.entries {
					if c.entries[s].flags&fExists != 0 && !yield(c.state(int64(i)<<chunkBits, s)) {
						return
					}
				}
			}
		}
		for _, st := range other {
			if !yield(st) {
				return
			}
		}
	}
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
	maps.DeleteFunc(ix.deleted, func(_ int64, at time.Time) bool { return now.Sub(at) > tombstoneTTL })
	if _, gone := ix.deleted[st.ID]; gone {
		return
	}
	if _, ok := ix.Lookup(st.ID); ok {
		return
	}
	ix.set(st.ID, st, true)
}

// set writes one entry, replacing one chunk (or the small map of other
// ids); ix.mu must be held.
func (ix *Index) set(id int64, st store.UserState, exists bool) {
	st.ID = id
	prev, had := ix.Lookup(id)
	if exists && had && prev.Equal(st) || !exists && !had {
		return
	}
	d := *ix.dir.Load()
	switch {
	case dense(id, len(d)):
		ci := int(id >> chunkBits)
		if ci >= len(d) {
			d = ix.grow(ci + 1)
		}
		b := edit(d[ci].Load())
		b.put(int(id&chunkMask), st, exists)
		c := b.finish()
		if c.n == 0 {
			c = nil
		}
		d[ci].Store(c)
	default:
		next := copied(*ix.other.Load(), id, st, exists)
		ix.other.Store(&next)
	}
	switch {
	case exists && !had:
		ix.size.Add(1)
	case !exists && had:
		ix.size.Add(-1)
	}
	if ix.withName && (!had || !exists || prev.Username != st.Username) {
		if had {
			ix.setName(prev.Username, id, false)
		}
		if exists {
			ix.setName(st.Username, id, true)
		}
	}
}

// grow replaces the directory with one of at least n chunks (doubling, so
// that registrations at the end of the id range grow it rarely), moving in
// the users of other it now covers; ix.mu must be held.
func (ix *Index) grow(n int) directory {
	old := *ix.dir.Load()
	d := make(directory, max(n, 2*len(old)))
	for i := range old {
		d[i].Store(old[i].Load())
	}
	// The users of other the new directory covers move into it before it
	// is published, and out of other after: a reader finds them in either.
	next := map[int64]store.UserState{}
	for id, st := range *ix.other.Load() {
		if id < 0 || uint64(id)>>chunkBits >= uint64(len(d)) {
			next[id] = st
			continue
		}
		b := edit(d[id>>chunkBits].Load())
		b.put(int(id&chunkMask), st, true)
		d[id>>chunkBits].Store(b.finish())
	}
	ix.dir.Store(&d)
	ix.other.Store(&next)
	return d
}

// setName adds or removes name → id in its shard, copying that shard;
// ix.mu must be held.
func (ix *Index) setName(name string, id int64, add bool) {
	sp := &ix.byName[ix.nameShard(name)]
	old := *sp.Load()
	if !add && old[name] != id {
		return
	}
	next := copied(old, name, id, add)
	sp.Store(&next)
}

// copied returns a copy of m with k set to v (add) or removed.
func copied[K comparable, V any](m map[K]V, k K, v V, add bool) map[K]V {
	next := maps.Clone(m)
	if add {
		next[k] = v
	} else {
		delete(next, k)
	}
	return next
}

// Revoke applies a revocation this process has just committed, before the
// change feed reports it, so that the instance that revokes enforces it
// on its next request: it raises the user's NotBefore to at least
// notBefore and adds the ended session, if any (ended.ID != 0). The feed's
// next report of the user replaces it with the database's state.
func (ix *Index) Revoke(id int64, notBefore int64, ended store.RevokedSession) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	st, ok := ix.Lookup(id)
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
func (ix *Index) Error(err error) { ix.err.Store(&err) }

// Err returns the last feed failure since the last Load, or nil.
func (ix *Index) Err() error { return loadErr(&ix.err) }

func loadErr(p *atomic.Pointer[error]) error {
	if e := p.Load(); e != nil {
		return *e
	}
	return nil
}

// Fresh records that every change committed before at is in the index.
// It never moves the time back. It implements store.FeedObserver.
func (ix *Index) Fresh(at time.Time) {
	n := at.UnixNano()
	for {
		old := ix.fresh.Load()
		if n <= old || ix.fresh.CompareAndSwap(old, n) {
			return
		}
	}
}

// FreshAt returns when the index was last confirmed current; the zero
// time when it never was.
func (ix *Index) FreshAt() time.Time {
	if n := ix.fresh.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

// Stale reports whether, at now, the index was last confirmed current
// more than max ago (or never). It is an atomic load and a comparison, for
// the Bearer check: it does not allocate.
func (ix *Index) Stale(now time.Time, max time.Duration) bool {
	return now.UnixNano()-ix.fresh.Load() > int64(max)
}

// FeedHealth records whether the push feed works (nil) or why it does not.
// It implements store.FeedObserver.
func (ix *Index) FeedHealth(err error) { ix.feedDown.Store(&err) }

// FeedDown returns why the push feed is down, or nil while it works.
func (ix *Index) FeedDown() error { return loadErr(&ix.feedDown) }

var (
	_ store.UserWatcher  = (*Index)(nil)
	_ store.FeedObserver = (*Index)(nil)
)
