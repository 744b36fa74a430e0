package token

import (
	"bytes"
	"slices"
	"strings"
)

// knownSecrets are HMAC secrets published in documentation, tutorials and
// default configurations, at least MinHMACKeyLength bytes long (shorter
// ones are refused by length already). Anyone can forge tokens signed with
// them. Compared case-insensitively after trimming whitespace.
var knownSecrets = []string{
	// the reference project's and its tutorials' defaults
	"django-ref-insecure-7f3c1b9e2a5d4c8f9e0a1b2c3d4e5f60718293a4b5c6d7e8",
	// jwt.io and framework quick-starts
	"your-256-bit-secret-your-256-bit-secret",
	"your-512-bit-secret-your-512-bit-secret",
	"a-string-secret-at-least-256-bits-long",
	"supersecretkeythatshouldnotbeshared",
	"thisisasecretkeythatshouldbechanged",
	"my_super_secret_key_that_is_long_enough",
	"your_jwt_secret_key_change_this_in_production",
	"change_this_super_secret_random_string",
	"changeme-changeme-changeme-changeme",
	"secretsecretsecretsecretsecretsecret",
	"0123456789abcdef0123456789abcdef",
	"abcdefghijklmnopqrstuvwxyz012345",
	"abcdefghijklmnopqrstuvwxyz0123456789",
	"1234567890123456789012345678901234567890",
}

// minDistinctKeyBytes: a random 32-byte key has about 30 distinct byte
// values; far fewer means a pattern ("aaaa…", "0101…"), not a secret.
const minDistinctKeyBytes = 10

// weakKey says why an HMAC key that is long enough is still unfit, or ""
// when it is fit.
func weakKey(key []byte) string {
	t := strings.ToLower(string(bytes.TrimSpace(key)))
	if strings.HasPrefix(t, "django-insecure-") {
		return "is a key Django generated for development and marks insecure (django-insecure-…); rotate SIGNING_KEY (Django's SECRET_KEY) to a random secret"
	}
	if slices.Contains(knownSecrets, t) {
		return "is a published example secret that anyone can use to forge tokens"
	}
	var seen [256]bool
	distinct := 0
	for _, b := range key {
		if !seen[b] {
			seen[b] = true
			distinct++
		}
	}
	if distinct < minDistinctKeyBytes {
		return "has too few distinct characters to be a random secret"
	}
	return ""
}
