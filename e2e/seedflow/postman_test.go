package seedflow

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
	"github.com/jwtgate/jwtgate/internal/testenv"
)

const (
	collectionPath  = "postman/jwtgate.postman_collection.json"
	environmentPath = "postman/local.postman_environment.json"
)

// newmanBin finds newman: $JWTGATE_NEWMAN (scripts/test.sh installs
// newman and sets it), else newman on PATH. Missing, the test skips, or
// fails under CI=true (see internal/testenv).
func newmanBin(t *testing.T) string {
	t.Helper()
	const how = "scripts/test.sh installs it (npm install --prefix ~/.cache/jwtgate/newman newman@6) and sets JWTGATE_NEWMAN; " +
		"or install it yourself with `npm install -g newman@6`"
	if p := os.Getenv("JWTGATE_NEWMAN"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("JWTGATE_NEWMAN=%s: %v; %s", p, err, how)
		}
		return p
	}
	testenv.Program(t, "newman", "JWTGATE_NEWMAN", "newman is not on PATH and JWTGATE_NEWMAN is unset; "+how)
	p, _ := exec.LookPath("newman")
	return p
}

// newmanReport is the part of newman's JSON report the test reads.
type newmanReport struct {
	Run struct {
		Stats map[string]struct {
			Total  int `json:"total"`
			Failed int `json:"failed"`
		} `json:"stats"`
		Executions []struct {
			Item struct {
				Name string `json:"name"`
			} `json:"item"`
			Assertions []struct {
				Assertion string          `json:"assertion"`
				Skipped   bool            `json:"skipped"`
				Error     json.RawMessage `json:"error"`
			} `json:"assertions"`
		} `json:"executions"`
		Timings struct {
			Started   int64 `json:"started"`
			Completed int64 `json:"completed"`
		} `json:"timings"`
	} `json:"run"`
}

// runNewman runs the collection unchanged with the environment file,
// overriding only baseUrl and rotate, as CI runs it; it fails the test with
// newman's output when newman exits non-zero, and returns the report.
func runNewman(t *testing.T, baseURL, rotate string) newmanReport {
	t.Helper()
	bin := newmanBin(t)
	report := filepath.Join(t.TempDir(), "report.json")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "run", collectionPath,
		"-e", environmentPath,
		"--env-var", "baseUrl="+baseURL,
		"--env-var", "rotate="+rotate,
		"--reporters", "cli,json", "--reporter-json-export", report,
		"--color", "off", "--timeout-request", "10000")
	cmd.Dir = harness.RepoRoot
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	out, err := cmd.CombinedOutput()
	elapsed := time.Since(start)
	if ctx.Err() != nil {
		t.Fatalf("newman did not finish within 90s:\n%s", out)
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("running %s: %v\n%s", bin, err, out)
	}
	if err != nil {
		t.Fatalf("newman (rotate=%s) failed: %v\n%s", rotate, err, out)
	}
	t.Logf("newman (rotate=%s) took %v; summary:\n%s", rotate, elapsed.Round(time.Millisecond), summary(string(out)))
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("newman's JSON report: %v", err)
	}
	var rep newmanReport
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("newman's JSON report: %v", err)
	}
	return rep
}

// summary is newman's table: from its first box line to the end.
func summary(out string) string {
	if i := strings.Index(out, "┌─"); i >= 0 {
		return out[i:]
	}
	return harness.Tail(out, 2000)
}

// checkReport asserts what a passing run must contain: every request of the
// collection ran, none failed, each has a test on its status and one on its
// body, and the branches this run should have taken were taken (wantTests:
// item name prefix → an assertion name prefix).
func checkReport(t *testing.T, rep newmanReport, items int, wantTests map[string]string) {
	t.Helper()
	st := rep.Run.Stats
	if st["requests"].Total != items || st["requests"].Failed != 0 {
		t.Errorf("requests: %d run, %d failed; want %d, 0", st["requests"].Total, st["requests"].Failed, items)
	}
	if st["assertions"].Failed != 0 || st["testScripts"].Failed != 0 || st["prerequestScripts"].Failed != 0 {
		t.Errorf("failures: assertions %d, test scripts %d, pre-request scripts %d",
			st["assertions"].Failed, st["testScripts"].Failed, st["prerequestScripts"].Failed)
	}
	if d := time.Duration(rep.Run.Timings.Completed-rep.Run.Timings.Started) * time.Millisecond; d > 10*time.Second {
		t.Errorf("the run took %v; it should take a few seconds", d)
	}
	found := map[string]bool{}
	for _, ex := range rep.Run.Executions {
		var status, body bool
		for _, a := range ex.Assertions {
			if a.Skipped {
				t.Errorf("%s: assertion %q was skipped", ex.Item.Name, a.Assertion)
			}
			if len(a.Error) > 0 && string(a.Error) != "null" {
				t.Errorf("%s: assertion %q failed: %s", ex.Item.Name, a.Assertion, a.Error)
			}
			status = status || strings.HasPrefix(a.Assertion, "status is ")
			body = body || strings.HasPrefix(a.Assertion, "body")
			for item, test := range wantTests {
				if strings.HasPrefix(ex.Item.Name, item) && strings.HasPrefix(a.Assertion, test) {
					found[item] = true
				}
			}
		}
		if !status || !body {
			t.Errorf("%s: no assertion on the status (%v) or on the body (%v)", ex.Item.Name, status, body)
		}
	}
	if len(rep.Run.Executions) != items {
		t.Errorf("%d executions in the report, want %d", len(rep.Run.Executions), items)
	}
	for item, test := range wantTests {
		if !found[item] {
			t.Errorf("%s: no assertion %q…: the run did not take the expected branch", item, test)
		}
	}
}

// collectionItem is the part of a Postman v2.1 item the static check reads.
type collectionItem struct {
	Name    string `json:"name"`
	Request struct {
		Method string `json:"method"`
		URL    struct {
			Raw string `json:"raw"`
		} `json:"url"`
		Body *struct {
			Mode string `json:"mode"`
		} `json:"body"`
	} `json:"request"`
	Event []struct {
		Listen string `json:"listen"`
		Script struct {
			Exec []string `json:"exec"`
		} `json:"script"`
	} `json:"event"`
}

// loadCollection checks the collection's shape: Postman v2.1, a test
// script on every request, and the seed's body formats (the token routes
// with form data, as its clients send them).
func loadCollection(t *testing.T) []collectionItem {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(harness.RepoRoot, collectionPath))
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Info struct {
			Schema string `json:"schema"`
		} `json:"info"`
		Item []collectionItem `json:"item"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatalf("%s: %v", collectionPath, err)
	}
	if c.Info.Schema != "https://schema.getpostman.com/json/collection/v2.1.0/collection.json" {
		t.Errorf("schema %q, want Postman collection v2.1", c.Info.Schema)
	}
	for _, it := range c.Item {
		var tests bool
		for _, e := range it.Event {
			tests = tests || (e.Listen == "test" && strings.Contains(strings.Join(e.Script.Exec, "\n"), "pm.test("))
		}
		if !tests {
			t.Errorf("%s: no pm.test in a test script", it.Name)
		}
		for _, route := range []string{"/api/token/", "/login/", "/api/token/refresh/", "/api/token/verify/", "/api/token/blacklist/"} {
			if strings.HasSuffix(it.Request.URL.Raw, "/userprofiles"+route) && (it.Request.Body == nil || it.Request.Body.Mode != "urlencoded") {
				t.Errorf("%s: %s %s does not send form data (urlencoded)", it.Name, it.Request.Method, it.Request.URL.Raw)
			}
		}
	}
	return c.Item
}

// TestPostmanCollection runs postman/ with newman, unchanged, against the
// real upstream and gateway on the example Caddyfile: on a fresh demo with
// the defaults (no rotation), then on the same demo restarted with
// ROTATE_REFRESH_TOKENS and BLACKLIST_AFTER_ROTATION (the collection runs
// again on existing data: siva's review is already there), then on a fresh
// demo with rotation.
func TestPostmanCollection(t *testing.T) {
	items := len(loadCollection(t))
	newmanBin(t) // fail early, before starting servers, when newman is missing
	rotation := map[string]string{"ROTATE_REFRESH_TOKENS": "true", "BLACKLIST_AFTER_ROTATION": "true"}

	up := harness.StartUpstream(t)
	data := t.TempDir()
	g := harness.StartGateway(t, harness.GatewayOptions{Upstream: up, DataDir: data})
	g.CreateUser(t, "siva", "siva")
	rep := runNewman(t, g.URL, "false")
	checkReport(t, rep, items, map[string]string{
		"4. ":  "status is 201",                                   // the review is created
		"11. ": "body has exactly the key access (no rotation)",   // refresh answers {"access"}
		"12. ": "body has exactly the key access (the token is s", // the old refresh token still works
	})
	g.Proc.Stop(t)

	g = harness.StartGateway(t, harness.GatewayOptions{Upstream: up, DataDir: data, Env: rotation})
	rep = runNewman(t, g.URL, "true")
	checkReport(t, rep, items, map[string]string{
		"4. ":  "status is 400 (already reviewed", // rerun on the same data
		"11. ": "body has exactly the keys access, refresh (rotation)",
		"12. ": `body is exactly {"detail":"Token is blacklisted","code":"token_not_valid"}`,
	})
	g.Proc.Stop(t)

	g = harness.StartGateway(t, harness.GatewayOptions{Upstream: harness.StartUpstream(t), Env: rotation})
	g.CreateUser(t, "siva", "siva")
	rep = runNewman(t, g.URL, "true")
	checkReport(t, rep, items, map[string]string{
		"4. ":  "status is 201",
		"12. ": `body is exactly {"detail":"Token is blacklisted","code":"token_not_valid"}`,
	})
}
