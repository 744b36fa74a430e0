package token

import (
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"
)

// The rejections of the decode stage. Each has its own reason, for logs
// and metrics, and is allocated once so that refusing a token does not
// allocate.
var (
	errTooLong        = invalid("too_long")
	errSegments       = invalid("segments")
	errBase64         = invalid("base64")
	errHeader         = invalid("header")
	errAlgorithm      = invalid("algorithm")
	errCrit           = invalid("crit")
	errB64            = invalid("b64")
	errSignature      = invalid("signature")
	errPayload        = invalid("payload")
	errDuplicateClaim = invalid("duplicate_claim")
	errExpFormat      = invalid("exp_not_a_number")
	errExpired        = invalid("expired")
	errNbfFormat      = invalid("nbf_not_a_number")
	errNotYetValid    = invalid("not_yet_valid")
	errIatFormat      = invalid("iat_not_a_number")
	errIatFuture      = invalid("issued_in_future")
	errAudience       = invalid("audience")
	errIssuer         = invalid("issuer")
	errNoCodec        = invalid("codec_not_initialised")
	errNoClaims       = invalid("no_claims")
	errKeyInHeader    = invalid("key_in_header")
	errKID            = invalid("unknown_kid")
)

// decodeStage is PyJWT's decode: structure, header, signature, payload,
// then the exp, nbf and iat claims and, when configured, aud and iss.
// buf and ms are scratch space, reused when large enough; the returned
// members point into the returned buf. exp is the truncated exp claim, 0
// when absent.
func (c *Codec) decodeStage(tok string, now int64, buf []byte, ms []member) (_ []byte, _ []member, exp int64, _ *Error) {
	buf, ms = buf[:0], ms[:0]
	if c.signer == nil {
		return buf, ms, 0, errNoCodec
	}
	if len(tok) > c.cfg.MaxTokenLength {
		return buf, ms, 0, errTooLong
	}
	d1 := strings.IndexByte(tok, '.')
	if d1 <= 0 {
		return buf, ms, 0, errSegments
	}
	d2 := strings.IndexByte(tok[d1+1:], '.')
	if d2 <= 0 {
		return buf, ms, 0, errSegments
	}
	d2 += d1 + 1
	hdr, pay, sig := tok[:d1], tok[d1+1:d2], tok[d2+1:]
	if sig == "" || strings.IndexByte(sig, '.') >= 0 {
		return buf, ms, 0, errSegments
	}
	// Everything decoded below fits in 3×len(tok): the signing input, the
	// decoded segments and the decoded names and strings are each shorter
	// than the token. A buffer that grows anyway stays correct, since
	// slices into the old array stay valid.
	if need := 3*len(tok) + 128; cap(buf) < need {
		buf = make([]byte, 0, need)
	}

	// The headers the keys write need no parsing: one string comparison
	// per key selects the key.
	var k *keyImpl
	for i := range c.keys {
		if hdr == c.keys[i].hdrSeg {
			k = &c.keys[i]
			break
		}
	}
	if k == nil {
		var e *Error
		if k, e = c.checkHeader(hdr, buf); e != nil {
			return buf, ms, 0, e
		}
	}

	buf, ok := b64Decode(buf, sig)
	if !ok {
		return buf, ms, 0, errBase64
	}
	sigBytes := buf[:len(buf):len(buf)]
	start := len(buf)
	if buf, ok = b64Decode(buf, pay); !ok {
		return buf, ms, 0, errBase64
	}
	p := buf[start:len(buf):len(buf)]

	if k.hmacPool != nil {
		start := len(buf)
		buf = append(buf, tok[:d2]...)
		if ok, buf = k.hmacEqual(buf[start:], sigBytes, buf); !ok {
			return buf, ms, 0, errSignature
		}
	} else if k.method.Verify(tok[:d2], sigBytes, k.verifyKey) != nil {
		return buf, ms, 0, errSignature
	}

	// The payload is signed; now parse it. PyJWT's json.loads refuses
	// invalid UTF-8 as well as invalid JSON.
	if !utf8.Valid(p) || !json.Valid(p) {
		return buf, ms, 0, errPayload
	}
	if cap(ms) == 0 {
		ms = make([]member, 0, 8) // simplejwt's payloads have five to seven claims
	}
	if buf, ms, ok = splitObject(p, buf, ms); !ok {
		return buf, ms, 0, errPayload
	}
	// PyJWT keeps the last of duplicate names; refusing them means a
	// second "exp" can never extend a lifetime behind a reader's back.
	if hasDuplicate(ms) {
		return buf, ms, 0, errDuplicateClaim
	}

	if v, found := lookup(ms, "exp"); found {
		n, _, ok := parseNumber(v)
		if !ok {
			return buf, ms, 0, errExpFormat
		}
		if n <= now-c.leeway {
			return buf, ms, 0, errExpired
		}
		exp = n
	}
	if v, found := lookup(ms, "nbf"); found {
		n, _, ok := parseNumber(v)
		if !ok {
			return buf, ms, 0, errNbfFormat
		}
		if n > now+c.leeway {
			return buf, ms, 0, errNotYetValid
		}
	}
	if v, found := lookup(ms, "iat"); found {
		// PyJWT compares iat itself, not int(iat), so 10.5 is after 10.
		n, above, ok := parseNumber(v)
		if !ok {
			return buf, ms, 0, errIatFormat
		}
		if lim := now + c.leeway; n > lim || (n == lim && above) {
			return buf, ms, 0, errIatFuture
		}
	}
	if c.cfg.Audience != "" {
		if v, found := lookup(ms, "aud"); !found || !audienceMatches(v, c.cfg.Audience) {
			return buf, ms, 0, errAudience
		}
	}
	if c.cfg.Issuer != "" {
		if v, found := lookup(ms, "iss"); !found || !stringEquals(v, c.cfg.Issuer) {
			return buf, ms, 0, errIssuer
		}
	}
	return buf, ms, exp, nil
}

// checkHeader checks a header other than the ones the keys write and
// selects its key. "crit" is refused, "b64" must be true if present, and
// a key carried or pointed at by the header (jwk, jku, x5u, x5c) is
// refused: keys come from configuration only. kid, a string compared
// byte for byte after unescaping, selects a key of the set; without kid
// the key configured for kid-less tokens is used. The header's alg must
// be the selected key's. Other parameters (typ, cty, …) are ignored. buf
// is scratch space.
func (c *Codec) checkHeader(hdr string, buf []byte) (*keyImpl, *Error) {
	h, ok := b64Decode(buf[:0], hdr)
	if !ok {
		return nil, errBase64
	}
	if !utf8.Valid(h) || !json.Valid(h) {
		return nil, errHeader
	}
	var arr [8]member
	_, ms, ok := splitObject(h, h[len(h):], arr[:0])
	if !ok || hasDuplicate(ms) {
		return nil, errHeader
	}
	if _, found := lookup(ms, "crit"); found {
		return nil, errCrit
	}
	if v, found := lookup(ms, "b64"); found && string(v) != "true" {
		return nil, errB64
	}
	for _, p := range [...]string{"jwk", "jku", "x5u", "x5c"} {
		if _, found := lookup(ms, p); found {
			return nil, errKeyInHeader
		}
	}
	k := c.noKID
	if v, found := lookup(ms, "kid"); found {
		k = nil
		// A configured kid has no escapes, so an escaped or oversized
		// kid can still only match by its decoded bytes.
		if isString(v) && len(v) <= 6*MaxKIDLength+2 {
			for i := range c.keys {
				if c.keys[i].id != "" && stringEquals(v, c.keys[i].id) {
					k = &c.keys[i]
					break
				}
			}
		}
	}
	if k == nil {
		return nil, errKID
	}
	if v, found := lookup(ms, "alg"); !found || !stringEquals(v, k.alg) {
		return nil, errAlgorithm
	}
	return k, nil
}

// audienceMatches is PyJWT's audience rule: "aud" is a string, or a
// non-empty array of strings, and contains want.
func audienceMatches(v []byte, want string) bool {
	if isString(v) {
		return stringEquals(v, want)
	}
	if len(v) == 0 || v[0] != '[' {
		return false
	}
	found := false
	for i := skipWS(v, 1); i < len(v) && v[i] != ']'; {
		end := valueEnd(v, i)
		if end < 0 {
			return false
		}
		e := v[i:end]
		if !isString(e) {
			return false // PyJWT: "Invalid claim format in token"
		}
		if stringEquals(e, want) {
			found = true
		}
		i = skipWS(v, end)
		if i < len(v) && v[i] == ',' {
			i = skipWS(v, i+1)
		}
	}
	return found
}

// Decode is PyJWT's decode stage: structure, header, signature, and the
// time (exp, nbf, iat, with Leeway) and audience/issuer claims that are
// present. Every failure is an *Error that matches ErrInvalid.
func (c *Codec) Decode(tok string, now time.Time) (*Claims, error) {
	_, ms, _, e := c.decodeStage(tok, now.Unix(), nil, nil)
	if e != nil {
		return nil, e
	}
	return &Claims{members: ms, typ: c.cfg.TokenTypeClaim, jti: c.cfg.JTIClaim, userID: c.cfg.UserIDClaim}, nil
}

// Check is simplejwt's stage after decoding: ErrNoExp, ErrNoID, then
// ErrNoType or ErrWrongType unless want is "" (UntypedToken, as the verify
// endpoint uses) or the type claim is disabled.
func (c *Codec) Check(cl *Claims, want Type) error {
	if cl == nil {
		return errNoClaims
	}
	return c.checkMembers(cl.members, want)
}

// checkMembers is simplejwt's Token.verify after decoding.
func (c *Codec) checkMembers(ms []member, want Type) error {
	if _, found := lookup(ms, "exp"); !found {
		return ErrNoExp
	}
	if c.cfg.JTIClaim != "" {
		if v, found := lookup(ms, c.cfg.JTIClaim); !found || !validString(v) {
			return ErrNoID
		}
	}
	if want != "" && c.cfg.TokenTypeClaim != "" {
		v, found := lookup(ms, c.cfg.TokenTypeClaim)
		if !found {
			return ErrNoType
		}
		if !stringEquals(v, string(want)) {
			return ErrWrongType
		}
	}
	return nil
}

// validString reports whether v is a JSON string whose escapes decode.
func validString(v []byte) bool {
	if !isString(v) {
		return false
	}
	s := v[1 : len(v)-1]
	for i := 0; i < len(s); {
		switch {
		case s[i] == '\\':
			n := 0
			if _, n = decodeEscape(s[i:]); n == 0 {
				return false
			}
			i += n
		case s[i] < 0x20:
			return false
		default:
			i++
		}
	}
	return true
}

// VerifyAccess is Decode followed by Check(Access), filling a with what the
// Bearer check needs. It does not allocate when a is reused; a's byte
// slices stay valid until a is used again.
func (c *Codec) VerifyAccess(tok string, now time.Time, a *AccessClaims) error {
	if a == nil {
		return errNoClaims
	}
	a.JTI, a.ExpiresAt, a.IssuedAt, a.UserID, a.Revoke = nil, 0, 0, nil, nil
	n := len(c.cfg.ExtraClaims)
	if cap(a.Extra) < n {
		a.Extra = make([][]byte, n)
	}
	a.Extra = a.Extra[:n]
	clear(a.Extra)

	buf, ms, exp, e := c.decodeStage(tok, now.Unix(), a.buf, a.members)
	a.buf, a.members = buf, ms
	if e != nil {
		return e
	}
	if err := c.checkMembers(ms, Access); err != nil {
		return err
	}
	if c.cfg.JTIClaim != "" {
		v, _ := lookup(ms, c.cfg.JTIClaim)
		start := len(a.buf)
		a.buf, _ = unquoteAppend(a.buf, v[1:len(v)-1])
		a.JTI = a.buf[start:len(a.buf):len(a.buf)]
	}
	a.ExpiresAt = exp
	if v, found := lookup(ms, "iat"); found {
		a.IssuedAt, _, _ = parseNumber(v) // checked by decodeStage
	}
	a.UserID, _ = lookup(ms, c.cfg.UserIDClaim)
	if c.cfg.RevokeClaim != "" {
		if v, found := lookup(ms, c.cfg.RevokeClaim); found && isString(v) {
			start := len(a.buf)
			var ok bool
			if a.buf, ok = unquoteAppend(a.buf, v[1:len(v)-1]); ok {
				a.Revoke = a.buf[start:len(a.buf):len(a.buf)]
			}
		}
	}
	for i, name := range c.cfg.ExtraClaims {
		a.Extra[i], _ = lookup(ms, name)
	}
	return nil
}
