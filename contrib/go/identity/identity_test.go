package identity

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtgate/jwtgate/token"
)

// gateway is a key set as jwtgate holds it: an ES256 assertion key "a1".
func gateway(t *testing.T) (*token.Codec, *ecdsa.PrivateKey) {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	cfg := token.DefaultConfig()
	cfg.Keys = []token.Key{{ID: "a1", Algorithm: "ES256", Signs: true, SigningKey: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})}}
	c, err := token.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, k
}

func claims(over map[string]any) jwt.MapClaims {
	now := time.Now().Unix()
	c := jwt.MapClaims{"token_type": "identity", "iss": "jwtgate", "aud": "movieapi", "sub": "7",
		"username": "zoë", "jti": "j1", "iat": now, "exp": now + 60}
	for k, v := range over {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

func sign(t *testing.T, key any, method jwt.SigningMethod, hdr map[string]any, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, c)
	tok.Header["kid"] = "a1"
	for k, v := range hdr {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// TestMiddleware: the gateway's own assertion passes with its identity;
// forged, expired, wrong-audience, HMAC-signed, alg=none, crit, another
// type, a replay under another user id and the user id header alone are
// refused with 401 before the handler; no identity at all is anonymous.
func TestMiddleware(t *testing.T) {
	codec, key := gateway(t)
	var fetches atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		w.Write(codec.JWKS())
	}))
	defer srv.Close()
	v, err := New(Config{Audience: "movieapi", Keys: JWKS(srv.URL)})
	if err != nil {
		t.Fatal(err)
	}
	h := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := FromContext(r.Context())
		w.Write([]byte(strconv.FormatBool(ok) + " " + strconv.FormatInt(id.UserID, 10) + " " + id.Username))
	}))
	call := func(assertion, uid string) (int, string) {
		r := httptest.NewRequest("GET", "/", nil)
		if assertion != "" {
			r.Header.Set("X-Jwtgate-Assertion", assertion)
		}
		if uid != "" {
			r.Header.Set("X-User-Id", uid)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code, w.Body.String()
	}

	signer, _ := codec.Signer("")
	body, _ := json.Marshal(claims(nil))
	good, _ := signer.Sign(body)
	if code, out := call(good, "7"); code != 200 || out != "true 7 zoë" {
		t.Fatalf("gateway's assertion: %d %s", code, out)
	}
	if code, out := call("", ""); code != 200 || out != "false 0 " {
		t.Fatalf("anonymous: %d %s", code, out)
	}

	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pubPEM, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	hsInput := b64([]byte(`{"alg":"HS256","kid":"a1","typ":"JWT"}`)) + "." + b64(body)
	mac := hmac.New(sha256.New, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubPEM}))
	mac.Write([]byte(hsInput))
	refused := map[string][2]string{
		"forged":         {sign(t, other, jwt.SigningMethodES256, nil, claims(nil)), "7"},
		"expired":        {sign(t, key, jwt.SigningMethodES256, nil, claims(map[string]any{"iat": 1_700_000_000, "exp": 1_700_000_060})), "7"},
		"no exp":         {sign(t, key, jwt.SigningMethodES256, nil, claims(map[string]any{"exp": nil})), "7"},
		"wrong audience": {sign(t, key, jwt.SigningMethodES256, nil, claims(map[string]any{"aud": "other"})), "7"},
		"wrong issuer":   {sign(t, key, jwt.SigningMethodES256, nil, claims(map[string]any{"iss": "x"})), "7"},
		"access type":    {sign(t, key, jwt.SigningMethodES256, nil, claims(map[string]any{"token_type": "access"})), "7"},
		"crit":           {sign(t, key, jwt.SigningMethodES256, map[string]any{"crit": []string{"exp"}}, claims(nil)), "7"},
		"unknown kid":    {sign(t, key, jwt.SigningMethodES256, map[string]any{"kid": "zz"}, claims(nil)), "7"},
		"HS256 with pub": {hsInput + "." + b64(mac.Sum(nil)), "7"},
		"alg none":       {b64([]byte(`{"alg":"none","kid":"a1"}`)) + "." + b64(body) + ".", "7"},
		"another user":   {good, "8"},
		"header alone":   {"", "7"},
		"sub not an id":  {sign(t, key, jwt.SigningMethodES256, nil, claims(map[string]any{"sub": "07"})), ""},
		"upper-case EXP": {sign(t, key, jwt.SigningMethodES256, nil, claims(map[string]any{"exp": nil, "EXP": time.Now().Unix() + 60})), "7"},
		"garbage":        {"a.b.c", "7"},
	}
	for name, c := range refused {
		if code, out := call(c[0], c[1]); code != 401 || out != `{"detail":"Invalid identity assertion"}` {
			t.Errorf("%s: %d %s", name, code, out)
		}
	}
	// Unknown kids fetched the set again at most once (MinRefresh).
	if n := fetches.Load(); n > 2 {
		t.Errorf("%d fetches of the JWK Set", n)
	}
}

// TestStaticKey: the key given directly, with its algorithm pinned.
func TestStaticKey(t *testing.T) {
	_, key := gateway(t)
	v, err := New(Config{Audience: "movieapi", Keys: StaticKey("a1", "ES256", &key.PublicKey)})
	if err != nil {
		t.Fatal(err)
	}
	id, err := v.Verify(context.Background(), sign(t, key, jwt.SigningMethodES256, nil, claims(nil)))
	if err != nil || id.UserID != 7 || id.JTI != "j1" {
		t.Fatalf("%v %+v", err, id)
	}
	v, _ = New(Config{Audience: "movieapi", Keys: StaticKey("a1", "ES384", &key.PublicKey)})
	if _, err := v.Verify(context.Background(), sign(t, key, jwt.SigningMethodES256, nil, claims(nil))); err == nil {
		t.Error("an ES256 assertion verified with a key pinned to ES384")
	}
	if _, err := New(Config{Keys: StaticKey("a1", "ES256", &key.PublicKey)}); err == nil {
		t.Error("no audience accepted")
	}
}
