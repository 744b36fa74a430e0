package password

import (
	"strings"
	"testing"
)

func TestDefaultSet(t *testing.T) {
	s := DefaultSet(0)
	p, ok := s.Preferred().(PBKDF2SHA256)
	if !ok || p.Iterations != DefaultPBKDF2Iterations {
		t.Fatalf("preferred %#v", s.Preferred())
	}
	if p := DefaultSet(Django3PBKDF2Iterations).Preferred().(PBKDF2SHA256); p.Iterations != 260000 {
		t.Fatalf("preferred %#v", p)
	}
	for _, alg := range []string{"pbkdf2_sha256", "pbkdf2_sha1", "argon2", "bcrypt_sha256", "bcrypt", "scrypt"} {
		if s.byName[alg] == nil || s.byName[alg].Algorithm() != alg {
			t.Errorf("no %s", alg)
		}
	}
	if len(s.byName) != 6 {
		t.Errorf("%d hashers", len(s.byName))
	}
	if !strings.HasPrefix(s.dummy, "pbkdf2_sha256$1000000$") {
		t.Errorf("dummy %q", s.dummy)
	}
}

// Every Check runs exactly one hash computation, whatever encoded is.
func TestCheckOneComputation(t *testing.T) {
	base := fastSet()
	enc := func(h Hasher, pw string) string { return must(t)(h.Encode(pw)) }
	pref := base.Preferred() // pbkdf2_sha256, 2000 iterations
	low := must(t)(pbkdf2SHA256.encode("pw", newSalt(), 1000))
	high := must(t)(pbkdf2SHA256.encode("pw", newSalt(), 3000))
	current := enc(pref, "pw")
	type want struct {
		ok, mustUpdate bool
		alg            string // what OnHash reports
	}
	cases := []struct {
		name, password, encoded string
		want
	}{
		{"right password", "pw", current, want{true, false, "pbkdf2_sha256"}},
		{"wrong password", "nope", current, want{false, false, "pbkdf2_sha256"}},
		{"unknown user", "pw", "", want{false, false, "pbkdf2_sha256"}},
		{"unusable", "pw", "!abc", want{false, false, "pbkdf2_sha256"}},
		{"unusable from MakeUnusable", "pw", MakeUnusable(), want{false, false, "pbkdf2_sha256"}},
		{"unusable prefix on a real hash", "pw", "!" + current, want{false, false, "pbkdf2_sha256"}},
		{"malformed", "pw", "pbkdf2_sha256$x$y", want{false, false, "pbkdf2_sha256"}},
		{"malformed other algorithm", "pw", "argon2$argon2id$v=19$m=1", want{false, false, "pbkdf2_sha256"}},
		{"unknown algorithm", "pw", "md5$salt$1a2b3c", want{false, false, "pbkdf2_sha256"}},
		{"unsalted md5 (no $)", "pw", "5f4dcc3b5aa765d61d8327deb882cf99", want{false, false, "pbkdf2_sha256"}},
		{"iterations above the limit", "pw", "pbkdf2_sha256$99999999$salt$hash", want{false, false, "pbkdf2_sha256"}},
		{"low iterations right", "pw", low, want{true, true, "pbkdf2_sha256"}},
		{"low iterations wrong", "nope", low, want{false, false, "pbkdf2_sha256"}},
		{"high iterations right", "pw", high, want{true, true, "pbkdf2_sha256"}},
		{"high iterations wrong", "nope", high, want{false, false, "pbkdf2_sha256"}},
		{"short salt right", "pw", must(t)(pbkdf2SHA256.encode("pw", "Xy3kLm9PqR2s", 2000)), want{true, true, "pbkdf2_sha256"}},
		{"pbkdf2_sha1 right", "pw", enc(PBKDF2SHA1{Iterations: 1000}, "pw"), want{true, true, "pbkdf2_sha1"}},
		{"pbkdf2_sha1 wrong", "nope", enc(PBKDF2SHA1{Iterations: 1000}, "pw"), want{false, false, "pbkdf2_sha1"}},
		{"argon2 right", "pw", enc(smallArgon2, "pw"), want{true, true, "argon2"}},
		{"argon2 wrong", "nope", enc(smallArgon2, "pw"), want{false, false, "argon2"}},
		{"bcrypt_sha256 right", "pw", enc(BCryptSHA256{Cost: 4}, "pw"), want{true, true, "bcrypt_sha256"}},
		{"bcrypt right", "pw", enc(BCrypt{Cost: 4}, "pw"), want{true, true, "bcrypt"}},
		{"scrypt right", "pw", enc(Scrypt{WorkFactor: 16, BlockSize: 2, Parallelism: 1}, "pw"), want{true, true, "scrypt"}},
		{"scrypt wrong", "nope", enc(Scrypt{WorkFactor: 16, BlockSize: 2, Parallelism: 1}, "pw"), want{false, false, "scrypt"}},
	}
	for _, c := range cases {
		s, n := countingSet(fastSet())
		ok, mu := s.Check(c.password, c.encoded)
		if ok != c.ok || mu != c.mustUpdate {
			t.Errorf("%s: Check = %v, %v; want %v, %v", c.name, ok, mu, c.ok, c.mustUpdate)
		}
		if got := n.n.Load(); got != 1 {
			t.Errorf("%s: %d hash computations, want 1", c.name, got)
		} else if n.algs[0] != c.alg {
			t.Errorf("%s: computed %s, want %s", c.name, n.algs[0], c.alg)
		}
	}
}

// The dummy run goes through the same path as a real hash of the
// preferred algorithm: a well-formed encoding at the preferred parameters.
func TestDummyEncodings(t *testing.T) {
	for _, h := range []Hasher{
		PBKDF2SHA256{Iterations: 2000}, PBKDF2SHA1{Iterations: 1000}, smallArgon2,
		BCryptSHA256{Cost: 4}, BCrypt{Cost: 4}, Scrypt{WorkFactor: 16, BlockSize: 2, Parallelism: 1},
	} {
		d := h.(dummyHasher).dummy()
		ok, err := h.Verify("", d)
		if ok || err != nil {
			t.Errorf("%s: Verify(dummy) = %v, %v", h.Algorithm(), ok, err)
		}
		if h.MustUpdate(d) {
			t.Errorf("%s: dummy %q is not at the hasher's parameters", h.Algorithm(), d)
		}
		if !strings.HasPrefix(d, h.Algorithm()+"$") {
			t.Errorf("%s: dummy %q", h.Algorithm(), d)
		}
	}
	s := fastSet()
	v, total := s.Preferred().(pbkdf2Hasher).pbkdf2()
	if d, err := v.parse(s.dummy); err != nil || d.iterations != total {
		t.Fatalf("dummy %q: %v", s.dummy, err)
	}
}

// A preferred hasher from outside the package has no dummy: Check encodes
// once instead.
type plainHasher struct {
	encodes *int
}

func (plainHasher) Algorithm() string { return "plain" }
func (h plainHasher) Encode(pw string) (string, error) {
	*h.encodes++
	return "plain$" + pw, nil
}
func (plainHasher) Verify(pw, enc string) (bool, error) { return enc == "plain$"+pw, nil }
func (plainHasher) MustUpdate(string) bool              { return false }

func TestCheckForeignPreferred(t *testing.T) {
	var encodes int
	s, n := countingSet(NewSet(plainHasher{&encodes}, PBKDF2SHA256{Iterations: 1000}))
	if ok, _ := s.Check("pw", ""); ok || encodes != 1 || n.n.Load() != 1 {
		t.Fatalf("unknown user: ok %v, %d encodes, %d computations", ok, encodes, n.n.Load())
	}
	if ok, mu := s.Check("pw", "plain$pw"); !ok || mu {
		t.Fatalf("Check = %v, %v", ok, mu)
	}
	old := must(t)(PBKDF2SHA256{Iterations: 1000}.Encode("pw"))
	if ok, mu := s.Check("pw", old); !ok || !mu {
		t.Fatalf("other algorithm: Check = %v, %v", ok, mu)
	}
}

func TestMakeUnusable(t *testing.T) {
	a, b := MakeUnusable(), MakeUnusable()
	if a == b || len(a) != 41 || a[0] != '!' || IsUsable(a) {
		t.Fatalf("%q %q", a, b)
	}
	for _, c := range a[1:] {
		if !strings.ContainsRune(randomChars, c) {
			t.Fatalf("%q", a)
		}
	}
	if ok, _ := DefaultSet(1000).Check(a[1:], a); ok {
		t.Fatal("unusable password matched")
	}
}

func TestRandomStringUniform(t *testing.T) {
	counts := map[byte]int{}
	s := randomString(62 * 400)
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	if len(counts) != 62 {
		t.Fatalf("%d distinct characters", len(counts))
	}
	for c, n := range counts {
		if n < 250 || n > 550 { // mean 400, sd about 20
			t.Errorf("%q appears %d times", c, n)
		}
	}
}

func TestSetEncode(t *testing.T) {
	s, n := countingSet(fastSet())
	enc := must(t)(s.Encode("pw"))
	if !strings.HasPrefix(enc, "pbkdf2_sha256$2000$") || n.n.Load() != 1 {
		t.Fatalf("%q, %d computations", enc, n.n.Load())
	}
	if ok, mu := s.Check("pw", enc); !ok || mu {
		t.Fatalf("Check = %v, %v", ok, mu)
	}
}
