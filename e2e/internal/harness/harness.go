// Package harness runs the real binaries for the end-to-end suites: the
// custom Caddy built from cmd/caddy with the repository's example
// Caddyfile (or another), and the movie API built from upstream-example,
// on loopback ports, driven over HTTP. Every process a test starts is
// stopped by PID when the test ends.
package harness

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/internal/testenv"
)

var (
	// BinDir is where Main built the binaries: caddy and upstream.
	BinDir string
	// RepoRoot is the repository's top directory.
	RepoRoot string
)

// Main builds the binaries, runs the tests and removes the binaries. Call
// it from TestMain: os.Exit(harness.Main(m)).
func Main(m *testing.M) int {
	_, file, _, _ := runtime.Caller(0)
	RepoRoot = filepath.Join(filepath.Dir(file), "..", "..", "..")
	dir, err := os.MkdirTemp("", "jwtgate-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	BinDir = dir
	for _, b := range []struct{ out, pkg string }{{"caddy", "./cmd/caddy"}, {"upstream", "./upstream-example"}} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, b.out), b.pkg)
		cmd.Dir = RepoRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n%s", b.pkg, err, out)
			return 1
		}
	}
	return m.Run()
}

// SyncBuffer collects a child process's output while the test reads it.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Proc is a process a test started; it is stopped by PID at cleanup.
type Proc struct {
	cmd  *exec.Cmd
	out  SyncBuffer
	Done chan struct{} // closed when the process has exited
	Err  error         // its exit status, once Done is closed
}

// Output returns what the process printed so far.
func (p *Proc) Output() string { return p.out.String() }

// StartProc starts a process with env in a fresh working directory and
// stops it when the test ends, printing its output if the test failed.
func StartProc(t testing.TB, env []string, name string, args ...string) *Proc {
	t.Helper()
	p := &Proc{cmd: exec.Command(name, args...), Done: make(chan struct{})}
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	p.cmd.Dir = t.TempDir()
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() {
		p.Err = p.cmd.Wait()
		close(p.Done)
	}()
	t.Cleanup(func() {
		p.Stop(t)
		if t.Failed() {
			t.Logf("output of %s:\n%s", filepath.Base(name), Tail(p.Output(), 4000))
		}
	})
	return p
}

// Stop sends SIGINT and waits (bounded), then kills.
func (p *Proc) Stop(t testing.TB) {
	select {
	case <-p.Done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.Done:
	case <-time.After(10 * time.Second):
		t.Errorf("%s did not stop within 10s of SIGINT; killing it", p.cmd.Path)
		_ = p.cmd.Process.Kill()
		<-p.Done
	}
}

// Tail returns the last n bytes of s.
func Tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// Gateway is a running jwtgate: the built Caddy with a Caddyfile.
type Gateway struct {
	URL   string // http://127.0.0.1:port
	Admin string // http://127.0.0.1:port of Caddy's admin endpoint
	Env   []string
	Proc  *Proc
	conf  string
}

// GatewayOptions tune StartGateway.
type GatewayOptions struct {
	// Caddyfile to run; default the repository's example.
	Caddyfile string
	// Upstream address (UPSTREAM_ADDR).
	Upstream string
	// DataDir is XDG_DATA_HOME (Caddy's data directory lives below it);
	// default a new temporary directory. Reuse it to restart a gateway
	// on the same store.
	DataDir string
	// Env adds or overrides environment variables.
	Env map[string]string
}

// TestSigningKey is the signing key the tests give the gateway, unless
// they test key handling itself.
const TestSigningKey = "e2e-signing-key-0123456789abcdef0123456789abcdef"

// GatewayEnv returns the environment a gateway runs with (free listen and
// admin addresses, a temporary data directory, the test signing key) and
// the two addresses.
func GatewayEnv(t testing.TB, o *GatewayOptions) (env []string, addr, admin string) {
	if o.DataDir == "" {
		o.DataDir = t.TempDir()
	}
	addr, admin = testenv.FreeAddr(t), testenv.FreeAddr(t)
	vars := map[string]string{
		"PATH":            os.Getenv("PATH"),
		"HOME":            o.DataDir,
		"XDG_DATA_HOME":   o.DataDir,
		"XDG_CONFIG_HOME": o.DataDir,
		"JWTGATE_ADDR":    addr, // tests' own Caddyfiles
		"JWTGATE_BIND":    "127.0.0.1",
		"JWTGATE_PORT":    addr[strings.LastIndexByte(addr, ':')+1:],
		"JWTGATE_ADMIN":   admin,
		"UPSTREAM_ADDR":   o.Upstream,
		"JWT_SIGNING_KEY": TestSigningKey,
	}
	if o.Upstream == "" {
		vars["UPSTREAM_ADDR"] = testenv.FreeAddr(t) // nothing listens: 502 if reached
	}
	for k, v := range o.Env {
		vars[k] = v
	}
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	return env, addr, admin
}

// ExampleCaddyfile writes the example Caddyfile with lines added to its
// jwtgate block, right after the blacklist_after_rotation line, and
// returns the file's path; everything else is the example, byte for byte.
func ExampleCaddyfile(t testing.TB, lines ...string) string {
	t.Helper()
	example, err := os.ReadFile(filepath.Join(RepoRoot, "Caddyfile"))
	if err != nil {
		t.Fatal(err)
	}
	const anchor = "blacklist_after_rotation {$BLACKLIST_AFTER_ROTATION:false}\n"
	if strings.Count(string(example), anchor) != 1 {
		t.Fatalf("the example Caddyfile has no single line %q to add settings after", strings.TrimSpace(anchor))
	}
	var add strings.Builder
	for _, l := range lines {
		add.WriteString("\t\t" + l + "\n")
	}
	p := filepath.Join(t.TempDir(), "Caddyfile")
	if err := os.WriteFile(p, []byte(strings.Replace(string(example), anchor, anchor+add.String(), 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// StartGateway starts the gateway and waits until it answers.
func StartGateway(t testing.TB, o GatewayOptions) *Gateway {
	t.Helper()
	env, addr, admin := GatewayEnv(t, &o)
	conf := o.Caddyfile
	if conf == "" {
		conf = filepath.Join(RepoRoot, "Caddyfile")
	}
	g := &Gateway{URL: "http://" + addr, Admin: "http://" + admin, Env: env, conf: conf}
	g.Proc = StartProc(t, env, filepath.Join(BinDir, "caddy"), "run", "--config", conf, "--adapter", "caddyfile")
	WaitReady(t, g.Proc, g.Admin+"/config/")
	return g
}

// WaitReady polls url until it answers 200 (bounded: 15 s).
func WaitReady(t testing.TB, p *Proc, url string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.Done:
			t.Fatalf("process exited before it was ready (%v):\n%s", p.Err, Tail(p.Output(), 4000))
		default:
		}
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s not ready within 15s:\n%s", url, Tail(p.Output(), 4000))
}

// CLI runs `caddy jwtgate <args>` against the gateway's config and store
// and returns its standard output and error, combined.
func (g *Gateway) CLI(t testing.TB, stdin string, args ...string) (string, error) {
	t.Helper()
	full := append(append([]string{"jwtgate"}, args...), "--config", g.conf, "--adapter", "caddyfile")
	cmd := exec.Command(filepath.Join(BinDir, "caddy"), full...)
	cmd.Env = g.Env
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// MustCLI is CLI that fails the test on error.
func (g *Gateway) MustCLI(t testing.TB, stdin string, args ...string) string {
	t.Helper()
	out, err := g.CLI(t, stdin, args...)
	if err != nil {
		t.Fatalf("caddy jwtgate %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// CreateUser makes a superuser with the CLI, as an operator would.
func (g *Gateway) CreateUser(t testing.TB, username, password string) {
	t.Helper()
	g.createUser(t, []string{"--config", g.conf, "--adapter", "caddyfile"}, username, password)
}

// CreateUserWithConfig is CreateUser for a gateway run from another
// config file (a JSON config, say).
func (g *Gateway) CreateUserWithConfig(t testing.TB, config, username, password string) {
	t.Helper()
	g.createUser(t, []string{"--config", config}, username, password)
}

func (g *Gateway) createUser(t testing.TB, configArgs []string, username, password string) {
	t.Helper()
	args := append([]string{"jwtgate", "createsuperuser", "--noinput", "--username", username, "--email", username + "@example.com"}, configArgs...)
	cmd := exec.Command(filepath.Join(BinDir, "caddy"), args...)
	cmd.Env = append(append([]string{}, g.Env...), "JWTGATE_SUPERUSER_PASSWORD="+password)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("createsuperuser: %v\n%s", err, out)
	}
}

// StartUpstream starts the movie API binary on a free port with its own
// database.
func StartUpstream(t testing.TB) string {
	t.Helper()
	addr := testenv.FreeAddr(t)
	dir := t.TempDir()
	env := []string{"PATH=" + os.Getenv("PATH"), "UPSTREAM_ADDR=" + addr, "UPSTREAM_DB=" + filepath.Join(dir, "upstream.sqlite3")}
	p := StartProc(t, env, filepath.Join(BinDir, "upstream"))
	WaitReady(t, p, "http://"+addr+"/healthz")
	return addr
}

// EchoUpstream is an upstream that records each request it receives:
// method, request URI, headers, body (up to 1 MiB) and trailers.
type EchoUpstream struct {
	Addr string
	mu   sync.Mutex
	seen []Received
}

// Received is one request as an EchoUpstream received it.
type Received struct {
	Method     string
	RequestURI string
	Header     http.Header
	// Trailer holds the trailers that arrived after the body, announced
	// or not.
	Trailer http.Header
	Body    string
}

// StartEcho starts an EchoUpstream on a loopback port.
func StartEcho(t testing.TB) *EchoUpstream {
	t.Helper()
	e := &EchoUpstream{}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.Addr = l.Addr().String()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Reading the body to its end is what fills in r.Trailer.
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		e.mu.Lock()
		e.seen = append(e.seen, Received{Method: r.Method, RequestURI: r.RequestURI, Header: r.Header.Clone(),
			Trailer: r.Trailer.Clone(), Body: string(body)})
		e.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"upstream":"ok"}`)
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return e
}

// Requests returns how many requests the upstream received.
func (e *EchoUpstream) Requests() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.seen)
}

// Last returns the headers of the last request.
func (e *EchoUpstream) Last(t testing.TB) http.Header {
	t.Helper()
	return e.LastRequest(t).Header
}

// LastRequest returns the last request.
func (e *EchoUpstream) LastRequest(t testing.TB) Received {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.seen) == 0 {
		t.Fatal("the upstream received no request")
	}
	return e.seen[len(e.seen)-1]
}

// Response is what a request got back.
type Response struct {
	Status int
	Header http.Header
	Body   string
}

// JSON decodes the body into a map.
func (r Response) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, r.Body)
	}
	return m
}

// Str returns a string member of the JSON body.
func (r Response) Str(t testing.TB, key string) string {
	t.Helper()
	s, ok := r.JSON(t)[key].(string)
	if !ok {
		t.Fatalf("body has no string %q: %s", key, r.Body)
	}
	return s
}

var client = &http.Client{
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// Do sends a request; headers are "Name: value" strings.
func Do(t testing.TB, method, url string, body io.Reader, headers ...string) Response {
	t.Helper()
	r, err := DoWith(client, method, url, body, headers...)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return r
}

// PostForm sends an urlencoded body, as the seed's clients do.
func PostForm(t testing.TB, url string, form url.Values, headers ...string) Response {
	t.Helper()
	return Do(t, http.MethodPost, url, strings.NewReader(form.Encode()),
		append([]string{"Content-Type: application/x-www-form-urlencoded"}, headers...)...)
}

// PostJSON sends a JSON body.
func PostJSON(t testing.TB, url, body string, headers ...string) Response {
	t.Helper()
	return Do(t, http.MethodPost, url, strings.NewReader(body), append([]string{"Content-Type: application/json"}, headers...)...)
}

// Expect fails unless the response has this status and exactly this body.
func Expect(t testing.TB, what string, r Response, status int, body string) {
	t.Helper()
	if r.Status != status || r.Body != body {
		t.Errorf("%s: got %d %s\nwant %d %s", what, r.Status, r.Body, status, body)
	}
}

// Login obtains a pair and returns (access, refresh).
func (g *Gateway) Login(t testing.TB, username, password string) (string, string) {
	t.Helper()
	r := PostForm(t, g.URL+"/userprofiles/api/token/", url.Values{"username": {username}, "password": {password}})
	if r.Status != http.StatusOK {
		t.Fatalf("login %s: %d %s", username, r.Status, r.Body)
	}
	return r.Str(t, "access"), r.Str(t, "refresh")
}

// Bearer is the Authorization header line for a token.
func Bearer(tok string) string { return "Authorization: Bearer " + tok }

// ClientFrom returns an HTTP client whose connections come from the local
// address ip (127.0.0.x works without setup: the loopback network is a
// /8), so a test can play several clients on one machine. Each client
// keeps up to conns connections.
func ClientFrom(ip string, conns int) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}
	return &http.Client{
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: conns,
			MaxConnsPerHost: conns},
	}
}

// DoWith is Do with a given client; it returns the error instead of
// failing the test, for load loops that run beside the test.
func DoWith(c *http.Client, method, url string, body io.Reader, headers ...string) (Response, error) {
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		return Response{}, err
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		if k, v = strings.TrimSpace(k), strings.TrimSpace(v); strings.EqualFold(k, "Host") {
			req.Host = v // net/http sends req.Host, not a Host header
			continue
		}
		req.Header.Add(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return Response{}, err
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}, nil
}
