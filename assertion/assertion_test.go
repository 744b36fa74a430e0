package assertion

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtgate/jwtgate/token"
)

func newSigner(t testing.TB) (*token.Signer, *ecdsa.PrivateKey) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	cfg := token.DefaultConfig()
	cfg.Keys = []token.Key{{ID: "assert-1", Algorithm: "ES256", Signs: true,
		SigningKey: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})}}
	c, err := token.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Signer("")
	if err != nil {
		t.Fatal(err)
	}
	return s, k
}

// TestFor: an assertion carries the documented claims, verifies with the
// key's public half, ends no later than the access token, and is reused
// for the same token and user for half its lifetime only.
func TestFor(t *testing.T) {
	s, key := newSigner(t)
	m, err := New(s, Config{Audience: "movies", Lifetime: 60 * time.Second, JTI: func(tok string) string { return "jti-of-" + tok }})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	u := User{ID: 42, Username: "zoë"}
	a, err := m.For("tokA", now.Unix()+300, u, now)
	if err != nil {
		t.Fatal(err)
	}
	var c Claims
	tok, err := jwt.ParseWithClaims(a, jwt.MapClaims{}, func(*jwt.Token) (any, error) { return &key.PublicKey, nil },
		jwt.WithValidMethods([]string{"ES256"}), jwt.WithTimeFunc(func() time.Time { return now }))
	if err != nil || tok.Header["kid"] != "assert-1" {
		t.Fatalf("verify: %v, header %v", err, tok.Header)
	}
	mc := tok.Claims.(jwt.MapClaims)
	c = Claims{TokenType: mc["token_type"].(string), Issuer: mc["iss"].(string), Audience: mc["aud"].(string),
		Subject: mc["sub"].(string), Username: mc["username"].(string), JTI: mc["jti"].(string),
		IssuedAt: int64(mc["iat"].(float64)), ExpiresAt: int64(mc["exp"].(float64))}
	want := Claims{TokenType: "identity", Issuer: "jwtgate", Audience: "movies", Subject: "42", Username: "zoë",
		JTI: "jti-of-tokA", IssuedAt: now.Unix(), ExpiresAt: now.Unix() + 60}
	if c != want {
		t.Fatalf("claims %+v, want %+v", c, want)
	}

	if b, _ := m.For("tokA", now.Unix()+300, u, now.Add(29*time.Second)); b != a {
		t.Error("not reused within half its lifetime")
	}
	if b, _ := m.For("tokA", now.Unix()+300, u, now.Add(30*time.Second)); b == a {
		t.Error("reused past half its lifetime")
	}
	if b, _ := m.For("tokB", now.Unix()+300, u, now); b == a {
		t.Error("another access token got the same assertion")
	}
	if b, _ := m.For("tokA", now.Unix()+300, User{ID: 42, Username: "renamed"}, now); b == a || !strings.Contains(payload(t, b), `"renamed"`) {
		t.Error("a renamed user got the old username")
	}

	// Never past the access token's exp, and reused until then.
	short, _ := m.For("tokC", now.Unix()+10, u, now)
	if !strings.Contains(payload(t, short), `"exp":`+strconv.FormatInt(now.Unix()+10, 10)) {
		t.Errorf("assertion outlives the access token: %s", payload(t, short))
	}
	if b, _ := m.For("tokC", now.Unix()+10, u, now.Add(9*time.Second)); b != short {
		t.Error("re-signed while the access token lives")
	}
}

func payload(t *testing.T, a string) string {
	t.Helper()
	p, err := jwt.NewParser().DecodeSegment(strings.Split(a, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	return string(p)
}

// TestNewRefuses: no audience, a lifetime out of range.
func TestNewRefuses(t *testing.T) {
	s, _ := newSigner(t)
	for _, c := range []Config{{}, {Audience: "a", Lifetime: time.Second}, {Audience: "a", Lifetime: 2 * time.Hour}, {Audience: "a", MaxEntries: -1}} {
		if _, err := New(s, c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

// TestCacheBounded: the cache never holds more than MaxEntries.
func TestCacheBounded(t *testing.T) {
	s, _ := newSigner(t)
	m, err := New(s, Config{Audience: "a", MaxEntries: 64})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i := range 500 {
		if _, err := m.For("tok"+strconv.Itoa(i), now.Unix()+300, User{ID: 1}, now); err != nil {
			t.Fatal(err)
		}
		if m.Len() > 64 {
			t.Fatalf("%d entries after %d tokens", m.Len(), i+1)
		}
	}
}

// TestHitAllocs: reusing an assertion does not allocate.
func TestHitAllocs(t *testing.T) {
	s, _ := newSigner(t)
	m, _ := New(s, Config{Audience: "a"})
	now := time.Now()
	u := User{ID: 7, Username: "bob"}
	m.For("tok", now.Unix()+300, u, now)
	if n := testing.AllocsPerRun(200, func() { m.For("tok", now.Unix()+300, u, now) }); n != 0 {
		t.Fatalf("%v allocations per hit", n)
	}
}

// BenchmarkFor compares a cache hit with making an assertion (ES256).
func BenchmarkFor(b *testing.B) {
	s, _ := newSigner(b)
	now := time.Now()
	u := User{ID: 7, Username: "bob"}
	b.Run("hit", func(b *testing.B) {
		m, _ := New(s, Config{Audience: "a"})
		m.For("tok", now.Unix()+300, u, now)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				m.For("tok", now.Unix()+300, u, now)
			}
		})
	})
	b.Run("sign", func(b *testing.B) {
		m, _ := New(s, Config{Audience: "a"})
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			m.For("tok", now.Unix()+300, u, now.Add(time.Duration(i)*time.Minute))
		}
	})
}
