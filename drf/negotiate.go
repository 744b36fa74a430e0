package drf

import (
	"net/http"
	"strings"

	"github.com/jwtgate/jwtgate/internal/pystr"
)

// AcceptsJSON reports whether a request's Accept header admits a JSON
// response, as DRF's DefaultContentNegotiation.select_renderer does with
// the default renderers (JSONRenderer, BrowsableAPIRenderer): true without
// the header, or when any comma-separated item's type/subtype matches
// application/json or text/html (DRF would render its browsable API there;
// jwtgate answers JSON), "*" matching anything (*/*, application/*,
// text/*, */json). Parameters are ignored, q=0 included, as DRF ignores
// them, and a present but empty header gives false (DRF answers 406). DRF
// negotiates before it parses the body, so a 406 wins over a 415 or a
// parse error.
func AcceptsJSON(r *http.Request) bool {
	vals := r.Header.Values("Accept")
	if len(vals) == 0 {
		return true
	}
	// The WSGI server joins repeated headers with ",".
	header := strings.Join(vals, ",")
	for header != "" {
		item := header
		if i := strings.IndexByte(header, ','); i >= 0 {
			item, header = header[:i], header[i+1:]
		} else {
			header = ""
		}
		mt := parseMediaType(pystr.Strip(latin1([]byte(item))))
		if mt.matches("application", "json") || mt.matches("text", "html") {
			return true
		}
	}
	return false
}
