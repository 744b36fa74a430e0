package seedflow

import (
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
	"github.com/jwtgate/jwtgate/internal/djangoref"
	"github.com/jwtgate/jwtgate/internal/testenv"
)

// djangoUpstreamEnv are the only settings the seed's Django project needs
// to run behind the gateway (README: "Putting jwtgate in front of your own
// backend"): contrib/django's authentication class instead of simplejwt's.
func djangoUpstreamEnv() []string {
	return []string{
		"DRF_AUTHENTICATION_CLASSES=jwtgate_django.JWTGateAuthentication",
		"DJANGO_EXTRA_PYTHONPATH=" + filepath.Join(harness.RepoRoot, "contrib", "django"),
	}
}

// TestContribDjangoUnit runs contrib/django's own tests on Debian's Django
// and DRF, and PyJWT for the identity assertion's.
func TestContribDjangoUnit(t *testing.T) {
	testenv.Python(t, djangoref.Python(), "python3-djangorestframework python3-jwt python3-cryptography",
		"django", "rest_framework", "jwt", "cryptography")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, djangoref.Python(), "-m", "unittest", "discover", "-v", "-s", filepath.Join(harness.RepoRoot, "contrib", "django"))
	cmd.Env = djangoref.Env(t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "\nOK") || strings.Contains(string(out), "skipped") {
		t.Fatalf("python3 -m unittest discover -s contrib/django: %v\n%s", err, out)
	}
	t.Logf("%s", harness.Tail(string(out), 600))
}

// TestPostmanAgainstDjango runs the seed's own Django app (views,
// serializers and URLs of testdata/django_ref unchanged, only its
// authentication class switched to contrib/django's) behind the gateway,
// the gateway and Django sharing one database: the Postman collection
// passes through the gateway, then a second user (with a non-ASCII name)
// registered at the gateway is refused siva's review with Django's 403 and
// writes a review Django signs with that name exactly.
func TestPostmanAgainstDjango(t *testing.T) {
	items := len(loadCollection(t))
	newmanBin(t)
	t.Run("SQLite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "shared.sqlite3")
		dj := harness.StartDjango(t, harness.DjangoOptions{SQLitePath: path, Env: djangoUpstreamEnv()})
		djangoFlow(t, items, dj, map[string]string{"JWTGATE_DB_PATH": path}, "false")
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		name, dbURL := harness.NewPostgresDB(t)
		dj := harness.StartDjango(t, harness.DjangoOptions{PostgresDB: name, Env: djangoUpstreamEnv()})
		djangoFlow(t, items, dj, map[string]string{"DATABASE_URL": dbURL,
			"ROTATE_REFRESH_TOKENS": "true", "BLACKLIST_AFTER_ROTATION": "true"}, "true")
	})
}

func djangoFlow(t *testing.T, items int, dj *harness.Django, env map[string]string, rotate string) {
	g := harness.StartGateway(t, harness.GatewayOptions{Upstream: dj.Addr, Env: env})
	want := map[string]string{"4. ": "status is 201", "10. ": "body: the review, rating 5, reviewer unchanged"}
	if rotate == "true" {
		want["12. "] = `body is exactly {"detail":"Token is blacklisted","code":"token_not_valid"}`
	} else {
		want["12. "] = "body has exactly the key access (the token is s"
	}
	checkReport(t, runNewman(t, g.URL, rotate), items, want)

	// siva's review, written through the gateway, is signed by siva in Django.
	r := doRaw(t, "GET", g.URL+"/movieapi/movie/1/reviews/", "")
	var reviews []review
	if err := json.Unmarshal([]byte(r.Body), &reviews); err != nil || len(reviews) != 1 || reviews[0].ReviewerName != "siva" {
		t.Fatalf("Django's reviews of movie 1: %d %s", r.Status, r.Body)
	}
	sivas := reviews[0]

	// A second user, registered at the gateway (in the shared auth_user).
	const name, pw = "Zoë_日本", "Zoe-pass-7c1e9a"
	reg := doRaw(t, "POST", g.URL+"/userprofiles/register/",
		`{"username":"`+name+`","email":"zoe@example.com","password":"`+pw+`","password2":"`+pw+`"}`, jsonCT)
	if reg.Status != http.StatusCreated {
		t.Fatalf("register %s: %d %s", name, reg.Status, reg.Body)
	}
	access, _ := g.Login(t, name, pw)

	harness.Expect(t, "Zoë's PUT on siva's review (Django's IsReviewerOrReadOnly)",
		doRaw(t, "PUT", reviewURL(g.URL, sivas.ID), `{"rating":1}`, jsonCT, bearer(access)), http.StatusForbidden, forbidden)
	harness.Expect(t, "Zoë's DELETE of siva's review",
		doRaw(t, "DELETE", reviewURL(g.URL, sivas.ID), "", bearer(access)), http.StatusForbidden, forbidden)
	if after := decodeReview(t, "siva's review after Zoë's attempts", doRaw(t, "GET", reviewURL(g.URL, sivas.ID), ""), http.StatusOK); !same(after, sivas) {
		t.Errorf("siva's review changed: %+v, was %+v", after, sivas)
	}

	mine := decodeReview(t, "Zoë's review of movie 2", doRaw(t, "POST", g.URL+"/movieapi/movie/2/review-create/",
		`{"rating":3,"description":"ok"}`, jsonCT, bearer(access)), http.StatusCreated)
	if mine.ReviewerName != name {
		t.Errorf("Django signed Zoë's review %q, want %q", mine.ReviewerName, name)
	}
	// and Zoë may edit her own review, not siva's
	if rv := decodeReview(t, "Zoë's PUT on her review", doRaw(t, "PUT", reviewURL(g.URL, mine.ID), `{"rating":4}`, jsonCT, bearer(access)), http.StatusOK); rv.Rating != 4 || rv.ReviewerName != name {
		t.Errorf("Zoë's PUT on her review: %+v", rv)
	}
}
