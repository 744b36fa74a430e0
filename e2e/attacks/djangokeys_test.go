package attacks

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
)

// TestDjangoSharesAsymmetricKeys: the gateway signs with RS256 or ES256
// (with a kid) and the Django reference configured with the matching
// VERIFYING_KEY accepts its tokens; Django's RS256 tokens (no kid) are
// accepted by the gateway through verify_without_kid.
func TestDjangoSharesAsymmetricKeys(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, k any) (priv, pub string) {
		der, _ := x509.MarshalPKCS8PrivateKey(k)
		pubDER, _ := x509.MarshalPKIXPublicKey(k.(crypto.Signer).Public())
		priv, pub = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".pub.pem")
		writeAt(t, priv, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})))
		writeAt(t, pub, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})))
		return priv, pub
	}
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rsPriv, rsPub := write("rs", rsaKey)
	esPriv, esPub := write("es", ecKey)

	for _, c := range []struct{ alg, priv, pub string }{{"RS256", rsPriv, rsPub}, {"ES256", esPriv, esPub}} {
		t.Run(c.alg, func(t *testing.T) {
			keys := "key gw {\n\t\t\talgorithm " + c.alg + "\n\t\t\tsigning_key_file " + c.priv + "\n\t\t}\n" +
				"\t\tsign_with gw\n\t\tverify_without_kid gw"
			conf := strings.Replace(reloadCaddyfile, "signing_key {env.JWT_SIGNING_KEY}", keys, 1)
			conf = strings.Replace(conf, "LIFETIME", "5m", 1)
			confPath := filepath.Join(t.TempDir(), "Caddyfile")
			writeAt(t, confPath, conf)
			sub := t.TempDir()
			d := harness.StartDjango(t, harness.DjangoOptions{SQLitePath: filepath.Join(sub, "django.sqlite3"),
				Env: []string{"JWT_ALGORITHM=" + c.alg, "JWT_SIGNING_KEY_FILE=" + c.priv, "JWT_VERIFYING_KEY_FILE=" + c.pub}})
			echo := harness.StartEcho(t)
			g := harness.StartGateway(t, harness.GatewayOptions{Caddyfile: confPath, Upstream: echo.Addr,
				Env: map[string]string{"JWTGATE_DB_PATH": filepath.Join(sub, "jwtgate.sqlite3")}})
			g.CreateUser(t, "siva", "siva")

			gAccess, _ := g.Login(t, "siva", "siva")
			r := harness.PostJSON(t, "http://"+d.Addr+"/movieapi/movie/1/review-create/", `{"rating":4,"description":"ok"}`, harness.Bearer(gAccess))
			if r.Status != 201 {
				t.Errorf("Django refuses the gateway's %s token: %d %s", c.alg, r.Status, r.Body)
			}
			dr := harness.PostJSON(t, "http://"+d.Addr+"/userprofiles/api/token/", `{"username":"siva","password":"siva"}`)
			dAccess := dr.Str(t, "access")
			if r := harness.PostJSON(t, g.URL+"/movieapi/movie/1/review-create/", `{}`, harness.Bearer(dAccess)); r.Status != 200 {
				t.Errorf("the gateway refuses Django's %s token: %d %s", c.alg, r.Status, r.Body)
			}
		})
	}
}
