package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/jwtgate/jwtgate/store"
)

// Defaults of the Options fields left zero.
const (
	DefaultSchema         = "public"
	DefaultMaxConns       = 10
	DefaultConnectTimeout = 5 * time.Second
	DefaultResyncInterval = 5 * time.Minute
	// DefaultCanaryInterval is how often WatchUsers checks that the
	// feed delivers (see Options.CanaryInterval).
	DefaultCanaryInterval = 2 * time.Second
	// DefaultApplicationName is the application_name the store's
	// connections report in pg_stat_activity unless the URL sets one.
	DefaultApplicationName = "jwtgate"
)

// Options configures Open. Zero fields take the defaults above. The fields
// override the corresponding settings of URL (pool_max_conns,
// pool_min_conns, connect_timeout, search_path).
type Options struct {
	// URL is the connection string (required): a postgres:// URL such as
	// "postgres://jwtgate:secret@db.internal:5432/app?sslmode=verify-full",
	// or a libpq keyword/value string. Every setting pgx understands may be
	// used, the PG* environment variables included.
	URL string
	// Schema is the schema that holds (or will hold) Django's tables,
	// "public" by default. Every connection runs with search_path set to
	// exactly this schema; Migrate creates it when it does not exist.
	Schema string
	// MaxConns bounds the connections of the pool (default 10). Each
	// running WatchUsers holds one more connection of its own.
	MaxConns int32
	// MinConns is the number of connections the pool keeps open even when
	// idle (default 0). They are opened in the background, so Open does not
	// fail when the server is down.
	MinConns int32
	// ConnectTimeout bounds each attempt to open a connection (default 5s).
	ConnectTimeout time.Duration
	// ResyncInterval is how often WatchUsers re-reads every user anyway (a
	// full Load, as a safety net against changes that bypassed the
	// triggers, for example made with session_replication_role = replica).
	// Default 5 minutes.
	ResyncInterval time.Duration
	// CanaryInterval is how often WatchUsers sends itself a canary
	// notification through the pool (the path every writer's
	// notifications take) and checks that jwtgate's triggers are enabled
	// (pg_trigger.tgenabled). A canary that has not come back when the
	// next is due, or a disabled trigger, makes it fall back to a full
	// read every second until the feed works again (store.FeedObserver).
	// Default 2 s.
	CanaryInterval time.Duration
}

// Backoff of WatchUsers between reconnection attempts.
const (
	watchMinBackoff = 200 * time.Millisecond
	watchMaxBackoff = 5 * time.Second
)

// Store is the PostgreSQL implementation of store.Store, on a pgxpool
// connection pool. It is safe for concurrent use.
type Store struct {
	pool   *pgxpool.Pool
	opts   Options
	schema string // opts.Schema, quoted as an SQL identifier

	// Backoff of WatchUsers between reconnection attempts; tests
	// shorten them.
	minBackoff, maxBackoff time.Duration
	// pingInterval is how long a WatchUsers connection may stay silent
	// before WatchUsers checks it is still alive.
	pingInterval time.Duration
}

var _ store.Store = (*Store)(nil)

// Open makes a connection pool for opts.URL. It does not connect: the pool
// opens connections when they are first needed, so Open succeeds while the
// server is down and the store starts working once it is up. It fails only
// when the options are invalid. It does not create tables; call Migrate.
// The returned errors never contain the password of the URL.
func Open(ctx context.Context, opts Options) (*Store, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(opts.URL)
	if err != nil {
		return nil, parseError(opts.URL, err)
	}
	cfg.MaxConns = opts.MaxConns
	cfg.MinConns = opts.MinConns
	cfg.ConnConfig.ConnectTimeout = opts.ConnectTimeout
	params := cfg.ConnConfig.RuntimeParams
	params["search_path"] = quoteIdent(opts.Schema)
	if params["application_name"] == "" {
		params["application_name"] = DefaultApplicationName
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: creating the connection pool: %w", err)
	}
	return &Store{
		pool:         pool,
		opts:         opts,
		schema:       quoteIdent(opts.Schema),
		minBackoff:   watchMinBackoff,
		maxBackoff:   watchMaxBackoff,
		pingInterval: 30 * time.Second,
	}, nil
}

func (o Options) withDefaults() (Options, error) {
	if o.URL == "" {
		return o, errors.New("postgres: Options.URL is empty; give a connection URL such as postgres://user:password@host:5432/dbname")
	}
	if o.MaxConns < 0 || o.MinConns < 0 || o.ConnectTimeout < 0 || o.ResyncInterval < 0 {
		return o, errors.New("postgres: Options.MaxConns, MinConns, ConnectTimeout and ResyncInterval must not be negative; use 0 for the default")
	}
	if strings.ContainsRune(o.Schema, 0) {
		return o, errors.New("postgres: Options.Schema contains a NUL byte; give a schema name")
	}
	if o.Schema == "" {
		o.Schema = DefaultSchema
	}
	if o.MaxConns == 0 {
		o.MaxConns = DefaultMaxConns
	}
	if o.MinConns > o.MaxConns {
		return o, fmt.Errorf("postgres: Options.MinConns (%d) exceeds MaxConns (%d); lower MinConns or raise MaxConns", o.MinConns, o.MaxConns)
	}
	if o.ConnectTimeout == 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.ResyncInterval == 0 {
		o.ResyncInterval = DefaultResyncInterval
	}
	if o.CanaryInterval == 0 {
		o.CanaryInterval = DefaultCanaryInterval
	}
	return o, nil
}

// parseError describes a connection string pgx could not parse without
// repeating its password: pgx masks it only on a best-effort basis, and
// its error keeps the whole string in a field, so it is not wrapped.
func parseError(connString string, err error) error {
	msg := err.Error()
	if u, perr := url.Parse(connString); perr == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
			msg = strings.ReplaceAll(msg, url.PathEscape(pw), "xxxxx")
			msg = strings.ReplaceAll(msg, url.QueryEscape(pw), "xxxxx")
		}
	}
	return fmt.Errorf("postgres: Options.URL is not a valid connection string (%s); use the form postgres://user:password@host:5432/dbname?sslmode=require", msg)
}

// Close closes the pool's connections. A running WatchUsers has a
// connection of its own and stops only when its context ends.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// fail wraps err, which happened while doing what (a format for args),
// adding a hint when the tables are missing.
func (s *Store) fail(err error, what string, args ...any) error {
	what = fmt.Sprintf(what, args...)
	if pgError(err, codeUndefinedTable) != nil {
		return fmt.Errorf("postgres: %s (run Migrate first, or check that Options.Schema %s is the schema of Django's tables): %w", what, s.schema, err)
	}
	return fmt.Errorf("postgres: %s: %w", what, err)
}

// SQLSTATE codes the store answers.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
	codeUndefinedTable      = "42P01"
)

// pgError returns err's server error when it has this SQLSTATE, or nil.
func pgError(err error, code string) *pgconn.PgError {
	var e *pgconn.PgError
	if errors.As(err, &e) && e.Code == code {
		return e
	}
	return nil
}

// quoteIdent quotes an SQL identifier.
func quoteIdent(name string) string {
	return pgx.Identifier{name}.Sanitize()
}

// utcMicro is t as Django stores it: UTC, truncated to the microsecond.
func utcMicro(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}
