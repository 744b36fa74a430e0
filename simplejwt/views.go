package simplejwt

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/jwtgate/jwtgate/drf"
	"github.com/jwtgate/jwtgate/store"
	"github.com/jwtgate/jwtgate/token"
)

// View names one of the views.
type View uint8

// The views, by the simplejwt view they reproduce. The tutorial's register
// and users views are Extensions, in package userprofiles.
const (
	// ObtainPair is TokenObtainPairView: username and password → a pair.
	ObtainPair View = iota
	// Refresh is TokenRefreshView: refresh → access (and, with rotation,
	// a new refresh).
	Refresh
	// Verify is TokenVerifyView: any token → {} or 401.
	Verify
	// Blacklist is TokenBlacklistView: refresh → {}, and the token is dead.
	Blacklist
	// LogoutAll ends every token of the authenticated user (POST → {}).
	LogoutAll
	// Sessions lists the authenticated user's live sessions (GET); its
	// detail route ends one (DELETE, see ServeSession).
	Sessions
	viewCount
)

var viewNames = [viewCount]string{"obtain", "refresh", "verify", "blacklist", "logout_all", "sessions"}

// String returns the view's configuration name.
func (v View) String() string {
	if v < viewCount {
		return viewNames[v]
	}
	return "unknown"
}

// Views lists every view.
func Views() []View { return []View{ObtainPair, Refresh, Verify, Blacklist, LogoutAll, Sessions} }

// allow is the Allow header of each view, as the reference sends it.
var allow = [viewCount]string{"POST, OPTIONS", "POST, OPTIONS", "POST, OPTIONS", "POST, OPTIONS", "POST, OPTIONS", "GET, OPTIONS"}

// recorder remembers the status a view answered, for Hooks.View.
type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

// ServeView answers r with view v as the DRF view would: content
// negotiation, then authentication and permissions, then the method check,
// then the view itself.
func (s *Service) ServeView(v View, w http.ResponseWriter, r *http.Request) {
	if v >= viewCount {
		drf.Detail(http.StatusNotFound, "Not found.").Write(w)
		return
	}
	s.serve(v.String(), allow[v], v, nil, "", w, r)
}

// ServeSession answers r for one session of the Sessions view
// (sessions/<id>/): DELETE ends it (204), OPTIONS describes it, anything
// else is 405. An id that is not a live session of the caller is 404.
func (s *Service) ServeSession(id string, w http.ResponseWriter, r *http.Request) {
	if id == "" {
		id = "\x00" // never a session id, so never found
	}
	s.serve(Sessions.String(), sessionAllow, Sessions, nil, id, w, r)
}

// An Extension is a view defined outside this package (the tutorial's
// register and users views, package userprofiles), served by
// ServeExtension as the package's own views are: DRF's headers, the
// request's language, Hooks.View, content negotiation, JWTAuthentication,
// OPTIONS and the method check, then Serve.
type Extension struct {
	// Name is the view's configuration name, for Hooks.View and the logs.
	Name string
	// Method is the one method the view answers besides OPTIONS.
	Method string
	// Metadata is the view's answer to OPTIONS.
	Metadata []byte
	// Required is IsAuthenticated; otherwise AllowAny, which still
	// refuses an invalid token.
	Required bool
	// Serve answers Method; data is the parsed body of a POST.
	Serve func(w http.ResponseWriter, r *http.Request, data drf.Data) *drf.Error
}

// String returns the view's name.
func (x *Extension) String() string { return x.Name }

// ServeExtension answers r with the view x.
func (s *Service) ServeExtension(x *Extension, w http.ResponseWriter, r *http.Request) {
	s.serve(x.Name, x.Method+", OPTIONS", 0, x, "", w, r)
}

// serve sets DRF's headers, reports to Hooks.View and runs the view named
// name: x when it is set, else v.
func (s *Service) serve(name, allowed string, v View, x *Extension, sessionID string, w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h["Allow"] = []string{allowed}
	h["Vary"] = []string{"Accept"}
	h["X-Frame-Options"] = []string{"DENY"}
	h["X-Content-Type-Options"] = []string{"nosniff"}
	h["Referrer-Policy"] = []string{"same-origin"}
	lang := 0
	if s.locales != nil {
		lang = s.locales.language(r)
		s.locales.headers(h, lang)
	}
	rec := &recorder{ResponseWriter: w}
	if s.hooks.View != nil {
		w = rec
		defer func() { s.hooks.View(name, rec.status) }()
	}
	// Accept: application/json; indent=N gets DRF's indented rendering.
	w, done := drf.Indenting(w, r)
	defer done()
	var err *drf.Error
	switch {
	case !drf.AcceptsJSON(r):
		err = drf.NotAcceptable()
	case x != nil:
		err = s.serveExtension(x, allowed, w, r)
	default:
		err = s.serveView(v, w, r, sessionID)
	}
	if err != nil {
		if s.locales != nil {
			err = s.locales.localize(lang, err)
		}
		err.Write(w)
	}
}

// authenticate runs JWTAuthentication for a view that has it: required
// is IsAuthenticated, otherwise AllowAny.
func (s *Service) authenticate(r *http.Request, required bool) (Result, *drf.Error) {
	caller := s.auth.authenticate(r, s.now())
	switch {
	case caller.Outcome == Anonymous && required:
		return caller, s.auth.notProvided
	case caller.Outcome == Unavailable:
		return caller, s.unavailable // with this service's Retry-After
	}
	return caller, caller.Err()
}

func (s *Service) serveExtension(x *Extension, allowed string, w http.ResponseWriter, r *http.Request) *drf.Error {
	if _, e := s.authenticate(r, x.Required); e != nil {
		return e
	}
	switch {
	case r.Method == http.MethodOptions:
		return writeBody(w, http.StatusOK, x.Metadata)
	case r.Method != x.Method:
		return drf.MethodNotAllowed(r.Method, allowed)
	case r.Method != http.MethodPost:
		return x.Serve(w, r, drf.Data{})
	}
	data, perr := drf.Parse(r, s.set.MaxBodyBytes)
	if perr != nil {
		return perr
	}
	return x.Serve(w, r, data)
}

func (s *Service) serveView(v View, w http.ResponseWriter, r *http.Request, sessionID string) *drf.Error {
	// The token views have authentication_classes = (); logout_all and
	// sessions run JWTAuthentication with IsAuthenticated, which also
	// covers OPTIONS.
	var caller Result
	if v == LogoutAll || v == Sessions {
		var e *drf.Error
		if caller, e = s.authenticate(r, true); e != nil {
			return e
		}
	}
	switch {
	case r.Method == http.MethodOptions:
		return writeBody(w, http.StatusOK, metadata[v])
	case v == Sessions && sessionID != "" && r.Method == http.MethodDelete:
		return s.endSession(w, r, &caller, sessionID)
	case v == Sessions && sessionID != "":
		return drf.MethodNotAllowed(r.Method, sessionAllow)
	case v == Sessions && r.Method == http.MethodGet:
		return s.listSessions(w, r, &caller)
	case v == Sessions || r.Method != http.MethodPost:
		return drf.MethodNotAllowed(r.Method, allow[v])
	case v == LogoutAll:
		return s.logoutAll(w, r, &caller)
	}
	data, perr := drf.Parse(r, s.set.MaxBodyBytes)
	if perr != nil {
		return perr
	}
	switch v {
	case ObtainPair:
		return s.obtain(w, r, data)
	case Refresh:
		return s.refresh(w, r, data)
	case Verify:
		return s.verify(w, r, data)
	default:
		return s.blacklist(w, r, data)
	}
}

// tokenNotValid is the 401 simplejwt's InvalidToken sends from the token
// views: {"detail":<message>,"code":"token_not_valid"}.
func (s *Service) tokenNotValid(err error) *drf.Error {
	msg := token.ErrInvalid.Message
	var te *token.Error
	if errors.As(err, &te) {
		msg = s.set.Version.tokenMessage(te)
	}
	e := drf.DetailCode(http.StatusUnauthorized, msg, "token_not_valid")
	e.Header = http.Header{"Www-Authenticate": {s.auth.Challenge()}}
	return e
}

var noActiveAccount = []byte(`{"detail":"No active account found with the given credentials"}`)

func (s *Service) authFailed(body []byte) *drf.Error {
	return &drf.Error{Status: http.StatusUnauthorized, Body: body,
		Header: http.Header{"Www-Authenticate": {s.auth.Challenge()}}}
}

// WriteTokens sends a body that carries issued tokens; Cache-Control:
// no-store keeps them out of caches (RFC 6749 §5.1; simplejwt sends no
// Cache-Control at all).
func WriteTokens(w http.ResponseWriter, status int, v any) *drf.Error {
	w.Header()["Cache-Control"] = []string{"no-store"}
	if err := drf.WriteJSON(w, status, v); err != nil {
		return drf.Detail(http.StatusInternalServerError, "A server error occurred.")
	}
	return nil
}

var (
	usernameField = drf.CharField{Name: "username"}
	passwordField = drf.CharField{Name: "password"}
	refreshField  = drf.CharField{Name: "refresh"}
	tokenField    = drf.CharField{Name: "token"}
)

// Pair is a new token pair as simplejwt renders it.
type Pair struct {
	Refresh string `json:"refresh"`
	Access  string `json:"access"`
}

// obtain is TokenObtainPairSerializer: ModelBackend.authenticate, then
// RefreshToken.for_user (which records the outstanding token). The throttle
// answers first, before any hashing, having counted the attempt (it is
// taken back on success); every other path hashes exactly once.
func (s *Service) obtain(w http.ResponseWriter, r *http.Request, data drf.Data) *drf.Error {
	vals, errs := drf.ValidateChars(data, usernameField, passwordField)
	if errs != nil {
		return drf.FieldErrors(errs)
	}
	username, pw := vals[0], vals[1]
	release, e := s.Admit(r)
	if e != nil {
		return e
	}
	defer release()
	ctx, cancel := s.DBContext(r)
	defer cancel()
	now := s.now()
	client := s.clientIP(r)
	if s.throttle != nil {
		d, err := s.throttle.Login(ctx, username, client, now)
		if err != nil {
			return s.DBFault(ObtainPair, "login throttle", err)
		}
		if d.Wait > 0 {
			if s.hooks.LoginThrottled != nil {
				s.hooks.LoginThrottled(r, username, d)
			}
			return Throttled(d.Wait)
		}
	}
	u, err := s.store.UserByUsername(ctx, username)
	found := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return s.DBFault(ObtainPair, "user by username", err)
	}
	cancel()
	// An unknown user is checked against "", which hashes a dummy, so it
	// costs what a wrong password does. The wait for a hashing slot and the
	// hash have their own bounds (the gate's), not the database's.
	var ok, mustUpdate bool
	if e := s.Hash(r.Context(), r, func() { ok, mustUpdate = s.passwords.Check(pw, u.Password) }); e != nil {
		return e
	}
	ctx, cancel = s.DBContext(r)
	defer cancel()
	if !found || !ok || !u.IsActive {
		return s.loginFailed(r, username)
	}
	if s.throttle != nil {
		if err := s.throttle.Succeeded(ctx, username, client); err != nil {
			s.log.Warn("clearing login failures", zap.Error(err))
		}
	}
	if s.set.RehashPasswords && mustUpdate {
		// A new hash is a password change to the store (it ends older
		// tokens), so it comes before the tokens, and this instance applies
		// it at once: forUser then waits for its not-before second.
		if enc, ok := s.rehash(r, u.ID, pw); ok {
			u.Password = enc // the new tokens' revoke claim is of this one
			if st, err := s.store.UserState(ctx, u.ID); err == nil {
				s.users.Update(u.ID, st, true)
			}
			now = s.now()
		}
	}
	pair, e := s.IssuePair(ctx, r, ObtainPair, u, now)
	if e != nil {
		return e
	}
	if s.set.UpdateLastLogin {
		if err := s.store.SetLastLogin(ctx, u.ID, now); err != nil {
			return s.DBFault(ObtainPair, "update last login", err)
		}
	}
	return WriteTokens(w, http.StatusOK, pair)
}

// IssuePair is RefreshToken.for_user followed by .access_token: a new pair
// for u, its refresh token recorded as outstanding. The user is taught to
// the index first: tokens issued here must work here at once, even for a
// user another process created a moment ago and the change feed has not
// reported yet.
//
// A login starts a session (docs/sessions.md), recorded with the refresh
// token. A login in the second of a revocation of the user waits until the
// revocation's not-before (at most a second), so that its tokens' iat is
// not before it.
//
// With CHECK_REVOKE_TOKEN the tokens carry the fingerprint of u's password
// as just read. When the index still holds another one (a password
// changed elsewhere a moment ago, which the feed has not reported yet),
// the user's state is read now, so that the new tokens work at once here.
func (s *Service) IssuePair(ctx context.Context, r *http.Request, v fmt.Stringer, u store.User, now time.Time) (Pair, *drf.Error) {
	fresh := u.State()
	s.users.Learn(fresh)
	var revoke []string
	if s.revoke {
		if st, ok := s.users.Lookup(u.ID); ok && st.Password != fresh.Password {
			if st, err := s.store.UserState(ctx, u.ID); err == nil {
				s.users.Update(u.ID, st, true)
			}
		}
		revoke = []string{passwordClaim(u.Password)}
	}
	if st, ok := s.users.Lookup(u.ID); ok && st.NotBefore > now.Unix() && st.NotBefore <= now.Unix()+2 {
		wait := time.Unix(st.NotBefore, 0).Sub(now)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return Pair{}, s.unavailable
		}
		now = now.Add(wait)
	}
	refresh, access, err := s.codec.NewPair(s.tokenUserID(u), now, revoke...)
	if err != nil {
		return Pair{}, s.signingFailed(err)
	}
	sess := store.Session{
		ID: refresh.JTI, UserID: u.ID, CreatedAt: now.Unix(), LastRefreshedAt: now.Unix(),
		ClientIP: s.clientIP(r), UserAgent: boundedText(r.UserAgent(), maxUserAgent),
		ExpiresAt: refresh.ExpiresAt.Add(s.codec.Config().AccessLifetime).Unix(),
	}
	if _, ok := token.SessionOf(refresh.JTI); ok {
		sess.ID = refresh.JTI[:16]
		err = s.store.StartSession(ctx, sess, outstanding(u.ID, refresh))
	} else { // JTI_CLAIM off or not hex: no session to record
		err = s.store.AddOutstanding(ctx, outstanding(u.ID, refresh))
	}
	if err != nil {
		return Pair{}, s.DBFault(v, "start session", err)
	}
	return Pair{Refresh: refresh.Token, Access: access.Token}, nil
}

// signingFailed logs a token that could not be signed (a key problem) and
// returns DRF's 500.
func (s *Service) signingFailed(err error) *drf.Error {
	s.log.Error("signing tokens", zap.Error(err))
	return drf.Detail(http.StatusInternalServerError, "A server error occurred.")
}

// loginFailed answers a refused login; the throttle counted it before
// the hash.
func (s *Service) loginFailed(r *http.Request, username string) *drf.Error {
	if s.hooks.LoginFailed != nil {
		s.hooks.LoginFailed(r, username)
	}
	return s.authFailed(noActiveAccount)
}

// rehash stores a password hashed with the preferred hasher and returns
// it, with ok false when it did not. A failure (or a busy gate) is logged
// and otherwise ignored: the old hash still works.
func (s *Service) rehash(r *http.Request, id int64, pw string) (enc string, ok bool) {
	var err error
	if e := s.Hash(r.Context(), r, func() { enc, err = s.passwords.Encode(pw) }); e != nil {
		return "", false
	}
	if err == nil {
		ctx, cancel := s.DBContext(r)
		err = s.store.SetPassword(ctx, id, enc)
		cancel()
	}
	if err != nil {
		s.log.Warn("re-hashing password", zap.Int64("user_id", id), zap.Error(err))
		return "", false
	}
	return enc, true
}

// outstanding is the OutstandingToken row simplejwt's for_user writes.
func outstanding(userID int64, refresh token.Issued) store.OutstandingToken {
	created := refresh.IssuedAt.UTC()
	return store.OutstandingToken{
		UserID: &userID, JTI: refresh.JTI, Token: refresh.Token,
		CreatedAt: &created, ExpiresAt: refresh.ExpiresAt.UTC(),
	}
}

type accessBody struct {
	Access string `json:"access"`
}

type rotatedBody struct {
	Access  string `json:"access"`
	Refresh string `json:"refresh"`
}

var noActiveAccountForToken = []byte(`{"detail":"No active account found for the given token.","code":"no_active_account"}`)

// refresh is TokenRefreshSerializer with RefreshToken's checks, in
// simplejwt's order: decode, blacklist, exp/jti/type. Then, as in
// simplejwt 5.4+ and unlike 5.2.2, the user must be active (unless
// AllowInactive) and, unlike any release, still exist. In 5.5 the rotated
// refresh token is recorded as outstanding with its user.
//
// With rotation and blacklist after rotation the common case costs one
// round trip: rotateChecked runs the checks that need no database and
// lets the rotation check the blacklist and the session. Anything else
// (a refusal, a token blacklisted or of an ended session) is answered by
// the checks in simplejwt's order below, which the failed attempt left
// unchanged.
func (s *Service) refresh(w http.ResponseWriter, r *http.Request, data drf.Data) *drf.Error {
	ctx, cancel := s.DBContext(r)
	defer cancel()
	now := s.now()
	raw, cl, e := s.decodeRefresh(data, now)
	if e != nil {
		return e
	}
	if s.set.RotateRefreshTokens && s.set.BlacklistAfterRotation {
		body, done, err := s.rotateChecked(ctx, raw, cl, now)
		switch {
		case done && err != nil:
			return s.DBFault(Refresh, "rotate", err)
		case done:
			return WriteTokens(w, http.StatusOK, body)
		}
	}
	jti, e := s.checkRefresh(ctx, r, Refresh, cl, now)
	if e != nil {
		return e
	}
	owner, e := s.refreshOwner(cl, jti)
	if e != nil {
		return e
	}
	access, err := s.codec.AccessFor(cl, now)
	if err != nil {
		return s.signingFailed(err)
	}
	if !s.set.RotateRefreshTokens {
		return WriteTokens(w, http.StatusOK, accessBody{Access: access.Token})
	}
	rotated, err := s.codec.Rotate(cl, now)
	if err != nil {
		return s.signingFailed(err)
	}
	err = s.rotate(ctx, raw, jti, cl, owner, rotated, now)
	switch {
	case errors.Is(err, store.ErrAlreadyBlacklisted), errors.Is(err, store.ErrSessionEnded):
		return s.tokenNotValid(token.ErrBlacklisted)
	case err != nil:
		return s.DBFault(Refresh, "rotate", err)
	}
	return WriteTokens(w, http.StatusOK, rotatedBody{Access: access.Token, Refresh: rotated.Token})
}

// rotateChecked is refresh of the decoded token raw (cl) with rotation
// and blacklist after rotation in one round trip: the checks of refresh
// that need no database, then the rotation, which refuses a blacklisted
// token or one of an ended session without changing anything. done is
// false, with nothing done, when refresh must answer with its checks in
// simplejwt's order (a check failed, or the rotation refused); it is true
// with the tokens (body) or the store's failure (err).
func (s *Service) rotateChecked(ctx context.Context, raw string, cl *token.Claims, now time.Time) (body rotatedBody, done bool, err error) {
	jti, ok := cl.JTI()
	if !ok || s.codec.Check(cl, token.Refresh) != nil {
		return body, false, nil
	}
	owner, e := s.refreshOwner(cl, jti)
	if e != nil {
		return body, false, nil
	}
	access, err := s.codec.AccessFor(cl, now)
	if err != nil {
		return body, false, nil
	}
	rotated, err := s.codec.Rotate(cl, now)
	if err != nil {
		return body, false, nil
	}
	switch err := s.rotate(ctx, raw, jti, cl, owner, rotated, now); {
	case errors.Is(err, store.ErrAlreadyBlacklisted), errors.Is(err, store.ErrSessionEnded):
		return body, false, nil
	case err != nil:
		return body, true, err
	}
	return rotatedBody{Access: access.Token, Refresh: rotated.Token}, true, nil
}

// refreshOwner checks the user a refresh token names (from the in-memory
// index) and returns its auth_user id, or nil for a token without one.
func (s *Service) refreshOwner(cl *token.Claims, jti string) (*int64, *drf.Error) {
	uid, ok := cl.UserID()
	if !ok {
		return nil, nil
	}
	if !s.users.Loaded() {
		return nil, s.unavailable
	}
	st, found := s.lookupClaimUser(uid)
	if !found || (!st.IsActive && !s.set.AllowInactive) {
		return nil, s.authFailed(noActiveAccountForToken)
	}
	if iat, _ := cl.IssuedAt(); Ended(&st, iat, jti) {
		return nil, s.tokenNotValid(token.ErrBlacklisted)
	}
	return &st.ID, nil
}

// rotate records the rotation of the refresh token raw (jti, cl) into
// rotated in one round trip: the session's last refresh and, with
// blacklist after rotation, the old token blacklisted (marked as rotated,
// so its session lives on; store.ErrAlreadyBlacklisted or
// store.ErrSessionEnded when the token may not be used) and, as simplejwt
// 5.5's BlacklistMixin.outstand, the new one recorded with its user.
func (s *Service) rotate(ctx context.Context, raw, jti string, cl *token.Claims, owner *int64, rotated token.Issued, now time.Time) error {
	var next store.OutstandingToken
	if s.set.Version >= V55 {
		next = outstanding(0, rotated)
		next.UserID = owner
	}
	return s.store.RotateSession(ctx, s.blacklistRow(raw, jti, cl, now), next, now.UTC(),
		rotated.ExpiresAt.Add(s.codec.Config().AccessLifetime).Unix(), s.set.BlacklistAfterRotation)
}

// refreshToken is RefreshToken(attrs["refresh"]) of the refresh and
// blacklist serializers: the field, then simplejwt's checks in its order:
// decode, the blacklist (BlacklistMixin.verify), then exp, jti and type.
func (s *Service) refreshToken(ctx context.Context, r *http.Request, v View, data drf.Data, now time.Time) (raw, jti string, cl *token.Claims, e *drf.Error) {
	raw, cl, e = s.decodeRefresh(data, now)
	if e == nil {
		jti, e = s.checkRefresh(ctx, r, v, cl, now)
	}
	return raw, jti, cl, e
}

// decodeRefresh is refreshToken's field and decoding.
func (s *Service) decodeRefresh(data drf.Data, now time.Time) (raw string, cl *token.Claims, e *drf.Error) {
	vals, errs := drf.ValidateChars(data, refreshField)
	if errs != nil {
		return "", nil, drf.FieldErrors(errs)
	}
	raw = vals[0]
	cl, err := s.codec.Decode(raw, now)
	if err != nil {
		return "", nil, s.tokenNotValid(err)
	}
	return raw, cl, nil
}

// checkRefresh is refreshToken's checks after decoding: the blacklist and
// session, then exp, jti and type.
func (s *Service) checkRefresh(ctx context.Context, r *http.Request, v View, cl *token.Claims, now time.Time) (string, *drf.Error) {
	jti, ended, e := s.checkRefreshState(ctx, r, v, cl, now)
	if e != nil {
		return "", e
	}
	if err := s.codec.Check(cl, token.Refresh); err != nil {
		return "", s.tokenNotValid(err)
	}
	if ended {
		return "", s.tokenNotValid(token.ErrBlacklisted)
	}
	return jti, nil
}

var emptyObject = []byte(`{}`)

// writeBody sends an exact JSON body; it returns nil so views can end with
// it.
func writeBody(w http.ResponseWriter, status int, body []byte) *drf.Error {
	drf.WriteBody(w, status, body)
	return nil
}

// verify is TokenVerifySerializer: an UntypedToken, and with
// BLACKLIST_AFTER_ROTATION a blacklist lookup answered as a field error.
func (s *Service) verify(w http.ResponseWriter, r *http.Request, data drf.Data) *drf.Error {
	vals, errs := drf.ValidateChars(data, tokenField)
	if errs != nil {
		return drf.FieldErrors(errs)
	}
	cl, err := s.codec.Decode(vals[0], s.now())
	if err == nil {
		err = s.codec.Check(cl, "")
	}
	if err != nil {
		return s.tokenNotValid(err)
	}
	if s.set.BlacklistAfterRotation {
		if jti, ok := cl.JTI(); ok {
			ctx, cancel := s.DBContext(r)
			defer cancel()
			black, err := s.store.IsBlacklisted(ctx, jti)
			if err != nil {
				return s.DBFault(Verify, "is blacklisted", err)
			}
			if black {
				var errs drf.Errors
				errs.Add("non_field_errors", token.ErrBlacklisted.Message)
				return drf.FieldErrors(&errs)
			}
		}
	}
	return writeBody(w, http.StatusOK, emptyObject)
}

// blacklist is TokenBlacklistSerializer: RefreshToken's checks, then
// get-or-create the outstanding row and blacklist it.
func (s *Service) blacklist(w http.ResponseWriter, r *http.Request, data drf.Data) *drf.Error {
	ctx, cancel := s.DBContext(r)
	defer cancel()
	now := s.now()
	raw, jti, cl, e := s.refreshToken(ctx, r, Blacklist, data, now)
	if e != nil {
		return e
	}
	if e := s.blacklistRefresh(ctx, r, Blacklist, "blacklist", raw, jti, cl, now); e != nil {
		return e
	}
	// The store's trigger ended the token's session; apply it here now.
	s.applySessionEnd(cl, jti, now)
	return writeBody(w, http.StatusOK, emptyObject)
}

// blacklistRefresh gets or creates the outstanding row of the refresh
// token raw and blacklists it. If a concurrent request blacklisted it
// first (a refresh or logout of the same token), this one lost the race
// and gets "Token is blacklisted"; a logout that lost to a rotation still
// ends the session, as a logout with an already rotated token does. op
// names the step in the log of a database failure.
func (s *Service) blacklistRefresh(ctx context.Context, r *http.Request, v View, op, raw, jti string, cl *token.Claims, now time.Time) *drf.Error {
	err := s.store.Blacklist(ctx, s.blacklistRow(raw, jti, cl, now), now.UTC())
	switch {
	case errors.Is(err, store.ErrAlreadyBlacklisted):
		if v == Blacklist {
			if e := s.endSessionOf(ctx, r, v, cl, jti, now, false); e != nil {
				return e
			}
		}
		return s.tokenNotValid(token.ErrBlacklisted)
	case err != nil:
		return s.DBFault(v, op, err)
	}
	return nil
}

// blacklistRow is the outstanding row blacklisting the refresh token raw
// creates when it has none.
func (s *Service) blacklistRow(raw, jti string, cl *token.Claims, now time.Time) store.OutstandingToken {
	exp, _ := cl.ExpiresAt()
	row := store.OutstandingToken{JTI: jti, Token: raw, ExpiresAt: exp.UTC()}
	if s.set.Version >= V55 {
		// tokens.py BlacklistMixin.blacklist (5.4.0): a row created here
		// names the user (None when there is none) and created_at.
		created := now.UTC()
		row.CreatedAt = &created
		if uid, ok := cl.UserID(); ok {
			if st, found := s.lookupClaimUser(uid); found {
				row.UserID = &st.ID
			}
		}
	}
	return row
}
