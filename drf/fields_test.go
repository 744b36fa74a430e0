package drf

import (
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/jwtgate/jwtgate/internal/pystr"
)

func obj(html bool, kv map[string]Value) Data {
	return Data{top: Object, fields: kv, html: html}
}

func str(s string) Value { return Value{Kind: String, Text: s} }
func num(s string) Value { return Value{Kind: Number, Text: s} }

func TestValidateChars(t *testing.T) {
	maxLen := func(n int) CharField { return CharField{Name: "v", MaxLength: n} }
	tests := []struct {
		name  string
		field CharField
		data  Data
		value string
		msgs  string // the JSON of the errors, "" for none
	}{
		{"required", CharField{Name: "v"}, obj(false, nil), "", `{"v":["This field is required."]}`},
		{"optional absent", CharField{Name: "v", Optional: true}, obj(false, nil), "", ""},
		{"null", CharField{Name: "v", Optional: true, AllowBlank: true}, obj(false, map[string]Value{"v": {Kind: Null}}), "",
			`{"v":["This field may not be null."]}`},
		{"bool", CharField{Name: "v"}, obj(false, map[string]Value{"v": {Bool, "true"}}), "", `{"v":["Not a valid string."]}`},
		{"list", CharField{Name: "v"}, obj(false, map[string]Value{"v": {Kind: List}}), "", `{"v":["Not a valid string."]}`},
		{"object", CharField{Name: "v"}, obj(false, map[string]Value{"v": {Kind: Object}}), "", `{"v":["Not a valid string."]}`},
		{"file", CharField{Name: "v"}, obj(true, map[string]Value{"v": {File, "a.txt"}}), "", `{"v":["Not a valid string."]}`},
		{"file named with spaces is blank", CharField{Name: "v"}, obj(true, map[string]Value{"v": {File, " \u3000"}}), "",
			`{"v":["This field may not be blank."]}`},
		{"file named with spaces, blank allowed", CharField{Name: "v", AllowBlank: true}, obj(true, map[string]Value{"v": {File, "  "}}), "", ""},
		{"empty", CharField{Name: "v"}, obj(false, map[string]Value{"v": str("")}), "", `{"v":["This field may not be blank."]}`},
		{"empty, no trim", CharField{Name: "v", NoTrim: true}, obj(false, map[string]Value{"v": str("")}), "", `{"v":["This field may not be blank."]}`},
		{"spaces", CharField{Name: "v"}, obj(false, map[string]Value{"v": str(" \t\n\r\v\f\x1c\x1d\x1e\x1f\u0085\u00a0\u2028\u3000")}), "",
			`{"v":["This field may not be blank."]}`},
		{"spaces, no trim", CharField{Name: "v", NoTrim: true}, obj(false, map[string]Value{"v": str("  ")}), "  ", ""},
		{"spaces, blank allowed", CharField{Name: "v", AllowBlank: true}, obj(false, map[string]Value{"v": str("  ")}), "", ""},
		{"trimmed", CharField{Name: "v"}, obj(false, map[string]Value{"v": str("\u3000 siva\u2003\x1f")}), "siva", ""},
		{"not Python whitespace", CharField{Name: "v"}, obj(false, map[string]Value{"v": str("\u200b\u180e\ufeff")}), "\u200b\u180e\ufeff", ""},
		{"no trim", CharField{Name: "v", NoTrim: true}, obj(false, map[string]Value{"v": str(" a ")}), " a ", ""},
		{"int", CharField{Name: "v"}, obj(false, map[string]Value{"v": num("12")}), "12", ""},
		{"minus zero int", CharField{Name: "v"}, obj(false, map[string]Value{"v": num("-0")}), "0", ""},
		{"float", CharField{Name: "v"}, obj(false, map[string]Value{"v": num("1E2")}), "100.0", ""},
		{"small float", CharField{Name: "v"}, obj(false, map[string]Value{"v": num("1.5e-7")}), "1.5e-07", ""},
		{"overflow", CharField{Name: "v"}, obj(false, map[string]Value{"v": num("-1e400")}), "-inf", ""},
		{"underflow", CharField{Name: "v"}, obj(false, map[string]Value{"v": num("-1e-400")}), "-0.0", ""},
		{"big int", CharField{Name: "v"}, obj(false, map[string]Value{"v": num("123456789012345678901234567890")}),
			"123456789012345678901234567890", ""},
		{"number too long", maxLen(3), obj(false, map[string]Value{"v": num("1234")}), "",
			`{"v":["Ensure this field has no more than 3 characters."]}`},
		{"max length in code points", maxLen(3), obj(false, map[string]Value{"v": str("éé😀")}), "éé😀", ""},
		{"max length exceeded", maxLen(3), obj(false, map[string]Value{"v": str("😀😀😀😀")}), "",
			`{"v":["Ensure this field has no more than 3 characters."]}`},
		{"max length after trimming", maxLen(3), obj(false, map[string]Value{"v": str("  abc  ")}), "abc", ""},
		{"NUL", CharField{Name: "v"}, obj(false, map[string]Value{"v": str("a\x00")}), "", `{"v":["Null characters are not allowed."]}`},
		{"surrogate", CharField{Name: "v"}, obj(false, map[string]Value{"v": str("a\xed\xb0\x80\xed\xa0\x80")}), "",
			`{"v":["Surrogate characters are not allowed: U+DC00."]}`},
		{"a surrogate counts as one character", maxLen(1), obj(false, map[string]Value{"v": str("\xed\xa0\x80")}), "",
			`{"v":["Surrogate characters are not allowed: U+D800."]}`},
		{"validators first, then max length, NUL and surrogates",
			CharField{Name: "v", MaxLength: 4, Validators: []func(string) string{noX, noY, func(string) string { return "" }}},
			obj(false, map[string]Value{"v": str(" \x00xy\xed\xa0\x80z ")}), "",
			`{"v":["no x","no y","Ensure this field has no more than 4 characters.","Null characters are not allowed.","Surrogate characters are not allowed: U+D800."]}`},
		{"validators see the trimmed value", CharField{Name: "v", Validators: []func(string) string{func(s string) string {
			if s != "a b" {
				return "saw " + s
			}
			return ""
		}}}, obj(false, map[string]Value{"v": str(" a b ")}), "a b", ""},
		{"validators skip blank values", CharField{Name: "v", AllowBlank: true, Validators: []func(string) string{noX, func(string) string { return "ran" }}},
			obj(false, map[string]Value{"v": str(" ")}), "", ""},
		{"form: optional blank counts as absent", CharField{Name: "v", Optional: true}, obj(true, map[string]Value{"v": str("")}), "", ""},
		{"form: optional spaces are still blank", CharField{Name: "v", Optional: true}, obj(true, map[string]Value{"v": str(" ")}), "",
			`{"v":["This field may not be blank."]}`},
		{"json: optional blank is blank", CharField{Name: "v", Optional: true}, obj(false, map[string]Value{"v": str("")}), "",
			`{"v":["This field may not be blank."]}`},
		{"form: required blank", CharField{Name: "v"}, obj(true, map[string]Value{"v": str("")}), "", `{"v":["This field may not be blank."]}`},
		{"zero Data is an empty object", CharField{Name: "v"}, Data{}, "", `{"v":["This field is required."]}`},
		{"top-level list", CharField{Name: "v"}, Data{top: List, pyType: "list"}, "",
			`{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}`},
		{"top-level null", CharField{Name: "v"}, Data{top: Null, pyType: "NoneType"}, "", `{"non_field_errors":["No data provided"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values, errs := ValidateChars(tt.data, tt.field)
			if len(values) != 1 || values[0] != tt.value {
				t.Errorf("values %q, want %q", values, tt.value)
			}
			got := ""
			if errs != nil {
				if errs.Empty() {
					t.Errorf("non-nil empty errors")
				}
				b, _ := errs.MarshalJSON()
				got = string(b)
			}
			if got != tt.msgs {
				t.Errorf("errors %s, want %s", got, tt.msgs)
			}
		})
	}
}

func TestValidateCharsOrder(t *testing.T) {
	fields := []CharField{{Name: "username"}, {Name: "email", Optional: true}, {Name: "password"}, {Name: "password2"}}
	d := obj(false, map[string]Value{"password2": {Kind: Null}, "email": str("e"), "username": {Kind: List}})
	values, errs := ValidateChars(d, fields...)
	const want = `{"username":["Not a valid string."],"password":["This field is required."],"password2":["This field may not be null."]}`
	if b, _ := errs.MarshalJSON(); string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
	if strings.Join(values, "|") != "|e||" {
		t.Errorf("values %q", values)
	}
	if got := errs.Fields(); strings.Join(got, ",") != "username,password,password2" {
		t.Errorf("Fields() = %q", got)
	}
	if got := errs.Messages("password2"); len(got) != 1 || got[0] != "This field may not be null." {
		t.Errorf("Messages = %q", got)
	}
	if values, errs := ValidateChars(d); errs != nil || len(values) != 0 {
		t.Errorf("no fields: %q %v", values, errs)
	}
}

func TestPyFloatRepr(t *testing.T) {
	tests := []struct {
		f    float64
		want string
	}{
		{1, "1.0"}, {-0.0, "0.0"}, {math.Copysign(0, -1), "-0.0"}, {0.1, "0.1"}, {1e15, "1000000000000000.0"},
		{1e16, "1e+16"}, {1e-4, "0.0001"}, {1e-5, "1e-05"}, {1.5e-7, "1.5e-07"}, {123456789012345678, "1.2345678901234568e+17"},
		{1e300, "1e+300"}, {5e-324, "5e-324"}, {math.MaxFloat64, "1.7976931348623157e+308"}, {math.Inf(1), "inf"},
		{math.Inf(-1), "-inf"}, {math.NaN(), "nan"}, {9007199254740993, "9007199254740992.0"}, {-12.5e3, "-12500.0"},
	}
	for _, tt := range tests {
		if got := pystr.FloatRepr(tt.f); got != tt.want {
			t.Errorf("repr(%v) = %q, want %q", tt.f, got, tt.want)
		}
	}
}

func TestPyStrip(t *testing.T) {
	tests := [][2]string{
		{"", ""}, {" ", ""}, {" a b ", "a b"}, {"\u3000\u2029x\u0085", "x"}, {"\u200bx", "\u200bx"},
		{"\xed\xa0\x80 ", "\xed\xa0\x80"}, {" \xff", "\xff"}, {"\x1c\x1fa\x1e", "a"}, {"\x00 ", "\x00"},
	}
	for _, tt := range tests {
		if got := pystr.Strip(tt[0]); got != tt[1] {
			t.Errorf("strip(%q) = %q, want %q", tt[0], got, tt[1])
		}
	}
	if n := pystr.Len("a\xed\xa0\x80é😀\xff"); n != 5 {
		t.Errorf("pyLen = %d, want 5", n)
	}
	if !utf8.ValidString(string(pystr.AppendWTF8(nil, 'é'))) || string(pystr.AppendWTF8(nil, 0xDFFF)) != "\xed\xbf\xbf" {
		t.Errorf("appendWTF8")
	}
}
