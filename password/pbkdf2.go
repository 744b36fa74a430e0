package password

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"hash"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Django3PBKDF2Iterations is the iteration count of Django 3.2's
// pbkdf2_sha256 hasher: the value to pass to PBKDF2SHA256 (or DefaultSet)
// when a Django 3.2 shares the users table, so that it does not re-hash
// every password the gateway writes.
const Django3PBKDF2Iterations = 260_000

// maxPBKDF2Iterations bounds the iteration count Verify accepts (20 times
// Django 5.2's default), so that a corrupt row cannot pin a CPU for
// minutes. A variable so that the fuzz test can lower it.
var maxPBKDF2Iterations = 20_000_000

// PBKDF2SHA256 is Django's PBKDF2PasswordHasher:
//
//	pbkdf2_sha256$<iterations>$<salt>$<base64(PBKDF2-HMAC-SHA256(password, salt, iterations, 32))>
//
// with standard, padded base64. Verify accepts any iteration count up to
// 20,000,000 and any non-empty salt, as Django does; new salts are 22
// characters from [A-Za-z0-9] (Django's get_random_string(22), 128 bits).
type PBKDF2SHA256 struct {
	// Iterations is the count of new hashes, and the count MustUpdate
	// compares with; zero or less means DefaultPBKDF2Iterations. Verify
	// always uses the count stored in the hash.
	Iterations int
}

// PBKDF2SHA1 is Django's PBKDF2SHA1PasswordHasher: the format of
// PBKDF2SHA256 with HMAC-SHA1 and a 20-byte derived key, under the
// algorithm name "pbkdf2_sha1".
type PBKDF2SHA1 struct {
	// Iterations is as PBKDF2SHA256's.
	Iterations int
}

// Algorithm returns "pbkdf2_sha256".
func (PBKDF2SHA256) Algorithm() string { return pbkdf2SHA256.algorithm }

// Encode hashes password with a fresh salt and h's iteration count.
func (h PBKDF2SHA256) Encode(password string) (string, error) {
	return pbkdf2SHA256.encode(password, newSalt(), pbkdf2Iterations(h.Iterations))
}

// Verify reports whether password matches encoded, recomputing PBKDF2 with
// the iteration count and salt stored in encoded.
func (PBKDF2SHA256) Verify(password, encoded string) (bool, error) {
	return pbkdf2SHA256.verify(password, encoded)
}

// MustUpdate reports whether encoded has another iteration count than h
// (higher or lower, as Django) or a salt shorter than 22 characters; it
// also reports true for an encoded it cannot parse.
func (h PBKDF2SHA256) MustUpdate(encoded string) bool {
	return pbkdf2SHA256.mustUpdate(encoded, pbkdf2Iterations(h.Iterations))
}

func (h PBKDF2SHA256) pbkdf2() (*pbkdf2Variant, int) {
	return pbkdf2SHA256, pbkdf2Iterations(h.Iterations)
}
func (h PBKDF2SHA256) dummy() string { return pbkdf2SHA256.dummy(pbkdf2Iterations(h.Iterations)) }

// Algorithm returns "pbkdf2_sha1".
func (PBKDF2SHA1) Algorithm() string { return pbkdf2SHA1.algorithm }

// Encode is as PBKDF2SHA256's.
func (h PBKDF2SHA1) Encode(password string) (string, error) {
	return pbkdf2SHA1.encode(password, newSalt(), pbkdf2Iterations(h.Iterations))
}

// Verify is as PBKDF2SHA256's.
func (PBKDF2SHA1) Verify(password, encoded string) (bool, error) {
	return pbkdf2SHA1.verify(password, encoded)
}

// MustUpdate is as PBKDF2SHA256's.
func (h PBKDF2SHA1) MustUpdate(encoded string) bool {
	return pbkdf2SHA1.mustUpdate(encoded, pbkdf2Iterations(h.Iterations))
}

func (h PBKDF2SHA1) pbkdf2() (*pbkdf2Variant, int) { return pbkdf2SHA1, pbkdf2Iterations(h.Iterations) }
func (h PBKDF2SHA1) dummy() string                 { return pbkdf2SHA1.dummy(pbkdf2Iterations(h.Iterations)) }

func pbkdf2Iterations(n int) int { return positiveOr(n, DefaultPBKDF2Iterations) }

// pbkdf2Hasher is implemented by the PBKDF2 hashers, so that Set can pad a
// low iteration count up to the preferred one within a single run.
type pbkdf2Hasher interface {
	Hasher
	pbkdf2() (v *pbkdf2Variant, iterations int)
}

// pbkdf2Variant is one of Django's PBKDF2 hashers: its name and PRF. The
// derived key is one hash output long (Django's dklen=None).
type pbkdf2Variant struct {
	algorithm string
	newHash   func() hash.Hash
	size      int
}

var (
	pbkdf2SHA256 = &pbkdf2Variant{"pbkdf2_sha256", sha256.New, sha256.Size}
	pbkdf2SHA1   = &pbkdf2Variant{"pbkdf2_sha1", sha1.New, sha1.Size}
)

type pbkdf2Decoded struct {
	iterations int
	salt       string
	hash       string // base64, as stored
}

// parse splits encoded as Django's decode (encoded.split('$', 3)), refusing
// what Django cannot recompute (missing fields, an empty salt) or could
// never match (a non-canonical iteration count).
func (v *pbkdf2Variant) parse(encoded string) (pbkdf2Decoded, error) {
	f := strings.SplitN(encoded, "$", 4)
	if f[0] != v.algorithm {
		return pbkdf2Decoded{}, malformed(v.algorithm, "algorithm")
	}
	if len(f) != 4 {
		return pbkdf2Decoded{}, malformed(v.algorithm, "field count")
	}
	n, ok := parseDecimal(f[1], uint64(maxPBKDF2Iterations))
	if !ok {
		return pbkdf2Decoded{}, malformed(v.algorithm, "iterations")
	}
	if f[2] == "" {
		return pbkdf2Decoded{}, malformed(v.algorithm, "salt")
	}
	return pbkdf2Decoded{iterations: int(n), salt: f[2], hash: f[3]}, nil
}

func (v *pbkdf2Variant) encode(password, salt string, iterations int) (string, error) {
	if iterations < 1 || iterations > maxPBKDF2Iterations {
		return "", errors.New("password: " + v.algorithm + ": iterations out of range")
	}
	if salt == "" || strings.Contains(salt, "$") {
		return "", errors.New("password: " + v.algorithm + ": bad salt")
	}
	dk, err := pbkdf2.Key(v.newHash, password, []byte(salt), iterations, v.size)
	if err != nil {
		return "", err
	}
	return v.format(iterations, salt, dk), nil
}

func (v *pbkdf2Variant) format(iterations int, salt string, dk []byte) string {
	return v.algorithm + "$" + strconv.Itoa(iterations) + "$" + salt + "$" + base64.StdEncoding.EncodeToString(dk)
}

func (v *pbkdf2Variant) verify(password, encoded string) (bool, error) {
	d, err := v.parse(encoded)
	if err != nil {
		return false, err
	}
	dk, err := pbkdf2.Key(v.newHash, password, []byte(d.salt), d.iterations, v.size)
	if err != nil {
		return false, err
	}
	return equalBase64(dk, d.hash), nil
}

func (v *pbkdf2Variant) mustUpdate(encoded string, iterations int) bool {
	d, err := v.parse(encoded)
	if err != nil {
		return true
	}
	return d.iterations != iterations || utf8.RuneCountInString(d.salt) < saltLength
}

// dummy returns a well-formed encoding with the given iteration count
// that no password matches in practice (its hash is all zero bytes), for
// Set's timing-equalising run.
func (v *pbkdf2Variant) dummy(iterations int) string {
	return v.format(iterations, dummySalt, make([]byte, v.size))
}

// pbkdf2Padded returns the first block of PBKDF2(newHash, password, salt,
// stored), which is the whole derived key when it is one hash output long,
// while running the HMAC chain for total >= stored iterations: the cost is
// that of a total-iteration PBKDF2 whatever stored is.
//
//	U1 = HMAC(P, salt || INT(1)), Ui = HMAC(P, Ui-1), T = U1 ^ ... ^ U_stored
//
// Every iteration does the same work, the xor going to a scratch buffer
// once past stored.
func pbkdf2Padded(newHash func() hash.Hash, password string, salt []byte, stored, total int) []byte {
	prf := hmac.New(newHash, []byte(password))
	prf.Write(salt)
	prf.Write([]byte{0, 0, 0, 1})
	u := prf.Sum(nil)
	t := make([]byte, len(u))
	scratch := make([]byte, len(u))
	copy(t, u)
	for i := 2; i <= total; i++ {
		prf.Reset()
		prf.Write(u)
		u = prf.Sum(u[:0])
		dst := t
		if i > stored {
			dst = scratch
		}
		subtle.XORBytes(dst, dst, u)
	}
	return t
}
