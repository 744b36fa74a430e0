package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
)

// refusalCaddyfile is the README's "Seeing refusals" setup: the debug log
// of jwt_auth alone, the reason in the access log, one route handing
// refusals to handle_errors and one keeping simplejwt's body with the
// reason in a deferred response header.
const refusalCaddyfile = `{
	admin {$JWTGATE_ADMIN}
	log jwtauth {
		output stderr
		format json
		level DEBUG
		include http.handlers.jwt_auth
	}
	jwtgate {
		signing_key {env.JWT_SIGNING_KEY}
	}
}
http://{$JWTGATE_ADDR} {
	log {
		output stderr
		format json
	}
	log_append jwt_reason {http.auth.jwt.reason}
	handle /caddy/* {
		jwt_auth {
			errors caddy
		}
		respond "ok"
	}
	handle /plain/* {
		header {
			defer
			X-Auth-Reason {http.auth.jwt.reason}
		}
		jwt_auth
		respond "ok"
	}
	handle_errors 401 503 {
		header X-Auth-Reason {http.auth.jwt.reason}
		respond "{\"error\":\"{http.auth.jwt.outcome}\"}" {http.error.status_code}
	}
}
`

// TestRefusalVisible: a refused Bearer token's reason shows in the debug
// log line of jwt_auth (never the token), in the access log through
// log_append, in a response header through the placeholder, in
// handle_errors with errors caddy, and as a metric label on Caddy's admin
// /metrics; without errors caddy the body stays simplejwt's.
func TestRefusalVisible(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "Caddyfile")
	if err := os.WriteFile(conf, []byte(refusalCaddyfile), 0o644); err != nil {
		t.Fatal(err)
	}
	g := harness.StartGateway(t, harness.GatewayOptions{Caddyfile: conf})
	expired := craft(t, harness.TestSigningKey, jwt.SigningMethodHS256, accessClaims(1, time.Now().Add(-time.Minute)))

	r := harness.Do(t, "GET", g.URL+"/plain/x", nil, harness.Bearer(expired))
	harness.Expect(t, "default errors", r, 401, tokenNotValid("Token is invalid or expired"))
	if got := r.Header.Get("X-Auth-Reason"); got != "expired" {
		t.Errorf("default errors: X-Auth-Reason %q, want expired", got)
	}

	r = harness.Do(t, "GET", g.URL+"/caddy/x", nil, harness.Bearer(expired))
	harness.Expect(t, "errors caddy", r, 401, `{"error":"token_invalid"}`)
	if got := r.Header.Get("X-Auth-Reason"); got != "expired" {
		t.Errorf("errors caddy: X-Auth-Reason %q, want expired", got)
	}
	if got := r.Header.Get("Www-Authenticate"); got != harness.WWWAuthenticate {
		t.Errorf("errors caddy: WWW-Authenticate %q", got)
	}
	r = harness.Do(t, "GET", g.URL+"/caddy/x", nil)
	harness.Expect(t, "errors caddy, no token", r, 401, `{"error":"not_provided"}`)

	// Log lines reach the test through a pipe: wait (bounded) for the
	// access log line of the last request.
	refusedRE := regexp.MustCompile(`"logger":"http.handlers.jwt_auth","msg":"request refused","outcome":"token_invalid","reason":"expired","client_ip":"127.0.0.1","route":"/(plain|caddy)/x"`)
	accessRE := regexp.MustCompile(`"logger":"http.log.access[^"]*".*"status":401.*"jwt_reason":"expired"`)
	out := g.Proc.Output()
	for start := time.Now(); !strings.Contains(out, `"jwt_reason":"not_provided"`) && time.Since(start) < 10*time.Second; out = g.Proc.Output() {
		time.Sleep(20 * time.Millisecond)
	}
	if n := len(refusedRE.FindAllString(out, -1)); n != 2 {
		t.Errorf("%d 'request refused' lines with reason expired, want 2:\n%s", n, harness.Tail(out, 4000))
	}
	if n := len(accessRE.FindAllString(out, -1)); n != 2 {
		t.Errorf("%d access log lines with jwt_reason expired, want 2:\n%s", n, harness.Tail(out, 4000))
	}
	if strings.Contains(out, expired[strings.LastIndexByte(expired, '.'):]) {
		t.Error("the log contains the token's signature")
	}

	metrics := harness.Do(t, "GET", g.Admin+"/metrics", nil)
	for _, want := range []string{
		`jwtgate_auth_requests_total{outcome="token_invalid",reason="expired"} 2`,
		`jwtgate_auth_requests_total{outcome="not_provided",reason="not_provided"} 1`,
	} {
		if !strings.Contains(metrics.Body, "\n"+want+"\n") {
			t.Errorf("admin /metrics has no line %q", want)
		}
	}
}
