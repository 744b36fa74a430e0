// Package drf reproduces the request parsing, field validation and error
// bodies of Django REST framework 3.14, which simplejwt clients depend on
// byte for byte: the three default parsers (JSON, urlencoded, multipart),
// CharField conversion (trimming, number coercion, "Not a valid string."),
// field errors as an ordered dict of lists, and DRF's standard error
// responses (405, 406, 415, parse errors).
package drf

import (
	"net/http"
)

// Kind says what a request field holds.
type Kind uint8

// Kinds of field values. A JSON body can hold any of them; a form body only
// String, and File for a multipart file part.
const (
	Missing Kind = iota
	Null
	String
	Number
	Bool
	List
	Object
	File
)

// Value is one field of a request body.
type Value struct {
	Kind Kind
	// Text is the string for String, the literal as sent for Number (for
	// example "12" or "1.5e3"), "true" or "false" for Bool, and the upload's
	// file name (as Django sanitises it) for File; it is "" for the other
	// kinds. A JSON string is decoded as Python's json module decodes it: a
	// lone surrogate escape such as "\ud800" becomes its three-byte
	// generalised UTF-8 form (0xED 0xA0 0x80), which ValidateChars reports
	// as DRF does ("Surrogate characters are not allowed: U+D800.").
	Text string
}

// Data is a parsed request body: DRF's request.data.
type Data struct {
	// top is the kind of the JSON top-level value; Object for forms and
	// for an empty body (the zero Data, whose top is Missing, is treated as
	// an empty object).
	top    Kind
	fields map[string]Value
	// pyType is the Python type name of a JSON top-level value that is not
	// an object ("list", "str", "int", "float", "bool", "NoneType").
	pyType string
	// html is set for form and multipart bodies: DRF then reads fields as
	// from an HTML form (QueryDict), which changes how an optional field
	// sent as "" is treated.
	html bool
}

// Get returns the named field; its Kind is Missing when absent. For a form
// field sent more than once it is the last value, as Django's QueryDict.
func (d Data) Get(name string) Value {
	v, ok := d.fields[name]
	if !ok {
		return Value{Kind: Missing}
	}
	return v
}

// TopError is what a serializer says of a body whose top-level value is
// not an object: "No data provided" for JSON null, "Invalid data.
// Expected a dictionary, but got <Python type>." for a list, a string, a
// number or a boolean; "" for an object, a form or an empty body.
func (d Data) TopError() string {
	switch d.top {
	case Missing, Object:
		return ""
	case Null:
		return msgNoData
	}
	return "Invalid data. Expected a dictionary, but got " + d.pyType + "."
}

// HTML reports whether DRF reads d as HTML form input (a QueryDict: a
// form or multipart body, or an empty body with such a Content-Type),
// where an empty string for an optional field counts as absent.
func (d Data) HTML() bool { return d.html }

// Parse reads r's body as DRF's default parsers would, reading at most
// maxBytes: a longer body is 413 {"detail":"Request body exceeds the limit
// of N bytes."}, and a body that cannot be read is 400 {"detail":"Malformed
// request."}.
//
//   - an empty body gives empty data, whatever the Content-Type;
//   - the parser is chosen by the Content-Type's type/subtype with DRF's
//     matching, in which "*" is a wildcard ("*/*" selects JSON); any other
//     Content-Type, or none, with a body is 415 {"detail":"Unsupported
//     media type \"<type>\" in request."};
//   - application/json is decoded with its charset parameter (UTF-8 when
//     there is none or Python does not know it; utf-8, utf-8-sig, ascii
//     and latin-1 exactly, another Python codec only for a pure ASCII body,
//     else 400 {"detail":"JSON parse error - charset \"<name>\" is not
//     supported"}) and parsed as Python's json module parses it: an error
//     is 400 {"detail":"JSON parse error - <Python's message>"};
//   - application/x-www-form-urlencoded is parsed leniently, as Django's
//     QueryDict: it never fails;
//   - multipart/form-data is parsed as Django's MultiPartParser: text parts
//     give String fields and file parts File fields, and a missing or
//     invalid boundary is 400 {"detail":"Multipart form parse error - …"}.
//
// One deliberate difference: Django under gunicorn ignores a body sent
// without Content-Length (chunked); Parse reads it.
func Parse(r *http.Request, maxBytes int64) (Data, *Error) {
	body, e := readBody(r, maxBytes)
	if e != nil {
		return Data{}, e
	}
	ct := requestContentType(r)
	if len(body) == 0 {
		// DRF: no stream, so request.data is {} (a QueryDict for a form
		// media type), whatever the Content-Type.
		return Data{top: Object, html: isFormMediaType(ct)}, nil
	}
	mt := parseMediaType(ct)
	enc, label := requestEncoding(ct)
	// DefaultContentNegotiation.select_parser: the first of DRF's default
	// parsers whose media type matches; "*" in the request's type matches
	// anything, so "*/*" selects the JSON parser.
	switch {
	case mt.matches("application", "json"):
		return parseJSON(body, enc, label)
	case mt.matches("application", "x-www-form-urlencoded"):
		return parseForm(body, enc), nil
	case mt.matches("multipart", "form-data"):
		return parseMultipart(ct, body, enc)
	}
	return Data{}, Detail(http.StatusUnsupportedMediaType,
		`Unsupported media type "`+latin1([]byte(ct))+`" in request.`)
}

// CharField declares a serializer field validated as DRF's CharField.
type CharField struct {
	Name string
	// Optional makes a missing field valid (required=False); its value is
	// then "".
	Optional bool
	// AllowBlank accepts "" (and whitespace only, when trimmed).
	AllowBlank bool
	// MaxLength, when positive, adds "Ensure this field has no more than N
	// characters."
	MaxLength int
	// NoTrim keeps surrounding whitespace (trim_whitespace=False).
	NoTrim bool
	// Validators run, in order, on the cleaned (trimmed) value of a field
	// that is present, not null, not blank and a string or number; each
	// returns "" or an error message. As in DRF, where a field's
	// validators=[…] come before those CharField adds, they run before the
	// MaxLength check and DRF's "Null characters are not allowed." and
	// "Surrogate characters are not allowed: U+XXXX." checks; all messages
	// are collected.
	Validators []func(string) string
	// ValidatorsAfter run after those checks, as the validators a DRF field
	// class appends itself (EmailField's EmailValidator, for example).
	ValidatorsAfter []func(string) string
	// Normalize, when set, maps the cleaned (trimmed) value before any
	// validator runs, as a field's to_python does (Django's UsernameField
	// applies NFKC); the value returned is the normalized one.
	Normalize func(string) string
}

// ValidateChars validates d against fields as serializer.is_valid() does
// for a serializer made of CharFields. It returns the cleaned values in
// field order ("" for an absent optional field and for a field with
// errors), and nil errors when every field is valid. A JSON body whose
// top-level value is not an object gets {"non_field_errors":["Invalid
// data. Expected a dictionary, but got <python type>."]}, and a JSON null
// body {"non_field_errors":["No data provided"]}.
func ValidateChars(d Data, fields ...CharField) ([]string, *Errors) {
	errs := &Errors{}
	if msg := d.TopError(); msg != "" {
		errs.Add(NonFieldErrorsKey, msg)
		return make([]string, len(fields)), errs
	}
	values := make([]string, len(fields))
	for i, f := range fields {
		v := d.Get(f.Name)
		if d.html && v.Kind == String && v.Text == "" && f.Optional {
			// Field.get_value on form input: "" for an optional field
			// counts as absent unless blank is allowed.
			continue
		}
		value, msgs := f.Clean(v)
		values[i] = value
		for _, m := range msgs {
			errs.Add(f.Name, m)
		}
	}
	if errs.Empty() {
		return values, nil
	}
	return values, errs
}
