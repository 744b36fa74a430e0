package password

import "strings"

// DefaultPBKDF2Iterations is the iteration count of new pbkdf2_sha256
// hashes: Django 5.2's default. Django 3.2 would re-hash them to its own
// 260,000 at its next login; set the iterations of the Django that shares
// the table to avoid that.
const DefaultPBKDF2Iterations = 1_000_000

// dummyHasher is implemented by this package's hashers: a well-formed
// encoding with the hasher's parameters, made without hashing, that no
// password matches in practice.
type dummyHasher interface {
	dummy() string
}

// Set is a configured list of hashers, like Django's PASSWORD_HASHERS: the
// preferred hasher encodes, all of them verify.
type Set struct {
	preferred Hasher
	byName    map[string]Hasher
	// OnHash, when set, is called once per password hash computation with
	// the algorithm's name (for metrics, and for tests that count). Set it
	// before the Set is shared between goroutines.
	OnHash func(algorithm string)

	// dummy is a well-formed encoding with the preferred hasher's
	// parameters, verified in place of an unusable or unknown one; empty
	// when the preferred hasher is not one of this package's.
	dummy string
}

// NewSet returns a Set that encodes with preferred and verifies with
// preferred and others.
func NewSet(preferred Hasher, others ...Hasher) *Set {
	s := &Set{preferred: preferred, byName: map[string]Hasher{}}
	for _, h := range append([]Hasher{preferred}, others...) {
		if _, dup := s.byName[h.Algorithm()]; !dup {
			s.byName[h.Algorithm()] = h
		}
	}
	if d, ok := preferred.(dummyHasher); ok {
		s.dummy = d.dummy()
	}
	return s
}

// DefaultSet encodes with pbkdf2_sha256 at the given iteration count (0
// means DefaultPBKDF2Iterations) and verifies every algorithm this package
// knows, each with its Django defaults.
func DefaultSet(iterations int) *Set {
	n := pbkdf2Iterations(iterations)
	return NewSet(PBKDF2SHA256{Iterations: n}, PBKDF2SHA1{Iterations: n}, Argon2{}, BCryptSHA256{}, BCrypt{}, Scrypt{})
}

// Preferred returns the hasher that encodes new passwords.
func (s *Set) Preferred() Hasher { return s.preferred }

// Encode hashes password with the preferred hasher.
func (s *Set) Encode(password string) (string, error) {
	s.observe(s.preferred.Algorithm())
	return s.preferred.Encode(password)
}

// Check reports whether password matches encoded, and whether a matching
// encoded should be re-hashed with the preferred hasher (mustUpdate: its
// algorithm is not the preferred one, or the preferred hasher's
// MustUpdate says so; always false when ok is false).
//
// It always runs exactly one hash computation. For an empty, unusable
// ("!…"), malformed or unknown-algorithm encoded it hashes password
// against a dummy encoding of the preferred hasher, and a hash of the
// preferred PBKDF2 algorithm with fewer iterations than the preferred
// count is padded up to it within the same PBKDF2 run (what Django's
// harden_runtime achieves with a second run). So checking an unknown user
// as Check(password, "") takes as long as a wrong password for a user
// whose hash uses the preferred algorithm, old iteration count or not. A
// hash of another algorithm costs what its own stored parameters cost
// (Django does not pad those either), within the limits of its hasher.
// Check never reports true for an unusable encoded.
func (s *Set) Check(password, encoded string) (ok, mustUpdate bool) {
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

func (s *Set) observe(algorithm string) {
	if s.OnHash != nil {
		s.OnHash(algorithm)
	}
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
