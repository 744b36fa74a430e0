package caddymodule

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/jwtgate/jwtgate/token"
)

func init() {
	caddy.RegisterModule(JWKS{})
	httpcaddyfile.RegisterHandlerDirective("jwt_jwks", parseJWKS)
	httpcaddyfile.RegisterDirectiveOrder("jwt_jwks", httpcaddyfile.Before, "basic_auth")
}

// KeyConfig is one key of the app's key set (App.Keys). Key material is
// read when the config loads: from a file, or from a value that should be
// a placeholder ({env.NAME}, {file.path}) so that neither `caddy adapt`
// nor the admin API ever shows the key.
type KeyConfig struct {
	// ID is the key's kid (required): printable ASCII without spaces or
	// quotes, at most 128 bytes. The signing key writes it in the token
	// header; verification picks the key by it.
	ID string `json:"kid"`

	// Algorithm is the key's JWS algorithm: HS256, HS384, HS512, RS256,
	// RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512 or EdDSA.
	Algorithm string `json:"algorithm"`

	// SigningKey is the HMAC secret (at least 32, 48 or 64 bytes for
	// HS256/384/512) or the private key as PEM or JWK, usually a
	// placeholder. A verify-only asymmetric key may leave it empty.
	SigningKey string `json:"signing_key,omitempty"`

	// SigningKeyFile is a file holding SigningKey instead (PEM, JWK, or
	// the HMAC secret with surrounding whitespace trimmed).
	SigningKeyFile string `json:"signing_key_file,omitempty"`

	// VerifyingKey is the public key (PEM, certificate or JWK) of an
	// asymmetric key; derived from the private key when empty.
	VerifyingKey string `json:"verifying_key,omitempty"`

	// VerifyingKeyFile is a file holding VerifyingKey instead.
	VerifyingKeyFile string `json:"verifying_key_file,omitempty"`
}

// keySet resolves App.Keys for the codec: one key signs (SignWith), the
// others only verify, and VerifyWithoutKID names the key for tokens
// without kid. Errors name the key.
func (a *App) keySet(repl *caddy.Replacer) ([]token.Key, error) {
	if a.SigningKey != "" || a.VerifyingKey != "" || a.Algorithm != "" || a.GenerateSigningKey {
		return nil, errors.New("both keys and signing_key/verifying_key/algorithm/generate_signing_key are set; " +
			"move the single key into the key set as one more key")
	}
	if a.SignWith == "" {
		return nil, errors.New("keys are set but sign_with is not; name the kid of the key that signs new tokens")
	}
	keys := make([]token.Key, 0, len(a.Keys))
	found := false
	kidless := a.VerifyWithoutKID == ""
	for i, k := range a.Keys {
		if k.ID == "" {
			return nil, fmt.Errorf("key #%d has no kid; give every key of the set a kid", i+1)
		}
		priv, err := keyMaterial(repl, k.ID, "signing", k.SigningKey, k.SigningKeyFile)
		if err != nil {
			return nil, err
		}
		pub, err := keyMaterial(repl, k.ID, "verifying", k.VerifyingKey, k.VerifyingKeyFile)
		if err != nil {
			return nil, err
		}
		if strings.HasPrefix(k.Algorithm, "HS") {
			priv = []byte(strings.TrimSpace(string(priv)))
		}
		tk := token.Key{ID: k.ID, Algorithm: k.Algorithm, SigningKey: priv, VerifyingKey: pub,
			Signs: k.ID == a.SignWith, VerifiesWithoutKID: k.ID == a.VerifyWithoutKID}
		found = found || tk.Signs
		kidless = kidless || tk.VerifiesWithoutKID
		keys = append(keys, tk)
	}
	if !found {
		return nil, fmt.Errorf("sign_with names kid %q, which is not a key of the set", a.SignWith)
	}
	if !kidless {
		return nil, fmt.Errorf("verify_without_kid names kid %q, which is not a key of the set", a.VerifyWithoutKID)
	}
	return keys, nil
}

// keyMaterial reads one key value or file; setting both is refused.
func keyMaterial(repl *caddy.Replacer, kid, role, value, file string) ([]byte, error) {
	if value != "" && file != "" {
		return nil, fmt.Errorf("key %q: both %s_key and %s_key_file are set; keep one", kid, role, role)
	}
	if file != "" {
		b, err := os.ReadFile(repl.ReplaceKnown(file, ""))
		if err != nil {
			return nil, fmt.Errorf("key %q: reading %s_key_file: %w", kid, role, err)
		}
		return b, nil
	}
	if value == "" {
		return nil, nil
	}
	return []byte(repl.ReplaceKnown(value, "")), nil
}

// JWKS serves the public keys of the jwtgate app's key set as an RFC 7517
// JWK Set (application/jwk-set+json), signing key first, HMAC keys never.
// Verifiers such as Envoy's jwt_authn, PyJWT's PyJWKClient or a golang-jwt
// key function can then check jwtgate's tokens offline. The document is
// built when the config loads, so a `caddy reload` that changes the keys
// publishes the new set.
type JWKS struct {
	// MaxAge is the Cache-Control max-age. A verifier may use a cached
	// set that long, so a new key must be published (as verify-only) at
	// least MaxAge before it signs. Default 5m.
	MaxAge caddy.Duration `json:"max_age,omitempty"`

	body         []byte
	cacheControl string
}

// CaddyModule returns the Caddy module information.
func (JWKS) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.jwt_jwks",
		New: func() caddy.Module { return new(JWKS) },
	}
}

// defaultJWKSMaxAge is JWKS.MaxAge's default.
const defaultJWKSMaxAge = 5 * time.Minute

// Provision renders the key set of the jwtgate app.
func (j *JWKS) Provision(ctx caddy.Context) error {
	app, err := ctx.App("jwtgate")
	if err != nil {
		return fmt.Errorf("jwt_jwks needs the jwtgate app: %w", err)
	}
	codec := app.(*App).codec
	if codec == nil {
		return errors.New("jwt_jwks: the jwtgate app has no keys")
	}
	j.body = codec.JWKS()
	age := time.Duration(j.MaxAge)
	if age <= 0 {
		age = defaultJWKSMaxAge
	}
	j.cacheControl = "public, max-age=" + strconv.Itoa(int(age/time.Second)) + ", must-revalidate"
	return nil
}

// ServeHTTP answers GET and HEAD with the key set, anything else with 405.
func (j *JWKS) ServeHTTP(w http.ResponseWriter, r *http.Request, _ caddyhttp.Handler) error {
	h := w.Header()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		w.WriteHeader(http.StatusMethodNotAllowed)
		return nil
	}
	h.Set("Content-Type", "application/jwk-set+json")
	h.Set("Cache-Control", j.cacheControl)
	h.Set("Content-Length", strconv.Itoa(len(j.body)))
	if r.Method == http.MethodHead {
		return nil
	}
	_, err := w.Write(j.body)
	return err
}

// parseJWKS reads
//
//	jwt_jwks [<matcher>] {
//		max_age <duration>
//	}
func parseJWKS(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	j := new(JWKS)
	h.Next()
	if h.NextArg() {
		return nil, h.ArgErr()
	}
	if err := parseBlock(h.Dispenser, "jwt_jwks", map[string]any{"max_age": &j.MaxAge}); err != nil {
		return nil, err
	}
	return j, nil
}

// parseKeyBlock reads one key block of the global jwtgate option (its
// syntax is in parseGlobal's).
func parseKeyBlock(d *caddyfile.Dispenser) (KeyConfig, error) {
	var k KeyConfig
	if !d.NextArg() {
		return k, d.ArgErr()
	}
	k.ID = d.Val()
	if d.NextArg() {
		return k, d.ArgErr()
	}
	if err := parseBlock(d, "key", map[string]any{"algorithm": &k.Algorithm, "signing_key": &k.SigningKey,
		"signing_key_file": &k.SigningKeyFile, "verifying_key": &k.VerifyingKey, "verifying_key_file": &k.VerifyingKeyFile}); err != nil {
		return k, err
	}
	if k.Algorithm == "" {
		return k, d.Errf("key %q has no algorithm", k.ID)
	}
	return k, nil
}

var (
	_ caddy.Provisioner           = (*JWKS)(nil)
	_ caddyhttp.MiddlewareHandler = (*JWKS)(nil)
)
