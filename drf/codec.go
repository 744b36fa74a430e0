package drf

import "strings"

//go:generate sh -c "/usr/bin/python3 testdata/gen_tables.py > tables_gen.go && gofmt -w tables_gen.go"

// codecClass says how drf decodes a body whose Content-Type names a charset
// (Django's request.encoding, which DRF's parsers decode the body with).
type codecClass uint8

const (
	// codecDefault: no charset, or one Python does not know (Django then
	// ignores it and uses DEFAULT_CHARSET, UTF-8).
	codecDefault codecClass = iota
	codecUTF8
	codecUTF8Sig
	codecASCII
	codecLatin1
	// codecASCIICompat: a Python codec that decodes ASCII as ASCII
	// (cp1252, iso8859-15, shift_jis, …). drf decodes exactly only bodies
	// that are pure ASCII.
	codecASCIICompat
	// codecOther: a Python codec drf cannot reproduce (utf-16, utf-32,
	// EBCDIC code pages, bytes-to-bytes codecs, …).
	codecOther
)

// pyCodec is one name codecs.lookup() knows: how drf decodes it, and
// whether it is an alias.
type pyCodec struct {
	class codecClass
	alias bool
}

// normalizeEncoding is CPython's codec-name normalisation: lowercase, every
// run of characters other than ASCII letters, digits and "." becomes one
// "_", and leading or trailing runs are dropped.
func normalizeEncoding(name string) string {
	b := make([]byte, 0, len(name))
	punct := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
		if alnum || c == '.' {
			if punct && len(b) > 0 {
				b = append(b, '_')
			}
			punct = false
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b = append(b, c)
		} else {
			punct = true
		}
	}
	return string(b)
}

// lookupCodec classifies a charset label as codecs.lookup() would resolve
// it; an empty or unknown label is codecDefault.
func lookupCodec(label string) codecClass {
	if label == "" {
		return codecDefault
	}
	norm := normalizeEncoding(label)
	if c, ok := pyCodecs[norm]; ok {
		return c.class
	}
	// encodings.search_function retries aliases with "." replaced by "_".
	if c := pyCodecs[strings.ReplaceAll(norm, ".", "_")]; c.alias {
		return c.class
	}
	return codecDefault
}
