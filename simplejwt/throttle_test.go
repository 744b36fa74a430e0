package simplejwt

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/password"
	sjt "github.com/jwtgate/jwtgate/simplejwt/simplejwttest"
	"github.com/jwtgate/jwtgate/throttle"
)

func loginFrom(e *viewEnv, client, username, pw string) sjt.Resp {
	r := sjt.Form(url.Values{"username": {username}, "password": {pw}})
	r.RemoteAddr = client + ":40000"
	return e.serve(ObtainPair, r)
}

// TestLoginThrottle: after the per-account limit, logins of that username
// from that address get DRF's 429 before any hashing, even with the right
// password; another address is unaffected; a success clears the count.
func TestLoginThrottle(t *testing.T) {
	e := newViewEnv(t, vtOptions{Throttle: &throttle.Config{PerClient: 10, PerAccount: 3, Window: 15 * time.Minute}})
	const attacker, victim = "198.51.100.7", "203.0.113.9"
	for i := 0; i < 3; i++ {
		loginFrom(e, attacker, sjt.Siva, "wrong").Want(t, "wrong password", 401, `{"detail":"No active account found with the given credentials"}`)
	}
	e.HashCount()
	res := loginFrom(e, attacker, sjt.Siva, sjt.SivaPassword)
	res.Want(t, "over the limit, right password", 429, `{"detail":"Request was throttled. Expected available in 900 seconds."}`)
	if got := res.Header.Get("Retry-After"); got != "900" {
		t.Errorf("Retry-After = %q, want 900", got)
	}
	if n := e.HashCount(); n != 0 {
		t.Errorf("a throttled login hashed %d times", n)
	}
	if res := loginFrom(e, victim, sjt.Siva, sjt.SivaPassword); res.Code != 200 {
		t.Errorf("the same user from another address: %d %s", res.Code, res.Body)
	}
	e.Clock.Advance(14 * time.Minute)
	loginFrom(e, attacker, sjt.Siva, sjt.SivaPassword).Want(t, "a minute left", 429, `{"detail":"Request was throttled. Expected available in 60 seconds."}`)
	e.Clock.Advance(time.Minute)
	if res := loginFrom(e, attacker, sjt.Siva, sjt.SivaPassword); res.Code != 200 {
		t.Errorf("after the window: %d %s", res.Code, res.Body)
	}
	// That success cleared the account counter: three more failures are
	// allowed again.
	for i := 0; i < 3; i++ {
		if res := loginFrom(e, attacker, sjt.Siva, "wrong"); res.Code != 401 {
			t.Fatalf("failure %d after a success: %d %s", i+1, res.Code, res.Body)
		}
	}
}

// TestLoginThrottleCountsEveryRefusal: unknown users and inactive users
// count like wrong passwords, so the throttle says nothing about which
// usernames exist.
func TestLoginThrottleCountsEveryRefusal(t *testing.T) {
	e := newViewEnv(t, vtOptions{Throttle: &throttle.Config{PerClient: 3, Window: time.Minute}})
	const client = "192.0.2.1"
	loginFrom(e, client, "nobody", "x")
	loginFrom(e, client, sjt.Inactive, sjt.InactivePass)
	loginFrom(e, client, sjt.Siva, "wrong")
	loginFrom(e, client, sjt.Siva, sjt.SivaPassword).Want(t, "per-client limit", 429, `{"detail":"Request was throttled. Expected available in 60 seconds."}`)
}

// TestHashGateBusy: when every hashing slot is taken and the wait runs
// out, logins get 503 with Retry-After at once instead of queuing (and
// registrations: userprofiles' TestRegisterHashBusy).
func TestHashGateBusy(t *testing.T) {
	gate := password.NewGate(1, 1, 1, 30*time.Millisecond)
	e := newViewEnv(t, vtOptions{Gate: gate})
	hold := make(chan struct{})
	go gate.Do(context.Background(), func() { <-hold })
	for running, _ := gate.Busy(); running != 1; running, _ = gate.Busy() {
		time.Sleep(time.Millisecond)
	}
	busy := `{"detail":"Service temporarily unavailable, try again later."}`
	res := loginFrom(e, "127.0.0.1", sjt.Siva, sjt.SivaPassword)
	res.Want(t, "login while busy", http.StatusServiceUnavailable, busy)
	if got := res.Header.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After = %q", got)
	}
	close(hold)
	for running, _ := gate.Busy(); running != 0; running, _ = gate.Busy() {
		time.Sleep(time.Millisecond)
	}
	if res := loginFrom(e, "127.0.0.1", sjt.Siva, sjt.SivaPassword); res.Code != 200 {
		t.Errorf("after the storm: %d %s", res.Code, res.Body)
	}
}

func TestThrottledBody(t *testing.T) {
	for wait, body := range map[time.Duration]string{
		time.Second:             `{"detail":"Request was throttled. Expected available in 1 second."}`,
		1500 * time.Millisecond: `{"detail":"Request was throttled. Expected available in 2 seconds."}`,
		time.Millisecond:        `{"detail":"Request was throttled. Expected available in 1 second."}`,
	} {
		if got := string(Throttled(wait).Body); got != body {
			t.Errorf("Throttled(%v) = %s", wait, got)
		}
	}
}

// TestLoginThrottleConcurrent: however many attempts at one account run
// at once, at most per_account passwords are hashed in the window.
func TestLoginThrottleConcurrent(t *testing.T) {
	e := newViewEnv(t, vtOptions{Throttle: &throttle.Config{PerAccount: 3, Window: time.Minute},
		Gate: password.NewGate(4, 64, 64, 10*time.Second)})
	e.HashCount()
	var wg sync.WaitGroup
	codes := make(chan int, 24)
	for i := 0; i < 24; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := sjt.Form(url.Values{"username": {sjt.Siva}, "password": {"wrong"}})
			r.RemoteAddr = "198.51.100.7:40000"
			codes <- e.serveRaw(ObtainPair, r).Code
		}()
	}
	wg.Wait()
	close(codes)
	n := map[int]int{}
	for c := range codes {
		n[c]++
	}
	if n[401] != 3 || n[429] != 21 {
		t.Errorf("answers %v, want 3 x 401 and 21 x 429", n)
	}
	if h := e.HashCount(); h != 3 {
		t.Errorf("%d passwords hashed, want 3", h)
	}
}
