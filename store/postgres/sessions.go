package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/jwtgate/jwtgate/store"
)

// sessionTables are jwtgate's session and revocation tables (see
// docs/sessions.md). Times are Unix seconds.
var sessionTables = []string{
	`CREATE TABLE IF NOT EXISTS jwtgate_session (
    id varchar(16) NOT NULL PRIMARY KEY,
    user_id bigint NOT NULL,
    created_at bigint NOT NULL,
    last_refreshed_at bigint NOT NULL,
    client_ip text NOT NULL,
    user_agent text NOT NULL,
    expires_at bigint NOT NULL,
    revoked_at bigint NULL,
    rotated_jti varchar(255) NULL
)`,
	`CREATE INDEX IF NOT EXISTS jwtgate_session_user_id ON jwtgate_session (user_id)`,
	`CREATE TABLE IF NOT EXISTS jwtgate_user_revocation (
    user_id bigint NOT NULL PRIMARY KEY,
    not_before bigint NOT NULL
)`,
}

// nowSecs is the current Unix second (of the statement, not of the
// transaction's start).
const nowSecs = `floor(extract(epoch FROM clock_timestamp()))::bigint`

// sessionFunction is one of the trigger functions of the session state.
type sessionFunction struct {
	name, body string
}

// sessionFunctions returns the trigger functions, their table names
// qualified with schema (they also run from Django's connections).
func sessionFunctions(schema string) []sessionFunction {
	return []sessionFunction{
		{"jwtgate_notify_user_state", `
BEGIN
    PERFORM pg_catalog.pg_notify('` + userChangeChannel + `', NEW.user_id::text);
    RETURN NULL;
END
`},
		// The second after now: a token issued in the same second as the
		// change, before or after it, has an older iat; a login waits.
		{"jwtgate_password_changed", `
BEGIN
    INSERT INTO ` + schema + `.jwtgate_user_revocation (user_id, not_before) VALUES (NEW.id, ` + nowSecs + ` + 1)
    ON CONFLICT (user_id) DO UPDATE SET not_before = GREATEST(jwtgate_user_revocation.not_before, EXCLUDED.not_before);
    RETURN NULL;
END
`},
		// Blacklisting a token ends its session, unless the gateway's own
		// rotation blacklisted it (it sets rotated_jti first).
		{"jwtgate_session_blacklisted", `
BEGIN
    UPDATE ` + schema + `.jwtgate_session s SET revoked_at = ` + nowSecs + `
    FROM ` + schema + `.token_blacklist_outstandingtoken o
    WHERE o.id = NEW.token_id AND s.id = left(o.jti, 16) AND s.revoked_at IS NULL
        AND s.rotated_jti IS DISTINCT FROM o.jti;
    RETURN NULL;
END
`},
	}
}

// sessionTriggers are the triggers of the session state: table, name and
// DDL.
var sessionTriggers = [][3]string{
	{"jwtgate_session", "jwtgate_session_revoked", `CREATE OR REPLACE TRIGGER jwtgate_session_revoked AFTER UPDATE OF revoked_at ON jwtgate_session FOR EACH ROW
WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL) EXECUTE FUNCTION jwtgate_notify_user_state()`},
	{"jwtgate_user_revocation", "jwtgate_user_revocation_change", `CREATE OR REPLACE TRIGGER jwtgate_user_revocation_change AFTER INSERT OR UPDATE ON jwtgate_user_revocation FOR EACH ROW EXECUTE FUNCTION jwtgate_notify_user_state()`},
	{"auth_user", "jwtgate_password_changed", `CREATE OR REPLACE TRIGGER jwtgate_password_changed AFTER UPDATE OF password ON auth_user FOR EACH ROW
WHEN (OLD.password IS DISTINCT FROM NEW.password) EXECUTE FUNCTION jwtgate_password_changed()`},
	{"token_blacklist_blacklistedtoken", "jwtgate_session_blacklisted", `CREATE OR REPLACE TRIGGER jwtgate_session_blacklisted AFTER INSERT ON token_blacklist_blacklistedtoken FOR EACH ROW EXECUTE FUNCTION jwtgate_session_blacklisted()`},
}

// ensureSessions creates what is missing of the session state: tables,
// functions whose body differs, and triggers that do not exist (so a
// migrated database takes no lock on Django's tables).
func (s *Store) ensureSessions(ctx context.Context, tx pgx.Tx) error {
	for _, stmt := range sessionTables {
		if _, err := tx.Exec(ctx, stmt); err != nil {
			return err
		}
	}
	for _, f := range sessionFunctions(s.schema) {
		if err := ensureFunction(ctx, tx, f.name, f.body); err != nil {
			return err
		}
	}
	for _, tr := range sessionTriggers {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = to_regclass($1) AND tgname = $2)`, tr[0], tr[1]).Scan(&exists); err != nil {
			return err
		}
		if exists {
			continue
		}
		if _, err := tx.Exec(ctx, tr[2]); err != nil {
			return fmt.Errorf("creating trigger %s on %s: %w", tr[1], tr[0], err)
		}
	}
	return nil
}

// stateQuery reads the UserState of users: auth_user's flags, the
// not-before (date_joined's second or the user's last revocation), the
// ended sessions whose tokens have not all expired and the password (for
// its fingerprint). ids, when not empty, is the SQL of the ids to read
// (for example "$1" or "ANY($1::bigint[])"); empty reads every user.
//
// The ended sessions are grouped once and joined, not read by a subquery
// per user, so reading every user of a large table costs one pass over
// each table; with ids both tables are read through their indexes on the
// user's id.
func stateQuery(ids string) string {
	users, sessions := "", ""
	if ids != "" {
		users, sessions = `WHERE u.id = `+ids, ` AND user_id = `+ids
	}
	return `SELECT u.id, u.username, u.is_active, u.is_staff, u.is_superuser, u.password,
    GREATEST(floor(extract(epoch FROM u.date_joined))::bigint, COALESCE(r.not_before, 0)),
    COALESCE(s.revoked, '')
FROM auth_user u LEFT JOIN jwtgate_user_revocation r ON r.user_id = u.id
LEFT JOIN (SELECT user_id, string_agg(id || ':' || expires_at, ',') AS revoked FROM jwtgate_session
    WHERE revoked_at IS NOT NULL AND expires_at > ` + nowSecs + sessions + ` GROUP BY user_id) s ON s.user_id = u.id ` + users
}

func scanState(r pgx.CollectableRow) (store.UserState, error) {
	var st store.UserState
	var revoked string
	// The password is only hashed: read from the row's bytes (a varchar's
	// text and binary forms are its bytes) rather than scanned into a
	// string, so reading every user allocates nothing for it.
	err := r.Scan(&st.ID, &st.Username, &st.IsActive, &st.IsStaff, &st.IsSuperuser, nil, &st.NotBefore, &revoked)
	st.Revoked = store.ParseRevoked(revoked)
	st.Password = store.PasswordFingerprintBytes(r.RawValues()[5])
	return st, err
}

// UserState reads one user's state as the feed does.
func (s *Store) UserState(ctx context.Context, id int64) (store.UserState, error) {
	rows, _ := s.pool.Query(ctx, stateQuery(`$1`), id)
	st, err := pgx.CollectExactlyOneRow(rows, scanState)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.UserState{}, store.ErrNotFound
	}
	if err != nil {
		return store.UserState{}, s.fail(err, "reading the state of user %d", id)
	}
	return st, nil
}

// RefreshState answers when the token was blacklisted and whether its
// session ended, in one query.
func (s *Store) RefreshState(ctx context.Context, jti string) (*time.Time, bool, error) {
	var at *time.Time
	var ended bool
	err := s.pool.QueryRow(ctx, `SELECT
    (SELECT b.blacklisted_at FROM token_blacklist_blacklistedtoken b JOIN token_blacklist_outstandingtoken o ON o.id = b.token_id WHERE o.jti = $1),
    EXISTS (SELECT 1 FROM jwtgate_session WHERE id = left($1, 16) AND revoked_at IS NOT NULL)`, jti).Scan(&at, &ended)
	if err != nil {
		return nil, false, s.fail(err, "checking the blacklist for %q", jti)
	}
	return at, ended, nil
}

// StartSession records the session and its refresh token in one
// transaction.
func (s *Store) StartSession(ctx context.Context, sess store.Session, refresh store.OutstandingToken) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO jwtgate_session (id, user_id, created_at, last_refreshed_at, client_ip, user_agent, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			sess.ID, sess.UserID, sess.CreatedAt, sess.LastRefreshedAt, sess.ClientIP, sess.UserAgent, sess.ExpiresAt); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO token_blacklist_outstandingtoken (token, created_at, expires_at, user_id, jti) VALUES ($1, $2, $3, $4, $5)`, outstandingArgs(refresh)...)
		return err
	})
	if err != nil {
		return s.fail(err, "starting session %q", sess.ID)
	}
	return nil
}

// rotateQuery is RotateSession as one statement, so a rotation costs one
// round trip (pgx prepares it once per connection). $1–$5 are old's
// outstanding row, $6 the blacklisting time, $7 and $8 the session's last
// refresh and expiry, $9 whether to blacklist old, $10–$14 next's row
// (its jti empty: none).
//
// With $9 it is also the refresh view's check of old (RefreshState): live
// is false when old's session has ended, and then nothing changes.
// Otherwise old's outstanding row is got or created (ins, tok: a row this
// statement inserts is not in its snapshot, hence the union), and
// blacklisted; the unique token_id decides between concurrent rotations
// of one token (bl is empty for all but one, and for a token blacklisted
// before), and only the one that blacklisted it goes on to mark the
// session (rotated_jti, which the blacklist trigger reads when the
// statement ends, so the session lives on) and record next. The blacklist
// key is taken before the session row, as Blacklist and RevokeSession do.
// A session that a revocation ended after the snapshot is not updated:
// then (done false) next is not recorded, so that no token outlives the
// revocation unblacklisted; old stays blacklisted, as the revocation
// wants. Without $9 neither live, bl nor done is consulted.
const rotateQuery = `WITH live AS (
    SELECT NOT ($9::boolean AND EXISTS (SELECT 1 FROM jwtgate_session WHERE id = left($5, 16) AND revoked_at IS NOT NULL)) AS live
), ins AS (
    INSERT INTO token_blacklist_outstandingtoken (token, created_at, expires_at, user_id, jti)
    SELECT $1::text, $2::timestamptz, $3::timestamptz, $4::integer, $5::varchar WHERE $9 AND (SELECT live FROM live)
    ON CONFLICT (jti) DO NOTHING RETURNING id
), tok AS (
    (SELECT id FROM ins UNION ALL SELECT id FROM token_blacklist_outstandingtoken WHERE jti = $5 AND $9 AND (SELECT live FROM live)) LIMIT 1
), bl AS (
    INSERT INTO token_blacklist_blacklistedtoken (token_id, blacklisted_at) SELECT id, $6::timestamptz FROM tok
    ON CONFLICT (token_id) DO NOTHING RETURNING id
), ok AS (
    SELECT NOT $9 OR EXISTS (SELECT 1 FROM bl) AS ok
), sess AS (
    UPDATE jwtgate_session SET rotated_jti = CASE WHEN $9 THEN $5 ELSE rotated_jti END,
        last_refreshed_at = $7::bigint, expires_at = GREATEST(expires_at, $8::bigint)
    WHERE id = left($5, 16) AND revoked_at IS NULL AND (SELECT ok FROM ok)
    RETURNING 1
), done AS (
    SELECT (SELECT ok FROM ok) AND (NOT $9 OR EXISTS (SELECT 1 FROM sess)
        OR NOT EXISTS (SELECT 1 FROM jwtgate_session WHERE id = left($5, 16))) AS done
), nxt AS (
    INSERT INTO token_blacklist_outstandingtoken (token, created_at, expires_at, user_id, jti)
    SELECT $10::text, $11::timestamptz, $12::timestamptz, $13::integer, $14::varchar WHERE $14 <> '' AND (SELECT done FROM done)
)
SELECT live, ok, done FROM live, ok, done`

// RotateSession marks old as rotated in its session, blacklists it and
// records next, in one statement (rotateQuery).
func (s *Store) RotateSession(ctx context.Context, old, next store.OutstandingToken, at time.Time, expires int64, blacklist bool) error {
	args := append(outstandingArgs(old), utcMicro(at), at.Unix(), expires, blacklist)
	args = append(args, outstandingArgs(next)...)
	var live, ok, done bool
	if err := s.pool.QueryRow(ctx, rotateQuery, args...).Scan(&live, &ok, &done); err != nil {
		return s.fail(err, "rotating token %q", old.JTI)
	}
	switch {
	case !live:
		return store.ErrSessionEnded
	case !ok:
		return store.ErrAlreadyBlacklisted
	case !done:
		return store.ErrSessionEnded
	}
	return nil
}

// revokeQuery ends, at $4, the live sessions of user $2 (only session $3
// unless it is empty) and blacklists, at $1, their unexpired outstanding
// tokens not blacklisted yet (with $3, only while that session is live);
// it returns how many sessions it ended. It takes the blacklist keys, in
// id order, before the session rows (ended reads bl), as RotateSession,
// Blacklist and Django's logout do, so a revocation racing a rotation of
// the same session waits for it instead of deadlocking. The blacklist
// trigger runs when the statement ends and finds the sessions ended.
const revokeQuery = `WITH bl AS (
    INSERT INTO token_blacklist_blacklistedtoken (blacklisted_at, token_id)
    SELECT $1, o.id FROM token_blacklist_outstandingtoken o
    WHERE o.user_id = $2 AND o.expires_at > $1 AND ($3 = '' OR left(o.jti, 16) = $3
        AND EXISTS (SELECT 1 FROM jwtgate_session WHERE id = $3 AND user_id = $2 AND revoked_at IS NULL))
    ORDER BY o.id
    ON CONFLICT (token_id) DO NOTHING RETURNING 1
), ended AS (
    UPDATE jwtgate_session SET revoked_at = $4
    WHERE user_id = $2 AND ($3 = '' OR id = $3) AND revoked_at IS NULL AND (SELECT count(*) FROM bl) >= 0
    RETURNING 1
)
SELECT count(*) FROM ended`

// blacklistOutstanding blacklists, at $1, every unexpired outstanding
// token of user $2 (of session $3 when not empty) not blacklisted yet.
const blacklistOutstanding = `INSERT INTO token_blacklist_blacklistedtoken (blacklisted_at, token_id)
SELECT $1, o.id FROM token_blacklist_outstandingtoken o
WHERE o.user_id = $2 AND ($3 = '' OR left(o.jti, 16) = $3) AND o.expires_at > $1
ORDER BY o.id ON CONFLICT (token_id) DO NOTHING`

// revoke ends the live sessions of the user (only session id unless it
// is empty) and blacklists their outstanding tokens, runs then in the same
// transaction, and commits. A rotation
// that committed while revokeQuery waited for its key recorded a token
// revokeQuery's snapshot lacks: a second statement, after the commit (so
// it holds no session row while it takes keys), blacklists it.
func (s *Store) revoke(ctx context.Context, userID int64, id string, at time.Time, then func(pgx.Tx) error) (bool, error) {
	var n int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, revokeQuery, utcMicro(at), userID, id, at.Unix()).Scan(&n); err != nil {
			return err
		}
		return then(tx)
	})
	if err == nil && (n > 0 || id == "") {
		_, err = s.pool.Exec(ctx, blacklistOutstanding, utcMicro(at), userID, id)
	}
	return n > 0, err
}

// RevokeSession ends the session and blacklists its outstanding tokens.
func (s *Store) RevokeSession(ctx context.Context, userID int64, id string, at time.Time) (bool, error) {
	changed, err := s.revoke(ctx, userID, id, at, func(pgx.Tx) error { return nil })
	if err != nil {
		return false, s.fail(err, "ending session %q", id)
	}
	return changed, nil
}

// RevokeUser ends the sessions and blacklists the outstanding tokens of
// the user and raises its not-before.
func (s *Store) RevokeUser(ctx context.Context, userID int64, notBefore int64, at time.Time) error {
	_, err := s.revoke(ctx, userID, "", at, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO jwtgate_user_revocation (user_id, not_before) VALUES ($1, $2)
ON CONFLICT (user_id) DO UPDATE SET not_before = GREATEST(jwtgate_user_revocation.not_before, EXCLUDED.not_before)`, userID, notBefore)
		return err
	})
	if err != nil {
		return s.fail(err, "revoking the tokens of user %d", userID)
	}
	return nil
}

// Sessions lists the user's live sessions, newest first.
func (s *Store) Sessions(ctx context.Context, userID int64, now time.Time) ([]store.Session, error) {
	rows, _ := s.pool.Query(ctx, `SELECT id, user_id, created_at, last_refreshed_at, client_ip, user_agent, expires_at FROM jwtgate_session
WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY created_at DESC, id`, userID, now.Unix())
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Session, error) {
		var x store.Session
		err := r.Scan(&x.ID, &x.UserID, &x.CreatedAt, &x.LastRefreshedAt, &x.ClientIP, &x.UserAgent, &x.ExpiresAt)
		return x, err
	})
	if err != nil {
		return nil, s.fail(err, "listing the sessions of user %d", userID)
	}
	if out == nil {
		out = []store.Session{}
	}
	return out, nil
}
