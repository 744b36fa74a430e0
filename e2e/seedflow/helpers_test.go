package seedflow

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
)

// forbidden is DRF's 403 body (the reviewer-only rule of the upstream).
const forbidden = `{"detail":"You do not have permission to perform this action."}`

var rawClient = &http.Client{
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// doRaw sends a request with headers exactly as written: names are not
// canonicalized, so "x_user_id" and "X-USER-ID" go on the wire as given,
// and a name given twice is sent twice.
func doRaw(t testing.TB, method, url, body string, headers ...[2]string) harness.Response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range headers {
		req.Header[h[0]] = append(req.Header[h[0]], h[1])
	}
	resp, err := rawClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return harness.Response{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
}

var jsonCT = [2]string{"Content-Type", "application/json"}

func bearer(tok string) [2]string { return [2]string{"Authorization", "Bearer " + tok} }

// expect401 fails unless r is a 401 with exactly body and the
// WWW-Authenticate header DRF sends.
func expect401(t testing.TB, what string, r harness.Response, body string) {
	t.Helper()
	harness.Expect(t, what, r, http.StatusUnauthorized, body)
	if got := r.Header.Get("Www-Authenticate"); got != harness.WWWAuthenticate {
		t.Errorf("%s: WWW-Authenticate %q, want %q", what, got, harness.WWWAuthenticate)
	}
}

// review is the movie API's ReviewSerializer output.
type review struct {
	ID           int64   `json:"id"`
	ReviewerName string  `json:"reviewer_name"`
	Rating       int64   `json:"rating"`
	Description  *string `json:"description"`
	Active       bool    `json:"active"`
	Created      string  `json:"created"`
	Update       string  `json:"update"`
}

// same reports whether two reviews are equal, descriptions by value.
func same(a, b review) bool {
	da, db := a.Description, b.Description
	a.Description, b.Description = nil, nil
	return a == b && (da == db || (da != nil && db != nil && *da == *db))
}

func decodeReview(t testing.TB, what string, r harness.Response, status int) review {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: got %d %s, want %d", what, r.Status, r.Body, status)
	}
	var rv review
	if err := json.Unmarshal([]byte(r.Body), &rv); err != nil {
		t.Fatalf("%s: %v: %s", what, err, r.Body)
	}
	return rv
}

// upstreamReview reads a review from the movie API directly, bypassing the
// gateway: the state the legacy app holds.
func upstreamReview(t testing.TB, upstream string, id int64) review {
	t.Helper()
	r := harness.Do(t, "GET", "http://"+upstream+"/movieapi/movie/"+strconv.FormatInt(id, 10)+"/review_detail/", nil)
	return decodeReview(t, "upstream review "+strconv.FormatInt(id, 10), r, http.StatusOK)
}

func reviewURL(base string, id int64) string {
	return base + "/movieapi/movie/" + strconv.FormatInt(id, 10) + "/review_detail/"
}
