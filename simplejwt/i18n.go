package simplejwt

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/jwtgate/jwtgate/drf"
	"github.com/jwtgate/jwtgate/internal/gettext"
)

// Messages are the English messages of simplejwt, DRF and Django that
// jwtgate sends and those projects translate, as their sources spell them:
// {name} marks a value formatted in. A message of several space-separated
// parts is translated part by part (DRF's Throttled joins two).
var Messages = []string{
	// rest_framework/exceptions.py, fields.py, serializers.py, validators.py
	"Authentication credentials were not provided.",
	"Not found.",
	"Could not satisfy the request Accept header.",
	`Unsupported media type "{media_type}" in request.`,
	`Method "{method}" not allowed.`,
	"Request was throttled.",
	"Expected available in {wait} second.",
	"Expected available in {wait} seconds.",
	"Service temporarily unavailable, try again later.",
	"A server error occurred.",
	"This field is required.",
	"This field may not be null.",
	"This field may not be blank.",
	"Not a valid string.",
	"Null characters are not allowed.",
	"Ensure this field has no more than {max_length} characters.",
	"Surrogate characters are not allowed: U+{code_point:X}.",
	"Invalid data. Expected a dictionary, but got {datatype}.",
	// rest_framework_simplejwt/
	"Token is invalid or expired",
	msgExpired,
	msgInvalid,
	"Token has no id",
	"Token has no type",
	"Token has wrong type",
	"Token has no '{}' claim",
	"Token is blacklisted",
	"Given token not valid for any token type",
	"Token contained no recognizable user identification",
	"User not found",
	"User is inactive",
	"Authorization header must contain two space-delimited values",
	"No active account found with the given credentials",
	"No active account found for the given token.",
	"The user's password has been changed.",
	// django/contrib/auth/models.py, validators.py; django/core/validators.py
	"A user with that username already exists.",
	"Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.",
	"Enter a valid email address.",
}

// composite are the answers made of two messages joined by a space.
var composite = [][2]string{
	{"Request was throttled.", "Expected available in {wait} second."},
	{"Request was throttled.", "Expected available in {wait} seconds."},
}

// Locales translates answers. Build one with NewLocales; nil answers in
// English.
type Locales struct {
	set    *gettext.Set
	follow bool
	exact  []map[string]string // per language: English → translation
	tmpls  []template
}

// template is a message with {placeholders}, split into literal parts.
type template struct {
	parts []string // literal, placeholder, literal, …, literal
	// tr[i] is the message in language i, split the same way.
	tr [][]string
}

// LocalesConfig configures NewLocales.
type LocalesConfig struct {
	// Dirs are the locale directories, see gettext.Config.
	Dirs []string
	// LanguageCode is settings.LANGUAGE_CODE (default en-us).
	LanguageCode string
	// IgnoreAcceptLanguage answers every request in LanguageCode, as
	// Django does without LocaleMiddleware.
	IgnoreAcceptLanguage bool
}

// NewLocales reads the catalogs of cfg.Dirs.
func NewLocales(cfg LocalesConfig) (*Locales, error) {
	set, err := gettext.Load(gettext.Config{Dirs: cfg.Dirs, LanguageCode: cfg.LanguageCode, Msgids: Messages})
	if err != nil {
		return nil, err
	}
	l := &Locales{set: set, follow: !cfg.IgnoreAcceptLanguage}
	n := len(set.Languages())
	l.exact = make([]map[string]string, n)
	for i := range n {
		l.exact[i] = map[string]string{}
	}
	add := func(en string, tr func(i int) string) {
		if !strings.Contains(en, "{") {
			for i := range n {
				if t := tr(i); t != en {
					l.exact[i][en] = t
				}
			}
			return
		}
		t := template{parts: splitTemplate(en), tr: make([][]string, n)}
		for i := range n {
			t.tr[i] = splitTemplate(tr(i))
		}
		l.tmpls = append(l.tmpls, t)
	}
	for _, m := range Messages {
		add(m, func(i int) string { return set.Translate(i, m) })
	}
	for _, c := range composite {
		add(c[0]+" "+c[1], func(i int) string { return set.Translate(i, c[0]) + " " + set.Translate(i, c[1]) })
	}
	return l, nil
}

// splitTemplate splits "a {x} b" into "a ", "{x}", " b".
func splitTemplate(s string) []string {
	var parts []string
	for {
		i := strings.IndexByte(s, '{')
		j := strings.IndexByte(s[max(i, 0):], '}')
		if i < 0 || j < 0 {
			return append(parts, s)
		}
		j += i
		parts = append(parts, s[:i], s[i:j+1])
		s = s[j+1:]
	}
}

// language is the index of r's language.
func (l *Locales) language(r *http.Request) int {
	if !l.follow {
		return l.set.Fixed()
	}
	var cookie string
	if c, err := r.Cookie("django_language"); err == nil {
		cookie = c.Value
	}
	return l.set.Negotiate(cookie, r.Header.Get("Accept-Language"))
}

// Languages returns the number of languages.
func (l *Locales) Languages() int { return len(l.exact) }

// translate returns s in language i.
func (l *Locales) translate(i int, s string) string {
	if t, ok := l.exact[i][s]; ok {
		return t
	}
	for _, t := range l.tmpls {
		if vals, ok := match(t.parts, s); ok {
			return fill(t.tr[i], vals)
		}
	}
	return s
}

// match matches s against a split template and returns the placeholder
// values.
func match(parts []string, s string) (map[string]string, bool) {
	if !strings.HasPrefix(s, parts[0]) {
		return nil, false
	}
	s = s[len(parts[0]):]
	vals := map[string]string{}
	for k := 1; k+1 < len(parts); k += 2 {
		lit := parts[k+1]
		var j int
		if k+2 == len(parts) {
			if !strings.HasSuffix(s, lit) {
				return nil, false
			}
			j = len(s) - len(lit)
		} else if j = strings.Index(s, lit); j < 0 || lit == "" {
			return nil, false
		}
		vals[parts[k]] = s[:j]
		s = s[j+len(lit):]
	}
	return vals, s == ""
}

func fill(tr []string, vals map[string]string) string {
	var b strings.Builder
	for k, p := range tr {
		if k%2 == 1 {
			if v, ok := vals[p]; ok {
				b.WriteString(v)
				continue
			}
		}
		b.WriteString(p)
	}
	return b.String()
}

// body translates every string value of a DRF JSON body (object keys stay
// as they are) into language i.
func (l *Locales) body(i int, body []byte) []byte {
	var out []byte
	last := 0
	for p := 0; p < len(body); p++ {
		if body[p] != '"' {
			continue
		}
		end := stringEnd(body, p)
		if end < 0 {
			return body
		}
		next := end
		for next < len(body) && (body[next] == ' ' || body[next] == '\n') {
			next++
		}
		if next < len(body) && body[next] == ':' {
			p = end - 1
			continue
		}
		var s string
		if json.Unmarshal(body[p:end], &s) == nil {
			if t := l.translate(i, s); t != s {
				enc, err := drf.Marshal(t)
				if err == nil {
					out = append(append(out, body[last:p]...), enc...)
					last = end
				}
			}
		}
		p = end - 1
	}
	if out == nil {
		return body
	}
	return append(out, body[last:]...)
}

// stringEnd returns the index after the JSON string starting at b[p].
func stringEnd(b []byte, p int) int {
	for i := p + 1; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}

// localize returns e in language i, with LocaleMiddleware's headers when
// the language follows the request.
func (l *Locales) localize(i int, e *drf.Error) *drf.Error {
	out := &drf.Error{Status: e.Status, Body: l.body(i, e.Body), Header: e.Header.Clone()}
	if out.Header == nil {
		out.Header = http.Header{}
	}
	if l.follow {
		out.Header["Content-Language"] = []string{l.set.Languages()[i]}
	}
	return out
}

// headers sets LocaleMiddleware's response headers for language i.
func (l *Locales) headers(h http.Header, i int) {
	if !l.follow {
		return
	}
	h["Content-Language"] = []string{l.set.Languages()[i]}
	if v := h["Vary"]; len(v) > 0 {
		h["Vary"] = []string{v[0] + ", Accept-Language"}
	} else {
		h["Vary"] = []string{"Accept-Language"}
	}
}
