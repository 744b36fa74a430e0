package simplejwt

// Helpers of the view tests (views_test.go, register_test.go,
// unavailable_test.go). Every view test runs the real Service on a real
// SQLite store in t.TempDir(), a real token codec and a real password Set,
// and goes through Service.ServeView. Identifiers start with "vt" (or are
// methods of viewEnv) so that they do not collide with the helpers of the
// other test files of the package.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/jwtgate/jwtgate/password"
	"github.com/jwtgate/jwtgate/store"
	"github.com/jwtgate/jwtgate/store/sqlite"
	"github.com/jwtgate/jwtgate/throttle"
	"github.com/jwtgate/jwtgate/token"
	"github.com/jwtgate/jwtgate/userindex"
)

// vtKey is the HS256 signing key of the view tests (50 bytes).
const vtKey = "jwtgate-view-tests-signing-key-0123456789abcdefghi"

// vtStart is the fixed clock the services start at. It has a sub-second
// part, so that stored times show their microseconds.
var vtStart = time.Date(2026, 11, 22, 10, 25, 40, 429054321, time.UTC)

// The seeded users, as the reference seeds them.
const (
	vtSiva          = "siva"
	vtSivaPassword  = "siva"
	vtSivaEmail     = "siva@example.com"
	vtInactive      = "inactive_user"
	vtInactivePass  = "inactive-pass-123"
	vtInactiveEmail = "inactive@example.com"
)

// The bodies the views answer, verbatim.
const (
	vtBodyNoActiveAccount   = `{"detail":"No active account found with the given credentials"}`
	vtBodyNoActiveForToken  = `{"detail":"No active account found for the given token.","code":"no_active_account"}`
	vtBodyBlacklisted       = `{"detail":"Token is blacklisted","code":"token_not_valid"}`
	vtBodyWrongType         = `{"detail":"Token has wrong type","code":"token_not_valid"}`
	vtBodyNoID              = `{"detail":"Token has no id","code":"token_not_valid"}`
	vtBodyNoExp             = `{"detail":"Token has no 'exp' claim","code":"token_not_valid"}`
	vtBodyNoType            = `{"detail":"Token has no type","code":"token_not_valid"}`
	vtBodyInvalid           = `{"detail":"Token is invalid or expired","code":"token_not_valid"}`
	vtBodyUnavailable       = `{"detail":"Service temporarily unavailable, try again later."}`
	vtBodyNotProvided       = `{"detail":"Authentication credentials were not provided."}`
	vtBodyVerifyBlacklisted = `{"non_field_errors":["Token is blacklisted"]}`
	vtBodyAccessBlacklisted = `{"detail":"Given token not valid for any token type","code":"token_not_valid","messages":[{"token_class":"AccessToken","token_type":"access","message":"Token is blacklisted"}]}`
)

// vtAllow is the Allow header of each view, as the reference sends it.
var vtAllow = map[View]string{
	LogoutAll:  "POST, OPTIONS",
	Sessions:   "GET, OPTIONS",
	ObtainPair: "POST, OPTIONS",
	Refresh:    "POST, OPTIONS",
	Verify:     "POST, OPTIONS",
	Blacklist:  "POST, OPTIONS",
	Register:   "POST, OPTIONS",
	Users:      "GET, OPTIONS",
}

// vtClock is a settable clock for Config.Now.
type vtClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *vtClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *vtClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

// vtOptions tunes newViewEnv.
type vtOptions struct {
	Settings Settings
	// Watch keeps the index in step with the store's WatchUsers; without
	// it the index is filled once by Reset from ListUsers (and by sync).
	Watch bool
	// NoLoad leaves the index empty and not loaded.
	NoLoad bool
	// ByUsername builds the index and authenticator for UserIDField
	// "username" (set Settings.UserIDField too).
	ByUsername bool
	// BusyTimeout is the store's SQLite busy timeout (default 5 s).
	BusyTimeout time.Duration
	// Throttle, when set, limits failed logins with these limits.
	Throttle *throttle.Config
	// Gate, when set, bounds password hashing.
	Gate *password.Gate
	// RevokeClaim is the codec's token.Config.RevokeClaim
	// (CHECK_REVOKE_TOKEN's REVOKE_TOKEN_CLAIM); default off.
	RevokeClaim string
}

// vtViewCall is one call of Hooks.View.
type vtViewCall struct {
	View   View
	Status int
}

// viewEnv is a Service with everything it needs, real.
type viewEnv struct {
	t      *testing.T
	svc    *Service
	store  *sqlite.Store
	path   string
	codec  *token.Codec
	pw     *password.Set
	users  *userindex.Index
	auth   *Authenticator
	clock  *vtClock
	logs   *observer.ObservedLogs
	hashes atomic.Int64

	mu     sync.Mutex
	views  []vtViewCall
	failed []string

	rawOnce sync.Once
	rawDB   *sql.DB
}

// vtCodecConfig is the token configuration of the view tests: simplejwt's
// defaults with vtKey.
func vtCodecConfig() token.Config {
	cfg := token.DefaultConfig()
	cfg.SigningKey = []byte(vtKey)
	return cfg
}

// newViewEnv opens a fresh store in t.TempDir(), seeds siva (active
// superuser) and inactive_user (inactive), fills the index and builds the
// Service.
func newViewEnv(t *testing.T, o vtOptions) *viewEnv {
	t.Helper()
	e := &viewEnv{t: t, clock: &vtClock{now: vtStart}}
	e.path = filepath.Join(t.TempDir(), "db.sqlite3")
	ctx := context.Background()
	st, err := sqlite.Open(ctx, sqlite.Options{Path: e.path, BusyTimeout: o.BusyTimeout, PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	e.store = st

	tc := vtCodecConfig()
	tc.RevokeClaim = o.RevokeClaim
	e.codec, err = token.New(tc)
	if err != nil {
		t.Fatalf("token.New: %v", err)
	}
	e.pw = password.NewSet(password.PBKDF2SHA256{Iterations: 1000})
	e.pw.OnHash = func(string) { e.hashes.Add(1) }

	siva := e.addUser(vtSiva, vtSivaPassword, vtSivaEmail, true)
	if err := st.SetSuperuser(ctx, siva.ID, true); err != nil {
		t.Fatalf("SetSuperuser: %v", err)
	}
	e.addUser(vtInactive, vtInactivePass, vtInactiveEmail, false)

	e.users = userindex.New(o.ByUsername)
	switch {
	case o.NoLoad:
	case o.Watch:
		wctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			st.WatchUsers(wctx, e.users)
		}()
		// Registered after the store's Close, so it runs before it.
		t.Cleanup(func() { cancel(); <-done })
		select {
		case <-e.users.Ready():
		case <-time.After(10 * time.Second):
			t.Fatal("WatchUsers did not fill the index")
		}
	default:
		e.sync()
	}

	e.auth, err = NewAuthenticator(e.codec, e.users, o.Settings)
	if err != nil {
		t.Fatalf("NewAuthenticator: %v", err)
	}
	core, logs := observer.New(zapcore.DebugLevel)
	e.logs = logs
	var th *throttle.Throttle
	if o.Throttle != nil {
		if th, err = throttle.New(st, *o.Throttle); err != nil {
			t.Fatalf("throttle.New: %v", err)
		}
	}
	e.svc, err = NewService(Config{
		Throttle: th,
		HashGate: o.Gate,
		Codec:    e.codec, Store: st, Passwords: e.pw, Users: e.users, Auth: e.auth,
		Settings: o.Settings,
		Logger:   zap.New(core),
		Now:      e.clock.Now,
		Hooks: Hooks{
			View: func(v View, status int) {
				e.mu.Lock()
				e.views = append(e.views, vtViewCall{v, status})
				e.mu.Unlock()
			},
			LoginFailed: func(r *http.Request, username string) {
				if r == nil {
					t.Error("Hooks.LoginFailed called without the request")
				}
				e.mu.Lock()
				e.failed = append(e.failed, username)
				e.mu.Unlock()
			},
		},
	})
	if err != nil {
		t.Fatalf("NewService: %v", err)
	}
	return e
}

// addUser creates a user directly in the store, with a 1000-iteration
// pbkdf2_sha256 hash made outside the Service's Set (so it does not count
// as a hash of the views).
func (e *viewEnv) addUser(username, pw, email string, active bool) store.User {
	e.t.Helper()
	enc, err := password.PBKDF2SHA256{Iterations: 1000}.Encode(pw)
	if err != nil {
		e.t.Fatalf("Encode: %v", err)
	}
	return e.addUserHash(username, enc, email, active)
}

func (e *viewEnv) addUserHash(username, encoded, email string, active bool) store.User {
	e.t.Helper()
	u, err := e.store.CreateUser(context.Background(), store.User{
		Username: username, Password: encoded, Email: email, IsActive: active, DateJoined: vtStart,
	}, store.CreateUserOptions{})
	if err != nil {
		e.t.Fatalf("CreateUser(%q): %v", username, err)
	}
	return u
}

// user reads a user back from the store.
func (e *viewEnv) user(username string) store.User {
	e.t.Helper()
	u, err := e.store.UserByUsername(context.Background(), username)
	if err != nil {
		e.t.Fatalf("UserByUsername(%q): %v", username, err)
	}
	return u
}

// sync fills the index from ListUsers (Reset).
func (e *viewEnv) sync() {
	e.t.Helper()
	all, err := e.store.ListUsers(context.Background())
	if err != nil {
		e.t.Fatalf("ListUsers: %v", err)
	}
	states := make([]store.UserState, len(all))
	for i, u := range all {
		states[i] = u.State()
	}
	e.users.Reset(states)
}

// waitIndex waits until the index's view of a user satisfies ok (for the
// watcher to deliver a change).
func (e *viewEnv) waitIndex(id int64, what string, ok func(st store.UserState, found bool) bool) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, found := e.users.Lookup(id)
		if ok(st, found) {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("the index did not see user %d %s (state %+v, found %v)", id, what, st, found)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// raw is a second, independent handle on the database file.
func (e *viewEnv) raw() *sql.DB {
	e.t.Helper()
	e.rawOnce.Do(func() {
		db, err := sql.Open("sqlite", e.path+"?_pragma=busy_timeout(5000)")
		if err != nil {
			e.t.Fatalf("sql.Open: %v", err)
		}
		e.t.Cleanup(func() { db.Close() })
		e.rawDB = db
	})
	return e.rawDB
}

// count runs a COUNT(*) query through the second handle.
func (e *viewEnv) count(query string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.raw().QueryRow(query, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", query, err)
	}
	return n
}

func (e *viewEnv) outstandingRows() int {
	return e.count(`SELECT COUNT(*) FROM "token_blacklist_outstandingtoken"`)
}

func (e *viewEnv) blacklistRows() int {
	return e.count(`SELECT COUNT(*) FROM "token_blacklist_blacklistedtoken"`)
}

// vtOutstanding is one token_blacklist_outstandingtoken row as text.
type vtOutstanding struct {
	Token     string
	CreatedAt sql.NullString
	ExpiresAt string
	UserID    sql.NullInt64
	JTI       string
	Black     int
}

// outstanding reads the row of a jti through the second handle; ok is
// false when there is none.
func (e *viewEnv) outstanding(jti string) (vtOutstanding, bool) {
	e.t.Helper()
	var o vtOutstanding
	err := e.raw().QueryRow(`SELECT o."token", CAST(o."created_at" AS TEXT), CAST(o."expires_at" AS TEXT), o."user_id", o."jti",
		(SELECT COUNT(*) FROM "token_blacklist_blacklistedtoken" b WHERE b."token_id" = o."id")
		FROM "token_blacklist_outstandingtoken" o WHERE o."jti" = ?`, jti).
		Scan(&o.Token, &o.CreatedAt, &o.ExpiresAt, &o.UserID, &o.JTI, &o.Black)
	if errors.Is(err, sql.ErrNoRows) {
		return o, false
	}
	if err != nil {
		e.t.Fatalf("reading outstanding token %s: %v", jti, err)
	}
	return o, true
}

// hashCount returns the number of hash computations so far and resets it.
func (e *viewEnv) hashCount() int64 { return e.hashes.Swap(0) }

// loginFailures returns the usernames Hooks.LoginFailed got and resets
// them.
func (e *viewEnv) loginFailures() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	f := e.failed
	e.failed = nil
	return f
}

// viewCalls returns the calls of Hooks.View so far and resets them.
func (e *viewEnv) viewCalls() []vtViewCall {
	e.mu.Lock()
	defer e.mu.Unlock()
	v := e.views
	e.views = nil
	return v
}

// vtResp is a recorded answer.
type vtResp struct {
	Code   int
	Header http.Header
	Body   string
}

// serve runs one request through ServeView and checks what every answer
// of every view must satisfy: the DRF headers, a JSON body of the declared
// length, WWW-Authenticate exactly on 401s, Retry-After exactly on 503s,
// and exactly one Hooks.View call with the view and the status sent. It
// must not run concurrently with other requests of e (use serveRaw).
func (e *viewEnv) serve(v View, r *http.Request) vtResp {
	e.t.Helper()
	before := len(e.viewCalls())
	if before != 0 {
		e.t.Fatalf("%d Hooks.View calls were not accounted for", before)
	}
	res := e.serveRaw(v, r)
	calls := e.viewCalls()
	if want := []vtViewCall{{v, res.Code}}; !reflect.DeepEqual(calls, want) {
		e.t.Errorf("%s %s: Hooks.View calls %v, want %v", r.Method, v, calls, want)
	}
	return res
}

// serveRaw runs one request and checks the headers, without looking at
// Hooks.View; safe for concurrent use.
func (e *viewEnv) serveRaw(v View, r *http.Request) vtResp {
	e.t.Helper()
	w := httptest.NewRecorder()
	e.svc.ServeView(v, w, r)
	res := vtResp{Code: w.Code, Header: w.Result().Header, Body: w.Body.String()}
	vtCheckHeaders(e.t, v, r, res)
	return res
}

func vtCheckHeaders(t *testing.T, v View, r *http.Request, res vtResp) {
	t.Helper()
	where := fmt.Sprintf("%s %s (%d %s)", r.Method, v, res.Code, res.Body)
	want := map[string]string{
		"Content-Type":           "application/json",
		"Vary":                   "Accept",
		"Allow":                  vtAllow[v],
		"X-Frame-Options":        "DENY",
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "same-origin",
		"Content-Length":         fmt.Sprint(len(res.Body)),
	}
	for k, val := range want {
		if got := res.Header.Values(k); len(got) != 1 || got[0] != val {
			t.Errorf("%s: header %s = %q, want %q", where, k, got, val)
		}
	}
	if got := res.Header.Values("Www-Authenticate"); res.Code == http.StatusUnauthorized {
		if len(got) != 1 || got[0] != `Bearer realm="api"` {
			t.Errorf("%s: WWW-Authenticate = %q, want Bearer realm=\"api\"", where, got)
		}
	} else if len(got) != 0 {
		t.Errorf("%s: WWW-Authenticate %q on a %d", where, got, res.Code)
	}
	if got := res.Header.Values("Retry-After"); (len(got) != 0) != (res.Code == http.StatusServiceUnavailable || res.Code == http.StatusTooManyRequests) {
		t.Errorf("%s: Retry-After = %q", where, got)
	}
	if !json.Valid([]byte(res.Body)) {
		t.Errorf("%s: the body is not JSON", where)
	}
	if strings.HasSuffix(res.Body, "\n") {
		t.Errorf("%s: the body ends with a newline", where)
	}
}

// vtJSON is a POST with a JSON body.
func vtJSON(body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}

// vtForm is a POST with an urlencoded body.
func vtForm(vals url.Values) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(vals.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

// vtMultipart is a POST with a multipart/form-data body of text fields.
func vtMultipart(t *testing.T, fields ...string) *http.Request {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for i := 0; i+1 < len(fields); i += 2 {
		if err := mw.WriteField(fields[i], fields[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/", &b)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	return r
}

// vtReq is a request without a body.
func vtReq(method string) *http.Request { return httptest.NewRequest(method, "/", nil) }

// vtBearer adds an Authorization: Bearer header.
func vtBearer(r *http.Request, tok string) *http.Request {
	r.Header.Set("Authorization", "Bearer "+tok)
	return r
}

// vtObj encodes a JSON object from name/value pairs (values are strings).
func vtObj(kv ...string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(kv[i])
		v, _ := json.Marshal(kv[i+1])
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.String()
}

// want checks status and exact body.
func (r vtResp) want(t *testing.T, what string, code int, body string) {
	t.Helper()
	if r.Code != code || r.Body != body {
		t.Errorf("%s: got %d %s\nwant %d %s", what, r.Code, r.Body, code, body)
	}
}

// vtKeys returns the member names of a JSON object, in order.
func vtKeys(t *testing.T, body string) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(body))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %s", body)
	}
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
	}
	return keys
}

// vtStrings decodes a JSON object of strings (a token pair).
func vtStrings(t *testing.T, body string) map[string]string {
	t.Helper()
	m := map[string]string{}
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	return m
}

// vtPayload decodes a token's payload without verifying it: its claims
// and their names in order.
func vtPayload(t *testing.T, tok string) (map[string]any, []string) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS: %q", tok)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("payload of %q: %v", tok, err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	claims := map[string]any{}
	if err := dec.Decode(&claims); err != nil {
		t.Fatalf("payload %s: %v", raw, err)
	}
	return claims, vtKeys(t, string(raw))
}

// vtInt reads a JSON number claim as an integer.
func vtInt(t *testing.T, claims map[string]any, name string) int64 {
	t.Helper()
	n, ok := claims[name].(json.Number)
	if !ok {
		t.Fatalf("claim %s = %#v, not a number", name, claims[name])
	}
	i, err := n.Int64()
	if err != nil {
		t.Fatalf("claim %s = %s: %v", name, n, err)
	}
	return i
}

// vtSign makes an HS256 token of any payload, signed with key.
func vtSign(key, payload string) string {
	in := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." +
		base64.RawURLEncoding.EncodeToString([]byte(payload))
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// pair issues a token pair for a user straight from the codec, without
// recording it (a token the gateway never saw, such as Django's).
func (e *viewEnv) pair(userID any) (refresh, access token.Issued) {
	e.t.Helper()
	refresh, access, err := e.codec.NewPair(userID, e.clock.Now())
	if err != nil {
		e.t.Fatalf("NewPair: %v", err)
	}
	return refresh, access
}

// login obtains a pair through the obtain view; it resets the hash count.
func (e *viewEnv) login(username, pw string) (refresh, access string) {
	e.t.Helper()
	res := e.serve(ObtainPair, vtJSON(vtObj("username", username, "password", pw)))
	if res.Code != http.StatusOK {
		e.t.Fatalf("login %s: %d %s", username, res.Code, res.Body)
	}
	m := vtStrings(e.t, res.Body)
	e.hashCount()
	return m["refresh"], m["access"]
}

// vtJTI returns a token's jti claim.
func vtJTI(t *testing.T, tok string) string {
	t.Helper()
	c, _ := vtPayload(t, tok)
	s, _ := c["jti"].(string)
	return s
}

// vtLogText renders every observed log entry (message, logger name and
// every field) as text.
func vtLogText(logs *observer.ObservedLogs) []string {
	var out []string
	for _, en := range logs.All() {
		out = append(out, fmt.Sprintf("%s %s %s %v", en.Level, en.LoggerName, en.Message, en.ContextMap()))
	}
	return out
}

// assertLogsClean fails when any log entry holds one of the secrets.
func (e *viewEnv) assertLogsClean(secrets ...string) {
	e.t.Helper()
	for _, line := range vtLogText(e.logs) {
		for _, s := range secrets {
			if s != "" && strings.Contains(line, s) {
				e.t.Errorf("a log entry holds the secret %q: %s", s, line)
			}
		}
	}
}

// vtChunked hides a body's length, as a chunked request does.
type vtChunked struct{ io.Reader }

// vtWithBody is a request with a body and a Content-Type ("" for none).
func vtWithBody(method, contentType, body string) *http.Request {
	r := httptest.NewRequest(method, "/", strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	return r
}
