package drf

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"unicode/utf8"
)

// DRF's JSONRenderer is json.dumps(data, ensure_ascii=False, allow_nan=False,
// separators=(",", ":")) with U+2028 and U+2029 then escaped. For strings,
// Go's encoder without HTML escaping writes exactly the same bytes: "\"",
// "\\", \b \f \n \r \t, other controls as \u00xx, \u2028, \u2029, and
// everything else (DEL, non-ASCII) raw. Floats are the exception: Go writes
// 1 and 100000000000000000000 where Python writes 1.0 and 1e+20; the bodies
// of this package hold no floats.

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}

func marshalErrors(e *Errors) ([]byte, error) {
	b := make([]byte, 0, 96)
	b = append(b, '{')
	if e != nil {
		for i, name := range e.names {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, name)
			b = append(b, ':', '[')
			for j, m := range e.msgs[name] {
				if j > 0 {
					b = append(b, ',')
				}
				b = appendJSONString(b, m)
			}
			b = append(b, ']')
		}
	}
	return append(b, '}'), nil
}

// appendJSONString appends s as a JSON string, escaped as DRF's renderer
// (and Go's encoder without HTML escaping) does; invalid UTF-8 becomes
// \ufffd.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&15])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func writeBody(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	body, err := marshal(v)
	if err != nil {
		return err
	}
	writeBody(w, status, body)
	return nil
}

func detailError(status int, detail, code string) *Error {
	b := make([]byte, 0, len(detail)+len(code)+24)
	b = append(b, `{"detail":`...)
	b = appendJSONString(b, detail)
	if code != "" {
		b = append(b, `,"code":`...)
		b = appendJSONString(b, code)
	}
	b = append(b, '}')
	return &Error{Status: status, Body: b}
}

func fieldErrors(status int, errs *Errors) *Error {
	b, _ := marshalErrors(errs)
	return &Error{Status: status, Body: b}
}

// methodNotAllowed is DRF's MethodNotAllowed; Django upper-cases the
// method it reports.
func methodNotAllowed(method string, allow string) *Error {
	upper := []byte(method)
	for i, c := range upper {
		if 'a' <= c && c <= 'z' {
			upper[i] = c - ('a' - 'A')
		}
	}
	e := detailError(http.StatusMethodNotAllowed, `Method "`+string(upper)+`" not allowed.`, "")
	e.Header = http.Header{"Allow": {allow}}
	return e
}
