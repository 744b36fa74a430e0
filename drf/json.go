package drf

import (
	"bytes"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jwtgate/jwtgate/internal/pystr"
)

// parseJSON is DRF's JSONParser: the body decoded with the request's
// charset by a codecs StreamReader, then json.load() with parse_constant
// refusing NaN and the infinities. Errors are 400 {"detail":"JSON parse
// error - <Python's message>"}.
func parseJSON(body []byte, enc codecClass, label string) (Data, *Error) {
	doc, msg := decodeJSONBody(body, enc, label)
	if msg != "" {
		return Data{}, jsonError(msg)
	}
	// json.loads refuses a str that starts with U+FEFF.
	if bytes.HasPrefix(doc, []byte("\uFEFF")) {
		return Data{}, jsonError("Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)")
	}
	p := jsonParser{s: doc}
	d, ok := p.document()
	if !ok {
		return Data{}, jsonError(p.message())
	}
	return d, nil
}

func jsonError(msg string) *Error {
	return Detail(http.StatusBadRequest, "JSON parse error - "+msg)
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// decodeJSONBody decodes the body as codecs.getreader(encoding)(stream)
// .read() does; the result is valid UTF-8 or there is an error message.
func decodeJSONBody(body []byte, enc codecClass, label string) ([]byte, string) {
	switch enc {
	case codecDefault, codecUTF8:
		return decodeUTF8Stream(body)
	case codecUTF8Sig:
		if len(body) < 3 && bytes.HasPrefix(utf8BOM, body) {
			return nil, "" // too short to tell: nothing is decoded
		}
		return decodeUTF8Stream(bytes.TrimPrefix(body, utf8BOM))
	case codecASCII:
		for i, c := range body {
			if c >= utf8.RuneSelf {
				return nil, "'ascii' codec can't decode byte 0x" + hex.EncodeToString([]byte{c}) + " in position " +
					strconv.Itoa(i) + ": ordinal not in range(128)"
			}
		}
		return body, ""
	case codecLatin1:
		return []byte(latin1(body)), ""
	case codecASCIICompat:
		if isASCII(body) {
			return body, ""
		}
	}
	return nil, `charset "` + latin1([]byte(label)) + `" is not supported`
}

// jsonParser reproduces Python 3.11's json decoder (the C scanner) on a
// valid UTF-8 document, including where and how it reports errors. It keeps
// the top-level value's kind and, for an object, its members' values.
type jsonParser struct {
	s []byte
	// the error: msg at byte offset pos, or a message without position
	msg    string
	pos    int
	rawMsg bool
}

func (p *jsonParser) fail(msg string, pos int) bool {
	p.msg, p.pos = msg, pos
	return false
}

func (p *jsonParser) failRaw(msg string) bool {
	p.msg, p.rawMsg = msg, true
	return false
}

// message formats the error as JSONDecodeError does: "<msg>: line L column
// C (char N)", with positions in code points.
func (p *jsonParser) message() string {
	if p.rawMsg {
		return p.msg
	}
	before := p.s[:p.pos]
	char := utf8.RuneCount(before)
	line := bytes.Count(before, []byte{'\n'}) + 1
	col := char + 1
	if nl := bytes.LastIndexByte(before, '\n'); nl >= 0 {
		col = utf8.RuneCount(before[nl+1:]) + 1
	}
	return p.msg + ": line " + strconv.Itoa(line) + " column " + strconv.Itoa(col) +
		" (char " + strconv.Itoa(char) + ")"
}

func skipWS(s []byte, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// closer is the bracket that closes open ('{' or '[').
func closer(open byte) byte {
	if open == '[' {
		return ']'
	}
	return '}'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// maxIntDigits is sys.get_int_max_str_digits(): int() of a longer decimal
// string raises ValueError, and json.loads with it.
const maxIntDigits = 4300

const (
	stValue = iota // a value starts at i
	stKey          // an object member starts at i
	stAfter        // a value ended at i
)

// document parses the whole document without recursion (Python would
// raise RecursionError past about a thousand levels; drf accepts any
// depth).
func (p *jsonParser) document() (Data, bool) {
	s := p.s
	var d Data
	var stack []byte // the open containers, '{' or '['
	var key string   // the current member name of the top-level object
	i := skipWS(s, 0)
	st := stValue
	for {
		switch st {
		case stValue:
			if i >= len(s) {
				return d, p.fail("Expecting value", i)
			}
			depth := len(stack)
			member := depth == 1 && stack[0] == '{'
			start := i
			var v Value
			pyType := ""
			switch c := s[i]; {
			case c == '"':
				end, str, ok := p.str(i+1, member)
				if !ok {
					return d, false
				}
				v, pyType, i = Value{Kind: String, Text: str}, "str", end
			case c == '{':
				v, pyType = Value{Kind: Object}, "dict"
				stack = append(stack, '{')
				i = skipWS(s, i+1)
			case c == '[':
				v, pyType = Value{Kind: List}, "list"
				stack = append(stack, '[')
				i = skipWS(s, i+1)
			case c == 'n' && i+3 < len(s) && string(s[i+1:i+4]) == "ull":
				v, pyType, i = Value{Kind: Null}, "NoneType", i+4
			case c == 't' && i+3 < len(s) && string(s[i+1:i+4]) == "rue":
				v, pyType, i = Value{Kind: Bool, Text: "true"}, "bool", i+4
			case c == 'f' && i+4 < len(s) && string(s[i+1:i+5]) == "alse":
				v, pyType, i = Value{Kind: Bool, Text: "false"}, "bool", i+5
			case c == 'N' && i+2 < len(s) && string(s[i+1:i+3]) == "aN":
				return d, p.failRaw("Out of range float values are not JSON compliant: 'NaN'")
			case c == 'I' && i+7 < len(s) && string(s[i+1:i+8]) == "nfinity":
				return d, p.failRaw("Out of range float values are not JSON compliant: 'Infinity'")
			case c == '-' && i+8 < len(s) && string(s[i+1:i+9]) == "Infinity":
				return d, p.failRaw("Out of range float values are not JSON compliant: '-Infinity'")
			default:
				end, isFloat, ok := p.number(i)
				if !ok {
					return d, p.fail("Expecting value", i)
				}
				if !isFloat {
					digits := end - i
					if s[i] == '-' {
						digits--
					}
					if digits > maxIntDigits {
						return d, p.failRaw("Exceeds the limit (4300 digits) for integer string conversion: value has " +
							strconv.Itoa(digits) + " digits; use sys.set_int_max_str_digits() to increase the limit")
					}
					pyType = "int"
				} else {
					pyType = "float"
				}
				v, i = Value{Kind: Number, Text: string(s[start:end])}, end
			}
			switch {
			case depth == 0:
				d.top, d.pyType = v.Kind, pyType
			case member:
				if d.fields == nil {
					d.fields = map[string]Value{}
				}
				d.fields[key] = v
			}
			st = stAfter
			if len(stack) > depth { // a container was opened: is it empty?
				if i < len(s) && s[i] == closer(stack[depth]) {
					stack = stack[:depth]
					i++
				} else if v.Kind == Object {
					st = stKey
				} else {
					st = stValue
				}
			}
		case stKey:
			if i >= len(s) || s[i] != '"' {
				return d, p.fail("Expecting property name enclosed in double quotes", i)
			}
			end, k, ok := p.str(i+1, len(stack) == 1)
			if !ok {
				return d, false
			}
			key = k
			i = skipWS(s, end)
			if i >= len(s) || s[i] != ':' {
				return d, p.fail("Expecting ':' delimiter", i)
			}
			i = skipWS(s, i+1)
			st = stValue
		case stAfter:
			if len(stack) == 0 {
				i = skipWS(s, i)
				if i != len(s) {
					return d, p.fail("Extra data", i)
				}
				return d, true
			}
			i = skipWS(s, i)
			open := stack[len(stack)-1]
			if i < len(s) && s[i] == closer(open) {
				stack = stack[:len(stack)-1]
				i++
				continue
			}
			if i >= len(s) || s[i] != ',' {
				return d, p.fail("Expecting ',' delimiter", i)
			}
			i = skipWS(s, i+1)
			if open == '{' {
				st = stKey
			} else {
				st = stValue
			}
		}
	}
}

// number matches a number at i as the C scanner's _match_number_unicode
// does; ok is false when there is none (then the value is missing).
func (p *jsonParser) number(i int) (end int, isFloat, ok bool) {
	s := p.s
	last := len(s) - 1
	if s[i] == '-' {
		i++
		if i > last {
			return 0, false, false
		}
	}
	switch {
	case s[i] >= '1' && s[i] <= '9':
		i++
		for i <= last && isDigit(s[i]) {
			i++
		}
	case s[i] == '0':
		i++
	default:
		return 0, false, false
	}
	if i < last && s[i] == '.' && isDigit(s[i+1]) {
		isFloat = true
		i += 2
		for i <= last && isDigit(s[i]) {
			i++
		}
	}
	if i < last && (s[i] == 'e' || s[i] == 'E') {
		eStart := i
		i++
		if i < last && (s[i] == '-' || s[i] == '+') {
			i++
		}
		for i <= last && isDigit(s[i]) {
			i++
		}
		if isDigit(s[i-1]) {
			isFloat = true
		} else {
			i = eStart
		}
	}
	return i, isFloat, true
}

// hexVal is the value of a hex digit, or -1.
func hexVal(c byte) rune {
	i := strings.IndexByte("0123456789abcdefABCDEF", c)
	if i >= 16 {
		i -= 6
	}
	return rune(i)
}

// hex4 reads the four hex digits of a \uXXXX escape.
func hex4(b []byte) (rune, bool) {
	n, err := strconv.ParseUint(string(b), 16, 16)
	return rune(n), err == nil
}

// str scans a string whose opening quote is at i-1, as the C scanstring
// does, and returns the index after the closing quote. The decoded value
// is built only when decode is set.
func (p *jsonParser) str(i int, decode bool) (int, string, bool) {
	s := p.s
	begin := i - 1
	var buf []byte
	for {
		j := i
		for j < len(s) && s[j] != '"' && s[j] != '\\' {
			if s[j] <= 0x1f {
				return 0, "", p.fail("Invalid control character at", j)
			}
			j++
		}
		if j >= len(s) {
			return 0, "", p.fail("Unterminated string starting at", begin)
		}
		if s[j] == '"' {
			if !decode {
				return j + 1, "", true
			}
			if buf == nil {
				return j + 1, string(s[i:j]), true
			}
			return j + 1, string(append(buf, s[i:j]...)), true
		}
		if decode {
			buf = append(buf, s[i:j]...)
		}
		next := j + 1 // the character after the backslash
		if next == len(s) {
			return 0, "", p.fail("Unterminated string starting at", begin)
		}
		if c := s[next]; c != 'u' {
			switch c {
			case '"', '\\', '/':
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			default:
				return 0, "", p.fail("Invalid \\escape", j)
			}
			if decode {
				buf = append(buf, c)
			}
			i = next + 1
			continue
		}
		h := next + 1 // the first hex digit
		end := h + 4
		if end >= len(s) {
			return 0, "", p.fail("Invalid \\uXXXX escape", h-1)
		}
		r, ok := hex4(s[h:end])
		if !ok {
			return 0, "", p.fail("Invalid \\uXXXX escape", h-1)
		}
		if r >= 0xD800 && r <= 0xDBFF && end+6 < len(s) && s[end] == '\\' && s[end+1] == 'u' {
			r2, ok := hex4(s[end+2 : end+6])
			if !ok {
				return 0, "", p.fail("Invalid \\uXXXX escape", end+1)
			}
			if r2 >= 0xDC00 && r2 <= 0xDFFF {
				r = 0x10000 + (r-0xD800)<<10 | (r2 - 0xDC00)
				end += 6
			}
		}
		if decode {
			buf = pystr.AppendWTF8(buf, r)
		}
		i = end
	}
}
