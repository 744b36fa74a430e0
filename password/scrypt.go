package password

import (
	"cmp"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"

	"golang.org/x/crypto/scrypt"
)

// Django 4.0+'s ScryptPasswordHasher parameters.
const (
	defaultScryptWorkFactor  = 1 << 14
	defaultScryptBlockSize   = 8
	defaultScryptParallelism = 1
	scryptKeyLen             = 64
)

// Limits on the parameters Verify accepts. Django (with maxmem=0) can only
// compute hashes within OpenSSL's 32 MiB default; ours is wider but still
// keeps a corrupt row from allocating gigabytes or running for minutes.
// Variables so that the fuzz test can lower them.
var (
	maxScryptMemory uint64 = 1 << 30 // bytes: 128·r·(N + p)
	maxScryptWork   uint64 = 1 << 27 // N·r·p: 1024 times Django's default
)

// Scrypt is Django 4.0+'s ScryptPasswordHasher:
//
//	scrypt$<N>$<salt>$<r>$<p>$<base64(scrypt(password, salt, N, r, p, 64))>
//
// with standard, padded base64 (Django's defaults N=2^14, r=8, p=1). Django
// 3.2 has no scrypt hasher; this follows the Django 4.x source. Verify
// uses the stored parameters, within 1 GiB of memory and N·r·p ≤ 2^27.
type Scrypt struct {
	// WorkFactor is N, a power of two; zero means Django's 2^14.
	WorkFactor int
	// BlockSize is r; zero means Django's 8.
	BlockSize int
	// Parallelism is p; zero means Django's 1.
	Parallelism int
}

func (h Scrypt) params() (n, r, p int) {
	return cmp.Or(h.WorkFactor, defaultScryptWorkFactor), cmp.Or(h.BlockSize, defaultScryptBlockSize),
		cmp.Or(h.Parallelism, defaultScryptParallelism)
}

// Algorithm returns "scrypt".
func (Scrypt) Algorithm() string { return "scrypt" }

// Encode hashes password with a fresh salt and h's parameters.
func (h Scrypt) Encode(password string) (string, error) {
	n, r, p := h.params()
	return scryptEncode(password, newSalt(), n, r, p)
}

func scryptEncode(password, salt string, n, r, p int) (string, error) {
	if n < 0 || r < 0 || p < 0 || !scryptParamsOK(uint64(n), uint64(r), uint64(p)) {
		return "", errors.New("password: scrypt: parameters out of range")
	}
	if salt == "" || strings.Contains(salt, "$") {
		return "", errors.New("password: scrypt: bad salt")
	}
	key, err := scrypt.Key([]byte(password), []byte(salt), n, r, p, scryptKeyLen)
	if err != nil {
		return "", err
	}
	return scryptFormat(n, r, p, salt, key), nil
}

func scryptFormat(n, r, p int, salt string, key []byte) string {
	return "scrypt$" + strconv.Itoa(n) + "$" + salt + "$" + strconv.Itoa(r) + "$" +
		strconv.Itoa(p) + "$" + base64.StdEncoding.EncodeToString(key)
}

// Verify reports whether password matches encoded, recomputing scrypt
// with the parameters and salt stored in encoded (64-byte key, as Django).
func (Scrypt) Verify(password, encoded string) (bool, error) {
	d, err := parseScrypt(encoded)
	if err != nil {
		return false, err
	}
	key, err := scrypt.Key([]byte(password), []byte(d.salt), d.n, d.r, d.p, scryptKeyLen)
	if err != nil {
		return false, err
	}
	return equalBase64(key, d.hash), nil
}

// MustUpdate reports whether encoded has another N, r or p than h
// (Django's must_update), or cannot be parsed.
func (h Scrypt) MustUpdate(encoded string) bool {
	d, err := parseScrypt(encoded)
	if err != nil {
		return true
	}
	n, r, p := h.params()
	return d.n != n || d.r != r || d.p != p
}

func (h Scrypt) dummy() string {
	n, r, p := h.params()
	return scryptFormat(n, r, p, dummySalt, make([]byte, scryptKeyLen))
}

// scryptParamsOK checks the rules of OpenSSL's EVP_PBE_scrypt, which
// Django's hashlib.scrypt calls (N a power of two above 1, r and p at
// least 1, N < 2^(16r)), and our limits.
func scryptParamsOK(n, r, p uint64) bool {
	if n < 2 || n&(n-1) != 0 || r < 1 || p < 1 || r > 1<<20 || p > 1<<20 {
		return false
	}
	if 16*r < 64 && n >= 1<<(16*r) {
		return false
	}
	// Memory first: it bounds n·r, so that n·r·p cannot overflow.
	return 128*r*(n+p) <= maxScryptMemory && n*r*p <= maxScryptWork
}

type scryptDecoded struct {
	n, r, p int
	salt    string
	hash    string // base64, as stored
}

// parseScrypt splits encoded as Django's decode: exactly six fields
// algorithm, N, salt, r, p, hash.
func parseScrypt(encoded string) (scryptDecoded, error) {
	const alg = "scrypt"
	parts := strings.Split(encoded, "$")
	if parts[0] != alg {
		return scryptDecoded{}, malformed(alg, "algorithm")
	}
	if len(parts) != 6 {
		return scryptDecoded{}, malformed(alg, "field count")
	}
	n, ok1 := parseDecimal(parts[1], 1<<40)
	r, ok2 := parseDecimal(parts[3], 1<<20)
	p, ok3 := parseDecimal(parts[4], 1<<20)
	if !ok1 || !ok2 || !ok3 || !scryptParamsOK(n, r, p) {
		return scryptDecoded{}, malformed(alg, "parameters")
	}
	if parts[2] == "" {
		return scryptDecoded{}, malformed(alg, "salt")
	}
	return scryptDecoded{n: int(n), r: int(r), p: int(p), salt: parts[2], hash: parts[5]}, nil
}
