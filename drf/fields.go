package drf

import (
	"strconv"
	"strings"

	"github.com/jwtgate/jwtgate/internal/pystr"
)

// NonFieldErrorsKey is DRF's api_settings.NON_FIELD_ERRORS_KEY, the
// Errors field of messages that concern no single field.
const NonFieldErrorsKey = "non_field_errors"

// Messages of DRF 3.14 (and Django) that ValidateChars produces.
const (
	msgRequired  = "This field is required."
	msgNull      = "This field may not be null."
	msgBlank     = "This field may not be blank."
	msgInvalid   = "Not a valid string."
	msgNullChars = "Null characters are not allowed."
	msgNoData    = "No data provided"
)

// Clean is CharField.run_validation on one value, as ValidateChars runs it
// for each field: the cleaned value, or "" with the messages (also "" for
// an absent optional field).
func (f CharField) Clean(v Value) (string, []string) {
	// Blank is tested first, on str(data), before null and type checks.
	switch v.Kind {
	case String:
		if v.Text == "" || (!f.NoTrim && pystr.Strip(v.Text) == "") {
			return blank(f)
		}
	case File:
		if !f.NoTrim && pystr.Strip(v.Text) == "" {
			return blank(f)
		}
	}
	var s string
	switch v.Kind {
	case Missing:
		if f.Optional {
			return "", nil
		}
		return "", []string{msgRequired}
	case Null:
		return "", []string{msgNull}
	case String:
		s = v.Text
	case Number:
		s = pystr.NumberStr(v.Text)
	default: // Bool, List, Object, File
		return "", []string{msgInvalid}
	}
	if !f.NoTrim {
		s = pystr.Strip(s)
	}
	if f.Normalize != nil {
		s = f.Normalize(s)
	}
	// run_validators: the field's own validators come first (DRF's Field
	// sets them before CharField appends its own), then max_length, the
	// null-character and the surrogate checks, then the validators a
	// subclass appends; all messages are kept.
	var msgs []string
	for _, fn := range f.Validators {
		if m := fn(s); m != "" {
			msgs = append(msgs, m)
		}
	}
	if f.MaxLength > 0 && pystr.Len(s) > f.MaxLength {
		msgs = append(msgs, "Ensure this field has no more than "+strconv.Itoa(f.MaxLength)+" characters.")
	}
	if strings.IndexByte(s, 0) >= 0 {
		msgs = append(msgs, msgNullChars)
	}
	if r, ok := pystr.FirstSurrogate(s); ok {
		msgs = append(msgs, "Surrogate characters are not allowed: U+"+strings.ToUpper(strconv.FormatInt(int64(r), 16))+".")
	}
	for _, fn := range f.ValidatorsAfter {
		if m := fn(s); m != "" {
			msgs = append(msgs, m)
		}
	}
	if msgs != nil {
		return "", msgs
	}
	return s, nil
}

func blank(f CharField) (string, []string) {
	if f.AllowBlank {
		return "", nil
	}
	return "", []string{msgBlank}
}
