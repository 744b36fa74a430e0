package gettext

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/internal/djangoref"
	"github.com/jwtgate/jwtgate/internal/testenv"
)

// buildMO writes a little-endian .mo catalog of pairs (id, translation).
func buildMO(pairs ...string) []byte {
	n := len(pairs) / 2
	var strs bytes.Buffer
	hdr := 28
	orig, trans := hdr, hdr+8*n
	base := hdr + 16*n
	tab := make([]byte, 16*n)
	for i := 0; i < n; i++ {
		for k, tabOff := range []int{0, 8 * n} {
			s := pairs[2*i+k]
			binary.LittleEndian.PutUint32(tab[tabOff+8*i:], uint32(len(s)))
			binary.LittleEndian.PutUint32(tab[tabOff+8*i+4:], uint32(base+strs.Len()))
			strs.WriteString(s)
			strs.WriteByte(0)
		}
	}
	out := make([]byte, hdr)
	binary.LittleEndian.PutUint32(out[0:], moMagicLE)
	binary.LittleEndian.PutUint32(out[8:], uint32(n))
	binary.LittleEndian.PutUint32(out[12:], uint32(orig))
	binary.LittleEndian.PutUint32(out[16:], uint32(trans))
	return append(append(out, tab...), strs.Bytes()...)
}

func TestParseMO(t *testing.T) {
	data := buildMO("", "Content-Type: text/plain; charset=UTF-8\n", "Hello", "Salut",
		"ctx\x04Hello", "Bonjour", "one file\x00%d files", "un fichier\x00%d fichiers")
	m, err := ParseMO(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"Hello": "Salut", "one file": "un fichier"}
	if len(m) != len(want) || m["Hello"] != "Salut" || m["one file"] != "un fichier" {
		t.Errorf("ParseMO = %q, want %q", m, want)
	}
	if m, _ := ParseMO(data, func(id string) bool { return id == "Hello" }); len(m) != 1 {
		t.Errorf("keep: %q", m)
	}
	corrupt := map[string][]byte{
		"empty":       nil,
		"bad magic":   append([]byte("GIF89a"), data[6:]...),
		"truncated":   data[:len(data)-3],
		"huge count":  patch(data, 8, 0x7fffffff),
		"table out":   patch(data, 12, uint32(len(data))),
		"string out":  patch(data, 28+4, uint32(len(data)+10)),
		"revision 2":  patch(data, 4, 2<<16),
		"no NUL":      bytes.ReplaceAll(data, []byte("Salut\x00"), []byte("Salut!")),
		"length wrap": patch(data, 28, 0xffffffff),
	}
	for name, d := range corrupt {
		if _, err := ParseMO(d, nil); err == nil {
			t.Errorf("%s: ParseMO accepted it", name)
		}
	}
	path := filepath.Join(t.TempDir(), "django.mo")
	os.WriteFile(path, corrupt["truncated"], 0o600)
	if _, err := ReadMO(path, nil); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("ReadMO of a corrupt file: %v, want an error naming it", err)
	}
}

func patch(data []byte, off int, v uint32) []byte {
	d := bytes.Clone(data)
	binary.LittleEndian.PutUint32(d[off:], v)
	return d
}

func TestLoadRefuses(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(Config{Dirs: []string{filepath.Join(dir, "nope")}}); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("missing dir: %v", err)
	}
	if _, err := Load(Config{Dirs: []string{dir}}); err == nil || !strings.Contains(err.Error(), "holds no") {
		t.Errorf("empty dir: %v", err)
	}
	os.MkdirAll(filepath.Join(dir, "de", "LC_MESSAGES"), 0o700)
	bad := filepath.Join(dir, "de", "LC_MESSAGES", "django.mo")
	os.WriteFile(bad, []byte("garbage garbage garbage garbage"), 0o600)
	if _, err := Load(Config{Dirs: []string{dir}}); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("corrupt catalog: %v, want an error naming %s", err, bad)
	}
}

// debianDirs finds the locale directories of the installed Django, DRF and
// simplejwt, in the reference's precedence (INSTALLED_APPS lists
// rest_framework before rest_framework_simplejwt; Django's own last).
func debianDirs(t *testing.T) []string {
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

// pyDjango answers, with the real Django, what get_language_from_request
// picks for each Accept-Language header and what gettext gives for each
// msgid in each language.
const pyDjango = `
import json, sys
import django
from django.conf import settings
req = json.load(sys.stdin)
settings.configure(INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework", "rest_framework_simplejwt"],
    LANGUAGE_CODE=req["language_code"], USE_I18N=True, SECRET_KEY="test-only", ALLOWED_HOSTS=["*"])
django.setup()
from django.test import RequestFactory
from django.utils import translation
rf = RequestFactory()
out = {"negotiated": [], "translations": {}}
for h in req["headers"]:
    r = rf.get("/", HTTP_ACCEPT_LANGUAGE=h)
    out["negotiated"].append(translation.get_language_from_request(r))
for lang in req["languages"]:
    with translation.override(lang):
        out["translations"][lang] = [translation.gettext(m) for m in req["msgids"]]
json.dump(out, sys.stdout)
`

var testMsgids = []string{
	"Authentication credentials were not provided.",
	"This field is required.",
	"Token is invalid or expired",
	"Given token not valid for any token type",
	"User not found",
	"No active account found with the given credentials",
	"Token is blacklisted",
	"Method \"{method}\" not allowed.",
	"Not found.",
}

var testHeaders = []string{
	"", "de", "de-CH", "de-ch,en;q=0.5", "fr-FR,fr;q=0.9,en;q=0.8", "es", "pt-BR", "pt-br;q=0.1, ru-RU;q=0.2",
	"ru-RU", "zh-Hans", "zh-CN", "zh-TW", "en-GB", "xx", "*", "*, de", "de;q=0", "ko", "id", "sr-latn",
	"garbage!!", "de;q=1.5", "de;q=0.1234", "de\n", "de ,fr", "de, fr;q=1.0", "fr;Q=0.5, de;q=0.4",
	"nb", "no", "fr-xx", "en-us", "it-IT,it;q=0.9", strings.Repeat("x-", 300) + "de",
	strings.Repeat("de;q=0.1,", 60) + "fr", "ar-dz", "uk", "\xa0de", "de\xa0,fr",
}

// TestMatchesDjango compares negotiation and translations with the real
// Django over the Debian catalogs, for two LANGUAGE_CODEs. The expected
// translations come from Django at test time: none is in the repository.
func TestMatchesDjango(t *testing.T) {
	dirs := debianDirs(t)
	for _, lc := range []string{"en-us", "fr", "de-ch"} {
		set, err := Load(Config{Dirs: dirs, LanguageCode: lc, Msgids: testMsgids})
		if err != nil {
			t.Fatal(err)
		}
		langs := []string{"de", "fr", "es", "pt-br", "ru", "zh-hans", "id", "ko", "en", lc}
		// WSGI decodes header bytes as Latin-1.
		headers := make([]string, len(testHeaders))
		for i, h := range testHeaders {
			r := make([]rune, len(h))
			for k := range len(h) {
				r[k] = rune(h[k])
			}
			headers[i] = string(r)
		}
		in, _ := json.Marshal(map[string]any{"language_code": lc, "headers": headers, "languages": langs, "msgids": testMsgids})
		cmd := exec.Command(djangoref.Python(), "-c", pyDjango)
		cmd.Stdin = bytes.NewReader(in)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		raw, err := cmd.Output()
		if err != nil {
			t.Fatalf("Django: %v\n%s", err, stderr.Bytes())
		}
		var want struct {
			Negotiated   []string
			Translations map[string][]string
		}
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatal(err)
		}
		for i, h := range testHeaders {
			if got := set.Languages()[set.Negotiate("", h)]; got != want.Negotiated[i] {
				t.Errorf("LANGUAGE_CODE %s, Accept-Language %q: got %s, Django %s", lc, h, got, want.Negotiated[i])
			}
		}
		translated := 0
		for _, lang := range langs {
			i, ok := set.anyIndex[lang]
			if lang == lc {
				i, ok = set.Fixed(), true
			}
			if !ok {
				t.Fatalf("%s is not a language of the set", lang)
			}
			for k, id := range testMsgids {
				got, w := set.Translate(i, id), want.Translations[lang][k]
				if got != w {
					t.Errorf("LANGUAGE_CODE %s, %s: %q → %q, Django %q", lc, lang, id, got, w)
				}
				if got != id {
					translated++
				}
			}
		}
		if translated < 30 {
			t.Errorf("only %d translations differ from English: catalogs not read?", translated)
		}
	}
}

// TestNegotiateBounded: hostile headers are parsed in bounded time with no
// allocation and fall back to LANGUAGE_CODE.
func TestNegotiateBounded(t *testing.T) {
	set := &Set{langs: []string{"de", "en"}, supported: map[string]int{"de": 0, "en": 1},
		anyIndex: map[string]int{"de": 0, "en": 1}, byPrefix: map[string]int{}, def: 1}
	hostile := []string{
		strings.Repeat("a", 10<<10),
		strings.Repeat("x-y,", 1000),
		strings.Repeat("zz;q=0.001, ", 1000) + "de",
		strings.Repeat("\xff\x00", 5<<10),
		strings.Repeat("a-", 5000),
	}
	for _, h := range hostile {
		start := time.Now()
		if got := set.Negotiate("", h); got != 1 {
			t.Errorf("Negotiate(%.20q…) = %d, want the default", h, got)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("Negotiate(%.20q…) took %v", h, d)
		}
		if n := testing.AllocsPerRun(10, func() { set.Negotiate("", h) }); n != 0 {
			t.Errorf("Negotiate(%.20q…) allocates %v times", h, n)
		}
	}
	if n := testing.AllocsPerRun(100, func() { set.Negotiate("de-CH", "fr;q=0.5, de-AT") }); n != 0 {
		t.Errorf("Negotiate allocates %v times", n)
	}
}

func FuzzNegotiate(f *testing.F) {
	for _, h := range testHeaders {
		f.Add(h)
	}
	set := &Set{langs: []string{"de", "en", "fr-ca"}, supported: map[string]int{"de": 0, "en": 1},
		anyIndex: map[string]int{"de": 0, "en": 1, "fr-ca": 2}, byPrefix: map[string]int{"fr": 2}, def: 1}
	f.Fuzz(func(t *testing.T, h string) {
		if i := set.Negotiate(h, h); i < 0 || i >= len(set.langs) {
			t.Fatalf("index %d", i)
		}
	})
}

func FuzzParseMO(f *testing.F) {
	f.Add(buildMO("a", "b", "c\x00d", "e\x00f"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ParseMO(data, nil)
	})
}
