// Package userprofiles is the seed tutorial's userprofiles app: its
// register and users views, wire-compatible with the Django original
// except where docs/simplejwt.md ("Deviations") says, served by
// simplejwt.Service.ServeExtension in the frame of simplejwt's views.
package userprofiles

import (
	"net/http"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/jwtgate/jwtgate/drf"
	"github.com/jwtgate/jwtgate/password"
	"github.com/jwtgate/jwtgate/simplejwt"
	"github.com/jwtgate/jwtgate/store"
	"github.com/jwtgate/jwtgate/throttle"
)

// Config gathers what the views need.
type Config struct {
	// Service issues the new users' tokens and lends the views its hash
	// gate, database timeout and client keys.
	Service *simplejwt.Service
	// Store holds the users; Passwords hashes theirs (give the Service's).
	Store     store.Store
	Passwords *password.Set
	// Throttle, when set, limits registrations per client (429 with
	// Retry-After); OnThrottled is called once per refused registration.
	Throttle    *throttle.Throttle
	OnThrottled func(r *http.Request, d throttle.Decision)
	// ValidatePasswords runs Django's default password validators on
	// register (REGISTER_VALIDATE_PASSWORD of the reference).
	ValidatePasswords bool
	// CaseSensitive makes register compare usernames and emails exactly
	// when checking they are free, as the tutorial's serializer does. By
	// default they are compared case-insensitively (the database's
	// lower(); Django's own forms use username__iexact), so Siva cannot
	// register beside siva.
	CaseSensitive bool
	// Logger receives hashing failures; default a no-op logger.
	Logger *zap.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
}

type views struct {
	Config
	register, users simplejwt.Extension
}

// New returns the views "register" (the tutorial's registration_view:
// POST, AllowAny) and "users" (user_list_view: GET, IsAuthenticated).
func New(cfg Config) []*simplejwt.Extension {
	v := &views{Config: cfg}
	if v.Logger == nil {
		v.Logger = zap.NewNop()
	}
	if v.Now == nil {
		v.Now = time.Now
	}
	// OPTIONS: DRF's SimpleMetadata, as recorded from the reference (they
	// are function views, so they list no actions).
	const parses = `"renders":["application/json","text/html"],"parses":["application/json","application/x-www-form-urlencoded","multipart/form-data"]}`
	v.register = simplejwt.Extension{Name: "register", Method: http.MethodPost, Serve: v.serveRegister,
		Metadata: []byte(`{"name":"Registration View","description":"",` + parses)}
	v.users = simplejwt.Extension{Name: "users", Method: http.MethodGet, Required: true, Serve: v.listUsers,
		Metadata: []byte(`{"name":"User List View","description":"",` + parses)}
	return []*simplejwt.Extension{&v.register, &v.users}
}

// usersPageSize is how many users listUsers reads per query: the view
// holds one page in memory, never the table.
var usersPageSize = 500

// listUsers is the tutorial's user_list_view: every user's id, username
// and email, as a JSON array ordered by id. It reads the table a page at a
// time (UsersAfter: those three columns, never a password hash) and streams
// the array; a list of one page is sent whole, with its length. A database
// fault on the first page is a 503; on a later one the response is
// aborted, so a client never receives a well-formed partial list.
func (v *views) listUsers(w http.ResponseWriter, r *http.Request, _ drf.Data) *drf.Error {
	ctx, cancel := v.Service.DBContext(r)
	page, err := v.Store.UsersAfter(ctx, 0, usersPageSize)
	cancel()
	if err != nil {
		return v.Service.DBFault(&v.users, "list users", err)
	}
	sep := byte('[')
	buf := appendUsers(make([]byte, 0, 64*len(page)+2), &sep, page)
	if len(page) < usersPageSize {
		if len(page) == 0 {
			buf = append(buf, '[')
		}
		drf.WriteBody(w, http.StatusOK, append(buf, ']'))
		return nil
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	for len(page) == usersPageSize {
		if _, err := w.Write(buf); err != nil {
			return nil // the client went away
		}
		ctx, cancel := v.Service.DBContext(r)
		page, err = v.Store.UsersAfter(ctx, page[len(page)-1].ID, usersPageSize)
		cancel()
		if err != nil {
			v.Logger.Error("list users: aborting the response", zap.Error(err))
			panic(http.ErrAbortHandler)
		}
		buf = appendUsers(buf[:0], &sep, page)
	}
	_, _ = w.Write(append(buf, ']'))
	return nil
}

// appendUsers appends the users as DRF renders them, each preceded by
// *sep, which becomes "," after the first: start with '[' for the array's
// opening.
func appendUsers(b []byte, sep *byte, page []store.UserSummary) []byte {
	for _, u := range page {
		b = append(b, *sep)
		*sep = ','
		b = append(b, `{"id":`...)
		b = strconv.AppendInt(b, u.ID, 10)
		b = append(b, `,"username":`...)
		b = drf.AppendJSONString(b, u.Username)
		b = append(b, `,"email":`...)
		b = drf.AppendJSONString(b, u.Email)
		b = append(b, '}')
	}
	return b
}
