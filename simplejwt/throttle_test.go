package simplejwt

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/password"
	"github.com/jwtgate/jwtgate/throttle"
)

func loginFrom(e *viewEnv, client, username, pw string) vtResp {
	r := vtForm(url.Values{"username": {username}, "password": {pw}})
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
		loginFrom(e, attacker, vtSiva, "wrong").want(t, "wrong password", 401, `{"detail":"No active account found with the given credentials"}`)
	}
	e.hashCount()
	res := loginFrom(e, attacker, vtSiva, vtSivaPassword)
	res.want(t, "over the limit, right password", 429, `{"detail":"Request was throttled. Expected available in 900 seconds."}`)
	if got := res.Header.Get("Retry-After"); got != "900" {
		t.Errorf("Retry-After = %q, want 900", got)
	}
	if n := e.hashCount(); n != 0 {
		t.Errorf("a throttled login hashed %d times", n)
	}
	if res := loginFrom(e, victim, vtSiva, vtSivaPassword); res.Code != 200 {
		t.Errorf("the same user from another address: %d %s", res.Code, res.Body)
	}
	e.clock.Advance(14 * time.Minute)
	loginFrom(e, attacker, vtSiva, vtSivaPassword).want(t, "a minute left", 429, `{"detail":"Request was throttled. Expected available in 60 seconds."}`)
	e.clock.Advance(time.Minute)
	if res := loginFrom(e, attacker, vtSiva, vtSivaPassword); res.Code != 200 {
		t.Errorf("after the window: %d %s", res.Code, res.Body)
	}
	// That success cleared the account counter: three more failures are
	// allowed again.
	for i := 0; i < 3; i++ {
		if res := loginFrom(e, attacker, vtSiva, "wrong"); res.Code != 401 {
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
	loginFrom(e, client, vtInactive, vtInactivePass)
	loginFrom(e, client, vtSiva, "wrong")
	loginFrom(e, client, vtSiva, vtSivaPassword).want(t, "per-client limit", 429, `{"detail":"Request was throttled. Expected available in 60 seconds."}`)
}

// TestHashGateBusy: when every hashing slot is taken and the wait runs
// out, logins and registrations get 503 with Retry-After at once instead
// of queuing.
func TestHashGateBusy(t *testing.T) {
	gate := password.NewGate(1, 1, 1, 30*time.Millisecond)
	e := newViewEnv(t, vtOptions{Gate: gate})
	hold := make(chan struct{})
	go gate.Do(context.Background(), func() { <-hold })
	for running, _ := gate.Busy(); running != 1; running, _ = gate.Busy() {
		time.Sleep(time.Millisecond)
	}
	busy := `{"detail":"Service temporarily unavailable, try again later."}`
	res := loginFrom(e, "127.0.0.1", vtSiva, vtSivaPassword)
	res.want(t, "login while busy", http.StatusServiceUnavailable, busy)
	if got := res.Header.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After = %q", got)
	}
	e.serve(Register, vtJSON(`{"username":"anna","email":"anna@example.com","password":"Str0ng-pass!","password2":"Str0ng-pass!"}`)).
		want(t, "register while busy", http.StatusServiceUnavailable, busy)
	close(hold)
	for running, _ := gate.Busy(); running != 0; running, _ = gate.Busy() {
		time.Sleep(time.Millisecond)
	}
	if res := loginFrom(e, "127.0.0.1", vtSiva, vtSivaPassword); res.Code != 200 {
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
	e.hashCount()
	var wg sync.WaitGroup
	codes := make(chan int, 24)
	for i := 0; i < 24; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := vtForm(url.Values{"username": {vtSiva}, "password": {"wrong"}})
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
	if h := e.hashCount(); h != 3 {
		t.Errorf("%d passwords hashed, want 3", h)
	}
}

// TestRegisterThrottle: registrations from one client are limited, with
// DRF's 429 and Retry-After, before any hashing; another client is not.
func TestRegisterThrottle(t *testing.T) {
	e := newViewEnv(t, vtOptions{Throttle: &throttle.Config{RegisterPerClient: 2, Window: time.Minute}})
	reg := func(client, name string) vtResp {
		r := vtJSON(`{"username":"` + name + `","email":"` + name + `@example.com","password":"Str0ng-pass!","password2":"Str0ng-pass!"}`)
		r.RemoteAddr = "[" + client + "]:40000"
		return e.serve(Register, r)
	}
	for _, name := range []string{"anna", "bert"} {
		if res := reg("2001:db8:7:7::1", name); res.Code != 201 {
			t.Fatalf("register %s: %d %s", name, res.Code, res.Body)
		}
	}
	e.hashCount()
	// Another address of the same IPv6 /64 shares the budget.
	res := reg("2001:db8:7:7:ffff::2", "carl")
	res.want(t, "3rd registration", 429, `{"detail":"Request was throttled. Expected available in 60 seconds."}`)
	if res.Header.Get("Retry-After") != "60" {
		t.Errorf("Retry-After = %q", res.Header.Get("Retry-After"))
	}
	if h := e.hashCount(); h != 0 {
		t.Errorf("a throttled registration hashed %d times", h)
	}
	if res := reg("2001:db8:7:8::1", "dora"); res.Code != 201 {
		t.Errorf("another /64: %d %s", res.Code, res.Body)
	}
}
