package simplejwt

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	sjt "github.com/jwtgate/jwtgate/simplejwt/simplejwttest"
	"github.com/jwtgate/jwtgate/store"
)

func (e *viewEnv) reuseLogs() int {
	return e.Logs.FilterMessage("refresh token reuse detected; session ended").Len()
}

// TestReuseDetection: a rotated refresh token presented again within the
// reuse interval is refused and ends nothing; after it, 32 concurrent
// uses end the whole session (the thief's rotated token and every access
// token) exactly once.
func TestReuseDetection(t *testing.T) {
	e := newViewEnv(t, vtOptions{Settings: Settings{RotateRefreshTokens: true, BlacklistAfterRotation: true}})
	r0, a0 := e.login(sjt.Siva, sjt.SivaPassword)
	_, other := e.login(sjt.Siva, sjt.SivaPassword) // another session of the user
	e.Clock.Advance(time.Minute)
	m := sjt.Strings(t, e.serve(Refresh, sjt.JSON(sjt.Obj("refresh", r0))).Body)
	r1, a1 := m["refresh"], m["access"]
	if r1 == "" || sjt.JTI(t, r1)[:16] != sjt.JTI(t, r0)[:16] {
		t.Fatalf("rotation left the session: %q %q", sjt.JTI(t, r0), sjt.JTI(t, r1))
	}
	// Within the interval: refused, nothing ended.
	e.Clock.Advance(5 * time.Second)
	e.serve(Refresh, sjt.JSON(sjt.Obj("refresh", r0))).Want(t, "reuse within the interval", http.StatusUnauthorized, sjt.BodyBlacklisted)
	for _, tok := range []string{a0, a1} {
		if res := e.serve(Sessions, sjt.Bearer(sjt.Req(http.MethodGet), tok)); res.Code != http.StatusOK {
			t.Fatalf("access token after a reuse within the interval: %d %s", res.Code, res.Body)
		}
	}
	if n := e.reuseLogs(); n != 0 {
		t.Fatalf("%d reuse reports within the interval", n)
	}
	// After it: 32 concurrent reuses end the session once.
	e.Clock.Advance(10 * time.Second)
	var wg sync.WaitGroup
	codes := make([]int, 32)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = e.serveRaw(Refresh, sjt.JSON(sjt.Obj("refresh", r0))).Code
		}()
	}
	wg.Wait()
	if n := len(e.ViewCalls()); n != 32 {
		t.Errorf("%d Hooks.View calls for 32 requests", n)
	}
	for i, c := range codes {
		if c != http.StatusUnauthorized {
			t.Errorf("reuse %d: %d", i, c)
		}
	}
	if reports := e.Logs.FilterMessage("refresh token reuse detected; session ended").All(); len(reports) != 1 {
		t.Errorf("%d reuse reports, want exactly 1", len(reports))
	} else if f := reports[0].ContextMap(); f["user_id"] != int64(1) || f["session"] != sjt.JTI(t, r0)[:16] || f["client_ip"] != "192.0.2.1" {
		t.Errorf("reuse report fields %v", f)
	}
	if strings.Contains(strings.Join(sjt.LogText(e.Logs), "\n"), r0) {
		t.Error("the log contains the token")
	}
	for name, tok := range map[string]string{"login's access": a0, "rotated access": a1} {
		e.serve(Sessions, sjt.Bearer(sjt.Req(http.MethodGet), tok)).Want(t, name+" after reuse", http.StatusUnauthorized, sjt.BodyAccessBlacklisted)
	}
	e.serve(Refresh, sjt.JSON(sjt.Obj("refresh", r1))).Want(t, "the thief's rotated token", http.StatusUnauthorized, sjt.BodyBlacklisted)
	if res := e.serve(Sessions, sjt.Bearer(sjt.Req(http.MethodGet), other)); res.Code != http.StatusOK {
		t.Errorf("another session of the user after reuse: %d %s", res.Code, res.Body)
	}
}

// TestLogoutAllAndSessions: the sessions view lists live sessions with
// the caller's marked, DELETE ends one (204, then 404), logout_all ends
// every token issued before it and a new login works.
func TestLogoutAllAndSessions(t *testing.T) {
	e := newViewEnv(t, vtOptions{})
	r1, a1 := e.login(sjt.Siva, sjt.SivaPassword)
	r2, a2 := e.login(sjt.Siva, sjt.SivaPassword)
	res := e.serve(Sessions, sjt.Bearer(sjt.Req(http.MethodGet), a1))
	if res.Code != http.StatusOK || strings.Count(res.Body, `"id"`) != 2 || strings.Count(res.Body, `"current":true`) != 1 ||
		!strings.Contains(res.Body, `"client_ip":"192.0.2.1"`) {
		t.Fatalf("sessions: %d %s", res.Code, res.Body)
	}
	sid2 := sjt.JTI(t, r2)[:16]
	del := func(tok, id string) sjt.Resp {
		w := httptest.NewRecorder()
		r := sjt.Bearer(sjt.Req(http.MethodDelete), tok)
		e.svc.ServeSession(id, w, r)
		if calls := e.ViewCalls(); len(calls) != 1 || calls[0].View != Sessions.String() || calls[0].Status != w.Code {
			t.Errorf("Hooks.View calls %+v", calls)
		}
		return sjt.Resp{Code: w.Code, Body: w.Body.String(), Header: w.Header()}
	}
	if got := del(a1, sid2); got.Code != http.StatusNoContent {
		t.Fatalf("DELETE session: %d %s", got.Code, got.Body)
	}
	e.serve(Sessions, sjt.Bearer(sjt.Req(http.MethodGet), a2)).Want(t, "access token of the ended session", http.StatusUnauthorized, sjt.BodyAccessBlacklisted)
	e.serve(Refresh, sjt.JSON(sjt.Obj("refresh", r2))).Want(t, "refresh token of the ended session", http.StatusUnauthorized, sjt.BodyBlacklisted)
	for _, id := range []string{sid2, "0000000000000000", "nothex", "../x"} {
		if got := del(a1, id); got.Code != http.StatusNotFound || got.Body != `{"detail":"Not found."}` {
			t.Errorf("DELETE %s: %d %s", id, got.Code, got.Body)
		}
	}
	if got := del(a2, sjt.JTI(t, r1)[:16]); got.Code != http.StatusUnauthorized {
		t.Errorf("DELETE with a revoked access token: %d %s", got.Code, got.Body)
	}

	e.serve(LogoutAll, sjt.Req(http.MethodPost)).Want(t, "logout_all anonymous", http.StatusUnauthorized, sjt.BodyNotProvided)
	e.serve(LogoutAll, sjt.Bearer(sjt.Req(http.MethodPost), a1)).Want(t, "logout_all", http.StatusOK, `{}`)
	e.serve(Sessions, sjt.Bearer(sjt.Req(http.MethodGet), a1)).Want(t, "access token after logout_all", http.StatusUnauthorized, sjt.BodyAccessBlacklisted)
	e.serve(Refresh, sjt.JSON(sjt.Obj("refresh", r1))).Want(t, "refresh token after logout_all", http.StatusUnauthorized, sjt.BodyBlacklisted)
	e.Clock.Advance(time.Second) // the revocation's not-before
	_, a3 := e.login(sjt.Siva, sjt.SivaPassword)
	if res := e.serve(Sessions, sjt.Bearer(sjt.Req(http.MethodGet), a3)); res.Code != http.StatusOK {
		t.Errorf("a login after logout_all: %d %s", res.Code, res.Body)
	}
}

// tripStore counts the refresh view's calls to the store.
type tripStore struct {
	store.Store
	mu    sync.Mutex
	calls []string
}

func (c *tripStore) note(name string) {
	c.mu.Lock()
	c.calls = append(c.calls, name)
	c.mu.Unlock()
}

func (c *tripStore) take() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := strings.Join(c.calls, " ")
	c.calls = nil
	return s
}

func (c *tripStore) RefreshState(ctx context.Context, jti string) (*time.Time, bool, error) {
	c.note("RefreshState")
	return c.Store.RefreshState(ctx, jti)
}

func (c *tripStore) RotateSession(ctx context.Context, old, next store.OutstandingToken, at time.Time, expires int64, blacklist bool) error {
	c.note("RotateSession")
	return c.Store.RotateSession(ctx, old, next, at, expires, blacklist)
}

func (c *tripStore) RevokeSession(ctx context.Context, userID int64, id string, at time.Time) (bool, error) {
	c.note("RevokeSession")
	return c.Store.RevokeSession(ctx, userID, id, at)
}

// TestRefreshRoundTrips: with rotation and blacklist after rotation a
// refresh is one call to the store (the rotation checks the blacklist and
// the session); a refused rotation falls back to simplejwt's checks (reuse
// detection). Without blacklist after rotation the check comes first, as
// before.
func TestRefreshRoundTrips(t *testing.T) {
	for _, black := range []bool{true, false} {
		set := Settings{RotateRefreshTokens: true, BlacklistAfterRotation: black}
		e := newViewEnv(t, vtOptions{Settings: set})
		r0, _ := e.login(sjt.Siva, sjt.SivaPassword)
		q0, _ := e.login(sjt.Siva, sjt.SivaPassword) // another session
		ts := &tripStore{Store: e.Store}
		svc, err := NewService(Config{Codec: e.Codec, Store: ts, Passwords: e.PW, Users: e.Users, Auth: e.auth, Settings: set, Now: e.Clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		e.svc = svc
		e.Clock.Advance(time.Minute)
		res := e.serveRaw(Refresh, sjt.JSON(sjt.Obj("refresh", r0)))
		if res.Code != http.StatusOK {
			t.Fatalf("refresh: %d %s", res.Code, res.Body)
		}
		want := "RotateSession"
		if !black {
			want = "RefreshState RotateSession"
		}
		if got := ts.take(); got != want {
			t.Errorf("BlacklistAfterRotation=%v: refresh called %q, want %q", black, got, want)
		}
		if !black {
			continue
		}
		// Ended through the store alone (another instance, the index not
		// told yet): the rotation refuses and changes nothing, the check
		// answers.
		r1 := sjt.Strings(t, res.Body)["refresh"]
		e.Clock.Advance(time.Second)
		r2 := sjt.Strings(t, e.serveRaw(Refresh, sjt.JSON(sjt.Obj("refresh", r1))).Body)["refresh"]
		if ok, err := e.Store.RevokeSession(context.Background(), e.User(sjt.Siva).ID, sjt.JTI(t, r2)[:16], e.Clock.Now()); !ok || err != nil {
			t.Fatalf("RevokeSession: %v %v", ok, err)
		}
		ts.take()
		e.serveRaw(Refresh, sjt.JSON(sjt.Obj("refresh", r2))).Want(t, "refresh in a session ended elsewhere", http.StatusUnauthorized, sjt.BodyBlacklisted)
		if got, want := ts.take(), "RotateSession RefreshState"; got != want {
			t.Errorf("refresh in a session ended elsewhere called %q, want %q", got, want)
		}
		// Reuse of a token rotated away (the other session), past the
		// reuse interval, ends its session.
		q1 := sjt.Strings(t, e.serveRaw(Refresh, sjt.JSON(sjt.Obj("refresh", q0))).Body)["refresh"]
		ts.take()
		e.Clock.Advance(time.Minute)
		e.serveRaw(Refresh, sjt.JSON(sjt.Obj("refresh", q0))).Want(t, "reuse", http.StatusUnauthorized, sjt.BodyBlacklisted)
		if got, want := ts.take(), "RotateSession RefreshState RevokeSession"; got != want {
			t.Errorf("reuse called %q, want %q", got, want)
		}
		// The index knows that session ended: no rotation is tried.
		e.serveRaw(Refresh, sjt.JSON(sjt.Obj("refresh", q1))).Want(t, "refresh in the ended session", http.StatusUnauthorized, sjt.BodyBlacklisted)
		if got, want := ts.take(), "RefreshState"; got != want {
			t.Errorf("refresh in the ended session called %q, want %q", got, want)
		}
	}
}
