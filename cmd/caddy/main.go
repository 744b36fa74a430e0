// Command caddy is Caddy with its standard modules and jwtgate: exactly what
//
//	xcaddy build --with github.com/jwtgate/jwtgate/caddymodule
//
// produces (see xcaddy.md).
package main

import (
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	// Caddy's standard modules, as in the official distribution.
	_ "github.com/caddyserver/caddy/v2/modules/standard"

	// jwtgate: the app, the jwt_auth and jwt_endpoints handlers, the
	// admin sync endpoint, and the `caddy jwtgate …` commands
	// (createsuperuser, changepassword, user, migrate, …).
	_ "github.com/jwtgate/jwtgate/caddymodule"
)

func main() {
	caddycmd.Main()
}
