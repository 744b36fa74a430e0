package password

import (
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"hash"
	"regexp"
	"strings"
	"testing"
)

var saltRE = regexp.MustCompile(`^[A-Za-z0-9]{22}$`)

func TestPBKDF2RoundTrip(t *testing.T) {
	for _, h := range []Hasher{PBKDF2SHA256{Iterations: 1000}, PBKDF2SHA1{Iterations: 1000}} {
		size := 44 // base64 of 32 bytes
		if h.Algorithm() == "pbkdf2_sha1" {
			size = 28
		}
		for _, pw := range []string{"s3cret", "", "Ωmega-lètmein-😀", strings.Repeat("long", 40)} {
			enc := must(t)(h.Encode(pw))
			parts := strings.Split(enc, "$")
			if len(parts) != 4 || parts[0] != h.Algorithm() || parts[1] != "1000" ||
				!saltRE.MatchString(parts[2]) || len(parts[3]) != size {
				t.Fatalf("%s: bad encoding %q", h.Algorithm(), enc)
			}
			if _, err := base64.StdEncoding.Strict().DecodeString(parts[3]); err != nil {
				t.Fatalf("%s: hash not padded standard base64: %v", h.Algorithm(), err)
			}
			if ok, err := h.Verify(pw, enc); !ok || err != nil {
				t.Errorf("%s: Verify(right) = %v, %v", h.Algorithm(), ok, err)
			}
			if ok, err := h.Verify(pw+"x", enc); ok || err != nil {
				t.Errorf("%s: Verify(wrong) = %v, %v", h.Algorithm(), ok, err)
			}
			if h.MustUpdate(enc) {
				t.Errorf("%s: MustUpdate of own encoding", h.Algorithm())
			}
		}
	}
}

func TestPBKDF2FreshSalts(t *testing.T) {
	h := PBKDF2SHA256{Iterations: 1}
	a, b := must(t)(h.Encode("x")), must(t)(h.Encode("x"))
	if a == b {
		t.Fatal("two encodings share a salt")
	}
}

func TestPBKDF2DefaultIterations(t *testing.T) {
	if DefaultPBKDF2Iterations != 1_000_000 || Django3PBKDF2Iterations != 260_000 {
		t.Fatal("constants changed")
	}
	for _, h := range []pbkdf2Hasher{PBKDF2SHA256{}, PBKDF2SHA1{}, PBKDF2SHA256{Iterations: -5}} {
		if _, n := h.pbkdf2(); n != DefaultPBKDF2Iterations {
			t.Errorf("%T%+v: %d iterations", h, h, n)
		}
	}
	salt := strings.Repeat("a", 22)
	if (PBKDF2SHA256{}).MustUpdate("pbkdf2_sha256$1000000$" + salt + "$x") {
		t.Error("MustUpdate at the default count")
	}
}

func TestPBKDF2MustUpdate(t *testing.T) {
	h := PBKDF2SHA256{Iterations: 260000}
	salt22 := strings.Repeat("s", 22)
	for enc, want := range map[string]bool{
		"pbkdf2_sha256$260000$" + salt22 + "$h":                   false,
		"pbkdf2_sha256$600000$" + salt22 + "$h":                   true, // Django 3.2 lowers counts too
		"pbkdf2_sha256$1000$" + salt22 + "$h":                     true,
		"pbkdf2_sha256$260000$Xy3kLm9PqR2s$h":                     true, // 12-character salt: 71 bits
		"pbkdf2_sha256$260000$" + salt22[:21] + "$h":              true,
		"pbkdf2_sha256$260000$" + "ääääääääääääääääääääää" + "$h": false, // 22 characters, 44 bytes
		"pbkdf2_sha256$x$y":                                       true,  // malformed
		"pbkdf2_sha1$260000$" + salt22 + "$h":                     true,  // other algorithm
	} {
		if got := h.MustUpdate(enc); got != want {
			t.Errorf("MustUpdate(%q) = %v, want %v", enc, got, want)
		}
	}
}

func TestPBKDF2Malformed(t *testing.T) {
	for _, enc := range []string{
		"",
		"pbkdf2_sha256",
		"pbkdf2_sha256$",
		"pbkdf2_sha256$1000",
		"pbkdf2_sha256$1000$salt",
		"pbkdf2_sha256$$salt$hash",
		"pbkdf2_sha256$0$salt$hash",
		"pbkdf2_sha256$-1$salt$hash",
		"pbkdf2_sha256$+1000$salt$hash",
		"pbkdf2_sha256$01000$salt$hash",
		"pbkdf2_sha256$ 1000$salt$hash",
		"pbkdf2_sha256$1e3$salt$hash",
		"pbkdf2_sha256$١٠٠٠$salt$hash", // Python's int() takes these; %d never writes them
		"pbkdf2_sha256$99999999999$salt$hash",
		"pbkdf2_sha256$20000001$salt$hash", // above the limit
		"pbkdf2_sha256$1000$$hash",
		"pbkdf2_sha1$1000$salt$hash", // other algorithm
		"PBKDF2_SHA256$1000$salt$hash",
	} {
		ok, err := PBKDF2SHA256{}.Verify("pw", enc)
		if ok || !errors.Is(err, ErrMalformed) {
			t.Errorf("Verify(%q) = %v, %v; want ErrMalformed", enc, ok, err)
		}
		if err != nil && strings.Contains(err.Error(), "pw") {
			t.Errorf("error mentions the password: %v", err)
		}
	}
}

// A stored hash that is not canonical base64 never matches, as Django
// compares the re-encoded string.
func TestPBKDF2NonCanonicalHash(t *testing.T) {
	enc := must(t)(pbkdf2SHA256.encode("pw", "saltsaltsaltsaltsalt22", 1000))
	i := strings.LastIndexByte(enc, '$')
	for _, bad := range []string{
		enc[:i+1] + strings.TrimRight(enc[i+1:], "="), // unpadded
		enc + " ",
		enc + "$",
		enc[:i+1] + strings.ToLower(enc[i+1:]),
	} {
		if ok, err := (PBKDF2SHA256{}).Verify("pw", bad); ok || err != nil {
			t.Errorf("Verify(%q) = %v, %v", bad, ok, err)
		}
	}
}

func TestPBKDF2EncodeLimits(t *testing.T) {
	if _, err := (PBKDF2SHA256{Iterations: maxPBKDF2Iterations + 1}).Encode("x"); err == nil {
		t.Error("Encode above the verify limit")
	}
	for _, salt := range []string{"", "a$b"} {
		if _, err := pbkdf2SHA256.encode("x", salt, 1); err == nil {
			t.Errorf("encode with salt %q", salt)
		}
	}
}

// pbkdf2Padded computes the key at the stored count whatever the total.
func TestPBKDF2PaddedMatchesStdlib(t *testing.T) {
	type prf struct {
		h    func() hash.Hash
		size int
	}
	for _, p := range []prf{{sha256.New, 32}, {sha1.New, 20}} {
		for _, c := range []struct{ stored, total int }{
			{1, 1}, {1, 2}, {2, 2}, {1, 1000}, {999, 1000}, {1000, 1000}, {37, 4096}, {4096, 4096},
		} {
			for _, pw := range []string{"", "password", strings.Repeat("p", 100)} {
				salt := []byte("NaCl-salt-22-chars-xyz")
				want, err := pbkdf2.Key(p.h, pw, salt, c.stored, p.size)
				if err != nil {
					t.Fatal(err)
				}
				got := pbkdf2Padded(p.h, pw, salt, c.stored, c.total)
				if string(got) != string(want) {
					t.Errorf("size %d stored %d total %d: padded differs from crypto/pbkdf2", p.size, c.stored, c.total)
				}
			}
		}
	}
}

// RFC 6070 vectors for PBKDF2-HMAC-SHA1 (the single-block ones).
func TestPBKDF2PaddedRFC6070(t *testing.T) {
	for _, v := range []struct {
		pw, salt string
		c        int
		hex      string
	}{
		{"password", "salt", 1, "0c60c80f961f0e71f3a9b524af6012062fe037a6"},
		{"password", "salt", 2, "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957"},
		{"password", "salt", 4096, "4b007901b765489abead49d926f721d065a429c1"},
	} {
		got := pbkdf2Padded(sha1.New, v.pw, []byte(v.salt), v.c, 5000)
		if hexString(got) != v.hex {
			t.Errorf("c=%d: %x", v.c, got)
		}
	}
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}
