// Package conformance is the differential conformance suite: it sends the
// same requests to the real simplejwt reference (testdata/django_ref under
// gunicorn) and to the real gateway binary (cmd/caddy with a Caddyfile
// derived from the example, in front of upstream-example), in each of the
// four settings modes of docs/simplejwt.md, and compares the answers:
// status, body and the Content-Type, WWW-Authenticate, Allow and Location
// headers; bodies that carry tokens structurally (key order, token header,
// claim names and order, lifetimes). Where the README lists a deliberate
// difference, the reference's recorded answer and the gateway's documented
// one are both asserted.
package conformance

import (
	"os"
	"testing"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
)

func TestMain(m *testing.M) { os.Exit(harness.Main(m)) }
