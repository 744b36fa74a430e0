package password

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestBCryptRoundTrip(t *testing.T) {
	for _, h := range []Hasher{BCryptSHA256{Cost: 4}, BCrypt{Cost: 4}} {
		re := regexp.MustCompile(`^` + h.Algorithm() + `\$\$2b\$04\$[./A-Za-z0-9]{53}$`)
		for _, pw := range []string{"s3cret", "", "Ωmega-😀", strings.Repeat("x", 72)} {
			enc := must(t)(h.Encode(pw))
			if !re.MatchString(enc) {
				t.Fatalf("bad encoding %q", enc)
			}
			if ok, err := h.Verify(pw, enc); !ok || err != nil {
				t.Errorf("%s: Verify(right) = %v, %v", h.Algorithm(), ok, err)
			}
			if ok, err := h.Verify(pw+"x", enc); ok != (h.Algorithm() == "bcrypt" && len(pw) == 72) || err != nil {
				t.Errorf("%s: Verify(password+x) = %v, %v", h.Algorithm(), ok, err)
			}
			if h.MustUpdate(enc) {
				t.Errorf("%s: MustUpdate of own encoding", h.Algorithm())
			}
			if !(BCryptSHA256{}).MustUpdate("bcrypt_sha256" + strings.TrimPrefix(enc, h.Algorithm())) {
				t.Errorf("MustUpdate at cost 12 of a cost-4 hash")
			}
		}
	}
}

// bcrypt_sha256 hashes the hex SHA-256 digest, so long passwords count in
// full; it is a plain bcrypt of those 64 hex characters.
func TestBCryptSHA256Prehash(t *testing.T) {
	long := strings.Repeat("L", 100)
	enc := must(t)(BCryptSHA256{Cost: 4}.Encode(long))
	if ok, _ := (BCryptSHA256{}).Verify(long[:72], enc); ok {
		t.Error("bcrypt_sha256 truncated the password")
	}
	sum := sha256.Sum256([]byte(long))
	if err := bcrypt.CompareHashAndPassword([]byte(strings.TrimPrefix(enc, "bcrypt_sha256$")), []byte(hex.EncodeToString(sum[:]))); err != nil {
		t.Errorf("not bcrypt(hex(sha256(password))): %v", err)
	}
}

func TestBCryptRawLimits(t *testing.T) {
	for _, pw := range []string{strings.Repeat("x", 73), "a\x00b"} {
		if _, err := (BCrypt{Cost: 4}).Encode(pw); !errors.Is(err, ErrBCryptPassword) {
			t.Errorf("Encode(%q): %v", pw, err)
		}
	}
	// Only 72 bytes count, as with Django's bcrypt library.
	pw := strings.Repeat("0123456789", 8)
	enc := "bcrypt$" + string(mustBytes(t)(bcrypt.GenerateFromPassword([]byte(pw[:72]), 4)))
	for _, p := range []string{pw, pw[:72], pw[:72] + "other"} {
		if ok, err := (BCrypt{}).Verify(p, enc); !ok || err != nil {
			t.Errorf("Verify(%d bytes) = %v, %v", len(p), ok, err)
		}
	}
	// x/crypto alone would accept "abc\x00abc" for "abc" (bcrypt cycles the
	// NUL-terminated key); Django's library refuses NUL bytes, and so do we.
	enc = "bcrypt$" + string(mustBytes(t)(bcrypt.GenerateFromPassword([]byte("abc"), 4)))
	if bcrypt.CompareHashAndPassword([]byte(strings.TrimPrefix(enc, "bcrypt$")), []byte("abc\x00abc")) != nil {
		t.Fatal("premise: x/crypto accepts the NUL-cycled key")
	}
	if ok, err := (BCrypt{}).Verify("abc\x00abc", enc); ok || err != nil {
		t.Errorf("Verify(NUL password) = %v, %v", ok, err)
	}
	if ok, _ := (BCrypt{}).Verify("abc", enc); !ok {
		t.Error("Verify(abc) = false")
	}
}

func mustBytes(t testing.TB) func([]byte, error) []byte {
	return func(b []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
}

func TestBCryptMalformed(t *testing.T) {
	good := must(t)(BCryptSHA256{Cost: 4}.Encode("pw"))
	data := strings.TrimPrefix(good, "bcrypt_sha256$")
	salt, hash := data[7:29], data[29:]
	if ok, err := (BCryptSHA256{}).Verify("pw", good); !ok || err != nil {
		t.Fatalf("baseline: %v %v", ok, err)
	}
	for _, enc := range []string{
		"",
		"bcrypt_sha256",
		"bcrypt_sha256$",
		"bcrypt_sha256$$2b$04$",
		"bcrypt_sha256" + data,        // one '$' missing
		"bcrypt_sha256$" + data + "x", // 61 characters
		"bcrypt_sha256$" + data[:59],
		"bcrypt_sha256$$2x$04$" + salt + hash,
		"bcrypt_sha256$$3b$04$" + salt + hash,
		"bcrypt_sha256$$2b$03$" + salt + hash,
		"bcrypt_sha256$$2b$+4$" + salt + hash,
		"bcrypt_sha256$$2b$19$" + salt + hash, // above the limit
		"bcrypt_sha256$$2b$32$" + salt + hash,
		"bcrypt_sha256$$2b$4$$" + salt + hash,
		"bcrypt_sha256$$2b$04$" + salt[:21] + "/" + hash, // stray bits in the salt
		"bcrypt_sha256$$2b$04$" + salt[:21] + "=" + hash,
		"bcrypt_sha256$$2b$04$" + salt + hash[:30] + "!",
		"bcrypt$" + data, // other algorithm
	} {
		ok, err := BCryptSHA256{}.Verify("pw", enc)
		if ok || !errors.Is(err, ErrMalformed) {
			t.Errorf("Verify(%q) = %v, %v; want ErrMalformed", enc, ok, err)
		}
	}
}

func TestBCryptDummy(t *testing.T) {
	for _, h := range []interface {
		Hasher
		dummy() string
	}{BCryptSHA256{}, BCrypt{Cost: 4}} {
		d := h.dummy()
		if h.MustUpdate(d) {
			t.Errorf("%s: dummy %q does not parse at the hasher's cost", h.Algorithm(), d)
		}
	}
}
