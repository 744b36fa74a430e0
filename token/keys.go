package token

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"math/big"
	"slices"
	"strings"
	"sync"
)

// MaxKIDLength bounds a configured kid; a token header's kid longer than
// this names no key.
const MaxKIDLength = 128

// newKey checks one configured key and resolves its material. Errors name
// the key by its kid and never quote key material.
func newKey(k Key) (keyImpl, error) {
	ki := keyImpl{id: k.ID, alg: k.Algorithm}
	// A kid of printable ASCII without quote or backslash is written into
	// a header as is and compared as bytes.
	if len(k.ID) > MaxKIDLength {
		return keyImpl{}, ki.errorf("kid is %d bytes; at most %d are allowed", len(k.ID), MaxKIDLength)
	}
	if strings.ContainsFunc(k.ID, func(r rune) bool { return r < 0x21 || r > 0x7e || r == '"' || r == '\\' }) {
		return keyImpl{}, ki.errorf(`kid may hold only printable ASCII without spaces, '"' or '\'`)
	}
	alg, ok := algorithms[k.Algorithm]
	if !ok {
		return keyImpl{}, ki.errorf("unsupported algorithm %q; use one of %s", k.Algorithm, algorithmNames)
	}
	ki.method = alg.method
	hdr := `{"alg":"` + k.Algorithm + `",`
	if k.ID != "" {
		hdr += `"kid":"` + k.ID + `",`
	}
	ki.hdrSeg = base64.RawURLEncoding.EncodeToString([]byte(hdr + `"typ":"JWT"}`))
	set := ki.setAsymmetric
	if alg.kind == 'H' {
		set = ki.setHMAC
	}
	if err := set(k, alg); err != nil {
		return keyImpl{}, err
	}
	return ki, nil
}

// label names the key in error messages.
func (k *keyImpl) label() string {
	if k.id == "" {
		return "the key without kid"
	}
	return fmt.Sprintf("key %q", k.id)
}

func (k *keyImpl) errorf(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if k.id == "" {
		return errors.New("token: " + msg)
	}
	return fmt.Errorf("token: key %q: %s", k.id, msg)
}

func (k *keyImpl) setHMAC(cfg Key, alg algorithm) error {
	key := cfg.SigningKey
	if len(cfg.VerifyingKey) != 0 {
		return k.errorf("a verifying key is set, but %s uses the signing key for both signing and verifying; remove the verifying key", cfg.Algorithm)
	}
	if isJWK(key) {
		m, err := parseJWK(key)
		if err != nil {
			return k.errorf("signing key: %v", err)
		}
		b, ok := m.([]byte)
		if !ok {
			return k.errorf("signing key is %s; %s needs an oct JWK or a shared random secret", describe(m), cfg.Algorithm)
		}
		key = b
	}
	// RFC 7518 §3.2: a key of at least the hash output size.
	minLen := alg.hash.Size()
	if len(key) < minLen {
		what := fmt.Sprintf("is %d bytes", len(key))
		if len(key) == 0 {
			what = "is empty"
		}
		return k.errorf("signing key %s; %s needs at least %d random bytes (generate a key with, for example: caddy jwtgate gen-signing-key --algorithm %s)", what, cfg.Algorithm, minLen, cfg.Algorithm)
	}
	if looksLikePEM(key) {
		// PyJWT refuses these too: a public key used as an HMAC secret is
		// the classic algorithm-confusion mistake.
		return k.errorf("signing key is a PEM key, but %s needs a shared random secret; to sign with a key pair choose RS256, PS256, ES256 or EdDSA", cfg.Algorithm)
	}
	if why := weakKey(key); why != "" {
		return k.errorf("signing key %s (generate a key with, for example: caddy jwtgate gen-signing-key)", why)
	}
	k.hmacKey = key
	k.hmacPool = newHMACPool(alg.hash, key)
	return nil
}

// newHMACPool returns a pool of keyed HMAC instances. Keying an HMAC costs
// two allocations and two compression-function calls; reusing instances
// keeps the verify path free of both.
func newHMACPool(h crypto.Hash, key []byte) *sync.Pool {
	return &sync.Pool{New: func() any { return hmac.New(h.New, key) }}
}

// hmacEqual reports whether sig is the HMAC of msg. The MAC is
// appended to scratch, which is returned so the caller keeps a grown
// buffer.
func (k *keyImpl) hmacEqual(msg, sig, scratch []byte) (bool, []byte) {
	h := k.hmacPool.Get().(hash.Hash)
	h.Reset()
	h.Write(msg)
	start := len(scratch)
	scratch = h.Sum(scratch)
	k.hmacPool.Put(h)
	return hmac.Equal(scratch[start:], sig), scratch
}

func looksLikePEM(key []byte) bool {
	t := bytes.TrimSpace(key)
	return bytes.HasPrefix(t, []byte("-----BEGIN ")) || bytes.HasPrefix(t, []byte("ssh-"))
}

// wants says which key an asymmetric algorithm needs, for errors.
func wants(alg algorithm, private bool) string {
	switch {
	case alg.kind == 'R' && private:
		return "an RSA private key (PKCS#1 or PKCS#8 PEM, or a JWK)"
	case alg.kind == 'R':
		return "an RSA public key (PEM or JWK)"
	case alg.kind == 'E' && private:
		return "an EC private key on " + alg.curve.Params().Name + " (SEC 1 or PKCS#8 PEM, or a JWK)"
	case alg.kind == 'E':
		return "an EC public key on " + alg.curve.Params().Name + " (PEM or JWK)"
	case private:
		return "an Ed25519 private key (PEM or JWK)"
	}
	return "an Ed25519 public key (PEM or JWK)"
}

func (k *keyImpl) setAsymmetric(cfg Key, alg algorithm) error {
	var pub crypto.PublicKey
	if len(cfg.SigningKey) != 0 || cfg.Signs {
		m, p, err := k.loadKey(cfg, alg, true)
		if err != nil {
			return err
		}
		k.signKey, pub = m.(crypto.Signer), p
	}
	if len(cfg.VerifyingKey) != 0 {
		_, m, err := k.loadKey(cfg, alg, false)
		if err != nil {
			return err
		}
		if pub != nil && !pub.(interface{ Equal(crypto.PublicKey) bool }).Equal(m) {
			return k.errorf("the verifying key is not the public half of the signing key; fix one of them, or leave the verifying key empty to derive it")
		}
		pub = m
	}
	if pub == nil {
		return k.errorf("has no key; %s needs %s, or the private key", cfg.Algorithm, wants(alg, false))
	}
	k.verifyKey = pub
	return nil
}

// loadKey parses the signing (private) or the verifying key of cfg and
// checks that it fits alg, returning it and its public half. A private key
// given as the verifying key stands for its public half.
func (k *keyImpl) loadKey(cfg Key, alg algorithm, private bool) (any, crypto.PublicKey, error) {
	role, text := "verifying", cfg.VerifyingKey
	if private {
		role, text = "signing", cfg.SigningKey
	}
	m, err := parseKey(text)
	if err != nil {
		return nil, nil, k.errorf("%s key is %s; %s needs %s", role, err, cfg.Algorithm, wants(alg, private))
	}
	pub := m
	if s, ok := m.(crypto.Signer); ok {
		pub = s.Public()
		if !private {
			m = pub
		}
	} else if private {
		pub = nil
	}
	if !fits(alg, pub) {
		return nil, nil, k.errorf("%s key is %s; %s needs %s", role, describe(m), cfg.Algorithm, wants(alg, private))
	}
	if p, ok := pub.(*rsa.PublicKey); ok && p.N.BitLen() < minRSABits {
		return nil, nil, k.errorf("%s key is %s; %s needs at least %d bits", role, describe(m), cfg.Algorithm, minRSABits)
	}
	return m, pub, nil
}

// fits reports whether pub is the kind of public key alg verifies with.
func fits(alg algorithm, pub crypto.PublicKey) bool {
	switch p := pub.(type) {
	case *rsa.PublicKey:
		return alg.kind == 'R'
	case *ecdsa.PublicKey:
		return alg.kind == 'E' && p.Curve == alg.curve
	case ed25519.PublicKey:
		return alg.kind == 'O'
	}
	return false
}

// parseKey reads a PEM block (private key, public key or certificate) or a
// JWK. The error says what the text is, never what it holds.
func parseKey(b []byte) (any, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, errors.New("empty")
	}
	if isJWK(b) {
		k, err := parseJWK(b)
		if err != nil {
			return nil, fmt.Errorf("a JWK that does not parse (%v)", err)
		}
		return k, nil
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("not PEM-encoded")
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
		return nil, fmt.Errorf("a PEM %q block", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("a PEM %q block that does not parse", block.Type)
	}
	return k, nil
}

// describe says what kind of key k is, for error messages.
func describe(k any) string {
	switch k := k.(type) {
	case *rsa.PrivateKey:
		return fmt.Sprintf("a %d-bit RSA private key", k.N.BitLen())
	case *rsa.PublicKey:
		return fmt.Sprintf("a %d-bit RSA public key", k.N.BitLen())
	case *ecdsa.PrivateKey:
		return "an EC private key on " + k.Curve.Params().Name
	case *ecdsa.PublicKey:
		return "an EC public key on " + k.Curve.Params().Name
	case ed25519.PrivateKey:
		return "an Ed25519 private key"
	case ed25519.PublicKey:
		return "an Ed25519 public key"
	case []byte:
		return "an oct (HMAC) JWK"
	default:
		return fmt.Sprintf("a %T key", k)
	}
}

func isJWK(b []byte) bool { return bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) }

// jwkFields are the RFC 7517/7518 members parseJWK reads.
type jwkFields struct {
	Kty, Crv, K, N, E, D, P, Q, X, Y string
}

// parseJWK reads one JWK (RFC 7517) of type oct, RSA, EC (P-256, P-384,
// P-521) or OKP (Ed25519), private or public.
func parseJWK(b []byte) (any, error) {
	var j jwkFields
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, errors.New("not a JSON object with string members")
	}
	dec := func(s string) ([]byte, bool) {
		v, ok := b64Decode(nil, s)
		return v, ok && s != ""
	}
	num := func(s string) (*big.Int, bool) {
		v, ok := dec(s)
		return new(big.Int).SetBytes(v), ok
	}
	bad := errors.New("a member is missing or not base64url")
	switch j.Kty {
	case "oct":
		k, ok := dec(j.K)
		if !ok {
			return nil, bad
		}
		return k, nil
	case "RSA":
		n, ok1 := num(j.N)
		e, ok2 := num(j.E)
		if !ok1 || !ok2 || !e.IsInt64() || e.Int64() > 1<<31 || e.Int64() < 3 {
			return nil, bad
		}
		pub := rsa.PublicKey{N: n, E: int(e.Int64())}
		if j.D == "" {
			return &pub, nil
		}
		d, ok1 := num(j.D)
		p, ok2 := num(j.P)
		q, ok3 := num(j.Q)
		if !ok1 || !ok2 || !ok3 {
			return nil, bad
		}
		k := &rsa.PrivateKey{PublicKey: pub, D: d, Primes: []*big.Int{p, q}}
		if err := k.Validate(); err != nil {
			return nil, errors.New("an inconsistent RSA private key")
		}
		k.Precompute()
		return k, nil
	case "EC":
		var curve elliptic.Curve
		for _, c := range []elliptic.Curve{elliptic.P256(), elliptic.P384(), elliptic.P521()} {
			if c.Params().Name == j.Crv {
				curve = c
			}
		}
		if curve == nil {
			return nil, fmt.Errorf("unsupported EC curve %q", j.Crv)
		}
		size := (curve.Params().BitSize + 7) / 8
		x, ok1 := dec(j.X)
		y, ok2 := dec(j.Y)
		if !ok1 || !ok2 || len(x) != size || len(y) != size {
			return nil, bad
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(curve, append(append([]byte{4}, x...), y...))
		if err != nil {
			return nil, errors.New("a point that is not on the curve")
		}
		if j.D == "" {
			return pub, nil
		}
		d, ok := dec(j.D)
		if !ok {
			return nil, bad
		}
		k, err := ecdsa.ParseRawPrivateKey(curve, d)
		if err != nil || !k.PublicKey.Equal(pub) {
			return nil, errors.New("an inconsistent EC private key")
		}
		return k, nil
	case "OKP":
		if j.Crv != "Ed25519" {
			return nil, fmt.Errorf("unsupported OKP curve %q", j.Crv)
		}
		x, ok := dec(j.X)
		if !ok || len(x) != ed25519.PublicKeySize {
			return nil, bad
		}
		if j.D == "" {
			return ed25519.PublicKey(x), nil
		}
		d, ok := dec(j.D)
		if !ok || len(d) != ed25519.SeedSize {
			return nil, bad
		}
		k := ed25519.NewKeyFromSeed(d)
		if !bytes.Equal(k[32:], x) {
			return nil, errors.New("an inconsistent Ed25519 private key")
		}
		return k, nil
	}
	return nil, fmt.Errorf("unsupported kty %q", j.Kty)
}

// publicJWK is a published key, members in RFC 7638 order after kty.
type publicJWK struct {
	Kty string `json:"kty"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Crv string `json:"crv,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
}

// jwk returns the public JWK of an asymmetric key; ok is false for HMAC.
// A key without kid is published under its RFC 7638 thumbprint.
func (k *keyImpl) jwk() (j publicJWK, ok bool) {
	enc := base64.RawURLEncoding.EncodeToString
	var thumb string
	switch p := k.verifyKey.(type) {
	case *rsa.PublicKey:
		j = publicJWK{Kty: "RSA", N: enc(p.N.Bytes()), E: enc(big.NewInt(int64(p.E)).Bytes())}
		thumb = `{"e":"` + j.E + `","kty":"RSA","n":"` + j.N + `"}`
	case *ecdsa.PublicKey:
		b, err := p.Bytes()
		if err != nil {
			return j, false
		}
		n := (len(b) - 1) / 2
		j = publicJWK{Kty: "EC", Crv: p.Curve.Params().Name, X: enc(b[1 : 1+n]), Y: enc(b[1+n:])}
		thumb = `{"crv":"` + j.Crv + `","kty":"EC","x":"` + j.X + `","y":"` + j.Y + `"}`
	case ed25519.PublicKey:
		j = publicJWK{Kty: "OKP", Crv: "Ed25519", X: enc(p)}
		thumb = `{"crv":"Ed25519","kty":"OKP","x":"` + j.X + `"}`
	default:
		return j, false
	}
	j.Use, j.Alg, j.Kid = "sig", k.alg, k.id
	if j.Kid == "" {
		sum := sha256.Sum256([]byte(thumb))
		j.Kid = enc(sum[:])
	}
	return j, true
}

// JWKS returns the public keys of the set as an RFC 7517 JWK Set, with
// kid, alg and use "sig", the signing key first. HMAC keys are never
// included; a key without kid is listed under its RFC 7638 thumbprint.
func (c *Codec) JWKS() []byte {
	keys := []publicJWK{}
	for i := range c.keys {
		if j, ok := c.keys[i].jwk(); ok && &c.keys[i] == c.signer {
			keys = slices.Insert(keys, 0, j)
		} else if ok {
			keys = append(keys, j)
		}
	}
	b, _ := json.Marshal(struct {
		Keys []publicJWK `json:"keys"`
	}{keys})
	return b
}

// PublicJWK reads one public JWK (RFC 7517) of type RSA, EC (P-256,
// P-384, P-521) or OKP (Ed25519), as a JWK Set lists them, and returns
// its key: *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey. An oct
// (HMAC) JWK and a private JWK are refused. The error never quotes key
// material.
func PublicJWK(b []byte) (crypto.PublicKey, error) {
	k, err := parseJWK(b)
	if err != nil {
		return nil, fmt.Errorf("token: the JWK is %v", err)
	}
	switch k.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
		return k, nil
	}
	return nil, fmt.Errorf("token: the JWK is %s, not a public key", describe(k))
}

// knownSecrets are HMAC secrets published in documentation, tutorials and
// default configurations, at least MinHMACKeyLength bytes long (shorter
// ones are refused by length already). Anyone can forge tokens signed with
// them. Compared case-insensitively after trimming whitespace.
var knownSecrets = []string{
	// the reference project's and its tutorials' defaults
	"django-ref-insecure-7f3c1b9e2a5d4c8f9e0a1b2c3d4e5f60718293a4b5c6d7e8",
	// jwt.io and framework quick-starts
	"your-256-bit-secret-your-256-bit-secret",
	"your-512-bit-secret-your-512-bit-secret",
	"a-string-secret-at-least-256-bits-long",
	"supersecretkeythatshouldnotbeshared",
	"thisisasecretkeythatshouldbechanged",
	"my_super_secret_key_that_is_long_enough",
	"your_jwt_secret_key_change_this_in_production",
	"change_this_super_secret_random_string",
	"changeme-changeme-changeme-changeme",
	"secretsecretsecretsecretsecretsecret",
	"0123456789abcdef0123456789abcdef",
	"abcdefghijklmnopqrstuvwxyz012345",
	"abcdefghijklmnopqrstuvwxyz0123456789",
	"1234567890123456789012345678901234567890",
}

// minDistinctKeyBytes: a random 32-byte key has about 30 distinct byte
// values; far fewer means a pattern ("aaaa…", "0101…"), not a secret.
const minDistinctKeyBytes = 10

// weakKey says why an HMAC key that is long enough is still unfit, or ""
// when it is fit.
func weakKey(key []byte) string {
	t := strings.ToLower(string(bytes.TrimSpace(key)))
	if strings.HasPrefix(t, "django-insecure-") {
		return "is a key Django generated for development and marks insecure (django-insecure-…); rotate SIGNING_KEY (Django's SECRET_KEY) to a random secret"
	}
	if slices.Contains(knownSecrets, t) {
		return "is a published example secret that anyone can use to forge tokens"
	}
	var seen [256]bool
	distinct := 0
	for _, b := range key {
		if !seen[b] {
			seen[b] = true
			distinct++
		}
	}
	if distinct < minDistinctKeyBytes {
		return "has too few distinct characters to be a random secret"
	}
	return ""
}
