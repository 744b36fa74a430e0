package caddymodule

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"
)

// signingKey resolves the signing key: the configured value after
// placeholder replacement, or with GenerateSigningKey the path of a key
// Start keeps in the data directory. An empty key refuses to start.
func (a *App) signingKey(repl *caddy.Replacer, alg string) (key []byte, generatedPath string, err error) {
	if k := repl.ReplaceKnown(a.SigningKey, ""); strings.TrimSpace(k) != "" {
		return []byte(k), "", nil
	}
	if !a.GenerateSigningKey {
		return nil, "", errors.New("signing_key is empty: set it (for example signing_key {env.JWT_SIGNING_KEY} " +
			"with at least 32 random bytes, from `caddy jwtgate gen-signing-key`), or enable generate_signing_key for a demo")
	}
	if !strings.HasPrefix(alg, "HS") {
		return nil, "", fmt.Errorf("generate_signing_key only makes HMAC keys; %s needs a PEM private key in signing_key", alg)
	}
	return nil, filepath.Join(caddy.AppDataDir(), "jwtgate", "signing_key"), nil
}

// generatedKey reads the generated signing key at path, generating and
// keeping it (mode 0600) on first start.
func generatedKey(path string, log *zap.Logger) ([]byte, error) {
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		log.Warn("using the generated signing key in the data directory; set signing_key to share one key between instances",
			zap.String("path", path))
		return []byte(strings.TrimSpace(string(b))), nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("reading the generated signing key: %w", err)
	}
	gen, err := newHMACKey()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("keeping the generated signing key: %w", err)
	}
	// O_EXCL: if two processes race, one fails and restarts to read the
	// other's key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("keeping the generated signing key: %w", err)
	}
	if _, err := f.WriteString(gen + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("keeping the generated signing key: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("keeping the generated signing key: %w", err)
	}
	log.Warn("signing_key is empty: generated a random key and kept it in the data directory; "+
		"set signing_key (e.g. JWT_SIGNING_KEY) to share one key with other instances and with Django",
		zap.String("path", path))
	return []byte(gen), nil
}

// newHMACKey returns 64 random bytes as base64url text, a signing key for
// any HS algorithm.
func newHMACKey() (string, error) {
	var b [64]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
