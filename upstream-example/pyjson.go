package main

import (
	"fmt"
	"strings"
	"unicode/utf8"
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

// typeName is Python's type(x).__name__, used in DRF's "Expected a
// dictionary, but got …" message.
func (k pyKind) typeName() string {
	return [...]string{"NoneType", "bool", "int", "float", "str", "list", "dict", "InMemoryUploadedFile"}[k]
}

// pyValue is one decoded request value, seen as Python sees it.
type pyValue struct {
	kind pyKind
	// str is the text of a str, the decimal digits of an int, or the file
	// name of a file part.
	str       string
	num       float64 // the value of a float
	boolean   bool    // the value of a bool
	surrogate rune    // the first lone surrogate in a str (stored as U+FFFD), or 0
	// fields holds a dict's members (a repeated key keeps its last value).
	fields map[string]pyValue
}

// maxJSONDepth bounds nesting. Python gives up near 1000 with a
// RecursionError that DRF turns into an HTML 500; we answer a 400 instead.
const maxJSONDepth = 500

// maxIntDigits is Python 3.11's limit on int conversion (sys.int_info).
const maxIntDigits = 4300

// decodeJSON decodes a request body as DRF's JSONParser does: UTF-8 through
// a codecs stream reader, then json.load with NaN and Infinity refused. The
// error is the text DRF puts after "JSON parse error - ".
func decodeJSON(body []byte) (pyValue, string) {
	s, errText := decodeUTF8(body)
	if errText != "" {
		return pyValue{}, errText
	}
	if strings.HasPrefix(s, "\ufeff") {
		return pyValue{}, decodeErr("Unexpected UTF-8 BOM (decode using utf-8-sig)", s, 0)
	}
	p := &jsonParser{s: s}
	v, end, err := p.value(skipWS(s, 0))
	if err == nil {
		if end = skipWS(s, end); end != len(s) {
			err = &jsonErr{msg: "Extra data", pos: end}
		}
	}
	if err != nil {
		if err.pos < 0 {
			return pyValue{}, err.msg
		}
		return pyValue{}, decodeErr(err.msg, s, err.pos)
	}
	return v, ""
}

// decodeErr formats a json.JSONDecodeError: positions count code points.
func decodeErr(msg, s string, pos int) string {
	before := s[:pos]
	char := utf8.RuneCountInString(before)
	line := strings.Count(before, "\n") + 1
	col := char + 1
	if i := strings.LastIndexByte(before, '\n'); i >= 0 {
		col = char - utf8.RuneCountInString(before[:i])
	}
	return fmt.Sprintf("%s: line %d column %d (char %d)", msg, line, col, char)
}

// decodeUTF8 decodes b as Python's non-final UTF-8 stream reader does: an
// incomplete sequence at the very end is dropped, any other invalid byte is
// an error worded as Python words UnicodeDecodeError.
func decodeUTF8(b []byte) (string, string) {
	for i := 0; i < len(b); {
		c := b[i]
		if c < 0x80 {
			i++
			continue
		}
		n, lo, hi := 0, byte(0x80), byte(0xBF)
		switch {
		case c >= 0xC2 && c <= 0xDF:
			n = 1
		case c == 0xE0:
			n, lo = 2, 0xA0
		case c == 0xED:
			n, hi = 2, 0x9F
		case c >= 0xE1 && c <= 0xEF:
			n = 2
		case c == 0xF0:
			n, lo = 3, 0x90
		case c == 0xF4:
			n, hi = 3, 0x8F
		case c >= 0xF1 && c <= 0xF3:
			n = 3
		default:
			return "", fmt.Sprintf("'utf-8' codec can't decode byte 0x%02x in position %d: invalid start byte", c, i)
		}
		for j := 1; j <= n; j++ {
			if i+j == len(b) {
				return string(b[:i]), ""
			}
			if d := b[i+j]; d < lo || d > hi {
				if j == 1 {
					return "", fmt.Sprintf("'utf-8' codec can't decode byte 0x%02x in position %d: invalid continuation byte", c, i)
				}
				return "", fmt.Sprintf("'utf-8' codec can't decode bytes in position %d-%d: invalid continuation byte", i, i+j-1)
			}
			lo, hi = 0x80, 0xBF
		}
		i += n + 1
	}
	return string(b), ""
}

// jsonErr is a decoding error at byte offset pos of the input; pos < 0
// marks a plain ValueError, whose text carries no position.
type jsonErr struct {
	msg string
	pos int
}

// jsonParser follows CPython 3.11's C scanner (Modules/_json.c) so that
// errors carry the same message at the same position.
type jsonParser struct {
	s     string
	depth int
}

func isWS(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipWS(s string, i int) int {
	for i < len(s) && isWS(s[i]) {
		i++
	}
	return i
}

// value scans one value at i and returns it with the offset just after it.
func (p *jsonParser) value(i int) (pyValue, int, *jsonErr) {
	s := p.s
	if i >= len(s) {
		return pyValue{}, 0, &jsonErr{"Expecting value", i}
	}
	switch s[i] {
	case '"':
		str, sur, end, err := p.str(i + 1)
		return pyValue{kind: kindStr, str: str, surrogate: sur}, end, err
	case '{', '[':
		if p.depth >= maxJSONDepth {
			what := "object"
			if s[i] == '[' {
				what = "array"
			}
			return pyValue{}, 0, &jsonErr{"maximum recursion depth exceeded while decoding a JSON " + what + " from a unicode string", -1}
		}
		p.depth++
		defer func() { p.depth-- }()
		if s[i] == '{' {
			return p.object(i + 1)
		}
		return p.array(i + 1)
	}
	for _, c := range [...]struct {
		lit string
		v   pyValue
	}{
		{"null", pyValue{kind: kindNone}},
		{"true", pyValue{kind: kindBool, boolean: true}},
		{"false", pyValue{kind: kindBool}},
	} {
		if strings.HasPrefix(s[i:], c.lit) {
			return c.v, i + len(c.lit), nil
		}
	}
	for _, c := range [...]string{"NaN", "Infinity", "-Infinity"} {
		if strings.HasPrefix(s[i:], c) {
			return pyValue{}, 0, &jsonErr{"Out of range float values are not JSON compliant: '" + c + "'", -1}
		}
	}
	return p.number(i)
}

// number matches -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)? at i.
func (p *jsonParser) number(start int) (pyValue, int, *jsonErr) {
	s, i := p.s, start
	digit := func(j int) bool { return j < len(s) && s[j] >= '0' && s[j] <= '9' }
	if s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i++; digit(i); i++ {
		}
	case i < len(s) && s[i] == '0':
		i++
	default:
		return pyValue{}, 0, &jsonErr{"Expecting value", start}
	}
	isFloat := false
	if i+1 < len(s) && s[i] == '.' && digit(i+1) {
		isFloat = true
		for i += 2; digit(i); i++ {
		}
	}
	if i+1 < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j+1 < len(s) && (s[j] == '-' || s[j] == '+') {
			j++
		}
		k := j
		for digit(k) {
			k++
		}
		if k > j {
			isFloat, i = true, k
		}
	}
	lit := s[start:i]
	if isFloat {
		return pyValue{kind: kindFloat, num: parsePyFloat(lit)}, i, nil
	}
	digits := strings.TrimPrefix(lit, "-")
	if len(digits) > maxIntDigits {
		return pyValue{}, 0, &jsonErr{fmt.Sprintf("Exceeds the limit (%d digits) for integer string conversion: value has %d digits; use sys.set_int_max_str_digits() to increase the limit", maxIntDigits, len(digits)), -1}
	}
	if digits == "0" {
		lit = "0"
	}
	return pyValue{kind: kindInt, str: lit}, i, nil
}

// str scans the rest of a string whose opening quote is at i-1.
func (p *jsonParser) str(i int) (string, rune, int, *jsonErr) {
	s, begin := p.s, i-1
	var b strings.Builder
	var sur rune
	for {
		j := i
		for j < len(s) && s[j] != '"' && s[j] != '\\' {
			if s[j] <= 0x1f {
				return "", 0, 0, &jsonErr{"Invalid control character at", j}
			}
			j++
		}
		if j == len(s) {
			return "", 0, 0, &jsonErr{"Unterminated string starting at", begin}
		}
		b.WriteString(s[i:j])
		if s[j] == '"' {
			return b.String(), sur, j + 1, nil
		}
		j++ // past the backslash
		if j == len(s) {
			return "", 0, 0, &jsonErr{"Unterminated string starting at", begin}
		}
		if s[j] != 'u' {
			c := unescape(s[j])
			if c == 0 {
				return "", 0, 0, &jsonErr{"Invalid \\escape", j - 1}
			}
			b.WriteByte(c)
			i = j + 1
			continue
		}
		// \uXXXX: CPython wants a character after the four digits.
		if j+5 >= len(s) {
			return "", 0, 0, &jsonErr{"Invalid \\uXXXX escape", j}
		}
		c, ok := hex4(s[j+1 : j+5])
		if !ok {
			return "", 0, 0, &jsonErr{"Invalid \\uXXXX escape", j}
		}
		i = j + 5
		if c >= 0xD800 && c <= 0xDBFF && i+6 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
			c2, ok := hex4(s[i+2 : i+6])
			if !ok {
				return "", 0, 0, &jsonErr{"Invalid \\uXXXX escape", i + 1}
			}
			if c2 >= 0xDC00 && c2 <= 0xDFFF {
				c = 0x10000 + (c-0xD800)<<10 | (c2 - 0xDC00)
				i += 6
			}
		}
		if c >= 0xD800 && c <= 0xDFFF {
			if sur == 0 {
				sur = c
			}
			c = utf8.RuneError
		}
		b.WriteRune(c)
	}
}

// unescape is the character a one-letter escape stands for, or 0.
func unescape(c byte) byte {
	switch c {
	case '"', '\\', '/':
		return c
	case 'b':
		return '\b'
	case 'f':
		return '\f'
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	}
	return 0
}

func hex4(h string) (rune, bool) {
	var c rune
	for i := 0; i < len(h); i++ {
		d := h[i]
		switch {
		case d >= '0' && d <= '9':
			d -= '0'
		case d >= 'a' && d <= 'f':
			d -= 'a' - 10
		case d >= 'A' && d <= 'F':
			d -= 'A' - 10
		default:
			return 0, false
		}
		c = c<<4 | rune(d)
	}
	return c, true
}

// object scans the members of an object whose '{' is at i-1.
func (p *jsonParser) object(i int) (pyValue, int, *jsonErr) {
	s := p.s
	v := pyValue{kind: kindDict, fields: map[string]pyValue{}}
	i = skipWS(s, i)
	if i < len(s) && s[i] == '}' {
		return v, i + 1, nil
	}
	for {
		if i >= len(s) || s[i] != '"' {
			return pyValue{}, 0, &jsonErr{"Expecting property name enclosed in double quotes", i}
		}
		key, _, end, err := p.str(i + 1)
		if err != nil {
			return pyValue{}, 0, err
		}
		i = skipWS(s, end)
		if i >= len(s) || s[i] != ':' {
			return pyValue{}, 0, &jsonErr{"Expecting ':' delimiter", i}
		}
		member, end, err := p.value(skipWS(s, i+1))
		if err != nil {
			return pyValue{}, 0, err
		}
		v.fields[key] = member
		i = skipWS(s, end)
		if i < len(s) && s[i] == '}' {
			return v, i + 1, nil
		}
		if i >= len(s) || s[i] != ',' {
			return pyValue{}, 0, &jsonErr{"Expecting ',' delimiter", i}
		}
		i = skipWS(s, i+1)
	}
}

// array scans the elements of an array whose '[' is at i-1. Elements are
// checked but not kept: no field of this API accepts a list.
func (p *jsonParser) array(i int) (pyValue, int, *jsonErr) {
	s := p.s
	i = skipWS(s, i)
	if i < len(s) && s[i] == ']' {
		return pyValue{kind: kindList}, i + 1, nil
	}
	for {
		_, end, err := p.value(i)
		if err != nil {
			return pyValue{}, 0, err
		}
		i = skipWS(s, end)
		if i < len(s) && s[i] == ']' {
			return pyValue{kind: kindList}, i + 1, nil
		}
		if i >= len(s) || s[i] != ',' {
			return pyValue{}, 0, &jsonErr{"Expecting ',' delimiter", i}
		}
		i = skipWS(s, i+1)
	}
}
