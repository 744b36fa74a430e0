package token

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// A small JSON scanner for token headers and payloads. It walks text that
// encoding/json's Valid has already accepted (so it can stay simple and
// never builds a value tree), splits the top-level object into members,
// and decodes the few strings and numbers the checks need, without
// allocating.

// member is one name/value pair of a JSON object.
type member struct {
	// name is the decoded member name.
	name []byte
	// qname is the name as written in the token, quotes included, so that
	// re-encoded tokens keep it byte for byte.
	qname []byte
	// value is the raw JSON value without surrounding whitespace.
	value []byte
}

func skipWS(p []byte, i int) int {
	for i < len(p) {
		switch p[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// stringEnd returns the index just past the JSON string that starts at
// p[i] (a '"'), and whether it contains a backslash escape; -1 if it is
// not terminated.
func stringEnd(p []byte, i int) (end int, escaped bool) {
	for i++; i < len(p); i++ {
		switch p[i] {
		case '"':
			return i + 1, escaped
		case '\\':
			escaped = true
			i++
		}
	}
	return -1, escaped
}

// valueEnd returns the index just past the JSON value that starts at
// p[i], or -1. It relies on p being valid JSON.
func valueEnd(p []byte, i int) int {
	if i >= len(p) {
		return -1
	}
	switch p[i] {
	case '"':
		end, _ := stringEnd(p, i)
		return end
	case '{', '[':
		depth := 0
		for i < len(p) {
			switch p[i] {
			case '"':
				end, _ := stringEnd(p, i)
				if end < 0 {
					return -1
				}
				i = end
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	default: // number, true, false, null
		for ; i < len(p); i++ {
			switch p[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return i
			}
		}
		return i
	}
}

// splitObject appends the members of the JSON object p to ms, in order.
// p must be valid JSON. Escaped member names are decoded into buf, which
// is returned. ok is false if p is not an object or a name does not
// decode (a lone UTF-16 surrogate).
func splitObject(p, buf []byte, ms []member) (_ []byte, _ []member, ok bool) {
	i := skipWS(p, 0)
	if i >= len(p) || p[i] != '{' {
		return buf, ms, false
	}
	i = skipWS(p, i+1)
	if i < len(p) && p[i] == '}' {
		return buf, ms, skipWS(p, i+1) == len(p)
	}
	for {
		if i >= len(p) || p[i] != '"' {
			return buf, ms, false
		}
		end, escaped := stringEnd(p, i)
		if end < 0 {
			return buf, ms, false
		}
		m := member{qname: p[i:end:end], name: p[i+1 : end-1 : end-1]}
		if escaped {
			start := len(buf)
			if buf, ok = unquoteAppend(buf, m.name); !ok {
				return buf[:start], ms, false
			}
			m.name = buf[start:len(buf):len(buf)]
		}
		i = skipWS(p, end)
		if i >= len(p) || p[i] != ':' {
			return buf, ms, false
		}
		i = skipWS(p, i+1)
		ve := valueEnd(p, i)
		if ve < 0 {
			return buf, ms, false
		}
		m.value = p[i:ve:ve]
		ms = append(ms, m)
		i = skipWS(p, ve)
		if i >= len(p) {
			return buf, ms, false
		}
		switch p[i] {
		case '}':
			return buf, ms, skipWS(p, i+1) == len(p)
		case ',':
			i = skipWS(p, i+1)
		default:
			return buf, ms, false
		}
	}
}

// hasDuplicate reports whether two members have the same decoded name: by
// comparing every pair up to 32 members, with a map beyond.
func hasDuplicate(ms []member) bool {
	if len(ms) <= 32 {
		for i := 1; i < len(ms); i++ {
			for j := 0; j < i; j++ {
				if bytes.Equal(ms[i].name, ms[j].name) {
					return true
				}
			}
		}
		return false
	}
	seen := make(map[string]struct{}, len(ms))
	for _, m := range ms {
		if _, dup := seen[string(m.name)]; dup {
			return true
		}
		seen[string(m.name)] = struct{}{}
	}
	return false
}

func lookup(ms []member, name string) ([]byte, bool) {
	for i := range ms {
		if string(ms[i].name) == name {
			return ms[i].value, true
		}
	}
	return nil, false
}

func isString(v []byte) bool {
	return len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"'
}

// decodeEscape decodes the escape sequence at the start of s (s[0] is a
// backslash). n is its length, 0 if it is invalid; a surrogate must be
// part of a \uXXXX\uXXXX pair.
func decodeEscape(s []byte) (r rune, n int) {
	if len(s) < 2 {
		return 0, 0
	}
	if i := strings.IndexByte(`"\/bfnrt`, s[1]); i >= 0 {
		return rune("\"\\/\b\f\n\r\t"[i]), 2
	}
	if s[1] != 'u' {
		return 0, 0
	}
	if r = hex4(s[2:]); r < 0 {
		return 0, 0
	}
	if !utf16.IsSurrogate(r) {
		return r, 6
	}
	if r >= 0xdc00 || len(s) < 12 || s[6] != '\\' || s[7] != 'u' {
		return 0, 0
	}
	lo := hex4(s[8:])
	if lo < 0xdc00 || lo > 0xdfff {
		return 0, 0
	}
	return utf16.DecodeRune(r, lo), 12
}

// hex4 decodes four hex digits, or returns -1.
func hex4(s []byte) rune {
	if len(s) < 4 {
		return -1
	}
	var r rune
	for _, c := range s[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// unquoteAppend appends the decoding of the body s of a JSON string (the
// text between the quotes) to dst. ok is false on an invalid escape or a
// raw control character.
func unquoteAppend(dst, s []byte) (_ []byte, ok bool) {
	for len(s) > 0 {
		k := bytes.IndexByte(s, '\\')
		if k < 0 {
			k = len(s)
		}
		for _, c := range s[:k] {
			if c < 0x20 {
				return dst, false
			}
		}
		dst = append(dst, s[:k]...)
		s = s[k:]
		if len(s) == 0 {
			break
		}
		r, n := decodeEscape(s)
		if n == 0 {
			return dst, false
		}
		dst = utf8.AppendRune(dst, r)
		s = s[n:]
	}
	return dst, true
}

// stringEquals reports whether the raw JSON value v is a string whose
// decoded text is want. It does not allocate. v must come from valid JSON
// (raw control characters are not looked for).
func stringEquals(v []byte, want string) bool {
	if !isString(v) {
		return false
	}
	s := v[1 : len(v)-1]
	if bytes.IndexByte(s, '\\') < 0 {
		return string(s) == want
	}
	j := 0
	for i := 0; i < len(s); {
		if s[i] != '\\' {
			if j >= len(want) || s[i] != want[j] {
				return false
			}
			i++
			j++
			continue
		}
		r, n := decodeEscape(s[i:])
		if n == 0 {
			return false
		}
		var b [utf8.UTFMax]byte
		k := utf8.EncodeRune(b[:], r)
		if len(want)-j < k || string(b[:k]) != want[j:j+k] {
			return false
		}
		i += n
		j += k
	}
	return j == len(want)
}

// stringValue returns the decoded text of the raw JSON string v.
func stringValue(v []byte) (string, bool) {
	if !isString(v) {
		return "", false
	}
	s := v[1 : len(v)-1]
	b, ok := unquoteAppend(make([]byte, 0, len(s)), s)
	if !ok {
		return "", false
	}
	return string(b), true
}

// parseNumber reads the raw JSON number v as Python's int() would: a
// fraction is truncated toward zero. ok is false if v is not a number or
// does not fit an int64. above is true when the number is greater than
// the returned integer (a positive value with a fraction).
func parseNumber(v []byte) (n int64, above, ok bool) {
	if len(v) == 0 || (v[0] != '-' && (v[0] < '0' || v[0] > '9')) {
		return 0, false, false
	}
	if !bytes.ContainsAny(v, ".eE") { // Python reads a fraction or an exponent as a float
		digits, neg := bytes.CutPrefix(v, []byte("-"))
		if len(digits) == 0 {
			return 0, false, false
		}
		var u uint64
		for _, c := range digits {
			if c < '0' || c > '9' || u > (math.MaxUint64-9)/10 {
				return 0, false, false
			}
			u = u*10 + uint64(c-'0')
		}
		switch {
		case !neg && u <= math.MaxInt64:
			return int64(u), false, true
		case neg && u <= 1<<63:
			return int64(-u), false, true
		}
		return 0, false, false
	}
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false, false
	}
	t := math.Trunc(f)
	if t < -(1<<63) || t >= 1<<63 {
		return 0, false, false
	}
	return int64(t), f > t, true
}

// appendJSONString appends s as a JSON string the way Python's json.dumps
// writes it (ensure_ascii): everything outside printable ASCII is a
// \uXXXX escape, so tokens match simplejwt's byte for byte. Invalid UTF-8
// is written as U+FFFD.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for _, r := range s {
		if i := strings.IndexRune("\"\\\n\r\t\b\f", r); i >= 0 {
			dst = append(dst, '\\', `"\nrtbf`[i])
			continue
		}
		if r >= 0x20 && r < 0x7f {
			dst = append(dst, byte(r))
			continue
		}
		if r > 0xffff {
			hi, lo := utf16.EncodeRune(r)
			dst = append(dst, '\\', 'u', hex[hi>>12&0xf], hex[hi>>8&0xf], hex[hi>>4&0xf], hex[hi&0xf])
			r = lo
		}
		dst = append(dst, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
	}
	return append(dst, '"')
}

// Strict base64url (RFC 4648 §5) without padding, as RFC 7515 §2 requires:
// only the 64 alphabet characters, no '=', no whitespace or line breaks
// (which encoding/base64 skips even in strict mode), a length that is not
// 1 mod 4, and zero bits after the last byte (one encoding per value).

const b64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// b64Inv maps a byte to its 6-bit value, or 0xff if it is not in the
// alphabet.
var b64Inv = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i := 0; i < len(b64Alphabet); i++ {
		t[b64Alphabet[i]] = byte(i)
	}
	return t
}()

// b64Decode appends the decoding of s to dst. ok is false if s is not
// strict unpadded base64url; dst is then returned unchanged in length.
func b64Decode(dst []byte, s string) (out []byte, ok bool) {
	if len(s)%4 == 1 {
		return dst, false
	}
	start := len(dst)
	i := 0
	for ; i+4 <= len(s); i += 4 {
		a, b, c, d := b64Inv[s[i]], b64Inv[s[i+1]], b64Inv[s[i+2]], b64Inv[s[i+3]]
		if (a|b|c|d)&0xc0 != 0 {
			return dst[:start], false
		}
		v := uint32(a)<<18 | uint32(b)<<12 | uint32(c)<<6 | uint32(d)
		dst = append(dst, byte(v>>16), byte(v>>8), byte(v))
	}
	switch len(s) - i {
	case 2:
		a, b := b64Inv[s[i]], b64Inv[s[i+1]]
		if (a|b)&0xc0 != 0 || b&0x0f != 0 {
			return dst[:start], false
		}
		dst = append(dst, a<<2|b>>4)
	case 3:
		a, b, c := b64Inv[s[i]], b64Inv[s[i+1]], b64Inv[s[i+2]]
		if (a|b|c)&0xc0 != 0 || c&0x03 != 0 {
			return dst[:start], false
		}
		dst = append(dst, a<<2|b>>4, b<<4|c>>2)
	}
	return dst, true
}
