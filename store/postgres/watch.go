package postgres

import (
	"cmp"
	"context"
	"crypto/rand"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/jwtgate/jwtgate/store"
)

const (
	// maxUpdateBatch is the number of changed users beyond which a full
	// Load is cheaper than reading them one batch at a time.
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
// On a connection of its own it runs LISTEN jwtgate_user_change and only
// then reads every user for w.Load, so that no change falls between the
// two; then it reads the users named by the notifications received so far
// in one query and calls w.Update for each (exists false for a user that
// is gone). Every Options.ResyncInterval, and on a TRUNCATE of auth_user,
// it does a full Load instead. Every Options.CanaryInterval it proves the
// feed alive (see the package documentation), reading every user once a
// second (feedPollInterval) while it is down; a canary that came back, and
// each Load, tell a store.FeedObserver how fresh w is. A connection silent
// for 30 seconds is pinged; on a failure it reports to w.Error, reconnects
// with a backoff from 200 ms doubling up to 5 s, and starts over.
func (s *Store) WatchUsers(ctx context.Context, w store.UserWatcher) error {
	backoff := s.minBackoff
	health := &feedHealth{}
	health.obs, _ = w.(store.FeedObserver)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		synced, err := s.watch(ctx, w, health)
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

// feedPollInterval is how often WatchUsers reads every user while the
// push feed is down.
const feedPollInterval = time.Second

// feedHealth is what WatchUsers told its observer about the feed, kept
// across reconnections.
type feedHealth struct {
	obs  store.FeedObserver // nil when the watcher does not observe
	down error              // why the feed is down; nil while it works
}

// set records the feed's state and tells the observer when it changed.
func (h *feedHealth) set(down error) {
	changed := (down == nil) != (h.down == nil)
	h.down = down
	if changed && h.obs != nil {
		h.obs.FeedHealth(down)
	}
}

// fresh tells the observer that every change committed before at has been
// handed over.
func (h *feedHealth) fresh(at time.Time) {
	if h.obs != nil {
		h.obs.Fresh(at)
	}
}

// canaryQuery sends the canary ($1 channel, $2 payload) and lists
// jwtgate's triggers in the current schema that do not fire for ordinary
// sessions (tgenabled D, or R: replica only).
const canaryQuery = `WITH sent AS (SELECT pg_catalog.pg_notify($1, $2))
SELECT (SELECT count(*) FROM sent), coalesce((SELECT array_agg(t.tgname::text ORDER BY t.tgname)
  FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
  WHERE c.relnamespace = (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = current_schema())
    AND t.tgname LIKE 'jwtgate\_%' AND NOT t.tgisinternal AND t.tgenabled NOT IN ('O', 'A')), '{}')`

// watcher is one connection's worth of WatchUsers.
type watcher struct {
	health *feedHealth
	// canary is this connection's canary channel; sent and heard the
	// sequence numbers of the last canary sent and come back, sentAt when
	// the last was sent, nextCanary when the next is due, and freshAt the
	// sending time of a canary that came back and was not yet reported.
	canary              string
	sent, heard         int64
	sentAt, nextCanary  time.Time
	freshAt             time.Time
	canaryErr, triggers error // why the canary or the triggers fail; nil: fine

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
func (s *Store) watch(ctx context.Context, w store.UserWatcher, health *feedHealth) (synced bool, err error) {
	ww := &watcher{s: s, w: w, health: health, canary: "jwtgate_canary_" + strings.ToLower(rand.Text()[:16])}
	cfg := s.pool.Config().ConnConfig.Copy()
	cfg.OnNotification = func(_ *pgconn.PgConn, n *pgconn.Notification) {
		switch n.Channel {
		case userChangeChannel:
			ww.pending = append(ww.pending, n.Payload)
		case ww.canary:
			ww.canaryBack(n.Payload)
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
	lctx, cancel := context.WithTimeout(ctx, watchQueryTimeout)
	_, err = ww.conn.Exec(lctx, `LISTEN `+userChangeChannel+`; LISTEN `+ww.canary)
	if cancel(); err != nil {
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
		if len(ww.pending) > 0 {
			if err := ww.update(ctx); err != nil {
				return err
			}
			continue
		}
		if !ww.freshAt.IsZero() {
			ww.health.fresh(ww.freshAt)
			ww.freshAt = time.Time{}
		}
		if !time.Now().Before(ww.nextCanary) {
			ww.sendCanary(ctx)
			continue
		}
		resync := ww.lastReset.Add(ww.s.opts.ResyncInterval)
		if poll := ww.lastReset.Add(feedPollInterval); ww.health.down != nil && poll.Before(resync) {
			resync = poll
		}
		ping := lastHeard.Add(ww.s.pingInterval)
		deadline := resync
		for _, t := range []time.Time{ping, ww.nextCanary} {
			if t.Before(deadline) {
				deadline = t
			}
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
		case !time.Now().Before(ping):
			pctx, cancel := context.WithTimeout(ctx, ww.s.opts.ConnectTimeout)
			err := ww.conn.Ping(pctx)
			if cancel(); err != nil {
				return fmt.Errorf("checking the connection: %w", err)
			}
			lastHeard = time.Now()
		}
		// Otherwise the canary is due; the loop sends it.
	}
}

// sendCanary judges the previous canary (it should have come back by
// now), sends the next through the pool and reads the triggers' state. A
// canary that cannot be sent within the interval (the pool busy, the
// database away) counts as one that did not come back; the listening
// connection notices a lost server by itself.
func (ww *watcher) sendCanary(ctx context.Context) {
	now := time.Now()
	ww.nextCanary = now.Add(ww.s.opts.CanaryInterval)
	if ww.sent > ww.heard {
		ww.canaryErr = fmt.Errorf("the feed's canary notification sent %v ago has not come back (behind a transaction-pooling proxy? give the store a direct connection)",
			now.Sub(ww.sentAt).Round(time.Millisecond))
	}
	qctx, cancel := context.WithTimeout(ctx, max(ww.s.opts.CanaryInterval, time.Second))
	defer cancel()
	var one int64
	var disabled []string
	if err := ww.s.pool.QueryRow(qctx, canaryQuery, ww.canary, strconv.FormatInt(ww.sent+1, 10)).Scan(&one, &disabled); err != nil {
		if ctx.Err() == nil {
			ww.canaryErr = fmt.Errorf("sending the feed's canary: %w", err)
			ww.health.set(cmp.Or(ww.triggers, ww.canaryErr))
		}
		return
	}
	ww.sent++
	ww.sentAt = now
	ww.triggers = nil
	if len(disabled) > 0 {
		ww.triggers = fmt.Errorf("jwtgate's triggers %s are disabled (pg_trigger.tgenabled); enable them with ALTER TABLE … ENABLE TRIGGER", strings.Join(disabled, ", "))
	}
	ww.health.set(cmp.Or(ww.triggers, ww.canaryErr))
}

// canaryBack handles this connection's canary coming back: the feed
// delivers, and, with every trigger enabled, everything committed before
// the canary was sent has been delivered before it.
func (ww *watcher) canaryBack(payload string) {
	seq, err := strconv.ParseInt(payload, 10, 64)
	if err != nil || seq != ww.sent {
		return // an older canary; the newest one counts
	}
	ww.heard, ww.canaryErr = seq, nil
	if ww.triggers == nil {
		ww.freshAt = ww.sentAt
	}
	ww.health.set(ww.triggers)
}

// reset hands w every user, streamed from the rows as w.Load reads them
// (no list of every user is built). Notifications received before the
// query are covered by it and dropped; those received while it runs may
// come from changes its snapshot missed, so they stay pending.
func (ww *watcher) reset(ctx context.Context) error {
	ww.pending = nil
	start := time.Now()
	qctx, cancel := context.WithTimeout(ctx, fullReadTimeout)
	defer cancel()
	rows, err := ww.conn.Query(qctx, stateQuery(""))
	if err != nil {
		return fmt.Errorf("reading auth_user (has the database been migrated?): %w", err)
	}
	defer rows.Close()
	ww.w.Load(store.Rows(rows.Next, func() (store.UserState, error) { return scanState(rows) }, rows.Err))
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading auth_user (has the database been migrated?): %w", err)
	}
	ww.lastReset = time.Now()
	ww.health.fresh(start) // the snapshot has every change committed before start
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
	rows, _ := ww.conn.Query(qctx, stateQuery(`ANY($1::bigint[])`), ids)
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
