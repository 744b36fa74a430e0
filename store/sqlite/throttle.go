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
	rows, err := s.query(ctx, `SELECT "key", "failures", "window_end" FROM "jwtgate_login_failure"
		WHERE "key" IN (`+placeholders(len(keys))+`) AND "window_end" > ?`, append(keyArgs(keys), now.UnixMilli())...)
	type row struct {
		key string
		w   store.FailureWindow
	}
	found, err := collect(rows, err, func(r rowScanner) (x row, err error) {
		var end int64
		err = r.Scan(&x.key, &x.w.Failures, &end)
		x.w.Ends = time.UnixMilli(end).UTC()
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: reading login failures: %w", err)
	}
	for _, x := range found {
		for i, k := range keys {
			if k == x.key {
				out[i] = x.w
			}
		}
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
	if _, err := s.exec(ctx, `UPDATE "jwtgate_login_failure" SET "failures" = "failures" - 1
		WHERE "key" IN (`+placeholders(len(keys))+`) AND "failures" > 0`, keyArgs(keys)...); err != nil {
		return fmt.Errorf("sqlite: taking back a login attempt: %w", err)
	}
	return nil
}

// ClearLoginFailures forgets the keys' counters.
func (s *Store) ClearLoginFailures(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	if _, err := s.exec(ctx, `DELETE FROM "jwtgate_login_failure" WHERE "key" IN (`+placeholders(len(keys))+`)`, keyArgs(keys)...); err != nil {
		return fmt.Errorf("sqlite: clearing login failures: %w", err)
	}
	return nil
}

// PruneLoginFailures deletes the windows that ended by now.
func (s *Store) PruneLoginFailures(ctx context.Context, now time.Time) (int64, error) {
	n, err := affected(s.exec(ctx, `DELETE FROM "jwtgate_login_failure" WHERE "window_end" <= ?`, now.UnixMilli()))
	if err != nil {
		return 0, fmt.Errorf("sqlite: pruning login failures: %w", err)
	}
	return n, nil
}

// keyArgs is keys as query arguments.
func keyArgs(keys []string) []any {
	args := make([]any, len(keys), len(keys)+1)
	for i, k := range keys {
		args[i] = k
	}
	return args
}

// placeholders is n comma-separated "?".
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}
