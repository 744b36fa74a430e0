package token

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestNewPairMatchesSimplejwt: with simplejwt's clock and token ids, our
// pair is byte for byte the pair simplejwt made (testdata/vectors.json).
func TestNewPairMatchesSimplejwt(t *testing.T) {
	v := loadVectors(t)
	if v.Secret != testSecret || int64(v.Now) != nowSec {
		t.Fatal("vectors.json was made with another secret or clock")
	}
	c := mustNew(t, testConfig())

	withJTIs(t, v.PairInt.JTIs...)
	r, a, err := c.NewPair(v.PairInt.UserID, testNow)
	if err != nil {
		t.Fatal(err)
	}
	const wantRefresh = `{"token_type":"refresh","exp":1795425534,"iat":1795339134,"jti":"5f70834db38840a18146d61d9bcc31df","user_id":1}`
	if got := payloadOf(t, r.Token); got != wantRefresh {
		t.Errorf("refresh payload\n got %s\nwant %s", got, wantRefresh)
	}
	if r.Token != v.PairInt.Refresh {
		t.Errorf("refresh token differs from simplejwt's\n got %s\nwant %s", r.Token, v.PairInt.Refresh)
	}
	if a.Token != v.PairInt.Access {
		t.Errorf("access token differs from simplejwt's\n got %s\nwant %s", a.Token, v.PairInt.Access)
	}
	if !strings.HasPrefix(r.Token, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.") {
		t.Errorf("header segment %s", r.Token[:36])
	}
	if r.JTI != v.PairInt.JTIs[0] || a.JTI != v.PairInt.JTIs[1] {
		t.Errorf("JTIs %q %q", r.JTI, a.JTI)
	}
	if !r.IssuedAt.Equal(testNow) || !a.IssuedAt.Equal(testNow) {
		t.Errorf("IssuedAt %v %v, want the full-precision now", r.IssuedAt, a.IssuedAt)
	}
	if r.ExpiresAt.Unix() != nowSec+86400 || a.ExpiresAt.Unix() != nowSec+300 || r.ExpiresAt.Nanosecond() != 0 {
		t.Errorf("ExpiresAt %v %v", r.ExpiresAt, a.ExpiresAt)
	}

	// A string user id, escaped as Python's json.dumps escapes it.
	withJTIs(t, v.PairStr.JTIs...)
	r, a, err = c.NewPair(v.PairStr.UserID, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if r.Token != v.PairStr.Refresh || a.Token != v.PairStr.Access {
		t.Errorf("string user id pair differs from simplejwt's\n got %s\nwant %s", payloadOf(t, r.Token), payloadOf(t, v.PairStr.Refresh))
	}
}

func TestNewPairShape(t *testing.T) {
	cfg := testConfig()
	cfg.Audience = "api"
	cfg.Issuer = "https://issuer.example"
	c := mustNew(t, cfg)
	r, a, err := c.NewPair(int(42), testNow)
	if err != nil {
		t.Fatal(err)
	}
	uuidHex := regexp.MustCompile(`^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$`)
	if !uuidHex.MatchString(r.JTI) || !uuidHex.MatchString(a.JTI) || r.JTI == a.JTI {
		t.Errorf("jti values %q %q are not distinct uuid4 hex", r.JTI, a.JTI)
	}
	wantR := `{"token_type":"refresh","exp":1795425534,"iat":1795339134,"jti":"` + r.JTI + `","user_id":42,"aud":"api","iss":"https://issuer.example"}`
	wantA := `{"token_type":"access","exp":1795339434,"iat":1795339134,"jti":"` + a.JTI + `","user_id":42,"aud":"api","iss":"https://issuer.example"}`
	if got := payloadOf(t, r.Token); got != wantR {
		t.Errorf("refresh\n got %s\nwant %s", got, wantR)
	}
	if got := payloadOf(t, a.Token); got != wantA {
		t.Errorf("access\n got %s\nwant %s", got, wantA)
	}
	for _, tok := range []string{r.Token, a.Token} {
		if _, err := c.Decode(tok, testNow); err != nil {
			t.Errorf("own token: %v", err)
		}
	}

	// Claim names follow the configuration; disabled claims are omitted.
	cfg = testConfig()
	cfg.TokenTypeClaim = ""
	cfg.JTIClaim = ""
	cfg.UserIDClaim = "sub"
	c = mustNew(t, cfg)
	r, _, err = c.NewPair(int64(-7), testNow)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := payloadOf(t, r.Token), `{"exp":1795425534,"iat":1795339134,"sub":-7}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if r.JTI != "" {
		t.Errorf("JTI %q with the jti claim disabled", r.JTI)
	}
	// exp is computed from the full-precision time, as simplejwt does.
	cfg = testConfig()
	cfg.AccessLifetime = 1500 * time.Millisecond
	c = mustNew(t, cfg)
	_, a, err = c.NewPair(int64(1), time.Unix(nowSec, 600_000_000))
	if err != nil {
		t.Fatal(err)
	}
	if a.ExpiresAt.Unix() != nowSec+2 {
		t.Errorf("exp = now+%d, want now+2 (floor(now.6 + 1.5))", a.ExpiresAt.Unix()-nowSec)
	}
}

func TestNewPairRefusesOtherUserIDTypes(t *testing.T) {
	c := mustNew(t, testConfig())
	for _, id := range []any{nil, 1.5, int32(1), uint64(1), []byte("1"), true, struct{}{}} {
		if _, _, err := c.NewPair(id, testNow); err == nil {
			t.Errorf("NewPair(%T) succeeded", id)
		}
	}
}

func TestAppendJSONString(t *testing.T) {
	cases := map[string]string{
		"":             `""`,
		"plain":        `"plain"`,
		`q"b\`:         `"q\"b\\"`,
		"\n\r\t\b\f":   `"\n\r\t\b\f"`,
		"\x00\x1f\x7f": `"\u0000\u001f\u007f"`,
		"é€😀":          `"\u00e9\u20ac\ud83d\ude00"`,
		"</script>&":   `"</script>&"`,
		"bad\xffutf8":  `"bad\ufffdutf8"`,
		"\u2028\u2029": `"\u2028\u2029"`,
	}
	for in, want := range cases {
		got := string(appendJSONString(nil, in))
		if got != want {
			t.Errorf("appendJSONString(%q) = %s, want %s", in, got, want)
		}
		var back string
		if err := json.Unmarshal([]byte(got), &back); err != nil || back != strings.ToValidUTF8(in, "\ufffd") {
			t.Errorf("%s does not decode back to %q: %q %v", got, in, back, err)
		}
	}
}

// decodeAt decodes a token and fails the test on error.
func decodeAt(t *testing.T, c *Codec, tok string, now time.Time) *Claims {
	t.Helper()
	cl, err := c.Decode(tok, now)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return cl
}

func TestAccessForAndRotate(t *testing.T) {
	v := loadVectors(t)
	c := mustNew(t, testConfig())
	later := testNow.Add(100 * time.Second)
	refresh := decodeAt(t, c, v.CustomRefresh, later)
	if err := c.Check(refresh, Refresh); err != nil {
		t.Fatal(err)
	}

	withJTIs(t, "aaaaaaaaaaaa4aaa8aaaaaaaaaaaaaaa", "bbbbbbbbbbbb4bbb8bbbbbbbbbbbbbbb")
	a, err := c.AccessFor(refresh, later)
	if err != nil {
		t.Fatal(err)
	}
	// Type, exp, iat and jti are new (iat = now, unlike simplejwt 5.2.2);
	// every other claim is copied in order, byte for byte.
	wantA := `{"token_type":"access","exp":1795339534,"iat":1795339234,"jti":"aaaaaaaaaaaa4aaa8aaaaaaaaaaaaaaa","user_id":42,"role":"admin","perms":[1,"two",{"x":null}]}`
	if got := payloadOf(t, a.Token); got != wantA {
		t.Errorf("AccessFor\n got %s\nwant %s", got, wantA)
	}
	if a.JTI != "aaaaaaaaaaaa4aaa8aaaaaaaaaaaaaaa" || a.ExpiresAt.Unix() != 1795339534 || !a.IssuedAt.Equal(later) {
		t.Errorf("Issued = %+v", a)
	}
	acl := decodeAt(t, c, a.Token, later)
	if err := c.Check(acl, Access); err != nil {
		t.Errorf("minted access token: %v", err)
	}

	r, err := c.Rotate(refresh, later)
	if err != nil {
		t.Fatal(err)
	}
	// Same claims, same order; jti, exp and iat replaced in place.
	wantR := `{"token_type":"refresh","exp":1795425634,"iat":1795339234,"jti":"bbbbbbbbbbbb4bbb8bbbbbbbbbbbbbbb","user_id":42,"role":"admin","perms":[1,"two",{"x":null}]}`
	if got := payloadOf(t, r.Token); got != wantR {
		t.Errorf("Rotate\n got %s\nwant %s", got, wantR)
	}
	if r.JTI != "bbbbbbbbbbbb4bbb8bbbbbbbbbbbbbbb" || r.ExpiresAt.Unix() != 1795425634 {
		t.Errorf("Issued = %+v", r)
	}
	if err := c.Check(decodeAt(t, c, r.Token, later), Refresh); err != nil {
		t.Errorf("rotated token: %v", err)
	}
}

// TestRotateMatchesSimplejwt: rotation is simplejwt's set_jti, set_exp,
// set_iat on the decoded payload, so with the same clock and jti the
// result is byte for byte simplejwt's.
func TestRotateMatchesSimplejwt(t *testing.T) {
	v := loadVectors(t)
	c := mustNew(t, testConfig())
	later := testNow.Add(100 * time.Second)
	withJTIs(t, "3f4a5b6c7d8e4f9a8b1c2d3e4f5a6b7c")
	r, err := c.Rotate(decodeAt(t, c, v.PairInt.Refresh, later), later)
	if err != nil {
		t.Fatal(err)
	}
	if r.Token != v.RotatedRefresh {
		t.Errorf("rotated\n got %s\nwant %s", payloadOf(t, r.Token), payloadOf(t, v.RotatedRefresh))
	}
}

func TestAccessForRotateWithAudIssAndOddClaims(t *testing.T) {
	cfg := testConfig()
	cfg.Audience = "api"
	cfg.Issuer = "iss-1"
	c := mustNew(t, cfg)
	// A refresh token from elsewhere: aud/iss in the middle, an escaped
	// name, a custom jti-like claim, no iat, and aud as an array.
	in := `{"token_type":"refresh","aud":["x","api"],"exp":1795425534,"iss":"iss-1","jti":"r1","user_id":"u","n\u00e4me":1.50,"tags":[ 1 , 2 ]}`
	refresh := decodeAt(t, c, hs256(stdHeader, in), testNow)

	withJTIs(t, "a1", "r2")
	a, err := c.AccessFor(refresh, testNow)
	if err != nil {
		t.Fatal(err)
	}
	wantA := `{"token_type":"access","exp":1795339434,"iat":1795339134,"jti":"a1","aud":"api","iss":"iss-1","user_id":"u","n\u00e4me":1.50,"tags":[ 1 , 2 ]}`
	if got := payloadOf(t, a.Token); got != wantA {
		t.Errorf("AccessFor\n got %s\nwant %s", got, wantA)
	}
	r, err := c.Rotate(refresh, testNow)
	if err != nil {
		t.Fatal(err)
	}
	// iat was absent, so it is appended (after jti and exp, which exist).
	wantR := `{"token_type":"refresh","aud":"api","exp":1795425534,"iss":"iss-1","jti":"r2","user_id":"u","n\u00e4me":1.50,"tags":[ 1 , 2 ],"iat":1795339134}`
	if got := payloadOf(t, r.Token); got != wantR {
		t.Errorf("Rotate\n got %s\nwant %s", got, wantR)
	}

	// Without jti or iat, Rotate appends them in simplejwt's order: jti,
	// (exp,) iat.
	bare := decodeAt(t, c, hs256(stdHeader, `{"user_id":1,"exp":1795425534,"aud":"api","iss":"iss-1"}`), testNow)
	withJTIs(t, "r3")
	r, err = c.Rotate(bare, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := payloadOf(t, r.Token), `{"user_id":1,"exp":1795425534,"aud":"api","iss":"iss-1","jti":"r3","iat":1795339134}`; got != want {
		t.Errorf("Rotate of a bare token\n got %s\nwant %s", got, want)
	}

	if _, err := c.AccessFor(nil, testNow); err == nil {
		t.Error("AccessFor(nil) succeeded")
	}
	if _, err := c.Rotate(nil, testNow); err == nil {
		t.Error("Rotate(nil) succeeded")
	}
}

// TestAccessForSkipsBothJTINames: like simplejwt's no_copy_claims, both
// the configured jti claim and a literal "jti" are left behind.
func TestAccessForSkipsBothJTINames(t *testing.T) {
	cfg := testConfig()
	cfg.JTIClaim = "id"
	cfg.TokenTypeClaim = "kind"
	c := mustNew(t, cfg)
	refresh := decodeAt(t, c, hs256(stdHeader, `{"kind":"refresh","exp":1795425534,"iat":1795339000,"id":"r","jti":"other","token_type":"x","user_id":1}`), testNow)
	withJTIs(t, "new")
	a, err := c.AccessFor(refresh, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := payloadOf(t, a.Token), `{"kind":"access","exp":1795339434,"iat":1795339134,"id":"new","token_type":"x","user_id":1}`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
