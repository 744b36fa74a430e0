package password

import "testing"

func benchVerify(b *testing.B, h Hasher, encoded string) {
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := h.Verify("wrong password", encoded); ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkPBKDF2SHA256_260k(b *testing.B) {
	h := PBKDF2SHA256{Iterations: 260_000}
	benchVerify(b, h, must(b)(h.Encode("password")))
}

func BenchmarkPBKDF2SHA256_1M(b *testing.B) {
	h := PBKDF2SHA256{Iterations: 1_000_000}
	benchVerify(b, h, must(b)(h.Encode("password")))
}

// BenchmarkPBKDF2Padded_260kTo1M is Set.Check's path for a 260,000
// iteration hash when 1,000,000 are preferred: it should cost as much as
// BenchmarkPBKDF2SHA256_1M.
func BenchmarkPBKDF2Padded_260kTo1M(b *testing.B) {
	b.ReportAllocs()
	salt := []byte(newSalt())
	for b.Loop() {
		pbkdf2Padded(pbkdf2SHA256.newHash, "wrong password", salt, 260_000, 1_000_000)
	}
}

func BenchmarkPBKDF2SHA1_1M(b *testing.B) {
	h := PBKDF2SHA1{Iterations: 1_000_000}
	benchVerify(b, h, must(b)(h.Encode("password")))
}

func BenchmarkArgon2(b *testing.B) {
	h := Argon2{}
	benchVerify(b, h, must(b)(h.Encode("password")))
}

func BenchmarkBCryptSHA256(b *testing.B) {
	h := BCryptSHA256{}
	benchVerify(b, h, must(b)(h.Encode("password")))
}

func BenchmarkBCrypt(b *testing.B) {
	h := BCrypt{}
	benchVerify(b, h, must(b)(h.Encode("password")))
}

func BenchmarkScrypt(b *testing.B) {
	h := Scrypt{}
	benchVerify(b, h, must(b)(h.Encode("password")))
}

// BenchmarkCheckUnknownUser is login for a user that does not exist, with
// the default Set (1,000,000 pbkdf2_sha256 iterations).
func BenchmarkCheckUnknownUser(b *testing.B) {
	s := DefaultSet(0)
	b.ReportAllocs()
	for b.Loop() {
		if ok, _ := s.Check("password", ""); ok {
			b.Fatal("matched")
		}
	}
}

// BenchmarkCheckWrongPasswordOldHash is a wrong password for a user whose
// hash has Django 3.2's 260,000 iterations, with the default Set: padded
// to 1,000,000.
func BenchmarkCheckWrongPasswordOldHash(b *testing.B) {
	s := DefaultSet(0)
	enc := must(b)(PBKDF2SHA256{Iterations: 260_000}.Encode("password"))
	b.ReportAllocs()
	for b.Loop() {
		if ok, _ := s.Check("wrong", enc); ok {
			b.Fatal("matched")
		}
	}
}

func BenchmarkValidate(b *testing.B) {
	commonPasswords()
	u := UserAttributes{Username: "john.smith", FirstName: "John", LastName: "Smith", Email: "john.smith@example.com"}
	b.ReportAllocs()
	for b.Loop() {
		Validate("correct-horse-battery-staple", u)
	}
}
