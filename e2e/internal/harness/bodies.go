package harness

// The answers the gateway must give, verbatim: simplejwt's and DRF's
// bodies as the reference writes them (docs/simplejwt.md), shared
// by every e2e suite so that a byte is corrected in one place.
const (
	// WWWAuthenticate is the challenge on every 401.
	WWWAuthenticate = `Bearer realm="api"`
	// NotProvided answers a protected route without a token.
	NotProvided = `{"detail":"Authentication credentials were not provided."}`
	// BadHeader answers an Authorization header that is not "Bearer <token>".
	BadHeader = `{"detail":"Authorization header must contain two space-delimited values","code":"bad_authorization_header"}`
	// NoUserID answers a valid token without a usable user id claim.
	NoUserID = `{"detail":"Token contained no recognizable user identification","code":"token_not_valid"}`
	// UserNotFound answers a valid token of a deleted user.
	UserNotFound = `{"detail":"User not found","code":"user_not_found"}`
	// UserInactive answers a valid token of an inactive user.
	UserInactive = `{"detail":"User is inactive","code":"user_inactive"}`
	// AccessInvalid answers a Bearer token that is expired, forged or not
	// an access token.
	AccessInvalid = `{"detail":"Given token not valid for any token type","code":"token_not_valid","messages":[{"token_class":"AccessToken","token_type":"access","message":"Token is invalid or expired"}]}`
	// Blacklisted answers refresh or verify of a blacklisted refresh token.
	Blacklisted = `{"detail":"Token is blacklisted","code":"token_not_valid"}`
	// NoActiveAccount answers a login with wrong credentials or an
	// inactive user.
	NoActiveAccount = `{"detail":"No active account found with the given credentials"}`
)
