package seedflow

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
	"github.com/jwtgate/jwtgate/internal/testenv"
)

// demoEnv is the caller's environment (go, HOME and its build cache)
// without anything that would change what the demo runs, plus vars.
func demoEnv(vars map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "JWTGATE_"), strings.HasPrefix(name, "UPSTREAM_"), strings.HasPrefix(name, "XDG_"),
			name == "DATABASE_URL", name == "JWT_SIGNING_KEY", name == "ACCESS_TOKEN_LIFETIME", name == "REFRESH_TOKEN_LIFETIME",
			name == "ROTATE_REFRESH_TOKENS", name == "BLACKLIST_AFTER_ROTATION":
			continue
		}
		env = append(env, kv)
	}
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	return env
}

// TestDemoScript runs the README's first command, scripts/demo.sh, as a
// newcomer does (in its own process group, as a terminal runs it), follows
// the README's first steps against it (login siva/siva with form data,
// create a review, PUT /movieapi/movie/1/review_detail/ with rating 5),
// then presses Ctrl-C: SIGINT to the whole group. The script, the gateway
// and the movie API must all be gone within 10 s, and nothing may listen
// on their ports.
func TestDemoScript(t *testing.T) {
	gw, upstream, admin := testenv.FreeAddr(t), testenv.FreeAddr(t), testenv.FreeAddr(t)
	cmd := exec.Command("bash", filepath.Join(harness.RepoRoot, "scripts", "demo.sh"))
	cmd.Dir = harness.RepoRoot
	cmd.Env = demoEnv(map[string]string{
		"JWTGATE_DEMO_DIR": t.TempDir(),
		"JWTGATE_ADDR":     gw,
		"UPSTREAM_ADDR":    upstream,
		"JWTGATE_ADMIN":    admin,
	})
	var out harness.SyncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pgid := cmd.Process.Pid
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	exited := false
	t.Cleanup(func() {
		// Whatever happened, leave nothing of the group running.
		if syscall.Kill(-pgid, 0) == nil {
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
		}
		if !exited {
			<-done
		}
		if t.Failed() {
			t.Logf("output of scripts/demo.sh:\n%s", harness.Tail(out.String(), 6000))
		}
	})

	// Ready when the gateway proxies to the movie API (the script builds
	// both first: a few seconds with a warm build cache).
	base := "http://" + gw
	deadline := time.Now().Add(3 * time.Minute)
	for {
		select {
		case err := <-done:
			exited = true
			t.Fatalf("scripts/demo.sh exited before the gateway answered: %v", err)
		default:
		}
		if resp, err := http.Get(base + "/movieapi/movie/"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the demo's gateway did not answer within 3 minutes")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if s := out.String(); !strings.Contains(s, "jwtgate:        http://"+gw) || !strings.Contains(s, "first user:     siva / siva") {
		t.Errorf("the banner does not show the address and the first user:\n%s", harness.Tail(s, 2000))
	}

	// The README's walkthrough, first steps.
	r := harness.PostForm(t, base+"/userprofiles/api/token/", url.Values{"username": {"siva"}, "password": {"siva"}})
	if r.Status != http.StatusOK || len(r.JSON(t)) != 2 {
		t.Fatalf("login siva/siva: %d %s", r.Status, r.Body)
	}
	access := r.Str(t, "access")
	r = doRaw(t, "POST", base+"/movieapi/movie/1/review-create/", `{"rating": 4, "description": "Great"}`, jsonCT, bearer(access))
	if rv := decodeReview(t, "create review", r, http.StatusCreated); rv.ID != 1 || rv.ReviewerName != "siva" || rv.Rating != 4 {
		t.Fatalf("create review: %s", r.Body)
	}
	r = doRaw(t, "PUT", base+"/movieapi/movie/1/review_detail/", `{"rating": 5}`, jsonCT, bearer(access))
	if rv := decodeReview(t, "PUT rating 5", r, http.StatusOK); rv.ID != 1 || rv.ReviewerName != "siva" || rv.Rating != 5 {
		t.Fatalf("PUT review_detail: %s", r.Body)
	}
	expect401(t, "PUT without a token", doRaw(t, "PUT", base+"/movieapi/movie/1/review_detail/", `{"rating": 5}`, jsonCT), harness.NotProvided)

	// Ctrl-C.
	if err := syscall.Kill(-pgid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	stop := time.Now()
	var err error
	select {
	case err = <-done:
		exited = true
	case <-time.After(10 * time.Second):
		t.Fatalf("scripts/demo.sh still running 10s after Ctrl-C")
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && (exit.ExitCode() == 130 || exit.ExitCode() == -1 && exit.Sys().(syscall.WaitStatus).Signal() == syscall.SIGINT):
	default:
		t.Errorf("scripts/demo.sh ended with %v after Ctrl-C, want a clean exit (0, or 130 / SIGINT)", err)
	}
	// Both servers are gone: no process is left in the group.
	for syscall.Kill(-pgid, 0) == nil {
		if time.Since(stop) > 10*time.Second {
			t.Fatalf("processes of the demo's group still run 10s after Ctrl-C")
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("scripts/demo.sh and both servers stopped %v after Ctrl-C (%v)", time.Since(stop).Round(time.Millisecond), err)
	for what, addr := range map[string]string{"gateway": gw, "movie API": upstream, "admin endpoint": admin} {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Errorf("the %s's port %s still accepts connections after Ctrl-C", what, addr)
		}
	}
}

// TestDemoRefusesTakenPorts: scripts/demo.sh does not start when its
// gateway, admin or movie API port is taken (Caddy's SO_REUSEPORT would
// otherwise share the port silently), and names the variable to change.
func TestDemoRefusesTakenPorts(t *testing.T) {
	for _, v := range []string{"JWTGATE_ADDR", "JWTGATE_ADMIN", "UPSTREAM_ADDR"} {
		t.Run(v, func(t *testing.T) {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			vars := map[string]string{
				"JWTGATE_DEMO_DIR": t.TempDir(),
				"JWTGATE_ADDR":     testenv.FreeAddr(t),
				"JWTGATE_ADMIN":    testenv.FreeAddr(t),
				"UPSTREAM_ADDR":    testenv.FreeAddr(t),
			}
			vars[v] = l.Addr().String()
			cmd := exec.Command("bash", filepath.Join(harness.RepoRoot, "scripts", "demo.sh"))
			cmd.Dir = harness.RepoRoot
			cmd.Env = demoEnv(vars)
			out, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(out), v+"=") || strings.Contains(string(out), "building") {
				t.Errorf("demo.sh with %s taken: %v, want a refusal before building that names %s:\n%s", v, err, v, out)
			}
		})
	}
}
