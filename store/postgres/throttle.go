package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/jwtgate/jwtgate/store"
)

// LoginFailures returns the open failure windows of keys (see
// store.Store).
func (s *Store) LoginFailures(ctx context.Context, keys []string, now time.Time) ([]store.FailureWindow, error) {
	out := make([]store.FailureWindow, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	rows, _ := s.pool.Query(ctx, `SELECT key, failures, window_end FROM jwtgate_login_failure
		WHERE key = ANY($1) AND window_end > $2`, keys, now.UnixMilli())
	if err := windows(rows, keys, out); err != nil {
		return nil, s.fail(err, "reading login failures")
	}
	return out, nil
}

// AddLoginFailure counts a failure for each key and returns the windows
// after the count (see store.Store): one statement, and each row's upsert
// is atomic, so of concurrent calls each sees its own count.
func (s *Store) AddLoginFailure(ctx context.Context, keys []string, now time.Time, window time.Duration) ([]store.FailureWindow, error) {
	out := make([]store.FailureWindow, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	rows, _ := s.pool.Query(ctx, `INSERT INTO jwtgate_login_failure AS f (key, failures, window_end)
		SELECT k, 1, $2 FROM unnest($1::text[]) AS k
		ON CONFLICT (key) DO UPDATE SET
			failures = CASE WHEN f.window_end <= $3 THEN 1 ELSE f.failures + 1 END,
			window_end = CASE WHEN f.window_end <= $3 THEN excluded.window_end ELSE f.window_end END
		RETURNING key, failures, window_end`,
		keys, now.Add(window).UnixMilli(), now.UnixMilli())
	if err := windows(rows, keys, out); err != nil {
		return nil, s.fail(err, "counting a login failure")
	}
	return out, nil
}

// UncountLoginFailure takes back one count of each key (see store.Store).
func (s *Store) UncountLoginFailure(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	if _, err := s.pool.Exec(ctx, `UPDATE jwtgate_login_failure SET failures = failures - 1
		WHERE key = ANY($1) AND failures > 0`, keys); err != nil {
		return s.fail(err, "taking back a login attempt")
	}
	return nil
}

// ClearLoginFailures forgets the keys' counters.
func (s *Store) ClearLoginFailures(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM jwtgate_login_failure WHERE key = ANY($1)`, keys); err != nil {
		return s.fail(err, "clearing login failures")
	}
	return nil
}

// PruneLoginFailures deletes the windows that ended by now.
func (s *Store) PruneLoginFailures(ctx context.Context, now time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM jwtgate_login_failure WHERE window_end <= $1`, now.UnixMilli())
	if err != nil {
		return 0, s.fail(err, "pruning login failures")
	}
	return tag.RowsAffected(), nil
}

// windows reads (key, failures, window_end) rows into out, in the order
// of keys; a key without a row keeps its zero window.
func windows(rows pgx.Rows, keys []string, out []store.FailureWindow) error {
	found := map[string]store.FailureWindow{}
	var (
		k   string
		n   int
		end int64
	)
	_, err := pgx.ForEachRow(rows, []any{&k, &n, &end}, func() error {
		found[k] = store.FailureWindow{Failures: n, Ends: time.UnixMilli(end).UTC()}
		return nil
	})
	for i, key := range keys {
		out[i] = found[key]
	}
	return err
}
