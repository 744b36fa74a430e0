package conformance

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
	"github.com/jwtgate/jwtgate/internal/djangoref"
	"github.com/jwtgate/jwtgate/internal/testenv"
)

// mode is one settings mode of docs/simplejwt.md.
type mode struct {
	name                   string
	rotate                 bool // ROTATE_REFRESH_TOKENS
	blacklistAfterRotation bool // BLACKLIST_AFTER_ROTATION
	validatePassword       bool // register runs Django's password validators
}

var modes = []mode{
	{name: "m1"},
	{name: "m2", rotate: true},
	{name: "m3", rotate: true, blacklistAfterRotation: true, validatePassword: true},
	{name: "m4", blacklistAfterRotation: true},
}

const (
	// sharedKey is Django's SECRET_KEY (simplejwt's SIGNING_KEY) on the
	// reference and JWT_SIGNING_KEY on the gateway.
	sharedKey = "conformance-shared-signing-key-6b1f0e9d2c8a4f3e7d5c1b0a"
	// otherKey signs the "wrong secret" tokens.
	otherKey = "another-signing-key-that-nobody-uses-0123456789abcdef"

	accessLifetime  = 300   // seconds, both sides
	refreshLifetime = 86400 // seconds, both sides
)

// side is one server under comparison, and what the scenarios learned
// from it so far (each side issues its own tokens).
type side struct {
	name string // "reference" or "gateway"
	url  string

	access, refresh             string // from "obtain: good credentials (JSON)"
	logoutAccess, logoutRefresh string // from "obtain (for logout)"
	registeredAccess            string // from "register: success (JSON)"
	goneAccess, goneRefresh     string // of rec_gone, deleted behind the server's back
	offAccess, offRefresh       string // of rec_off, deactivated behind the server's back

	// userCmd changes a user behind the server's back ("delete",
	// "deactivate", "activate"): manage.py refuser on the reference, the
	// `caddy jwtgate user` command on the gateway.
	userCmd func(t *testing.T, action, username string)
}

// refEnv is the environment of the reference's processes, without the
// settings of a mode.
func refEnv(varDir, db string) []string {
	return append(djangoref.Env(varDir), "DJANGO_DB_PATH="+db)
}

// referenceMissing fails the test, naming the Debian packages, when the
// reference does not run although its Python has what it needs.
func referenceMissing(t *testing.T, what string, err error, out []byte) {
	t.Helper()
	t.Fatalf("the simplejwt reference cannot run (%s): %v\n%s\n"+
		"Install Debian's packages for it: apt-get install -y %s (and run it with %s)",
		what, err, harness.Tail(string(out), 3000), djangoref.Packages, djangoref.Python())
}

// prepareReference checks that the reference's Python has Django,
// simplejwt and gunicorn, then runs reset_db.sh once (migrate and seed:
// siva id 1, inactive_user id 2, three movies) into a template database
// that every mode copies.
func prepareReference(t *testing.T) string {
	t.Helper()
	testenv.Python(t, djangoref.Python(), djangoref.Packages, "django", "rest_framework", "rest_framework_simplejwt", "gunicorn")
	varDir := t.TempDir()
	db := filepath.Join(varDir, "db.sqlite3")
	cmd := exec.Command(filepath.Join(djangoref.Dir(), "reset_db.sh"))
	cmd.Dir = djangoref.Dir()
	cmd.Env = refEnv(varDir, db)
	if out, err := cmd.CombinedOutput(); err != nil {
		referenceMissing(t, "reset_db.sh", err, out)
	} else if !strings.Contains(string(out), "username=siva") || !strings.Contains(string(out), "id=2 username=inactive_user") {
		t.Fatalf("reset_db.sh did not seed siva (id 1) and inactive_user (id 2):\n%s", out)
	}
	return db
}

func bool01(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func boolWord(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// startReference runs the reference in mode m on a copy of the template
// database: gunicorn in the foreground, 2 sync workers, stopped by PID when
// the test ends.
func startReference(t *testing.T, m mode, template string, extraEnv ...string) *side {
	t.Helper()
	dir := t.TempDir()
	db := filepath.Join(dir, "db.sqlite3")
	copyFile(t, template, db)
	addr := testenv.FreeAddr(t)
	env := append(refEnv(dir, db),
		"DJANGO_SECRET_KEY="+sharedKey,
		"JWT_ROTATE_REFRESH_TOKENS="+bool01(m.rotate),
		"JWT_BLACKLIST_AFTER_ROTATION="+bool01(m.blacklistAfterRotation),
		"REGISTER_VALIDATE_PASSWORD="+bool01(m.validatePassword),
		"JWT_ACCESS_LIFETIME_S=300",
		"JWT_REFRESH_LIFETIME_S=86400",
	)
	env = append(env, extraEnv...)
	p := harness.StartProc(t, env, djangoref.Python(), "-m", "gunicorn",
		"--chdir", djangoref.Dir(), "--workers", "2", "--bind", addr, "django_ref.wsgi:application")
	harness.WaitReady(t, p, "http://"+addr+"/movieapi/movie/")
	refuser := map[string][]string{"delete": {"delete"}, "deactivate": {"set-active"}, "activate": {"set-active"}}
	value := map[string][]string{"deactivate": {"0"}, "activate": {"1"}}
	return &side{name: "reference", url: "http://" + addr, userCmd: func(t *testing.T, action, username string) {
		t.Helper()
		args := append(append([]string{"manage.py", "refuser"}, refuser[action]...), username)
		cmd := exec.Command(djangoref.Python(), append(args, value[action]...)...)
		cmd.Dir, cmd.Env = djangoref.Dir(), env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("reference: manage.py refuser %s %s: %v\n%s", action, username, err, out)
		}
	}}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// caddyfile is the example Caddyfile with one line added, so that the one
// setting the example has no variable for (register_validate_password)
// comes from the environment as the others do.
func caddyfile(t *testing.T, extra ...string) string {
	return harness.ExampleCaddyfile(t, append([]string{"register_validate_password {$REGISTER_VALIDATE_PASSWORD:false}"}, extra...)...)
}

// startGateway runs the gateway in mode m in front of upstream-example,
// with the reference's users: siva/siva (superuser, id 1) and
// inactive_user (id 2, deactivated), made with the CLI as an operator
// would.
func startGateway(t *testing.T, m mode, extraLines ...string) *side {
	t.Helper()
	conf := caddyfile(t, extraLines...)
	up := harness.StartUpstream(t)
	g := harness.StartGateway(t, harness.GatewayOptions{Caddyfile: conf, Upstream: up, Env: map[string]string{
		"JWT_SIGNING_KEY":            sharedKey,
		"ROTATE_REFRESH_TOKENS":      boolWord(m.rotate),
		"BLACKLIST_AFTER_ROTATION":   boolWord(m.blacklistAfterRotation),
		"REGISTER_VALIDATE_PASSWORD": boolWord(m.validatePassword),
		"ACCESS_TOKEN_LIFETIME":      "5m",
		"REFRESH_TOKEN_LIFETIME":     "24h",
	}})
	createSuperuser(t, g, conf, "siva", "siva@example.com", "siva")
	createSuperuser(t, g, conf, "inactive_user", "inactive@example.com", "inactive-pass-123")
	g.MustCLI(t, "", "user", "deactivate", "inactive_user")
	if out := g.MustCLI(t, "", "user", "list"); !regexp.MustCompile(`(?m)^1\s+siva\s`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^2\s+inactive_user\s+inactive@example\.com\s+false\s`).MatchString(out) {
		t.Fatalf("the gateway's users are not siva (id 1) and inactive_user (id 2):\n%s", out)
	}
	// The running gateway learns of CLI changes within a second.
	now := time.Now()
	waitAnswer(t, g.URL+"/userprofiles/users/", mustCraft(t, sharedKey, jwt.SigningMethodHS256, accessClaims(1, now)), 200, "")
	waitAnswer(t, g.URL+"/userprofiles/users/", mustCraft(t, sharedKey, jwt.SigningMethodHS256, accessClaims(2, now)), 401, harness.UserInactive)
	return &side{name: "gateway", url: g.URL, userCmd: func(t *testing.T, action, username string) {
		t.Helper()
		g.MustCLI(t, "", "user", action, username)
	}}
}

// createSuperuser is harness.Gateway.CreateUser with a chosen email (the
// reference's inactive_user has inactive@example.com).
func createSuperuser(t *testing.T, g *harness.Gateway, conf, username, email, password string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(harness.BinDir, "caddy"), "jwtgate", "createsuperuser", "--noinput",
		"--username", username, "--email", email, "--config", conf, "--adapter", "caddyfile")
	cmd.Env = append(append([]string{}, g.Env...), "JWTGATE_SUPERUSER_PASSWORD="+password)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("createsuperuser %s: %v\n%s", username, err, out)
	}
}

// waitAnswer polls GET url with a Bearer token (every 20 ms, at most 10 s)
// until it answers status (and body, unless empty).
func waitAnswer(t *testing.T, url, tok string, status int, body string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var r harness.Response
	for time.Now().Before(deadline) {
		r = harness.Do(t, "GET", url, nil, harness.Bearer(tok))
		if r.Status == status && (body == "" || r.Body == body) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("GET %s: want %d %s within 10s; last answer %d %s", url, status, body, r.Status, r.Body)
}
