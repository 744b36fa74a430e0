// Package caddymodule adapts jwtgate to Caddy: the jwtgate app (settings,
// keys, the store), the jwt_auth and jwt_endpoints HTTP handlers, their
// Caddyfile syntax, and the manage.py-style commands. The work itself is
// done by the domain packages (token, password, store, simplejwt).
package caddymodule

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"

	"github.com/jwtgate/jwtgate/drf"
	"github.com/jwtgate/jwtgate/password"
	"github.com/jwtgate/jwtgate/simplejwt"
	"github.com/jwtgate/jwtgate/throttle"
	"github.com/jwtgate/jwtgate/token"
	"github.com/jwtgate/jwtgate/userprofiles"
)

func init() {
	caddy.RegisterModule(App{})
}

// App is the jwtgate app: the settings djangorestframework-simplejwt keeps
// in SIMPLE_JWT, the signing keys, and the store of users and the token
// blacklist. The jwt_auth and jwt_endpoints handlers use it. String
// settings accept Caddy's runtime placeholders ({env.NAME}, {file.path}),
// which keeps secrets out of the JSON config.
type App struct {
	// Store selects where users and the blacklist live. Default: an
	// embedded SQLite file in Caddy's data directory.
	Store *StoreConfig `json:"store,omitempty"`

	// SigningKey is the HMAC secret (SIGNING_KEY, by default Django's
	// SECRET_KEY), or a PEM or JWK private key for the asymmetric
	// algorithms. HMAC keys must be at least the hash size (32, 48, 64
	// bytes for HS256/384/512). Use a placeholder such as
	// {env.JWT_SIGNING_KEY} rather than the key itself.
	SigningKey string `json:"signing_key,omitempty"`

	// GenerateSigningKey, when SigningKey is empty, generates a random key
	// on first start and keeps it in Caddy's data directory
	// (jwtgate/signing_key, mode 0600) instead of refusing to start. For
	// demos and single instances: every instance and the Django side need
	// the same key.
	GenerateSigningKey bool `json:"generate_signing_key,omitempty"`

	// VerifyingKey is the PEM public key for RS and ES (VERIFYING_KEY);
	// derived from SigningKey when empty.
	VerifyingKey string `json:"verifying_key,omitempty"`

	// Algorithm is the only JWS algorithm issued and accepted (ALGORITHM):
	// HS256 (default), HS384, HS512, RS256, RS384, RS512, PS256, PS384,
	// PS512, ES256, ES384, ES512 or EdDSA.
	Algorithm string `json:"algorithm,omitempty"`

	// Keys is a key set for rotation, instead of SigningKey, VerifyingKey
	// and Algorithm: every key has a kid and its own algorithm; the key
	// SignWith names signs, the others only verify. See the README's
	// "Rotating signing keys".
	Keys []KeyConfig `json:"keys,omitempty"`

	// SignWith is the kid of the key that signs new tokens (required with
	// Keys).
	SignWith string `json:"sign_with,omitempty"`

	// VerifyWithoutKID is the kid of the key that verifies tokens whose
	// header has no kid, as Django issues them. Empty: such tokens are
	// refused when Keys is set.
	VerifyWithoutKID string `json:"verify_without_kid,omitempty"`

	// AccessTokenLifetime is exp − iat of access tokens
	// (ACCESS_TOKEN_LIFETIME). Default 5m.
	AccessTokenLifetime caddy.Duration `json:"access_token_lifetime,omitempty"`

	// RefreshTokenLifetime is exp − iat of refresh tokens
	// (REFRESH_TOKEN_LIFETIME). Default 24h.
	RefreshTokenLifetime caddy.Duration `json:"refresh_token_lifetime,omitempty"`

	// RotateRefreshTokens makes refresh return a new refresh token too
	// (ROTATE_REFRESH_TOKENS).
	RotateRefreshTokens bool `json:"rotate_refresh_tokens,omitempty"`

	// BlacklistAfterRotation blacklists the submitted refresh token when
	// rotating, so each refresh token works once, and makes verify consult
	// the blacklist (BLACKLIST_AFTER_ROTATION).
	BlacklistAfterRotation bool `json:"blacklist_after_rotation,omitempty"`

	// SimplejwtVersion is the simplejwt release the Django side runs, whose
	// answers jwtgate reproduces: "5.2" (default; 5.2.x and 5.3.x) or
	// "5.5" (5.4.x and 5.5.x: string user ids, "Token is expired" /
	// "Token is invalid", rotated refresh tokens recorded with their user).
	SimplejwtVersion string `json:"simplejwt_version,omitempty"`

	// CheckUserIsActive, when false, lets inactive users authenticate and
	// refresh (CHECK_USER_IS_ACTIVE, simplejwt 5.4+). Default true.
	CheckUserIsActive *bool `json:"check_user_is_active,omitempty"`

	// CheckRevokeToken is simplejwt 5.3+'s CHECK_REVOKE_TOKEN, with either
	// profile: new tokens carry RevokeTokenClaim = the MD5 of the user's
	// auth_user.password in upper-case hex, and the Bearer check refuses
	// a token whose claim is not the current password's (401
	// password_changed), from memory. Default false.
	CheckRevokeToken bool `json:"check_revoke_token,omitempty"`

	// RevokeTokenClaim names that claim (REVOKE_TOKEN_CLAIM). Default
	// "hash_password"; used only with CheckRevokeToken.
	RevokeTokenClaim string `json:"revoke_token_claim,omitempty"`

	// RefreshTokenReuseInterval is the grace after a rotation during which
	// a rotated refresh token presented again is refused without ending
	// its session (a client retrying after a lost response); presented
	// later, it ends the whole session (reuse detection, with rotation and
	// blacklist after rotation). Default 10s.
	RefreshTokenReuseInterval caddy.Duration `json:"refresh_token_reuse_interval,omitempty"`

	// LocaleDirs are gettext locale directories of the Django installation
	// (…/rest_framework/locale, …/rest_framework_simplejwt/locale,
	// …/django/conf/locale), first wins, Django's own last: its languages
	// are the ones offered. When set, answers are translated as Django
	// translates them; a directory that is missing or holds no catalog, or
	// a corrupt catalog, refuses the config.
	LocaleDirs []string `json:"locale_dirs,omitempty"`

	// LanguageCode is Django's LANGUAGE_CODE: the language of requests
	// that ask for none jwtgate has (default en-us). Needs LocaleDirs.
	LanguageCode string `json:"language_code,omitempty"`

	// AcceptLanguage, when false, answers every request in LanguageCode
	// (a Django project without LocaleMiddleware). Default true: the
	// language follows Accept-Language and the django_language cookie.
	AcceptLanguage *bool `json:"accept_language,omitempty"`

	// UpdateLastLogin makes a login set auth_user.last_login
	// (UPDATE_LAST_LOGIN).
	UpdateLastLogin bool `json:"update_last_login,omitempty"`

	// Audience, when set, is written as "aud" and required (AUDIENCE).
	Audience string `json:"audience,omitempty"`

	// Issuer, when set, is written as "iss" and required (ISSUER).
	Issuer string `json:"issuer,omitempty"`

	// Leeway is the clock skew allowed on exp, nbf and iat (LEEWAY).
	Leeway caddy.Duration `json:"leeway,omitempty"`

	// AuthHeaderTypes are the accepted schemes of the auth header, compared
	// exactly (AUTH_HEADER_TYPES). Default ["Bearer"].
	AuthHeaderTypes []string `json:"auth_header_types,omitempty"`

	// AuthHeaderName is the header carrying the token (AUTH_HEADER_NAME).
	// Default Authorization; Django's HTTP_AUTHORIZATION form is accepted.
	AuthHeaderName string `json:"auth_header_name,omitempty"`

	// TokenCookie, when set, also accepts the access token from this
	// cookie. A request whose header and cookie carry different tokens is
	// refused.
	TokenCookie string `json:"token_cookie,omitempty"`

	// TokenQuery, when set, also accepts the access token from this query
	// parameter (tokens in URLs end up in logs: prefer the header).
	TokenQuery string `json:"token_query,omitempty"`

	// UserIDField is the auth_user field tokens carry (USER_ID_FIELD): "id"
	// (default) or "username".
	UserIDField string `json:"user_id_field,omitempty"`

	// UserIDClaim names the claim holding it (USER_ID_CLAIM). Default
	// "user_id".
	UserIDClaim string `json:"user_id_claim,omitempty"`

	// TokenTypeClaim names the token type claim (TOKEN_TYPE_CLAIM).
	// Default "token_type"; an empty string disables the type check.
	TokenTypeClaim *string `json:"token_type_claim,omitempty"`

	// JTIClaim names the token id claim (JTI_CLAIM). Default "jti"; an
	// empty string disables the id requirement (and the blacklist, which
	// needs ids).
	JTIClaim *string `json:"jti_claim,omitempty"`

	// UserIDHeader is the request header that tells the upstream who the
	// user is: auth_user.id. Default X-User-Id.
	UserIDHeader string `json:"user_id_header,omitempty"`

	// UsernameHeader, when set, also sends the username in this header,
	// percent-encoded as UTF-8 so that any name travels as ASCII: every
	// byte except ASCII letters, digits and - . _ ~ $ & + : = @ becomes %XX
	// (Go's url.PathEscape), so Django's ASCII usernames go out unchanged
	// and Python's urllib.parse.unquote (not unquote_plus) gives the name
	// back exactly, "Jos%C3%A9" for "José".
	UsernameHeader string `json:"username_header,omitempty"`

	// ClaimHeaders sends claims of the access token upstream: claim name →
	// header name. A JSON string claim is sent unquoted, any other value
	// as compact JSON; a value that is not a valid header value is not
	// sent.
	ClaimHeaders map[string]string `json:"claim_headers,omitempty"`

	// PassAuthorization keeps the token of an authenticated request when
	// proxying. By default it is removed from wherever it came (the
	// Authorization header, the token cookie, the token query parameter),
	// so the upstream never sees tokens; enable it for an upstream that
	// still authenticates the token itself. Other schemes (Basic, Token …)
	// and other cookies and parameters are always passed on.
	PassAuthorization bool `json:"pass_authorization,omitempty"`

	// PasswordIterations is the PBKDF2-SHA256 iteration count of new
	// password hashes. Default 1,000,000 (Django 5.2); use 260000 when
	// Django 3.2 shares the table, or it re-hashes at each login it
	// handles. Existing hashes verify at any count.
	PasswordIterations int `json:"password_iterations,omitempty"`

	// RehashPasswords re-hashes, at login, a password whose algorithm or
	// iteration count differs from the preferred one, as Django does. Off
	// by default so that the gateway leaves Django's hashes alone.
	RehashPasswords bool `json:"rehash_passwords,omitempty"`

	// RegisterValidatePassword runs Django's default password validators
	// (length, common passwords, numeric, similarity) on register.
	RegisterValidatePassword bool `json:"register_validate_password,omitempty"`

	// RegisterIgnoreCase, true by default, makes register and
	// createsuperuser refuse a username or email that differs from an
	// existing user's only in case (compared with the database's lower():
	// every Unicode letter on PostgreSQL with a UTF-8 locale, ASCII letters
	// on SQLite). False compares them exactly, as the tutorial's
	// serializer does. Usernames are NFKC-normalized either way, as
	// Django's create_user does.
	RegisterIgnoreCase *bool `json:"register_ignore_case,omitempty"`

	// LoginThrottle limits failed logins per client address and per
	// account, in the shape of django-axes, with counters in the store that
	// every instance shares; a refused login gets 429 with Retry-After.
	// Default on: see ThrottleConfig. The client address is Caddy's: the
	// connection's, or X-Forwarded-For only from the servers'
	// trusted_proxies.
	LoginThrottle *ThrottleConfig `json:"login_throttle,omitempty"`

	// HashWorkers bounds the password hashes computed at once (logins,
	// registrations). Default half the CPUs, at least one, so a storm of
	// logins leaves CPU for proxying.
	HashWorkers int `json:"hash_workers,omitempty"`

	// HashQueue bounds the requests waiting for a hashing slot; more get
	// 503 with Retry-After at once. Default 8 per worker.
	HashQueue int `json:"hash_queue,omitempty"`

	// HashPerClient bounds the places (running or waiting) one client key
	// holds in the hashing gate; its excess gets 503 with Retry-After at
	// once, so one client cannot fill the queue ahead of others. Default 1.
	HashPerClient int `json:"hash_per_client,omitempty"`

	// ClientIPv4Prefix and ClientIPv6Prefix are the network sizes, in
	// bits, a client address is keyed by in the login throttle and the
	// hashing gate: a client holding a whole IPv6 /64 is one client.
	// Defaults 32 and 64.
	ClientIPv4Prefix int `json:"client_ipv4_prefix,omitempty"`
	ClientIPv6Prefix int `json:"client_ipv6_prefix,omitempty"`

	// HashWait is the longest a request waits for a hashing slot before it
	// gets 503. Default 2s.
	HashWait caddy.Duration `json:"hash_wait,omitempty"`

	// MaxBodySize bounds the request bodies of the token routes, in bytes.
	// Default 64 KiB; larger bodies get 413.
	MaxBodySize int64 `json:"max_body_size,omitempty"`

	// DBTimeout bounds each database call of a request. Default 5s; the
	// request then gets 503 with Retry-After.
	DBTimeout caddy.Duration `json:"db_timeout,omitempty"`

	// RetryAfter is the Retry-After of 503 answers. Default 5s.
	RetryAfter caddy.Duration `json:"retry_after,omitempty"`

	// MaxStaleness, when set, makes jwt_auth (and the views that
	// authenticate) answer 503 to a valid token while the in-memory user
	// table has not been confirmed current for this long: the change feed
	// is down and the polling that replaces it fails too, so a
	// deactivation or a logout may not have arrived. Confirmations come
	// every 2 s on PostgreSQL (the feed's canary, or a poll) and every
	// poll on SQLite; at least 5s. Off by default: the last known users
	// keep answering.
	MaxStaleness caddy.Duration `json:"max_staleness,omitempty"`

	cfg settings
	// codec is built in Provision, for the checks and for jwt_jwks; with a
	// generated key it holds a throwaway HMAC key (HMAC keys are never
	// published) and Start builds the real one.
	codec    *token.Codec
	ctx      caddy.Context
	identity identityHeaders
	metrics  *metrics
	logger   *zap.Logger
	gate     *password.Gate
	// notStarted answers requests that arrive before Start (Caddy starts
	// its apps in no fixed order).
	notStarted *drf.Error

	storeKey  string                   // the pooled store Cleanup lets go of
	stopPrune func()                   // set by Start: stops the login failure pruner
	rt        *atomic.Pointer[runtime] // set by Start; a pointer, as App is copied by value in CaddyModule
	started   chan struct{}            // closed by Start once rt is set
}

// settings is the App's configuration resolved once, in Provision:
// placeholders replaced, defaults filled in by the package that owns each
// setting, and checked. Start and the handlers use it as is.
type settings struct {
	token    token.Config       // SigningKey is nil when Start generates it
	keyPath  string             // where Start keeps a generated signing key
	views    simplejwt.Settings // resolved: DBTimeout, RetryAfter … set
	store    resolvedStore
	throttle *throttle.Config // nil: no login throttle
}

// runtime is what Start builds on the resolved settings: the codec with
// its key, the store and the views. The handlers read it atomically.
type runtime struct {
	codec   *token.Codec
	store   *storeHandle
	auth    *simplejwt.Authenticator
	service *simplejwt.Service
	views   map[string]func(http.ResponseWriter, *http.Request) // by name: jwt_endpoints' routes
}

// runtime returns what Start built. Caddy starts its apps in no fixed
// order, so during a reload the new config's routes may take a request a
// moment before this app has started: such a request waits for Start, at
// most db_timeout, instead of getting a 503. Nil means Start has not run.
func (a *App) runtime(r *http.Request) *runtime {
	if rt := a.rt.Load(); rt != nil {
		return rt
	}
	t := time.NewTimer(a.cfg.views.DBTimeout)
	defer t.Stop()
	select {
	case <-a.started:
	case <-t.C:
	case <-r.Context().Done():
	}
	return a.rt.Load()
}

// CaddyModule returns the Caddy module information.
func (App) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "jwtgate",
		New: func() caddy.Module { return new(App) },
	}
}

// Provision resolves and checks the settings and builds what has no side
// effect. It opens no database and writes no file, so `caddy validate`
// and `caddy adapt --validate` leave nothing behind: the store, its
// migration, a generated signing key and the user feed start in Start.
func (a *App) Provision(ctx caddy.Context) error {
	a.ctx = ctx
	a.logger = ctx.Logger(a)
	a.rt = new(atomic.Pointer[runtime])
	a.started = make(chan struct{})
	var err error
	if a.cfg, err = a.resolve(caddy.NewReplacer()); err != nil {
		return err
	}
	if a.identity, err = newIdentityHeaders(a, a.cfg.token.ExtraClaims); err != nil {
		return err
	}
	var errs []error
	a.metrics, errs = registerMetrics(ctx.GetMetricsRegistry())
	for _, err := range errs {
		a.logger.Warn("a jwtgate metric is not exported", zap.Error(err))
	}
	a.gate = password.NewGate(a.HashWorkers, a.HashQueue, a.HashPerClient, time.Duration(a.HashWait))
	a.notStarted = simplejwt.ServiceUnavailable(a.cfg.views.RetryAfter)
	return nil
}

// registerIgnoreCase is RegisterIgnoreCase with its default.
func (a *App) registerIgnoreCase() bool { return a.RegisterIgnoreCase == nil || *a.RegisterIgnoreCase }

// minMaxStaleness is the shortest max_staleness: a few of the
// PostgreSQL feed's 2 s confirmations.
const minMaxStaleness = 5 * time.Second

// resolve turns the App's fields into settings, checking each with the
// package that owns it.
func (a *App) resolve(repl *caddy.Replacer) (settings, error) {
	var s settings
	version, err := simplejwt.ParseVersion(a.SimplejwtVersion)
	if err != nil {
		return s, err
	}
	s.views, err = simplejwt.Settings{
		Version:                   version,
		AllowInactive:             a.CheckUserIsActive != nil && !*a.CheckUserIsActive,
		HeaderName:                a.AuthHeaderName,
		HeaderTypes:               a.AuthHeaderTypes,
		Cookie:                    a.TokenCookie,
		Query:                     a.TokenQuery,
		PassAuthorization:         a.PassAuthorization,
		RotateRefreshTokens:       a.RotateRefreshTokens,
		BlacklistAfterRotation:    a.BlacklistAfterRotation,
		UpdateLastLogin:           a.UpdateLastLogin,
		RehashPasswords:           a.RehashPasswords,
		UserIDField:               a.UserIDField,
		MaxBodyBytes:              a.MaxBodySize,
		DBTimeout:                 time.Duration(a.DBTimeout),
		RetryAfter:                time.Duration(a.RetryAfter),
		RefreshTokenReuseInterval: time.Duration(a.RefreshTokenReuseInterval),
		MaxStaleness:              time.Duration(a.MaxStaleness),
	}.Resolve()
	if err != nil {
		return s, err
	}
	if d := s.views.MaxStaleness; d > 0 && d < minMaxStaleness {
		return s, fmt.Errorf("max_staleness %v is shorter than the user feed confirms freshness (every 2s on PostgreSQL); give at least %v", d, minMaxStaleness)
	}
	if s.views.Locales, err = a.locales(repl); err != nil {
		return s, err
	}
	if s.token, s.keyPath, err = a.tokenConfig(repl); err != nil {
		return s, err
	}
	// Build a codec now so that every token setting is checked by
	// `caddy validate`; with a generated key, on a throwaway key of the
	// same kind (nothing is written).
	check := s.token
	if s.keyPath != "" {
		k, err := newHMACKey()
		if err != nil {
			return s, err
		}
		check.SigningKey = []byte(k)
	}
	if a.codec, err = token.New(check); err != nil {
		return s, err
	}
	if s.store, err = a.Store.resolve(repl, s.views.UserIDField == "username"); err != nil {
		return s, err
	}
	s.throttle, err = a.LoginThrottle.resolve()
	return s, err
}

// Start generates the signing key if asked to, opens (or reuses) the
// store, migrates it and starts its user feed, then builds the views. A
// database that does not answer delays it by at most db_timeout: the
// gateway then starts anyway, answers 503 where it needs the database,
// and keeps trying in the background.
func (a *App) Start() error {
	codec := a.codec
	if a.cfg.keyPath != "" {
		tc := a.cfg.token
		key, err := generatedKey(a.cfg.keyPath, a.logger)
		if err != nil {
			return err
		}
		tc.SigningKey = key
		if codec, err = token.New(tc); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(a.ctx, a.cfg.views.DBTimeout)
	defer cancel()
	key := a.cfg.store.poolKey()
	h, err := loadStore(ctx, a.cfg.store, key, a.logger)
	if err != nil {
		return err
	}
	a.storeKey = key // what Cleanup lets go of
	select {
	case <-h.users.Ready():
	case <-ctx.Done():
		a.logger.Warn("the user table is not in memory yet; protected routes answer 503 until the database answers",
			zap.Duration("waited", a.cfg.views.DBTimeout))
	}
	a.metrics.users.set(h.users)

	var th *throttle.Throttle
	if a.cfg.throttle != nil {
		if th, err = throttle.New(h.store, *a.cfg.throttle); err != nil {
			return err
		}
	}
	auth, err := simplejwt.NewAuthenticator(codec, h.users, a.cfg.views)
	if err != nil {
		return err
	}
	passwords := password.DefaultSet(a.PasswordIterations)
	passwords.OnHash = a.metrics.hashed
	service, err := simplejwt.NewService(simplejwt.Config{
		Codec: codec, Store: h.store, Passwords: passwords, Users: h.users, Auth: auth,
		Settings: a.cfg.views, Locales: a.cfg.views.Locales, Logger: a.logger,
		Throttle: th, HashGate: a.gate, ClientIP: a.clientKey,
		Hooks: simplejwt.Hooks{
			View: a.metrics.view,
			// One stable line per failed login, for fail2ban (see
			// SECURITY.md); never the password.
			LoginFailed: func(r *http.Request, username string) {
				a.metrics.loginFailures.Inc()
				a.logger.Info("login failed", logUsername(username), zap.String("client_ip", clientIP(r)))
			},
			// Logged once per counter and window (the first refusal), so
			// a throttled flood costs no log volume; counted every time.
			LoginThrottled: func(r *http.Request, username string, d throttle.Decision) {
				a.metrics.loginThrottled.Inc()
				if d.First {
					a.logger.Warn("login throttled", logUsername(username), zap.String("client_ip", clientIP(r)),
						zap.Duration("retry_after", d.Wait))
				}
			},
			HashBusy:      func(*http.Request) { a.metrics.hashBusy.Inc() },
			ReuseDetected: func(int64, string) { a.metrics.reuseDetected.Inc() },
		},
	})
	if err != nil {
		return err
	}
	views := map[string]func(http.ResponseWriter, *http.Request){}
	for _, v := range simplejwt.Views() {
		views[v.String()] = func(w http.ResponseWriter, r *http.Request) { service.ServeView(v, w, r) }
	}
	for _, x := range userprofiles.New(userprofiles.Config{
		Service: service, Store: h.store, Passwords: passwords, Throttle: th, Logger: a.logger,
		ValidatePasswords: a.RegisterValidatePassword, CaseSensitive: !a.registerIgnoreCase(),
		OnThrottled: func(r *http.Request, d throttle.Decision) {
			if d.First {
				a.logger.Warn("register throttled", zap.String("client_ip", clientIP(r)), zap.Duration("retry_after", d.Wait))
			}
		},
	}) {
		views[x.Name] = func(w http.ResponseWriter, r *http.Request) { service.ServeExtension(x, w, r) }
	}
	for name := range DefaultPaths {
		if views[name] == nil { // a view with routes but no handler: a build error
			return fmt.Errorf("jwtgate: view %q has paths but no handler", name)
		}
	}
	a.rt.Store(&runtime{codec: codec, store: h, auth: auth, service: service, views: views})
	close(a.started)
	a.stopPrune = startPruner(a.ctx, h.store, pruneInterval(a.cfg.throttle), a.cfg.views.DBTimeout, a.logger)
	running.Store(a) // the app the admin endpoint's /jwtgate/sync applies changes to
	return nil
}

// locales reads the catalogs of LocaleDirs; nil when there are none.
func (a *App) locales(repl *caddy.Replacer) (*simplejwt.Locales, error) {
	if len(a.LocaleDirs) == 0 {
		if a.LanguageCode != "" || a.AcceptLanguage != nil {
			return nil, fmt.Errorf("language_code and accept_language need locale_dirs: the directories of the Django installation's .mo catalogs")
		}
		return nil, nil
	}
	dirs := make([]string, len(a.LocaleDirs))
	for i, d := range a.LocaleDirs {
		dirs[i] = repl.ReplaceKnown(d, "")
	}
	return simplejwt.NewLocales(simplejwt.LocalesConfig{
		Dirs: dirs, LanguageCode: a.LanguageCode,
		IgnoreAcceptLanguage: a.AcceptLanguage != nil && !*a.AcceptLanguage,
	})
}

// ThrottleConfig sets the login throttle. Omitted limits take their
// defaults; 0 disables a limit.
type ThrottleConfig struct {
	// Disabled turns the throttle off.
	Disabled bool `json:"disabled,omitempty"`
	// PerClient is how many failed logins one client address may make,
	// for any usernames, within Window. Default 20.
	PerClient *int `json:"per_client,omitempty"`
	// PerAccount is how many failed logins one username may have from one
	// client address within Window. Default 5. Failures from one address
	// never lock the account out for another.
	PerAccount *int `json:"per_account,omitempty"`
	// PerAccountAnyClient is how many failed logins one username may have
	// from all addresses within Window. Default 0 (off): when on, anyone
	// can lock that account out until the window ends.
	PerAccountAnyClient *int `json:"per_account_any_client,omitempty"`
	// HashesPerClient is how many requests that hash a password (logins,
	// right or wrong, and registrations) one client may make within
	// Window. Default 100.
	HashesPerClient *int `json:"hashes_per_client,omitempty"`
	// RegisterPerClient is how many registrations one client may attempt
	// within Window. Default 20.
	RegisterPerClient *int `json:"register_per_client,omitempty"`
	// Window is how long failures count from the first of a window, and so
	// how long a refused client waits at most. Default 15m.
	Window caddy.Duration `json:"window,omitempty"`
}

// resolve returns the throttle settings the config describes, checked,
// or nil when disabled.
func (c *ThrottleConfig) resolve() (*throttle.Config, error) {
	cfg := throttle.DefaultConfig()
	if c != nil {
		if c.Disabled {
			return nil, nil
		}
		for dst, src := range map[*int]*int{&cfg.PerClient: c.PerClient, &cfg.PerAccount: c.PerAccount,
			&cfg.PerAccountAnyClient: c.PerAccountAnyClient, &cfg.HashesPerClient: c.HashesPerClient,
			&cfg.RegisterPerClient: c.RegisterPerClient} {
			if src != nil {
				*dst = *src
			}
		}
		cfg.Window = cmp.Or(time.Duration(c.Window), cfg.Window)
	}
	// throttle.New owns the checks; the store comes in Start.
	if _, err := throttle.New(nil, cfg); err != nil {
		return nil, fmt.Errorf("login_throttle: %w", err)
	}
	return &cfg, nil
}

// tokenConfig turns the settings into the codec's configuration; token.New
// fills in nothing and checks everything. keyPath is set when the signing
// key is to be generated in Start.
func (a *App) tokenConfig(repl *caddy.Replacer) (cfg token.Config, keyPath string, err error) {
	cfg = token.DefaultConfig()
	if len(a.Keys) != 0 {
		if cfg.Keys, err = a.keySet(repl); err != nil {
			return cfg, "", err
		}
	} else {
		cfg.Algorithm = cmp.Or(a.Algorithm, cfg.Algorithm)
		if cfg.SigningKey, keyPath, err = a.signingKey(repl, cfg.Algorithm); err != nil {
			return cfg, "", err
		}
		if a.VerifyingKey != "" {
			cfg.VerifyingKey = []byte(repl.ReplaceKnown(a.VerifyingKey, ""))
		}
	}
	cfg.AccessLifetime = cmp.Or(time.Duration(a.AccessTokenLifetime), cfg.AccessLifetime)
	cfg.RefreshLifetime = cmp.Or(time.Duration(a.RefreshTokenLifetime), cfg.RefreshLifetime)
	cfg.Audience = repl.ReplaceKnown(a.Audience, "")
	cfg.Issuer = repl.ReplaceKnown(a.Issuer, "")
	cfg.Leeway = time.Duration(a.Leeway)
	if a.CheckRevokeToken {
		cfg.RevokeClaim = cmp.Or(a.RevokeTokenClaim, "hash_password")
	}
	cfg.UserIDClaim = cmp.Or(a.UserIDClaim, cfg.UserIDClaim)
	if a.TokenTypeClaim != nil {
		cfg.TokenTypeClaim = *a.TokenTypeClaim
	}
	if a.JTIClaim != nil {
		cfg.JTIClaim = *a.JTIClaim
	}
	for claim := range a.ClaimHeaders {
		cfg.ExtraClaims = append(cfg.ExtraClaims, claim)
	}
	return cfg, keyPath, nil
}

// Stop implements caddy.App: the admin endpoint's /jwtgate/sync no longer
// applies changes to this app, and its login failure pruner stops. The
// store outlives a config (a reload reuses it): Cleanup lets go of it, and
// the last config using it closes it.
func (a *App) Stop() error {
	running.CompareAndSwap(a, nil)
	if a.stopPrune != nil {
		a.stopPrune()
		a.stopPrune = nil
	}
	return nil
}

// Cleanup lets go of the store; the last config using it closes it.
func (a *App) Cleanup() error {
	if a.storeKey != "" {
		if _, err := stores.Delete(a.storeKey); err != nil {
			return err
		}
		a.storeKey = ""
	}
	return nil
}

// Interface guards.
var (
	_ caddy.App          = (*App)(nil)
	_ caddy.Provisioner  = (*App)(nil)
	_ caddy.CleanerUpper = (*App)(nil)
)
