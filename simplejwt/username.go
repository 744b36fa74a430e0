package simplejwt

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// msgUsernameInvalid is UnicodeUsernameValidator's message.
const msgUsernameInvalid = "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."

// NormalizeUsername is Django's AbstractBaseUser.normalize_username:
// unicodedata.normalize("NFKC", username). It folds compatibility forms
// (fullwidth ｓｉｖａ, mathematical 𝐬𝐢𝐯𝐚, ligatures) into their plain
// letters; it does not fold case, nor letters of other scripts that only
// look alike (Cyrillic ѕ stays ѕ).
func NormalizeUsername(s string) string { return norm.NFKC.String(s) }

// ValidUsername is Django's UnicodeUsernameValidator: ^[\w.@+-]+\Z with
// Python's Unicode \w (letters, numbers and the underscore). It returns
// Django's message, or "" for a valid username.
func ValidUsername(s string) string {
	if s == "" {
		return msgUsernameInvalid
	}
	for _, r := range s {
		if !(unicode.IsLetter(r) || unicode.IsNumber(r) || strings.ContainsRune("_.@+-", r)) {
			return msgUsernameInvalid
		}
	}
	return ""
}
