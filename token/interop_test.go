package token

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/internal/djangoref"
	"github.com/jwtgate/jwtgate/internal/testenv"
)

// TestSimplejwtTokensVerify: every token simplejwt and PyJWT made in
// testdata/vectors.json verifies with our codec, with the same claims.
func TestSimplejwtTokensVerify(t *testing.T) {
	v := loadVectors(t)
	c := mustNew(t, testConfig())
	later := testNow.Add(100 * time.Second)
	cases := []struct {
		name, tok string
		typ       Type
		now       time.Time
	}{
		{"pair refresh", v.PairInt.Refresh, Refresh, testNow},
		{"pair access", v.PairInt.Access, Access, testNow},
		{"string user id refresh", v.PairStr.Refresh, Refresh, testNow},
		{"string user id access", v.PairStr.Access, Access, testNow},
		{"access minted by refresh", v.RefreshedAccess, Access, later},
		{"rotated refresh", v.RotatedRefresh, Refresh, later},
		{"custom claims", v.CustomRefresh, Refresh, testNow},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cl, err := c.Decode(tc.tok, tc.now)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if err := c.Check(cl, tc.typ); err != nil {
				t.Fatalf("Check: %v", err)
			}
			// Our view of the claims is encoding/json's view of the payload.
			var want map[string]json.RawMessage
			if err := json.Unmarshal([]byte(payloadOf(t, tc.tok)), &want); err != nil {
				t.Fatal(err)
			}
			if len(cl.members) != len(want) {
				t.Errorf("%d claims, want %d", len(cl.members), len(want))
			}
			for name, raw := range want {
				got, ok := cl.Get(name)
				if !ok || !bytes.Equal(got, raw) {
					t.Errorf("claim %s = %s, want %s", name, got, raw)
				}
			}
			if tc.typ == Access {
				var a AccessClaims
				if err := c.VerifyAccess(tc.tok, tc.now, &a); err != nil {
					t.Fatalf("VerifyAccess: %v", err)
				}
				if jti, _ := cl.JTI(); string(a.JTI) != jti {
					t.Errorf("JTI %q vs %q", a.JTI, jti)
				}
			}
			// A second after exp, it is expired for both.
			exp, _ := cl.ExpiresAt()
			if _, err := c.Decode(tc.tok, exp); err != errExpired {
				t.Errorf("at exp: %v, want expired", err)
			}
		})
	}
	if uid, _ := mustDecode(t, c, v.PairStr.Access).UserID(); string(uid) != `"\u00fcser \"7\"/<&>\ud83d\ude00"` {
		t.Errorf("string user id = %s", uid)
	}
	if v, ok := HeaderValue(mustDecodeGet(t, c, v.PairStr.Access, "user_id")); !ok || v != "üser \"7\"/<&>😀" {
		t.Errorf("HeaderValue of the string user id = %q, %v", v, ok)
	}

	// AUDIENCE and ISSUER.
	cfg := testConfig()
	cfg.Audience, cfg.Issuer = v.AudIss.Audience, v.AudIss.Issuer
	if _, err := mustNew(t, cfg).Decode(v.AudIss.Refresh, testNow); err != nil {
		t.Errorf("aud/iss token: %v", err)
	}
	cfg.Audience = "other"
	if _, err := mustNew(t, cfg).Decode(v.AudIss.Refresh, testNow); err != errAudience {
		t.Errorf("aud/iss token with another audience: %v", err)
	}
}

func mustDecode(t *testing.T, c *Codec, tok string) *Claims {
	t.Helper()
	cl, err := c.Decode(tok, testNow)
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

func mustDecodeGet(t *testing.T, c *Codec, tok, name string) []byte {
	t.Helper()
	v, _ := mustDecode(t, c, tok).Get(name)
	return v
}

// TestPyJWTAlgorithms: PyJWT's tokens under every other algorithm verify
// only with a codec configured for exactly that algorithm.
func TestPyJWTAlgorithms(t *testing.T) {
	v := loadVectors(t)
	hs256c := mustNew(t, testConfig())
	type tokAlg struct{ alg, tok string }
	all := []tokAlg{{"HS384", v.HS384}, {"HS512", v.HS512}, {"none", v.None}}
	for alg, a := range v.Asymmetric {
		all = append(all, tokAlg{alg, a.Token})
	}
	codecs := map[string]*Codec{"HS256": hs256c}
	// PyJWT's HS512 vector is signed with the 50-byte test secret, which
	// RFC 7518 §3.2 (and New) deem too short for HS512: no codec may
	// accept it, and the HS512 codec gets a 64-byte key.
	for _, alg := range []string{"HS384", "HS512"} {
		cfg := testConfig()
		cfg.Algorithm = alg
		if alg == "HS512" {
			cfg.SigningKey = []byte(testSecret64)
		}
		codecs[alg] = mustNew(t, cfg)
	}
	for alg, a := range v.Asymmetric {
		cfg := testConfig()
		cfg.Algorithm, cfg.SigningKey, cfg.VerifyingKey = alg, []byte(a.Private), []byte(a.Public)
		codecs[alg] = mustNew(t, cfg)
		// A verifying key derived from the private key works the same.
		cfg.VerifyingKey = nil
		codecs[alg+" derived"] = mustNew(t, cfg)
	}
	for _, ta := range all {
		for name, c := range codecs {
			cl, err := c.Decode(ta.tok, testNow)
			should := strings.Fields(name)[0] == ta.alg && ta.alg != "HS512"
			if should {
				if err != nil {
					t.Errorf("%s token with %s codec: %v", ta.alg, name, err)
					continue
				}
				if err := c.Check(cl, Access); err != nil {
					t.Errorf("%s token: Check: %v", ta.alg, err)
				}
				continue
			}
			if err == nil {
				t.Errorf("%s token accepted by %s codec", ta.alg, name)
			} else if r := reasonOf(t, err); r != "algorithm" && !(ta.alg == "none" && r == "segments") && !(ta.alg == "HS512" && r == "signature") {
				// PyJWT's none token has an empty signature, refused first.
				t.Errorf("%s token with %s codec: reason %q, want algorithm", ta.alg, name, r)
			}
		}
	}

	// The classic confusion: an RS256 deployment, and a token that says
	// HS256 signed with the public key's PEM text as the HMAC secret.
	rs := v.Asymmetric["RS256"]
	forged := hmacToken(sha256.New, []byte(rs.Public), stdHeader, accessPayload)
	if _, err := codecs["RS256"].Decode(forged, testNow); err != errAlgorithm {
		t.Errorf("HS256 token signed with the RSA public key: %v, want algorithm", err)
	}
	// An RS256 token signed by another key pair fails on its signature.
	if _, err := codecs["RS256"].Decode(v.Asymmetric["RS256"].Token[:len(rs.Token)-4]+"AAAA", testNow); err != errSignature {
		t.Errorf("tampered RS256 signature: %v", err)
	}
	es := v.Asymmetric["ES256"].Token
	if _, err := codecs["ES256"].Decode(es[:len(es)-4]+"AAAA", testNow); err != errSignature {
		t.Errorf("tampered ES256 signature: %v", err)
	}
}

// python is the interpreter that has PyJWT 2.6 and simplejwt (Debian's
// packages); JWTGATE_PYTHON overrides it.
func python() string { return djangoref.Python() }

const pyDecode = `
import json, sys
import jwt
assert jwt.__version__ == "2.6.0", jwt.__version__
out = []
for case in json.load(sys.stdin):
    # simplejwt's TokenBackend.decode arguments.
    out.append(jwt.decode(
        case["token"], case["key"], algorithms=[case["alg"]],
        audience=case["audience"], issuer=case["issuer"], leeway=0,
        options={"verify_aud": case["audience"] is not None, "verify_signature": True},
    ))
json.dump(out, sys.stdout)
`

// TestPyJWTDecodesOurTokens runs PyJWT 2.6 on tokens we issue, with
// simplejwt's decode options and the real clock. It needs python3 with
// PyJWT (Debian's python3-jwt); without it it skips, or fails under CI=true.
func TestPyJWTDecodesOurTokens(t *testing.T) {
	v := loadVectors(t)
	type pyCase struct {
		Token    string  `json:"token"`
		Key      string  `json:"key"`
		Alg      string  `json:"alg"`
		Audience *string `json:"audience"`
		Issuer   *string `json:"issuer"`
	}
	var cases []pyCase
	now := time.Now()
	add := func(cfg Config, key string, mint func(c *Codec) []string) {
		c := mustNew(t, cfg)
		for _, tok := range mint(c) {
			pc := pyCase{Token: tok, Key: key, Alg: c.Config().Algorithm}
			if cfg.Audience != "" {
				pc.Audience = &cfg.Audience
			}
			if cfg.Issuer != "" {
				pc.Issuer = &cfg.Issuer
			}
			cases = append(cases, pc)
		}
	}
	pair := func(c *Codec) []string {
		r, a, err := c.NewPair(int64(1), now)
		if err != nil {
			t.Fatal(err)
		}
		cl := mustDecodeAt(t, c, r.Token, now)
		a2, err := c.AccessFor(cl, now)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := c.Rotate(cl, now)
		if err != nil {
			t.Fatal(err)
		}
		_, s, err := c.NewPair("ü\"</\x01\u2028😀", now)
		if err != nil {
			t.Fatal(err)
		}
		return []string{r.Token, a.Token, a2.Token, r2.Token, s.Token}
	}
	add(testConfig(), testSecret, pair)
	cfg := testConfig()
	cfg.Audience, cfg.Issuer = "api", "https://issuer.example"
	add(cfg, testSecret, pair)
	for _, alg := range []string{"HS384", "HS512"} {
		cfg := testConfig()
		cfg.Algorithm = alg
		if alg == "HS512" {
			cfg.SigningKey = []byte(testSecret64)
		}
		add(cfg, string(cfg.SigningKey), pair)
	}
	for alg, k := range v.Asymmetric {
		cfg := testConfig()
		cfg.Algorithm, cfg.SigningKey = alg, []byte(k.Private)
		add(cfg, k.Public, pair)
	}

	in, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	testenv.Python(t, python(), "python3-jwt", "jwt")
	cmd := exec.Command(python(), "-c", pyDecode)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("running %s with PyJWT failed: %v\n%s\n"+
			"This test needs python3 with PyJWT 2.6 (Debian: apt-get install python3-jwt "+
			"python3-djangorestframework-simplejwt); set PYTHON to another interpreter.", python(), err, stderr.String())
	}
	var got []map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("PyJWT output %q: %v", out, err)
	}
	if len(got) != len(cases) {
		t.Fatalf("PyJWT decoded %d tokens of %d", len(got), len(cases))
	}
	for i, pc := range cases {
		var want map[string]any
		if err := json.Unmarshal([]byte(payloadOf(t, pc.Token)), &want); err != nil {
			t.Fatal(err)
		}
		g, _ := json.Marshal(got[i])
		w, _ := json.Marshal(want)
		if !bytes.Equal(g, w) {
			t.Errorf("%s token %d: PyJWT saw %s, we wrote %s", pc.Alg, i, g, w)
		}
	}
}

func mustDecodeAt(t *testing.T, c *Codec, tok string, now time.Time) *Claims {
	t.Helper()
	cl, err := c.Decode(tok, now)
	if err != nil {
		t.Fatal(err)
	}
	return cl
}
