package token

import (
	"bytes"
	"crypto"
	"crypto/elliptic"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// minRSABits is the smallest RSA modulus New accepts.
const minRSABits = 2048

// Codec signs and verifies tokens for one Config. It is built once by New
// and never changed afterwards, so it is safe for concurrent use.
type Codec struct {
	cfg Config
	// keys is the key set in configuration order; signer signs, noKID
	// verifies tokens whose header has no kid (nil: such tokens fail).
	keys   []keyImpl
	signer *keyImpl
	noKID  *keyImpl
	// leeway is Config.Leeway in whole seconds, rounded down.
	leeway int64
}

// keyImpl is one resolved key of the set.
type keyImpl struct {
	id     string
	alg    string
	method jwt.SigningMethod
	// hdrSeg is the base64url header this key writes; a token whose header
	// segment equals it needs no header parsing.
	hdrSeg string
	// hmacKey and hmacPool are set for the HS algorithms.
	hmacKey  []byte
	hmacPool *sync.Pool
	// signKey (nil for a verify-only key) and verifyKey are set for the
	// asymmetric algorithms.
	signKey   crypto.Signer
	verifyKey crypto.PublicKey
}

// algorithm describes one supported JWS algorithm.
type algorithm struct {
	method jwt.SigningMethod
	hash   crypto.Hash
	curve  elliptic.Curve // ES only
	kind   byte           // 'H' HMAC, 'R' RSA (PKCS#1 v1.5 and PSS), 'E' ECDSA, 'O' EdDSA
}

var algorithms = map[string]algorithm{
	"HS256": {jwt.SigningMethodHS256, crypto.SHA256, nil, 'H'},
	"HS384": {jwt.SigningMethodHS384, crypto.SHA384, nil, 'H'},
	"HS512": {jwt.SigningMethodHS512, crypto.SHA512, nil, 'H'},
	"RS256": {jwt.SigningMethodRS256, crypto.SHA256, nil, 'R'},
	"RS384": {jwt.SigningMethodRS384, crypto.SHA384, nil, 'R'},
	"RS512": {jwt.SigningMethodRS512, crypto.SHA512, nil, 'R'},
	"PS256": {jwt.SigningMethodPS256, crypto.SHA256, nil, 'R'},
	"PS384": {jwt.SigningMethodPS384, crypto.SHA384, nil, 'R'},
	"PS512": {jwt.SigningMethodPS512, crypto.SHA512, nil, 'R'},
	"ES256": {jwt.SigningMethodES256, crypto.SHA256, elliptic.P256(), 'E'},
	"ES384": {jwt.SigningMethodES384, crypto.SHA384, elliptic.P384(), 'E'},
	"ES512": {jwt.SigningMethodES512, crypto.SHA512, elliptic.P521(), 'E'},
	"EdDSA": {jwt.SigningMethodEdDSA, 0, nil, 'O'},
}

// algorithmNames lists the supported algorithms for error messages.
const algorithmNames = "HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512 or EdDSA"

// New checks cfg and returns a Codec. It refuses an unknown algorithm, an
// empty or short HMAC key (fewer than MinHMACKeyLength bytes), a PEM key
// used as an HMAC secret, an RSA key shorter than 2048 bits, a key that
// does not fit the algorithm (or a verifying key that is not the signing
// key's public half), non-positive lifetimes, a negative Leeway, an empty
// UserIDClaim and claim names that collide, with an error that says what
// to change. It never quotes a key.
func New(cfg Config) (*Codec, error) {
	cfg = cloneConfig(cfg)
	if cfg.MaxTokenLength == 0 {
		cfg.MaxTokenLength = DefaultMaxTokenLength
	}
	keys := cfg.Keys
	if len(keys) == 0 {
		if cfg.Algorithm == "" {
			cfg.Algorithm = "HS256"
		}
		// The single-key form: one key without kid that signs and
		// verifies, as simplejwt's SIGNING_KEY/VERIFYING_KEY.
		keys = []Key{{Algorithm: cfg.Algorithm, SigningKey: cfg.SigningKey, VerifyingKey: cfg.VerifyingKey, Signs: true, VerifiesWithoutKID: true}}
	} else if len(cfg.SigningKey) != 0 || len(cfg.VerifyingKey) != 0 {
		return nil, errors.New("token: both a key set and a single signing/verifying key are configured; put every key in the key set")
	}
	if err := checkSettings(&cfg); err != nil {
		return nil, err
	}
	c := &Codec{
		cfg:    cfg,
		keys:   make([]keyImpl, len(keys)),
		leeway: int64(cfg.Leeway / time.Second),
	}
	for i, k := range keys {
		ki, err := newKey(k)
		if err != nil {
			return nil, err
		}
		if ki.id != "" && slices.ContainsFunc(c.keys[:i], func(o keyImpl) bool { return o.id == ki.id }) {
			return nil, fmt.Errorf("token: two keys have the kid %q; give each key its own kid", ki.id)
		}
		c.keys[i] = ki
		if k.Signs {
			if c.signer != nil {
				return nil, fmt.Errorf("token: %s and %s both sign; mark exactly one key as the signing key", c.signer.label(), ki.label())
			}
			if ki.hmacKey == nil && ki.signKey == nil {
				return nil, fmt.Errorf("token: %s signs but has only a public key; give it its private key", ki.label())
			}
			c.signer = &c.keys[i]
		}
		if k.VerifiesWithoutKID {
			if c.noKID != nil {
				return nil, fmt.Errorf("token: %s and %s both verify tokens without kid; choose one", c.noKID.label(), ki.label())
			}
			c.noKID = &c.keys[i]
		}
	}
	if c.signer == nil {
		return nil, errors.New("token: no key signs; mark exactly one key of the set as the signing key")
	}
	c.cfg.Algorithm = c.signer.alg
	return c, nil
}

func cloneConfig(cfg Config) Config {
	cfg.SigningKey = bytes.Clone(cfg.SigningKey)
	cfg.VerifyingKey = bytes.Clone(cfg.VerifyingKey)
	cfg.ExtraClaims = slices.Clone(cfg.ExtraClaims)
	cfg.Keys = slices.Clone(cfg.Keys)
	for i := range cfg.Keys {
		cfg.Keys[i].SigningKey = bytes.Clone(cfg.Keys[i].SigningKey)
		cfg.Keys[i].VerifyingKey = bytes.Clone(cfg.Keys[i].VerifyingKey)
	}
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
		{cfg.RevokeClaim, "revoke claim"},
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

// Config returns the configuration the codec was built with, defaults
// filled in.
func (c *Codec) Config() Config { return cloneConfig(c.cfg) }
