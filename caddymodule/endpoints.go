package caddymodule

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func init() {
	caddy.RegisterModule(Endpoints{})
}

// Endpoints is the jwt_endpoints handler: it serves simplejwt's token
// routes and the tutorial's register (and, when asked for, users) routes
// under a path prefix,
// wire-compatible with the Django original. Requests for other paths go to
// the next handler. A known path without its trailing slash is redirected
// (301) to the slashed path, as Django's APPEND_SLASH does.
type Endpoints struct {
	// Prefix is the path every route lives under, ending in "/". Default
	// "/".
	Prefix string `json:"prefix,omitempty"`

	// Paths sets a view's paths, relative to Prefix, replacing its
	// defaults. Views: obtain (default "api/token/" and "login/"),
	// refresh ("api/token/refresh/"), verify ("api/token/verify/"),
	// blacklist ("api/token/blacklist/"), register ("register/"),
	// logout_all ("api/token/logout_all/"), sessions
	// ("api/token/sessions/", whose <id>/ sub-paths end one session) and
	// users, which is served only when given paths here (the seed's is
	// "users/"): it lists every user's id, username and email to any
	// holder of a valid access token.
	Paths map[string][]string `json:"paths,omitempty"`

	// Disable lists views not to serve.
	Disable []string `json:"disable,omitempty"`

	app    *App
	routes map[string]string // path → view name
}

// DefaultPaths are the seed's paths of each view, relative to the prefix:
// simplejwt's views and the tutorial's (package userprofiles). Views in
// OptInViews are served only when Endpoints.Paths names them.
var DefaultPaths = map[string][]string{
	"obtain":     {"api/token/", "login/"},
	"refresh":    {"api/token/refresh/"},
	"verify":     {"api/token/verify/"},
	"blacklist":  {"api/token/blacklist/"},
	"register":   {"register/"},
	"users":      {"users/"},
	"logout_all": {"api/token/logout_all/"},
	"sessions":   {"api/token/sessions/"},
}

// OptInViews are left out of the default view set: users lists every
// user's id, username and email to any authenticated caller, which a
// self-registered account is.
var OptInViews = []string{"users"}

// CaddyModule returns the Caddy module information.
func (Endpoints) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.jwt_endpoints",
		New: func() caddy.Module { return new(Endpoints) },
	}
}

// Provision builds the route table and finds the jwtgate app.
func (e *Endpoints) Provision(ctx caddy.Context) error {
	var err error
	e.routes, err = e.routeTable()
	if err != nil {
		return err
	}
	app, err := ctx.App("jwtgate")
	if err != nil {
		return fmt.Errorf("jwt_endpoints needs the jwtgate app: %w", err)
	}
	e.app = app.(*App)
	return nil
}

func (e *Endpoints) routeTable() (map[string]string, error) {
	prefix := e.Prefix
	if prefix == "" {
		prefix = "/"
	}
	if !strings.HasPrefix(prefix, "/") || !strings.HasSuffix(prefix, "/") {
		return nil, fmt.Errorf("jwt_endpoints prefix %q must start and end with /", prefix)
	}
	e.Prefix = prefix
	for name := range e.Paths {
		if _, ok := DefaultPaths[name]; !ok {
			return nil, fmt.Errorf("jwt_endpoints: unknown view %q; views are %s", name, viewList())
		}
	}
	for _, name := range e.Disable {
		if _, ok := DefaultPaths[name]; !ok {
			return nil, fmt.Errorf("jwt_endpoints: cannot disable unknown view %q; views are %s", name, viewList())
		}
	}
	routes := map[string]string{}
	for _, v := range slices.Sorted(maps.Keys(DefaultPaths)) {
		if slices.Contains(e.Disable, v) {
			continue
		}
		paths, ok := e.Paths[v]
		if !ok && slices.Contains(OptInViews, v) {
			continue
		}
		if !ok {
			paths = DefaultPaths[v]
		}
		for _, p := range paths {
			p = strings.TrimPrefix(p, "/")
			if p == "" {
				return nil, fmt.Errorf("jwt_endpoints: empty path for view %s", v)
			}
			full := prefix + p
			if other, dup := routes[full]; dup {
				return nil, fmt.Errorf("jwt_endpoints: path %s is given to both %s and %s", full, other, v)
			}
			routes[full] = v
		}
	}
	return routes, nil
}

func viewList() string { return strings.Join(slices.Sorted(maps.Keys(DefaultPaths)), ", ") }

// ServeHTTP implements caddyhttp.MiddlewareHandler.
func (e *Endpoints) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	p := r.URL.Path
	if !strings.HasPrefix(p, e.Prefix) {
		return next.ServeHTTP(w, r)
	}
	name, isView := e.routes[p]
	id, isSession := e.sessionDetail(p)
	if isView || isSession {
		rt := e.app.runtime(r)
		if rt == nil { // a request before the app's Start
			return writeError(w, r, e.app.notStarted)
		}
		defer rt.store.acquire()()
		e.app.identity.strip(r.Header)
		if isView {
			rt.views[name](w, r)
		} else {
			rt.service.ServeSession(id, w, r)
		}
		return nil
	}
	if _, ok := e.routes[p+"/"]; ok && !strings.HasSuffix(p, "/") {
		appendSlash(w, r)
		return nil
	}
	return next.ServeHTTP(w, r)
}

// sessionDetail recognises a sessions view's detail path, <sessions
// path><id>/, and returns the id (any single segment; the view answers
// 404 for one that is not a live session of the caller).
func (e *Endpoints) sessionDetail(p string) (string, bool) {
	for path, v := range e.routes {
		if v != "sessions" {
			continue
		}
		rest, ok := strings.CutPrefix(p, path)
		if ok && len(rest) > 1 && strings.HasSuffix(rest, "/") && strings.Count(rest, "/") == 1 {
			return rest[:len(rest)-1], true
		}
	}
	return "", false
}

// appendSlash answers as Django's CommonMiddleware does for a known path
// without its trailing slash: 301 to the slashed path, query kept, an
// empty HTML body.
func appendSlash(w http.ResponseWriter, r *http.Request) {
	loc := r.URL.EscapedPath() + "/"
	if r.URL.RawQuery != "" {
		loc += "?" + r.URL.RawQuery
	}
	h := w.Header()
	h.Set("Location", loc)
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusMovedPermanently)
}

// Interface guards.
var (
	_ caddy.Provisioner           = (*Endpoints)(nil)
	_ caddyhttp.MiddlewareHandler = (*Endpoints)(nil)
)
