package gettext

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Config says where the catalogs are and which messages are wanted.
type Config struct {
	// Dirs are locale directories (…/<locale>/LC_MESSAGES/django.mo), in
	// Django's order of precedence: the first that translates a message
	// wins, as LOCALE_PATHS win over apps and apps over Django's own
	// catalog. The last one's languages are settings.LANGUAGES, so list
	// Django's own (…/django/conf/locale) last.
	Dirs []string
	// LanguageCode is settings.LANGUAGE_CODE; default "en-us".
	LanguageCode string
	// Msgids are the English messages to translate; catalogs are read for
	// these only.
	Msgids []string
}

// Set holds, for every language Django could activate, the translations
// of Config.Msgids. It is immutable and safe for concurrent use.
type Set struct {
	languageCode string
	// langs are the language codes (settings.LANGUAGES order, then
	// LanguageCode if it is not among them); index i of every per-language
	// slice is langs[i].
	langs []string
	// supported maps a code Django would accept (in LANGUAGES and with a
	// catalog) to its index.
	supported map[string]int
	// anyIndex maps every code of langs to its index.
	anyIndex map[string]int
	// byPrefix maps a generic code ("fr") to the first LANGUAGES code
	// starting with it and a dash ("fr-ca"): Django's non-strict fallback.
	byPrefix map[string]int
	// tables[i] maps a msgid to its translation in langs[i].
	tables []map[string]string
	def    int
}

// Load reads every django.mo under cfg.Dirs. A directory that does not
// exist or holds no catalog, and a corrupt catalog, are errors naming it.
func Load(cfg Config) (*Set, error) {
	if len(cfg.Dirs) == 0 {
		return nil, errors.New("gettext: no locale directories")
	}
	if cfg.LanguageCode == "" {
		cfg.LanguageCode = "en-us"
	}
	want := map[string]bool{}
	for _, id := range cfg.Msgids {
		want[id] = true
	}
	keep := func(id string) bool { return want[id] }
	// catalogs[d][locale] is the catalog of dir d for a locale ("pt_BR").
	catalogs := make([]map[string]map[string]string, len(cfg.Dirs))
	for d, dir := range cfg.Dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("locale_dirs: %w", err)
		}
		catalogs[d] = map[string]map[string]string{}
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			path := filepath.Join(dir, e.Name(), "LC_MESSAGES", "django.mo")
			if _, err := os.Stat(path); err != nil {
				continue
			}
			m, err := ReadMO(path, keep)
			if err != nil {
				return nil, fmt.Errorf("locale_dirs: %w", err)
			}
			catalogs[d][e.Name()] = m
		}
		if len(catalogs[d]) == 0 {
			return nil, fmt.Errorf("locale_dirs: %s holds no <locale>/LC_MESSAGES/django.mo catalog", dir)
		}
	}
	s := &Set{languageCode: cfg.LanguageCode, supported: map[string]int{}, anyIndex: map[string]int{}, byPrefix: map[string]int{}}
	// settings.LANGUAGES: the locales of Django's own catalog.
	for loc := range catalogs[len(catalogs)-1] {
		s.langs = append(s.langs, ToLanguage(loc))
	}
	slices.Sort(s.langs)
	for i, code := range s.langs {
		s.anyIndex[code] = i
		if len(translations(catalogs, code)) > 0 {
			s.supported[code] = i
		}
		if g, _, ok := strings.Cut(code, "-"); ok {
			if _, seen := s.byPrefix[g]; !seen {
				s.byPrefix[g] = i
			}
		}
	}
	if _, ok := s.anyIndex[cfg.LanguageCode]; !ok {
		s.anyIndex[cfg.LanguageCode] = len(s.langs)
		s.langs = append(s.langs, cfg.LanguageCode)
	}
	// The language of a request that asks for none Django supports.
	s.def = s.anyIndex[cfg.LanguageCode]
	if i, ok := s.variant(cfg.LanguageCode); ok {
		s.def = s.anyIndex[s.langs[i]]
	}
	// Every translation but LANGUAGE_CODE's and English ones falls back on
	// LANGUAGE_CODE's.
	def := translations(catalogs, cfg.LanguageCode)
	s.tables = make([]map[string]string, len(s.langs))
	for i, code := range s.langs {
		chain := translations(catalogs, code)
		if code != cfg.LanguageCode && !strings.HasPrefix(code, "en") {
			chain = append(chain, def...)
		}
		s.tables[i] = map[string]string{}
		for _, id := range cfg.Msgids {
			for _, m := range chain {
				if tr, ok := m[id]; ok {
					s.tables[i][id] = tr
					break
				}
			}
		}
	}
	return s, nil
}

// translations is DjangoTranslation(code) as the catalogs it looks in, in
// order: the first catalog of each directory (in precedence order), then
// the other expansions of the locale (in Django's order of add_fallback:
// the directories in reverse). It is empty when no directory has one.
func translations(catalogs []map[string]map[string]string, code string) []map[string]string {
	var primary, fallback []map[string]string
	for _, c := range catalogs {
		var found []map[string]string
		for _, loc := range expand(ToLocale(code)) {
			if m, ok := c[loc]; ok {
				found = append(found, m)
			}
		}
		if len(found) > 0 {
			primary = append(primary, found[0])
			fallback = slices.Concat(found[1:], fallback)
		}
	}
	return append(primary, fallback...)
}

// Languages returns the language codes, in index order.
func (s *Set) Languages() []string { return s.langs }

// Fixed is the index of LanguageCode itself: the language of every
// request when Accept-Language is not followed (no LocaleMiddleware).
func (s *Set) Fixed() int { return s.anyIndex[s.languageCode] }

// Default is the index of the language of a request that asks for none.
func (s *Set) Default() int { return s.def }

// Translate returns msgid in language i, or msgid itself when no catalog
// translates it.
func (s *Set) Translate(i int, msgid string) string {
	if i >= 0 && i < len(s.tables) {
		if tr, ok := s.tables[i][msgid]; ok {
			return tr
		}
	}
	return msgid
}

// ToLocale is Django's to_locale: "en-us" → "en_US", "sr-latn" → "sr_Latn".
func ToLocale(language string) string {
	lang, country, ok := strings.Cut(strings.ToLower(language), "-")
	if !ok {
		return lang
	}
	country, tail, hasTail := strings.Cut(country, "-")
	if len(country) > 2 {
		country = strings.ToUpper(country[:1]) + country[1:]
	} else {
		country = strings.ToUpper(country)
	}
	if hasTail {
		country += "-" + tail
	}
	return lang + "_" + country
}

// ToLanguage is Django's to_language: "pt_BR" → "pt-br".
func ToLanguage(locale string) string {
	if lang, country, ok := strings.Cut(locale, "_"); ok {
		return strings.ToLower(lang) + "-" + strings.ToLower(country)
	}
	return strings.ToLower(locale)
}

// expand is the list of locale directories Python's gettext.find tries
// for a locale, without the codeset variants no catalog directory uses:
// the locale as normalised (a bare language gets its default territory,
// "ru" → "ru_RU"), then the bare language.
func expand(locale string) []string {
	lang, _, hasCountry := strings.Cut(locale, "_")
	if !hasCountry {
		if t, ok := defaultTerritory[lang]; ok {
			return []string{lang + "_" + t, lang}
		}
		return []string{lang}
	}
	return []string{locale, lang}
}

// defaultTerritory is the territory Python's locale.normalize gives a bare
// language code (CPython Lib/locale.py, locale_alias), for the languages
// Django is translated into: gettext.find("ru") looks in ru_RU before ru.
var defaultTerritory = map[string]string{
	"af": "ZA", "ar": "AA", "az": "AZ", "bg": "BG", "be": "BY", "br": "FR", "bs": "BA", "ca": "ES",
	"cs": "CZ", "cy": "GB", "da": "DK", "de": "DE", "el": "GR", "en": "US", "eo": "XX", "es": "ES",
	"et": "EE", "eu": "ES", "fa": "IR", "fi": "FI", "fr": "FR", "ga": "IE", "gd": "GB", "gl": "ES",
	"he": "IL", "hi": "IN", "hr": "HR", "hu": "HU", "id": "ID", "is": "IS", "it": "IT", "ja": "JP",
	"ka": "GE", "kn": "IN", "ko": "KR", "ky": "KG", "lt": "LT", "lv": "LV", "mk": "MK", "ml": "IN",
	"mr": "IN", "nb": "NO", "nl": "NL", "nn": "NO", "pa": "IN", "pl": "PL", "pt": "PT", "ro": "RO",
	"ru": "RU", "sk": "SK", "sl": "SI", "sq": "AL", "sr": "RS", "sv": "SE", "ta": "IN", "te": "IN",
	"tg": "TJ", "th": "TH", "tr": "TR", "tt": "RU", "uk": "UA", "ur": "PK", "uz": "UZ", "vi": "VN",
}
