package token

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// minRSABits is the smallest RSA modulus New accepts.
const minRSABits = 2048

// codecImpl is the state of a Codec. It is built once by newCodecImpl and
// never changed afterwards, so it is safe for concurrent use.
type codecImpl struct {
	cfg    Config
	method jwt.SigningMethod
	// hdrSeg is the base64url header the codec writes; a token whose
	// header segment equals it needs no header parsing.
	hdrSeg string
	// hmacKey, hmacPool and hmacSize are set for the HS algorithms.
	hmacKey  []byte
	hmacPool *sync.Pool
	hmacSize int
	// signKey and verifyKey are set for the RS and ES algorithms.
	signKey   crypto.Signer
	verifyKey crypto.PublicKey
	// leeway is Config.Leeway in whole seconds, rounded down.
	leeway int64
	maxLen int
	names  *claimNames
}

// claimNames are the configured claim names that Claims needs to answer
// Type, JTI and UserID.
type claimNames struct {
	typ, jti, userID string
}

// algorithm describes one supported JWS algorithm.
type algorithm struct {
	method jwt.SigningMethod
	hash   crypto.Hash
	curve  elliptic.Curve // ES only
	kind   byte           // 'H', 'R' or 'E'
}

var algorithms = map[string]algorithm{
	"HS256": {jwt.SigningMethodHS256, crypto.SHA256, nil, 'H'},
	"HS384": {jwt.SigningMethodHS384, crypto.SHA384, nil, 'H'},
	"HS512": {jwt.SigningMethodHS512, crypto.SHA512, nil, 'H'},
	"RS256": {jwt.SigningMethodRS256, crypto.SHA256, nil, 'R'},
	"RS384": {jwt.SigningMethodRS384, crypto.SHA384, nil, 'R'},
	"RS512": {jwt.SigningMethodRS512, crypto.SHA512, nil, 'R'},
	"ES256": {jwt.SigningMethodES256, crypto.SHA256, elliptic.P256(), 'E'},
	"ES384": {jwt.SigningMethodES384, crypto.SHA384, elliptic.P384(), 'E'},
	"ES512": {jwt.SigningMethodES512, crypto.SHA512, elliptic.P521(), 'E'},
}

func newCodecImpl(cfg Config) (codecImpl, error) {
	cfg = cloneConfig(cfg)
	if cfg.Algorithm == "" {
		cfg.Algorithm = "HS256"
	}
	if cfg.MaxTokenLength == 0 {
		cfg.MaxTokenLength = DefaultMaxTokenLength
	}
	alg, ok := algorithms[cfg.Algorithm]
	if !ok {
		return codecImpl{}, fmt.Errorf("token: unsupported algorithm %q; use one of HS256, HS384, HS512, RS256, RS384, RS512, ES256, ES384, ES512", cfg.Algorithm)
	}
	if err := checkSettings(&cfg); err != nil {
		return codecImpl{}, err
	}
	c := codecImpl{
		cfg:    cfg,
		method: alg.method,
		hdrSeg: base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"` + cfg.Algorithm + `","typ":"JWT"}`)),
		leeway: int64(cfg.Leeway / time.Second),
		maxLen: cfg.MaxTokenLength,
		names:  &claimNames{typ: cfg.TokenTypeClaim, jti: cfg.JTIClaim, userID: cfg.UserIDClaim},
	}
	var err error
	switch alg.kind {
	case 'H':
		err = c.setHMACKey(cfg, alg)
	case 'R':
		err = c.setRSAKeys(cfg)
	case 'E':
		err = c.setECKeys(cfg, alg)
	}
	if err != nil {
		return codecImpl{}, err
	}
	return c, nil
}

func cloneConfig(cfg Config) Config {
	cfg.SigningKey = bytes.Clone(cfg.SigningKey)
	cfg.VerifyingKey = bytes.Clone(cfg.VerifyingKey)
	cfg.ExtraClaims = slices.Clone(cfg.ExtraClaims)
	return cfg
}

// checkSettings checks everything but the keys.
func checkSettings(cfg *Config) error {
	switch {
	case cfg.AccessLifetime <= 0:
		return fmt.Errorf("token: access token lifetime is %v; it must be positive (simplejwt's default is 5m)", cfg.AccessLifetime)
	case cfg.RefreshLifetime <= 0:
		return fmt.Errorf("token: refresh token lifetime is %v; it must be positive (simplejwt's default is 24h)", cfg.RefreshLifetime)
	case cfg.Leeway < 0:
		return fmt.Errorf("token: leeway is %v; it must not be negative", cfg.Leeway)
	case cfg.MaxTokenLength < 0:
		return fmt.Errorf("token: maximum token length is %d; it must be positive (0 means %d)", cfg.MaxTokenLength, DefaultMaxTokenLength)
	case cfg.UserIDClaim == "":
		return errors.New(`token: the user id claim name is empty; set it (simplejwt's default is "user_id")`)
	}
	// Claims the codec writes must not collide: a collision would make one
	// silently overwrite the other.
	reserved := map[string]string{"exp": "the expiry claim", "iat": "the issued-at claim"}
	if cfg.Audience != "" {
		reserved["aud"] = "the audience claim"
	}
	if cfg.Issuer != "" {
		reserved["iss"] = "the issuer claim"
	}
	for _, c := range []struct{ name, what string }{
		{cfg.TokenTypeClaim, "token type claim"},
		{cfg.JTIClaim, "token id claim"},
		{cfg.UserIDClaim, "user id claim"},
	} {
		if c.name == "" {
			continue
		}
		if other, dup := reserved[c.name]; dup {
			return fmt.Errorf("token: the %s is named %q, which is already %s; choose another name", c.what, c.name, other)
		}
		reserved[c.name] = "the " + c.what
	}
	return nil
}

func (c *codecImpl) setHMACKey(cfg Config, alg algorithm) error {
	key := cfg.SigningKey
	if len(cfg.VerifyingKey) != 0 {
		return fmt.Errorf("token: a verifying key is set, but %s uses the signing key for both signing and verifying; remove the verifying key", cfg.Algorithm)
	}
	if len(key) < MinHMACKeyLength {
		what := fmt.Sprintf("is %d bytes", len(key))
		if len(key) == 0 {
			what = "is empty"
		}
		return fmt.Errorf("token: signing key %s; %s needs at least %d random bytes (generate a key with, for example: openssl rand -base64 48)", what, cfg.Algorithm, MinHMACKeyLength)
	}
	if looksLikePEM(key) {
		// PyJWT refuses these too: a public key used as an HMAC secret is
		// the classic algorithm-confusion mistake.
		return fmt.Errorf("token: signing key is a PEM key, but %s needs a shared random secret; to sign with a key pair set the algorithm to RS256 or ES256", cfg.Algorithm)
	}
	if why := weakKey(key); why != "" {
		return fmt.Errorf("token: signing key %s (generate a key with, for example: openssl rand -base64 48)", why)
	}
	c.hmacKey = key
	c.hmacSize = alg.hash.Size()
	c.hmacPool = newHMACPool(alg.hash, key)
	return nil
}

func looksLikePEM(key []byte) bool {
	t := bytes.TrimSpace(key)
	return bytes.HasPrefix(t, []byte("-----BEGIN ")) || bytes.HasPrefix(t, []byte("ssh-"))
}

func (c *codecImpl) setRSAKeys(cfg Config) error {
	priv, err := jwt.ParseRSAPrivateKeyFromPEM(cfg.SigningKey)
	if err != nil {
		return keyError("signing", cfg.SigningKey, cfg.Algorithm, "an RSA private key (PKCS#1 or PKCS#8 PEM)")
	}
	if bits := priv.N.BitLen(); bits < minRSABits {
		return fmt.Errorf("token: signing key is a %d-bit RSA key; %s needs at least %d bits", bits, cfg.Algorithm, minRSABits)
	}
	pub := &priv.PublicKey
	if len(cfg.VerifyingKey) != 0 {
		vk, err := jwt.ParseRSAPublicKeyFromPEM(cfg.VerifyingKey)
		if err != nil {
			return keyError("verifying", cfg.VerifyingKey, cfg.Algorithm, "an RSA public key (PEM)")
		}
		if !vk.Equal(pub) {
			return errors.New("token: the verifying key is not the public half of the signing key; fix one of them, or leave the verifying key empty to derive it")
		}
		pub = vk
	}
	c.signKey, c.verifyKey = priv, pub
	return nil
}

func (c *codecImpl) setECKeys(cfg Config, alg algorithm) error {
	want := alg.curve.Params().Name
	priv, err := jwt.ParseECPrivateKeyFromPEM(cfg.SigningKey)
	if err != nil {
		return keyError("signing", cfg.SigningKey, cfg.Algorithm, "an EC private key on "+want+" (SEC 1 or PKCS#8 PEM)")
	}
	if priv.Curve != alg.curve {
		return fmt.Errorf("token: signing key is on curve %s; %s needs %s", priv.Curve.Params().Name, cfg.Algorithm, want)
	}
	pub := &priv.PublicKey
	if len(cfg.VerifyingKey) != 0 {
		vk, err := jwt.ParseECPublicKeyFromPEM(cfg.VerifyingKey)
		if err != nil {
			return keyError("verifying", cfg.VerifyingKey, cfg.Algorithm, "an EC public key on "+want+" (PEM)")
		}
		if vk.Curve != alg.curve {
			return fmt.Errorf("token: verifying key is on curve %s; %s needs %s", vk.Curve.Params().Name, cfg.Algorithm, want)
		}
		if !vk.Equal(pub) {
			return errors.New("token: the verifying key is not the public half of the signing key; fix one of them, or leave the verifying key empty to derive it")
		}
		pub = vk
	}
	c.signKey, c.verifyKey = priv, pub
	return nil
}

// keyError explains why a PEM key does not fit the algorithm. It never
// quotes the key.
func keyError(role string, key []byte, algName, want string) error {
	return fmt.Errorf("token: %s key is %s; %s needs %s", role, describeKey(key), algName, want)
}

// describeKey says what kind of key a PEM text holds, for error messages.
func describeKey(key []byte) string {
	if len(bytes.TrimSpace(key)) == 0 {
		return "empty"
	}
	block, _ := pem.Decode(key)
	if block == nil {
		return "not PEM-encoded"
	}
	var k any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(block.Bytes)
	case "PRIVATE KEY":
		k, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "PUBLIC KEY":
		k, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		k, err = x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		var cert *x509.Certificate
		if cert, err = x509.ParseCertificate(block.Bytes); err == nil {
			k = cert.PublicKey
		}
	default:
		return fmt.Sprintf("a PEM %q block", block.Type)
	}
	if err != nil {
		return fmt.Sprintf("a PEM %q block that does not parse", block.Type)
	}
	switch k := k.(type) {
	case *rsa.PrivateKey:
		return fmt.Sprintf("a %d-bit RSA private key", k.N.BitLen())
	case *rsa.PublicKey:
		return fmt.Sprintf("a %d-bit RSA public key", k.N.BitLen())
	case *ecdsa.PrivateKey:
		return "an EC private key on " + k.Curve.Params().Name
	case *ecdsa.PublicKey:
		return "an EC public key on " + k.Curve.Params().Name
	default:
		return fmt.Sprintf("a %T key", k)
	}
}

func (c *codecImpl) config() Config { return cloneConfig(c.cfg) }
