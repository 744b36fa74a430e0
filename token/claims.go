package token

import (
	"bytes"
	"encoding/json"
	"time"
	"unicode/utf8"
)

// Claims is a decoded payload. It keeps every claim, in order and as raw
// JSON, so that tokens derived from it re-encode unknown claims unchanged.
// Its members point into a buffer that belongs to the Claims alone.
type Claims struct {
	members []member
	// typ, jti and userID are the codec's names of these claims.
	typ, jti, userID string
}

// Get returns the raw JSON value of any claim, if present, with the
// whitespace around it trimmed. Names are case-sensitive. The bytes belong
// to cl and must not be modified. Its capacity is clipped so that a
// caller appending to it cannot overwrite the next claim.
func (cl *Claims) Get(name string) ([]byte, bool) {
	v, ok := lookup(cl.members, name)
	return v[:len(v):len(v)], ok
}

// Type returns the token type claim, if present and a string.
func (cl *Claims) Type() (string, bool) { return cl.stringClaim(cl.typ) }

// JTI returns the token id claim, if present and a string.
func (cl *Claims) JTI() (string, bool) { return cl.stringClaim(cl.jti) }

func (cl *Claims) stringClaim(name string) (string, bool) {
	v, ok := cl.Get(name)
	if name == "" || !ok {
		return "", false
	}
	return stringValue(v)
}

// ExpiresAt returns the exp claim, if present.
func (cl *Claims) ExpiresAt() (time.Time, bool) {
	n, ok := cl.number("exp")
	if !ok {
		return time.Time{}, false
	}
	return time.Unix(n, 0), true
}

// IssuedAt returns the iat claim in Unix seconds, truncated; ok is false
// when it is absent.
func (cl *Claims) IssuedAt() (int64, bool) { return cl.number("iat") }

func (cl *Claims) number(name string) (int64, bool) {
	v, ok := cl.Get(name)
	if !ok {
		return 0, false
	}
	n, _, ok := parseNumber(v)
	return n, ok
}

// UserID returns the raw JSON value of the user id claim, if present. The
// bytes belong to cl and must not be modified.
func (cl *Claims) UserID() ([]byte, bool) { return cl.Get(cl.userID) }

// HeaderValue turns a raw JSON claim value into the text an identity
// header carries: a JSON string unquoted, any other value as its compact
// JSON. ok is false when that text could not be sent as a header value
// (control characters or invalid UTF-8), and the header must then be left
// unset.
func HeaderValue(raw []byte) (v string, ok bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || !json.Valid(raw) {
		return "", false
	}
	var text []byte
	switch raw[0] {
	case '"':
		var ok bool
		if text, ok = unquoteAppend(nil, raw[1:len(raw)-1]); !ok {
			return "", false
		}
	case '{', '[':
		var b bytes.Buffer
		if json.Compact(&b, raw) != nil {
			return "", false
		}
		text = b.Bytes()
	default:
		text = raw
	}
	if !utf8.Valid(text) || bytes.ContainsFunc(text, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", false
	}
	return string(text), true
}
