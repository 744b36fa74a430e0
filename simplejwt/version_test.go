package simplejwt

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	sjt "github.com/jwtgate/jwtgate/simplejwt/simplejwttest"
)

// The 5.5 profile's golden cases. There is no Debian package of simplejwt
// 5.5.1 to run as a live reference (the 5.2 profile runs against one in
// e2e/conformance), so each case records what simplejwt answers, with the
// line of its source (tag v5.5.1, rest_framework_simplejwt/) it comes from,
// beside what 5.2.2 answers (tag v5.2.2).
func TestVersionGolden(t *testing.T) {
	type want struct{ v52, v55 string }
	cases := []struct {
		name   string
		source string // where simplejwt decides it
		run    func(t *testing.T, e *viewEnv) string
		want   want
	}{
		{
			name:   "user_id claim of a login",
			source: "5.5.1 tokens.py:227-231 user_id = str(user_id); 5.2.2 tokens.py:183-188 (str only for non-int ids)",
			run: func(t *testing.T, e *viewEnv) string {
				_, access := e.login(sjt.Siva, sjt.SivaPassword)
				return rawClaim(t, access, "user_id")
			},
			want: want{`1`, `"1"`},
		},
		{
			name:   "user_id claim of a refresh-minted access token",
			source: "5.5.1 tokens.py:400-411 access_token copies user_id as the refresh token has it",
			run: func(t *testing.T, e *viewEnv) string {
				refresh, _ := e.login(sjt.Siva, sjt.SivaPassword)
				res := e.serve(Refresh, sjt.JSON(sjt.Obj("refresh", refresh)))
				return rawClaim(t, sjt.Strings(t, res.Body)["access"], "user_id")
			},
			want: want{`1`, `"1"`},
		},
		{
			name:   "verify of an expired token",
			source: "5.5.1 backends.py:174-175 ExpiredSignatureError → \"Token is expired\"; tokens.py:66-67; 5.2.2 tokens.py:44",
			run: func(t *testing.T, e *viewEnv) string {
				_, access := e.login(sjt.Siva, sjt.SivaPassword)
				e.Clock.Advance(6 * time.Minute)
				return e.serve(Verify, sjt.JSON(sjt.Obj("token", access))).Body
			},
			want: want{`{"detail":"Token is invalid or expired","code":"token_not_valid"}`,
				`{"detail":"Token is expired","code":"token_not_valid"}`},
		},
		{
			name:   "verify of a token with a bad signature",
			source: "5.5.1 backends.py:176-177 InvalidTokenError → \"Token is invalid\"; tokens.py:68-69",
			run: func(t *testing.T, e *viewEnv) string {
				return e.serve(Verify, sjt.JSON(sjt.Obj("token", sjt.Sign("another-key-another-key-another-key!!", `{"token_type":"access","exp":9999999999,"jti":"x","user_id":1}`)))).Body
			},
			want: want{`{"detail":"Token is invalid or expired","code":"token_not_valid"}`,
				`{"detail":"Token is invalid","code":"token_not_valid"}`},
		},
		{
			name:   "Bearer check of an expired access token",
			source: "5.5.1 authentication.py:100-118 messages[].message = e.args[0] (\"Token is expired\")",
			run: func(t *testing.T, e *viewEnv) string {
				_, access := e.login(sjt.Siva, sjt.SivaPassword)
				res := e.auth.Check(sjt.Bearer(sjt.Req(http.MethodGet), access), Optional, e.Clock.Now().Add(6*time.Minute))
				return string(res.Err().Body)
			},
			want: want{
				`{"detail":"Given token not valid for any token type","code":"token_not_valid","messages":[{"token_class":"AccessToken","token_type":"access","message":"Token is invalid or expired"}]}`,
				`{"detail":"Given token not valid for any token type","code":"token_not_valid","messages":[{"token_class":"AccessToken","token_type":"access","message":"Token is expired"}]}`},
		},
		{
			name: "refresh of an inactive user",
			source: "5.5.1 serializers.py:114-124 USER_AUTHENTICATION_RULE → no_active_account (5.4.0); " +
				"5.2.2 serializers.py:102-105 does not look (jwtgate refuses in both profiles)",
			run: func(t *testing.T, e *viewEnv) string {
				refresh, _ := e.Pair(e.User(sjt.Inactive).ID)
				return e.serve(Refresh, sjt.JSON(sjt.Obj("refresh", refresh.Token))).Body
			},
			want: want{sjt.BodyNoActiveForToken, sjt.BodyNoActiveForToken},
		},
		{
			name:   "rotated refresh token in token_blacklist_outstandingtoken",
			source: "5.5.1 serializers.py:138-141 refresh.outstand(); tokens.py:309-330 get_or_create with user and created_at",
			run: func(t *testing.T, e *viewEnv) string {
				refresh, _ := e.login(sjt.Siva, sjt.SivaPassword)
				res := e.serve(Refresh, sjt.JSON(sjt.Obj("refresh", refresh)))
				row, ok := e.Outstanding(sjt.JTI(t, sjt.Strings(t, res.Body)["refresh"]))
				return rowSummary(row, ok)
			},
			want: want{"absent", "user_id=1 created_at=set"},
		},
		{
			name:   "blacklist of a token never recorded",
			source: "5.5.1 tokens.py:289-305 blacklist() looks the user up, defaults user and created_at (5.4.0); 5.2.2 defaults token and expires_at only",
			run: func(t *testing.T, e *viewEnv) string {
				refresh, _ := e.Pair(int64(1))
				e.serve(Blacklist, sjt.JSON(sjt.Obj("refresh", refresh.Token)))
				row, ok := e.Outstanding(refresh.JTI)
				return rowSummary(row, ok)
			},
			want: want{"user_id=NULL created_at=NULL", "user_id=1 created_at=set"},
		},
	}
	for _, v := range []Version{V52, V55} {
		for _, c := range cases {
			t.Run(v.String()+"/"+c.name, func(t *testing.T) {
				e := newViewEnv(t, vtOptions{Settings: Settings{Version: v, RotateRefreshTokens: true}})
				got := c.run(t, e)
				want := c.want.v52
				if v == V55 {
					want = c.want.v55
				}
				if got != want {
					t.Errorf("%s\n got %s\nwant %s\n(source: %s)", c.name, got, want, c.source)
				}
			})
		}
	}
}

// TestCheckUserIsActiveOff: CHECK_USER_IS_ACTIVE = False (5.5.1
// authentication.py:138, models.py default_user_authentication_rule) lets
// an inactive user authenticate and refresh.
func TestCheckUserIsActiveOff(t *testing.T) {
	e := newViewEnv(t, vtOptions{Settings: Settings{Version: V55, AllowInactive: true}})
	refresh, access := e.Pair(e.User(sjt.Inactive).ID)
	res := e.auth.Check(sjt.Bearer(sjt.Req(http.MethodGet), access.Token), Optional, e.Clock.Now())
	if res.Outcome != Authenticated {
		t.Errorf("Bearer check of an inactive user: %v, want authenticated", res.Outcome)
	}
	if r := e.serve(Refresh, sjt.JSON(sjt.Obj("refresh", refresh.Token))); r.Code != http.StatusOK {
		t.Errorf("refresh of an inactive user: %d %s, want 200", r.Code, r.Body)
	}
	if r := e.serve(ObtainPair, sjt.JSON(sjt.Obj("username", sjt.Inactive, "password", sjt.InactivePass))); r.Code != http.StatusUnauthorized {
		t.Errorf("login of an inactive user: %d %s, want 401 (ModelBackend refuses)", r.Code, r.Body)
	}
}

func TestParseVersion(t *testing.T) {
	for in, want := range map[string]Version{"": V52, "5.2": V52, "5.5": V55} {
		if v, err := ParseVersion(in); err != nil || v != want {
			t.Errorf("ParseVersion(%q) = %v, %v", in, v, err)
		}
	}
	for _, in := range []string{"5.3", "5.5.1", "v5.5", " 5.5"} {
		if _, err := ParseVersion(in); err == nil || !strings.Contains(err.Error(), "5.2 or 5.5") {
			t.Errorf("ParseVersion(%q) error %v, want one naming 5.2 or 5.5", in, err)
		}
	}
}

// rawClaim returns a claim of tok as raw JSON.
func rawClaim(t *testing.T, tok, name string) string {
	t.Helper()
	claims, _ := sjt.Payload(t, tok)
	b, err := json.Marshal(claims[name])
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func rowSummary(row sjt.Outstanding, ok bool) string {
	if !ok {
		return "absent"
	}
	s := "user_id=NULL"
	if row.UserID.Valid {
		s = "user_id=" + jsonInt(row.UserID.Int64)
	}
	if row.CreatedAt.Valid {
		return s + " created_at=set"
	}
	return s + " created_at=NULL"
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }
