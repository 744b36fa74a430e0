package token

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
	"time"
)

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func TestNewDefaults(t *testing.T) {
	cfg := testConfig()
	cfg.Algorithm = ""
	cfg.MaxTokenLength = 0
	c := mustNew(t, cfg)
	got := c.Config()
	if got.Algorithm != "HS256" || got.MaxTokenLength != DefaultMaxTokenLength {
		t.Errorf("defaults not filled in: %q %d", got.Algorithm, got.MaxTokenLength)
	}
	// The codec keeps its own copy of the key.
	cfg.SigningKey[0] ^= 0xff
	got.SigningKey[1] ^= 0xff
	if _, err := c.Decode(hs256(stdHeader, accessPayload), testNow); err != nil {
		t.Errorf("changing the caller's key slice changed the codec: %v", err)
	}
	d := DefaultConfig()
	if d.Algorithm != "HS256" || d.AccessLifetime != 5*time.Minute || d.RefreshLifetime != 24*time.Hour ||
		d.TokenTypeClaim != "token_type" || d.JTIClaim != "jti" || d.UserIDClaim != "user_id" || d.Leeway != 0 {
		t.Errorf("DefaultConfig = %+v", d)
	}
	if _, err := New(DefaultConfig()); err == nil {
		t.Error("New accepted DefaultConfig without a signing key")
	}
}

func TestNewRefuses(t *testing.T) {
	v := loadVectors(t)
	rsaPriv := []byte(v.Asymmetric["RS256"].Private)
	rsaPub := []byte(v.Asymmetric["RS256"].Public)
	es256Priv := []byte(v.Asymmetric["ES256"].Private)
	es256Pub := []byte(v.Asymmetric["ES256"].Public)
	es384Priv := []byte(v.Asymmetric["ES384"].Private)
	es384Pub := []byte(v.Asymmetric["ES384"].Public)

	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	smallPEM := pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(small))
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	otherDER, _ := x509.MarshalPKIXPublicKey(&other.PublicKey)
	otherPub := pemBlock("PUBLIC KEY", otherDER)
	_, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	edDER, _ := x509.MarshalPKCS8PrivateKey(edPriv)
	edPEM := pemBlock("PRIVATE KEY", edDER)

	hs := func(mod func(*Config)) Config {
		cfg := testConfig()
		mod(&cfg)
		return cfg
	}
	asym := func(alg string, priv, pub []byte) Config {
		cfg := testConfig()
		cfg.Algorithm, cfg.SigningKey, cfg.VerifyingKey = alg, priv, pub
		return cfg
	}
	cases := []struct {
		name string
		cfg  Config
		want string // a fragment of the error
	}{
		{"unknown algorithm", hs(func(c *Config) { c.Algorithm = "none" }), `unsupported algorithm "none"`},
		{"lower-case algorithm", hs(func(c *Config) { c.Algorithm = "hs256" }), "unsupported algorithm"},
		{"PS256 with a secret", hs(func(c *Config) { c.Algorithm = "PS256" }), "not PEM-encoded; PS256 needs an RSA private key"},
		{"EdDSA with a secret", hs(func(c *Config) { c.Algorithm = "EdDSA" }), "not PEM-encoded; EdDSA needs an Ed25519 private key"},
		{"EdDSA with an RSA key", asym("EdDSA", rsaPriv, nil), "RSA private key; EdDSA needs an Ed25519 private key"},
		{"ES256 with an Ed25519 key", asym("ES256", edPEM, nil), "Ed25519 private key; ES256 needs an EC private key"},
		{"empty key", hs(func(c *Config) { c.SigningKey = nil }), "signing key is empty; HS256 needs at least 32 random bytes"},
		{"short key", hs(func(c *Config) { c.SigningKey = []byte("short-secret") }), "signing key is 12 bytes; HS256 needs at least 32 random bytes"},
		{"31 bytes", hs(func(c *Config) { c.SigningKey = make([]byte, 31) }), "31 bytes"},
		{"short HS512 key", hs(func(c *Config) { c.Algorithm = "HS512"; c.SigningKey = []byte("x") }), "HS512 needs at least 64"},
		{"HS384 with 32 bytes", hs(func(c *Config) { c.Algorithm = "HS384"; c.SigningKey = []byte("k4Y9-wQ2_zR7pX1cV6bN3mL8hJ5gF0dS") }), "is 32 bytes; HS384 needs at least 48"},
		{"HS512 with 50 bytes", hs(func(c *Config) { c.Algorithm = "HS512" }), "is 50 bytes; HS512 needs at least 64"},
		{"HMAC with verifying key", hs(func(c *Config) { c.VerifyingKey = rsaPub }), "remove the verifying key"},
		{"HMAC with a public key PEM", hs(func(c *Config) { c.SigningKey = rsaPub }), "PEM key"},
		{"HMAC with a private key PEM", hs(func(c *Config) { c.SigningKey = rsaPriv }), "PEM key"},
		{"access lifetime 0", hs(func(c *Config) { c.AccessLifetime = 0 }), "access token lifetime"},
		{"refresh lifetime negative", hs(func(c *Config) { c.RefreshLifetime = -time.Second }), "refresh token lifetime"},
		{"negative leeway", hs(func(c *Config) { c.Leeway = -time.Second }), "leeway"},
		{"negative max length", hs(func(c *Config) { c.MaxTokenLength = -1 }), "maximum token length"},
		{"no user id claim", hs(func(c *Config) { c.UserIDClaim = "" }), "user id claim name is empty"},
		{"type claim named exp", hs(func(c *Config) { c.TokenTypeClaim = "exp" }), `named "exp"`},
		{"jti claim named iat", hs(func(c *Config) { c.JTIClaim = "iat" }), `named "iat"`},
		{"user id claim named like the type claim", hs(func(c *Config) { c.UserIDClaim = "token_type" }), `named "token_type"`},
		{"user id claim named aud with an audience", hs(func(c *Config) { c.Audience = "x"; c.UserIDClaim = "aud" }), `named "aud"`},

		{"RS256 without key", asym("RS256", nil, nil), "signing key is empty; RS256 needs an RSA private key"},
		{"RS256 with a secret", asym("RS256", []byte(testSecret), nil), "not PEM-encoded"},
		{"RS256 with a public key as signing key", asym("RS256", rsaPub, nil), "RSA public key"},
		{"RS256 with an EC key", asym("RS256", es256Priv, nil), "EC private key on P-256; RS256 needs an RSA private key"},
		{"RS256 with an Ed25519 key", asym("RS256", edPEM, nil), "Ed25519"},
		{"RS256 with a 1024-bit key", asym("RS256", smallPEM, nil), "1024-bit RSA private key; RS256 needs at least 2048 bits"},
		{"RS256 with an EC verifying key", asym("RS256", rsaPriv, es256Pub), "verifying key is an EC public key"},
		{"RS256 with garbage verifying key", asym("RS256", rsaPriv, []byte("nope")), "verifying key is not PEM-encoded"},
		{"ES256 with an RSA key", asym("ES256", rsaPriv, nil), "RSA private key; ES256 needs an EC private key on P-256"},
		{"ES256 with a P-384 key", asym("ES256", es384Priv, nil), "on P-384; ES256 needs an EC private key on P-256"},
		{"ES384 with a P-256 key", asym("ES384", es256Priv, nil), "on P-256; ES384 needs an EC private key on P-384"},
		{"ES256 with a P-384 verifying key", asym("ES256", es256Priv, es384Pub), "public key on P-384; ES256 needs an EC public key on P-256"},
		{"ES256 with someone else's public key", asym("ES256", es256Priv, otherPub), "not the public half"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(tc.cfg)
			if err == nil {
				t.Fatalf("New accepted the config (%v)", c.Config().Algorithm)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "token: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			for _, secret := range [][]byte{tc.cfg.SigningKey, tc.cfg.VerifyingKey} {
				if len(secret) >= 8 && strings.Contains(err.Error(), string(secret)) {
					t.Errorf("error %q quotes a key", err)
				}
			}
		})
	}
}

func TestNewAcceptsKeyFormats(t *testing.T) {
	v := loadVectors(t)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(key)
	pkix, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	ec, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	sec1, _ := x509.MarshalECPrivateKey(ec)
	cases := []struct {
		name, alg string
		priv, pub []byte
	}{
		{"RSA PKCS#1", "RS256", pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key)), nil},
		{"RSA PKCS#8", "RS384", pemBlock("PRIVATE KEY", pkcs8), nil},
		{"RSA with PKIX public key", "RS512", pemBlock("PRIVATE KEY", pkcs8), pemBlock("PUBLIC KEY", pkix)},
		{"RSA with PKCS#1 public key", "RS256", pemBlock("PRIVATE KEY", pkcs8), pemBlock("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&key.PublicKey))},
		{"EC SEC 1 on P-521", "ES512", pemBlock("EC PRIVATE KEY", sec1), nil},
		{"EC PKCS#8 P-256 with public key", "ES256", []byte(v.Asymmetric["ES256"].Private), []byte(v.Asymmetric["ES256"].Public)},
		{"HS384 with 48 bytes", "HS384", []byte("k4Y9-wQ2_zR7pX1cV6bN3mL8hJ5gF0dSk4Y9-wQ2_zR7pX1c"), nil},
		{"HS512 with 64 bytes", "HS512", []byte(testSecret64), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Algorithm, cfg.SigningKey, cfg.VerifyingKey = tc.alg, tc.priv, tc.pub
			c := mustNew(t, cfg)
			r, a, err := c.NewPair(int64(3), testNow)
			if err != nil {
				t.Fatal(err)
			}
			for _, tok := range []string{r.Token, a.Token} {
				if !strings.HasPrefix(tok, b64(`{"alg":"`+tc.alg+`","typ":"JWT"}`)+".") {
					t.Errorf("header of %s token: %s", tc.alg, tok[:strings.IndexByte(tok, '.')])
				}
				if _, err := c.Decode(tok, testNow); err != nil {
					t.Errorf("own token does not decode: %v", err)
				}
			}
		})
	}
}
