package drf

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestIndent(t *testing.T) {
	for accept, want := range map[string]int{
		"":                                       0,
		"application/json":                       0,
		"application/json; indent=4":             4,
		"application/json;indent=2":              2,
		"text/html, application/json; indent=20": 8,
		"application/json; indent=-3":            0,
		"application/json; indent=x":             0,
		"text/plain; indent=4":                   0,
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept", accept)
		if got := Indent(r); got != want {
			t.Errorf("Indent(%q) = %d, want %d", accept, got, want)
		}
	}
}

// TestIndenting re-indents as DRF's JSONRenderer with indent=4 renders
// (Python's json.dumps(indent=4, separators=(',', ': '))), and leaves a
// request without indent untouched.
func TestIndenting(t *testing.T) {
	r := httptest.NewRequest("POST", "/", nil)
	r.Header.Set("Accept", "application/json; indent=4")
	rec := httptest.NewRecorder()
	w, done := Indenting(rec, r)
	e := &Error{Status: 401, Body: []byte(`{"detail":"No active account found with the given credentials","list":[1,{"a":[]}],"empty":{}}`),
		Header: http.Header{"Www-Authenticate": {`Bearer realm="api"`}}}
	e.Write(w)
	done()
	want := "{\n    \"detail\": \"No active account found with the given credentials\",\n    \"list\": [\n        1,\n        {\n            \"a\": []\n        }\n    ],\n    \"empty\": {}\n}"
	if rec.Code != 401 || rec.Body.String() != want || rec.Header().Get("Content-Length") != "159" ||
		rec.Header().Get("Www-Authenticate") == "" {
		t.Errorf("%d %q (Content-Length %s)", rec.Code, rec.Body.String(), rec.Header().Get("Content-Length"))
	}
	plain := httptest.NewRequest("POST", "/", nil)
	rec2 := httptest.NewRecorder()
	if w2, _ := Indenting(rec2, plain); w2 != http.ResponseWriter(rec2) {
		t.Error("a request without indent got a wrapped writer")
	}
}
