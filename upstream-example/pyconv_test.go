package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/drf"
	"github.com/jwtgate/jwtgate/internal/pystr"
)

// The expected values below were produced by CPython 3.11, the reference's
// Python.

func TestPyFloatRepr(t *testing.T) {
	for f, want := range map[float64]string{
		0: "0.0", 4: "4.0", 4.5: "4.5", 3.125: "3.125", 2.0625: "2.0625", 0.1: "0.1", 0.3: "0.3",
		100: "100.0", 123.456: "123.456", 1e15: "1000000000000000.0", 1e16: "1e+16", 1e22: "1e+22",
		9007199254740993: "9007199254740992.0", 0.0001: "0.0001", 1e-05: "1e-05", 1.5e-05: "1.5e-05", 1e-07: "1e-07",
		-2.5e-10: "-2.5e-10", 123456789012345678: "1.2345678901234568e+17", 3.0000000000000004: "3.0000000000000004",
		1.7976931348623157e308: "1.7976931348623157e+308", 5e-324: "5e-324",
	} {
		if got := pystr.FloatRepr(f); got != want {
			t.Errorf("pystr.FloatRepr(%v) = %q, want %q", f, got, want)
		}
	}
	if got := pystr.FloatRepr(-1 * 0.0 * -1); got != "0.0" {
		t.Errorf("zero: %q", got)
	}
}

func TestPyInt(t *testing.T) {
	for s, want := range map[string]int64{
		"4": 4, " 4 ": 4, "+4": 4, "-4": -4, "1_0": 10, "٣": 3, "𝟗": 9, "١٢": 12, "\u00a04\u3000": 4,
		"00": 0, "-0": 0, "\t7\n": 7, "99999999999999999999999999": 1 << 62, "-99999999999999999999999999": -(1 << 62),
	} {
		if got, ok := pyInt(s); !ok || got != want {
			t.Errorf("pyInt(%q) = %d, %v; want %d", s, got, ok, want)
		}
	}
	for _, s := range []string{"_1", "1__0", "1_", "", " ", "4.0", "0x10", "\x1c5\x1f", "+-1", "1 2", "-", "٣x", "True"} {
		if got, ok := pyInt(s); ok {
			t.Errorf("pyInt(%q) = %d, want an error", s, got)
		}
	}
	for s, want := range map[string]string{"4.0": "4", "4.000 ": "4", "4.": "4", ".0": "", "4.5": "4.5", "40": "40", "400": "400", "1e+16": "1e+16"} {
		if got := dropDecimalZeros(s); got != want {
			t.Errorf("dropDecimalZeros(%q) = %q, want %q", s, got, want)
		}
	}
	if got := pystr.Strip("\x1c a \u3000"); got != "a" {
		t.Errorf("pyStrip = %q", got)
	}
}

func TestDecodeJSONErrors(t *testing.T) {
	for in, want := range map[string]string{
		" ":                       "Expecting value: line 1 column 2 (char 1)",
		"{":                       "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
		`{"a"`:                    "Expecting ':' delimiter: line 1 column 5 (char 4)",
		`{"a":`:                   "Expecting value: line 1 column 6 (char 5)",
		`{"a":1`:                  "Expecting ',' delimiter: line 1 column 7 (char 6)",
		`{"a":1,}`:                "Expecting property name enclosed in double quotes: line 1 column 8 (char 7)",
		`{"a" 1}`:                 "Expecting ':' delimiter: line 1 column 6 (char 5)",
		`{"a":1 "b":2}`:           "Expecting ',' delimiter: line 1 column 8 (char 7)",
		"[":                       "Expecting value: line 1 column 2 (char 1)",
		"[1":                      "Expecting ',' delimiter: line 1 column 3 (char 2)",
		"[1,]":                    "Expecting value: line 1 column 4 (char 3)",
		"[1 2]":                   "Expecting ',' delimiter: line 1 column 4 (char 3)",
		`"abc`:                    "Unterminated string starting at: line 1 column 1 (char 0)",
		`"a\`:                     "Unterminated string starting at: line 1 column 1 (char 0)",
		`"\x"`:                    "Invalid \\escape: line 1 column 2 (char 1)",
		`"\u12"`:                  "Invalid \\uXXXX escape: line 1 column 3 (char 2)",
		`"\u12G4"`:                "Invalid \\uXXXX escape: line 1 column 3 (char 2)",
		"NaN":                     "Out of range float values are not JSON compliant: 'NaN'",
		"-Infinity":               "Out of range float values are not JSON compliant: '-Infinity'",
		`{"a":NaN}`:               "Out of range float values are not JSON compliant: 'NaN'",
		"-":                       "Expecting value: line 1 column 1 (char 0)",
		"01":                      "Extra data: line 1 column 2 (char 1)",
		"1.":                      "Extra data: line 1 column 2 (char 1)",
		"1.5e":                    "Extra data: line 1 column 4 (char 3)",
		"tru":                     "Expecting value: line 1 column 1 (char 0)",
		"[]x":                     "Extra data: line 1 column 3 (char 2)",
		"{} {}":                   "Extra data: line 1 column 4 (char 3)",
		"\"a\tb\"":                "Invalid control character at: line 1 column 3 (char 2)",
		"{\n\"a\":\n x}":          "Expecting value: line 3 column 2 (char 8)",
		`{"é":x}`:                 "Expecting value: line 1 column 6 (char 5)",
		"\ufeff{}":                "Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)",
		"ab\xff":                  "'utf-8' codec can't decode byte 0xff in position 2: invalid start byte",
		"\xe9abc":                 "'utf-8' codec can't decode byte 0xe9 in position 0: invalid continuation byte",
		"\xe9\x80A":               "'utf-8' codec can't decode bytes in position 0-1: invalid continuation byte",
		"\xed\xa0\x80":            "'utf-8' codec can't decode byte 0xed in position 0: invalid continuation byte",
		"\xf0\x90\x80A":           "'utf-8' codec can't decode bytes in position 0-2: invalid continuation byte",
		"\xc0\x80":                "'utf-8' codec can't decode byte 0xc0 in position 0: invalid start byte",
		strings.Repeat("1", 5000): "Exceeds the limit (4300 digits) for integer string conversion: value has 5000 digits; use sys.set_int_max_str_digits() to increase the limit",
	} {
		_, e := parseBody(jsonRequest(in))
		if wantBody := `{"detail":` + string(must(drf.Marshal("JSON parse error - "+want))) + `}`; e == nil || e.Status != 400 || string(e.Body) != wantBody {
			t.Errorf("JSON body %q: %+v, want 400 %s", in, e, wantBody)
		}
	}
}

// jsonRequest is a POST of body as application/json.
func jsonRequest(body string) *http.Request {
	r := httptest.NewRequest("POST", "/movieapi/movie/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func TestDecodeJSONValues(t *testing.T) {
	data, e := parseBody(jsonRequest(`{"a":1,"a":2,"i":-0,"f":1e400,"s":"\ud800\udc00\u00e9\ud800x","t":true,"n":null,"l":[1,{"x":[]}],"d":{}}` + "\xe9"))
	if e != nil {
		t.Fatalf("%d %s", e.Status, e.Body)
	}
	f := data.Get
	// isInt: json.loads gives an int (not a float) for the literal.
	isInt := func(v drf.Value) bool { return v.Kind == drf.Number && !strings.ContainsAny(v.Text, ".eE") }
	if pyStr(f("a")) != "2" || pyStr(f("i")) != "0" || !isInt(f("i")) {
		t.Errorf("ints: %+v %+v", f("a"), f("i"))
	}
	if f("f").Kind != drf.Number || isInt(f("f")) || pyStr(f("f")) != "inf" {
		t.Errorf("float: %+v", f("f"))
	}
	if r, _ := pystr.FirstSurrogate(f("s").Text); f("s").Text != "𐀀é\xed\xa0\x80x" || r != 0xD800 {
		t.Errorf("string: %+q %X", f("s").Text, r)
	}
	if f("t").Kind != drf.Bool || f("t").Text != "true" || f("n").Kind != drf.Null || f("l").Kind != drf.List || f("d").Kind != drf.Object {
		t.Errorf("kinds: %+v %+v %+v %+v %+v", f("t"), f("n"), f("l"), f("d"), f("s"))
	}
}

func TestDRFTime(t *testing.T) {
	base := time.Date(2026, 11, 22, 9, 18, 56, 0, time.UTC)
	for d, want := range map[time.Duration]string{
		0:                         "2026-11-22T09:18:56Z",
		487382 * time.Microsecond: "2026-11-22T09:18:56.487382Z",
		5 * time.Microsecond:      "2026-11-22T09:18:56.000005Z",
	} {
		if got := drfTime(base.Add(d)); got != want {
			t.Errorf("drfTime(+%v) = %q, want %q", d, got, want)
		}
	}
	if got := drfTime(base.In(time.FixedZone("X", 3600))); got != "2026-11-22T09:18:56Z" {
		t.Errorf("not UTC: %q", got)
	}
}
