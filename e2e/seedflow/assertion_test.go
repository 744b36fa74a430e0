package seedflow

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtgate/jwtgate/contrib/go/identity"
	"github.com/jwtgate/jwtgate/e2e/internal/harness"
	"github.com/jwtgate/jwtgate/internal/testenv"
)

// assertionCaddyfile is the example's shape with a key set (the shared
// HMAC key signs access tokens, an ES256 key signs assertions), the JWK
// Set published, and an identity assertion per upstream: the seed's Django
// app (audience movieapi), a Go upstream (audience goapi), and a
// forward-auth endpoint for movieapi.
const assertionCaddyfile = `{
	admin {$JWTGATE_ADMIN}
	jwtgate {
		store {
			sqlite_path {env.JWTGATE_DB_PATH}
		}
		key hs {
			algorithm HS256
			signing_key {env.JWT_SIGNING_KEY}
		}
		key assert-1 {
			algorithm ES256
			signing_key_file {env.ASSERTION_KEY_FILE}
		}
		sign_with hs
		verify_without_kid hs
		username_header X-Username
	}
}
http://{$JWTGATE_ADDR} {
	jwt_endpoints /userprofiles/*
	handle /.well-known/jwks.json {
		jwt_jwks
	}
	handle /_jwtgate/auth {
		jwt_auth read_only {
			forward_auth
			identity_assertion X-Jwtgate-Assertion {
				audience movieapi
				key assert-1
			}
		}
	}
	handle /movieapi/* {
		jwt_auth read_only {
			identity_assertion X-Jwtgate-Assertion {
				audience movieapi
				key assert-1
			}
		}
		reverse_proxy {$UPSTREAM_ADDR}
	}
	handle /goapi/* {
		jwt_auth {
			identity_assertion X-Jwtgate-Assertion {
				audience goapi
				key assert-1
				lifetime 30s
			}
		}
		reverse_proxy {$GO_UPSTREAM_ADDR}
	}
}
`

// TestIdentityAssertion runs the gateway with identity assertions in
// front of the seed's Django app (contrib/django's class verifying them
// through the gateway's JWKS) and a Go upstream (contrib/go/identity).
// Through the gateway both see the logged-in user, whatever assertion the
// client sent; reached directly, both refuse the user id header alone and
// assertions that are forged, expired, for another audience, HMAC-signed
// (with the gateway's own access-token key, or with the public key as the
// secret), alg=none, or replayed under another user's id, and accept the
// gateway's own.
func TestIdentityAssertion(t *testing.T) {
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	keyFile := filepath.Join(dir, "assert.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(conf, []byte(assertionCaddyfile), 0o644); err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(dir, "shared.sqlite3")
	djangoAddr, gatewayAddr := testenv.FreeAddr(t), testenv.FreeAddr(t)
	jwksURL := "http://" + gatewayAddr + "/.well-known/jwks.json"

	// The Go upstream: contrib/go/identity in front of a handler that
	// says who the user is, and keeps the last assertion it got.
	verifier, err := identity.New(identity.Config{Audience: "goapi", Keys: identity.JWKS(jwksURL)})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var goSeen string
	goUp := verifier.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := identity.FromContext(r.Context())
		if !ok {
			http.Error(w, `{"detail":"anonymous"}`, http.StatusUnauthorized)
			return
		}
		mu.Lock()
		goSeen = r.Header.Get("X-Jwtgate-Assertion")
		mu.Unlock()
		json.NewEncoder(w).Encode(map[string]any{"user_id": id.UserID, "username": id.Username})
	}))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: goUp}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	goURL := "http://" + l.Addr().String()

	dj := harness.StartDjango(t, harness.DjangoOptions{SQLitePath: dbPath, Addr: djangoAddr, Env: append(djangoUpstreamEnv(),
		"JWTGATE_ASSERTION_HEADER=X-Jwtgate-Assertion", "JWTGATE_ASSERTION_AUDIENCE=movieapi",
		"JWTGATE_ASSERTION_JWKS_URL="+jwksURL)})
	// JWTGATE_ADDR fixed in advance, so that Django knows the JWKS URL.
	harness.StartGateway(t, harness.GatewayOptions{Caddyfile: conf, Upstream: dj.Addr, Env: map[string]string{
		"JWTGATE_ADDR": gatewayAddr, "JWTGATE_DB_PATH": dbPath, "ASSERTION_KEY_FILE": keyFile,
		"GO_UPSTREAM_ADDR": l.Addr().String()}})
	gw := "http://" + gatewayAddr

	// Through the gateway: siva (id 1, from reset_db.sh), whatever
	// assertion and user id the client sends.
	login := doRaw(t, "POST", gw+"/userprofiles/api/token/", `{"username":"siva","password":"siva"}`, jsonCT)
	access := login.Str(t, "access")
	forgedByClient := [2]string{"X-Jwtgate-Assertion", "eyJhbGciOiJub25lIn0.eyJzdWIiOiIyIn0."}
	rv := decodeReview(t, "review through the gateway", doRaw(t, "POST", gw+"/movieapi/movie/1/review-create/",
		`{"rating":4,"description":"asserted"}`, jsonCT, bearer(access), forgedByClient, [2]string{"X-User-Id", "2"}), http.StatusCreated)
	if rv.ReviewerName != "siva" {
		t.Fatalf("Django signed the review %q, want siva", rv.ReviewerName)
	}
	if r := doRaw(t, "GET", gw+"/goapi/whoami", "", bearer(access), forgedByClient); r.Status != 200 || !strings.Contains(r.Body, `"user_id":1,"username":"siva"`) {
		t.Fatalf("Go upstream through the gateway: %d %s", r.Status, r.Body)
	}
	mu.Lock()
	goAssertion := goSeen
	mu.Unlock()
	// The forward-auth answer carries the movieapi assertion for the
	// front proxy to copy; the same one for the same token.
	fa := doRaw(t, "GET", gw+"/_jwtgate/auth", "", bearer(access), [2]string{"X-Original-Method", "POST"})
	djAssertion := fa.Header.Get("X-Jwtgate-Assertion")
	if fa.Status != 200 || djAssertion == "" || fa.Header.Get("X-User-Id") != "1" {
		t.Fatalf("forward auth: %d %v", fa.Status, fa.Header)
	}
	if again := doRaw(t, "GET", gw+"/_jwtgate/auth", "", bearer(access)).Header.Get("X-Jwtgate-Assertion"); again != djAssertion {
		t.Error("the forward-auth endpoint signed a new assertion for the same token")
	}

	// Directly, bypassing the gateway.
	now := time.Now().Unix()
	claims := func(aud string, over map[string]any) jwt.MapClaims {
		c := jwt.MapClaims{"token_type": "identity", "iss": "jwtgate", "aud": aud, "sub": "1", "username": "siva",
			"iat": now, "exp": now + 60}
		for k, v := range over {
			c[k] = v
		}
		return c
	}
	es256 := func(k *ecdsa.PrivateKey, c jwt.MapClaims) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodES256, c)
		tok.Header["kid"] = "assert-1"
		s, err := tok.SignedString(k)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	b64 := base64.RawURLEncoding.EncodeToString
	hs256 := func(secret []byte, c jwt.MapClaims, kid string) string {
		body, _ := json.Marshal(c)
		in := b64([]byte(`{"alg":"HS256","kid":"`+kid+`","typ":"JWT"}`)) + "." + b64(body)
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(in))
		return in + "." + b64(m.Sum(nil))
	}
	none := func(c jwt.MapClaims) string {
		body, _ := json.Marshal(c)
		return b64([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + b64(body) + "."
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pubDER, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})

	for _, up := range []struct {
		name, aud, url, body string
		real                 string // the gateway's own assertion for this upstream
		ok                   func(harness.Response) bool
	}{
		{"Django", "movieapi", "http://" + dj.Addr + "/movieapi/movie/2/review-create/", `{"rating":3,"description":"direct"}`, djAssertion,
			func(r harness.Response) bool {
				return r.Status == 201 && strings.Contains(r.Body, `"reviewer_name":"siva"`)
			}},
		{"Go", "goapi", goURL + "/whoami", "", goAssertion,
			func(r harness.Response) bool { return r.Status == 200 && strings.Contains(r.Body, `"user_id":1`) }},
	} {
		t.Run(up.name, func(t *testing.T) {
			method := "GET"
			if up.body != "" {
				method = "POST"
			}
			call := func(assertion, uid string) harness.Response {
				h := [][2]string{jsonCT}
				if assertion != "" {
					h = append(h, [2]string{"X-Jwtgate-Assertion", assertion})
				}
				if uid != "" {
					h = append(h, [2]string{"X-User-Id", uid})
				}
				return doRaw(t, method, up.url, up.body, h...)
			}
			otherAud := map[string]string{"movieapi": "goapi", "goapi": "movieapi"}[up.aud]
			for name, a := range map[string]string{
				"user id header alone":         "",
				"forged (another key)":         es256(other, claims(up.aud, nil)),
				"expired":                      es256(key, claims(up.aud, map[string]any{"iat": now - 600, "exp": now - 300})),
				"another audience":             es256(key, claims(otherAud, nil)),
				"the other upstream's own":     map[string]string{"movieapi": goAssertion, "goapi": djAssertion}[up.aud],
				"HS256 with the gateway's key": hs256([]byte(harness.TestSigningKey), claims(up.aud, nil), "hs"),
				"HS256 with the public key":    hs256(pubPEM, claims(up.aud, nil), "assert-1"),
				"alg none":                     none(claims(up.aud, nil)),
				"an access token type":         es256(key, claims(up.aud, map[string]any{"token_type": "access"})),
				"the gateway's access token":   access,
			} {
				if r := call(a, "1"); r.Status != 401 {
					t.Errorf("%s: %d %s", name, r.Status, r.Body)
				}
			}
			if r := call(up.real, "2"); r.Status != 401 {
				t.Errorf("the gateway's assertion for user 1 with X-User-Id 2: %d %s", r.Status, r.Body)
			}
			if r := call(up.real, "1"); !up.ok(r) {
				t.Errorf("the gateway's own assertion refused: %d %s", r.Status, r.Body)
			}
		})
	}
}
