package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jwtgate/jwtgate/store"
)

// stateQuery reads the UserState of users: auth_user's flags, the
// not-before (date_joined's second or the user's last revocation), the
// ended sessions whose tokens have not all expired and the password (for
// its fingerprint). where filters it.
func stateQuery(where string) string {
	return `SELECT u."id", u."username", u."is_active", u."is_staff", u."is_superuser", u."password",
	max(CAST(strftime('%s', u."date_joined") AS INTEGER), coalesce(r."not_before", 0)),
	coalesce((SELECT group_concat(s."id" || ':' || s."expires_at") FROM "jwtgate_session" s
		WHERE s."user_id" = u."id" AND s."revoked_at" IS NOT NULL AND s."expires_at" > ` + nowSecs + `), '')
FROM "auth_user" u LEFT JOIN "jwtgate_user_revocation" r ON r."user_id" = u."id" ` + where
}

func scanState(r rowScanner) (store.UserState, error) {
	var (
		st                    store.UserState
		active, staff, superu int64
		revoked, password     string
	)
	if err := r.Scan(&st.ID, &st.Username, &active, &staff, &superu, &password, &st.NotBefore, &revoked); err != nil {
		return st, err
	}
	st.Password = store.PasswordFingerprint(password)
	st.IsActive, st.IsStaff, st.IsSuperuser = active != 0, staff != 0, superu != 0
	st.Revoked = store.ParseRevoked(revoked)
	return st, nil
}

// UserState reads one user's state as the feed does.
func (s *Store) UserState(ctx context.Context, id int64) (store.UserState, error) {
	st, err := scanState(s.queryRow(ctx, stateQuery(`WHERE u."id" = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return store.UserState{}, store.ErrNotFound
	}
	if err != nil {
		return store.UserState{}, fmt.Errorf("sqlite: reading the state of user %d: %w", id, err)
	}
	return st, nil
}

// RefreshState answers when the token was blacklisted and whether its
// session ended, in one query.
func (s *Store) RefreshState(ctx context.Context, jti string) (*time.Time, bool, error) {
	var at sql.NullString
	var ended int64
	err := s.queryRow(ctx, `SELECT
	(SELECT CAST(b."blacklisted_at" AS TEXT) FROM "token_blacklist_blacklistedtoken" b JOIN "token_blacklist_outstandingtoken" o ON o."id" = b."token_id" WHERE o."jti" = ?1),
	EXISTS (SELECT 1 FROM "jwtgate_session" WHERE "id" = substr(?1, 1, 16) AND "revoked_at" IS NOT NULL)`, jti).Scan(&at, &ended)
	if err != nil {
		return nil, false, fmt.Errorf("sqlite: checking the blacklist for %q: %w", jti, err)
	}
	if !at.Valid {
		return nil, ended != 0, nil
	}
	t, err := parseTime(at.String)
	if err != nil {
		return nil, false, fmt.Errorf("sqlite: blacklisted_at of %q: %w", jti, err)
	}
	return &t, ended != 0, nil
}

// StartSession records the session and its refresh token in one
// transaction.
func (s *Store) StartSession(ctx context.Context, sess store.Session, refresh store.OutstandingToken) error {
	err := s.inTx(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO "jwtgate_session" ("id", "user_id", "created_at", "last_refreshed_at", "client_ip", "user_agent", "expires_at") VALUES (?, ?, ?, ?, ?, ?, ?)`,
			sess.ID, sess.UserID, sess.CreatedAt, sess.LastRefreshedAt, sess.ClientIP, sess.UserAgent, sess.ExpiresAt); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO "token_blacklist_outstandingtoken" ("token", "created_at", "expires_at", "user_id", "jti") VALUES (?, ?, ?, ?, ?)`, outstandingArgs(refresh)...)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: starting session %q: %w", sess.ID, err)
	}
	return nil
}

// RotateSession marks old as rotated in its session, blacklists it and
// records next, in one transaction; with blacklist it first checks that
// old's session has not ended.
func (s *Store) RotateSession(ctx context.Context, old, next store.OutstandingToken, at time.Time, expires int64, blacklist bool) error {
	err := s.inTx(ctx, func(tx *txn) error {
		if blacklist {
			var ended int64
			if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM "jwtgate_session" WHERE "id" = substr(?1, 1, 16) AND "revoked_at" IS NOT NULL)`, old.JTI).Scan(&ended); err != nil {
				return err
			}
			if ended != 0 {
				return store.ErrSessionEnded
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE "jwtgate_session" SET "rotated_jti" = CASE WHEN ?4 THEN ?1 ELSE "rotated_jti" END, "last_refreshed_at" = ?2, "expires_at" = max("expires_at", ?3) WHERE "id" = substr(?1, 1, 16) AND "revoked_at" IS NULL`,
			old.JTI, at.Unix(), expires, blacklist); err != nil {
			return err
		}
		if blacklist {
			if err := blacklistTx(ctx, tx, old, at); err != nil {
				return err
			}
		}
		if next.JTI == "" {
			return nil
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO "token_blacklist_outstandingtoken" ("token", "created_at", "expires_at", "user_id", "jti") VALUES (?, ?, ?, ?, ?)`, outstandingArgs(next)...)
		return err
	})
	switch {
	case errors.Is(err, store.ErrAlreadyBlacklisted), errors.Is(err, store.ErrSessionEnded):
		return err
	case err != nil:
		return fmt.Errorf("sqlite: rotating token %q: %w", old.JTI, err)
	}
	return nil
}

// blacklistOutstanding blacklists, at at, every outstanding token of the
// user (of one session when prefix is not empty) not blacklisted yet.
const blacklistOutstanding = `INSERT INTO "token_blacklist_blacklistedtoken" ("blacklisted_at", "token_id")
SELECT ?1, o."id" FROM "token_blacklist_outstandingtoken" o
WHERE o."user_id" = ?2 AND (?3 = '' OR substr(o."jti", 1, 16) = ?3) AND o."expires_at" > ?1
	AND NOT EXISTS (SELECT 1 FROM "token_blacklist_blacklistedtoken" b WHERE b."token_id" = o."id")`

// RevokeSession ends the session and blacklists its outstanding tokens.
func (s *Store) RevokeSession(ctx context.Context, userID int64, id string, at time.Time) (bool, error) {
	changed, err := s.revoke(ctx, userID, id, at, func(*txn) error { return nil })
	if err != nil {
		return false, fmt.Errorf("sqlite: ending session %q: %w", id, err)
	}
	return changed, nil
}

// RevokeUser raises the not-before, ends the sessions and blacklists the
// outstanding tokens of the user, in one transaction.
func (s *Store) RevokeUser(ctx context.Context, userID int64, notBefore int64, at time.Time) error {
	_, err := s.revoke(ctx, userID, "", at, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO "jwtgate_user_revocation" ("user_id", "not_before") VALUES (?1, ?2)
ON CONFLICT ("user_id") DO UPDATE SET "not_before" = max("not_before", ?2)`, userID, notBefore)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: revoking the tokens of user %d: %w", userID, err)
	}
	return nil
}

// revoke ends the live sessions of the user (only session id unless it is
// empty), blacklists their outstanding tokens (with id, only when it was
// live) and runs then, in one transaction; it reports whether it ended a
// session.
func (s *Store) revoke(ctx context.Context, userID int64, id string, at time.Time, then func(*txn) error) (changed bool, err error) {
	err = s.inTx(ctx, func(tx *txn) error {
		n, err := affected(tx.ExecContext(ctx, `UPDATE "jwtgate_session" SET "revoked_at" = ?1 WHERE "user_id" = ?2 AND (?3 = '' OR "id" = ?3) AND "revoked_at" IS NULL`, at.Unix(), userID, id))
		if changed = n > 0; err != nil || !changed && id != "" {
			return err
		}
		if _, err := tx.ExecContext(ctx, blacklistOutstanding, formatTime(at), userID, id); err != nil {
			return err
		}
		return then(tx)
	})
	return changed, err
}

// Sessions lists the user's live sessions, newest first.
func (s *Store) Sessions(ctx context.Context, userID int64, now time.Time) ([]store.Session, error) {
	rows, err := s.query(ctx, `SELECT "id", "user_id", "created_at", "last_refreshed_at", "client_ip", "user_agent", "expires_at" FROM "jwtgate_session"
WHERE "user_id" = ? AND "revoked_at" IS NULL AND "expires_at" > ? ORDER BY "created_at" DESC, "id"`, userID, now.Unix())
	out, err := collect(rows, err, func(r rowScanner) (x store.Session, err error) {
		return x, r.Scan(&x.ID, &x.UserID, &x.CreatedAt, &x.LastRefreshedAt, &x.ClientIP, &x.UserAgent, &x.ExpiresAt)
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: listing the sessions of user %d: %w", userID, err)
	}
	return append([]store.Session{}, out...), nil
}
