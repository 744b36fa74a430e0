package token

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzSeeds are real tokens: simplejwt's, PyJWT's under other
// algorithms, and hostile ones.
func fuzzSeeds(t testing.TB) []string {
	v := loadVectors(t)
	seeds := []string{
		v.PairInt.Refresh, v.PairInt.Access, v.PairStr.Access, v.RefreshedAccess,
		v.RotatedRefresh, v.CustomRefresh, v.AudIss.Refresh, v.HS384, v.HS512, v.None,
		hs256(stdHeader, accessPayload),
		hs256(stdHeader, `{"token_type":"access","exp":1,"jti":"a"}`),
		hs256(`{"alg":"HS256","crit":["b64"],"b64":false}`, accessPayload),
		hs256(`{"alg":"HS256","kid":"../x","jku":"https://a.example/k"}`, accessPayload),
		hs256(stdHeader, `{"token_type":"access","exp":1795339434.5,"iat":1e300,"jti":"\ud83d\ude00","user_id":"\u0000"}`),
		hs256(stdHeader, `{"exp":1795339434,"exp":1}`),
		hs256(stdHeader, `{"aud":["a",1],"iss":null,"nbf":"x","exp":[],"jti":{}}`),
		b64(`{"alg":"none"}`) + "." + b64(accessPayload) + ".",
		"eyJhbGciOiJIUzI1NiJ9.e30.",
		"a.b.c.d",
		"",
	}
	for _, a := range v.Asymmetric {
		seeds = append(seeds, a.Token)
	}
	return seeds
}

// resign replaces the signature of a three-segment token with the right
// HS256 signature under the test secret, so that the fuzzer reaches the
// header and payload checks.
func resign(tok string) string {
	i := strings.LastIndexByte(tok, '.')
	if i < 0 {
		return tok
	}
	m := hmac.New(sha256.New, []byte(testSecret))
	m.Write([]byte(tok[:i]))
	return tok[:i+1] + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	cfg := testConfig()
	cfg.ExtraClaims = []string{"email", "user_id"}
	c := mustNew(f, cfg)
	var a AccessClaims
	f.Fuzz(func(t *testing.T, tok string) {
		for _, tok := range []string{tok, resign(tok)} {
			cl, err := c.Decode(tok, testNow)
			verr := c.VerifyAccess(tok, testNow, &a)
			if err != nil {
				var e *Error
				if !errors.As(err, &e) || !errors.Is(err, ErrInvalid) || e.Reason == "" || cl != nil {
					t.Fatalf("Decode error %#v is not a reasoned ErrInvalid", err)
				}
				if verr != err {
					t.Fatalf("VerifyAccess = %v, Decode = %v", verr, err)
				}
				continue
			}
			checkVerified(t, c, tok, cl)
			if cerr := c.Check(cl, Access); cerr != verr {
				t.Fatalf("VerifyAccess = %v, Decode+Check = %v", verr, cerr)
			}
			if verr == nil {
				checkAccessClaims(t, cl, &a, cfg.ExtraClaims)
			}
		}
	})
}

// checkVerified re-checks, independently, what a token that Decode
// accepted must satisfy.
func checkVerified(t *testing.T, c *Codec, tok string, cl *Claims) {
	t.Helper()
	if len(tok) > DefaultMaxTokenLength {
		t.Fatalf("accepted a token of %d bytes", len(tok))
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("accepted a token with %d segments", len(parts))
	}
	strict := base64.RawURLEncoding.Strict()
	var seg [3][]byte
	for i, p := range parts {
		b, err := strict.DecodeString(p)
		if err != nil || p == "" || strings.ContainsAny(p, "\r\n=") {
			t.Fatalf("accepted segment %d %q: %v", i, p, err)
		}
		seg[i] = b
	}
	m := hmac.New(sha256.New, []byte(testSecret))
	m.Write([]byte(parts[0] + "." + parts[1]))
	if !hmac.Equal(m.Sum(nil), seg[2]) {
		t.Fatal("accepted a bad signature")
	}
	var hdr map[string]any
	if err := json.Unmarshal(seg[0], &hdr); err != nil || !utf8.Valid(seg[0]) {
		t.Fatalf("accepted header %q: %v", seg[0], err)
	}
	if hdr["alg"] != "HS256" {
		t.Fatalf("accepted alg %v", hdr["alg"])
	}
	if _, ok := hdr["crit"]; ok {
		t.Fatal("accepted crit")
	}
	if b, ok := hdr["b64"]; ok && b != true {
		t.Fatalf("accepted b64 %v", b)
	}
	var pay map[string]json.RawMessage
	if err := json.Unmarshal(seg[1], &pay); err != nil || !utf8.Valid(seg[1]) {
		t.Fatalf("accepted payload %q: %v", seg[1], err)
	}
	if len(pay) != len(cl.members) {
		t.Fatalf("payload has %d distinct names, Claims %d members", len(pay), len(cl.members))
	}
	for name, raw := range pay {
		got, ok := cl.Get(name)
		if !ok || !bytes.Equal(got, bytes.TrimSpace(raw)) {
			t.Fatalf("claim %q = %q, encoding/json: %q", name, got, raw)
		}
	}
	now := testNow.Unix()
	for _, name := range []string{"exp", "nbf", "iat"} {
		raw, ok := pay[name]
		if !ok {
			continue
		}
		var f float64
		if err := json.Unmarshal(raw, &f); err != nil {
			t.Fatalf("accepted %s = %s", name, raw)
		}
		switch {
		case name == "exp" && math.Trunc(f) <= float64(now):
			t.Fatalf("accepted expired exp %s", raw)
		case name == "nbf" && math.Trunc(f) > float64(now):
			t.Fatalf("accepted future nbf %s", raw)
		case name == "iat" && f > float64(now):
			t.Fatalf("accepted future iat %s", raw)
		case math.Abs(f) >= 1<<63:
			t.Fatalf("accepted %s = %s outside int64", name, raw)
		}
	}
}

func checkAccessClaims(t *testing.T, cl *Claims, a *AccessClaims, extra []string) {
	t.Helper()
	jti, ok := cl.JTI()
	if !ok || jti != string(a.JTI) {
		t.Fatalf("AccessClaims.JTI %q, Claims.JTI %q %v", a.JTI, jti, ok)
	}
	if exp, _ := cl.ExpiresAt(); exp.Unix() != a.ExpiresAt {
		t.Fatalf("AccessClaims.ExpiresAt %d, Claims %d", a.ExpiresAt, exp.Unix())
	}
	if uid, _ := cl.UserID(); !bytes.Equal(uid, a.UserID) || (uid == nil) != (a.UserID == nil) {
		t.Fatalf("AccessClaims.UserID %q, Claims %q", a.UserID, uid)
	}
	for i, name := range extra {
		if v, _ := cl.Get(name); !bytes.Equal(v, a.Extra[i]) {
			t.Fatalf("Extra[%d] %q, Claims %q", i, a.Extra[i], v)
		}
	}
	if typ, ok := cl.Type(); !ok || typ != "access" {
		t.Fatalf("VerifyAccess accepted type %q %v", typ, ok)
	}
}

// FuzzVerifyAccess signs arbitrary headers and payloads and checks that
// the hot path agrees with Decode+Check and with encoding/json's reading
// of the payload.
func FuzzVerifyAccess(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		parts := strings.Split(s, ".")
		if len(parts) != 3 {
			continue
		}
		h, _ := base64.RawURLEncoding.DecodeString(parts[0])
		p, _ := base64.RawURLEncoding.DecodeString(parts[1])
		f.Add(h, p)
	}
	f.Add([]byte(stdHeader), []byte(`{"token_type":"access","exp":1795339435,"jti":"\u0041","user_id":null,"email":"x"}`))
	cfg := testConfig()
	cfg.Leeway = 0
	cfg.ExtraClaims = []string{"email", "role"}
	c := mustNew(f, cfg)
	var a AccessClaims
	f.Fuzz(func(t *testing.T, header, payload []byte) {
		tok := hs256(string(header), string(payload))
		verr := c.VerifyAccess(tok, testNow, &a)
		cl, err := c.Decode(tok, testNow)
		if err != nil {
			if verr != err {
				t.Fatalf("VerifyAccess = %v, Decode = %v", verr, err)
			}
			return
		}
		checkVerified(t, c, tok, cl)
		if cerr := c.Check(cl, Access); cerr != verr {
			t.Fatalf("VerifyAccess = %v, Decode+Check = %v", verr, cerr)
		}
		if verr == nil {
			checkAccessClaims(t, cl, &a, cfg.ExtraClaims)
		}
		// Whatever was accepted can be re-issued and decodes again.
		if verr == nil {
			if _, err := c.AccessFor(cl, testNow); err != nil {
				t.Fatalf("AccessFor: %v", err)
			}
			r, err := c.Rotate(cl, testNow)
			if err != nil {
				t.Fatalf("Rotate: %v", err)
			}
			if _, err := c.Decode(r.Token, testNow); err != nil && len(r.Token) <= DefaultMaxTokenLength {
				t.Fatalf("rotated token does not decode: %v", err)
			}
		}
	})
}

// stdMembers is encoding/json's reading of a JSON object: member names
// and raw values, in order, duplicates included.
func stdMembers(p []byte) (names []string, values [][]byte, ok bool) {
	if !json.Valid(p) {
		return nil, nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(p))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, nil, false
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nil, nil, false
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, false
		}
		names = append(names, k.(string))
		values = append(values, bytes.TrimSpace(raw))
	}
	return names, values, true
}

// FuzzJSONObject is a differential test of the scanner against
// encoding/json: for a valid object, the members must match; invalid
// JSON must be refused.
func FuzzJSONObject(f *testing.F) {
	for _, s := range []string{
		accessPayload, stdHeader, `{}`, ` { } `, `[]`, `{"a":[1,{"b":"]}\""}],"c":{"d":[]}}`,
		`{"\u0065xp":1,"exp":2}`, `{"a":"\ud800"}`, `{"\ud83d\ude00":true}`, `{"a":1}x`, `{"a" 1}`,
		`{"a":-0.0e+1,"b":null,"c":false}`, "{\"a\":\"\xff\"}", `{"a":01}`, `{"a":"\x"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		_, ms, ok := splitObject(p, nil, nil)
		ours := ok && utf8.Valid(p) && json.Valid(p)
		names, values, std := stdMembers(p)
		if !json.Valid(p) {
			if std {
				t.Fatal("stdMembers accepted invalid JSON")
			}
			return // splitObject is only ever called on valid JSON
		}
		if !ours {
			// We refuse only what encoding/json reads lossily: invalid
			// UTF-8 and lone surrogates in names, or a non-object.
			if std && utf8.Valid(p) && !bytes.Contains(bytes.ToLower(p), []byte(`\ud`)) {
				t.Fatalf("refused valid object %q", p)
			}
			return
		}
		if !std {
			t.Fatalf("accepted %q, which encoding/json does not read as an object", p)
		}
		if len(ms) != len(names) {
			t.Fatalf("%d members, encoding/json %d", len(ms), len(names))
		}
		for i := range ms {
			if string(ms[i].name) != names[i] || !bytes.Equal(ms[i].value, values[i]) {
				t.Fatalf("member %d: %q=%q, encoding/json %q=%q", i, ms[i].name, ms[i].value, names[i], values[i])
			}
			var s string
			if err := json.Unmarshal(ms[i].qname, &s); err != nil || s != names[i] {
				t.Fatalf("qname %q does not decode to %q", ms[i].qname, names[i])
			}
			// The string helpers agree with encoding/json on every string
			// value.
			if ms[i].value[0] == '"' {
				var want string
				if err := json.Unmarshal(ms[i].value, &want); err != nil {
					t.Fatal(err)
				}
				got, ok := stringValue(ms[i].value)
				if ok && (got != want || !stringEquals(ms[i].value, want)) {
					t.Fatalf("string %q: ours %q, encoding/json %q", ms[i].value, got, want)
				}
				if !ok && !bytes.Contains(bytes.ToLower(ms[i].value), []byte(`\ud`)) {
					t.Fatalf("string %q refused", ms[i].value)
				}
				if validString(ms[i].value) != ok {
					t.Fatalf("validString(%q) = %v, stringValue ok = %v", ms[i].value, !ok, ok)
				}
			}
			// parseNumber agrees with encoding/json on every number.
			if n, above, ok := parseNumber(ms[i].value); ok {
				var f float64
				if err := json.Unmarshal(ms[i].value, &f); err != nil {
					t.Fatalf("parseNumber accepted %q: %v", ms[i].value, err)
				}
				if bytes.ContainsAny(ms[i].value, ".eE") && (float64(n) != math.Trunc(f) || above != (f > math.Trunc(f))) {
					t.Fatalf("parseNumber(%q) = %d %v, float %v", ms[i].value, n, above, f)
				}
				if !bytes.ContainsAny(ms[i].value, ".eE") {
					var i64 int64
					if err := json.Unmarshal(ms[i].value, &i64); err != nil || i64 != n {
						t.Fatalf("parseNumber(%q) = %d, int64 %d %v", ms[i].value, n, i64, err)
					}
				}
			}
		}
	})
}

// FuzzBase64 compares the strict decoder with encoding/base64's.
func FuzzBase64(f *testing.F) {
	for _, s := range []string{"", "QQ", "QR", "QUI", "QUJ", "QUJD", "QQ==", "-_", "+/", "Q\nQ"} {
		f.Add(s)
	}
	strict := base64.RawURLEncoding.Strict()
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := b64Decode(nil, s)
		want, err := strict.DecodeString(s)
		if strings.ContainsAny(s, "\r\n") {
			// encoding/base64 skips line breaks; we refuse them.
			if ok {
				t.Fatalf("accepted %q with a line break", s)
			}
			return
		}
		if ok != (err == nil) || (ok && !bytes.Equal(got, want)) || (!ok && len(got) != 0) {
			t.Fatalf("%q: ours %v %x, encoding/base64 %v %x", s, ok, got, err, want)
		}
	})
}
