package conformance

import (
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
)

const (
	pObtain    = "/userprofiles/api/token/"
	pLogin     = "/userprofiles/login/"
	pRefresh   = "/userprofiles/api/token/refresh/"
	pVerify    = "/userprofiles/api/token/verify/"
	pBlacklist = "/userprofiles/api/token/blacklist/"
	pRegister  = "/userprofiles/register/"
	pUsers     = "/userprofiles/users/"
)

// Bodies of the reference (docs/simplejwt.md; recorded from testdata/django_ref).
const (
	required = `["This field is required."]`
	// django500 is Django's 500 page with DEBUG=False (145 bytes).
	django500 = "\n<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Server Error (500)</title>\n</head>\n<body>\n  <h1>Server Error (500)</h1><p></p>\n</body>\n</html>\n"
	// noActiveAccountForToken is the gateway's refusal to refresh a token
	// of a deleted or inactive user (README; §10).
	noActiveAccountForToken = `{"detail":"No active account found for the given token.","code":"no_active_account"}`
)

func tokenNotValid(detail string) string {
	return `{"detail":"` + detail + `","code":"token_not_valid"}`
}

// protectedNotValid is JWTAuthentication's wrapped message.
func protectedNotValid(msg string) string {
	return `{"detail":"Given token not valid for any token type","code":"token_not_valid","messages":[{"token_class":"AccessToken","token_type":"access","message":"` + msg + `"}]}`
}

var (
	html500 = expect{status: 500, body: django500, ctype: "text/html"}
	// The deliberate differences, as the README's "Where jwtgate
	// deliberately differs" words them.
	whyRegister400   = "README: register's field errors are 400, not 201"
	whyMissingEmail  = "README: a missing email on register is a field error (400), not a 500"
	whyNoJTI         = "README: a token without jti is a 401 token_not_valid, not a 500"
	whyNonNumericUID = "README: a token with a non-numeric user_id is a 401 token_not_valid, not a 500"
	whyRefreshUser   = "README: refresh of a token whose user is deleted or inactive is refused (401 no_active_account)"
	whyChunked       = "README: chunked request bodies are read (Django under gunicorn ignores them)"
	whyAcceptHTML    = "README: Accept: text/html gets JSON, not DRF's browsable API page"
	whyStricter      = "README: token checks are stricter than PyJWT's (crit refused, strict base64url, duplicate claims and non-numeric exp refused)"
	whyNoAllow       = "README: jwt_auth's 401s carry no Allow header (the gateway does not know the backend view's methods)"
	whyNotFound      = "README: the example Caddyfile answers unknown paths with a JSON 404, not Django's HTML page"
	whySessionEnded  = "README: logout ends the session: its access tokens too"
	whyBeforeUser    = "README: a token issued before its user joined (or without iat) is refused"
)

// usersBeforeRegister is users/ before the register scenarios.
const usersBeforeRegister = `[{"id":1,"username":"siva","email":"siva@example.com"},{"id":2,"username":"inactive_user","email":"inactive@example.com"}]`

// endedAccess is an access token the reference accepts and the gateway
// refuses as ended (docs/sessions.md).
func endedAccess(why, users string) *difference {
	return &difference{why: why, ref: expect{status: 200, body: users},
		gw: expect{status: 401, body: protectedNotValid("Token is blacklisted"), www: true}}
}

// olderThanUser is a refresh token issued before its user joined: the
// reference refreshes it, the gateway refuses it.
func olderThanUser(m mode) *difference {
	skel := `{"access":"<jwt>"}`
	if m.rotate {
		skel = `{"access":"<jwt>","refresh":"<jwt>"}`
	}
	return &difference{why: whyBeforeUser, ref: expect{status: 200, skeleton: skel},
		gw: expect{status: 401, body: tokenNotValid("Token is blacklisted"), www: true}}
}

// noAllow is a jwt_auth refusal: the reference's view adds its Allow, the
// gateway refuses before the backend is asked and sends none; status and
// body are the same.
func noAllow(body, refAllow string) *difference {
	return &difference{why: whyNoAllow,
		ref: expect{status: 401, body: body, www: true, allow: refAllow},
		gw:  expect{status: 401, body: body, www: true, noAllow: true}}
}

// usersAfterRegister is users/ once the register scenarios ran (rec_gone,
// id 5, was deleted; rec_confw exists unless the password validators
// refused it).
func usersAfterRegister(m mode) string {
	users := `[{"id":1,"username":"siva","email":"siva@example.com"},{"id":2,"username":"inactive_user","email":"inactive@example.com"},` +
		`{"id":3,"username":"rec_conf","email":"rec_conf@example.com"},`
	if m.validatePassword {
		return users + `{"id":5,"username":"rec_off","email":"rec_off@example.com"}]`
	}
	return users + `{"id":4,"username":"rec_confw","email":"rec_confw@example.com"},{"id":6,"username":"rec_off","email":"rec_off@example.com"}]`
}

// stricter is a token the reference accepts (or fails on with a 500) and
// the gateway refuses as invalid.
func stricter(ref expect) *difference {
	return &difference{why: whyStricter, ref: ref,
		gw: expect{status: 401, body: protectedNotValid("Token is invalid or expired"), www: true}}
}

// registerErrors is a register field-error answer: 201 on the reference
// (the tutorial's quirk), 400 on the gateway, same body unless gwBody is
// given.
func registerErrors(refBody, gwBody string) *difference {
	if gwBody == "" {
		gwBody = refBody
	}
	return &difference{why: whyRegister400,
		ref: expect{status: 201, body: refBody},
		gw:  expect{status: 400, body: gwBody}}
}

func withWhy(d *difference, why string) *difference {
	d.why = why
	return d
}

// refreshRefused is a refresh the reference grants (no user check in
// simplejwt 5.2.2) and the gateway refuses.
func refreshRefused(m mode) *difference {
	skel := `{"access":"<jwt>"}`
	if m.rotate {
		skel = `{"access":"<jwt>","refresh":"<jwt>"}`
	}
	return &difference{why: whyRefreshUser,
		ref: expect{status: 200, skeleton: skel},
		gw:  expect{status: 401, body: noActiveAccountForToken, www: true}}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// craftPadded is a token whose payload segment keeps base64's "="
// padding (non-canonical base64url), signed over the padded text.
func craftPadded(t *testing.T, c claims) string {
	t.Helper()
	payload := must(c.MarshalJSON())
	for pad := ""; len(payload)%3 == 0; pad += "x" {
		payload = must(with(c, "pad", pad).MarshalJSON())
	}
	signing := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + base64.URLEncoding.EncodeToString(payload)
	sig, err := jwt.SigningMethodHS256.Sign(signing, []byte(sharedKey))
	if err != nil {
		t.Fatal(err)
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func withHeader(rq request, header ...string) request {
	rq.header = append(append([]string{}, rq.header...), header...)
	return rq
}

// capturePair stores the pair of an obtain answer.
func capturePair(set func(s *side, access, refresh string)) func(*testing.T, *side, harness.Response) {
	return func(t *testing.T, s *side, r harness.Response) {
		var body struct{ Access, Refresh string }
		if err := json.Unmarshal([]byte(r.Body), &body); err != nil || body.Access == "" || body.Refresh == "" {
			t.Errorf("%s: no token pair to keep for the next scenarios: %d %s", s.name, r.Status, r.Body)
			return
		}
		set(s, body.Access, body.Refresh)
	}
}

// captureRegistered stores the pair of a register answer.
func captureRegistered(set func(s *side, access, refresh string)) func(*testing.T, *side, harness.Response) {
	return func(t *testing.T, s *side, r harness.Response) {
		var body struct {
			Token struct{ Access, Refresh string }
		}
		if err := json.Unmarshal([]byte(r.Body), &body); err != nil || body.Token.Access == "" || body.Token.Refresh == "" {
			t.Errorf("%s: register gave no token pair: %d %s", s.name, r.Status, r.Body)
			return
		}
		set(s, body.Token.Access, body.Token.Refresh)
	}
}

// behindBack changes a user behind the side's back, then waits until the
// side answers users/ with tok as it should (the gateway learns of CLI
// changes within a second).
func behindBack(action, username string, tok func(*side) string, status int) func(*testing.T, *side) {
	return func(t *testing.T, s *side) {
		t.Helper()
		s.userCmd(t, action, username)
		waitAnswer(t, s.url+pUsers, tok(s), status, "")
	}
}

var reviewTimes = regexp.MustCompile(`"(created|update)":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z"`)

// normaliseReviewTimes replaces a review's created/update timestamps
// (which legitimately differ: two servers, two clocks, and Django's two
// auto_now fields are set microseconds apart) after checking their format.
func normaliseReviewTimes(t *testing.T, body string) string {
	t.Helper()
	if n := len(reviewTimes.FindAllString(body, -1)); n != 2 {
		t.Errorf("review body has %d well-formed created/update timestamps, want 2: %s", n, body)
	}
	return reviewTimes.ReplaceAllString(body, `"$1":"<timestamp>"`)
}

// scenarios is the table: every section of the recordings m1…m4, in their
// order, plus the cases docs/simplejwt.md adds. Crafted
// tokens are made once per mode, so both sides get the same bytes.
func scenarios(t *testing.T, m mode) []scenario {
	now := time.Now()
	hs := func(c claims) string { return mustCraft(t, sharedKey, jwt.SigningMethodHS256, c) }
	past := now.Add(-time.Minute)

	// Refresh tokens.
	expiredRefresh := hs(with(refreshClaims(1, now), "exp", past.Unix()))
	wrongSecretRefresh := mustCraft(t, otherKey, jwt.SigningMethodHS256, refreshClaims(1, now))
	noJTIRefresh := hs(without(refreshClaims(1, now), "jti"))
	noJTIRefresh2 := hs(without(refreshClaims(1, now), "jti"))
	noExpRefresh := hs(without(refreshClaims(1, now), "exp"))
	noTypeRefresh := hs(without(refreshClaims(1, now), "token_type"))
	ghostRefresh := hs(refreshClaims(2147480000, now))
	inactiveRefresh := hs(refreshClaims(2, now))
	olderRefresh := hs(refreshClaims(1, now.Add(-2*time.Minute)))
	noneRefresh := craftNone(t, refreshClaims(1, now))
	hs512Refresh := mustCraft(t, sharedKey, jwt.SigningMethodHS512, refreshClaims(1, now))
	neverIssuedRefresh := hs(refreshClaims(1, now))
	expiredRefresh2 := hs(with(refreshClaims(1, now), "exp", past.Unix()))

	// Access tokens.
	expiredAccess := hs(with(accessClaims(1, now), "exp", past.Unix()))
	noneAccess := craftNone(t, accessClaims(1, now))
	hs512Access := mustCraft(t, sharedKey, jwt.SigningMethodHS512, accessClaims(1, now))
	wrongSecretAccess := mustCraft(t, otherKey, jwt.SigningMethodHS256, accessClaims(1, now))
	noTypeAccess := hs(without(accessClaims(1, now), "token_type"))
	noJTIAccess := hs(without(accessClaims(1, now), "jti"))
	noExpAccess := hs(without(accessClaims(1, now), "exp"))
	noUserAccess := hs(without(accessClaims(1, now), "user_id"))
	ghostAccess := hs(accessClaims(2147480000, now))
	inactiveAccess := hs(accessClaims(2, now))
	stringIDAccess := hs(accessClaims("1", now))
	abcIDAccess := hs(accessClaims("abc", now))
	slidingAccess := hs(with(accessClaims(1, now), "token_type", "sliding"))

	refreshBody := func(tok string) string { return `{"refresh": "` + tok + `"}` }
	tokenBody := func(tok string) string { return `{"token": "` + tok + `"}` }
	ownRefresh := func(s *side) string { return s.refresh }
	fixedTok := func(tok string) func(*side) string { return func(*side) string { return tok } }
	refreshWith := func(tok func(*side) string) func(*side) request {
		return func(s *side) request { return jsonReq(pRefresh, refreshBody(tok(s))) }
	}
	bearer := func(tok func(*side) string) func(*side) request {
		return func(s *side) request { return getReq(pUsers, harness.Bearer(tok(s))) }
	}
	bearerFixed := func(tok string) func(*side) request { return fixed(getReq(pUsers, harness.Bearer(tok))) }
	access := func(s *side) string { return s.access }
	goneAccess := func(s *side) string { return s.goneAccess }
	goneRefresh := func(s *side) string { return s.goneRefresh }
	offAccess := func(s *side) string { return s.offAccess }
	offRefresh := func(s *side) string { return s.offRefresh }

	sc := []scenario{
		// ---- obtain. Failed logins use several usernames, so that the
		// gateway's login throttle (5 failures per account and client
		// address, 20 per address) never answers 429 here.
		{name: "obtain: good credentials (JSON)", req: fixed(jsonReq(pObtain, `{"username": "siva", "password": "siva"}`)),
			capture: capturePair(func(s *side, a, r string) { s.access, s.refresh = a, r })},
		{name: "obtain: good credentials (x-www-form-urlencoded, login/)", req: fixed(formReq(pLogin, "username", "siva", "password", "siva"))},
		{name: "obtain: good credentials (multipart/form-data)", req: fixed(multipartReq(pObtain, "username", "siva", "password", "siva"))},
		{name: "obtain: wrong password", req: fixed(jsonReq(pObtain, `{"username": "siva", "password": "wrong"}`))},
		{name: "obtain: unknown user", req: fixed(formReq(pObtain, "username", "nobody", "password", "siva"))},
		{name: "obtain: wrong case of username", req: fixed(formReq(pObtain, "username", "Siva", "password", "siva"))},
		{name: "obtain: inactive user, right password", req: fixed(formReq(pObtain, "username", "inactive_user", "password", "inactive-pass-123"))},
		{name: "obtain: missing fields", req: fixed(jsonReq(pObtain, `{}`))},
		{name: "obtain: blank fields", req: fixed(formReq(pObtain, "username", "", "password", ""))},
		{name: "obtain: whitespace-only fields are blank", req: fixed(jsonReq(pObtain, `{"username": "   ", "password": "\t"}`))},
		{name: "obtain: null fields", req: fixed(jsonReq(pObtain, `{"username":null,"password":null}`))},
		{name: "obtain: list and object fields", req: fixed(jsonReq(pObtain, `{"username":["siva"],"password":{"p":"siva"}}`))},
		{name: "obtain: bool and number fields", req: fixed(jsonReq(pObtain, `{"username":true,"password":1234}`))},
		{name: "obtain: malformed JSON", req: fixed(jsonReq(pObtain, `{"username":"siva",`))},
		{name: "obtain: text/plain", req: fixed(request{method: "POST", path: pObtain, body: "username=siva", header: []string{"Content-Type: text/plain"}})},
		{name: "obtain: no Content-Type with a body", req: fixed(request{method: "POST", path: pObtain, body: "username=siva&password=siva"})},
		{name: "obtain: no Content-Type and no body", req: fixed(request{method: "POST", path: pObtain})},
		{name: "obtain: JSON array body", req: fixed(jsonReq(pObtain, `[{"username":"siva","password":"siva"}]`))},
		{name: "obtain: JSON null body", req: fixed(jsonReq(pObtain, `null`))},
		{name: "obtain: GET", req: fixed(getReq(pObtain))},
		{name: "obtain: PUT", req: fixed(request{method: "PUT", path: pObtain, body: `{}`, header: []string{"Content-Type: application/json"}})},
		{name: "obtain: whitespace around username and password is trimmed", req: fixed(jsonReq(pObtain, `{"username": " siva ", "password": " siva "}`))},
		{name: "obtain: extra fields are ignored", req: fixed(jsonReq(pObtain, `{"username": "siva", "password": "siva", "is_superuser": true}`))},
		{name: "obtain: broken Bearer header is ignored", req: fixed(withHeader(formReq(pObtain, "username", "siva", "password", "siva"), "Authorization: Bearer garbage"))},
		{name: "obtain: no trailing slash (APPEND_SLASH)", req: fixed(formReq("/userprofiles/api/token", "username", "siva", "password", "siva"))},
		{name: "obtain: Accept: application/xml", req: fixed(jsonReq(pObtain, `{"username": "accept_xml", "password": "wrong"}`, "Accept: application/xml"))},
		{name: "obtain: Accept: text/html;q=0.5, application/json", req: fixed(jsonReq(pObtain, `{"username": "accept_q", "password": "wrong"}`, "Accept: text/html;q=0.5, application/json"))},
		{name: "obtain: Accept: application/json; indent=4", req: fixed(jsonReq(pObtain, `{"username": "accept_indent", "password": "wrong"}`, "Accept: application/json; indent=4"))},
		{name: "obtain: Accept: text/html", req: fixed(jsonReq(pObtain, `{"username": "accept_html", "password": "wrong"}`, "Accept: text/html")),
			differs: &difference{why: whyAcceptHTML,
				ref: expect{status: 401, htmlPrefix: "\n\n\n\n<!DOCTYPE html>", ctype: "text/html; charset=utf-8", www: true},
				gw:  expect{status: 401, body: harness.NoActiveAccount, www: true}}},
		{name: "obtain: chunked body", req: fixed(request{method: "POST", path: pObtain, body: "username=siva&password=siva", chunked: true,
			header: []string{"Content-Type: application/x-www-form-urlencoded"}}),
			differs: &difference{why: whyChunked,
				ref: expect{status: 400, body: `{"username":` + required + `,"password":` + required + `}`},
				gw:  expect{status: 200, skeleton: `{"refresh":"<jwt>","access":"<jwt>"}`}}},

		// ---- refresh
		{name: "refresh: good (JSON)", req: refreshWith(ownRefresh), refreshedFrom: ownRefresh},
		{name: "refresh: same refresh token again (form)", req: func(s *side) request { return formReq(pRefresh, "refresh", s.refresh) }, refreshedFrom: ownRefresh},
		{name: "refresh: a two-minute-old refresh token (crafted)", req: refreshWith(fixedTok(olderRefresh)), refreshedFrom: fixedTok(olderRefresh),
			differs: olderThanUser(m)}, // the gateway's users joined when it started
		{name: "refresh: access token used as refresh", req: refreshWith(access)},
		{name: "refresh: sliding token used as refresh", req: refreshWith(fixedTok(slidingAccess))},
		{name: "refresh: expired (crafted)", req: refreshWith(fixedTok(expiredRefresh))},
		{name: "refresh: wrong secret", req: refreshWith(fixedTok(wrongSecretRefresh))},
		{name: "refresh: alg none", req: refreshWith(fixedTok(noneRefresh))},
		{name: "refresh: HS512 with the right key", req: refreshWith(fixedTok(hs512Refresh))},
		{name: "refresh: garbage", req: fixed(jsonReq(pRefresh, `{"refresh": "garbage"}`))},
		{name: "refresh: missing field", req: fixed(jsonReq(pRefresh, `{}`))},
		{name: "refresh: blank field", req: fixed(formReq(pRefresh, "refresh", ""))},
		{name: "refresh: null field", req: fixed(jsonReq(pRefresh, `{"refresh": null}`))},
		{name: "refresh: no jti claim (crafted)", req: refreshWith(fixedTok(noJTIRefresh)),
			differs: &difference{why: whyNoJTI, ref: html500, gw: expect{status: 401, body: tokenNotValid("Token has no id"), www: true}}},
		{name: "refresh: no exp claim (crafted)", req: refreshWith(fixedTok(noExpRefresh))},
		{name: "refresh: no token_type claim (crafted)", req: refreshWith(fixedTok(noTypeRefresh))},
		{name: "refresh: token of non-existent user (crafted)", req: refreshWith(fixedTok(ghostRefresh)), refreshedFrom: fixedTok(ghostRefresh),
			differs: refreshRefused(m)},
		{name: "refresh: token of an inactive user (crafted)", req: refreshWith(fixedTok(inactiveRefresh)), refreshedFrom: fixedTok(inactiveRefresh),
			differs: refreshRefused(m)},
		{name: "refresh: GET", req: fixed(getReq(pRefresh))},

		// ---- verify
		{name: "verify: access token", req: func(s *side) request { return jsonReq(pVerify, tokenBody(s.access)) }},
		{name: "verify: refresh token of the first pair", req: func(s *side) request { return formReq(pVerify, "token", s.refresh) }},
		{name: "verify: garbage", req: fixed(jsonReq(pVerify, `{"token": "abc"}`))},
		{name: "verify: empty", req: fixed(jsonReq(pVerify, `{"token": ""}`))},
		{name: "verify: missing", req: fixed(jsonReq(pVerify, `{}`))},
		{name: "verify: no jti", req: fixed(jsonReq(pVerify, tokenBody(noJTIAccess)))},
		{name: "verify: no exp", req: fixed(jsonReq(pVerify, tokenBody(noExpAccess)))},
		{name: "verify: no token_type (not checked)", req: fixed(jsonReq(pVerify, tokenBody(noTypeAccess)))},
		{name: "verify: token of non-existent user (not checked)", req: fixed(jsonReq(pVerify, tokenBody(ghostAccess)))},
		{name: "verify: expired", req: fixed(jsonReq(pVerify, tokenBody(expiredAccess)))},
		{name: "verify: wrong secret", req: fixed(jsonReq(pVerify, tokenBody(wrongSecretAccess)))},

		// ---- blacklist (logout)
		{name: "obtain (for logout)", req: fixed(jsonReq(pObtain, `{"username": "siva", "password": "siva"}`)),
			capture: capturePair(func(s *side, a, r string) { s.logoutAccess, s.logoutRefresh = a, r })},
		{name: "blacklist: logout", req: func(s *side) request { return jsonReq(pBlacklist, refreshBody(s.logoutRefresh)) }},
		{name: "blacklist: logout again", req: func(s *side) request { return jsonReq(pBlacklist, refreshBody(s.logoutRefresh)) }},
		{name: "refresh: blacklisted token", req: func(s *side) request { return jsonReq(pRefresh, refreshBody(s.logoutRefresh)) }},
		{name: "verify: blacklisted refresh token", req: func(s *side) request { return jsonReq(pVerify, tokenBody(s.logoutRefresh)) }},
		{name: "protected: access token of the logged-out pair", req: bearer(func(s *side) string { return s.logoutAccess }), differs: endedAccess(whySessionEnded, usersBeforeRegister)},
		{name: "blacklist: access token", req: func(s *side) request { return jsonReq(pBlacklist, refreshBody(s.logoutAccess)) }},
		{name: "blacklist: missing", req: fixed(jsonReq(pBlacklist, `{}`))},
		{name: "blacklist: blank (form)", req: fixed(formReq(pBlacklist, "refresh", ""))},
		{name: "blacklist: expired", req: fixed(jsonReq(pBlacklist, refreshBody(expiredRefresh2)))},
		{name: "blacklist: garbage", req: fixed(jsonReq(pBlacklist, `{"refresh": "garbage"}`))},
		{name: "blacklist: a refresh token never issued (crafted)", req: fixed(jsonReq(pBlacklist, refreshBody(neverIssuedRefresh)))},
		{name: "refresh: the never-issued token after its logout", req: fixed(formReq(pRefresh, "refresh", neverIssuedRefresh))},
		{name: "blacklist: no jti (crafted)", req: fixed(jsonReq(pBlacklist, refreshBody(noJTIRefresh2))),
			differs: &difference{why: whyNoJTI, ref: html500, gw: expect{status: 401, body: tokenNotValid("Token has no id"), www: true}}},

		// ---- register
		{name: "register: success (JSON)", req: fixed(jsonReq(pRegister, `{"username": "rec_conf", "email": "rec_conf@example.com", "password": "Rec-pass-123", "password2": "Rec-pass-123"}`)),
			capture: captureRegistered(func(s *side, a, _ string) { s.registeredAccess = a })},
		{name: "register: the new user logs in", req: fixed(formReq(pLogin, "username", "rec_conf", "password", "Rec-pass-123"))},
		{name: "register: the new user's access token on users/", req: bearer(func(s *side) string { return s.registeredAccess })},
		{name: "register: duplicate username", req: fixed(formReq(pRegister, "username", "rec_conf", "email", "rec_confx@example.com", "password", "Rec-pass-123", "password2", "Rec-pass-123")),
			differs: registerErrors(`{"username":["A user with that username already exists."]}`, "")},
		{name: "register: duplicate email", req: fixed(multipartReq(pRegister, "username", "rec_confx", "email", "rec_conf@example.com", "password", "Rec-pass-123", "password2", "Rec-pass-123"))},
		{name: "register: password mismatch", req: fixed(jsonReq(pRegister, `{"username": "rec_confy", "email": "rec_confy@example.com", "password": "Rec-pass-123", "password2": "Rec-pass-124"}`))},
		{name: "register: duplicate username and password mismatch", req: fixed(jsonReq(pRegister, `{"username": "rec_conf", "email": "rec_confy@example.com", "password": "Rec-pass-123", "password2": "Rec-pass-124"}`)),
			differs: registerErrors(`{"username":["A user with that username already exists."]}`, "")},
		{name: "register: missing fields", req: fixed(jsonReq(pRegister, `{}`)),
			// The gateway's email is required (the README's missing-email
			// decision), so {} reports it too.
			differs: withWhy(registerErrors(`{"username":`+required+`,"password":`+required+`,"password2":`+required+`}`,
				`{"username":`+required+`,"email":`+required+`,"password":`+required+`,"password2":`+required+`}`),
				whyRegister400+"; "+whyMissingEmail)},
		{name: "register: missing email", req: fixed(jsonReq(pRegister, `{"username": "rec_confz", "password": "Rec-pass-123", "password2": "Rec-pass-123"}`)),
			differs: &difference{why: whyMissingEmail, ref: html500, gw: expect{status: 400, body: `{"email":` + required + `}`}}},
		{name: "register: missing password2", req: fixed(jsonReq(pRegister, `{"username": "rec_confz", "email": "", "password": "Rec-pass-123"}`)),
			differs: registerErrors(`{"password2":`+required+`}`, "")},
		{name: "register: invalid values", req: fixed(jsonReq(pRegister, `{"username": "bad user!", "email": "nope", "password": "", "password2": "x"}`)),
			differs: registerErrors(`{"username":["Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."],"email":["Enter a valid email address."],"password":["This field may not be blank."]}`, "")},
		{name: "register: username longer than 150 characters", req: fixed(jsonReq(pRegister, `{"username": "`+strings.Repeat("u", 151)+`", "email": "long@example.com", "password": "Rec-pass-123", "password2": "Rec-pass-123"}`)),
			differs: registerErrors(`{"username":["Ensure this field has no more than 150 characters."]}`, "")},
	}
	weak := scenario{name: "register: weak password", req: fixed(jsonReq(pRegister, `{"username": "rec_confw", "email": "rec_confw@example.com", "password": "1234", "password2": "1234"}`))}
	if m.validatePassword {
		weak.differs = registerErrors(`{"password":["This password is too short. It must contain at least 8 characters.","This password is too common.","This password is entirely numeric."]}`, "")
	}
	sc = append(sc, weak)
	sc = append(sc, []scenario{
		{name: "register: invalid Bearer token", req: fixed(jsonReq(pRegister, `{"username": "rec_confv"}`, "Authorization: Bearer garbage"))},
		{name: "register: Token scheme is ignored", req: fixed(jsonReq(pRegister, `{"username": "rec_confy", "email": "rec_confy@example.com", "password": "Rec-pass-123", "password2": "Rec-pass-124"}`, "Authorization: Token x"))},
		{name: "register: GET", req: fixed(getReq(pRegister))},
		{name: "register: OPTIONS", req: fixed(request{method: "OPTIONS", path: pRegister})},

		// ---- users changed behind the servers' backs (manage.py refuser;
		// caddy jwtgate user …)
		{name: "register: rec_gone (form), deleted later", req: fixed(formReq(pRegister, "username", "rec_gone", "email", "rec_gone@example.com", "password", "Gone-pass-123", "password2", "Gone-pass-123")),
			capture: captureRegistered(func(s *side, a, r string) { s.goneAccess, s.goneRefresh = a, r })},
		{name: "register: rec_off (multipart), deactivated later", req: fixed(multipartReq(pRegister, "username", "rec_off", "email", "rec_off@example.com", "password", "Off-pass-123", "password2", "Off-pass-123")),
			capture: captureRegistered(func(s *side, a, r string) { s.offAccess, s.offRefresh = a, r })},
		{name: "protected: a user deleted after the token was issued", req: bearer(goneAccess),
			before: behindBack("delete", "rec_gone", goneAccess, 401)},
		{name: "refresh: token of a user deleted after it was issued", req: refreshWith(goneRefresh), refreshedFrom: goneRefresh,
			differs: refreshRefused(m)},
		{name: "verify: token of a deleted user", req: func(s *side) request { return jsonReq(pVerify, tokenBody(s.goneAccess)) }},
		{name: "obtain: a deleted user", req: fixed(formReq(pObtain, "username", "rec_gone", "password", "Gone-pass-123"))},
		{name: "protected: a user deactivated after the token was issued", req: bearer(offAccess),
			before: behindBack("deactivate", "rec_off", offAccess, 401)},
		{name: "refresh: token of a user deactivated after it was issued", req: refreshWith(offRefresh), refreshedFrom: offRefresh,
			differs: refreshRefused(m)},
		{name: "verify: token of a deactivated user", req: func(s *side) request { return jsonReq(pVerify, tokenBody(s.offAccess)) }},
		{name: "obtain: a deactivated user", req: fixed(formReq(pObtain, "username", "rec_off", "password", "Off-pass-123"))},
		{name: "protected: the reactivated user's old token works again", req: bearer(offAccess),
			before: behindBack("activate", "rec_off", offAccess, 200)},
		{name: "obtain: the reactivated user", req: fixed(jsonReq(pLogin, `{"username": "rec_off", "password": "Off-pass-123"}`))},

		// ---- protected users/
		{name: "protected: valid access token", req: bearer(access)},
		{name: "protected: no Authorization", req: fixed(getReq(pUsers))},
		{name: "protected: empty Authorization", req: fixed(getReq(pUsers, "Authorization:"))},
		{name: "protected: Token scheme", req: fixed(getReq(pUsers, "Authorization: Token x"))},
		{name: "protected: lower-case bearer", req: func(s *side) request { return getReq(pUsers, "Authorization: bearer "+s.access) }},
		{name: "protected: Bearer alone", req: fixed(getReq(pUsers, "Authorization: Bearer"))},
		{name: "protected: Bearer a b", req: fixed(getReq(pUsers, "Authorization: Bearer a b"))},
		{name: "protected: Bearer <valid> extra", req: func(s *side) request { return getReq(pUsers, harness.Bearer(s.access)+" extra") }},
		{name: "protected: Bearer, tab and spaces around the token", req: func(s *side) request { return getReq(pUsers, "Authorization: Bearer \t  "+s.access+"  ") }},
		{name: "protected: refresh token", req: bearer(ownRefresh)},
		{name: "protected: sliding token", req: bearerFixed(slidingAccess)},
		{name: "protected: expired access", req: bearerFixed(expiredAccess)},
		{name: "protected: alg=none", req: bearerFixed(noneAccess)},
		{name: "protected: HS512 with the right key", req: bearerFixed(hs512Access)},
		{name: "protected: wrong secret", req: bearerFixed(wrongSecretAccess)},
		{name: "protected: garbage", req: bearerFixed("garbage")},
		{name: "protected: no token_type", req: bearerFixed(noTypeAccess)},
		{name: "protected: no jti", req: bearerFixed(noJTIAccess)},
		{name: "protected: no exp", req: bearerFixed(noExpAccess)},
		{name: "protected: no user_id", req: bearerFixed(noUserAccess)},
		{name: "protected: user does not exist", req: bearerFixed(ghostAccess)},
		{name: "protected: inactive user", req: bearerFixed(inactiveAccess)},
		{name: "protected: user_id as a numeric string", req: bearerFixed(stringIDAccess)},
		{name: "protected: user_id \"abc\"", req: bearerFixed(abcIDAccess),
			differs: &difference{why: whyNonNumericUID, ref: html500,
				gw: expect{status: 401, body: `{"detail":"Token contained no recognizable user identification","code":"token_not_valid"}`, www: true}}},
		{name: "protected: HS384 with the right key", req: bearerFixed(mustCraft(t, sharedKey, jwt.SigningMethodHS384, accessClaims(1, now)))},
		{name: "protected: nbf in the future", req: bearerFixed(hs(with(accessClaims(1, now), "nbf", now.Add(time.Hour).Unix())))},
		{name: "protected: iat in the future", req: bearerFixed(hs(with(accessClaims(1, now), "iat", now.Add(time.Hour).Unix())))},
		{name: "protected: exp not a number", req: bearerFixed(hs(with(accessClaims(1, now), "exp", "tomorrow")))},
		{name: "protected: exp as a numeric string", req: bearerFixed(hs(with(accessClaims(1, now), "exp", strconv.FormatInt(now.Add(time.Hour).Unix(), 10)))),
			differs: stricter(html500)}, // PyJWT takes int("…"); simplejwt's datetime_from_epoch then fails
		{name: "protected: exp as a float", req: bearerFixed(hs(with(accessClaims(1, now), "exp", float64(now.Add(time.Hour).Unix())+0.5)))},
		{name: "protected: no iat", req: bearerFixed(hs(without(accessClaims(1, now), "iat"))), differs: endedAccess(whyBeforeUser, usersAfterRegister(m))},
		{name: "protected: aud and iss are not checked", req: bearerFixed(hs(with(with(accessClaims(1, now), "aud", "someone"), "iss", "somebody")))},
		{name: "protected: extra claims are ignored", req: bearerFixed(hs(with(accessClaims(1, now), "scope", "admin")))},
		{name: "protected: user_id 1.0", req: bearerFixed(hs(with(accessClaims(1, now), "user_id", 1.5-0.5)))},
		{name: "protected: user_id null", req: bearerFixed(hs(with(accessClaims(1, now), "user_id", nil)))},
		{name: "protected: kid in the header", req: bearerFixed(craftRaw(t, sharedKey, jwt.SigningMethodHS256, `{"alg":"HS256","kid":"k1","typ":"JWT"}`, string(must(accessClaims(1, now).MarshalJSON())))),
			differs: stricter(expect{status: 200, body: usersAfterRegister(m)})}, // PyJWT ignores kid; the gateway's kid selects a configured key
		{name: "protected: no typ in the header", req: bearerFixed(craftRaw(t, sharedKey, jwt.SigningMethodHS256, `{"alg":"HS256"}`, string(must(accessClaims(1, now).MarshalJSON()))))},
		{name: "protected: crit in the header", req: bearerFixed(craftRaw(t, sharedKey, jwt.SigningMethodHS256, `{"alg":"HS256","crit":["exp"],"typ":"JWT"}`, string(must(accessClaims(1, now).MarshalJSON()))))}, // Debian's PyJWT 2.6.0-1+deb12u1 refuses crit too
		{name: "protected: duplicate user_id claim", req: bearerFixed(craftRaw(t, sharedKey, jwt.SigningMethodHS256, `{"alg":"HS256","typ":"JWT"}`,
			strings.TrimSuffix(string(must(accessClaims(2147480000, now).MarshalJSON())), "}")+`,"user_id":1}`)),
			differs: stricter(expect{status: 200, body: usersAfterRegister(m)})}, // Python's json keeps the last
		{name: "protected: padded base64 in the token", req: bearerFixed(craftPadded(t, accessClaims(1, now))),
			differs: stricter(expect{status: 200, body: usersAfterRegister(m)})},
		{name: "protected: POST with valid token", req: func(s *side) request { return jsonReq(pUsers, `{}`, harness.Bearer(s.access)) }},
		{name: "protected: POST without token", req: fixed(jsonReq(pUsers, `{}`))},
		{name: "protected: OPTIONS without token", req: fixed(request{method: "OPTIONS", path: pUsers})},
		{name: "protected: OPTIONS with token", req: func(s *side) request {
			return request{method: "OPTIONS", path: pUsers, header: []string{harness.Bearer(s.access)}}
		}},
		{name: "protected: Accept: application/xml", req: func(s *side) request { return getReq(pUsers, harness.Bearer(s.access), "Accept: application/xml") }},

		// ---- OPTIONS of the token views
		{name: "token endpoint: OPTIONS", req: fixed(request{method: "OPTIONS", path: pObtain})},
		{name: "token endpoint: OPTIONS login/", req: fixed(request{method: "OPTIONS", path: pLogin})},
		{name: "refresh endpoint: OPTIONS", req: fixed(request{method: "OPTIONS", path: pRefresh})},
		{name: "verify endpoint: OPTIONS", req: fixed(request{method: "OPTIONS", path: pVerify})},
		{name: "blacklist endpoint: OPTIONS", req: fixed(request{method: "OPTIONS", path: pBlacklist})},

		// ---- the movie API (the reference's Django movieapi; the
		// gateway's jwt_auth read_only in front of upstream-example)
		{name: "movies: public list with broken Bearer", req: fixed(getReq("/movieapi/movie/", "Authorization: Bearer garbage")),
			differs: noAllow(protectedNotValid("Token is invalid or expired"), "GET, POST, HEAD, OPTIONS")},
		{name: "movies: create without token", req: fixed(jsonReq("/movieapi/movie/", `{"title": "x", "storyline": "y"}`)),
			differs: noAllow(`{"detail":"Authentication credentials were not provided."}`, "GET, POST, HEAD, OPTIONS")},
		{name: "movies: create with token", req: func(s *side) request {
			return jsonReq("/movieapi/movie/", `{"title": "Rec conformance", "storyline": "y"}`, harness.Bearer(s.access))
		}},
		{name: "reviews: create", req: func(s *side) request {
			return jsonReq("/movieapi/movie/4/review-create/", `{"rating": 4, "description": "ok"}`, harness.Bearer(s.access))
		}, normalise: normaliseReviewTimes},
		{name: "reviews: create twice", req: func(s *side) request {
			return jsonReq("/movieapi/movie/4/review-create/", `{"rating": 4, "description": "ok"}`, harness.Bearer(s.access))
		}},
		{name: "reviews: detail", req: fixed(getReq("/movieapi/movie/1/review_detail/")), normalise: normaliseReviewTimes},
		{name: "movies: public list with Token scheme", req: fixed(getReq("/movieapi/movie/", "Authorization: Token x")), normalise: normaliseReviewTimes},
		{name: "reviews: edit by another user", req: func(s *side) request {
			return withHeader(jsonReq("/movieapi/movie/1/review_detail/", `{"rating": 1, "description": "mine now"}`), harness.Bearer(s.registeredAccess))
		}},
		{name: "reviews: PATCH rating 6", req: func(s *side) request {
			rq := withHeader(jsonReq("/movieapi/movie/1/review_detail/", `{"rating": 6}`), harness.Bearer(s.access))
			rq.method = "PATCH"
			return rq
		}},
		{name: "reviews: unauthenticated PUT", req: fixed(request{method: "PUT", path: "/movieapi/movie/1/review_detail/", body: `{"rating": 1}`,
			header: []string{"Content-Type: application/json"}}),
			differs: noAllow(`{"detail":"Authentication credentials were not provided."}`, "GET, PUT, PATCH, DELETE, HEAD, OPTIONS")},
		{name: "reviews: DELETE by the reviewer", req: func(s *side) request {
			return request{method: "DELETE", path: "/movieapi/movie/1/review_detail/", header: []string{harness.Bearer(s.access)}}
		}},
		{name: "not found (DEBUG=False)", req: fixed(getReq("/nope/")),
			differs: &difference{why: whyNotFound,
				ref: expect{status: 404, htmlPrefix: "\n<!doctype html>", ctype: "text/html"},
				gw:  expect{status: 404, body: `{"detail":"Not found."}`}}},
	}...)
	return sc
}
