package password

import (
	"crypto/rand"
	"errors"
	"fmt"
)

// ErrMalformed is wrapped by the error Verify returns for an encoded
// password its hasher cannot parse, or whose parameters are outside the
// limits this package accepts (see each hasher). The error never contains
// the password, and names only the offending field of the encoded value.
var ErrMalformed = errors.New("password: malformed encoded password")

// ErrUnsupported is wrapped by the error Verify returns for an encoded
// password that Django could verify but this package cannot: Argon2d
// hashes and Argon2 version 1.0 hashes (no "v=" field or "v=16").
var ErrUnsupported = errors.New("password: unsupported encoded password")

func malformed(algorithm, field string) error {
	return fmt.Errorf("%w: %s: bad %s", ErrMalformed, algorithm, field)
}

func unsupported(algorithm, what string) error {
	return fmt.Errorf("%w: %s: %s", ErrUnsupported, algorithm, what)
}

// randomChars is Django's RANDOM_STRING_CHARS.
const randomChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// saltLength is the length of Django's salts: ceil(128 / log2(62)) = 22
// characters, 128 bits of entropy (BasePasswordHasher.salt).
const saltLength = 22

// randomString returns n characters drawn uniformly from randomChars with
// crypto/rand, as Django's get_random_string.
func randomString(n int) string {
	out := make([]byte, 0, n)
	var buf [64]byte
	for len(out) < n {
		rand.Read(buf[:]) // never fails (crypto/rand, Go 1.24+)
		for _, b := range buf {
			// 248 = 4*62: rejecting larger bytes keeps b%62 uniform.
			if b < 248 && len(out) < n {
				out = append(out, randomChars[b%62])
			}
		}
	}
	return string(out)
}

// newSalt returns a fresh Django salt.
func newSalt() string { return randomString(saltLength) }

// parseDecimal parses a canonical positive decimal ("1", "260000"; not
// "", "0", "+1", "01", " 1") no larger than max. Non-canonical counts are
// refused: Django re-formats them with %d, so they could never match.
func parseDecimal(s string, max uint64) (uint64, bool) {
	if s == "" || len(s) > 10 || s[0] == '0' {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	if n > max {
		return 0, false
	}
	return n, true
}

// shortSalt reports whether a salt of n characters has less than Django's
// 128 bits of entropy (must_update_salt: n * log2(62) < 128, so n < 22).
func shortSalt(n int) bool { return n < saltLength }
