package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"hash"
	"os"
	"strings"
	"testing"
	"time"
)

// testSecret is the 50-character secret of testdata/vectors.json.
const testSecret = "jwtgate-interop-test-secret-0123456789abcdefghijkl"

// testSecret64 is a 64-byte secret, long enough for HS512.
const testSecret64 = "jwtgate-hs512-test-secret-0123456789abcdefghijklmnopqrstuvwxyzAB"

// nowSec is the clock of the recorded pair (docs/simplejwt.md, "Recorded clock").
const nowSec = 1795339134

// testNow is nowSec plus a fraction, which every check must ignore.
var testNow = time.Unix(nowSec, 250_000_000)

func testConfig() Config {
	cfg := DefaultConfig()
	cfg.SigningKey = []byte(testSecret)
	return cfg
}

func mustNew(t testing.TB, cfg Config) *Codec {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// hmacToken builds a token from a raw header and payload, signed with an
// HMAC of the given hash over key; tests use it to craft hostile tokens.
func hmacToken(h func() hash.Hash, key []byte, header, payload string) string {
	in := b64(header) + "." + b64(payload)
	m := hmac.New(h, key)
	m.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// hs256 signs header and payload with the test secret.
func hs256(header, payload string) string {
	return hmacToken(sha256.New, []byte(testSecret), header, payload)
}

const stdHeader = `{"alg":"HS256","typ":"JWT"}`

// accessPayload is a valid access payload at testNow.
const accessPayload = `{"token_type":"access","exp":1795339434,"iat":1795339134,"jti":"9245bf0febe94952806e138e078df76e","user_id":1}`

// reasonOf returns the Reason of a rejection, failing the test if err is
// not an *Error that matches ErrInvalid.
func reasonOf(t *testing.T, err error) string {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *token.Error", err, err)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("error %q does not match ErrInvalid", err)
	}
	return e.Reason
}

// vectors is testdata/vectors.json, made by testdata/gen_vectors.py with
// simplejwt 5.2.2 and PyJWT 2.6.
type vectors struct {
	Secret  string  `json:"secret"`
	Now     float64 `json:"now"`
	PairInt struct {
		UserID  int64    `json:"user_id"`
		JTIs    []string `json:"jtis"`
		Refresh string   `json:"refresh"`
		Access  string   `json:"access"`
	} `json:"pair_int"`
	PairStr struct {
		UserID  string   `json:"user_id"`
		JTIs    []string `json:"jtis"`
		Refresh string   `json:"refresh"`
		Access  string   `json:"access"`
	} `json:"pair_str"`
	RefreshedAccess string `json:"refreshed_access"`
	RotatedRefresh  string `json:"rotated_refresh"`
	CustomRefresh   string `json:"custom_refresh"`
	AudIss          struct {
		Audience string `json:"audience"`
		Issuer   string `json:"issuer"`
		Refresh  string `json:"refresh"`
	} `json:"aud_iss"`
	Payload    map[string]any `json:"payload"`
	HS384      string         `json:"hs384"`
	HS512      string         `json:"hs512"`
	None       string         `json:"none"`
	Asymmetric map[string]struct {
		Private string `json:"private"`
		Public  string `json:"public"`
		Token   string `json:"token"`
	} `json:"asymmetric"`
}

func loadVectors(t testing.TB) *vectors {
	t.Helper()
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return &v
}

// payloadOf returns the decoded payload segment of a token, unverified.
func payloadOf(t testing.TB, tok string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d segments", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// withJTIs makes newJTI return ids in order for the rest of the test.
//
// It also turns off session inheritance (every jti is one of ids as
// given), so that tokens compare byte for byte with simplejwt's;
// TestSessionJTI covers inheritance.
func withJTIs(t testing.TB, ids ...string) {
	t.Helper()
	old, oldSession := newJTI, sessionJTI
	t.Cleanup(func() { newJTI, sessionJTI = old, oldSession })
	sessionJTI = func(string) string { return newJTI() }
	newJTI = func() string {
		if len(ids) == 0 {
			t.Fatal("newJTI called more often than expected")
			return ""
		}
		id := ids[0]
		ids = ids[1:]
		return id
	}
}
