package token

// Error is a token rejection. Its Error method returns simplejwt's message,
// which is what clients see; Reason says why, for logs and metrics, and
// never contains the token.
type Error struct {
	// Message is simplejwt's text, e.g. "Token is invalid or expired".
	Message string
	// Reason is a short machine-friendly cause, e.g. "expired",
	// "signature", "algorithm"; empty on the sentinel values below.
	Reason string
}

// Error returns Message, followed by Reason in parentheses when there is
// one. Clients should be shown Message alone.
func (e *Error) Error() string {
	if e.Reason == "" {
		return e.Message
	}
	return e.Message + " (" + e.Reason + ")"
}

// Is makes errors.Is(err, ErrInvalid) true for every rejection that carries
// ErrInvalid's message, whatever its reason.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Reason == "" && t.Message == e.Message
}

// The rejections simplejwt reports, by message. Match them with errors.Is.
var (
	ErrInvalid     = &Error{Message: "Token is invalid or expired"}
	ErrBlacklisted = &Error{Message: "Token is blacklisted"}
	ErrNoExp       = &Error{Message: "Token has no 'exp' claim"}
	ErrNoID        = &Error{Message: "Token has no id"}
	ErrNoType      = &Error{Message: "Token has no type"}
	ErrWrongType   = &Error{Message: "Token has wrong type"}
)

// invalid returns a rejection with ErrInvalid's message and a reason. The
// callers keep the results in package variables so that rejecting a token
// does not allocate.
func invalid(reason string) *Error {
	return &Error{Message: ErrInvalid.Message, Reason: reason}
}
