package main

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/jwtgate/jwtgate/drf"
	"github.com/jwtgate/jwtgate/internal/pystr"
)

// This file reproduces what Django REST framework 3.14 does around a view:
// the three default parsers, the field validation of the serializers this
// API uses, and DRF's JSON responses.

// maxBodyBytes is Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MiB).
const maxBodyBytes = 2621440

// apiError is a complete error response: status and exact JSON body.
type apiError struct {
	status int
	body   []byte
}

func detailError(status int, detail string) *apiError {
	b, _ := drf.Marshal(struct {
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
// MultiPartParser would (the gateway's drf package reproduces them).
func parseBody(r *http.Request) (drf.Data, *apiError) {
	data, e := drf.Parse(r, maxBodyBytes)
	switch {
	case e == nil:
		return data, nil
	case e.Status == http.StatusRequestEntityTooLarge:
		return data, errTooLarge
	}
	return data, &apiError{e.Status, e.Body}
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

// validate runs serializer.is_valid() over data for the given fields.
// partial is DRF's partial=True (PATCH): absent fields are skipped, not
// required. It returns validated_data, or the 400 error.
func validate(data drf.Data, specs []fieldSpec, partial bool) (map[string]cleanValue, *apiError) {
	errs := &drf.Errors{}
	if msg := data.TopError(); msg != "" {
		errs.Add("non_field_errors", msg)
		return nil, fieldErrorResponse(errs)
	}
	clean := map[string]cleanValue{}
	for _, f := range specs {
		v, present := fieldValue(data, f, partial)
		if !present {
			if f.required && !partial {
				errs.Add(f.name, "This field is required.")
			}
			continue
		}
		c, msgs := f.run(v)
		if len(msgs) > 0 {
			for _, m := range msgs {
				errs.Add(f.name, m)
			}
			continue
		}
		clean[f.name] = c
	}
	if !errs.Empty() {
		return nil, fieldErrorResponse(errs)
	}
	return clean, nil
}

// fieldErrorResponse is the 400 answer with serializer.errors.
func fieldErrorResponse(e *drf.Errors) *apiError {
	b, _ := e.MarshalJSON()
	return &apiError{http.StatusBadRequest, b}
}

// fieldValue is DRF's Field.get_value: the value to validate, or false when
// the field is to be treated as absent ("empty").
func fieldValue(data drf.Data, f fieldSpec, partial bool) (pyValue, bool) {
	dv := data.Get(f.name)
	v, ok := pyValueOf(dv), dv.Kind != drf.Missing
	if !data.HTML() {
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
	if f.maxLength > 0 && pystr.Len(s) > f.maxLength {
		msgs = append(msgs, fmt.Sprintf("Ensure this field has no more than %d characters.", f.maxLength))
	}
	if strings.ContainsRune(s, 0) {
		msgs = append(msgs, "Null characters are not allowed.")
	}
	if r, ok := pystr.FirstSurrogate(s); ok {
		msgs = append(msgs, fmt.Sprintf("Surrogate characters are not allowed: U+%X.", r))
	}
	return cleanValue{str: s}, msgs
}

func (f fieldSpec) runInteger(v pyValue) (cleanValue, []string) {
	if v.kind == kindStr && pystr.Len(v.str) > 1000 {
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

// writeError sends e, with WWW-Authenticate on a 401 as DRF does when
// the authenticator (simplejwt's JWTAuthentication) names a scheme.
func writeError(w http.ResponseWriter, e *apiError) {
	if e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
	}
	drf.WriteBody(w, e.status, e.body)
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
