package drf

import (
	"strings"
	"unicode/utf8"
)

// parseForm is DRF's FormParser, that is Django's QueryDict(body) built on
// urllib.parse.parse_qsl(keep_blank_values=True): fields are split on "&"
// (empty pieces skipped), a piece without "=" has the value "", "+" is a
// space and %XX escapes are decoded leniently (an invalid escape is kept as
// is, undecodable bytes become U+FFFD). A body that is not valid in the
// request's charset is read as ISO-8859-1. The last value of a repeated
// name wins. It never fails.
func parseForm(body []byte, enc codecClass) Data {
	qs := decodeQueryString(body, enc)
	d := Data{top: Object, html: true}
	for len(qs) > 0 {
		piece := qs
		if i := strings.IndexByte(qs, '&'); i >= 0 {
			piece, qs = qs[:i], qs[i+1:]
		} else {
			qs = ""
		}
		if piece == "" {
			continue
		}
		name, value, _ := strings.Cut(piece, "=")
		name = pyUnquote(plusToSpace(name), enc)
		value = pyUnquote(plusToSpace(value), enc)
		if d.fields == nil {
			d.fields = map[string]Value{}
		}
		d.fields[name] = Value{Kind: String, Text: value}
	}
	return d
}

func plusToSpace(s string) string {
	if strings.IndexByte(s, '+') < 0 {
		return s
	}
	return strings.ReplaceAll(s, "+", " ")
}

// decodeQueryString is QueryDict's bytes.decode(encoding), falling back to
// ISO-8859-1 when that fails.
func decodeQueryString(b []byte, enc codecClass) string {
	switch enc {
	case codecLatin1:
		return latin1(b)
	case codecASCII:
		if isASCII(b) {
			return string(b)
		}
		return latin1(b)
	case codecUTF8Sig:
		if len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF && utf8.Valid(b[3:]) {
			return string(b[3:])
		}
	}
	if utf8.Valid(b) {
		return string(b)
	}
	return latin1(b)
}

// pyUnquote is urllib.parse.unquote(s, encoding, errors="replace"): each
// run of ASCII characters has its %XX escapes turned into bytes, which are
// then decoded; other characters are kept.
func pyUnquote(s string, enc codecClass) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	var out strings.Builder
	out.Grow(len(s))
	for i := 0; i < len(s); {
		j := i
		if s[i] < utf8.RuneSelf {
			for j < len(s) && s[j] < utf8.RuneSelf {
				j++
			}
			out.WriteString(decodeReplace(unquoteToBytes(s[i:j]), enc))
		} else {
			for j < len(s) && s[j] >= utf8.RuneSelf {
				j++
			}
			out.WriteString(s[i:j])
		}
		i = j
	}
	return out.String()
}

// unquoteToBytes is urllib.parse.unquote_to_bytes on an ASCII string.
func unquoteToBytes(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			hi, lo := hexVal(s[i+1]), hexVal(s[i+2])
			if hi >= 0 && lo >= 0 {
				out = append(out, byte(hi<<4|lo))
				i += 2
				continue
			}
		}
		out = append(out, s[i])
	}
	return out
}
