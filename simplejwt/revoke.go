package simplejwt

import (
	"crypto/md5"
	"encoding/hex"
	"strings"
)

// passwordClaim is the revoke claim simplejwt 5.3+ writes with
// CHECK_REVOKE_TOKEN (utils.py get_md5_hash_password): the MD5 of the
// encoded password as upper-case hex.
func passwordClaim(encoded string) string {
	sum := md5.Sum([]byte(encoded))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

const upperHex = "0123456789ABCDEF"

// passwordMatches reports whether a token's decoded revoke claim is the
// current password's, as simplejwt's comparison of the two strings. It
// reads memory only and does not allocate. The index keeps the digest's
// first 8 bytes (store.PasswordFingerprint), so the claim must be 32
// upper-case hex digits whose first 16 spell fp.
func passwordMatches(claim []byte, fp uint64) bool {
	if len(claim) != 2*md5.Size {
		return false
	}
	for i, c := range claim {
		if i < 16 {
			if c != upperHex[fp>>(60-4*i)&0x0f] {
				return false
			}
		} else if (c < '0' || c > '9') && (c < 'A' || c > 'F') {
			return false
		}
	}
	return true
}
