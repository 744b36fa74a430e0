package token

import "fmt"

// Sessions. A login starts a session: its refresh token, and every access
// and refresh token minted from it by refresh and rotation, carry the
// session's id in the first 16 hex digits of their jti. The jti stays 32
// lowercase hex digits, as simplejwt's uuid4().hex, and stays opaque to
// clients and to Django; tokens gain no claim. A token Django issued has a
// random prefix: a session of its own.

// sessionHexLen is the length of the session id at the start of a jti.
const sessionHexLen = 16

// SessionOf returns the session id a jti carries: its first 16 hex digits
// as a number. ok is false unless jti is 32 lowercase hex digits. It does
// not allocate.
func SessionOf[T string | []byte](jti T) (id uint64, ok bool) {
	if len(jti) != 2*sessionHexLen {
		return 0, false
	}
	for i := 0; i < len(jti); i++ {
		c := jti[i]
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		default:
			return 0, false
		}
		if i < sessionHexLen {
			id = id<<4 | uint64(d)
		}
	}
	return id, true
}

// SessionHex is the 16-hex-digit form of a session id, as the store keeps
// it (the jti prefix).
func SessionHex(id uint64) string { return fmt.Sprintf("%016x", id) }

// ParseSessionHex parses a session id as SessionHex writes it.
func ParseSessionHex(s string) (uint64, bool) {
	if len(s) != sessionHexLen {
		return 0, false
	}
	return SessionOf(s + s)
}

// sessionJTI returns a new jti in the session of parent (a decoded jti);
// one in a session of its own when parent carries none. Tests replace it
// to compare tokens byte for byte with simplejwt's.
var sessionJTI = func(parent string) string {
	if _, ok := SessionOf(parent); !ok {
		return newJTI()
	}
	return parent[:sessionHexLen] + newJTI()[sessionHexLen:]
}
