// Package attacks is the hostile-client suite of the real gateway (issue 5
// items 1, 6 and 7): forged, tampered and malformed tokens, token sources
// that disagree, spoofed identity headers, oversized input, hostile
// bodies on the token routes, weak signing keys, and config reloads under
// load. Every refusal is checked against simplejwt's exact JSON body, and
// the upstream must never see a refused request.
package attacks

import (
	"os"
	"testing"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
)

func TestMain(m *testing.M) { os.Exit(harness.Main(m)) }
