package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/jwtgate/jwtgate/store"
)

// outstandingArgs are t's values for the columns token, created_at,
// expires_at, user_id and jti, NULL where t has none.
func outstandingArgs(t store.OutstandingToken) []any {
	var createdAt *time.Time
	if t.CreatedAt != nil {
		c := utcMicro(*t.CreatedAt)
		createdAt = &c
	}
	return []any{t.Token, createdAt, utcMicro(t.ExpiresAt), t.UserID, t.JTI}
}

// AddOutstanding records an issued refresh token, as simplejwt's obtain
// view does (t.ID is ignored).
func (s *Store) AddOutstanding(ctx context.Context, t store.OutstandingToken) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO token_blacklist_outstandingtoken (token, created_at, expires_at, user_id, jti) VALUES ($1, $2, $3, $4, $5)`, outstandingArgs(t)...)
	if err != nil {
		return s.fail(err, "recording outstanding token %q", t.JTI)
	}
	return nil
}

// Blacklist get-or-creates the outstanding row of t.JTI (inserting t as
// given when absent; an existing row is left as it is) and inserts its
// blacklistedtoken row, in one transaction. Both inserts use ON CONFLICT
// DO NOTHING on the tables' unique constraints, which makes a concurrent
// insert of the same key wait for the first transaction to end: of any
// number of concurrent calls for one jti exactly one inserts the blacklist
// row and the others return store.ErrAlreadyBlacklisted. Like
// RotateSession it takes the blacklist key before the session row (which
// the blacklist trigger updates), so it cannot deadlock with them.
func (s *Store) Blacklist(ctx context.Context, t store.OutstandingToken, at time.Time) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO token_blacklist_outstandingtoken (token, created_at, expires_at, user_id, jti) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (jti) DO NOTHING`, outstandingArgs(t)...); err != nil {
			return err
		}
		var id int64
		if err := tx.QueryRow(ctx, `SELECT id FROM token_blacklist_outstandingtoken WHERE jti = $1`, t.JTI).Scan(&id); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `INSERT INTO token_blacklist_blacklistedtoken (token_id, blacklisted_at) VALUES ($1, $2) ON CONFLICT (token_id) DO NOTHING RETURNING id`, id, utcMicro(at)).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return store.ErrAlreadyBlacklisted
		}
		return err
	})
	switch {
	case errors.Is(err, store.ErrAlreadyBlacklisted):
		return err
	case err != nil:
		return s.fail(err, "blacklisting token %q", t.JTI)
	}
	return nil
}

// IsBlacklisted reports whether the token with this jti is blacklisted,
// with the join simplejwt's check runs.
func (s *Store) IsBlacklisted(ctx context.Context, jti string) (bool, error) {
	var bl bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM token_blacklist_blacklistedtoken b JOIN token_blacklist_outstandingtoken o ON o.id = b.token_id WHERE o.jti = $1)`, jti).Scan(&bl)
	if err != nil {
		return false, s.fail(err, "checking the blacklist for %q", jti)
	}
	return bl, nil
}

// FlushExpired deletes the outstanding tokens that expired at or before
// now together with their blacklist rows, and returns how many outstanding
// rows it deleted. It is one statement, so both deletes see the same rows.
func (s *Store) FlushExpired(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `WITH gone AS (
    DELETE FROM token_blacklist_outstandingtoken WHERE expires_at <= $1 RETURNING id
), unblacklisted AS (
    DELETE FROM token_blacklist_blacklistedtoken WHERE token_id IN (SELECT id FROM gone)
), ended AS (
    DELETE FROM jwtgate_login_failure WHERE window_end <= $2
), sessions AS (
    DELETE FROM jwtgate_session WHERE expires_at <= $3
)
SELECT count(*) FROM gone`, utcMicro(now), now.UnixMilli(), now.Unix()).Scan(&n)
	if err != nil {
		return 0, s.fail(err, "flushing expired tokens")
	}
	return n, nil
}
