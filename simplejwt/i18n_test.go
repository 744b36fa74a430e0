package simplejwt

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/internal/djangoref"
	"github.com/jwtgate/jwtgate/internal/testenv"
	sjt "github.com/jwtgate/jwtgate/simplejwt/simplejwttest"
)

// localeDirs finds the installed Django, DRF and simplejwt catalogs, in the
// reference's precedence (rest_framework before rest_framework_simplejwt,
// Django's own last).
func localeDirs(t *testing.T) []string {
	t.Helper()
	py := djangoref.Python()
	testenv.Python(t, py, "python3-django python3-djangorestframework python3-djangorestframework-simplejwt",
		"django", "rest_framework", "rest_framework_simplejwt")
	dirs, err := djangoref.LocaleDirs()
	if err != nil {
		t.Fatal(err)
	}
	return dirs
}

// djangoGettext translates msgids with the real Django in each language.
func djangoGettext(t *testing.T, langs, msgids []string) map[string][]string {
	t.Helper()
	in, _ := json.Marshal(map[string]any{"langs": langs, "msgids": msgids})
	cmd := exec.Command(djangoref.Python(), "-c", `
import json, sys, django
from django.conf import settings
req = json.load(sys.stdin)
settings.configure(INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework", "rest_framework_simplejwt"],
    USE_I18N=True, SECRET_KEY="test-only")
django.setup()
from django.utils import translation
out = {}
for l in req["langs"]:
    with translation.override(l):
        out[l] = [translation.gettext(m) for m in req["msgids"]]
json.dump(out, sys.stdout)`)
	cmd.Stdin = bytes.NewReader(in)
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("Django: %v", err)
	}
	var out map[string][]string
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestLocalizedRefusals: the Bearer check and the views answer in the
// language of Accept-Language, with Django's translations (read from
// Django at test time, none is in the repository), Content-Language and
// Vary; an unknown language gets LANGUAGE_CODE's English.
func TestLocalizedRefusals(t *testing.T) {
	dirs := localeDirs(t)
	loc, err := NewLocales(LocalesConfig{Dirs: dirs})
	if err != nil {
		t.Fatal(err)
	}
	msgs := []string{"Authentication credentials were not provided.", "Token is invalid or expired",
		"Given token not valid for any token type", "This field is required."}
	langs := []string{"de", "fr", "es", "pt-br", "ru", "zh-hans"}
	want := djangoGettext(t, langs, msgs)
	e := newViewEnv(t, vtOptions{})
	e.auth, err = NewAuthenticator(e.Codec, e.Users, Settings{Locales: loc})
	if err != nil {
		t.Fatal(err)
	}
	e.svc.auth, e.svc.locales = e.auth, loc
	for _, h := range []string{"de-DE,de;q=0.9", "fr", "es-ES", "pt-BR", "ru-RU", "zh-Hans", "xx-YY"} {
		lang := strings.ToLower(strings.SplitN(strings.SplitN(h, ",", 2)[0], "-", 2)[0])
		switch h {
		case "pt-BR":
			lang = "pt-br"
		case "zh-Hans":
			lang = "zh-hans"
		}
		tr := func(k int) string {
			if w, ok := want[lang]; ok {
				return w[k]
			}
			return msgs[k]
		}
		r := langReq(http.MethodGet, h)
		if got := string(e.auth.NotProvided(r).Err().Body); got != `{"detail":`+quote(tr(0))+`}` {
			t.Errorf("%s: not provided %s", h, got)
		}
		r = sjt.Bearer(langReq(http.MethodGet, h), "garbage")
		res := e.auth.Check(r, Optional, time.Now())
		body := string(res.Err().Body)
		if !strings.Contains(body, quote(tr(2))) || !strings.Contains(body, quote(tr(1))) {
			t.Errorf("%s: invalid token %s", h, body)
		}
		w := httptest.NewRecorder()
		e.svc.ServeView(Refresh, w, withLang(sjt.JSON(`{}`), h))
		resp := sjt.Resp{Code: w.Code, Header: w.Result().Header, Body: w.Body.String()}
		if resp.Body != `{"refresh":[`+quote(tr(3))+`]}` {
			t.Errorf("%s: refresh without a token %s", h, resp.Body)
		}
		if cl := resp.Header.Get("Content-Language"); h != "xx-YY" && cl != lang {
			t.Errorf("%s: Content-Language %q", h, cl)
		}
		if v := resp.Header.Get("Vary"); v != "Accept, Accept-Language" {
			t.Errorf("%s: Vary %q", h, v)
		}
	}
	// Refusals choose a precomputed body: no allocation beyond reading the
	// header.
	r := sjt.Bearer(langReq(http.MethodGet, "de"), "garbage")
	if n := testing.AllocsPerRun(100, func() {
		sink = e.auth.Check(r, Optional, time.Now())
	}); n != 0 {
		t.Errorf("a localized refusal allocates %v times", n)
	}
}

func langReq(method, acceptLanguage string) *http.Request {
	return withLang(sjt.Req(method), acceptLanguage)
}

func withLang(r *http.Request, h string) *http.Request {
	r.Header.Set("Accept-Language", h)
	return r
}
