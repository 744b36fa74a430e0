package sqlite

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jwtgate/jwtgate/store"
)

// LoginFailures returns the open failure windows of keys (see
// store.Store).
func (s *Store) LoginFailures(ctx context.Context, keys []string, now time.Time) ([]store.FailureWindow, error) {
	out := make([]store.FailureWindow, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	args := make([]any, 0, len(keys)+1)
	for _, k := range keys {
		args = append(args, k)
	}
	args = append(args, now.UnixMilli())
	rows, err := s.query(ctx, `SELECT "key", "failures", "window_end" FROM "jwtgate_login_failure"
		WHERE "key" IN (`+placeholders(len(keys))+`) AND "window_end" > ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: reading login failures: %w", err)
	}
	defer rows.Close()
	found := map[string]store.FailureWindow{}
	for rows.Next() {
		var k string
		var n int
		var end int64
		if err := rows.Scan(&k, &n, &end); err != nil {
			return nil, fmt.Errorf("sqlite: reading login failures: %w", err)
		}
		found[k] = store.FailureWindow{Failures: n, Ends: time.UnixMilli(end).UTC()}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: reading login failures: %w", err)
	}
	for i, k := range keys {
		out[i] = found[k]
	}
	return out, nil
}

// AddLoginFailure counts a failure for each key and returns the windows
// after the count (see store.Store). Each upsert returns its own row, and
// SQLite serialises writers, so increment and read are one step.
func (s *Store) AddLoginFailure(ctx context.Context, keys []string, now time.Time, window time.Duration) ([]store.FailureWindow, error) {
	nowMs, endMs := now.UnixMilli(), now.Add(window).UnixMilli()
	out := make([]store.FailureWindow, len(keys))
	err := s.inTx(ctx, func(tx *txn) error {
		for i, k := range keys {
			var end int64
			err := tx.QueryRowContext(ctx, `INSERT INTO "jwtgate_login_failure" ("key", "failures", "window_end") VALUES (?, 1, ?)
				ON CONFLICT ("key") DO UPDATE SET
					"failures" = CASE WHEN "window_end" <= ? THEN 1 ELSE "failures" + 1 END,
					"window_end" = CASE WHEN "window_end" <= ? THEN excluded."window_end" ELSE "window_end" END
				RETURNING "failures", "window_end"`,
				k, endMs, nowMs, nowMs).Scan(&out[i].Failures, &end)
			if err != nil {
				return err
			}
			out[i].Ends = time.UnixMilli(end).UTC()
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: counting a login failure: %w", err)
	}
	return out, nil
}

// UncountLoginFailure takes back one count of each key (see store.Store).
func (s *Store) UncountLoginFailure(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	if _, err := s.exec(ctx, `UPDATE "jwtgate_login_failure" SET "failures" = "failures" - 1
		WHERE "key" IN (`+placeholders(len(keys))+`) AND "failures" > 0`, args...); err != nil {
		return fmt.Errorf("sqlite: taking back a login attempt: %w", err)
	}
	return nil
}

// ClearLoginFailures forgets the keys' counters.
func (s *Store) ClearLoginFailures(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	if _, err := s.exec(ctx, `DELETE FROM "jwtgate_login_failure" WHERE "key" IN (`+placeholders(len(keys))+`)`, args...); err != nil {
		return fmt.Errorf("sqlite: clearing login failures: %w", err)
	}
	return nil
}

// PruneLoginFailures deletes the windows that ended by now.
func (s *Store) PruneLoginFailures(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.exec(ctx, `DELETE FROM "jwtgate_login_failure" WHERE "window_end" <= ?`, now.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("sqlite: pruning login failures: %w", err)
	}
	return res.RowsAffected()
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}
