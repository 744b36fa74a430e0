package caddymodule

import (
	"bufio"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jwtgate/jwtgate/password"
)

// keyCommands are the key generation and hashing helpers, which need no
// config or store.
func keyCommands() []*cobra.Command {
	genKey := &cobra.Command{
		Use:   "gen-signing-key [--algorithm HS256|HS384|HS512|RS256|RS384|RS512|PS256|PS384|PS512|ES256|ES384|ES512|EdDSA]",
		Short: "Prints a new JWT signing key for the jwtgate signing_key option",
		Long: `
Prints a random signing key for --algorithm (default HS256): 64 random bytes as
base64url text for the HS algorithms; for the others a PKCS#8 PEM private key
(3072-bit RSA for RS and PS, the algorithm's curve for ES, Ed25519 for EdDSA)
followed by its PEM public key, the part to give verify-only instances and
verifiers (the gateway derives it from the private key when it is not set).

Keep it in a secret store or an environment variable, not in the Caddyfile:
	signing_key {env.JWT_SIGNING_KEY}
To share tokens with a Django app, use the key its SIMPLE_JWT SIGNING_KEY
(Django's SECRET_KEY by default) already has instead.
`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			alg, _ := cmd.Flags().GetString("algorithm")
			key, err := newSigningKey(alg)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), key)
			return nil
		},
	}
	genKey.Flags().StringP("algorithm", "a", "HS256", "JWS algorithm the key is for")

	hash := &cobra.Command{
		Use:   "hash-django-password [--algorithm pbkdf2_sha256|pbkdf2_sha1|argon2|bcrypt_sha256|scrypt] [--iterations <n>] [--plaintext <password>]",
		Short: "Hashes a password in Django's auth_user.password format",
		Long: `
Prints the password hashed as Django stores it ("pbkdf2_sha256$1000000$…"),
for provisioning users with SQL or fixtures. The password comes from
--plaintext, or from the first line of standard input.

--iterations sets the PBKDF2 count (default 1000000, Django 5.2's; 260000 is
Django 3.2's). The other algorithms use Django's defaults.
`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			alg, _ := cmd.Flags().GetString("algorithm")
			iter, _ := cmd.Flags().GetInt("iterations")
			pw, _ := cmd.Flags().GetString("plaintext")
			if !cmd.Flags().Changed("plaintext") {
				line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
				if err != nil && line == "" {
					return fmt.Errorf("no password given: use --plaintext or standard input")
				}
				pw = strings.TrimRight(line, "\r\n")
			}
			h, ok := map[string]password.Hasher{"pbkdf2_sha256": password.PBKDF2SHA256{Iterations: iter},
				"pbkdf2_sha1": password.PBKDF2SHA1{Iterations: iter}, "argon2": password.Argon2{},
				"bcrypt_sha256": password.BCryptSHA256{}, "scrypt": password.Scrypt{}}[alg]
			if !ok {
				return fmt.Errorf("unknown hasher %q: use pbkdf2_sha256, pbkdf2_sha1, argon2, bcrypt_sha256 or scrypt", alg)
			}
			enc, err := h.Encode(pw)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), enc)
			return nil
		},
	}
	hash.Flags().StringP("algorithm", "a", "pbkdf2_sha256", "Django hasher")
	hash.Flags().Int("iterations", password.DefaultPBKDF2Iterations, "PBKDF2 iterations")
	hash.Flags().StringP("plaintext", "p", "", "The password (default: read from standard input)")
	return []*cobra.Command{genKey, hash}
}

// newSigningKey makes a key for alg: an HMAC secret, or the PEM private
// key followed by its PEM public key.
func newSigningKey(alg string) (string, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case "HS256", "HS384", "HS512":
		return newHMACKey()
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		priv, err = rsa.GenerateKey(rand.Reader, 3072)
	case "ES256":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ES384":
		priv, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "ES512":
		priv, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case "EdDSA":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		return "", fmt.Errorf("unknown algorithm %q: use HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512 or EdDSA", alg)
	}
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", err
	}
	pub, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})) +
		string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))), nil
}
