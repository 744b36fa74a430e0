package token

import (
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
)

// Signer signs JWTs of other kinds than simplejwt's (such as jwtgate's
// identity assertions) with one asymmetric key of a Codec's set, so that
// whoever holds only the published JWK Set can verify them and nobody
// else can make them. Its tokens carry the key's kid (for a key without
// kid, the RFC 7638 thumbprint the JWK Set lists it under). It is safe for
// concurrent use.
type Signer struct {
	key    *keyImpl
	kid    string
	hdrSeg string
}

// Signer returns a Signer for the key with this kid, or for the codec's
// signing key when kid is empty. It refuses an HMAC key (its secret would
// let every verifier forge tokens), a key without its private half and a
// kid that names no key of the set.
func (c *Codec) Signer(kid string) (*Signer, error) {
	k := c.signer
	if kid != "" {
		i := slices.IndexFunc(c.keys, func(k keyImpl) bool { return k.id == kid })
		if i < 0 {
			return nil, fmt.Errorf("token: kid %q is not a key of the set", kid)
		}
		k = &c.keys[i]
	}
	if k == nil {
		return nil, errors.New("token: the codec was not made by token.New")
	}
	j, ok := k.jwk()
	if !ok {
		return nil, fmt.Errorf("token: %s is an HMAC key (%s): a verifier holding it could forge what it verifies; "+
			"sign with an asymmetric key of the set (RS256, PS256, ES256 or EdDSA)", k.label(), k.alg)
	}
	if k.signKey == nil {
		return nil, fmt.Errorf("token: %s has only its public key; give it its private key (signing_key) to sign with it", k.label())
	}
	hdr := `{"alg":"` + k.alg + `","kid":"` + j.Kid + `","typ":"JWT"}`
	return &Signer{key: k, kid: j.Kid, hdrSeg: base64.RawURLEncoding.EncodeToString([]byte(hdr))}, nil
}

// KeyID is the kid the Signer writes in its tokens' header.
func (s *Signer) KeyID() string { return s.kid }

// Algorithm is the JWS algorithm of the Signer's key.
func (s *Signer) Algorithm() string { return s.key.alg }

// Sign returns the compact JWS of claims, which must be a JSON object;
// Sign writes it as given.
func (s *Signer) Sign(claims []byte) (string, error) {
	return s.key.signJWS(s.hdrSeg, claims)
}
