package drf

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
)

// rewinder is a request body that can be replayed without allocating.
type rewinder struct{ bytes.Reader }

func (*rewinder) Close() error { return nil }

func benchParse(b *testing.B, ct, body string) {
	r := httptest.NewRequest(http.MethodPost, "/userprofiles/api/token/", nil)
	r.Header.Set("Content-Type", ct)
	rw := &rewinder{}
	r.Body, r.ContentLength = rw, int64(len(body))
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		rw.Reset([]byte(body))
		d, e := Parse(r, 1<<16)
		if e != nil {
			b.Fatal(string(e.Body))
		}
		if _, errs := ValidateChars(d, login...); errs != nil {
			b.Fatal(errs)
		}
	}
}

func BenchmarkParseJSON(b *testing.B) {
	benchParse(b, "application/json", `{"username": "siva", "password": "correct horse battery staple"}`)
}

func BenchmarkParseForm(b *testing.B) {
	benchParse(b, "application/x-www-form-urlencoded", "username=siva&password=correct+horse%20battery+staple")
}

func BenchmarkParseMultipart(b *testing.B) {
	benchParse(b, "multipart/form-data; boundary=----refboundaryceb454",
		"------refboundaryceb454\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nsiva\r\n"+
			"------refboundaryceb454\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\nsiva\r\n------refboundaryceb454--\r\n")
}

func BenchmarkParseJSONRefreshToken(b *testing.B) {
	benchParse(b, "application/json", `{"username":"siva","password":"x","refresh":"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.`+
		`eyJ0b2tlbl90eXBlIjoicmVmcmVzaCIsImV4cCI6MTc5NTQyNTUzNCwiaWF0IjoxNzk1MzM5MTM0LCJqdGkiOiI1ZjcwODM0ZGIzODg0MGExODE0NmQ2MWQ5YmNjMzFkZiIsInVzZXJfaWQiOjF9.`+
		`e8KXQ6cQhKiy-0myVXn15vgPxLAdwTOZ9XgCu-sly2o"}`)
}
