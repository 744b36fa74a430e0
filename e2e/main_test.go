// Package e2e drives the real binaries as a user runs them: the custom
// Caddy built from cmd/caddy with the repository's example Caddyfile, and
// the movie API built from upstream-example, on loopback ports, over HTTP.
package e2e

import (
	"os"
	"testing"

	"github.com/jwtgate/jwtgate/e2e/internal/harness"
)

func TestMain(m *testing.M) { os.Exit(harness.Main(m)) }
