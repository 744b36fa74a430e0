package password

import (
	"testing"
)

// lowerLimits makes pathological parameters cheap to reject while
// fuzzing, and restores the production limits afterwards.
func lowerLimits(tb testing.TB) {
	p, am, aw, bc, sm, sw := maxPBKDF2Iterations, maxArgon2Memory, maxArgon2Work, maxBCryptCost, maxScryptMemory, maxScryptWork
	tb.Cleanup(func() {
		maxPBKDF2Iterations, maxArgon2Memory, maxArgon2Work, maxBCryptCost, maxScryptMemory, maxScryptWork = p, am, aw, bc, sm, sw
	})
	maxPBKDF2Iterations = 5000
	maxArgon2Memory, maxArgon2Work = 512, 1024
	maxBCryptCost = 5
	maxScryptMemory, maxScryptWork = 1<<20, 1<<12
}

func fuzzHashers() []Hasher {
	return []Hasher{
		PBKDF2SHA256{Iterations: 100},
		PBKDF2SHA1{Iterations: 50},
		Argon2{TimeCost: 1, MemoryCost: 16, Parallelism: 2},
		BCryptSHA256{Cost: 4},
		BCrypt{Cost: 4},
		Scrypt{WorkFactor: 16, BlockSize: 1, Parallelism: 2},
	}
}

// FuzzCheck: malformed encodings never panic, every Check runs exactly
// one hash computation, and nothing unusable ever matches.
//
//	go test -run '^$' -fuzz FuzzCheck -fuzztime 30s ./password
func FuzzCheck(f *testing.F) {
	lowerLimits(f)
	hashers := fuzzHashers()
	for _, h := range hashers {
		for _, pw := range []string{"pw", "", "Ωmega"} {
			enc, err := h.Encode(pw)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(pw, enc)
			f.Add(pw+"x", enc)
			f.Add(pw, "!"+enc)
		}
	}
	for _, enc := range []string{
		"", "!", "!abc", "$", "$$$$", "pbkdf2_sha256$x$y", "pbkdf2_sha256$10$salt$", "pbkdf2_sha256$4999$s$h",
		"pbkdf2_sha1$1$a$b", "argon2$argon2id$v=19$m=16,t=1,p=2$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
		"argon2$argon2i$m=16,t=1,p=1$c29tZXNhbHQ$AAAA", "argon2$argon2d$v=19$m=16,t=1,p=1$c29tZXNhbHQ$AAAA",
		"bcrypt_sha256$$2b$04$" + "......................" + "...............................",
		"bcrypt$$2y$05$", "scrypt$16$salt$1$1$AAAA", "scrypt$16$salt$1$1$AAAA$", "md5$salt$hash",
		"5f4dcc3b5aa765d61d8327deb882cf99", "sha1$$0000",
	} {
		f.Add("pw", enc)
	}
	f.Fuzz(func(t *testing.T, password, encoded string) {
		var n int
		s := NewSet(hashers[0], hashers[1:]...)
		s.OnHash = func(string) { n++ }
		ok, mustUpdate := s.Check(password, encoded)
		if n != 1 {
			t.Fatalf("%d hash computations", n)
		}
		if ok && !IsUsable(encoded) {
			t.Fatal("unusable password matched")
		}
		if mustUpdate && !ok {
			t.Fatal("mustUpdate without a match")
		}
		for _, h := range hashers {
			v, err := h.Verify(password, encoded)
			if v && err != nil {
				t.Fatalf("%s: Verify = true with error %v", h.Algorithm(), err)
			}
			if ok && v != (h == s.byName[h.Algorithm()] && len(encoded) > len(h.Algorithm()) &&
				encoded[:len(h.Algorithm())+1] == h.Algorithm()+"$") {
				t.Fatalf("%s: Verify = %v, Check = %v", h.Algorithm(), v, ok)
			}
			_ = h.MustUpdate(encoded)
		}
	})
}

// FuzzValidate: the validators never panic and report in Django's order.
func FuzzValidate(f *testing.F) {
	f.Add("1234", "siva", "")
	f.Add("", ".a", "Σ")
	f.Add("ΟΣ", "ος", "İX")
	f.Add("\xff\xfe", "\x00", "a.b.c")
	f.Fuzz(func(t *testing.T, password, username, email string) {
		msgs := Validate(password, UserAttributes{Username: username, Email: email, FirstName: username})
		if len(msgs) > 4 {
			t.Fatalf("%d messages", len(msgs))
		}
	})
}
