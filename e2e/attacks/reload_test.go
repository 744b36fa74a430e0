package attacks

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
	"github.com/jwtgate/jwtgate/password"
	"github.com/jwtgate/jwtgate/store/sqlite"
)

// reloadCaddyfile is the example Caddyfile with the settings a test needs
// spelled out: LIFETIME is the access token lifetime, the harmless
// setting the reloads alternate; password_iterations keeps logins cheap
// under load, and hashes_per_client 0 lets the load's few thousand logins
// from one address through the per-client hash budget; keepalive bounds how long idle upstream connections (two
// goroutines each) outlive the load.
const reloadCaddyfile = `{
	admin {$JWTGATE_ADMIN}
	jwtgate {
		store {env.DATABASE_URL} {
			sqlite_path {env.JWTGATE_DB_PATH}
		}
		signing_key {env.JWT_SIGNING_KEY}
		access_token_lifetime LIFETIME
		refresh_token_lifetime 24h
		rotate_refresh_tokens false
		blacklist_after_rotation false
		username_header X-Username
		password_iterations 1000
		login_throttle {
			hashes_per_client 0
		}
	}
}

http://{$JWTGATE_ADDR} {
	jwt_endpoints /userprofiles/*

	handle /movieapi/* {
		jwt_auth read_only
		reverse_proxy {$UPSTREAM_ADDR} {
			transport http {
				keepalive 2s
				keepalive_idle_conns_per_host 128
			}
		}
	}

	handle {
		header Content-Type application/json
		respond ` + "`" + `{"detail":"Not found."}` + "`" + ` 404
	}
}
`

// goroutines returns the gateway's goroutine count and profile, from the
// admin endpoint's pprof.
func goroutines(t testing.TB, admin string) (int, string) {
	t.Helper()
	resp, err := http.Get(admin + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`goroutine profile: total (\d+)`).FindSubmatch(b)
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("goroutine profile: %d %.200s", resp.StatusCode, b)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n, string(b)
}

// settledGoroutines waits (at most 20 s) until the count is at most
// want, or for it to stop changing when want < 0, and returns it.
func settledGoroutines(t testing.TB, admin string, want int) (int, string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	last, prof := goroutines(t, admin)
	stable := 0
	for time.Now().Before(deadline) {
		time.Sleep(250 * time.Millisecond)
		n, p := goroutines(t, admin)
		if want >= 0 && n <= want {
			return n, p
		}
		if n == last {
			stable++
		} else {
			stable = 0
		}
		last, prof = n, p
		if want < 0 && stable >= 12 { // 3 s without change
			return n, p
		}
	}
	return last, prof
}

// dbFiles counts the gateway's descriptors open on the SQLite files.
func dbFiles(t testing.TB, pid int, db string) (int, map[string]int) {
	t.Helper()
	m := openFiles(t, pid, filepath.Base(db))
	n := 0
	for _, c := range m {
		n += c
	}
	return n, m
}

// loadStats is what the load saw.
type loadStats struct {
	requests, obtains, failures, retried atomic.Int64
	mu                                   sync.Mutex
	samples, retries                     []string
}

func (s *loadStats) connRetry(err error) {
	s.retried.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.retries) < 10 {
		s.retries = append(s.retries, time.Now().Format("15:04:05.000")+" "+err.Error())
	}
}

func (s *loadStats) fail(format string, args ...any) {
	s.failures.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.samples) < 20 {
		s.samples = append(s.samples, time.Now().Format("15:04:05.000")+" "+fmt.Sprintf(format, args...))
	}
}

// TestReloadUnderLoad reloads the config with `caddy reload` ten times,
// alternating two Caddyfiles that differ in access_token_lifetime, while
// eight clients send Bearer GETs through the gateway (and a login every
// 50th request). Every request must succeed; tokens issued before a reload
// work after it; afterwards the gateway's goroutines return to where they
// were and its SQLite descriptors stay within one store's pool.
func TestReloadUnderLoad(t *testing.T) {
	reloadUnderLoad(t, reloadCase{reloads: 10})
}

// TestReloadStoreSettingUnderLoad is TestReloadUnderLoad with reloads that
// also change a store setting (max_conns, which SQLite ignores), so that
// every reload opens a new store, with a new user index, and closes the
// old one; and with 100,000 users in the table, as a real site has, so
// that loading the new index takes a moment. No request may fail
// meanwhile, and the old stores must be closed.
func TestReloadStoreSettingUnderLoad(t *testing.T) {
	reloadUnderLoad(t, reloadCase{reloads: 10, bulkUsers: 100_000, variant: func(c string, i int) string {
		return strings.Replace(c, "sqlite_path {env.JWTGATE_DB_PATH}",
			"sqlite_path {env.JWTGATE_DB_PATH}\n\t\t\tmax_conns "+strconv.Itoa(8+i), 1)
	}})
}

// reloadCase tunes reloadUnderLoad.
type reloadCase struct {
	reloads int
	// bulkUsers are added to auth_user before the load.
	bulkUsers int
	// variant, when set, edits the i-th of the two Caddyfiles.
	variant func(caddyfile string, i int) string
}

// reloadUnderLoad runs the load and the reloads.
func reloadUnderLoad(t *testing.T, rc reloadCase) {
	n := rc.reloads
	variant := rc.variant
	if variant == nil {
		variant = func(c string, _ int) string { return c }
	}
	echo := harness.StartEcho(t)
	dir := t.TempDir()
	confs := [2]string{filepath.Join(dir, "a", "Caddyfile"), filepath.Join(dir, "b", "Caddyfile")}
	lifetimes := [2]string{"5m", "6m"}
	for i, c := range confs {
		writeAt(t, c, variant(strings.Replace(reloadCaddyfile, "LIFETIME", lifetimes[i], 1), i))
	}
	db := filepath.Join(dir, "jwtgate.sqlite3")
	g := harness.StartGateway(t, harness.GatewayOptions{Caddyfile: confs[0], Upstream: echo.Addr,
		Env: map[string]string{"JWTGATE_DB_PATH": db}})
	pid := gatewayPID(t, confs[0])
	g.CreateUser(t, "siva", "siva")
	token0, _ := g.Login(t, "siva", "siva")
	if rc.bulkUsers > 0 {
		start := time.Now()
		addBulkUsers(t, db, rc.bulkUsers)
		t.Logf("%d users added in %v", rc.bulkUsers, time.Since(start).Round(time.Millisecond))
	}

	const workers = 8
	transport := &http.Transport{MaxIdleConnsPerHost: workers}
	client := &http.Client{Transport: transport, Timeout: 10 * time.Second}
	var current atomic.Value // the newest access token
	current.Store(token0)
	var stats loadStats

	// send makes a request and reads the answer. A request that fails
	// before any response (the connection was reset or closed) is sent
	// once more on another connection, as browsers do, and counted: at a
	// reload Caddy closes the old server's idle keep-alive connections and
	// its SO_REUSEPORT listening socket, which resets connections still in
	// that socket's accept queue. Those are Caddy's and the kernel's, not
	// jwtgate's; an HTTP answer other than the expected one is never
	// retried.
	send := func(newReq func() *http.Request) (int, []byte, error) {
		var lastErr error
		for attempt := range 2 {
			resp, err := client.Do(newReq())
			if err != nil {
				lastErr = err
				if attempt == 0 {
					stats.connRetry(err)
				}
				continue
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				return 0, nil, err
			}
			return resp.StatusCode, b, nil
		}
		return 0, nil, lastErr
	}
	get := func(tok string) error {
		status, b, err := send(func() *http.Request {
			req, _ := http.NewRequest("GET", g.URL+"/movieapi/movie/1/", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			return req
		})
		if err != nil {
			return err
		}
		if status != 200 || string(b) != `{"upstream":"ok"}` {
			return fmt.Errorf("GET: %d %.200s", status, b)
		}
		return nil
	}
	obtain := func() error {
		status, b, err := send(func() *http.Request {
			req, _ := http.NewRequest("POST", g.URL+"/userprofiles/api/token/",
				strings.NewReader(url.Values{"username": {"siva"}, "password": {"siva"}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return req
		})
		if err != nil {
			return err
		}
		var pair struct{ Access, Refresh string }
		if status != 200 || json.Unmarshal(b, &pair) != nil || pair.Access == "" {
			return fmt.Errorf("obtain: %d %.200s", status, b)
		}
		current.Store(pair.Access)
		return nil
	}
	// run sends the load until ctx ends.
	run := func(ctx context.Context) {
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 1; ctx.Err() == nil; i++ {
					var err error
					if i%50 == 0 {
						stats.obtains.Add(1)
						err = obtain()
					} else {
						err = get(current.Load().(string))
					}
					stats.requests.Add(1)
					if err != nil {
						stats.fail("worker %d request %d: %v", w, i, err)
					}
				}
			}()
		}
		wg.Wait()
	}

	// Warm up at full concurrency, so the pools (client, upstream, SQLite)
	// are at their working size, then measure the idle gateway.
	warm, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	run(warm)
	cancel()
	if stats.failures.Load() != 0 {
		t.Fatalf("the warm-up failed before any reload: %v", stats.samples)
	}
	warmRequests := stats.requests.Load()
	transport.CloseIdleConnections()
	g0, prof0 := settledGoroutines(t, g.Admin, -1)
	fd0, fdm0 := dbFiles(t, pid, db)
	rss0 := rssKiB(t, pid)
	stats.requests.Store(0)
	stats.obtains.Store(0)
	stats.retried.Store(0)
	stats.retries = nil

	// The load, and ten reloads during it.
	ctx, stop := context.WithCancel(context.Background())
	loadDone := make(chan struct{})
	loadStart := time.Now()
	go func() { run(ctx); close(loadDone) }()
	var reloadTimes []time.Duration
	for i := 1; i <= n; i++ {
		time.Sleep(5 * time.Second / time.Duration(n))
		conf := confs[i%2]
		start := time.Now()
		cmd := exec.Command(filepath.Join(harness.BinDir, "caddy"), "reload", "--config", conf, "--adapter", "caddyfile",
			"--address", hostPort(g.Admin))
		cmd.Env = g.Env
		out, err := cmd.CombinedOutput()
		reloadTimes = append(reloadTimes, time.Since(start))
		if err != nil {
			stop()
			<-loadDone
			t.Fatalf("caddy reload %d: %v\n%s", i, err, out)
		}
		if got, want := lifetimeInConfig(t, g.Admin), mustDuration(t, lifetimes[i%2]); got != want {
			t.Errorf("after reload %d the running access_token_lifetime is %s, want %s", i, got, lifetimes[i%2])
		}
	}
	if rest := 10*time.Second - time.Since(loadStart); rest > 0 {
		time.Sleep(rest)
	}
	stop()
	<-loadDone
	loadTime := time.Since(loadStart)

	requests, obtains, failures := stats.requests.Load(), stats.obtains.Load(), stats.failures.Load()
	t.Logf("load: %d requests (%d logins) in %v with %d reloads (%v); %d failed; %d resent after a connection error %v; warm-up %d requests",
		requests, obtains, loadTime.Round(time.Millisecond), n, reloadTimes, failures, stats.retried.Load(), stats.retries, warmRequests)
	if failures != 0 {
		t.Errorf("%d of %d requests failed during reloads:\n%s\nthe gateway's errors and warnings:\n%s",
			failures, requests, strings.Join(stats.samples, "\n"), logLines(g.Proc.Output(), `"level":"(error|warn)"`, 20))
	}
	if requests < 1000 {
		t.Errorf("only %d requests in %v: the load did not run", requests, loadTime)
	}

	// Tokens from before the reloads, and the newest, still work.
	if err := get(token0); err != nil {
		t.Errorf("the token issued before the reloads: %v", err)
	}
	if err := get(current.Load().(string)); err != nil {
		t.Errorf("the newest token: %v", err)
	}

	// Nothing leaked: goroutines back to the warm count, descriptors on
	// the SQLite files within what one store holds (its pool of
	// DefaultMaxOpenConns and the user feed's connection, a descriptor on
	// the database and one on the WAL each, and the shared memory file):
	// an old store left open would add its own.
	transport.CloseIdleConnections()
	const margin = 5
	g1, prof1 := settledGoroutines(t, g.Admin, g0+margin)
	// A retired store closes once its last request is done, so give the
	// descriptors a moment to settle, as the goroutines. SQLite's unix VFS
	// also keeps a closed connection's descriptors while other connections
	// of the process hold locks on the same file (closing them would drop
	// those POSIX locks) and reuses them for the next open: a bounded
	// extra connection, not a leak, which would grow with every reload.
	oneStore := 2*(sqlite.DefaultMaxOpenConns+1) + 1 + 2
	fd1, fdm1 := dbFiles(t, pid, db)
	for settle := time.Now(); fd1 > max(fd0, oneStore) && time.Since(settle) < 5*time.Second; fd1, fdm1 = dbFiles(t, pid, db) {
		time.Sleep(50 * time.Millisecond)
	}
	rss1 := rssKiB(t, pid)
	t.Logf("goroutines %d → %d; SQLite descriptors %d %v → %d %v; RSS %d → %d KiB", g0, g1, fd0, fdm0, fd1, fdm1, rss0, rss1)
	if g1 > g0+margin {
		t.Errorf("goroutines grew from %d to %d over %d reloads\n%s", g0, g1, n, profileDiff(prof0, prof1))
	}
	if fd1 > max(fd0, oneStore) {
		t.Errorf("descriptors on the SQLite files grew from %d %v to %d %v (one store holds at most %d)", fd0, fdm0, fd1, fdm1, oneStore)
	}
}

func writeAt(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// lifetimeInConfig reads the running access_token_lifetime back from the
// admin API.
func lifetimeInConfig(t testing.TB, admin string) time.Duration {
	t.Helper()
	resp, err := http.Get(admin + "/config/apps/jwtgate/access_token_lifetime")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d caddy.Duration
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatalf("access_token_lifetime: %v", err)
	}
	return time.Duration(d)
}

// profileDiff lists the goroutine stacks whose count grew.
func profileDiff(before, after string) string {
	count := func(p string) map[string]int {
		m := map[string]int{}
		for _, block := range strings.Split(p, "\n\n") {
			// The first block starts with the "goroutine profile" line.
			if i := strings.Index(block, "\n"); strings.HasPrefix(block, "goroutine profile:") && i >= 0 {
				block = block[i+1:]
			}
			n, stack, ok := strings.Cut(block, " @ ")
			if !ok {
				continue
			}
			c, err := strconv.Atoi(strings.TrimSpace(n))
			if err != nil {
				continue
			}
			// Key on the symbolised frames, not the addresses.
			var frames []string
			for _, line := range strings.Split(stack, "\n") {
				if strings.HasPrefix(line, "#") {
					frames = append(frames, strings.Join(strings.Fields(line)[2:3], ""))
				}
			}
			m[strings.Join(frames, " < ")] += c
		}
		return m
	}
	b, a := count(before), count(after)
	var out []string
	for k, n := range a {
		if n > b[k] {
			out = append(out, fmt.Sprintf("+%d %s", n-b[k], k))
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

func mustDuration(t testing.TB, s string) time.Duration {
	t.Helper()
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// logLines returns at most n lines of out that match re, skipping Caddy's
// warnings about HTTP/2 and HTTP/3 without TLS.
func logLines(out, re string, n int) string {
	m := regexp.MustCompile(re)
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if m.MatchString(l) && !strings.Contains(l, "requires TLS") && len(lines) < n {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

// addBulkUsers inserts n users straight into the SQLite file, in one
// transaction, as another process (Django) would.
func addBulkUsers(t testing.TB, db string, n int) {
	t.Helper()
	conn, err := sql.Open("sqlite", db+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tx, err := conn.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	stmt, err := tx.Prepare(`INSERT INTO "auth_user" ("password", "last_login", "is_superuser", "username", "last_name", "email",
		"is_staff", "is_active", "date_joined", "first_name") VALUES ('!unusable', NULL, 0, ?, '', ?, 0, 1, '2026-01-01 00:00:00.000000', '')`)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		name := fmt.Sprintf("bulk%07d", i)
		if _, err := stmt.Exec(name, name+"@example.com"); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// TestReloadStoreSettingDuringLogin: a login in flight while a reload
// replaces the store (a changed store setting) still succeeds. The login
// is made slow on purpose, with a password hash of many PBKDF2 iterations,
// so that the reload completes while it is hashing; it then records its
// refresh token in the store.
func TestReloadStoreSettingDuringLogin(t *testing.T) {
	echo := harness.StartEcho(t)
	dir := t.TempDir()
	confs := [2]string{filepath.Join(dir, "a", "Caddyfile"), filepath.Join(dir, "b", "Caddyfile")}
	for i, c := range confs {
		writeAt(t, c, strings.Replace(strings.Replace(reloadCaddyfile, "LIFETIME", "5m", 1),
			"sqlite_path {env.JWTGATE_DB_PATH}", "sqlite_path {env.JWTGATE_DB_PATH}\n\t\t\tmax_conns "+strconv.Itoa(8+i), 1))
	}
	db := filepath.Join(dir, "jwtgate.sqlite3")
	g := harness.StartGateway(t, harness.GatewayOptions{Caddyfile: confs[0], Upstream: echo.Addr,
		Env: map[string]string{"JWTGATE_DB_PATH": db}})
	g.CreateUser(t, "siva", "siva")

	// A hash that takes about two seconds to check.
	start := time.Now()
	if _, err := (password.PBKDF2SHA256{Iterations: 200_000}).Encode("x"); err != nil {
		t.Fatal(err)
	}
	iterations := min(int(200_000*float64(2*time.Second)/float64(time.Since(start)+1)), 19_000_000)
	enc, err := password.PBKDF2SHA256{Iterations: iterations}.Encode("slow-password")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := sql.Open("sqlite", db+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Exec(`INSERT INTO "auth_user" ("password", "last_login", "is_superuser", "username", "last_name", "email",
		"is_staff", "is_active", "date_joined", "first_name") VALUES (?, NULL, 0, 'slow', '', 'slow@example.com', 0, 1, '2026-01-01 00:00:00.000000', '')`, enc); err != nil {
		t.Fatal(err)
	}
	login := func() (harness.Response, time.Duration) {
		start := time.Now()
		r := harness.PostForm(t, g.URL+"/userprofiles/api/token/", url.Values{"username": {"slow"}, "password": {"slow-password"}})
		return r, time.Since(start)
	}
	r, took := login()
	if r.Status != 200 {
		t.Fatalf("the slow login without a reload: %d %s", r.Status, r.Body)
	}
	t.Logf("a login with %d iterations takes %v", iterations, took.Round(time.Millisecond))

	conclusive := 0
	for i := 1; i <= 3; i++ {
		type result struct {
			r    harness.Response
			took time.Duration
		}
		done := make(chan result, 1)
		go func() { r, d := login(); done <- result{r, d} }()
		time.Sleep(took / 5) // the login is hashing now
		reloadStart := time.Now()
		cmd := exec.Command(filepath.Join(harness.BinDir, "caddy"), "reload", "--config", confs[i%2], "--adapter", "caddyfile",
			"--address", hostPort(g.Admin))
		cmd.Env = g.Env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("caddy reload: %v\n%s", err, out)
		}
		reloaded := time.Since(reloadStart)
		res := <-done
		if reloaded+took/5 > res.took {
			t.Logf("reload %d: the login (%v) ended before the reload (%v); inconclusive", i, res.took, reloaded)
		} else {
			conclusive++
		}
		if res.r.Status != 200 {
			t.Errorf("reload %d (%v) during a login (%v): the login got %d %s\nthe gateway's errors and warnings:\n%s", i,
				reloaded.Round(time.Millisecond), res.took.Round(time.Millisecond), res.r.Status, res.r.Body,
				logLines(g.Proc.Output(), `"level":"(error|warn)"`, 10))
		}
	}
	if conclusive == 0 {
		t.Errorf("every round was inconclusive: no reload completed while a login was hashing, so nothing was tested")
	}
}
