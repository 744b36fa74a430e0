package attacks

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
)

// TestWeakKeysRefuseToStart: `caddy run` with an empty, short, published
// or patterned HMAC key exits non-zero within seconds, says why, and never
// prints the key.
func TestWeakKeysRefuseToStart(t *testing.T) {
	conf := writeFile(t, "Caddyfile", attackCaddyfile)
	for _, c := range []struct{ name, key, want string }{
		{"empty", "", "signing_key is empty"},
		{"whitespace only", "   \t  ", "signing_key is empty"},
		{"20 bytes", "only-20-bytes-long!!", "at least 32"},
		{"31 bytes", "k3#9x!p@w2z$7q&m1v^5b*8n(0c)4r_", "at least 32"},
		{"jwt.io's example secret", "your-256-bit-secret-your-256-bit-secret", "published example secret"},
		{"jwt.io's example secret, upper case", "YOUR-256-BIT-SECRET-YOUR-256-BIT-SECRET", "published example secret"},
		{"jwt.io's example secret, padded with spaces", "  your-256-bit-secret-your-256-bit-secret  ", "published example secret"},
		{"a django-insecure key", "django-insecure-9v#k2!x@p7q$w3z&m5n^8b*4c(6r)1t_0y+e", "django-insecure"},
		{"64 a's", strings.Repeat("a", 64), "too few distinct"},
		{"0101… (64 bytes)", strings.Repeat("01", 32), "too few distinct"},
	} {
		t.Run(c.name, func(t *testing.T) {
			env, _, _ := harness.GatewayEnv(t, &harness.GatewayOptions{Env: map[string]string{"JWT_SIGNING_KEY": c.key}})
			start := time.Now()
			p := harness.StartProc(t, env, filepath.Join(harness.BinDir, "caddy"), "run", "--config", conf, "--adapter", "caddyfile")
			select {
			case <-p.Done:
			case <-time.After(15 * time.Second):
				t.Fatal("caddy run kept running with the key")
			}
			took := time.Since(start)
			out := p.Output()
			if p.Err == nil {
				t.Fatalf("caddy run exited 0:\n%s", harness.Tail(out, 2000))
			}
			if took > 10*time.Second {
				t.Errorf("caddy run took %v to refuse the key", took)
			}
			if !strings.Contains(out, c.want) {
				t.Errorf("the output does not say %q:\n%s", c.want, harness.Tail(out, 2000))
			}
			if k := strings.TrimSpace(c.key); k != "" && strings.Contains(strings.ToLower(out), strings.ToLower(k)) {
				t.Errorf("the output shows the key:\n%s", harness.Tail(out, 2000))
			}
			t.Logf("refused in %v (%v)", took.Round(time.Millisecond), p.Err)
		})
	}
}
