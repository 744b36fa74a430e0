package postgres

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/jwtgate/jwtgate/store"
)

const (
	// maxUpdateBatch is the number of changed users beyond which a full
	// Reset is cheaper than reading them one batch at a time.
	maxUpdateBatch = 1000
	// watchQueryTimeout bounds each query of WatchUsers, so that a
	// connection that silently died is noticed.
	watchQueryTimeout = 30 * time.Second
	// fullReadTimeout bounds the read of every user, which at ten
	// million users takes seconds.
	fullReadTimeout = 5 * time.Minute
	// closeTimeout bounds the goodbye to the server when WatchUsers ends.
	closeTimeout = 500 * time.Millisecond
)

// WatchUsers keeps w in step with auth_user until ctx ends, and then
// returns ctx.Err(). It runs in the caller's goroutine, leaves no goroutine
// behind and calls w from that goroutine only.
//
// It opens a connection of its own (outside the pool), runs LISTEN
// jwtgate_user_change, and only then reads every user for w.Load, so that
// no change falls between the two. Each notification names a user that
// Migrate's triggers saw inserted, changed or deleted (by any process:
// Django, another gateway, psql); WatchUsers reads the users named by all
// the notifications received so far in one query and calls w.Update for
// each, with exists false for a user that is gone. A burst of changes
// therefore costs one or two queries, and requests cost none.
//
// Every Options.ResyncInterval, and on a TRUNCATE of auth_user, it does a
// full Load instead. When the connection is silent for 30 seconds it
// checks it is alive. When the connection fails it reports the error to
// w.Error, reconnects with a backoff from 200 ms doubling up to 5 s, and
// starts over with LISTEN and a full Load, since changes made meanwhile
// were not notified to it.
func (s *Store) WatchUsers(ctx context.Context, w store.UserWatcher) error {
	backoff := s.minBackoff
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		synced, err := s.watch(ctx, w)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if synced {
			backoff = s.minBackoff
		}
		w.Error(fmt.Errorf("postgres: watching users (retrying in %v): %w", backoff, err))
		timer := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-timer.C:
		}
		backoff = min(2*backoff, s.maxBackoff)
	}
}

// watcher is one connection's worth of WatchUsers.
type watcher struct {
	s    *Store
	w    store.UserWatcher
	conn *pgx.Conn
	// pending are the notification payloads received and not yet
	// handled. The connection appends to it from the goroutine that
	// runs WatchUsers, whenever it reads a notification, also in the
	// middle of a query.
	pending   []string
	lastReset time.Time
}

// watch connects, listens, resets w and then follows the notifications
// until the connection fails or ctx ends. It reports whether it completed
// a Load, and always returns an error.
func (s *Store) watch(ctx context.Context, w store.UserWatcher) (synced bool, err error) {
	ww := &watcher{s: s, w: w}
	cfg := s.pool.Config().ConnConfig.Copy()
	cfg.OnNotification = func(_ *pgconn.PgConn, n *pgconn.Notification) {
		if n.Channel == userChangeChannel {
			ww.pending = append(ww.pending, n.Payload)
		}
	}
	if ww.conn, err = pgx.ConnectConfig(ctx, cfg); err != nil {
		return false, err
	}
	defer func() {
		c, cancel := context.WithTimeout(context.Background(), closeTimeout)
		defer cancel()
		ww.conn.Close(c)
	}()
	if err := ww.exec(ctx, `LISTEN `+userChangeChannel); err != nil {
		return false, fmt.Errorf("listening for user changes: %w", err)
	}
	if err := ww.reset(ctx); err != nil {
		return false, err
	}
	return true, ww.follow(ctx)
}

// follow handles notifications until the connection fails or ctx ends.
func (ww *watcher) follow(ctx context.Context) error {
	lastHeard := time.Now()
	for {
		if len(ww.pending) == 0 {
			resync := ww.lastReset.Add(ww.s.opts.ResyncInterval)
			ping := lastHeard.Add(ww.s.pingInterval)
			deadline := resync
			if ping.Before(deadline) {
				deadline = ping
			}
			wctx, cancel := context.WithDeadline(ctx, deadline)
			err := ww.conn.PgConn().WaitForNotification(wctx)
			cancel()
			switch {
			case ctx.Err() != nil:
				return ctx.Err()
			case err == nil:
				lastHeard = time.Now()
			case !pgconn.Timeout(err) || ww.conn.IsClosed():
				return fmt.Errorf("waiting for notifications: %w", err)
			case !time.Now().Before(resync):
				if err := ww.reset(ctx); err != nil {
					return err
				}
				lastHeard = time.Now()
				continue
			default:
				if err := ww.ping(ctx); err != nil {
					return fmt.Errorf("checking the connection: %w", err)
				}
				lastHeard = time.Now()
				continue
			}
		}
		if err := ww.update(ctx); err != nil {
			return err
		}
	}
}

// exec runs sql (no arguments) within watchQueryTimeout.
func (ww *watcher) exec(ctx context.Context, sql string) error {
	qctx, cancel := context.WithTimeout(ctx, watchQueryTimeout)
	defer cancel()
	_, err := ww.conn.Exec(qctx, sql)
	return err
}

// ping checks, within the connect timeout, that the server still answers.
func (ww *watcher) ping(ctx context.Context) error {
	qctx, cancel := context.WithTimeout(ctx, ww.s.opts.ConnectTimeout)
	defer cancel()
	return ww.conn.Ping(qctx)
}

// reset hands w every user, streamed from the rows as w.Load reads them
// (no list of every user is built). Notifications received before the
// query are covered by it and dropped; those received while it runs may
// come from changes its snapshot missed, so they stay pending.
func (ww *watcher) reset(ctx context.Context) error {
	ww.pending = nil
	qctx, cancel := context.WithTimeout(ctx, fullReadTimeout)
	defer cancel()
	rows, err := ww.conn.Query(qctx, stateQuery(""))
	if err != nil {
		return fmt.Errorf("reading auth_user (has the database been migrated?): %w", err)
	}
	defer rows.Close()
	ww.w.Load(func(yield func(store.UserState, error) bool) {
		for rows.Next() {
			st, err := scanState(rows)
			if err != nil {
				rows.Close()
				yield(store.UserState{}, err)
				return
			}
			if !yield(st, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(store.UserState{}, err)
		}
	})
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading auth_user (has the database been migrated?): %w", err)
	}
	ww.lastReset = time.Now()
	return nil
}

// update reads the users named by the pending notifications in one query
// and hands them to w; a payload that is not a user id (TRUNCATE's "*")
// or too many users make it a full Load.
func (ww *watcher) update(ctx context.Context) error {
	var ids []int64
	seen := map[int64]bool{}
	for _, p := range ww.pending {
		id, err := strconv.ParseInt(p, 10, 64)
		if err != nil || len(ids) >= maxUpdateBatch {
			return ww.reset(ctx)
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	ww.pending = nil
	qctx, cancel := context.WithTimeout(ctx, watchQueryTimeout)
	defer cancel()
	rows, err := ww.conn.Query(qctx, stateQuery(`ANY($1::bigint[])`), ids)
	if err != nil {
		return fmt.Errorf("reading changed users: %w", err)
	}
	found, err := pgx.CollectRows(rows, scanState)
	if err != nil {
		return fmt.Errorf("reading changed users: %w", err)
	}
	byID := make(map[int64]store.UserState, len(found))
	for _, st := range found {
		byID[st.ID] = st
	}
	for _, id := range ids {
		st, ok := byID[id]
		if !ok {
			st = store.UserState{ID: id}
		}
		ww.w.Update(id, st, ok)
	}
	return nil
}
