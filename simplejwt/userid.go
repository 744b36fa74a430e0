package simplejwt

import (
	"strconv"
)

// userIDStatus says how a user id claim reads.
type userIDStatus uint8

const (
	userIDOK userIDStatus = iota
	// userIDNull: the claim is JSON null. Django's ORM finds no user with
	// id NULL, so simplejwt answers "User not found".
	userIDNull
	// userIDInvalid: not something the ORM could cast to the field type.
	// simplejwt answers an HTML 500; jwtgate answers 401
	// "Token contained no recognizable user identification".
	userIDInvalid
)

// parseIntUserID reads a raw JSON user id claim as Django's ORM reads the
// value given for an integer primary key: a JSON integer, an integral
// float (5.0), a string of decimal digits with optional sign and
// surrounding whitespace ("5", as Python's int("5")), or a boolean (True
// is 1). It does not allocate.
func parseIntUserID(raw []byte) (int64, userIDStatus) {
	if len(raw) == 0 {
		return 0, userIDInvalid
	}
	switch raw[0] {
	case 'n':
		if string(raw) == "null" {
			return 0, userIDNull
		}
		return 0, userIDInvalid
	case 't':
		if string(raw) == "true" {
			return 1, userIDOK
		}
		return 0, userIDInvalid
	case 'f':
		if string(raw) == "false" {
			return 0, userIDOK
		}
		return 0, userIDInvalid
	case '"':
		if len(raw) < 2 || raw[len(raw)-1] != '"' {
			return 0, userIDInvalid
		}
		s := trimASCIISpace(raw[1 : len(raw)-1])
		if len(s) > 0 && s[0] == '+' {
			s = s[1:]
		}
		return parseDecimal(s)
	default:
		if n, st := parseDecimal(raw); st == userIDOK {
			return n, st
		}
		// A float literal: accept it only when it is integral.
		f, err := strconv.ParseFloat(string(raw), 64)
		if err != nil || f != float64(int64(f)) || f < -9.2e18 || f > 9.2e18 {
			return 0, userIDInvalid
		}
		return int64(f), userIDOK
	}
}

// parseDecimal parses an optionally negative run of ASCII digits.
func parseDecimal(s []byte) (int64, userIDStatus) {
	neg := false
	if len(s) > 0 && s[0] == '-' {
		neg, s = true, s[1:]
	}
	if len(s) == 0 || len(s) > 19 {
		return 0, userIDInvalid
	}
	var n uint64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, userIDInvalid
		}
		n = n*10 + uint64(c-'0')
	}
	if n > 1<<63-1 {
		return 0, userIDInvalid
	}
	if neg {
		return -int64(n), userIDOK
	}
	return int64(n), userIDOK
}

// parseStringUserID reads a raw JSON user id claim for USER_ID_FIELD =
// "username": a JSON string without escapes, or an integer (the ORM
// compares str(value)). Escaped strings are rare in usernames and fall back
// to the slower token.HeaderValue path.
func parseStringUserID(raw []byte, unquote func([]byte) (string, bool)) (string, userIDStatus) {
	if len(raw) == 0 {
		return "", userIDInvalid
	}
	switch raw[0] {
	case 'n':
		if string(raw) == "null" {
			return "", userIDNull
		}
	case '"':
		if s, ok := unquote(raw); ok {
			return s, userIDOK
		}
	default:
		if _, st := parseDecimal(raw); st == userIDOK {
			return string(raw), userIDOK
		}
	}
	return "", userIDInvalid
}

// trimASCIISpace trims the whitespace Python's int() ignores around digits
// (ASCII whitespace; Unicode spaces are rare enough not to matter here).
func trimASCIISpace(s []byte) []byte {
	for len(s) > 0 && isSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// asciiSpace marks Python's bytes.isspace: space, \t, \n, \r, \v, \f.
// A table, because the Authorization header is scanned byte by byte on
// every proxied request.
var asciiSpace = [256]bool{' ': true, '\t': true, '\n': true, '\r': true, '\v': true, '\f': true}

// isSpace is Python's bytes.isspace for one byte.
func isSpace(c byte) bool { return asciiSpace[c] }
