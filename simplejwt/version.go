package simplejwt

import (
	"fmt"

	"github.com/jwtgate/jwtgate/token"
)

// Version is the simplejwt release whose wire behaviour the views and the
// Bearer check reproduce. version_test.go lists every difference with the
// simplejwt source line it comes from.
type Version uint8

const (
	// V52 is simplejwt 5.2.2 (and 5.3.x without CHECK_REVOKE_TOKEN): the
	// default, and what the Debian package of the reference installs.
	V52 Version = iota
	// V55 is simplejwt 5.5.1: string user ids in new tokens, "Token is
	// expired" / "Token is invalid" instead of "Token is invalid or
	// expired", rotated refresh tokens recorded as outstanding with their
	// user, and blacklisting that records the user.
	V55
)

// ParseVersion reads a simplejwt_version setting: "5.2" (also the empty
// string) or "5.5".
func ParseVersion(s string) (Version, error) {
	switch s {
	case "", "5.2":
		return V52, nil
	case "5.5":
		return V55, nil
	}
	return 0, fmt.Errorf("simplejwt_version must be 5.2 or 5.5 (the simplejwt release installed on the Django side), not %q", s)
}

// String returns the setting's spelling.
func (v Version) String() string {
	if v == V55 {
		return "5.5"
	}
	return "5.2"
}

// Messages of simplejwt 5.5.0+ that replace "Token is invalid or expired"
// (tokens.py Token.__init__, backends.py TokenBackend.decode).
const (
	msgExpired = "Token is expired"
	msgInvalid = "Token is invalid"
)

// tokenMessage is the message simplejwt v sends for a rejected token.
// Before 5.5 every decoding failure reads "Token is invalid or expired";
// from 5.5 an expired signature (PyJWT's ExpiredSignatureError) reads
// "Token is expired" and every other decoding failure "Token is invalid".
// Messages of the later checks (no id, wrong type, …) are unchanged.
func (v Version) tokenMessage(te *token.Error) string {
	if v < V55 || te.Message != token.ErrInvalid.Message {
		return te.Message
	}
	if te.Reason == "expired" {
		return msgExpired
	}
	return msgInvalid
}
