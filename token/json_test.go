package token

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

func TestB64Decode(t *testing.T) {
	strict := base64.RawURLEncoding.Strict()
	cases := []struct {
		in string
		ok bool
	}{
		{"", true}, {"QQ", true}, {"QUI", true}, {"QUJD", true}, {"-_-_", true},
		{"Q", false}, {"QR", false}, {"QUJ", false}, {"QQ==", false}, {"QUI=", false},
		{"QU+D", false}, {"QU/D", false}, {"QU D", false}, {"QU\nJD", false}, {"QU\rJD", false},
		{"QUJD\n", false}, {".", false}, {"\x00\x00", false}, {"é", false},
	}
	for _, tc := range cases {
		got, ok := b64Decode([]byte("prefix"), tc.in)
		if ok != tc.ok {
			t.Errorf("b64Decode(%q) ok = %v, want %v", tc.in, ok, tc.ok)
			continue
		}
		if !bytes.HasPrefix(got, []byte("prefix")) {
			t.Errorf("b64Decode(%q) lost dst", tc.in)
		}
		if ok {
			want, err := strict.DecodeString(tc.in)
			if err != nil || !bytes.Equal(got[6:], want) {
				t.Errorf("b64Decode(%q) = %q, want %q (%v)", tc.in, got[6:], want, err)
			}
		} else if len(got) != 6 {
			t.Errorf("b64Decode(%q) failed but left %d bytes", tc.in, len(got)-6)
		}
	}
	// Every length and every last character agree with the standard
	// library's strict decoder.
	for n := 0; n < 12; n++ {
		for _, last := range b64Alphabet {
			s := strings.Repeat("A", n) + string(last)
			got, ok := b64Decode(nil, s)
			want, err := strict.DecodeString(s)
			if ok != (err == nil) || (ok && !bytes.Equal(got, want)) {
				t.Errorf("%q: ours %v %x, stdlib %v %x", s, ok, got, err, want)
			}
		}
	}
}

func TestParseNumber(t *testing.T) {
	cases := []struct {
		in    string
		n     int64
		above bool
		ok    bool
	}{
		{"0", 0, false, true},
		{"-0", 0, false, true},
		{"1795339134", 1795339134, false, true},
		{"-5", -5, false, true},
		{"9223372036854775807", 9223372036854775807, false, true},
		{"-9223372036854775808", -9223372036854775808, false, true},
		{"9223372036854775808", 0, false, false},
		{"-9223372036854775809", 0, false, false},
		{"99999999999999999999999", 0, false, false},
		{"1.5", 1, true, true},
		{"-1.5", -1, false, true},
		{"-0.5", 0, false, true},
		{"1795339134.5", 1795339134, true, true},
		{"1e3", 1000, false, true},
		{"1E3", 1000, false, true},
		{"1.7e9", 1700000000, false, true},
		{"1e300", 0, false, false},
		{"1e400", 0, false, false},
		{"-1e19", 0, false, false},
		{"9.223372036854775807e18", 0, false, false}, // rounds to 2^63
		{`"1"`, 0, false, false},
		{"true", 0, false, false},
		{"null", 0, false, false},
		{"", 0, false, false},
		{"-", 0, false, false},
		{"[1]", 0, false, false},
	}
	for _, tc := range cases {
		n, above, ok := parseNumber([]byte(tc.in))
		if n != tc.n || above != tc.above || ok != tc.ok {
			t.Errorf("parseNumber(%s) = %d, %v, %v; want %d, %v, %v", tc.in, n, above, ok, tc.n, tc.above, tc.ok)
		}
	}
}

func TestJSONStrings(t *testing.T) {
	cases := []struct {
		raw, want string
		ok        bool
	}{
		{`""`, "", true},
		{`"abc"`, "abc", true},
		{`"a\"b\\c\/d"`, `a"b\c/d`, true},
		{`"\b\f\n\r\t"`, "\b\f\n\r\t", true},
		{`"\u0041\u00e9\u20AC"`, "Aé€", true},
		{`"\ud83d\ude00"`, "😀", true},
		{`"\uD83D\uDE00x"`, "😀x", true},
		{`"é"`, "é", true},
		{`"\u0000"`, "\x00", true},
		{`"\ud800"`, "", false},       // lone high surrogate
		{`"\udc00"`, "", false},       // lone low surrogate
		{`"\ud800\u0041"`, "", false}, // high surrogate then a non-surrogate
		{`"\ud800\ud800"`, "", false}, // two high surrogates
		{`"\ud83d\ude0"`, "", false},  // short
		{`"\x"`, "", false},           // unknown escape
		{`"\u12G4"`, "", false},       // bad hex
		{"\"a\tb\"", "", false},       // raw control character
		{`1`, "", false},
		{`null`, "", false},
		{`"`, "", false},
	}
	for _, tc := range cases {
		got, ok := stringValue([]byte(tc.raw))
		if ok != tc.ok || got != tc.want {
			t.Errorf("stringValue(%s) = %q, %v; want %q, %v", tc.raw, got, ok, tc.want, tc.ok)
		}
		if validString([]byte(tc.raw)) != tc.ok {
			t.Errorf("validString(%s) = %v", tc.raw, !tc.ok)
		}
		if tc.ok {
			if !stringEquals([]byte(tc.raw), tc.want) {
				t.Errorf("stringEquals(%s, %q) = false", tc.raw, tc.want)
			}
			for _, other := range []string{tc.want + "x", "x" + tc.want, strings.ToUpper(tc.want) + "!"} {
				if stringEquals([]byte(tc.raw), other) {
					t.Errorf("stringEquals(%s, %q) = true", tc.raw, other)
				}
			}
			if len(tc.want) > 0 && stringEquals([]byte(tc.raw), tc.want[:len(tc.want)-1]) {
				t.Errorf("stringEquals(%s, prefix) = true", tc.raw)
			}
			// encoding/json agrees.
			var s string
			if err := json.Unmarshal([]byte(tc.raw), &s); err != nil || s != tc.want {
				t.Errorf("encoding/json reads %s as %q (%v)", tc.raw, s, err)
			}
		} else if stringEquals([]byte(tc.raw), "") || stringEquals([]byte(tc.raw), "\ufffd") {
			t.Errorf("stringEquals accepted invalid %s", tc.raw)
		}
	}
}

func TestSplitObject(t *testing.T) {
	p := []byte(` { "a" : 1 , "b\u0063":[1, {"x":"]}"}] ,"":"", "d":{"e":{}} , "f" : null,"g":-1.5e3}  `)
	if !json.Valid(p) {
		t.Fatal("test input is not valid JSON")
	}
	_, ms, ok := splitObject(p, nil, nil)
	if !ok {
		t.Fatal("splitObject failed")
	}
	want := [][3]string{
		{"a", `"a"`, "1"},
		{"bc", `"b\u0063"`, `[1, {"x":"]}"}]`},
		{"", `""`, `""`},
		{"d", `"d"`, `{"e":{}}`},
		{"f", `"f"`, "null"},
		{"g", `"g"`, "-1.5e3"},
	}
	if len(ms) != len(want) {
		t.Fatalf("%d members, want %d", len(ms), len(want))
	}
	for i, w := range want {
		if string(ms[i].name) != w[0] || string(ms[i].qname) != w[1] || string(ms[i].value) != w[2] {
			t.Errorf("member %d = %q %q %q, want %q", i, ms[i].name, ms[i].qname, ms[i].value, w)
		}
	}
	for _, bad := range []string{`[]`, `"x"`, `1`, `{"\ud800":1}`, ``, ` `} {
		if _, _, ok := splitObject([]byte(bad), nil, nil); ok {
			t.Errorf("splitObject(%s) succeeded", bad)
		}
	}
	if _, ms, ok := splitObject([]byte(" {} "), nil, nil); !ok || len(ms) != 0 {
		t.Error("empty object")
	}
}

func TestHasDuplicate(t *testing.T) {
	mk := func(names ...string) []member {
		var ms []member
		for _, n := range names {
			ms = append(ms, member{name: []byte(n)})
		}
		return ms
	}
	if hasDuplicate(mk("a", "b", "A", "")) {
		t.Error("distinct names reported as duplicates")
	}
	if !hasDuplicate(mk("a", "b", "a")) {
		t.Error("duplicate missed")
	}
	// The map path for large objects.
	var many []string
	for i := 0; i < 100; i++ {
		many = append(many, strings.Repeat("x", i))
	}
	if hasDuplicate(mk(many...)) {
		t.Error("100 distinct names reported as duplicates")
	}
	if !hasDuplicate(mk(append(many, "xxxxx")...)) {
		t.Error("duplicate among 101 names missed")
	}
}

func TestHeaderValue(t *testing.T) {
	cases := []struct {
		raw, want string
		ok        bool
	}{
		{`1`, "1", true},
		{` 42 `, "42", true},
		{`-1.5e3`, "-1.5e3", true},
		{`"5"`, "5", true},
		{`"alice@example.com"`, "alice@example.com", true},
		{`"\u00e9l\u00e8ve"`, "élève", true},
		{`"😀"`, "😀", true},
		{`""`, "", true},
		{`true`, "true", true},
		{`null`, "null", true},
		{`[1, 2]`, "[1,2]", true},
		{"{\"a\" :\n \"b c\"}", `{"a":"b c"}`, true},
		{`"a\r\nX-Admin: 1"`, "", false},
		{`"tab\there"`, "", false},
		{`"nul\u0000"`, "", false},
		{`"del\u007f"`, "", false},
		{`["a\nb"]`, `["a\nb"]`, true}, // an escape, not a control character
		{`"\ud800"`, "", false},
		{"\"\xff\"", "", false},
		{``, "", false},
		{`   `, "", false},
		{`1 2`, "", false},
		{`"unterminated`, "", false},
		{`{"a":}`, "", false},
		{`01`, "", false},
	}
	for _, tc := range cases {
		got, ok := HeaderValue([]byte(tc.raw))
		if got != tc.want || ok != tc.ok {
			t.Errorf("HeaderValue(%q) = %q, %v; want %q, %v", tc.raw, got, ok, tc.want, tc.ok)
		}
	}
}
