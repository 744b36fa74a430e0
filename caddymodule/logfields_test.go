package caddymodule

import (
	"strings"
	"testing"
)

// TestLogUsername: log lines carry at most 150 characters of a username,
// with control characters and invalid UTF-8 escaped.
func TestLogUsername(t *testing.T) {
	for in, want := range map[string]string{
		"siva":                       "siva",
		"José":                       "José",
		"a\nb\r\x00c\x1b[31m":        `a\nb\r\x00c\x1b[31m`,
		"x\u2028y\u0085":             `x\u2028y\u0085`,
		"bad\xffutf8":                `bad\xffutf8`,
		strings.Repeat("é", 150):     strings.Repeat("é", 150),
		strings.Repeat("a", 65536):   strings.Repeat("a", 150) + "…(cut, 65536 bytes)",
		strings.Repeat("\n", 100000): strings.Repeat(`\n`, 150) + "…(cut, 100000 bytes)",
	} {
		if got := logUsername(in).String; got != want {
			t.Errorf("logUsername(%.20q) = %.60q, want %.60q", in, got, want)
		}
	}
}
