package simplejwt

import (
	"encoding/json"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jwtgate/jwtgate/drf"
	"github.com/jwtgate/jwtgate/store"
	"github.com/jwtgate/jwtgate/token"
	"github.com/jwtgate/jwtgate/userindex"
)

// Policy is the DRF permission class a route enforces.
type Policy uint8

// The policies of DRF's permission classes that make sense at a gateway.
const (
	// Required is IsAuthenticated: every request needs a valid access
	// token of an active user.
	Required Policy = iota
	// Optional is AllowAny behind JWTAuthentication: a request without a
	// Bearer token is anonymous, but a Bearer token that is present and
	// bad is still refused, as DRF authenticates before it checks
	// permissions.
	Optional
	// ReadOnly is IsAuthenticatedOrReadOnly: GET, HEAD and OPTIONS are
	// Optional, every other method is Required.
	ReadOnly
)

// Outcome is what authenticating a request concluded.
type Outcome uint8

// Outcomes of Authenticate. Everything after Authenticated is a refusal.
const (
	// Anonymous: no token for us (no header, an empty one, or another
	// scheme such as "Token x" or "Basic …").
	Anonymous Outcome = iota
	// Authenticated: a valid access token of an active user.
	Authenticated
	// Preflight: a CORS preflight, let through without authentication.
	Preflight
	// NotProvided: the policy needs a user and the request is anonymous.
	NotProvided
	// BadHeader: "Bearer" without exactly one token after it, several
	// Authorization headers, or token sources that disagree.
	BadHeader
	// TokenInvalid: the token failed verification.
	TokenInvalid
	// NoUserID: the token has no usable user id claim.
	NoUserID
	// UserNotFound: no such user (deleted, or never existed).
	UserNotFound
	// UserInactive: the user is deactivated.
	UserInactive
	// Unavailable: the user table has not been loaded yet (the database
	// has not answered since start-up), or, with MaxStaleness, has not
	// been confirmed current for that long (Reason "stale").
	Unavailable
	// PasswordChanged: with CHECK_REVOKE_TOKEN (token.Config.RevokeClaim),
	// the token's revoke claim is not the fingerprint of the user's
	// current password.
	PasswordChanged
)

var outcomeNames = [...]string{"anonymous", "authenticated", "preflight", "not_provided",
	"bad_header", "token_invalid", "no_user_id", "user_not_found", "user_inactive", "unavailable", "password_changed"}

// String returns a stable name for logs and metrics labels.
func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return "unknown"
}

// TokenSource says where a request carried its token.
type TokenSource uint8

// The places a token may come from.
const (
	FromHeader TokenSource = 1 << iota
	FromCookie
	FromQuery
)

// Identity is who an authenticated request is: a value that holds no
// reference into pooled buffers, so callers keep it as long as they like.
type Identity struct {
	// User is the user the token names, as the in-memory index knows it.
	User store.UserState
	// Claims holds the identity-header value of each of the codec's extra
	// claims (token.Config.ExtraClaims), in order: "" where the claim is
	// absent or not sendable as a header value (see token.HeaderValue).
	// Nil when no extra claims are configured.
	Claims []string
	// Sources are where the token was found (several when they agreed).
	Sources TokenSource
	// Session is the login session the token descends from, when its jti
	// carries one (HasSession).
	Session    uint64
	HasSession bool
	// Token is the access token as the request carried it, and ExpiresAt
	// its exp claim (Unix seconds): what a cache of per-token work (the
	// identity assertion) keys on and expires by. Token shares the
	// request's memory; it is not copied.
	Token     string
	ExpiresAt int64
}

// Result is what Check concluded: an Identity (Outcome Authenticated), an
// anonymous request, or a refusal (Err not nil). It is a value with no
// release protocol.
type Result struct {
	Outcome Outcome
	Identity
	// Reason details a refusal for logs and metrics: a token.Error's
	// reason for TokenInvalid ("expired", "signature", …), otherwise the
	// outcome's name. It comes from a bounded set and never contains the
	// token.
	Reason string

	err *drf.Error
}

// Err returns the response that refuses the request, or nil when the
// request may proceed.
func (r Result) Err() *drf.Error { return r.err }

// Authenticator is simplejwt's JWTAuthentication: it reads the token from
// the request, verifies it as an access token and finds the user in the
// in-memory index, with no database query. It is safe for concurrent use.
type Authenticator struct {
	codec   *token.Codec
	users   *userindex.Index
	header  string
	types   []string
	cookie  string
	query   string
	byName  bool
	keep    bool        // PassAuthorization
	sources TokenSource // the sources configured: the header, and the cookie and query when set
	extra   int         // len(codec's ExtraClaims)
	revoke  bool        // the codec has a RevokeClaim (CHECK_REVOKE_TOKEN)
	// version and allowInactive are Settings'.
	version       Version
	allowInactive bool
	maxStale      time.Duration // Settings.MaxStaleness

	pool sync.Pool // *token.AccessClaims, the decoding buffers

	// locales and localized translate refusals: localized[e][i] is e in
	// language i, precomputed at start.
	locales   *Locales
	localized map[*drf.Error][]*drf.Error

	// Precomputed refusals, so that refusing does not allocate.
	notProvided, badHeader, noUserID, userNotFound, userInactive, unavailable, passwordChanged *drf.Error
	invalid                                                                                    map[string]*drf.Error
}

// NewAuthenticator returns an Authenticator for tokens of codec and users
// of index, with the header, cookie, query, user id field, retry-after
// and pass-authorization settings of set (resolved with Settings.Resolve).
func NewAuthenticator(codec *token.Codec, index *userindex.Index, set Settings) (*Authenticator, error) {
	set, err := set.Resolve()
	if err != nil {
		return nil, err
	}
	a := &Authenticator{codec: codec, users: index, cookie: set.Cookie, query: set.Query,
		byName: set.UserIDField == "username", keep: set.PassAuthorization,
		header: set.HeaderName, types: set.HeaderTypes, extra: len(codec.Config().ExtraClaims),
		revoke:  codec.Config().RevokeClaim != "",
		version: set.Version, allowInactive: set.AllowInactive, locales: set.Locales, maxStale: set.MaxStaleness}
	a.pool.New = func() any { return new(token.AccessClaims) }
	a.sources = FromHeader
	if a.cookie != "" {
		a.sources |= FromCookie
	}
	if a.query != "" {
		a.sources |= FromQuery
	}

	challenge := http.Header{"Www-Authenticate": {a.types[0] + ` realm="api"`}}
	unauthorized := func(body string) *drf.Error {
		return &drf.Error{Status: http.StatusUnauthorized, Body: []byte(body), Header: challenge}
	}
	a.notProvided = unauthorized(`{"detail":"Authentication credentials were not provided."}`)
	a.badHeader = unauthorized(`{"detail":"Authorization header must contain two space-delimited values","code":"bad_authorization_header"}`)
	a.noUserID = unauthorized(`{"detail":"Token contained no recognizable user identification","code":"token_not_valid"}`)
	a.userNotFound = unauthorized(`{"detail":"User not found","code":"user_not_found"}`)
	a.userInactive = unauthorized(`{"detail":"User is inactive","code":"user_inactive"}`)
	a.passwordChanged = unauthorized(`{"detail":"The user's password has been changed.","code":"password_changed"}`)
	a.unavailable = ServiceUnavailable(set.RetryAfter)
	a.invalid = map[string]*drf.Error{}
	for _, msg := range []string{token.ErrInvalid.Message, msgExpired, msgInvalid, token.ErrNoExp.Message,
		token.ErrNoID.Message, token.ErrNoType.Message, token.ErrWrongType.Message, token.ErrBlacklisted.Message} {
		a.invalid[msg] = unauthorized(`{"detail":"Given token not valid for any token type","code":"token_not_valid","messages":[{"token_class":"AccessToken","token_type":"access","message":` +
			quote(msg) + `}]}`)
	}
	if a.locales != nil {
		a.localized = map[*drf.Error][]*drf.Error{}
		all := []*drf.Error{a.notProvided, a.badHeader, a.noUserID, a.userNotFound, a.userInactive, a.unavailable, a.passwordChanged}
		for _, e := range a.invalid {
			all = append(all, e)
		}
		for _, e := range all {
			v := make([]*drf.Error, a.locales.Languages())
			for i := range v {
				v[i] = a.locales.localize(i, e)
			}
			a.localized[e] = v
		}
	}
	return a, nil
}

// HeaderName returns the canonical HTTP header name for an
// AUTH_HEADER_NAME setting: "" is Authorization, and Django's META form
// (HTTP_X_ACCESS_TOKEN) becomes X-Access-Token.
func HeaderName(name string) string {
	if name == "" {
		return "Authorization"
	}
	if rest, ok := strings.CutPrefix(name, "HTTP_"); ok {
		name = strings.ReplaceAll(rest, "_", "-")
	}
	return textproto.CanonicalMIMEHeaderKey(name)
}

// Challenge returns the WWW-Authenticate value of this authenticator's
// refusals.
func (a *Authenticator) Challenge() string { return a.types[0] + ` realm="api"` }

// Check is the Bearer check of a protected route, in one call: it
// authenticates r and applies policy. On Authenticated it removes the
// token from wherever it came (header, cookie, query parameter) unless
// PassAuthorization is set, so the upstream never sees it. A CORS
// preflight (IsPreflight) is let through unauthenticated, stripped of
// every token source, whatever PassAuthorization says: nothing verified
// what it carries. It touches no database and, without extra claims,
// allocates nothing.
func (a *Authenticator) Check(r *http.Request, policy Policy, now time.Time) Result {
	if IsPreflight(r) {
		a.removeToken(r, a.sources)
		return Result{Outcome: Preflight}
	}
	res := a.authenticate(r, now)
	switch {
	case res.Outcome == Anonymous && RequiresUser(policy, r):
		return a.refuse(r, NotProvided, a.notProvided)
	case res.Outcome == Authenticated && !a.keep:
		a.removeToken(r, res.Sources)
	}
	return res
}

// RequiresUser reports whether policy refuses r when it is anonymous. A
// CORS preflight never needs a user: browsers send it without
// credentials.
func RequiresUser(policy Policy, r *http.Request) bool {
	switch {
	case IsPreflight(r):
		return false
	case policy == Required:
		return true
	case policy == ReadOnly:
		m := r.Method
		return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
	}
	return false
}

// IsPreflight reports whether r is a CORS preflight as browsers send it:
// OPTIONS with Origin and Access-Control-Request-Method, and no body. Any
// other OPTIONS request is authenticated like the rest.
func IsPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.ContentLength == 0 && len(r.TransferEncoding) == 0 &&
		r.Header.Get("Origin") != "" && r.Header.Get("Access-Control-Request-Method") != ""
}

// NotProvided is the refusal of an anonymous request r a policy refuses.
func (a *Authenticator) NotProvided(r *http.Request) Result {
	return a.refuse(r, NotProvided, a.notProvided)
}

// authenticate is JWTAuthentication.authenticate: Anonymous when r
// carries no token for us, Authenticated, or a refusal.
func (a *Authenticator) authenticate(r *http.Request, now time.Time) Result {
	tok, sources, ok := a.rawToken(r)
	if !ok {
		return a.refuse(r, BadHeader, a.badHeader)
	}
	if tok == "" {
		return Result{Outcome: Anonymous, Identity: Identity{Sources: sources}}
	}
	c := a.pool.Get().(*token.AccessClaims)
	defer a.pool.Put(c)
	if err := a.codec.VerifyAccess(tok, now, c); err != nil {
		// VerifyAccess returns *token.Error values; a type assertion, unlike
		// errors.As, does not allocate on this path.
		msg, reason := token.ErrInvalid.Message, "invalid"
		if te, ok := err.(*token.Error); ok {
			msg, reason = a.version.tokenMessage(te), te.Reason
			if reason == "" {
				reason = checkReasons[te.Message]
			}
		}
		e := a.invalid[msg]
		if e == nil {
			e = a.invalid[token.ErrInvalid.Message]
		}
		res := a.refuse(r, TokenInvalid, e)
		res.Reason = reason
		return res
	}
	if c.UserID == nil {
		return a.refuse(r, NoUserID, a.noUserID)
	}
	// Only a valid token needs the user table; until it has been read once
	// the gateway cannot tell an unknown user from one not loaded yet.
	if !a.users.Loaded() {
		return a.refuse(r, Unavailable, a.unavailable)
	}
	// With max_staleness, a table not confirmed current for that long may
	// miss a deactivation or a logout: refuse rather than guess.
	if a.maxStale > 0 && a.users.Stale(now, a.maxStale) {
		res := a.refuse(r, Unavailable, a.unavailable)
		res.Reason = "stale"
		return res
	}
	var (
		st     store.UserState
		found  bool
		status userIDStatus
	)
	if a.byName {
		var name string
		name, status = parseStringUserID(c.UserID, token.HeaderValue)
		if status == userIDOK {
			st, found = a.users.LookupUsername(name)
		}
	} else {
		var id int64
		id, status = parseIntUserID(c.UserID)
		if status == userIDOK {
			st, found = a.users.Lookup(id)
		}
	}
	switch {
	case status == userIDInvalid:
		return a.refuse(r, NoUserID, a.noUserID)
	case status == userIDNull || !found:
		return a.refuse(r, UserNotFound, a.userNotFound)
	case !st.IsActive && !a.allowInactive:
		return a.refuse(r, UserInactive, a.userInactive)
	case a.revoke && !passwordMatches(c.Revoke, st.Password):
		// authentication.py JWTAuthentication.get_user (5.3+), right after
		// the active check. A password change also ends the user's older
		// tokens (Ended), but simplejwt's answer is this one.
		return a.refuse(r, PasswordChanged, a.passwordChanged)
	case Ended(&st, c.IssuedAt, c.JTI):
		res := a.refuse(r, TokenInvalid, a.invalid[token.ErrBlacklisted.Message])
		res.Reason = "revoked"
		return res
	}
	res := Result{Outcome: Authenticated, Identity: Identity{User: st, Sources: sources, Token: tok, ExpiresAt: c.ExpiresAt}}
	res.Session, res.HasSession = token.SessionOf(c.JTI)
	if a.extra > 0 {
		// Copied out of the pooled buffer: the identity outlives it.
		res.Claims = make([]string, a.extra)
		for i, raw := range c.Extra {
			if raw != nil {
				res.Claims[i], _ = token.HeaderValue(raw)
			}
		}
	}
	return res
}

// Ended reports whether a token of the user st, issued at iat (Unix
// seconds) with this jti, has been ended: issued before the user's
// not-before (it joined later, or logged out everywhere, or changed its
// password) or in a session that ended. It reads memory only and does not
// allocate.
func Ended[T string | []byte](st *store.UserState, iat int64, jti T) bool {
	if iat < st.NotBefore {
		return true
	}
	if len(st.Revoked) == 0 {
		return false
	}
	sid, ok := token.SessionOf(jti)
	return ok && st.SessionRevoked(sid)
}

// checkReasons name simplejwt's post-decoding rejections, which carry no
// reason of their own.
var checkReasons = map[string]string{
	token.ErrNoExp.Message:     "no_exp",
	token.ErrNoID.Message:      "no_jti",
	token.ErrNoType.Message:    "no_type",
	token.ErrWrongType.Message: "wrong_type",
}

func (a *Authenticator) refuse(r *http.Request, o Outcome, e *drf.Error) Result {
	return Result{Outcome: o, Reason: o.String(), err: a.localize(r, e)}
}

// localize returns the precomputed e in r's language.
func (a *Authenticator) localize(r *http.Request, e *drf.Error) *drf.Error {
	if a.locales != nil {
		if v, ok := a.localized[e]; ok {
			return v[a.locales.language(r)]
		}
	}
	return e
}

// rawToken finds the token the request carries: from the header as
// get_raw_token reads it, then from the cookie and the query parameter
// when configured. It returns "" when there is none, and ok false when the
// header is malformed or the request carries two different tokens (in two
// sources, or twice in one).
func (a *Authenticator) rawToken(r *http.Request) (tok string, sources TokenSource, ok bool) {
	add := func(v string, src TokenSource) bool {
		if v == "" {
			return true
		}
		if tok != "" && tok != v {
			return false
		}
		tok = v
		sources |= src
		return true
	}
	if vals := r.Header[a.header]; len(vals) > 0 {
		if len(vals) > 1 {
			return "", 0, false
		}
		t, ok := a.fromHeader(vals[0])
		if !ok || !add(t, FromHeader) {
			return "", 0, false
		}
	}
	if a.cookie != "" && len(r.Header["Cookie"]) > 0 {
		for _, c := range r.Cookies() {
			if c.Name == a.cookie && !add(c.Value, FromCookie) {
				return "", 0, false
			}
		}
	}
	if a.query != "" && r.URL.RawQuery != "" {
		for raw := r.URL.RawQuery; raw != ""; {
			var kv string
			kv, raw, _ = strings.Cut(raw, "&")
			k, v, _ := strings.Cut(kv, "=")
			if !a.isQueryParam(k) {
				continue
			}
			v, err := queryUnescape(v)
			if err != nil || !add(v, FromQuery) {
				return "", 0, false
			}
		}
	}
	return tok, sources, true
}

// isQueryParam reports whether a raw query key names the token
// parameter once percent-decoded, as the upstream's framework decodes it:
// "%61ccess_token" is "access_token".
func (a *Authenticator) isQueryParam(k string) bool {
	if k == a.query {
		return true
	}
	if !strings.ContainsAny(k, "%+") {
		return false
	}
	d, err := url.QueryUnescape(k)
	return err == nil && d == a.query
}

// queryUnescape unescapes a query value only when it holds escapes (tokens
// are base64url and dots).
func queryUnescape(v string) (string, error) {
	if !strings.ContainsAny(v, "%+") {
		return v, nil
	}
	return url.QueryUnescape(v)
}

// removeToken deletes the token from every place it came from, so that
// the upstream never sees it: the auth header, the cookie (other cookies
// stay) and the query parameter in every spelling (other parameters
// stay).
func (a *Authenticator) removeToken(r *http.Request, sources TokenSource) {
	if sources&FromHeader != 0 {
		delete(r.Header, a.header)
	}
	if sources&FromCookie != 0 && len(r.Header["Cookie"]) > 0 {
		cookies := r.Cookies()
		var kept []string
		for _, c := range cookies {
			if c.Name != a.cookie {
				kept = append(kept, c.Name+"="+c.Value)
			}
		}
		if len(kept) < len(cookies) {
			delete(r.Header, "Cookie")
			if len(kept) > 0 {
				r.Header["Cookie"] = []string{strings.Join(kept, "; ")}
			}
		}
	}
	if sources&FromQuery != 0 && r.URL.RawQuery != "" {
		parts := strings.Split(r.URL.RawQuery, "&")
		kept := parts[:0]
		for _, kv := range parts {
			if k, _, _ := strings.Cut(kv, "="); !a.isQueryParam(k) {
				kept = append(kept, kv)
			}
		}
		if len(kept) < len(parts) {
			r.URL.RawQuery = strings.Join(kept, "&")
			r.RequestURI = r.URL.RequestURI()
		}
	}
}

// fromHeader splits a header value on runs of ASCII whitespace, as
// Python's bytes.split() does: no parts or another scheme is no token, the
// scheme followed by exactly one part is the token, anything else is
// malformed.
func (a *Authenticator) fromHeader(v string) (string, bool) {
	scheme, rest := nextField(v)
	if scheme == "" || !a.isType(scheme) {
		return "", true
	}
	tok, rest := nextField(rest)
	if tok == "" {
		return "", false
	}
	if extra, _ := nextField(rest); extra != "" {
		return "", false
	}
	return tok, true
}

func (a *Authenticator) isType(s string) bool {
	for _, t := range a.types {
		if s == t {
			return true
		}
	}
	return false
}

// nextField returns the first run of non-whitespace bytes of s and what
// follows it.
func nextField(s string) (field, rest string) {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	j := i
	for j < len(s) && !isSpace(s[j]) {
		j++
	}
	return s[i:j], s[j:]
}

// quote returns s as a JSON string.
func quote(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err) // a Go string always marshals
	}
	return string(b)
}
