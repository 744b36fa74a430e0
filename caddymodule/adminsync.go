package caddymodule

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/caddyserver/caddy/v2"
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	"github.com/jwtgate/jwtgate/store"
)

// The CLI changes users in the store directly; the running gateways learn
// of it through the change feed, within milliseconds on PostgreSQL and a
// poll interval on SQLite. So that a change holds when the command returns,
// the command then asks the gateway running on this host, through Caddy's
// admin endpoint (the one the config names, as `caddy reload` finds it),
// to apply the user's state now: POST /jwtgate/sync {"user_id": N}.

func init() { caddy.RegisterModule(AdminSync{}) }

// running is the jwtgate app of the running config, if any.
var running atomic.Pointer[App]

// AdminSync is the admin API module (admin.api.jwtgate) that serves
// POST /jwtgate/sync: it reads one user's state from the store and applies
// it to the running gateway's in-memory index before it answers.
type AdminSync struct{}

// CaddyModule returns the Caddy module information.
func (AdminSync) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "admin.api.jwtgate", New: func() caddy.Module { return new(AdminSync) }}
}

// Routes implements caddy.AdminRouter.
func (AdminSync) Routes() []caddy.AdminRoute {
	return []caddy.AdminRoute{{Pattern: "/jwtgate/sync", Handler: caddy.AdminHandlerFunc(serveSync)}}
}

// serveSync applies the store's current state of the user the body names
// to the running gateway's in-memory index.
func serveSync(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodPost {
		return caddy.APIError{HTTPStatus: http.StatusMethodNotAllowed, Err: errors.New("POST only")}
	}
	var req struct {
		UserID int64 `json:"user_id"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<10)).Decode(&req); err != nil || req.UserID <= 0 {
		return caddy.APIError{HTTPStatus: http.StatusBadRequest, Err: errors.New(`body must be {"user_id": <id>}`)}
	}
	a := running.Load()
	var rt *runtime
	if a != nil {
		rt = a.rt.Load()
	}
	if rt == nil {
		return caddy.APIError{HTTPStatus: http.StatusServiceUnavailable, Err: errors.New("no jwtgate app is running")}
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	st, err := rt.store.store.UserState(ctx, req.UserID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		rt.store.users.Update(req.UserID, store.UserState{ID: req.UserID}, false)
	case err != nil:
		return caddy.APIError{HTTPStatus: http.StatusServiceUnavailable, Err: err}
	default:
		rt.store.users.Update(req.UserID, st, true)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// notifyRunning asks the gateway running with this config on this host to
// apply user id's state now. No gateway running is fine (the change is in
// the store); any other failure is reported on stderr, not as an error:
// the change is made and reaches the gateway through the feed anyway.
func (e *cliEnv) notifyRunning(id int64) {
	addr, err := caddycmd.DetermineAdminAPIAddress("", e.cfgJSON, e.cfgFile, "")
	if err != nil {
		fmt.Fprintf(e.stderr, "note: not telling the running gateway (%v); it applies the change within a second\n", err)
		return
	}
	body := bytes.NewBufferString(`{"user_id":` + strconv.FormatInt(id, 10) + `}`)
	resp, err := caddycmd.AdminAPIRequest(addr, http.MethodPost, "/jwtgate/sync", http.Header{"Content-Type": {"application/json"}}, body)
	if err != nil {
		if strings.HasPrefix(err.Error(), "caddy responded with error") {
			fmt.Fprintf(e.stderr, "note: the running gateway did not apply the change at once (%v); it does within a second\n", err)
		}
		return // otherwise nothing listens: no gateway runs on this host
	}
	resp.Body.Close()
}
