// Package throttle limits failed logins, in the shape of django-axes:
// failures are counted per client address and per account at that
// address, in fixed windows kept in the store, so every gateway instance on
// one database shares them. A login that is over a limit is refused before
// any password is hashed, until the window ends.
//
// The policy keeps an attacker from locking a user out: the per-account
// counter is per (username, client address), so failures from one address
// never block the same username from another. The per-client counter
// blocks an address that guesses across many usernames. A limit per
// username from any address can be enabled (PerAccountAnyClient), at the
// price that anyone can then lock that account out until the window ends.
package throttle

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"github.com/jwtgate/jwtgate/store"
)

// Store keeps the counters; store.Store implements it.
type Store interface {
	LoginFailures(ctx context.Context, keys []string, now time.Time) ([]store.FailureWindow, error)
	AddLoginFailure(ctx context.Context, keys []string, now time.Time, window time.Duration) error
	ClearLoginFailures(ctx context.Context, keys []string) error
}

// Config sets the limits. A limit of 0 disables that counter.
type Config struct {
	// PerClient is how many failed logins one client address may make, for
	// any usernames, within Window. Default 20.
	PerClient int
	// PerAccount is how many failed logins one username may have from one
	// client address within Window. Default 5.
	PerAccount int
	// PerAccountAnyClient is how many failed logins one username may have
	// from all addresses within Window. Default 0 (off): see the package
	// documentation.
	PerAccountAnyClient int
	// Window is how long failures count, from the first failure of a
	// window; a refused client may try again when it ends. Default 15m.
	Window time.Duration
}

// DefaultConfig returns the defaults above.
func DefaultConfig() Config {
	return Config{PerClient: 20, PerAccount: 5, Window: 15 * time.Minute}
}

// Throttle decides whether a login may proceed and counts failures. It is
// safe for concurrent use.
type Throttle struct {
	store Store
	cfg   Config
}

// New returns a Throttle on s with cfg; negative limits or a non-positive
// window are an error.
func New(s Store, cfg Config) (*Throttle, error) {
	if cfg.PerClient < 0 || cfg.PerAccount < 0 || cfg.PerAccountAnyClient < 0 {
		return nil, errors.New("throttle: limits must not be negative (0 disables a limit)")
	}
	if cfg.Window <= 0 {
		return nil, errors.New("throttle: the window must be a positive duration, such as 15m")
	}
	return &Throttle{store: s, cfg: cfg}, nil
}

// Config returns the throttle's limits.
func (t *Throttle) Config() Config { return t.cfg }

// counter is one limit applied to a login.
type counter struct {
	key   string
	limit int
}

// counters returns the enabled counters of a login. Usernames are hashed,
// which keeps keys short, unambiguous whatever bytes a client sends, and
// usernames out of the counter table.
func (t *Throttle) counters(username, client string) []counter {
	user := hashName(username)
	all := []counter{
		{"c:" + client, t.cfg.PerClient},
		{"u:" + client + "|" + user, t.cfg.PerAccount},
		{"a:" + user, t.cfg.PerAccountAnyClient},
	}
	out := all[:0]
	for _, c := range all {
		if c.limit > 0 {
			out = append(out, c)
		}
	}
	return out
}

func hashName(username string) string {
	sum := sha256.Sum256([]byte(username))
	return hex.EncodeToString(sum[:16])
}

func keys(cs []counter) []string {
	ks := make([]string, len(cs))
	for i, c := range cs {
		ks[i] = c.key
	}
	return ks
}

// Check returns how long a login of username from client must wait: 0 when
// it may proceed.
func (t *Throttle) Check(ctx context.Context, username, client string, now time.Time) (time.Duration, error) {
	cs := t.counters(username, client)
	if len(cs) == 0 {
		return 0, nil
	}
	ws, err := t.store.LoginFailures(ctx, keys(cs), now)
	if err != nil {
		return 0, err
	}
	var wait time.Duration
	for i, c := range cs {
		if ws[i].Failures >= c.limit {
			wait = max(wait, ws[i].Ends.Sub(now))
		}
	}
	return wait, nil
}

// Failed counts a failed login of username from client.
func (t *Throttle) Failed(ctx context.Context, username, client string, now time.Time) error {
	cs := t.counters(username, client)
	if len(cs) == 0 {
		return nil
	}
	return t.store.AddLoginFailure(ctx, keys(cs), now, t.cfg.Window)
}

// Succeeded forgets the failures of username at client, as django-axes
// does on a successful login; the per-client and any-client counters keep
// counting.
func (t *Throttle) Succeeded(ctx context.Context, username, client string) error {
	if t.cfg.PerAccount == 0 {
		return nil
	}
	return t.store.ClearLoginFailures(ctx, []string{"u:" + client + "|" + hashName(username)})
}
