package attacks

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
	"github.com/jwtgate/jwtgate/internal/djangoref"
	"github.com/jwtgate/jwtgate/internal/testenv"
)

// TestKeyRotationThroughReload drives the README's rotation through `caddy
// reload` while clients keep refreshing and calling a protected route:
// step 1 the HMAC key "old" signs; step 2 adds the EdDSA key "new" as
// verify-only (and the JWKS publishes it); step 3 "new" signs; step 4
// removes "old". Through steps 1–3 no valid token may be refused; after
// step 4 the tokens "old" signed are refused.
func TestKeyRotationThroughReload(t *testing.T) {
	upstream := harness.StartEcho(t)
	dir := t.TempDir()
	confs := rotationConfigs(t, dir)
	g := harness.StartGateway(t, harness.GatewayOptions{Caddyfile: confs[0], Upstream: upstream.Addr,
		Env: map[string]string{"JWTGATE_DB_PATH": filepath.Join(dir, "jwtgate.sqlite3")}})
	g.CreateUser(t, "siva", "siva")
	oldAccess, oldRefresh := g.Login(t, "siva", "siva")

	reload := func(i int) {
		t.Helper()
		cmd := exec.Command(filepath.Join(harness.BinDir, "caddy"), "reload", "--config", confs[i], "--adapter", "caddyfile",
			"--address", hostPort(g.Admin))
		cmd.Env = g.Env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("caddy reload to step %d: %v\n%s", i+1, err, out)
		}
	}

	// Clients: refresh, then call the protected route with the new access
	// token, until stopped. Every answer must be 200.
	ctx, stop := context.WithCancel(context.Background())
	client := &http.Client{Timeout: 10 * time.Second}
	var calls, refused atomic.Int64
	var mu sync.Mutex
	var firstRefusal string
	// count records an answer; false when it refused.
	count := func(what string, r *http.Response) bool {
		calls.Add(1)
		if r.StatusCode == 200 {
			return true
		}
		refused.Add(1)
		mu.Lock()
		if firstRefusal == "" {
			firstRefusal = what + ": " + r.Status
		}
		mu.Unlock()
		return false
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				r, err := client.Post(g.URL+"/userprofiles/api/token/refresh/", "application/json",
					strings.NewReader(`{"refresh":"`+oldRefresh+`"}`))
				if err != nil {
					continue
				}
				var body struct{ Access string }
				json.NewDecoder(r.Body).Decode(&body)
				r.Body.Close()
				if !count("refresh", r) {
					continue
				}
				req, _ := http.NewRequest("GET", g.URL+"/movieapi/movie/1/", nil)
				req.Header.Set("Authorization", "Bearer "+body.Access)
				resp, err := client.Do(req)
				if err != nil {
					continue
				}
				resp.Body.Close()
				count("protected route", resp)
			}
		}()
	}
	var newAccess string
	for i := 1; i <= 2; i++ {
		time.Sleep(time.Second)
		reload(i)
		if i == 1 {
			r := harness.Do(t, "GET", g.URL+"/.well-known/jwks.json", nil)
			if r.Status != 200 || !strings.Contains(r.Body, `"kid":"new"`) || strings.Contains(r.Body, `"kid":"old"`) {
				t.Errorf("JWKS after step 2: %d %s", r.Status, r.Body)
			}
		}
	}
	time.Sleep(time.Second)
	newAccess, _ = g.Login(t, "siva", "siva")
	stop()
	wg.Wait()
	if n := refused.Load(); n != 0 || calls.Load() == 0 {
		t.Errorf("steps 1–3: %d of %d calls refused (first: %s)", n, calls.Load(), firstRefusal)
	}
	t.Logf("steps 1–3: %d calls, none refused", calls.Load())

	// Step 4: the old key is gone.
	reload(3)
	for name, tok := range map[string]string{"old access": oldAccess} {
		r := harness.Do(t, "GET", g.URL+"/movieapi/movie/1/", nil, harness.Bearer(tok))
		if r.Status != 401 || !strings.Contains(r.Body, "token_not_valid") {
			t.Errorf("%s after the old key was removed: %d %s", name, r.Status, r.Body)
		}
	}
	if r := harness.PostJSON(t, g.URL+"/userprofiles/api/token/refresh/", `{"refresh":"`+oldRefresh+`"}`); r.Status != 401 {
		t.Errorf("old refresh after the old key was removed: %d %s", r.Status, r.Body)
	}
	if r := harness.Do(t, "GET", g.URL+"/movieapi/movie/1/", nil, harness.Bearer(newAccess)); r.Status != 200 {
		t.Errorf("new key's access token at step 4: %d %s", r.Status, r.Body)
	}
	verifyWithJWKS(t, g.URL+"/.well-known/jwks.json", newAccess)
}

// verifyWithJWKS checks tok with golang-jwt and a key function that picks
// the key by kid from the gateway's JWKS, as an independent verifier would.
func verifyWithJWKS(t *testing.T, jwksURL, tok string) {
	t.Helper()
	r := harness.Do(t, "GET", jwksURL, nil)
	var set struct {
		Keys []struct{ Kid, Kty, Crv, Alg, X string }
	}
	if err := json.Unmarshal([]byte(r.Body), &set); err != nil {
		t.Fatalf("JWKS %s: %v", r.Body, err)
	}
	keyFunc := func(tk *jwt.Token) (any, error) {
		for _, k := range set.Keys {
			if k.Kid == tk.Header["kid"] && k.Kty == "OKP" && k.Crv == "Ed25519" && k.Alg == tk.Header["alg"] {
				x, err := base64.RawURLEncoding.DecodeString(k.X)
				return ed25519.PublicKey(x), err
			}
		}
		return nil, errors.New("no key for that kid in the JWKS")
	}
	if _, err := jwt.Parse(tok, keyFunc, jwt.WithValidMethods([]string{"EdDSA"}), jwt.WithExpirationRequired()); err != nil {
		t.Errorf("golang-jwt with the gateway's JWKS refuses the gateway's token: %v", err)
	}
}

// rotationConfigs writes the four Caddyfiles of the README's rotation
// (see TestKeyRotationThroughReload) under dir.
func rotationConfigs(t *testing.T, dir string) []string {
	_, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(edPriv)
	edFile := filepath.Join(dir, "new.pem")
	writeAt(t, edFile, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})))

	oldKey := "key old {\n\t\t\talgorithm HS256\n\t\t\tsigning_key {env.JWT_SIGNING_KEY}\n\t\t}\n"
	newKey := "key new {\n\t\t\talgorithm EdDSA\n\t\t\tsigning_key_file " + edFile + "\n\t\t}\n"
	steps := []string{
		oldKey + "\t\tsign_with old\n\t\tverify_without_kid old",
		oldKey + "\t\t" + newKey + "\t\tsign_with old\n\t\tverify_without_kid old",
		oldKey + "\t\t" + newKey + "\t\tsign_with new\n\t\tverify_without_kid old",
		newKey + "\t\tsign_with new",
	}
	confs := make([]string, len(steps))
	for i, s := range steps {
		c := strings.Replace(reloadCaddyfile, "signing_key {env.JWT_SIGNING_KEY}", s, 1)
		c = strings.Replace(c, "LIFETIME", "5m", 1)
		c = strings.Replace(c, "\thandle /movieapi/* {", "\thandle /.well-known/jwks.json {\n\t\tjwt_jwks\n\t}\n\n\thandle /movieapi/* {", 1)
		confs[i] = filepath.Join(dir, string(rune('a'+i)), "Caddyfile")
		writeAt(t, confs[i], c)
	}
	return confs
}

// TestStaggeredRotationTwoInstances: during a rotation two instances are
// one step apart (one already signs with the new key, the other has it as
// verify-only); each accepts the other's tokens, in both directions.
func TestStaggeredRotationTwoInstances(t *testing.T) {
	upstream := harness.StartEcho(t)
	dir := t.TempDir()
	confs := rotationConfigs(t, dir)
	start := func(conf, name string) *harness.Gateway {
		g := harness.StartGateway(t, harness.GatewayOptions{Caddyfile: conf, Upstream: upstream.Addr,
			Env: map[string]string{"JWTGATE_DB_PATH": filepath.Join(dir, name+".sqlite3")}})
		g.CreateUser(t, "siva", "siva")
		return g
	}
	behind, ahead := start(confs[1], "behind"), start(confs[2], "ahead")
	for _, c := range []struct {
		name     string
		from, to *harness.Gateway
	}{{"old key's token at the instance ahead", behind, ahead}, {"new key's token at the instance behind", ahead, behind}} {
		access, refresh := c.from.Login(t, "siva", "siva")
		if r := harness.Do(t, "GET", c.to.URL+"/movieapi/movie/1/", nil, harness.Bearer(access)); r.Status != 200 {
			t.Errorf("%s: %d %s", c.name, r.Status, r.Body)
		}
		if r := harness.PostJSON(t, c.to.URL+"/userprofiles/api/token/refresh/", `{"refresh":"`+refresh+`"}`); r.Status != 200 {
			t.Errorf("%s, refresh: %d %s", c.name, r.Status, r.Body)
		}
	}
}

// TestJWKSWithPyJWKClient: PyJWT's PyJWKClient (Debian's python3-jwt)
// fetches the gateway's JWKS, picks the key by the token's kid and
// verifies the gateway's EdDSA token.
func TestJWKSWithPyJWKClient(t *testing.T) {
	python := djangoref.Python()
	testenv.Python(t, python, "python3-jwt python3-cryptography", "jwt", "cryptography")
	upstream := harness.StartEcho(t)
	dir := t.TempDir()
	confs := rotationConfigs(t, dir)
	g := harness.StartGateway(t, harness.GatewayOptions{Caddyfile: confs[2], Upstream: upstream.Addr,
		Env: map[string]string{"JWTGATE_DB_PATH": filepath.Join(dir, "jwtgate.sqlite3")}})
	g.CreateUser(t, "siva", "siva")
	access, _ := g.Login(t, "siva", "siva")
	script := `import sys, jwt
client = jwt.PyJWKClient(sys.argv[1])
key = client.get_signing_key_from_jwt(sys.argv[2])
claims = jwt.decode(sys.argv[2], key.key, algorithms=["EdDSA"])
print(key.key_id, claims["token_type"], claims["user_id"])
`
	out, err := exec.Command(python, "-c", script, g.URL+"/.well-known/jwks.json", access).CombinedOutput()
	if err != nil {
		t.Fatalf("PyJWKClient: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "new access 1" {
		t.Errorf("PyJWKClient verified %q, want kid new, an access token of user 1", got)
	}
}
