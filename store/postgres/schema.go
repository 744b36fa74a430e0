package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// migrateLockKey is the pg_advisory_xact_lock key (one-bigint form) that
// serialises Migrate across every process on the database ("jwgtmig1" in
// ASCII).
const migrateLockKey int64 = 0x6a77_6774_6d69_6731

// djangoTable is one of the tables Django 3.2 + simplejwt 5.2.2 create, as
// the statements that give the layout pg_dump shows for a Django-migrated
// database (store/schema_ref/django_postgres.sql), unqualified: they run
// with search_path set to the store's schema.
type djangoTable struct {
	name string
	ddl  []string
}

// djangoTables are created in this order (the foreign keys point
// backwards), each only when it is missing.
var djangoTables = []djangoTable{
	{"auth_user", []string{
		`CREATE TABLE auth_user (
    id integer NOT NULL,
    password character varying(128) NOT NULL,
    last_login timestamp with time zone,
    is_superuser boolean NOT NULL,
    username character varying(150) NOT NULL,
    first_name character varying(150) NOT NULL,
    last_name character varying(150) NOT NULL,
    email character varying(254) NOT NULL,
    is_staff boolean NOT NULL,
    is_active boolean NOT NULL,
    date_joined timestamp with time zone NOT NULL
)`,
		`CREATE SEQUENCE auth_user_id_seq AS integer START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1`,
		`ALTER SEQUENCE auth_user_id_seq OWNED BY auth_user.id`,
		`ALTER TABLE ONLY auth_user ALTER COLUMN id SET DEFAULT nextval('auth_user_id_seq'::regclass)`,
		`ALTER TABLE ONLY auth_user ADD CONSTRAINT auth_user_pkey PRIMARY KEY (id)`,
		`ALTER TABLE ONLY auth_user ADD CONSTRAINT auth_user_username_key UNIQUE (username)`,
		`CREATE INDEX auth_user_username_6821ab7c_like ON auth_user USING btree (username varchar_pattern_ops)`,
	}},
	{"token_blacklist_outstandingtoken", []string{
		`CREATE TABLE token_blacklist_outstandingtoken (
    id bigint NOT NULL,
    token text NOT NULL,
    created_at timestamp with time zone,
    expires_at timestamp with time zone NOT NULL,
    user_id integer,
    jti character varying(255) NOT NULL
)`,
		`CREATE SEQUENCE token_blacklist_outstandingtoken_id_seq START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1`,
		`ALTER SEQUENCE token_blacklist_outstandingtoken_id_seq OWNED BY token_blacklist_outstandingtoken.id`,
		`ALTER TABLE ONLY token_blacklist_outstandingtoken ALTER COLUMN id SET DEFAULT nextval('token_blacklist_outstandingtoken_id_seq'::regclass)`,
		`ALTER TABLE ONLY token_blacklist_outstandingtoken ADD CONSTRAINT token_blacklist_outstandingtoken_jti_hex_d9bdf6f7_uniq UNIQUE (jti)`,
		`ALTER TABLE ONLY token_blacklist_outstandingtoken ADD CONSTRAINT token_blacklist_outstandingtoken_pkey PRIMARY KEY (id)`,
		`CREATE INDEX token_blacklist_outstandingtoken_jti_hex_d9bdf6f7_like ON token_blacklist_outstandingtoken USING btree (jti varchar_pattern_ops)`,
		`CREATE INDEX token_blacklist_outstandingtoken_user_id_83bc629a ON token_blacklist_outstandingtoken USING btree (user_id)`,
		`ALTER TABLE ONLY token_blacklist_outstandingtoken ADD CONSTRAINT token_blacklist_outs_user_id_83bc629a_fk_auth_user FOREIGN KEY (user_id) REFERENCES auth_user(id) DEFERRABLE INITIALLY DEFERRED`,
	}},
	{"token_blacklist_blacklistedtoken", []string{
		`CREATE TABLE token_blacklist_blacklistedtoken (
    id bigint NOT NULL,
    blacklisted_at timestamp with time zone NOT NULL,
    token_id bigint NOT NULL
)`,
		`CREATE SEQUENCE token_blacklist_blacklistedtoken_id_seq START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1`,
		`ALTER SEQUENCE token_blacklist_blacklistedtoken_id_seq OWNED BY token_blacklist_blacklistedtoken.id`,
		`ALTER TABLE ONLY token_blacklist_blacklistedtoken ALTER COLUMN id SET DEFAULT nextval('token_blacklist_blacklistedtoken_id_seq'::regclass)`,
		`ALTER TABLE ONLY token_blacklist_blacklistedtoken ADD CONSTRAINT token_blacklist_blacklistedtoken_pkey PRIMARY KEY (id)`,
		`ALTER TABLE ONLY token_blacklist_blacklistedtoken ADD CONSTRAINT token_blacklist_blacklistedtoken_token_id_key UNIQUE (token_id)`,
		`ALTER TABLE ONLY token_blacklist_blacklistedtoken ADD CONSTRAINT token_blacklist_blacklistedtoken_token_id_3cc7fe56_fk FOREIGN KEY (token_id) REFERENCES token_blacklist_outstandingtoken(id) DEFERRABLE INITIALLY DEFERRED`,
	}},
}

// userChangeChannel is the NOTIFY channel of the user change feed.
const userChangeChannel = "jwtgate_user_change"

// resetPayload is the payload the TRUNCATE trigger sends: every user may
// have changed.
const resetPayload = "*"

// notifyFunction is the name of jwtgate's trigger function, and
// notifyBody its body; Migrate compares pg_proc.prosrc with notifyBody to
// leave an up-to-date function alone.
const (
	notifyFunction = "jwtgate_notify_user_change"
	notifyBody     = `
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_catalog.pg_notify('` + userChangeChannel + `', '` + resetPayload + `');
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM pg_catalog.pg_notify('` + userChangeChannel + `', OLD.id::text);
    ELSE
        PERFORM pg_catalog.pg_notify('` + userChangeChannel + `', NEW.id::text);
        IF TG_OP = 'UPDATE' AND OLD.id IS DISTINCT FROM NEW.id THEN
            PERFORM pg_catalog.pg_notify('` + userChangeChannel + `', OLD.id::text);
        END IF;
    END IF;
    RETURN NULL;
END
`
)

// notifyTrigger is one of jwtgate's triggers on auth_user. tgtype is the
// pg_trigger.tgtype bit set it has (1 row, 4 insert, 8 delete, 16
// update, 32 truncate; 0 for "after").
type notifyTrigger struct {
	name   string
	tgtype int16
	ddl    string
}

const executeNotify = ` EXECUTE FUNCTION ` + notifyFunction + `()`

var notifyTriggers = []notifyTrigger{
	{"jwtgate_user_change_insert", 1 | 4,
		`CREATE OR REPLACE TRIGGER jwtgate_user_change_insert AFTER INSERT ON auth_user FOR EACH ROW` + executeNotify},
	{"jwtgate_user_change_update", 1 | 16,
		`CREATE OR REPLACE TRIGGER jwtgate_user_change_update AFTER UPDATE OF id, username, is_active, is_staff, is_superuser ON auth_user FOR EACH ROW
WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.username IS DISTINCT FROM NEW.username OR OLD.is_active IS DISTINCT FROM NEW.is_active
    OR OLD.is_staff IS DISTINCT FROM NEW.is_staff OR OLD.is_superuser IS DISTINCT FROM NEW.is_superuser)` + executeNotify},
	{"jwtgate_user_change_delete", 1 | 8,
		`CREATE OR REPLACE TRIGGER jwtgate_user_change_delete AFTER DELETE ON auth_user FOR EACH ROW` + executeNotify},
	{"jwtgate_user_change_truncate", 32,
		`CREATE OR REPLACE TRIGGER jwtgate_user_change_truncate AFTER TRUNCATE ON auth_user FOR EACH STATEMENT` + executeNotify},
}

// Migrate creates what is missing, in one transaction that holds an
// advisory lock so that gateways starting together do not race: the
// schema, each of Django's three tables that does not exist (with exactly
// the layout Django's migrations give it on PostgreSQL: sequences,
// constraint and index names, deferred foreign keys), and jwtgate's user
// change feed (see the package documentation). It never alters an existing
// table, and leaves the function and triggers alone when they are already
// in place, so on a migrated database it takes no lock on auth_user. After
// that transaction it adds jwtgate's indexes on lower(auth_user.email)
// and lower(auth_user.username) when missing (ensureLowerIndex), without
// blocking writes.
func (s *Store) Migrate(ctx context.Context) error {
	err := s.MigrateTables(ctx)
	for _, ix := range lowerIndexes {
		if err == nil {
			err = s.ensureLowerIndex(ctx, ix.name, ix.column)
		}
	}
	if err != nil {
		return fmt.Errorf("postgres: migrating schema %s: %w", s.schema, err)
	}
	return nil
}

// MigrateTables is Migrate without the indexes on lower(email) and
// lower(username), whose build reads all of auth_user (half a minute for
// ten million users): the gateway serves once the tables are there and
// builds those in the background (see store.TableMigrator).
func (s *Store) MigrateTables(ctx context.Context) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLockKey); err != nil {
			return err
		}
		if err := s.ensureSchema(ctx, tx); err != nil {
			return err
		}
		for _, t := range djangoTables {
			var exists bool
			if err := tx.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, t.name).Scan(&exists); err != nil {
				return err
			}
			if exists {
				continue
			}
			for _, stmt := range t.ddl {
				if _, err := tx.Exec(ctx, stmt); err != nil {
					return fmt.Errorf("creating table %s: %w", t.name, err)
				}
			}
		}
		if err := ensureFeed(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, throttleTable); err != nil {
			return err
		}
		return s.ensureSessions(ctx, tx)
	})
	if err != nil {
		return fmt.Errorf("postgres: migrating schema %s: %w", s.schema, err)
	}
	return nil
}

// emailIndex is jwtgate's index on lower(auth_user.email), usernameIndex
// on lower(auth_user.username) (the case-insensitive username check), and
// emailIndexLockKey the session advisory lock (one-bigint form,
// "jwgtidx1" in ASCII) that lets one process at a time build either.
const (
	emailIndex        = "jwtgate_auth_user_email_lower"
	usernameIndex     = "jwtgate_auth_user_username_lower"
	emailIndexLockKey = 0x6a77_6774_6964_7831
)

// lowerIndexes are the indexes ensureLowerIndex keeps, with their column.
var lowerIndexes = []struct{ name, column string }{{emailIndex, "email"}, {usernameIndex, "username"}}

// ensureLowerIndex creates the index name on auth_user (lower(column))
// when it is missing or invalid (a build that was interrupted), with
// CREATE INDEX CONCURRENTLY, which cannot run in a transaction and does
// not block writes to auth_user while it reads an existing large table.
// Django declares no index on lower(email) or lower(username), and
// without one the uniqueness check of every registration reads the whole
// table. One process builds it at a time: a process that finds another
// building it goes on without waiting (registrations are correct without
// the index, only slower, until it is ready).
func (s *Store) ensureLowerIndex(ctx context.Context, name, column string) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	valid := func() (exists, ok bool, err error) {
		err = conn.QueryRow(ctx, `SELECT indisvalid FROM pg_catalog.pg_index WHERE indexrelid = to_regclass($1)`, name).Scan(&ok)
		if errors.Is(err, pgx.ErrNoRows) {
			return false, false, nil
		}
		return err == nil, ok, err
	}
	if _, ok, err := valid(); err != nil || ok {
		return err
	}
	var locked bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, int64(emailIndexLockKey)).Scan(&locked); err != nil || !locked {
		return err
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.ConnectTimeout)
		defer cancel()
		if _, err := conn.Exec(uctx, `SELECT pg_advisory_unlock($1)`, int64(emailIndexLockKey)); err != nil {
			// The lock is the session's: a connection that cannot unlock
			// is closed rather than returned with it.
			conn.Conn().Close(uctx)
		}
	}()
	exists, ok, err := valid()
	if err != nil || ok {
		return err
	}
	if exists {
		// Left invalid by an interrupted build, and nobody builds it now.
		if _, err := conn.Exec(ctx, `DROP INDEX CONCURRENTLY IF EXISTS `+name); err != nil {
			return fmt.Errorf("dropping the invalid index %s: %w", name, err)
		}
	}
	if _, err := conn.Exec(ctx, `CREATE INDEX CONCURRENTLY IF NOT EXISTS `+name+` ON auth_user (lower(`+column+`))`); err != nil {
		return fmt.Errorf("creating index %s on auth_user (lower(%s)): %w", name, column, err)
	}
	return nil
}

// throttleTable is jwtgate's own table of login failure counters (package
// throttle); window_end is in Unix milliseconds.
const throttleTable = `CREATE TABLE IF NOT EXISTS jwtgate_login_failure (
    key text NOT NULL PRIMARY KEY,
    failures integer NOT NULL,
    window_end bigint NOT NULL
)`

// ensureSchema creates the store's schema when it does not exist, and
// checks that unqualified names resolve into it.
func (s *Store) ensureSchema(ctx context.Context, tx pgx.Tx) error {
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1)`, s.opts.Schema).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		if _, err := tx.Exec(ctx, `CREATE SCHEMA `+s.schema); err != nil {
			return fmt.Errorf("creating the schema: %w", err)
		}
	}
	var current *string
	if err := tx.QueryRow(ctx, `SELECT current_schema()`).Scan(&current); err != nil {
		return err
	}
	if current == nil || *current != s.opts.Schema {
		got := "none"
		if current != nil {
			got = quoteIdent(*current)
		}
		return fmt.Errorf("the connection's current schema is %s, not %s; remove search_path from the URL's options and set Options.Schema instead", got, s.schema)
	}
	return nil
}

// ensureFunction creates the trigger function name() with body unless it
// exists with that body.
func ensureFunction(ctx context.Context, tx pgx.Tx, name, body string) error {
	var have *string
	err := tx.QueryRow(ctx, `SELECT prosrc FROM pg_catalog.pg_proc WHERE oid = to_regprocedure($1)`, name+"()").Scan(&have)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) || have != nil && *have == body {
		return err
	}
	if _, err := tx.Exec(ctx, `CREATE OR REPLACE FUNCTION `+name+`() RETURNS trigger LANGUAGE plpgsql AS $jwtgate$`+body+`$jwtgate$`); err != nil {
		return fmt.Errorf("creating function %s: %w", name, err)
	}
	return nil
}

// ensureFeed creates or updates the trigger function and the triggers of
// the user change feed.
func ensureFeed(ctx context.Context, tx pgx.Tx) error {
	if err := ensureFunction(ctx, tx, notifyFunction, notifyBody); err != nil {
		return err
	}
	// A trigger is in place when one of that name on auth_user calls the
	// function for the right events.
	rows, _ := tx.Query(ctx, `SELECT tgname, tgtype FROM pg_catalog.pg_trigger
WHERE tgrelid = to_regclass('auth_user') AND tgfoid = to_regprocedure($1) AND NOT tgisinternal`, notifyFunction+"()")
	have := map[string]int16{}
	var name string
	var tgtype int16
	if _, err := pgx.ForEachRow(rows, []any{&name, &tgtype}, func() error { have[name] = tgtype; return nil }); err != nil {
		return err
	}
	for _, tr := range notifyTriggers {
		if tgtype, ok := have[tr.name]; ok && tgtype == tr.tgtype {
			continue
		}
		if _, err := tx.Exec(ctx, tr.ddl); err != nil {
			return fmt.Errorf("creating trigger %s on auth_user: %w", tr.name, err)
		}
	}
	return nil
}
