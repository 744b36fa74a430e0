package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jackc/pgx/v5"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
	"github.com/jwtgate/jwtgate/internal/testenv"
)

// Bodies the gateway must answer with, byte for byte.
const (
	unavailable  = `{"detail":"Service temporarily unavailable, try again later."}`
	usernameUsed = `{"username":["A user with that username already exists."]}`
	emailUsed    = `{"error":"Email already exists!"}`
)

// craftAccess signs a 5-minute access token for a user id with golang-jwt,
// an implementation independent of jwtgate's.
func craftAccess(t testing.TB, key string, userID int64) string {
	t.Helper()
	now := time.Now()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"token_type": "access", "exp": now.Add(5 * time.Minute).Unix(),
		"iat": now.Unix(), "jti": randomHex(16), "user_id": userID}).SignedString([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	noteTokens(s)
	return s
}

// ---------------------------------------------------------------------
// PostgreSQL

// startHint says how to get the shared server.
const startHint = "start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start " +
	"(install it with apt-get install -y postgresql; or point JWTGATE_TEST_POSTGRES_URL at a server where the user may create databases)"

// adminURL is the maintenance URL of the shared server: the superuser
// postgres on 127.0.0.1:5432 with trust authentication, or
// JWTGATE_TEST_POSTGRES_URL.
func adminURL() string { return testenv.PostgresURL() }

// urlPassword is the password the gateway's DATABASE_URL carries when the
// maintenance URL has none: trust authentication ignores it, and no log
// line may contain it.
const urlPassword = "pg-Secret-7b3e9d1c"

// dbURL is adminURL with another database and, unless the maintenance URL
// has a password of its own, urlPassword in it. The password is recorded
// as a secret.
func dbURL(t testing.TB, dbname string) string {
	t.Helper()
	u, err := url.Parse(adminURL())
	if err != nil {
		t.Fatalf("JWTGATE_TEST_POSTGRES_URL is not a URL: %v", err)
	}
	u.Path = "/" + dbname
	user := "postgres"
	if u.User != nil {
		user = u.User.Username()
	}
	pw, ok := "", false
	if u.User != nil {
		pw, ok = u.User.Password()
	}
	if !ok || pw == "" {
		pw = urlPassword
	}
	u.User = url.UserPassword(user, secret("the database password", pw))
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// newDatabase creates an empty database on the shared server, dropped (WITH
// FORCE) when the test ends, after every process of the test stopped.
func newDatabase(t testing.TB) string {
	t.Helper()
	testenv.PostgreSQL(t)
	name := "jwtgate_e2e_" + randomHex(6)
	if err := adminExec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := adminExec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("dropping the test database: %v", err)
		}
	})
	return name
}

func adminExec(sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, adminURL())
	if err != nil {
		return fmt.Errorf("PostgreSQL is not reachable at %s: %v\n%s", redacted(adminURL()), err, startHint)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("%s: %w", sql, err)
	}
	return nil
}

func redacted(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	return "the configured server"
}

// dbConn connects to a database as any other program would (no jwtgate
// code); closed when the test ends.
func dbConn(t testing.TB, dbURL string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatalf("connecting to %s: %v\n%s", redacted(dbURL), err, startHint)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// queryInt runs a query returning one integer.
func queryInt(t testing.TB, conn *pgx.Conn, sql string, args ...any) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var n int64
	if err := conn.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// userRow is what auth_user holds about a user.
type userRow struct {
	ID        int64
	Password  string
	LastLogin *time.Time
	IsActive  bool
}

func readUser(t testing.TB, conn *pgx.Conn, username string) userRow {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var u userRow
	err := conn.QueryRow(ctx, `SELECT id, password, last_login, is_active FROM auth_user WHERE username = $1`, username).
		Scan(&u.ID, &u.Password, &u.LastLogin, &u.IsActive)
	if err != nil {
		t.Fatalf("reading auth_user %q: %v", username, err)
	}
	return u
}

// ---------------------------------------------------------------------
// Secrets: nothing the gateway logs may contain a password, a whole
// token or the database password.

var secrets = struct {
	sync.Mutex
	what map[string]string // value → what it is
}{what: map[string]string{}}

// secret records v as something no log may contain, and returns it.
func secret(what, v string) string {
	secrets.Lock()
	defer secrets.Unlock()
	secrets.what[v] = what
	return v
}

var jwtRE = regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`)

// noteTokens records every JWT in s as a secret: the whole token, and its
// signature on its own.
func noteTokens(s string) {
	for _, tok := range jwtRE.FindAllString(s, -1) {
		secret("a whole token", tok)
		secret("a token's signature", tok[strings.LastIndexByte(tok, '.')+1:])
	}
}

// checkLog fails the test if out contains a secret or a panic.
func checkLog(t testing.TB, name, out string) {
	t.Helper()
	secrets.Lock()
	defer secrets.Unlock()
	for v, what := range secrets.what {
		if strings.Contains(out, v) {
			i := strings.Index(out, v)
			line := out[strings.LastIndexByte(out[:i], '\n')+1:]
			if j := strings.IndexByte(line, '\n'); j >= 0 {
				line = line[:j]
			}
			t.Errorf("the log of %s contains %s, in:\n%s", name, what, harness.Tail(strings.ReplaceAll(line, v, "<"+what+">"), 600))
		}
	}
	if strings.Contains(out, "panic") {
		t.Errorf("the log of %s mentions a panic:\n%s", name, harness.Tail(out, 3000))
	}
}

// ---------------------------------------------------------------------
// HTTP, safe to use from any goroutine

type answer struct {
	Status int
	Header http.Header
	Body   string
	Took   time.Duration
}

func (a answer) String() string { return fmt.Sprintf("%d %s", a.Status, harness.Tail(a.Body, 300)) }

var client = &http.Client{
	Timeout:       15 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Transport:     &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true},
}

// send makes a request; headers are "Name: value" strings. The tokens in
// the request and the answer are recorded as secrets.
func send(method, u, contentType, body string, headers ...string) (answer, error) {
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	if body == "" {
		req.Body, req.ContentLength = nil, 0
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	noteTokens(body)
	noteTokens(strings.Join(headers, "\n"))
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return answer{Took: time.Since(start)}, fmt.Errorf("%s %s: %w", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	took := time.Since(start)
	if err != nil {
		return answer{Took: took}, fmt.Errorf("%s %s: reading the body: %w", method, u, err)
	}
	noteTokens(string(b))
	return answer{Status: resp.StatusCode, Header: resp.Header, Body: string(b), Took: took}, nil
}

func call(t testing.TB, method, u, contentType, body string, headers ...string) answer {
	t.Helper()
	a, err := send(method, u, contentType, body, headers...)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

const (
	formType = "application/x-www-form-urlencoded"
	jsonType = "application/json"
)

// form encodes name, value pairs.
func form(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v.Encode()
}

func postForm(t testing.TB, u string, kv ...string) answer {
	t.Helper()
	return call(t, "POST", u, formType, form(kv...))
}

func get(t testing.TB, u string, headers ...string) answer {
	t.Helper()
	return call(t, "GET", u, "", "", headers...)
}

func bearer(tok string) string { return "Authorization: Bearer " + tok }

// expect fails unless a has this status and exactly this body.
func expect(t testing.TB, what string, a answer, status int, body string) {
	t.Helper()
	if a.Status != status || a.Body != body {
		t.Errorf("%s: got %s\nwant %d %s", what, a, status, body)
	}
}

// str returns a string member of a JSON object body (crudely, for tokens).
func str(t testing.TB, a answer, key string) string {
	t.Helper()
	re := regexp.MustCompile(`"` + regexp.QuoteMeta(key) + `":"([^"]*)"`)
	m := re.FindStringSubmatch(a.Body)
	if m == nil {
		t.Fatalf("no string %q in %s", key, a)
	}
	return m[1]
}

// sighting is what watch saw.
type sighting struct {
	At    time.Time // when the first matching answer arrived; zero if none did
	Last  answer
	Err   error
	Polls int
}

// watch polls probe every 20 ms in a goroutine, from now until match
// holds or limit passes, and reports on the channel.
func watch(limit time.Duration, probe func() (answer, error), match func(answer) bool) <-chan sighting {
	ch := make(chan sighting, 1)
	go func() {
		var s sighting
		deadline := time.Now().Add(limit)
		for time.Now().Before(deadline) {
			a, err := probe()
			s.Polls++
			s.Last, s.Err = a, err
			if err == nil && match(a) {
				s.At = time.Now()
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		ch <- s
	}()
	return ch
}

// getWith probes GET u with a Bearer token.
func getWith(u, tok string) func() (answer, error) {
	return func() (answer, error) { return send("GET", u, "", "", bearer(tok)) }
}

func is(status int, body string) func(answer) bool {
	return func(a answer) bool { return a.Status == status && (body == "" || a.Body == body) }
}

// waitFor polls until match holds, failing the test after limit; it
// returns how long it took.
func waitFor(t testing.TB, what string, limit time.Duration, probe func() (answer, error), match func(answer) bool) time.Duration {
	t.Helper()
	start := time.Now()
	s := <-watch(limit, probe, match)
	if s.At.IsZero() {
		t.Fatalf("%s: not within %v (%d polls); last answer %s %v", what, limit, s.Polls, s.Last, s.Err)
	}
	return s.At.Sub(start)
}

// propagationLimit bounds how long after a user change an instance may
// still act on the old state. The goal is a second (docs/security.md);
// the test allows ten times that so that a loaded machine does not fail
// it, and logs the measured figure.
const propagationLimit = 10 * time.Second

// propagated checks the sighting of a change made between started and
// done: it must come no earlier than started and within propagationLimit
// of done.
func propagated(t testing.TB, what string, s sighting, started, done time.Time) {
	t.Helper()
	switch {
	case s.At.IsZero():
		t.Errorf("%s: not seen; last answer %s %v (%d polls)", what, s.Last, s.Err, s.Polls)
	case s.At.Before(started):
		t.Errorf("%s: seen before the change was made (%s)", what, s.Last)
	case s.At.Sub(done) > propagationLimit:
		t.Errorf("%s: seen %s after the change, want within %v", what, ms(s.At.Sub(done)), propagationLimit)
	case done.Equal(started):
		t.Logf("%s: seen %s after the change (%d polls)", what, ms(s.At.Sub(done)), s.Polls)
	default:
		t.Logf("%s: seen %s after the change started, %s after it returned (%d polls)",
			what, ms(s.At.Sub(started)), ms(s.At.Sub(done)), s.Polls)
	}
}

// ms formats a duration in milliseconds.
func ms(d time.Duration) string { return fmt.Sprintf("%d ms", d.Milliseconds()) }

// ---------------------------------------------------------------------
// Gateways

// gateway is a running jwtgate process.
type gateway struct {
	name  string
	URL   string
	admin string
	conf  string
	env   []string
	proc  *harness.Proc
}

type gatewayOptions struct {
	conf     string            // Caddyfile; default the example
	upstream string            // UPSTREAM_ADDR
	env      map[string]string // DATABASE_URL, settings
}

// startGateways starts n gateways at once with the same options (each its
// own listen address, admin endpoint and data directory) and waits until
// all answer. Their logs are checked for secrets after they stop.
func startGateways(t *testing.T, n int, o gatewayOptions) []*gateway {
	t.Helper()
	if o.conf == "" {
		o.conf = filepath.Join(harness.RepoRoot, "Caddyfile")
	}
	gs := make([]*gateway, n)
	for i := range gs {
		env, addr, admin := harness.GatewayEnv(t, &harness.GatewayOptions{Upstream: o.upstream, Env: o.env})
		g := &gateway{name: "gateway " + string(rune('A'+i)), URL: "http://" + addr, admin: "http://" + admin, conf: o.conf, env: env}
		// Registered before StartProc's cleanup, so it runs after the
		// process stopped and its log is complete.
		t.Cleanup(func() {
			if g.proc != nil {
				checkLog(t, g.name, g.proc.Output())
			}
		})
		g.proc = harness.StartProc(t, env, filepath.Join(harness.BinDir, "caddy"), "run", "--config", o.conf, "--adapter", "caddyfile")
		gs[i] = g
	}
	for _, g := range gs {
		harness.WaitReady(t, g.proc, g.admin+"/config/")
	}
	return gs
}

// alive fails the test if the gateway's process has exited.
func (g *gateway) alive(t testing.TB) {
	t.Helper()
	select {
	case <-g.proc.Done:
		t.Fatalf("%s exited (%v):\n%s", g.name, g.proc.Err, harness.Tail(g.proc.Output(), 4000))
	default:
	}
}

// reload runs `caddy reload` with conf against the gateway's admin
// endpoint (bounded: 60 s) and returns how long it took.
func (g *gateway) reload(t testing.TB, conf string) time.Duration {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(harness.BinDir, "caddy"), "reload", "--config", conf,
		"--adapter", "caddyfile", "--address", strings.TrimPrefix(g.admin, "http://"))
	cmd.Env = g.env
	started := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("caddy reload --config %s: %v\n%s", conf, err, out)
	}
	return time.Since(started)
}

// cli runs `caddy jwtgate <args>` against the gateway's config and store,
// as an operator would (bounded: 60 s).
func (g *gateway) cli(t testing.TB, stdin string, extraEnv []string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(harness.BinDir, "caddy"), append(append([]string{"jwtgate"}, args...), "--config", g.conf, "--adapter", "caddyfile")...)
	cmd.Env = append(append([]string{}, g.env...), extraEnv...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	checkLog(t, "caddy jwtgate "+strings.Join(args, " "), string(out))
	return string(out), err
}

func (g *gateway) mustCLI(t testing.TB, args ...string) string {
	t.Helper()
	out, err := g.cli(t, "", nil, args...)
	if err != nil {
		t.Fatalf("caddy jwtgate %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// createSuperuser makes a user with the CLI's createsuperuser --noinput.
func (g *gateway) createSuperuser(t testing.TB, username, password string) {
	t.Helper()
	out, err := g.cli(t, "", []string{"JWTGATE_SUPERUSER_PASSWORD=" + password},
		"createsuperuser", "--noinput", "--username", username, "--email", username+"@example.com")
	if err != nil {
		t.Fatalf("createsuperuser %s: %v\n%s", username, err, out)
	}
}

// login obtains a pair at the gateway and returns (access, refresh).
func (g *gateway) login(t testing.TB, username, password string) (string, string) {
	t.Helper()
	a := postForm(t, g.URL+"/userprofiles/api/token/", "username", username, "password", password)
	if a.Status != 200 {
		t.Fatalf("login %s at %s: %s", username, g.name, a)
	}
	return str(t, a, "access"), str(t, a, "refresh")
}

// concurrently runs f(i) for i in [0, n) at once (released together) and
// returns the answers in order.
func concurrently(n int, f func(i int) (answer, error)) ([]answer, []error) {
	answers, errs := make([]answer, n), make([]error, n)
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(n)
	done.Add(n)
	for i := range n {
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			answers[i], errs[i] = f(i)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	return answers, errs
}

// slowest is the longest time an answer took.
func slowest(answers []answer) time.Duration {
	var d time.Duration
	for _, a := range answers {
		d = max(d, a.Took)
	}
	return d
}

// tally counts the answers by status and body.
func tally(t testing.TB, answers []answer, errs []error) map[string]int {
	t.Helper()
	m := map[string]int{}
	for i, a := range answers {
		if errs[i] != nil {
			t.Errorf("request %d: %v", i, errs[i])
			continue
		}
		key := fmt.Sprint(a.Status)
		if a.Status != 200 && a.Status != 201 {
			key += " " + a.Body
		}
		m[key]++
	}
	return m
}
