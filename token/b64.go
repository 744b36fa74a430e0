package token

// Strict base64url (RFC 4648 §5) without padding, as RFC 7515 §2 requires:
// only the 64 alphabet characters, no '=', no whitespace or line breaks
// (which encoding/base64 skips even in strict mode), a length that is not
// 1 mod 4, and zero bits after the last byte (one encoding per value).

const b64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// b64Inv maps a byte to its 6-bit value, or 0xff if it is not in the
// alphabet.
var b64Inv = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i := 0; i < len(b64Alphabet); i++ {
		t[b64Alphabet[i]] = byte(i)
	}
	return t
}()

// b64Decode appends the decoding of s to dst. ok is false if s is not
// strict unpadded base64url; dst is then returned unchanged in length.
func b64Decode(dst []byte, s string) (out []byte, ok bool) {
	if len(s)%4 == 1 {
		return dst, false
	}
	start := len(dst)
	i := 0
	for ; i+4 <= len(s); i += 4 {
		a, b, c, d := b64Inv[s[i]], b64Inv[s[i+1]], b64Inv[s[i+2]], b64Inv[s[i+3]]
		if (a|b|c|d)&0xc0 != 0 {
			return dst[:start], false
		}
		v := uint32(a)<<18 | uint32(b)<<12 | uint32(c)<<6 | uint32(d)
		dst = append(dst, byte(v>>16), byte(v>>8), byte(v))
	}
	switch len(s) - i {
	case 2:
		a, b := b64Inv[s[i]], b64Inv[s[i+1]]
		if (a|b)&0xc0 != 0 || b&0x0f != 0 {
			return dst[:start], false
		}
		dst = append(dst, a<<2|b>>4)
	case 3:
		a, b, c := b64Inv[s[i]], b64Inv[s[i+1]], b64Inv[s[i+2]]
		if (a|b|c)&0xc0 != 0 || c&0x03 != 0 {
			return dst[:start], false
		}
		dst = append(dst, a<<2|b>>4, b<<4|c>>2)
	}
	return dst, true
}
