package simplejwt

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/jwtgate/jwtgate/drf"
	"github.com/jwtgate/jwtgate/password"
	"github.com/jwtgate/jwtgate/store"
	"github.com/jwtgate/jwtgate/throttle"
	"github.com/jwtgate/jwtgate/token"
	"github.com/jwtgate/jwtgate/userindex"
)

// Settings are the simplejwt and view settings that are not about token
// encoding (those are token.Config). Resolve fills in their defaults and
// checks them; it is the only place that does.
type Settings struct {
	// HeaderName is the header carrying the token (AUTH_HEADER_NAME);
	// Django's META form "HTTP_AUTHORIZATION" is accepted too. Default
	// "Authorization".
	HeaderName string
	// HeaderTypes are the accepted schemes, compared exactly
	// (AUTH_HEADER_TYPES); the first is named in WWW-Authenticate. Default
	// ["Bearer"].
	HeaderTypes []string
	// Cookie, when set, also accepts the token from this cookie.
	Cookie string
	// Query, when set, also accepts the token from this query parameter.
	Query string
	// PassAuthorization keeps the token of an authenticated request in
	// it; by default Check removes it from wherever it came.
	PassAuthorization bool
	// Locales, when set, translates refusals into the request's language.
	Locales *Locales
	// RotateRefreshTokens: refresh also returns a new refresh token
	// (ROTATE_REFRESH_TOKENS).
	RotateRefreshTokens bool
	// BlacklistAfterRotation: with rotation, the submitted refresh token
	// is blacklisted, and verify consults the blacklist
	// (BLACKLIST_AFTER_ROTATION).
	BlacklistAfterRotation bool
	// UpdateLastLogin: obtain sets auth_user.last_login (UPDATE_LAST_LOGIN).
	UpdateLastLogin bool
	// RehashPasswords: after a successful login, re-hash a password whose
	// algorithm or parameters differ from the preferred hasher's, as Django
	// does. Off by default, so that the gateway leaves hashes Django wrote
	// alone.
	RehashPasswords bool
	// UserIDField is the auth_user field written to tokens and looked up
	// from them: "id" (default) or "username" (USER_ID_FIELD).
	UserIDField string
	// Version is the simplejwt release reproduced on the wire (see
	// Version).
	Version Version
	// AllowInactive lets refresh mint tokens for inactive users
	// (CHECK_USER_IS_ACTIVE = False, simplejwt 5.4+). Login still refuses
	// them, as Django's ModelBackend does.
	AllowInactive bool
	// MaxBodyBytes bounds request bodies of the views; default 64 KiB.
	MaxBodyBytes int64
	// DBTimeout bounds every database call of a request; default 5 s.
	DBTimeout time.Duration
	// RetryAfter is sent with 503 answers; default 5 s.
	RetryAfter time.Duration
	// MaxStaleness, when positive, makes the Bearer check answer 503 (with
	// RetryAfter) to a valid token while the user index has not been
	// confirmed current for longer than this (userindex.Index.Stale):
	// the change feed is down and the polling that replaces it fails too,
	// so a deactivation or logout might not have arrived. Off by default:
	// the check then keeps using the last known users.
	MaxStaleness time.Duration
	// RefreshTokenReuseInterval is the grace after a rotation during which
	// presenting the rotated refresh token again is refused without
	// ending its session (a client retrying after a lost response); later
	// reuse ends the session. Only with rotation and blacklist after
	// rotation. Default 10 s; negative means 0.
	RefreshTokenReuseInterval time.Duration
}

// Config gathers what a Service needs.
type Config struct {
	Codec     *token.Codec
	Store     store.Store
	Passwords *password.Set
	Users     *userindex.Index
	Auth      *Authenticator
	Settings  Settings
	// Logger receives database faults and refused logins; never tokens or
	// passwords. Default: a no-op logger.
	Logger *zap.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Hooks observe the views, for metrics.
	Hooks Hooks
	// Throttle, when set, limits failed logins (429 with Retry-After).
	Throttle *throttle.Throttle
	// HashGate, when set, bounds concurrent password hashing (503 with
	// Retry-After when busy).
	HashGate *password.Gate
	// Locales, when set, answers in the request's language (give the
	// Authenticator the same).
	Locales *Locales
	// ClientIP returns the client key a request is throttled by and holds
	// its share of the hash gate under; default the connection's remote
	// address keyed by throttle.ClientKey (IPv4 /32, IPv6 /64). Behind
	// proxies, give one that honours only trusted proxies.
	ClientIP func(*http.Request) string
}

// Hooks observe the views. Every field is optional.
type Hooks struct {
	// View is called once per request a view (or an Extension) answered,
	// with its name and status.
	View func(view string, status int)
	// LoginFailed is called once per refused login (wrong credentials,
	// unknown or inactive user), with the username as validated (trimmed).
	LoginFailed func(r *http.Request, username string)
	// LoginThrottled is called once per login refused by the throttle,
	// with the decision (how long the client must wait, and whether this
	// is the first refusal of the window, the one worth logging).
	LoginThrottled func(r *http.Request, username string, d throttle.Decision)
	// HashBusy is called once per request refused because every hashing
	// slot was busy.
	HashBusy func(r *http.Request)
	// ReuseDetected is called once per session ended because a rotated
	// refresh token was presented again after the reuse interval.
	ReuseDetected func(userID int64, session string)
}

// Service serves simplejwt's views. It is safe for concurrent use.
type Service struct {
	codec     *token.Codec
	store     store.Store
	passwords *password.Set
	users     *userindex.Index
	auth      *Authenticator
	set       Settings
	log       *zap.Logger
	now       func() time.Time
	hooks     Hooks
	throttle  *throttle.Throttle
	gate      *password.Gate
	clientIP  func(*http.Request) string
	locales   *Locales
	// revoke: the codec has a RevokeClaim (CHECK_REVOKE_TOKEN), which
	// new pairs carry.
	revoke bool

	unavailable, hashBusy *drf.Error
}

// NewService checks cfg and returns a Service.
func NewService(cfg Config) (*Service, error) {
	if cfg.Codec == nil || cfg.Store == nil || cfg.Passwords == nil || cfg.Users == nil || cfg.Auth == nil {
		return nil, errors.New("simplejwt: Codec, Store, Passwords, Users and Auth are required")
	}
	s := &Service{
		codec: cfg.Codec, store: cfg.Store, passwords: cfg.Passwords, users: cfg.Users, auth: cfg.Auth,
		set: cfg.Settings, log: cfg.Logger, now: cfg.Now, hooks: cfg.Hooks,
		throttle: cfg.Throttle, gate: cfg.HashGate, clientIP: cfg.ClientIP, locales: cfg.Locales,
		revoke: cfg.Codec != nil && cfg.Codec.Config().RevokeClaim != "",
	}
	if s.clientIP == nil {
		s.clientIP = remoteHost
	}
	var err error
	if s.set, err = s.set.Resolve(); err != nil {
		return nil, err
	}
	switch {
	case s.set.RefreshTokenReuseInterval == 0:
		s.set.RefreshTokenReuseInterval = DefaultReuseInterval
	case s.set.RefreshTokenReuseInterval < 0:
		s.set.RefreshTokenReuseInterval = 0
	}
	if s.log == nil {
		s.log = zap.NewNop()
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.unavailable = ServiceUnavailable(s.set.RetryAfter)
	s.hashBusy = ServiceUnavailable(time.Second)
	return s, nil
}

// Resolve returns s with defaults filled in, or an error that says which
// setting to change. Resolving resolved settings changes nothing.
func (s Settings) Resolve() (Settings, error) {
	s.HeaderName = HeaderName(s.HeaderName)
	if len(s.HeaderTypes) == 0 {
		s.HeaderTypes = []string{"Bearer"}
	}
	for _, t := range s.HeaderTypes {
		if t == "" || strings.ContainsAny(t, " \t\r\n\v\f") {
			return s, errors.New("simplejwt: auth header types must be single words, like Bearer")
		}
	}
	switch s.UserIDField {
	case "":
		s.UserIDField = "id"
	case "id", "username":
	default:
		return s, fmt.Errorf(`user_id_field must be "id" or "username", not %q`, s.UserIDField)
	}
	if s.MaxBodyBytes <= 0 {
		s.MaxBodyBytes = 64 << 10
	}
	if s.DBTimeout <= 0 {
		s.DBTimeout = 5 * time.Second
	}
	if s.MaxStaleness < 0 {
		return s, errors.New("simplejwt: max_staleness must not be negative (0 turns it off)")
	}
	if s.RetryAfter <= 0 {
		s.RetryAfter = 5 * time.Second
	}
	return s, nil
}

// remoteHost is the client key of the connection's remote address.
func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return throttle.ClientKey(host, 32, 64)
}

// Throttled is DRF's 429 for a throttled request, with Retry-After.
func Throttled(wait time.Duration) *drf.Error {
	secs := retrySecs(wait)
	unit := "seconds"
	if secs == 1 {
		unit = "second"
	}
	n := strconv.FormatInt(secs, 10)
	return &drf.Error{
		Status: http.StatusTooManyRequests,
		Body:   []byte(`{"detail":"Request was throttled. Expected available in ` + n + ` ` + unit + `."}`),
		Header: http.Header{"Retry-After": {n}},
	}
}

// Admit takes the client's place in the hashing gate for a request that
// will hash, before any other work (see password.Gate.Admit). Call
// release when the request is done.
func (s *Service) Admit(r *http.Request) (release func(), e *drf.Error) {
	release, err := s.gate.Admit(r.Context(), s.clientIP(r))
	if err != nil {
		return nil, s.gateRefused(r, err)
	}
	return release, nil
}

// Hash runs f (one password hash) through the gate; a refusal is the 503
// to send.
func (s *Service) Hash(ctx context.Context, r *http.Request, f func()) *drf.Error {
	if err := s.gate.Do(ctx, f); err != nil {
		return s.gateRefused(r, err)
	}
	return nil
}

// gateRefused is the answer to a request the hashing gate refused.
func (s *Service) gateRefused(r *http.Request, err error) *drf.Error {
	switch {
	case errors.Is(err, password.ErrBusy):
		if s.hooks.HashBusy != nil {
			s.hooks.HashBusy(r)
		}
		return s.hashBusy
	default: // the request's context ended while it waited
		return s.unavailable
	}
}

// Settings returns the service's settings, defaults filled in.
func (s *Service) Settings() Settings { return s.set }

// ClientIP returns the client key r is throttled by (Config.ClientIP).
func (s *Service) ClientIP(r *http.Request) string { return s.clientIP(r) }

// retrySecs is d in whole seconds, rounded up, at least 1.
func retrySecs(d time.Duration) int64 { return max(1, int64((d+time.Second-1)/time.Second)) }

// ServiceUnavailable is the 503 sent when the database does not answer:
// DRF's ServiceUnavailable body with a Retry-After header.
func ServiceUnavailable(retryAfter time.Duration) *drf.Error {
	secs := retrySecs(retryAfter)
	return &drf.Error{
		Status: http.StatusServiceUnavailable,
		Body:   []byte(`{"detail":"Service temporarily unavailable, try again later."}`),
		Header: http.Header{"Retry-After": {strconv.FormatInt(secs, 10)}},
	}
}

// DBContext bounds a request's database work. Views take a new one after
// hashing a password, so DBTimeout bounds database calls only.
func (s *Service) DBContext(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), s.set.DBTimeout)
}

// DBFault logs a database failure and returns the 503 to send.
func (s *Service) DBFault(v fmt.Stringer, op string, err error) *drf.Error {
	s.log.Error("database unavailable", zap.String("view", v.String()), zap.String("op", op), zap.Error(err))
	return s.unavailable
}

// tokenUserID is the value a new token carries for u (USER_ID_FIELD):
// the field as it is before 5.5, always a string from 5.5
// (tokens.py Token.for_user: user_id = str(user_id)).
func (s *Service) tokenUserID(u store.User) any {
	switch {
	case s.set.UserIDField == "username":
		return u.Username
	case s.set.Version >= V55:
		return strconv.FormatInt(u.ID, 10)
	}
	return u.ID
}

// lookupClaimUser finds the user a token's user id claim names in the
// in-memory index.
func (s *Service) lookupClaimUser(raw []byte) (store.UserState, bool) {
	if s.set.UserIDField == "username" {
		name, st := parseStringUserID(raw, token.HeaderValue)
		if st != userIDOK {
			return store.UserState{}, false
		}
		return s.users.LookupUsername(name)
	}
	id, st := parseIntUserID(raw)
	if st != userIDOK {
		return store.UserState{}, false
	}
	return s.users.Lookup(id)
}
