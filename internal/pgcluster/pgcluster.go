// Package pgcluster runs throwaway PostgreSQL clusters for tests that must
// stop, restart or freeze a server without touching the shared one.
//
// A cluster lives in its own temporary directory (data, log and socket),
// listens on 127.0.0.1 only, and is stopped and removed when the test
// ends. As root it runs the server as the user postgres, since initdb
// refuses root. The server binaries are expected in
// /usr/lib/postgresql/15/bin; JWTGATE_PG_BIN overrides that. A missing
// binary skips the test, or fails it under CI=true (see internal/testenv).
package pgcluster

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/internal/testenv"
)

// Bin is the directory of initdb and pg_ctl: JWTGATE_PG_BIN, or Debian's
// PostgreSQL 15.
func Bin() string {
	if d := os.Getenv("JWTGATE_PG_BIN"); d != "" {
		return d
	}
	return "/usr/lib/postgresql/15/bin"
}

// Cluster is one test's throwaway PostgreSQL cluster.
type Cluster struct {
	t testing.TB
	// Dir holds data/, the server log and the socket; the server's user
	// owns it.
	Dir string
	// Port is the free port New chose; Start listens on it.
	Port int

	frozen []int // the processes Freeze stopped
}

// New runs initdb in a fresh temporary directory and chooses a free port.
// The server is not started.
func New(t testing.TB) *Cluster {
	t.Helper()
	testenv.Program(t, filepath.Join(Bin(), "initdb"), "JWTGATE_PG_BIN",
		"PostgreSQL's server binaries are expected there: apt-get install -y postgresql, or set JWTGATE_PG_BIN")
	dir, err := os.MkdirTemp("", "jwtgate-pg-")
	if err != nil {
		t.Fatalf("creating the cluster directory: %v", err)
	}
	c := &Cluster{t: t, Dir: dir, Port: testenv.FreePort(t)}
	t.Cleanup(func() {
		// Resume anything frozen, stop whatever runs on the data
		// directory, then remove it.
		signalAll(c.frozen, syscall.SIGCONT)
		c.pgCtl("stop", "-m", "immediate", "-w", "-t", "10")
		os.RemoveAll(dir)
	})
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("looking up the user postgres to run the throwaway server as: %v (install PostgreSQL: apt-get install -y postgresql)", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatalf("chown of the cluster directory: %v", err)
		}
	}
	if out, err := c.run(filepath.Join(Bin(), "initdb"), "-D", c.data(), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"); err != nil {
		t.Fatalf("initdb of a throwaway cluster failed: %v\n%s\n(PostgreSQL's server binaries are expected in %s: apt-get install -y postgresql, or set JWTGATE_PG_BIN)", err, out, Bin())
	}
	return c
}

func (c *Cluster) data() string { return filepath.Join(c.Dir, "data") }

// run runs a server program as the cluster's owner (bounded: 30 s).
func (c *Cluster) run(name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var cmd *exec.Cmd
	if os.Geteuid() == 0 {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", "postgres", "--", name}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, name, args...)
	}
	return cmd.CombinedOutput()
}

func (c *Cluster) pgCtl(args ...string) ([]byte, error) {
	return c.run(filepath.Join(Bin(), "pg_ctl"), append([]string{"-D", c.data()}, args...)...)
}

// Start starts the server on 127.0.0.1:Port and waits until it accepts
// connections.
func (c *Cluster) Start() {
	c.t.Helper()
	c.StartOn(c.Port)
}

// StartOn starts the server on 127.0.0.1:port instead: the same data seen
// at an address the clients of Port do not know.
func (c *Cluster) StartOn(port int) {
	c.t.Helper()
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -k %s -c fsync=off", port, c.Dir)
	if out, err := c.pgCtl("start", "-w", "-t", "20", "-l", filepath.Join(c.Dir, "log"), "-o", opts); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.Dir, "log"))
		c.t.Fatalf("starting the throwaway server: %v\n%s\n%s", err, out, log)
	}
}

// Stop shuts the server down as an operator would (fast: clients are told
// and disconnected).
func (c *Cluster) Stop() {
	c.t.Helper()
	if out, err := c.pgCtl("stop", "-m", "fast", "-w", "-t", "20"); err != nil {
		c.t.Fatalf("stopping the throwaway server: %v\n%s", err, out)
	}
}

// URL is a connection URL for the database postgres on port, with a
// password trust authentication ignores (so that tests can check it never
// appears in an error).
func (c *Cluster) URL(port int, password string) string {
	return fmt.Sprintf("postgres://postgres:%s@127.0.0.1:%d/postgres?sslmode=disable", password, port)
}

// processes returns the PIDs of the running server: the postmaster first,
// then its children.
func (c *Cluster) processes() []int {
	c.t.Helper()
	b, err := os.ReadFile(filepath.Join(c.data(), "postmaster.pid"))
	if err != nil {
		c.t.Fatalf("reading postmaster.pid: %v", err)
	}
	pm, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil {
		c.t.Fatalf("postmaster.pid: %v", err)
	}
	pids := []int{pm}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		c.t.Fatalf("listing processes: %v", err)
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(pm) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// Freeze stops every server process with SIGSTOP (the postmaster first,
// so that it forks no new one): the kernel still accepts connections and
// nothing answers. Thaw, or the end of the test, resumes them.
func (c *Cluster) Freeze() {
	c.t.Helper()
	// c.frozen is set before each signal, so that Cleanup resumes the
	// server whatever fails in between.
	c.frozen = c.processes()[:1]
	signalAll(c.frozen, syscall.SIGSTOP)
	c.frozen = c.processes()
	signalAll(c.frozen, syscall.SIGSTOP)
}

// Thaw resumes the processes Freeze stopped.
func (c *Cluster) Thaw() {
	signalAll(c.frozen, syscall.SIGCONT)
	c.frozen = nil
}

func signalAll(pids []int, sig syscall.Signal) {
	for _, pid := range pids {
		syscall.Kill(pid, sig)
	}
}
