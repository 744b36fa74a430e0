package drf

import (
	"net/http"
	"strings"

	"github.com/jwtgate/jwtgate/internal/pystr"
)

// acceptsJSON is DRF's DefaultContentNegotiation.select_renderer with the
// default renderers (JSONRenderer, BrowsableAPIRenderer) succeeding, URL
// format overrides aside. DRF splits the header on "," and matches each
// item's type and subtype ("*" matches anything) against
// "application/json" and "text/html"; it ignores parameters, q=0
// included. No Accept header means "*/*"; an empty one matches nothing.
func acceptsJSON(r *http.Request) bool {
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
