// Package password verifies and creates passwords in Django's encoded
// formats ("<algorithm>$…" in auth_user.password), so every user of an
// existing Django database logs in through the gateway with the password
// they already have.
//
// One file per hasher, as Django's own django.contrib.auth.hashers:
// pbkdf2_sha256 and pbkdf2_sha1 (any iteration count), argon2,
// bcrypt_sha256, bcrypt and scrypt. A Set holds the preferred hasher, which
// encodes new passwords, and the others, which only verify; Set.Check runs
// exactly one hash computation per call, so an unknown user, an unusable
// password and a wrong password take the same time.
//
// Verify refuses (with ErrMalformed) encodings whose parameters would make
// a single check unreasonably expensive: more than 20,000,000 PBKDF2
// iterations, bcrypt cost above 18, Argon2 above 1 GiB, scrypt above 1 GiB.
// Django's defaults are far below these limits.
//
// Validate applies Django's default password validators (similarity to
// the user's attributes, minimum length 8, Django's common-password list,
// entirely numeric) with Django's messages.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Hasher is one of Django's password hashers.
type Hasher interface {
	// Algorithm is the prefix Django writes before the first "$", for
	// example "pbkdf2_sha256".
	Algorithm() string
	// Encode hashes password with a fresh random salt and this hasher's
	// parameters.
	Encode(password string) (string, error)
	// Verify reports whether password matches encoded, an encoding of this
	// algorithm with any parameters; it compares in constant time. A
	// malformed encoded is an error, returned before any hashing (Set
	// relies on this to keep one hash computation per check).
	Verify(password, encoded string) (bool, error)
	// MustUpdate reports whether encoded was made with parameters other
	// than this hasher's (Django's must_update).
	MustUpdate(encoded string) bool
}

// UnusablePrefix starts an unusable password (Django's
// UNUSABLE_PASSWORD_PREFIX); such a password never matches.
const UnusablePrefix = "!"

// IsUsable reports whether encoded can ever match a password, as Django's
// is_password_usable: false for an empty value or one starting with "!".
func IsUsable(encoded string) bool {
	return encoded != "" && encoded[0] != UnusablePrefix[0]
}

// MakeUnusable returns a fresh unusable password, as Django's
// make_password(None) and set_unusable_password: "!" followed by 40
// random characters from [A-Za-z0-9]. IsUsable reports false for it and
// no password ever matches it.
func MakeUnusable() string {
	return UnusablePrefix + randomString(40) // UNUSABLE_PASSWORD_SUFFIX_LENGTH
}

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
// characters, 128 bits of entropy (BasePasswordHasher.salt). A shorter
// salt makes Django's must_update_salt true.
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

func newSalt() string { return randomString(saltLength) }

// dummySalt is the salt of the dummy encodings: 22 characters, as a real one.
const dummySalt = "jwtgateDummySaltXXXXXX"

// parseDecimal parses a canonical positive decimal ("1", "260000"; not
// "", "0", "+1", "01", " 1") no larger than max. Non-canonical counts are
// refused: Django re-formats them with %d, so they could never match.
func parseDecimal(s string, max uint64) (uint64, bool) {
	if s == "" || len(s) > 10 || s[0] == '0' || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil && n <= max
}

// positiveOr returns v, or def when v is zero or less.
func positiveOr[T ~int | ~int64](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// equalBase64 reports, in constant time for a given stored length, whether
// the standard base64 of dk is stored (Django compares the re-encoded
// string, so a non-canonical stored value never matches).
func equalBase64(dk []byte, stored string) bool {
	return subtle.ConstantTimeCompare([]byte(base64.StdEncoding.EncodeToString(dk)), []byte(stored)) == 1
}
