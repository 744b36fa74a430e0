package seedflow

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
)

// TestSeedFlowWithExpiry is the seed's flow with a short-lived access
// token, as a client meets it: login with form data, PUT review_detail,
// the token expires, the PUT is refused without touching the upstream,
// refresh with urlencoded data, and the retried PUT goes through. The
// movie API's own state (read directly, bypassing the gateway) changes
// exactly once per successful PUT.
func TestSeedFlowWithExpiry(t *testing.T) {
	up := harness.StartUpstream(t)
	// The steps before the expiry must fit in the lifetime, even on a
	// loaded machine: 8 s is far more than they take (tens of ms).
	const lifetime = 8 * time.Second
	g := harness.StartGateway(t, harness.GatewayOptions{Upstream: up, Env: map[string]string{"ACCESS_TOKEN_LIFETIME": lifetime.String()}})
	g.CreateUser(t, "siva", "siva")
	access, refresh := g.Login(t, "siva", "siva")
	loggedIn := time.Now() // the token's exp is at most lifetime after this

	r := doRaw(t, "POST", g.URL+"/movieapi/movie/1/review-create/", `{"rating":4,"description":"Great"}`, jsonCT, bearer(access))
	created := decodeReview(t, "create review", r, http.StatusCreated)
	if created.ReviewerName != "siva" || created.Rating != 4 {
		t.Fatalf("created review: %s", r.Body)
	}
	id := created.ID

	r = doRaw(t, "PUT", reviewURL(g.URL, id), `{"rating":5}`, jsonCT, bearer(access))
	if rv := decodeReview(t, "PUT rating 5", r, http.StatusOK); rv.Rating != 5 || rv.ID != id {
		t.Fatalf("PUT rating 5: %s", r.Body)
	}
	first := upstreamReview(t, up, id)
	if first.Rating != 5 || first.Update == created.Update {
		t.Fatalf("upstream after the first PUT: rating %d, update %s (created %s)", first.Rating, first.Update, created.Update)
	}

	// Wait (bounded) until the access token is refused, without changing
	// anything upstream: the gateway's own users/ view needs the token.
	start := time.Now()
	for {
		sent := time.Now()
		r = harness.Do(t, "GET", g.URL+"/userprofiles/users/", nil, harness.Bearer(access))
		if r.Status == http.StatusUnauthorized {
			t.Logf("the access token expired %v after the checks started", time.Since(start).Round(10*time.Millisecond))
			break
		}
		if r.Status != http.StatusOK {
			t.Fatalf("users/ while waiting for expiry: %d %s", r.Status, r.Body)
		}
		// sent, not now: on a loaded machine the answer may come late, but
		// the gateway checked the token after the request was sent.
		if sent.Sub(loggedIn) > lifetime+time.Second {
			t.Fatalf("the access token (lifetime %v) was still accepted when sent %v after the login", lifetime, sent.Sub(loggedIn))
		}
		time.Sleep(100 * time.Millisecond)
	}

	r = doRaw(t, "PUT", reviewURL(g.URL, id), `{"rating":3}`, jsonCT, bearer(access))
	expect401(t, "PUT with the expired access token", r, harness.AccessInvalid)
	if now := upstreamReview(t, up, id); !same(now, first) {
		t.Errorf("the refused PUT changed the upstream: %+v, was %+v", now, first)
	}

	r = harness.PostForm(t, g.URL+"/userprofiles/api/token/refresh/", url.Values{"refresh": {refresh}})
	if r.Status != http.StatusOK || len(r.JSON(t)) != 1 {
		t.Fatalf("refresh: %d %s", r.Status, r.Body)
	}
	fresh := r.Str(t, "access")

	r = doRaw(t, "PUT", reviewURL(g.URL, id), `{"rating":3}`, jsonCT, bearer(fresh))
	if rv := decodeReview(t, "retried PUT", r, http.StatusOK); rv.Rating != 3 || rv.ReviewerName != "siva" {
		t.Fatalf("retried PUT: %s", r.Body)
	}
	second := upstreamReview(t, up, id)
	if second.Rating != 3 || second.Update == first.Update || second.Created != created.Created {
		t.Errorf("upstream after the retried PUT: %+v (before: %+v)", second, first)
	}
}

// TestSpoofedIdentityNeverReachesUpstream: through the real movie API, a
// client's own X-User-Id / X-Username, in any case or spelling, never
// makes it anyone: anonymous writes are refused and change nothing,
// anonymous reads are anonymous to the movie API, and a user with a token
// who claims another user's id acts as themselves.
func TestSpoofedIdentityNeverReachesUpstream(t *testing.T) {
	up := harness.StartUpstream(t)
	g := harness.StartGateway(t, harness.GatewayOptions{Upstream: up})
	g.CreateUser(t, "siva", "siva") // id 1
	g.CreateUser(t, "bob", "bob-password-123")
	siva, _ := g.Login(t, "siva", "siva")
	bob, _ := g.Login(t, "bob", "bob-password-123")

	r := doRaw(t, "POST", g.URL+"/movieapi/movie/1/review-create/", `{"rating":4,"description":"siva's"}`, jsonCT, bearer(siva))
	sivas := decodeReview(t, "siva's review", r, http.StatusCreated)
	if sivas.ReviewerName != "siva" {
		t.Fatalf("siva's review: %s", r.Body)
	}
	movies := func() string {
		t.Helper()
		r := harness.Do(t, "GET", "http://"+up+"/movieapi/movie/", nil)
		if r.Status != http.StatusOK {
			t.Fatalf("upstream movie list: %d %s", r.Status, r.Body)
		}
		return r.Body
	}
	before := movies()
	anonOptions := doRaw(t, "OPTIONS", reviewURL(g.URL, sivas.ID), "")
	sivaOptions := doRaw(t, "OPTIONS", reviewURL(g.URL, sivas.ID), "", bearer(siva))
	if anonOptions.Status != 200 || sivaOptions.Status != 200 || anonOptions.Body == sivaOptions.Body {
		t.Fatalf("OPTIONS should tell the reviewer from anyone else: anonymous %d %s, siva %d %s",
			anonOptions.Status, anonOptions.Body, sivaOptions.Status, sivaOptions.Body)
	}

	// Claims to be siva (id 1), as an anonymous client.
	spoofs := map[string][][2]string{
		"canonical":        {{"X-User-Id", "1"}, {"X-Username", "siva"}},
		"lower case":       {{"x-user-id", "1"}, {"x-username", "siva"}},
		"upper case":       {{"X-USER-ID", "1"}, {"X-USERNAME", "siva"}},
		"underscores":      {{"X_User_Id", "1"}, {"X_Username", "siva"}},
		"lower underscore": {{"x_user_id", "1"}, {"x_username", "siva"}},
		"duplicated":       {{"X-User-Id", "1"}, {"X-User-Id", "1"}, {"x-user-id", "1"}},
		"padded":           {{"X-User-Id", " 1 "}, {"X-Username", "siva"}},
	}
	for name, h := range spoofs {
		expect401(t, name+": anonymous PUT", doRaw(t, "PUT", reviewURL(g.URL, sivas.ID), `{"rating":1}`, append(h, jsonCT)...), harness.NotProvided)
		expect401(t, name+": anonymous PATCH", doRaw(t, "PATCH", reviewURL(g.URL, sivas.ID), `{"rating":1}`, append(h, jsonCT)...), harness.NotProvided)
		expect401(t, name+": anonymous DELETE", doRaw(t, "DELETE", reviewURL(g.URL, sivas.ID), "", h...), harness.NotProvided)
		expect401(t, name+": anonymous review", doRaw(t, "POST", g.URL+"/movieapi/movie/2/review-create/", `{"rating":1}`, append(h, jsonCT)...), harness.NotProvided)
		expect401(t, name+": anonymous movie", doRaw(t, "POST", g.URL+"/movieapi/movie/", `{"title":"x","storyline":"y"}`, append(h, jsonCT)...), harness.NotProvided)
		// A read passes, and the movie API answers it as to anyone.
		harness.Expect(t, name+": anonymous OPTIONS", doRaw(t, "OPTIONS", reviewURL(g.URL, sivas.ID), "", h...), 200, anonOptions.Body)
	}
	if after := movies(); after != before {
		t.Errorf("anonymous spoofed writes changed the upstream:\nbefore %s\nafter  %s", before, after)
	}

	// bob, with his token, claims to be siva: the movie API sees bob.
	for name, h := range spoofs {
		r := doRaw(t, "PUT", reviewURL(g.URL, sivas.ID), `{"rating":1}`, append(h, jsonCT, bearer(bob))...)
		harness.Expect(t, name+": bob's PUT on siva's review", r, http.StatusForbidden, forbidden)
		harness.Expect(t, name+": bob's OPTIONS on siva's review", doRaw(t, "OPTIONS", reviewURL(g.URL, sivas.ID), "", append(h, bearer(bob))...), 200, anonOptions.Body)
	}
	if after := movies(); after != before {
		t.Errorf("bob's spoofed writes changed siva's review:\nbefore %s\nafter  %s", before, after)
	}
	r = doRaw(t, "POST", g.URL+"/movieapi/movie/2/review-create/", `{"rating":2,"description":"bob's"}`,
		jsonCT, bearer(bob), [2]string{"X-User-Id", "1"}, [2]string{"x_user_id", "1"}, [2]string{"X-Username", "siva"}, [2]string{"x-username", "siva"})
	bobs := decodeReview(t, "bob's review with spoofed headers", r, http.StatusCreated)
	if bobs.ReviewerName != "bob" {
		t.Errorf("bob's review is recorded as %q: %s", bobs.ReviewerName, r.Body)
	}
	if stored := upstreamReview(t, up, bobs.ID); stored.ReviewerName != "bob" {
		t.Errorf("upstream has bob's review as %q", stored.ReviewerName)
	}
	// The id the movie API stored is bob's: bob may change the review,
	// siva (claiming bob's id 2) may not.
	r = doRaw(t, "PUT", reviewURL(g.URL, bobs.ID), `{"rating":1}`, jsonCT, bearer(siva), [2]string{"X-User-Id", "2"}, [2]string{"X-Username", "bob"})
	harness.Expect(t, "siva's PUT on bob's review, claiming id 2", r, http.StatusForbidden, forbidden)
	r = doRaw(t, "PUT", reviewURL(g.URL, bobs.ID), `{"rating":3}`, jsonCT, bearer(bob), [2]string{"X-User-Id", "1"})
	if rv := decodeReview(t, "bob's PUT on his review, claiming id 1", r, http.StatusOK); rv.Rating != 3 || rv.ReviewerName != "bob" {
		t.Errorf("bob's PUT: %s", r.Body)
	}
	if stored := upstreamReview(t, up, sivas.ID); stored.Rating != 4 || stored.ReviewerName != "siva" {
		t.Errorf("siva's review changed: %+v", stored)
	}
}
