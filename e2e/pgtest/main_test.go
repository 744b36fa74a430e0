// Package pgtest is the PostgreSQL end-to-end suite: the real gateway
// binary (the custom Caddy with the example Caddyfile), the real
// PostgreSQL and the real Django reference (testdata/django_ref on
// gunicorn), sharing Django's own tables.
//
// It proves the interop and availability requirements end to end: users
// and hashes made by Django log in at the gateway and are not rewritten;
// tokens and logouts cross between Django and the gateway both ways;
// deactivations made in Django or through another gateway instance reach
// every instance promptly (the goal is a second), with no query per request; concurrent
// refreshes and registrations give exactly one success; and the gateway
// answers 503 with Retry-After while its database is down, keeps proxying
// for valid tokens, starts while the database is down, and recovers by
// itself. The 5.2 profile (SIMPLEJWT_COMPAT=5.2) mixes with Django's
// simplejwt 5.2.2 on one database, and check_revoke_token refuses tokens
// from before a password change made anywhere.
//
// Each test creates its own database on the shared server
// (postgres@127.0.0.1:5432 with trust authentication, or
// JWTGATE_TEST_POSTGRES_URL) and drops it at the end; the fault test runs a
// throwaway cluster of its own (initdb + pg_ctl in a temporary directory,
// JWTGATE_PG_BIN for the server binaries). A missing server, Python,
// Django or gunicorn skips the test saying how to get it, or fails it under
// CI=true (see internal/testenv).
package pgtest

import (
	"os"
	"testing"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
)

func TestMain(m *testing.M) { os.Exit(harness.Main(m)) }
