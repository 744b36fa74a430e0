package sqlite

import (
	"fmt"
	"strings"
	"time"
)

// formatTime renders t the way Django stores a DateTimeField on SQLite:
// Python's str() of a naive UTC datetime, "YYYY-MM-DD HH:MM:SS.ffffff",
// with the fraction left out when the microseconds are 0. Sub-microsecond
// digits are truncated, as Python's datetime cannot hold them.
//
// Texts in this one format sort like the instants they stand for (a missing
// fraction sorts before any fraction of the same second), which is what
// FlushExpired relies on, exactly as Django's own queries do.
func formatTime(t time.Time) string {
	t = t.UTC().Truncate(time.Microsecond)
	if t.Nanosecond() == 0 {
		return t.Format("2006-01-02 15:04:05")
	}
	return t.Format("2006-01-02 15:04:05.000000")
}

// parseTime reads a datetime as Django writes it on SQLite (naive UTC,
// optional fraction) and also accepts a 'T' separator and a trailing "Z"
// or numeric offset such as "+00:00", as other writers produce. The result
// is in UTC, truncated to microseconds.
func parseTime(s string) (time.Time, error) {
	v := strings.TrimSpace(s)
	if len(v) > 10 && v[10] == 'T' {
		v = v[:10] + " " + v[11:]
	}
	layout := "2006-01-02 15:04:05.999999999"
	switch {
	case strings.HasSuffix(v, "Z"):
		v = strings.TrimSuffix(v, "Z")
	case len(v) > 19 && (v[len(v)-6] == '+' || v[len(v)-6] == '-') && v[len(v)-3] == ':':
		layout += "-07:00"
	}
	t, err := time.Parse(layout, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a datetime as Django stores it (YYYY-MM-DD HH:MM:SS[.ffffff])", s)
	}
	return t.UTC().Truncate(time.Microsecond), nil
}
