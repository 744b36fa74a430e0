package token

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
)

// FuzzDifferentialGolangJWT feeds the same tokens to our decoder and to
// golang-jwt v5's parser (strict base64, HS256 pinned, exp required, iat
// checked, claims decoded into case-sensitive MapClaims) and fails on any
// difference in acceptance that is not one of the documented deliberate
// differences of docs/token-parser.md. explainDifference names them.
func FuzzDifferentialGolangJWT(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	c := mustNew(f, testConfig())
	key := []byte(testSecret)
	p := jwt.NewParser(jwt.WithStrictDecoding(), jwt.WithValidMethods([]string{"HS256"}),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithTimeFunc(func() time.Time { return testNow }))
	keyFunc := func(*jwt.Token) (any, error) { return key, nil }
	f.Fuzz(func(t *testing.T, tok string) {
		for _, tok := range []string{tok, resign(tok)} {
			// Decode is PyJWT's stage; exp is required by simplejwt's
			// stage after it, as WithExpirationRequired does.
			cl, ours := c.Decode(tok, testNow)
			if ours == nil {
				if _, ok := cl.ExpiresAt(); !ok {
					ours = ErrNoExp
				}
			}
			_, theirs := p.ParseWithClaims(tok, jwt.MapClaims{}, keyFunc)
			if (ours == nil) == (theirs == nil) {
				continue
			}
			if why := explainDifference(tok); why == "" {
				t.Fatalf("undocumented difference on %q: ours %v, golang-jwt %v", tok, ours, theirs)
			}
		}
	})
}

// explainDifference returns the docs/token-parser.md entry that explains
// why the two parsers may disagree on tok, or "" if none applies. It
// decodes with the standard library only, not with our parser.
func explainDifference(tok string) string {
	if len(tok) > DefaultMaxTokenLength {
		return "length limit"
	}
	if strings.ContainsAny(tok, "\r\n") {
		return "line breaks in base64"
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return ""
	}
	var seg [2][]byte
	for i := range seg {
		b, err := base64.RawURLEncoding.Strict().DecodeString(parts[i])
		if err != nil {
			return ""
		}
		seg[i] = b
	}
	for _, s := range seg {
		if !utf8.Valid(s) {
			return "invalid UTF-8"
		}
		if duplicateMember(s) {
			return "duplicate member names"
		}
	}
	var hdr map[string]json.RawMessage
	if json.Unmarshal(seg[0], &hdr) == nil {
		for _, p := range []string{"crit", "b64", "kid", "jwk", "jku", "x5u", "x5c"} {
			if _, ok := hdr[p]; ok {
				return "header parameters"
			}
		}
	}
	var claims map[string]any
	d := json.NewDecoder(bytes.NewReader(seg[1]))
	d.UseNumber()
	if d.Decode(&claims) == nil {
		for _, name := range []string{"exp", "nbf", "iat"} {
			n, ok := claims[name].(json.Number)
			if !ok {
				continue
			}
			v, err := n.Float64()
			if err != nil || v != math.Trunc(v) || math.Abs(v) >= 1<<53 {
				return "time claims"
			}
			if _, err := n.Int64(); err != nil {
				return "time claims" // 1e3 and the like
			}
		}
	}
	return ""
}

// duplicateMember reports whether a JSON object has a member name twice at
// its top level (names compared after unescaping).
func duplicateMember(b []byte) bool {
	d := json.NewDecoder(bytes.NewReader(b))
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return false
	}
	seen := map[string]bool{}
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return false
		}
		name, _ := t.(string)
		if seen[name] {
			return true
		}
		seen[name] = true
		var skip json.RawMessage
		if d.Decode(&skip) != nil {
			return false
		}
	}
	return false
}
