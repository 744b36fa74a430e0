package drf

import (
	"strings"
	"unicode/utf8"

	"github.com/jwtgate/jwtgate/internal/pystr"
)

// headerParam is one parameter of a parsed header. value holds raw bytes,
// as Django's parse_header returns them, unless decoded is set (an RFC 2231
// "name*=charset'lang'value" parameter, which Django returns as str).
type headerParam struct {
	value   string
	decoded bool
}

// parseHeader ports django.http.multipartparser.parse_header (Django 3.2),
// which DRF uses for Content-Type and Accept values and Django for the
// headers of multipart parts. cgi selects the quote counting of Python's
// cgi.parse_header (used for request.encoding) instead, which also ignores
// RFC 2231 parameters and accepts non-ASCII names. key is the lowercased value before the first ";".
// ok is false where Python raises ValueError (a non-ASCII key or parameter
// name, a malformed RFC 2231 value).
func parseHeader(line string, cgi bool) (key string, params map[string]headerParam, ok bool) {
	plist := splitHeaderParams(";"+line, cgi)
	key = asciiLower(plist[0])
	if !cgi && !isASCII(key) {
		return "", nil, false
	}
	for _, p := range plist[1:] {
		i := strings.IndexByte(p, '=')
		if i < 0 {
			continue
		}
		name := asciiLower(bytesStrip(p[:i]))
		if !cgi && !isASCII(name) {
			return "", nil, false
		}
		rfc2231 := false
		if !cgi && strings.HasSuffix(name, "*") {
			name = name[:len(name)-1]
			rfc2231 = strings.Count(p, "'") == 2
		}
		value := bytesStrip(p[i+1:])
		if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
			value = value[1 : len(value)-1]
			value = strings.ReplaceAll(value, `\\`, `\`)
			value = strings.ReplaceAll(value, `\"`, `"`)
		}
		hp := headerParam{value: value}
		if rfc2231 {
			parts := strings.Split(value, "'")
			if len(parts) != 3 || !utf8.ValidString(parts[0]) || !utf8.ValidString(parts[2]) {
				return "", nil, false
			}
			v, ok := unquoteCharset(parts[2], parts[0])
			if !ok {
				return "", nil, false
			}
			hp = headerParam{value: v, decoded: true}
		}
		if params == nil {
			params = map[string]headerParam{}
		}
		params[name] = hp
	}
	return key, params, true
}

// splitHeaderParams ports _parse_header_params: split on ";" outside double
// quotes and strip each piece. cgi discounts backslash-escaped quotes.
func splitHeaderParams(s string, cgi bool) []string {
	var out []string
	for len(s) > 0 && s[0] == ';' {
		s = s[1:]
		end := strings.IndexByte(s, ';')
		for end > 0 && quotesBefore(s, end, cgi)%2 == 1 {
			next := strings.IndexByte(s[end+1:], ';')
			if next < 0 {
				end = -1
			} else {
				end += 1 + next
			}
		}
		if end < 0 {
			end = len(s)
		}
		if cgi {
			out = append(out, pystr.Strip(s[:end]))
		} else {
			out = append(out, bytesStrip(s[:end]))
		}
		s = s[end:]
	}
	return out
}

func quotesBefore(s string, end int, cgi bool) int {
	n := strings.Count(s[:end], `"`)
	if cgi {
		n -= strings.Count(s[:end], `\"`)
	}
	return n
}

// unquoteCharset is urllib.parse.unquote(value, encoding=charset) with the
// default errors="replace". ok is false for a charset drf cannot decode
// when there is something to decode (Python raises LookupError there).
func unquoteCharset(value, charset string) (string, bool) {
	if strings.IndexByte(value, '%') < 0 {
		return value, true
	}
	c := lookupCodec(charset)
	switch c {
	case codecUTF8, codecUTF8Sig, codecASCII, codecLatin1:
	default:
		return "", false
	}
	return pyUnquote(value, c), true
}

// mediaType is DRF's _MediaType: the lowercased type and subtype.
type mediaType struct {
	main, sub string
	ok        bool
}

// parseMediaType parses a Content-Type or Accept item as DRF does
// (parse_header_parameters, then str.partition("/")). Only the type
// matters to DRF's matching against parameterless media types, but a
// parameter whose name is not ASCII makes Python fail, and so no match.
func parseMediaType(s string) mediaType {
	key := asciiLower(splitHeaderParams(";"+s, false)[0])
	if !isASCII(key) {
		return mediaType{}
	}
	if strings.IndexByte(s, '=') >= 0 && !isASCII(s) {
		if _, _, ok := parseHeader(s, false); !ok {
			return mediaType{}
		}
	}
	main, sub, _ := strings.Cut(key, "/")
	return mediaType{main: main, sub: sub, ok: true}
}

// matches is media_type_matches(base, m) for a parameterless base type
// such as "application/json": "*" in m matches anything.
func (m mediaType) matches(main, sub string) bool {
	if !m.ok {
		return false
	}
	if m.sub != "*" && m.sub != sub {
		return false
	}
	return m.main == "*" || m.main == main
}
