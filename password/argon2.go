package password

import (
	"cmp"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Django 3.2's Argon2PasswordHasher parameters (argon2-cffi's hash_len 16).
const (
	defaultArgon2TimeCost    = 2
	defaultArgon2MemoryCost  = 102400 // KiB
	defaultArgon2Parallelism = 8
	argon2HashLen            = 16
)

// Limits on the parameters Verify accepts, so that a corrupt row cannot
// make one login allocate gigabytes or run for minutes. Variables so that
// the fuzz test can lower them.
var (
	maxArgon2Memory uint32 = 1 << 20 // KiB: 1 GiB
	// maxArgon2Work bounds time cost × memory cost (KiB): 40 times
	// Django's default.
	maxArgon2Work uint64 = 1 << 23
)

const (
	argon2MinSalt = 8    // libargon2's ARGON2_MIN_SALT_LENGTH
	argon2MinHash = 4    // libargon2's ARGON2_MIN_OUTLEN
	argon2MaxHash = 1024 // ours
)

var argon2B64 = base64.RawStdEncoding.Strict()

// Argon2 is Django's Argon2PasswordHasher:
//
//	argon2$argon2id$v=19$m=102400,t=2,p=8$<salt>$<hash>
//
// that is "argon2" followed by argon2-cffi's PHC string, salt and hash in
// unpadded standard base64. Verify also accepts the argon2i hashes of
// older Django versions, with the parameters stored in the hash (up to
// 1 GiB of memory, and time × memory up to 2^23). It refuses, with
// ErrUnsupported, the argon2d variety and Argon2 version 1.0 (no "v="
// field, or "v=16"), which golang.org/x/crypto/argon2 does not compute.
// New hashes use Django's choices: a 22-character salt from
// [A-Za-z0-9] (its bytes are the Argon2 salt) and a 16-byte hash.
type Argon2 struct {
	// TimeCost is the number of passes; zero means Django's 2.
	TimeCost uint32
	// MemoryCost is in KiB; zero means Django's 102400 (100 MiB).
	MemoryCost uint32
	// Parallelism is the number of lanes; zero means Django's 8.
	Parallelism uint8
}

func (h Argon2) params() (t, m uint32, p uint8) {
	return cmp.Or(h.TimeCost, defaultArgon2TimeCost), cmp.Or(h.MemoryCost, defaultArgon2MemoryCost),
		cmp.Or(h.Parallelism, defaultArgon2Parallelism)
}

// Algorithm returns "argon2".
func (Argon2) Algorithm() string { return "argon2" }

// Encode hashes password with Argon2id, a fresh salt and h's parameters.
func (h Argon2) Encode(password string) (string, error) {
	t, m, p := h.params()
	if !argon2ParamsOK(t, m, p) {
		return "", errors.New("password: argon2: parameters out of range")
	}
	salt := newSalt()
	key := argon2.IDKey([]byte(password), []byte(salt), t, m, p, argon2HashLen)
	return argon2Format("argon2id", t, m, p, []byte(salt), key), nil
}

// Verify reports whether password matches encoded, recomputing Argon2
// with the variety, parameters, salt and hash length stored in encoded.
func (Argon2) Verify(password, encoded string) (bool, error) {
	d, err := parseArgon2(encoded)
	if err != nil {
		return false, err
	}
	var key []byte
	if d.variety == "argon2id" {
		key = argon2.IDKey([]byte(password), d.salt, d.t, d.m, d.p, uint32(len(d.hash)))
	} else {
		key = argon2.Key([]byte(password), d.salt, d.t, d.m, d.p, uint32(len(d.hash)))
	}
	return subtle.ConstantTimeCompare(key, d.hash) == 1, nil
}

// MustUpdate reports whether encoded differs from h's parameters in
// variety, version, time cost, memory cost, parallelism or hash length, or
// has a salt shorter than 22 bytes (Django's must_update); it also reports
// true for an encoded it cannot verify.
func (h Argon2) MustUpdate(encoded string) bool {
	d, err := parseArgon2(encoded)
	if err != nil {
		return true
	}
	t, m, p := h.params()
	return d.variety != "argon2id" || d.t != t || d.m != m || d.p != p ||
		len(d.hash) != argon2HashLen || len(d.salt) < saltLength
}

func (h Argon2) dummy() string {
	t, m, p := h.params()
	return argon2Format("argon2id", t, m, p, []byte(dummySalt), make([]byte, argon2HashLen))
}

func argon2Format(variety string, t, m uint32, p uint8, salt, key []byte) string {
	return fmt.Sprintf("argon2$%s$v=%d$m=%d,t=%d,p=%d$%s$%s", variety, argon2.Version, m, t, p,
		argon2B64.EncodeToString(salt), argon2B64.EncodeToString(key))
}

// argon2ParamsOK checks libargon2's rules (t >= 1, p >= 1, m >= 8p) and
// our limits.
func argon2ParamsOK(t, m uint32, p uint8) bool {
	return t >= 1 && p >= 1 && m >= 8*uint32(p) && m <= maxArgon2Memory &&
		uint64(t)*uint64(m) <= maxArgon2Work
}

type argon2Decoded struct {
	variety    string // "argon2id" or "argon2i"
	t, m       uint32
	p          uint8
	salt, hash []byte
}

// parseArgon2 parses "argon2$" + a PHC string as libargon2's decode_string
// does (fields in this order, canonical decimals, unpadded base64 with no
// stray bits, nothing after the hash).
func parseArgon2(encoded string) (argon2Decoded, error) {
	const alg = "argon2"
	rest, ok := strings.CutPrefix(encoded, alg+"$")
	if !ok {
		return argon2Decoded{}, malformed(alg, "algorithm")
	}
	parts := strings.Split(rest, "$")
	var d argon2Decoded
	switch parts[0] {
	case "argon2id", "argon2i":
		d.variety = parts[0]
	case "argon2d":
		return d, unsupported(alg, "argon2d variety")
	default:
		return d, malformed(alg, "variety")
	}
	if len(parts) == 4 && strings.HasPrefix(parts[1], "m=") {
		return d, unsupported(alg, "version 1.0")
	}
	if len(parts) != 5 {
		return d, malformed(alg, "field count")
	}
	switch parts[1] {
	case "v=19":
	case "v=16":
		return d, unsupported(alg, "version 1.0")
	default:
		return d, malformed(alg, "version")
	}
	mtp := strings.Split(parts[2], ",")
	if len(mtp) != 3 {
		return d, malformed(alg, "parameters")
	}
	m, ok1 := decimalAfter(mtp[0], "m=")
	t, ok2 := decimalAfter(mtp[1], "t=")
	p, ok3 := decimalAfter(mtp[2], "p=")
	if !ok1 || !ok2 || !ok3 || p > 255 {
		return d, malformed(alg, "parameters")
	}
	d.t, d.m, d.p = uint32(t), uint32(m), uint8(p)
	if !argon2ParamsOK(d.t, d.m, d.p) {
		return d, malformed(alg, "parameters")
	}
	var err error
	if d.salt, err = argon2B64.DecodeString(parts[3]); err != nil || len(d.salt) < argon2MinSalt {
		return d, malformed(alg, "salt")
	}
	if d.hash, err = argon2B64.DecodeString(parts[4]); err != nil ||
		len(d.hash) < argon2MinHash || len(d.hash) > argon2MaxHash {
		return d, malformed(alg, "hash")
	}
	return d, nil
}

// decimalAfter parses the canonical decimal that follows name in s.
func decimalAfter(s, name string) (uint64, bool) {
	num, ok := strings.CutPrefix(s, name)
	if !ok {
		return 0, false
	}
	return parseDecimal(num, math.MaxUint32)
}
