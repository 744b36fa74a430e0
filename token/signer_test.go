package token

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// TestSigner: a Signer signs with the named asymmetric key and writes the
// kid the JWK Set lists it under, so golang-jwt verifies its tokens with
// that published key; HMAC keys, public-only keys and unknown kids are
// refused.
func TestSigner(t *testing.T) {
	c := mustNew(t, setConfig(
		Key{ID: "hmac", Algorithm: "HS256", SigningKey: []byte(testSecret64), Signs: true},
		Key{ID: "ed", Algorithm: "EdDSA", SigningKey: keyFor("EdDSA")},
		Key{ID: "pub", Algorithm: "ES256", VerifyingKey: publicPEM(t, keyFor("ES256"))},
	))
	s, err := c.Signer("ed")
	if err != nil {
		t.Fatal(err)
	}
	if s.KeyID() != "ed" || s.Algorithm() != "EdDSA" {
		t.Fatalf("kid %q alg %q", s.KeyID(), s.Algorithm())
	}
	tok, err := s.Sign([]byte(`{"sub":"42","exp":4000000000}`))
	if err != nil {
		t.Fatal(err)
	}
	var set struct{ Keys []json.RawMessage }
	if err := json.Unmarshal(c.JWKS(), &set); err != nil || len(set.Keys) != 2 {
		t.Fatalf("JWKS %s: %v", c.JWKS(), err)
	}
	pub, _ := parseJWK(set.Keys[0])
	claims := jwt.MapClaims{}
	parsed, err := jwt.ParseWithClaims(tok, claims, func(tk *jwt.Token) (any, error) {
		if tk.Header["kid"] != "ed" {
			t.Errorf("kid %v", tk.Header["kid"])
		}
		return pub, nil
	}, jwt.WithValidMethods([]string{"EdDSA"}), jwt.WithStrictDecoding())
	if err != nil || !parsed.Valid || claims["sub"] != "42" {
		t.Fatalf("golang-jwt: %v %v", err, claims)
	}

	for kid, want := range map[string]string{"": "HMAC", "hmac": "HMAC", "pub": "only its public key", "nope": "not a key of the set"} {
		if _, err := c.Signer(kid); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Signer(%q): %v, want %q", kid, err, want)
		}
	}

	// The single-key form has no kid: the thumbprint the JWK Set shows.
	single := DefaultConfig()
	single.Algorithm, single.SigningKey = "ES256", keyFor("ES256")
	c = mustNew(t, single)
	s, err = c.Signer("")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(c.JWKS()), `"kid":"`+s.KeyID()+`"`) || len(s.KeyID()) != 43 {
		t.Errorf("kid %q not in %s", s.KeyID(), c.JWKS())
	}
}
