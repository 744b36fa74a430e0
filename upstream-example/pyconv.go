package main

import (
	"strconv"
	"strings"
	"unicode"

	"github.com/jwtgate/jwtgate/drf"
	"github.com/jwtgate/jwtgate/internal/pystr"
)

// pyStr is Python's str() of a request value that IntegerField converts:
// a JSON number as json.loads reads it, else the text (a file part's
// name; nothing that is not a str or a number can be a valid int).
func pyStr(v drf.Value) string {
	if v.Kind == drf.Number {
		return pystr.NumberStr(v.Text)
	}
	return v.Text
}

// toBool is BooleanField.to_internal_value: membership in DRF's
// TRUE_VALUES / FALSE_VALUES sets, where Python's 1 == 1.0 == True.
func toBool(v drf.Value) (bool, bool) {
	switch v.Kind {
	case drf.Bool:
		return v.Text == "true", true
	case drf.Number:
		if f, _ := strconv.ParseFloat(v.Text, 64); f == 0 || f == 1 {
			return f == 1, true
		}
	case drf.String:
		switch v.Text {
		case "t", "T", "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "1":
			return true, true
		case "f", "F", "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "0":
			return false, true
		}
	}
	return false, false
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
