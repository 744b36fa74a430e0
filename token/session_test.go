package token

import (
	"testing"
)

// TestSessionJTI: a login's tokens, and every token minted from its
// refresh token by refresh and rotation, share the session prefix of the
// jti; the jti stays 32 lowercase hex digits; a token from elsewhere (no
// hex jti) starts a session of its own.
func TestSessionJTI(t *testing.T) {
	c := mustNew(t, testConfig())
	r, a, err := c.NewPair(int64(7), testNow)
	if err != nil {
		t.Fatal(err)
	}
	sid, ok := SessionOf(r.JTI)
	if !ok {
		t.Fatalf("refresh jti %q carries no session", r.JTI)
	}
	if got, _ := SessionOf(a.JTI); got != sid || a.JTI == r.JTI {
		t.Fatalf("access jti %q, refresh %q: want the same session, distinct ids", a.JTI, r.JTI)
	}
	cl, err := c.Decode(r.Token, testNow)
	if err != nil {
		t.Fatal(err)
	}
	acc, err := c.AccessFor(cl, testNow)
	if err != nil {
		t.Fatal(err)
	}
	rot, err := c.Rotate(cl, testNow)
	if err != nil {
		t.Fatal(err)
	}
	for _, jti := range []string{acc.JTI, rot.JTI} {
		if got, ok := SessionOf(jti); !ok || got != sid || jti == r.JTI {
			t.Errorf("minted jti %q: session %x %v, want %x", jti, got, ok, sid)
		}
	}
	if SessionHex(sid) != r.JTI[:16] {
		t.Errorf("SessionHex %q, want %q", SessionHex(sid), r.JTI[:16])
	}
	if back, ok := ParseSessionHex(SessionHex(sid)); !ok || back != sid {
		t.Errorf("ParseSessionHex round trip: %x %v", back, ok)
	}
	if j := sessionJTI("not-hex"); len(j) != 32 {
		t.Errorf("jti without a parent session: %q", j)
	}
	for _, bad := range []string{"", "0123456789abcdef0123456789abcde", "0123456789ABCDEF0123456789abcdef", "0123456789abcdef0123456789abcdefa", "g123456789abcdef0123456789abcdef"} {
		if _, ok := SessionOf(bad); ok {
			t.Errorf("SessionOf(%q) ok", bad)
		}
	}
	if n := testing.AllocsPerRun(100, func() { SessionOf([]byte(r.JTI)) }); n != 0 {
		t.Errorf("SessionOf allocates %v times", n)
	}
}
