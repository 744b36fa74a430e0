package harness

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/jwtgate/jwtgate/internal/djangoref"
	"github.com/jwtgate/jwtgate/internal/testenv"
)

// DjangoOptions tune StartDjango.
type DjangoOptions struct {
	// SQLitePath is the database file (when PostgresDB is empty).
	SQLitePath string
	// PostgresDB is a database on the shared test server (NewPostgresDB).
	PostgresDB string
	// Env adds settings switches of testdata/django_ref/django_ref/settings.py.
	Env []string
	// Addr is the host:port to listen on; default a free loopback port.
	// Set it to tell the gateway where Django will be before Django runs.
	Addr string
}

// Django is the reference project running on gunicorn.
type Django struct {
	Addr string // host:port
	Env  []string
}

// StartDjango migrates and seeds (reset_db.sh: siva/siva id 1, the
// inactive inactive_user id 2, three movies) the reference project's
// database and runs the project on gunicorn (2 sync workers) on a free
// loopback port until the test ends.
func StartDjango(t testing.TB, o DjangoOptions) *Django {
	t.Helper()
	modules := []string{"django", "rest_framework", "rest_framework_simplejwt", "gunicorn"}
	if o.PostgresDB != "" {
		modules = append(modules, "psycopg2")
	}
	testenv.Python(t, djangoref.Python(), djangoref.Packages, modules...)
	varDir := t.TempDir()
	if o.Addr == "" {
		o.Addr = testenv.FreeAddr(t)
	}
	d := &Django{Addr: o.Addr, Env: append(djangoref.Env(varDir), o.Env...)}
	if o.PostgresDB != "" {
		testenv.Program(t, "psql", "JWTGATE_PYTHON", "reset_db.sh needs psql: apt-get install -y postgresql-client")
		u, err := url.Parse(testenv.PostgresURL())
		if err != nil {
			t.Fatal(err)
		}
		port := u.Port()
		if port == "" {
			port = "5432"
		}
		pw, _ := u.User.Password()
		d.Env = append(d.Env, "DJANGO_PG_NAME="+o.PostgresDB, "DJANGO_PG_HOST="+u.Hostname(),
			"DJANGO_PG_PORT="+port, "DJANGO_PG_USER="+u.User.Username(), "DJANGO_PG_PASSWORD="+pw)
	} else {
		d.Env = append(d.Env, "DJANGO_DB_PATH="+o.SQLitePath)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	reset := exec.CommandContext(ctx, filepath.Join(djangoref.Dir(), "reset_db.sh"))
	reset.Dir, reset.Env = djangoref.Dir(), d.Env
	if out, err := reset.CombinedOutput(); err != nil || !strings.Contains(string(out), "id=1 username=siva active=True") {
		t.Fatalf("reset_db.sh: %v\n%s", err, Tail(string(out), 3000))
	}
	p := StartProc(t, d.Env, djangoref.Python(), "-m", "gunicorn",
		"--chdir", djangoref.Dir(), "--workers", "2", "--bind", d.Addr, "django_ref.wsgi:application")
	WaitReady(t, p, "http://"+d.Addr+"/movieapi/movie/")
	return d
}

// NewPostgresDB creates an empty database with a random name on the shared
// test server (skipping or failing as testenv.PostgreSQL does when there
// is none), dropped WITH (FORCE) when the test ends, and returns its name
// and URL.
func NewPostgresDB(t testing.TB) (name, dbURL string) {
	t.Helper()
	testenv.PostgreSQL(t)
	b := make([]byte, 6)
	rand.Read(b)
	name = "jwtgate_e2e_" + hex.EncodeToString(b)
	adminExec(t, "CREATE DATABASE "+name)
	t.Cleanup(func() { adminExec(t, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	u, err := url.Parse(testenv.PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return name, u.String()
}

func adminExec(t testing.TB, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, testenv.PostgresURL())
	if err != nil {
		t.Fatalf("PostgreSQL: %v", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Errorf("%s: %v", sql, err)
	}
}
