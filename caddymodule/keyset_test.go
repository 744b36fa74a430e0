package caddymodule

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/jwtgate/jwtgate/token"
)

// TestKeySetConfig: keys from files and placeholders reach the codec; the
// gateway's own tokens verify; refusals name the key.
func TestKeySetConfig(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{}
	for _, alg := range []string{"EdDSA", "ES256", "PS256", "HS512"} {
		k, err := newSigningKey(alg)
		if err != nil {
			t.Fatal(err)
		}
		if alg[:2] != "HS" && !strings.Contains(k, "PUBLIC KEY") {
			t.Errorf("gen-signing-key %s prints no public key", alg)
		}
		files[alg] = filepath.Join(dir, alg)
		os.WriteFile(files[alg], []byte(k+"\n"), 0o600)
	}
	t.Setenv("JWTGATE_TEST_HS", "jwtgate-keyset-test-secret-0123456789abcdefghijkl")
	a := &App{
		Keys: []KeyConfig{
			{ID: "django", Algorithm: "HS256", SigningKey: "{env.JWTGATE_TEST_HS}"},
			{ID: "ed", Algorithm: "EdDSA", SigningKeyFile: files["EdDSA"]},
			{ID: "es", Algorithm: "ES256", SigningKeyFile: files["ES256"]},
			{ID: "ps", Algorithm: "PS256", SigningKeyFile: files["PS256"]},
			{ID: "hs", Algorithm: "HS512", SigningKeyFile: files["HS512"]},
		},
		SignWith: "ed", VerifyWithoutKID: "django",
	}
	repl := caddy.NewReplacer()
	cfg, _, err := a.tokenConfig(repl)
	if err != nil {
		t.Fatal(err)
	}
	c, err := token.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, acc, err := c.NewPair(int64(1), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var ac token.AccessClaims
	if err := c.VerifyAccess(acc.Token, time.Now(), &ac); err != nil {
		t.Fatal(err)
	}

	// The JWKS handler: three public keys, no HMAC, cache headers.
	j := &JWKS{body: c.JWKS(), cacheControl: "public, max-age=300, must-revalidate"}
	rec := httptest.NewRecorder()
	j.ServeHTTP(rec, httptest.NewRequest("GET", "/.well-known/jwks.json", nil), nil)
	var set struct{ Keys []map[string]string }
	if err := json.Unmarshal(rec.Body.Bytes(), &set); err != nil || len(set.Keys) != 3 {
		t.Fatalf("JWKS %s: %v", rec.Body, err)
	}
	if set.Keys[0]["kid"] != "ed" || set.Keys[0]["alg"] != "EdDSA" || set.Keys[0]["use"] != "sig" {
		t.Errorf("first key %v", set.Keys[0])
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/jwk-set+json" {
		t.Errorf("Content-Type %q", ct)
	}
	rec = httptest.NewRecorder()
	j.ServeHTTP(rec, httptest.NewRequest("POST", "/.well-known/jwks.json", nil), nil)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", rec.Code)
	}

	// Refusals.
	bad := []struct {
		edit func(*App)
		want string
	}{
		{func(a *App) { a.SignWith = "nope" }, `sign_with names kid "nope"`},
		{func(a *App) { a.SignWith = "" }, "sign_with is not"},
		{func(a *App) { a.VerifyWithoutKID = "nope" }, `verify_without_kid names kid "nope"`},
		{func(a *App) { a.SigningKey = "x" }, "both keys and signing_key"},
		{func(a *App) { a.Keys[2].SigningKey = "y" }, `key "es": both signing_key and signing_key_file`},
		{func(a *App) { a.Keys[2].SigningKeyFile = filepath.Join(dir, "missing") }, `key "es": reading signing_key_file`},
		{func(a *App) { a.Keys[1].SigningKeyFile = files["ES256"] }, `key "ed": signing key is an EC private key on P-256; EdDSA needs`},
		{func(a *App) { a.Keys[3].ID = "ed" }, `two keys have the kid "ed"`},
	}
	for _, b := range bad {
		a2 := *a
		a2.Keys = append([]KeyConfig(nil), a.Keys...)
		b.edit(&a2)
		cfg, _, err := a2.tokenConfig(repl)
		if err == nil {
			_, err = token.New(cfg)
		}
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("error %v, want %q", err, b.want)
		}
	}
}
