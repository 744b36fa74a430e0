package token

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// newJTI returns a token id as simplejwt makes it: uuid4().hex. Tests
// replace it to make tokens deterministic.
var newJTI = func() string {
	var b [16]byte
	rand.Read(b[:])         // never fails (crypto/rand, Go ≥ 1.24)
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // variant RFC 4122
	return hex.EncodeToString(b[:])
}

// payload is an ordered JSON object under construction.
type payload []claim

type claim struct {
	name  string // decoded, to find a claim again
	qname []byte // as written, with quotes
	value []byte // raw JSON
}

// add appends a claim without looking for an existing one.
func (p *payload) add(name string, qname, value []byte) {
	if qname == nil {
		qname = appendJSONString(nil, name)
	}
	*p = append(*p, claim{name, qname, value})
}

// set replaces the value of a claim in place, or appends the claim, as
// assigning to a Python dict does.
func (p *payload) set(name string, value []byte) {
	for i := range *p {
		if (*p)[i].name == name {
			(*p)[i].value = value
			return
		}
	}
	p.add(name, nil, value)
}

func (p payload) encode() []byte {
	n := 2
	for _, c := range p {
		n += len(c.qname) + len(c.value) + 2
	}
	b := append(make([]byte, 0, n), '{')
	for i, c := range p {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(append(append(b, c.qname...), ':'), c.value...)
	}
	return append(b, '}')
}

func jsonInt(n int64) []byte { return strconv.AppendInt(nil, n, 10) }

// setAudIss adds aud and iss as simplejwt's TokenBackend.encode does.
func (c *Codec) setAudIss(p *payload) {
	if c.cfg.Audience != "" {
		p.set("aud", appendJSONString(nil, c.cfg.Audience))
	}
	if c.cfg.Issuer != "" {
		p.set("iss", appendJSONString(nil, c.cfg.Issuer))
	}
}

func (c *Codec) sign(p *payload) (string, error) {
	k := c.signer
	if k == nil {
		return "", errors.New("token: the codec was not made by token.New")
	}
	return k.signJWS(k.hdrSeg, p.encode())
}

// signJWS makes the compact JWS of a header segment and a payload with k.
func (k *keyImpl) signJWS(hdrSeg string, body []byte) (string, error) {
	enc := base64.RawURLEncoding
	b := make([]byte, 0, len(hdrSeg)+1+enc.EncodedLen(len(body))+1+enc.EncodedLen(512))
	b = append(b, hdrSeg...)
	b = append(b, '.')
	b = enc.AppendEncode(b, body)
	var key any = k.signKey
	if k.hmacKey != nil {
		key = k.hmacKey
	}
	sig, err := k.method.Sign(string(b), key)
	if err != nil {
		return "", fmt.Errorf("token: signing with %s failed: %w", k.label(), err)
	}
	b = append(b, '.')
	b = enc.AppendEncode(b, sig)
	return string(b), nil
}

func (c *Codec) issue(p *payload, jti string, now time.Time, exp int64) (Issued, error) {
	tok, err := c.sign(p)
	if err != nil {
		return Issued{}, err
	}
	return Issued{Token: tok, JTI: jti, IssuedAt: now, ExpiresAt: time.Unix(exp, 0)}, nil
}

// fresh starts the payload of a new token, as simplejwt's Token() does:
// type, exp, iat and jti, a jti in the session of parent (see
// sessionJTI).
func (c *Codec) fresh(typ Type, now time.Time, lifetime time.Duration, parent string) (p *payload, jti string, exp int64) {
	p = &payload{}
	if c.cfg.TokenTypeClaim != "" {
		p.add(c.cfg.TokenTypeClaim, nil, appendJSONString(nil, string(typ)))
	}
	exp = now.Add(lifetime).Unix()
	p.add("exp", nil, jsonInt(exp))
	p.add("iat", nil, jsonInt(now.Unix()))
	if c.cfg.JTIClaim != "" {
		jti = sessionJTI(parent)
		p.add(c.cfg.JTIClaim, nil, appendJSONString(nil, jti))
	}
	return p, jti, exp
}

func encodeUserID(userID any) ([]byte, error) {
	switch id := userID.(type) {
	case int64:
		return jsonInt(id), nil
	case int:
		return jsonInt(int64(id)), nil
	case string:
		return appendJSONString(nil, id), nil
	}
	return nil, fmt.Errorf("token: user id is a %T; it must be an int64 or a string", userID)
}

// NewPair issues a refresh token and its access token for a user, as
// simplejwt's RefreshToken.for_user followed by .access_token: claims
// token_type, exp, iat, jti, user_id, then the RevokeClaim when
// configured, then aud and iss when configured, both with iat = now and
// distinct jti values. userID is an int64 or a string and is encoded as a
// JSON number or string. revoke is the RevokeClaim's string value: exactly
// one when RevokeClaim is set, none otherwise.
func (c *Codec) NewPair(userID any, now time.Time, revoke ...string) (refresh, access Issued, err error) {
	uid, err := encodeUserID(userID)
	if err != nil {
		return Issued{}, Issued{}, err
	}
	var rv []byte
	switch {
	case c.cfg.RevokeClaim == "" && len(revoke) != 0:
		return Issued{}, Issued{}, errors.New("token: NewPair was given a revoke claim value, but no RevokeClaim is configured")
	case c.cfg.RevokeClaim != "" && len(revoke) != 1:
		return Issued{}, Issued{}, fmt.Errorf("token: RevokeClaim %q is configured; NewPair needs exactly one value for it", c.cfg.RevokeClaim)
	case c.cfg.RevokeClaim != "":
		rv = appendJSONString(nil, revoke[0])
	}
	// RefreshToken.for_user, then .access_token: both start from the same
	// instant and carry the same user id.
	// A login starts a session, named by the refresh token's random jti;
	// the access token carries its id too.
	rp, rjti, rexp := c.fresh(Refresh, now, c.cfg.RefreshLifetime, "")
	// for_user sets the user id, then (CHECK_REVOKE_TOKEN) the revoke
	// claim; .access_token copies both in that order.
	rp.set(c.cfg.UserIDClaim, uid)
	ap, ajti, aexp := c.fresh(Access, now, c.cfg.AccessLifetime, rjti)
	ap.set(c.cfg.UserIDClaim, uid)
	if rv != nil {
		rp.set(c.cfg.RevokeClaim, rv)
		ap.set(c.cfg.RevokeClaim, rv)
	}
	c.setAudIss(rp)
	c.setAudIss(ap)

	if refresh, err = c.issue(rp, rjti, now, rexp); err != nil {
		return Issued{}, Issued{}, err
	}
	if access, err = c.issue(ap, ajti, now, aexp); err != nil {
		return Issued{}, Issued{}, err
	}
	return refresh, access, nil
}

// AccessFor mints the access token a verified refresh token grants. Every
// claim of refresh is copied in order, except the token type, exp, iat and
// jti, which are new: exp = now + AccessLifetime, iat = now and a fresh
// jti. (simplejwt 5.2.2 copies iat from the refresh token; jwtgate does
// not, see docs/simplejwt.md, "Deviations".)
func (c *Codec) AccessFor(refresh *Claims, now time.Time) (Issued, error) {
	if refresh == nil {
		return Issued{}, errors.New("token: AccessFor needs the claims of a decoded refresh token")
	}
	parent, _ := refresh.JTI()
	p, jti, exp := c.fresh(Access, now, c.cfg.AccessLifetime, parent)
	for _, m := range refresh.members {
		name := string(m.name)
		switch {
		case name == "exp", name == "iat", name == "jti",
			c.cfg.TokenTypeClaim != "" && name == c.cfg.TokenTypeClaim,
			c.cfg.JTIClaim != "" && name == c.cfg.JTIClaim:
			continue
		}
		// The claims fresh wrote are all skipped above, and a decoded
		// payload has no duplicate names, so nothing is overwritten.
		p.add(name, m.qname, m.value)
	}
	c.setAudIss(p)
	return c.issue(p, jti, now, exp)
}

// Rotate re-issues a refresh token as ROTATE_REFRESH_TOKENS does: the same
// claims in the same order with a new jti, iat = now and exp = now +
// RefreshLifetime.
func (c *Codec) Rotate(refresh *Claims, now time.Time) (Issued, error) {
	if refresh == nil {
		return Issued{}, errors.New("token: Rotate needs the claims of a decoded refresh token")
	}
	p := &payload{}
	for _, m := range refresh.members {
		p.add(string(m.name), m.qname, m.value)
	}
	// simplejwt's order: set_jti, set_exp, set_iat.
	var jti string
	if c.cfg.JTIClaim != "" {
		parent, _ := refresh.JTI()
		jti = sessionJTI(parent)
		p.set(c.cfg.JTIClaim, appendJSONString(nil, jti))
	}
	exp := now.Add(c.cfg.RefreshLifetime).Unix()
	p.set("exp", jsonInt(exp))
	p.set("iat", jsonInt(now.Unix()))
	c.setAudIss(p)
	return c.issue(p, jti, now, exp)
}
