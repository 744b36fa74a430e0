package drf

import (
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
)

// requestContentType is the Content-Type as the WSGI server hands it to
// Django: the last header of that name wins, "" when there is none.
func requestContentType(r *http.Request) string {
	v := r.Header.Values("Content-Type")
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

// requestEncoding is Django's request.encoding: the charset parameter, as
// cgi.parse_header reads it, when Python knows that codec.
func requestEncoding(ct string) (codecClass, string) {
	if strings.IndexByte(ct, ';') < 0 {
		return codecDefault, ""
	}
	_, params, _ := parseHeader(ct, true)
	label := params["charset"].value
	return lookupCodec(label), label
}

// isFormMediaType is DRF's is_form_media_type.
func isFormMediaType(ct string) bool {
	mt := parseMediaType(ct)
	return mt.ok && ((mt.main == "application" && mt.sub == "x-www-form-urlencoded") ||
		(mt.main == "multipart" && mt.sub == "form-data"))
}

// readBody reads at most maxBytes of the body; a longer body is a 413.
func readBody(r *http.Request, maxBytes int64) ([]byte, *Error) {
	if maxBytes < 0 {
		maxBytes = 0
	}
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > maxBytes {
		return nil, tooLarge(maxBytes)
	}
	limit := int64(math.MaxInt64)
	if maxBytes < limit {
		limit = maxBytes + 1
	}
	// Room for the declared length and one byte to see EOF without
	// growing, but no more than 64 KiB before the bytes actually arrive.
	size := int64(512)
	if r.ContentLength >= 0 && r.ContentLength < limit {
		size = r.ContentLength + 1
	}
	size = min(size, limit, 64<<10)
	buf := make([]byte, 0, size)
	lr := io.LimitReader(r.Body, limit)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, tooLarge(maxBytes)
			}
			return nil, Detail(http.StatusBadRequest, "Malformed request.")
		}
	}
	if int64(len(buf)) > maxBytes {
		return nil, tooLarge(maxBytes)
	}
	return buf, nil
}

func tooLarge(maxBytes int64) *Error {
	return Detail(http.StatusRequestEntityTooLarge,
		"Request body exceeds the limit of "+strconv.FormatInt(maxBytes, 10)+" bytes.")
}
