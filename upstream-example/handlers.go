package main

import (
	"context"
	"errors"
	"log"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jwtgate/jwtgate/drf"
	"github.com/jwtgate/jwtgate/internal/pystr"
)

// app is the movie API: the tutorial's movieapi views, minus authentication,
// which the gateway does before the request gets here.
type app struct {
	store          *Store
	userIDHeader   string // holds the user's id; absent means anonymous
	usernameHeader string // holds the username, when the gateway sends it
	log            *log.Logger
}

// user is the identity the gateway vouches for.
type user struct {
	id   int64
	name string
}

// userOf reads the identity headers. A request without a user id (or with
// one that is not an integer) is anonymous.
func (a *app) userOf(r *http.Request) *user {
	id, err := strconv.ParseInt(strings.TrimSpace(r.Header.Get(a.userIDHeader)), 10, 64)
	if err != nil {
		return nil
	}
	// The gateway percent-encodes the username (UTF-8), so that any name
	// travels as ASCII.
	name, err := url.PathUnescape(r.Header.Get(a.usernameHeader))
	if err != nil || name == "" {
		name = "user " + strconv.FormatInt(id, 10)
	}
	return &user{id: id, name: name}
}

// viewKind names the five views of movieapi/urls.py.
type viewKind int

const (
	movieList viewKind = iota
	movieDetail
	reviewList
	reviewCreate
	reviewDetail
)

// permission is a view's permission_classes as checked before the handler.
type permission int

const (
	allowAny            permission = iota // DRF's default (ReviewList)
	authenticatedOrRead                   // IsAuthenticatedOrReadOnly
	authenticated                         // IsAuthenticated
	reviewerOrRead                        // IsReviewerOrReadOnly: only an object check
)

// view is what DRF knows of a view class before running it.
type view struct {
	name, description string // OPTIONS "name" and the class docstring
	methods           []string
	perm              permission
	reviewFields      bool // serializes reviews (else movies)
}

var views = [...]view{
	movieList:    {"Movie List", "GET public, POST authenticated.", []string{"GET", "POST", "HEAD", "OPTIONS"}, authenticatedOrRead, false},
	movieDetail:  {"Movie Detail", "", []string{"GET", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}, authenticatedOrRead, false},
	reviewList:   {"Review List", "", []string{"GET", "HEAD", "OPTIONS"}, allowAny, true},
	reviewCreate: {"Review Create", "", []string{"POST", "OPTIONS"}, authenticated, true},
	reviewDetail: {"Review Detail", "movie/<pk>/review_detail/ -- pk is the REVIEW id (tutorial layout).", []string{"GET", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}, reviewerOrRead, true},
}

// route matches path against movieapi/urls.py. pk is the <int:pk> part, or
// -1 (which no row has) when it is too large for an int64.
func route(path string) (kind viewKind, pk int64, ok bool) {
	rest, found := strings.CutPrefix(path, "/movieapi/movie/")
	if !found {
		return 0, 0, false
	}
	if rest == "" {
		return movieList, 0, true
	}
	digits, tail, found := strings.Cut(rest, "/")
	if !found || digits == "" || strings.Trim(digits, "0123456789") != "" {
		return 0, 0, false
	}
	pk, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		pk = -1
	}
	switch tail {
	case "":
		return movieDetail, pk, true
	case "reviews/":
		return reviewList, pk, true
	case "review-create/":
		return reviewCreate, pk, true
	case "review_detail/":
		return reviewDetail, pk, true
	}
	return 0, 0, false
}

// ServeHTTP routes as Django would: a known route runs its view, a path
// that matches once a slash is added is redirected there (APPEND_SLASH),
// anything else is Django's HTML 404.
func (a *app) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	path := r.URL.Path
	if path == "/healthz" {
		h.Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok"))
		return
	}
	kind, pk, ok := route(path)
	if !ok && !strings.HasSuffix(path, "/") {
		if _, _, ok := route(path + "/"); ok {
			loc := r.URL.EscapedPath() + "/"
			if r.URL.RawQuery != "" {
				loc += "?" + r.URL.RawQuery
			}
			h.Set("Location", loc)
			h.Set("Content-Type", "text/html; charset=utf-8")
			h.Set("Content-Length", "0")
			w.WriteHeader(http.StatusMovedPermanently)
			return
		}
	}
	h.Set("X-Frame-Options", "DENY")
	if !ok {
		writeHTML(w, http.StatusNotFound, notFound404)
		return
	}
	a.serveView(w, r, kind, pk)
}

// serveView runs a view in DRF's order: authentication (the headers),
// view permissions, the method check, then the handler, which finds the
// object (404), checks object permissions, and only then parses the body.
func (a *app) serveView(w http.ResponseWriter, r *http.Request, kind viewKind, pk int64) {
	v := views[kind]
	h := w.Header()
	h.Set("Vary", "Accept")
	h.Set("Allow", strings.Join(v.methods, ", "))
	u := a.userOf(r)
	safe := r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions
	if u == nil && (v.perm == authenticated || (v.perm == authenticatedOrRead && !safe)) {
		errNotAuthenticated.Write(w)
		return
	}
	if !slices.Contains(v.methods, r.Method) {
		methodNotAllowed(r.Method).Write(w)
		return
	}
	c := &call{app: a, w: w, r: r, ctx: r.Context(), kind: kind, user: u, pk: pk}
	var err error
	switch kind {
	case movieList:
		err = c.movieList()
	case movieDetail:
		err = c.movieDetail()
	case reviewList:
		err = c.reviewList()
	case reviewCreate:
		err = c.reviewCreate()
	case reviewDetail:
		err = c.reviewDetail()
	}
	if err != nil {
		a.log.Printf("%s %s: %v", r.Method, r.URL.EscapedPath(), err)
		writeHTML(w, http.StatusInternalServerError, serverError500)
	}
}

// call is one request to a view. Its methods return only unexpected
// (database) errors; every answer the API defines is written directly.
type call struct {
	*app
	w    http.ResponseWriter
	r    *http.Request
	ctx  context.Context
	kind viewKind
	user *user
	pk   int64
}

// Writable fields of the two serializers, as ModelSerializer derives them.
var (
	movieFields = []fieldSpec{
		{name: "title", typ: charField, required: true, maxLength: 100},
		{name: "storyline", typ: charField, required: true, maxLength: 500},
		{name: "active", typ: booleanField},
	}
	reviewFields = []fieldSpec{
		{name: "rating", typ: integerField, required: true, minValue: 1, maxValue: 5},
		{name: "description", typ: charField, allowNull: true, maxLength: 200},
		{name: "active", typ: booleanField},
	}
)

// input parses and validates the body; false when an error was sent.
func (c *call) input(fields []fieldSpec, partial bool) (map[string]cleanValue, bool) {
	data, e := parseBody(c.r)
	if e == nil {
		var clean map[string]cleanValue
		if clean, e = validate(data, fields, partial); e == nil {
			return clean, true
		}
	}
	e.Write(c.w)
	return nil, false
}

func (c *call) options(action string) error {
	drf.WriteBody(c.w, http.StatusOK, metadata(views[c.kind], action))
	return nil
}

func (c *call) noContent() {
	c.w.Header().Set("Content-Length", "0")
	c.w.WriteHeader(http.StatusNoContent)
}

// movieList is MovieList (ListCreateAPIView).
func (c *call) movieList() error {
	switch c.r.Method {
	case http.MethodOptions:
		if c.user != nil {
			return c.options("POST")
		}
		return c.options("")
	case http.MethodPost:
		in, ok := c.input(movieFields, false)
		if !ok {
			return nil
		}
		active := true
		if a, set := in["active"]; set {
			active = a.boolean
		}
		m, err := c.store.CreateMovie(c.ctx, in["title"].str, in["storyline"].str, active)
		if err != nil {
			return err
		}
		return drf.WriteJSON(c.w, http.StatusCreated, movieOut(m))
	}
	ms, err := c.store.Movies(c.ctx)
	if err != nil {
		return err
	}
	out := make([]movieJSON, len(ms))
	for i, m := range ms {
		out[i] = movieOut(m)
	}
	return drf.WriteJSON(c.w, http.StatusOK, out)
}

// movieDetail is MovieDetail (RetrieveUpdateDestroyAPIView): any
// authenticated user may change or delete any movie.
func (c *call) movieDetail() error {
	m, found, err := c.store.Movie(c.ctx, c.pk)
	if err != nil {
		return err
	}
	if c.r.Method == http.MethodOptions {
		if c.user != nil && found {
			return c.options("PUT")
		}
		return c.options("")
	}
	if !found {
		errNotFound.Write(c.w)
		return nil
	}
	switch c.r.Method {
	case http.MethodPut, http.MethodPatch:
		in, ok := c.input(movieFields, c.r.Method == http.MethodPatch)
		if !ok {
			return nil
		}
		var ch MovieChanges
		if v, set := in["title"]; set {
			ch.Title = &v.str
		}
		if v, set := in["storyline"]; set {
			ch.Storyline = &v.str
		}
		if v, set := in["active"]; set {
			ch.Active = &v.boolean
		}
		m, err = c.store.UpdateMovie(c.ctx, c.pk, ch)
	case http.MethodDelete:
		err = c.store.DeleteMovie(c.ctx, c.pk)
		if err == nil {
			c.noContent()
			return nil
		}
	}
	if errors.Is(err, errNoMovie) {
		errNotFound.Write(c.w)
		return nil
	}
	if err != nil {
		return err
	}
	return drf.WriteJSON(c.w, http.StatusOK, movieOut(m))
}

// reviewList is ReviewList: the reviews of movie pk, public.
func (c *call) reviewList() error {
	if c.r.Method == http.MethodOptions {
		return c.options("")
	}
	rs, err := c.store.Reviews(c.ctx, c.pk)
	if err != nil {
		return err
	}
	out := make([]reviewJSON, len(rs))
	for i, r := range rs {
		out[i] = reviewOut(r)
	}
	return drf.WriteJSON(c.w, http.StatusOK, out)
}

// reviewCreate is ReviewCreate: validate, then 404 for an unknown movie,
// then one review per user and movie.
func (c *call) reviewCreate() error {
	if c.r.Method == http.MethodOptions {
		return c.options("POST")
	}
	in, ok := c.input(reviewFields, false)
	if !ok {
		return nil
	}
	n := NewReview{MovieID: c.pk, ReviewerID: c.user.id, ReviewerName: c.user.name, Rating: in["rating"].integer, Active: true}
	if v, set := in["description"]; set && !v.null {
		n.Description = &v.str
	}
	if v, set := in["active"]; set {
		n.Active = v.boolean
	}
	r, err := c.store.CreateReview(c.ctx, n)
	switch {
	case errors.Is(err, errNoMovie):
		errNotFound.Write(c.w)
		return nil
	case errors.Is(err, errAlreadyReviewed):
		drf.WriteBody(c.w, http.StatusBadRequest, []byte(`["You have already reviewed this movie!"]`))
		return nil
	case err != nil:
		return err
	}
	return drf.WriteJSON(c.w, http.StatusCreated, reviewOut(r))
}

// reviewDetail is ReviewDetail: pk is the review id; anyone reads, only
// the reviewer (same user id) writes.
func (c *call) reviewDetail() error {
	rv, found, err := c.store.Review(c.ctx, c.pk)
	if err != nil {
		return err
	}
	isReviewer := found && c.user != nil && c.user.id == rv.ReviewerID
	if c.r.Method == http.MethodOptions {
		if isReviewer {
			return c.options("PUT")
		}
		return c.options("")
	}
	if !found {
		errNotFound.Write(c.w)
		return nil
	}
	if c.r.Method != http.MethodGet && c.r.Method != http.MethodHead && !isReviewer {
		if c.user == nil {
			errNotAuthenticated.Write(c.w)
		} else {
			errPermissionDenied.Write(c.w)
		}
		return nil
	}
	switch c.r.Method {
	case http.MethodPut, http.MethodPatch:
		in, ok := c.input(reviewFields, c.r.Method == http.MethodPatch)
		if !ok {
			return nil
		}
		var ch ReviewChanges
		if v, set := in["rating"]; set {
			ch.Rating = &v.integer
		}
		if v, set := in["description"]; set {
			ch.SetDescription = true
			if !v.null {
				ch.Description = &v.str
			}
		}
		if v, set := in["active"]; set {
			ch.Active = &v.boolean
		}
		rv, err = c.store.UpdateReview(c.ctx, c.pk, ch)
	case http.MethodDelete:
		err = c.store.DeleteReview(c.ctx, c.pk)
		if err == nil {
			c.noContent()
			return nil
		}
	}
	if errors.Is(err, errNoReview) {
		errNotFound.Write(c.w)
		return nil
	}
	if err != nil {
		return err
	}
	return drf.WriteJSON(c.w, http.StatusOK, reviewOut(rv))
}

// reviewJSON is ReviewSerializer's output.
type reviewJSON struct {
	ID           int64   `json:"id"`
	ReviewerName string  `json:"reviewer_name"`
	Rating       int64   `json:"rating"`
	Description  *string `json:"description"`
	Active       bool    `json:"active"`
	Created      string  `json:"created"`
	Update       string  `json:"update"`
}

// movieJSON is MovieSerializer's output.
type movieJSON struct {
	ID           int64        `json:"id"`
	Title        string       `json:"title"`
	Storyline    string       `json:"storyline"`
	Active       bool         `json:"active"`
	AvgRating    pythonFloat  `json:"avg_rating"`
	NumberRating int64        `json:"number_rating"`
	Reviews      []reviewJSON `json:"reviews"`
}

// pythonFloat renders as Python's repr does: 0.0, 4.0, 4.5.
type pythonFloat float64

// MarshalJSON writes the float as Python's json module would.
func (f pythonFloat) MarshalJSON() ([]byte, error) {
	if math.IsInf(float64(f), 0) || math.IsNaN(float64(f)) {
		return nil, errors.New("out of range float values are not JSON compliant")
	}
	return []byte(pystr.FloatRepr(float64(f))), nil
}

func reviewOut(r Review) reviewJSON {
	return reviewJSON{ID: r.ID, ReviewerName: r.ReviewerName, Rating: r.Rating, Description: r.Description,
		Active: r.Active, Created: drfTime(r.Created), Update: drfTime(r.Updated)}
}

func movieOut(m Movie) movieJSON {
	rs := make([]reviewJSON, len(m.Reviews))
	for i, r := range m.Reviews {
		rs[i] = reviewOut(r)
	}
	return movieJSON{ID: m.ID, Title: m.Title, Storyline: m.Storyline, Active: m.Active,
		AvgRating: pythonFloat(m.AvgRating), NumberRating: m.NumberRating, Reviews: rs}
}

// drfTime is DRF's DateTimeField output: datetime.isoformat() in UTC with
// "+00:00" written "Z"; isoformat leaves out a zero microsecond part.
func drfTime(t time.Time) string {
	t = t.UTC()
	s := t.Format("2006-01-02T15:04:05")
	if us := t.Nanosecond() / 1000; us != 0 {
		s += "." + strconv.Itoa(1000000 + us)[1:]
	}
	return s + "Z"
}
