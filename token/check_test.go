package token

import (
	"errors"
	"testing"
)

func TestCheck(t *testing.T) {
	cases := []struct {
		name    string
		payload string
		want    Type
		err     error // nil, or the exact sentinel
	}{
		{"access as access", accessPayload, Access, nil},
		{"access as untyped", accessPayload, "", nil},
		{"access as refresh", accessPayload, Refresh, ErrWrongType},
		{"sliding as access", `{"token_type":"sliding","exp":1795339434,"jti":"a"}`, Access, ErrWrongType},
		{"no exp", `{"token_type":"access","jti":"a"}`, Access, ErrNoExp},
		{"no exp, no jti, no type", `{"user_id":1}`, Access, ErrNoExp},
		{"no exp, untyped", `{"jti":"a"}`, "", ErrNoExp},
		{"no jti", `{"token_type":"access","exp":1795339434}`, Access, ErrNoID},
		{"no jti, untyped", `{"exp":1795339434}`, "", ErrNoID},
		{"no jti and no type", `{"exp":1795339434}`, Access, ErrNoID},
		{"jti number", `{"token_type":"access","exp":1795339434,"jti":1}`, Access, ErrNoID},
		{"jti null", `{"token_type":"access","exp":1795339434,"jti":null}`, Access, ErrNoID},
		{"jti lone surrogate", `{"token_type":"access","exp":1795339434,"jti":"\ud800"}`, Access, ErrNoID},
		{"JTI is not jti", `{"token_type":"access","exp":1795339434,"JTI":"a"}`, Access, ErrNoID},
		{"no type", `{"exp":1795339434,"jti":"a"}`, Access, ErrNoType},
		{"no type, untyped", `{"exp":1795339434,"jti":"a"}`, "", nil},
		{"type null", `{"token_type":null,"exp":1795339434,"jti":"a"}`, Access, ErrWrongType},
		{"type number", `{"token_type":1,"exp":1795339434,"jti":"a"}`, Access, ErrWrongType},
		{"type array", `{"token_type":["access"],"exp":1795339434,"jti":"a"}`, Access, ErrWrongType},
		{"type case", `{"token_type":"Access","exp":1795339434,"jti":"a"}`, Access, ErrWrongType},
		{"type escaped", `{"token_type":"acc\u0065ss","exp":1795339434,"jti":"a"}`, Access, nil},
		{"Token_Type is not token_type", `{"Token_Type":"access","exp":1795339434,"jti":"a"}`, Access, ErrNoType},
	}
	c := mustNew(t, testConfig())
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok := hs256(stdHeader, tc.payload)
			cl, err := c.Decode(tok, testNow)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if err := c.Check(cl, tc.want); err != tc.err {
				t.Errorf("Check = %v, want %v", err, tc.err)
			}
			if tc.want != Access {
				return
			}
			var a AccessClaims
			if err := c.VerifyAccess(tok, testNow, &a); err != tc.err {
				t.Errorf("VerifyAccess = %v, want %v", err, tc.err)
			}
		})
	}
}

func TestCheckSentinelsAreDistinct(t *testing.T) {
	all := []error{ErrInvalid, ErrBlacklisted, ErrNoExp, ErrNoID, ErrNoType, ErrWrongType}
	for i, a := range all {
		for j, b := range all {
			if errors.Is(a, b) != (i == j) {
				t.Errorf("errors.Is(%v, %v) = %v", a, b, i != j)
			}
		}
	}
	if ErrNoExp.Error() != "Token has no 'exp' claim" || ErrNoID.Error() != "Token has no id" ||
		ErrNoType.Error() != "Token has no type" || ErrWrongType.Error() != "Token has wrong type" {
		t.Error("a sentinel's message differs from simplejwt's")
	}
}

func TestCheckDisabledClaims(t *testing.T) {
	cfg := testConfig()
	cfg.TokenTypeClaim = ""
	cfg.JTIClaim = ""
	c := mustNew(t, cfg)
	tok := hs256(stdHeader, `{"exp":1795339434,"user_id":"u"}`)
	cl, err := c.Decode(tok, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Check(cl, Refresh); err != nil {
		t.Errorf("Check with type and jti disabled: %v", err)
	}
	var a AccessClaims
	if err := c.VerifyAccess(tok, testNow, &a); err != nil {
		t.Fatalf("VerifyAccess: %v", err)
	}
	if a.JTI != nil || string(a.UserID) != `"u"` {
		t.Errorf("JTI = %q, UserID = %s", a.JTI, a.UserID)
	}
	if _, ok := cl.Type(); ok {
		t.Error("Type reported with the type claim disabled")
	}
	if err := c.Check(nil, Access); !errors.Is(err, ErrInvalid) {
		t.Errorf("Check(nil) = %v", err)
	}
}

func TestCustomClaimNames(t *testing.T) {
	cfg := testConfig()
	cfg.TokenTypeClaim = "typ"
	cfg.JTIClaim = "id"
	cfg.UserIDClaim = "sub"
	c := mustNew(t, cfg)
	tok := hs256(stdHeader, `{"typ":"access","exp":1795339434,"id":"i-1","sub":"alice","token_type":"refresh","jti":"other"}`)
	var a AccessClaims
	if err := c.VerifyAccess(tok, testNow, &a); err != nil {
		t.Fatalf("VerifyAccess: %v", err)
	}
	if string(a.JTI) != "i-1" || string(a.UserID) != `"alice"` {
		t.Errorf("JTI = %q, UserID = %s", a.JTI, a.UserID)
	}
	cl, _ := c.Decode(tok, testNow)
	if err := c.Check(cl, Refresh); err != ErrWrongType {
		t.Errorf("Check(Refresh) = %v: token_type must not count when the type claim is typ", err)
	}
}

func TestVerifyAccessFields(t *testing.T) {
	cfg := testConfig()
	cfg.ExtraClaims = []string{"email", "missing", "roles", "nul"}
	c := mustNew(t, cfg)
	tok := hs256(stdHeader, `{"token_type":"access","exp":1795339434,"jti":"j\u00e9\"x","user_id":  "5" ,"email":"a@b.c","roles":["x", "y"],"nul":null}`)
	var a AccessClaims
	if err := c.VerifyAccess(tok, testNow, &a); err != nil {
		t.Fatal(err)
	}
	if string(a.JTI) != "jé\"x" {
		t.Errorf("JTI = %q", a.JTI)
	}
	if a.ExpiresAt != 1795339434 {
		t.Errorf("ExpiresAt = %d", a.ExpiresAt)
	}
	if string(a.UserID) != `"5"` {
		t.Errorf("UserID = %q", a.UserID)
	}
	want := []string{`"a@b.c"`, "", `["x", "y"]`, "null"}
	if len(a.Extra) != len(want) {
		t.Fatalf("Extra has %d entries", len(a.Extra))
	}
	for i, w := range want {
		if string(a.Extra[i]) != w || (w == "") != (a.Extra[i] == nil) {
			t.Errorf("Extra[%d] = %q, want %q", i, a.Extra[i], w)
		}
	}

	// Reusing a for a token without those claims clears them.
	if err := c.VerifyAccess(hs256(stdHeader, `{"token_type":"access","exp":1795339434,"jti":"k"}`), testNow, &a); err != nil {
		t.Fatal(err)
	}
	if string(a.JTI) != "k" || a.UserID != nil || a.Extra[0] != nil || a.Extra[2] != nil {
		t.Errorf("stale claims after reuse: %q %q %q", a.JTI, a.UserID, a.Extra)
	}
	if err := c.VerifyAccess("garbage", testNow, &a); err == nil || a.JTI != nil || a.Extra[0] != nil {
		t.Error("a refused token left claims behind")
	}
	if err := c.VerifyAccess(tok, testNow, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("VerifyAccess(nil) = %v", err)
	}
}

// TestVerifyAccessAllocs is the hot-path requirement: no allocation for a
// valid token or a refused one once an AccessClaims is warm.
func TestVerifyAccessAllocs(t *testing.T) {
	cfg := testConfig()
	cfg.ExtraClaims = []string{"email"}
	c := mustNew(t, cfg)
	good := hs256(stdHeader, accessPayload)
	badSig := good[:len(good)-2] + "AA"
	cases := map[string]string{
		"valid":         good,
		"expired":       hs256(stdHeader, `{"token_type":"access","exp":1,"jti":"a"}`),
		"garbage":       "not.a.token",
		"bad signature": badSig,
		"other header":  hs256(`{"typ":"JWT","alg":"HS256","kid":"k1"}`, accessPayload),
		"alg none":      b64(`{"alg":"none"}`) + "." + b64(accessPayload) + ".AAAA",
		"wrong type":    hs256(stdHeader, `{"token_type":"refresh","exp":1795339434,"jti":"a"}`),
		"escaped names": hs256(stdHeader, `{"\u0074oken_type":"access","exp":1795339434,"jti":"\u0061"}`),
	}
	if raceEnabled {
		t.Log("-race: sync.Pool drops items on purpose; allocation counts are checked without -race")
		return
	}
	var a AccessClaims
	for name, tok := range cases {
		if n := testing.AllocsPerRun(200, func() { _ = c.VerifyAccess(tok, testNow, &a) }); n != 0 {
			t.Errorf("%s: %v allocs per VerifyAccess, want 0", name, n)
		}
	}
}

func TestClaimsDoNotAliasScratch(t *testing.T) {
	c := mustNew(t, testConfig())
	cl, err := c.Decode(hs256(stdHeader, accessPayload), testNow)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := cl.UserID()
	_ = append(uid, "999"...) // must not overwrite the next claim
	if jti, _ := cl.JTI(); jti != "9245bf0febe94952806e138e078df76e" {
		t.Errorf("JTI = %q after appending to the user id", jti)
	}
	// A second Decode must not disturb the first Claims.
	if _, err := c.Decode(hs256(stdHeader, `{"token_type":"refresh","exp":1795339999,"jti":"zz","user_id":7}`), testNow); err != nil {
		t.Fatal(err)
	}
	if v, _ := cl.Get("user_id"); string(v) != "1" {
		t.Errorf("user_id = %s", v)
	}
}

func TestClaimsAccessors(t *testing.T) {
	c := mustNew(t, testConfig())
	cl, err := c.Decode(hs256(stdHeader, `{"token_type":"re\u0066resh","exp":1795339434.7,"jti":"\ud83d\ude00","user_id":null,"x":{"a" : 1}}`), testNow)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := cl.Type(); !ok || v != "refresh" {
		t.Errorf("Type = %q %v", v, ok)
	}
	if v, ok := cl.JTI(); !ok || v != "😀" {
		t.Errorf("JTI = %q %v", v, ok)
	}
	if v, ok := cl.ExpiresAt(); !ok || v.Unix() != 1795339434 {
		t.Errorf("ExpiresAt = %v %v", v, ok)
	}
	if v, ok := cl.UserID(); !ok || string(v) != "null" {
		t.Errorf("UserID = %s %v", v, ok)
	}
	if v, ok := cl.Get("x"); !ok || string(v) != `{"a" : 1}` {
		t.Errorf("Get(x) = %s %v", v, ok)
	}
	if _, ok := cl.Get("X"); ok {
		t.Error("Get is not case-sensitive")
	}
	if _, ok := cl.Get(""); ok {
		t.Error(`Get("") found a claim`)
	}
	var zero Claims
	if _, ok := zero.Type(); ok {
		t.Error("zero Claims has a type")
	}
	if _, ok := zero.UserID(); ok {
		t.Error("zero Claims has a user id")
	}
	if _, ok := zero.ExpiresAt(); ok {
		t.Error("zero Claims has an exp")
	}

	// A jti that is not a string is not reported as one.
	cl, err = c.Decode(hs256(stdHeader, `{"token_type":1,"exp":1795339434,"jti":5}`), testNow)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cl.JTI(); ok {
		t.Error("numeric jti reported as a string")
	}
	if _, ok := cl.Type(); ok {
		t.Error("numeric type reported as a string")
	}
}

// TestConcurrentUse runs the pooled HMAC and shared codec from many
// goroutines; run with -race.
func TestConcurrentUse(t *testing.T) {
	c := mustNew(t, testConfig())
	good := hs256(stdHeader, accessPayload)
	bad := good[:len(good)-4] + "AAAA"
	done := make(chan error)
	for g := 0; g < 8; g++ {
		go func() {
			var a AccessClaims
			for i := 0; i < 200; i++ {
				if err := c.VerifyAccess(good, testNow, &a); err != nil {
					done <- err
					return
				}
				if err := c.VerifyAccess(bad, testNow, &a); err != errSignature {
					done <- errors.New("bad signature accepted")
					return
				}
				if _, _, err := c.NewPair(int64(i), testNow); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for g := 0; g < 8; g++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
