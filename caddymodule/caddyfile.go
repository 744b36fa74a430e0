package caddymodule

import (
	"slices"
	"strconv"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/dustin/go-humanize"

	"github.com/jwtgate/jwtgate/simplejwt"
)

func init() {
	httpcaddyfile.RegisterGlobalOption("jwtgate", parseGlobal)
	httpcaddyfile.RegisterHandlerDirective("jwt_auth", parseAuth)
	httpcaddyfile.RegisterDirective("jwt_endpoints", parseEndpoints)
	// The token routes ignore the Authorization header, as simplejwt's
	// views do, so they come before any jwt_auth; jwt_auth comes with the
	// other authentication handlers, before request_header and
	// reverse_proxy, so later directives can use {http.auth.user.id}.
	httpcaddyfile.RegisterDirectiveOrder("jwt_endpoints", httpcaddyfile.Before, "basic_auth")
	httpcaddyfile.RegisterDirectiveOrder("jwt_auth", httpcaddyfile.After, "forward_auth")
}

// parseGlobal parses the jwtgate global option:
//
//	jwtgate {
//		store [<url>] {
//			sqlite_path     <path>
//			migrate         true|false
//			schema          <name>
//			max_conns       <n>
//			min_conns       <n>
//			connect_timeout <duration>
//		}
//		signing_key                <key>
//		generate_signing_key       true|false
//		verifying_key              <pem>
//		algorithm                  HS256|HS384|HS512|RS256|RS384|RS512|PS256|PS384|PS512|ES256|ES384|ES512|EdDSA
//		key <kid> {
//			algorithm          <alg>
//			signing_key        <value>
//			signing_key_file   <path>
//			verifying_key      <value>
//			verifying_key_file <path>
//		}
//		sign_with                  <kid>
//		verify_without_kid         <kid>
//		access_token_lifetime      <duration>
//		refresh_token_lifetime     <duration>
//		rotate_refresh_tokens      true|false
//		blacklist_after_rotation   true|false
//		refresh_token_reuse_interval <duration>
//		update_last_login          true|false
//		simplejwt_version          5.2|5.5
//		check_user_is_active       true|false
//		check_revoke_token         true|false
//		revoke_token_claim         <claim>
//		locale_dirs                <dir...>
//		language_code              <tag>
//		accept_language            true|false
//		audience                   <aud>
//		issuer                     <iss>
//		leeway                     <duration>
//		auth_header_types          <type...>
//		auth_header_name           <header>
//		token_cookie               <name>
//		token_query                <name>
//		user_id_field              id|username
//		user_id_claim              <claim>
//		token_type_claim           <claim>|off
//		jti_claim                  <claim>|off
//		user_id_header             <header>
//		username_header            <header>      # percent-encoded UTF-8 (url.PathEscape)
//		claim_header               <claim> <header>
//		pass_authorization         true|false
//		password_iterations        <n>
//		rehash_passwords           true|false
//		register_validate_password true|false
//		register_ignore_case       true|false
//		login_throttle off | {
//			per_client             <n>
//			per_account            <n>
//			per_account_any_client <n>
//			hashes_per_client      <n>
//			register_per_client    <n>
//			window                 <duration>
//		}
//		hash_workers               <n>
//		hash_queue                 <n>
//		hash_per_client            <n>
//		client_ipv4_prefix         <bits>
//		client_ipv6_prefix         <bits>
//		hash_wait                  <duration>
//		max_body_size              <size>
//		db_timeout                 <duration>
//		retry_after                <duration>
//		max_staleness              <duration>
//	}
//
// Boolean options take true/false (or 1/0, yes/no, on/off) and must be
// given a value: Caddy substitutes {$VAR} textually, so an unset or empty
// variable would otherwise leave a bare option that reads as true. Give
// env-fed booleans a default, as {$ROTATE_REFRESH_TOKENS:false}.
func parseGlobal(d *caddyfile.Dispenser, existing any) (any, error) {
	if existing != nil {
		return nil, d.Err("jwtgate may be configured only once")
	}
	app := new(App)
	options := map[string]any{
		"signing_key": &app.SigningKey, "generate_signing_key": &app.GenerateSigningKey,
		"verifying_key": &app.VerifyingKey, "algorithm": &app.Algorithm,
		"sign_with": &app.SignWith, "verify_without_kid": &app.VerifyWithoutKID,
		"access_token_lifetime": &app.AccessTokenLifetime, "refresh_token_lifetime": &app.RefreshTokenLifetime,
		"rotate_refresh_tokens": &app.RotateRefreshTokens, "blacklist_after_rotation": &app.BlacklistAfterRotation,
		"refresh_token_reuse_interval": &app.RefreshTokenReuseInterval, "update_last_login": &app.UpdateLastLogin,
		"check_user_is_active": &app.CheckUserIsActive, "check_revoke_token": &app.CheckRevokeToken,
		"revoke_token_claim": &app.RevokeTokenClaim, "locale_dirs": &app.LocaleDirs,
		"language_code": &app.LanguageCode, "accept_language": &app.AcceptLanguage,
		"audience": &app.Audience, "issuer": &app.Issuer, "leeway": &app.Leeway,
		"auth_header_types": &app.AuthHeaderTypes, "auth_header_name": &app.AuthHeaderName,
		"token_cookie": &app.TokenCookie, "token_query": &app.TokenQuery,
		"user_id_field": &app.UserIDField, "user_id_claim": &app.UserIDClaim,
		"token_type_claim": &app.TokenTypeClaim, "jti_claim": &app.JTIClaim,
		"user_id_header": &app.UserIDHeader, "username_header": &app.UsernameHeader,
		"pass_authorization": &app.PassAuthorization, "password_iterations": &app.PasswordIterations,
		"rehash_passwords": &app.RehashPasswords, "register_ignore_case": &app.RegisterIgnoreCase,
		"register_validate_password": &app.RegisterValidatePassword, "retry_after": &app.RetryAfter,
		"hash_workers": &app.HashWorkers, "hash_queue": &app.HashQueue, "hash_per_client": &app.HashPerClient,
		"client_ipv4_prefix": &app.ClientIPv4Prefix, "client_ipv6_prefix": &app.ClientIPv6Prefix,
		"hash_wait": &app.HashWait, "db_timeout": &app.DBTimeout, "max_staleness": &app.MaxStaleness,
	}
	d.Next() // option name
	if d.NextArg() {
		return nil, d.ArgErr()
	}
	for d.NextBlock(0) {
		var err error
		switch d.Val() {
		case "store":
			app.Store, err = parseStore(d)
		case "key":
			var k KeyConfig
			if k, err = parseKeyBlock(d); err == nil {
				app.Keys = append(app.Keys, k)
			}
		case "simplejwt_version":
			if app.SimplejwtVersion, err = oneArg(d); err == nil {
				if _, verr := simplejwt.ParseVersion(app.SimplejwtVersion); verr != nil {
					err = d.Err(verr.Error())
				}
			}
		case "claim_header":
			args := d.RemainingArgs()
			if len(args) != 2 {
				return nil, d.Err("claim_header takes a claim name and a header name")
			}
			if app.ClaimHeaders == nil {
				app.ClaimHeaders = map[string]string{}
			}
			app.ClaimHeaders[args[0]] = args[1]
		case "login_throttle":
			app.LoginThrottle, err = parseThrottle(d)
		case "max_body_size":
			var s string
			if s, err = oneArg(d); err == nil {
				var n uint64
				if n, err = humanize.ParseBytes(s); err != nil {
					err = d.Errf("max_body_size: %v", err)
				}
				app.MaxBodySize = int64(n)
			}
		default:
			err = parseOption(d, "jwtgate", options)
		}
		if err != nil {
			return nil, err
		}
	}
	return httpcaddyfile.App{Name: "jwtgate", Value: caddyconfig.JSON(app, nil)}, nil
}

// parseStore parses the store option and its block.
func parseStore(d *caddyfile.Dispenser) (*StoreConfig, error) {
	sc := new(StoreConfig)
	if d.NextArg() {
		sc.URL = d.Val()
	}
	if d.NextArg() {
		return nil, d.ArgErr()
	}
	return sc, parseBlock(d, "store", map[string]any{
		"sqlite_path": &sc.SQLitePath, "migrate": &sc.Migrate, "schema": &sc.Schema,
		"max_conns": &sc.MaxConns, "min_conns": &sc.MinConns, "connect_timeout": &sc.ConnectTimeout,
	})
}

// parseThrottle parses `login_throttle off` or its block.
func parseThrottle(d *caddyfile.Dispenser) (*ThrottleConfig, error) {
	tc := new(ThrottleConfig)
	if d.NextArg() {
		if d.Val() != "off" || d.NextArg() {
			return nil, d.Err("login_throttle takes off, or a block")
		}
		tc.Disabled = true
		return tc, nil
	}
	return tc, parseBlock(d, "login_throttle", map[string]any{
		"per_client": &tc.PerClient, "per_account": &tc.PerAccount, "per_account_any_client": &tc.PerAccountAnyClient,
		"hashes_per_client": &tc.HashesPerClient, "register_per_client": &tc.RegisterPerClient, "window": &tc.Window,
	})
}

// parseAuth parses
//
//	jwt_auth [<matcher>] [required|optional|read_only] {
//		forward_auth
//		errors simplejwt|caddy
//		identity_assertion <header> {
//			audience   <aud>
//			issuer     <iss>
//			lifetime   <duration>
//			key        <kid>
//			cache_size <n>
//		}
//	}
//
// (see Auth.ForwardAuth, Auth.Errors and AssertionConfig).
func parseAuth(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	h.Next() // directive name
	a := new(Auth)
	if h.NextArg() {
		a.Policy = h.Val()
		if _, err := parsePolicy(a.Policy); err != nil {
			return nil, h.Err(err.Error())
		}
	}
	if h.NextArg() {
		return nil, h.ArgErr()
	}
	for h.NextBlock(0) {
		switch h.Val() {
		case "forward_auth":
			if h.NextArg() {
				return nil, h.Err("jwt_auth's forward_auth takes no value")
			}
			a.ForwardAuth = true
		case "errors":
			v, err := oneArg(h.Dispenser)
			if err != nil {
				return nil, err
			}
			if v != "simplejwt" && v != "caddy" {
				return nil, h.Errf("jwt_auth errors takes simplejwt or caddy, got %q", v)
			}
			a.Errors = v
		case "identity_assertion":
			var err error
			if a.IdentityAssertion, err = parseAssertion(h.Dispenser); err != nil {
				return nil, err
			}
		default:
			return nil, h.Errf("jwt_auth's block takes forward_auth, errors and identity_assertion (got %q); its other settings live in the global jwtgate option", h.Val())
		}
	}
	return a, nil
}

// parseAssertion parses jwt_auth's identity_assertion and its block.
func parseAssertion(d *caddyfile.Dispenser) (*AssertionConfig, error) {
	c := new(AssertionConfig)
	if !d.NextArg() {
		return nil, d.Err("identity_assertion takes the header to send it in, such as X-Jwtgate-Assertion, and a block with its audience")
	}
	c.Header = d.Val()
	if d.NextArg() {
		return nil, d.ArgErr()
	}
	if err := parseBlock(d, "identity_assertion", map[string]any{"audience": &c.Audience, "issuer": &c.Issuer,
		"lifetime": &c.Lifetime, "key": &c.Key, "cache_size": &c.CacheSize}); err != nil {
		return nil, err
	}
	if c.Audience == "" {
		return nil, d.Err("identity_assertion needs an audience: the name of the upstream, which its verifier requires")
	}
	return c, nil
}

// parseEndpoints parses:
//
//	jwt_endpoints [<prefix>[*]] {
//		<view> <path...>|on|off
//	}
//
// where <view> is obtain, refresh, verify, blacklist, register, users,
// logout_all or sessions (whose <id>/ sub-paths end one session), paths
// are relative to the prefix, and on serves the view at its default paths.
// Every view but users is served by default; users (the seed's users/,
// which lists every user's id, username and email to any holder of a valid
// access token) only when given paths or on.
func parseEndpoints(h httpcaddyfile.Helper) ([]httpcaddyfile.ConfigValue, error) {
	h.Next() // directive name
	e := new(Endpoints)
	if h.NextArg() {
		prefix := strings.TrimSuffix(h.Val(), "*")
		if !strings.HasPrefix(prefix, "/") || !strings.HasSuffix(prefix, "/") {
			return nil, h.Errf("jwt_endpoints takes a path prefix such as /userprofiles/* or /auth/, got %q", h.Val())
		}
		e.Prefix = prefix
	}
	if h.NextArg() {
		return nil, h.ArgErr()
	}
	for h.NextBlock(0) {
		name := h.Val()
		if _, ok := DefaultPaths[name]; !ok {
			return nil, h.Errf("unknown jwt_endpoints view %q; views are %s", name, viewList())
		}
		args := h.RemainingArgs()
		switch {
		case len(args) == 0:
			return nil, h.Errf("%s needs paths, on or off", name)
		case len(args) == 1 && args[0] == "off":
			e.Disable = append(e.Disable, name)
		case len(args) == 1 && args[0] == "on":
			if e.Paths == nil {
				e.Paths = map[string][]string{}
			}
			e.Paths[name] = slices.Clone(DefaultPaths[name])
		default:
			if e.Paths == nil {
				e.Paths = map[string][]string{}
			}
			e.Paths[name] = args
		}
	}
	if _, err := e.routeTable(); err != nil {
		return nil, h.Err(err.Error())
	}
	// The route matches only the prefix, so requests elsewhere (the
	// proxied ones) skip the handler altogether, as with handle_path.
	var match caddy.ModuleMap
	if e.Prefix != "" && e.Prefix != "/" {
		match = caddy.ModuleMap{"path": caddyconfig.JSON(caddyhttp.MatchPath{e.Prefix + "*"}, nil)}
	}
	if e.Prefix == "/" {
		e.Prefix = "" // the default; keep the JSON short
	}
	return h.NewRoute(match, e), nil
}

func oneArg(d *caddyfile.Dispenser) (string, error) {
	if !d.NextArg() {
		return "", d.ArgErr()
	}
	v := d.Val()
	if d.NextArg() {
		return "", d.ArgErr()
	}
	return v, nil
}

func intArg(d *caddyfile.Dispenser) (int, error) {
	opt := d.Val()
	s, err := oneArg(d)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, d.Errf("%s takes a whole number, got %q", opt, s)
	}
	return n, nil
}

func int32Arg(d *caddyfile.Dispenser) (int32, error) {
	n, err := intArg(d)
	if err == nil && n > 1<<31-1 {
		return 0, d.Errf("%d is too large", n)
	}
	return int32(n), err
}

// boolArg reads a boolean value, which must be present (see parseGlobal):
// true/false, 1/0, yes/no or on/off, in any case.
func boolArg(d *caddyfile.Dispenser) (bool, error) {
	opt := d.Val()
	if !d.NextArg() {
		return false, d.Errf("%s needs a value, true or false (if it comes from an environment variable, "+
			"that variable is unset or empty: give it a default such as {$NAME:false})", opt)
	}
	v := d.Val()
	if d.NextArg() {
		return false, d.ArgErr()
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "1", "yes", "on":
		return true, nil
	case "false", "0", "no", "off":
		return false, nil
	}
	return false, d.Errf("%s takes true or false, got %q", opt, v)
}

func durationArg(d *caddyfile.Dispenser) (caddy.Duration, error) {
	opt := d.Val()
	s, err := oneArg(d)
	if err != nil {
		return 0, err
	}
	dur, err := caddy.ParseDuration(s)
	if err != nil {
		return 0, d.Errf("%s takes a duration such as 5m, 24h or 7d, got %q", opt, s)
	}
	return caddy.Duration(dur), nil
}

// parseBlock parses the options of the block d is at into fields (see
// parseOption); block names it in errors.
func parseBlock(d *caddyfile.Dispenser, block string, fields map[string]any) error {
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		if err := parseOption(d, block, fields); err != nil {
			return err
		}
	}
	return nil
}

// parseOption parses the value of the option d is at into its field in
// fields, as the field's type reads it: a **string is a claim name, or off
// for none (None in SIMPLE_JWT); a []string takes one value or more.
func parseOption(d *caddyfile.Dispenser, block string, fields map[string]any) (err error) {
	switch p := fields[d.Val()].(type) {
	case *string:
		*p, err = oneArg(d)
	case **string:
		var s string
		if s, err = oneArg(d); s == "off" {
			s = ""
		}
		*p = &s
	case *[]string:
		if *p = d.RemainingArgs(); len(*p) == 0 {
			err = d.ArgErr()
		}
	case *bool:
		*p, err = boolArg(d)
	case **bool:
		var b bool
		b, err = boolArg(d)
		*p = &b
	case *int:
		*p, err = intArg(d)
	case **int:
		var n int
		n, err = intArg(d)
		*p = &n
	case *int32:
		*p, err = int32Arg(d)
	case *caddy.Duration:
		*p, err = durationArg(d)
	default:
		err = d.Errf("unknown %s option %q", block, d.Val())
	}
	return err
}
