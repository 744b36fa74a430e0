package simplejwt

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/password"
	sjt "github.com/jwtgate/jwtgate/simplejwt/simplejwttest"
	"github.com/jwtgate/jwtgate/store"
	"github.com/jwtgate/jwtgate/store/sqlite"
	"github.com/jwtgate/jwtgate/token"
	"github.com/jwtgate/jwtgate/userindex"
)

// fzViews is two Services on one real SQLite store: simplejwt's defaults,
// and rotation with blacklisting, so that every view and every branch of
// refresh and verify can be reached.
type fzViews struct {
	plain, rotating *Service
	codec           *token.Codec
	refresh, access string // siva's pair
	inactiveRefresh string
}

// fzMaxBody is the body limit of the fuzzed services: small, so that the
// fuzzer reaches the 413 too.
const fzMaxBody = 4096

func newFzViews(tb testing.TB) *fzViews {
	tb.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, sqlite.Options{Path: filepath.Join(tb.TempDir(), "db.sqlite3")})
	if err != nil {
		tb.Fatalf("sqlite.Open: %v", err)
	}
	tb.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	pw := password.NewSet(password.PBKDF2SHA256{Iterations: 1000})
	for _, u := range []struct {
		name, pw string
		active   bool
	}{{sjt.Siva, sjt.SivaPassword, true}, {sjt.Inactive, sjt.InactivePass, false}} {
		enc, err := pw.Encode(u.pw)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := st.CreateUser(ctx, store.User{Username: u.name, Password: enc, Email: u.name + "@example.com",
			IsActive: u.active, DateJoined: sjt.Start}, store.CreateUserOptions{}); err != nil {
			tb.Fatalf("CreateUser: %v", err)
		}
	}
	all, err := st.ListUsers(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	states := make([]store.UserState, len(all))
	for i, u := range all {
		states[i] = u.State()
	}
	users := userindex.New(false)
	users.Reset(states)

	codec, err := token.New(sjt.CodecConfig())
	if err != nil {
		tb.Fatal(err)
	}
	auth, err := NewAuthenticator(codec, users, Settings{})
	if err != nil {
		tb.Fatal(err)
	}
	fz := &fzViews{codec: codec}
	for _, c := range []struct {
		svc *(*Service)
		set Settings
	}{
		{&fz.plain, Settings{MaxBodyBytes: fzMaxBody}},
		{&fz.rotating, Settings{MaxBodyBytes: fzMaxBody, RotateRefreshTokens: true, BlacklistAfterRotation: true, UpdateLastLogin: true}},
	} {
		*c.svc, err = NewService(Config{Codec: codec, Store: st, Passwords: pw, Users: users, Auth: auth, Settings: c.set,
			Now: func() time.Time { return sjt.Start }})
		if err != nil {
			tb.Fatal(err)
		}
	}
	refresh, access, err := codec.NewPair(int64(1), sjt.Start)
	if err != nil {
		tb.Fatal(err)
	}
	fz.refresh, fz.access = refresh.Token, access.Token
	inactive, _, err := codec.NewPair(int64(2), sjt.Start)
	if err != nil {
		tb.Fatal(err)
	}
	fz.inactiveRefresh = inactive.Token
	return fz
}

var fzMethods = []string{"POST", "POST", "POST", "GET", "OPTIONS", "PUT", "DELETE", "HEAD", "PATCH", "FROB"}

var fzContentTypes = []string{"application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=B",
	"text/plain", "", "multipart/form-data", "application/json; charset=latin-1", "*/*"}

// FuzzServeView sends arbitrary requests to every view (and an unknown
// one): any method, Content-Type, Accept, Authorization and body, with a
// declared length or chunked, to a service with simplejwt's defaults or
// with rotation and blacklisting. Every answer is a 2xx, a 4xx or a 503,
// with Content-Type application/json and a JSON body of its declared
// length; never a 500, never anything else.
//
//	go test -run '^$' -fuzz FuzzServeView -fuzztime 30s ./simplejwt
func FuzzServeView(f *testing.F) {
	fz := newFzViews(f)
	mp := func(kv ...string) string {
		var b strings.Builder
		for i := 0; i+1 < len(kv); i += 2 {
			b.WriteString("--B\r\nContent-Disposition: form-data; name=\"" + kv[i] + "\"\r\n\r\n" + kv[i+1] + "\r\n")
		}
		return b.String() + "--B--\r\n"
	}
	form := func(kv ...string) string {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v.Encode()
	}
	type seed struct {
		view View
		ct   uint8 // index into fzContentTypes
		body string
	}
	seeds := []seed{
		{ObtainPair, 0, `{"username":"siva","password":"siva"}`},
		{ObtainPair, 1, form("username", "siva", "password", "siva")},
		{ObtainPair, 2, mp("username", "siva", "password", "siva")},
		{ObtainPair, 0, `{"username":"inactive_user","password":"inactive-pass-123"}`},
		{ObtainPair, 0, `{"username":1e999,"password":null}`},
		{Refresh, 0, `{"refresh":"` + fz.refresh + `"}`},
		{Refresh, 1, form("refresh", fz.access)},
		{Refresh, 2, mp("refresh", fz.inactiveRefresh)},
		{Verify, 0, `{"token":"` + fz.access + `"}`},
		{Verify, 1, form("token", fz.refresh+"x")},
		{Blacklist, 0, `{"refresh":"` + fz.refresh + `"}`},
		{Blacklist, 0, `{"refresh":"` + fz.access + `"}`},
		{Sessions, 4, ""},
		{ObtainPair, 0, `{"username":"siva",`},
		{Refresh, 5, "abc"},
		{Verify, 3, "token=x"},
		{ObtainPair, 0, strings.Repeat("[", 3000)},
		{Blacklist, 0, `{"refresh":"a\u0000"}`},
		{viewCount, 0, `{}`},
	}
	for i, s := range seeds {
		f.Add(uint8(s.view), uint8(i%3), s.ct, "", "", []byte(s.body))
		f.Add(uint8(s.view), uint8(0x40|i%3), s.ct, "application/json", "Bearer "+fz.access, []byte(s.body))
		f.Add(uint8(s.view), uint8(0x80|i%3), s.ct, "text/html", "", []byte(s.body))
	}
	f.Add(uint8(Sessions), uint8(3), uint8(4), "", "Bearer "+fz.access, []byte(nil))
	f.Add(uint8(Sessions), uint8(3), uint8(4), "application/xml", "Bearer garbage", []byte(nil))
	f.Add(uint8(ObtainPair), uint8(0), uint8(0), "", "", bytes.Repeat([]byte("a"), fzMaxBody+1))

	f.Fuzz(func(t *testing.T, view, sel, ctSel uint8, accept, auth string, body []byte) {
		svc := fz.plain
		if sel&0x40 != 0 {
			svc = fz.rotating
		}
		method := fzMethods[int(sel&0x3f)%len(fzMethods)]
		r := &http.Request{Method: method, URL: &url.URL{Path: "/"}, Header: http.Header{}, RemoteAddr: "192.0.2.1:1234",
			Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body))}
		if sel&0x80 != 0 {
			r.ContentLength = -1 // chunked
		}
		if ct := fzContentTypes[int(ctSel)%len(fzContentTypes)]; ct != "" {
			r.Header["Content-Type"] = []string{ct}
		}
		if accept != "" {
			r.Header["Accept"] = []string{accept}
		}
		if auth != "" {
			r.Header["Authorization"] = []string{auth}
		}
		w := httptest.NewRecorder()
		svc.ServeView(View(view%uint8(viewCount+1)), w, r)

		code, b := w.Code, w.Body.Bytes()
		if !(code >= 200 && code <= 299 || code >= 400 && code <= 499 || code == http.StatusServiceUnavailable) {
			t.Fatalf("%s view %d: status %d %q", method, view, code, b)
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/json" {
			t.Fatalf("%s view %d: status %d, Content-Type %q, body %q", method, view, code, ct, b)
		}
		if !fzJSON(b) {
			t.Fatalf("%s view %d: status %d, body is not JSON: %q", method, view, code, b)
		}
		if cl := w.Header().Get("Content-Length"); cl != "" && cl != strconv.Itoa(len(b)) {
			t.Fatalf("Content-Length %s for %d bytes", cl, len(b))
		}
		if len(body) > fzMaxBody && method == "POST" && code == 200 {
			t.Fatalf("a %d-byte body was accepted with a limit of %d", len(body), fzMaxBody)
		}
	})
}
