package token

import (
	"bytes"
	"encoding/json"
	"time"
	"unicode/utf8"
)

// claimsImpl is a decoded payload: its members in order, pointing into a
// buffer that belongs to the Claims alone.
type claimsImpl struct {
	members []member
	names   *claimNames
}

// value returns the raw JSON of a claim. Its capacity is clipped so that
// a caller appending to it cannot overwrite the next claim.
func (cl *claimsImpl) value(name string) ([]byte, bool) {
	v, ok := lookup(cl.members, name)
	return v[:len(v):len(v)], ok
}

func (cl *claimsImpl) typ() (string, bool) {
	if cl.names == nil || cl.names.typ == "" {
		return "", false
	}
	return cl.stringClaim(cl.names.typ)
}

func (cl *claimsImpl) jti() (string, bool) {
	if cl.names == nil || cl.names.jti == "" {
		return "", false
	}
	return cl.stringClaim(cl.names.jti)
}

func (cl *claimsImpl) stringClaim(name string) (string, bool) {
	v, ok := cl.value(name)
	if !ok {
		return "", false
	}
	return stringValue(v)
}

func (cl *claimsImpl) expiresAt() (time.Time, bool) {
	v, ok := cl.value("exp")
	if !ok {
		return time.Time{}, false
	}
	n, _, ok := parseNumber(v)
	if !ok {
		return time.Time{}, false
	}
	return time.Unix(n, 0), true
}

func (cl *claimsImpl) userID() ([]byte, bool) {
	if cl.names == nil {
		return nil, false
	}
	return cl.value(cl.names.userID)
}

func (cl *claimsImpl) get(name string) ([]byte, bool) { return cl.value(name) }

func headerValue(raw []byte) (string, bool) {
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
	if !utf8.Valid(text) {
		return "", false
	}
	for _, c := range text {
		if c < 0x20 || c == 0x7f {
			return "", false
		}
	}
	return string(text), true
}
