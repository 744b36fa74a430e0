package drf

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// Indent returns how many spaces DRF's JSONRenderer would indent the
// answer to r with: the indent parameter of an application/json media range
// in the Accept header (Accept: application/json; indent=4), clamped to
// 0–8 as DRF does; 0 means compact.
func Indent(r *http.Request) int {
	accept := r.Header.Get("Accept")
	if !strings.Contains(accept, "indent") {
		return 0
	}
	for _, rng := range strings.Split(accept, ",") {
		mt, params, _ := strings.Cut(rng, ";")
		if !strings.EqualFold(strings.TrimSpace(mt), "application/json") {
			continue
		}
		for _, p := range strings.Split(params, ";") {
			k, v, _ := strings.Cut(p, "=")
			if strings.TrimSpace(k) != "indent" {
				continue
			}
			n, err := strconv.Atoi(strings.Trim(strings.TrimSpace(v), `"`))
			if err != nil {
				return 0
			}
			return min(max(n, 0), 8)
		}
	}
	return 0
}

// Indenting returns w itself when r does not ask for indented JSON, and
// otherwise a writer that re-indents the JSON body as DRF's JSONRenderer
// does with indent (separators "," and ": ", keys and values unchanged).
// Call done after the handler has written the response.
func Indenting(w http.ResponseWriter, r *http.Request) (_ http.ResponseWriter, done func()) {
	n := Indent(r)
	if n == 0 {
		return w, func() {}
	}
	iw := &indentWriter{ResponseWriter: w, indent: strings.Repeat(" ", n)}
	return iw, iw.flush
}

type indentWriter struct {
	http.ResponseWriter
	indent string
	status int
	buf    bytes.Buffer
}

func (w *indentWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *indentWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.buf.Write(b)
}

func (w *indentWriter) flush() {
	body := w.buf.Bytes()
	if strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") && len(body) > 0 {
		var out bytes.Buffer
		if json.Indent(&out, body, "", w.indent) == nil {
			body = out.Bytes()
		}
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.ResponseWriter.WriteHeader(w.status)
	w.ResponseWriter.Write(body)
}
