// Package testenv decides what a test does when a component outside Go
// that it needs is missing: PostgreSQL, the Django reference's Python,
// PostgreSQL's server binaries, newman.
//
// Under CI=true, or when the component's environment variable is set (the
// user asked for it), the test fails with how to get the component.
// Otherwise it skips, saying what it needs, so that `go test ./...` passes
// on a machine with only Go. scripts/test.sh (what CI runs) installs and
// starts everything, and nothing skips there.
package testenv

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Missing fails the test under CI=true or when envVar is set, and skips it
// otherwise; both say what is missing and how to get it.
func Missing(t testing.TB, envVar, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" || os.Getenv(envVar) != "" {
		t.Fatal(msg)
	}
	t.Skipf("SKIP (needs a component; set CI=true or %s to make this a failure): %s", envVar, msg)
}

// PostgresURL is the maintenance URL of the shared test server: the
// superuser postgres on 127.0.0.1:5432 with trust authentication, or
// JWTGATE_TEST_POSTGRES_URL.
func PostgresURL() string {
	if u := os.Getenv("JWTGATE_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// PostgreSQL skips (or fails, see Missing) unless something listens at
// PostgresURL's host and port.
func PostgreSQL(t testing.TB) {
	t.Helper()
	u, err := url.Parse(PostgresURL())
	if err != nil {
		t.Fatalf("JWTGATE_TEST_POSTGRES_URL is not a URL: %v", err)
	}
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	addr := net.JoinHostPort(u.Hostname(), port)
	c, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		Missing(t, "JWTGATE_TEST_POSTGRES_URL", "PostgreSQL does not answer at %s (%v); start it with "+
			"pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start, install it with apt-get install -y postgresql, "+
			"or point JWTGATE_TEST_POSTGRES_URL at a server where the user may create databases", addr, err)
		return
	}
	c.Close()
}

// Python skips (or fails, see Missing) unless python can import every
// module; packages are the Debian packages that provide them.
func Python(t testing.TB, python, packages string, modules ...string) {
	t.Helper()
	out, err := exec.Command(python, "-c", "import "+strings.Join(modules, ", ")).CombinedOutput()
	if err != nil {
		Missing(t, "JWTGATE_PYTHON", "%s cannot import %s: %v\n%s\ninstall Debian's packages: apt-get install -y %s (or set JWTGATE_PYTHON to an interpreter that has them)",
			python, strings.Join(modules, ", "), err, out, packages)
	}
}

// Program skips (or fails, see Missing) unless path is an executable
// file; envVar is the variable that points elsewhere.
func Program(t testing.TB, path, envVar, how string) {
	t.Helper()
	if _, err := exec.LookPath(path); err != nil {
		Missing(t, envVar, "%s is missing (%v): %s", path, err, how)
	}
}

// FreePort returns a TCP port nobody listens on, on any address. It is the
// one place tests get ports from: never fixed ports.
//
// The port is drawn from 10000–31999, below Linux's ephemeral range
// (32768–60999): a port the kernel hands out for a listener may be taken,
// before the server binds it, by one of the many outgoing connections the
// tests make, and a server listening on every interface (as Caddy does for
// a site address) then fails with "address already in use". No port is
// handed out twice in one test binary.
func FreePort(t testing.TB) int {
	t.Helper()
	for range 1000 {
		p := 10000 + rand.IntN(22000)
		if _, dup := handedOut.LoadOrStore(p, true); dup {
			continue
		}
		l, err := net.Listen("tcp", ":"+strconv.Itoa(p))
		if err != nil {
			continue
		}
		l.Close()
		return p
	}
	t.Fatal("no free TCP port in 10000-31999")
	return 0
}

// handedOut are the ports FreePort returned.
var handedOut sync.Map

// FreeAddr is FreePort as a host:port address.
func FreeAddr(t testing.TB) string {
	t.Helper()
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(FreePort(t)))
}
