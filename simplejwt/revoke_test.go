package simplejwt

import (
	"crypto/md5"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtgate/jwtgate/password"
	sjt "github.com/jwtgate/jwtgate/simplejwt/simplejwttest"
	"github.com/jwtgate/jwtgate/store"
	"github.com/jwtgate/jwtgate/token"
	"github.com/jwtgate/jwtgate/userindex"
)

// djangoHash is simplejwt 5.3+'s utils.get_md5_hash_password, written
// independently of the code under test: hashlib.md5(password.encode()).hexdigest().upper().
func djangoHash(encoded string) string { return fmt.Sprintf("%X", md5.Sum([]byte(encoded))) }

const bodyPasswordChanged = `{"detail":"The user's password has been changed.","code":"password_changed"}`

// TestCheckRevokeTokenBearer is JWTAuthentication.get_user of simplejwt
// 5.5.1 (authentication.py:141-147) with CHECK_REVOKE_TOKEN: the claim must
// equal the current hash as a string, checked after the user's existence
// and activity and before jwtgate's own revocations, from memory and
// without allocating.
func TestCheckRevokeTokenBearer(t *testing.T) {
	const encoded = "pbkdf2_sha256$1000000$salt$c2l2YQ=="
	hash := djangoHash(encoded)
	tc := token.DefaultConfig()
	tc.SigningKey = []byte(authnKey)
	tc.RevokeClaim = "hash_password"
	codec, err := token.New(tc)
	if err != nil {
		t.Fatal(err)
	}
	users := userindex.New(false)
	users.Reset([]store.UserState{
		{ID: 1, Username: "siva", IsActive: true, Password: store.PasswordFingerprint(encoded)},
		{ID: 2, Username: "inactive_user", Password: store.PasswordFingerprint(encoded)},
		{ID: 3, Username: "revoked", IsActive: true, NotBefore: authnNow.Unix() + 1, Password: store.PasswordFingerprint(encoded)},
	})
	a, err := NewAuthenticator(codec, users, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	with := func(uid int64, claim any) string {
		c := claimsFor(uid)
		if claim != nil {
			c["hash_password"] = claim
		}
		return crafted(t, c)
	}
	// "\u0030…" (the first digit escaped) is the same string to Python's
	// json.loads.
	escaped := sjt.Sign(authnKey, fmt.Sprintf(`{"token_type":"access","exp":%d,"iat":%d,"jti":"x","user_id":1,"hash_password":"\u00%x%s"}`,
		authnNow.Unix()+300, authnNow.Unix(), hash[0], hash[1:]))
	for _, c := range []struct {
		name, tok string
		want      Outcome
	}{
		{"the current hash", with(1, hash), Authenticated},
		{"the current hash, escaped", escaped, Authenticated},
		{"another hash", with(1, djangoHash("pbkdf2_sha256$1000000$salt$b2xk")), PasswordChanged},
		{"no claim (issued before the setting)", with(1, nil), PasswordChanged},
		{"the hash in lower case", with(1, fmt.Sprintf("%x", md5.Sum([]byte(encoded)))), PasswordChanged},
		{"the hash with its last digits in lower case", with(1, hash[:16]+strings.ToLower(hash[16:])), PasswordChanged},
		{"the hash with a last digit that is not hex", with(1, hash[:31]+"G"), PasswordChanged},
		{"the hash and one more digit", with(1, hash+"0"), PasswordChanged},
		{"a number", with(1, 12345), PasswordChanged},
		{"null", with(1, jwt.MapClaims(nil)), PasswordChanged},
		{"an inactive user with another hash (inactive first)", with(2, "X"), UserInactive},
		{"a revoked user's token with another hash (password_changed first)", with(3, "X"), PasswordChanged},
		{"a revoked user's token with the current hash", with(3, hash), TokenInvalid},
	} {
		res := a.Check(request("GET", "Authorization: Bearer "+c.tok), Required, authnNow)
		if res.Outcome != c.want {
			t.Errorf("%s: %v, want %v", c.name, res.Outcome, c.want)
		}
		if c.want == PasswordChanged {
			if e := res.Err(); e == nil || e.Status != http.StatusUnauthorized || string(e.Body) != bodyPasswordChanged ||
				e.Header.Get("WWW-Authenticate") != `Bearer realm="api"` || res.Reason != "password_changed" {
				t.Errorf("%s: refusal %+v, reason %q", c.name, e, res.Reason)
			}
		}
	}

	if raceEnabled {
		return
	}
	for name, tok := range map[string]string{"valid": with(1, hash), "password changed": with(1, "X")} {
		r := request("GET", "Authorization: Bearer "+tok)
		authz := r.Header["Authorization"]
		if n := testing.AllocsPerRun(200, func() {
			r.Header["Authorization"] = authz
			sink = a.Check(r, Required, authnNow)
		}); n != 0 {
			t.Errorf("%s: %v allocations per check", name, n)
		}
	}
}

// TestCheckRevokeTokenViews: tokens of a login carry the claim exactly as
// simplejwt computes it (tokens.py:233-236); a password changed by SQL
// reaches the Bearer check through the change feed, which then refuses
// the older token; verify does not look (serializers.py
// TokenVerifySerializer); a login after the change carries the new hash.
func TestCheckRevokeTokenViews(t *testing.T) {
	e := newViewEnv(t, vtOptions{Watch: true, RevokeClaim: "hash_password"})
	siva := e.User(sjt.Siva)
	refresh, access := e.login(sjt.Siva, sjt.SivaPassword)
	for _, tok := range []string{refresh, access} {
		if got := rawClaim(t, tok, "hash_password"); got != `"`+djangoHash(siva.Password)+`"` {
			t.Errorf("hash_password = %s, want the MD5 of %.20s… in upper-case hex", got, siva.Password)
		}
	}
	if _, order := sjt.Payload(t, access); fmt.Sprint(order) != "[token_type exp iat jti user_id hash_password]" {
		t.Errorf("claim order %v", order)
	}
	if res := e.auth.Check(sjt.Bearer(sjt.Req(http.MethodGet), access), Required, e.Clock.Now()); res.Outcome != Authenticated {
		t.Fatalf("Bearer check of a fresh token: %v", res.Outcome)
	}

	enc, err := password.PBKDF2SHA256{Iterations: 1000}.Encode("a-new-password-9f3")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Raw().Exec(`UPDATE "auth_user" SET "password" = ? WHERE "id" = ?`, enc, siva.ID); err != nil {
		t.Fatal(err)
	}
	e.WaitIndex(siva.ID, "with the new password", func(st store.UserState, _ bool) bool {
		return st.Password == store.PasswordFingerprint(enc)
	})
	res := e.auth.Check(sjt.Bearer(sjt.Req(http.MethodGet), access), Required, e.Clock.Now())
	if res.Outcome != PasswordChanged || string(res.Err().Body) != bodyPasswordChanged {
		t.Errorf("Bearer check after the password change: %v", res.Outcome)
	}
	e.serve(Verify, sjt.JSON(sjt.Obj("token", access))).Want(t, "verify of the older token", http.StatusOK, `{}`)

	_, access = e.login(sjt.Siva, "a-new-password-9f3")
	if got := rawClaim(t, access, "hash_password"); got != `"`+djangoHash(enc)+`"` {
		t.Errorf("hash_password after the change = %s", got)
	}
}

// TestCheckRevokeTokenStaleIndex: a login that reads a password the index
// has not caught up with brings the index up to date, so that its tokens
// work at once; a re-hash at login puts the new hash in the tokens.
func TestCheckRevokeTokenStaleIndex(t *testing.T) {
	e := newViewEnv(t, vtOptions{RevokeClaim: "hash_password"}) // no feed
	siva := e.User(sjt.Siva)
	enc, err := password.PBKDF2SHA256{Iterations: 1000}.Encode("changed-elsewhere-51")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Store.SetPassword(t.Context(), siva.ID, enc); err != nil {
		t.Fatal(err)
	}
	_, access := e.login(sjt.Siva, "changed-elsewhere-51")
	if st, _ := e.Users.Lookup(siva.ID); st.Password != store.PasswordFingerprint(enc) {
		t.Error("the login left the index with the old password's fingerprint")
	}
	if got := rawClaim(t, access, "hash_password"); got != `"`+djangoHash(enc)+`"` {
		t.Errorf("hash_password = %s", got)
	}

	// rehash_passwords: siva's 1000-iteration hash is re-hashed at login
	// (the Service's Set prefers 1000 too, so use another count).
	r := newViewEnv(t, vtOptions{RevokeClaim: "hash_password", Settings: Settings{RehashPasswords: true}})
	old := r.User(sjt.Siva)
	h, err := password.PBKDF2SHA256{Iterations: 500}.Encode(sjt.SivaPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Store.SetPassword(t.Context(), old.ID, h); err != nil {
		t.Fatal(err)
	}
	r.Sync()
	_, access = r.login(sjt.Siva, sjt.SivaPassword)
	now := r.User(sjt.Siva).Password
	if now == h {
		t.Fatal("the login did not re-hash the password")
	}
	if got := rawClaim(t, access, "hash_password"); got != `"`+djangoHash(now)+`"` {
		t.Errorf("hash_password after a re-hash = %s, want the new hash's", got)
	}
}
