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

// unusableSuffixLength is Django's UNUSABLE_PASSWORD_SUFFIX_LENGTH.
const unusableSuffixLength = 40

// MakeUnusable returns a fresh unusable password, as Django's
// make_password(None) and set_unusable_password: "!" followed by 40
// random characters from [A-Za-z0-9]. IsUsable reports false for it and
// no password ever matches it.
func MakeUnusable() string {
	return UnusablePrefix + randomString(unusableSuffixLength)
}
