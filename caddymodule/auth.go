package caddymodule

import (
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"golang.org/x/net/http/httpguts"

	"github.com/jwtgate/jwtgate/assertion"
	"github.com/jwtgate/jwtgate/drf"
	"github.com/jwtgate/jwtgate/simplejwt"
)

func init() {
	caddy.RegisterModule(Auth{})
}

// Auth is the jwt_auth handler: simplejwt's JWTAuthentication with a DRF
// permission policy, in front of whatever the route does next (usually
// reverse_proxy).
//
// It first deletes the identity headers (X-User-Id and the others the app
// sets) from the request, in any case or spelling, so a client can never
// pass its own; it also drops the request's trailers and takes those
// headers and the token header out of the Connection header (identity.go).
// Then it verifies the access token without touching the database,
// refuses the request with simplejwt's 401 JSON when the policy requires,
// and otherwise sets the identity headers and the {http.auth.user.id} and
// {http.auth.user.username} placeholders and calls the next handler. A
// CORS preflight (OPTIONS with Origin and Access-Control-Request-Method
// and no body) passes without a token, for the upstream's CORS code to
// answer, but without its token sources and method-override headers.
//
// Every check is visible to the operator: it sets the placeholders
// {http.auth.jwt.outcome} (authenticated, anonymous, preflight,
// not_provided, bad_header, token_invalid, no_user_id, user_not_found,
// user_inactive, unavailable) and {http.auth.jwt.reason} (empty unless
// refused; for token_invalid the token's reason such as expired,
// signature or revoked, otherwise the outcome), counts it in
// jwtgate_auth_requests_total{outcome,reason}, and logs each refusal at
// debug level (logger http.handlers.jwt_auth, message "request refused",
// fields outcome, reason, client_ip and route, never the token). Debug,
// because anyone can send refused requests: at info a client could write
// a line per request into the operator's log, while the counter and the
// access log already record every refusal.
type Auth struct {
	// Policy is the DRF permission class to enforce: "required"
	// (IsAuthenticated, the default), "optional" (AllowAny: no token is
	// anonymous, but a bad token is still refused) or "read_only"
	// (IsAuthenticatedOrReadOnly: GET, HEAD and OPTIONS optional, other
	// methods required).
	Policy string `json:"policy,omitempty"`

	// ForwardAuth makes the handler a decision endpoint for a front proxy
	// (nginx auth_request, Traefik forwardAuth, Envoy ext_authz over HTTP,
	// Caddy's forward_auth) instead of a middleware: it answers 200 with
	// the identity headers (none for an anonymous request the policy
	// allows) for the proxy to copy to the upstream, or simplejwt's 401
	// JSON and WWW-Authenticate. The policy applies to the original
	// request's method, read from X-Original-Method, else
	// X-Forwarded-Method; without either (or with a malformed one) the
	// method is taken to be POST, so read_only and required need a valid
	// token and nothing is ever authenticated without one. The original
	// URI (X-Original-URI, else X-Forwarded-Uri) replaces the request's,
	// so token_query reads the original query string.
	ForwardAuth bool `json:"forward_auth,omitempty"`

	// Errors says how refusals are answered: "simplejwt" (the default)
	// writes simplejwt's JSON body, byte for byte; "caddy" returns them to
	// Caddy as errors with their status code (401, or 503 while the user
	// table is not loaded) so that handle_errors can answer them, with
	// {http.error.status_code} and the {http.auth.jwt.*} placeholders. The
	// WWW-Authenticate and Retry-After headers are set either way; without
	// handle_errors Caddy answers the status with an empty body.
	Errors string `json:"errors,omitempty"`

	// IdentityAssertion, when set, adds a signed identity assertion to
	// every authenticated request (or, with ForwardAuth, to the headers
	// the front proxy copies): a short-lived JWT the upstream verifies
	// against the gateway's JWK Set (jwt_jwks), so that it need not
	// trust the network for X-User-Id. See docs/identity-assertion.md.
	IdentityAssertion *AssertionConfig `json:"identity_assertion,omitempty"`

	app         *App
	policy      simplejwt.Policy
	caddyErrors bool
	logger      *zap.Logger
	assertion   *assertion.Maker
	assertTo    string // canonical name of IdentityAssertion.Header
}

// AssertionConfig is jwt_auth's identity assertion (Auth.IdentityAssertion).
type AssertionConfig struct {
	// Header is the request header carrying the assertion (required),
	// for example X-Jwtgate-Assertion. Whatever a client sends in it is
	// deleted from every request any jwtgate handler sees, as the other
	// identity headers are.
	Header string `json:"header"`

	// Audience is the assertion's aud claim (required): the name of the
	// upstream, which its verifier requires. It must differ from the
	// access tokens' audience.
	Audience string `json:"audience"`

	// Issuer is the iss claim. Default "jwtgate".
	Issuer string `json:"issuer,omitempty"`

	// Lifetime is exp − iat, from 2s to 1h. Default 1m. An assertion is
	// reused for the same access token for half its lifetime.
	Lifetime caddy.Duration `json:"lifetime,omitempty"`

	// Key is the kid of the key of the set that signs assertions; it must
	// be asymmetric (RS, PS, ES or EdDSA) with its private key. Default
	// the key that signs the access tokens (sign_with, or the single
	// signing_key), which must then be asymmetric.
	Key string `json:"key,omitempty"`

	// CacheSize bounds the cached assertions (one per access token in
	// use). Default 10000.
	CacheSize int `json:"cache_size,omitempty"`
}

// CaddyModule returns the Caddy module information.
func (Auth) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.jwt_auth",
		New: func() caddy.Module { return new(Auth) },
	}
}

// parsePolicy returns the policy with this configuration name.
func parsePolicy(name string) (simplejwt.Policy, error) {
	switch name {
	case "", "required":
		return simplejwt.Required, nil
	case "optional":
		return simplejwt.Optional, nil
	case "read_only":
		return simplejwt.ReadOnly, nil
	}
	return 0, fmt.Errorf(`unknown jwt_auth policy %q: use "required", "optional" or "read_only"`, name)
}

// Provision finds the jwtgate app.
func (h *Auth) Provision(ctx caddy.Context) error {
	var err error
	if h.policy, err = parsePolicy(h.Policy); err != nil {
		return err
	}
	switch h.Errors {
	case "", "simplejwt":
	case "caddy":
		h.caddyErrors = true
	default:
		return fmt.Errorf(`unknown jwt_auth errors %q: use "simplejwt" or "caddy"`, h.Errors)
	}
	h.logger = ctx.Logger()
	app, err := ctx.App("jwtgate")
	if err != nil {
		return fmt.Errorf("jwt_auth needs the jwtgate app: %w", err)
	}
	h.app = app.(*App)
	if h.IdentityAssertion != nil {
		if err := h.provisionAssertion(); err != nil {
			return fmt.Errorf("jwt_auth identity_assertion: %w", err)
		}
	}
	return nil
}

// provisionAssertion checks IdentityAssertion, builds its maker and adds
// its header to the identity headers every jwtgate handler strips.
func (h *Auth) provisionAssertion() error {
	c, app := h.IdentityAssertion, h.app
	if !httpguts.ValidHeaderFieldName(c.Header) {
		return fmt.Errorf("%q is not a valid header name", c.Header)
	}
	if slices.ContainsFunc(append([]string{app.identity.userID, app.identity.username}, app.identity.claims...),
		func(n string) bool { return n != "" && strings.EqualFold(n, c.Header) }) {
		return fmt.Errorf("%q is already an identity header; give the assertion its own header", c.Header)
	}
	if c.Audience != "" && c.Audience == app.cfg.token.Audience {
		return fmt.Errorf("the audience %q is the access tokens' audience; give the assertion its own, so neither passes for the other", c.Audience)
	}
	if app.cfg.token.TokenTypeClaim == "" && slices.Contains([]string{"iss", "aud", "sub", "username", "jti", "iat", "exp"}, app.cfg.token.UserIDClaim) {
		return fmt.Errorf("with token_type_claim off and user_id_claim %q an assertion could pass for an access token; "+
			"turn the token type claim on or use another user id claim", app.cfg.token.UserIDClaim)
	}
	signer, err := app.codec.Signer(c.Key)
	if err != nil {
		return err
	}
	codec := app.codec
	cfg := assertion.Config{
		Audience: c.Audience, Issuer: c.Issuer, Lifetime: time.Duration(c.Lifetime), MaxEntries: c.CacheSize,
		JTI: func(tok string) string {
			// A miss only: the token was verified a moment ago.
			if cl, err := codec.Decode(tok, time.Now()); err == nil {
				jti, _ := cl.JTI()
				return jti
			}
			return ""
		},
	}
	if h.assertion, err = assertion.New(signer, cfg); err != nil {
		return err
	}
	h.assertTo = textproto.CanonicalMIMEHeaderKey(c.Header)
	return app.identity.add(h.assertTo)
}

// authVar marks a request an earlier jwt_auth handler of the same request
// already authenticated (true) or found anonymous (false), so stacked
// handlers (a site-wide optional one and a route's required one) verify
// once and do not strip the headers the first one set.
const authVar = "jwtgate.authenticated"

// ServeHTTP implements caddyhttp.MiddlewareHandler.
func (h *Auth) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	app := h.app
	rt := app.runtime(r)
	if rt == nil { // a request before the app's Start
		return h.refuse(w, r, h.report(r, simplejwt.Unavailable, "not_started"), app.notStarted)
	}
	if h.ForwardAuth {
		return h.decide(w, r, rt)
	}
	if prior, ok := caddyhttp.GetVar(r.Context(), authVar).(bool); ok {
		if !prior && simplejwt.RequiresUser(h.policy, r) {
			res := rt.auth.NotProvided(r)
			return h.refuse(w, r, h.report(r, res.Outcome, res.Reason), res.Err())
		}
		return next.ServeHTTP(w, r)
	}
	app.identity.clean(r)

	res := rt.auth.Check(r, h.policy, time.Now())
	v := h.report(r, res.Outcome, res.Reason)
	if e := res.Err(); e != nil {
		return h.refuse(w, r, v, e)
	}
	switch res.Outcome {
	case simplejwt.Authenticated:
		app.setIdentity(r, &res.Identity)
		if err := h.assert(r.Header, &res.Identity); err != nil {
			return err
		}
	case simplejwt.Anonymous, simplejwt.Preflight:
		// Let through without a user for its method: it reaches the
		// upstream as that method, not as one a header asks for.
		stripHeaders(r.Header, methodOverrides)
	}
	caddyhttp.SetVar(r.Context(), authVar, res.Outcome == simplejwt.Authenticated)
	return next.ServeHTTP(w, r)
}

// decide answers a front proxy's forward-auth subrequest (see ForwardAuth).
func (h *Auth) decide(w http.ResponseWriter, r *http.Request, rt *runtime) error {
	app := h.app
	r.Method = originalMethod(r.Header)
	if uri := firstSet(r.Header.Get, "X-Original-Uri", "X-Forwarded-Uri"); strings.HasPrefix(uri, "/") {
		if u, err := url.ParseRequestURI(uri); err == nil {
			r.URL, r.RequestURI = u, uri
		}
	}
	app.identity.strip(r.Header)
	res := rt.auth.Check(r, h.policy, time.Now())
	v := h.report(r, res.Outcome, res.Reason)
	if e := res.Err(); e != nil {
		return h.refuse(w, r, v, e)
	}
	out := w.Header()
	out.Set("Cache-Control", "no-store")
	if res.Outcome == simplejwt.Authenticated {
		app.setIdentity(r, &res.Identity)
		if err := h.assert(r.Header, &res.Identity); err != nil {
			return err
		}
		for _, name := range append([]string{app.identity.userID, app.identity.username, h.assertTo}, app.identity.claims...) {
			if v, ok := r.Header[name]; ok && name != "" {
				out[name] = v
			}
		}
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// assert sets the identity assertion, when configured.
func (h *Auth) assert(hdr http.Header, id *simplejwt.Identity) error {
	if h.assertion == nil {
		return nil
	}
	a, err := h.assertion.For(id.Token, id.ExpiresAt, assertion.User{ID: id.User.ID, Username: id.User.Username}, time.Now())
	if err != nil {
		h.logger.Error("signing the identity assertion failed", zap.Error(err))
		return caddyhttp.Error(http.StatusInternalServerError, err)
	}
	hdr[h.assertTo] = []string{a}
	return nil
}

// originalMethod is the front proxy's X-Original-Method, else its
// X-Forwarded-Method, when it is an HTTP method name; else POST, the
// strictest reading for every policy.
func originalMethod(h http.Header) string {
	m := firstSet(h.Get, "X-Original-Method", "X-Forwarded-Method")
	if m == "" || len(m) > 20 || strings.IndexFunc(m, func(c rune) bool { return c < 'A' || c > 'Z' }) >= 0 || hasHeader(h, methodOverrides) {
		return http.MethodPost
	}
	return m
}

// firstSet is the first non-empty get(name) of names: a header of several
// spellings, a variable of several names.
func firstSet(get func(string) string, names ...string) string {
	for _, n := range names {
		if v := get(n); v != "" {
			return v
		}
	}
	return ""
}

// report counts a check's verdict and sets its placeholders.
func (h *Auth) report(r *http.Request, o simplejwt.Outcome, reason string) *verdict {
	v := h.app.metrics.verdicts.get(o, reason)
	v.counter.Inc()
	if repl, ok := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer); ok {
		repl.Set("http.auth.jwt.outcome", v.outcomeV)
		repl.Set("http.auth.jwt.reason", v.reasonV)
	}
	return v
}

// maxLoggedRoute bounds the request path a refusal's log line carries.
const maxLoggedRoute = 256

// refuse logs the refusal v (at debug level, see Auth) and answers it with
// e: simplejwt's body, or with `errors caddy` a Caddy error.
func (h *Auth) refuse(w http.ResponseWriter, r *http.Request, v *verdict, e *drf.Error) error {
	if c := h.logger.Check(zapcore.DebugLevel, "request refused"); c != nil {
		c.Write(zap.String("outcome", v.outcome), zap.String("reason", v.reason),
			zap.String("client_ip", clientIP(r)), logString("route", r.URL.Path, maxLoggedRoute))
	}
	if h.caddyErrors {
		maps.Copy(w.Header(), e.Header)
		return caddyhttp.Error(e.Status, v.err)
	}
	return writeError(w, r, e)
}

// writeError writes simplejwt's refusal e, indented if r asks for it.
func writeError(w http.ResponseWriter, r *http.Request, e *drf.Error) error {
	w, done := drf.Indenting(w, r)
	e.Write(w)
	done()
	return nil
}

// remoteIP is the client's address without the port.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Interface guards.
var (
	_ caddy.Provisioner           = (*Auth)(nil)
	_ caddyhttp.MiddlewareHandler = (*Auth)(nil)
)
