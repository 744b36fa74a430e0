package conformance

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
)

// request is what a scenario sends to one side.
type request struct {
	method, path string
	header       []string // "Name: value"
	body         string   // "" sends no body
	chunked      bool     // send the body with Transfer-Encoding: chunked
}

func (rq request) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", rq.method, rq.path)
	for _, h := range rq.header {
		if len(h) > 120 {
			h = h[:120] + "…"
		}
		fmt.Fprintf(&b, "\n    %s", h)
	}
	if rq.chunked {
		b.WriteString("\n    Transfer-Encoding: chunked")
	}
	if rq.body != "" {
		body := rq.body
		if len(body) > 400 {
			body = body[:400] + "…"
		}
		fmt.Fprintf(&b, "\n    %q", body)
	}
	return b.String()
}

// expect is one side's documented answer, for the deliberate differences.
type expect struct {
	status   int
	body     string // the exact body, unless skeleton or htmlPrefix is set
	skeleton string // the body's skeleton (tokens as "<jwt>"); the tokens are checked too
	// htmlPrefix: an HTML body starting with this.
	htmlPrefix string
	ctype      string // Content-Type; default application/json
	www        bool   // WWW-Authenticate: Bearer realm="api"
	// allow, when set, is the Allow header (compared as a set), and
	// noAllow says there must be none; otherwise the views' rule applies.
	allow   string
	noAllow bool
}

// difference is a deliberate difference: the reference's recorded answer
// and the gateway's documented one.
type difference struct {
	why     string // where it is documented
	ref, gw expect
}

// scenario is one request sent to both sides.
type scenario struct {
	name string
	req  func(s *side) request
	// refreshedFrom, for the refresh view, returns the refresh token the
	// side was sent, for the lifetime rules of the tokens it mints.
	refreshedFrom func(s *side) string
	// normalise, when set, is applied to both bodies before they are
	// compared (narrowly: values that legitimately differ, such as
	// timestamps).
	normalise func(t *testing.T, body string) string
	// before runs on each side before its request is sent.
	before func(t *testing.T, s *side)
	// capture records what later scenarios need from a side's answer.
	capture func(t *testing.T, s *side, r harness.Response)
	// differs, when set, is a deliberate difference; otherwise the gateway
	// must answer as the reference.
	differs *difference
}

// class is how a scenario ended, for the summary.
type class int

const (
	identical class = iota
	deliberate
	realDifference
)

type result struct {
	name  string
	class class
	note  string
}

// fixed returns a request builder that sends the same request to both
// sides.
func fixed(rq request) func(*side) request { return func(*side) request { return rq } }

func jsonReq(path, body string, header ...string) request {
	return request{method: "POST", path: path, body: body, header: append([]string{"Content-Type: application/json"}, header...)}
}

// formReq is an urlencoded POST with the fields in the given order.
func formReq(path string, kv ...string) request {
	var parts []string
	for i := 0; i+1 < len(kv); i += 2 {
		parts = append(parts, url.QueryEscape(kv[i])+"="+url.QueryEscape(kv[i+1]))
	}
	return request{method: "POST", path: path, body: strings.Join(parts, "&"),
		header: []string{"Content-Type: application/x-www-form-urlencoded"}}
}

const boundary = "----conformanceboundary7f3c"

// multipartReq is a multipart/form-data POST with the fields in order.
func multipartReq(path string, kv ...string) request {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(&b, "--%s\r\nContent-Disposition: form-data; name=%q\r\n\r\n%s\r\n", boundary, kv[i], kv[i+1])
	}
	fmt.Fprintf(&b, "--%s--\r\n", boundary)
	return request{method: "POST", path: path, body: b.String(),
		header: []string{"Content-Type: multipart/form-data; boundary=" + boundary}}
}

func getReq(path string, header ...string) request {
	return request{method: "GET", path: path, header: header}
}

// send sends rq to s and returns the answer with the Unix seconds before
// and after.
func send(t *testing.T, s *side, rq request) (r harness.Response, before, after int64) {
	t.Helper()
	var body io.Reader
	if rq.body != "" {
		body = strings.NewReader(rq.body)
	}
	before = time.Now().Unix()
	if rq.chunked {
		r = sendChunked(t, s.url, rq)
	} else {
		r = harness.Do(t, rq.method, s.url+rq.path, body, rq.header...)
	}
	after = time.Now().Unix()
	return r, before, after
}

// sendChunked sends rq with a chunked body, the whole request in one
// write: gunicorn answers without reading a chunked body and closes the
// connection, so a client writing the body after the headers can get
// EPIPE instead of the answer.
func sendChunked(t *testing.T, base string, rq request) harness.Response {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n", rq.method, rq.path, u.Host)
	for _, h := range rq.header {
		k, v, _ := strings.Cut(h, ":")
		fmt.Fprintf(&b, "%s: %s\r\n", strings.TrimSpace(k), strings.TrimSpace(v))
	}
	fmt.Fprintf(&b, "\r\n%x\r\n%s\r\n0\r\n\r\n", len(rq.body), rq.body)
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatalf("%s %s (chunked): %v", rq.method, base+rq.path, err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s %s (chunked): %v", rq.method, base+rq.path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return harness.Response{Status: resp.StatusCode, Header: resp.Header, Body: string(out)}
}

// answer formats a response for the failure messages.
func answer(r harness.Response) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d", r.Status)
	for _, h := range comparedHeaders {
		if v := r.Header.Get(h); v != "" {
			fmt.Fprintf(&b, "\n    %s: %s", h, v)
		}
	}
	body := r.Body
	if len(body) > 700 {
		body = body[:700] + "…"
	}
	fmt.Fprintf(&b, "\n    %s", body)
	return b.String()
}

// comparedHeaders are the headers the sides must agree on.
var comparedHeaders = []string{"Content-Type", "Www-Authenticate", "Allow", "Location"}

// allowIsASet: the reference's function views (register/, users/) build
// Allow from a Python set, so its order varies per worker process.
func allowIsASet(path string) bool {
	return strings.HasSuffix(path, "/register/") || strings.HasSuffix(path, "/users/")
}

func allowSet(v string) string {
	var ms []string
	for _, m := range strings.Split(v, ",") {
		if m = strings.TrimSpace(m); m != "" {
			ms = append(ms, m)
		}
	}
	sort.Strings(ms)
	return strings.Join(ms, ", ")
}

// headerDiffs lists the compared headers on which the answers differ.
func headerDiffs(path string, ref, gw harness.Response) []string {
	var diffs []string
	for _, h := range comparedHeaders {
		rv, gv := ref.Header.Get(h), gw.Header.Get(h)
		if h == "Allow" && allowIsASet(path) {
			rv, gv = allowSet(rv), allowSet(gv)
		}
		if rv != gv {
			diffs = append(diffs, fmt.Sprintf("header %s: reference %q, gateway %q", h, rv, gv))
		}
	}
	return diffs
}

// tokenRule is what a token's lifetime must be.
type tokenRule int

const (
	ruleObtained        tokenRule = iota // obtain and register: ACCESS/REFRESH_TOKEN_LIFETIME
	ruleRotated                          // the new refresh token of a rotation: REFRESH_TOKEN_LIFETIME, iat now
	ruleRefreshedAccess                  // an access token minted by refresh: see checkToken
)

// sideTokens is what checkTokens learned about one side's tokens.
type sideTokens struct {
	skeleton string
	tokens   []foundJWT
	infos    []jwtInfo
}

// checkTokens checks, on one side, the tokens in a body: each decodes to
// simplejwt's header and claims, is signed with the shared key, and has
// the lifetime of its rule. It returns problems, not failures.
func checkTokens(sideName string, body string, submitted string, before, after int64) (sideTokens, []string) {
	var st sideTokens
	var probs []string
	skel, toks, err := skeleton(body)
	if err != nil {
		return st, []string{fmt.Sprintf("%s: body is not JSON: %v", sideName, err)}
	}
	st.skeleton, st.tokens = skel, toks
	var sub jwtInfo
	if submitted != "" {
		sub, _ = decodeJWT(submitted)
	}
	subIat, _ := sub.intClaim("iat")
	byParent := map[string]map[string]jwtInfo{}
	for _, f := range toks {
		p := func(format string, a ...any) {
			probs = append(probs, fmt.Sprintf("%s: token %q: %s", sideName, f.path, fmt.Sprintf(format, a...)))
		}
		j, err := decodeJWT(f.raw)
		st.infos = append(st.infos, j)
		if err != nil {
			p("does not decode: %v", err)
			continue
		}
		if j.header != `{"alg":"HS256","typ":"JWT"}` {
			p("header %s, want {\"alg\":\"HS256\",\"typ\":\"JWT\"}", j.header)
		}
		if !j.sigOK {
			p("not an HS256 signature with the shared key")
		}
		name := f.path[strings.LastIndex(f.path, ".")+1:]
		// simplejwt's order; a rotated refresh token is the submitted
		// payload with new jti, exp and iat, so it keeps that order.
		wantOrder := "token_type,exp,iat,jti,user_id"
		if submitted != "" && name == "refresh" {
			wantOrder = strings.Join(sub.claimOrder, ",")
		}
		if got := strings.Join(j.claimOrder, ","); got != wantOrder {
			p("claims %s, want %s in that order", got, wantOrder)
		}
		if typ := j.strClaim("token_type"); typ != name {
			p("token_type %q, want %q", typ, name)
		}
		if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(j.strClaim("jti")) {
			p("jti %s is not 32 lowercase hex digits", j.claims["jti"])
		}
		if _, ok := j.intClaim("user_id"); !ok {
			p("user_id %s is not an integer", j.claims["user_id"])
		}
		exp, ok1 := j.intClaim("exp")
		iat, ok2 := j.intClaim("iat")
		if !ok1 || !ok2 {
			p("exp %s / iat %s are not integers", j.claims["exp"], j.claims["iat"])
			continue
		}
		rule := ruleObtained
		if submitted != "" {
			rule = ruleRotated
			if name == "access" {
				rule = ruleRefreshedAccess
			}
		}
		want := int64(accessLifetime)
		if name == "refresh" {
			want = refreshLifetime
		}
		nowish := func(v int64) bool { return v >= before-1 && v <= after+1 }
		switch {
		case rule == ruleRefreshedAccess && sideName == "reference":
			// simplejwt 5.2.2 copies the refresh token's iat: exp − iat is
			// ACCESS_TOKEN_LIFETIME plus the refresh token's age.
			if iat != subIat || !nowish(exp-accessLifetime) {
				p("exp−iat %d (iat %d, exp %d): want iat = the refresh token's iat %d and exp = now + %d",
					exp-iat, iat, exp, subIat, accessLifetime)
			}
		default:
			// The gateway's refreshed access token has iat = now
			// (docs/simplejwt.md, "Deviations"), so exp − iat is
			// ACCESS_TOKEN_LIFETIME, as for every other token.
			if exp-iat != want || !nowish(iat) {
				p("exp−iat %d, iat %d: want exp−iat %d and iat now (%d…%d)", exp-iat, iat, want, before, after)
			}
		}
		if rule != ruleObtained && j.strClaim("jti") == sub.strClaim("jti") {
			p("has the submitted refresh token's jti")
		}
		parent := strings.TrimSuffix(f.path, name)
		if byParent[parent] == nil {
			byParent[parent] = map[string]jwtInfo{}
		}
		byParent[parent][name] = j
	}
	// An obtained pair shares iat; the jtis differ.
	for parent, pair := range byParent {
		a, okA := pair["access"]
		r, okR := pair["refresh"]
		if !okA || !okR {
			continue
		}
		if a.strClaim("jti") == r.strClaim("jti") {
			probs = append(probs, fmt.Sprintf("%s: %saccess and %srefresh have the same jti", sideName, parent, parent))
		}
		ai, _ := a.intClaim("iat")
		ri, _ := r.intClaim("iat")
		if submitted == "" && ai != ri {
			probs = append(probs, fmt.Sprintf("%s: %saccess iat %d ≠ %srefresh iat %d (a pair shares iat)", sideName, parent, ai, parent, ri))
		}
	}
	return st, probs
}

// compareTokens compares the two sides' tokens position by position: same
// claim names in the same order, same token_type and user_id, and the same
// exp − iat except for refreshed access tokens (each side's rule was
// checked by checkTokens).
func compareTokens(ref, gw sideTokens, refreshed bool) []string {
	var diffs []string
	if ref.skeleton != gw.skeleton {
		return []string{fmt.Sprintf("body skeleton: reference %s, gateway %s", ref.skeleton, gw.skeleton)}
	}
	for i := range ref.infos {
		if i >= len(gw.infos) {
			break
		}
		r, g := ref.infos[i], gw.infos[i]
		path := ref.tokens[i].path
		if a, b := strings.Join(r.claimOrder, ","), strings.Join(g.claimOrder, ","); a != b {
			diffs = append(diffs, fmt.Sprintf("token %q: claims reference %s, gateway %s", path, a, b))
		}
		if r.header != g.header {
			diffs = append(diffs, fmt.Sprintf("token %q: header reference %s, gateway %s", path, r.header, g.header))
		}
		for _, c := range []string{"token_type", "user_id"} {
			if string(r.claims[c]) != string(g.claims[c]) {
				diffs = append(diffs, fmt.Sprintf("token %q: %s reference %s, gateway %s", path, c, r.claims[c], g.claims[c]))
			}
		}
		isRefreshedAccess := refreshed && strings.HasSuffix(path, "access")
		if !isRefreshedAccess && r.lifetime() != g.lifetime() {
			diffs = append(diffs, fmt.Sprintf("token %q: exp−iat reference %d, gateway %d", path, r.lifetime(), g.lifetime()))
		}
	}
	return diffs
}

// checkExpect checks one side's answer against its documented answer.
func checkExpect(sideName, path string, e expect, r harness.Response, submitted string, before, after int64) []string {
	var probs []string
	p := func(format string, a ...any) { probs = append(probs, sideName+": "+fmt.Sprintf(format, a...)) }
	if r.Status != e.status {
		p("status %d, want %d", r.Status, e.status)
	}
	ctype := e.ctype
	if ctype == "" {
		ctype = "application/json"
	}
	if got := r.Header.Get("Content-Type"); got != ctype {
		p("Content-Type %q, want %q", got, ctype)
	}
	www := ""
	if e.www {
		www = `Bearer realm="api"`
	}
	if got := r.Header.Get("Www-Authenticate"); got != www {
		p("WWW-Authenticate %q, want %q", got, www)
	}
	got := r.Header.Get("Allow")
	switch {
	case e.noAllow:
		if got != "" {
			p("Allow %q, want none", got)
		}
	case e.allow != "":
		if allowSet(got) != allowSet(e.allow) {
			p("Allow %q, want %q", got, e.allow)
		}
	case ctype == "application/json" && got != "" && allowSet(got) != allowSet(allowOf(path)):
		p("Allow %q, want %q", got, allowOf(path))
	}
	switch {
	case e.skeleton != "":
		st, tprobs := checkTokens(sideName, r.Body, submitted, before, after)
		probs = append(probs, tprobs...)
		if st.skeleton != e.skeleton {
			p("body skeleton %s, want %s", st.skeleton, e.skeleton)
		}
	case e.htmlPrefix != "":
		if !strings.HasPrefix(r.Body, e.htmlPrefix) {
			p("body does not start with %q: %.200q", e.htmlPrefix, r.Body)
		}
	default:
		if r.Body != e.body {
			p("body %s, want %s", r.Body, e.body)
		}
	}
	return probs
}

// allowOf is the Allow header of the views.
func allowOf(path string) string {
	if strings.HasSuffix(path, "/users/") {
		return "GET, OPTIONS"
	}
	return "POST, OPTIONS"
}

// run sends sc to both sides and compares the answers; it returns how the
// scenario ended.
func run(t *testing.T, ref, gw *side, sc scenario) result {
	t.Helper()
	res := result{name: sc.name}
	if sc.before != nil {
		sc.before(t, ref)
		sc.before(t, gw)
	}
	rqRef, rqGw := sc.req(ref), sc.req(gw)
	rRef, bRef, aRef := send(t, ref, rqRef)
	rGw, bGw, aGw := send(t, gw, rqGw)
	var subRef, subGw string
	if sc.refreshedFrom != nil {
		subRef, subGw = sc.refreshedFrom(ref), sc.refreshedFrom(gw)
	}
	var probs []string
	if d := sc.differs; d != nil {
		res.class, res.note = deliberate, d.why
		probs = append(probs, checkExpect("reference", rqRef.path, d.ref, rRef, subRef, bRef, aRef)...)
		probs = append(probs, checkExpect("gateway", rqGw.path, d.gw, rGw, subGw, bGw, aGw)...)
		if len(probs) > 0 {
			t.Errorf("%s\nrequest: %s\nthe documented answers were not given:\n  - %s\nreference: %s\ngateway:   %s",
				sc.name, rqRef, strings.Join(probs, "\n  - "), answer(rRef), answer(rGw))
			res.class, res.note = realDifference, strings.Join(probs, "; ")
		}
	} else {
		if rRef.Status != rGw.Status {
			probs = append(probs, fmt.Sprintf("status: reference %d, gateway %d", rRef.Status, rGw.Status))
		}
		probs = append(probs, headerDiffs(rqRef.path, rRef, rGw)...)
		_, refToks, _ := skeleton(rRef.Body)
		_, gwToks, _ := skeleton(rGw.Body)
		if len(refToks) > 0 || len(gwToks) > 0 {
			stRef, p1 := checkTokens("reference", rRef.Body, subRef, bRef, aRef)
			stGw, p2 := checkTokens("gateway", rGw.Body, subGw, bGw, aGw)
			probs = append(append(probs, p1...), p2...)
			probs = append(probs, compareTokens(stRef, stGw, sc.refreshedFrom != nil)...)
			if sc.refreshedFrom != nil && strings.Contains(stRef.skeleton, `"access"`) {
				// Identical apart from the refreshed access token's iat.
				res.class, res.note = deliberate, "refreshed access token: iat = now on the gateway, the refresh token's iat on the reference (docs/simplejwt.md, Deviations)"
			}
		} else {
			bodyRef, bodyGw := rRef.Body, rGw.Body
			if sc.normalise != nil {
				bodyRef, bodyGw = sc.normalise(t, bodyRef), sc.normalise(t, bodyGw)
			}
			if bodyRef != bodyGw {
				probs = append(probs, "body differs")
			}
		}
		if len(probs) > 0 {
			t.Errorf("REAL DIFFERENCE (not among the README's deliberate differences): %s\nrequest: %s\n  - %s\nreference: %s\ngateway:   %s",
				sc.name, rqRef, strings.Join(probs, "\n  - "), answer(rRef), answer(rGw))
			res.class, res.note = realDifference, strings.Join(probs, "; ")
		}
	}
	if sc.capture != nil {
		sc.capture(t, ref, rRef)
		sc.capture(t, gw, rGw)
	}
	return res
}
