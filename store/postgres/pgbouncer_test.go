package postgres

import (
	"cmp"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/internal/testenv"
	"github.com/jwtgate/jwtgate/store"
	"github.com/jwtgate/jwtgate/store/storetest"
)

// startPgbouncer runs Debian's pgbouncer in transaction pooling mode in
// front of the test server and returns the URL of db through it.
func startPgbouncer(t *testing.T, db string) string {
	t.Helper()
	testenv.Program(t, "pgbouncer", "JWTGATE_TEST_POSTGRES_URL", "apt-get install -y pgbouncer")
	server, err := url.Parse(adminURL())
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(server.Host)
	dir := t.TempDir()
	listen := testenv.FreePort(t)
	ini := fmt.Sprintf(`[databases]
* = host=%s port=%s user=%s
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = trust
auth_file = %s
pool_mode = transaction
ignore_startup_parameters = extra_float_digits,search_path
`, host, cmp.Or(port, "5432"), server.User.Username(), listen, filepath.Join(dir, "users.txt"))
	for name, content := range map[string]string{"pgbouncer.ini": ini, "users.txt": `"` + server.User.Username() + `" ""` + "\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{filepath.Join(dir, "pgbouncer.ini")}
	if os.Geteuid() == 0 { // pgbouncer refuses to run as root
		args = append([]string{"-u", "nobody"}, args...)
	}
	cmd := exec.Command("pgbouncer", args...)
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := fmt.Sprintf("127.0.0.1:%d", listen)
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("pgbouncer did not listen at %s:\n%s", addr, out)
		}
	}
	u := *server
	u.Host, u.Path = addr, "/"+db
	q := u.Query()
	q.Set("default_query_exec_mode", "simple_protocol") // pgbouncer 1.18 has no prepared statements in transaction mode
	u.RawQuery = q.Encode()
	return u.String()
}

// TestWatchUsersBehindTransactionPooler: behind PgBouncer in transaction
// pooling mode LISTEN never hears another session's NOTIFY; the canary
// does not come back, the feed reports itself down, and a deactivation
// still arrives, by polling, within seconds.
func TestWatchUsersBehindTransactionPooler(t *testing.T) {
	t.Parallel()
	direct, db := migrated(t)
	ctx := testCtx(t)
	u, err := direct.CreateUser(ctx, store.User{Password: "!", Username: "siva", IsActive: true, DateJoined: time.Now()}, store.CreateUserOptions{})
	must(t, "CreateUser", err)
	s := openStore(t, Options{URL: startPgbouncer(t, db), CanaryInterval: 200 * time.Millisecond})
	w := storetest.Watch(t, s)
	waitLong(t, "the feed to report itself down behind the pooler", func() bool { return len(w.Health()) > 0 })
	if h := w.Health(); h[0] == nil || !strings.Contains(h[0].Error(), "has not come back") {
		t.Fatalf("FeedHealth calls %v, want the canary not coming back", h)
	}
	must(t, "SetActive(false)", direct.SetActive(ctx, u.ID, false))
	changed := time.Now()
	waitLong(t, "the deactivation to arrive by polling", func() bool {
		r := w.Resets()
		last := r[len(r)-1]
		return len(last) == 1 && !last[0].IsActive
	})
	t.Logf("behind PgBouncer (transaction pooling), a deactivation arrived by polling in %v", time.Since(changed).Round(time.Millisecond))
}
