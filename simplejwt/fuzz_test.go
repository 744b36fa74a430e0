package simplejwt

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtgate/jwtgate/token"
)

// fzPySplit is Python's bytes.split() with no argument, which
// JWTAuthentication.get_raw_token applies to the header: runs of ASCII
// whitespace separate the parts, and there are no empty parts.
func fzPySplit(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f'
	})
}

// fzTokens are real and hostile tokens for the seed corpora.
func fzTokens(t testing.TB, f *authnFixture) []string {
	_, access, err := f.codec.NewPair(int64(1), authnNow)
	if err != nil {
		t.Fatal(err)
	}
	refresh, inactive, err := f.codec.NewPair(int64(2), authnNow)
	if err != nil {
		t.Fatal(err)
	}
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, claimsFor(1)).SignedString(jwt.UnsafeAllowNoneSignatureType)
	noUser := claimsFor(1)
	delete(noUser, "user_id")
	return []string{
		access.Token, refresh.Token, inactive.Token, none,
		crafted(t, claimsFor("abc")), crafted(t, claimsFor(nil)), crafted(t, claimsFor(999)), crafted(t, noUser),
		access.Token + ".", access.Token[:len(access.Token)-3], "garbage", "a.b.c", "",
	}
}

// fzCheckRefusal writes a refusal as the handlers do and checks it is
// simplejwt's: a 401 (or the 503 of an unloaded index) with a JSON object
// body, Content-Type application/json and, on a 401, the challenge.
func fzCheckRefusal(t *testing.T, a *Authenticator, res *Result) {
	t.Helper()
	e := res.Err()
	if e == nil {
		if res.Outcome > Preflight {
			t.Fatalf("outcome %v without a refusal", res.Outcome)
		}
		return
	}
	if res.Outcome <= Preflight {
		t.Fatalf("outcome %v with a refusal %d %s", res.Outcome, e.Status, e.Body)
	}
	w := httptest.NewRecorder()
	e.Write(w)
	if w.Code != http.StatusUnauthorized && w.Code != http.StatusServiceUnavailable {
		t.Fatalf("refusal status %d", w.Code)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("refusal Content-Type %q", ct)
	}
	var obj map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &obj); err != nil || obj["detail"] == nil {
		t.Fatalf("refusal body %q: %v", w.Body.String(), err)
	}
	if w.Code == http.StatusUnauthorized && w.Header().Get("Www-Authenticate") != a.Challenge() {
		t.Fatalf("401 without the challenge: %q", w.Header().Get("Www-Authenticate"))
	}
}

// FuzzAuthorizationHeader checks the header parser against
// get_raw_token's rule (bytes.split(), the scheme compared exactly,
// exactly one token after it), with one or two headers, under the
// Optional and Required policies; every refusal is a well-formed 401.
//
//	go test -run '^$' -fuzz FuzzAuthorizationHeader -fuzztime 30s ./simplejwt
func FuzzAuthorizationHeader(f *testing.F) {
	fx := newAuthnFixture(f, Settings{})
	for _, tok := range fzTokens(f, fx) {
		for _, h := range []string{"Bearer " + tok, "Bearer\t" + tok + " ", "bearer " + tok, "Bearer  " + tok + " x", "\vBearer\f" + tok + "\r\n"} {
			f.Add(h, "")
		}
	}
	for _, h := range []string{"", " ", "Bearer", "Bearer ", "Token x", "Basic Zm9vOmJhcg==", "Bearer a b", "Bearer\u00a0x", "Bearer\x00x", "Bearer\x1cx"} {
		f.Add(h, "")
	}
	f.Add("Bearer x", "Bearer x")
	f.Add("Bearer x", "")
	f.Fuzz(func(t *testing.T, header, second string) {
		for _, policy := range []Policy{Optional, Required} {
			r := &http.Request{Method: "GET", URL: &url.URL{Path: "/"}, Header: http.Header{"Authorization": {header}}}
			if second != "" {
				r.Header["Authorization"] = append(r.Header["Authorization"], second)
			}
			res := fx.auth.Check(r, policy, authnNow)
			fzCheckRefusal(t, fx.auth, &res)

			parts := fzPySplit(header)
			var want []Outcome
			switch {
			case second != "":
				want = []Outcome{BadHeader}
			case len(parts) == 0 || parts[0] != "Bearer":
				want = []Outcome{Anonymous}
				if policy == Required {
					want = []Outcome{NotProvided}
				}
			case len(parts) != 2:
				want = []Outcome{BadHeader}
			default:
				var c token.AccessClaims
				if fx.codec.VerifyAccess(parts[1], authnNow, &c) != nil {
					want = []Outcome{TokenInvalid}
				} else {
					want = []Outcome{Authenticated, NoUserID, UserNotFound, UserInactive}
				}
			}
			ok := false
			for _, o := range want {
				ok = ok || res.Outcome == o
			}
			if !ok {
				t.Fatalf("Authorization %q (second %q), policy %d: outcome %v, want one of %v", header, second, policy, res.Outcome, want)
			}
			if res.Outcome == Authenticated && (res.User.ID != 1 || !res.User.IsActive || res.Sources&FromHeader == 0) {
				t.Fatalf("authenticated as %+v (sources %b)", res.User, res.Sources)
			}
		}
	})
}

// FuzzAuthenticatorCheck sends whole requests through Authenticator.Check
// with the token header, cookie and query sources all enabled: any method,
// header, Cookie header, query and policy. Nothing panics, every refusal
// is a well-formed response, and a request is authenticated only as the
// active user of a token one of its sources really carries.
//
//	go test -run '^$' -fuzz FuzzAuthenticatorCheck -fuzztime 30s ./simplejwt
func FuzzAuthenticatorCheck(f *testing.F) {
	fx := newAuthnFixture(f, Settings{Cookie: "access", Query: "access_token"})
	toks := fzTokens(f, fx)
	for i, tok := range toks {
		other := toks[(i+1)%len(toks)]
		f.Add(uint8(i), "Bearer "+tok, "", "")
		f.Add(uint8(i), "", "access="+tok, "")
		f.Add(uint8(i), "", "", "a=1&access_token="+tok)
		f.Add(uint8(i), "Bearer "+tok, "access="+tok, "access_token="+tok)
		f.Add(uint8(i), "Bearer "+tok, "access="+other, "")
		f.Add(uint8(i), "", "access="+tok+"; access="+other, "access_token="+other+"&access_token="+tok)
		// Empty values are no token: the valid one beside them counts
		// (found by CI's fuzzing, where the oracle read only the first cookie).
		f.Add(uint8(i), "", "access=; access="+tok, "Kccess_token="+tok+"&access_token=")
	}
	f.Add(uint8(3), "Token x", "access=%zz", "access_token=%zz")
	f.Add(uint8(4), "", "", "access_token=a+b%2E")
	methods := []string{"GET", "POST", "OPTIONS", "HEAD", "PUT", "DELETE", "PATCH", "FROB"}
	f.Fuzz(func(t *testing.T, sel uint8, header, cookie, query string) {
		r := &http.Request{Method: methods[int(sel)%len(methods)], URL: &url.URL{Path: "/x", RawQuery: query}, Header: http.Header{}}
		if header != "" {
			r.Header["Authorization"] = []string{header}
		}
		if cookie != "" {
			r.Header["Cookie"] = []string{cookie}
		}
		if sel&0x40 != 0 {
			r.Header["Access-Control-Request-Method"] = []string{"POST"}
		}
		policy := Policy(sel>>3) % 3
		res := fx.auth.Check(r, policy, authnNow)
		fzCheckRefusal(t, fx.auth, &res)

		if res.Outcome == Preflight && !(r.Method == "OPTIONS" && sel&0x40 != 0) {
			t.Fatalf("%s without a preflight header is a preflight", r.Method)
		}
		if res.Outcome != Authenticated {
			return
		}
		if res.User.ID != 1 || !res.User.IsActive {
			t.Fatalf("authenticated as %+v", res.User)
		}
		// The token that authenticated is in one of the sources.
		var cands []string
		if parts := fzPySplit(header); len(parts) == 2 && parts[0] == "Bearer" {
			cands = append(cands, parts[1])
		}
		// (from the request as sent: Check removed the token from r)
		sent := &http.Request{Header: http.Header{"Cookie": {cookie}}}
		for _, c := range sent.Cookies() {
			if c.Name == "access" {
				cands = append(cands, c.Value)
			}
		}
		for _, kv := range strings.Split(query, "&") {
			if k, v, _ := strings.Cut(kv, "="); k == "access_token" {
				u, err := url.QueryUnescape(v)
				if err == nil {
					cands = append(cands, u)
				}
				cands = append(cands, v)
			}
		}
		var c token.AccessClaims
		for _, tok := range cands {
			if fx.codec.VerifyAccess(tok, authnNow, &c) == nil {
				return
			}
		}
		t.Fatalf("authenticated without a valid token in header %q cookie %q query %q", header, cookie, query)
	})
}

// fzJSON is what a refusal or answer must look like: a JSON object or
// array, nothing else.
func fzJSON(b []byte) bool {
	b = bytes.TrimSpace(b)
	return json.Valid(b) && len(b) > 0 && (b[0] == '{' || b[0] == '[')
}
