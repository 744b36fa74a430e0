package seedflow

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
	"github.com/jwtgate/jwtgate/internal/testenv"
)

// forwardAuthGateway runs the example Caddyfile with one more route: the
// forward-auth decision endpoint /_jwtgate/auth (jwt_auth read_only {
// forward_auth }), as docs/forward-auth.md shows it.
func forwardAuthGateway(t *testing.T) *harness.Gateway {
	t.Helper()
	example, err := os.ReadFile(filepath.Join(harness.RepoRoot, "Caddyfile"))
	if err != nil {
		t.Fatal(err)
	}
	const anchor = "\thandle /movieapi/* {\n"
	route := "\thandle /_jwtgate/auth {\n\t\tjwt_auth read_only {\n\t\t\tforward_auth\n\t\t}\n\t}\n\n"
	if strings.Count(string(example), anchor) != 1 {
		t.Fatalf("the example Caddyfile has no single %q", anchor)
	}
	conf := filepath.Join(t.TempDir(), "Caddyfile")
	if err := os.WriteFile(conf, []byte(strings.Replace(string(example), anchor, route+anchor, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	g := harness.StartGateway(t, harness.GatewayOptions{Caddyfile: conf, Upstream: testenv.FreeAddr(t)})
	g.CreateUser(t, "siva", "siva")
	return g
}

// TestForwardAuthDecisions asks the decision endpoint directly: the
// original method decides the read_only policy, a missing or malformed
// one counts as POST, and only a valid token yields identity headers.
func TestForwardAuthDecisions(t *testing.T) {
	g := forwardAuthGateway(t)
	access, _ := g.Login(t, "siva", "siva")
	auth := g.URL + "/_jwtgate/auth"

	for _, h := range [][][2]string{nil, {{"X-Original-Method", "get"}}, {{"X-Forwarded-Method", "G ET"}}, {{"X-Original-Method", "POST"}}} {
		r := doRaw(t, "GET", auth, "", append(h, [2]string{"X-User-Id", "1"})...)
		expect401(t, fmt.Sprintf("no token, %v (taken as POST)", h), r, `{"detail":"Authentication credentials were not provided."}`)
		if r.Header.Get("X-User-Id") != "" {
			t.Errorf("a refusal carries X-User-Id %q", r.Header.Get("X-User-Id"))
		}
	}
	for _, h := range [][2]string{{"X-Original-Method", "GET"}, {"X-Forwarded-Method", "HEAD"}} {
		r := doRaw(t, "POST", auth, "", h, [2]string{"X-User-Id", "1"}, [2]string{"X-Username", "siva"})
		if r.Status != http.StatusOK || r.Header.Get("X-User-Id") != "" || r.Header.Get("X-Username") != "" {
			t.Errorf("anonymous %s read: %d %v %q; want 200 without identity headers", h[1], r.Status, r.Header, r.Body)
		}
	}
	r := doRaw(t, "GET", auth, "", bearer(access), [2]string{"X-User-Id", "999"})
	if r.Status != http.StatusOK || r.Header.Get("X-User-Id") != "1" || r.Header.Get("X-Username") != "siva" || r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("a valid token: %d %v", r.Status, r.Header)
	}
	expect401(t, "a broken token on a read", doRaw(t, "GET", auth, "", bearer(access+"x"), [2]string{"X-Original-Method", "GET"}),
		`{"detail":"Given token not valid for any token type","code":"token_not_valid","messages":[{"token_class":"AccessToken","token_type":"access","message":"Token is invalid or expired"}]}`)
}

// TestNginxAuthRequest runs Debian's nginx (started here on a free
// loopback port, in the foreground, with a generated config: the recipe of
// docs/forward-auth.md) in front of the movie API with auth_request to the
// gateway, and the gateway's token routes proxied through nginx; the
// Postman collection passes through nginx unchanged.
func TestNginxAuthRequest(t *testing.T) {
	items := len(loadCollection(t))
	newmanBin(t)
	nginx := "/usr/sbin/nginx"
	testenv.Program(t, nginx, "JWTGATE_NGINX", "apt-get install -y nginx (scripts/test.sh does)")
	g := forwardAuthGateway(t)
	up := harness.StartUpstream(t)
	addr := testenv.FreeAddr(t)
	dir := t.TempDir()
	gw := strings.TrimPrefix(g.URL, "http://")
	conf := strings.NewReplacer("$DIR", dir, "$ADDR", addr, "$GATEWAY", gw, "$UPSTREAM", up).Replace(nginxConf)
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	p := harness.StartProc(t, []string{"PATH=" + os.Getenv("PATH")}, nginx, "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", filepath.Join(dir, "nginx.conf"))
	harness.WaitReady(t, p, "http://"+addr+"/movieapi/movie/")
	checkReport(t, runNewman(t, "http://"+addr, "false"), items, map[string]string{
		"4. ": "status is 201", "10. ": "body: the review, rating 5, reviewer unchanged"})
}

// nginxConf is docs/forward-auth.md's recipe, with the test's paths and
// addresses ($DIR, $ADDR, $GATEWAY, $UPSTREAM) and a foreground,
// single-process server.
const nginxConf = `daemon off;
master_process off;
pid $DIR/nginx.pid;
error_log $DIR/error.log;
events {}
http {
	access_log off;
	client_body_temp_path $DIR/body;
	proxy_temp_path $DIR/proxy;
	fastcgi_temp_path $DIR/fastcgi;
	uwsgi_temp_path $DIR/uwsgi;
	scgi_temp_path $DIR/scgi;

	server {
		listen $ADDR;

		# the token routes: jwtgate serves them
		location /userprofiles/ {
			proxy_pass http://$GATEWAY;
		}

		location /movieapi/ {
			auth_request /_jwtgate_auth;
			auth_request_set $jwt_user_id $upstream_http_x_user_id;
			auth_request_set $jwt_username $upstream_http_x_username;
			# replaces whatever X-User-Id the client sent; empty (anonymous) removes it
			proxy_set_header X-User-Id $jwt_user_id;
			proxy_set_header X-Username $jwt_username;
			proxy_set_header Authorization "";
			# a refusal: ask jwtgate again for its 401 JSON and WWW-Authenticate
			error_page 401 = @jwtgate_refusal;
			proxy_pass http://$UPSTREAM;
		}

		location = /_jwtgate_auth {
			internal;
			proxy_pass http://$GATEWAY/_jwtgate/auth;
			proxy_pass_request_body off;
			proxy_set_header Content-Length "";
			proxy_set_header X-Original-Method $request_method;
			proxy_set_header X-Original-URI $request_uri;
		}

		location @jwtgate_refusal {
			rewrite ^ /_jwtgate/auth break;
			proxy_pass http://$GATEWAY;
			proxy_pass_request_body off;
			proxy_set_header Content-Length "";
			proxy_set_header X-Original-Method $request_method;
			proxy_set_header X-Original-URI $request_uri;
		}
	}
}
`

// TestCaddyForwardAuth puts a Caddy with only stock directives
// (forward_auth, reverse_proxy; our binary, no jwtgate option) in front of
// the movie API, asking the gateway's decision endpoint; the Postman
// collection passes through it unchanged.
func TestCaddyForwardAuth(t *testing.T) {
	items := len(loadCollection(t))
	newmanBin(t)
	g := forwardAuthGateway(t)
	up := harness.StartUpstream(t)
	addr, admin, dir := testenv.FreeAddr(t), testenv.FreeAddr(t), t.TempDir()
	gw := strings.TrimPrefix(g.URL, "http://")
	conf := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(conf, []byte(strings.NewReplacer("$ADMIN", admin, "$ADDR", addr, "$GATEWAY", gw, "$UPSTREAM", up).Replace(caddyForwardAuthConf)), 0o644); err != nil {
		t.Fatal(err)
	}
	p := harness.StartProc(t, []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "XDG_DATA_HOME=" + dir, "XDG_CONFIG_HOME=" + dir},
		filepath.Join(harness.BinDir, "caddy"), "run", "--config", conf, "--adapter", "caddyfile")
	harness.WaitReady(t, p, "http://"+addr+"/movieapi/movie/")
	checkReport(t, runNewman(t, "http://"+addr, "false"), items, map[string]string{
		"4. ": "status is 201", "10. ": "body: the review, rating 5, reviewer unchanged"})
}

// caddyForwardAuthConf is docs/forward-auth.md's stock Caddy recipe.
const caddyForwardAuthConf = `{
	admin $ADMIN
}

http://$ADDR {
	handle /userprofiles/* {
		reverse_proxy $GATEWAY
	}
	handle /movieapi/* {
		forward_auth $GATEWAY {
			uri /_jwtgate/auth
			copy_headers X-User-Id X-Username
		}
		request_header -Authorization
		reverse_proxy $UPSTREAM
	}
}
`
