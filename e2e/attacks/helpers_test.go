package attacks

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
)

// The messages of simplejwt's token errors, verbatim (docs/simplejwt.md);
// the whole bodies shared by every suite are in harness.
const (
	msgInvalid   = "Token is invalid or expired"
	msgWrongType = "Token has wrong type"
	msgNoType    = "Token has no type"
	msgNoID      = "Token has no id"
	msgNoExp     = "Token has no 'exp' claim"
)

// protectedBody is the 401 body of JWTAuthentication for a token that
// fails AccessToken's checks.
func protectedBody(msg string) string {
	return `{"detail":"Given token not valid for any token type","code":"token_not_valid","messages":[{"token_class":"AccessToken","token_type":"access","message":"` + msg + `"}]}`
}

// routeBody is the 401 body of the token views (InvalidToken).
func routeBody(msg string) string {
	return `{"detail":"` + msg + `","code":"token_not_valid"}`
}

// attackCaddyfile is the gateway every attack runs against: the token
// routes, a protected route proxying to an echo upstream, every token
// source enabled, and no login throttle (the body tests fail many logins).
const attackCaddyfile = `{
	admin {$JWTGATE_ADMIN}
	jwtgate {
		signing_key {env.JWT_SIGNING_KEY}
		token_cookie access
		token_query access_token
		username_header X-Username
		login_throttle off
		password_iterations 1000
	}
}
http://{$JWTGATE_ADDR} {
	jwt_endpoints /userprofiles/* {
		users on
	}
	handle /api/* {
		jwt_auth required
		reverse_proxy {$UPSTREAM_ADDR}
	}
	handle {
		header Content-Type application/json
		respond ` + "`" + `{"detail":"Not found."}` + "`" + ` 404
	}
}
`

// writeFile writes content to name in a new temporary directory and
// returns its path.
func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// attackEnv is the running gateway of the attack tests.
type attackEnv struct {
	g       *harness.Gateway
	echo    *harness.EchoUpstream
	conf    string
	pid     int
	access  string // siva's access token (user id 1)
	refresh string // siva's refresh token
}

func startAttackGateway(t *testing.T) *attackEnv {
	t.Helper()
	e := &attackEnv{echo: harness.StartEcho(t)}
	e.conf = writeFile(t, "Caddyfile", attackCaddyfile)
	e.g = harness.StartGateway(t, harness.GatewayOptions{Caddyfile: e.conf, Upstream: e.echo.Addr})
	e.pid = gatewayPID(t, e.conf)
	e.g.CreateUser(t, "siva", "siva")
	e.access, e.refresh = e.g.Login(t, "siva", "siva")
	return e
}

// protected is a URL of the protected route.
func (e *attackEnv) protected() string { return e.g.URL + "/api/thing/" }

// gatewayPID finds the `caddy run --config conf` process among this
// user's processes (the harness does not expose it).
func gatewayPID(t testing.TB, conf string) int {
	t.Helper()
	bin := filepath.Join(harness.BinDir, "caddy")
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	for _, ent := range ents {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + ent.Name() + "/cmdline")
		if err != nil {
			continue
		}
		args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
		if len(args) >= 4 && args[0] == bin && args[1] == "run" && args[2] == "--config" && args[3] == conf {
			return pid
		}
	}
	t.Fatalf("no process runs %s run --config %s", bin, conf)
	return 0
}

// rssKiB is the resident set size of a process (VmRSS), in KiB.
func rssKiB(t testing.TB, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			if err != nil {
				t.Fatalf("VmRSS %q: %v", v, err)
			}
			return n
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// openFiles counts a process's file descriptors by target path, for the
// targets that contain substr.
func openFiles(t testing.TB, pid int, substr string) map[string]int {
	t.Helper()
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, ent := range ents {
		target, err := os.Readlink(filepath.Join(dir, ent.Name()))
		if err != nil {
			continue // closed meanwhile
		}
		if strings.Contains(target, substr) {
			out[target]++
		}
	}
	return out
}

// rawResponse is what rawRequest read back.
type rawResponse struct {
	Status int
	Header http.Header
	Body   string
}

// rawRequest sends request bytes exactly as given (header names in any
// case, repeated, with underscores) on a new connection and reads one
// response.
func rawRequest(t testing.TB, addr, request string) rawResponse {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, request); err != nil {
		t.Fatalf("writing the request: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the body: %v", err)
	}
	return rawResponse{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
}

// hostPort is the host:port of a http:// URL.
func hostPort(u string) string { return strings.TrimPrefix(u, "http://") }

// --- tokens by hand ----------------------------------------------------------

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// hmacSign returns the base64url HMAC of input under key with the hash of
// an HS algorithm.
func hmacSign(alg string, key []byte, input string) string {
	var h func() hash.Hash
	switch alg {
	case "HS384":
		h = sha512.New384
	case "HS512":
		h = sha512.New
	default:
		h = sha256.New
	}
	m := hmac.New(h, key)
	m.Write([]byte(input))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// handToken builds a token from raw header and payload JSON, signed with
// HMAC-SHA256 under key. The JSON is used byte for byte, so duplicate and
// escaped names survive.
func handToken(key []byte, header, payload string) string {
	in := b64(header) + "." + b64(payload)
	return in + "." + hmacSign("HS256", key, in)
}

const stdHeader = `{"alg":"HS256","typ":"JWT"}`

// testKey is the gateway's signing key.
var testKey = []byte(harness.TestSigningKey)

// claims is an ordered list of raw JSON members, so a payload can hold
// what a map cannot (duplicates, case variants, escaped names).
type claims []string

// payload joins the members into an object.
func (c claims) payload() string { return "{" + strings.Join(c, ",") + "}" }

// std returns simplejwt's claims for user 1: token_type, exp, iat, jti
// and user_id, with exp lifetime from now.
func std(typ string, lifetime time.Duration) claims {
	now := time.Now()
	return claims{
		`"token_type":` + jsonString(typ),
		`"exp":` + strconv.FormatInt(now.Add(lifetime).Unix(), 10),
		`"iat":` + strconv.FormatInt(now.Unix(), 10),
		`"jti":` + jsonString(newJTI()),
		`"user_id":1`,
	}
}

// without drops the member named name.
func (c claims) without(name string) claims {
	var out claims
	for _, m := range c {
		if !strings.HasPrefix(m, jsonString(name)+":") {
			out = append(out, m)
		}
	}
	return out
}

// set replaces (or appends) the member named name with a raw JSON value.
func (c claims) set(name, raw string) claims {
	return append(c.without(name), jsonString(name)+":"+raw)
}

// plus appends raw members.
func (c claims) plus(members ...string) claims {
	return append(append(claims{}, c...), members...)
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

var jtiCounter int

// newJTI returns a fresh 32-hex-digit jti, so no attack token can collide
// with another's blacklist entry.
func newJTI() string {
	jtiCounter++
	return fmt.Sprintf("%016x%016x", time.Now().UnixNano(), jtiCounter)
}

// withSignature replaces a token's signature segment.
func withSignature(tok, sig string) string {
	i := strings.LastIndexByte(tok, '.')
	return tok[:i+1] + sig
}

// segments splits a token into its three segments.
func segments(tok string) (h, p, s string) {
	parts := strings.SplitN(tok, ".", 3)
	return parts[0], parts[1], parts[2]
}

// flipPadBits changes the unused low bits of the last character of a
// base64url segment whose length is not a multiple of 4: lenient decoders
// read the same bytes, a strict one refuses it.
func flipPadBits(seg string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, seg[len(seg)-1])
	// The lowest bit is unused both after 2 characters (4 unused bits)
	// and after 3 (2 unused bits).
	if len(seg)%4 != 2 && len(seg)%4 != 3 {
		panic("segment has no pad bits: length " + strconv.Itoa(len(seg)))
	}
	return seg[:len(seg)-1] + string(alphabet[last^1])
}
