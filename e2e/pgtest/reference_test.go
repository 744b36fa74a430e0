package pgtest

import (
	"context"
	"net/url"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
	"github.com/jwtgate/jwtgate/internal/djangoref"
	"github.com/jwtgate/jwtgate/internal/testenv"
)

// sharedKey is Django's SECRET_KEY (simplejwt's SIGNING_KEY) and the
// gateway's JWT_SIGNING_KEY where they share tokens.
var sharedKey = secret("the signing key", "pgtest-shared-django-secret-key-0b8e4f1a9c7d3e5b")

// reference is the Django reference project (testdata/django_ref) on one
// PostgreSQL database.
type reference struct {
	env []string
	URL string // once started
}

// referenceMissing fails the test, naming the Debian packages, when the
// reference does not run although its Python has what it needs.
func referenceMissing(t testing.TB, what string, err error, out []byte) {
	t.Helper()
	t.Fatalf("the simplejwt reference cannot run (%s): %v\n%s\n"+
		"Install Debian's packages for it: apt-get install -y %s postgresql-client (and run it with %s; scripts/test.sh does both)",
		what, err, harness.Tail(string(out), 3000), djangoref.Packages, djangoref.Python())
}

// newReference checks that the reference's Python has what the reference
// needs on PostgreSQL (Django, DRF, simplejwt, gunicorn, psycopg2, and the
// argon2 and bcrypt hashers' libraries), and returns the reference's
// environment for database dbname.
func newReference(t testing.TB, dbname string) *reference {
	t.Helper()
	testenv.Python(t, djangoref.Python(), djangoref.Packages+" postgresql-client",
		"django", "rest_framework", "rest_framework_simplejwt", "gunicorn", "psycopg2", "argon2", "bcrypt")
	testenv.Program(t, "psql", "JWTGATE_PYTHON", "reset_db.sh needs psql: apt-get install -y postgresql-client")
	u, err := url.Parse(adminURL())
	if err != nil {
		t.Fatal(err)
	}
	pgUser, pgPassword := "postgres", ""
	if u.User != nil {
		pgUser = u.User.Username()
		pgPassword, _ = u.User.Password()
	}
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	varDir := t.TempDir()
	return &reference{env: append(djangoref.Env(varDir),
		"DJANGO_PG_NAME="+dbname,
		"DJANGO_PG_HOST="+u.Hostname(),
		"DJANGO_PG_PORT="+port,
		"DJANGO_PG_USER="+pgUser,
		"DJANGO_PG_PASSWORD="+pgPassword,
		"DJANGO_SECRET_KEY="+sharedKey,
		"JWT_ROTATE_REFRESH_TOKENS=0",
		"JWT_BLACKLIST_AFTER_ROTATION=0",
		"JWT_ACCESS_LIFETIME_S=300",
		"JWT_REFRESH_LIFETIME_S=86400",
	)}
}

// run runs a program of the reference in its directory (bounded: 90 s).
func (r *reference) run(t testing.TB, extraEnv []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = djangoref.Dir()
	cmd.Env = append(append([]string{}, r.env...), extraEnv...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		referenceMissing(t, filepath.Base(name)+" "+strings.Join(args, " "), err, out)
	}
	return string(out)
}

// resetDB runs reset_db.sh: Django's migrations on the (empty) database,
// then the seed: siva/siva (superuser, id 1, Django 3.2's 260000-iteration
// PBKDF2) and inactive_user (id 2, inactive).
func (r *reference) resetDB(t testing.TB) {
	t.Helper()
	out := r.run(t, nil, filepath.Join(djangoref.Dir(), "reset_db.sh"))
	if !strings.Contains(out, "id=1 username=siva active=True hash=pbkdf2_sha256$260000$") ||
		!strings.Contains(out, "id=2 username=inactive_user active=False") {
		t.Fatalf("reset_db.sh did not seed siva (id 1) and inactive_user (id 2, inactive):\n%s", out)
	}
}

// shell runs Python code in `manage.py shell -c`, with Django set up.
func (r *reference) shell(t testing.TB, extraEnv []string, code string) string {
	t.Helper()
	return r.run(t, extraEnv, djangoref.Python(), "manage.py", "shell", "-c", code)
}

// start runs the reference on gunicorn (2 sync workers) in the
// foreground, stopped by PID when the test ends; call ready before using
// it.
func (r *reference) start(t testing.TB) *harness.Proc {
	t.Helper()
	addr := testenv.FreeAddr(t)
	r.URL = "http://" + addr
	return harness.StartProc(t, r.env, djangoref.Python(), "-m", "gunicorn",
		"--chdir", djangoref.Dir(), "--workers", "2", "--bind", addr, "django_ref.wsgi:application")
}

func (r *reference) ready(t testing.TB, p *harness.Proc) {
	t.Helper()
	harness.WaitReady(t, p, r.URL+"/movieapi/movie/")
}

// setActive runs `manage.py refuser set-active <username> 0|1` (through
// call_command, in a shell that prints the wall clock right before it) and
// returns when the UPDATE started.
func (r *reference) setActive(t testing.TB, username string, active bool) time.Time {
	t.Helper()
	v := "0"
	if active {
		v = "1"
	}
	out := r.shell(t, []string{"REF_USER=" + username, "REF_ACTIVE=" + v}, `
import os, time
from django.core.management import call_command
t0 = time.time()
call_command('refuser', 'set-active', os.environ['REF_USER'], os.environ['REF_ACTIVE'])
t1 = time.time()
print('SETACTIVE %.6f %.6f' % (t0, t1))
`)
	i := strings.Index(out, "SETACTIVE ")
	if i < 0 {
		t.Fatalf("refuser set-active %s %s printed no times:\n%s", username, v, out)
	}
	f := strings.Fields(out[i:])
	t0, err := strconv.ParseFloat(f[1], 64)
	if err != nil {
		t.Fatalf("refuser set-active: %v\n%s", err, out)
	}
	return time.Unix(0, int64(t0*1e9))
}
