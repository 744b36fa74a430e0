package pgtest

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
)

// TestRevocationLatencyFigures measures, for bench/RESULTS.md, how long a
// logout at one gateway takes to be enforced by the other: from just
// before the logout request to the first refusal of the session's access
// token at the other instance, polled back to back. It runs only with
// JWTGATE_BENCH_REVOCATION=1 (it asserts nothing but logs the figures).
func TestRevocationLatencyFigures(t *testing.T) {
	if os.Getenv("JWTGATE_BENCH_REVOCATION") != "1" {
		t.Skip("a measurement for bench/RESULTS.md; set JWTGATE_BENCH_REVOCATION=1")
	}
	const rounds = 60
	echo := harness.StartEcho(t)
	stores := map[string]map[string]string{
		"postgres": {"DATABASE_URL": dbURL(t, newDatabase(t))},
		"sqlite":   {"JWTGATE_DB_PATH": filepath.Join(t.TempDir(), "bench.sqlite3")},
	}
	for name, env := range stores {
		t.Run(name, func(t *testing.T) {
			a := startGateways(t, 1, gatewayOptions{upstream: echo.Addr, env: env})[0]
			b := startGateways(t, 1, gatewayOptions{upstream: echo.Addr, env: env})[0]
			pw := secret("a password", "Bench-pass-5d0c21")
			a.createSuperuser(t, "bench", pw)
			var took []time.Duration
			for range rounds {
				acc, ref := a.login(t, "bench", pw)
				waitFor(t, "the token at B", propagationLimit, getWith(b.URL+"/userprofiles/users/", acc), is(200, ""))
				started := time.Now()
				go send("POST", a.URL+"/userprofiles/api/token/blacklist/", formType, form("refresh", ref)) //nolint:errcheck // the refusal at B is what is measured
				for deadline := started.Add(propagationLimit); time.Now().Before(deadline); {
					if r, err := send("GET", b.URL+"/userprofiles/users/", "", "", bearer(acc)); err == nil && r.Status == 401 {
						took = append(took, time.Since(started))
						break
					}
				}
			}
			sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
			if len(took) < rounds {
				t.Fatalf("only %d of %d revocations seen", len(took), rounds)
			}
			t.Logf("%s: logout at A → refused at B over %d rounds: p50 %v, p99 %v, max %v", name, rounds,
				took[len(took)/2], took[len(took)*99/100], took[len(took)-1])
		})
	}
}
