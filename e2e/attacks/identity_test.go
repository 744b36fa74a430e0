package attacks

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
	"github.com/jwtgate/jwtgate/internal/djangoref"
	"github.com/jwtgate/jwtgate/internal/testenv"
)

// TestUpstreamIdentity (issue 10 item 4): the upstream of a jwt_auth
// route sees exactly the identity the gateway set, observed at an echo
// upstream that reports every header and trailer it received: no
// identity in trailers, no Connection header removing the gateway's
// headers, preflights without token sources or method overrides, the
// token parameter removed in every spelling, and usernames in an
// ASCII-safe encoding.
func TestUpstreamIdentity(t *testing.T) {
	e := startAttackGateway(t)
	addr := hostPort(e.g.URL)
	raw := func(request string) func() harness.Response {
		return func() harness.Response { return harness.Response(rawRequest(t, addr, request)) }
	}
	// only reports whether h has exactly the gateway's identity headers, in
	// every spelling the upstream could fold together.
	only := func(what string, h http.Header, id, name string) {
		t.Helper()
		for k, v := range h {
			n := strings.ToLower(strings.ReplaceAll(k, "_", "-"))
			switch {
			case n == "x-user-id" && (k != "X-User-Id" || len(v) != 1 || v[0] != id):
				t.Errorf("%s: the upstream got %s: %q, want only X-User-Id %q", what, k, v, id)
			case n == "x-username" && (k != "X-Username" || len(v) != 1 || v[0] != name):
				t.Errorf("%s: the upstream got %s: %q, want only X-Username %q", what, k, v, name)
			}
		}
		if id != "" && h.Get("X-User-Id") != id || name != "" && h.Get("X-Username") != name {
			t.Errorf("%s: the upstream got X-User-Id %q X-Username %q", what, h.Get("X-User-Id"), h.Get("X-Username"))
		}
	}

	t.Run("trailers", func(t *testing.T) {
		chunked := func(announce string) string {
			return "POST /api/thing/ HTTP/1.1\r\nHost: " + addr + "\r\nAuthorization: Bearer " + e.access + "\r\n" + announce +
				"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n4\r\nbody\r\n0\r\n" +
				"X-User-Id: 7\r\nX_User_Id: 9\r\nX-Username: mallory\r\n\r\n"
		}
		// The control: the echo upstream reports trailers sent to it.
		direct := chunked("Trailer: X-User-Id, X_User_Id, X-Username\r\n")
		if r := rawRequest(t, e.echo.Addr, direct); r.Status != 200 {
			t.Fatalf("the echo upstream: %d", r.Status)
		}
		if got := e.echo.LastRequest(t).Trailer; got.Get("X-User-Id") != "7" || got.Get("X-Username") != "mallory" {
			t.Fatalf("the echo upstream does not report trailers: %v", got)
		}
		for what, announce := range map[string]string{
			"announced":   "Trailer: X-User-Id, X_User_Id, X-Username\r\n",
			"unannounced": "",
		} {
			e.accepted(t, what+" identity trailers", func() harness.Response { return harness.Response(rawRequest(t, addr, chunked(announce))) })
			got := e.echo.LastRequest(t)
			if len(got.Trailer) != 0 || got.Header.Get("Trailer") != "" {
				t.Errorf("%s identity trailers: the upstream got trailers %v, Trailer %q", what, got.Trailer, got.Header.Get("Trailer"))
			}
			if got.Body != "body" {
				t.Errorf("%s identity trailers: the upstream got the body %q", what, got.Body)
			}
			only(what+" identity trailers", got.Header, "1", "siva")
		}
	})

	t.Run("connection", func(t *testing.T) {
		for _, conn := range []string{
			"close, X-User-Id", "X-Username", "x-user-id, x_username, keep-alive", "Keep-Alive, X-USER-ID, X-USERNAME, Authorization",
		} {
			e.accepted(t, "Connection: "+conn, raw("GET /api/thing/ HTTP/1.1\r\nHost: "+addr+"\r\nAuthorization: Bearer "+e.access+
				"\r\nX-User-Id: 5\r\nConnection: "+conn+"\r\n\r\n"))
			got := e.echo.LastRequest(t)
			only("Connection: "+conn, got.Header, "1", "siva")
			if got.Header.Get("Authorization") != "" {
				t.Errorf("Connection: %s: the upstream got the token", conn)
			}
		}
		// An anonymous request cannot use one to reach the upstream either.
		e.refused(t, "Connection naming X-User-Id, no token", 401, harness.NotProvided,
			raw("GET /api/thing/ HTTP/1.1\r\nHost: "+addr+"\r\nConnection: close, X-User-Id\r\n\r\n"))
		// With pass_authorization, Connection cannot remove the token either.
		conf := writeFile(t, "Caddyfile", strings.Replace(attackCaddyfile, "login_throttle off", "login_throttle off\n\t\tpass_authorization true", 1))
		echo := harness.StartEcho(t)
		g := harness.StartGateway(t, harness.GatewayOptions{Caddyfile: conf, Upstream: echo.Addr})
		g.CreateUser(t, "siva", "siva")
		access, _ := g.Login(t, "siva", "siva")
		gaddr := hostPort(g.URL)
		r := rawRequest(t, gaddr, "GET /api/thing/ HTTP/1.1\r\nHost: "+gaddr+"\r\nAuthorization: Bearer "+access+
			"\r\nConnection: close, Authorization, authorization, X-User-Id\r\n\r\n")
		got := echo.LastRequest(t)
		if r.Status != 200 || got.Header.Get("Authorization") != "Bearer "+access {
			t.Errorf("pass_authorization, Connection naming Authorization: %d, the upstream got Authorization %q", r.Status, got.Header.Get("Authorization"))
		}
		only("pass_authorization, Connection naming Authorization", got.Header, "1", "siva")
	})

	t.Run("preflight", func(t *testing.T) {
		overrides := "X-HTTP-Method-Override: DELETE\r\nX_HTTP_Method: DELETE\r\nx-method-override: DELETE\r\n"
		e.reachedAnonymous(t, "a preflight with token sources and method overrides", raw("OPTIONS /api/thing/?page=2&access_token=garbage&%61ccess_token=garbage HTTP/1.1\r\n"+
			"Host: "+addr+"\r\nOrigin: https://app.example\r\nAccess-Control-Request-Method: DELETE\r\n"+
			"Authorization: Bearer garbage\r\nCookie: theme=dark; access=garbage\r\n"+overrides+"Connection: close\r\n\r\n"))
		got := e.echo.LastRequest(t)
		if got.Method != "OPTIONS" || got.RequestURI != "/api/thing/?page=2" || got.Header.Get("Cookie") != "theme=dark" ||
			got.Header.Get("Origin") != "https://app.example" || got.Header.Get("Access-Control-Request-Method") != "DELETE" {
			t.Errorf("the upstream got %s %s, Cookie %q, Origin %q, Access-Control-Request-Method %q", got.Method, got.RequestURI,
				got.Header.Get("Cookie"), got.Header.Get("Origin"), got.Header.Get("Access-Control-Request-Method"))
		}
		for k, v := range got.Header {
			switch strings.ToLower(strings.ReplaceAll(k, "_", "-")) {
			case "authorization", "x-http-method-override", "x-http-method", "x-method-override":
				t.Errorf("the preflight reached the upstream with %s: %q", k, v)
			}
		}
		only("a preflight", got.Header, "", "")
		// Not preflights: authenticated as any request, so refused without a
		// valid token and never passed on.
		pre := "OPTIONS /api/thing/ HTTP/1.1\r\nHost: " + addr + "\r\nAccess-Control-Request-Method: DELETE\r\nConnection: close\r\n"
		e.refused(t, "OPTIONS without Origin", 401, harness.NotProvided, raw(pre+"\r\n"))
		e.refused(t, "OPTIONS without Origin, garbage token", 401, protectedBody(msgInvalid), raw(pre+"Authorization: Bearer garbage\r\n\r\n"))
		pre += "Origin: https://app.example\r\n"
		e.refused(t, "OPTIONS with a body", 401, harness.NotProvided, raw(pre+"Content-Length: 4\r\n\r\nbody"))
		e.refused(t, "OPTIONS with a chunked body", 401, harness.NotProvided, raw(pre+"Transfer-Encoding: chunked\r\n\r\n4\r\nbody\r\n0\r\n\r\n"))
		e.refused(t, "OPTIONS with a body and a garbage token", 401, protectedBody(msgInvalid),
			raw(pre+"Authorization: Bearer garbage\r\nContent-Length: 4\r\n\r\nbody"))
	})

	t.Run("encoded query", func(t *testing.T) {
		for _, name := range []string{"%61ccess_token", "access%5Ftoken", "%61%63%63%65%73%73%5F%74%6F%6B%65%6E"} {
			// Beside the header's token, another token in it is a disagreement.
			e.refused(t, "?"+name+"=<garbage> beside the header", 401, harness.BadHeader, func() harness.Response {
				return harness.Do(t, "GET", e.protected()+"?"+name+"=garbage.garbage.garbage", nil, harness.Bearer(e.access))
			})
			// The token there is the token, and it is removed.
			e.accepted(t, "?"+name+"=<token>", func() harness.Response {
				return harness.Do(t, "GET", e.protected()+"?page=2&"+name+"="+e.access+"&access_token="+e.access+"&sort=id", nil)
			})
			if got := e.echo.LastRequest(t).RequestURI; got != "/api/thing/?page=2&sort=id" {
				t.Errorf("?%s=<token>: the upstream got %s", name, got)
			}
		}
	})

	t.Run("non-ASCII username", func(t *testing.T) {
		for _, name := range []string{"José", "Ünïcødé.ü@x", "Σωκράτης"} {
			e.g.CreateUser(t, name, "pw-"+name)
			access, _ := e.g.Login(t, name, "pw-"+name)
			r := harness.Do(t, "GET", e.protected(), nil, harness.Bearer(access))
			if r.Status != 200 {
				t.Fatalf("%s: %d %s", name, r.Status, r.Body)
			}
			got := e.echo.Last(t)["X-Username"]
			if len(got) != 1 || got[0] != url.PathEscape(name) {
				t.Fatalf("%s: the upstream got X-Username %q, want %q", name, got, url.PathEscape(name))
			}
			for i := 0; i < len(got[0]); i++ {
				if c := got[0][i]; c < 0x21 || c > 0x7e {
					t.Errorf("%s: X-Username %q is not visible ASCII", name, got[0])
				}
			}
		}
	})
}

// reachedAnonymous is accepted for a request that reaches the upstream without
// an identity (a preflight).
func (e *attackEnv) reachedAnonymous(t testing.TB, what string, send func() harness.Response) {
	t.Helper()
	before := e.echo.Requests()
	if r := send(); r.Status != 200 || r.Body != `{"upstream":"ok"}` || e.echo.Requests() != before+1 {
		t.Errorf("%s: %d %s (the upstream received %d requests), want the upstream's 200", what, r.Status, r.Body, e.echo.Requests()-before)
	}
}

// wsgiApp is a WSGI upstream on the Python standard library's wsgiref
// server: it answers, as JSON, the username header as WSGI hands it to
// the application (a latin-1 str) and decoded as docs/security.md says.
const wsgiApp = `
import json, sys, urllib.parse
from wsgiref.simple_server import make_server, WSGIRequestHandler

class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass

def app(environ, start_response):
    raw = environ.get("HTTP_X_USERNAME", "")
    body = json.dumps({"raw": raw, "username": urllib.parse.unquote(raw)}).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]

host, port = sys.argv[1].rsplit(":", 1)
make_server(host, int(port), app, handler_class=Quiet).serve_forever()
`

// TestUsernameReachesWSGI: a non-ASCII username reaches a WSGI upstream
// behind the real gateway exactly, with urllib.parse.unquote, where raw
// UTF-8 would arrive as mojibake ("José" as "JosÃ©").
func TestUsernameReachesWSGI(t *testing.T) {
	python := djangoref.Python()
	testenv.Python(t, python, "python3", "wsgiref", "urllib.parse")
	upstream := testenv.FreeAddr(t)
	script := writeFile(t, "wsgi_upstream.py", wsgiApp)
	p := harness.StartProc(t, []string{"PATH=/usr/bin:/bin"}, python, script, upstream)
	harness.WaitReady(t, p, "http://"+upstream+"/")

	conf := writeFile(t, "Caddyfile", attackCaddyfile)
	g := harness.StartGateway(t, harness.GatewayOptions{Caddyfile: conf, Upstream: upstream})
	for _, name := range []string{"siva", "José", "Σωκράτης", "Ünïcødé", "a+b@c.d"} {
		g.CreateUser(t, name, "pw-"+name)
		access, _ := g.Login(t, name, "pw-"+name)
		r := harness.Do(t, "GET", g.URL+"/api/thing/", nil, harness.Bearer(access))
		var got struct{ Raw, Username string }
		if err := json.Unmarshal([]byte(r.Body), &got); r.Status != 200 || err != nil {
			t.Fatalf("%s: %d %s (%v)", name, r.Status, r.Body, err)
		}
		if got.Username != name {
			t.Errorf("%s: the WSGI app decoded %q from %q", name, got.Username, got.Raw)
		}
	}
}
