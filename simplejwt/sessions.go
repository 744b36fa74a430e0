package simplejwt

import (
	"context"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"go.uber.org/zap"

	"github.com/jwtgate/jwtgate/drf"
	"github.com/jwtgate/jwtgate/store"
	"github.com/jwtgate/jwtgate/token"
)

// Sessions and revocation (docs/sessions.md): the views' side. The Bearer
// check's side is Ended.

// sessionAllow is the Allow header of a session's detail route.
const sessionAllow = "DELETE, OPTIONS"

// maxUserAgent bounds the User-Agent a session records.
const maxUserAgent = 256

// DefaultReuseInterval is the default of Settings.RefreshTokenReuseInterval.
const DefaultReuseInterval = 10 * time.Second

// boundedText is s cut to at most n bytes of valid UTF-8 without control
// characters, for values clients choose that the gateway stores.
func boundedText(s string, n int) string {
	var b strings.Builder
	for _, r := range s {
		if r == utf8.RuneError || r < 0x20 || r == 0x7f {
			r = '?'
		}
		if b.Len()+utf8.RuneLen(r) > n {
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}

// claimUserPK is the auth_user id of the user a token names, from the
// in-memory index.
func (s *Service) claimUserPK(cl *token.Claims) (int64, bool) {
	raw, ok := cl.UserID()
	if !ok {
		return 0, false
	}
	st, found := s.lookupClaimUser(raw)
	return st.ID, found
}

// checkRefreshState is BlacklistMixin.check_blacklist extended to
// sessions, in one query: a blacklisted token, or one of a session that
// ended, is refused with "Token is blacklisted". Presenting a blacklisted
// token of a live session ends that session when it is a logout (the
// blacklist view) or, with rotation and blacklist after rotation, a reuse
// of a rotated token later than the reuse interval after its rotation. A
// token without a jti is refused with "Token has no id" (simplejwt fails
// with a 500).
//
// ended reports the session's end for the caller to refuse after the
// token type check, as simplejwt checks the type after the blacklist.
func (s *Service) checkRefreshState(ctx context.Context, r *http.Request, v View, cl *token.Claims, now time.Time) (jti string, ended bool, _ *drf.Error) {
	jti, ok := cl.JTI()
	if !ok {
		return "", false, s.tokenNotValid(token.ErrNoID)
	}
	at, ended, err := s.store.RefreshState(ctx, jti)
	if err != nil {
		return "", false, s.DBFault(v, "is blacklisted", err)
	}
	if at != nil && !ended {
		reuse := v == Refresh && s.set.RotateRefreshTokens && s.set.BlacklistAfterRotation &&
			now.Sub(*at) > s.set.RefreshTokenReuseInterval
		if v == Blacklist || reuse {
			if e := s.endSessionOf(ctx, r, v, cl, jti, now, reuse); e != nil {
				return "", false, e
			}
		}
	}
	if at != nil {
		return "", false, s.tokenNotValid(token.ErrBlacklisted)
	}
	return jti, ended, nil
}

// endSessionOf ends the session of the token (jti) of cl; reuse says why,
// for the log and the hook, which see a session end exactly once.
func (s *Service) endSessionOf(ctx context.Context, r *http.Request, v View, cl *token.Claims, jti string, now time.Time, reuse bool) *drf.Error {
	sid, ok := token.SessionOf(jti)
	uid, found := s.claimUserPK(cl)
	if !ok || !found {
		return nil
	}
	changed, err := s.store.RevokeSession(ctx, uid, token.SessionHex(sid), now)
	if err != nil {
		return s.DBFault(v, "end session", err)
	}
	if !changed {
		return nil
	}
	s.applySessionEnd(cl, jti, now)
	if reuse {
		s.log.Warn("refresh token reuse detected; session ended",
			zap.Int64("user_id", uid), zap.String("session", token.SessionHex(sid)), zap.String("client_ip", s.clientIP(r)))
		if s.hooks.ReuseDetected != nil {
			s.hooks.ReuseDetected(uid, token.SessionHex(sid))
		}
	}
	return nil
}

// applySessionEnd records in this instance's index that the session of
// jti ended, before the change feed reports it.
func (s *Service) applySessionEnd(cl *token.Claims, jti string, now time.Time) {
	sid, ok := token.SessionOf(jti)
	uid, found := s.claimUserPK(cl)
	if !ok || !found {
		return
	}
	s.users.Revoke(uid, 0, store.RevokedSession{ID: sid, Until: now.Add(s.codec.Config().RefreshLifetime + s.codec.Config().AccessLifetime).Unix()})
}

// notBeforeAfter is the not-before of a revocation at now: the next whole
// second, since iat has one-second granularity.
func notBeforeAfter(now time.Time) int64 { return now.Unix() + 1 }

// logoutAll ends every token of the caller issued before now.
func (s *Service) logoutAll(w http.ResponseWriter, r *http.Request, caller *Result) *drf.Error {
	ctx, cancel := s.DBContext(r)
	defer cancel()
	now := s.now()
	nb := notBeforeAfter(now)
	if err := s.store.RevokeUser(ctx, caller.User.ID, nb, now.UTC()); err != nil {
		return s.DBFault(LogoutAll, "revoke user", err)
	}
	s.users.Revoke(caller.User.ID, nb, store.RevokedSession{})
	return writeBody(w, http.StatusOK, emptyObject)
}

// RevokeUser is logout_all for the CLI: it ends every token of the user
// issued before now and applies it to this process's index.
func (s *Service) RevokeUser(ctx context.Context, userID int64) error {
	now := s.now()
	nb := notBeforeAfter(now)
	if err := s.store.RevokeUser(ctx, userID, nb, now.UTC()); err != nil {
		return err
	}
	s.users.Revoke(userID, nb, store.RevokedSession{})
	return nil
}

type sessionBody struct {
	ID            string `json:"id"`
	Created       string `json:"created"`
	LastRefreshed string `json:"last_refreshed"`
	ClientIP      string `json:"client_ip"`
	UserAgent     string `json:"user_agent"`
	Current       bool   `json:"current"`
}

// drfTime is DRF's DateTimeField rendering of a Unix second in UTC.
func drfTime(sec int64) string { return time.Unix(sec, 0).UTC().Format("2006-01-02T15:04:05Z") }

// listSessions answers the caller's live sessions.
func (s *Service) listSessions(w http.ResponseWriter, r *http.Request, caller *Result) *drf.Error {
	ctx, cancel := s.DBContext(r)
	defer cancel()
	list, err := s.store.Sessions(ctx, caller.User.ID, s.now())
	if err != nil {
		return s.DBFault(Sessions, "list sessions", err)
	}
	current := ""
	if caller.HasSession {
		current = token.SessionHex(caller.Session)
	}
	out := make([]sessionBody, 0, len(list))
	for _, x := range list {
		if caller.User.SessionRevoked(mustSession(x.ID)) {
			continue // ended a moment ago; the store agrees by now
		}
		out = append(out, sessionBody{ID: x.ID, Created: drfTime(x.CreatedAt), LastRefreshed: drfTime(x.LastRefreshedAt),
			ClientIP: x.ClientIP, UserAgent: x.UserAgent, Current: x.ID == current})
	}
	if err := drf.WriteJSON(w, http.StatusOK, out); err != nil {
		return drf.Detail(http.StatusInternalServerError, "A server error occurred.")
	}
	return nil
}

func mustSession(hex string) uint64 {
	id, _ := token.ParseSessionHex(hex)
	return id
}

// endSession ends one live session of the caller: 204, or DRF's 404 for
// an id that is not one (unknown, another user's, already ended).
func (s *Service) endSession(w http.ResponseWriter, r *http.Request, caller *Result, id string) *drf.Error {
	sid, ok := token.ParseSessionHex(id)
	if !ok {
		return drf.Detail(http.StatusNotFound, "Not found.")
	}
	ctx, cancel := s.DBContext(r)
	defer cancel()
	now := s.now()
	changed, err := s.store.RevokeSession(ctx, caller.User.ID, id, now.UTC())
	if err != nil {
		return s.DBFault(Sessions, "end session", err)
	}
	if !changed {
		return drf.Detail(http.StatusNotFound, "Not found.")
	}
	s.users.Revoke(caller.User.ID, 0, store.RevokedSession{ID: sid, Until: now.Add(s.codec.Config().RefreshLifetime + s.codec.Config().AccessLifetime).Unix()})
	w.WriteHeader(http.StatusNoContent)
	return nil
}
