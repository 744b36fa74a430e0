package e2e

import (
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
	"github.com/jwtgate/jwtgate/password"
)

// TestCLIUserCommands drives the manage.py-style commands as an operator
// would, against a running gateway on the same store.
func TestCLIUserCommands(t *testing.T) {
	g := harness.StartGateway(t, harness.GatewayOptions{})

	// createsuperuser, interactively (answers on stdin): username, email,
	// a weak password, refusing to bypass validation, then a good one.
	out := g.MustCLI(t, "admin\nadmin@example.com\n1234\n1234\nN\nS3cure-Passw0rd\nS3cure-Passw0rd\n", "createsuperuser")
	for _, want := range []string{"Username", "Email address:", "This password is too short.", "Bypass password validation", "Superuser created successfully."} {
		if !strings.Contains(out, want) {
			t.Errorf("createsuperuser output lacks %q:\n%s", want, out)
		}
	}
	if out, err := g.CLI(t, "", "createsuperuser", "--noinput", "--username", "admin"); err == nil {
		t.Errorf("createsuperuser --noinput without a password succeeded:\n%s", out)
	}
	g.CreateUser(t, "siva", "siva")
	if out, err := g.CLI(t, "", "createsuperuser", "--noinput", "--username", "siva"); err == nil || !strings.Contains(out, "JWTGATE_SUPERUSER_PASSWORD") {
		// The password check comes first, so the message names it.
		t.Errorf("createsuperuser --noinput without a password: %v\n%s", err, out)
	}

	access, _ := g.Login(t, "admin", "S3cure-Passw0rd")
	harness.Expect(t, "admin is a user", harness.Do(t, "GET", g.URL+"/userprofiles/users/", nil, harness.Bearer(access)), 200,
		`[{"id":1,"username":"admin","email":"admin@example.com"},{"id":2,"username":"siva","email":"siva@example.com"}]`)

	out = g.MustCLI(t, "", "user", "list")
	if !regexp.MustCompile(`(?m)^1\s+admin\s+admin@example\.com\s+true\s+true\s+true$`).MatchString(out) {
		t.Errorf("user list:\n%s", out)
	}
	out = g.MustCLI(t, "", "user", "show", "siva")
	if !strings.Contains(out, "hash:         pbkdf2_sha256") || !strings.Contains(out, "active:       true") {
		t.Errorf("user show:\n%s", out)
	}
	if out, err := g.CLI(t, "", "user", "show", "nobody"); err == nil || !strings.Contains(out, "user 'nobody' does not exist") {
		t.Errorf("user show nobody: %v\n%s", err, out)
	}

	// changepassword, for scripts: the new password works, the old does not.
	g.MustCLI(t, "n3w-Passw0rd-for-siva\n", "changepassword", "--password-stdin", "siva")
	r := harness.PostForm(t, g.URL+"/userprofiles/api/token/", url.Values{"username": {"siva"}, "password": {"siva"}})
	harness.Expect(t, "old password", r, 401, `{"detail":"No active account found with the given credentials"}`)
	g.Login(t, "siva", "n3w-Passw0rd-for-siva")

	// changepassword, interactively: a mismatch, a weak password (the
	// validators say why), then a good one, as Django's changepassword.
	out = g.MustCLI(t, "a-passw0rd-one\na-passw0rd-two\n12345678\n12345678\nsiva-Passw0rd-3\nsiva-Passw0rd-3\n", "changepassword", "siva")
	for _, want := range []string{"Changing password for user 'siva'", "Passwords do not match. Please try again.",
		"This password is entirely numeric.", "Password changed successfully for user 'siva'"} {
		if !strings.Contains(out, want) {
			t.Errorf("changepassword output lacks %q:\n%s", want, out)
		}
	}
	g.Login(t, "siva", "siva-Passw0rd-3")

	// Three weak passwords: refused with the reasons, never "create user
	// anyway?", and the password is unchanged; the same from a script.
	out, err := g.CLI(t, "1234\n1234\npassword\npassword\nsiva\nsiva\n", "changepassword", "siva")
	if err == nil || !strings.Contains(out, "Aborting password change for user 'siva' after 3 attempts") ||
		!strings.Contains(out, "This password is too common.") || !strings.Contains(out, "The password is too similar to the username.") ||
		strings.Contains(out, "anyway") || strings.Contains(out, "successfully") {
		t.Errorf("changepassword with weak passwords: %v\n%s", err, out)
	}
	if out, err := g.CLI(t, "1234\n", "changepassword", "--password-stdin", "siva"); err == nil || !strings.Contains(out, "This password is entirely numeric.") {
		t.Errorf("changepassword --password-stdin with a weak password: %v\n%s", err, out)
	}
	g.Login(t, "siva", "siva-Passw0rd-3")

	if out := g.MustCLI(t, "", "migrate"); !strings.Contains(out, "Tables ready in sqlite") {
		t.Errorf("migrate: %s", out)
	}
	if out := g.MustCLI(t, "", "flushexpiredtokens"); !strings.Contains(out, "Deleted 0 expired tokens") {
		t.Errorf("flushexpiredtokens: %s", out)
	}
	g.MustCLI(t, "", "user", "delete", "siva")
	r = harness.PostForm(t, g.URL+"/userprofiles/api/token/", url.Values{"username": {"siva"}, "password": {"siva-Passw0rd-3"}})
	harness.Expect(t, "deleted user", r, 401, `{"detail":"No active account found with the given credentials"}`)
}

// TestCLIKeyAndHashCommands: gen-signing-key makes keys the gateway
// accepts (an ES256 key drives a gateway whose tokens are ES256), and
// hash-django-password makes hashes Django's format accepts.
func TestCLIKeyAndHashCommands(t *testing.T) {
	caddy := filepath.Join(harness.BinDir, "caddy")
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(caddy, append([]string{"jwtgate"}, args...)...).Output()
		if err != nil {
			t.Fatalf("caddy jwtgate %s: %v", strings.Join(args, " "), err)
		}
		return strings.TrimSpace(string(out))
	}
	hs := run("gen-signing-key")
	if len(hs) < 64 || run("gen-signing-key") == hs {
		t.Errorf("gen-signing-key: %q (and a second call must differ)", hs)
	}
	es := run("gen-signing-key", "--algorithm", "ES256")
	if !strings.HasPrefix(es, "-----BEGIN PRIVATE KEY-----") {
		t.Fatalf("ES256 key: %s", es)
	}
	if out, err := exec.Command(caddy, "jwtgate", "gen-signing-key", "--algorithm", "none").CombinedOutput(); err == nil {
		t.Errorf("gen-signing-key --algorithm none succeeded: %s", out)
	}

	conf := t.TempDir() + "/Caddyfile"
	os.WriteFile(conf, []byte(`{
	admin {$JWTGATE_ADMIN}
	jwtgate {
		algorithm ES256
		signing_key {env.JWT_SIGNING_KEY}
	}
}
http://{$JWTGATE_ADDR} {
	jwt_endpoints /userprofiles/* {
		users on
	}
}
`), 0o644)
	g := harness.StartGateway(t, harness.GatewayOptions{Caddyfile: conf, Env: map[string]string{"JWT_SIGNING_KEY": es}})
	g.CreateUser(t, "siva", "siva")
	access, _ := g.Login(t, "siva", "siva")
	if !strings.HasPrefix(access, "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.") { // {"alg":"ES256","typ":"JWT"}
		t.Errorf("token header is not ES256: %s", access[:40])
	}
	harness.Expect(t, "ES256 token on users/", harness.Do(t, "GET", g.URL+"/userprofiles/users/", nil, harness.Bearer(access)), 200,
		`[{"id":1,"username":"siva","email":"siva@example.com"}]`)

	enc := run("hash-django-password", "--iterations", "1000", "--plaintext", "s3cret")
	if !regexp.MustCompile(`^pbkdf2_sha256\$1000\$[A-Za-z0-9]{22}\$[A-Za-z0-9+/]{43}=$`).MatchString(enc) {
		t.Fatalf("hash-django-password: %q", enc)
	}
	if ok, _ := password.NewSet(password.PBKDF2SHA256{Iterations: 1000}).Check("s3cret", enc); !ok {
		t.Error("the printed hash does not verify")
	}
	cmd := exec.Command(caddy, "jwtgate", "hash-django-password", "--algorithm", "bcrypt_sha256")
	cmd.Stdin = strings.NewReader("s3cret\n")
	out, err := cmd.Output()
	if err != nil || !strings.HasPrefix(string(out), "bcrypt_sha256$$2b$12$") {
		t.Errorf("bcrypt_sha256 from stdin: %v %s", err, out)
	}
}

// TestValidateHasNoSideEffects: `caddy validate` and `caddy adapt` check
// the config without opening the store, migrating it or generating a
// signing key: the data directory stays empty, with the example config
// (embedded SQLite) given a key and asked to generate one.
func TestValidateHasNoSideEffects(t *testing.T) {
	caddy := filepath.Join(harness.BinDir, "caddy")
	for name, o := range map[string]harness.GatewayOptions{
		"example":       {},
		"generated key": {Env: map[string]string{"JWT_SIGNING_KEY": ""}},
	} {
		t.Run(name, func(t *testing.T) {
			env, _, _ := harness.GatewayEnv(t, &o)
			conf := o.Caddyfile
			if conf == "" {
				conf = filepath.Join(harness.RepoRoot, "Caddyfile")
			}
			for _, args := range [][]string{
				{"validate", "--config", conf, "--adapter", "caddyfile"},
				{"adapt", "--config", conf, "--adapter", "caddyfile", "--validate"},
			} {
				cmd := exec.Command(caddy, args...)
				cmd.Env = env
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("caddy %s: %v\n%s", args[0], err, out)
				}
			}
			var left []string
			filepath.WalkDir(o.DataDir, func(p string, d os.DirEntry, err error) error {
				if p != o.DataDir && err == nil {
					left = append(left, p)
				}
				return nil
			})
			if len(left) > 0 {
				t.Errorf("caddy validate left files behind: %q", left)
			}
		})
	}
}

// jwtgateCLI runs `caddy jwtgate <args>` with env and the example
// Caddyfile, and returns its standard output and standard error apart.
func jwtgateCLI(t *testing.T, env []string, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	args = append(append([]string{"jwtgate"}, args...), "--config", filepath.Join(harness.RepoRoot, "Caddyfile"), "--adapter", "caddyfile")
	cmd := exec.Command(filepath.Join(harness.BinDir, "caddy"), args...)
	cmd.Env = env
	cmd.Dir = t.TempDir()
	cmd.Stdin = strings.NewReader(stdin)
	var o, e strings.Builder
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

// TestCLINamespace: every jwtgate command lives under `caddy jwtgate`;
// the generic top-level names Caddy's namespace had are gone.
func TestCLINamespace(t *testing.T) {
	caddy := filepath.Join(harness.BinDir, "caddy")
	subs := []string{"createsuperuser", "changepassword", "user", "migrate", "flushexpiredtokens", "gen-signing-key", "hash-django-password"}
	out, err := exec.Command(caddy, "jwtgate", "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("caddy jwtgate --help: %v\n%s", err, out)
	}
	for _, sub := range subs {
		if !regexp.MustCompile(`(?m)^  ` + sub + `\s+\S`).Match(out) {
			t.Errorf("caddy jwtgate --help does not list %s:\n%s", sub, out)
		}
	}
	out, err = exec.Command(caddy, "--help").CombinedOutput()
	if err != nil || !regexp.MustCompile(`(?m)^  jwtgate\s+\S`).Match(out) {
		t.Errorf("caddy --help does not list jwtgate: %v\n%s", err, out)
	}
	for _, sub := range subs {
		if regexp.MustCompile(`(?m)^  ` + sub + `\s`).Match(out) {
			t.Errorf("caddy --help still lists %s at the top level", sub)
		}
		if out, err := exec.Command(caddy, sub, "--help").CombinedOutput(); err == nil || !strings.Contains(string(out), `unknown command "`+sub+`"`) {
			t.Errorf("caddy %s: %v\n%s", sub, err, out)
		}
	}
}

// TestCLIRefusesNewStore: a store command run without the gateway's
// environment (here XDG_DATA_HOME unset, so Caddy's data directory is
// under HOME) names the store it would use and refuses to create it,
// leaving nothing on disk; migrate, or --create-store, creates it. No
// command prints Caddy's JSON log lines unless --verbose.
func TestCLIRefusesNewStore(t *testing.T) {
	home := t.TempDir()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "JWT_SIGNING_KEY=" + harness.TestSigningKey}
	want := filepath.Join(home, ".local", "share", "caddy", "jwtgate", "jwtgate.sqlite3")
	noLogs := func(what, out string) {
		t.Helper()
		if strings.Contains(out, `{"level":`) {
			t.Errorf("%s prints Caddy log lines without --verbose:\n%s", what, out)
		}
	}
	nothingIn := func(dir string) {
		t.Helper()
		var left []string
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				left = append(left, p)
			}
			return nil
		})
		if len(left) > 0 {
			t.Errorf("a refused command left files behind: %q", left)
		}
	}

	for _, args := range [][]string{{"user", "list"}, {"createsuperuser", "--noinput", "--username", "admin"}, {"changepassword", "--password-stdin", "admin"}, {"flushexpiredtokens"}} {
		stdout, stderr, err := jwtgateCLI(t, append(env, "JWTGATE_SUPERUSER_PASSWORD=S3cure-Passw0rd"), "S3cure-Passw0rd\n", args...)
		if err == nil || !strings.Contains(stderr, "store: sqlite "+want+"\n") ||
			!strings.Contains(stderr, "does not exist; XDG_DATA_HOME is not set here") || !strings.Contains(stderr, "caddy jwtgate migrate") {
			t.Errorf("caddy jwtgate %s on a store that does not exist: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, stdout, stderr)
		}
		noLogs(args[0], stdout+stderr)
	}
	nothingIn(home)

	// An existing file without the tables (made by hand, or by an old
	// `caddy validate`) is refused too.
	empty := filepath.Join(t.TempDir(), "empty.sqlite3")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := jwtgateCLI(t, append(env, "JWTGATE_DB_PATH="+empty), "", "user", "list"); err == nil || !strings.Contains(stderr, "no such table") {
		t.Errorf("user list on an empty file: %v\n%s", err, stderr)
	}

	// --create-store asks for a new store; so does migrate.
	created := filepath.Join(t.TempDir(), "new", "jwtgate.sqlite3")
	stdout, stderr, err := jwtgateCLI(t, append(env, "JWTGATE_DB_PATH="+created, "JWTGATE_SUPERUSER_PASSWORD=S3cure-Passw0rd"), "",
		"createsuperuser", "--noinput", "--username", "admin", "--create-store")
	if err != nil || !strings.Contains(stdout, "Superuser created successfully.") || !strings.Contains(stderr, "store: sqlite "+created+"\n") {
		t.Errorf("createsuperuser --create-store: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	noLogs("createsuperuser", stdout+stderr)
	if stdout, stderr, err := jwtgateCLI(t, append(env, "JWTGATE_DB_PATH="+created), "", "user", "list"); err != nil || !strings.Contains(stdout, "admin") {
		t.Errorf("user list after --create-store: %v\n%s%s", err, stdout, stderr)
	}
	stdout, stderr, err = jwtgateCLI(t, env, "", "migrate")
	if err != nil || !strings.Contains(stdout, "Tables ready in sqlite "+want) {
		t.Errorf("migrate: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	noLogs("migrate", stdout+stderr)
	if _, err := os.Stat(want); err != nil {
		t.Errorf("migrate made no store: %v", err)
	}

	// --verbose brings Caddy's log lines back.
	if _, stderr, err := jwtgateCLI(t, env, "", "user", "list", "--verbose"); err != nil || !strings.Contains(stderr, `{"level":"info"`) {
		t.Errorf("user list --verbose: %v\n%s", err, stderr)
	}
}
