package drf

import (
	"net/http"
)

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
func (e *Errors) MarshalJSON() ([]byte, error) { return marshalErrors(e) }

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
func WriteBody(w http.ResponseWriter, status int, body []byte) { writeBody(w, status, body) }

// WriteJSON encodes v as DRF's JSONRenderer does (compact, keys in struct
// field order, *Errors in declared order, map keys sorted, no HTML
// escaping, non-ASCII as UTF-8 except U+2028 and U+2029, which DRF escapes,
// no trailing newline) and sends it. Floats are written the Go way (1, not
// Python's 1.0). When v cannot be encoded nothing is sent.
func WriteJSON(w http.ResponseWriter, status int, v any) error { return writeJSON(w, status, v) }

// Marshal encodes v as WriteJSON does.
func Marshal(v any) ([]byte, error) { return marshal(v) }

// AppendJSONString appends s as DRF's JSONRenderer writes a string
// (ensure_ascii=False; U+2028 and U+2029 escaped; invalid UTF-8 as
// \ufffd).
func AppendJSONString(b []byte, s string) []byte { return appendJSONString(b, s) }

// Detail returns an error whose body is {"detail":"…"}.
func Detail(status int, detail string) *Error { return detailError(status, detail, "") }

// DetailCode returns an error whose body is {"detail":"…","code":"…"}.
func DetailCode(status int, detail, code string) *Error { return detailError(status, detail, code) }

// FieldErrors returns a 400 whose body is the field errors.
func FieldErrors(errs *Errors) *Error { return fieldErrors(http.StatusBadRequest, errs) }

// MethodNotAllowed is DRF's 405 {"detail":"Method \"GET\" not allowed."}
// with an Allow header listing allow. The method is upper-cased, as Django
// reports it.
func MethodNotAllowed(method string, allow string) *Error { return methodNotAllowed(method, allow) }

// NotAcceptable is DRF's 406 for an Accept header it cannot satisfy.
func NotAcceptable() *Error {
	return Detail(http.StatusNotAcceptable, "Could not satisfy the request Accept header.")
}

// AcceptsJSON reports whether a request's Accept header admits a JSON
// response, as DRF's content negotiation does: true without the header, or
// when any comma-separated item's type/subtype matches application/json or
// text/html (DRF would render its browsable API there; jwtgate answers
// JSON), "*" matching anything (*/*, application/*, text/*, */json).
// Parameters are ignored, q=0 included, as DRF ignores them, and a present
// but empty header gives false (DRF answers 406). DRF negotiates before it
// parses the body, so a 406 wins over a 415 or a parse error.
func AcceptsJSON(r *http.Request) bool { return acceptsJSON(r) }
