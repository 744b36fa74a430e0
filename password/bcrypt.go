package password

import (
	"cmp"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// defaultBCryptCost is Django's BCryptSHA256PasswordHasher.rounds.
const defaultBCryptCost = 12

// maxBCryptCost bounds the cost Verify accepts (64 times the work of
// Django's 12), so that a corrupt row cannot pin a CPU for minutes. A
// variable so that the fuzz test can lower it.
var maxBCryptCost = 18

// bcryptMaxPassword is the number of password bytes bcrypt uses.
const bcryptMaxPassword = 72

// ErrBCryptPassword is returned by BCrypt.Encode for a password longer
// than 72 bytes or containing a NUL byte, which plain bcrypt cannot hash
// faithfully (Django's bcrypt library truncates the first and refuses the
// second). BCryptSHA256 has no such limit.
var ErrBCryptPassword = errors.New("password: bcrypt: password longer than 72 bytes or containing NUL")

var (
	bcryptB64 = base64.NewEncoding("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789").
			WithPadding(base64.NoPadding).Strict()
	bcryptString = regexp.MustCompile(`^\$2[aby]\$[0-9]{2}\$[./A-Za-z0-9]{53}$`)
)

// BCryptSHA256 is Django's BCryptSHA256PasswordHasher:
//
//	bcrypt_sha256$$2b$12$<22-character salt><31-character hash>
//
// that is "bcrypt_sha256$" followed by a standard bcrypt string of the
// password's SHA-256 digest in lowercase hex (64 bytes, so bcrypt's 72-byte
// limit never truncates it). Verify accepts the $2a$, $2b$ and $2y$
// prefixes and costs 4 to 18; Encode writes $2b$, as Django.
type BCryptSHA256 struct {
	// Cost is the bcrypt cost (log2 of the rounds) of new hashes; zero
	// means Django's 12.
	Cost int
}

// BCrypt is Django's BCryptPasswordHasher, "bcrypt$" followed by a
// standard bcrypt string of the raw password. As with Django, only the
// first 72 bytes of a password count; a password containing a NUL byte
// never matches (Django's bcrypt library refuses it) and Encode refuses
// both (see ErrBCryptPassword).
type BCrypt struct {
	// Cost is the bcrypt cost of new hashes; zero means Django's 12.
	Cost int
}

// Algorithm returns "bcrypt_sha256".
func (BCryptSHA256) Algorithm() string { return bcryptSHA256.algorithm }

// Encode hashes the SHA-256 hex digest of password with a fresh salt.
func (h BCryptSHA256) Encode(password string) (string, error) {
	return bcryptSHA256.encode(password, bcryptCost(h.Cost))
}

// Verify reports whether password matches encoded, with the cost and salt
// stored in encoded.
func (BCryptSHA256) Verify(password, encoded string) (bool, error) {
	return bcryptSHA256.verify(password, encoded)
}

// MustUpdate reports whether encoded has another cost than h (Django's
// must_update), or cannot be parsed.
func (h BCryptSHA256) MustUpdate(encoded string) bool {
	return bcryptSHA256.mustUpdate(encoded, bcryptCost(h.Cost))
}

func (h BCryptSHA256) dummy() string { return bcryptSHA256.dummy(bcryptCost(h.Cost)) }

// Algorithm returns "bcrypt".
func (BCrypt) Algorithm() string { return bcryptRaw.algorithm }

// Encode hashes password with a fresh salt; it fails with
// ErrBCryptPassword for a password bcrypt cannot hash faithfully.
func (h BCrypt) Encode(password string) (string, error) {
	if len(password) > bcryptMaxPassword || strings.IndexByte(password, 0) >= 0 {
		return "", ErrBCryptPassword
	}
	return bcryptRaw.encode(password, bcryptCost(h.Cost))
}

// Verify is as BCryptSHA256's, on the raw password.
func (BCrypt) Verify(password, encoded string) (bool, error) {
	return bcryptRaw.verify(password, encoded)
}

// MustUpdate is as BCryptSHA256's.
func (h BCrypt) MustUpdate(encoded string) bool {
	return bcryptRaw.mustUpdate(encoded, bcryptCost(h.Cost))
}

func (h BCrypt) dummy() string { return bcryptRaw.dummy(bcryptCost(h.Cost)) }

func bcryptCost(c int) int { return cmp.Or(c, defaultBCryptCost) }

type bcryptVariant struct {
	algorithm string
	sha256    bool
}

var (
	bcryptSHA256 = bcryptVariant{"bcrypt_sha256", true}
	bcryptRaw    = bcryptVariant{"bcrypt", false}
)

// key is what Django hands to bcrypt: the hex SHA-256 digest, or the raw
// password cut to the 72 bytes bcrypt uses.
func (v bcryptVariant) key(password string) []byte {
	if v.sha256 {
		sum := sha256.Sum256([]byte(password))
		return []byte(hex.EncodeToString(sum[:]))
	}
	if len(password) > bcryptMaxPassword {
		password = password[:bcryptMaxPassword]
	}
	return []byte(password)
}

func (v bcryptVariant) encode(password string, cost int) (string, error) {
	if cost < bcrypt.MinCost || cost > maxBCryptCost {
		return "", errors.New("password: " + v.algorithm + ": cost out of range")
	}
	b, err := bcrypt.GenerateFromPassword(v.key(password), cost)
	if err != nil {
		return "", err
	}
	// x/crypto writes $2a$, which hashes the same as $2b$ for keys of at
	// most 72 bytes; write $2b$ as Django's bcrypt library does.
	s := string(b)
	if strings.HasPrefix(s, "$2a$") {
		s = "$2b$" + s[4:]
	}
	return v.algorithm + "$" + s, nil
}

// parse checks encoded as Django + pyca/bcrypt would accept it (they
// compare the recomputed string with the stored one, so anything not in
// canonical form could never match): exactly
// "<algorithm>$$2[aby]$<cost>$<22 salt chars><31 hash chars>", cost two
// digits, salt without stray low bits. It returns the bcrypt string.
func (v bcryptVariant) parse(encoded string) (string, int, error) {
	data, ok := strings.CutPrefix(encoded, v.algorithm+"$")
	if !ok {
		return "", 0, malformed(v.algorithm, "algorithm")
	}
	if !bcryptString.MatchString(data) {
		return "", 0, malformed(v.algorithm, "bcrypt string")
	}
	cost := int(data[4]-'0')*10 + int(data[5]-'0')
	if cost < bcrypt.MinCost || cost > maxBCryptCost {
		return "", 0, malformed(v.algorithm, "cost")
	}
	if _, err := bcryptB64.DecodeString(data[7:29]); err != nil {
		return "", 0, malformed(v.algorithm, "salt")
	}
	return data, cost, nil
}

func (v bcryptVariant) verify(password, encoded string) (bool, error) {
	data, _, err := v.parse(encoded)
	if err != nil {
		return false, err
	}
	err = bcrypt.CompareHashAndPassword([]byte(data), v.key(password))
	switch {
	case err == nil:
		// pyca/bcrypt refuses a NUL byte; x/crypto would hash "a\x00a"
		// like "a". The hash is computed anyway, for timing.
		return v.sha256 || strings.IndexByte(password, 0) < 0, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, nil
	default:
		return false, err
	}
}

func (v bcryptVariant) mustUpdate(encoded string, cost int) bool {
	_, c, err := v.parse(encoded)
	return err != nil || c != cost
}

func (v bcryptVariant) dummy(cost int) string {
	return fmt.Sprintf("%s$$2b$%02d$%s", v.algorithm, cost, strings.Repeat(".", 53))
}
