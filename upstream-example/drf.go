package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jwtgate/jwtgate/internal/pystr"
)

// This file reproduces what Django REST framework 3.14 does around a view:
// the three default parsers, the field validation of the serializers this
// API uses, and DRF's JSON responses.

// maxBodyBytes is Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MiB).
const maxBodyBytes = 2621440

// requestData is DRF's request.data.
type requestData struct {
	// html is true for a QueryDict (a form or multipart body, or an empty
	// body with a form Content-Type): DRF then treats a missing field as an
	// unticked checkbox and an empty string as "no value".
	html bool
	top  pyValue // the whole body; a dict unless JSON said otherwise
}

// apiError is a complete error response: status and exact JSON body.
type apiError struct {
	status int
	body   []byte
}

func detailError(status int, detail string) *apiError {
	b, _ := marshal(struct {
		Detail string `json:"detail"`
	}{detail})
	return &apiError{status, b}
}

// Errors every view can answer.
var (
	errNotAuthenticated = detailError(http.StatusUnauthorized, "Authentication credentials were not provided.")
	errPermissionDenied = detailError(http.StatusForbidden, "You do not have permission to perform this action.")
	errNotFound         = detailError(http.StatusNotFound, "Not found.")
	errTooLarge         = detailError(http.StatusRequestEntityTooLarge, "Request body too large.")
)

func methodNotAllowed(method string) *apiError {
	return detailError(http.StatusMethodNotAllowed, `Method "`+method+`" not allowed.`)
}

// parseBody reads r's body as DRF's JSONParser, FormParser and
// MultiPartParser would.
func parseBody(r *http.Request) (requestData, *apiError) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return requestData{}, detailError(http.StatusBadRequest, "Could not read the request body.")
	}
	if len(body) > maxBodyBytes {
		return requestData{}, errTooLarge
	}
	ct := r.Header.Get("Content-Type")
	base, _, _ := strings.Cut(ct, ";")
	base = strings.ToLower(strings.TrimSpace(base))
	if len(body) == 0 {
		html := base == "application/x-www-form-urlencoded" || base == "multipart/form-data"
		return requestData{html: html, top: pyValue{kind: kindDict}}, nil
	}
	switch {
	case mediaMatches("application/json", base):
		v, msg := decodeJSON(body)
		if msg != "" {
			return requestData{}, detailError(http.StatusBadRequest, "JSON parse error - "+msg)
		}
		return requestData{top: v}, nil
	case mediaMatches("application/x-www-form-urlencoded", base):
		return requestData{html: true, top: pyValue{kind: kindDict, fields: parseQuery(body)}}, nil
	case mediaMatches("multipart/form-data", base):
		fields, msg := parseMultipart(ct, base, body)
		if msg != "" {
			return requestData{}, detailError(http.StatusBadRequest, "Multipart form parse error - "+msg)
		}
		return requestData{html: true, top: pyValue{kind: kindDict, fields: fields}}, nil
	}
	return requestData{}, detailError(http.StatusUnsupportedMediaType, `Unsupported media type "`+ct+`" in request.`)
}

// mediaMatches is DRF's media_type_matches(parser, request): each half of
// type/subtype must be equal or a wildcard on the request side.
func mediaMatches(parser, request string) bool {
	pm, ps, _ := strings.Cut(parser, "/")
	rm, rs, _ := strings.Cut(request, "/")
	return (rm == "*" || rm == pm) && (rs == "*" || rs == ps)
}

// parseQuery is Django's QueryDict of a urlencoded body: keep blank values,
// '+' is a space, a bad %-escape stays as written, the last of repeated keys
// wins; a body that is not UTF-8 is read as Latin-1.
func parseQuery(body []byte) map[string]pyValue {
	s := string(body)
	if !utf8.ValidString(s) {
		r := make([]rune, len(body))
		for i, b := range body {
			r[i] = rune(b)
		}
		s = string(r)
	}
	fields := map[string]pyValue{}
	for part := range strings.SplitSeq(s, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		fields[unquotePlus(k)] = pyValue{kind: kindStr, str: unquotePlus(v)}
	}
	return fields
}

// unquotePlus is Python's urllib.parse.unquote_plus with errors='replace'.
func unquotePlus(s string) string {
	s = strings.ReplaceAll(s, "+", " ")
	if !strings.Contains(s, "%") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if hi, ok := hexValue(s[i+1]); ok {
				if lo, ok := hexValue(s[i+2]); ok {
					b = append(b, hi<<4|lo)
					i += 2
					continue
				}
			}
		}
		b = append(b, s[i])
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

func hexValue(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// validBoundary is Python's cgi.valid_boundary, which Django applies.
var validBoundary = regexp.MustCompile(`^[ -~]{0,200}[!-~]$`)

// parseMultipart reads a multipart/form-data body as Django's
// MultiPartParser: fields are strings, parts with a file name are files
// (and win over a field of the same name), a part with an empty file name
// is dropped, and a truncated or malformed body ends the parse without an
// error, keeping what was read.
func parseMultipart(ct, base string, body []byte) (map[string]pyValue, string) {
	if !strings.HasPrefix(base, "multipart/") {
		return nil, "Invalid Content-Type: " + ct
	}
	_, params, _ := mime.ParseMediaType(ct)
	boundary, ok := params["boundary"]
	if !ok {
		if _, after, found := strings.Cut(ct, "boundary="); found {
			boundary, ok = strings.Trim(strings.TrimSpace(strings.Split(after, ";")[0]), `"`), true
		}
	}
	if !ok {
		return nil, "Invalid boundary in multipart: None"
	}
	if !validBoundary.MatchString(boundary) {
		return nil, "Invalid boundary in multipart: " + boundary
	}
	fields, files := map[string]pyValue{}, map[string]pyValue{}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	for {
		part, err := mr.NextRawPart()
		if err != nil {
			break
		}
		_, disp, _ := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
		name, hasName := disp["name"]
		data, readErr := io.ReadAll(part)
		if hasName {
			if filename, isFile := disp["filename"]; isFile {
				if filename != "" {
					files[name] = pyValue{kind: kindFile, str: filename}
				}
			} else {
				fields[name] = pyValue{kind: kindStr, str: strings.ToValidUTF8(string(data), "\uFFFD")}
			}
		}
		if readErr != nil {
			break
		}
	}
	for k, v := range files {
		fields[k] = v
	}
	return fields, ""
}

// fieldType is a DRF serializer field class.
type fieldType int

const (
	charField fieldType = iota
	integerField
	booleanField
)

// fieldSpec declares a writable serializer field as ModelSerializer builds
// it from the model.
type fieldSpec struct {
	name      string
	typ       fieldType
	required  bool
	allowNull bool
	maxLength int   // CharField
	minValue  int64 // IntegerField
	maxValue  int64 // IntegerField
}

// cleanValue is one validated field: DRF's validated_data[name].
type cleanValue struct {
	null    bool
	str     string
	integer int64
	boolean bool
}

// fieldErrors is DRF's serializer.errors: messages per field, in declared
// order.
type fieldErrors struct {
	names []string
	msgs  map[string][]string
}

func (e *fieldErrors) add(field string, msgs ...string) {
	if e.msgs == nil {
		e.msgs = map[string][]string{}
	}
	if _, ok := e.msgs[field]; !ok {
		e.names = append(e.names, field)
	}
	e.msgs[field] = append(e.msgs[field], msgs...)
}

// MarshalJSON writes {"field":["message",…],…} in declared order.
func (e *fieldErrors) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, name := range e.names {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := marshal(name)
		if err != nil {
			return nil, err
		}
		v, err := marshal(e.msgs[name])
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// validate runs serializer.is_valid() over data for the given fields.
// partial is DRF's partial=True (PATCH): absent fields are skipped, not
// required. It returns validated_data, or the 400 error.
func validate(data requestData, specs []fieldSpec, partial bool) (map[string]cleanValue, *apiError) {
	errs := &fieldErrors{}
	switch data.top.kind {
	case kindDict:
	case kindNone:
		errs.add("non_field_errors", "No data provided")
		return nil, errs.response()
	default:
		errs.add("non_field_errors", "Invalid data. Expected a dictionary, but got "+data.top.kind.typeName()+".")
		return nil, errs.response()
	}
	clean := map[string]cleanValue{}
	for _, f := range specs {
		v, present := fieldValue(data, f, partial)
		if !present {
			if f.required && !partial {
				errs.add(f.name, "This field is required.")
			}
			continue
		}
		c, msgs := f.run(v)
		if len(msgs) > 0 {
			errs.add(f.name, msgs...)
			continue
		}
		clean[f.name] = c
	}
	if len(errs.names) > 0 {
		return nil, errs.response()
	}
	return clean, nil
}

func (e *fieldErrors) response() *apiError {
	b, _ := marshal(e)
	return &apiError{http.StatusBadRequest, b}
}

// fieldValue is DRF's Field.get_value: the value to validate, or false when
// the field is to be treated as absent ("empty").
func fieldValue(data requestData, f fieldSpec, partial bool) (pyValue, bool) {
	v, ok := data.top.fields[f.name]
	if !data.html {
		return v, ok
	}
	if !ok {
		if partial || f.typ != booleanField {
			return pyValue{}, false
		}
		return pyValue{kind: kindBool}, true // BooleanField.default_empty_html = False
	}
	if v.kind == kindStr && v.str == "" {
		if f.allowNull {
			return pyValue{kind: kindNone}, true
		}
		if !f.required {
			return pyValue{}, false
		}
	}
	return v, true
}

// run is Field.run_validation for a present value: null handling,
// conversion, then every validator, collecting their messages.
func (f fieldSpec) run(v pyValue) (cleanValue, []string) {
	if f.typ == charField && v.kind != kindNone && pystr.Strip(pyStr(v)) == "" {
		return cleanValue{}, []string{"This field may not be blank."}
	}
	if v.kind == kindNone {
		if f.allowNull {
			return cleanValue{null: true}, nil
		}
		return cleanValue{}, []string{"This field may not be null."}
	}
	switch f.typ {
	case charField:
		return f.runChar(v)
	case integerField:
		return f.runInteger(v)
	default:
		b, ok := toBool(v)
		if !ok {
			return cleanValue{}, []string{"Must be a valid boolean."}
		}
		return cleanValue{boolean: b}, nil
	}
}

func (f fieldSpec) runChar(v pyValue) (cleanValue, []string) {
	switch v.kind {
	case kindStr, kindInt, kindFloat:
	default:
		return cleanValue{}, []string{"Not a valid string."}
	}
	s := pystr.Strip(pyStr(v))
	var msgs []string
	if f.maxLength > 0 && utf8.RuneCountInString(s) > f.maxLength {
		msgs = append(msgs, fmt.Sprintf("Ensure this field has no more than %d characters.", f.maxLength))
	}
	if strings.ContainsRune(s, 0) {
		msgs = append(msgs, "Null characters are not allowed.")
	}
	if v.surrogate != 0 {
		msgs = append(msgs, fmt.Sprintf("Surrogate characters are not allowed: U+%X.", v.surrogate))
	}
	return cleanValue{str: s}, msgs
}

func (f fieldSpec) runInteger(v pyValue) (cleanValue, []string) {
	if v.kind == kindStr && utf8.RuneCountInString(v.str) > 1000 {
		return cleanValue{}, []string{"String value too large."}
	}
	n, ok := pyInt(dropDecimalZeros(pyStr(v))) // a file part converts through its name, as in DRF
	if !ok {
		return cleanValue{}, []string{"A valid integer is required."}
	}
	if n > f.maxValue {
		return cleanValue{}, []string{fmt.Sprintf("Ensure this value is less than or equal to %d.", f.maxValue)}
	}
	if n < f.minValue {
		return cleanValue{}, []string{fmt.Sprintf("Ensure this value is greater than or equal to %d.", f.minValue)}
	}
	return cleanValue{integer: n}, nil
}

// toBool is BooleanField.to_internal_value: membership in DRF's
// TRUE_VALUES / FALSE_VALUES sets, where Python's 1 == 1.0 == True.
func toBool(v pyValue) (bool, bool) {
	switch v.kind {
	case kindBool:
		return v.boolean, true
	case kindInt:
		switch v.str {
		case "1":
			return true, true
		case "0":
			return false, true
		}
	case kindFloat:
		switch v.num {
		case 1:
			return true, true
		case 0:
			return false, true
		}
	case kindStr:
		switch v.str {
		case "t", "T", "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "1":
			return true, true
		case "f", "F", "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "0":
			return false, true
		}
	}
	return false, false
}

// marshal encodes v as DRF's JSONRenderer: compact, no HTML escaping,
// non-ASCII as UTF-8, no trailing newline.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// writeBody sends an exact body with the Content-Type DRF uses for JSON.
func writeBody(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeError sends e, with WWW-Authenticate on a 401 as DRF does when
// the authenticator (simplejwt's JWTAuthentication) names a scheme.
func writeError(w http.ResponseWriter, e *apiError) {
	if e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
	}
	writeBody(w, e.status, e.body)
}

// serverError500 is Django's response to an unhandled exception (DEBUG=False).
const serverError500 = "\n<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Server Error (500)</title>\n</head>\n<body>\n  <h1>Server Error (500)</h1><p></p>\n</body>\n</html>\n"

// notFound404 is Django's 404 page for a path no URL pattern matches.
const notFound404 = "\n<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Not Found</title>\n</head>\n<body>\n  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n</body>\n</html>\n"

func writeHTML(w http.ResponseWriter, status int, page string) {
	h := w.Header()
	h.Set("Content-Type", "text/html")
	h.Set("Content-Length", strconv.Itoa(len(page)))
	w.WriteHeader(status)
	_, _ = io.WriteString(w, page)
}
