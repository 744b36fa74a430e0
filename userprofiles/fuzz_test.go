package userprofiles

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
)

// FuzzViews: register and users answer any method, content type,
// Authorization and body with JSON and a 2xx, 4xx or 503 status, a
// Content-Length that matches, and never a panic.
func FuzzViews(f *testing.F) {
	e := newViewEnv(f, vtOptions{})
	_, access := e.login("siva", "siva")
	cts := []string{"application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=B", "text/plain", ""}
	methods := []string{"POST", "GET", "OPTIONS", "PUT", "DELETE"}
	for i, body := range []string{
		`{"username":"new_user","email":"new@example.com","password":"pass-9f1e-long","password2":"pass-9f1e-long"}`,
		`{"username":"siva","email":"siva@example.com","password":"x","password2":"y"}`,
		`username=u2&email=u2%40example.com&password=p-4d2c-long&password2=p-4d2c-long`,
		"--B\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nu3\r\n--B--\r\n",
		`{"username":1e999,"email":null}`, `[`, "",
	} {
		f.Add(uint8(i), uint8(i%len(cts)), "", []byte(body))
		f.Add(uint8(i|1), uint8(0), "Bearer "+access, []byte(body))
	}
	f.Fuzz(func(t *testing.T, sel, ctSel uint8, auth string, body []byte) {
		v := Register
		if sel&1 == 1 {
			v = Users
		}
		method := methods[int(sel>>1)%len(methods)]
		r := httptest.NewRequest(method, "/", bytes.NewReader(body))
		r.RemoteAddr = "192.0.2.1:1234"
		if ct := cts[int(ctSel)%len(cts)]; ct != "" {
			r.Header.Set("Content-Type", ct)
		}
		if auth != "" {
			r.Header["Authorization"] = []string{auth}
		}
		w := httptest.NewRecorder()
		_, h := e.handler(v)
		h(w, r)
		code, b := w.Code, w.Body.Bytes()
		if !(code >= 200 && code <= 299 || code >= 400 && code <= 499 || code == http.StatusServiceUnavailable) {
			t.Fatalf("%s %s: status %d %q", method, v, code, b)
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/json" || !json.Valid(b) {
			t.Fatalf("%s %s: status %d, Content-Type %q, body %q", method, v, code, ct, b)
		}
		if cl := w.Header().Get("Content-Length"); cl != "" && cl != strconv.Itoa(len(b)) {
			t.Fatalf("Content-Length %s for %d bytes", cl, len(b))
		}
	})
}
