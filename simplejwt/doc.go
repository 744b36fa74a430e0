// Package simplejwt serves djangorestframework-simplejwt 5.2.2's HTTP
// surface over net/http, wire-compatible with the Django original: the
// token views (obtain pair, refresh, verify, blacklist), JWTAuthentication
// with DRF's IsAuthenticated, AllowAny and IsAuthenticatedOrReadOnly
// policies for proxied routes, and the frame other packages' views are
// served in (Extension; the tutorial's register and users views are
// package userprofiles).
//
// Where simplejwt answers with an HTML 500 or mints tokens it should not,
// the package does what docs/simplejwt.md ("Deviations") lists instead:
// field errors on register are 400, a token without jti or with a
// non-numeric user id is a 401, an access token minted by refresh has
// iat = now, and a refresh token of a deleted or inactive user is refused.
//
// The package does not import Caddy; caddymodule adapts it.
package simplejwt
