package caddymodule

import (
	"fmt"
	"strconv"
	"unicode"
	"unicode/utf8"

	"go.uber.org/zap"
)

// maxLoggedUsername is Django's username length: longer input is not a
// username, and a log line must not carry a client's megabytes.
const maxLoggedUsername = 150

// logUsername is a username as a log field (see logString).
func logUsername(username string) zap.Field {
	return logString("username", username, maxLoggedUsername)
}

// logString is client input as a log field: cut to max characters (with a
// mark saying so), control characters and invalid UTF-8 escaped, so a
// line stays short and cannot be split or forged.
func logString(key, s string, max int) zap.Field {
	out := make([]byte, 0, min(len(s), 4*max))
	for i, n := 0, 0; i < len(s); n++ {
		if n == max {
			out = fmt.Appendf(out, "…(cut, %d bytes)", len(s))
			break
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			out = fmt.Appendf(out, `\x%02x`, s[i])
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			q := strconv.QuoteRuneToASCII(r)
			out = append(out, q[1:len(q)-1]...)
		default:
			out = append(out, s[i:i+size]...)
		}
		i += size
	}
	return zap.String(key, string(out))
}
