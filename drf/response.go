package drf

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
)

// DRF's JSONRenderer is json.dumps(data, ensure_ascii=False, allow_nan=False,
// separators=(",", ":")) with U+2028 and U+2029 then escaped. For strings,
// Go's encoder without HTML escaping writes exactly the same bytes: "\"",
// "\\", \b \f \n \r \t, other controls as \u00xx, \u2028, \u2029, and
// everything else (DEL, non-ASCII) raw. Floats are the exception: Go writes
// 1 and 100000000000000000000 where Python writes 1.0 and 1e+20; the bodies
// of this package hold no floats.

// Errors is DRF's serializer.errors: field name → messages, kept in the
// order fields were declared. Its JSON is {"field":["msg",…],…}.
type Errors struct {
	names []string
	msgs  map[string][]string
}

// Add appends a message to a field's list.
func (e *Errors) Add(field, msg string) {
	if e.msgs == nil {
		e.msgs = map[string][]string{}
	}
	if _, ok := e.msgs[field]; !ok {
		e.names = append(e.names, field)
	}
	e.msgs[field] = append(e.msgs[field], msg)
}

// Empty reports whether no message was added.
func (e *Errors) Empty() bool { return e == nil || len(e.names) == 0 }

// Fields returns the field names with messages, in order.
func (e *Errors) Fields() []string { return e.names }

// Messages returns a field's messages.
func (e *Errors) Messages(field string) []string { return e.msgs[field] }

// MarshalJSON encodes the errors in declared order.
func (e *Errors) MarshalJSON() ([]byte, error) {
	if e == nil {
		return []byte("{}"), nil
	}
	b := []byte{'{'}
	for i, name := range e.names {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(AppendJSONString(b, name), ':')
		msgs, _ := Marshal(e.msgs[name])
		b = append(b, msgs...)
	}
	return append(b, '}'), nil
}

// Error is a complete DRF error response: status, exact JSON body and the
// headers that go with it (WWW-Authenticate on a 401, Allow on a 405,
// Retry-After on a 429 or 503).
type Error struct {
	Status int
	Body   []byte
	Header http.Header
}

// Write sends the error with Content-Type: application/json.
func (e *Error) Write(w http.ResponseWriter) {
	h := w.Header()
	for k, v := range e.Header {
		h[k] = v
	}
	WriteBody(w, e.Status, e.Body)
}

// WriteBody sends an exact JSON body with Content-Type: application/json
// (no charset, as DRF) and Content-Length.
func WriteBody(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// WriteJSON encodes v as DRF's JSONRenderer does (compact, keys in struct
// field order, *Errors in declared order, map keys sorted, no HTML
// escaping, non-ASCII as UTF-8 except U+2028 and U+2029, which DRF escapes,
// no trailing newline) and sends it. Floats are written the Go way (1, not
// Python's 1.0). When v cannot be encoded nothing is sent.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	body, err := Marshal(v)
	if err == nil {
		WriteBody(w, status, body)
	}
	return err
}

// Marshal encodes v as WriteJSON does.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}

// AppendJSONString appends s as DRF's JSONRenderer writes a string
// (ensure_ascii=False; U+2028 and U+2029 escaped; invalid UTF-8 as
// \ufffd).
func AppendJSONString(b []byte, s string) []byte {
	j, _ := Marshal(s) // a string always encodes
	return append(b, j...)
}

// Detail returns an error whose body is {"detail":"…"}.
func Detail(status int, detail string) *Error { return DetailCode(status, detail, "") }

// DetailCode returns an error whose body is {"detail":"…","code":"…"}.
func DetailCode(status int, detail, code string) *Error {
	b, _ := Marshal(struct {
		Detail string `json:"detail"`
		Code   string `json:"code,omitempty"`
	}{detail, code})
	return &Error{Status: status, Body: b}
}

// FieldErrors returns a 400 whose body is the field errors.
func FieldErrors(errs *Errors) *Error {
	b, _ := errs.MarshalJSON()
	return &Error{Status: http.StatusBadRequest, Body: b}
}

// MethodNotAllowed is DRF's 405 {"detail":"Method \"GET\" not allowed."}
// with an Allow header listing allow. The method is upper-cased (ASCII
// only), as Django reports it.
func MethodNotAllowed(method string, allow string) *Error {
	upper := []byte(method)
	for i, c := range upper {
		if 'a' <= c && c <= 'z' {
			upper[i] = c - ('a' - 'A')
		}
	}
	e := Detail(http.StatusMethodNotAllowed, `Method "`+string(upper)+`" not allowed.`)
	e.Header = http.Header{"Allow": {allow}}
	return e
}

// NotAcceptable is DRF's 406 for an Accept header it cannot satisfy.
func NotAcceptable() *Error {
	return Detail(http.StatusNotAcceptable, "Could not satisfy the request Accept header.")
}
