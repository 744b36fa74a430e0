// Package simplejwttest holds the helpers of the view tests of simplejwt
// and userprofiles: every view test runs the real Service on a real SQLite
// store in t.TempDir(), a real token codec and a real password Set. It
// does not import simplejwt, whose own tests use it.
package simplejwttest

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
	"regexp"
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
	"github.com/jwtgate/jwtgate/token"
	"github.com/jwtgate/jwtgate/userindex"
)

// Key is the HS256 signing key of the view tests (50 bytes).
const Key = "jwtgate-view-tests-signing-key-0123456789abcdefghi"

// Start is the fixed clock the services start at. It has a sub-second
// part, so that stored times show their microseconds.
var Start = time.Date(2026, 11, 22, 10, 25, 40, 429054321, time.UTC)

// The seeded users, as the reference seeds them.
const (
	Siva          = "siva"
	SivaPassword  = "siva"
	SivaEmail     = "siva@example.com"
	Inactive      = "inactive_user"
	InactivePass  = "inactive-pass-123"
	InactiveEmail = "inactive@example.com"
)

// The bodies the views answer, verbatim.
const (
	BodyNoActiveAccount   = `{"detail":"No active account found with the given credentials"}`
	BodyNoActiveForToken  = `{"detail":"No active account found for the given token.","code":"no_active_account"}`
	BodyBlacklisted       = `{"detail":"Token is blacklisted","code":"token_not_valid"}`
	BodyWrongType         = `{"detail":"Token has wrong type","code":"token_not_valid"}`
	BodyNoID              = `{"detail":"Token has no id","code":"token_not_valid"}`
	BodyNoExp             = `{"detail":"Token has no 'exp' claim","code":"token_not_valid"}`
	BodyNoType            = `{"detail":"Token has no type","code":"token_not_valid"}`
	BodyInvalid           = `{"detail":"Token is invalid or expired","code":"token_not_valid"}`
	BodyUnavailable       = `{"detail":"Service temporarily unavailable, try again later."}`
	BodyNotProvided       = `{"detail":"Authentication credentials were not provided."}`
	BodyVerifyBlacklisted = `{"non_field_errors":["Token is blacklisted"]}`
	BodyAccessBlacklisted = `{"detail":"Given token not valid for any token type","code":"token_not_valid","messages":[{"token_class":"AccessToken","token_type":"access","message":"Token is blacklisted"}]}`
)

// Clock is a settable clock for Config.Now.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock on by d and returns the new time.
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

// Options tunes New.
type Options struct {
	// Watch keeps the index in step with the store's WatchUsers; without
	// it the index is filled once by Reset from ListUsers (and by sync).
	Watch bool
	// NoLoad leaves the index empty and not loaded.
	NoLoad bool
	// ByUsername builds the index for UserIDField "username".
	ByUsername bool
	// BusyTimeout is the store's SQLite busy timeout (default 5 s).
	BusyTimeout time.Duration
	// RevokeClaim is the codec's token.Config.RevokeClaim
	// (CHECK_REVOKE_TOKEN's REVOKE_TOKEN_CLAIM); default off.
	RevokeClaim string
}

// ViewCall is one call of Hooks.View.
type ViewCall struct {
	View   string
	Status int
}

// Env is what a Service needs, real: a SQLite store in t.TempDir(), a
// token codec, a password Set, a user index, a clock and an observed
// logger, and the record of Hooks.View and Hooks.LoginFailed calls.
type Env struct {
	T      testing.TB
	Store  *sqlite.Store
	Path   string
	Codec  *token.Codec
	PW     *password.Set
	Users  *userindex.Index
	Clock  *Clock
	Logs   *observer.ObservedLogs
	Logger *zap.Logger
	Hashes atomic.Int64

	mu     sync.Mutex
	views  []ViewCall
	failed []string

	rawOnce sync.Once
	rawDB   *sql.DB
}

// CodecConfig is the token configuration of the view tests: simplejwt's
// defaults with Key.
func CodecConfig() token.Config {
	cfg := token.DefaultConfig()
	cfg.SigningKey = []byte(Key)
	return cfg
}

// New opens a fresh store in t.TempDir(), seeds siva (active superuser)
// and inactive_user (inactive) and fills the index.
func New(t testing.TB, o Options) *Env {
	t.Helper()
	e := &Env{T: t, Clock: &Clock{now: Start}}
	e.Path = filepath.Join(t.TempDir(), "db.sqlite3")
	ctx := context.Background()
	st, err := sqlite.Open(ctx, sqlite.Options{Path: e.Path, BusyTimeout: o.BusyTimeout, PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	e.Store = st

	tc := CodecConfig()
	tc.RevokeClaim = o.RevokeClaim
	e.Codec, err = token.New(tc)
	if err != nil {
		t.Fatalf("token.New: %v", err)
	}
	e.PW = password.NewSet(password.PBKDF2SHA256{Iterations: 1000})
	e.PW.OnHash = func(string) { e.Hashes.Add(1) }

	siva := e.AddUser(Siva, SivaPassword, SivaEmail, true)
	if err := st.SetSuperuser(ctx, siva.ID, true); err != nil {
		t.Fatalf("SetSuperuser: %v", err)
	}
	e.AddUser(Inactive, InactivePass, InactiveEmail, false)

	e.Users = userindex.New(o.ByUsername)
	switch {
	case o.NoLoad:
	case o.Watch:
		wctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			st.WatchUsers(wctx, e.Users)
		}()
		// Registered after the store's Close, so it runs before it.
		t.Cleanup(func() { cancel(); <-done })
		select {
		case <-e.Users.Ready():
		case <-time.After(10 * time.Second):
			t.Fatal("WatchUsers did not fill the index")
		}
	default:
		e.Sync()
	}

	core, logs := observer.New(zapcore.DebugLevel)
	e.Logs, e.Logger = logs, zap.New(core)
	return e
}

// RecordView is a Hooks.View that records its calls for ViewCalls.
func (e *Env) RecordView(name string, status int) {
	e.mu.Lock()
	e.views = append(e.views, ViewCall{name, status})
	e.mu.Unlock()
}

// RecordLoginFailed is a Hooks.LoginFailed that records the usernames
// for LoginFailures.
func (e *Env) RecordLoginFailed(r *http.Request, username string) {
	if r == nil {
		e.T.Error("Hooks.LoginFailed called without the request")
	}
	e.mu.Lock()
	e.failed = append(e.failed, username)
	e.mu.Unlock()
}

// AddUser creates a user directly in the store, with a 1000-iteration
// pbkdf2_sha256 hash made outside the Service's Set (so it does not count
// as a hash of the views).
func (e *Env) AddUser(username, pw, email string, active bool) store.User {
	e.T.Helper()
	enc, err := password.PBKDF2SHA256{Iterations: 1000}.Encode(pw)
	if err != nil {
		e.T.Fatalf("Encode: %v", err)
	}
	return e.AddUserHash(username, enc, email, active)
}

// AddUserHash creates a user with an encoded password.
func (e *Env) AddUserHash(username, encoded, email string, active bool) store.User {
	e.T.Helper()
	u, err := e.Store.CreateUser(context.Background(), store.User{
		Username: username, Password: encoded, Email: email, IsActive: active, DateJoined: Start,
	}, store.CreateUserOptions{})
	if err != nil {
		e.T.Fatalf("CreateUser(%q): %v", username, err)
	}
	return u
}

// User reads a user back from the store.
func (e *Env) User(username string) store.User {
	e.T.Helper()
	u, err := e.Store.UserByUsername(context.Background(), username)
	if err != nil {
		e.T.Fatalf("UserByUsername(%q): %v", username, err)
	}
	return u
}

// Sync fills the index from ListUsers (Reset).
func (e *Env) Sync() {
	e.T.Helper()
	all, err := e.Store.ListUsers(context.Background())
	if err != nil {
		e.T.Fatalf("ListUsers: %v", err)
	}
	states := make([]store.UserState, len(all))
	for i, u := range all {
		states[i] = u.State()
	}
	e.Users.Reset(states)
}

// WaitIndex waits until the index's view of a user satisfies ok (for the
// watcher to deliver a change).
func (e *Env) WaitIndex(id int64, what string, ok func(st store.UserState, found bool) bool) {
	e.T.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, found := e.Users.Lookup(id)
		if ok(st, found) {
			return
		}
		if time.Now().After(deadline) {
			e.T.Fatalf("the index did not see user %d %s (state %+v, found %v)", id, what, st, found)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Raw is a second, independent handle on the database file.
func (e *Env) Raw() *sql.DB {
	e.T.Helper()
	e.rawOnce.Do(func() {
		db, err := sql.Open("sqlite", e.Path+"?_pragma=busy_timeout(5000)")
		if err != nil {
			e.T.Fatalf("sql.Open: %v", err)
		}
		e.T.Cleanup(func() { db.Close() })
		e.rawDB = db
	})
	return e.rawDB
}

// Count runs a COUNT(*) query through the second handle.
func (e *Env) Count(query string, args ...any) int {
	e.T.Helper()
	var n int
	if err := e.Raw().QueryRow(query, args...).Scan(&n); err != nil {
		e.T.Fatalf("%s: %v", query, err)
	}
	return n
}

// OutstandingRows counts the outstanding tokens.
func (e *Env) OutstandingRows() int {
	return e.Count(`SELECT COUNT(*) FROM "token_blacklist_outstandingtoken"`)
}

// BlacklistRows counts the blacklisted tokens.
func (e *Env) BlacklistRows() int {
	return e.Count(`SELECT COUNT(*) FROM "token_blacklist_blacklistedtoken"`)
}

// Outstanding is one token_blacklist_outstandingtoken row as text.
type Outstanding struct {
	Token     string
	CreatedAt sql.NullString
	ExpiresAt string
	UserID    sql.NullInt64
	JTI       string
	Black     int
}

// Outstanding reads the row of a jti through the second handle; ok is
// false when there is none.
func (e *Env) Outstanding(jti string) (Outstanding, bool) {
	e.T.Helper()
	var o Outstanding
	err := e.Raw().QueryRow(`SELECT o."token", CAST(o."created_at" AS TEXT), CAST(o."expires_at" AS TEXT), o."user_id", o."jti",
		(SELECT COUNT(*) FROM "token_blacklist_blacklistedtoken" b WHERE b."token_id" = o."id")
		FROM "token_blacklist_outstandingtoken" o WHERE o."jti" = ?`, jti).
		Scan(&o.Token, &o.CreatedAt, &o.ExpiresAt, &o.UserID, &o.JTI, &o.Black)
	if errors.Is(err, sql.ErrNoRows) {
		return o, false
	}
	if err != nil {
		e.T.Fatalf("reading outstanding token %s: %v", jti, err)
	}
	return o, true
}

// HashCount returns the number of hash computations so far and resets it.
func (e *Env) HashCount() int64 { return e.Hashes.Swap(0) }

// LoginFailures returns the usernames Hooks.LoginFailed got and resets
// them.
func (e *Env) LoginFailures() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	f := e.failed
	e.failed = nil
	return f
}

// ViewCalls returns the calls of Hooks.View so far and resets them.
func (e *Env) ViewCalls() []ViewCall {
	e.mu.Lock()
	defer e.mu.Unlock()
	v := e.views
	e.views = nil
	return v
}

// Resp is a recorded answer.
type Resp struct {
	Code   int
	Header http.Header
	Body   string
}

// Serve runs one request through serve, which answers it with the view
// named view, and checks what every answer of every view must satisfy
// (CheckHeaders, with allow the view's Allow header) and exactly one
// Hooks.View call with the view and the status sent. It must not run
// concurrently with other requests of e (use ServeRaw).
func (e *Env) Serve(view, allow string, serve http.HandlerFunc, r *http.Request) Resp {
	e.T.Helper()
	before := len(e.ViewCalls())
	if before != 0 {
		e.T.Fatalf("%d Hooks.View calls were not accounted for", before)
	}
	res := e.ServeRaw(view, allow, serve, r)
	calls := e.ViewCalls()
	if want := []ViewCall{{view, res.Code}}; !reflect.DeepEqual(calls, want) {
		e.T.Errorf("%s %s: Hooks.View calls %v, want %v", r.Method, view, calls, want)
	}
	return res
}

// ServeRaw runs one request and checks the headers, without looking at
// Hooks.View; safe for concurrent use.
func (e *Env) ServeRaw(view, allow string, serve http.HandlerFunc, r *http.Request) Resp {
	e.T.Helper()
	w := httptest.NewRecorder()
	serve(w, r)
	res := Resp{Code: w.Code, Header: w.Result().Header, Body: w.Body.String()}
	CheckHeaders(e.T, view, allow, r, res)
	return res
}

// CheckHeaders checks what every answer of every view must satisfy: the
// DRF headers, a JSON body of the declared length, WWW-Authenticate
// exactly on 401s, Retry-After exactly on 503s and 429s.
func CheckHeaders(t testing.TB, view, allow string, r *http.Request, res Resp) {
	t.Helper()
	where := fmt.Sprintf("%s %s (%d %s)", r.Method, view, res.Code, res.Body)
	want := map[string]string{
		"Content-Type":           "application/json",
		"Vary":                   "Accept",
		"Allow":                  allow,
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

// JSON is a POST with a JSON body.
func JSON(body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}

// Form is a POST with an urlencoded body.
func Form(vals url.Values) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(vals.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

// Multipart is a POST with a multipart/form-data body of text fields.
func Multipart(t testing.TB, fields ...string) *http.Request {
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

// Req is a request without a body.
func Req(method string) *http.Request { return httptest.NewRequest(method, "/", nil) }

// Bearer adds an Authorization: Bearer header.
func Bearer(r *http.Request, tok string) *http.Request {
	r.Header.Set("Authorization", "Bearer "+tok)
	return r
}

// Obj encodes a JSON object from name/value pairs (values are strings).
func Obj(kv ...string) string {
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

// Want checks status and exact body.
func (r Resp) Want(t testing.TB, what string, code int, body string) {
	t.Helper()
	if r.Code != code || r.Body != body {
		t.Errorf("%s: got %d %s\nwant %d %s", what, r.Code, r.Body, code, body)
	}
}

// Keys returns the member names of a JSON object, in order.
func Keys(t testing.TB, body string) []string {
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

// Strings decodes a JSON object of strings (a token pair).
func Strings(t testing.TB, body string) map[string]string {
	t.Helper()
	m := map[string]string{}
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	return m
}

// Payload decodes a token's payload without verifying it: its claims
// and their names in order.
func Payload(t testing.TB, tok string) (map[string]any, []string) {
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
	return claims, Keys(t, string(raw))
}

// Int reads a JSON number claim as an integer.
func Int(t testing.TB, claims map[string]any, name string) int64 {
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

// Sign makes an HS256 token of any payload, signed with key.
func Sign(key, payload string) string {
	in := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." +
		base64.RawURLEncoding.EncodeToString([]byte(payload))
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Pair issues a token pair for a user straight from the codec, without
// recording it (a token the gateway never saw, such as Django's).
func (e *Env) Pair(userID any) (refresh, access token.Issued) {
	e.T.Helper()
	refresh, access, err := e.Codec.NewPair(userID, e.Clock.Now())
	if err != nil {
		e.T.Fatalf("NewPair: %v", err)
	}
	return refresh, access
}

// JTI returns a token's jti claim.
func JTI(t testing.TB, tok string) string {
	t.Helper()
	c, _ := Payload(t, tok)
	s, _ := c["jti"].(string)
	return s
}

// LogText renders every observed log entry (message, logger name and
// every field) as text.
func LogText(logs *observer.ObservedLogs) []string {
	var out []string
	for _, en := range logs.All() {
		out = append(out, fmt.Sprintf("%s %s %s %v", en.Level, en.LoggerName, en.Message, en.ContextMap()))
	}
	return out
}

// AssertLogsClean fails when any log entry holds one of the secrets.
func (e *Env) AssertLogsClean(secrets ...string) {
	e.T.Helper()
	for _, line := range LogText(e.Logs) {
		for _, s := range secrets {
			if s != "" && strings.Contains(line, s) {
				e.T.Errorf("a log entry holds the secret %q: %s", s, line)
			}
		}
	}
}

// Chunked hides a body's length, as a chunked request does.
type Chunked struct{ io.Reader }

// WithBody is a request with a body and a Content-Type ("" for none).
func WithBody(method, contentType, body string) *http.Request {
	r := httptest.NewRequest(method, "/", strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	return r
}

// HexJTI matches a jti as the codec makes it.
var HexJTI = regexp.MustCompile(`^[0-9a-f]{32}$`)

// DjangoTime is a time as Django stores it on SQLite.
func DjangoTime(t time.Time) string {
	t = t.UTC().Truncate(time.Microsecond)
	if t.Nanosecond() == 0 {
		return t.Format("2006-01-02 15:04:05")
	}
	return t.Format("2006-01-02 15:04:05.000000")
}

// CheckPair checks an obtained pair as docs/simplejwt.md ("What is matched", tokens)
// describes it, issued at now for the user id (a JSON integer, or a
// string with USER_ID_FIELD = "username").
func CheckPair(t testing.TB, e *Env, body string, now time.Time, userID any) (refresh, access string) {
	t.Helper()
	if keys := Keys(t, body); fmt.Sprint(keys) != "[refresh access]" {
		t.Fatalf("pair keys %v, want [refresh access]: %s", keys, body)
	}
	m := Strings(t, body)
	refresh, access = m["refresh"], m["access"]
	jtis := map[string]bool{}
	for _, c := range []struct {
		tok, typ string
		life     time.Duration
	}{{refresh, "refresh", 24 * time.Hour}, {access, "access", 5 * time.Minute}} {
		claims, order := Payload(t, c.tok)
		if fmt.Sprint(order) != "[token_type exp iat jti user_id]" {
			t.Errorf("%s claims in order %v", c.typ, order)
		}
		if claims["token_type"] != c.typ {
			t.Errorf("%s token_type = %v", c.typ, claims["token_type"])
		}
		iat, exp := Int(t, claims, "iat"), Int(t, claims, "exp")
		if iat != now.Unix() || exp-iat != int64(c.life/time.Second) {
			t.Errorf("%s iat %d exp %d; want iat %d, exp-iat %v", c.typ, iat, exp, now.Unix(), c.life)
		}
		jti, _ := claims["jti"].(string)
		if !HexJTI.MatchString(jti) || jtis[jti] {
			t.Errorf("%s jti %q: not 32 hex digits, or not unique", c.typ, jti)
		}
		jtis[jti] = true
		switch id := userID.(type) {
		case int64:
			if claims["user_id"] != json.Number(fmt.Sprint(id)) {
				t.Errorf("%s user_id = %#v, want the integer %d", c.typ, claims["user_id"], id)
			}
		case string:
			if claims["user_id"] != id {
				t.Errorf("%s user_id = %#v, want the string %q", c.typ, claims["user_id"], id)
			}
		}
	}
	return refresh, access
}

// CheckOutstanding checks the row obtain or register wrote for a refresh
// token (§6), and that the access token has none.
func CheckOutstanding(t testing.TB, e *Env, refresh, access string, userID int64, now time.Time) {
	t.Helper()
	jti := JTI(t, refresh)
	o, ok := e.Outstanding(jti)
	if !ok {
		t.Fatalf("no outstanding row for the refresh token %s", jti)
	}
	claims, _ := Payload(t, refresh)
	exp := time.Unix(Int(t, claims, "exp"), 0)
	if o.Token != refresh || !o.UserID.Valid || o.UserID.Int64 != userID ||
		o.CreatedAt.String != DjangoTime(now) || o.ExpiresAt != DjangoTime(exp) || o.Black != 0 {
		t.Errorf("outstanding row %+v; want token %s, user %d, created %s, expires %s, not blacklisted",
			o, refresh, userID, DjangoTime(now), DjangoTime(exp))
	}
	if _, ok := e.Outstanding(JTI(t, access)); ok {
		t.Error("the access token was recorded as outstanding")
	}
}

// CheckDBFaultLogs checks that every 503 was logged once as a database
// fault naming its view, and that no log entry holds a secret.
func CheckDBFaultLogs(t testing.TB, e *Env, views []string, secrets ...string) {
	t.Helper()
	entries := e.Logs.FilterMessage("database unavailable").All()
	var got []string
	for _, en := range entries {
		if en.Level != zapcore.ErrorLevel {
			t.Errorf("database fault logged at %s", en.Level)
		}
		m := en.ContextMap()
		if m["error"] == nil || m["op"] == nil {
			t.Errorf("database fault without error or op: %v", m)
		}
		got = append(got, m["view"].(string))
	}
	if strings.Join(got, ",") != strings.Join(views, ",") {
		t.Errorf("database faults logged for views %v, want %v", got, views)
	}
	e.AssertLogsClean(secrets...)
}

// UserCount counts the users.
func (e *Env) UserCount() int { return e.Count(`SELECT COUNT(*) FROM "auth_user"`) }
