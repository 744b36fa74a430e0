package simplejwt

import (
	"testing"

	"github.com/jwtgate/jwtgate/token"
)

// TestParseIntUserID reads user id claims as Django's ORM casts the value
// given for an integer primary key.
func TestParseIntUserID(t *testing.T) {
	for _, c := range []struct {
		raw  string
		id   int64
		want userIDStatus
	}{
		{`1`, 1, userIDOK},
		{`2147480000`, 2147480000, userIDOK},
		{`-3`, -3, userIDOK},
		{`9223372036854775807`, 9223372036854775807, userIDOK},
		{`9223372036854775808`, 0, userIDInvalid},
		{`5.0`, 5, userIDOK},
		{`5e0`, 5, userIDOK},
		{`5.5`, 0, userIDInvalid},
		{`1e300`, 0, userIDInvalid},
		{`"5"`, 5, userIDOK},
		{`" 5 "`, 5, userIDOK},
		{`"+5"`, 5, userIDOK},
		{`"-5"`, -5, userIDOK},
		{`"5.0"`, 0, userIDInvalid},
		{`"abc"`, 0, userIDInvalid},
		{`""`, 0, userIDInvalid},
		{`"`, 0, userIDInvalid},
		{`true`, 1, userIDOK},
		{`false`, 0, userIDOK},
		{`null`, 0, userIDNull},
		{`nul`, 0, userIDInvalid},
		{`[1]`, 0, userIDInvalid},
		{`{"id":1}`, 0, userIDInvalid},
		{``, 0, userIDInvalid},
	} {
		id, st := parseIntUserID([]byte(c.raw))
		if st != c.want || (st == userIDOK && id != c.id) {
			t.Errorf("parseIntUserID(%s) = %d, %d; want %d, %d", c.raw, id, st, c.id, c.want)
		}
	}
}

func TestParseStringUserID(t *testing.T) {
	for _, c := range []struct {
		raw, name string
		want      userIDStatus
	}{
		{`"siva"`, "siva", userIDOK},
		{`"s\u00efva"`, "sïva", userIDOK},
		{`12`, "12", userIDOK},
		{`null`, "", userIDNull},
		{`true`, "", userIDInvalid},
		{`[]`, "", userIDInvalid},
		{`"a\nb"`, "", userIDInvalid}, // not a value a username can have
	} {
		name, st := parseStringUserID([]byte(c.raw), token.HeaderValue)
		if st != c.want || name != c.name {
			t.Errorf("parseStringUserID(%s) = %q, %d; want %q, %d", c.raw, name, st, c.name, c.want)
		}
	}
}

func TestParseIntUserIDDoesNotAllocate(t *testing.T) {
	raw := []byte(`12345`)
	if n := testing.AllocsPerRun(100, func() { parseIntUserID(raw) }); n != 0 {
		t.Errorf("parseIntUserID allocates %v times", n)
	}
}
