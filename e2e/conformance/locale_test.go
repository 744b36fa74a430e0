package conformance

import (
	"net/http"
	"strings"
	"testing"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
	"github.com/jwtgate/jwtgate/internal/djangoref"
)

// TestLocaleConformance runs token-route and Bearer-check refusals against
// the reference with LocaleMiddleware on and the gateway reading the same
// Django installation's catalogs (locale_dirs), for clients asking for
// several languages, and compares status, body (byte for byte) and
// Content-Language.
func TestLocaleConformance(t *testing.T) {
	template := prepareReference(t)
	dirs, err := djangoref.LocaleDirs()
	if err != nil {
		t.Fatal(err)
	}
	m := modes[0]
	ref := startReference(t, m, template, "DJANGO_LOCALE_MIDDLEWARE=1")
	gw := startGateway(t, m, "locale_dirs "+strings.Join(dirs, " "))
	type req struct {
		name, method, path, body string
		header                   []string
	}
	reqs := []req{
		// An unknown user, one per language, stays under the gateway's
		// login throttle (5 failures per account).
		{"obtain: unknown user", http.MethodPost, "/userprofiles/api/token/", `{"username":"nobody-LANG","password":"nope"}`, nil},
		{"obtain: no fields", http.MethodPost, "/userprofiles/api/token/", `{}`, nil},
		{"refresh: blank", http.MethodPost, "/userprofiles/api/token/refresh/", `{"refresh":""}`, nil},
		{"refresh: garbage", http.MethodPost, "/userprofiles/api/token/refresh/", `{"refresh":"garbage"}`, nil},
		{"verify: garbage", http.MethodPost, "/userprofiles/api/token/verify/", `{"token":"x.y.z"}`, nil},
		{"obtain: GET", http.MethodGet, "/userprofiles/api/token/", "", nil},
		{"users: no token", http.MethodGet, "/userprofiles/users/", "", nil},
		{"users: bad token", http.MethodGet, "/userprofiles/users/", "", []string{"Authorization: Bearer garbage"}},
		{"users: bad header", http.MethodGet, "/userprofiles/users/", "", []string{"Authorization: Bearer a b"}},
	}
	langs := []string{"de", "fr", "es", "pt-BR", "ru-RU", "zh-Hans", "de-CH,fr;q=0.5", "xx", "fr;q=0.1, es;q=0.9"}
	for _, lang := range langs {
		for _, rq := range reqs {
			t.Run(lang+"/"+rq.name, func(t *testing.T) {
				do := func(base string) harness.Response {
					h := append([]string{"Accept-Language: " + lang, "Content-Type: application/json"}, rq.header...)
					var body *strings.Reader
					if rq.body != "" {
						body = strings.NewReader(strings.ReplaceAll(rq.body, "LANG", lang))
						return harness.Do(t, rq.method, base+rq.path, body, h...)
					}
					return harness.Do(t, rq.method, base+rq.path, nil, h...)
				}
				r, g := do(ref.url), do(gw.url)
				if r.Status != g.Status || r.Body != g.Body {
					t.Errorf("reference %d %s\ngateway   %d %s", r.Status, r.Body, g.Status, g.Body)
				}
				if rc, gc := r.Header.Get("Content-Language"), g.Header.Get("Content-Language"); rc != gc {
					t.Errorf("Content-Language: reference %q, gateway %q", rc, gc)
				}
			})
		}
	}
}
