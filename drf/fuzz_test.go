package drf

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/jwtgate/jwtgate/internal/pystr"
)

var fuzzContentTypes = []string{
	"application/json",
	"application/x-www-form-urlencoded",
	"multipart/form-data; boundary=B",
}

func fuzzSeeds() [][]byte {
	return [][]byte{
		[]byte(`{"username": "siva", "password": "siva"}`),
		[]byte(`{"username":"siva",`),
		[]byte(`{"a":[1,2.5,-3e+2,{"b":null}],"c":true,"e":"\u00e9\ud83d\ude00\ud800\n"}`),
		[]byte(`["x", NaN, -Infinity]`),
		[]byte("{\"k\":\"\xff\xe2\x82\"}\xed\xa0"),
		[]byte("username=%zz%4&password=a+b%2&&=x&%c3%e2%82"),
		[]byte("--B\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nsiva\r\n" +
			"--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"&#46;&period;\"\r\n" +
			"Content-Transfer-Encoding: base64\r\n\r\nYQ=\r\n--B--\r\n"),
		[]byte("--B\r\nContent-Disposition: form-data; name*=UTF-8''%C3%A9; filename*=x''%2e\r\n\r\nv\r\n--B"),
	}
}

// FuzzParse checks that any body, under any of the three parsers, gives
// either data or an error response with a 4xx status and a JSON body.
func FuzzParse(f *testing.F) {
	for i, s := range fuzzSeeds() {
		f.Add(uint8(i), s)
	}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		ct := fuzzContentTypes[int(which)%len(fuzzContentTypes)]
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		r.Header.Set("Content-Type", ct)
		d, e := Parse(r, 4096)
		if e != nil {
			if e.Status < 400 || e.Status > 499 || !json.Valid(e.Body) || !bytes.HasPrefix(e.Body, []byte(`{"detail":"`)) {
				t.Fatalf("bad error %d %q", e.Status, e.Body)
			}
			if len(body) > 0 && len(body) <= 4096 && strings.HasPrefix(ct, "application/x-www") {
				t.Fatalf("the form parser failed: %s", e.Body)
			}
			return
		}
		if len(body) > 4096 {
			t.Fatalf("%d bytes accepted with a limit of 4096", len(body))
		}
		for k, v := range d.fields {
			if v.Kind == String && d.html && (!utf8.ValidString(k) || !utf8.ValidString(v.Text)) {
				t.Fatalf("form field %q = %q is not valid UTF-8", k, v.Text)
			}
			if v.Kind == Missing {
				t.Fatalf("field %q stored as Missing", k)
			}
		}
		values, errs := ValidateChars(d, login...)
		checkValidated(t, login, values, errs)
	})
}

// FuzzValidateChars validates any JSON body against CharFields whose
// options come from flags.
func FuzzValidateChars(f *testing.F) {
	for i, s := range fuzzSeeds()[:5] {
		f.Add(uint8(i*37), s)
	}
	f.Add(uint8(0xff), []byte(`{"username":" \u3000a\u0000 ","password":12e3}`))
	f.Add(uint8(0x12), []byte(`{"username":"","password":"  "}`))
	f.Fuzz(func(t *testing.T, flags uint8, body []byte) {
		fields := []CharField{
			{Name: "username", Optional: flags&1 != 0, AllowBlank: flags&2 != 0, NoTrim: flags&4 != 0, MaxLength: int(flags>>5) * 2},
			{Name: "password", Optional: flags&8 != 0, AllowBlank: flags&16 != 0, Validators: []func(string) string{noX}},
			{Name: "username"}, // the same name twice is allowed
		}
		d, e := parseJSON(body, codecClass(flags%7), "x")
		if e != nil {
			if e.Status != 400 || !json.Valid(e.Body) {
				t.Fatalf("bad error %d %q", e.Status, e.Body)
			}
			return
		}
		values, errs := ValidateChars(d, fields...)
		checkValidated(t, fields, values, errs)
		// A form body that holds the same strings validates the same way
		// (but for optional blank fields, which forms treat as absent).
		if errs == nil {
			for i, f := range fields {
				if f.MaxLength > 0 && pystr.Len(values[i]) > f.MaxLength {
					t.Fatalf("%q longer than %d", values[i], f.MaxLength)
				}
			}
		}
	})
}

func checkValidated(t *testing.T, fields []CharField, values []string, errs *Errors) {
	t.Helper()
	if len(values) != len(fields) {
		t.Fatalf("%d values for %d fields", len(values), len(fields))
	}
	if errs != nil {
		b, _ := errs.MarshalJSON()
		if errs.Empty() || !json.Valid(b) {
			t.Fatalf("bad errors %q", b)
		}
		for _, name := range errs.Fields() {
			if len(errs.Messages(name)) == 0 {
				t.Fatalf("no messages for %q", name)
			}
		}
		return
	}
	for i, v := range values {
		if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
			t.Fatalf("value %q passed validation", v)
		}
		if !fields[i].NoTrim && pystr.Strip(v) != v {
			t.Fatalf("value %q not trimmed", v)
		}
	}
}
