package drf

import (
	"bytes"
	"html"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jwtgate/jwtgate/internal/pystr"
)

// This file ports Django 3.2's MultiPartParser (django/http/multipartparser.py)
// as DRF's MultiPartParser runs it, on a body already in memory. Django's
// parser is lenient in ways mime/multipart is not, and the other way round:
// the boundary is found anywhere (not only at a line start) and the CR LF
// before it is dropped; a part's headers must end with CR LF CR LF within
// its first 1024 bytes or the part is ignored; a missing final boundary is
// no error; a part without a "name" is skipped; a file whose name sanitises
// to "", "." or ".." is dropped; a file part only counts once another part
// (even the bytes after the final boundary) follows it. Splitting the whole
// body at once is what Django does for bodies up to its 64 KiB read size.

const maxPartHeader = 1024

func multipartError(msg string) *Error {
	return Detail(http.StatusBadRequest, "Multipart form parse error - "+msg)
}

// validBoundary is cgi.valid_boundary: ^[ -~]{0,200}[!-~]$.
func validBoundary(b string) bool {
	if len(b) == 0 || len(b) > 201 {
		return false
	}
	for i := 0; i < len(b); i++ {
		if b[i] < ' ' || b[i] > '~' {
			return false
		}
	}
	return b[len(b)-1] != ' '
}

// partHeader is one header line of a part: the value after ":" (lowercased,
// as Django's parse_header lowercases the whole main value) and parameters.
type partHeader struct {
	value  string
	params map[string]headerParam
}

func parseMultipart(ct string, body []byte, enc codecClass) (Data, *Error) {
	if !strings.HasPrefix(ct, "multipart/") {
		return Data{}, multipartError("Invalid Content-Type: " + latin1([]byte(ct)))
	}
	if !isASCII(ct) {
		return Data{}, multipartError("Invalid non-ASCII Content-Type in multipart: " + latin1([]byte(ct)))
	}
	_, params, ok := parseHeader(ct, false)
	bp, has := params["boundary"]
	if !ok || !has {
		return Data{}, multipartError("Invalid boundary in multipart: None")
	}
	if !validBoundary(bp.value) {
		return Data{}, multipartError("Invalid boundary in multipart: " + bp.value)
	}
	sep := []byte("--" + bp.value)

	texts := map[string]string{}
	files := map[string]string{}
	// A file is stored by handle_file_complete, which runs when the next
	// part starts; one still open at the end of the body is dropped.
	pending, pendingField, pendingFile := false, "", ""
	for rest := body; len(rest) > 0; {
		var part []byte
		if i := bytes.Index(rest, sep); i >= 0 {
			end := i
			if end > 0 && rest[end-1] == '\n' {
				end--
			}
			if end > 0 && rest[end-1] == '\r' {
				end--
			}
			part, rest = rest[:end], rest[i+len(sep):]
		} else {
			part, rest = rest, nil
		}
		if pending {
			files[pendingField] = pendingFile
			pending = false
		}
		kind, headers, content := splitPart(part)
		if kind == partRaw {
			continue
		}
		disposition := headers["content-disposition"].params
		nameParam, ok := disposition["name"]
		if !ok {
			continue
		}
		name := nameParam.value
		if nameParam.decoded {
			name = pystr.Strip(name)
		} else {
			name = decodeReplace([]byte(bytesStrip(name)), enc)
		}
		transfer := ""
		if te, ok := headers["content-transfer-encoding"]; ok {
			transfer = pystr.Strip(te.value)
		}
		if kind == partField {
			data := content
			if transfer == "base64" {
				if dec, ok := pyB64Decode(content); ok {
					data = dec
				}
			}
			texts[name] = decodeReplace(data, enc)
			continue
		}
		fp := disposition["filename"]
		fileName := fp.value
		if !fp.decoded {
			fileName = decodeReplace([]byte(fileName), enc)
		}
		fileName, ok = sanitizeFileName(fileName)
		if !ok {
			continue
		}
		if transfer == "base64" && !b64FileOK(content) {
			return Data{}, multipartError("Could not decode base64 data.")
		}
		// "if old_field_name:" — a file part named "" is never stored.
		pending, pendingField, pendingFile = name != "", name, uploadedFileName(fileName)
	}

	d := Data{top: Object, html: true}
	if len(texts)+len(files) > 0 {
		d.fields = make(map[string]Value, len(texts)+len(files))
	}
	for k, v := range texts {
		d.fields[k] = Value{Kind: String, Text: v}
	}
	for k, v := range files { // request.data lists files after the fields
		d.fields[k] = Value{Kind: File, Text: v}
	}
	return d, nil
}

const (
	partRaw = iota
	partField
	partFile
)

// splitPart is parse_boundary_stream: the headers, which must end within
// the first 1024 bytes, and the content after them.
func splitPart(part []byte) (kind int, headers map[string]partHeader, content []byte) {
	head := part
	if len(head) > maxPartHeader {
		head = head[:maxPartHeader]
	}
	end := bytes.Index(head, []byte("\r\n\r\n"))
	if end < 0 {
		return partRaw, nil, nil
	}
	kind = partRaw
	for _, line := range strings.Split(string(head[:end]), "\r\n") {
		key, params, ok := parseHeader(line, false)
		if !ok {
			continue
		}
		name, value, found := strings.Cut(key, ":")
		if !found {
			continue
		}
		if name == "content-disposition" {
			kind = partField
			if params["filename"].value != "" {
				kind = partFile
			}
		}
		if headers == nil {
			headers = map[string]partHeader{}
		}
		headers[name] = partHeader{value: value, params: params}
	}
	return kind, headers, part[end+4:]
}

// sanitizeFileName is MultiPartParser.sanitize_file_name of Django 3.2.25:
// html.unescape, keep what follows the last "/" and "\", and refuse "",
// "." and "..".
func sanitizeFileName(name string) (string, bool) {
	name = htmlUnescape(name)
	name = name[strings.LastIndexByte(name, '/')+1:]
	name = name[strings.LastIndexByte(name, '\\')+1:]
	if name == "" || name == "." || name == ".." {
		return "", false
	}
	return name, true
}

// uploadedFileName is the name UploadedFile keeps (str(file)): at most 255
// code points, shortened before its extension.
func uploadedFileName(name string) string {
	if pystr.Len(name) <= 255 {
		return name
	}
	root, ext := splitExt(name)
	ext = prefixRunes(ext, 255)
	return prefixRunes(root, 255-pystr.Len(ext)) + ext
}

// splitExt is posixpath.splitext on a name without "/".
func splitExt(p string) (string, string) {
	dot := strings.LastIndexByte(p, '.')
	if dot <= 0 {
		return p, ""
	}
	for i := 0; i < dot; i++ {
		if p[i] != '.' {
			return p[:dot], p[dot:]
		}
	}
	return p, ""
}

// prefixRunes is s[:n] in code points.
func prefixRunes(s string, n int) string {
	if n <= 0 {
		return ""
	}
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// b64FileOK reports whether Django accepts a base64 file part: with
// whitespace removed, the length is a multiple of 4 and decodes.
func b64FileOK(content []byte) bool {
	stripped := make([]byte, 0, len(content))
	for _, c := range content {
		if !asciiSpace(c) {
			stripped = append(stripped, c)
		}
	}
	if len(stripped)%4 != 0 {
		return false
	}
	if len(stripped) == 0 {
		return true
	}
	_, ok := pyB64Decode(stripped)
	return ok
}

// pyB64Decode is base64.b64decode(s) (binascii.a2b_base64, not strict):
// characters outside the alphabet are skipped, and decoding stops at the
// first complete padding. ok is false where Python raises binascii.Error.
func pyB64Decode(s []byte) ([]byte, bool) {
	out := make([]byte, 0, len(s)/4*3+3)
	quad, pads := 0, 0
	var left byte
	for _, c := range s {
		if c == '=' {
			if quad >= 2 {
				pads++
				if quad+pads >= 4 {
					return out, true
				}
			}
			continue
		}
		v := strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", c)
		if v < 0 {
			continue
		}
		pads = 0
		switch quad {
		case 0:
			quad, left = 1, byte(v)
		case 1:
			out = append(out, left<<2|byte(v)>>4)
			quad, left = 2, byte(v)&0x0F
		case 2:
			out = append(out, left<<4|byte(v)>>2)
			quad, left = 3, byte(v)&0x03
		case 3:
			out = append(out, left<<6|byte(v))
			quad, left = 0, 0
		}
	}
	return out, quad == 0
}

// htmlUnescape is Python's html.unescape: each reference its regular
// expression finds is expanded on its own, by Go's html package except for
// the numeric references Python drops.
func htmlUnescape(s string) string {
	amp := strings.IndexByte(s, '&')
	if amp < 0 {
		return s
	}
	var out strings.Builder
	out.WriteString(s[:amp])
	for i := amp; i < len(s); {
		if s[i] != '&' {
			j := strings.IndexByte(s[i:], '&')
			if j < 0 {
				out.WriteString(s[i:])
				break
			}
			out.WriteString(s[i : i+j])
			i += j
			continue
		}
		repl, n := charRef(s[i+1:])
		if n == 0 {
			out.WriteByte('&')
			i++
			continue
		}
		out.WriteString(repl)
		i += 1 + n
	}
	return out.String()
}

// charRef matches a reference after "&" as html.unescape's pattern
// (#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?) and returns its
// replacement and length (0: no match).
func charRef(s string) (string, int) {
	if strings.HasPrefix(s, "#") {
		i, base := 1, 10
		if len(s) > 1 && isDigit(s[1]) {
			for i < len(s) && isDigit(s[i]) {
				i++
			}
		} else if len(s) > 2 && (s[1] == 'x' || s[1] == 'X') && hexVal(s[2]) >= 0 {
			i, base = 2, 16
			for i < len(s) && hexVal(s[i]) >= 0 {
				i++
			}
		} else {
			return "", 0
		}
		digits := s[1:i]
		if base == 16 {
			digits = s[2:i]
		}
		if i < len(s) && s[i] == ';' {
			i++
		}
		num := 0
		for j := 0; j < len(digits); j++ {
			num = num*base + int(hexVal(digits[j]))
			if num > 0x10FFFF {
				return "\uFFFD", i
			}
		}
		if invalidCodepoint(num) {
			return "", i
		}
		// HTML5's numeric rules, which Python follows for the rest: U+0080
		// to U+009F as Windows-1252, NUL and surrogates as U+FFFD.
		return html.UnescapeString("&#" + strconv.Itoa(num) + ";"), i
	}
	n, runes := 0, 0
	for n < len(s) && runes < 32 {
		r, size := utf8.DecodeRuneInString(s[n:])
		if r == '\t' || r == '\n' || r == '\f' || r == ' ' || r == '<' || r == '&' || r == '#' || r == ';' {
			break
		}
		n += size
		runes++
	}
	if n == 0 {
		return "", 0
	}
	if n < len(s) && s[n] == ';' {
		n++
	}
	// Named references, including the longest legacy prefix of an
	// unknown name ("&copyx" is "©x"), are HTML5's, as in Python.
	return html.UnescapeString("&" + s[:n]), n
}

// invalidCodepoint is html._invalid_codepoints less U+0080..U+009F (which
// Python maps first): a numeric reference to one of these expands to "".
func invalidCodepoint(c int) bool {
	return c >= 0x1 && c <= 0x8 || c == 0xB || c >= 0xE && c <= 0x1F || c == 0x7F ||
		c >= 0xFDD0 && c <= 0xFDEF || c&0xFFFE == 0xFFFE
}
