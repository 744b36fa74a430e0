package token

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Benchmarks of the hot path. Compare runs with benchstat; the
// GolangJWTParseMapClaims baseline is golang-jwt's stock parser on the
// same token.

func BenchmarkVerifyAccess(b *testing.B) {
	c := mustNew(b, testConfig())
	good := hs256(stdHeader, accessPayload)
	cases := []struct {
		name, tok string
		ok        bool
	}{
		{"valid", good, true},
		{"expired", hs256(stdHeader, `{"token_type":"access","exp":1795339000,"iat":1795338700,"jti":"9245bf0febe94952806e138e078df76e","user_id":1}`), false},
		{"garbage", "definitely-not-a-token", false},
		{"bad_signature", good[:len(good)-4] + "AAAA", false},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			var a AccessClaims
			b.ReportAllocs()
			for b.Loop() {
				if err := c.VerifyAccess(bc.tok, testNow, &a); (err == nil) != bc.ok {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	c := mustNew(b, testConfig())
	tok := hs256(stdHeader, accessPayload)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Decode(tok, testNow); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNewPair(b *testing.B) {
	c := mustNew(b, testConfig())
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := c.NewPair(int64(1), testNow); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGolangJWTParseMapClaims is the baseline: golang-jwt v5's
// ParseWithClaims with MapClaims on the same kind of token (issued now,
// since golang-jwt reads the real clock).
func BenchmarkGolangJWTParseMapClaims(b *testing.B) {
	c := mustNew(b, testConfig())
	_, a, err := c.NewPair(int64(1), time.Now())
	if err != nil {
		b.Fatal(err)
	}
	key := []byte(testSecret)
	keyFunc := func(*jwt.Token) (any, error) { return key, nil }
	p := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.ParseWithClaims(a.Token, jwt.MapClaims{}, keyFunc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeClaims is claim encoding alone: an access token's payload
// (token_type, exp, iat, a fresh jti, user_id) built and written as JSON,
// without the signature.
func BenchmarkEncodeClaims(b *testing.B) {
	c := mustNew(b, testConfig())
	uid := jsonInt(1)
	b.ReportAllocs()
	for b.Loop() {
		p, _, _ := c.fresh(Access, testNow, c.cfg.AccessLifetime, "")
		p.set(c.cfg.UserIDClaim, uid)
		c.setAudIss(p)
		if len(p.encode()) == 0 {
			b.Fatal("empty payload")
		}
	}
}

// BenchmarkSign is token signing alone (HS256): base64 of the encoded
// payload, the HMAC and the compact serialisation.
func BenchmarkSign(b *testing.B) {
	c := mustNew(b, testConfig())
	p, _, _ := c.fresh(Access, testNow, c.cfg.AccessLifetime, "")
	p.set(c.cfg.UserIDClaim, jsonInt(1))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.sign(p); err != nil {
			b.Fatal(err)
		}
	}
}

// benchRefresh is a codec and the decoded claims of a refresh token it
// issued, the input of refresh's token work.
func benchRefresh(b *testing.B) (*Codec, *Claims) {
	c := mustNew(b, testConfig())
	r, _, err := c.NewPair(int64(1), testNow)
	if err != nil {
		b.Fatal(err)
	}
	cl, err := c.Decode(r.Token, testNow)
	if err != nil {
		b.Fatal(err)
	}
	return c, cl
}

// BenchmarkAccessFor is refresh's token work without rotation: a new
// access token from the decoded refresh token's claims.
func BenchmarkAccessFor(b *testing.B) {
	c, cl := benchRefresh(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.AccessFor(cl, testNow); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRotate is the rotated refresh token of refresh with rotation.
func BenchmarkRotate(b *testing.B) {
	c, cl := benchRefresh(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Rotate(cl, testNow); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyAlgorithms is VerifyAccess for each algorithm beside
// golang-jwt's parser (HS pinned, MapClaims) on the same token and key.
func BenchmarkVerifyAlgorithms(b *testing.B) {
	for _, alg := range allAlgorithms {
		c := mustNew(b, setConfig(Key{ID: "k", Algorithm: alg, SigningKey: keyFor(alg), Signs: true}))
		now := time.Now()
		_, a, err := c.NewPair(int64(1), now)
		if err != nil {
			b.Fatal(err)
		}
		var key any = keyFor(alg)
		if alg[:2] != "HS" {
			key = c.signer.verifyKey
		}
		b.Run(alg+"/jwtgate", func(b *testing.B) {
			var ac AccessClaims
			b.ReportAllocs()
			for b.Loop() {
				if err := c.VerifyAccess(a.Token, now, &ac); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(alg+"/golang-jwt", func(b *testing.B) {
			p := jwt.NewParser(jwt.WithValidMethods([]string{alg}))
			keyFunc := func(*jwt.Token) (any, error) { return key, nil }
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.ParseWithClaims(a.Token, jwt.MapClaims{}, keyFunc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
