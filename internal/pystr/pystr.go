// Package pystr holds the pieces of Python 3.11's str semantics that
// Django and Django REST framework answers depend on, shared by drf,
// password and upstream-example: str.isspace and str.strip, len() in code
// points, repr() of a float, and WTF-8 (the generalised UTF-8 in which a
// Python str holding a lone surrogate, such as json.loads('"\ud800"'), is
// kept as bytes).
package pystr

import (
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// IsSpace is str.isspace for one character: Unicode White_Space (Go's
// unicode.IsSpace, which agrees with Python 3.11's Unicode 14 on it) plus
// the information separators U+001C..U+001F.
func IsSpace(r rune) bool { return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f) }

// Strip is str.strip() with no argument. Bytes that are not valid UTF-8
// (such as a WTF-8 surrogate) are never whitespace.
func Strip(s string) string { return strings.TrimFunc(s, IsSpace) }

// SurrogateAt reports whether s[i:] starts with a surrogate code point in
// WTF-8 (0xED 0xA0..0xBF 0x80..0xBF), and which one.
func SurrogateAt(s string, i int) (rune, bool) {
	if i+2 < len(s) && s[i] == 0xED && s[i+1] >= 0xA0 && s[i+1] <= 0xBF && s[i+2] >= 0x80 && s[i+2] <= 0xBF {
		return 0xD000 | rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F), true
	}
	return 0, false
}

// Len is len() of the str whose WTF-8 form is s: its number of code
// points, a surrogate counting as one.
func Len(s string) int {
	n := 0
	for i := 0; i < len(s); n++ {
		if _, ok := SurrogateAt(s, i); ok {
			i += 3
		} else {
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
		}
	}
	return n
}

// FirstSurrogate returns the first surrogate code point of s, if any.
func FirstSurrogate(s string) (rune, bool) {
	for i := 0; i < len(s); i++ {
		if r, ok := SurrogateAt(s, i); ok {
			return r, true
		}
	}
	return 0, false
}

// AppendWTF8 appends r in UTF-8, encoding a surrogate code point the way
// Python's "surrogatepass" error handler does instead of replacing it.
func AppendWTF8(b []byte, r rune) []byte {
	if r >= 0xD800 && r <= 0xDFFF {
		return append(b, 0xED, byte(0x80|(r>>6)&0x3F), byte(0x80|r&0x3F))
	}
	return utf8.AppendRune(b, r)
}

// FloatRepr is repr() (and str()) of a float: the shortest digits that
// round-trip, in fixed notation when the decimal exponent is in [-4, 16)
// (with ".0" added to integral values) and in scientific notation
// otherwise, with a signed exponent of at least two digits.
func FloatRepr(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	sci := strconv.FormatFloat(f, 'e', -1, 64)
	exp, _ := strconv.Atoi(sci[strings.LastIndexByte(sci, 'e')+1:])
	if exp < -4 || exp >= 16 {
		return sci // Go's 'e' format already writes "1e+16", "1.5e-07"
	}
	fixed := strconv.FormatFloat(f, 'f', -1, 64)
	if strings.IndexByte(fixed, '.') < 0 {
		fixed += ".0"
	}
	return fixed
}

// NumberStr is str() of the value json.loads gives for a JSON number
// literal: an int keeps its digits ("-0" becomes "0"), a float is
// FloatRepr of float(lit) (an overflow gives "inf" or "-inf").
func NumberStr(lit string) string {
	if strings.ContainsAny(lit, ".eE") {
		f, _ := strconv.ParseFloat(lit, 64) // ±Inf on overflow, as float()
		return FloatRepr(f)
	}
	if lit == "-0" {
		return "0"
	}
	return lit
}
