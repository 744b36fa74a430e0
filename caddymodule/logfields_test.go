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

// TestRedactURL: no password of a PostgreSQL URL or key=value DSN reaches
// a log line.
func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://app:s3cret@db:5432/django":                                   "postgres://app:xxxxx@db:5432/django",
		"postgres://app@db/django?password=s3cret&sslmode=verify-full":           "postgres://app@db/django?password=xxxxx&sslmode=verify-full",
		"postgres://db/django?sslpassword=s3cret&sslkey=%2Fk.pem":                "postgres://db/django?sslkey=%2Fk.pem&sslpassword=xxxxx",
		"host=db user=app password=s3cret dbname=django":                         "host=db user=app password=xxxxx dbname=django",
		"host=db password = 's3 c\\'ret' sslpassword=s3cret dbname=django":       "host=db password=xxxxx sslpassword=xxxxx dbname=django",
		"postgres://app:s3cret@db:5432/django?PassWord=s3cret&connect_timeout=5": "postgres://app:xxxxx@db:5432/django?PassWord=xxxxx&connect_timeout=5",
		"postgres://app:s3cret@[bad":                                             "(an unparsable database URL)",
	} {
		got := redactURL(in)
		if got != want || strings.Contains(got, "s3") {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
