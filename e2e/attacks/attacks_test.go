package attacks

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
)

// source sends an access token to the protected route one way.
type source struct {
	name string
	send func(t testing.TB, e *attackEnv, tok string) harness.Response
}

var sources = []source{
	{"the Authorization header", func(t testing.TB, e *attackEnv, tok string) harness.Response {
		return harness.Do(t, "GET", e.protected(), nil, harness.Bearer(tok))
	}},
	{"the cookie", func(t testing.TB, e *attackEnv, tok string) harness.Response {
		return harness.Do(t, "GET", e.protected(), nil, "Cookie: access="+tok)
	}},
	{"the query", func(t testing.TB, e *attackEnv, tok string) harness.Response {
		return harness.Do(t, "GET", e.protected()+"?access_token="+url.QueryEscape(tok), nil)
	}},
}

// refused sends a request that must be refused with status and exactly
// body, as JSON, with the challenge on a 401, without the upstream
// seeing it.
func (e *attackEnv) refused(t testing.TB, what string, status int, body string, send func() harness.Response) harness.Response {
	t.Helper()
	before := e.echo.Requests()
	r := send()
	harness.Expect(t, what, r, status, body)
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: Content-Type %q", what, ct)
	}
	if status == http.StatusUnauthorized {
		if got := r.Header.Get("Www-Authenticate"); got != harness.WWWAuthenticate {
			t.Errorf("%s: WWW-Authenticate %q, want %q", what, got, harness.WWWAuthenticate)
		}
	}
	if n := e.echo.Requests() - before; n != 0 {
		t.Errorf("%s: the upstream received %d request(s)", what, n)
	}
	return r
}

// accepted sends a request that must reach the upstream as user 1.
func (e *attackEnv) accepted(t testing.TB, what string, send func() harness.Response) {
	t.Helper()
	before := e.echo.Requests()
	r := send()
	if r.Status != 200 || r.Body != `{"upstream":"ok"}` {
		t.Errorf("%s: %d %s, want the upstream's 200", what, r.Status, r.Body)
		return
	}
	if e.echo.Requests() != before+1 {
		t.Errorf("%s: the upstream received %d requests, want 1", what, e.echo.Requests()-before)
		return
	}
	h := e.echo.Last(t)
	if h.Get("X-User-Id") != "1" || h.Get("X-Username") != "siva" {
		t.Errorf("%s: upstream X-User-Id %q X-Username %q", what, h.Get("X-User-Id"), h.Get("X-Username"))
	}
}

// TestAttacks runs every attack against one gateway: forged and malformed
// tokens on the protected route (through each token source) and on the
// token routes, disagreeing token sources, spoofed identity headers,
// oversized tokens, and hostile bodies.
func TestAttacks(t *testing.T) {
	e := startAttackGateway(t)
	keys := newAttackerKeys(t)
	keyURL := startKeyURLListener(t)
	attacks := tokenAttacks(t, keys, keyURL)
	t.Logf("%d token attacks", len(attacks))

	// The controls: a good token works through every source, so the
	// refusals below are the attacks', not a broken source's.
	for _, src := range sources {
		e.accepted(t, "siva's access token in "+src.name, func() harness.Response { return src.send(t, e, e.access) })
	}
	for _, c := range tokenControls(t, keys) {
		tok := c.tok("access")
		for _, src := range sources {
			e.accepted(t, "control: "+c.name+", in "+src.name, func() harness.Response { return src.send(t, e, tok) })
		}
		refresh := c.tok("refresh")
		if r := harness.PostJSON(t, e.g.URL+"/userprofiles/api/token/refresh/", `{"refresh":`+jsonString(refresh)+`}`); r.Status != 200 {
			t.Errorf("control: refresh with %s: %d %s", c.name, r.Status, r.Body)
		}
		harness.Expect(t, "control: verify "+c.name, harness.PostJSON(t, e.g.URL+"/userprofiles/api/token/verify/", `{"token":`+jsonString(refresh)+`}`), 200, "{}")
		harness.Expect(t, "control: blacklist "+c.name, harness.PostJSON(t, e.g.URL+"/userprofiles/api/token/blacklist/", `{"refresh":`+jsonString(refresh)+`}`), 200, "{}")
		harness.Expect(t, "control: blacklist "+c.name+" again", harness.PostJSON(t, e.g.URL+"/userprofiles/api/token/blacklist/", `{"refresh":`+jsonString(refresh)+`}`),
			401, routeBody("Token is blacklisted"))
	}

	t.Run("protected route", func(t *testing.T) {
		for _, a := range attacks {
			tok := a.tok("access")
			for _, src := range sources {
				e.refused(t, a.name+", in "+src.name, 401, a.protected, func() harness.Response { return src.send(t, e, tok) })
			}
		}
	})

	t.Run("token routes", func(t *testing.T) {
		for _, a := range attacks {
			routes := a.routes
			if routes == "" {
				routes = routeBody(msgInvalid)
			}
			verify := a.verify
			if verify == "" {
				verify = routes
			}
			tok := a.tok("refresh")
			if routes != "-" {
				e.refused(t, "refresh: "+a.name, 401, routes, func() harness.Response {
					return harness.PostJSON(t, e.g.URL+"/userprofiles/api/token/refresh/", `{"refresh":`+jsonString(tok)+`}`)
				})
				e.refused(t, "blacklist: "+a.name, 401, routes, func() harness.Response {
					return harness.PostForm(t, e.g.URL+"/userprofiles/api/token/blacklist/", url.Values{"refresh": {tok}})
				})
			}
			r := harness.PostJSON(t, e.g.URL+"/userprofiles/api/token/verify/", `{"token":`+jsonString(tok)+`}`)
			if verify == "{}" {
				harness.Expect(t, "verify: "+a.name, r, 200, "{}")
			} else {
				harness.Expect(t, "verify: "+a.name, r, 401, verify)
				if got := r.Header.Get("Www-Authenticate"); got != harness.WWWAuthenticate {
					t.Errorf("verify: %s: WWW-Authenticate %q", a.name, got)
				}
			}
		}
		// The pair the gateway issued, each where the other belongs.
		e.refused(t, "refresh with an access token", 401, routeBody(msgWrongType), func() harness.Response {
			return harness.PostForm(t, e.g.URL+"/userprofiles/api/token/refresh/", url.Values{"refresh": {e.access}})
		})
		e.refused(t, "blacklist with an access token", 401, routeBody(msgWrongType), func() harness.Response {
			return harness.PostJSON(t, e.g.URL+"/userprofiles/api/token/blacklist/", `{"refresh":"`+e.access+`"}`)
		})
		e.refused(t, "a refresh token as access", 401, protectedBody(msgWrongType), func() harness.Response {
			return harness.Do(t, "GET", e.protected(), nil, harness.Bearer(e.refresh))
		})
		// Nothing above blacklisted or broke the real pair.
		if r := harness.PostForm(t, e.g.URL+"/userprofiles/api/token/refresh/", url.Values{"refresh": {e.refresh}}); r.Status != 200 {
			t.Errorf("refresh with the real refresh token after the attacks: %d %s", r.Status, r.Body)
		}
	})

	t.Run("token sources", func(t *testing.T) { testTokenSources(t, e) })
	t.Run("identity headers", func(t *testing.T) { testIdentitySpoofing(t, e) })
	t.Run("oversized", func(t *testing.T) { testOversized(t, e) })
	t.Run("bodies", func(t *testing.T) { testHostileBodies(t, e) })

	// jku and x5u were never fetched. Give a stray fetch time to land.
	time.Sleep(300 * time.Millisecond)
	if n := keyURL.conns.Load(); n != 0 {
		t.Errorf("the jku/x5u listener received %d connection(s)", n)
	}
	// The gateway survived all of it.
	e.accepted(t, "siva's access token after the attacks", func() harness.Response {
		return harness.Do(t, "GET", e.protected(), nil, harness.Bearer(e.access))
	})
}

// testTokenSources: two Authorization headers, or a header, cookie and
// query parameter that disagree, are refused as a bad header; a scheme
// the gateway does not own leaves the other sources to decide.
func testTokenSources(t *testing.T, e *attackEnv) {
	good := e.access
	bad := "garbage.garbage.garbage"
	addr := hostPort(e.g.URL)
	get := func(query string, headers ...string) func() harness.Response {
		return func() harness.Response { return harness.Do(t, "GET", e.protected()+query, nil, headers...) }
	}
	raw := func(lines ...string) func() harness.Response {
		return func() harness.Response {
			r := rawRequest(t, addr, "GET /api/thing/ HTTP/1.1\r\nHost: "+addr+"\r\n"+strings.Join(lines, "\r\n")+"\r\nConnection: close\r\n\r\n")
			return harness.Response(r)
		}
	}
	for _, c := range []struct {
		name string
		send func() harness.Response
		body string
	}{
		{"two Authorization headers, the same token", get("", harness.Bearer(good), harness.Bearer(good)), harness.BadHeader},
		{"two Authorization headers, good then garbage", get("", harness.Bearer(good), harness.Bearer(bad)), harness.BadHeader},
		{"two Authorization headers, garbage then good", get("", harness.Bearer(bad), harness.Bearer(good)), harness.BadHeader},
		{"Authorization and authorization", raw("Authorization: Bearer "+good, "authorization: Bearer "+good), harness.BadHeader},
		{"AUTHORIZATION garbage and Authorization good", raw("AUTHORIZATION: Bearer "+bad, "Authorization: Bearer "+good), harness.BadHeader},
		{"two tokens in one header, comma-joined", get("", "Authorization: Bearer "+good+", Bearer "+good), harness.BadHeader},
		{"two tokens in one header, space-separated", get("", "Authorization: Bearer "+good+" "+good), harness.BadHeader},
		{"header good, cookie garbage", get("", harness.Bearer(good), "Cookie: access="+bad), harness.BadHeader},
		{"header good, cookie the refresh token", get("", harness.Bearer(good), "Cookie: access="+e.refresh), harness.BadHeader},
		{"header garbage, cookie good", get("", harness.Bearer(bad), "Cookie: access="+good), harness.BadHeader},
		{"header good, query garbage", get("?access_token="+bad, harness.Bearer(good)), harness.BadHeader},
		{"header garbage, query good", get("?access_token="+good, harness.Bearer(bad)), harness.BadHeader},
		{"cookie good, query garbage", get("?access_token="+bad, "Cookie: access="+good), harness.BadHeader},
		{"header and cookie good, query garbage", get("?access_token="+bad, harness.Bearer(good), "Cookie: access="+good), harness.BadHeader},
		{"header malformed (Bearer alone), cookie good", get("", "Authorization: Bearer", "Cookie: access="+good), harness.BadHeader},
		{"query with a broken escape", get("?access_token=%zz"), harness.BadHeader},
		{"another scheme in the header, cookie garbage", get("", "Authorization: Token "+good, "Cookie: access="+bad), protectedBody(msgInvalid)},
		{"lower-case bearer, query garbage", get("?access_token="+bad, "Authorization: bearer "+good), protectedBody(msgInvalid)},
		{"no token anywhere", get(""), harness.NotProvided},
		{"empty cookie and query", get("?access_token=", "Cookie: access="), harness.NotProvided},
	} {
		e.refused(t, c.name, 401, c.body, c.send)
	}
	// The same token in every source is one token.
	e.accepted(t, "the same token in header, cookie and query", get("?access_token="+good, harness.Bearer(good), "Cookie: access="+good))
	if a := e.echo.Last(t).Get("Authorization"); a != "" {
		t.Errorf("the upstream received the Authorization header %q", a)
	}
}

// testIdentitySpoofing: identity headers a client sends, in any case,
// with underscores, repeated or comma-joined, never reach the upstream,
// whether the request is refused or authenticated.
func testIdentitySpoofing(t *testing.T, e *attackEnv) {
	addr := hostPort(e.g.URL)
	spoofs := []string{
		"X-User-Id: 999", "x-user-id: 998", "X-USER-ID: 997", "x-User-ID: 996", "X_User_Id: 995", "x_user_id: 994",
		"X_USER_ID: 993", "X-User_Id: 992", "X-User-Id: 991", "X-User-Id: 1, 2", "X-Username: admin", "x-username: root",
		"X_USERNAME: toor", "x_Username: admin", "X-Username: siva",
	}
	send := func(auth string) func() harness.Response {
		return func() harness.Response {
			lines := append([]string{}, spoofs...)
			if auth != "" {
				lines = append(lines, "Authorization: "+auth)
			}
			r := rawRequest(t, addr, "GET /api/thing/ HTTP/1.1\r\nHost: "+addr+"\r\n"+strings.Join(lines, "\r\n")+"\r\nConnection: close\r\n\r\n")
			return harness.Response(r)
		}
	}
	e.refused(t, "spoofed identity, no token", 401, harness.NotProvided, send(""))
	e.refused(t, "spoofed identity, garbage token", 401, protectedBody(msgInvalid), send("Bearer garbage"))
	e.refused(t, "spoofed identity, alg none", 401, protectedBody(msgInvalid),
		send("Bearer "+b64(`{"alg":"none"}`)+"."+b64(std("access", time.Minute).payload())+"."))
	e.refused(t, "spoofed identity, unknown user", 401, harness.UserNotFound,
		send("Bearer "+handToken(testKey, stdHeader, std("access", time.Minute).set("user_id", "999").payload())))

	e.accepted(t, "spoofed identity, siva's token", send("Bearer "+e.access))
	h := e.echo.Last(t)
	seen := map[string][]string{}
	for name, vals := range h {
		n := strings.ToLower(strings.ReplaceAll(name, "_", "-"))
		if n == "x-user-id" || n == "x-username" {
			seen[n] = append(seen[n], fmt.Sprintf("%s=%q", name, vals))
		}
	}
	if len(seen["x-user-id"]) != 1 || len(h["X-User-Id"]) != 1 || h["X-User-Id"][0] != "1" {
		t.Errorf("the upstream's user id headers: %v", seen["x-user-id"])
	}
	if len(seen["x-username"]) != 1 || len(h["X-Username"]) != 1 || h["X-Username"][0] != "siva" {
		t.Errorf("the upstream's username headers: %v", seen["x-username"])
	}
}

// testOversized: a token over the length limit (8 KiB) but within
// Caddy's header limit (16 KiB) is refused by jwt_auth; 64 KiB and 1 MiB
// of header are refused by the HTTP server (431); a 1 MiB body by the body
// limit (413); all quickly, and 50 rounds of 1 MiB requests leave the
// gateway's memory where it was.
func testOversized(t *testing.T, e *attackEnv) {
	// quickly: 5 s, far above what these take on an idle machine (tens of
	// milliseconds) and below the client's 10 s timeout, so that a hang,
	// not a loaded machine, fails.
	timed := func(what string, limit time.Duration, f func()) {
		t.Helper()
		start := time.Now()
		f()
		if d := time.Since(start); d > limit {
			t.Errorf("%s took %v (limit %v)", what, d, limit)
		}
	}
	// Tokens that are otherwise well-formed: header, payload with a
	// filler claim, and the right signature.
	sized := func(n int) string {
		tok := handToken(testKey, stdHeader, std("access", time.Minute).plus(`"f":"`+strings.Repeat("x", n*3/4)+`"`).payload())
		if len(tok) < n {
			t.Fatalf("the big token is only %d bytes", len(tok))
		}
		return tok
	}
	big12 := sized(12 << 10)
	for _, src := range sources {
		timed("12 KiB token in "+src.name, 5*time.Second, func() {
			e.refused(t, "12 KiB token in "+src.name, 401, protectedBody(msgInvalid), func() harness.Response { return src.send(t, e, big12) })
		})
	}
	big64 := sized(64 << 10)
	timed("64 KiB token to refresh", 5*time.Second, func() {
		e.refused(t, "64 KiB token to refresh, in a body under the limit", 401, routeBody(msgInvalid), func() harness.Response {
			return harness.PostJSON(t, e.g.URL+"/userprofiles/api/token/refresh/", `{"refresh":"`+big64[:60<<10]+`"}`)
		})
	})

	client := &http.Client{Timeout: 10 * time.Second}
	header := func(what string, tok string, set func(*http.Request, string)) {
		t.Helper()
		before := e.echo.Requests()
		req, _ := http.NewRequest("GET", e.protected(), nil)
		set(req, tok)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("%s: %d, want 431", what, resp.StatusCode)
		}
		if e.echo.Requests() != before {
			t.Errorf("%s reached the upstream", what)
		}
	}
	inHeader := func(r *http.Request, tok string) { r.Header.Set("Authorization", "Bearer "+tok) }
	inCookie := func(r *http.Request, tok string) { r.Header.Set("Cookie", "access="+tok) }
	inQuery := func(r *http.Request, tok string) { r.URL.RawQuery = "access_token=" + tok }
	for _, c := range []struct {
		name string
		set  func(*http.Request, string)
	}{{"the Authorization header", inHeader}, {"the cookie", inCookie}, {"the query", inQuery}} {
		timed("64 KiB token in "+c.name, 5*time.Second, func() { header("64 KiB token in "+c.name, big64, c.set) })
	}
	dup := func(r *http.Request, tok string) { // 64 KiB as many small headers
		for i := range 1024 {
			r.Header.Add("X-Pad-"+strconv.Itoa(i), strings.Repeat("p", 64))
		}
		inHeader(r, tok)
	}
	timed("64 KiB of headers", 5*time.Second, func() { header("64 KiB of headers", e.access, dup) })

	mib := strings.Repeat("A", 1<<20)
	tooLarge := `{"detail":"Request body exceeds the limit of 65536 bytes."}`
	headerMiB := func() { header("1 MiB token in the header", mib, inHeader) }
	bodyMiB := func(chunked bool) {
		t.Helper()
		body := io.Reader(strings.NewReader(`{"refresh":"` + mib + `"}`))
		if chunked {
			body = io.MultiReader(body) // hides the length: chunked
		}
		r := harness.Do(t, "POST", e.g.URL+"/userprofiles/api/token/refresh/", body, "Content-Type: application/json")
		if r.Status != 413 || r.Body != tooLarge || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("1 MiB token in a body (chunked %v): %d %q %s", chunked, r.Status, r.Header.Get("Content-Type"), r.Body)
		}
	}
	timed("1 MiB token in the header", 5*time.Second, headerMiB)
	timed("1 MiB token in a body", 5*time.Second, func() { bodyMiB(false) })
	timed("1 MiB token in a chunked body", 5*time.Second, func() { bodyMiB(true) })

	// Memory: warm up, then 50 of each.
	for range 5 {
		headerMiB()
		bodyMiB(false)
		bodyMiB(true)
	}
	rss0 := rssKiB(t, e.pid)
	start := time.Now()
	for range 50 {
		headerMiB()
		bodyMiB(false)
		bodyMiB(true)
	}
	elapsed := time.Since(start)
	rss1 := rssKiB(t, e.pid)
	t.Logf("150 requests of 1 MiB in %v; gateway RSS %d KiB → %d KiB (%+d KiB)", elapsed.Round(time.Millisecond), rss0, rss1, rss1-rss0)
	if rss1-rss0 > 6<<10 {
		t.Errorf("the gateway's RSS grew by %d KiB over 150 requests of 1 MiB", rss1-rss0)
	}
	if elapsed > 30*time.Second {
		t.Errorf("150 requests of 1 MiB took %v", elapsed)
	}
}
