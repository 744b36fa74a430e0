package main

import (
	"strconv"
	"strings"
	"unicode"

	"github.com/jwtgate/jwtgate/drf"
	"github.com/jwtgate/jwtgate/internal/pystr"
)

// pyKind is the Python type a request value has once DRF has parsed it.
type pyKind int

// The Python types of request values. A JSON body can hold any of them; a
// form body only kindStr, and kindFile for a multipart file part.
const (
	kindNone pyKind = iota
	kindBool
	kindInt
	kindFloat
	kindStr
	kindList
	kindDict
	kindFile
)

// pyValue is one request value, seen as Python sees it.
type pyValue struct {
	kind pyKind
	// str is the text of a str (WTF-8: a lone surrogate is kept), the
	// decimal digits of an int, or the file name of a file part.
	str     string
	num     float64 // the value of a float
	boolean bool    // the value of a bool
}

// pyValueOf is the Python value DRF's parsers give for v.
func pyValueOf(v drf.Value) pyValue {
	switch v.Kind {
	case drf.Null, drf.Missing:
		return pyValue{kind: kindNone}
	case drf.Bool:
		return pyValue{kind: kindBool, boolean: v.Text == "true"}
	case drf.Number:
		if strings.ContainsAny(v.Text, ".eE") {
			f, _ := strconv.ParseFloat(v.Text, 64) // ±Inf on overflow, as float()
			return pyValue{kind: kindFloat, num: f}
		}
		return pyValue{kind: kindInt, str: pystr.NumberStr(v.Text)}
	case drf.List:
		return pyValue{kind: kindList}
	case drf.Object:
		return pyValue{kind: kindDict}
	case drf.File:
		return pyValue{kind: kindFile, str: v.Text}
	}
	return pyValue{kind: kindStr, str: v.Text}
}

// pyStr is Python's str() of a request value, which DRF's CharField and
// IntegerField apply before converting.
func pyStr(v pyValue) string {
	switch v.kind {
	case kindNone:
		return "None"
	case kindBool:
		if v.boolean {
			return "True"
		}
		return "False"
	case kindFloat:
		return pystr.FloatRepr(v.num)
	case kindList:
		return "[...]" // never a valid int; the text is not shown anywhere
	case kindDict:
		return "{...}"
	}
	return v.str // str, int digits, file name
}

// dropDecimalZeros is DRF IntegerField's re.sub(r'\.0*\s*$', ”, s), which
// lets "4.0" and "4.000 " through as integers but not "4.5".
func dropDecimalZeros(s string) string {
	t := strings.TrimRightFunc(s, pystr.IsSpace)
	t = strings.TrimRight(t, "0")
	if strings.HasSuffix(t, ".") {
		return t[:len(t)-1]
	}
	return s
}

// pyInt is Python's int(s) in base 10: surrounding whitespace, an optional
// sign, decimal digits (any script's, as Python allows) with single
// underscores between them. Values beyond ±2^62 saturate there, which is
// enough for range checks. int() trims less than str.strip() (not
// \x1c-\x1f): ASCII whitespace and Unicode spaces, exactly unicode.IsSpace.
func pyInt(s string) (int64, bool) {
	s = strings.TrimFunc(s, unicode.IsSpace)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg, s = s[0] == '-', s[1:]
	}
	const limit = 1 << 62
	var n int64
	prevDigit := false
	for _, r := range s {
		if r == '_' {
			if !prevDigit {
				return 0, false
			}
			prevDigit = false
			continue
		}
		d, ok := decimalDigit(r)
		if !ok {
			return 0, false
		}
		prevDigit = true
		if n < limit {
			n = min(n*10+int64(d), limit)
		}
	}
	if !prevDigit { // empty, or ends with an underscore
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

// decimalDigit is the value of a Unicode decimal digit (category Nd). Nd
// characters come in contiguous runs of ten, '0' to '9', so the value is
// the distance from the start of the run, modulo ten.
func decimalDigit(r rune) (int, bool) {
	if r >= '0' && r <= '9' {
		return int(r - '0'), true
	}
	if !unicode.Is(unicode.Nd, r) {
		return 0, false
	}
	start := r
	for unicode.Is(unicode.Nd, start-1) {
		start--
	}
	return int(r-start) % 10, true
}
