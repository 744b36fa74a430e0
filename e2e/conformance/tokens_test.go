package conformance

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Crafted tokens are signed with golang-jwt's signing methods,
// independently of both servers, so the same bytes go to the reference and
// to the gateway. Their claims are in simplejwt's order (token_type, exp,
// iat, jti, user_id), as in the recordings: a rotated refresh token keeps
// the order of the token it was made from, on both sides.

// claim is one claim of a crafted token.
type claim struct {
	name  string
	value any
}

// claims is a crafted token's payload, in order.
type claims []claim

func (c claims) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, cl := range c {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(cl.name)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(cl.value)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func mustCraft(t testing.TB, key string, method jwt.SigningMethod, c claims) string {
	t.Helper()
	payload, err := c.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return craftRaw(t, key, method, `{"alg":"`+method.Alg()+`","typ":"JWT"}`, string(payload))
}

// craftRaw signs a verbatim header and payload.
func craftRaw(t testing.TB, key string, method jwt.SigningMethod, header, payload string) string {
	t.Helper()
	signing := base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + base64.RawURLEncoding.EncodeToString([]byte(payload))
	if method == jwt.SigningMethodNone {
		return signing + "."
	}
	sig, err := method.Sign(signing, []byte(key))
	if err != nil {
		t.Fatal(err)
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// craftNone is an unsigned token (alg "none").
func craftNone(t testing.TB, c claims) string {
	t.Helper()
	return mustCraft(t, "", jwt.SigningMethodNone, c)
}

func newJTI() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// tokenClaims are simplejwt's claims: token_type, exp, iat, jti, user_id.
func tokenClaims(typ string, userID any, iat time.Time, lifetime time.Duration) claims {
	return claims{{"token_type", typ}, {"exp", iat.Add(lifetime).Unix()}, {"iat", iat.Unix()}, {"jti", newJTI()}, {"user_id", userID}}
}

func accessClaims(userID any, iat time.Time) claims {
	return tokenClaims("access", userID, iat, accessLifetime*time.Second)
}

func refreshClaims(userID any, iat time.Time) claims {
	return tokenClaims("refresh", userID, iat, refreshLifetime*time.Second)
}

func without(c claims, names ...string) claims {
	var out claims
	for _, cl := range c {
		drop := false
		for _, n := range names {
			drop = drop || cl.name == n
		}
		if !drop {
			out = append(out, cl)
		}
	}
	return out
}

// with sets a claim, in its place.
func with(c claims, name string, v any) claims {
	out := append(claims{}, c...)
	for i := range out {
		if out[i].name == name {
			out[i].value = v
			return out
		}
	}
	return append(out, claim{name, v})
}

// jwtInfo is a decoded token, as a client sees it.
type jwtInfo struct {
	raw        string
	header     string   // the decoded header, verbatim
	claimOrder []string // claim names in payload order
	claims     map[string]json.RawMessage
	sigOK      bool // HS256 with sharedKey
}

var jwtShape = regexp.MustCompile(`^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$`)

func looksLikeJWT(s string) bool { return jwtShape.MatchString(s) }

func decodeJWT(raw string) (jwtInfo, error) {
	j := jwtInfo{raw: raw}
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return j, fmt.Errorf("%d segments", len(parts))
	}
	h, err := base64.RawURLEncoding.Strict().DecodeString(parts[0])
	if err != nil {
		return j, fmt.Errorf("header: %v", err)
	}
	j.header = string(h)
	p, err := base64.RawURLEncoding.Strict().DecodeString(parts[1])
	if err != nil {
		return j, fmt.Errorf("payload: %v", err)
	}
	j.claimOrder, err = objectKeys(p)
	if err != nil {
		return j, fmt.Errorf("payload: %v", err)
	}
	if err := json.Unmarshal(p, &j.claims); err != nil {
		return j, fmt.Errorf("payload: %v", err)
	}
	mac := hmac.New(sha256.New, []byte(sharedKey))
	mac.Write([]byte(parts[0] + "." + parts[1]))
	sig, err := base64.RawURLEncoding.Strict().DecodeString(parts[2])
	j.sigOK = err == nil && hmac.Equal(sig, mac.Sum(nil))
	return j, nil
}

// intClaim returns an integer claim; ok is false when it is absent or not
// a JSON integer.
func (j jwtInfo) intClaim(name string) (int64, bool) {
	raw, ok := j.claims[name]
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	return n, err == nil
}

func (j jwtInfo) strClaim(name string) string {
	var s string
	_ = json.Unmarshal(j.claims[name], &s)
	return s
}

// lifetime is exp − iat.
func (j jwtInfo) lifetime() int64 {
	exp, _ := j.intClaim("exp")
	iat, _ := j.intClaim("iat")
	return exp - iat
}

// objectKeys returns the keys of a JSON object in their order.
func objectKeys(b []byte) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("not a JSON object")
	}
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nil, err
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// foundJWT is a token found in a response body, with its key path
// ("access", "token.refresh").
type foundJWT struct {
	path string
	raw  string
}

// skeleton re-encodes a JSON body compactly, in its own key order, with
// every string that is a JWT replaced by "<jwt>"; it returns the tokens
// with their paths. Two bodies with equal skeletons have the same keys in
// the same order and the same values apart from the tokens.
func skeleton(body string) (string, []foundJWT, error) {
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	var out strings.Builder
	var toks []foundJWT
	if err := walkJSON(dec, "", &out, &toks); err != nil {
		return "", nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return "", nil, fmt.Errorf("data after the JSON value")
	}
	return out.String(), toks, nil
}

func walkJSON(dec *json.Decoder, path string, out *strings.Builder, toks *[]foundJWT) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	switch v := tok.(type) {
	case json.Delim:
		open, closing := byte(v), byte('}')
		if v == '[' {
			closing = ']'
		}
		out.WriteByte(open)
		for i := 0; dec.More(); i++ {
			if i > 0 {
				out.WriteByte(',')
			}
			child := join(strconv.Itoa(i))
			if open == '{' {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				writeString(out, k.(string))
				out.WriteByte(':')
				child = join(k.(string))
			}
			if err := walkJSON(dec, child, out, toks); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return err
		}
		out.WriteByte(closing)
	case string:
		if looksLikeJWT(v) {
			out.WriteString(`"<jwt>"`)
			*toks = append(*toks, foundJWT{path: path, raw: v})
		} else {
			writeString(out, v)
		}
	case json.Number:
		out.WriteString(v.String())
	case bool:
		out.WriteString(strconv.FormatBool(v))
	case nil:
		out.WriteString("null")
	}
	return nil
}

func writeString(out *strings.Builder, s string) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	out.Write(bytes.TrimRight(b.Bytes(), "\n"))
}
