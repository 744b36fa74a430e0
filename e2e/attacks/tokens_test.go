package attacks

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
)

// attackerKeys are keys the attacker owns, and the public halves an
// algorithm-confusion attack signs with as if they were HMAC secrets.
type attackerKeys struct {
	rsa       *rsa.PrivateKey
	ec        *ecdsa.PrivateKey
	ed        ed25519.PrivateKey
	rsaPubPEM []byte
	rsaPubDER []byte
	ecPubPEM  []byte
	certDER   []byte
}

func newAttackerKeys(t testing.TB) *attackerKeys {
	t.Helper()
	k := &attackerKeys{}
	var err error
	if k.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	if k.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	if _, k.ed, err = ed25519.GenerateKey(rand.Reader); err != nil {
		t.Fatal(err)
	}
	if k.rsaPubDER, err = x509.MarshalPKIXPublicKey(&k.rsa.PublicKey); err != nil {
		t.Fatal(err)
	}
	k.rsaPubPEM = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: k.rsaPubDER})
	ecDER, err := x509.MarshalPKIXPublicKey(&k.ec.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	k.ecPubPEM = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ecDER})
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "attacker"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	if k.certDER, err = x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.rsa.PublicKey, k.rsa); err != nil {
		t.Fatal(err)
	}
	return k
}

// rsaJWK is the attacker's RSA public key as a JWK.
func (k *attackerKeys) rsaJWK() string {
	n := base64.RawURLEncoding.EncodeToString(k.rsa.N.Bytes())
	e := base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.rsa.E)).Bytes())
	return `{"kty":"RSA","n":"` + n + `","e":"` + e + `"}`
}

// asymToken signs a payload with a raw header under an asymmetric key.
func asymToken(t testing.TB, method jwt.SigningMethod, key crypto.Signer, header string, c claims) string {
	t.Helper()
	in := b64(header) + "." + b64(c.payload())
	sig, err := method.Sign(in, key)
	if err != nil {
		t.Fatalf("signing with %s: %v", method.Alg(), err)
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// keyURLListener is a loopback listener that jku and x5u headers point
// at. The gateway must never connect to it.
type keyURLListener struct {
	l     net.Listener
	conns atomic.Int64
}

func startKeyURLListener(t testing.TB) *keyURLListener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	k := &keyURLListener{l: l}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			k.conns.Add(1)
			c.Close()
		}
	}()
	t.Cleanup(func() { l.Close() })
	return k
}

func (k *keyURLListener) url(path string) string { return "http://" + k.l.Addr().String() + path }

// tokenAttack is a forged or malformed token and what each route must
// answer to it.
type tokenAttack struct {
	name string
	// tok builds the token for a type: "access" for the protected route,
	// "refresh" for refresh, blacklist and verify.
	tok func(typ string) string
	// protected is the 401 body of the protected route.
	protected string
	// routes is the 401 body of refresh and blacklist; "" means
	// routeBody(msgInvalid), "-" that they are not attacked (the token is
	// well-signed and valid for them).
	routes string
	// verify is verify's body: "" means the same as routes, "{}" a 200.
	verify string
}

// invalid is an attack every route refuses as "Token is invalid or
// expired".
func invalid(name string, tok func(typ string) string) tokenAttack {
	return tokenAttack{name: name, tok: tok, protected: protectedBody(msgInvalid)}
}

// signed builds a tokenAttack token signed with the gateway's own key from
// claims for the type: these reach the claim checks.
func signed(header string, c func(typ string) claims) func(string) string {
	return func(typ string) string { return handToken(testKey, header, c(typ).payload()) }
}

// fill adds a filler member to c until ok(b64 of the payload) holds.
func fill(c claims, ok func(seg string) bool) claims {
	for n := 0; n < 64; n++ {
		d := c.plus(`"f":"` + strings.Repeat("~", n) + `?"`)
		if ok(b64(d.payload())) {
			return d
		}
	}
	panic("no filler satisfies the condition")
}

func hasPadBits(seg string) bool { return len(seg)%4 == 2 || len(seg)%4 == 3 }

func hasURLChars(seg string) bool { return strings.ContainsAny(seg, "-_") }

// toStd turns base64url into the standard alphabet.
func toStd(seg string) string { return strings.NewReplacer("-", "+", "_", "/").Replace(seg) }

// resign signs header.payload segments as given (however they are
// encoded) with the gateway's key.
func resign(h, p string) string {
	in := h + "." + p
	return in + "." + hmacSign("HS256", testKey, in)
}

// tokenControls are tokens built with the same helpers as the attacks
// but without the flaw: each must be accepted, so that the attacks are
// refused for their flaw and not for a mistake of the helpers.
func tokenControls(t *testing.T, keys *attackerKeys) []struct {
	name string
	tok  func(typ string) string
} {
	now := time.Now()
	unix := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).Unix(), 10) }
	return []struct {
		name string
		tok  func(typ string) string
	}{
		{"simplejwt's claims, signed by hand", func(typ string) string { return handToken(testKey, stdHeader, std(typ, 5*time.Minute).payload()) }},
		{"header without typ", signed(`{"alg":"HS256"}`, func(typ string) claims { return std(typ, 5*time.Minute) })},
		{"header with pad bits, canonical", func(typ string) string {
			hdr := `{"alg":"HS256","typ":"JWT","x":1}`
			if !hasPadBits(b64(hdr)) {
				hdr = `{"alg":"HS256","typ":"JWT","x":12}`
			}
			return resign(b64(hdr), b64(std(typ, 5*time.Minute).payload()))
		}},
		{"payload with pad bits, canonical", func(typ string) string {
			return resign(b64(stdHeader), b64(fill(std(typ, 5*time.Minute), hasPadBits).payload()))
		}},
		{"payload with - or _, canonical", func(typ string) string {
			return resign(b64(stdHeader), b64(fill(std(typ, 5*time.Minute), hasURLChars).payload()))
		}},
		{"exp with a fraction", signed(stdHeader, func(typ string) claims { return std(typ, 5*time.Minute).set("exp", unix(time.Hour)+".75") })},
		{"an expired EXP beside a valid exp", signed(stdHeader, func(typ string) claims { return std(typ, 5*time.Minute).plus(`"EXP":` + unix(-time.Hour)) })},
		// iat is now, not earlier: a token issued before its user joined
		// (the test's users are seconds old) is refused (docs/sessions.md).
		{"nbf in the past", signed(stdHeader, func(typ string) claims {
			return std(typ, 5*time.Minute).set("nbf", unix(-time.Minute))
		})},
		{"exp escaped as e\\u0078p alone", signed(stdHeader, func(typ string) claims {
			return std(typ, 5*time.Minute).without("exp").plus(`"e\u0078p":` + unix(time.Hour))
		})},
	}
}

func tokenAttacks(t *testing.T, keys *attackerKeys, keyURL *keyURLListener) []tokenAttack {
	now := time.Now()
	unix := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).Unix(), 10) }
	good := func(typ string) string { return handToken(testKey, stdHeader, std(typ, 5*time.Minute).payload()) }
	var as []tokenAttack

	// alg none, in every casing, with no signature and with the right
	// HMAC of the signing input; and other spellings of the algorithm.
	for _, alg := range []string{"none", "None", "NONE", "nOnE", "NoNe"} {
		hdr := `{"alg":"` + alg + `","typ":"JWT"}`
		as = append(as,
			invalid("alg "+alg+", empty signature", func(typ string) string {
				return b64(hdr) + "." + b64(std(typ, 5*time.Minute).payload()) + "."
			}),
			invalid("alg "+alg+", HMAC signature", signed(hdr, func(typ string) claims { return std(typ, 5*time.Minute) })),
			invalid("alg "+alg+", garbage signature", func(typ string) string {
				return b64(hdr) + "." + b64(std(typ, 5*time.Minute).payload()) + ".AAAA"
			}),
		)
	}
	for _, hdr := range []string{`{"typ":"JWT"}`, `{"alg":"hs256"}`, `{"alg":"HS256 "}`, `{"alg":["HS256"]}`, `{"alg":null}`,
		`{"alg":"none","alg":"HS256"}`, `{"alg":"HS256","alg":"none"}`} {
		as = append(as, invalid("header "+hdr+", HMAC signature", signed(hdr, func(typ string) claims {
			return std(typ, 5*time.Minute)
		})))
	}

	// Algorithm confusion: public keys as HMAC secrets, asymmetric
	// signatures by the attacker's keys, other HMAC sizes with the right
	// key.
	for _, c := range []struct {
		name string
		key  []byte
	}{{"RSA public key PEM", keys.rsaPubPEM}, {"RSA public key DER", keys.rsaPubDER}, {"EC public key PEM", keys.ecPubPEM}} {
		key := c.key
		as = append(as, invalid("HS256 signed with the "+c.name, func(typ string) string {
			return handToken(key, stdHeader, std(typ, 5*time.Minute).payload())
		}))
	}
	for _, c := range []struct {
		method jwt.SigningMethod
		key    crypto.Signer
	}{
		{jwt.SigningMethodRS256, keys.rsa}, {jwt.SigningMethodRS512, keys.rsa},
		{jwt.SigningMethodPS256, keys.rsa}, {jwt.SigningMethodES256, keys.ec}, {jwt.SigningMethodEdDSA, keys.ed},
	} {
		method, key := c.method, c.key
		as = append(as, invalid(method.Alg()+" signed with the attacker's key", func(typ string) string {
			return asymToken(t, method, key, `{"alg":"`+method.Alg()+`","typ":"JWT"}`, std(typ, 5*time.Minute))
		}))
	}
	for _, alg := range []string{"RS256", "ES256", "PS256", "EdDSA"} {
		hdr := `{"alg":"` + alg + `","typ":"JWT"}`
		as = append(as, invalid(alg+" header with the right key's HMAC", signed(hdr, func(typ string) claims {
			return std(typ, 5*time.Minute)
		})))
	}
	for _, alg := range []string{"HS384", "HS512"} {
		hdr := `{"alg":"` + alg + `","typ":"JWT"}`
		as = append(as, invalid(alg+" with the right key", func(typ string) string {
			in := b64(hdr) + "." + b64(std(typ, 5*time.Minute).payload())
			return in + "." + hmacSign(alg, testKey, in)
		}))
	}

	// Tampering with a well-signed token.
	as = append(as,
		invalid("payload tampered (user_id 1 → 2)", func(typ string) string {
			c := std(typ, 5*time.Minute)
			h, _, s := segments(handToken(testKey, stdHeader, c.payload()))
			return h + "." + b64(c.set("user_id", "2").payload()) + "." + s
		}),
		invalid("payload tampered (exp + 1 year)", func(typ string) string {
			c := std(typ, 5*time.Minute)
			h, _, s := segments(handToken(testKey, stdHeader, c.payload()))
			return h + "." + b64(c.set("exp", unix(365*24*time.Hour)).payload()) + "." + s
		}),
		invalid("signature of another token", func(typ string) string {
			_, _, s := segments(good(typ))
			return withSignature(good(typ), s)
		}),
		invalid("signature truncated by one character", func(typ string) string { g := good(typ); return g[:len(g)-1] }),
		invalid("signature truncated by four characters", func(typ string) string { g := good(typ); return g[:len(g)-4] }),
		invalid("signature removed, trailing dot kept", func(typ string) string { return withSignature(good(typ), "") }),
		invalid("signature removed with its dot", func(typ string) string {
			g := good(typ)
			return g[:strings.LastIndexByte(g, '.')]
		}),
		invalid("signature with one character changed", func(typ string) string {
			g := []byte(good(typ))
			i := len(g) - 10
			if g[i] == 'A' {
				g[i] = 'B'
			} else {
				g[i] = 'A'
			}
			return string(g)
		}),
		invalid("a fourth segment", func(typ string) string { return good(typ) + ".e30" }),
		invalid("a fourth, empty segment", func(typ string) string { return good(typ) + "." }),
		invalid("two tokens joined", func(typ string) string { return good(typ) + "." + good(typ) }),
		invalid("empty header segment", func(typ string) string { _, p, s := segments(good(typ)); return "." + p + "." + s }),
		invalid("empty payload segment, re-signed", func(typ string) string { h, _, _ := segments(good(typ)); return resign(h, "") }),
		invalid("garbage", func(string) string { return "garbage" }),
		invalid("dots only", func(string) string { return ".." }),
	)

	// Non-canonical base64url: each variant decodes to the right bytes
	// under a lenient decoder, and header and payload variants are
	// re-signed over exactly the bytes sent.
	as = append(as,
		invalid("signature pad bits flipped", func(typ string) string {
			g := good(typ)
			_, _, s := segments(g)
			return withSignature(g, flipPadBits(s))
		}),
		invalid("payload pad bits flipped, re-signed", func(typ string) string {
			h, _, _ := segments(good(typ))
			return resign(h, flipPadBits(b64(fill(std(typ, 5*time.Minute), hasPadBits).payload())))
		}),
		invalid("header pad bits flipped, re-signed", func(typ string) string {
			hdr := `{"alg":"HS256","typ":"JWT","x":1}`
			if !hasPadBits(b64(hdr)) {
				hdr = `{"alg":"HS256","typ":"JWT","x":12}`
			}
			return resign(flipPadBits(b64(hdr)), b64(std(typ, 5*time.Minute).payload()))
		}),
		invalid("signature padded with =", func(typ string) string {
			g := good(typ)
			_, _, s := segments(g)
			return withSignature(g, s+strings.Repeat("=", (4-len(s)%4)%4))
		}),
		invalid("payload padded with =, re-signed", func(typ string) string {
			h, _, _ := segments(good(typ))
			p := b64(fill(std(typ, 5*time.Minute), hasPadBits).payload())
			return resign(h, p+strings.Repeat("=", (4-len(p)%4)%4))
		}),
		invalid("signature in the standard alphabet (+/)", func(typ string) string {
			for range 1000 {
				g := good(typ) // a new jti each time: a new signature
				if _, _, s := segments(g); hasURLChars(s) {
					return withSignature(g, toStd(s))
				}
			}
			t.Fatal("no signature with - or _ in 1000 tries")
			return ""
		}),
		invalid("payload in the standard alphabet (+/), re-signed", func(typ string) string {
			h, _, _ := segments(good(typ))
			return resign(h, toStd(b64(fill(std(typ, 5*time.Minute), hasURLChars).payload())))
		}),
		invalid("standard base64 with padding throughout, re-signed", func(typ string) string {
			p := base64.StdEncoding.EncodeToString([]byte(fill(std(typ, 5*time.Minute), hasPadBits).payload()))
			return resign(base64.StdEncoding.EncodeToString([]byte(stdHeader)), p)
		}),
	)

	// kid: a path, SQL and a huge value, each signed with the key the
	// injection would select. None of them selects anything.
	for _, c := range []struct {
		name, kid string
		key       []byte
	}{
		{"kid path traversal to /dev/null, empty key", "../../../../../../../../dev/null", []byte{}},
		{"kid absolute path /dev/null, empty key", "/dev/null", []byte{}},
		{"kid path traversal to a public file", "../../../../../../../../etc/hostname", []byte("attacker-chosen-secret")},
		{"kid SQL injection selecting a key", "x' UNION SELECT 'attacker-chosen-secret' -- ", []byte("attacker-chosen-secret")},
		{"kid SQL injection dropping a table", "1; DROP TABLE auth_user; --", []byte("attacker-chosen-secret")},
		{"kid of 10 KB", strings.Repeat("k", 10<<10), []byte("attacker-chosen-secret")},
		{"kid of 10 KB, right key", strings.Repeat("k", 10<<10), testKey},
		{"kid of 4 KB", strings.Repeat("k", 4<<10), []byte("attacker-chosen-secret")},
		// A kid that names no configured key is refused even when the
		// token is signed with the right key (issue 11: kid selects).
		{"kid of 4 KB, right key", strings.Repeat("k", 4<<10), testKey},
		{"kid naming no key, right key", "../x", testKey},
	} {
		hdr := `{"alg":"HS256","typ":"JWT","kid":` + jsonString(c.kid) + `}`
		key := c.key
		as = append(as, invalid(c.name, func(typ string) string {
			return handToken(key, hdr, std(typ, 5*time.Minute).payload())
		}))
	}

	// Keys the attacker supplies in the header, or points at.
	jwks := keyURL.url("/.well-known/jwks.json")
	as = append(as,
		invalid("jwk: the attacker's RSA key, RS256", func(typ string) string {
			return asymToken(t, jwt.SigningMethodRS256, keys.rsa, `{"alg":"RS256","typ":"JWT","jwk":`+keys.rsaJWK()+`}`, std(typ, 5*time.Minute))
		}),
		invalid("jwk: the attacker's RSA key, header says HS256", func(typ string) string {
			return handToken(keys.rsaPubPEM, `{"alg":"HS256","typ":"JWT","jwk":`+keys.rsaJWK()+`}`, std(typ, 5*time.Minute).payload())
		}),
		invalid("jwk: an oct key the attacker chose", func(typ string) string {
			k := []byte("attacker-chosen-secret-0123456789abcdef")
			return handToken(k, `{"alg":"HS256","typ":"JWT","jwk":{"kty":"oct","k":"`+base64.RawURLEncoding.EncodeToString(k)+`"}}`,
				std(typ, 5*time.Minute).payload())
		}),
		invalid("jku to a loopback JWKS, RS256", func(typ string) string {
			return asymToken(t, jwt.SigningMethodRS256, keys.rsa, `{"alg":"RS256","typ":"JWT","kid":"a","jku":"`+jwks+`"}`, std(typ, 5*time.Minute))
		}),
		invalid("jku to a loopback JWKS, HS256", func(typ string) string {
			return handToken([]byte("attacker-chosen-secret"), `{"alg":"HS256","typ":"JWT","kid":"a","jku":"`+jwks+`"}`, std(typ, 5*time.Minute).payload())
		}),
		invalid("x5u to a loopback certificate, RS256", func(typ string) string {
			return asymToken(t, jwt.SigningMethodRS256, keys.rsa, `{"alg":"RS256","typ":"JWT","x5u":"`+keyURL.url("/cert.pem")+`"}`, std(typ, 5*time.Minute))
		}),
		invalid("x5u to a loopback certificate, HS256", func(typ string) string {
			return handToken([]byte("attacker-chosen-secret"), `{"alg":"HS256","typ":"JWT","x5u":"`+keyURL.url("/cert.pem")+`"}`, std(typ, 5*time.Minute).payload())
		}),
		invalid("jku and x5u pointing nowhere, the right key", signed(`{"alg":"HS256","jku":"http://127.0.0.1:1/","x5u":"http://127.0.0.1:1/"}`,
			func(typ string) claims { return std(typ, 5*time.Minute) })),
		invalid("x5c: the attacker's self-signed certificate, RS256", func(typ string) string {
			return asymToken(t, jwt.SigningMethodRS256, keys.rsa, `{"alg":"RS256","typ":"JWT","x5c":["`+base64.StdEncoding.EncodeToString(keys.certDER)+`"]}`, std(typ, 5*time.Minute))
		}),
	)

	// crit, even with the right key.
	for _, hdr := range []string{`{"alg":"HS256","typ":"JWT","crit":["exp"]}`, `{"alg":"HS256","crit":["b64"],"b64":false}`,
		`{"alg":"HS256","crit":[]}`, `{"alg":"HS256","crit":["x-unknown"],"x-unknown":1}`, `{"alg":"HS256","b64":false}`} {
		as = append(as, invalid("header "+hdr+", right key", signed(hdr, func(typ string) claims { return std(typ, 5*time.Minute) })))
	}

	// Time claims.
	timed := func(name string, edit func(claims) claims) tokenAttack {
		return invalid(name, signed(stdHeader, func(typ string) claims { return edit(std(typ, 5*time.Minute)) }))
	}
	as = append(as,
		timed("expired a minute ago", func(c claims) claims { return c.set("exp", unix(-time.Minute)) }),
		timed("exp exactly now", func(c claims) claims { return c.set("exp", strconv.FormatInt(time.Now().Unix(), 10)) }),
		timed("exp now minus a fraction", func(c claims) claims { return c.set("exp", strconv.FormatInt(time.Now().Unix(), 10)+".5") }),
		timed("nbf in the future", func(c claims) claims { return c.set("nbf", unix(time.Minute)) }),
		timed("iat in the future", func(c claims) claims { return c.set("iat", unix(time.Minute)) }),
		timed("exp a numeric string", func(c claims) claims { return c.set("exp", `"`+unix(time.Hour)+`"`) }),
		timed("exp a string", func(c claims) claims { return c.set("exp", `"tomorrow"`) }),
		timed("exp null", func(c claims) claims { return c.set("exp", "null") }),
		timed("exp 1e300", func(c claims) claims { return c.set("exp", "1e300") }),
		timed("exp 2^63", func(c claims) claims { return c.set("exp", "9223372036854775808") }),
		timed("exp true", func(c claims) claims { return c.set("exp", "true") }),
		timed("exp an array", func(c claims) claims { return c.set("exp", "["+unix(time.Hour)+"]") }),
		timed("exp an object", func(c claims) claims { return c.set("exp", `{"v":`+unix(time.Hour)+`}`) }),
		timed("exp NaN", func(c claims) claims { return c.set("exp", "NaN") }),
		timed("exp Infinity", func(c claims) claims { return c.set("exp", "Infinity") }),
		timed("nbf a string", func(c claims) claims { return c.set("nbf", `"0"`) }),
		timed("iat null", func(c claims) claims { return c.set("iat", "null") }),
		timed("iat 1e300", func(c claims) claims { return c.set("iat", "1e300") }),
	)
	as = append(as, tokenAttack{name: "exp missing", protected: protectedBody(msgNoExp), routes: routeBody(msgNoExp),
		tok: signed(stdHeader, func(typ string) claims { return std(typ, 5*time.Minute).without("exp") })})

	// Token types and required claims.
	other := map[string]string{"access": "refresh", "refresh": "access"}
	as = append(as,
		tokenAttack{name: "refresh token as access, access as refresh", protected: protectedBody(msgWrongType), routes: routeBody(msgWrongType), verify: "{}",
			tok: signed(stdHeader, func(typ string) claims { return std(other[typ], 5*time.Minute) })},
		tokenAttack{name: "token_type sliding", protected: protectedBody(msgWrongType), routes: routeBody(msgWrongType), verify: "{}",
			tok: signed(stdHeader, func(typ string) claims { return std(typ, 5*time.Minute).set("token_type", `"sliding"`) })},
		tokenAttack{name: "token_type upper case", protected: protectedBody(msgWrongType), routes: routeBody(msgWrongType), verify: "{}",
			tok: signed(stdHeader, func(typ string) claims {
				return std(typ, 5*time.Minute).set("token_type", jsonString(strings.ToUpper(typ)))
			})},
		tokenAttack{name: "token_type null", protected: protectedBody(msgWrongType), routes: routeBody(msgWrongType), verify: "{}",
			tok: signed(stdHeader, func(typ string) claims { return std(typ, 5*time.Minute).set("token_type", "null") })},
		tokenAttack{name: "token_type missing", protected: protectedBody(msgNoType), routes: routeBody(msgNoType), verify: "{}",
			tok: signed(stdHeader, func(typ string) claims { return std(typ, 5*time.Minute).without("token_type") })},
		tokenAttack{name: "jti missing", protected: protectedBody(msgNoID), routes: routeBody(msgNoID),
			tok: signed(stdHeader, func(typ string) claims { return std(typ, 5*time.Minute).without("jti") })},
		tokenAttack{name: "user_id missing", protected: harness.NoUserID, routes: "-", verify: "{}",
			tok: signed(stdHeader, func(typ string) claims { return std(typ, 5*time.Minute).without("user_id") })},
		tokenAttack{name: "only USER_ID, upper case", protected: harness.NoUserID, routes: "-", verify: "{}",
			tok: signed(stdHeader, func(typ string) claims { return std(typ, 5*time.Minute).without("user_id").plus(`"USER_ID":1`) })},
		tokenAttack{name: "only Token_Type, mixed case", protected: protectedBody(msgNoType), routes: routeBody(msgNoType), verify: "{}",
			tok: signed(stdHeader, func(typ string) claims {
				return std(typ, 5*time.Minute).without("token_type").plus(`"Token_Type":` + jsonString(typ))
			})},
		tokenAttack{name: "only EXP, upper case", protected: protectedBody(msgNoExp), routes: routeBody(msgNoExp),
			tok: signed(stdHeader, func(typ string) claims {
				return std(typ, 5*time.Minute).without("exp").plus(`"EXP":` + unix(time.Hour))
			})},
	)

	// Duplicate and case-variant names. PyJWT keeps the last of duplicate
	// names, which would let an appended exp extend a lifetime; jwtgate
	// refuses duplicates outright, escaped spellings included. Case
	// variants are other claims, as in PyJWT: exp alone decides.
	as = append(as,
		timed("exp twice, expired then a year ahead", func(c claims) claims {
			return c.set("exp", unix(-time.Minute)).plus(`"exp":` + unix(365*24*time.Hour))
		}),
		timed("exp twice, valid then expired", func(c claims) claims { return c.plus(`"exp":` + unix(-time.Minute)) }),
		timed(`exp and "e\u0078p" (the same name escaped), expired then ahead`, func(c claims) claims {
			return c.set("exp", unix(-time.Minute)).plus(`"e\u0078p":` + unix(365*24*time.Hour))
		}),
		timed("EXP a year ahead beside an expired exp", func(c claims) claims {
			return c.set("exp", unix(-time.Minute)).plus(`"EXP":` + unix(365*24*time.Hour))
		}),
		timed("Exp a year ahead beside an expired exp", func(c claims) claims {
			return c.set("exp", unix(-time.Minute)).plus(`"Exp":` + unix(365*24*time.Hour))
		}),
		timed("user_id twice", func(c claims) claims { return c.plus(`"user_id":2`) }),
		timed(`user_id and "user\u005fid"`, func(c claims) claims { return c.plus(`"user\u005fid":2`) }),
		timed("token_type twice", func(c claims) claims { return c.plus(`"token_type":"access"`, `"token_type":"refresh"`) }),
		timed("jti twice", func(c claims) claims { return c.plus(`"jti":"` + newJTI() + `"`) }),
		timed("nbf twice, past then future", func(c claims) claims { return c.plus(`"nbf":` + unix(-time.Hour)).plus(`"nbf":` + unix(time.Hour)) }),
	)
	return as
}
