package token

import (
	"strings"
	"testing"
)

// TestRevokeClaim: with RevokeClaim (CHECK_REVOKE_TOKEN), NewPair writes
// the claim where simplejwt 5.3+'s for_user puts it (after the user id,
// before aud and iss, in both tokens), refresh and rotation copy it, and
// VerifyAccess hands its decoded value over.
func TestRevokeClaim(t *testing.T) {
	const hash = "0CC175B9C0F1B6A831C399E269772661"
	cfg := testConfig()
	cfg.RevokeClaim = "hash_password"
	cfg.Audience = "api"
	c := mustNew(t, cfg)
	withJTIs(t, "r1", "a1", "a2", "r2")
	r, a, err := c.NewPair(int64(1), testNow, hash)
	if err != nil {
		t.Fatal(err)
	}
	wantR := `{"token_type":"refresh","exp":1795425534,"iat":1795339134,"jti":"r1","user_id":1,"hash_password":"` + hash + `","aud":"api"}`
	wantA := `{"token_type":"access","exp":1795339434,"iat":1795339134,"jti":"a1","user_id":1,"hash_password":"` + hash + `","aud":"api"}`
	if got := payloadOf(t, r.Token); got != wantR {
		t.Errorf("refresh payload\n got %s\nwant %s", got, wantR)
	}
	if got := payloadOf(t, a.Token); got != wantA {
		t.Errorf("access payload\n got %s\nwant %s", got, wantA)
	}
	var ac AccessClaims
	if err := c.VerifyAccess(a.Token, testNow, &ac); err != nil || string(ac.Revoke) != hash {
		t.Errorf("VerifyAccess: Revoke %q, %v", ac.Revoke, err)
	}
	cl, err := c.Decode(r.Token, testNow)
	if err != nil {
		t.Fatal(err)
	}
	a2, err := c.AccessFor(cl, testNow)
	if err != nil || !strings.Contains(payloadOf(t, a2.Token), `"user_id":1,"hash_password":"`+hash+`"`) {
		t.Errorf("AccessFor does not copy the claim: %s, %v", payloadOf(t, a2.Token), err)
	}
	r2, err := c.Rotate(cl, testNow)
	if err != nil || !strings.Contains(payloadOf(t, r2.Token), `"hash_password":"`+hash+`"`) {
		t.Errorf("Rotate does not keep the claim: %s, %v", payloadOf(t, r2.Token), err)
	}

	// Escapes decode; a claim that is not a string, or absent, is nil.
	noAud := cfg
	noAud.Audience = ""
	noAudC := mustNew(t, noAud)
	for payload, want := range map[string]string{
		`{"token_type":"access","exp":1795339434,"jti":"x","hash_password":"\u0030CC"}`: "0CC",
		`{"token_type":"access","exp":1795339434,"jti":"x","hash_password":123}`:        "",
		`{"token_type":"access","exp":1795339434,"jti":"x","hash_password":null}`:       "",
		`{"token_type":"access","exp":1795339434,"jti":"x"}`:                            "",
	} {
		if err := noAudC.VerifyAccess(hs256(stdHeader, payload), testNow, &ac); err != nil {
			t.Fatal(err)
		}
		if string(ac.Revoke) != want || (want == "") != (ac.Revoke == nil) {
			t.Errorf("%s: Revoke %q, want %q", payload, ac.Revoke, want)
		}
	}

	// The value is required with the claim, refused without it.
	if _, _, err := c.NewPair(int64(1), testNow); err == nil {
		t.Error("NewPair without the revoke value succeeded")
	}
	if _, _, err := mustNew(t, testConfig()).NewPair(int64(1), testNow, hash); err == nil {
		t.Error("NewPair with a revoke value but no RevokeClaim succeeded")
	}
	cfg.RevokeClaim = "user_id"
	if _, err := New(cfg); err == nil {
		t.Error("a revoke claim named like the user id claim was accepted")
	}
}

// TestVerifyAccessRevokeAllocs: extracting the revoke claim keeps the
// Bearer check free of allocations.
func TestVerifyAccessRevokeAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("-race: sync.Pool drops items on purpose")
	}
	cfg := testConfig()
	cfg.RevokeClaim = "hash_password"
	c := mustNew(t, cfg)
	tok := hs256(stdHeader, `{"token_type":"access","exp":1795339434,"jti":"a","user_id":1,"hash_password":"0CC175B9C0F1B6A831C399E269772661"}`)
	var a AccessClaims
	if n := testing.AllocsPerRun(200, func() { _ = c.VerifyAccess(tok, testNow, &a) }); n != 0 {
		t.Errorf("%v allocs per VerifyAccess, want 0", n)
	}
}
