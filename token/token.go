// Package token issues and verifies JSON Web Tokens exactly as
// djangorestframework-simplejwt 5.2.2 (on PyJWT 2.6) does, with the checks
// tightened where simplejwt is lax (see docs/security.md, "Token checks"):
//
//   - the algorithm is pinned by configuration and never taken from the
//     token header; "none" and every other algorithm are refused;
//   - base64url is decoded strictly (no padding, no stray characters, no
//     non-canonical trailing bits);
//   - a header with "crit", "jku", "jwk", "x5u" or "x5c" is refused; "kid"
//     selects a key of the configured set by exact bytes, and the key's
//     algorithm must be the header's (see Key);
//   - header and payload must be JSON objects in valid UTF-8 without
//     duplicate member names (names are compared after unescaping, so
//     "\u0065xp" is "exp"); claim names are case-sensitive;
//   - "exp", "nbf" and "iat" must be JSON numbers within int64 range
//     (PyJWT's int() would take 1e300 or a 30-digit integer).
//
// Verification has two stages, as in simplejwt. Decode is PyJWT's stage:
// any failure is ErrInvalid ("Token is invalid or expired"). Check is
// simplejwt's Token.__init__ stage (exp present, jti present, token type),
// which callers run after their own blacklist lookup, because simplejwt
// checks the blacklist between the two. VerifyAccess does both for the
// Bearer check on the hot path without allocating.
package token

import "time"

// Type is the value of the token type claim.
type Type string

// The token types simplejwt issues.
const (
	Access  Type = "access"
	Refresh Type = "refresh"
)

const (
	// MinHMACKeyLength is the shortest HMAC signing key New accepts for
	// HS256, in bytes (the output size of SHA-256, as RFC 7518 §3.2
	// requires). HS384 and HS512 need 48 and 64 bytes.
	MinHMACKeyLength = 32
	// DefaultMaxTokenLength bounds the length of a token string. Longer
	// tokens are refused before any decoding. simplejwt's tokens are about
	// 230 bytes.
	DefaultMaxTokenLength = 8192
)

// Config is simplejwt's SIMPLE_JWT settings that concern tokens.
type Config struct {
	// Algorithm is the only JWS algorithm issued and accepted in the
	// single-key form (Keys empty): HS256 (default), HS384, HS512, RS256,
	// RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512 or EdDSA.
	// With Keys, Config() reports the signing key's algorithm here.
	Algorithm string
	// SigningKey is the HMAC secret, or a PEM-encoded private key for the
	// RS and ES algorithms.
	SigningKey []byte
	// VerifyingKey is the PEM-encoded public key for RS and ES; when empty
	// it is derived from SigningKey. It must be empty for HMAC.
	VerifyingKey []byte
	// AccessLifetime is exp − iat of access tokens (ACCESS_TOKEN_LIFETIME).
	AccessLifetime time.Duration
	// RefreshLifetime is exp − iat of refresh tokens (REFRESH_TOKEN_LIFETIME).
	RefreshLifetime time.Duration
	// Audience, when set, is written as "aud" and required on decode.
	Audience string
	// Issuer, when set, is written as "iss" and required on decode.
	Issuer string
	// Leeway is the clock skew allowed for exp, nbf and iat.
	Leeway time.Duration
	// TokenTypeClaim names the token type claim; empty disables the type
	// check (TOKEN_TYPE_CLAIM = None).
	TokenTypeClaim string
	// JTIClaim names the token id claim; empty disables the id
	// requirement (JTI_CLAIM = None).
	JTIClaim string
	// UserIDClaim names the claim holding the user id (USER_ID_CLAIM).
	UserIDClaim string
	// ExtraClaims are claims VerifyAccess extracts into Access.Extra, for
	// identity headers.
	ExtraClaims []string
	// RevokeClaim, when set, is simplejwt's REVOKE_TOKEN_CLAIM with
	// CHECK_REVOKE_TOKEN on (simplejwt 5.3+; its default name is
	// "hash_password"): NewPair writes it after the user id with the value
	// it is given, and VerifyAccess extracts it into AccessClaims.Revoke
	// for the caller to compare. Refresh and rotation copy it as any
	// other claim. Empty: off.
	RevokeClaim string
	// MaxTokenLength bounds token strings; 0 means DefaultMaxTokenLength.
	MaxTokenLength int
	// Keys is a key set for rotation. When empty, Algorithm, SigningKey
	// and VerifyingKey form the set's only key: it has no kid, signs, and
	// verifies tokens without kid (simplejwt's single key). When set,
	// SigningKey and VerifyingKey must be empty.
	Keys []Key
}

// Key is one key of a key set. Each key has its own algorithm: a token is
// verified only by the key its header's kid names (or, without kid, by
// the key with VerifiesWithoutKID), and only when the header's alg is
// that key's Algorithm.
type Key struct {
	// ID is the key id written as the header's kid by the signing key and
	// matched byte for byte on verification: printable ASCII without
	// spaces, quotes or backslashes, at most MaxKIDLength bytes. Empty
	// means no kid (then the key can only verify tokens without kid).
	ID string
	// Algorithm is the key's JWS algorithm (see Config.Algorithm).
	Algorithm string
	// SigningKey is the HMAC secret (raw bytes or an oct JWK; at least the
	// hash size: 32, 48 or 64 bytes), or the private key as PEM or JWK.
	// An asymmetric verify-only key may leave it empty.
	SigningKey []byte
	// VerifyingKey is the public key (PEM, certificate or JWK) of an
	// asymmetric key; derived from SigningKey when empty. Empty for HMAC.
	VerifyingKey []byte
	// Signs marks the one key that signs new tokens; the others only
	// verify.
	Signs bool
	// VerifiesWithoutKID marks the one key (at most) that verifies tokens
	// whose header has no kid, as Django's simplejwt issues them.
	VerifiesWithoutKID bool
}

// DefaultConfig returns simplejwt's defaults: HS256, 5 minute access and 1
// day refresh lifetimes, claims token_type, jti and user_id, no leeway. The
// signing key is left empty: New refuses to build a codec without one.
func DefaultConfig() Config {
	return Config{
		Algorithm:       "HS256",
		AccessLifetime:  5 * time.Minute,
		RefreshLifetime: 24 * time.Hour,
		TokenTypeClaim:  "token_type",
		JTIClaim:        "jti",
		UserIDClaim:     "user_id",
	}
}

// Issued is a token the codec signed.
type Issued struct {
	// Token is the compact JWS.
	Token string
	// JTI is its token id ("" when JTIClaim is disabled).
	JTI string
	// IssuedAt is the time it was made, with full precision (simplejwt
	// stores it as OutstandingToken.created_at); the iat claim is its Unix
	// second.
	IssuedAt time.Time
	// ExpiresAt is the exp claim.
	ExpiresAt time.Time
}

// AccessClaims is what VerifyAccess extracts from a valid access token.
// Reuse one (for example from a sync.Pool) to keep the check free of
// allocations.
type AccessClaims struct {
	// JTI is the decoded token id.
	JTI []byte
	// ExpiresAt is the exp claim in Unix seconds.
	ExpiresAt int64
	// IssuedAt is the iat claim in Unix seconds, truncated (so that
	// IssuedAt >= n exactly when iat >= n for a whole n); 0 when absent.
	IssuedAt int64
	// UserID is the raw JSON value of the user id claim (`1`, `"5"`,
	// `null`, …), or nil when the claim is absent.
	UserID []byte
	// Extra holds the raw JSON value of each Config.ExtraClaims entry, in
	// the same order, nil where absent.
	Extra [][]byte
	// Revoke is the decoded string value of Config.RevokeClaim; nil when
	// it is not configured, absent, or not a string.
	Revoke []byte

	buf     []byte   // decoded segments and strings; the slices above point into it
	members []member // the payload's members, reused between calls
}
