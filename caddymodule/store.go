package caddymodule

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/url"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"

	"github.com/jwtgate/jwtgate/store"
	"github.com/jwtgate/jwtgate/store/postgres"
	"github.com/jwtgate/jwtgate/store/sqlite"
	"github.com/jwtgate/jwtgate/userindex"
)

// StoreConfig selects where users and the token blacklist live. Values may
// use Caddy's runtime placeholders such as {env.DATABASE_URL} and
// {file./run/secrets/db}, which keeps secrets out of the JSON config.
type StoreConfig struct {
	// URL of the database. A postgres:// or postgresql:// URL selects
	// PostgreSQL; empty selects the embedded SQLite store.
	URL string `json:"url,omitempty"`

	// SQLitePath is the SQLite file of the embedded store. Default:
	// jwtgate/jwtgate.sqlite3 in Caddy's data directory.
	SQLitePath string `json:"sqlite_path,omitempty"`

	// Migrate creates the tables at start-up when they do not exist (the
	// same as the migrate command). Default true; set false when the
	// database user may not create tables, and run `caddy jwtgate migrate` once.
	Migrate *bool `json:"migrate,omitempty"`

	// Schema is the PostgreSQL schema holding Django's tables. Default
	// "public".
	Schema string `json:"schema,omitempty"`

	// MaxConns bounds the PostgreSQL pool. Default 10; the user feed holds
	// one more connection of its own.
	MaxConns int32 `json:"max_conns,omitempty"`

	// MinConns is how many PostgreSQL connections the pool keeps open when
	// idle. Default 0.
	MinConns int32 `json:"min_conns,omitempty"`

	// ConnectTimeout bounds each attempt to open a PostgreSQL connection.
	// Default 5s.
	ConnectTimeout caddy.Duration `json:"connect_timeout,omitempty"`
}

// resolvedStore is a StoreConfig with placeholders replaced and defaults
// filled in; it is also the key of the store pool, so a reload with the
// same settings reuses the open store and its warm user index.
type resolvedStore struct {
	Driver         string
	URL            string
	SQLitePath     string
	Migrate        bool
	ByUsername     bool
	Schema         string
	MaxConns       int32
	MinConns       int32
	ConnectTimeout caddy.Duration
}

func (c *StoreConfig) resolve(repl *caddy.Replacer, byUsername bool) (resolvedStore, error) {
	var cfg StoreConfig
	if c != nil {
		cfg = *c
	}
	r := resolvedStore{
		URL:        strings.TrimSpace(repl.ReplaceKnown(cfg.URL, "")),
		SQLitePath: strings.TrimSpace(repl.ReplaceKnown(cfg.SQLitePath, "")),
		Migrate:    cfg.Migrate == nil || *cfg.Migrate,
		ByUsername: byUsername,
		Schema:     repl.ReplaceKnown(cfg.Schema, ""),
		MaxConns:   cfg.MaxConns, MinConns: cfg.MinConns, ConnectTimeout: cfg.ConnectTimeout,
	}
	if r.MaxConns < 0 || r.MinConns < 0 || r.ConnectTimeout < 0 {
		return r, fmt.Errorf("store pool settings must not be negative")
	}
	switch {
	case r.URL == "":
		r.Driver = "sqlite"
		if r.SQLitePath == "" {
			r.SQLitePath = filepath.Join(caddy.AppDataDir(), "jwtgate", "jwtgate.sqlite3")
		}
	case strings.HasPrefix(r.URL, "postgres://"), strings.HasPrefix(r.URL, "postgresql://"):
		r.Driver = "postgres"
	default:
		return r, fmt.Errorf("store url must be a postgres:// or postgresql:// URL, or empty for the embedded SQLite store (got a value starting %q)", prefixForError(r.URL))
	}
	return r, nil
}

// describe names the store for logs without credentials.
func (r resolvedStore) describe() string {
	if r.Driver == "sqlite" {
		return "sqlite " + r.SQLitePath
	}
	return "postgres " + redactURL(r.URL)
}

// open opens the store described by r.
func (r resolvedStore) open(ctx context.Context) (store.Store, error) {
	if r.Driver == "sqlite" {
		return opened(sqlite.Open(ctx, sqlite.Options{Path: r.SQLitePath}))
	}
	return opened(postgres.Open(ctx, postgres.Options{URL: r.URL, Schema: r.Schema,
		MaxConns: r.MaxConns, MinConns: r.MinConns, ConnectTimeout: time.Duration(r.ConnectTimeout)}))
}

// opened is what an Open returned as a store.Store, nil (not a typed nil)
// on error.
func opened[S store.Store](s S, err error) (store.Store, error) {
	if err != nil {
		return nil, err
	}
	return s, nil
}

// storeHandle is a store shared by every config that names it, with the
// user index WatchUsers keeps current.
type storeHandle struct {
	store  store.Store
	users  *userindex.Index
	cancel context.CancelFunc
	done   chan struct{}
	// inflight counts the requests using the store (the token routes), so
	// a config reload does not close it under them: Caddy does not wait
	// for an old config's requests before cleaning it up.
	inflight atomic.Int64
}

// acquire marks a request using the store; call the returned function when
// it is done.
func (h *storeHandle) acquire() func() {
	h.inflight.Add(1)
	return func() { h.inflight.Add(-1) }
}

// drainTimeout bounds how long a retired store waits for its requests.
const drainTimeout = time.Minute

// Destruct stops the user feed when the last config using the store is
// unloaded, and closes the store once the requests still using it are done
// (or after drainTimeout). It closes in the background: pgxpool says
// goodbye on each connection and waits up to 15 s for a hung server to
// answer, which must not hold up the reload that retired the store.
func (h *storeHandle) Destruct() error {
	h.cancel()
	<-h.done
	go func() {
		deadline := time.Now().Add(drainTimeout)
		for h.inflight.Load() > 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		h.store.Close()
	}()
	return nil
}

// stores keeps open stores across config reloads.
var stores = caddy.NewUsagePool()

// poolKey is the key of a store in the pool.
func (r resolvedStore) poolKey() string {
	b, _ := json.Marshal(r)
	return string(b)
}

// loadStore returns the pooled store for r under key (r.poolKey(), which
// Cleanup must pass to stores.Delete), opening it (and migrating it, and
// starting its user feed) if no loaded config uses it yet. ctx bounds the
// opening and the migration; the feed lives until the last config using
// the store lets go of it.
func loadStore(ctx context.Context, r resolvedStore, key string, log *zap.Logger) (*storeHandle, error) {
	v, loaded, err := stores.LoadOrNew(key, func() (caddy.Destructor, error) {
		s, err := r.open(ctx)
		if err != nil {
			return nil, fmt.Errorf("opening %s: %w", r.describe(), err)
		}
		var migrateErr error
		migrate, indexes := s.Migrate, false
		if tm, ok := s.(store.TableMigrator); ok {
			migrate, indexes = tm.MigrateTables, true
		}
		if r.Migrate {
			// The database may be down at start-up: the gateway starts
			// anyway, answers 503 where it needs the database, and keeps
			// trying below.
			if migrateErr = migrate(ctx); migrateErr != nil {
				log.Error("creating tables failed; retrying in the background", zap.String("store", r.describe()), zap.Error(migrateErr))
			}
		}
		watchCtx, stop := context.WithCancel(context.Background())
		h := &storeHandle{store: s, users: userindex.New(r.ByUsername), cancel: stop, done: make(chan struct{})}
		go func() {
			defer close(h.done)
			if migrateErr != nil && !retryMigrate(watchCtx, migrate, log) {
				return
			}
			var indexing sync.WaitGroup
			defer indexing.Wait()
			if r.Migrate && indexes {
				// Migrate again, now with the indexes, while the feed
				// loads the users: reading a large auth_user to build
				// them must not hold back the gateway's readiness.
				indexing.Go(func() {
					if err := s.Migrate(watchCtx); err != nil && watchCtx.Err() == nil {
						log.Error("building jwtgate's indexes on auth_user failed; registrations stay correct but read the whole table until a restart builds them", zap.Error(err))
					}
				})
			}
			err := s.WatchUsers(watchCtx, &loggingWatcher{Index: h.users, log: log})
			if err != nil && !errors.Is(err, context.Canceled) {
				log.Error("user feed stopped", zap.Error(err))
			}
		}()
		log.Info("store opened", zap.String("store", r.describe()))
		return h, nil
	})
	if err != nil {
		return nil, err
	}
	if loaded {
		log.Debug("reusing store", zap.String("store", r.describe()))
	}
	return v.(*storeHandle), nil
}

// retryMigrate retries Migrate with backoff until it succeeds (true) or
// ctx ends (false).
func retryMigrate(ctx context.Context, migrate func(context.Context) error, log *zap.Logger) bool {
	wait := time.Second
	for {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(wait):
		}
		mctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := migrate(mctx)
		cancel()
		if err == nil {
			log.Info("tables ready")
			return true
		}
		wait = min(2*wait, 30*time.Second)
	}
}

// loggingWatcher logs the feed's failures once per failure streak, and
// hands the memory a large Load leaves behind back to the system.
type loggingWatcher struct {
	*userindex.Index
	log    *zap.Logger
	failed bool
	freed  time.Time // the last debug.FreeOSMemory after a Load
}

// bigLoad is the number of users from which a Load returns the memory it
// freed to the system at once, and freeEvery how often at most.
const (
	bigLoad   = 100_000
	freeEvery = 5 * time.Minute
)

func (w *loggingWatcher) Load(all iter.Seq2[store.UserState, error]) {
	w.Index.Load(all)
	if w.Index.Len() >= bigLoad && time.Since(w.freed) >= freeEvery {
		// Reading every user leaves garbage of the index's size (the
		// rows' strings, the replaced index), which the heap would
		// otherwise keep as headroom; a full collection now returns it,
		// so the RSS is the index's. At most once per freeEvery: while
		// the push feed is down every user is read each second.
		debug.FreeOSMemory()
		w.freed = time.Now()
	}
	if w.failed && w.Index.Err() == nil {
		w.log.Info("user feed recovered", zap.Int("users", w.Index.Len()))
		w.failed = false
	}
}

// FeedHealth logs the push feed stopping (an error: changes arrive by
// polling once a second until it works again) and resuming.
func (w *loggingWatcher) FeedHealth(err error) {
	if err != nil {
		w.log.Error("user feed not delivering changes; reading every user once a second until it does", zap.Error(err))
	} else {
		w.log.Info("user feed delivering changes again")
	}
	w.Index.FeedHealth(err)
}

func (w *loggingWatcher) Error(err error) {
	if !w.failed {
		w.log.Warn("user feed failing; protected routes keep the last known users", zap.Error(err))
		w.failed = true
	}
	w.Index.Error(err)
}

// redactURL hides the passwords of a database URL or key=value DSN: the
// URL's user password and every parameter whose name ends in "password"
// (password, sslpassword), in a URL's query or as key=value.
func redactURL(u string) string {
	if strings.Contains(u, "://") {
		if pu, err := url.Parse(u); err == nil {
			if _, ok := pu.User.Password(); ok {
				pu.User = url.UserPassword(pu.User.Username(), "xxxxx")
			}
			q := pu.Query()
			for k := range q {
				if strings.HasSuffix(strings.ToLower(k), "password") {
					q.Set(k, "xxxxx")
				}
			}
			pu.RawQuery = q.Encode()
			return pu.String()
		}
		return "(an unparsable database URL)"
	}
	return dsnPassword.ReplaceAllString(u, "${1}=xxxxx")
}

// dsnPassword matches a password parameter of a key=value DSN, its value
// bare or single-quoted (with backslash escapes).
var dsnPassword = regexp.MustCompile(`(?i)(\b\w*password)\s*=\s*('(?:[^'\\]|\\.)*'|\S*)`)

func prefixForError(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		return s[:i+3]
	}
	if len(s) > 8 {
		return s[:8] + "…"
	}
	return s
}
