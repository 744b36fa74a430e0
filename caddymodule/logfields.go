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

// logUsername is a username as a log field: cut to 150 characters (with a
// mark saying so), control characters and invalid UTF-8 escaped, so a
// line stays short and cannot be split or forged.
func logUsername(username string) zap.Field {
	out := make([]byte, 0, min(len(username), 4*maxLoggedUsername))
	for i, n := 0, 0; i < len(username); n++ {
		if n == maxLoggedUsername {
			out = fmt.Appendf(out, "…(cut, %d bytes)", len(username))
			break
		}
		r, size := utf8.DecodeRuneInString(username[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			out = fmt.Appendf(out, `\x%02x`, username[i])
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			q := strconv.QuoteRuneToASCII(r)
			out = append(out, q[1:len(q)-1]...)
		default:
			out = append(out, username[i:i+size]...)
		}
		i += size
	}
	return zap.String("username", string(out))
}
