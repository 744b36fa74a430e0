package token

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// pl builds an access payload at nowSec with the given members after
// token_type, in place of the default exp/iat/jti/user_id.
func pl(members string) string {
	return `{"token_type":"access",` + members + `}`
}

// std is the body of accessPayload.
const std = `"exp":1795339434,"iat":1795339134,"jti":"9245bf0febe94952806e138e078df76e","user_id":1`

func TestDecodeAcceptsGoodToken(t *testing.T) {
	c := mustNew(t, testConfig())
	cl, err := c.Decode(hs256(stdHeader, accessPayload), testNow)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if err := c.Check(cl, Access); err != nil {
		t.Fatalf("Check: %v", err)
	}
	if typ, ok := cl.Type(); !ok || typ != "access" {
		t.Errorf("Type = %q, %v", typ, ok)
	}
	if jti, ok := cl.JTI(); !ok || jti != "9245bf0febe94952806e138e078df76e" {
		t.Errorf("JTI = %q, %v", jti, ok)
	}
	if exp, ok := cl.ExpiresAt(); !ok || !exp.Equal(time.Unix(1795339434, 0)) {
		t.Errorf("ExpiresAt = %v, %v", exp, ok)
	}
	if uid, ok := cl.UserID(); !ok || string(uid) != "1" {
		t.Errorf("UserID = %s, %v", uid, ok)
	}
}

// TestDecodeRejects is the table of everything the decode stage refuses.
// Each case must be ErrInvalid with the given reason ("" = any reason).
func TestDecodeRejects(t *testing.T) {
	good := hs256(stdHeader, accessPayload)
	dot1 := strings.IndexByte(good, '.')
	dot2 := strings.LastIndexByte(good, '.')
	hdrSeg, paySeg, sigSeg := good[:dot1], good[dot1+1:dot2], good[dot2+1:]
	secret := []byte(testSecret)

	// flipLastBit sets the lowest bit of the last character's 6-bit value:
	// for a length ≡ 2 or 3 mod 4 that bit is padding, so the text decodes
	// to the same bytes under a lax decoder.
	flipLastBit := func(seg string) string {
		last := seg[len(seg)-1]
		v := strings.IndexByte(b64Alphabet, last)
		return seg[:len(seg)-1] + string(b64Alphabet[v|1])
	}
	if len(sigSeg)%4 == 0 || len(paySeg)%4 == 0 {
		t.Fatal("test token has no padding bits to flip")
	}
	laxSig, err := base64.RawURLEncoding.DecodeString(flipLastBit(sigSeg))
	if err != nil || base64.RawURLEncoding.EncodeToString(laxSig) != sigSeg {
		t.Fatal("flipLastBit does not make a non-canonical encoding of the same bytes")
	}

	noneHeader := func(alg string) string { return b64(`{"alg":"` + alg + `","typ":"JWT"}`) }

	cases := []struct {
		name, tok, reason string
	}{
		{"empty", "", "segments"},
		{"one segment", "abc", "segments"},
		{"two segments", hdrSeg + "." + paySeg, "segments"},
		{"empty signature", hdrSeg + "." + paySeg + ".", "segments"},
		{"removed signature", hdrSeg + "." + paySeg + "..", "segments"},
		{"empty header", "." + paySeg + "." + sigSeg, "segments"},
		{"empty payload", hdrSeg + ".." + sigSeg, "segments"},
		{"fourth segment", good + ".AAAA", "segments"},
		{"trailing dot", good + ".", "segments"},

		// alg none in every casing, with empty and non-empty signatures.
		{"none empty sig", noneHeader("none") + "." + paySeg + ".", "segments"},
		{"None empty sig", noneHeader("None") + "." + paySeg + ".", "segments"},
		{"NONE empty sig", noneHeader("NONE") + "." + paySeg + ".", "segments"},
		{"none with sig", noneHeader("none") + "." + paySeg + "." + sigSeg, "algorithm"},
		{"None with sig", noneHeader("None") + "." + paySeg + "." + sigSeg, "algorithm"},
		{"NONE with sig", noneHeader("NONE") + "." + paySeg + "." + sigSeg, "algorithm"},
		{"nOnE signed", hs256(`{"alg":"nOnE","typ":"JWT"}`, accessPayload), "algorithm"},
		{"none signed", hs256(`{"alg":"none"}`, accessPayload), "algorithm"},

		// Other algorithms, even when signed correctly with the same secret.
		{"HS384 same secret", hmacToken(sha512.New384, secret, `{"alg":"HS384","typ":"JWT"}`, accessPayload), "algorithm"},
		{"HS512 same secret", hmacToken(sha512.New, secret, `{"alg":"HS512","typ":"JWT"}`, accessPayload), "algorithm"},
		{"RS256 header", hs256(`{"alg":"RS256","typ":"JWT"}`, accessPayload), "algorithm"},
		{"ES256 header", hs256(`{"alg":"ES256","typ":"JWT"}`, accessPayload), "algorithm"},
		{"PS256 header", hs256(`{"alg":"PS256","typ":"JWT"}`, accessPayload), "algorithm"},
		{"EdDSA header", hs256(`{"alg":"EdDSA","typ":"JWT"}`, accessPayload), "algorithm"},
		{"lower-case hs256", hs256(`{"alg":"hs256","typ":"JWT"}`, accessPayload), "algorithm"},
		{"alg with space", hs256(`{"alg":"HS256 ","typ":"JWT"}`, accessPayload), "algorithm"},
		{"alg missing", hs256(`{"typ":"JWT"}`, accessPayload), "algorithm"},
		{"alg null", hs256(`{"alg":null}`, accessPayload), "algorithm"},
		{"alg array", hs256(`{"alg":["HS256"]}`, accessPayload), "algorithm"},
		{"alg lone surrogate", hs256(`{"alg":"HS256\ud800"}`, accessPayload), "algorithm"},
		{"alg twice", hs256(`{"alg":"HS256","alg":"HS256"}`, accessPayload), "header"},
		{"alg twice, escaped", hs256(`{"alg":"none","\u0061lg":"HS256"}`, accessPayload), "header"},

		// Header parameters that must not be honoured.
		{"crit", hs256(`{"alg":"HS256","crit":["exp"],"exp":1}`, accessPayload), "crit"},
		{"crit empty", hs256(`{"alg":"HS256","crit":[]}`, accessPayload), "crit"},
		{"crit null", hs256(`{"alg":"HS256","crit":null}`, accessPayload), "crit"},
		{"b64 false", hs256(`{"alg":"HS256","b64":false}`, accessPayload), "b64"},
		{"b64 string", hs256(`{"alg":"HS256","b64":"true"}`, accessPayload), "b64"},
		{"b64 null", hs256(`{"alg":"HS256","b64":null}`, accessPayload), "b64"},

		// Malformed headers.
		{"header not JSON", hs256(`{"alg":"HS256"`, accessPayload), "header"},
		{"header array", hs256(`["HS256"]`, accessPayload), "header"},
		{"header string", hs256(`"HS256"`, accessPayload), "header"},
		{"header bad UTF-8", hs256("{\"alg\":\"HS256\",\"x\":\"\xff\"}", accessPayload), "header"},
		{"header trailing data", hs256(`{"alg":"HS256"}x`, accessPayload), "header"},

		// Signature.
		{"tampered payload", hdrSeg + "." + b64(strings.Replace(accessPayload, `"user_id":1`, `"user_id":2`, 1)) + "." + sigSeg, "signature"},
		{"wrong secret", hmacToken(sha256.New, []byte(strings.ToUpper(testSecret)), stdHeader, accessPayload), "signature"},
		{"truncated signature", hdrSeg + "." + paySeg + "." + base64.RawURLEncoding.EncodeToString(laxSig[:16]), "signature"},
		{"signature of another token", hdrSeg + "." + paySeg + "." + lastSegment(hs256(stdHeader, `{}`)), "signature"},
		{"signature truncated by one", hdrSeg + "." + paySeg + "." + sigSeg[:len(sigSeg)-1], ""},

		// Strict base64url.
		{"padded signature", good + "=", "base64"},
		{"padded payload", hdrSeg + "." + paySeg + "=." + sigSeg, "base64"},
		{"padded header", hdrSeg + "=." + paySeg + "." + sigSeg, "base64"},
		{"plus in signature", hdrSeg + "." + paySeg + ".+" + sigSeg[1:], "base64"},
		{"slash in signature", hdrSeg + "." + paySeg + "./" + sigSeg[1:], "base64"},
		{"plus in payload", hdrSeg + "." + "+" + paySeg[1:] + "." + sigSeg, "base64"},
		{"slash in header", "/" + hdrSeg[1:] + "." + paySeg + "." + sigSeg, "base64"},
		{"non-canonical signature", hdrSeg + "." + paySeg + "." + flipLastBit(sigSeg), "base64"},
		{"non-canonical payload", hdrSeg + "." + flipLastBit(paySeg) + "." + sigSeg, "base64"},
		{"newline in payload", hdrSeg + "." + paySeg[:10] + "\n" + paySeg[10:] + "." + sigSeg, "base64"},
		{"CR in signature", hdrSeg + "." + paySeg + "." + sigSeg[:10] + "\r" + sigSeg[10:], "base64"},
		{"space before token", " " + good, "base64"},
		{"space after token", good + " ", "base64"},
		{"length 1 mod 4", hdrSeg + "." + paySeg + "." + sigSeg + "AB", "base64"},

		// Payload.
		{"payload array", hs256(stdHeader, `[1]`), "payload"},
		{"payload string", hs256(stdHeader, `"x"`), "payload"},
		{"payload number", hs256(stdHeader, `1`), "payload"},
		{"payload null", hs256(stdHeader, `null`), "payload"},
		{"payload invalid", hs256(stdHeader, `{"exp":}`), "payload"},
		{"payload trailing comma", hs256(stdHeader, `{"exp":1795339434,}`), "payload"},
		{"payload trailing data", hs256(stdHeader, accessPayload+`{}`), "payload"},
		{"payload NaN", hs256(stdHeader, pl(`"exp":NaN`)), "payload"},
		{"payload bad UTF-8", hs256(stdHeader, pl(std+",\"x\":\"\xc3\"")), "payload"},
		{"payload lone surrogate name", hs256(stdHeader, pl(std+`,"\udc00":1`)), "payload"},
		{"duplicate exp", hs256(stdHeader, pl(std+`,"exp":9999999999`)), "duplicate_claim"},
		{"duplicate exp, escaped", hs256(stdHeader, pl(std+`,"\u0065xp":9999999999`)), "duplicate_claim"},
		{"duplicate user_id", hs256(stdHeader, pl(std+`,"user_id":2`)), "duplicate_claim"},
		{"duplicate token_type", hs256(stdHeader, pl(std+`,"token_type":"refresh"`)), "duplicate_claim"},

		// Time claims.
		{"expired", hs256(stdHeader, pl(`"exp":1795339133`)), "expired"},
		{"exp == now", hs256(stdHeader, pl(`"exp":1795339134`)), "expired"},
		{"exp == now as float", hs256(stdHeader, pl(`"exp":1795339134.9`)), "expired"},
		{"exp zero", hs256(stdHeader, pl(`"exp":0`)), "expired"},
		{"exp min int64", hs256(stdHeader, pl(`"exp":-9223372036854775808`)), "expired"},
		{"EXP does not stand in for exp", hs256(stdHeader, pl(`"exp":1795339133,"EXP":9999999999`)), "expired"},
		{"exp string", hs256(stdHeader, pl(`"exp":"123"`)), "exp_not_a_number"},
		{"exp numeric string of the future", hs256(stdHeader, pl(`"exp":"9999999999"`)), "exp_not_a_number"},
		{"exp null", hs256(stdHeader, pl(`"exp":null`)), "exp_not_a_number"},
		{"exp true", hs256(stdHeader, pl(`"exp":true`)), "exp_not_a_number"},
		{"exp array", hs256(stdHeader, pl(`"exp":[9999999999]`)), "exp_not_a_number"},
		{"exp object", hs256(stdHeader, pl(`"exp":{}`)), "exp_not_a_number"},
		{"exp 1e300", hs256(stdHeader, pl(`"exp":1e300`)), "exp_not_a_number"},
		{"exp 1e400", hs256(stdHeader, pl(`"exp":1e400`)), "exp_not_a_number"},
		{"exp above int64", hs256(stdHeader, pl(`"exp":9223372036854775808`)), "exp_not_a_number"},
		{"exp 2^63 as float", hs256(stdHeader, pl(`"exp":9.223372036854775808e18`)), "exp_not_a_number"},
		{"nbf in the future", hs256(stdHeader, pl(std+`,"nbf":1795339135`)), "not_yet_valid"},
		{"nbf string", hs256(stdHeader, pl(std+`,"nbf":"0"`)), "nbf_not_a_number"},
		{"iat in the future", hs256(stdHeader, pl(`"exp":1795339434,"iat":1795339135`)), "issued_in_future"},
		{"iat half a second in the future", hs256(stdHeader, pl(`"exp":1795339434,"iat":1795339134.5`)), "issued_in_future"},
		{"iat string", hs256(stdHeader, pl(`"exp":1795339434,"iat":"1"`)), "iat_not_a_number"},
		{"iat null", hs256(stdHeader, pl(`"exp":1795339434,"iat":null`)), "iat_not_a_number"},
	}
	c := mustNew(t, testConfig())
	var a AccessClaims
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cl, err := c.Decode(tc.tok, testNow)
			if err == nil {
				t.Fatalf("Decode accepted the token: %v", cl.members)
			}
			if cl != nil {
				t.Error("Decode returned claims with an error")
			}
			if r := reasonOf(t, err); tc.reason != "" && r != tc.reason {
				t.Errorf("reason = %q, want %q", r, tc.reason)
			}
			// The hot path refuses it for the same reason.
			err2 := c.VerifyAccess(tc.tok, testNow, &a)
			if err2 != err {
				t.Errorf("VerifyAccess = %v, Decode = %v", err2, err)
			}
			if a.JTI != nil || a.UserID != nil || a.ExpiresAt != 0 {
				t.Error("VerifyAccess left claims in a after refusing the token")
			}
		})
	}
}

// TestDecodeAccepts lists tokens that are unusual but valid, as PyJWT
// 2.6 accepts them.
func TestDecodeAccepts(t *testing.T) {
	cases := []struct {
		name, header, payload string
		leeway                time.Duration
		exp                   int64
	}{
		{"canonical", stdHeader, accessPayload, 0, 1795339434},
		{"header in another order", `{"typ":"JWT","alg":"HS256"}`, accessPayload, 0, 1795339434},
		{"header without typ", `{"alg":"HS256"}`, accessPayload, 0, 1795339434},
		{"header with spaces", " {\n\"alg\" : \"HS256\" }\t", accessPayload, 0, 1795339434},
		{"escaped alg", `{"alg":"HS\u0032\u0035\u0036"}`, accessPayload, 0, 1795339434},
		{"b64 true", `{"alg":"HS256","b64":true}`, accessPayload, 0, 1795339434},
		{"exp == now with leeway 1s", stdHeader, pl(`"exp":1795339134,"jti":"x"`), time.Second, 1795339134},
		{"exp == now with leeway 1.9s", stdHeader, pl(`"exp":1795339134,"jti":"x"`), 1900 * time.Millisecond, 1795339134},
		{"exp == now+1", stdHeader, pl(`"exp":1795339135,"jti":"x"`), 0, 1795339135},
		{"exp float, truncated", stdHeader, pl(`"exp":1795339434.5,"jti":"x"`), 0, 1795339434},
		{"exp exponent", stdHeader, pl(`"exp":1.795339434e9,"jti":"x"`), 0, 1795339434},
		{"exp max int64", stdHeader, pl(`"exp":9223372036854775807,"jti":"x"`), 0, 9223372036854775807},
		{"EXP beside exp is ignored", stdHeader, pl(std + `,"EXP":1`), 0, 1795339434},
		{"Exp is just a claim", stdHeader, pl(std + `,"Exp":"soon"`), 0, 1795339434},
		{"nbf == now", stdHeader, pl(std + `,"nbf":1795339134`), 0, 1795339434},
		{"nbf in leeway", stdHeader, pl(std + `,"nbf":1795339136`), 2 * time.Second, 1795339434},
		{"iat == now", stdHeader, pl(`"exp":1795339434,"iat":1795339134,"jti":"x"`), 0, 1795339434},
		{"iat in leeway", stdHeader, pl(`"exp":1795339434,"iat":1795339135,"jti":"x"`), time.Second, 1795339434},
		{"no iat", stdHeader, pl(`"exp":1795339434,"jti":"x"`), 0, 1795339434},
		{"aud ignored when not configured", stdHeader, pl(std + `,"aud":"someone-else"`), 0, 1795339434},
		{"iss ignored when not configured", stdHeader, pl(std + `,"iss":42`), 0, 1795339434},
		{"payload with spaces", stdHeader, " {\"token_type\" : \"access\",\n\"exp\": 1795339434 , \"jti\":\"x\"}\r\n", 0, 1795339434},
		{"float user_id", stdHeader, pl(std[:len(std)-1] + `1.0`), 0, 1795339434},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Leeway = tc.leeway
			c := mustNew(t, cfg)
			tok := hs256(tc.header, tc.payload)
			cl, err := c.Decode(tok, testNow)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if exp, _ := cl.ExpiresAt(); exp.Unix() != tc.exp {
				t.Errorf("ExpiresAt = %d, want %d", exp.Unix(), tc.exp)
			}
			var a AccessClaims
			if err := c.VerifyAccess(tok, testNow, &a); err != nil {
				t.Fatalf("VerifyAccess: %v", err)
			}
			if a.ExpiresAt != tc.exp {
				t.Errorf("AccessClaims.ExpiresAt = %d, want %d", a.ExpiresAt, tc.exp)
			}
		})
	}
}

// TestLeewayEdges walks exp, nbf and iat across the boundary with and
// without leeway.
func TestLeewayEdges(t *testing.T) {
	for _, leeway := range []int64{0, 1, 30} {
		cfg := testConfig()
		cfg.Leeway = time.Duration(leeway) * time.Second
		c := mustNew(t, cfg)
		for d := int64(-3); d <= 3; d++ {
			check := func(claim string, v int64, wantOK bool) {
				t.Helper()
				p := fmt.Sprintf(`{"exp":%d,"%s":%d}`, nowSec+leeway+100, claim, v)
				if claim == "exp" {
					p = fmt.Sprintf(`{"exp":%d}`, v)
				}
				_, err := c.Decode(hs256(stdHeader, p), testNow)
				if (err == nil) != wantOK {
					t.Errorf("leeway %d, %s = now%+d: err = %v, want ok = %v", leeway, claim, v-nowSec, err, wantOK)
				}
			}
			// exp must be after now − leeway.
			check("exp", nowSec-leeway+d, d > 0)
			// nbf and iat must not be after now + leeway.
			check("nbf", nowSec+leeway+d, d <= 0)
			check("iat", nowSec+leeway+d, d <= 0)
		}
	}
}

// TestHeaderParameters shows that typ, cty and unknown parameters change
// nothing, that a key carried or pointed at by the header (jwk, jku, x5u,
// x5c) is refused even when the token is signed with the configured key,
// and that a kid naming no configured key is refused.
func TestHeaderParameters(t *testing.T) {
	attacker := []byte("attacker-controlled-secret-attacker-controlled-se")
	jwk := `{"kty":"oct","k":"` + base64.RawURLEncoding.EncodeToString(attacker) + `"}`
	params := map[string]struct{ value, reason string }{
		"kid":      {`"attacker"`, "unknown_kid"},
		"kid num":  {`7`, "unknown_kid"},
		"kid path": {`"../../../../dev/null"`, "unknown_kid"},
		"jku":      {`"https://attacker.example/jwks.json"`, "key_in_header"},
		"jwk":      {jwk, "key_in_header"},
		"x5u":      {`"https://attacker.example/cert.pem"`, "key_in_header"},
		"x5c":      {`["MIIBszCCAVmgAwIBAgIUY"]`, "key_in_header"},
		"typ":      {`"at+jwt"`, ""},
		"cty":      {`"JWT"`, ""},
		"unknown":  {`{"nested":[1,2,{"a":null}]}`, ""},
	}
	c := mustNew(t, testConfig())
	for name, p := range params {
		key := strings.Fields(name)[0]
		header := `{"alg":"HS256","` + key + `":` + p.value + `}`
		t.Run(name, func(t *testing.T) {
			cl, err := c.Decode(hs256(header, accessPayload), testNow)
			if p.reason != "" {
				if r := reasonOf(t, err); r != p.reason {
					t.Errorf("signed with the configured key: reason %q, want %s", r, p.reason)
				}
			} else if err != nil {
				t.Fatalf("signed with the configured key: %v", err)
			} else if uid, _ := cl.UserID(); string(uid) != "1" {
				t.Errorf("user id = %s", uid)
			}
			forged := hmacToken(sha256.New, attacker, header, accessPayload)
			want := p.reason
			if want == "" {
				want = "signature"
			}
			if r := reasonOf(t, decodeErr(c, forged)); r != want {
				t.Errorf("signed with the key the header names: reason %q, want %s", r, want)
			}
		})
	}
}

func lastSegment(tok string) string { return tok[strings.LastIndexByte(tok, '.')+1:] }

func decodeErr(c *Codec, tok string) error {
	_, err := c.Decode(tok, testNow)
	if err == nil {
		return errors.New("accepted")
	}
	return err
}

func TestAudienceAndIssuer(t *testing.T) {
	cfg := testConfig()
	cfg.Audience = "api"
	cfg.Issuer = "https://issuer.example"
	c := mustNew(t, cfg)
	const iss = `,"iss":"https://issuer.example"`
	const aud = `,"aud":"api"`
	cases := []struct {
		name, extra, reason string
	}{
		{"both", aud + iss, ""},
		{"aud array", `,"aud":["other","api"]` + iss, ""},
		{"aud escaped", `,"aud":"\u0061pi"` + iss, ""},
		{"iss escaped", aud + `,"iss":"https:\/\/issuer.example"`, ""},
		{"aud missing", iss, "audience"},
		{"aud mismatch", `,"aud":"API"` + iss, "audience"},
		{"aud prefix", `,"aud":"ap"` + iss, "audience"},
		{"aud empty", `,"aud":""` + iss, "audience"},
		{"aud null", `,"aud":null` + iss, "audience"},
		{"aud number", `,"aud":1` + iss, "audience"},
		{"aud empty array", `,"aud":[]` + iss, "audience"},
		{"aud array without it", `,"aud":["other"]` + iss, "audience"},
		{"aud array with a non-string", `,"aud":["api",1]` + iss, "audience"},
		{"aud nested array", `,"aud":[["api"]]` + iss, "audience"},
		{"aud object", `,"aud":{"api":true}` + iss, "audience"},
		{"iss missing", aud, "issuer"},
		{"iss mismatch", aud + `,"iss":"https://evil.example"`, "issuer"},
		{"iss array", aud + `,"iss":["https://issuer.example"]`, "issuer"},
		{"iss null", aud + `,"iss":null`, "issuer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok := hs256(stdHeader, pl(std+tc.extra))
			_, err := c.Decode(tok, testNow)
			if tc.reason == "" {
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				return
			}
			if r := reasonOf(t, err); r != tc.reason {
				t.Errorf("reason = %q, want %q", r, tc.reason)
			}
		})
	}
}

// TestTooLong shows that an oversized token is refused before any
// decoding: refusing it costs no allocation and no time in proportion to
// its size beyond the length check.
func TestTooLong(t *testing.T) {
	c := mustNew(t, testConfig())
	huge := hs256(stdHeader, pl(std+`,"pad":"`+strings.Repeat("x", 1<<20)+`"`))
	if r := reasonOf(t, decodeErr(c, huge)); r != "too_long" {
		t.Fatalf("reason = %q, want too_long", r)
	}
	var a AccessClaims
	if err := c.VerifyAccess(huge, testNow, &a); err != errTooLong {
		t.Fatalf("VerifyAccess = %v", err)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = c.Decode(huge, testNow) }); n != 0 {
		t.Errorf("Decode of a 1 MiB token allocates %v times; it must stop at the length check", n)
	}
	if n := testing.AllocsPerRun(100, func() { _ = c.VerifyAccess(huge, testNow, &a) }); n != 0 {
		t.Errorf("VerifyAccess of a 1 MiB token allocates %v times", n)
	}
	if cap(a.buf) != 0 {
		t.Errorf("VerifyAccess grew its buffer to %d bytes for a token it refuses by length", cap(a.buf))
	}

	// The limit is inclusive and configurable.
	tok := hs256(stdHeader, accessPayload)
	cfg := testConfig()
	cfg.MaxTokenLength = len(tok)
	if _, err := mustNew(t, cfg).Decode(tok, testNow); err != nil {
		t.Errorf("token of exactly MaxTokenLength: %v", err)
	}
	cfg.MaxTokenLength = len(tok) - 1
	if r := reasonOf(t, decodeErr(mustNew(t, cfg), tok)); r != "too_long" {
		t.Errorf("token one byte over MaxTokenLength: reason %q", r)
	}
}

func TestDistinctReasons(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range []*Error{
		errTooLong, errSegments, errBase64, errHeader, errAlgorithm, errCrit, errB64,
		errSignature, errPayload, errDuplicateClaim, errExpFormat, errExpired, errNbfFormat,
		errNotYetValid, errIatFormat, errIatFuture, errAudience, errIssuer, errNoCodec, errNoClaims,
	} {
		if e.Reason == "" || seen[e.Reason] {
			t.Errorf("reason %q is empty or used twice", e.Reason)
		}
		seen[e.Reason] = true
		if !errors.Is(e, ErrInvalid) || e.Error() != "Token is invalid or expired ("+e.Reason+")" {
			t.Errorf("%#v does not read as ErrInvalid", e)
		}
		for _, other := range []error{ErrNoExp, ErrNoID, ErrNoType, ErrWrongType, ErrBlacklisted} {
			if errors.Is(e, other) {
				t.Errorf("%v matches %v", e, other)
			}
		}
	}
}

func TestZeroCodecRefuses(t *testing.T) {
	var c Codec
	if r := reasonOf(t, decodeErr(&c, hs256(stdHeader, accessPayload))); r != "codec_not_initialised" {
		t.Errorf("reason %q", r)
	}
	if _, _, err := c.NewPair(int64(1), testNow); err == nil {
		t.Error("zero Codec signed a token")
	}
}
