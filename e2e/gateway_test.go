package e2e

import (
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
)

func tokenNotValid(msg string) string {
	return `{"detail":"Given token not valid for any token type","code":"token_not_valid","messages":[{"token_class":"AccessToken","token_type":"access","message":"` + msg + `"}]}`
}

// craft signs claims with golang-jwt, an implementation independent of
// jwtgate's token package.
func craft(t testing.TB, key string, method jwt.SigningMethod, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func accessClaims(userID any, exp time.Time) jwt.MapClaims {
	return jwt.MapClaims{"token_type": "access", "exp": exp.Unix(), "iat": time.Now().Unix(),
		"jti": "0123456789abcdef0123456789abcdef", "user_id": userID}
}

// TestSeedFlow follows the seed tutorial as a client would: login with
// form data, a protected movie write with the access token, refresh with
// urlencoded data, verify, and the users list.
func TestSeedFlow(t *testing.T) {
	up := harness.StartUpstream(t)
	g := harness.StartGateway(t, harness.GatewayOptions{Upstream: up})
	g.CreateUser(t, "siva", "siva")
	access, refresh := g.Login(t, "siva", "siva")

	r := harness.Do(t, "GET", g.URL+"/movieapi/movie/", nil)
	if r.Status != 200 || !strings.Contains(r.Body, `"title":"Inception"`) {
		t.Fatalf("public movie list: %d %s", r.Status, r.Body)
	}
	r = harness.PostJSON(t, g.URL+"/movieapi/movie/1/review-create/", `{"rating":4,"description":"ok"}`)
	harness.Expect(t, "anonymous review", r, 401, harness.NotProvided)

	r = harness.PostJSON(t, g.URL+"/movieapi/movie/1/review-create/", `{"rating":4,"description":"ok"}`, harness.Bearer(access))
	if r.Status != 201 || !strings.Contains(r.Body, `"reviewer_name":"siva"`) {
		t.Fatalf("review as siva: %d %s", r.Status, r.Body)
	}
	id := int(r.JSON(t)["id"].(float64))
	r = harness.Do(t, "PUT", g.URL+"/movieapi/movie/"+strconv.Itoa(id)+"/review_detail/", strings.NewReader(`{"rating":5}`),
		"Content-Type: application/json", harness.Bearer(access))
	if r.Status != 200 || !strings.Contains(r.Body, `"rating":5`) {
		t.Fatalf("PUT review_detail: %d %s", r.Status, r.Body)
	}

	r = harness.PostForm(t, g.URL+"/userprofiles/api/token/refresh/", url.Values{"refresh": {refresh}})
	if r.Status != 200 || len(r.JSON(t)) != 1 {
		t.Fatalf("refresh: %d %s", r.Status, r.Body)
	}
	newAccess := r.Str(t, "access")
	harness.Expect(t, "verify access", harness.PostForm(t, g.URL+"/userprofiles/api/token/verify/", url.Values{"token": {newAccess}}), 200, `{}`)
	harness.Expect(t, "verify refresh", harness.PostJSON(t, g.URL+"/userprofiles/api/token/verify/", `{"token":"`+refresh+`"}`), 200, `{}`)
	harness.Expect(t, "users", harness.Do(t, "GET", g.URL+"/userprofiles/users/", nil, harness.Bearer(newAccess)), 200,
		`[{"id":1,"username":"siva","email":"siva@example.com"}]`)

	// login/ is the same view; multipart works too.
	body := "--xx\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nsiva\r\n--xx\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\nsiva\r\n--xx--\r\n"
	r = harness.Do(t, "POST", g.URL+"/userprofiles/login/", strings.NewReader(body), "Content-Type: multipart/form-data; boundary=xx")
	if r.Status != 200 || r.Str(t, "refresh") == "" {
		t.Fatalf("multipart login: %d %s", r.Status, r.Body)
	}
}

// TestProtectedRefusals checks every 401 of a protected route against the
// reference's bytes, on the gateway's own users/ and on a proxied route,
// and that the upstream saw none of them.
func TestProtectedRefusals(t *testing.T) {
	echo := harness.StartEcho(t)
	g := harness.StartGateway(t, harness.GatewayOptions{Upstream: echo.Addr})
	g.CreateUser(t, "siva", "siva")
	g.CreateUser(t, "inactive_user", "inactive-pass-123")
	access, refresh := g.Login(t, "siva", "siva")
	now := time.Now()
	key := harness.TestSigningKey
	g.MustCLI(t, "", "user", "deactivate", "inactive_user")
	waitBody(t, "deactivation", g.URL+"/userprofiles/users/",
		harness.Bearer(craft(t, key, jwt.SigningMethodHS256, accessClaims(2, now.Add(time.Minute)))), harness.UserInactive)
	cases := []struct {
		name   string
		header []string
		body   string
	}{
		{"no header", nil, harness.NotProvided},
		{"Token scheme", []string{"Authorization: Token x"}, harness.NotProvided},
		{"lower-case bearer", []string{"Authorization: bearer " + access}, harness.NotProvided},
		{"Bearer alone", []string{"Authorization: Bearer"}, harness.BadHeader},
		{"Bearer a b", []string{"Authorization: Bearer a b"}, harness.BadHeader},
		{"Bearer token extra", []string{"Authorization: Bearer " + access + " extra"}, harness.BadHeader},
		{"two Authorization headers", []string{harness.Bearer(access), harness.Bearer(access)}, harness.BadHeader},
		{"garbage", []string{"Authorization: Bearer garbage"}, tokenNotValid("Token is invalid or expired")},
		{"refresh token", []string{harness.Bearer(refresh)}, tokenNotValid("Token has wrong type")},
		{"expired", []string{harness.Bearer(craft(t, key, jwt.SigningMethodHS256, accessClaims(1, now.Add(-time.Minute))))}, tokenNotValid("Token is invalid or expired")},
		{"wrong key", []string{harness.Bearer(craft(t, "another-key-another-key-another-key-0000", jwt.SigningMethodHS256, accessClaims(1, now.Add(time.Minute))))}, tokenNotValid("Token is invalid or expired")},
		{"HS512 with the right key", []string{harness.Bearer(craft(t, key, jwt.SigningMethodHS512, accessClaims(1, now.Add(time.Minute))))}, tokenNotValid("Token is invalid or expired")},
		{"alg none", []string{harness.Bearer(noneToken(accessClaims(1, now.Add(time.Minute))))}, tokenNotValid("Token is invalid or expired")},
		{"no token_type", []string{harness.Bearer(craft(t, key, jwt.SigningMethodHS256, without(accessClaims(1, now.Add(time.Minute)), "token_type")))}, tokenNotValid("Token has no type")},
		{"no jti", []string{harness.Bearer(craft(t, key, jwt.SigningMethodHS256, without(accessClaims(1, now.Add(time.Minute)), "jti")))}, tokenNotValid("Token has no id")},
		{"no exp", []string{harness.Bearer(craft(t, key, jwt.SigningMethodHS256, without(accessClaims(1, now.Add(time.Minute)), "exp")))}, tokenNotValid("Token has no 'exp' claim")},
		{"no user_id", []string{harness.Bearer(craft(t, key, jwt.SigningMethodHS256, without(accessClaims(1, now.Add(time.Minute)), "user_id")))}, harness.NoUserID},
		{"non-numeric user_id", []string{harness.Bearer(craft(t, key, jwt.SigningMethodHS256, accessClaims("abc", now.Add(time.Minute))))}, harness.NoUserID},
		{"unknown user", []string{harness.Bearer(craft(t, key, jwt.SigningMethodHS256, accessClaims(2147480000, now.Add(time.Minute))))}, harness.UserNotFound},
		{"null user_id", []string{harness.Bearer(craft(t, key, jwt.SigningMethodHS256, accessClaims(nil, now.Add(time.Minute))))}, harness.UserNotFound},
		{"inactive user", []string{harness.Bearer(craft(t, key, jwt.SigningMethodHS256, accessClaims(2, now.Add(time.Minute))))}, harness.UserInactive},
	}
	for _, route := range []string{"/userprofiles/users/", "/movieapi/movie/1/review-create/"} {
		for _, c := range cases {
			before := echo.Requests()
			method := "GET"
			if strings.HasPrefix(route, "/movieapi") {
				method = "POST"
			}
			r := harness.Do(t, method, g.URL+route, nil, c.header...)
			harness.Expect(t, route+" "+c.name, r, 401, c.body)
			if got := r.Header.Get("Www-Authenticate"); got != harness.WWWAuthenticate {
				t.Errorf("%s %s: WWW-Authenticate %q, want %q", route, c.name, got, harness.WWWAuthenticate)
			}
			if r.Header.Get("Content-Type") != "application/json" {
				t.Errorf("%s %s: Content-Type %q", route, c.name, r.Header.Get("Content-Type"))
			}
			if echo.Requests() != before {
				t.Errorf("%s %s: the upstream received the refused request", route, c.name)
			}
		}
	}
	// The numeric string "1" is accepted, as Django's ORM casts it.
	r := harness.Do(t, "POST", g.URL+"/movieapi/movie/", nil, harness.Bearer(craft(t, key, jwt.SigningMethodHS256, accessClaims("1", now.Add(time.Minute)))))
	if r.Status != 200 || echo.Last(t).Get("X-User-Id") != "1" {
		t.Errorf("user_id \"1\": %d %s, upstream X-User-Id %q", r.Status, r.Body, echo.Last(t).Get("X-User-Id"))
	}
}

func without(c jwt.MapClaims, name string) jwt.MapClaims {
	delete(c, name)
	return c
}

func noneToken(c jwt.MapClaims) string {
	s, _ := jwt.NewWithClaims(jwt.SigningMethodNone, c).SignedString(jwt.UnsafeAllowNoneSignatureType)
	return s
}

// TestReadOnlyPolicy: reads are public, a present but bad Bearer token is
// still refused (DRF authenticates first), writes need a user, and a CORS
// preflight passes without one.
func TestReadOnlyPolicy(t *testing.T) {
	echo := harness.StartEcho(t)
	g := harness.StartGateway(t, harness.GatewayOptions{Upstream: echo.Addr})
	for _, h := range [][]string{nil, {"Authorization: Token abc"}, {"Authorization: Basic Zm9vOmJhcg=="}} {
		r := harness.Do(t, "GET", g.URL+"/movieapi/movie/", nil, h...)
		if r.Status != 200 {
			t.Errorf("anonymous GET with %v: %d %s", h, r.Status, r.Body)
		}
	}
	// Other schemes reach the upstream untouched.
	if got := echo.Last(t).Get("Authorization"); got != "Basic Zm9vOmJhcg==" {
		t.Errorf("upstream Authorization = %q, want the Basic credentials passed on", got)
	}
	harness.Expect(t, "public GET with broken Bearer", harness.Do(t, "GET", g.URL+"/movieapi/movie/", nil, "Authorization: Bearer garbage"),
		401, tokenNotValid("Token is invalid or expired"))
	harness.Expect(t, "anonymous POST", harness.Do(t, "POST", g.URL+"/movieapi/movie/", nil), 401, harness.NotProvided)
	harness.Expect(t, "anonymous DELETE", harness.Do(t, "DELETE", g.URL+"/movieapi/movie/1/", nil), 401, harness.NotProvided)

	before := echo.Requests()
	r := harness.Do(t, "OPTIONS", g.URL+"/movieapi/movie/1/review-create/", nil,
		"Origin: https://app.example.com", "Access-Control-Request-Method: POST")
	if r.Status != 200 || echo.Requests() != before+1 {
		t.Errorf("CORS preflight: %d %s (upstream requests %d → %d)", r.Status, r.Body, before, echo.Requests())
	}
}

// TestIdentityHeadersStripped: a client can never pass its own X-User-Id
// (or X-Username), in any case, duplicated, or spelled with underscores,
// authenticated or not; the upstream sees only what the gateway set, and
// not the token.
func TestIdentityHeadersStripped(t *testing.T) {
	echo := harness.StartEcho(t)
	g := harness.StartGateway(t, harness.GatewayOptions{Upstream: echo.Addr})
	g.CreateUser(t, "siva", "siva")
	access, _ := g.Login(t, "siva", "siva")

	spoofs := []string{"X-User-Id: 999", "x-user-id: 998", "X-USER-ID: 997", "X-User-Id: 996",
		"X_User_Id: 995", "x_user_id: 994", "X-Username: admin", "x_username: root"}
	check := func(what string, wantID, wantName string) {
		t.Helper()
		h := echo.Last(t)
		for name, vals := range h {
			n := strings.ToLower(strings.ReplaceAll(name, "_", "-"))
			if n == "x-user-id" || n == "x-username" {
				want := wantID
				if n == "x-username" {
					want = wantName
				}
				if len(vals) != 1 || vals[0] != want || want == "" {
					t.Errorf("%s: upstream got %s: %q", what, name, vals)
				}
			}
		}
		if got := h.Get("X-User-Id"); got != wantID {
			t.Errorf("%s: upstream X-User-Id = %q, want %q", what, got, wantID)
		}
		if got := h.Get("X-Username"); got != wantName {
			t.Errorf("%s: upstream X-Username = %q, want %q", what, got, wantName)
		}
	}
	r := harness.Do(t, "GET", g.URL+"/movieapi/movie/", nil, spoofs...)
	if r.Status != 200 {
		t.Fatalf("anonymous spoof: %d %s", r.Status, r.Body)
	}
	check("anonymous", "", "")

	r = harness.Do(t, "GET", g.URL+"/movieapi/movie/", nil, append(spoofs, harness.Bearer(access))...)
	if r.Status != 200 {
		t.Fatalf("authenticated spoof: %d %s", r.Status, r.Body)
	}
	check("authenticated", "1", "siva")
	if a := echo.Last(t).Get("Authorization"); a != "" {
		t.Errorf("the upstream received the token: Authorization %q", a)
	}
}

// TestDeactivationReachesGateway: a user deactivated with the CLI (another
// process) is refused by the running gateway within a second, and
// reactivation makes the same token work again, as in Django.
func TestDeactivationReachesGateway(t *testing.T) {
	g := harness.StartGateway(t, harness.GatewayOptions{})
	g.CreateUser(t, "siva", "siva")
	g.CreateUser(t, "bob", "bob-password")
	access, _ := g.Login(t, "bob", "bob-password")
	users := g.URL + "/userprofiles/users/"
	if r := harness.Do(t, "GET", users, nil, harness.Bearer(access)); r.Status != 200 {
		t.Fatalf("before: %d %s", r.Status, r.Body)
	}
	g.MustCLI(t, "", "user", "deactivate", "bob")
	waitBody(t, "deactivation", users, harness.Bearer(access), harness.UserInactive)
	g.MustCLI(t, "", "user", "activate", "bob")
	waitStatus(t, "reactivation", users, harness.Bearer(access), 200)
	g.MustCLI(t, "", "user", "delete", "bob")
	waitBody(t, "deletion", users, harness.Bearer(access), harness.UserNotFound)
}

// seenWithin bounds how long a user change made with the CLI may take to
// reach the gateway in these tests: ten times the one-second goal, so that
// a loaded machine does not fail them; waitBody logs the measured figure.
const seenWithin = 10 * time.Second

// waitBody polls (every 20 ms, at most seenWithin) until url answers body.
func waitBody(t *testing.T, what, url, header, body string) {
	t.Helper()
	start := time.Now()
	var r harness.Response
	for time.Since(start) < seenWithin {
		if r = harness.Do(t, "GET", url, nil, header); r.Body == body {
			t.Logf("%s visible after %v", what, time.Since(start).Round(time.Millisecond))
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s: not visible within %v; last answer %d %s", what, seenWithin, r.Status, r.Body)
}

func waitStatus(t *testing.T, what, url, header string, status int) {
	t.Helper()
	start := time.Now()
	var r harness.Response
	for time.Since(start) < seenWithin {
		if r = harness.Do(t, "GET", url, nil, header); r.Status == status {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s: not visible within %v; last answer %d %s", what, seenWithin, r.Status, r.Body)
}

// TestRotationWithBlacklist runs the gateway with ROTATE_REFRESH_TOKENS and
// BLACKLIST_AFTER_ROTATION from the environment, as the example reads them.
func TestRotationWithBlacklist(t *testing.T) {
	g := harness.StartGateway(t, harness.GatewayOptions{Env: map[string]string{"ROTATE_REFRESH_TOKENS": "true", "BLACKLIST_AFTER_ROTATION": "true"}})
	g.CreateUser(t, "siva", "siva")
	_, refresh := g.Login(t, "siva", "siva")
	r := harness.PostForm(t, g.URL+"/userprofiles/api/token/refresh/", url.Values{"refresh": {refresh}})
	if r.Status != 200 || !strings.HasPrefix(r.Body, `{"access":"`) || r.Str(t, "refresh") == refresh {
		t.Fatalf("rotation: %d %s", r.Status, r.Body)
	}
	rotated := r.Str(t, "refresh")
	r = harness.PostForm(t, g.URL+"/userprofiles/api/token/refresh/", url.Values{"refresh": {refresh}})
	harness.Expect(t, "reuse of the rotated-away token", r, 401, `{"detail":"Token is blacklisted","code":"token_not_valid"}`)
	r = harness.PostForm(t, g.URL+"/userprofiles/api/token/verify/", url.Values{"token": {refresh}})
	harness.Expect(t, "verify of a blacklisted token", r, 400, `{"non_field_errors":["Token is blacklisted"]}`)
	harness.Expect(t, "logout with the rotated token", harness.PostForm(t, g.URL+"/userprofiles/api/token/blacklist/", url.Values{"refresh": {rotated}}), 200, `{}`)
	harness.Expect(t, "refresh after logout", harness.PostForm(t, g.URL+"/userprofiles/api/token/refresh/", url.Values{"refresh": {rotated}}),
		401, `{"detail":"Token is blacklisted","code":"token_not_valid"}`)
}

// TestGeneratedKeySurvivesRestart: with no JWT_SIGNING_KEY the example
// generates a key in the data directory, says so, and reuses it after a
// restart, so tokens stay valid.
func TestGeneratedKeySurvivesRestart(t *testing.T) {
	data := t.TempDir()
	opts := harness.GatewayOptions{DataDir: data, Env: map[string]string{"JWT_SIGNING_KEY": ""}}
	g := harness.StartGateway(t, opts)
	g.CreateUser(t, "siva", "siva")
	access, _ := g.Login(t, "siva", "siva")
	if !strings.Contains(g.Proc.Output(), "generated a random key") {
		t.Errorf("the gateway did not say it generated a key:\n%s", harness.Tail(g.Proc.Output(), 2000))
	}
	g.Proc.Stop(t)

	g2 := harness.StartGateway(t, opts)
	harness.Expect(t, "token after restart", harness.Do(t, "GET", g2.URL+"/userprofiles/users/", nil, harness.Bearer(access)), 200,
		`[{"id":1,"username":"siva","email":"siva@example.com"}]`)
}

// TestBadKeysRefuseToStart: an empty or short key stops the gateway from
// starting, with an error that says what to do.
func TestBadKeysRefuseToStart(t *testing.T) {
	for _, c := range []struct{ name, key, want string }{
		{"empty", "", "signing_key is empty"},
		{"short", "only-20-bytes-long!!", "at least 32"},
	} {
		t.Run(c.name, func(t *testing.T) {
			conf := writeCaddyfile(t, `{
	admin off
	jwtgate {
		signing_key {env.JWT_SIGNING_KEY}
	}
}
http://127.0.0.1:0 {
	jwt_auth
}`)
			env, _, _ := harness.GatewayEnv(t, &harness.GatewayOptions{Env: map[string]string{"JWT_SIGNING_KEY": c.key}})
			p := harness.StartProc(t, env, harness.BinDir+"/caddy", "run", "--config", conf, "--adapter", "caddyfile")
			select {
			case <-p.Done:
				if p.Err == nil {
					t.Fatal("caddy run exited 0")
				}
				if !strings.Contains(p.Output(), c.want) {
					t.Fatalf("output does not say %q:\n%s", c.want, harness.Tail(p.Output(), 2000))
				}
				if strings.Contains(p.Output(), c.key) && c.key != "" {
					t.Fatal("the error shows the key")
				}
			case <-time.After(15 * time.Second):
				t.Fatal("caddy run kept running with a bad key")
			}
		})
	}
}

func writeCaddyfile(t *testing.T, content string) string {
	t.Helper()
	p := t.TempDir() + "/Caddyfile"
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestTokenEndpointsIgnoreAuthorization: simplejwt's token views have no
// authentication, so a broken Bearer header does not matter there, but
// register authenticates (and refuses a broken one), as the reference.
func TestTokenEndpointsIgnoreAuthorization(t *testing.T) {
	g := harness.StartGateway(t, harness.GatewayOptions{})
	g.CreateUser(t, "siva", "siva")
	r := harness.PostForm(t, g.URL+"/userprofiles/api/token/", url.Values{"username": {"siva"}, "password": {"siva"}}, "Authorization: Bearer garbage")
	if r.Status != 200 {
		t.Fatalf("obtain with a broken Bearer header: %d %s", r.Status, r.Body)
	}
	r = harness.PostJSON(t, g.URL+"/userprofiles/register/", `{"username":"x"}`, "Authorization: Bearer garbage")
	harness.Expect(t, "register with a broken Bearer header", r, 401, tokenNotValid("Token is invalid or expired"))
	// The trailing slash redirect, as Django's APPEND_SLASH.
	r = harness.PostForm(t, g.URL+"/userprofiles/api/token", url.Values{"username": {"siva"}})
	if r.Status != http.StatusMovedPermanently || r.Header.Get("Location") != "/userprofiles/api/token/" {
		t.Errorf("no trailing slash: %d Location %q", r.Status, r.Header.Get("Location"))
	}
}

// TestLoginFailureLogAndThrottle: each failed login leaves exactly one
// log line that the fail2ban filter of SECURITY.md matches, without the
// password; after five failures for one account from one address the
// gateway answers 429 with Retry-After, as the default throttle says.
func TestLoginFailureLogAndThrottle(t *testing.T) {
	g := harness.StartGateway(t, harness.GatewayOptions{})
	g.CreateUser(t, "siva", "siva")
	const pw = "Wr0ng-Password-x7"
	failRE := regexp.MustCompile(`"logger":"jwtgate","msg":"login failed".*"client_ip":"([^"]+)"`)
	for i := 1; i <= 5; i++ {
		r := harness.PostForm(t, g.URL+"/userprofiles/api/token/", url.Values{"username": {"siva"}, "password": {pw}})
		harness.Expect(t, "wrong password", r, 401, `{"detail":"No active account found with the given credentials"}`)
	}
	r := harness.PostForm(t, g.URL+"/userprofiles/api/token/", url.Values{"username": {"siva"}, "password": {"siva"}})
	// The window started at the first failure, a moment ago: 900 s or a
	// second or two less on a loaded machine.
	throttled := regexp.MustCompile(`^\{"detail":"Request was throttled. Expected available in (89[0-9]|900) seconds."\}$`)
	if r.Status != 429 || !throttled.MatchString(r.Body) {
		t.Errorf("sixth attempt, right password: %d %s", r.Status, r.Body)
	}
	if ra := r.Header.Get("Retry-After"); !regexp.MustCompile(`^(89[0-9]|900)$`).MatchString(ra) {
		t.Errorf("Retry-After = %q", ra)
	}
	// The gateway logs before it answers, but its output reaches the test
	// through a pipe: give the last line a moment.
	out := g.Proc.Output()
	for start := time.Now(); !strings.Contains(out, `"msg":"login throttled"`) && time.Since(start) < 10*time.Second; out = g.Proc.Output() {
		time.Sleep(20 * time.Millisecond)
	}
	matches := failRE.FindAllStringSubmatch(out, -1)
	if len(matches) != 5 {
		t.Errorf("%d 'login failed' lines for 5 failures:\n%s", len(matches), harness.Tail(out, 3000))
	}
	for _, m := range matches {
		if m[1] != "127.0.0.1" {
			t.Errorf("client_ip %q", m[1])
		}
	}
	if strings.Contains(out, pw) {
		t.Error("the log contains the password")
	}
	if !strings.Contains(out, `"msg":"login throttled"`) {
		t.Error("no 'login throttled' line")
	}
}

// TestExampleServesJWKS: the example Caddyfile publishes the key set at
// /.well-known/jwks.json; with its HMAC key the set is empty (a secret
// key is never published), it is cacheable for a rotation's sake, and
// only GET and HEAD are answered.
func TestExampleServesJWKS(t *testing.T) {
	g := harness.StartGateway(t, harness.GatewayOptions{})
	r := harness.Do(t, "GET", g.URL+"/.well-known/jwks.json", nil)
	harness.Expect(t, "the example's JWKS", r, 200, `{"keys":[]}`)
	if ct := r.Header.Get("Content-Type"); ct != "application/jwk-set+json" {
		t.Errorf("JWKS Content-Type %q, want application/jwk-set+json", ct)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "public, max-age=300, must-revalidate" {
		t.Errorf("JWKS Cache-Control %q", cc)
	}
	r = harness.Do(t, "POST", g.URL+"/.well-known/jwks.json", nil)
	if r.Status != http.StatusMethodNotAllowed || r.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST to the JWKS: %d, Allow %q; want 405, GET, HEAD", r.Status, r.Header.Get("Allow"))
	}
}

// TestUsersViewOptIn: the users view (every user's id, username and email
// to any holder of a valid access token) is not served by a plain
// jwt_endpoints; `users on` serves it.
func TestUsersViewOptIn(t *testing.T) {
	conf := writeCaddyfile(t, `{
	admin {$JWTGATE_ADMIN}
	jwtgate {
		signing_key {env.JWT_SIGNING_KEY}
	}
}
http://{$JWTGATE_ADDR} {
	jwt_endpoints /plain/*
	jwt_endpoints /userprofiles/* {
		users on
	}
	handle {
		respond "next handler" 404
	}
}`)
	g := harness.StartGateway(t, harness.GatewayOptions{Caddyfile: conf})
	g.CreateUser(t, "siva", "siva")
	access, _ := g.Login(t, "siva", "siva")
	harness.Expect(t, "users/ of a plain jwt_endpoints", harness.Do(t, "GET", g.URL+"/plain/users/", nil, harness.Bearer(access)), 404, "next handler")
	harness.Expect(t, "users/ with users on", harness.Do(t, "GET", g.URL+"/userprofiles/users/", nil, harness.Bearer(access)), 200,
		`[{"id":1,"username":"siva","email":"siva@example.com"}]`)
}

// TestExampleAnswersAnyHost: the example's site has no host name, so a
// request naming another Host (a front proxy's upstream name, localhost)
// gets the gateway's answers, never Caddy's empty 200 for an unmatched
// site, which a forward-auth front proxy would read as "allow".
func TestExampleAnswersAnyHost(t *testing.T) {
	g := harness.StartGateway(t, harness.GatewayOptions{})
	for _, host := range []string{"localhost", "jwtgate", "example.org:8080"} {
		r := harness.Do(t, "POST", g.URL+"/movieapi/movie/1/review-create/", nil, "Host: "+host)
		harness.Expect(t, "a write without a token, Host "+host, r, 401, `{"detail":"Authentication credentials were not provided."}`)
	}
}
