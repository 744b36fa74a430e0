package simplejwt

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtgate/jwtgate/store"
	"github.com/jwtgate/jwtgate/token"
	"github.com/jwtgate/jwtgate/userindex"
)

const authnKey = "authn-test-key-0123456789abcdef0123456789abcdef"

var authnNow = time.Unix(1795339134, 0)

type authnFixture struct {
	codec *token.Codec
	users *userindex.Index
	auth  *Authenticator
}

func newAuthnFixture(t testing.TB, cfg Settings, extraClaims ...string) *authnFixture {
	t.Helper()
	tc := token.DefaultConfig()
	tc.SigningKey = []byte(authnKey)
	tc.ExtraClaims = extraClaims
	codec, err := token.New(tc)
	if err != nil {
		t.Fatal(err)
	}
	users := userindex.New(cfg.UserIDField == "username")
	users.Reset([]store.UserState{
		{ID: 1, Username: "siva", IsActive: true, IsStaff: true, IsSuperuser: true},
		{ID: 2, Username: "inactive_user"},
	})
	a, err := NewAuthenticator(codec, users, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &authnFixture{codec: codec, users: users, auth: a}
}

// access returns an access token for a user issued by the codec.
func (f *authnFixture) access(t testing.TB, userID any) string {
	t.Helper()
	_, access, err := f.codec.NewPair(userID, authnNow)
	if err != nil {
		t.Fatal(err)
	}
	return access.Token
}

// crafted signs arbitrary claims with golang-jwt and the fixture's key.
func crafted(t testing.TB, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(authnKey))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func claimsFor(userID any) jwt.MapClaims {
	return jwt.MapClaims{"token_type": "access", "exp": authnNow.Unix() + 300, "iat": authnNow.Unix(),
		"jti": "0123456789abcdef0123456789abcdef", "user_id": userID}
}

func request(method string, headers ...string) *http.Request {
	r := httptest.NewRequest(method, "/movieapi/movie/?x=1", nil)
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		r.Header.Add(strings.TrimSpace(k), strings.TrimLeft(v, " "))
	}
	return r
}

func check(f *authnFixture, r *http.Request, p Policy) (Result, string) {
	res := f.auth.Check(r, p, authnNow)
	body := ""
	if e := res.Err(); e != nil {
		body = string(e.Body)
	}
	return res, body
}

// TestAuthorizationHeader follows JWTAuthentication.get_raw_token: the
// header is split on runs of ASCII whitespace; no parts or another scheme
// is anonymous; the scheme with anything but exactly one token is a 401.
func TestAuthorizationHeader(t *testing.T) {
	f := newAuthnFixture(t, Settings{})
	tok := f.access(t, 1)
	for _, c := range []struct {
		header string
		want   Outcome
	}{
		{"Bearer " + tok, Authenticated},
		{"Bearer   " + tok + "  ", Authenticated},
		{"Bearer\t" + tok, Authenticated},
		{" \tBearer " + tok, Authenticated},
		{"", Anonymous},
		{"   ", Anonymous},
		{"bearer " + tok, Anonymous},
		{"JWT " + tok, Anonymous},
		{"Token x", Anonymous},
		{"Basic Zm9vOmJhcg==", Anonymous},
		{"Bearer", BadHeader},
		{"Bearer  ", BadHeader},
		{"Bearer a b", BadHeader},
		{"Bearer " + tok + " extra", BadHeader},
	} {
		res, _ := check(f, request("GET", "Authorization: "+c.header), Optional)
		if res.Outcome != c.want {
			t.Errorf("Authorization %q: outcome %v, want %v", c.header, res.Outcome, c.want)
		}
	}
	res, body := check(f, request("GET", "Authorization: Bearer "+tok, "Authorization: Bearer "+tok), Optional)
	if res.Outcome != BadHeader || !strings.Contains(body, "bad_authorization_header") {
		t.Errorf("two Authorization headers: %v %s", res.Outcome, body)
	}
}

// TestRefusalBodies are simplejwt's 401 bodies, byte for byte.
func TestRefusalBodies(t *testing.T) {
	f := newAuthnFixture(t, Settings{})
	refresh, _, err := f.codec.NewPair(int64(1), authnNow)
	if err != nil {
		t.Fatal(err)
	}
	invalid := func(msg string) string {
		return `{"detail":"Given token not valid for any token type","code":"token_not_valid","messages":[{"token_class":"AccessToken","token_type":"access","message":"` + msg + `"}]}`
	}
	noType, noJTI, noExp, noUser := claimsFor(1), claimsFor(1), claimsFor(1), claimsFor(1)
	delete(noType, "token_type")
	delete(noJTI, "jti")
	delete(noExp, "exp")
	delete(noUser, "user_id")
	expired := claimsFor(1)
	expired["exp"] = authnNow.Unix()
	for _, c := range []struct {
		name, header, body string
		outcome            Outcome
	}{
		{"no header", "", `{"detail":"Authentication credentials were not provided."}`, NotProvided},
		{"bad header", "Bearer a b", `{"detail":"Authorization header must contain two space-delimited values","code":"bad_authorization_header"}`, BadHeader},
		{"garbage", "Bearer garbage", invalid("Token is invalid or expired"), TokenInvalid},
		{"expired", "Bearer " + crafted(t, expired), invalid("Token is invalid or expired"), TokenInvalid},
		{"refresh token", "Bearer " + refresh.Token, invalid("Token has wrong type"), TokenInvalid},
		{"no type", "Bearer " + crafted(t, noType), invalid("Token has no type"), TokenInvalid},
		{"no jti", "Bearer " + crafted(t, noJTI), invalid("Token has no id"), TokenInvalid},
		{"no exp", "Bearer " + crafted(t, noExp), invalid("Token has no 'exp' claim"), TokenInvalid},
		{"no user id", "Bearer " + crafted(t, noUser), `{"detail":"Token contained no recognizable user identification","code":"token_not_valid"}`, NoUserID},
		{"non-numeric user id", "Bearer " + crafted(t, claimsFor("abc")), `{"detail":"Token contained no recognizable user identification","code":"token_not_valid"}`, NoUserID},
		{"unknown user", "Bearer " + crafted(t, claimsFor(2147480000)), `{"detail":"User not found","code":"user_not_found"}`, UserNotFound},
		{"null user", "Bearer " + crafted(t, claimsFor(nil)), `{"detail":"User not found","code":"user_not_found"}`, UserNotFound},
		{"inactive", "Bearer " + crafted(t, claimsFor(2)), `{"detail":"User is inactive","code":"user_inactive"}`, UserInactive},
	} {
		var hs []string
		if c.header != "" {
			hs = append(hs, "Authorization: "+c.header)
		}
		res, body := check(f, request("GET", hs...), Required)
		if res.Outcome != c.outcome || body != c.body {
			t.Errorf("%s: %v %s\nwant %v %s", c.name, res.Outcome, body, c.outcome, c.body)
			continue
		}
		e := res.Err()
		if e.Status != http.StatusUnauthorized || e.Header.Get("Www-Authenticate") != `Bearer realm="api"` {
			t.Errorf("%s: status %d, WWW-Authenticate %q", c.name, e.Status, e.Header.Get("Www-Authenticate"))
		}
	}
}

// TestPolicies are DRF's IsAuthenticated, AllowAny and
// IsAuthenticatedOrReadOnly, and the CORS preflight exception.
func TestPolicies(t *testing.T) {
	f := newAuthnFixture(t, Settings{})
	for _, c := range []struct {
		policy Policy
		method string
		want   Outcome
	}{
		{Required, "GET", NotProvided},
		{Required, "OPTIONS", NotProvided},
		{Optional, "GET", Anonymous},
		{Optional, "DELETE", Anonymous},
		{ReadOnly, "GET", Anonymous},
		{ReadOnly, "HEAD", Anonymous},
		{ReadOnly, "OPTIONS", Anonymous},
		{ReadOnly, "POST", NotProvided},
		{ReadOnly, "PATCH", NotProvided},
	} {
		if res, _ := check(f, request(c.method), c.policy); res.Outcome != c.want {
			t.Errorf("policy %d %s anonymous: %v, want %v", c.policy, c.method, res.Outcome, c.want)
		}
	}
	// A broken Bearer token is refused even where anonymous is fine, as DRF
	// authenticates before it checks permissions.
	if res, _ := check(f, request("GET", "Authorization: Bearer garbage"), Optional); res.Outcome != TokenInvalid {
		t.Errorf("optional with a broken token: %v", res.Outcome)
	}
	pre := request("OPTIONS", "Origin: https://app.example", "Access-Control-Request-Method: POST", "Authorization: Bearer garbage")
	if res, _ := check(f, pre, Required); res.Outcome != Preflight || res.Err() != nil {
		t.Errorf("preflight: %v", res.Outcome)
	}
}

// TestPreflight: a preflight is OPTIONS with Origin and
// Access-Control-Request-Method and no body; it passes without a token but
// loses every token source, even with PassAuthorization. Any other OPTIONS
// request is authenticated as usual.
func TestPreflight(t *testing.T) {
	f := newAuthnFixture(t, Settings{Cookie: "access", Query: "token", PassAuthorization: true})
	tok := f.access(t, 1)
	preflight := func() *http.Request {
		r := httptest.NewRequest("OPTIONS", "/movies/?page=2&%74oken=garbage&token="+tok, nil)
		r.Header.Set("Origin", "https://app.example")
		r.Header.Set("Access-Control-Request-Method", "DELETE")
		r.Header.Set("Authorization", "Bearer garbage")
		r.Header.Set("Cookie", "theme=dark; access=garbage")
		return r
	}
	r := preflight()
	if res := f.auth.Check(r, Required, authnNow); res.Outcome != Preflight || res.Err() != nil {
		t.Fatalf("preflight: %v", res.Outcome)
	}
	if len(r.Header["Authorization"]) != 0 || r.Header.Get("Cookie") != "theme=dark" || r.URL.RawQuery != "page=2" || r.RequestURI != "/movies/?page=2" {
		t.Errorf("preflight passed on: Authorization %q, Cookie %q, query %q, RequestURI %q",
			r.Header["Authorization"], r.Header.Get("Cookie"), r.URL.RawQuery, r.RequestURI)
	}
	for name, change := range map[string]func(r *http.Request){
		"no Origin":         func(r *http.Request) { r.Header.Del("Origin") },
		"no request method": func(r *http.Request) { r.Header.Del("Access-Control-Request-Method") },
		"a body":            func(r *http.Request) { r.ContentLength = 1 },
		"a chunked body":    func(r *http.Request) { r.ContentLength, r.TransferEncoding = -1, []string{"chunked"} },
		"a GET":             func(r *http.Request) { r.Method = "GET" },
		"an empty Origin":   func(r *http.Request) { r.Header.Set("Origin", "") },
	} {
		r := preflight()
		change(r)
		if IsPreflight(r) {
			t.Errorf("OPTIONS with %s is a preflight", name)
		}
		if res := f.auth.Check(r, Required, authnNow); res.Outcome == Preflight || res.Err() == nil {
			t.Errorf("OPTIONS with %s and a garbage token: %v", name, res.Outcome)
		}
	}
	// Nothing to remove: the URL and the cookies stay byte for byte.
	r = httptest.NewRequest("OPTIONS", "/movies/?a=1&&b", nil)
	r.Header.Set("Origin", "https://app.example")
	r.Header.Set("Access-Control-Request-Method", "DELETE")
	r.Header.Set("Cookie", "theme=dark;lang=en")
	if res := f.auth.Check(r, Required, authnNow); res.Outcome != Preflight || r.RequestURI != "/movies/?a=1&&b" || r.Header.Get("Cookie") != "theme=dark;lang=en" {
		t.Errorf("preflight without tokens: %v, RequestURI %q, Cookie %q", res.Outcome, r.RequestURI, r.Header.Get("Cookie"))
	}
}

// TestEncodedQueryName: the token parameter is found and removed under
// every percent-encoded spelling of its name, as the upstream decodes it.
func TestEncodedQueryName(t *testing.T) {
	f := newAuthnFixture(t, Settings{Query: "access_token"})
	tok := f.access(t, 1)
	other := f.access(t, int64(1))
	for _, name := range []string{"%61ccess_token", "access%5Ftoken", "%61%63%63%65%73%73%5f%74%6f%6b%65%6e"} {
		// Alone, it is the token.
		r := httptest.NewRequest("GET", "/m/?x=1&"+name+"="+tok, nil)
		if res := f.auth.Check(r, Required, authnNow); res.Outcome != Authenticated || r.URL.RawQuery != "x=1" {
			t.Errorf("?%s=<token>: %v, query left %q", name, res.Outcome, r.URL.RawQuery)
		}
		// Beside the header's token, a different one is a disagreement...
		r = httptest.NewRequest("GET", "/m/?"+name+"="+other, nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		if res := f.auth.Check(r, Required, authnNow); res.Outcome != BadHeader {
			t.Errorf("?%s=<another token> beside the header: %v", name, res.Outcome)
		}
		// ...and the same one goes with it.
		r = httptest.NewRequest("GET", "/m/?access_token="+tok+"&"+name+"="+tok, nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		if res := f.auth.Check(r, Required, authnNow); res.Outcome != Authenticated || r.URL.RawQuery != "" {
			t.Errorf("?access_token&%s with the header's token: %v, query left %q", name, res.Outcome, r.URL.RawQuery)
		}
	}
	// Names that decode to something else are not the parameter.
	r := httptest.NewRequest("GET", "/m/?access+token="+other+"&access_token%zz="+other, nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	if res := f.auth.Check(r, Required, authnNow); res.Outcome != Authenticated || r.URL.RawQuery != "access+token="+other+"&access_token%zz="+other {
		t.Errorf("other names: %v, query %q", res.Outcome, r.URL.RawQuery)
	}
}

func TestAuthenticatedUserAndClaims(t *testing.T) {
	f := newAuthnFixture(t, Settings{}, "scope", "missing")
	claims := claimsFor(1)
	claims["scope"] = "read write"
	res, body := check(f, request("GET", "Authorization: Bearer "+crafted(t, claims)), Required)
	if res.Outcome != Authenticated || body != "" {
		t.Fatalf("%v %s", res.Outcome, body)
	}
	if res.User.ID != 1 || res.User.Username != "siva" || res.Sources != FromHeader {
		t.Errorf("user %+v, sources %b", res.User, res.Sources)
	}
	r2 := f.auth.Check(request("GET", "Authorization: Bearer "+crafted(t, claims)), Required, authnNow)
	if len(r2.Claims) != 2 || r2.Claims[0] != "read write" {
		t.Errorf("claims = %q", r2.Claims)
	}
	if r2.Claims[1] != "" {
		t.Errorf("absent claim: %q", r2.Claims[1])
	}
}

// TestTokenSources: a cookie and a query parameter may carry the token;
// sources that disagree, or a cookie or parameter given twice with
// different values, are refused rather than one silently preferred.
func TestTokenSources(t *testing.T) {
	f := newAuthnFixture(t, Settings{Cookie: "access", Query: "token"})
	tok := f.access(t, 1)
	other := f.access(t, int64(1)) // another jti: a different token
	for _, c := range []struct {
		name    string
		target  string
		headers []string
		want    Outcome
		sources TokenSource
	}{
		{"cookie", "/", []string{"Cookie: a=1; access=" + tok}, Authenticated, FromCookie},
		{"query", "/?token=" + tok, nil, Authenticated, FromQuery},
		{"query escaped", "/?a=1&token=" + strings.ReplaceAll(tok, ".", "%2E"), nil, Authenticated, FromQuery},
		{"header and same cookie", "/", []string{"Authorization: Bearer " + tok, "Cookie: access=" + tok}, Authenticated, FromHeader | FromCookie},
		{"all three agree", "/?token=" + tok, []string{"Authorization: Bearer " + tok, "Cookie: access=" + tok}, Authenticated, FromHeader | FromCookie | FromQuery},
		{"header and other cookie", "/", []string{"Authorization: Bearer " + tok, "Cookie: access=" + other}, BadHeader, 0},
		{"cookie and other query", "/?token=" + other, []string{"Cookie: access=" + tok}, BadHeader, 0},
		{"cookie twice, different", "/", []string{"Cookie: access=" + tok + "; access=garbage"}, BadHeader, 0},
		{"cookie twice, different, reversed", "/", []string{"Cookie: access=garbage; access=" + tok}, BadHeader, 0},
		{"query twice, different", "/?token=" + tok + "&token=garbage", nil, BadHeader, 0},
		{"query twice, same", "/?token=" + tok + "&token=" + tok, nil, Authenticated, FromQuery},
		{"bad escape", "/?token=%zz", nil, BadHeader, 0},
		{"other scheme and cookie", "/", []string{"Authorization: Basic Zm9v", "Cookie: access=" + tok}, Authenticated, FromCookie},
	} {
		r := httptest.NewRequest("GET", c.target, nil)
		for _, h := range c.headers {
			k, v, _ := strings.Cut(h, ": ")
			r.Header.Add(k, v)
		}
		res, body := check(f, r, Required)
		if res.Outcome != c.want || (c.want == Authenticated && res.Sources != c.sources) {
			t.Errorf("%s: %v (sources %b) %s", c.name, res.Outcome, res.Sources, body)
		}
	}
}

// TestRemoveToken takes the token out of every source it came from and
// leaves everything else.
func TestRemoveToken(t *testing.T) {
	f := newAuthnFixture(t, Settings{Cookie: "access", Query: "token"})
	tok := f.access(t, 1)
	r := httptest.NewRequest("GET", "/movies/?page=2&token="+tok+"&sort=id", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	r.Header.Set("Cookie", "session=abc; access="+tok+"; theme=dark")
	res := f.auth.Check(r, Required, authnNow)
	if res.Outcome != Authenticated {
		t.Fatalf("outcome %v", res.Outcome)
	}
	if r.Header.Get("Authorization") != "" || r.Header.Get("Cookie") != "session=abc; theme=dark" ||
		r.URL.RawQuery != "page=2&sort=id" || r.RequestURI != "/movies/?page=2&sort=id" {
		t.Errorf("after RemoveToken: Authorization %q, Cookie %q, query %q, RequestURI %q",
			r.Header.Get("Authorization"), r.Header.Get("Cookie"), r.URL.RawQuery, r.RequestURI)
	}
	// Another scheme is not ours to remove.
	r = httptest.NewRequest("GET", "/?token="+tok, nil)
	r.Header.Set("Authorization", "Basic Zm9v")
	res = f.auth.Check(r, Required, authnNow)
	if r.Header.Get("Authorization") != "Basic Zm9v" || r.URL.RawQuery != "" {
		t.Errorf("Basic credentials or query: %q, %q", r.Header.Get("Authorization"), r.URL.RawQuery)
	}
}

func TestHeaderNameAndTypes(t *testing.T) {
	for in, want := range map[string]string{"": "Authorization", "authorization": "Authorization",
		"HTTP_X_ACCESS_TOKEN": "X-Access-Token", "X-Access-Token": "X-Access-Token"} {
		if got := HeaderName(in); got != want {
			t.Errorf("HeaderName(%q) = %q, want %q", in, got, want)
		}
	}
	f := newAuthnFixture(t, Settings{HeaderName: "HTTP_X_ACCESS_TOKEN", HeaderTypes: []string{"JWT", "Bearer"}})
	tok := f.access(t, 1)
	if res, _ := check(f, request("GET", "X-Access-Token: Bearer "+tok), Required); res.Outcome != Authenticated {
		t.Errorf("second type in a custom header: %v", res.Outcome)
	}
	res, _ := check(f, request("GET", "Authorization: JWT "+tok), Required)
	if res.Outcome != NotProvided || f.auth.Challenge() != `JWT realm="api"` {
		t.Errorf("the default header must be ignored: %v; challenge %q", res.Outcome, f.auth.Challenge())
	}
	if _, err := NewAuthenticator(f.codec, f.users, Settings{HeaderTypes: []string{"Bearer x"}}); err == nil {
		t.Error("a header type with a space was accepted")
	}
}

func TestByUsername(t *testing.T) {
	f := newAuthnFixture(t, Settings{UserIDField: "username"})
	if res, _ := check(f, request("GET", "Authorization: Bearer "+f.access(t, "siva")), Required); res.Outcome != Authenticated || res.User.ID != 1 {
		t.Errorf("siva by username: %v %+v", res.Outcome, res.User)
	}
	if res, _ := check(f, request("GET", "Authorization: Bearer "+f.access(t, "inactive_user")), Required); res.Outcome != UserInactive {
		t.Errorf("inactive by username: %v", res.Outcome)
	}
	if res, _ := check(f, request("GET", "Authorization: Bearer "+f.access(t, "nobody")), Required); res.Outcome != UserNotFound {
		t.Errorf("unknown username: %v", res.Outcome)
	}
}

// TestUnloadedIndex: until the user table has been read once, the gateway
// cannot tell an unknown user from one not loaded yet, so it answers 503
// rather than "User not found".
func TestUnloadedIndex(t *testing.T) {
	f := newAuthnFixture(t, Settings{})
	a, err := NewAuthenticator(f.codec, userindex.New(false), Settings{})
	if err != nil {
		t.Fatal(err)
	}
	res := a.Check(request("GET", "Authorization: Bearer "+f.access(t, 1)), Required, authnNow)
	if res.Outcome != Unavailable || res.Err().Status != http.StatusServiceUnavailable || res.Err().Header.Get("Retry-After") == "" {
		t.Errorf("unloaded index: %v %+v", res.Outcome, res.Err())
	}
	// An invalid token is refused as invalid: it needs no user table.
	res = a.Check(request("GET", "Authorization: Bearer garbage"), Required, authnNow)
	if res.Outcome != TokenInvalid {
		t.Errorf("bad token with an unloaded index: %v, want token_invalid", res.Outcome)
	}
	// Anonymous requests do not need the index.
	res = a.Check(request("GET"), Optional, authnNow)
	if res.Outcome != Anonymous {
		t.Errorf("anonymous with an unloaded index: %v", res.Outcome)
	}
}

// TestMaxStaleness: with MaxStaleness, a valid token is refused with 503
// while the index has not been confirmed current for that long, without
// allocating; refusals that need no user table and anonymous requests are
// unchanged; without it the last known users keep answering.
func TestMaxStaleness(t *testing.T) {
	f := newAuthnFixture(t, Settings{MaxStaleness: 10 * time.Second})
	valid := request("GET", "Authorization: Bearer "+f.access(t, 1))
	authz := valid.Header["Authorization"]
	checkAt := func(at time.Time) Result {
		valid.Header["Authorization"] = authz
		return f.auth.Check(valid, Required, at)
	}
	if res := checkAt(authnNow); res.Outcome != Unavailable || res.Reason != "stale" || res.Err().Status != http.StatusServiceUnavailable || res.Err().Header.Get("Retry-After") == "" {
		t.Errorf("never confirmed fresh: %v %q %+v", res.Outcome, res.Reason, res.Err())
	}
	f.users.Fresh(authnNow.Add(-10 * time.Second))
	if res := checkAt(authnNow); res.Outcome != Authenticated {
		t.Errorf("confirmed fresh 10 s ago, max 10 s: %v", res.Outcome)
	}
	if res := checkAt(authnNow.Add(time.Millisecond)); res.Outcome != Unavailable || res.Reason != "stale" {
		t.Errorf("confirmed fresh just over 10 s ago: %v %q", res.Outcome, res.Reason)
	}
	if !raceEnabled {
		if n := testing.AllocsPerRun(200, func() { sink = checkAt(authnNow.Add(time.Second)) }); n != 0 {
			t.Errorf("%v allocations per stale refusal", n)
		}
		f.users.Fresh(authnNow)
		if n := testing.AllocsPerRun(200, func() { sink = checkAt(authnNow) }); n != 0 {
			t.Errorf("%v allocations per check with max_staleness", n)
		}
	}
	later := authnNow.Add(time.Minute)
	if res := f.auth.Check(request("GET", "Authorization: Bearer garbage"), Required, later); res.Outcome != TokenInvalid {
		t.Errorf("a bad token while stale: %v", res.Outcome)
	}
	if res := f.auth.Check(request("GET"), Optional, later); res.Outcome != Anonymous {
		t.Errorf("anonymous while stale: %v", res.Outcome)
	}
	off := newAuthnFixture(t, Settings{})
	if res := off.auth.Check(request("GET", "Authorization: Bearer "+off.access(t, 1)), Required, later); res.Outcome != Authenticated {
		t.Errorf("without max_staleness, never confirmed fresh: %v", res.Outcome)
	}
	if _, err := (Settings{MaxStaleness: -time.Second}).Resolve(); err == nil {
		t.Error("a negative max_staleness resolves")
	}
}

// TestCheckAllocations: the Bearer check runs on every proxied request; a
// valid token, a rejected one and an anonymous request must not allocate.
func TestCheckAllocations(t *testing.T) {
	if raceEnabled {
		t.Log("sync.Pool drops items under -race; allocations are checked without it")
		return
	}
	f := newAuthnFixture(t, Settings{})
	for name, r := range map[string]*http.Request{
		"valid":     request("GET", "Authorization: Bearer "+f.access(t, 1)),
		"expired":   request("GET", "Authorization: Bearer "+crafted(t, jwt.MapClaims{"token_type": "access", "exp": 1, "jti": "x", "user_id": 1})),
		"garbage":   request("GET", "Authorization: Bearer garbage"),
		"anonymous": request("GET"),
	} {
		authz := r.Header["Authorization"]
		n := testing.AllocsPerRun(200, func() {
			r.Header["Authorization"] = authz // Check removes an accepted token
			sink = f.auth.Check(r, Optional, authnNow)
		})
		if n != 0 {
			t.Errorf("%s: %v allocations per check", name, n)
		}
	}
}

func BenchmarkCheck(b *testing.B) {
	f := newAuthnFixture(b, Settings{})
	for _, c := range []struct{ name, header string }{
		{"valid", "Bearer " + f.access(b, 1)},
		{"expired", "Bearer " + crafted(b, jwt.MapClaims{"token_type": "access", "exp": 1, "jti": "x", "user_id": 1})},
		{"garbage", "Bearer garbage"},
		{"anonymous", ""},
	} {
		b.Run(c.name, func(b *testing.B) {
			r := request("GET")
			if c.header != "" {
				r.Header.Set("Authorization", c.header)
			}
			authz := r.Header["Authorization"]
			b.ReportAllocs()
			for b.Loop() {
				r.Header["Authorization"] = authz // Check removes an accepted token
				sink = f.auth.Check(r, Optional, authnNow)
			}
		})
	}
}

// revokedFixture is the fixture with 100,000 ended sessions in the index:
// 25,000 other users with four each, and siva (user 1) with four that are
// not the session of f.access tokens.
func revokedFixture(t testing.TB) *authnFixture {
	f := newAuthnFixture(t, Settings{})
	all := []store.UserState{{ID: 2, Username: "inactive_user"}}
	mine := []store.RevokedSession{{ID: 1, Until: authnNow.Unix() + 3600}, {ID: 2}, {ID: 3}, {ID: 4}}
	all = append(all, store.UserState{ID: 1, Username: "siva", IsActive: true, Revoked: mine})
	for i := int64(0); i < 25000; i++ {
		rs := make([]store.RevokedSession, 4)
		for j := range rs {
			rs[j] = store.RevokedSession{ID: uint64(i*4 + int64(j) + 100), Until: authnNow.Unix() + 3600}
		}
		all = append(all, store.UserState{ID: 1000 + i, Username: fmt.Sprint("u", i), IsActive: true, Revoked: rs})
	}
	f.users.Reset(all)
	return f
}

// TestEndedTokens: a token issued before the user's not-before (it joined
// later: a reused id; or a revocation) or of an ended session is refused
// from memory with simplejwt's 401, without allocating; one issued at
// not-before passes.
func TestEndedTokens(t *testing.T) {
	f := revokedFixture(t)
	tok := func(iat any, jti string) string {
		c := claimsFor(1)
		c["iat"], c["jti"] = iat, jti
		return crafted(t, c)
	}
	now := authnNow.Unix()
	const live, ended = "00000000000000ff0123456789abcdef", "00000000000000020123456789abcdef"
	st, _ := f.users.Lookup(1)
	st.NotBefore = now - 10
	f.users.Update(1, st, true)
	want := `{"detail":"Given token not valid for any token type","code":"token_not_valid","messages":[{"token_class":"AccessToken","token_type":"access","message":"Token is blacklisted"}]}`
	for name, c := range map[string]struct {
		tok string
		ok  bool
	}{
		"issued at not-before":     {tok(now-10, live), true},
		"issued before not-before": {tok(now-11, live), false},
		"fractional iat before":    {tok(float64(now)-10.5, live), false},
		"of an ended session":      {tok(now, ended), false},
		"non-hex jti, live user":   {tok(now, "x"), true},
		"issued long before (ids)": {tok(1, live), false},
	} {
		res, body := check(f, request("GET", "Authorization: Bearer "+c.tok), Required)
		if c.ok != (res.Outcome == Authenticated) || (!c.ok && (body != want || res.Reason != "revoked")) {
			t.Errorf("%s: %v %q %s", name, res.Outcome, res.Reason, body)
		}
	}
	if raceEnabled {
		return
	}
	r := request("GET", "Authorization: Bearer "+tok(now, ended))
	if n := testing.AllocsPerRun(200, func() {
		sink = f.auth.Check(r, Optional, authnNow)
	}); n != 0 {
		t.Errorf("%v allocations refusing an ended session", n)
	}
}

// BenchmarkCheckRevoked is BenchmarkCheck's valid case with 100,000 ended
// sessions held, for comparison with none (bench/RESULTS.md).
func BenchmarkCheckRevoked(b *testing.B) {
	for name, f := range map[string]*authnFixture{
		"none":   newAuthnFixture(b, Settings{}),
		"100000": revokedFixture(b),
	} {
		b.Run(name, func(b *testing.B) {
			r := request("GET", "Authorization: Bearer "+f.access(b, 1))
			authz := r.Header["Authorization"]
			b.ReportAllocs()
			for b.Loop() {
				r.Header["Authorization"] = authz // Check removes an accepted token
				res := f.auth.Check(r, Optional, authnNow)
				if res.Outcome != Authenticated {
					b.Fatal(res.Outcome)
				}
			}
		})
	}
}

// sink keeps the compiler from optimising the measured calls away.
var sink Result
