// Package identity verifies jwtgate's signed identity assertion in a Go
// net/http upstream: the short-lived JWT a jwt_auth route with
// identity_assertion adds to every authenticated request it proxies (see
// docs/identity-assertion.md in the jwtgate repository).
//
// With it, the upstream no longer has to trust the network for X-User-Id:
// a request that reaches it without passing the gateway cannot name a
// user, because only the gateway holds the private key. Verification uses
// golang-jwt with every check pinned: the algorithms are the asymmetric
// ones (never "none" or HMAC), the key is the one the header's kid names
// in the gateway's JWK Set and must be of the algorithm the set lists for
// it, exp, iat, aud, iss and sub are required, token_type must be
// "identity", "crit" is refused, and claim names are case-sensitive.
//
//	v, err := identity.New(identity.Config{
//		Audience: "movieapi",
//		Keys:     identity.JWKS("http://127.0.0.1:8080/.well-known/jwks.json"),
//	})
//	http.ListenAndServe(addr, v.Middleware(app))
//
// and in a handler:
//
//	id, ok := identity.FromContext(r.Context())
package identity

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtgate/jwtgate/token"
)

// Algorithms are the algorithms an assertion may be signed with.
var Algorithms = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// Defaults of Config.
const (
	DefaultHeader       = "X-Jwtgate-Assertion"
	DefaultUserIDHeader = "X-User-Id"
	DefaultIssuer       = "jwtgate"
	DefaultLeeway       = 5 * time.Second
)

// Config says what assertions a Verifier accepts.
type Config struct {
	// Audience is the aud the gateway writes for this upstream
	// (required).
	Audience string
	// Issuer is the iss it writes. Default DefaultIssuer.
	Issuer string
	// Keys finds the public key of a kid and its algorithm (required):
	// JWKS for the gateway's JWK Set, or StaticKey.
	Keys KeySource
	// Header is the request header of the assertion. Default
	// DefaultHeader.
	Header string
	// UserIDHeader is the gateway's user id header. When a request
	// carries it, it must name the assertion's user. Default
	// DefaultUserIDHeader.
	UserIDHeader string
	// Leeway is the clock skew allowed on exp and iat. Default
	// DefaultLeeway; negative for none.
	Leeway time.Duration
}

// KeySource returns the public key with this kid and the algorithm it
// verifies.
type KeySource interface {
	Key(ctx context.Context, kid string) (key crypto.PublicKey, alg string, err error)
}

// Identity is who a valid assertion names.
type Identity struct {
	// UserID is the user's auth_user.id (the sub claim).
	UserID int64
	// Username is the username claim.
	Username string
	// JTI is the jti of the access token the assertion was made for.
	JTI string
	// ExpiresAt is the assertion's exp.
	ExpiresAt time.Time
}

// Verifier checks assertions. It is safe for concurrent use.
type Verifier struct {
	cfg    Config
	parser *jwt.Parser
}

// New checks cfg and returns a Verifier.
func New(cfg Config) (*Verifier, error) {
	if cfg.Audience == "" {
		return nil, errors.New("identity: Audience is empty; set the audience the gateway's identity_assertion writes")
	}
	if cfg.Keys == nil {
		return nil, errors.New("identity: Keys is nil; use identity.JWKS(<the gateway's jwt_jwks URL>) or identity.StaticKey")
	}
	if cfg.Issuer == "" {
		cfg.Issuer = DefaultIssuer
	}
	if cfg.Header == "" {
		cfg.Header = DefaultHeader
	}
	if cfg.UserIDHeader == "" {
		cfg.UserIDHeader = DefaultUserIDHeader
	}
	switch {
	case cfg.Leeway == 0:
		cfg.Leeway = DefaultLeeway
	case cfg.Leeway < 0:
		cfg.Leeway = 0
	}
	return &Verifier{cfg: cfg, parser: jwt.NewParser(
		jwt.WithValidMethods(Algorithms), jwt.WithAudience(cfg.Audience), jwt.WithIssuer(cfg.Issuer),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithLeeway(cfg.Leeway), jwt.WithStrictDecoding(),
	)}, nil
}

// ErrInvalid is the error of every assertion Verify refuses; the wrapped
// error says why, for logs.
var ErrInvalid = errors.New("identity: invalid identity assertion")

// Verify checks an assertion and returns who it names.
func (v *Verifier) Verify(ctx context.Context, assertion string) (Identity, error) {
	// MapClaims: Go's JSON decoding into a struct would let "EXP" stand
	// in for "exp".
	claims := jwt.MapClaims{}
	_, err := v.parser.ParseWithClaims(assertion, claims, func(t *jwt.Token) (any, error) {
		if _, ok := t.Header["crit"]; ok {
			return nil, errors.New("crit is not supported")
		}
		kid, ok := t.Header["kid"].(string)
		if !ok {
			return nil, errors.New("no kid")
		}
		key, alg, err := v.cfg.Keys.Key(ctx, kid)
		if err != nil {
			return nil, err
		}
		if alg != t.Method.Alg() {
			return nil, fmt.Errorf("key %q is for %s, the assertion says %s", kid, alg, t.Method.Alg())
		}
		return key, nil
	})
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	sub, _ := claims["sub"].(string)
	id, err := strconv.ParseInt(sub, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != sub {
		return Identity{}, fmt.Errorf("%w: sub is not a user id", ErrInvalid)
	}
	if claims["token_type"] != "identity" {
		return Identity{}, fmt.Errorf("%w: token_type is not identity", ErrInvalid)
	}
	exp, _ := claims.GetExpirationTime()
	username, _ := claims["username"].(string)
	jti, _ := claims["jti"].(string)
	return Identity{UserID: id, Username: username, JTI: jti, ExpiresAt: exp.Time}, nil
}

type ctxKey struct{}

// FromContext returns the identity Middleware verified; ok is false for
// an anonymous request.
func FromContext(ctx context.Context) (id Identity, ok bool) {
	id, ok = ctx.Value(ctxKey{}).(Identity)
	return id, ok
}

// Middleware verifies the assertion of each request before next: a valid
// one puts its Identity in the request's context; a request with neither
// an assertion nor a user id header goes on anonymous; anything else — an
// invalid assertion, a user id header without an assertion, or one that
// names another user — gets 401 and never reaches next.
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		vals, uid := r.Header.Values(v.cfg.Header), r.Header.Values(v.cfg.UserIDHeader)
		if len(vals) == 0 && len(uid) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		if len(vals) != 1 || len(uid) > 1 {
			unauthorized(w)
			return
		}
		id, err := v.Verify(r.Context(), vals[0])
		if err != nil || (len(uid) == 1 && uid[0] != strconv.FormatInt(id.UserID, 10)) {
			unauthorized(w)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, id)))
	})
}

func unauthorized(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
	w.WriteHeader(http.StatusUnauthorized)
	io.WriteString(w, `{"detail":"Invalid identity assertion"}`)
}

// StaticKey is a KeySource of one key: the gateway's assertion key with
// its kid and algorithm, for an upstream configured with the public key
// instead of the JWK Set URL.
func StaticKey(kid, alg string, key crypto.PublicKey) KeySource {
	return staticKey{kid, alg, key}
}

type staticKey struct {
	kid, alg string
	key      crypto.PublicKey
}

func (s staticKey) Key(_ context.Context, kid string) (crypto.PublicKey, string, error) {
	if kid != s.kid {
		return nil, "", fmt.Errorf("unknown kid %q", kid)
	}
	return s.key, s.alg, nil
}

// JWKS is a KeySource reading the gateway's JWK Set (its jwt_jwks route)
// at url with http.DefaultClient. The set is kept for 5 minutes (the
// gateway's default max_age) and fetched again sooner for a kid it does
// not hold, at most every 30 seconds, so forged kids cannot make the
// upstream hammer the gateway.
func JWKS(url string) *KeySet {
	return &KeySet{URL: url, MaxAge: 5 * time.Minute, MinRefresh: 30 * time.Second}
}

// KeySet is JWKS with its settings; the zero values of MaxAge and
// MinRefresh fetch the set for every lookup.
type KeySet struct {
	URL        string
	Client     *http.Client // nil: http.DefaultClient
	MaxAge     time.Duration
	MinRefresh time.Duration

	mu      sync.Mutex
	keys    map[string]jwk
	fetched time.Time
}

type jwk struct {
	key crypto.PublicKey
	alg string
}

// Key implements KeySource.
func (s *KeySet) Key(ctx context.Context, kid string) (crypto.PublicKey, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	age := time.Since(s.fetched)
	k, ok := s.keys[kid]
	if (!ok && age >= s.MinRefresh) || age >= s.MaxAge {
		if err := s.fetch(ctx); err != nil && s.keys == nil {
			return nil, "", err
		}
		k, ok = s.keys[kid]
	}
	if !ok {
		return nil, "", fmt.Errorf("unknown kid %q", kid)
	}
	return k.key, k.alg, nil
}

// fetch reads the set; a failure keeps the previous one (and waits
// MinRefresh before trying again, unless there is none yet).
func (s *KeySet) fetch(ctx context.Context) (err error) {
	defer func() {
		if err != nil && s.keys != nil {
			s.fetched = time.Now()
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL, nil)
	if err != nil {
		return err
	}
	client := s.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("identity: fetching the JWK Set: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("identity: fetching the JWK Set: %s", resp.Status)
	}
	var set struct{ Keys []json.RawMessage }
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil {
		return fmt.Errorf("identity: the JWK Set does not parse: %w", err)
	}
	keys := map[string]jwk{}
	for _, raw := range set.Keys {
		var m struct{ Kid, Alg, Use string }
		if json.Unmarshal(raw, &m) != nil || m.Kid == "" || (m.Use != "" && m.Use != "sig") {
			continue
		}
		if key, err := token.PublicJWK(raw); err == nil {
			keys[m.Kid] = jwk{key, m.Alg}
		}
	}
	s.keys, s.fetched = keys, time.Now()
	return nil
}
