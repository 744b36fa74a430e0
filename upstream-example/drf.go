package main

import (
	"io"
	"net/http"
	"strconv"

	"github.com/jwtgate/jwtgate/drf"
	"github.com/jwtgate/jwtgate/internal/pystr"
)

// This file reproduces what Django REST framework 3.14 does around a view
// (package drf has the parsers, CharField and the error bodies): the field
// validation of the serializers this API uses, and DRF's error answers.

// maxBodyBytes is Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MiB).
const maxBodyBytes = 2621440

// Errors every view can answer. A 401 names simplejwt's scheme, as DRF
// does when the authenticator has one.
var (
	errNotAuthenticated = &drf.Error{
		Status: http.StatusUnauthorized,
		Body:   drf.Detail(http.StatusUnauthorized, "Authentication credentials were not provided.").Body,
		Header: http.Header{"Www-Authenticate": {`Bearer realm="api"`}},
	}
	errPermissionDenied = drf.Detail(http.StatusForbidden, "You do not have permission to perform this action.")
	errNotFound         = drf.Detail(http.StatusNotFound, "Not found.")
	errTooLarge         = drf.Detail(http.StatusRequestEntityTooLarge, "Request body too large.")
)

// methodNotAllowed is DRF's 405; the Allow header is already set. Unlike
// drf.MethodNotAllowed it reports the method as sent.
func methodNotAllowed(method string) *drf.Error {
	return drf.Detail(http.StatusMethodNotAllowed, `Method "`+method+`" not allowed.`)
}

// parseBody reads r's body as DRF's JSONParser, FormParser and
// MultiPartParser would.
func parseBody(r *http.Request) (drf.Data, *drf.Error) {
	data, e := drf.Parse(r, maxBodyBytes)
	if e != nil && e.Status == http.StatusRequestEntityTooLarge {
		e = errTooLarge
	}
	return data, e
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
func validate(data drf.Data, specs []fieldSpec, partial bool) (map[string]cleanValue, *drf.Error) {
	errs := &drf.Errors{}
	if msg := data.TopError(); msg != "" {
		errs.Add(drf.NonFieldErrorsKey, msg)
		return nil, drf.FieldErrors(errs)
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
		for _, m := range msgs {
			errs.Add(f.name, m)
		}
		if msgs == nil {
			clean[f.name] = c
		}
	}
	if !errs.Empty() {
		return nil, drf.FieldErrors(errs)
	}
	return clean, nil
}

// fieldValue is DRF's Field.get_value: the value to validate, or false when
// the field is to be treated as absent ("empty").
func fieldValue(data drf.Data, f fieldSpec, partial bool) (drf.Value, bool) {
	v := data.Get(f.name)
	switch {
	case !data.HTML():
	case v.Kind == drf.Missing && !partial && f.typ == booleanField:
		return drf.Value{Kind: drf.Bool, Text: "false"}, true // BooleanField.default_empty_html = False
	case v.Kind == drf.String && v.Text == "" && f.allowNull:
		return drf.Value{Kind: drf.Null}, true
	case v.Kind == drf.String && v.Text == "" && !f.required:
		return v, false
	}
	return v, v.Kind != drf.Missing
}

// run is Field.run_validation for a present value: null handling,
// conversion, then every validator, collecting their messages.
func (f fieldSpec) run(v drf.Value) (cleanValue, []string) {
	switch {
	case v.Kind == drf.Null && f.allowNull:
		return cleanValue{null: true}, nil
	case v.Kind == drf.Null:
		return cleanValue{}, []string{"This field may not be null."}
	case f.typ == charField:
		s, msgs := drf.CharField{Name: f.name, MaxLength: f.maxLength}.Clean(v)
		return cleanValue{str: s}, msgs
	case f.typ == booleanField:
		b, ok := toBool(v)
		if !ok {
			return cleanValue{}, []string{"Must be a valid boolean."}
		}
		return cleanValue{boolean: b}, nil
	}
	if v.Kind == drf.String && pystr.Len(v.Text) > 1000 {
		return cleanValue{}, []string{"String value too large."}
	}
	n, ok := pyInt(dropDecimalZeros(pyStr(v))) // a file part converts through its name, as in DRF
	switch {
	case !ok:
		return cleanValue{}, []string{"A valid integer is required."}
	case n > f.maxValue:
		return cleanValue{}, []string{"Ensure this value is less than or equal to " + strconv.FormatInt(f.maxValue, 10) + "."}
	case n < f.minValue:
		return cleanValue{}, []string{"Ensure this value is greater than or equal to " + strconv.FormatInt(f.minValue, 10) + "."}
	}
	return cleanValue{integer: n}, nil
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
