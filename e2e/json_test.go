package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
)

// TestAdaptedJSONRuns: `caddy adapt` of the example Caddyfile gives JSON
// that `caddy run` accepts, and the JSON is a configuration surface of its
// own: here it turns on pass_authorization and a claim header, which the
// upstream then receives.
func TestAdaptedJSONRuns(t *testing.T) {
	echo := harness.StartEcho(t)
	env, addr, admin := harness.GatewayEnv(t, &harness.GatewayOptions{Upstream: echo.Addr})
	cmd := exec.Command(filepath.Join(harness.BinDir, "caddy"), "adapt", "--config", filepath.Join(harness.RepoRoot, "Caddyfile"), "--adapter", "caddyfile")
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("caddy adapt: %v", err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(out, &cfg); err != nil {
		t.Fatalf("adapt output is not JSON: %v", err)
	}
	app := cfg["apps"].(map[string]any)["jwtgate"].(map[string]any)
	if app["signing_key"] != "{env.JWT_SIGNING_KEY}" {
		t.Errorf("the adapted JSON holds %v instead of the placeholder", app["signing_key"])
	}
	app["pass_authorization"] = true
	app["claim_headers"] = map[string]string{"scope": "X-Scope"}
	b, _ := json.MarshalIndent(cfg, "", "\t")
	conf := filepath.Join(t.TempDir(), "caddy.json")
	if err := os.WriteFile(conf, b, 0o644); err != nil {
		t.Fatal(err)
	}

	p := harness.StartProc(t, env, filepath.Join(harness.BinDir, "caddy"), "run", "--config", conf)
	harness.WaitReady(t, p, "http://"+admin+"/config/")
	g := &harness.Gateway{URL: "http://" + addr, Admin: "http://" + admin, Env: env, Proc: p}
	g.CreateUserWithConfig(t, conf, "siva", "siva")

	claims := jwt.MapClaims{"token_type": "access", "exp": time.Now().Add(time.Minute).Unix(), "iat": time.Now().Unix(),
		"jti": "0123456789abcdef0123456789abcdef", "user_id": 1, "scope": "read write"}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(harness.TestSigningKey))
	if err != nil {
		t.Fatal(err)
	}
	// The user was created by another process: the gateway sees it within
	// a second, 10 s allowed here (the token was not obtained here, so
	// nothing taught it).
	var r harness.Response
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(20 * time.Millisecond) {
		if r = harness.Do(t, "GET", g.URL+"/movieapi/movie/", nil, harness.Bearer(tok)); r.Status == 200 {
			break
		}
	}
	if r.Status != 200 {
		t.Fatalf("proxied GET: %d %s", r.Status, r.Body)
	}
	h := echo.Last(t)
	if h.Get("X-User-Id") != "1" || h.Get("X-Scope") != "read write" || h.Get("Authorization") != "Bearer "+tok {
		t.Errorf("upstream got X-User-Id %q, X-Scope %q, Authorization %q", h.Get("X-User-Id"), h.Get("X-Scope"), h.Get("Authorization"))
	}
}
