package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jwtgate/jwtgate/store"
)

const (
	// maxBackoff caps the wait between retries after an error.
	maxBackoff = 2 * time.Second
	// maxFeedBatch is the number of pending changes beyond which a full
	// Load is cheaper than reading the feed.
	maxFeedBatch = 10000
)

// WatchUsers keeps w in step with auth_user until ctx ends, and then
// returns ctx.Err(). It runs in the caller's goroutine and starts none of
// its own; it calls w from that goroutine only.
//
// It first reads every user (w.Load) and remembers the position of the
// change feed. Then, every PollInterval, it asks its own connection for
// PRAGMA data_version; when another connection has committed since, it
// reads the new feed rows and calls w.Update for each user they name, with
// the user's state at that moment (exists false when it is gone). Every
// ResyncInterval, when the feed has a gap (rows pruned before this watcher
// read them), and once the database answers again after an error, it does
// a full Load instead. Errors are reported to w.Error and retried with a
// backoff of up to about two seconds. A store.FeedObserver is told after
// each successful poll that it is fresh as of the poll's start.
func (s *Store) WatchUsers(ctx context.Context, w store.UserWatcher) error {
	f := &feed{s: s, w: w}
	defer f.disconnect()
	obs, _ := w.(store.FeedObserver)
	var backoff time.Duration
	for {
		start := time.Now()
		err := f.step(ctx)
		if err == nil && f.synced && obs != nil {
			// Every commit before start has been read.
			obs.Fresh(start)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		wait := s.opts.PollInterval
		if err != nil {
			w.Error(err)
			f.disconnect()
			backoff = min(max(2*backoff, s.opts.PollInterval), max(maxBackoff, s.opts.PollInterval))
			wait = backoff
		} else {
			backoff = 0
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-timer.C:
		}
	}
}

// feed is the state of one WatchUsers call.
type feed struct {
	s *Store
	w store.UserWatcher

	// db is a one-connection pool of the watcher's own, and conn that
	// connection, pinned: PRAGMA data_version compares commits with the
	// connection's previous call, so it must always be the same one.
	db   *sql.DB
	conn *sql.Conn

	synced    bool  // a Load succeeded since the start or the last error
	cursor    int64 // the last feed seq w has seen
	version   int64 // data_version when the feed was last read
	lastReset time.Time
	lastPrune time.Time
}

func (f *feed) connect(ctx context.Context) error {
	if f.conn != nil {
		return nil
	}
	db, err := sql.Open(driverName, f.s.dsn)
	if err != nil {
		return fmt.Errorf("sqlite: watching users: %w", err)
	}
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return fmt.Errorf("sqlite: watching users: connecting to %s: %w", f.s.opts.Path, err)
	}
	f.db, f.conn = db, conn
	return nil
}

// disconnect drops the watcher's connection so that the next step starts
// on a fresh one.
func (f *feed) disconnect() {
	if f.conn != nil {
		f.conn.Close()
		f.db.Close()
		f.conn, f.db = nil, nil
	}
	f.synced = false
}

// step brings w up to date once.
func (f *feed) step(ctx context.Context) error {
	if err := f.connect(ctx); err != nil {
		return err
	}
	if !f.synced || time.Since(f.lastReset) >= f.s.opts.ResyncInterval {
		return f.reset(ctx)
	}
	v, err := f.dataVersion(ctx)
	if err != nil {
		return err
	}
	if v != f.version {
		if err := f.readChanges(ctx, v); err != nil {
			return err
		}
	}
	if time.Since(f.lastPrune) >= f.s.pruneEvery {
		if err := f.prune(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (f *feed) dataVersion(ctx context.Context) (int64, error) {
	var v int64
	if err := f.conn.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("sqlite: watching users: reading data_version: %w", err)
	}
	return v, nil
}

// reset hands w every user, read in one snapshot with the feed position
// and streamed from the rows as w.Load reads them.
func (f *feed) reset(ctx context.Context) error {
	// data_version is read before the snapshot, so a commit that the
	// snapshot misses changes it and is picked up by the next step.
	v, err := f.dataVersion(ctx)
	if err != nil {
		return err
	}
	var seq int64
	err = f.read(ctx, func(tx *sql.Tx) error {
		if seq, err = lastSeq(ctx, tx); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, stateQuery(`ORDER BY u."id"`))
		if err != nil {
			return err
		}
		defer rows.Close()
		var readErr error
		f.w.Load(store.Rows(rows.Next, func() (st store.UserState, err error) {
			st, err = scanState(rows)
			readErr = cmp.Or(readErr, err)
			return st, err
		}, rows.Err))
		return cmp.Or(readErr, rows.Err(), rows.Close())
	})
	if err != nil {
		return fmt.Errorf("sqlite: watching users: reading auth_user (has the database been migrated?): %w", err)
	}
	f.cursor, f.version, f.synced, f.lastReset = seq, v, true, time.Now()
	return nil
}

// readChanges calls w.Update for the users named by the feed rows after
// the cursor. v is the data_version read before.
func (f *feed) readChanges(ctx context.Context, v int64) error {
	type change struct {
		id     int64
		st     store.UserState
		exists bool
	}
	var (
		changes []change
		hi      int64
		gap     bool
	)
	err := f.read(ctx, func(tx *sql.Tx) error {
		var err error
		if hi, err = lastSeq(ctx, tx); err != nil || hi == f.cursor {
			return err
		}
		if hi < f.cursor || hi-f.cursor > maxFeedBatch {
			gap = true
			return nil
		}
		rows, err := tx.QueryContext(ctx, `SELECT "user_id" FROM "jwtgate_user_change" WHERE "seq" > ? AND "seq" <= ? ORDER BY "seq"`, f.cursor, hi)
		ids, err := collect(rows, err, func(r rowScanner) (id int64, err error) { return id, r.Scan(&id) })
		// seq comes from AUTOINCREMENT and so has no holes; fewer rows
		// than that means some were pruned before we read them.
		if gap = int64(len(ids)) != hi-f.cursor; err != nil || gap {
			return err
		}
		seen := map[int64]bool{}
		for _, id := range ids {
			if seen[id] {
				continue
			}
			seen[id] = true
			st, err := scanState(tx.QueryRowContext(ctx, stateQuery(`WHERE u."id" = ?`), id))
			switch {
			case errors.Is(err, sql.ErrNoRows):
				changes = append(changes, change{id: id, st: store.UserState{ID: id}})
			case err != nil:
				return err
			default:
				changes = append(changes, change{id: id, st: st, exists: true})
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: watching users: reading the change feed (has the database been migrated?): %w", err)
	}
	if gap {
		return f.reset(ctx)
	}
	f.cursor, f.version = hi, v
	for _, c := range changes {
		f.w.Update(c.id, c.st, c.exists)
	}
	return nil
}

// prune deletes feed rows older than pruneAge.
func (f *feed) prune(ctx context.Context) error {
	modifier := fmt.Sprintf("-%.3f seconds", f.s.pruneAge.Seconds())
	if _, err := f.conn.ExecContext(ctx, `DELETE FROM "jwtgate_user_change" WHERE "changed_at" < strftime('%Y-%m-%d %H:%M:%f', 'now', ?)`, modifier); err != nil {
		return fmt.Errorf("sqlite: watching users: pruning the change feed: %w", err)
	}
	f.lastPrune = time.Now()
	return nil
}

// read runs fn in a read-only (deferred) transaction, one consistent
// snapshot of the database.
func (f *feed) read(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := f.conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// lastSeq is the highest seq the feed ever handed out (0 if none).
func lastSeq(ctx context.Context, tx *sql.Tx) (int64, error) {
	var seq int64
	err := tx.QueryRowContext(ctx, `SELECT "seq" FROM "sqlite_sequence" WHERE "name" = 'jwtgate_user_change'`).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return seq, err
}
