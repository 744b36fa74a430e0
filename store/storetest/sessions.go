package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/store"
)

// sessionJTI is a jti of session sid (16 hex digits).
func sessionJTI(sid string, n int) string { return fmt.Sprintf("%s%016x", sid, n) }

func hexID(t *testing.T, sid string) uint64 {
	t.Helper()
	var id uint64
	if _, err := fmt.Sscanf(sid, "%x", &id); err != nil {
		t.Fatal(err)
	}
	return id
}

// startSession records a session of u with its first refresh token.
func startSession(t *testing.T, s store.Store, u store.User, sid string, now time.Time) store.OutstandingToken {
	t.Helper()
	exp := now.Add(24 * time.Hour)
	r := tok(sessionJTI(sid, 0), &u.ID, &now, exp)
	sess := store.Session{ID: sid, UserID: u.ID, CreatedAt: now.Unix(), LastRefreshedAt: now.Unix(),
		ClientIP: "192.0.2.7", UserAgent: "curl/8", ExpiresAt: exp.Add(5 * time.Minute).Unix()}
	if err := s.StartSession(ctx(t), sess, r); err != nil {
		t.Fatalf("StartSession: %v", err)
	}
	return r
}

func refreshState(t *testing.T, s store.Store, jti string) (blacklisted, ended bool) {
	t.Helper()
	at, ended, err := s.RefreshState(ctx(t), jti)
	if err != nil {
		t.Fatalf("RefreshState(%s): %v", jti, err)
	}
	return at != nil, ended
}

// testSessions: a rotation does not end its session, a logout (a plain
// blacklist, as Django's) does, RevokeSession ends a live session of its
// user exactly once, and Sessions lists the live ones.
func testSessions(t *testing.T, f Factory) {
	s := f.New(t)
	c := ctx(t)
	now := time.Now().UTC().Truncate(time.Second)
	siva := mustCreate(t, s, newUser("siva"))
	bob := mustCreate(t, s, newUser("bob"))

	r0 := startSession(t, s, siva, "00000000000000a1", now)
	startSession(t, s, siva, "00000000000000a2", now.Add(time.Second))
	startSession(t, s, bob, "00000000000000b1", now)

	list, err := s.Sessions(c, siva.ID, now)
	if err != nil || len(list) != 2 || list[0].ID != "00000000000000a2" || list[1].ID != "00000000000000a1" ||
		list[1].ClientIP != "192.0.2.7" || list[1].UserAgent != "curl/8" || list[1].CreatedAt != now.Unix() {
		t.Fatalf("Sessions = %+v, %v", list, err)
	}

	// Rotation: the old token is blacklisted, the session lives on.
	r1 := tok(sessionJTI("00000000000000a1", 1), &siva.ID, &now, now.Add(48*time.Hour))
	if err := s.RotateSession(c, r0, r1, now.Add(time.Minute), now.Add(48*time.Hour).Unix(), true); err != nil {
		t.Fatalf("RotateSession: %v", err)
	}
	if bl, ended := refreshState(t, s, r0.JTI); !bl || ended {
		t.Fatalf("rotated token: blacklisted %v, session ended %v; want true, false", bl, ended)
	}
	if err := s.RotateSession(c, r0, r1, now, 0, true); err != store.ErrAlreadyBlacklisted {
		t.Fatalf("second RotateSession of one token = %v, want ErrAlreadyBlacklisted", err)
	}
	list, _ = s.Sessions(c, siva.ID, now)
	if len(list) != 2 || list[1].LastRefreshedAt != now.Add(time.Minute).Unix() {
		t.Fatalf("after rotation Sessions = %+v", list)
	}

	// Logout through another handle (Django blacklisting the newest
	// token) ends the session.
	other := f.Another(t, s)
	if err := other.Blacklist(c, r1, now); err != nil {
		t.Fatal(err)
	}
	if bl, ended := refreshState(t, s, r1.JTI); !bl || !ended {
		t.Fatalf("logged-out token: blacklisted %v, session ended %v; want true, true", bl, ended)
	}
	if _, ended := refreshState(t, s, sessionJTI("00000000000000a2", 9)); ended {
		t.Fatal("another session of the user ended too")
	}

	// A rotation that blacklists is also the refresh check: in an ended
	// session it changes nothing (the token stays usable for the
	// refusal's checks).
	stale := tok(sessionJTI("00000000000000a1", 2), &siva.ID, &now, now.Add(48*time.Hour))
	r3 := tok(sessionJTI("00000000000000a1", 3), &siva.ID, &now, now.Add(48*time.Hour))
	if err := s.RotateSession(c, stale, r3, now, now.Add(48*time.Hour).Unix(), true); err != store.ErrSessionEnded {
		t.Fatalf("RotateSession in an ended session = %v, want ErrSessionEnded", err)
	}
	if bl, _ := refreshState(t, s, stale.JTI); bl {
		t.Fatal("RotateSession in an ended session blacklisted the token")
	}

	// RevokeSession: only the user's own live session, exactly once.
	if ok, err := s.RevokeSession(c, siva.ID, "00000000000000b1", now); err != nil || ok {
		t.Fatalf("RevokeSession of another user's session = %v, %v; want false", ok, err)
	}
	if ok, err := s.RevokeSession(c, siva.ID, "00000000000000a1", now); err != nil || ok {
		t.Fatalf("RevokeSession of an ended session = %v, %v; want false", ok, err)
	}
	r2 := startSession(t, s, siva, "00000000000000a3", now)
	errs := race(16, func(int) error {
		ok, err := s.RevokeSession(c, siva.ID, "00000000000000a3", now)
		if err != nil {
			return err
		}
		if !ok {
			return store.ErrNotFound
		}
		return nil
	})
	exactlyOneNil(t, "16 concurrent RevokeSession", errs, store.ErrNotFound)
	if bl, ended := refreshState(t, s, r2.JTI); !bl || !ended {
		t.Fatalf("revoked session's refresh token: blacklisted %v, ended %v; want both (Django honours it)", bl, ended)
	}
	list, _ = s.Sessions(c, siva.ID, now)
	if len(list) != 1 || list[0].ID != "00000000000000a2" {
		t.Fatalf("live sessions after revocations = %+v, want only a2", list)
	}
}

// testRevocationFeed: the feed hands over not-before (date_joined, then
// RevokeUser, then a password change made through another handle) and
// the ended sessions, within a second.
func testRevocationFeed(t *testing.T, f Factory) {
	s := f.New(t)
	c := ctx(t)
	now := time.Now().UTC().Truncate(time.Second)
	siva := mustCreate(t, s, newUser("siva"))
	w := Watch(t, s)
	first := w.Resets()[0]
	if len(first) != 1 || first[0].NotBefore != joined.Unix() || len(first[0].Revoked) != 0 {
		t.Fatalf("first Reset = %+v; want NotBefore %d (date_joined's second)", first, joined.Unix())
	}

	r := startSession(t, s, siva, "00000000000000c1", now)
	other := f.Another(t, s)
	if err := other.Blacklist(c, r, now); err != nil {
		t.Fatal(err)
	}
	WaitForUpdate(t, w, "a logout reaching the feed", func(u Update) bool {
		return u.ID == siva.ID && u.State.SessionRevoked(hexID(t, "00000000000000c1"))
	})

	nb := now.Unix() + 1
	startSession(t, s, siva, "00000000000000c2", now)
	if err := s.RevokeUser(c, siva.ID, nb, now); err != nil {
		t.Fatal(err)
	}
	WaitForUpdate(t, w, "RevokeUser reaching the feed", func(u Update) bool {
		return u.ID == siva.ID && u.State.NotBefore == nb && u.State.SessionRevoked(hexID(t, "00000000000000c2"))
	})
	if list, _ := s.Sessions(c, siva.ID, now); len(list) != 0 {
		t.Fatalf("sessions after RevokeUser = %+v", list)
	}
	if st, err := s.UserState(c, siva.ID); err != nil || st.NotBefore != nb || !st.SessionRevoked(hexID(t, "00000000000000c2")) || st.Username != "siva" {
		t.Fatalf("UserState = %+v, %v", st, err)
	}
	if _, err := s.UserState(c, 999999); err != store.ErrNotFound {
		t.Fatalf("UserState of no user = %v, want ErrNotFound", err)
	}
	// Lower not-before never wins.
	if err := s.RevokeUser(c, siva.ID, nb-100, now); err != nil {
		t.Fatal(err)
	}

	before := time.Now().Unix()
	if err := other.SetPassword(c, siva.ID, "pbkdf2_sha256$600000$salt$new"); err != nil {
		t.Fatal(err)
	}
	WaitForUpdate(t, w, "a password change reaching the feed", func(u Update) bool {
		return u.ID == siva.ID && u.State.NotBefore > before && u.State.NotBefore <= time.Now().Unix()+1
	})
	// Setting the same password again changes nothing.
	n := len(w.Updates())
	if err := other.SetPassword(c, siva.ID, "pbkdf2_sha256$600000$salt$new"); err != nil {
		t.Fatal(err)
	}
	if err := other.SetLastLogin(c, siva.ID, now); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	for _, u := range w.Updates()[n:] {
		if u.State.NotBefore != w.Updates()[n-1].State.NotBefore {
			t.Fatalf("an unchanged password or last_login moved not-before: %+v", u)
		}
	}
}

// testRotateRace: of 16 concurrent rotations with blacklisting of one
// refresh token, through two handles, exactly one succeeds and its session
// lives on; a rotation of a token never recorded (issued before the
// blacklist app, or by another system) records and blacklists it once.
func testRotateRace(t *testing.T, f Factory) {
	s := f.New(t)
	other := f.Another(t, s)
	c := ctx(t)
	now := time.Now().UTC().Truncate(time.Second)
	siva := mustCreate(t, s, newUser("siva"))
	for _, recorded := range []bool{true, false} {
		sid := map[bool]string{true: "00000000000000c1", false: "00000000000000c2"}[recorded]
		old := startSession(t, s, siva, sid, now)
		if !recorded {
			old = tok(sessionJTI(sid, 7), &siva.ID, &now, now.Add(24*time.Hour))
		}
		errs := race(16, func(i int) error {
			h := s
			if i%2 == 1 {
				h = other
			}
			next := tok(sessionJTI(sid, 100+i), &siva.ID, &now, now.Add(48*time.Hour))
			return h.RotateSession(c, old, next, now, now.Add(48*time.Hour).Unix(), true)
		})
		exactlyOneNil(t, fmt.Sprintf("16 concurrent rotations of one token (recorded %v)", recorded), errs, store.ErrAlreadyBlacklisted)
		if bl, ended := refreshState(t, s, old.JTI); !bl || ended {
			t.Errorf("rotated token (recorded %v): blacklisted %v, session ended %v; want true, false", recorded, bl, ended)
		}
	}
}

// testRotateRevokeRace: rotations of a session's tokens racing its
// revocation (RevokeSession, or RevokeUser every fourth round), through two
// handles, never fail with a database error (on PostgreSQL a lock-order
// deadlock, 40P01), a token rotates at most once, the revocation takes
// effect exactly once, and once it has returned no rotation of the session
// succeeds.
func testRotateRevokeRace(t *testing.T, f Factory) {
	s := f.New(t)
	other := f.Another(t, s)
	c := ctx(t)
	now := time.Now().UTC().Truncate(time.Second)
	siva := mustCreate(t, s, newUser("siva"))
	exp := now.Add(48 * time.Hour)
	const rounds, rotators, steps = 200, 2, 3
	for round := range rounds {
		sid := fmt.Sprintf("%016x", 0xd000000+round)
		first := startSession(t, s, siva, sid, now)
		byUser := round%4 == 3
		var mu sync.Mutex
		rotated := map[string]int{}
		last := first
		errs := race(rotators+1, func(i int) error {
			h := s
			if i%2 == 1 {
				h = other
			}
			if i == rotators {
				if byUser {
					return h.RevokeUser(c, siva.ID, now.Unix(), now)
				}
				if ok, err := h.RevokeSession(c, siva.ID, sid, now); err != nil || !ok {
					return fmt.Errorf("RevokeSession of a live session = %v, %v", ok, err)
				}
				return nil
			}
			cur := first
			for step := range steps {
				next := tok(sessionJTI(sid, 1+i*steps+step), &siva.ID, &now, exp)
				err := h.RotateSession(c, cur, next, now, exp.Unix(), true)
				if errors.Is(err, store.ErrAlreadyBlacklisted) || errors.Is(err, store.ErrSessionEnded) {
					return nil
				}
				if err != nil {
					return err
				}
				mu.Lock()
				rotated[cur.JTI]++
				last = next
				mu.Unlock()
				cur = next
			}
			return nil
		})
		for _, err := range errs {
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		for jti, n := range rotated {
			if n > 1 {
				t.Fatalf("round %d: token %s rotated %d times", round, jti, n)
			}
		}
		for _, old := range []store.OutstandingToken{first, last} {
			next := tok(sessionJTI(sid, 999), &siva.ID, &now, exp)
			if err := s.RotateSession(c, old, next, now, exp.Unix(), true); err != store.ErrSessionEnded && err != store.ErrAlreadyBlacklisted {
				t.Fatalf("round %d: rotation of %s after the revocation = %v", round, old.JTI, err)
			}
		}
		for _, x := range []store.OutstandingToken{first, last} {
			if bl, ended := refreshState(t, s, x.JTI); !bl || !ended {
				t.Fatalf("round %d: token %s after the revocation: blacklisted %v, session ended %v; want both (Django honours the blacklist)", round, x.JTI, bl, ended)
			}
		}
	}
}
