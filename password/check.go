package password

import "strings"

// dummyHasher is implemented by this package's hashers: a well-formed
// encoding with the hasher's parameters, made without hashing, that no
// password matches in practice.
type dummyHasher interface {
	dummy() string
}

func defaultSet(iterations int) *Set {
	n := pbkdf2Iterations(iterations)
	return NewSet(
		PBKDF2SHA256{Iterations: n},
		PBKDF2SHA1{Iterations: n},
		Argon2{},
		BCryptSHA256{},
		BCrypt{},
		Scrypt{},
	)
}

func (s *Set) check(password, encoded string) (bool, bool) {
	if IsUsable(encoded) {
		if alg, _, found := strings.Cut(encoded, "$"); found {
			if h := s.byName[alg]; h != nil {
				if ok, mustUpdate, err := s.verify(h, password, encoded); err == nil {
					return ok, mustUpdate
				}
				// Malformed: no hash was computed; run the dummy below.
			}
		}
	}
	s.fake(password)
	return false, false
}

// verify runs exactly one hash computation unless it returns an error, in
// which case it ran none (Verify of this package's hashers fails only
// while parsing).
func (s *Set) verify(h Hasher, password, encoded string) (ok, mustUpdate bool, err error) {
	alg := h.Algorithm()
	preferred := alg == s.preferred.Algorithm()
	if p, isPBKDF2 := s.preferred.(pbkdf2Hasher); isPBKDF2 && preferred {
		v, total := p.pbkdf2()
		d, err := v.parse(encoded)
		if err != nil {
			return false, false, err
		}
		if d.iterations <= total {
			// One chain run to the preferred count, keeping the key at the
			// stored count: a wrong password costs the same whatever the
			// stored count (Django's harden_runtime, in a single run).
			dk := pbkdf2Padded(v.newHash, password, []byte(d.salt), d.iterations, total)
			s.observe(alg)
			ok = equalBase64(dk, d.hash)
			return ok, ok && p.MustUpdate(encoded), nil
		}
	}
	ok, err = h.Verify(password, encoded)
	if err != nil {
		return false, false, err
	}
	s.observe(alg)
	return ok, ok && (!preferred || s.preferred.MustUpdate(encoded)), nil
}

// fake runs one computation of the preferred hasher on password, for an
// encoded that cannot match, so that it takes as long as a real check.
func (s *Set) fake(password string) {
	if s.dummy != "" {
		if _, _, err := s.verify(s.preferred, password, s.dummy); err == nil {
			return
		}
	}
	if _, err := s.preferred.Encode(password); err == nil {
		s.observe(s.preferred.Algorithm())
	}
}
