package gettext

import (
	"slices"
	"strings"
)

// Django's get_language_from_request (django/utils/translation/trans_real.py
// of Django 3.2), without allocating: the header is parsed into an array
// on the stack.

// maxHeader is Django's LANGUAGE_CODE_MAX_LENGTH: a longer Accept-Language
// is cut at its last comma before it, a longer code at its last dash.
const maxHeader = 500

// zhFallback is LANG_INFO's "fallback" of the Chinese region codes.
var zhFallback = map[string]string{"zh-cn": "zh-hans", "zh-hk": "zh-hant", "zh-mo": "zh-hant",
	"zh-my": "zh-hans", "zh-sg": "zh-hans", "zh-tw": "zh-hant"}

// Negotiate returns the index of the language Django's LocaleMiddleware
// activates for a request with this django_language cookie value (""
// when absent) and Accept-Language header.
func (s *Set) Negotiate(cookie, acceptLanguage string) int {
	if cookie != "" {
		if i, ok := s.supported[cookie]; ok {
			return i
		}
		if i, ok := s.variant(cookie); ok {
			return i
		}
	}
	var entries [maxHeader / 2]entry
	var buf [maxHeader]byte
	n := parseAcceptLanguage(acceptLanguage, &buf, &entries)
	// Highest quality first, equal qualities in header order (Python's
	// stable sort).
	slices.SortStableFunc(entries[:n], func(a, b entry) int { return int(b.q) - int(a.q) })
	for _, e := range entries[:n] {
		lang := buf[e.start:e.end]
		if string(lang) == "*" {
			return s.def
		}
		if i, ok := s.variant(string(lang)); ok {
			return i
		}
	}
	return s.def
}

// variant is get_supported_language_variant(code): the code, its LANG_INFO
// fallback, its shorter prefixes, then (non-strict) the first supported
// language of the same generic language. Map lookups keyed by
// string(bytes) conversions do not allocate.
func (s *Set) variant(code string) (int, bool) {
	if len(code) > maxHeader {
		i := strings.LastIndexByte(code[:maxHeader], '-')
		if i <= 0 {
			return 0, false
		}
		code = code[:i]
	}
	var lower [maxHeader]byte
	l := lowerASCII(&lower, code)
	if !validCode(l) {
		return 0, false
	}
	if i, ok := s.supported[string(l)]; ok {
		return i, true
	}
	if fb, ok := zhFallback[string(l)]; ok {
		if i, ok := s.supported[fb]; ok {
			return i, true
		}
	}
	generic := l
	for j := len(l) - 1; j > 0; j-- {
		if l[j] == '-' {
			generic = l[:j]
			if i, ok := s.supported[string(generic)]; ok {
				return i, true
			}
		}
	}
	if i, ok := s.byPrefix[string(generic)]; ok {
		return i, true
	}
	return 0, false
}

// validCode is language_code_re without the @modifier, which no language
// in LANGUAGES has: [a-z]{1,8}(-[a-z0-9]{1,8})*.
func validCode(b []byte) bool {
	part, first := 0, true
	for _, c := range b {
		switch {
		case c == '-':
			if part == 0 {
				return false
			}
			part, first = 0, false
		case 'a' <= c && c <= 'z', !first && '0' <= c && c <= '9':
			part++
			if part > 8 {
				return false
			}
		default:
			return false
		}
	}
	return part > 0
}

// lowerASCII copies s into buf with ASCII letters lower-cased.
func lowerASCII(buf *[maxHeader]byte, s string) []byte {
	b := buf[:len(s)]
	for i := range len(s) {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	return b
}

// entry is one language range of an Accept-Language header: buf[start:end]
// and its quality in thousandths.
type entry struct {
	start, end uint16
	q          uint16
}

// parseAcceptLanguage is Django's parse_accept_lang_header: the header,
// cut to its last comma before 500 bytes when longer, lower-cased into buf,
// must be a sequence of matches of accept_language_re
//
//	([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)(?:\s*;\s*q=(0(?:\.\d{,3})?|1(?:\.0{,3})?))?(?:\s*,\s*|$)
//
// from its first byte to its last, or it yields no entries at all. The
// header's bytes are Latin-1 characters, as WSGI decodes them, so \s also
// matches 0x1c–0x1f, 0x85 and 0xa0.
func parseAcceptLanguage(h string, buf *[maxHeader]byte, out *[maxHeader / 2]entry) int {
	if len(h) > maxHeader {
		i := strings.LastIndexByte(h[:maxHeader], ',')
		if i <= 0 {
			return 0
		}
		h = h[:i]
	}
	b := lowerASCII(buf, h)
	n, p := 0, 0
	for p < len(b) {
		if n == len(out) {
			return 0
		}
		start := p
		if b[p] == '*' {
			p++
		} else {
			k := 0
			for p < len(b) && isAlpha(b[p]) && k < 8 {
				p, k = p+1, k+1
			}
			if k == 0 {
				return 0
			}
			for p+1 < len(b) && b[p] == '-' && isAlnum(b[p+1]) {
				p++
				k = 0
				for p < len(b) && isAlnum(b[p]) && k < 8 {
					p, k = p+1, k+1
				}
			}
		}
		e := entry{start: uint16(start), end: uint16(p), q: 1000}
		// Optional quality.
		if j := skipSpace(b, p); j < len(b) && b[j] == ';' {
			j = skipSpace(b, j+1)
			if j+2 <= len(b) && b[j] == 'q' && b[j+1] == '=' {
				if q, k, ok := quality(b, j+2); ok {
					e.q, p = q, k
				}
			}
		}
		// A comma (with spaces), or the end; Python's $ also matches before
		// a final newline, which then fails as unparsed text.
		j := skipSpace(b, p)
		switch {
		case j < len(b) && b[j] == ',':
			p = skipSpace(b, j+1)
		case p == len(b):
		default:
			return 0
		}
		out[n] = e
		n++
	}
	return n
}

// quality matches 0(\.\d{0,3})? or 1(\.0{0,3})? at b[i:], greedily.
func quality(b []byte, i int) (q uint16, end int, ok bool) {
	if i >= len(b) || (b[i] != '0' && b[i] != '1') {
		return 0, i, false
	}
	one := b[i] == '1'
	if one {
		q = 1000
	}
	i++
	if i < len(b) && b[i] == '.' {
		i++
		scale := uint16(100)
		for k := 0; k < 3 && i < len(b) && '0' <= b[i] && b[i] <= '9' && (!one || b[i] == '0'); k++ {
			q += uint16(b[i]-'0') * scale
			scale /= 10
			i++
		}
	}
	return q, i, true
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' }
func isAlnum(c byte) bool { return isAlpha(c) || '0' <= c && c <= '9' }

func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch c := b[i]; {
		case c == ' ', '\t' <= c && c <= '\r', 0x1c <= c && c <= 0x1f, c == 0x85, c == 0xa0:
			i++
		default:
			return i
		}
	}
	return i
}
