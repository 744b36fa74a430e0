package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/jwtgate/jwtgate/store"
)

// driverName is the database/sql name modernc.org/sqlite registers.
const driverName = "sqlite"

// Defaults of the Options fields left zero.
const (
	DefaultBusyTimeout    = 5 * time.Second
	DefaultPollInterval   = 50 * time.Millisecond
	DefaultResyncInterval = 5 * time.Minute
	DefaultMaxOpenConns   = 4
)

// Options configures Open. Zero fields take the defaults above.
type Options struct {
	// Path is the database file (required). Its directory is created
	// (mode 0700) when missing, and a new file gets mode 0600.
	Path string
	// BusyTimeout is how long a write waits in all for another process's
	// write lock before failing with "database is locked". The caller's
	// context ends the wait sooner (see writeQueue).
	BusyTimeout time.Duration
	// PollInterval is how often WatchUsers looks for changes.
	PollInterval time.Duration
	// ResyncInterval is how often WatchUsers re-reads every user anyway
	// (a full Load, as a safety net).
	ResyncInterval time.Duration
	// MaxOpenConns bounds the connections of the store's pool. Each
	// WatchUsers call uses one more connection of its own.
	MaxOpenConns int
}

// Store is the SQLite implementation of store.Store. It is safe for
// concurrent use.
type Store struct {
	db     *sql.DB
	dsn    string
	opts   Options
	stmts  stmts
	writes writeQueue

	// The change feed is pruned every pruneEvery of rows older than
	// pruneAge; tests shorten them.
	pruneAge   time.Duration
	pruneEvery time.Duration
}

var _ store.Store = (*Store)(nil)

// Open opens (creating it if needed) the database file at opts.Path and
// checks that it is a usable SQLite database. It does not create tables;
// call Migrate.
func Open(ctx context.Context, opts Options) (*Store, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := createFile(opts.Path); err != nil {
		return nil, err
	}
	s := &Store{
		dsn:        dsn(opts),
		opts:       opts,
		pruneAge:   10 * time.Minute,
		pruneEvery: time.Minute,
	}
	s.db, err = sql.Open(driverName, s.dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: opening %s: %w", opts.Path, err)
	}
	s.db.SetMaxOpenConns(opts.MaxOpenConns)
	s.db.SetMaxIdleConns(opts.MaxOpenConns)
	if err := s.db.PingContext(ctx); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("sqlite: opening %s (is it an SQLite database on a local, writable file system?): %w", opts.Path, err)
	}
	return s, nil
}

func (o Options) withDefaults() (Options, error) {
	if o.Path == "" {
		return o, errors.New("sqlite: Options.Path is empty; give the database file to use")
	}
	if strings.Contains(o.Path, "?") {
		return o, fmt.Errorf("sqlite: the database path %q contains '?'; choose a path without it", o.Path)
	}
	if o.BusyTimeout < 0 || o.PollInterval < 0 || o.ResyncInterval < 0 || o.MaxOpenConns < 0 {
		return o, errors.New("sqlite: Options durations and MaxOpenConns must not be negative; use 0 for the default")
	}
	abs, err := filepath.Abs(o.Path)
	if err != nil {
		return o, fmt.Errorf("sqlite: resolving the database path %q: %w", o.Path, err)
	}
	o.Path = abs
	if o.BusyTimeout == 0 {
		o.BusyTimeout = DefaultBusyTimeout
	}
	if o.PollInterval == 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.ResyncInterval == 0 {
		o.ResyncInterval = DefaultResyncInterval
	}
	if o.MaxOpenConns == 0 {
		o.MaxOpenConns = DefaultMaxOpenConns
	}
	return o, nil
}

// createFile makes the file's directory (0700) and the file itself (0600)
// when they do not exist; SQLite would otherwise create the file 0644. An
// empty file is a valid empty database.
func createFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("sqlite: creating the directory of the database: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sqlite: creating the database file: %w", err)
	}
	return f.Close()
}

// dsn is the driver's data source name: the path, then the pragmas every
// connection runs and BEGIN IMMEDIATE for write transactions.
func dsn(o Options) string {
	ms := max(min(o.BusyTimeout, busySlice).Milliseconds(), 1)
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", ms))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	return o.Path + "?" + q.Encode()
}

// Close closes the store's connections. A running WatchUsers has a
// connection of its own and stops only when its context ends.
func (s *Store) Close() error {
	s.closeStmts()
	return s.db.Close()
}

// djangoSchema is the DDL Django 3.2.25 + simplejwt 5.2.2 migrations leave
// in sqlite_master, with IF NOT EXISTS added (SQLite stores the statement
// without it, so sqlite_master matches a Django-migrated database).
var djangoSchema = []string{
	`CREATE TABLE IF NOT EXISTS "auth_user" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "password" varchar(128) NOT NULL, "last_login" datetime NULL, "is_superuser" bool NOT NULL, "username" varchar(150) NOT NULL UNIQUE, "last_name" varchar(150) NOT NULL, "email" varchar(254) NOT NULL, "is_staff" bool NOT NULL, "is_active" bool NOT NULL, "date_joined" datetime NOT NULL, "first_name" varchar(150) NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS "token_blacklist_outstandingtoken" ("token" text NOT NULL, "created_at" datetime NULL, "expires_at" datetime NOT NULL, "user_id" integer NULL REFERENCES "auth_user" ("id") DEFERRABLE INITIALLY DEFERRED, "jti" varchar(255) NOT NULL UNIQUE, "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT)`,
	`CREATE TABLE IF NOT EXISTS "token_blacklist_blacklistedtoken" ("blacklisted_at" datetime NOT NULL, "token_id" bigint NOT NULL UNIQUE REFERENCES "token_blacklist_outstandingtoken" ("id") DEFERRABLE INITIALLY DEFERRED, "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT)`,
	`CREATE INDEX IF NOT EXISTS "token_blacklist_outstandingtoken_user_id_83bc629a" ON "token_blacklist_outstandingtoken" ("user_id")`,
}

// nowText is the current time in SQL, as the triggers record it.
const nowText = `strftime('%Y-%m-%d %H:%M:%f', 'now')`

// feedSchema is jwtgate's own change feed on auth_user (see the package
// documentation).
var feedSchema = []string{
	`CREATE TABLE IF NOT EXISTS "jwtgate_user_change" ("seq" INTEGER PRIMARY KEY AUTOINCREMENT, "user_id" integer NOT NULL, "changed_at" TEXT NOT NULL)`,
	`CREATE TRIGGER IF NOT EXISTS "jwtgate_user_change_insert" AFTER INSERT ON "auth_user" BEGIN
	INSERT INTO "jwtgate_user_change" ("user_id", "changed_at") VALUES (NEW."id", ` + nowText + `);
END`,
	`CREATE TRIGGER IF NOT EXISTS "jwtgate_user_change_update" AFTER UPDATE OF "id", "username", "is_active", "is_staff", "is_superuser" ON "auth_user"
WHEN OLD."id" IS NOT NEW."id" OR OLD."username" IS NOT NEW."username" OR OLD."is_active" IS NOT NEW."is_active"
	OR OLD."is_staff" IS NOT NEW."is_staff" OR OLD."is_superuser" IS NOT NEW."is_superuser"
BEGIN
	INSERT INTO "jwtgate_user_change" ("user_id", "changed_at") VALUES (NEW."id", ` + nowText + `);
	INSERT INTO "jwtgate_user_change" ("user_id", "changed_at") SELECT OLD."id", ` + nowText + ` WHERE OLD."id" IS NOT NEW."id";
END`,
	`CREATE TRIGGER IF NOT EXISTS "jwtgate_user_change_delete" AFTER DELETE ON "auth_user" BEGIN
	INSERT INTO "jwtgate_user_change" ("user_id", "changed_at") VALUES (OLD."id", ` + nowText + `);
END`,
}

// nowSecs is the current Unix second in SQL.
const nowSecs = `CAST(strftime('%s', 'now') AS INTEGER)`

// sessionSchema is jwtgate's session and revocation state (see
// docs/sessions.md): its own two tables, and triggers that end a session
// when a token of it is blacklisted other than by the gateway's own
// rotation, raise a user's not-before when its password changes, and feed
// every change of that state to the user change feed. Times are Unix
// seconds.
var sessionSchema = []string{
	`CREATE TABLE IF NOT EXISTS "jwtgate_session" ("id" char(16) NOT NULL PRIMARY KEY, "user_id" integer NOT NULL, "created_at" bigint NOT NULL, "last_refreshed_at" bigint NOT NULL, "client_ip" text NOT NULL, "user_agent" text NOT NULL, "expires_at" bigint NOT NULL, "revoked_at" bigint NULL, "rotated_jti" varchar(255) NULL)`,
	`CREATE INDEX IF NOT EXISTS "jwtgate_session_user_id" ON "jwtgate_session" ("user_id")`,
	`CREATE TABLE IF NOT EXISTS "jwtgate_user_revocation" ("user_id" integer NOT NULL PRIMARY KEY, "not_before" bigint NOT NULL)`,
	`CREATE TRIGGER IF NOT EXISTS "jwtgate_session_revoked" AFTER UPDATE OF "revoked_at" ON "jwtgate_session"
WHEN OLD."revoked_at" IS NULL AND NEW."revoked_at" IS NOT NULL
BEGIN
	INSERT INTO "jwtgate_user_change" ("user_id", "changed_at") VALUES (NEW."user_id", ` + nowText + `);
END`,
	`CREATE TRIGGER IF NOT EXISTS "jwtgate_user_revocation_insert" AFTER INSERT ON "jwtgate_user_revocation" BEGIN
	INSERT INTO "jwtgate_user_change" ("user_id", "changed_at") VALUES (NEW."user_id", ` + nowText + `);
END`,
	`CREATE TRIGGER IF NOT EXISTS "jwtgate_user_revocation_update" AFTER UPDATE ON "jwtgate_user_revocation"
WHEN OLD."not_before" IS NOT NEW."not_before"
BEGIN
	INSERT INTO "jwtgate_user_change" ("user_id", "changed_at") VALUES (NEW."user_id", ` + nowText + `);
END`,
	// The second after now: a token issued in the same second as the
	// change, before or after it, has an older iat; a login waits for it.
	`CREATE TRIGGER IF NOT EXISTS "jwtgate_password_changed" AFTER UPDATE OF "password" ON "auth_user"
WHEN OLD."password" IS NOT NEW."password"
BEGIN
	INSERT OR IGNORE INTO "jwtgate_user_revocation" ("user_id", "not_before") VALUES (NEW."id", ` + nowSecs + ` + 1);
	UPDATE "jwtgate_user_revocation" SET "not_before" = ` + nowSecs + ` + 1 WHERE "user_id" = NEW."id" AND "not_before" < ` + nowSecs + ` + 1;
END`,
	// Every password change reaches the feed, also a second one within the
	// not-before's second, which leaves jwtgate_user_revocation as it is:
	// the fingerprint CHECK_REVOKE_TOKEN compares with changed.
	`CREATE TRIGGER IF NOT EXISTS "jwtgate_user_change_password" AFTER UPDATE OF "password" ON "auth_user"
WHEN OLD."password" IS NOT NEW."password"
BEGIN
	INSERT INTO "jwtgate_user_change" ("user_id", "changed_at") VALUES (NEW."id", ` + nowText + `);
END`,
	`CREATE TRIGGER IF NOT EXISTS "jwtgate_session_blacklisted" AFTER INSERT ON "token_blacklist_blacklistedtoken" BEGIN
	UPDATE "jwtgate_session" SET "revoked_at" = ` + nowSecs + `
	WHERE "revoked_at" IS NULL
		AND "id" = (SELECT substr("jti", 1, 16) FROM "token_blacklist_outstandingtoken" WHERE "id" = NEW."token_id")
		AND "rotated_jti" IS NOT (SELECT "jti" FROM "token_blacklist_outstandingtoken" WHERE "id" = NEW."token_id");
END`,
}

// emailSchema is jwtgate's index on lower(email): Django declares none on
// auth_user.email, and without one the uniqueness check of a registration
// reads the whole table. The check asks lower(email) = lower(?) AND
// email = ?, so the match stays exact while this index serves it.
var emailSchema = []string{
	`CREATE INDEX IF NOT EXISTS "jwtgate_auth_user_email_lower" ON "auth_user" (lower("email"))`,
	// The case-insensitive username check (CreateUserOptions.IgnoreCase).
	`CREATE INDEX IF NOT EXISTS "jwtgate_auth_user_username_lower" ON "auth_user" (lower("username"))`,
}

// throttleSchema is jwtgate's own table of login failure counters
// (package throttle); window_end is in Unix milliseconds.
var throttleSchema = []string{
	`CREATE TABLE IF NOT EXISTS "jwtgate_login_failure" ("key" text NOT NULL PRIMARY KEY, "failures" integer NOT NULL, "window_end" bigint NOT NULL)`,
}

// Migrate creates the Django tables jwtgate uses, its change feed, its
// login failure counters and its index on lower(email) when they are
// missing, in one transaction. It never alters an existing table's
// columns.
func (s *Store) Migrate(ctx context.Context) error {
	err := s.inTx(ctx, func(tx *txn) error {
		stmts := append(append(append(append(append([]string{}, djangoSchema...), emailSchema...), feedSchema...), throttleSchema...), sessionSchema...)
		for _, stmt := range stmts {
			// DDL runs once: tx.Tx, so it is not kept prepared.
			if _, err := tx.Tx.ExecContext(ctx, stmt); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: migrating %s: %w", s.opts.Path, err)
	}
	return nil
}

// busySlice is how long SQLite itself waits for another process's write
// lock (its busy_timeout) before handing control back to begin, which
// waits in these slices up to Options.BusyTimeout.
const busySlice = 100 * time.Millisecond

// collect scans every row of rows (err: the query's error) with scan.
func collect[T any](rows *sql.Rows, err error, scan func(rowScanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// affected is the RowsAffected of an Exec's result, or the Exec's error.
func affected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// errCode returns the SQLite extended result code of err, or 0.
func errCode(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

func isUniqueViolation(err error) bool {
	return errCode(err) == sqlite3.SQLITE_CONSTRAINT_UNIQUE
}

func isForeignKeyViolation(err error) bool {
	return errCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// bit stores a bool as Django does on SQLite.
func bit(b bool) int {
	if b {
		return 1
	}
	return 0
}

// quoteIdent quotes an SQL identifier.
func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// formatTime renders t the way Django stores a DateTimeField on SQLite:
// Python's str() of a naive UTC datetime, "YYYY-MM-DD HH:MM:SS.ffffff",
// with the fraction left out when the microseconds are 0. Sub-microsecond
// digits are truncated, as Python's datetime cannot hold them.
//
// Texts in this one format sort like the instants they stand for (a missing
// fraction sorts before any fraction of the same second), which is what
// FlushExpired relies on, exactly as Django's own queries do.
func formatTime(t time.Time) string {
	t = t.UTC().Truncate(time.Microsecond)
	if t.Nanosecond() == 0 {
		return t.Format("2006-01-02 15:04:05")
	}
	return t.Format("2006-01-02 15:04:05.000000")
}

// parseTime reads a datetime as Django writes it on SQLite (naive UTC,
// optional fraction) and also accepts a 'T' separator and a trailing "Z"
// or numeric offset such as "+00:00", as other writers produce. The result
// is in UTC, truncated to microseconds.
func parseTime(s string) (time.Time, error) {
	v := strings.TrimSpace(s)
	if len(v) > 10 && v[10] == 'T' {
		v = v[:10] + " " + v[11:]
	}
	layout := "2006-01-02 15:04:05.999999999"
	switch {
	case strings.HasSuffix(v, "Z"):
		v = strings.TrimSuffix(v, "Z")
	case len(v) > 19 && (v[len(v)-6] == '+' || v[len(v)-6] == '-') && v[len(v)-3] == ':':
		layout += "-07:00"
	}
	t, err := time.Parse(layout, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a datetime as Django stores it (YYYY-MM-DD HH:MM:SS[.ffffff])", s)
	}
	return t.UTC().Truncate(time.Microsecond), nil
}
