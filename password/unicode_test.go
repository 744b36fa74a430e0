package password

import (
	"strconv"
	"testing"

	"github.com/jwtgate/jwtgate/internal/pystr"
)

// unicodeFile is written by testdata/gen_unicode.py from Python's str.
type unicodeFile struct {
	Unicode       string            `json:"unicode"`
	Assigned      [][2]rune         `json:"assigned"`
	IsDigit       [][2]rune         `json:"isdigit"`
	Word          [][2]rune         `json:"word"`
	IsSpace       [][2]rune         `json:"isspace"`
	CaseIgnorable [][2]rune         `json:"case_ignorable"`
	CasedNotIgn   [][2]rune         `json:"cased_not_ignorable"`
	Lower         map[string]string `json:"lower"`
}

func inRanges(rs [][2]rune) map[rune]bool {
	m := map[rune]bool{}
	for _, r := range rs {
		for c := r[0]; c <= r[1]; c++ {
			m[c] = true
		}
	}
	return m
}

// TestPythonUnicode checks the Python str semantics of the validators
// against Python itself, for every code point assigned in Python's Unicode
// database.
func TestPythonUnicode(t *testing.T) {
	var f unicodeFile
	readJSON(t, "testdata/unicode.json", &f)
	digit, word, space := inRanges(f.IsDigit), inRanges(f.Word), inRanges(f.IsSpace)
	ign, cased := inRanges(f.CaseIgnorable), inRanges(f.CasedNotIgn)
	lower := map[rune]string{}
	for k, v := range f.Lower {
		cp, err := strconv.ParseUint(k, 16, 32)
		if err != nil {
			t.Fatal(err)
		}
		lower[rune(cp)] = v
	}
	n, bad := 0, 0
	fail := func(format string, args ...any) {
		bad++
		if bad <= 20 {
			t.Errorf(format, args...)
		}
	}
	for _, rg := range f.Assigned {
		for r := rg[0]; r <= rg[1]; r++ {
			n++
			if pyIsDigit(r) != digit[r] {
				fail("U+%04X: isdigit %v", r, digit[r])
			}
			if pyIsWord(r) != word[r] {
				fail(`U+%04X: \w %v`, r, word[r])
			}
			if pystr.IsSpace(r) != space[r] {
				fail("U+%04X: isspace %v", r, space[r])
			}
			want, ok := lower[r]
			if !ok {
				want = string(r)
			}
			if got := pyLower(string(r)); got != want {
				fail("U+%04X: lower %q, want %q", r, got, want)
			}
			if isCaseIgnorable(r) != ign[r] {
				fail("U+%04X: case-ignorable %v", r, ign[r])
			}
			if !ign[r] && isCased(r) != cased[r] {
				fail("U+%04X: cased %v", r, cased[r])
			}
		}
	}
	if n < 280000 {
		t.Fatalf("only %d code points", n)
	}
}

func TestPyLowerSigma(t *testing.T) {
	for in, want := range map[string]string{
		"ΟΔΟΣ":      "οδος",
		"ΟΔΟΣ ΟΔΟΣ": "οδος οδος",
		"ΣΑ":        "σα",
		"Σ":         "σ",
		"ΑΣ'":       "ας'",
		"ΑΣ'Α":      "ασ'α",
		"ΑΣ1":       "ας1",
		"İ":         "i\u0307",
		"İSTANBUL":  "i\u0307stanbul",
		"ABC":       "abc",
	} {
		if got := pyLower(in); got != want {
			t.Errorf("pyLower(%q) = %q, want %q", in, got, want)
		}
	}
}
