package token

import (
	"strings"
	"testing"
)

// TestWeakKeysRefused: long enough is not enough; published secrets,
// Django's development keys and patterned keys refuse to build a codec.
func TestWeakKeysRefused(t *testing.T) {
	for _, c := range []struct{ key, want string }{
		{"django-ref-insecure-7f3c1b9e2a5d4c8f9e0a1b2c3d4e5f60718293a4b5c6d7e8", "published example secret"},
		{"  Your-256-Bit-Secret-Your-256-Bit-Secret\n", "published example secret"},
		{"django-insecure-k2#(v$0@8mx!4&9e=bq+zt6w)y1x-9ru3yp^z7l5s!dn8_cme%", "django-insecure"},
		{strings.Repeat("a", 64), "too few distinct characters"},
		{strings.Repeat("01", 32), "too few distinct characters"},
		{"", "is empty"},
		{"short-but-random-9f8e", "is 21 bytes"},
	} {
		cfg := DefaultConfig()
		cfg.SigningKey = []byte(c.key)
		_, err := New(cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("key %q: error %v, want one saying %q", c.key, err, c.want)
		}
		if err != nil && len(c.key) > 8 && strings.Contains(err.Error(), strings.TrimSpace(c.key)) {
			t.Errorf("the error shows the key: %v", err)
		}
	}
	for _, ok := range []string{
		"e2e-signing-key-0123456789abcdef0123456789abcdef",
		"4Vq9sX2mT7pL0cR8wE3yU6iO1aS5dF9gH2jK4lZ7xC0vB3nM",
	} {
		cfg := DefaultConfig()
		cfg.SigningKey = []byte(ok)
		if _, err := New(cfg); err != nil {
			t.Errorf("good key %q refused: %v", ok, err)
		}
	}
}
