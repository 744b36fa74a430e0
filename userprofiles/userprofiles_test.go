package userprofiles

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/password"
	"github.com/jwtgate/jwtgate/simplejwt"
	sjt "github.com/jwtgate/jwtgate/simplejwt/simplejwttest"
	"github.com/jwtgate/jwtgate/store"
)

// TestRegister: a registration answers 201 with the tutorial's body and a
// pair for the new user, who exists with a pbkdf2 hash of the trimmed
// password and can use the token at once.
func TestRegister(t *testing.T) {
	e := newViewEnv(t, vtOptions{})
	for i, c := range []struct {
		name string
		req  func(username, email, pw string) *http.Request
	}{
		{"json", func(u, em, pw string) *http.Request {
			return sjt.JSON(sjt.Obj("username", " "+u+" ", "email", em+"  ", "password", "  "+pw+"  ", "password2", pw))
		}},
		{"form", func(u, em, pw string) *http.Request {
			return sjt.Form(url.Values{"username": {u}, "email": {em}, "password": {pw}, "password2": {" " + pw}})
		}},
		{"multipart", func(u, em, pw string) *http.Request {
			return sjt.Multipart(t, "username", u, "email", em, "password", pw, "password2", pw)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			username, email, pw := fmt.Sprintf("anna%d", i), fmt.Sprintf("anna%d@example.com", i), fmt.Sprintf("Pw-Abc-12%d", i)
			now := e.Clock.Advance(time.Minute)
			users, rows := e.UserCount(), e.OutstandingRows()
			res := e.serve(Register, c.req(username, email, pw))
			if res.Code != http.StatusCreated {
				t.Fatalf("%d %s", res.Code, res.Body)
			}
			if res.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q", res.Header.Get("Cache-Control"))
			}
			if n := e.HashCount(); n != 1 {
				t.Errorf("%d hash computations, want 1", n)
			}
			u := e.User(username)
			var body struct {
				Token struct{ Refresh, Access string }
			}
			if err := json.Unmarshal([]byte(res.Body), &body); err != nil {
				t.Fatal(err)
			}
			want := `{"response":"Registration Successfully !!!","username":"` + username + `","email":"` + email +
				`","token":{"refresh":"` + body.Token.Refresh + `","access":"` + body.Token.Access + `"}}`
			if res.Body != want {
				t.Errorf("body\n%s\nwant\n%s", res.Body, want)
			}
			pairBody := `{"refresh":"` + body.Token.Refresh + `","access":"` + body.Token.Access + `"}`
			sjt.CheckPair(t, e.Env, pairBody, now, u.ID)
			sjt.CheckOutstanding(t, e.Env, body.Token.Refresh, body.Token.Access, u.ID, now)
			if e.UserCount() != users+1 || e.OutstandingRows() != rows+1 {
				t.Errorf("users %d → %d, outstanding %d → %d", users, e.UserCount(), rows, e.OutstandingRows())
			}

			// The row, as Django's User(email, username).set_password().save().
			if !u.IsActive || u.IsStaff || u.IsSuperuser || u.FirstName != "" || u.LastName != "" || u.LastLogin != nil ||
				u.Email != email || !u.DateJoined.Equal(now.Truncate(time.Microsecond)) {
				t.Errorf("stored user %+v", u)
			}
			if !strings.HasPrefix(u.Password, "pbkdf2_sha256$1000$") {
				t.Errorf("stored hash %q, want pbkdf2_sha256 with the preferred iterations", u.Password)
			}
			check := password.NewSet(password.PBKDF2SHA256{Iterations: 1000})
			if ok, _ := check.Check(pw, u.Password); !ok {
				t.Error("the stored hash does not verify the trimmed password")
			}
			if ok, _ := check.Check("  "+pw+"  ", u.Password); ok {
				t.Error("the stored hash verifies the untrimmed password")
			}

			// Usable at once: no feed runs in this test, the index learnt
			// the user from the registration itself.
			if st, ok := e.Users.Lookup(u.ID); !ok || !st.IsActive || st.Username != username {
				t.Errorf("index entry %+v, %v", st, ok)
			}
			if res := e.serve(Users, sjt.Bearer(sjt.Req(http.MethodGet), body.Token.Access)); res.Code != http.StatusOK {
				t.Errorf("users with the new token: %d %s", res.Code, res.Body)
			}
			if res := e.serve(Refresh, sjt.JSON(sjt.Obj("refresh", body.Token.Refresh))); res.Code != http.StatusOK {
				t.Errorf("refresh with the new token: %d %s", res.Code, res.Body)
			}
			e.login(username, pw)
		})
	}
	if n := e.Logs.Len(); n != 0 {
		t.Errorf("registrations were logged: %q", sjt.LogText(e.Logs))
	}
}

// TestRegisterAuthentication: register runs JWTAuthentication with
// AllowAny: no token or another scheme is anonymous, a broken Bearer is
// refused before anything is parsed.
func TestRegisterAuthentication(t *testing.T) {
	e := newViewEnv(t, vtOptions{})
	_, access := e.login(sjt.Siva, sjt.SivaPassword)
	body := func(name string) string {
		return sjt.Obj("username", name, "email", name+"@example.com", "password", "Str0ng-pass!", "password2", "Str0ng-pass!")
	}
	r := sjt.JSON(body("bob"))
	r.Header.Set("Authorization", "Bearer garbage")
	e.serve(Register, r).Want(t, "Bearer garbage", http.StatusUnauthorized,
		`{"detail":"Given token not valid for any token type","code":"token_not_valid","messages":[{"token_class":"AccessToken","token_type":"access","message":"Token is invalid or expired"}]}`)
	r = sjt.JSON(`not even JSON`)
	r.Header.Set("Authorization", "Bearer a b")
	e.serve(Register, r).Want(t, "Bearer a b", http.StatusUnauthorized,
		`{"detail":"Authorization header must contain two space-delimited values","code":"bad_authorization_header"}`)
	if n := e.UserCount(); n != 2 {
		t.Errorf("%d users after refused registrations", n)
	}
	r = sjt.JSON(body("bob"))
	r.Header.Set("Authorization", "Token x")
	if res := e.serve(Register, r); res.Code != http.StatusCreated {
		t.Errorf("with Token x: %d %s", res.Code, res.Body)
	}
	if res := e.serve(Register, sjt.Bearer(sjt.JSON(body("carl")), access)); res.Code != http.StatusCreated {
		t.Errorf("with a valid token: %d %s", res.Code, res.Body)
	}
	if n := e.HashCount(); n != 2 {
		t.Errorf("%d hash computations, want 2", n)
	}
}

// vtReg is a register request body in JSON.
func vtReg(username, email, pw, pw2 string) *http.Request {
	return sjt.JSON(sjt.Obj("username", username, "email", email, "password", pw, "password2", pw2))
}

const (
	vtMsgRequired = `["This field is required."]`
	vtMsgUsername = `"Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."`
	vtMsgEmail    = `"Enter a valid email address."`
	vtBodyTaken   = `{"username":["A user with that username already exists."]}`
	vtBodyP1P2    = `{"error":"P1 and P2 should be same!"}`
	vtBodyEmail   = `{"error":"Email already exists!"}`
)

// TestRegisterRefused: the tutorial's errors, as 400s (the tutorial sends
// field errors with 201; jwtgate does not), in the reference's order;
// nothing is written and, short of a valid request, nothing is hashed.
func TestRegisterRefused(t *testing.T) {
	e := newViewEnv(t, vtOptions{})
	long := strings.Repeat("x", 151)
	for _, c := range []struct {
		name string
		req  *http.Request
		body string
	}{
		{"password mismatch", vtReg("bob", "bob@example.com", "Pw-1", "Pw-2"), vtBodyP1P2},
		{"duplicate email", vtReg("bob", sjt.SivaEmail, "Pw-1", "Pw-1"), vtBodyEmail},
		{"duplicate email of an inactive user", vtReg("bob", " "+sjt.InactiveEmail, "Pw-1", "Pw-1"), vtBodyEmail},
		{"duplicate email and mismatch", vtReg("bob", sjt.SivaEmail, "Pw-1", "Pw-2"), vtBodyP1P2},
		{"duplicate username", vtReg(sjt.Siva, "new@example.com", "Pw-1", "Pw-1"), vtBodyTaken},
		{"duplicate username, trimmed", vtReg(" siva\t", "new@example.com", "Pw-1", "Pw-1"), vtBodyTaken},
		{"duplicate username and mismatch", vtReg(sjt.Siva, "new@example.com", "a", "b"), vtBodyTaken},
		{"duplicate username and email", vtReg(sjt.Siva, sjt.SivaEmail, "a", "a"), vtBodyTaken},
		{"missing fields", sjt.JSON(`{}`), `{"username":` + vtMsgRequired + `,"email":` + vtMsgRequired + `,"password":` + vtMsgRequired + `,"password2":` + vtMsgRequired + `}`},
		{"no body", sjt.Req(http.MethodPost), `{"username":` + vtMsgRequired + `,"email":` + vtMsgRequired + `,"password":` + vtMsgRequired + `,"password2":` + vtMsgRequired + `}`},
		{"missing email", sjt.JSON(`{"username":"bob","password":"p","password2":"p"}`), `{"email":` + vtMsgRequired + `}`},
		{"missing email, form", sjt.Form(url.Values{"username": {"bob"}, "password": {"p"}, "password2": {"p"}}), `{"email":` + vtMsgRequired + `}`},
		{"missing password2", sjt.JSON(`{"username":"bob","email":"bob@example.com","password":"p"}`), `{"password2":` + vtMsgRequired + `}`},
		{"null email", sjt.JSON(`{"username":"bob","email":null,"password":"p","password2":"p"}`), `{"email":["This field may not be null."]}`},
		{"null password2", sjt.JSON(`{"username":"bob","email":"bob@example.com","password":"p","password2":null}`), `{"password2":["This field may not be null."]}`},
		{"bad values", vtReg("bad name!", "not-an-email", "", "x"), `{"username":[` + vtMsgUsername + `],"email":[` + vtMsgEmail + `],"password":["This field may not be blank."]}`},
		{"blank password", vtReg("bob", "bob@example.com", " ", "p"), `{"password":["This field may not be blank."]}`},
		{"boolean password", sjt.JSON(`{"username":"bob","email":"bob@example.com","password":true,"password2":"p"}`), `{"password":["Not a valid string."]}`},
		{"username too long", vtReg(long, "bob@example.com", "p", "p"), `{"username":["Ensure this field has no more than 150 characters."]}`},
		{"username invalid and too long", vtReg(long+"!", "bob@example.com", "p", "p"), `{"username":[` + vtMsgUsername + `,"Ensure this field has no more than 150 characters."]}`},
		{"username with a space", vtReg("a b", "bob@example.com", "p", "p"), `{"username":[` + vtMsgUsername + `]}`},
		// NFKC composes a + U+0301 into á, a letter; x has no composed form.
		{"username with a combining mark", vtReg("x\u0301", "bob@example.com", "p", "p"), `{"username":[` + vtMsgUsername + `]}`},
		{"username with a null character", vtReg("b\x00b", "bob@example.com", "p", "p"), `{"username":[` + vtMsgUsername + `,"Null characters are not allowed."]}`},
		{"email too long but valid", vtReg("bob", strings.Repeat("a", 250)+"@example.com", "p", "p"), `{"email":["Ensure this field has no more than 254 characters."]}`},
		{"email of 320 characters", vtReg("bob", strings.Repeat("a", 308)+"@example.com", "p", "p"), `{"email":["Ensure this field has no more than 254 characters."]}`},
		{"quoted local part with a space", vtReg("bob", `"john doe"@example.com`, "p", "p"), `{"email":[` + vtMsgEmail + `]}`},
		{"domain label ending with -", vtReg("bob", "bob@exa-.com", "p", "p"), `{"email":[` + vtMsgEmail + `]}`},
		{"domain label starting with -", vtReg("bob", "bob@-example.com", "p", "p"), `{"email":[` + vtMsgEmail + `]}`},
		{"domain without a dot", vtReg("bob", "bob@example", "p", "p"), `{"email":[` + vtMsgEmail + `]}`},
		{"password too long", vtReg("bob", "bob@example.com", strings.Repeat("p", 129), "p"), `{"password":["Ensure this field has no more than 128 characters."]}`},
	} {
		users, rows := e.UserCount(), e.OutstandingRows()
		res := e.serve(Register, c.req)
		res.Want(t, c.name, http.StatusBadRequest, c.body)
		if e.UserCount() != users || e.OutstandingRows() != rows {
			t.Errorf("%s: a refused registration wrote rows", c.name)
		}
		// The email check shares the insert's transaction, so a duplicate
		// email is found after the password was hashed; everything else
		// is refused before.
		wantHashes := int64(0)
		if res.Body == vtBodyEmail {
			wantHashes = 1
		}
		if n := e.HashCount(); n != wantHashes {
			t.Errorf("%s: %d hash computations, want %d", c.name, n, wantHashes)
		}
		if res.Header.Get("Cache-Control") != "" {
			t.Errorf("%s: Cache-Control on a refusal", c.name)
		}
	}
	if f := e.LoginFailures(); len(f) != 0 {
		t.Errorf("LoginFailed %q on registrations", f)
	}
}

// TestRegisterAccepted: values the reference accepts, and an empty email
// (then, as in the tutorial, a second empty email is "already used").
// Usernames are stored NFKC-normalized, as Django's create_user stores
// them (Ⅻ as XII); an email or username differing from an existing one
// only in case is TestRegisterLookalikes'.
func TestRegisterAccepted(t *testing.T) {
	e := newViewEnv(t, vtOptions{})
	for i, c := range []struct{ username, email, stored string }{
		{"\u0663\u0664\u0665", "arabic@example.com", ""},
		{"\u216b", "roman@example.com", "XII"},
		{"a\u00b2", "squared@example.com", "a2"},
		{"a\u0301", "composed@example.com", "\u00e1"},
		{"a.b@c+d-e_f", "chars@example.com", ""},
		{"local", "bob@localhost", ""},
		{"literal", "bob@[127.0.0.1]", ""},
		{"idn", "bob@b\u00fccher.de", ""},
		{"noemail", "", ""},
	} {
		res := e.serve(Register, vtReg(c.username, c.email, "Pw-1", "Pw-1"))
		if res.Code != http.StatusCreated {
			t.Errorf("%d: register %q %q: %d %s", i, c.username, c.email, res.Code, res.Body)
			continue
		}
		if u := e.User(cmp.Or(c.stored, c.username)); u.Email != c.email {
			t.Errorf("stored email %q, want %q", u.Email, c.email)
		}
	}
	e.serve(Register, vtReg("noemail2", "", "Pw-1", "Pw-1")).Want(t, "second empty email", http.StatusBadRequest, vtBodyEmail)
	// JSON numbers are coerced to strings.
	res := e.serve(Register, sjt.JSON(`{"username":123,"email":"num@example.com","password":456,"password2":456}`))
	if res.Code != http.StatusCreated || !strings.Contains(res.Body, `"username":"123"`) {
		t.Errorf("numbers: %d %s", res.Code, res.Body)
	}
	e.login("123", "456")
}

// TestRegisterEmailMessagesAsDRF: DRF's EmailField runs CharField's
// validators (max_length, null characters) before Django's EmailValidator,
// and Django 3.2.25's EmailValidator refuses addresses longer than 320
// characters; the reference answers these bodies (recorded with the
// tutorial's RegistrationSerializer on Django 3.2.25 / DRF 3.14).
func TestRegisterEmailMessagesAsDRF(t *testing.T) {
	e := newViewEnv(t, vtOptions{})
	for _, c := range []struct{ name, email, body string }{
		{"too long and no @", strings.Repeat("x", 260),
			`{"email":["Ensure this field has no more than 254 characters.",` + vtMsgEmail + `]}`},
		{"longer than 320 characters", strings.Repeat("a", 309) + "@example.com",
			`{"email":["Ensure this field has no more than 254 characters.",` + vtMsgEmail + `]}`},
		{"null character", "a\x00@example.com",
			`{"email":["Null characters are not allowed.",` + vtMsgEmail + `]}`},
		{"null character, too long", "a\x00" + strings.Repeat("x", 260),
			`{"email":["Ensure this field has no more than 254 characters.","Null characters are not allowed.",` + vtMsgEmail + `]}`},
	} {
		e.serve(Register, vtReg("bob", c.email, "p", "p")).Want(t, c.name, http.StatusBadRequest, c.body)
	}
	e.serve(Register, sjt.JSON(`{"username":"bob","email":"\ud800@example.com","password":"p","password2":"p"}`)).
		Want(t, "surrogate", http.StatusBadRequest, `{"email":["Surrogate characters are not allowed: U+D800.",`+vtMsgEmail+`]}`)
}

// TestRegisterValidatePasswords: with ValidatePasswords, Django's
// validators' messages are the password field's errors, after its own
// checks; without, a weak password is accepted as in the tutorial.
func TestRegisterValidatePasswords(t *testing.T) {
	weak := `["This password is too short. It must contain at least 8 characters.","This password is too common.","This password is entirely numeric."]`
	e := newViewEnv(t, vtOptions{ValidatePasswords: true})
	for _, c := range []struct {
		name string
		req  *http.Request
		body string
	}{
		{"1234", vtReg("bob", "bob@example.com", "1234", "1234"), `{"password":` + weak + `}`},
		{"common", vtReg("bob", "bob@example.com", "password", "password"), `{"password":["This password is too common."]}`},
		{"with a username error", vtReg("bad name", "bob@example.com", "1234", "1234"), `{"username":[` + vtMsgUsername + `],"password":` + weak + `}`},
		{"with a password2 error", sjt.JSON(`{"username":"bob","email":"bob@example.com","password":"1234"}`), `{"password":` + weak + `,"password2":` + vtMsgRequired + `}`},
		{"too long: no validators", vtReg("bob", "bob@example.com", strings.Repeat("x", 129), "x"), `{"password":["Ensure this field has no more than 128 characters."]}`},
		{"similar to the username (jwtgate passes the user's attributes)", vtReg("annabelle", "a@example.com", "annabelle-77", "annabelle-77"), `{"password":["The password is too similar to the username."]}`},
		{"weak and mismatched", vtReg("bob", "bob@example.com", "1234", "5678"), `{"password":` + weak + `}`},
	} {
		e.serve(Register, c.req).Want(t, c.name, http.StatusBadRequest, c.body)
		if n := e.HashCount(); n != 0 {
			t.Errorf("%s: %d hash computations", c.name, n)
		}
	}
	if res := e.serve(Register, vtReg("bob", "bob@example.com", "Str0ng-pass!", "Str0ng-pass!")); res.Code != http.StatusCreated {
		t.Errorf("a strong password: %d %s", res.Code, res.Body)
	}

	off := newViewEnv(t, vtOptions{})
	if res := off.serve(Register, vtReg("bob", "bob@example.com", "1234", "1234")); res.Code != http.StatusCreated {
		t.Errorf("1234 without ValidatePasswords: %d %s", res.Code, res.Body)
	}
}

// TestRegisterConcurrent: of 16 concurrent registrations of one username,
// or of one email under different usernames, exactly one succeeds.
func TestRegisterConcurrent(t *testing.T) {
	const n = 16
	for _, c := range []struct {
		name     string
		req      func(i int) *http.Request
		conflict string
	}{
		{"one username", func(i int) *http.Request {
			return vtReg("racer", fmt.Sprintf("racer%d@example.com", i), "Pw-1", "Pw-1")
		}, vtBodyTaken},
		{"one email", func(i int) *http.Request {
			return vtReg(fmt.Sprintf("racer%d", i), "race@example.com", "Pw-1", "Pw-1")
		}, vtBodyEmail},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newViewEnv(t, vtOptions{})
			results := make([]sjt.Resp, n)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					results[i] = e.serveRaw(Register, c.req(i))
				}()
			}
			close(start)
			wg.Wait()
			created := 0
			for _, r := range results {
				switch {
				case r.Code == http.StatusCreated:
					created++
				case r.Code == http.StatusBadRequest && r.Body == c.conflict:
				default:
					t.Errorf("unexpected %d %s", r.Code, r.Body)
				}
			}
			if created != 1 {
				t.Errorf("%d registrations succeeded, want exactly 1", created)
			}
			if u := e.UserCount(); u != 3 {
				t.Errorf("%d users, want 3", u)
			}
			if calls := e.ViewCalls(); len(calls) != n {
				t.Errorf("%d Hooks.View calls for %d requests", len(calls), n)
			}
		})
	}
}

// TestRegisterLookalikes: usernames are NFKC-normalized before they are
// checked and stored (Django's normalize_username), so fullwidth and
// mathematical spellings of siva are siva; with the default
// case-insensitive check Siva and SIVA@example.com are taken too. NFKC
// does not fold Cyrillic look-alikes (SECURITY.md says so).
func TestRegisterLookalikes(t *testing.T) {
	reg := func(e *viewEnv, username, email string) sjt.Resp {
		return e.serve(Register, sjt.JSON(sjt.Obj("username", username, "email", email, "password", "Str0ng-pass!", "password2", "Str0ng-pass!")))
	}
	e := newViewEnv(t, vtOptions{})
	for _, name := range []string{"Siva", "ｓｉｖａ", "𝐬𝐢𝐯𝐚", "ＳＩＶＡ", " ｓｉｖａ "} {
		reg(e, name, "other@example.com").Want(t, "register "+name+" beside siva", http.StatusBadRequest, vtBodyTaken)
	}
	reg(e, "someone", "SIVA@Example.com").Want(t, "siva's email in other case", http.StatusBadRequest, vtBodyEmail)
	if r := reg(e, "ａｎｎａ", "anna@example.com"); r.Code != http.StatusCreated || !strings.Contains(r.Body, `"username":"anna"`) {
		t.Errorf("register ａｎｎａ: %d %s, want 201 as anna", r.Code, r.Body)
	}
	if u := e.User("anna"); u.Username != "anna" {
		t.Errorf("stored %q", u.Username)
	}
	if r := reg(e, "ѕіvа", "cyrillic@example.com"); r.Code != http.StatusCreated {
		t.Errorf("register Cyrillic ѕіvа: %d %s (NFKC does not fold other scripts)", r.Code, r.Body)
	}

	// Concurrent registrations of one name in 16 spellings: one wins.
	spellings := []string{"bob", "Bob", "bOb", "boB", "BOb", "BoB", "bOB", "BOB", "ｂｏｂ", "Ｂｏｂ", "ｂＯｂ", "𝐛𝐨𝐛", "𝐁𝐨𝐛", "ＢＯＢ", "𝐁𝐎𝐁", "ｂｏＢ"}
	codes := make([]int, len(spellings))
	var wg sync.WaitGroup
	for i, name := range spellings {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = e.serveRaw(Register, sjt.JSON(sjt.Obj("username", name, "email", fmt.Sprintf("bob%d@example.com", i), "password", "Str0ng-pass!", "password2", "Str0ng-pass!"))).Code
		}()
	}
	wg.Wait()
	e.ViewCalls()
	if n := strings.Count(fmt.Sprint(codes), "201"); n != 1 {
		t.Errorf("concurrent registrations of bob in 16 spellings: %v, want exactly one 201", codes)
	}

	// register_ignore_case false: case is compared exactly, as the
	// tutorial's serializer does; NFKC still applies.
	e = newViewEnv(t, vtOptions{CaseSensitive: true})
	reg(e, "ｓｉｖａ", "other@example.com").Want(t, "ｓｉｖａ, case-sensitive", http.StatusBadRequest, vtBodyTaken)
	if r := reg(e, "Siva", "SIVA@example.com"); r.Code != http.StatusCreated {
		t.Errorf("register Siva case-sensitively: %d %s", r.Code, r.Body)
	}
}

// TestUsersView: IsAuthenticated before the method check; GET lists the
// users by id.
func TestUsersView(t *testing.T) {
	e := newViewEnv(t, vtOptions{})
	_, access := e.login(sjt.Siva, sjt.SivaPassword)
	refresh, _ := e.login(sjt.Siva, sjt.SivaPassword)
	wrapped := func(msg string) string {
		return `{"detail":"Given token not valid for any token type","code":"token_not_valid","messages":[{"token_class":"AccessToken","token_type":"access","message":"` + msg + `"}]}`
	}
	_, inactiveAccess := e.Pair(e.User(sjt.Inactive).ID)
	_, ghostAccess := e.Pair(int64(4242))
	for _, c := range []struct {
		name, method, auth, body string
	}{
		{"no header", http.MethodGet, "", sjt.BodyNotProvided},
		{"no header, OPTIONS", http.MethodOptions, "", sjt.BodyNotProvided},
		{"no header, POST", http.MethodPost, "", sjt.BodyNotProvided},
		{"another scheme", http.MethodGet, "Token " + access, sjt.BodyNotProvided},
		{"lower-case bearer", http.MethodGet, "bearer " + access, sjt.BodyNotProvided},
		{"Bearer alone", http.MethodGet, "Bearer", `{"detail":"Authorization header must contain two space-delimited values","code":"bad_authorization_header"}`},
		{"Bearer garbage", http.MethodGet, "Bearer garbage", wrapped("Token is invalid or expired")},
		{"refresh token", http.MethodGet, "Bearer " + refresh, wrapped("Token has wrong type")},
		{"inactive user", http.MethodGet, "Bearer " + inactiveAccess.Token, `{"detail":"User is inactive","code":"user_inactive"}`},
		{"unknown user", http.MethodGet, "Bearer " + ghostAccess.Token, `{"detail":"User not found","code":"user_not_found"}`},
	} {
		r := sjt.Req(c.method)
		if c.auth != "" {
			r.Header.Set("Authorization", c.auth)
		}
		e.serve(Users, r).Want(t, c.name, http.StatusUnauthorized, c.body)
	}

	anna := e.serve(Register, sjt.JSON(`{"username":"anna","email":"anna@example.com","password":"Str0ng-pass!","password2":"Str0ng-pass!"}`))
	if anna.Code != http.StatusCreated {
		t.Fatalf("register: %d %s", anna.Code, anna.Body)
	}
	e.serve(Users, sjt.Bearer(sjt.Req(http.MethodGet), access)).Want(t, "GET", http.StatusOK,
		`[{"id":1,"username":"siva","email":"siva@example.com"},{"id":2,"username":"inactive_user","email":"inactive@example.com"},{"id":3,"username":"anna","email":"anna@example.com"}]`)
	e.serve(Users, sjt.Bearer(sjt.Req(http.MethodPost), access)).Want(t, "POST", http.StatusMethodNotAllowed, `{"detail":"Method \"POST\" not allowed."}`)
	e.serve(Users, sjt.Bearer(sjt.Req(http.MethodDelete), access)).Want(t, "DELETE", http.StatusMethodNotAllowed, `{"detail":"Method \"DELETE\" not allowed."}`)
	e.serve(Users, sjt.Bearer(sjt.Req(http.MethodOptions), access)).Want(t, "OPTIONS", http.StatusOK, `{"name":"User List View","description":"","renders":["application/json","text/html"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"]}`)
	if n := e.HashCount(); n != 1 {
		t.Errorf("%d hash computations (only register's)", n)
	}
}

// pagingStore counts the pages the users view reads and fails the page
// numbered failAt (1-based; 0: never).
type pagingStore struct {
	store.Store
	limits []int
	failAt int
}

func (p *pagingStore) UsersAfter(ctx context.Context, after int64, limit int) ([]store.UserSummary, error) {
	p.limits = append(p.limits, limit)
	if len(p.limits) == p.failAt {
		return nil, errors.New("connection lost")
	}
	return p.Store.UsersAfter(ctx, after, limit)
}

// TestUsersViewPages: the users view reads the table a page at a time
// (never the whole table, never a password hash: UsersAfter's rows have
// none) and streams the same bytes DRF renders; a fault on the first page
// is a 503, on a later page the response is aborted, never a well-formed
// partial list.
func TestUsersViewPages(t *testing.T) {
	e := newViewEnv(t, vtOptions{})
	_, access := e.login(sjt.Siva, sjt.SivaPassword)
	defer func(n int) { usersPageSize = n }(usersPageSize)
	usersPageSize = 2
	ps := &pagingStore{Store: e.Store}
	svc, err := simplejwt.NewService(simplejwt.Config{Codec: e.Codec, Store: ps, Passwords: e.PW, Users: e.Users, Auth: e.auth, Now: e.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	users := New(Config{Service: svc, Store: ps, Passwords: e.PW, Now: e.Clock.Now})[1]
	get := func(accept string) (*httptest.ResponseRecorder, bool) {
		w := httptest.NewRecorder()
		r := sjt.Bearer(sjt.Req(http.MethodGet), access)
		if accept != "" {
			r.Header.Set("Accept", accept)
		}
		aborted := false
		func() {
			defer func() {
				if v := recover(); v != nil {
					if v != http.ErrAbortHandler {
						panic(v)
					}
					aborted = true
				}
			}()
			svc.ServeExtension(users, w, r)
		}()
		return w, aborted
	}
	want := func() string {
		all, err := e.Store.ListUsers(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		type row struct {
			ID       int64  `json:"id"`
			Username string `json:"username"`
			Email    string `json:"email"`
		}
		rows := []row{}
		for _, u := range all {
			rows = append(rows, row{u.ID, u.Username, u.Email})
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.Encode(rows)
		return strings.TrimSuffix(b.String(), "\n")
	}

	for _, c := range []struct {
		add   []string
		reads int
	}{
		{nil, 2},                      // siva, inactive_user: a full page, then an empty one
		{[]string{"anna", "josé"}, 3}, // a multiple of the page size
		{[]string{"ｂｏｂ\u2028"}, 3},    // the last page short
	} {
		for _, name := range c.add {
			e.AddUserHash(name, "!", name+"@example.com", true)
		}
		ps.limits = nil
		w, aborted := get("")
		if aborted || w.Code != http.StatusOK || w.Body.String() != want() {
			t.Errorf("users/ in %d reads: %d aborted=%v\n%s\nwant\n%s", c.reads, w.Code, aborted, w.Body, want())
		}
		if len(ps.limits) != c.reads || slices.ContainsFunc(ps.limits, func(n int) bool { return n != 2 }) {
			t.Errorf("page reads %v, want %d reads of 2", ps.limits, c.reads)
		}
	}
	// A single page is sent whole, with its length, as before.
	usersPageSize = 100
	if w, _ := get(""); w.Header().Get("Content-Length") != fmt.Sprint(w.Body.Len()) || w.Body.String() != want() {
		t.Errorf("one page: Content-Length %q, body %s", w.Header().Get("Content-Length"), w.Body)
	}
	usersPageSize = 2
	// DRF's indented rendering of the streamed list.
	if w, _ := get("application/json; indent=2"); w.Code != http.StatusOK || !json.Valid(w.Body.Bytes()) || !strings.Contains(w.Body.String(), "\n  {\n    \"id\": 1,\n") {
		t.Errorf("indented: %d\n%s", w.Code, w.Body)
	}

	ps.failAt, ps.limits = 1, nil
	if w, aborted := get(""); aborted || w.Code != http.StatusServiceUnavailable {
		t.Errorf("a fault on the first page: %d aborted=%v %s", w.Code, aborted, w.Body)
	}
	ps.failAt, ps.limits = 2, nil
	if w, aborted := get(""); !aborted || json.Valid(w.Body.Bytes()) {
		t.Errorf("a fault on the second page: aborted=%v, body %s", aborted, w.Body)
	}
}
