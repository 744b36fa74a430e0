package conformance

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
)

// TestConformance runs, in each settings mode, the reference and the
// gateway side by side (same signing key, same users) and sends every
// scenario to both; then it crosses tokens between them.
func TestConformance(t *testing.T) {
	start := time.Now()
	template := prepareReference(t)
	var summary []string
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			modeStart := time.Now()
			ref := startReference(t, m, template)
			gw := startGateway(t, m)
			t.Logf("%s: reference %s, gateway %s (started in %v)", m.name, ref.url, gw.url, time.Since(modeStart).Round(time.Millisecond))

			var results []result
			for _, sc := range scenarios(t, m) {
				t.Run(sc.name, func(t *testing.T) {
					results = append(results, run(t, ref, gw, sc))
				})
			}
			t.Run("interop", func(t *testing.T) { interop(t, ref, gw) })

			line := summarise(t, m, results, time.Since(modeStart))
			summary = append(summary, line)
		})
	}
	t.Logf("conformance summary (%v in all)\n%-5s %9s %9s %11s %8s\n%s", time.Since(start).Round(time.Second),
		"mode", "scenarios", "identical", "deliberate", "REAL DIFF", strings.Join(summary, "\n"))
}

// summarise logs a mode's table and returns its summary line.
func summarise(t *testing.T, m mode, results []result, took time.Duration) string {
	count := map[class]int{}
	var b strings.Builder
	for _, r := range results {
		count[r.class]++
	}
	fmt.Fprintf(&b, "mode %s (%v): %d scenarios, %d identical, %d deliberate differences, %d real differences\n",
		m.name, took.Round(time.Millisecond), len(results), count[identical], count[deliberate], count[realDifference])
	for _, c := range []class{deliberate, realDifference} {
		for _, r := range results {
			if r.class != c {
				continue
			}
			label := "deliberate"
			if c == realDifference {
				label = "REAL DIFF "
			}
			note := r.note
			if len(note) > 160 {
				note = note[:160] + "…"
			}
			fmt.Fprintf(&b, "  %s  %-58s %s\n", label, r.name, note)
		}
	}
	t.Log(b.String())
	return fmt.Sprintf("%-5s %9d %9d %11d %8d", m.name, len(results), count[identical], count[deliberate], count[realDifference])
}

// obtainPair logs siva in on s.
func obtainPair(t *testing.T, s *side) (access, refresh string) {
	t.Helper()
	r := harness.PostJSON(t, s.url+pObtain, `{"username":"siva","password":"siva"}`)
	if r.Status != 200 {
		t.Fatalf("%s: obtain: %d %s", s.name, r.Status, r.Body)
	}
	return r.Str(t, "access"), r.Str(t, "refresh")
}

// interop crosses tokens: an access token of either side is accepted by
// the other's protected users/ (with the same users table contents), and a
// refresh token of either side refreshes on the other, whose access token
// then works on both.
func interop(t *testing.T, ref, gw *side) {
	refAccess, refRefresh := obtainPair(t, ref)
	gwAccess, gwRefresh := obtainPair(t, gw)

	ownRef := harness.Do(t, "GET", ref.url+pUsers, nil, harness.Bearer(refAccess))
	ownGw := harness.Do(t, "GET", gw.url+pUsers, nil, harness.Bearer(gwAccess))
	if ownRef.Status != 200 || ownGw.Status != 200 || ownRef.Body != ownGw.Body {
		t.Errorf("users/ with each side's own token: reference %d %s, gateway %d %s", ownRef.Status, ownRef.Body, ownGw.Status, ownGw.Body)
	}
	check := func(what string, s *side, tok string, want harness.Response) {
		t.Helper()
		r := harness.Do(t, "GET", s.url+pUsers, nil, harness.Bearer(tok))
		if r.Status != 200 || r.Body != want.Body {
			t.Errorf("%s: %s answered %d %s, want 200 %s", what, s.name, r.Status, r.Body, want.Body)
		}
	}
	check("gateway's access token on the reference's users/", ref, gwAccess, ownRef)
	check("reference's access token on the gateway's users/", gw, refAccess, ownGw)
	if ref.registeredAccess != "" && gw.registeredAccess != "" {
		check("gateway's register token (user rec_conf) on the reference's users/", ref, gw.registeredAccess, ownRef)
		// Each side has its own database: the reference's rec_conf is not
		// the gateway's, and when the gateway's joined after the
		// reference's token was issued, the gateway refuses the token
		// (a token older than its user; docs/sessions.md).
		if r := harness.Do(t, "GET", gw.url+pUsers, nil, harness.Bearer(ref.registeredAccess)); !(r.Status == 200 && r.Body == ownGw.Body) &&
			!(r.Status == 401 && strings.Contains(r.Body, "Token is blacklisted")) {
			t.Errorf("reference's register token (user rec_conf) on the gateway's users/: %d %s", r.Status, r.Body)
		}
	}

	verify := func(what string, s *side, tok string) {
		t.Helper()
		r := harness.PostJSON(t, s.url+pVerify, `{"token":"`+tok+`"}`)
		if r.Status != 200 || r.Body != `{}` {
			t.Errorf("%s: %s answered %d %s, want 200 {}", what, s.name, r.Status, r.Body)
		}
	}
	verify("verify of the gateway's refresh token", ref, gwRefresh)
	verify("verify of the reference's refresh token", gw, refRefresh)

	refresh := func(what string, s *side, tok string) string {
		t.Helper()
		before := time.Now().Unix()
		r := harness.PostForm(t, s.url+pRefresh, map[string][]string{"refresh": {tok}})
		after := time.Now().Unix()
		if r.Status != 200 {
			t.Errorf("%s: %s answered %d %s, want 200", what, s.name, r.Status, r.Body)
			return ""
		}
		if _, probs := checkTokens(s.name, r.Body, tok, before, after); len(probs) > 0 {
			t.Errorf("%s: %s", what, strings.Join(probs, "; "))
		}
		var body struct{ Access string }
		_ = json.Unmarshal([]byte(r.Body), &body)
		return body.Access
	}
	if a := refresh("the gateway's refresh token refreshed by the reference", ref, gwRefresh); a != "" {
		check("an access token the reference minted from the gateway's refresh token, on the gateway", gw, a, ownGw)
		check("… and on the reference", ref, a, ownRef)
	}
	if a := refresh("the reference's refresh token refreshed by the gateway", gw, refRefresh); a != "" {
		check("an access token the gateway minted from the reference's refresh token, on the reference", ref, a, ownRef)
		check("… and on the gateway", gw, a, ownGw)
	}
}
