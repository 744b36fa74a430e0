package drf

import (
	"bytes"
	"encoding/hex"
	"strconv"
	"unicode/utf8"
)

// This file holds the pieces of Python's bytes semantics and codecs that
// DRF's answers depend on: the UTF-8 decoder's error handling, latin-1,
// bytes.strip. Python's str semantics are in internal/pystr.

// Kinds of UTF-8 decoding steps, as CPython's decoder classifies them.
const (
	utf8OK = iota
	utf8InvalidStart
	utf8InvalidContinuation
	utf8Incomplete // a valid prefix cut by the end of the input
)

func isCont(c byte) bool { return c&0xC0 == 0x80 }

// utf8Step classifies the sequence at the start of b (len(b) > 0) as
// CPython's UTF-8 decoder does. For an error, n is the length of the
// invalid sequence (its "maximal subpart").
func utf8Step(b []byte) (n int, kind int) {
	c := b[0]
	switch {
	case c < 0x80:
		return 1, utf8OK
	case c < 0xC2:
		return 1, utf8InvalidStart
	case c < 0xE0:
		if len(b) < 2 {
			return len(b), utf8Incomplete
		}
		if !isCont(b[1]) {
			return 1, utf8InvalidContinuation
		}
		return 2, utf8OK
	case c < 0xF0:
		if len(b) < 2 {
			return len(b), utf8Incomplete
		}
		c2 := b[1]
		if !isCont(c2) || (c == 0xE0 && c2 < 0xA0) || (c == 0xED && c2 >= 0xA0) {
			return 1, utf8InvalidContinuation
		}
		if len(b) < 3 {
			return len(b), utf8Incomplete
		}
		if !isCont(b[2]) {
			return 2, utf8InvalidContinuation
		}
		return 3, utf8OK
	case c < 0xF5:
		if len(b) < 2 {
			return len(b), utf8Incomplete
		}
		c2 := b[1]
		if !isCont(c2) || (c == 0xF0 && c2 < 0x90) || (c == 0xF4 && c2 >= 0x90) {
			return 1, utf8InvalidContinuation
		}
		if len(b) < 3 {
			return len(b), utf8Incomplete
		}
		if !isCont(b[2]) {
			return 2, utf8InvalidContinuation
		}
		if len(b) < 4 {
			return len(b), utf8Incomplete
		}
		if !isCont(b[3]) {
			return 3, utf8InvalidContinuation
		}
		return 4, utf8OK
	}
	return 1, utf8InvalidStart
}

// decodeError formats a UnicodeDecodeError as str() does.
func decodeError(codec string, b []byte, start, end int, reason string) string {
	if end == start+1 {
		return "'" + codec + "' codec can't decode byte 0x" + hex.EncodeToString(b[start:end]) + " in position " +
			strconv.Itoa(start) + ": " + reason
	}
	return "'" + codec + "' codec can't decode bytes in position " + strconv.Itoa(start) + "-" +
		strconv.Itoa(end-1) + ": " + reason
}

// decodeUTF8Stream decodes b as Python's codecs UTF-8 StreamReader.read()
// does (which DRF's JSONParser uses): an invalid sequence is an error, but
// an incomplete sequence at the very end is silently left unread. It
// returns the valid prefix of b, or the error message.
func decodeUTF8Stream(b []byte) ([]byte, string) {
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		n, kind := utf8Step(b[i:])
		switch kind {
		case utf8OK:
			i += n
			continue
		case utf8Incomplete:
			return b[:i], ""
		case utf8InvalidContinuation:
			// A truncated surrogate at the end counts as incomplete.
			if b[i] == 0xED && len(b)-i == 2 && b[i+1] >= 0xA0 && b[i+1] <= 0xBF {
				return b[:i], ""
			}
			return nil, decodeError("utf-8", b, i, i+n, "invalid continuation byte")
		default:
			return nil, decodeError("utf-8", b, i, i+n, "invalid start byte")
		}
	}
	return b, ""
}

// decodeReplace decodes b as bytes.decode(codec, "replace") does for the
// codecs drf knows exactly; other codecs are decoded as UTF-8.
func decodeReplace(b []byte, c codecClass) string {
	switch c {
	case codecLatin1:
		return latin1(b)
	case codecUTF8Sig:
		b = bytes.TrimPrefix(b, utf8BOM)
	}
	if isASCII(b) || (c != codecASCII && utf8.Valid(b)) {
		return string(b)
	}
	out := make([]byte, 0, len(b)+8)
	for i := 0; i < len(b); {
		n, kind := 1, utf8OK
		if b[i] >= utf8.RuneSelf {
			n, kind = utf8Step(b[i:])
			if c == codecASCII {
				n, kind = 1, utf8InvalidStart
			}
		}
		if kind != utf8OK {
			out = append(out, "\uFFFD"...) // an incomplete tail is one error
		} else {
			out = append(out, b[i:i+n]...)
		}
		i += n
	}
	return string(out)
}

// latin1 decodes ISO-8859-1 (each byte is the code point).
func latin1(b []byte) string {
	if isASCII(b) {
		return string(b)
	}
	out := make([]byte, 0, len(b)*2)
	for _, c := range b {
		out = utf8.AppendRune(out, rune(c))
	}
	return string(out)
}

func isASCII[T string | []byte](s T) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// asciiLower lowercases ASCII letters only, as bytes.lower() does.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// asciiSpace is bytes.isspace(): space, \t, \n, \r, \v, \f.
func asciiSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}

// bytesStrip is bytes.strip() with no argument.
func bytesStrip(s string) string {
	i, j := 0, len(s)
	for i < j && asciiSpace(s[i]) {
		i++
	}
	for j > i && asciiSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}
