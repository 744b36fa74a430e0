package token

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// testKeyPEMs holds one generated private key per asymmetric algorithm
// family, shared by the tests of this file (RSA generation is slow).
var testKeyPEMs = sync.OnceValue(func() map[string][]byte {
	m := map[string][]byte{}
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	for name, k := range map[string]any{"RSA": rsaKey, "ES256": p256, "ES384": p384, "ES512": p521, "EdDSA": ed} {
		der, _ := x509.MarshalPKCS8PrivateKey(k)
		m[name] = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
	return m
})

// keyFor returns a private key (PEM, or an HMAC secret) for alg.
func keyFor(alg string) []byte {
	switch alg[:2] {
	case "HS":
		return []byte(testSecret64)
	case "RS", "PS":
		return testKeyPEMs()["RSA"]
	}
	return testKeyPEMs()[alg]
}

// publicPEM returns the PEM public key of a private key PEM.
func publicPEM(t testing.TB, priv []byte) []byte {
	t.Helper()
	k, err := parseKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(k.(crypto.Signer).Public())
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func setConfig(keys ...Key) Config {
	cfg := DefaultConfig()
	cfg.Keys = keys
	return cfg
}

var allAlgorithms = []string{"HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// TestKeySetRoundTrip: every algorithm signs with its kid in the header,
// verifies its own tokens, a verify-only codec holding only the public key
// verifies them too, and golang-jwt verifies them with the same key.
func TestKeySetRoundTrip(t *testing.T) {
	for _, alg := range allAlgorithms {
		t.Run(alg, func(t *testing.T) {
			priv := keyFor(alg)
			c := mustNew(t, setConfig(Key{ID: "k-" + alg, Algorithm: alg, SigningKey: priv, Signs: true}))
			_, a, err := c.NewPair(int64(7), time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if want := b64(`{"alg":"` + alg + `","kid":"k-` + alg + `","typ":"JWT"}`); !strings.HasPrefix(a.Token, want+".") {
				t.Errorf("header %s, want %s", a.Token[:strings.IndexByte(a.Token, '.')], want)
			}
			var ac AccessClaims
			if err := c.VerifyAccess(a.Token, time.Now(), &ac); err != nil || string(ac.UserID) != "7" {
				t.Fatalf("own token: %v (user %s)", err, ac.UserID)
			}
			var verifyKey any = priv
			if alg[:2] != "HS" {
				pub := publicPEM(t, priv)
				// Verify-only: the public key alone, under the same kid,
				// beside another signing key.
				v := mustNew(t, setConfig(
					Key{ID: "signer", Algorithm: "HS256", SigningKey: []byte(testSecret), Signs: true},
					Key{ID: "k-" + alg, Algorithm: alg, VerifyingKey: pub}))
				if err := v.VerifyAccess(a.Token, time.Now(), &ac); err != nil {
					t.Errorf("verify-only public key: %v", err)
				}
				m, _ := parseKey(pub)
				verifyKey = m
			}
			p := jwt.NewParser(jwt.WithValidMethods([]string{alg}), jwt.WithStrictDecoding(), jwt.WithExpirationRequired())
			if _, err := p.Parse(a.Token, func(*jwt.Token) (any, error) { return verifyKey, nil }); err != nil {
				t.Errorf("golang-jwt refuses our %s token: %v", alg, err)
			}
		})
	}
}

// TestKeySetSelection: kid picks the key by exact bytes, the header alg
// must be that key's, and a kid-less token goes to the key configured for
// it.
func TestKeySetSelection(t *testing.T) {
	old := []byte(testSecret)
	newKey := []byte(testSecret64)
	c := mustNew(t, setConfig(
		Key{ID: "old", Algorithm: "HS256", SigningKey: old},
		Key{ID: "new", Algorithm: "HS512", SigningKey: newKey, Signs: true},
		Key{ID: "es", Algorithm: "ES256", SigningKey: keyFor("ES256")},
		Key{Algorithm: "HS256", SigningKey: []byte("django-shared-secret-0123456789abcdefghij"), VerifiesWithoutKID: true},
	))
	hs := func(key []byte, hdr string) string { return hmacToken(sha512.New, key, hdr, accessPayload) }
	hs256With := func(key []byte, hdr string) string {
		return hmacToken(sha256.New, key, hdr, accessPayload)
	}
	django := []byte("django-shared-secret-0123456789abcdefghij")
	cases := []struct {
		name, tok, reason string
	}{
		{"kid old, its key", hs256With(old, `{"alg":"HS256","kid":"old","typ":"JWT"}`), ""},
		{"kid old, key order differs", hs256With(old, `{"typ":"JWT","kid":"old","alg":"HS256"}`), ""},
		{"kid old escaped", hs256With(old, `{"alg":"HS256","kid":"\u006fld"}`), ""},
		{"kid new, its key", hs(newKey, `{"alg":"HS512","kid":"new","typ":"JWT"}`), ""},
		{"no kid, Django's key", hs256With(django, `{"alg":"HS256","typ":"JWT"}`), ""},
		{"no kid, the old key", hs256With(old, `{"alg":"HS256","typ":"JWT"}`), "signature"},
		{"kid old, signed with new", hs256With(newKey, `{"alg":"HS256","kid":"old"}`), "signature"},
		{"kid new, header HS256", hs256With(newKey, `{"alg":"HS256","kid":"new"}`), "algorithm"},
		{"kid es, header HS256 with the PEM", hs256With(keyFor("ES256"), `{"alg":"HS256","kid":"es"}`), "algorithm"},
		{"kid unknown", hs256With(old, `{"alg":"HS256","kid":"older"}`), "unknown_kid"},
		{"kid prefix", hs256With(old, `{"alg":"HS256","kid":"ol"}`), "unknown_kid"},
		{"kid case", hs256With(old, `{"alg":"HS256","kid":"OLD"}`), "unknown_kid"},
		{"kid empty", hs256With(django, `{"alg":"HS256","kid":""}`), "unknown_kid"},
		{"kid null", hs256With(django, `{"alg":"HS256","kid":null}`), "unknown_kid"},
		{"kid number", hs256With(old, `{"alg":"HS256","kid":1}`), "unknown_kid"},
		{"kid array", hs256With(old, `{"alg":"HS256","kid":["old"]}`), "unknown_kid"},
		{"kid 4 KB", hs256With(old, `{"alg":"HS256","kid":"`+strings.Repeat("o", 4<<10)+`"}`), "unknown_kid"},
		{"two kids", hs256With(old, `{"alg":"HS256","kid":"old","kid":"new"}`), "header"},
		{"jwk beside a good kid", hs256With(old, `{"alg":"HS256","kid":"old","jwk":{"kty":"oct","k":"AA"}}`), "key_in_header"},
		{"jku beside a good kid", hs256With(old, `{"alg":"HS256","kid":"old","jku":"http://127.0.0.1:1/"}`), "key_in_header"},
		{"x5u", hs256With(old, `{"alg":"HS256","kid":"old","x5u":"http://127.0.0.1:1/"}`), "key_in_header"},
		{"alg none", b64(`{"alg":"none","kid":"old"}`) + "." + b64(accessPayload) + ".AA", "algorithm"},
	}
	var a AccessClaims
	for _, tc := range cases {
		err := c.VerifyAccess(tc.tok, testNow, &a)
		if tc.reason == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if r := reasonOf(t, err); r != tc.reason {
			t.Errorf("%s: reason %q, want %q", tc.name, r, tc.reason)
		}
	}

	// Without a key for kid-less tokens, they are refused.
	nokid := mustNew(t, setConfig(Key{ID: "a", Algorithm: "HS256", SigningKey: old, Signs: true}))
	if r := reasonOf(t, nokid.VerifyAccess(hs256With(old, stdHeader), testNow, &a)); r != "unknown_kid" {
		t.Errorf("kid-less token without a kid-less key: %q", r)
	}
}

// TestRotationStates walks the documented rotation: 1 (k1 signs),
// 2 (k1 signs, k2 verifies), 3 (k2 signs, k1 verifies), 4 (k2 alone). At
// every step each instance accepts what any instance one step away
// issues, and step 4 refuses k1's tokens.
func TestRotationStates(t *testing.T) {
	k1 := Key{ID: "2025", Algorithm: "ES256", SigningKey: keyFor("ES256")}
	k2 := Key{ID: "2026", Algorithm: "EdDSA", SigningKey: keyFor("EdDSA")}
	sign := func(k Key) Key { k.Signs = true; return k }
	steps := []*Codec{
		mustNew(t, setConfig(sign(k1))),
		mustNew(t, setConfig(sign(k1), k2)),
		mustNew(t, setConfig(k1, sign(k2))),
		mustNew(t, setConfig(sign(k2))),
	}
	now := time.Now()
	var a AccessClaims
	for i, issuer := range steps {
		_, tok, err := issuer.NewPair(int64(1), now)
		if err != nil {
			t.Fatal(err)
		}
		for j, verifier := range steps {
			err := verifier.VerifyAccess(tok.Token, now, &a)
			// Step 1's tokens (k1) are refused only at step 4, step 3–4's
			// (k2) only at step 1.
			refused := (i <= 1 && j == 3) || (i >= 2 && j == 0)
			if refused {
				if r := reasonOf(t, err); r != "unknown_kid" {
					t.Errorf("step %d token at step %d: %q, want unknown_kid", i+1, j+1, r)
				}
			} else if err != nil {
				t.Errorf("step %d token at step %d: %v", i+1, j+1, err)
			}
		}
	}
}

// TestKeySetRefuses: a set that cannot work refuses to load, naming the
// key, without quoting it.
func TestKeySetRefuses(t *testing.T) {
	hs := func(id string, signs bool) Key {
		return Key{ID: id, Algorithm: "HS256", SigningKey: []byte(testSecret), Signs: signs}
	}
	rsaPEM := keyFor("RS256")
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"two keys, one kid", setConfig(hs("a", true), hs("a", false)), `two keys have the kid "a"`},
		{"no signing key", setConfig(hs("a", false), hs("b", false)), "no key signs"},
		{"two signing keys", setConfig(hs("a", true), hs("b", true)), `key "a" and key "b" both sign`},
		{"two kid-less keys", setConfig(Key{ID: "a", Algorithm: "HS256", SigningKey: []byte(testSecret), Signs: true, VerifiesWithoutKID: true},
			Key{ID: "b", Algorithm: "HS256", SigningKey: []byte(testSecret64), VerifiesWithoutKID: true}), "both verify tokens without kid"},
		{"kid with a quote", setConfig(hs(`a"b`, true)), "printable ASCII"},
		{"kid with a space", setConfig(hs("a b", true)), "printable ASCII"},
		{"kid too long", setConfig(hs(strings.Repeat("k", MaxKIDLength+1), true)), "at most 128"},
		{"unknown algorithm", setConfig(Key{ID: "x", Algorithm: "RS1", SigningKey: rsaPEM, Signs: true}), `key "x": unsupported algorithm "RS1"`},
		{"wrong key type", setConfig(hs("s", true), Key{ID: "ed", Algorithm: "EdDSA", SigningKey: rsaPEM}), `key "ed": signing key is a 2048-bit RSA private key; EdDSA needs an Ed25519`},
		{"malformed key", setConfig(hs("s", true), Key{ID: "bad", Algorithm: "RS256", VerifyingKey: []byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")}), `key "bad": verifying key is`},
		{"short HS384 in a set", setConfig(Key{ID: "h", Algorithm: "HS384", SigningKey: []byte(testSecret[:40]), Signs: true}), `key "h": signing key is 40 bytes; HS384 needs at least 48`},
		{"public-only signer", setConfig(Key{ID: "p", Algorithm: "RS256", VerifyingKey: publicPEM(t, rsaPEM), Signs: true}), `key "p": signing key is empty`},
		{"no key at all", setConfig(hs("s", true), Key{ID: "e", Algorithm: "ES256"}), `key "e": has no key`},
		{"set beside a single key", func() Config { c := setConfig(hs("a", true)); c.SigningKey = []byte(testSecret); return c }(), "both a key set and a single"},
	}
	for _, tc := range cases {
		_, err := New(tc.cfg)
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %q does not say %q", tc.name, err, tc.want)
		}
		if strings.Contains(err.Error(), testSecret[:20]) || strings.Contains(err.Error(), "MII") {
			t.Errorf("%s: error %q quotes a key", tc.name, err)
		}
	}
}

// TestJWKS: the set's public keys as RFC 7517 JSON with kid, alg and use;
// HMAC never; each published key parses back to the configured one.
func TestJWKS(t *testing.T) {
	keys := []Key{
		{ID: "hmac", Algorithm: "HS256", SigningKey: []byte(testSecret)},
		{ID: "ed", Algorithm: "EdDSA", SigningKey: keyFor("EdDSA"), Signs: true},
	}
	for _, alg := range []string{"RS256", "PS384", "ES256", "ES384", "ES512"} {
		keys = append(keys, Key{ID: "k-" + alg, Algorithm: alg, VerifyingKey: publicPEM(t, keyFor(alg))})
	}
	keys = append(keys, Key{Algorithm: "ES256", VerifyingKey: publicPEM(t, keyFor("ES256")), VerifiesWithoutKID: true})
	c := mustNew(t, setConfig(keys...))
	raw := c.JWKS()
	if strings.Contains(string(raw), `"oct"`) || strings.Contains(string(raw), "hmac") || strings.Contains(string(raw), `"d"`) {
		t.Fatalf("JWKS publishes a secret: %s", raw)
	}
	var set struct {
		Keys []map[string]json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(raw, &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != len(keys)-1 {
		t.Fatalf("%d keys published, want %d: %s", len(set.Keys), len(keys)-1, raw)
	}
	for i, m := range set.Keys {
		var kid, alg, use string
		json.Unmarshal(m["kid"], &kid)
		json.Unmarshal(m["alg"], &alg)
		json.Unmarshal(m["use"], &use)
		if use != "sig" || kid == "" {
			t.Errorf("key %d: use %q kid %q", i, use, kid)
		}
		if i == 0 && kid != "ed" {
			t.Errorf("first key is %q, want the signing key", kid)
		}
		b, _ := json.Marshal(m)
		pub, err := parseJWK(b)
		if err != nil {
			t.Errorf("key %s does not parse back: %v", kid, err)
			continue
		}
		want := c.keys[i+1].verifyKey // configuration order minus the HMAC key
		if i == 0 {
			want = c.signer.verifyKey
		}
		if !want.(interface{ Equal(crypto.PublicKey) bool }).Equal(pub) {
			t.Errorf("key %s (%s) differs from the configured key", kid, alg)
		}
	}
	// The kid-less key is published under its RFC 7638 thumbprint: the
	// same key's thumbprint is stable.
	last := set.Keys[len(set.Keys)-1]
	if string(last["kid"]) == `""` || len(last["kid"]) != 45 {
		t.Errorf("kid-less key published as %s, want a 43-character thumbprint", last["kid"])
	}
}

// TestKeysFromJWK: a key given as a JWK (private or public) works as the
// same key given as PEM.
func TestKeysFromJWK(t *testing.T) {
	for _, alg := range []string{"RS256", "ES384", "EdDSA"} {
		pemKey := keyFor(alg)
		c := mustNew(t, setConfig(Key{ID: "p", Algorithm: alg, SigningKey: pemKey, Signs: true}))
		var set struct{ Keys []json.RawMessage }
		json.Unmarshal(c.JWKS(), &set)
		v := mustNew(t, setConfig(Key{ID: "s", Algorithm: "HS256", SigningKey: []byte(testSecret), Signs: true},
			Key{ID: "p", Algorithm: alg, VerifyingKey: set.Keys[0]}))
		_, a, _ := c.NewPair(int64(1), time.Now())
		var ac AccessClaims
		if err := v.VerifyAccess(a.Token, time.Now(), &ac); err != nil {
			t.Errorf("%s public JWK: %v", alg, err)
		}
	}
	oct := []byte(`{"kty":"oct","k":"` + b64(testSecret64) + `"}`)
	c := mustNew(t, setConfig(Key{ID: "o", Algorithm: "HS512", SigningKey: oct, Signs: true}))
	if c.signer.hmacKey == nil || string(c.signer.hmacKey) != testSecret64 {
		t.Error("oct JWK not decoded")
	}
}

// TestKeySetAllocs: selecting a key by kid, or refusing an unknown kid,
// does not allocate.
func TestKeySetAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("-race: sync.Pool drops items on purpose")
	}
	c := mustNew(t, setConfig(
		Key{ID: "old", Algorithm: "HS256", SigningKey: []byte(testSecret)},
		Key{ID: "new", Algorithm: "HS256", SigningKey: []byte(testSecret64), Signs: true, VerifiesWithoutKID: true},
	))
	toks := map[string]string{
		"kid, written form": hmacToken(sha256.New, []byte(testSecret), `{"alg":"HS256","kid":"old","typ":"JWT"}`, accessPayload),
		"kid, other order":  hmacToken(sha256.New, []byte(testSecret), `{"kid":"old","alg":"HS256"}`, accessPayload),
		"unknown kid":       hmacToken(sha256.New, []byte(testSecret), `{"alg":"HS256","kid":"older"}`, accessPayload),
		"no kid":            hmacToken(sha256.New, []byte(testSecret64), stdHeader, accessPayload),
	}
	var a AccessClaims
	for name, tok := range toks {
		if n := testing.AllocsPerRun(200, func() { _ = c.VerifyAccess(tok, testNow, &a) }); n != 0 {
			t.Errorf("%s: %v allocs", name, n)
		}
	}
}

// FuzzKeySetHeader: any header, signed with any key of the set, is
// accepted only when its kid (or its absence) selects that very key and
// its alg is that key's; never a panic.
func FuzzKeySetHeader(f *testing.F) {
	for _, h := range []string{stdHeader, `{"alg":"HS256","kid":"old"}`, `{"alg":"HS512","kid":"new"}`, `{"alg":"HS256","kid":"new"}`,
		`{"alg":"HS256","kid":"\u006fld"}`, `{"alg":"HS256","kid":7}`, `{"alg":"HS256","jwk":{}}`} {
		f.Add(h, uint8(0))
		f.Add(h, uint8(1))
		f.Add(h, uint8(2))
	}
	secrets := [][]byte{[]byte(testSecret), []byte(testSecret64), []byte("django-shared-secret-0123456789abcdefghij")}
	c := mustNew(f, setConfig(
		Key{ID: "old", Algorithm: "HS256", SigningKey: secrets[0]},
		Key{ID: "new", Algorithm: "HS512", SigningKey: secrets[1], Signs: true},
		Key{Algorithm: "HS256", SigningKey: secrets[2], VerifiesWithoutKID: true},
	))
	f.Fuzz(func(t *testing.T, header string, which uint8) {
		i := int(which) % 3
		alg := []string{"HS256", "HS512", "HS256"}[i]
		var tok string
		if alg == "HS512" {
			tok = hmacToken(sha512.New, secrets[i], header, accessPayload)
		} else {
			tok = hmacToken(sha256.New, secrets[i], header, accessPayload)
		}
		var a AccessClaims
		if c.VerifyAccess(tok, testNow, &a) != nil {
			return
		}
		var h map[string]any
		if err := json.Unmarshal([]byte(header), &h); err != nil {
			t.Fatalf("accepted a header encoding/json refuses: %q", header)
		}
		kid, hasKID := h["kid"]
		wantKID := []any{"old", "new", nil}[i]
		if hasKID != (wantKID != nil) || (hasKID && kid != wantKID) || h["alg"] != alg {
			t.Fatalf("header %q accepted with key %d", header, i)
		}
		for _, p := range []string{"jwk", "jku", "x5u", "x5c", "crit"} {
			if _, ok := h[p]; ok {
				t.Fatalf("header %q with %s accepted", header, p)
			}
		}
	})
}
