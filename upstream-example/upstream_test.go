package main

import (
	"bytes"
	"context"
	"io"
	"log"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// testEnv is the service over HTTP with a temporary database.
type testEnv struct {
	t      *testing.T
	dbPath string
	cfg    config
	store  *Store
	srv    *httptest.Server
	client *http.Client
}

func newEnv(t *testing.T) *testEnv {
	t.Helper()
	e := &testEnv{t: t, dbPath: filepath.Join(t.TempDir(), "sub", "up.sqlite3"),
		cfg: config{UserIDHeader: "X-User-Id", UsernameHeader: "X-Username"}}
	e.start()
	t.Cleanup(e.stop)
	return e
}

func (e *testEnv) start() {
	e.t.Helper()
	st, err := openStore(context.Background(), e.dbPath)
	if err != nil {
		e.t.Fatalf("openStore: %v", err)
	}
	e.store = st
	e.srv = httptest.NewServer(newApp(st, e.cfg, log.New(io.Discard, "", 0)))
	e.client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (e *testEnv) stop() {
	if e.srv != nil {
		e.srv.Close()
		e.store.Close()
		e.srv = nil
	}
}

// restart closes the server and the database and opens them again.
func (e *testEnv) restart() {
	e.stop()
	e.start()
}

// who is the identity the gateway would send; nil is anonymous.
type who struct {
	id, name string
}

var (
	siva = &who{"1", "siva"}
	bob  = &who{"3", "bob"}
)

type resp struct {
	status int
	header http.Header
	body   string
}

// do sends a request; ct is the Content-Type ("" sends none).
func (e *testEnv) do(method, path string, as *who, ct, body string) resp {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if as != nil {
		req.Header.Set("X-User-Id", as.id)
		if as.name != "" {
			req.Header.Set("X-Username", as.name)
		}
	}
	res, err := e.client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp{res.StatusCode, res.Header, string(b)}
}

const jsonCT = "application/json"

var (
	stampRE = regexp.MustCompile(`"(created|update)":"([^"]*)"`)
	// drfStampRE is DRF's DateTimeField output: UTC, microseconds unless
	// they are zero, "Z".
	drfStampRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$`)
)

// expect checks status and exact body; timestamps in the body are checked
// for DRF's format, then compared as "TS".
func (e *testEnv) expect(r resp, status int, body string) {
	e.t.Helper()
	got := stampRE.ReplaceAllStringFunc(r.body, func(m string) string {
		sub := stampRE.FindStringSubmatch(m)
		if !drfStampRE.MatchString(sub[2]) {
			e.t.Errorf("timestamp %q is not in DRF's format", sub[2])
		}
		return `"` + sub[1] + `":"TS"`
	})
	if r.status != status || got != body {
		e.t.Errorf("got %d %s\nwant %d %s", r.status, got, status, body)
	}
	if strings.HasPrefix(body, "{") || strings.HasPrefix(body, "[") {
		if ct := r.header.Get("Content-Type"); ct != "application/json" {
			e.t.Errorf("Content-Type %q, want application/json", ct)
		}
	}
}

const (
	seedMovie1 = `{"id":1,"title":"The Shawshank Redemption","storyline":"Two imprisoned men bond over a number of years.","active":true,"avg_rating":0.0,"number_rating":0,"reviews":[]}`
	seedList   = `[` + seedMovie1 + `,` +
		`{"id":2,"title":"Inception","storyline":"A thief who steals corporate secrets through dream-sharing.","active":true,"avg_rating":0.0,"number_rating":0,"reviews":[]},` +
		`{"id":3,"title":"Spirited Away","storyline":"A girl wanders into a world ruled by gods and spirits.","active":true,"avg_rating":0.0,"number_rating":0,"reviews":[]}]`
	notAuthenticated = `{"detail":"Authentication credentials were not provided."}`
	forbidden        = `{"detail":"You do not have permission to perform this action."}`
	notFoundJSON     = `{"detail":"Not found."}`
	listAllow        = "GET, POST, HEAD, OPTIONS"
	detailAllow      = "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"
)

func (e *testEnv) expect401(r resp) {
	e.t.Helper()
	e.expect(r, 401, notAuthenticated)
	if got := r.header.Get("WWW-Authenticate"); got != `Bearer realm="api"` {
		e.t.Errorf("WWW-Authenticate = %q", got)
	}
}

// TestReviewFlow walks the tutorial's flow: list, create a movie, review
// it, and edit the review as its author, another user and nobody.
func TestReviewFlow(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/movieapi/movie/", nil, "", "")
	e.expect(r, 200, seedList)
	if got := r.header.Get("Allow"); got != listAllow {
		t.Errorf("Allow = %q", got)
	}
	if r.header.Get("WWW-Authenticate") != "" {
		t.Error("WWW-Authenticate on a 200")
	}

	e.expect401(e.do("POST", "/movieapi/movie/", nil, jsonCT, `{"title": "x", "storyline": "y"}`))
	e.expect(e.do("POST", "/movieapi/movie/", siva, jsonCT, `{"title": "Rec ceb454", "storyline": "y"}`),
		201, `{"id":4,"title":"Rec ceb454","storyline":"y","active":true,"avg_rating":0.0,"number_rating":0,"reviews":[]}`)

	e.expect401(e.do("POST", "/movieapi/movie/4/review-create/", nil, jsonCT, `{"rating": 4}`))
	const review = `{"id":1,"reviewer_name":"siva","rating":4,"description":"ok","active":true,"created":"TS","update":"TS"}`
	e.expect(e.do("POST", "/movieapi/movie/4/review-create/", siva, jsonCT, `{"rating": 4, "description": "ok"}`), 201, review)
	r = e.do("POST", "/movieapi/movie/4/review-create/", siva, jsonCT, `{"rating": 4, "description": "ok"}`)
	e.expect(r, 400, `["You have already reviewed this movie!"]`)
	if got := r.header.Get("Allow"); got != "POST, OPTIONS" {
		t.Errorf("review-create Allow = %q", got)
	}

	e.expect(e.do("GET", "/movieapi/movie/1/review_detail/", nil, "", ""), 200, review)
	e.expect(e.do("GET", "/movieapi/movie/4/", nil, "", ""), 200,
		`{"id":4,"title":"Rec ceb454","storyline":"y","active":true,"avg_rating":4.0,"number_rating":1,"reviews":[`+review+`]}`)
	e.expect(e.do("GET", "/movieapi/movie/4/reviews/", nil, "", ""), 200, `[`+review+`]`)

	// The reviewer edits: PUT needs rating, PATCH is partial.
	e.expect(e.do("PUT", "/movieapi/movie/1/review_detail/", siva, jsonCT, `{"description":"x"}`), 400, `{"rating":["This field is required."]}`)
	e.expect(e.do("PUT", "/movieapi/movie/1/review_detail/", siva, jsonCT, `{"rating":2}`), 200,
		`{"id":1,"reviewer_name":"siva","rating":2,"description":"ok","active":true,"created":"TS","update":"TS"}`)
	e.expect(e.do("PATCH", "/movieapi/movie/1/review_detail/", siva, jsonCT, `{"rating":6}`), 400, `{"rating":["Ensure this value is less than or equal to 5."]}`)
	e.expect(e.do("PATCH", "/movieapi/movie/1/review_detail/", siva, jsonCT, `{"description":"patched","active":"off"}`), 200,
		`{"id":1,"reviewer_name":"siva","rating":2,"description":"patched","active":false,"created":"TS","update":"TS"}`)
	e.expect(e.do("PATCH", "/movieapi/movie/1/review_detail/", siva, jsonCT, `{"description":null}`), 200,
		`{"id":1,"reviewer_name":"siva","rating":2,"description":null,"active":false,"created":"TS","update":"TS"}`)

	// Someone else, then nobody; object permission comes before the body.
	e.expect(e.do("PUT", "/movieapi/movie/1/review_detail/", bob, jsonCT, `{"rating":2}`), 403, forbidden)
	e.expect(e.do("PUT", "/movieapi/movie/1/review_detail/", bob, "text/plain", `x`), 403, forbidden)
	e.expect(e.do("DELETE", "/movieapi/movie/1/review_detail/", bob, "", ""), 403, forbidden)
	e.expect401(e.do("PUT", "/movieapi/movie/1/review_detail/", nil, jsonCT, `{"rating": 1}`))
	e.expect401(e.do("PATCH", "/movieapi/movie/1/review_detail/", nil, jsonCT, `{"rating": 22}`))
	e.expect(e.do("PUT", "/movieapi/movie/999/review_detail/", nil, jsonCT, `{"rating": 1}`), 404, notFoundJSON)

	// Editing a review leaves the movie's figures alone.
	e.expect(e.do("GET", "/movieapi/movie/4/", nil, "", ""), 200,
		`{"id":4,"title":"Rec ceb454","storyline":"y","active":true,"avg_rating":4.0,"number_rating":1,"reviews":[`+
			`{"id":1,"reviewer_name":"siva","rating":2,"description":null,"active":false,"created":"TS","update":"TS"}]}`)

	r = e.do("DELETE", "/movieapi/movie/1/review_detail/", siva, "", "")
	if r.status != 204 || r.body != "" || r.header.Get("Content-Type") != "" {
		t.Errorf("DELETE: %d %q Content-Type %q, want 204 with no body", r.status, r.body, r.header.Get("Content-Type"))
	}
	e.expect(e.do("GET", "/movieapi/movie/1/review_detail/", nil, "", ""), 404, notFoundJSON)
	e.expect(e.do("DELETE", "/movieapi/movie/1/review_detail/", siva, "", ""), 404, notFoundJSON)
	e.expect(e.do("GET", "/movieapi/movie/4/reviews/", nil, "", ""), 200, `[]`)
}

// TestReviewTimestamps checks that update moves on an edit and created
// does not.
func TestReviewTimestamps(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/movieapi/movie/1/review-create/", siva, jsonCT, `{"rating":3}`)
	first := stampRE.FindAllStringSubmatch(r.body, -1)
	r = e.do("PATCH", "/movieapi/movie/1/review_detail/", siva, jsonCT, `{}`)
	second := stampRE.FindAllStringSubmatch(r.body, -1)
	if len(first) != 2 || len(second) != 2 {
		t.Fatalf("timestamps missing: %v / %v", first, second)
	}
	if first[0][2] != second[0][2] {
		t.Errorf("created changed: %s -> %s", first[0][2], second[0][2])
	}
	if second[1][2] < first[1][2] {
		t.Errorf("update went back: %s -> %s", first[1][2], second[1][2])
	}
}

// TestMovieEdits covers MovieDetail: any authenticated user may change or
// delete a movie; reads are public.
func TestMovieEdits(t *testing.T) {
	e := newEnv(t)
	e.expect401(e.do("PUT", "/movieapi/movie/999/", nil, jsonCT, `{}`))
	e.expect(e.do("PUT", "/movieapi/movie/999/", bob, jsonCT, `{}`), 404, notFoundJSON)
	e.expect(e.do("PUT", "/movieapi/movie/2/", bob, jsonCT, `{"title":"t"}`), 400, `{"storyline":["This field is required."]}`)
	e.expect(e.do("PUT", "/movieapi/movie/2/", bob, jsonCT, `{"title":"t","storyline":"s2","active":false}`), 200,
		`{"id":2,"title":"t","storyline":"s2","active":false,"avg_rating":0.0,"number_rating":0,"reviews":[]}`)
	e.expect(e.do("PATCH", "/movieapi/movie/2/", bob, jsonCT, `{"active":1,"avg_rating":7,"number_rating":3,"id":9}`), 200,
		`{"id":2,"title":"t","storyline":"s2","active":true,"avg_rating":0.0,"number_rating":0,"reviews":[]}`)
	e.expect(e.do("PATCH", "/movieapi/movie/2/", bob, jsonCT, `{"title":""}`), 400, `{"title":["This field may not be blank."]}`)
	// A form PUT without the checkbox is active=false, as in an HTML form.
	e.expect(e.do("PUT", "/movieapi/movie/2/", bob, "application/x-www-form-urlencoded", `title=Form&storyline=put`), 200,
		`{"id":2,"title":"Form","storyline":"put","active":false,"avg_rating":0.0,"number_rating":0,"reviews":[]}`)
	e.expect(e.do("POST", "/movieapi/movie/2/review-create/", siva, jsonCT, `{"rating":5}`), 201,
		`{"id":1,"reviewer_name":"siva","rating":5,"description":null,"active":true,"created":"TS","update":"TS"}`)
	e.expect401(e.do("DELETE", "/movieapi/movie/2/", nil, "", ""))
	if r := e.do("DELETE", "/movieapi/movie/2/", bob, "", ""); r.status != 204 || r.body != "" {
		t.Errorf("DELETE movie: %d %q", r.status, r.body)
	}
	e.expect(e.do("GET", "/movieapi/movie/2/", nil, "", ""), 404, notFoundJSON)
	e.expect(e.do("DELETE", "/movieapi/movie/2/", bob, "", ""), 404, notFoundJSON)
	// Its reviews went with it.
	e.expect(e.do("GET", "/movieapi/movie/1/review_detail/", nil, "", ""), 404, notFoundJSON)
	// Ids are not reused (AUTOINCREMENT, as Django's SQLite tables).
	e.expect(e.do("POST", "/movieapi/movie/", siva, jsonCT, `{"title":"new","storyline":"s"}`), 201,
		`{"id":4,"title":"new","storyline":"s","active":true,"avg_rating":0.0,"number_rating":0,"reviews":[]}`)
	e.expect(e.do("POST", "/movieapi/movie/4/review-create/", siva, jsonCT, `{"rating":1}`), 201,
		`{"id":2,"reviewer_name":"siva","rating":1,"description":null,"active":true,"created":"TS","update":"TS"}`)
}

// TestAverageRating checks the tutorial's running average: the first
// rating, then (avg + rating) / 2 for each next one.
func TestAverageRating(t *testing.T) {
	e := newEnv(t)
	steps := []struct {
		user, rating, avg string
	}{
		{"11", "4", "4.0"},
		{"12", "5", "4.5"},
		{"13", "2", "3.25"},
		{"14", "3", "3.125"},
		{"15", "1", "2.0625"},
	}
	for i, s := range steps {
		r := e.do("POST", "/movieapi/movie/3/review-create/", &who{id: s.user}, jsonCT, `{"rating":`+s.rating+`}`)
		if r.status != 201 || !strings.Contains(r.body, `"reviewer_name":"user `+s.user+`"`) {
			t.Fatalf("review %d: %d %s", i, r.status, r.body)
		}
		r = e.do("GET", "/movieapi/movie/3/", nil, "", "")
		want := `"avg_rating":` + s.avg + `,"number_rating":` + string(rune('1'+i)) + `,`
		if !strings.Contains(r.body, want) {
			t.Errorf("after rating %s: %s, want %s", s.rating, r.body[:160], want)
		}
	}
	// Reviews come back ordered by id, in the movie and in the list.
	r := e.do("GET", "/movieapi/movie/3/reviews/", nil, "", "")
	for i := 1; i < len(steps); i++ {
		if strings.Index(r.body, `"user `+steps[i-1].user+`"`) > strings.Index(r.body, `"user `+steps[i].user+`"`) {
			t.Errorf("reviews out of order: %s", r.body)
		}
	}
	// Another movie is untouched.
	if r := e.do("GET", "/movieapi/movie/2/", nil, "", ""); !strings.Contains(r.body, `"avg_rating":0.0,"number_rating":0`) {
		t.Errorf("movie 2 changed: %s", r.body)
	}
}

// TestPersistence closes and reopens the database: data stays, the seed
// is not inserted twice.
func TestPersistence(t *testing.T) {
	e := newEnv(t)
	e.expect(e.do("POST", "/movieapi/movie/", siva, jsonCT, `{"title":"Kept","storyline":"across restarts"}`), 201,
		`{"id":4,"title":"Kept","storyline":"across restarts","active":true,"avg_rating":0.0,"number_rating":0,"reviews":[]}`)
	e.expect(e.do("POST", "/movieapi/movie/4/review-create/", bob, jsonCT, `{"rating":5,"description":"still here"}`), 201,
		`{"id":1,"reviewer_name":"bob","rating":5,"description":"still here","active":true,"created":"TS","update":"TS"}`)
	if r := e.do("DELETE", "/movieapi/movie/1/", siva, "", ""); r.status != 204 {
		t.Fatalf("DELETE: %d", r.status)
	}
	before := e.do("GET", "/movieapi/movie/", nil, "", "").body
	if strings.Contains(before, `{"id":1,"title"`) || !strings.Contains(before, `"Kept"`) {
		t.Fatalf("before restart: %s", before)
	}

	e.restart()
	after := e.do("GET", "/movieapi/movie/", nil, "", "").body
	if after != before {
		t.Errorf("after restart:\n%s\nwant\n%s", after, before)
	}
	// The seed is for an empty database only, and ids keep counting.
	e.expect(e.do("POST", "/movieapi/movie/", siva, jsonCT, `{"title":"Next","storyline":"s"}`), 201,
		`{"id":5,"title":"Next","storyline":"s","active":true,"avg_rating":0.0,"number_rating":0,"reviews":[]}`)
	e.expect(e.do("PATCH", "/movieapi/movie/1/review_detail/", bob, jsonCT, `{"rating":4}`), 200,
		`{"id":1,"reviewer_name":"bob","rating":4,"description":"still here","active":true,"created":"TS","update":"TS"}`)
}

// TestRouting covers Django's URL handling: HTML 404 for unknown paths,
// APPEND_SLASH redirects, JSON 404 for unknown objects.
func TestRouting(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/nope/", "/", "/movieapi/", "/movieapi", "/movieapi/movie/abc/", "/movieapi/movie/abc",
		"/movieapi/movie//", "/movieapi/movie/-1/", "/movieapi/movie/1/other/", "/movieapi/movie/1/reviews/x/"} {
		r := e.do("GET", p, nil, "", "")
		if r.status != 404 || r.body != notFound404 || r.header.Get("Content-Type") != "text/html" || len(r.body) != 179 {
			t.Errorf("GET %s: %d %q %q", p, r.status, r.header.Get("Content-Type"), r.body)
		}
	}
	for _, c := range []struct{ method, path, location string }{
		{"GET", "/movieapi/movie", "/movieapi/movie/"},
		{"GET", "/movieapi/movie/1", "/movieapi/movie/1/"},
		{"PUT", "/movieapi/movie/1?x=1&y=2", "/movieapi/movie/1/?x=1&y=2"},
		{"GET", "/movieapi/movie/1/reviews", "/movieapi/movie/1/reviews/"},
		{"POST", "/movieapi/movie/1/review-create", "/movieapi/movie/1/review-create/"},
		{"DELETE", "/movieapi/movie/7/review_detail", "/movieapi/movie/7/review_detail/"},
	} {
		r := e.do(c.method, c.path, siva, jsonCT, `{"rating":3}`)
		if r.status != 301 || r.header.Get("Location") != c.location || r.body != "" ||
			r.header.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Errorf("%s %s: %d Location %q body %q", c.method, c.path, r.status, r.header.Get("Location"), r.body)
		}
	}
	e.expect(e.do("GET", "/movieapi/movie/999/", nil, "", ""), 404, notFoundJSON)
	e.expect(e.do("GET", "/movieapi/movie/99999999999999999999/", nil, "", ""), 404, notFoundJSON)
	e.expect(e.do("GET", "/movieapi/movie/001/", nil, "", ""), 200, seedMovie1)
	e.expect(e.do("GET", "/movieapi/movie/007/", nil, "", ""), 404, notFoundJSON)
	e.expect(e.do("GET", "/movieapi/movie/999/reviews/", nil, "", ""), 200, `[]`)
	e.expect(e.do("POST", "/movieapi/movie/999/review-create/", siva, jsonCT, `{"rating":3}`), 404, notFoundJSON)
	// Validation comes before the movie lookup, as in ReviewCreate.
	e.expect(e.do("POST", "/movieapi/movie/999/review-create/", siva, jsonCT, `{}`), 400, `{"rating":["This field is required."]}`)

	r := e.do("GET", "/healthz", nil, "", "")
	if r.status != 200 || r.body != "ok" {
		t.Errorf("healthz: %d %q", r.status, r.body)
	}
}

// TestMethods checks the permission-then-method order and 405 + Allow.
func TestMethods(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		method, path string
		as           *who
		status       int
		allow, body  string
	}{
		{"DELETE", "/movieapi/movie/", nil, 401, listAllow, notAuthenticated},
		{"DELETE", "/movieapi/movie/", siva, 405, listAllow, `{"detail":"Method \"DELETE\" not allowed."}`},
		{"PUT", "/movieapi/movie/", siva, 405, listAllow, `{"detail":"Method \"PUT\" not allowed."}`},
		{"FOO", "/movieapi/movie/", nil, 401, listAllow, notAuthenticated},
		{"POST", "/movieapi/movie/1/", nil, 401, detailAllow, notAuthenticated},
		{"POST", "/movieapi/movie/1/", siva, 405, detailAllow, `{"detail":"Method \"POST\" not allowed."}`},
		{"POST", "/movieapi/movie/1/reviews/", nil, 405, "GET, HEAD, OPTIONS", `{"detail":"Method \"POST\" not allowed."}`},
		{"DELETE", "/movieapi/movie/1/reviews/", siva, 405, "GET, HEAD, OPTIONS", `{"detail":"Method \"DELETE\" not allowed."}`},
		{"GET", "/movieapi/movie/1/review-create/", nil, 401, "POST, OPTIONS", notAuthenticated},
		{"GET", "/movieapi/movie/1/review-create/", siva, 405, "POST, OPTIONS", `{"detail":"Method \"GET\" not allowed."}`},
		{"OPTIONS", "/movieapi/movie/1/review-create/", nil, 401, "POST, OPTIONS", notAuthenticated},
		{"POST", "/movieapi/movie/1/review_detail/", nil, 405, detailAllow, `{"detail":"Method \"POST\" not allowed."}`},
		{"POST", "/movieapi/movie/1/review_detail/", bob, 405, detailAllow, `{"detail":"Method \"POST\" not allowed."}`},
	} {
		r := e.do(c.method, c.path, c.as, "", "")
		if r.status != c.status || r.body != c.body || r.header.Get("Allow") != c.allow {
			t.Errorf("%s %s as %v: %d Allow %q %s", c.method, c.path, c.as, r.status, r.header.Get("Allow"), r.body)
		}
		if (r.status == 401) != (r.header.Get("WWW-Authenticate") == `Bearer realm="api"`) {
			t.Errorf("%s %s: status %d with WWW-Authenticate %q", c.method, c.path, r.status, r.header.Get("WWW-Authenticate"))
		}
	}
	r := e.do("HEAD", "/movieapi/movie/", nil, "", "")
	if r.status != 200 || r.body != "" || r.header.Get("Content-Length") != "498" {
		t.Errorf("HEAD: %d Content-Length %q body %q", r.status, r.header.Get("Content-Length"), r.body)
	}
}

// TestOptions checks DRF's metadata: actions only where the user may write.
func TestOptions(t *testing.T) {
	e := newEnv(t)
	const head = `{"name":"Movie List","description":"GET public, POST authenticated.","renders":["application/json","text/html"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"]`
	e.expect(e.do("OPTIONS", "/movieapi/movie/", nil, "", ""), 200, head+`}`)
	r := e.do("OPTIONS", "/movieapi/movie/", siva, "", "")
	if !strings.HasPrefix(r.body, head+`,"actions":{"POST":{"id":{"type":"integer"`) ||
		!strings.HasSuffix(r.body, `"update":{"type":"datetime","required":false,"read_only":true,"label":"Update"}}}}}}}`) {
		t.Errorf("OPTIONS movie list as siva: %s", r.body)
	}
	e.do("POST", "/movieapi/movie/1/review-create/", siva, jsonCT, `{"rating":3}`)
	const detail = `{"name":"Review Detail","description":"movie/<pk>/review_detail/ -- pk is the REVIEW id (tutorial layout).","renders":["application/json","text/html"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"]`
	e.expect(e.do("OPTIONS", "/movieapi/movie/1/review_detail/", bob, "", ""), 200, detail+`}`)
	e.expect(e.do("OPTIONS", "/movieapi/movie/1/review_detail/", nil, "", ""), 200, detail+`}`)
	e.expect(e.do("OPTIONS", "/movieapi/movie/1/review_detail/", siva, "", ""), 200, detail+`,"actions":{"PUT":`+reviewFieldsMeta+`}}`)
}

// TestBodies covers DRF's parsers and field validation.
func TestBodies(t *testing.T) {
	e := newEnv(t)
	const movies = "/movieapi/movie/"
	const create = "/movieapi/movie/1/review-create/"
	const form = "application/x-www-form-urlencoded"
	for _, c := range []struct {
		path, ct, body string
		status         int
		want           string
	}{
		{movies, "text/plain", "x", 415, `{"detail":"Unsupported media type \"text/plain\" in request."}`},
		{movies, "", "x", 415, `{"detail":"Unsupported media type \"\" in request."}`},
		{movies, "application/json-patch+json", "{}", 415, `{"detail":"Unsupported media type \"application/json-patch+json\" in request."}`},
		{movies, "", "", 400, `{"title":["This field is required."],"storyline":["This field is required."]}`},
		{movies, jsonCT, `{}`, 400, `{"title":["This field is required."],"storyline":["This field is required."]}`},
		{movies, jsonCT, `{"title":"","storyline":"   "}`, 400, `{"title":["This field may not be blank."],"storyline":["This field may not be blank."]}`},
		{movies, jsonCT, `{"title":null,"storyline":5,"active":"maybe"}`, 400, `{"title":["This field may not be null."],"active":["Must be a valid boolean."]}`},
		{movies, jsonCT, `{"title":true,"storyline":[1],"active":[]}`, 400, `{"title":["Not a valid string."],"storyline":["Not a valid string."],"active":["Must be a valid boolean."]}`},
		{movies, jsonCT, `{"title":"` + strings.Repeat("a", 101) + `","storyline":"` + strings.Repeat("é", 501) + `"}`, 400,
			`{"title":["Ensure this field has no more than 100 characters."],"storyline":["Ensure this field has no more than 500 characters."]}`},
		{movies, jsonCT, `{"title":"a\u0000b","storyline":"\ud800x"}`, 400, `{"title":["Null characters are not allowed."],"storyline":["Surrogate characters are not allowed: U+D800."]}`},
		{movies, jsonCT, `[1]`, 400, `{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}`},
		{movies, jsonCT, `"abc"`, 400, `{"non_field_errors":["Invalid data. Expected a dictionary, but got str."]}`},
		{movies, jsonCT, `null`, 400, `{"non_field_errors":["No data provided"]}`},
		{movies, jsonCT, `{"title":[`, 400, `{"detail":"JSON parse error - Expecting value: line 1 column 11 (char 10)"}`},
		{movies, jsonCT, `{"username":"siva",`, 400, `{"detail":"JSON parse error - Expecting property name enclosed in double quotes: line 1 column 20 (char 19)"}`},
		{movies, jsonCT, "{\n\"é\":\n x}", 400, `{"detail":"JSON parse error - Expecting value: line 3 column 2 (char 8)"}`},
		{movies, jsonCT, `{"title":NaN}`, 400, `{"detail":"JSON parse error - Out of range float values are not JSON compliant: 'NaN'"}`},
		{movies, jsonCT, "{\"t\":\"\xff\"}", 400, `{"detail":"JSON parse error - 'utf-8' codec can't decode byte 0xff in position 6: invalid start byte"}`},
		{movies, "Application/JSON; charset=utf-8", `{"title":" T1 ","storyline":1.5e-7,"active":"false","avg_rating":3,"id":99,"reviews":[1]}`, 201,
			`{"id":4,"title":"T1","storyline":"1.5e-07","active":false,"avg_rating":0.0,"number_rating":0,"reviews":[]}`},
		{movies, form, `title=form+2&storyline=%E2%82%AC%ZZ&active=`, 201,
			`{"id":5,"title":"form 2","storyline":"€%ZZ","active":true,"avg_rating":0.0,"number_rating":0,"reviews":[]}`},
		{movies, form, `title=form&storyline=enc`, 201,
			`{"id":6,"title":"form","storyline":"enc","active":false,"avg_rating":0.0,"number_rating":0,"reviews":[]}`},
		{movies, "multipart/form-data", "x", 400, `{"detail":"Multipart form parse error - Invalid boundary in multipart: None"}`},
		{create, jsonCT, `{"rating":0,"description":"","active":null}`, 400,
			`{"rating":["Ensure this value is greater than or equal to 1."],"description":["This field may not be blank."],"active":["This field may not be null."]}`},
		{create, jsonCT, `{"rating":"x","description":"` + strings.Repeat("d", 201) + `"}`, 400,
			`{"rating":["A valid integer is required."],"description":["Ensure this field has no more than 200 characters."]}`},
		{create, jsonCT, `{"rating":4.5}`, 400, `{"rating":["A valid integer is required."]}`},
		{create, jsonCT, `{"rating":true}`, 400, `{"rating":["A valid integer is required."]}`},
		{create, jsonCT, `{"rating":""}`, 400, `{"rating":["A valid integer is required."]}`},
		{create, jsonCT, `{"rating":1e2}`, 400, `{"rating":["Ensure this value is less than or equal to 5."]}`},
		{create, jsonCT, `{"rating":100000000000000000000000}`, 400, `{"rating":["Ensure this value is less than or equal to 5."]}`},
		{create, jsonCT, `{"rating":"` + strings.Repeat("1", 1001) + `"}`, 400, `{"rating":["String value too large."]}`},
		{create, form, `rating=`, 400, `{"rating":["A valid integer is required."]}`},
		{create, jsonCT, `{"rating":" 4.0 ","description":"  nice  ","active":"f"}`, 201,
			`{"id":1,"reviewer_name":"siva","rating":4,"description":"nice","active":false,"created":"TS","update":"TS"}`},
	} {
		r := e.do("POST", c.path, siva, c.ct, c.body)
		e.expect(r, c.status, c.want)
		if r.header.Get("WWW-Authenticate") != "" {
			t.Errorf("WWW-Authenticate on a %d", r.status)
		}
	}

	// multipart: fields, an empty description is null, no checkbox is false.
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("rating", "3")
	mw.WriteField("description", "")
	mw.Close()
	e.expect(e.do("POST", "/movieapi/movie/2/review-create/", bob, mw.FormDataContentType(), b.String()), 201,
		`{"id":2,"reviewer_name":"bob","rating":3,"description":null,"active":false,"created":"TS","update":"TS"}`)
	// A form PUT without the checkbox sets active=false; a PATCH leaves it.
	e.expect(e.do("PATCH", "/movieapi/movie/2/review_detail/", bob, form, `active=on`), 200,
		`{"id":2,"reviewer_name":"bob","rating":3,"description":null,"active":true,"created":"TS","update":"TS"}`)
	e.expect(e.do("PATCH", "/movieapi/movie/2/review_detail/", bob, form, `description=x`), 200,
		`{"id":2,"reviewer_name":"bob","rating":3,"description":"x","active":true,"created":"TS","update":"TS"}`)
	e.expect(e.do("PUT", "/movieapi/movie/2/review_detail/", bob, form, `rating=5`), 200,
		`{"id":2,"reviewer_name":"bob","rating":5,"description":"x","active":false,"created":"TS","update":"TS"}`)
	// No HTML escaping; U+2028 escaped as DRF does.
	e.expect(e.do("PATCH", "/movieapi/movie/2/review_detail/", bob, jsonCT, `{"description":"<b>&é\u2028\"</b>"}`), 200,
		`{"id":2,"reviewer_name":"bob","rating":5,"description":"<b>&é\u2028\"</b>","active":false,"created":"TS","update":"TS"}`)
	// Too large.
	r := e.do("POST", movies, siva, jsonCT, `{"title":"`+strings.Repeat("a", maxBodyBytes)+`"}`)
	e.expect(r, 413, `{"detail":"Request body too large."}`)
}

// TestIdentityHeaders checks configurable header names, the fallback
// reviewer name and the decoding of the gateway's percent-encoded
// username.
func TestIdentityHeaders(t *testing.T) {
	e := newEnv(t)
	e.stop()
	e.cfg = config{UserIDHeader: "X-Auth-Uid", UsernameHeader: "X-Auth-Name"}
	e.start()
	// The default names mean nothing now.
	e.expect401(e.do("POST", "/movieapi/movie/1/review-create/", siva, jsonCT, `{"rating":3}`))
	post := func(hdr map[string]string) resp {
		req, _ := http.NewRequest("POST", e.srv.URL+"/movieapi/movie/1/review-create/", strings.NewReader(`{"rating":3}`))
		req.Header.Set("Content-Type", jsonCT)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		res, err := e.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return resp{res.StatusCode, res.Header, string(b)}
	}
	e.expect401(post(map[string]string{"X-Auth-Uid": "not-a-number"}))
	e.expect(post(map[string]string{"X-Auth-Uid": "42", "X-Auth-Name": "alice"}), 201,
		`{"id":1,"reviewer_name":"alice","rating":3,"description":null,"active":true,"created":"TS","update":"TS"}`)
	e.expect(post(map[string]string{"X-Auth-Uid": "42", "X-Auth-Name": "alice"}), 400, `["You have already reviewed this movie!"]`)
	e.expect(post(map[string]string{"X-Auth-Uid": "43"}), 201,
		`{"id":2,"reviewer_name":"user 43","rating":3,"description":null,"active":true,"created":"TS","update":"TS"}`)
	// The gateway percent-encodes the username.
	e.expect(post(map[string]string{"X-Auth-Uid": "44", "X-Auth-Name": "Jos%C3%A9"}), 201,
		`{"id":3,"reviewer_name":"José","rating":3,"description":null,"active":true,"created":"TS","update":"TS"}`)
	// "Only the reviewer" compares ids, not names.
	req, _ := http.NewRequest("PATCH", e.srv.URL+"/movieapi/movie/1/review_detail/", strings.NewReader(`{"rating":1}`))
	req.Header.Set("Content-Type", jsonCT)
	req.Header.Set("X-Auth-Uid", "43")
	req.Header.Set("X-Auth-Name", "alice")
	res, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 403 {
		t.Errorf("PATCH by another id with the same name: %d, want 403", res.StatusCode)
	}
}

// TestConcurrentReviews sends the same review many times at once: the
// check and the insert share a transaction, so exactly one wins and the
// movie counts it once.
func TestConcurrentReviews(t *testing.T) {
	e := newEnv(t)
	const n = 12
	statuses := make(chan int, n)
	for range n {
		go func() {
			req, _ := http.NewRequest("POST", e.srv.URL+"/movieapi/movie/2/review-create/", strings.NewReader(`{"rating":3}`))
			req.Header.Set("Content-Type", jsonCT)
			req.Header.Set("X-User-Id", "5")
			res, err := e.client.Do(req)
			if err != nil {
				statuses <- 0
				return
			}
			res.Body.Close()
			statuses <- res.StatusCode
		}()
	}
	count := map[int]int{}
	for range n {
		count[<-statuses]++
	}
	if count[201] != 1 || count[400] != n-1 {
		t.Errorf("statuses %v, want one 201 and %d 400s", count, n-1)
	}
	if r := e.do("GET", "/movieapi/movie/2/", nil, "", ""); !strings.Contains(r.body, `"avg_rating":3.0,"number_rating":1,`) {
		t.Errorf("movie after the race: %s", r.body)
	}
}
