// Package throttle limits failed logins, in the shape of django-axes:
// failures are counted per client address and per account at that
// address, in fixed windows kept in the store, so every gateway instance on
// one database shares them. A login that is over a limit is refused before
// any password is hashed, until the window ends.
//
// The decision is atomic: an attempt is counted first (one atomic
// increment-and-read per counter in the store) and allowed only if its own
// count is within the limit, so however many attempts run at once, on one
// instance or many, at most the limit of them reach the hash. An attempt
// that succeeds takes its failure counts back.
//
// Every request that hashes a password (a login, right or wrong, and a
// registration) also counts toward the client's hash budget
// (HashesPerClient), and registrations toward their own limit
// (RegisterPerClient).
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
	"net/netip"
	"time"

	"github.com/jwtgate/jwtgate/store"
)

// Store keeps the counters; store.Store implements it.
type Store interface {
	AddLoginFailure(ctx context.Context, keys []string, now time.Time, window time.Duration) ([]store.FailureWindow, error)
	UncountLoginFailure(ctx context.Context, keys []string) error
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
	// HashesPerClient is how many requests that hash a password (logins,
	// right or wrong, and registrations) one client may make within
	// Window. Default 100.
	HashesPerClient int
	// RegisterPerClient is how many registrations one client may attempt
	// within Window. Default 20.
	RegisterPerClient int
	// Window is how long failures count, from the first failure of a
	// window; a refused client may try again when it ends. Default 15m.
	Window time.Duration
}

// DefaultConfig returns the defaults above.
func DefaultConfig() Config {
	return Config{PerClient: 20, PerAccount: 5, HashesPerClient: 100, RegisterPerClient: 20, Window: 15 * time.Minute}
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
	if cfg.PerClient < 0 || cfg.PerAccount < 0 || cfg.PerAccountAnyClient < 0 || cfg.HashesPerClient < 0 || cfg.RegisterPerClient < 0 {
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
	return enabled(
		counter{"c:" + client, t.cfg.PerClient},
		counter{"u:" + client + "|" + user, t.cfg.PerAccount},
		counter{"a:" + user, t.cfg.PerAccountAnyClient},
		counter{"h:" + client, t.cfg.HashesPerClient},
	)
}

func enabled(all ...counter) []counter {
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

// Decision is the throttle's answer to one attempt.
type Decision struct {
	// Wait is how long the client must wait: 0 when the attempt may
	// proceed to the hash.
	Wait time.Duration
	// First reports that this is the first refusal of a counter's window
	// (on any instance): the one worth a log line.
	First bool
}

// reserve counts the attempt on every counter and decides on the counts
// it got: atomic however many attempts run at once.
func (t *Throttle) reserve(ctx context.Context, cs []counter, now time.Time) (Decision, error) {
	if len(cs) == 0 {
		return Decision{}, nil
	}
	ws, err := t.store.AddLoginFailure(ctx, keys(cs), now, t.cfg.Window)
	if err != nil {
		return Decision{}, err
	}
	var d Decision
	for i, c := range cs {
		if ws[i].Failures > c.limit {
			d.Wait = max(d.Wait, ws[i].Ends.Sub(now))
			d.First = d.First || ws[i].Failures == c.limit+1
		}
	}
	return d, nil
}

// Login reserves a login attempt of username from client before its
// password is hashed; a Decision with a Wait refuses it. The attempt
// counts as a failure until Succeeded takes it back.
func (t *Throttle) Login(ctx context.Context, username, client string, now time.Time) (Decision, error) {
	return t.reserve(ctx, t.counters(username, client), now)
}

// Register reserves a registration from client, before its password is
// hashed.
func (t *Throttle) Register(ctx context.Context, client string, now time.Time) (Decision, error) {
	return t.reserve(ctx, enabled(
		counter{"r:" + client, t.cfg.RegisterPerClient},
		counter{"h:" + client, t.cfg.HashesPerClient},
	), now)
}

// Succeeded forgets the failures of username at client, as django-axes
// does on a successful login, and takes the attempt back from the
// per-client and any-client failure counters (the hash budget keeps it).
func (t *Throttle) Succeeded(ctx context.Context, username, client string) error {
	user := hashName(username)
	if t.cfg.PerAccount > 0 {
		if err := t.store.ClearLoginFailures(ctx, []string{"u:" + client + "|" + user}); err != nil {
			return err
		}
	}
	return t.store.UncountLoginFailure(ctx, keys(enabled(
		counter{"c:" + client, t.cfg.PerClient},
		counter{"a:" + user, t.cfg.PerAccountAnyClient},
	)))
}

// ClientKey is the key a client address is throttled by: the address
// masked to its network of v4Bits (IPv4) or v6Bits (IPv6) bits, so a host
// that owns a whole IPv6 /64 gets one budget, not 2^64. IPv4-mapped IPv6
// addresses count as IPv4. An address that does not parse is its own key.
func ClientKey(addr string, v4Bits, v6Bits int) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	ip = ip.Unmap().WithZone("")
	bits := v6Bits
	if ip.Is4() {
		bits = v4Bits
	}
	if bits <= 0 || bits >= ip.BitLen() {
		return ip.String()
	}
	p, err := ip.Prefix(bits)
	if err != nil {
		return ip.String()
	}
	return p.String()
}
