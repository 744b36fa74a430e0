package attacks

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
)

// tokenRoutes are every path jwt_endpoints serves in the attack gateway.
var tokenRoutes = []string{"api/token/", "login/", "api/token/refresh/", "api/token/verify/", "api/token/blacklist/", "register/", "users/"}

// hostileBody is a request body (and how it is sent) that must never get
// a 500 or a non-JSON answer.
type hostileBody struct {
	name    string
	method  string // default POST
	headers []string
	body    func() io.Reader
	// status and want, when set, are the exact answer of every POST view
	// (users/, which authenticates first, answers 401 to everything).
	status int
	want   string
}

const bodyLimit = 64 << 10

func fixed(b []byte) func() io.Reader { return func() io.Reader { return bytes.NewReader(b) } }

func fixedString(s string) func() io.Reader { return fixed([]byte(s)) }

// chunked hides the length, so the body is sent chunked.
func chunked(b []byte) func() io.Reader {
	return func() io.Reader { return io.MultiReader(bytes.NewReader(b)) }
}

func ct(v string) []string { return []string{"Content-Type: " + v} }

func garbage(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func multipartBody(boundary string, parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString("--" + boundary + "\r\n" + p + "\r\n")
	}
	b.WriteString("--" + boundary + "--\r\n")
	return b.String()
}

func gzipped(s string) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	io.WriteString(w, s)
	w.Close()
	return buf.Bytes()
}

func hostileBodies() []hostileBody {
	tooLarge := `{"detail":"Request body exceeds the limit of 65536 bytes."}`
	jsonOf := func(n int) []byte { // a JSON object of exactly n bytes
		head := `{"username":"`
		return []byte(head + strings.Repeat("a", n-len(head)-2) + `"}`)
	}
	manyFields := func(n int, distinct bool) string {
		var b strings.Builder
		for i := range n {
			if i > 0 {
				b.WriteByte('&')
			}
			if distinct {
				b.WriteString("f" + strconv.Itoa(i) + "=1")
			} else {
				b.WriteString("a=1")
			}
		}
		return b.String()
	}
	manyMembers := func(n int) string {
		var b strings.Builder
		b.WriteByte('{')
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`"m` + strconv.Itoa(i) + `":0`)
		}
		b.WriteByte('}')
		return b.String()
	}
	manyParts := func(n int) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = "Content-Disposition: form-data; name=\"p" + strconv.Itoa(i) + "\"\r\n\r\nv"
		}
		return multipartBody("B", parts...)
	}
	mp := ct("multipart/form-data; boundary=B")
	bodies := []hostileBody{
		// Size.
		{name: "JSON one byte over the limit", headers: ct("application/json"), body: fixed(jsonOf(bodyLimit + 1)), status: 413, want: tooLarge},
		{name: "1 MiB of JSON", headers: ct("application/json"), body: fixed(jsonOf(1 << 20)), status: 413, want: tooLarge},
		{name: "1 MiB of JSON, chunked", headers: ct("application/json"), body: chunked(jsonOf(1 << 20)), status: 413, want: tooLarge},
		{name: "JSON one byte over the limit, chunked", headers: ct("application/json"), body: chunked(jsonOf(bodyLimit + 1)), status: 413, want: tooLarge},
		{name: "1 MiB form", headers: ct("application/x-www-form-urlencoded"), body: fixedString("username=" + strings.Repeat("a", 1<<20)), status: 413, want: tooLarge},
		{name: "1 MiB multipart", headers: mp, body: fixedString(multipartBody("B", "Content-Disposition: form-data; name=\"username\"\r\n\r\n"+strings.Repeat("a", 1<<20))), status: 413, want: tooLarge},
		{name: "1 MiB of text/plain", headers: ct("text/plain"), body: fixed(garbage(1<<20, 1)), status: 413, want: tooLarge},
		{name: "JSON exactly at the limit", headers: ct("application/json"), body: fixed(jsonOf(bodyLimit))},
		// Structure.
		{name: "JSON arrays nested 30000 deep", headers: ct("application/json"), body: fixedString(strings.Repeat("[", 30000) + strings.Repeat("]", 30000))},
		{name: "JSON objects nested 5000 deep", headers: ct("application/json"), body: fixedString(`{"username":` + strings.Repeat(`{"a":`, 5000) + "1" + strings.Repeat("}", 5001))},
		{name: "JSON arrays opened 60000 deep, never closed", headers: ct("application/json"), body: fixedString(strings.Repeat("[", 60000))},
		{name: "JSON with 5000 members", headers: ct("application/json"), body: fixedString(manyMembers(5000))},
		{name: "10000 form fields, one name", headers: ct("application/x-www-form-urlencoded"), body: fixedString(manyFields(10000, false))},
		{name: "10000 form fields, distinct names", headers: ct("application/x-www-form-urlencoded"), body: fixedString(manyFields(6000, true) + "&" + manyFields(4000, false))},
		{name: "1000 multipart parts", headers: mp, body: fixedString(manyParts(1000))},
		{name: "truncated JSON", headers: ct("application/json"), body: fixedString(`{"username":"siva",`), status: 400,
			want: `{"detail":"JSON parse error - Expecting property name enclosed in double quotes: line 1 column 20 (char 19)"}`},
		{name: "JSON list", headers: ct("application/json"), body: fixedString(`["refresh","token"]`), status: 400,
			want: `{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}`},
		{name: "JSON null", headers: ct("application/json"), body: fixedString(`null`), status: 400, want: `{"non_field_errors":["No data provided"]}`},
		// Encoding.
		{name: "invalid UTF-8 in JSON", headers: ct("application/json"), body: fixedString("{\"username\":\"\xff\"}"), status: 400,
			want: `{"detail":"JSON parse error - 'utf-8' codec can't decode byte 0xff in position 13: invalid start byte"}`},
		{name: "invalid UTF-8 in a form", headers: ct("application/x-www-form-urlencoded"), body: fixedString("username=\xff\xfe&password=%ff&refresh=\xc3&token=\xed\xa0\x80")},
		{name: "invalid UTF-8 in multipart", headers: mp, body: fixedString(multipartBody("B",
			"Content-Disposition: form-data; name=\"username\"\r\n\r\n\xff\xfe", "Content-Disposition: form-data; name=\"\xff\"\r\n\r\nx"))},
		{name: "UTF-16 charset with garbage", headers: ct("application/json; charset=utf-16"), body: fixed(garbage(999, 2))},
		{name: "unknown charset", headers: ct("application/json; charset=x-no-such-codec"), body: fixedString(`{"refresh":"a"}`)},
		{name: "BOM", headers: ct("application/json"), body: fixedString("\xef\xbb\xbf{}"), status: 400,
			want: `{"detail":"JSON parse error - Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)"}`},
		{name: "lone surrogates", headers: ct("application/json"), body: fixedString(`{"username":"\ud800","password":"\udfff","refresh":"\ud800","token":"\udc00"}`)},
		// Content types.
		{name: "text/plain", headers: ct("text/plain"), body: fixedString("refresh=x"), status: 415, want: `{"detail":"Unsupported media type \"text/plain\" in request."}`},
		{name: "application/xml", headers: ct("application/xml"), body: fixedString("<refresh>x</refresh>"), status: 415,
			want: `{"detail":"Unsupported media type \"application/xml\" in request."}`},
		{name: "no Content-Type", body: fixedString("refresh=x"), status: 415, want: `{"detail":"Unsupported media type \"\" in request."}`},
		{name: "Content-Type with bytes above 0x7f", headers: ct("application/\xe9json"), body: fixedString("{}")},
		{name: "Content-Type of 8 KiB", headers: ct("application/json; x=" + strings.Repeat("y", 8<<10)), body: fixedString("{}")},
		{name: "Content-Type of parameters only", headers: ct(";;;=;"), body: fixedString("{}")},
		{name: "two Content-Types", headers: []string{"Content-Type: application/json", "Content-Type: multipart/form-data"}, body: fixedString("{}"), status: 400,
			want: `{"detail":"Multipart form parse error - Invalid boundary in multipart: None"}`},
		{name: "multipart without a boundary", headers: ct("multipart/form-data"), body: fixedString("abc"), status: 400,
			want: `{"detail":"Multipart form parse error - Invalid boundary in multipart: None"}`},
		{name: "multipart with an empty boundary", headers: ct("multipart/form-data; boundary="), body: fixedString("abc"), status: 400,
			want: `{"detail":"Multipart form parse error - Invalid boundary in multipart: "}`},
		{name: "multipart with a 300-character boundary", headers: ct("multipart/form-data; boundary=" + strings.Repeat("b", 300)),
			body: fixedString(multipartBody(strings.Repeat("b", 300), "Content-Disposition: form-data; name=\"refresh\"\r\n\r\nx"))},
		{name: "multipart, unterminated", headers: mp, body: fixedString("--B\r\nContent-Disposition: form-data; name=\"refresh\"\r\n\r\nxyz")},
		{name: "multipart, part without headers", headers: mp, body: fixedString("--B\r\n\r\nvalue\r\n--B--\r\n")},
		{name: "multipart, headers without end", headers: mp, body: fixedString("--B\r\nContent-Disposition: form-data; name=\"refresh\"\r\n" + strings.Repeat("X-A: b\r\n", 2000))},
		{name: "multipart, base64 garbage", headers: mp, body: fixedString(multipartBody("B",
			"Content-Disposition: form-data; name=\"refresh\"\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!*&^%"))},
		{name: "multipart, a file field", headers: mp, body: fixedString(multipartBody("B",
			"Content-Disposition: form-data; name=\"refresh\"; filename=\"../../etc/passwd\"\r\nContent-Type: application/octet-stream\r\n\r\n"+string(garbage(2000, 3))))},
		{name: "gzip-encoded JSON", headers: []string{"Content-Type: application/json", "Content-Encoding: gzip"}, body: fixed(gzipped(`{"refresh":"x"}`))},
		// Garbage.
		{name: "binary garbage as JSON", headers: ct("application/json"), body: fixed(garbage(4096, 4))},
		{name: "binary garbage as a form", headers: ct("application/x-www-form-urlencoded"), body: fixed(garbage(4096, 5))},
		{name: "binary garbage as multipart", headers: mp, body: fixed(garbage(4096, 6))},
		{name: "binary garbage without Content-Type", body: fixed(garbage(4096, 7))},
		// Numbers.
		{name: "JSON 1e999", headers: ct("application/json"), body: fixedString(`{"username":1e999,"password":1e999,"refresh":1e999,"token":-1e999,"email":1e999,"password2":1e999}`)},
		{name: "JSON 1e-999 and -0", headers: ct("application/json"), body: fixedString(`{"username":1e-999,"password":-0,"refresh":-0.0,"token":1E-999}`)},
		{name: "JSON 5000-digit integer", headers: ct("application/json"), body: fixedString(`{"refresh":` + strings.Repeat("9", 5000) + `}`), status: 400,
			want: `{"detail":"JSON parse error - Exceeds the limit (4300 digits) for integer string conversion: value has 5000 digits; use sys.set_int_max_str_digits() to increase the limit"}`},
		{name: "JSON NaN", headers: ct("application/json"), body: fixedString(`{"refresh":NaN}`), status: 400,
			want: `{"detail":"JSON parse error - Out of range float values are not JSON compliant: 'NaN'"}`},
		// NUL bytes.
		{name: "raw NUL bytes in JSON", headers: ct("application/json"), body: fixedString("{\"refresh\":\"a\x00b\",\x00}")},
		{name: "escaped NULs in JSON", headers: ct("application/json"),
			body: fixedString(`{"username":"a\u0000","password":"\u0000","refresh":"\u0000","token":"x\u0000","email":"\u0000@x.io","password2":"\u0000"}`)},
		{name: "NULs in a form", headers: ct("application/x-www-form-urlencoded"), body: fixedString("username=%00&password=\x00&refresh=a%00&token=\x00\x00")},
		{name: "NULs in multipart", headers: mp, body: fixedString(multipartBody("B",
			"Content-Disposition: form-data; name=\"refresh\"\r\n\r\n\x00\x00", "Content-Disposition: form-data; name=\"tok\x00en\"\r\n\r\nx"))},
		{name: "only NUL bytes", headers: ct("application/json"), body: fixed(make([]byte, 4096))},
		// Methods and negotiation.
		{name: "PUT with a body", method: "PUT", headers: ct("application/json"), body: fixedString(`{"refresh":"x"}`)},
		{name: "DELETE with a 1 MiB body", method: "DELETE", headers: ct("application/json"), body: fixed(jsonOf(1 << 20))},
		{name: "an unknown method", method: "FROB", headers: ct("application/json"), body: fixedString(`{}`)},
		{name: "Accept: text/html", headers: []string{"Content-Type: application/json", "Accept: text/html"}, body: fixedString(`{"refresh":"x"`)},
		{name: "Accept: application/xml", headers: []string{"Content-Type: application/json", "Accept: application/xml"}, body: fixedString(`{}`), status: 406,
			want: `{"detail":"Could not satisfy the request Accept header."}`},
		{name: "empty Accept", headers: []string{"Content-Type: application/json", "Accept:"}, body: fixedString(`{}`), status: 406,
			want: `{"detail":"Could not satisfy the request Accept header."}`},
	}
	return bodies
}

// testHostileBodies sends every hostile body to every token route: never
// a 5xx, always a JSON body with Content-Type application/json, 413 above
// the limit, and the reference's exact answer where it is recorded.
func testHostileBodies(t *testing.T, e *attackEnv) {
	bodies := hostileBodies()
	start := time.Now()
	n := 0
	for _, b := range bodies {
		for _, route := range tokenRoutes {
			method := b.method
			if method == "" {
				method = "POST"
			}
			what := method + " " + route + ": " + b.name
			before := e.echo.Requests()
			t0 := time.Now()
			r := harness.Do(t, method, e.g.URL+"/userprofiles/"+route, b.body(), b.headers...)
			n++
			if d := time.Since(t0); d > 3*time.Second {
				t.Errorf("%s: answered in %v", what, d)
			}
			if r.Status < 400 || r.Status > 499 {
				t.Errorf("%s: status %d, want a 4xx: %.300s", what, r.Status, r.Body)
			}
			if got := r.Header.Get("Content-Type"); got != "application/json" {
				t.Errorf("%s: Content-Type %q: %.300s", what, got, r.Body)
			}
			if !json.Valid([]byte(r.Body)) || !strings.HasPrefix(r.Body, "{") {
				t.Errorf("%s: the body is not a JSON object: %.300q", what, r.Body)
			}
			if e.echo.Requests() != before {
				t.Errorf("%s: the upstream received the request", what)
			}
			switch {
			case route == "users/" && b.status == 406:
				harness.Expect(t, what, r, 406, b.want) // DRF negotiates first
			case route == "users/" && method == "POST":
				harness.Expect(t, what, r, 401, harness.NotProvided)
			case b.status != 0:
				harness.Expect(t, what, r, b.status, b.want)
			}
		}
	}
	t.Logf("%d hostile bodies × %d routes = %d requests in %v", len(bodies), len(tokenRoutes), n, time.Since(start).Round(time.Millisecond))
}
