package password

import (
	"errors"
	"regexp"
	"testing"
)

// TestScryptDjangoVector is the vector of Django 4.x's
// tests/auth_tests/test_hashers.py (test_scrypt): make_password("lètmein",
// "seasalt", "scrypt").
func TestScryptDjangoVector(t *testing.T) {
	const want = "scrypt$16384$seasalt$8$1$Qj3+9PPyRjSJIebHnG81TMjsqtaIGxNQG/aEB/NY" +
		"afTJ7tibgfYz71m0ldQESkXFRkdVCBhhY8mx7rQwite/Pw=="
	got := must(t)(scryptEncode("lètmein", "seasalt", 1<<14, 8, 1))
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if ok, err := (Scrypt{}).Verify("lètmein", want); !ok || err != nil {
		t.Fatalf("Verify = %v, %v", ok, err)
	}
	if (Scrypt{}).MustUpdate(want) {
		t.Error("MustUpdate with Django's defaults")
	}
}

func TestScryptRoundTrip(t *testing.T) {
	h := Scrypt{WorkFactor: 16, BlockSize: 2, Parallelism: 3}
	re := regexp.MustCompile(`^scrypt\$16\$[A-Za-z0-9]{22}\$2\$3\$[A-Za-z0-9+/]{86}==$`)
	for _, pw := range []string{"s3cret", "", "Ωmega-😀"} {
		enc := must(t)(h.Encode(pw))
		if !re.MatchString(enc) {
			t.Fatalf("bad encoding %q", enc)
		}
		if ok, err := h.Verify(pw, enc); !ok || err != nil {
			t.Errorf("Verify(right) = %v, %v", ok, err)
		}
		if ok, err := h.Verify(pw+"x", enc); ok || err != nil {
			t.Errorf("Verify(wrong) = %v, %v", ok, err)
		}
		if h.MustUpdate(enc) {
			t.Error("MustUpdate of own encoding")
		}
		for _, other := range []Scrypt{{}, {WorkFactor: 32, BlockSize: 2, Parallelism: 3}, {WorkFactor: 16, BlockSize: 1, Parallelism: 3}, {WorkFactor: 16, BlockSize: 2, Parallelism: 1}} {
			if !other.MustUpdate(enc) {
				t.Errorf("%+v: MustUpdate = false", other)
			}
		}
	}
}

func TestScryptMalformed(t *testing.T) {
	h := "AAAA"
	for _, enc := range []string{
		"",
		"scrypt",
		"scrypt$16$salt$2$1",
		"scrypt$16$salt$2$1$" + h + "$",
		"scrypt$15$salt$2$1$" + h,  // not a power of two
		"scrypt$1$salt$2$1$" + h,   // N must exceed 1
		"scrypt$016$salt$2$1$" + h, // non-canonical
		"scrypt$16$$2$1$" + h,
		"scrypt$16$salt$0$1$" + h,
		"scrypt$16$salt$2$0$" + h,
		"scrypt$65536$salt$1$1$" + h,    // N >= 2^(16r): OpenSSL refuses
		"scrypt$1048576$salt$8$1$" + h,  // 1 GiB: above the memory limit
		"scrypt$16384$salt$8$1025$" + h, // above the work limit
		"scrypt$16$salt$2$1048577$" + h, // p above 2^20
		"scrypt$16$salt$-2$1$" + h,
		"SCRYPT$16$salt$2$1$" + h,
	} {
		ok, err := Scrypt{}.Verify("pw", enc)
		if ok || !errors.Is(err, ErrMalformed) {
			t.Errorf("Verify(%q) = %v, %v; want ErrMalformed", enc, ok, err)
		}
	}
	if _, err := (Scrypt{WorkFactor: 3}).Encode("x"); err == nil {
		t.Error("Encode with N=3")
	}
}
