package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jwtgate/jwtgate/store"
)

// outstandingArgs are t's values for the columns token, created_at,
// expires_at, user_id and jti, NULL where t has none.
func outstandingArgs(t store.OutstandingToken) []any {
	var createdAt, userID any
	if t.CreatedAt != nil {
		createdAt = formatTime(*t.CreatedAt)
	}
	if t.UserID != nil {
		userID = *t.UserID
	}
	return []any{t.Token, createdAt, formatTime(t.ExpiresAt), userID, t.JTI}
}

// AddOutstanding records an issued refresh token, as simplejwt's obtain
// view does (t.ID is ignored).
func (s *Store) AddOutstanding(ctx context.Context, t store.OutstandingToken) error {
	_, err := s.exec(ctx, `INSERT INTO "token_blacklist_outstandingtoken" ("token", "created_at", "expires_at", "user_id", "jti") VALUES (?, ?, ?, ?, ?)`, outstandingArgs(t)...)
	if err != nil {
		return fmt.Errorf("sqlite: recording outstanding token %q: %w", t.JTI, err)
	}
	return nil
}

// Blacklist get-or-creates the outstanding row of t.JTI (inserting t as
// given when absent, an existing row is left as it is) and inserts its
// blacklistedtoken row, in one BEGIN IMMEDIATE transaction. The UNIQUE
// constraint on token_id makes a second blacklisting fail with
// store.ErrAlreadyBlacklisted, whichever process tries it.
func (s *Store) Blacklist(ctx context.Context, t store.OutstandingToken, at time.Time) error {
	err := s.inTx(ctx, func(tx *txn) error { return blacklistTx(ctx, tx, t, at) })
	switch {
	case errors.Is(err, store.ErrAlreadyBlacklisted):
		return err
	case err != nil:
		return fmt.Errorf("sqlite: blacklisting token %q: %w", t.JTI, err)
	}
	return nil
}

// blacklistTx is Blacklist within tx.
func blacklistTx(ctx context.Context, tx *txn, t store.OutstandingToken, at time.Time) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO "token_blacklist_outstandingtoken" ("token", "created_at", "expires_at", "user_id", "jti") VALUES (?, ?, ?, ?, ?) ON CONFLICT ("jti") DO NOTHING`, outstandingArgs(t)...); err != nil {
		return err
	}
	var id int64
	if err := tx.QueryRowContext(ctx, `SELECT "id" FROM "token_blacklist_outstandingtoken" WHERE "jti" = ?`, t.JTI).Scan(&id); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO "token_blacklist_blacklistedtoken" ("blacklisted_at", "token_id") VALUES (?, ?)`, formatTime(at), id)
	if isUniqueViolation(err) {
		return store.ErrAlreadyBlacklisted
	}
	return err
}

// IsBlacklisted reports whether the token with this jti is blacklisted,
// with the query simplejwt runs.
func (s *Store) IsBlacklisted(ctx context.Context, jti string) (bool, error) {
	var one int
	err := s.queryRow(ctx, `SELECT 1 FROM "token_blacklist_blacklistedtoken" b JOIN "token_blacklist_outstandingtoken" o ON o."id" = b."token_id" WHERE o."jti" = ? LIMIT 1`, jti).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("sqlite: checking the blacklist for %q: %w", jti, err)
	}
	return true, nil
}

// FlushExpired deletes, in one transaction, the outstanding tokens that
// expired at or before now (their blacklist rows first), the expired
// sessions and the ended login failure windows, and returns how many
// outstanding rows it deleted. expires_at is compared as text in Django's
// format, as Django's own query does on SQLite.
func (s *Store) FlushExpired(ctx context.Context, now time.Time) (int64, error) {
	cutoff := formatTime(now)
	var n int64
	err := s.inTx(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM "token_blacklist_blacklistedtoken" WHERE "token_id" IN (SELECT "id" FROM "token_blacklist_outstandingtoken" WHERE "expires_at" <= ?)`, cutoff)
		if err == nil {
			n, err = affected(tx.ExecContext(ctx, `DELETE FROM "token_blacklist_outstandingtoken" WHERE "expires_at" <= ?`, cutoff))
		}
		if err == nil {
			_, err = tx.ExecContext(ctx, `DELETE FROM "jwtgate_session" WHERE "expires_at" <= ?`, now.Unix())
		}
		if err == nil {
			_, err = tx.ExecContext(ctx, `DELETE FROM "jwtgate_login_failure" WHERE "window_end" <= ?`, now.UnixMilli())
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: flushing expired tokens: %w", err)
	}
	return n, nil
}
