package password

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// UserAttributes are the user fields that Django's
// UserAttributeSimilarityValidator compares a password with (its default
// user_attributes: username, first_name, last_name, email). Empty fields
// are skipped.
type UserAttributes struct {
	Username, FirstName, LastName, Email string
}

// Django's default validator options.
const (
	maxSimilarity = 0.7 // UserAttributeSimilarityValidator.max_similarity
	minLength     = 8   // MinimumLengthValidator.min_length
)

// Validate runs Django 3.2's default AUTH_PASSWORD_VALIDATORS, in Django's
// order, and returns their messages (Django's English text, as
// validate_password raises them), or nil for an acceptable password:
//
//  1. UserAttributeSimilarityValidator: "The password is too similar to
//     the username." (or "first name", "last name", "email address"; only
//     the first similar attribute is reported).
//  2. MinimumLengthValidator(8): "This password is too short. It must
//     contain at least 8 characters."
//  3. CommonPasswordValidator: "This password is too common." (Django's
//     common-password list, embedded: 19,727 distinct entries).
//  4. NumericPasswordValidator: "This password is entirely numeric."
//
// Lengths count Unicode code points and comparisons use Python's
// str.lower, str.strip and str.isdigit rules, as Django does. With a zero
// UserAttributes the similarity check never fires, which is what Django's
// validate_password(password) without a user does.
func Validate(password string, u UserAttributes) []string {
	var msgs []string
	if name := similarAttribute(password, u); name != "" {
		msgs = append(msgs, "The password is too similar to the "+name+".")
	}
	if utf8.RuneCountInString(password) < minLength {
		msgs = append(msgs, tooShortMessage(minLength))
	}
	if isCommonPassword(password) {
		msgs = append(msgs, "This password is too common.")
	}
	if isNumeric(password) {
		msgs = append(msgs, "This password is entirely numeric.")
	}
	return msgs
}

// tooShortMessage is MinimumLengthValidator's ngettext message.
func tooShortMessage(n int) string {
	unit := "characters"
	if n == 1 {
		unit = "character"
	}
	return "This password is too short. It must contain at least " + strconv.Itoa(n) + " " + unit + "."
}

// isNumeric is str.isdigit(): not empty, and only digits.
func isNumeric(s string) bool {
	return s != "" && strings.IndexFunc(s, func(r rune) bool { return !pyIsDigit(r) }) < 0
}

// similarAttribute returns the verbose name of the first attribute the
// password is too similar to, or "". It follows Django 3.2.25's
// UserAttributeSimilarityValidator.validate: each lowercased attribute
// value is split with re.split(r'\W+', value) plus the whole value; parts
// much shorter than the password are skipped
// (exceeds_maximum_length_ratio); a part matches when
// SequenceMatcher(a=password, b=part).quick_ratio() >= 0.7.
func similarAttribute(password string, u UserAttributes) string {
	attrs := [...]struct{ value, verbose string }{
		{u.Username, "username"},
		{u.FirstName, "first name"},
		{u.LastName, "last name"},
		{u.Email, "email address"},
	}
	pw := []rune(pyLower(password))
	for _, a := range attrs {
		if a.value == "" {
			continue
		}
		value := pyLower(a.value)
		for _, part := range append(splitNonWord(value), value) {
			p := []rune(part)
			if exceedsMaximumLengthRatio(len(pw), len(p)) {
				continue
			}
			if quickRatio(pw, p) >= maxSimilarity {
				return a.verbose
			}
		}
	}
	return ""
}

// splitNonWord is re.split(r'\W+', s): the runs between maximal runs of
// non-word characters, with an empty string first or last when s starts
// or ends with one.
func splitNonWord(s string) []string {
	var parts []string
	start, inSep := 0, false
	for i, r := range s {
		if pyIsWord(r) {
			if inSep {
				start, inSep = i, false
			}
			continue
		}
		if !inSep {
			parts = append(parts, s[start:i])
			inSep = true
		}
	}
	if inSep {
		return append(parts, "")
	}
	return append(parts, s[start:])
}

// exceedsMaximumLengthRatio is Django's exceeds_maximum_length_ratio: the
// password is at least ten times longer than the value, and the value
// shorter than max_similarity / 2 times the password's length.
func exceedsMaximumLengthRatio(pwdLen, valueLen int) bool {
	ms := maxSimilarity // float64 arithmetic at run time, as Python
	return pwdLen >= 10*valueLen && float64(valueLen) < ms/2*float64(pwdLen)
}

// quickRatio is difflib.SequenceMatcher(a=a, b=b).quick_ratio(): the size
// M of the multiset intersection of a's and b's characters, as 2.0*M/T
// with T = len(a) + len(b), or 1.0 when both are empty.
func quickRatio(a, b []rune) float64 {
	total := len(a) + len(b)
	if total == 0 {
		return 1.0
	}
	avail := make(map[rune]int, len(b))
	for _, r := range b {
		avail[r]++
	}
	matches := 0
	for _, r := range a {
		if avail[r] > 0 {
			matches++
		}
		avail[r]--
	}
	return 2.0 * float64(matches) / float64(total)
}
