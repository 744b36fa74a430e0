// Package assertion makes jwtgate's identity assertions: short-lived JWTs,
// signed with an asymmetric key of the gateway's key set, that tell an
// upstream who the user of a proxied request is. The upstream verifies
// them against the gateway's published JWK Set, so a request that reaches
// it without passing the gateway cannot claim an identity (see
// docs/identity-assertion.md).
//
// An assertion is made once per access token and reused, from a bounded
// cache keyed by the whole access token, for the first half of its
// lifetime, so the proxied hot path signs almost never.
//
// Claims, in this order:
//
//	token_type "identity" (never "access": no gateway or simplejwt takes it for an access token)
//	iss        Config.Issuer
//	aud        Config.Audience
//	sub        the user's auth_user.id, as a string
//	username   the user's username
//	jti        the access token's jti (omitted when it has none)
//	iat, exp   now, and now + Config.Lifetime but never after the access token's exp
package assertion

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"sync"
	"time"

	"github.com/jwtgate/jwtgate/token"
)

const (
	// TokenType is the token_type claim of every assertion.
	TokenType = "identity"
	// DefaultIssuer is Config.Issuer's default.
	DefaultIssuer = "jwtgate"
	// DefaultLifetime is Config.Lifetime's default.
	DefaultLifetime = time.Minute
	// MaxLifetime bounds Config.Lifetime: an assertion is short-lived.
	MaxLifetime = time.Hour
	// DefaultMaxEntries is Config.MaxEntries's default.
	DefaultMaxEntries = 10000
)

// Config describes the assertions of one Maker.
type Config struct {
	// Audience is the aud claim (required): the name of the upstream the
	// assertion is for, which its verifier requires.
	Audience string
	// Issuer is the iss claim. Default DefaultIssuer.
	Issuer string
	// Lifetime is exp − iat, in whole seconds, from 2s to MaxLifetime.
	// Default DefaultLifetime.
	Lifetime time.Duration
	// MaxEntries bounds the cache of assertions (one per access token in
	// use). Default DefaultMaxEntries.
	MaxEntries int
	// JTI returns the jti of a verified access token; it is called only
	// when an assertion is made, not when one is reused. Nil: no jti
	// claim.
	JTI func(accessToken string) string
}

// User is who an assertion names.
type User struct {
	ID       int64
	Username string
}

// Maker makes and caches the assertions of one audience. It is safe for
// concurrent use.
type Maker struct {
	signer   *token.Signer
	cfg      Config
	lifetime int64 // seconds

	mu      sync.RWMutex
	entries map[string]entry // by access token
}

// entry is a cached assertion, reused until reuseUntil (Unix seconds) for
// the same user id and username.
type entry struct {
	id         int64
	username   string
	assertion  string
	reuseUntil int64
}

// New checks cfg and returns a Maker signing with s.
func New(s *token.Signer, cfg Config) (*Maker, error) {
	if s == nil {
		return nil, errors.New("assertion: no signer")
	}
	if cfg.Audience == "" {
		return nil, errors.New("assertion: the audience is empty; name the upstream the assertion is for, which its verifier requires")
	}
	cfg.Issuer, cfg.Lifetime = cmp.Or(cfg.Issuer, DefaultIssuer), cmp.Or(cfg.Lifetime, DefaultLifetime)
	if cfg.Lifetime < 2*time.Second || cfg.Lifetime > MaxLifetime {
		return nil, fmt.Errorf("assertion: lifetime %v is out of range; use 2s to %v (assertions are short-lived; the default is %v)",
			cfg.Lifetime, MaxLifetime, DefaultLifetime)
	}
	if cfg.MaxEntries < 0 {
		return nil, errors.New("assertion: the cache size is negative")
	}
	cfg.MaxEntries = cmp.Or(cfg.MaxEntries, DefaultMaxEntries)
	return &Maker{signer: s, cfg: cfg, lifetime: int64(cfg.Lifetime / time.Second), entries: map[string]entry{}}, nil
}

// For returns the assertion for user, authenticated by accessToken whose
// exp is tokenExp: the cached one while it has at least half its lifetime
// left (or until the access token expires, if sooner), else a new one.
// The cache hit does not allocate.
func (m *Maker) For(accessToken string, tokenExp int64, user User, now time.Time) (string, error) {
	t := now.Unix()
	m.mu.RLock()
	e, ok := m.entries[accessToken]
	m.mu.RUnlock()
	if ok && t < e.reuseUntil && e.id == user.ID && e.username == user.Username {
		return e.assertion, nil
	}
	c := Claims{TokenType: TokenType, Issuer: m.cfg.Issuer, Audience: m.cfg.Audience,
		Subject: strconv.FormatInt(user.ID, 10), Username: user.Username, IssuedAt: t, ExpiresAt: min(t+m.lifetime, tokenExp)}
	if m.cfg.JTI != nil {
		c.JTI = m.cfg.JTI(accessToken)
	}
	b, _ := json.Marshal(c) // strings and integers always marshal
	a, err := m.signer.Sign(b)
	if err != nil {
		return "", err
	}
	m.store(accessToken, entry{id: user.ID, username: user.Username, assertion: a, reuseUntil: min(t+m.lifetime/2, c.ExpiresAt)}, t)
	return a, nil
}

// Claims are an assertion's claims, in the order they are written.
type Claims struct {
	TokenType string `json:"token_type"`
	Issuer    string `json:"iss"`
	Audience  string `json:"aud"`
	Subject   string `json:"sub"`
	Username  string `json:"username"`
	JTI       string `json:"jti,omitempty"`
	IssuedAt  int64  `json:"iat"`
	ExpiresAt int64  `json:"exp"`
}

// store caches e; a full cache first drops what can no longer be reused,
// then random entries down to three quarters of its size, so the work of
// evicting is spread over many inserts.
func (m *Maker) store(accessToken string, e entry, now int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.entries) >= m.cfg.MaxEntries {
		maps.DeleteFunc(m.entries, func(_ string, old entry) bool { return old.reuseUntil <= now })
		for k := range m.entries {
			if len(m.entries) < m.cfg.MaxEntries*3/4 {
				break
			}
			delete(m.entries, k)
		}
	}
	m.entries[accessToken] = e
}

// Len is the number of cached assertions.
func (m *Maker) Len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.entries)
}
