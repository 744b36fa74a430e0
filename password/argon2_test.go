package password

import (
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
	"testing"
)

var smallArgon2 = Argon2{TimeCost: 1, MemoryCost: 64, Parallelism: 2}

func TestArgon2RoundTrip(t *testing.T) {
	re := regexp.MustCompile(`^argon2\$argon2id\$v=19\$m=64,t=1,p=2\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$`)
	for _, pw := range []string{"s3cret", "", "Ωmega-😀"} {
		enc := must(t)(smallArgon2.Encode(pw))
		m := re.FindStringSubmatch(enc)
		if m == nil {
			t.Fatalf("bad encoding %q", enc)
		}
		salt, _ := base64.RawStdEncoding.DecodeString(m[1])
		key, _ := base64.RawStdEncoding.DecodeString(m[2])
		if !saltRE.Match(salt) || len(key) != 16 {
			t.Fatalf("salt %q, key length %d", salt, len(key))
		}
		if ok, err := smallArgon2.Verify(pw, enc); !ok || err != nil {
			t.Errorf("Verify(right) = %v, %v", ok, err)
		}
		if ok, err := smallArgon2.Verify(pw+"x", enc); ok || err != nil {
			t.Errorf("Verify(wrong) = %v, %v", ok, err)
		}
		if smallArgon2.MustUpdate(enc) {
			t.Error("MustUpdate of own encoding")
		}
		if !(Argon2{}).MustUpdate(enc) {
			t.Error("MustUpdate with Django's parameters")
		}
	}
}

func TestArgon2Defaults(t *testing.T) {
	if tc, m, p := (Argon2{}).params(); tc != 2 || m != 102400 || p != 8 {
		t.Fatalf("defaults %d %d %d", tc, m, p)
	}
	d := Argon2{}.dummy()
	if !strings.HasPrefix(d, "argon2$argon2id$v=19$m=102400,t=2,p=8$") {
		t.Fatalf("dummy %q", d)
	}
	if (Argon2{}).MustUpdate(d) {
		t.Error("MustUpdate of the default dummy")
	}
}

func TestArgon2MustUpdate(t *testing.T) {
	salt22 := base64.RawStdEncoding.EncodeToString([]byte(strings.Repeat("s", 22)))
	salt16 := base64.RawStdEncoding.EncodeToString([]byte(strings.Repeat("s", 16)))
	h16 := base64.RawStdEncoding.EncodeToString(make([]byte, 16))
	h32 := base64.RawStdEncoding.EncodeToString(make([]byte, 32))
	for enc, want := range map[string]bool{
		"argon2$argon2id$v=19$m=64,t=1,p=2$" + salt22 + "$" + h16:  false,
		"argon2$argon2i$v=19$m=64,t=1,p=2$" + salt22 + "$" + h16:   true,
		"argon2$argon2id$v=19$m=128,t=1,p=2$" + salt22 + "$" + h16: true,
		"argon2$argon2id$v=19$m=64,t=2,p=2$" + salt22 + "$" + h16:  true,
		"argon2$argon2id$v=19$m=64,t=1,p=1$" + salt22 + "$" + h16:  true,
		"argon2$argon2id$v=19$m=64,t=1,p=2$" + salt22 + "$" + h32:  true,
		"argon2$argon2id$v=19$m=64,t=1,p=2$" + salt16 + "$" + h16:  true,
		"argon2$argon2id$v=19$m=64,t=1,p=2$" + salt22:              true,
	} {
		if got := smallArgon2.MustUpdate(enc); got != want {
			t.Errorf("MustUpdate(%q) = %v, want %v", enc, got, want)
		}
	}
}

func TestArgon2Malformed(t *testing.T) {
	s := base64.RawStdEncoding.EncodeToString([]byte("somesaltsomesalt"))
	h := base64.RawStdEncoding.EncodeToString(make([]byte, 16))
	ok := "argon2$argon2id$v=19$m=64,t=1,p=1$" + s + "$" + h
	if _, err := (Argon2{}).Verify("pw", ok); err != nil {
		t.Fatalf("baseline: %v", err)
	}
	for _, enc := range []string{
		"",
		"argon2",
		"argon2$",
		"argon2$argon2x$v=19$m=64,t=1,p=1$" + s + "$" + h,
		"argon2$$argon2id$v=19$m=64,t=1,p=1$" + s + "$" + h,
		"argon2$argon2id$v=20$m=64,t=1,p=1$" + s + "$" + h,
		"argon2$argon2id$v=019$m=64,t=1,p=1$" + s + "$" + h,
		"argon2$argon2id$m=64,t=1,p=1$v=19$" + s + "$" + h,
		"argon2$argon2id$v=19$m=064,t=1,p=1$" + s + "$" + h,
		"argon2$argon2id$v=19$t=1,m=64,p=1$" + s + "$" + h,
		"argon2$argon2id$v=19$m=64,t=1$" + s + "$" + h,
		"argon2$argon2id$v=19$m=64,t=1,p=1,x=1$" + s + "$" + h,
		"argon2$argon2id$v=19$m=64,t=0,p=1$" + s + "$" + h,
		"argon2$argon2id$v=19$m=64,t=1,p=0$" + s + "$" + h,
		"argon2$argon2id$v=19$m=64,t=1,p=256$" + s + "$" + h,
		"argon2$argon2id$v=19$m=15,t=1,p=2$" + s + "$" + h, // m < 8p
		"argon2$argon2id$v=19$m=1048577,t=1,p=1$" + s + "$" + h,
		"argon2$argon2id$v=19$m=1048576,t=9,p=1$" + s + "$" + h, // work limit
		"argon2$argon2id$v=19$m=64,t=4294967296,p=1$" + s + "$" + h,
		"argon2$argon2id$v=19$m=64,t=1,p=1$" + s + "=$" + h,
		"argon2$argon2id$v=19$m=64,t=1,p=1$" + s + "$" + h + "=",
		"argon2$argon2id$v=19$m=64,t=1,p=1$" + "c2FsdA" + "$" + h, // 4-byte salt
		"argon2$argon2id$v=19$m=64,t=1,p=1$" + s + "$" + "AAA",    // 2-byte hash
		"argon2$argon2id$v=19$m=64,t=1,p=1$" + s + "$" + h + "$",
		"argon2$argon2id$v=19$m=64,t=1,p=1$" + s + "$" + h[:len(h)-1] + "B", // stray bits
		"argon2$argon2id$v=19$m=64,t=1,p=1$" + s,
	} {
		ok, err := Argon2{}.Verify("pw", enc)
		if ok || !errors.Is(err, ErrMalformed) {
			t.Errorf("Verify(%q) = %v, %v; want ErrMalformed", enc, ok, err)
		}
	}
	for _, enc := range []string{
		"argon2$argon2d$v=19$m=64,t=1,p=1$" + s + "$" + h,
		"argon2$argon2i$v=16$m=64,t=1,p=1$" + s + "$" + h,
		"argon2$argon2i$m=64,t=1,p=1$" + s + "$" + h, // version 1.0, no v= field
	} {
		ok, err := Argon2{}.Verify("pw", enc)
		if ok || !errors.Is(err, ErrUnsupported) {
			t.Errorf("Verify(%q) = %v, %v; want ErrUnsupported", enc, ok, err)
		}
	}
}

func TestArgon2EncodeLimits(t *testing.T) {
	for _, h := range []Argon2{
		{TimeCost: 1, MemoryCost: 8, Parallelism: 2},
		{TimeCost: 1, MemoryCost: maxArgon2Memory + 1, Parallelism: 1},
		{TimeCost: 100, MemoryCost: maxArgon2Memory, Parallelism: 1},
	} {
		if _, err := h.Encode("x"); err == nil {
			t.Errorf("%+v: Encode accepted parameters Verify refuses", h)
		}
	}
}
