package pgtest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

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

// TestProxiedThroughputRevokedFigures measures, for bench/RESULTS.md, the
// proxied throughput of a gateway holding 100,000 ended sessions (25,000
// users with four each, and four of the caller's own) against one holding
// none, both on PostgreSQL, interleaved wrk loads on 127.0.0.1. It runs
// only with JWTGATE_BENCH_REVOCATION=1 and logs the ratio.
func TestProxiedThroughputRevokedFigures(t *testing.T) {
	if os.Getenv("JWTGATE_BENCH_REVOCATION") != "1" {
		t.Skip("a measurement for bench/RESULTS.md; set JWTGATE_BENCH_REVOCATION=1")
	}
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		t.Skip("needs wrk")
	}
	echo := harness.StartEcho(t)
	pw := secret("a password", "Bench-pass-5d0c21")
	start := func(revoked bool) (*gateway, string) {
		db := newDatabase(t)
		g := startGateways(t, 1, gatewayOptions{upstream: echo.Addr, env: map[string]string{"DATABASE_URL": dbURL(t, db)}})[0]
		g.createSuperuser(t, "bench", pw)
		if revoked {
			conn := dbConn(t, dbURL(t, db))
			ctx := context.Background()
			for _, q := range []string{
				`INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined)
SELECT '!', false, 'u' || i, '', '', '', false, true, now() FROM generate_series(1, 25000) AS i`,
				`INSERT INTO jwtgate_session (id, user_id, created_at, last_refreshed_at, client_ip, user_agent, expires_at)
SELECT lpad(to_hex(u.id * 4 + k), 16, '0'), u.id, 0, 0, '', '', extract(epoch FROM now())::bigint + 86400
FROM auth_user u, generate_series(0, 3) AS k`,
				`UPDATE jwtgate_session SET revoked_at = 1`,
			} {
				if _, err := conn.Exec(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			if n := queryInt(t, conn, `SELECT count(*) FROM jwtgate_session WHERE revoked_at IS NOT NULL`); n != 100004 {
				t.Fatalf("%d ended sessions", n)
			}
		}
		acc, _ := g.login(t, "bench", pw)
		return g, acc
	}
	none, accNone := start(false)
	held, accHeld := start(true)
	// The feed has the ended sessions once a token of one is refused.
	ended := craftSessionAccess(t, 1, "0000000000000004")
	waitFor(t, "the ended sessions in the index", propagationLimit, getWith(held.URL+"/movieapi/movie/1/review-create/", ended), func(a answer) bool { return a.Status == 401 })
	load := func(g *gateway, acc string) float64 {
		out, err := exec.Command(wrk, "-t2", "-c64", "-d3s", "-H", "Authorization: Bearer "+acc, g.URL+"/movieapi/movie/").CombinedOutput()
		if err != nil {
			t.Fatalf("wrk: %v\n%s", err, out)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if f := strings.Fields(line); len(f) == 2 && f[0] == "Requests/sec:" {
				v, _ := strconv.ParseFloat(f[1], 64)
				return v
			}
		}
		t.Fatalf("no Requests/sec in wrk's output:\n%s", out)
		return 0
	}
	var ratios []float64
	for range 3 {
		a, b := load(none, accNone), load(held, accHeld)
		ratios = append(ratios, b/a)
		t.Logf("none %.0f req/s, 100,000 ended sessions %.0f req/s: %.3f", a, b, b/a)
	}
	sort.Float64s(ratios)
	t.Logf("held/none: median %.3f [%.3f–%.3f]", ratios[1], ratios[0], ratios[2])
}

// craftSessionAccess signs an access token of user id in session sid with
// the harness's signing key.
func craftSessionAccess(t testing.TB, id int64, sid string) string {
	t.Helper()
	now := time.Now()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"token_type": "access", "exp": now.Add(5 * time.Minute).Unix(),
		"iat": now.Unix(), "jti": sid + "0123456789abcdef", "user_id": id}).SignedString([]byte(harness.TestSigningKey))
	if err != nil {
		t.Fatal(err)
	}
	return s
}
