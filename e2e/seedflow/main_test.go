// Package seedflow drives the seed tutorial's client flow against the real
// binaries, as a newcomer runs it: the Postman collection in postman/ with
// newman, the flow with an access token that expires and is refreshed, the
// identity-header spoofing attempts through the real movie API, and
// scripts/demo.sh itself, stopped as Ctrl-C stops it.
package seedflow

import (
	"os"
	"testing"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
)

func TestMain(m *testing.M) { os.Exit(harness.Main(m)) }
