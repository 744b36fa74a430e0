package password

import (
	"reflect"
	"testing"
)

// validateFile is written by testdata/gen_validate.py with Django 3.2's
// validate_password.
type validateFile struct {
	Cases []struct {
		Password string             `json:"password"`
		User     *map[string]string `json:"user"`
		Messages []string           `json:"messages"`
	} `json:"cases"`
}

func TestValidateGolden(t *testing.T) {
	var f validateFile
	readJSON(t, "testdata/validate.json", &f)
	if len(f.Cases) < 50 {
		t.Fatalf("only %d cases", len(f.Cases))
	}
	for _, c := range f.Cases {
		var u UserAttributes
		if c.User != nil {
			m := *c.User
			u = UserAttributes{Username: m["username"], FirstName: m["first_name"], LastName: m["last_name"], Email: m["email"]}
		}
		got := Validate(c.Password, u)
		want := c.Messages
		if len(want) == 0 {
			want = nil
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Validate(%q, %+v)\n got  %q\n want %q", c.Password, u, got, want)
		}
	}
}

func TestValidateMessages(t *testing.T) {
	if got := Validate("1234", UserAttributes{}); !reflect.DeepEqual(got, []string{
		"This password is too short. It must contain at least 8 characters.",
		"This password is too common.",
		"This password is entirely numeric.",
	}) {
		t.Errorf("%q", got) // the reference in mode m3 (docs/simplejwt.md), REGISTER_VALIDATE_PASSWORD=1
	}
	if got := tooShortMessage(1); got != "This password is too short. It must contain at least 1 character." {
		t.Errorf("%q", got)
	}
	if Validate("Pw-Abc-123-xyz", UserAttributes{Username: "someone"}) != nil {
		t.Error("good password refused")
	}
}

func TestCommonPasswords(t *testing.T) {
	set := commonPasswords()
	if len(set) != 19727 { // len({x.strip() for x in gzip.open(...)}) in Django 3.2.25
		t.Fatalf("%d common passwords", len(set))
	}
	for _, pw := range []string{"password", "PassWord", " qwerty\t", "123456"} {
		if !isCommonPassword(pw) {
			t.Errorf("%q not common", pw)
		}
	}
	if isCommonPassword("Ωmega-long-pass-9") || isCommonPassword("") {
		t.Error("uncommon password reported common")
	}
}

func TestQuickRatio(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want float64
	}{
		{"", "", 1},
		{"abc", "", 0},
		{"abcd", "bcde", 0.75},
		{"aab", "abb", 2.0 * 2 / 6},
		{"siva12345", "siva", 2.0 * 4 / 13},
		{"A", "AAAAAAAAAA", 2.0 / 11}, // Django's comment: 0.18181818181818182
	} {
		if got := quickRatio([]rune(c.a), []rune(c.b)); got != c.want {
			t.Errorf("quickRatio(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

func TestSplitNonWord(t *testing.T) {
	// re.split(r'\W+', s) in Python 3.
	for s, want := range map[string][]string{
		"a":                      {"a"},
		"a.b":                    {"a", "b"},
		".a":                     {"", "a"},
		"a.":                     {"a", ""},
		"...":                    {"", ""},
		"john.smith@example.com": {"john", "smith", "example", "com"},
		"my_user-name":           {"my_user", "name"},
		"müller-lüdenscheidt":    {"müller", "lüdenscheidt"},
		"a  \t b":                {"a", "b"},
		"x²y":                    {"x²y"},
	} {
		if got := splitNonWord(s); !reflect.DeepEqual(got, want) {
			t.Errorf("splitNonWord(%q) = %q, want %q", s, got, want)
		}
	}
}
