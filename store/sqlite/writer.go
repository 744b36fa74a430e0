package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	sqlite3 "modernc.org/sqlite/lib"
)

// SQLite has one writer at a time, and most of a small write transaction's
// cost is its commit (writing its pages to the WAL). The process's write
// transactions therefore queue here and are committed in groups: the
// first writer to find nobody committing leads, runs every queued
// transaction in one database transaction, each in a savepoint of its own
// (so one that fails is rolled back alone), commits, and wakes them; it
// goes on with the next group until its own is committed, then hands the
// lead to the first writer still waiting. A writer thus waits for the one
// before it in Go, not in SQLite's busy handler (which sleeps in steps of
// milliseconds), and meets that handler only when another process holds
// the lock. Each caller's statements run with its own context.

// writeQueue is the process's queue of write transactions.
type writeQueue struct {
	mu     sync.Mutex
	queue  []*write
	active bool // a leader is committing groups
}

// write is one caller's transaction in the queue.
type write struct {
	ctx   context.Context
	fn    func(*txn) error
	err   error
	state atomic.Int32
	wake  chan struct{} // (capacity 1) committed, or chosen to lead
}

// The states of a write.
const (
	writeQueued    int32 = iota
	writeLeading         // chosen to commit the next group
	writeTaken           // in the group being committed
	writeDone            // committed, or failed with err
	writeAbandoned       // its context ended before a group took it
)

// maxGroup bounds a group, so it holds the write lock for a bounded time.
const maxGroup = 64

// inTx runs fn in a write transaction (BEGIN IMMEDIATE) and commits it, or
// rolls it back when fn fails, committed in a group with the process's
// other writes (see writeQueue). Statements run through the txn prepared
// (see txn). Waiting for the write lock ends with ctx or after BusyTimeout.
func (s *Store) inTx(ctx context.Context, fn func(*txn) error) error {
	w := &write{ctx: ctx, fn: fn, wake: make(chan struct{}, 1)}
	q := &s.writes
	q.mu.Lock()
	q.queue = append(q.queue, w)
	lead := !q.active
	if lead {
		q.active = true
		w.state.Store(writeLeading)
	}
	q.mu.Unlock()
	if !lead {
		select {
		case <-w.wake:
		case <-ctx.Done():
			if w.state.CompareAndSwap(writeQueued, writeAbandoned) {
				return fmt.Errorf("%w while waiting for the write lock", ctx.Err())
			}
			<-w.wake // taken into a group, or chosen to lead
		}
		if w.state.Load() == writeDone {
			return w.err
		}
	}
	for w.state.Load() != writeDone {
		s.commitGroup(q.take())
	}
	q.handOver()
	return w.err
}

// take removes the next group from the queue.
func (q *writeQueue) take() []*write {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := min(len(q.queue), maxGroup)
	group := make([]*write, 0, n)
	for _, w := range q.queue[:n] {
		if w.state.CompareAndSwap(writeQueued, writeTaken) || w.state.CompareAndSwap(writeLeading, writeTaken) {
			group = append(group, w)
		}
	}
	q.queue = q.queue[n:]
	return group
}

// handOver makes the first write still waiting the leader, or marks the
// queue idle.
func (q *writeQueue) handOver() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for ; len(q.queue) > 0; q.queue = q.queue[1:] {
		if next := q.queue[0]; next.state.CompareAndSwap(writeQueued, writeLeading) {
			next.wake <- struct{}{}
			return
		}
	}
	q.active = false
}

// commitGroup runs the group's transactions in one database transaction
// and commits it, then marks each done and wakes it.
func (s *Store) commitGroup(group []*write) {
	var missed []string
	err := s.runGroup(group, &missed)
	for _, w := range group {
		if w.err == nil {
			w.err = err
		}
		w.state.Store(writeDone)
		w.wake <- struct{}{}
	}
	for _, q := range missed {
		s.prepared(context.Background(), q) // one that does not prepare stays unprepared
	}
}

// runGroup is commitGroup's transaction. It sets each write's err to fn's
// and returns the error that fails them all (none: committed).
func (s *Store) runGroup(group []*write, missed *[]string) error {
	if len(group) == 0 {
		return nil
	}
	tx, err := s.begin(group)
	if err != nil {
		return err
	}
	savepoints := len(group) > 1
	for _, w := range group {
		t := &txn{Tx: tx, s: s}
		if savepoints {
			if _, err := tx.Exec(`SAVEPOINT "write"`); err != nil {
				tx.Rollback()
				return err
			}
		}
		w.err = w.fn(t)
		*missed = append(*missed, t.missed...)
		switch {
		case w.err != nil && !savepoints:
			tx.Rollback()
			return nil
		case w.err != nil:
			if _, err := tx.Exec(`ROLLBACK TO "write"`); err != nil {
				tx.Rollback()
				return err
			}
			fallthrough
		case savepoints:
			if _, err := tx.Exec(`RELEASE "write"`); err != nil {
				tx.Rollback()
				return err
			}
		}
	}
	return tx.Commit()
}

// begin starts the group's write transaction, waiting for another
// process's write lock (in SQLite's busy handler, then in Go) for at most
// BusyTimeout, and no longer once every writer of the group has given up.
func (s *Store) begin(group []*write) (*sql.Tx, error) {
	deadline := time.Now().Add(s.opts.BusyTimeout)
	for {
		tx, err := s.db.BeginTx(context.Background(), nil)
		if errCode(err)&0xff != sqlite3.SQLITE_BUSY || !time.Now().Before(deadline) || !waiting(group) {
			return tx, err
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waiting reports whether a writer of the group still waits.
func waiting(group []*write) bool {
	for _, w := range group {
		if w.ctx.Err() == nil {
			return true
		}
	}
	return false
}

// exec runs one write statement as a transaction of its own (see inTx).
func (s *Store) exec(ctx context.Context, query string, args ...any) (res sql.Result, err error) {
	err = s.inTx(ctx, func(t *txn) error {
		res, err = t.ExecContext(ctx, query, args...)
		return err
	})
	return res, err
}
