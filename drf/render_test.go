package drf

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestErrorBodies(t *testing.T) {
	tests := []struct {
		name   string
		e      *Error
		status int
		body   string
		allow  string
	}{
		{"detail", Detail(401, "No active account found with the given credentials"), 401,
			`{"detail":"No active account found with the given credentials"}`, ""},
		{"detail and code", DetailCode(401, "Token is invalid or expired", "token_not_valid"), 401,
			`{"detail":"Token is invalid or expired","code":"token_not_valid"}`, ""},
		{"quotes", DetailCode(401, "Token has no 'exp' claim", "token_not_valid"), 401,
			`{"detail":"Token has no 'exp' claim","code":"token_not_valid"}`, ""},
		{"405", MethodNotAllowed("GET", "POST, OPTIONS"), 405, `{"detail":"Method \"GET\" not allowed."}`, "POST, OPTIONS"},
		{"405, method upper-cased as Django does", MethodNotAllowed("patch", "OPTIONS, POST"), 405,
			`{"detail":"Method \"PATCH\" not allowed."}`, "OPTIONS, POST"},
		{"406", NotAcceptable(), 406, `{"detail":"Could not satisfy the request Accept header."}`, ""},
		{"field errors", FieldErrors(func() *Errors {
			e := &Errors{}
			e.Add("username", "This field is required.")
			e.Add("password", "This field is required.")
			return e
		}()), 400, `{"username":["This field is required."],"password":["This field is required."]}`, ""},
		{"no field errors", FieldErrors(nil), 400, `{}`, ""},
		{"escaping", Detail(400, "<a href=\"x\">&\u2028\u2029\x00\x1f\x7fé😀\n\\</a>"), 400,
			`{"detail":"<a href=\"x\">&\u2028\u2029\u0000\u001f` + "\x7fé😀" + `\n\\</a>"}`, ""},
	}
	for _, tt := range tests {
		if tt.e.Status != tt.status || string(tt.e.Body) != tt.body || tt.e.Header.Get("Allow") != tt.allow {
			t.Errorf("%s: got %d %s %v, want %d %s Allow %q", tt.name, tt.e.Status, tt.e.Body, tt.e.Header, tt.status, tt.body, tt.allow)
		}
		if !json.Valid(tt.e.Body) {
			t.Errorf("%s: invalid JSON", tt.name)
		}
		rec := httptest.NewRecorder()
		tt.e.Write(rec)
		res := rec.Result()
		if res.StatusCode != tt.status || rec.Body.String() != tt.body ||
			res.Header.Get("Content-Type") != "application/json" || res.Header.Get("Allow") != tt.allow ||
			res.Header.Get("Content-Length") != itoa(len(tt.body)) {
			t.Errorf("%s: wrote %d %v %s", tt.name, res.StatusCode, res.Header, rec.Body)
		}
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestErrorWriteHeaders(t *testing.T) {
	e := DetailCode(401, "Token is blacklisted", "token_not_valid")
	e.Header = http.Header{"Www-Authenticate": {`Bearer realm="api"`}}
	rec := httptest.NewRecorder()
	rec.Header().Set("Vary", "Accept")
	e.Write(rec)
	h := rec.Result().Header
	if h.Get("WWW-Authenticate") != `Bearer realm="api"` || h.Get("Vary") != "Accept" || rec.Code != 401 {
		t.Errorf("headers %v", h)
	}
}

func TestMarshal(t *testing.T) {
	type pair struct {
		Refresh string `json:"refresh"`
		Access  string `json:"access"`
		Skip    string `json:"-"`
		Opt     string `json:"opt,omitempty"`
	}
	errs := &Errors{}
	errs.Add("b", "1")
	errs.Add("a", "2")
	errs.Add("b", "3")
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"struct order", pair{Refresh: "r", Access: "a<b>&c", Skip: "x"}, `{"refresh":"r","access":"a<b>&c"}`},
		{"map keys sorted", map[string]any{"b": 1, "a": []int{1, 2}, "c": nil}, `{"a":[1,2],"b":1,"c":null}`},
		{"errors in insertion order", errs, `{"b":["1","3"],"a":["2"]}`},
		{"raw message compacted", json.RawMessage(`{ "a" : [1, 2] , "b":"<"}`), `{"a":[1,2],"b":"<"}`},
		{"nested errors", map[string]any{"e": errs}, `{"e":{"b":["1","3"],"a":["2"]}}`},
		{"empty object", struct{}{}, `{}`},
		{"unicode", "é\u2028😀\x7f", "\"é\\u2028😀\x7f\""},
		{"invalid UTF-8", "\xff", `"\ufffd"`},
		{"nil", nil, `null`},
	}
	for _, tt := range tests {
		got, err := Marshal(tt.v)
		if err != nil || string(got) != tt.want {
			t.Errorf("%s: got %s %v, want %s", tt.name, got, err, tt.want)
		}
	}
	if _, err := Marshal(func() {}); err == nil {
		t.Errorf("Marshal(func) did not fail")
	}
	var nilErrs *Errors
	if b, _ := nilErrs.MarshalJSON(); string(b) != "{}" || !nilErrs.Empty() {
		t.Errorf("nil Errors: %s", b)
	}
}

func TestWriteJSON(t *testing.T) {
	rec := httptest.NewRecorder()
	if err := WriteJSON(rec, 200, map[string]string{"access": "x"}); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 200 || rec.Body.String() != `{"access":"x"}` || rec.Header().Get("Content-Type") != "application/json" ||
		rec.Header().Get("Content-Length") != "14" {
		t.Errorf("got %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	rec = httptest.NewRecorder()
	if err := WriteJSON(rec, 201, make(chan int)); err == nil {
		t.Errorf("no error for a channel")
	}
	if rec.Body.Len() != 0 || rec.Header().Get("Content-Type") != "" {
		t.Errorf("wrote something after a marshal error: %v %s", rec.Header(), rec.Body)
	}
	rec = httptest.NewRecorder()
	WriteBody(rec, 200, []byte("{}"))
	if rec.Body.String() != "{}" || rec.Header().Get("Content-Length") != "2" {
		t.Errorf("WriteBody: %v %s", rec.Header(), rec.Body)
	}
}

func TestAcceptsJSON(t *testing.T) {
	tests := []struct {
		accept []string // nil: no header
		want   bool
	}{
		{nil, true},
		{[]string{"*/*"}, true},
		{[]string{"application/json"}, true},
		{[]string{"text/html;q=0.5, application/json"}, true},
		{[]string{"text/html"}, true}, // the browsable API; jwtgate answers JSON
		{[]string{"application/json; indent=4"}, true},
		{[]string{"application/*"}, true},
		{[]string{"text/*"}, true},
		{[]string{"*/json"}, true},
		{[]string{"APPLICATION/JSON"}, true},
		{[]string{"application/json;q=0"}, true}, // DRF ignores q
		{[]string{"application/xml, */*;q=0"}, true},
		{[]string{"application/xml"}, false},
		{[]string{""}, false}, // present but empty: DRF answers 406
		{[]string{"*"}, false},
		{[]string{"application/json/x"}, false},
		{[]string{"foo/bar, text/plain"}, false},
		{[]string{"application /json"}, false},
		{[]string{`"application/json"`}, false},
		{[]string{"foo/bar", "application/json"}, true}, // repeated headers are joined
		{[]string{"foo/bar", "image/png"}, false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		if tt.accept != nil {
			r.Header["Accept"] = tt.accept
		}
		if got := AcceptsJSON(r); got != tt.want {
			t.Errorf("Accept %q: got %v, want %v", tt.accept, got, tt.want)
		}
	}
}
