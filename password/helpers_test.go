package password

import (
	"encoding/json"
	"os"
	"sync/atomic"
	"testing"
)

// fastSet verifies every algorithm and encodes with small parameters, so
// that tests run quickly.
func fastSet() *Set {
	return NewSet(
		PBKDF2SHA256{Iterations: 2000},
		PBKDF2SHA1{Iterations: 1000},
		Argon2{TimeCost: 1, MemoryCost: 64, Parallelism: 1},
		BCryptSHA256{Cost: 4},
		BCrypt{Cost: 4},
		Scrypt{WorkFactor: 16, BlockSize: 2, Parallelism: 1},
	)
}

// counter counts OnHash calls and remembers the algorithms.
type counter struct {
	n    atomic.Int64
	algs []string
}

func (c *counter) hook(alg string) {
	c.n.Add(1)
	c.algs = append(c.algs, alg)
}

func countingSet(s *Set) (*Set, *counter) {
	c := &counter{}
	s.OnHash = c.hook
	return s, c
}

func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// must returns a function that fails t on a non-nil error: must(t)(f()).
func must(t testing.TB) func(string, error) string {
	return func(s string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
}
