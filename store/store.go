// Package store keeps jwtgate's users and token blacklist in Django's own
// table layout (auth_user, token_blacklist_outstandingtoken and
// token_blacklist_blacklistedtoken), so the gateway can take over an
// existing Django database and run beside it.
//
// The package defines the contract; the sqlite and postgres sub-packages
// implement it and both pass the shared suite in store/storetest.
package store

import (
	"context"
	"crypto/md5"
	"encoding/binary"
	"errors"
	"iter"
	"strconv"
	"strings"
	"time"
)

// User is one row of Django's auth_user table.
type User struct {
	ID int64
	// Password is the Django-encoded hash ("pbkdf2_sha256$…"), or an
	// unusable password starting with "!".
	Password    string
	LastLogin   *time.Time
	IsSuperuser bool
	Username    string
	FirstName   string
	LastName    string
	Email       string
	IsStaff     bool
	IsActive    bool
	DateJoined  time.Time
}

// State returns the part of u the Bearer check keeps in memory, without
// its revocation state (which the change feed reads): NotBefore is
// date_joined's second, so that at least tokens older than the user are
// refused.
func (u User) State() UserState {
	return UserState{
		ID:          u.ID,
		Username:    u.Username,
		IsActive:    u.IsActive,
		IsStaff:     u.IsStaff,
		IsSuperuser: u.IsSuperuser,
		NotBefore:   u.DateJoined.Unix(),
		Password:    PasswordFingerprint(u.Password),
	}
}

// UserSummary is what the users view lists of a user: its id, username
// and email, nothing else.
type UserSummary struct {
	ID       int64
	Username string
	Email    string
}

// PasswordFingerprint is the first 8 bytes, big-endian, of the MD5 of an
// encoded password (auth_user.password): simplejwt 5.3+ puts the whole
// digest in tokens with CHECK_REVOKE_TOKEN (get_md5_hash_password, upper-case
// hex), and the first 16 hex digits of that claim are this number. The
// stores' change feeds hand it over in UserState, so that the Bearer check
// can tell a token from before a password change without reading the
// password; two hashes share it with a chance of 2⁻⁶⁴.
func PasswordFingerprint(encoded string) uint64 {
	return PasswordFingerprintBytes([]byte(encoded))
}

// PasswordFingerprintBytes is PasswordFingerprint of the password's bytes.
func PasswordFingerprintBytes(encoded []byte) uint64 {
	sum := md5.Sum(encoded)
	return binary.BigEndian.Uint64(sum[:8])
}

// UserState is what the Bearer check needs to know about a user. The
// gateway keeps one per user in memory (package userindex) so that a
// protected request never queries the database.
type UserState struct {
	ID          int64
	Username    string
	IsActive    bool
	IsStaff     bool
	IsSuperuser bool
	// NotBefore is the Unix second before which no token of this user is
	// valid: the latest of date_joined (truncated, so a token issued in
	// the second the user joined is valid) and the user's last revocation
	// (logout_all, `user revoke`, a password change), rounded up.
	NotBefore int64
	// Revoked lists the user's ended sessions whose tokens have not all
	// expired yet. It is short (what was revoked within the longest token
	// lifetime) and never modified in place: a change replaces it.
	Revoked []RevokedSession
	// Password is PasswordFingerprint of the user's current
	// auth_user.password, for simplejwt's CHECK_REVOKE_TOKEN.
	Password uint64
}

// RevokedSession is one ended session (see Session).
type RevokedSession struct {
	// ID is the session id, the first 16 hex digits of its tokens' jti
	// as a number.
	ID uint64
	// Until is the Unix second after which every token of the session
	// has expired and the entry can be forgotten.
	Until int64
}

// Equal reports whether a and b hold the same state.
func (a UserState) Equal(b UserState) bool {
	if a.ID != b.ID || a.Username != b.Username || a.IsActive != b.IsActive || a.IsStaff != b.IsStaff ||
		a.IsSuperuser != b.IsSuperuser || a.NotBefore != b.NotBefore || a.Password != b.Password ||
		len(a.Revoked) != len(b.Revoked) {
		return false
	}
	for i := range a.Revoked {
		if a.Revoked[i] != b.Revoked[i] {
			return false
		}
	}
	return true
}

// SessionRevoked reports whether session id is in st.Revoked. It does not
// allocate.
func (st *UserState) SessionRevoked(id uint64) bool {
	for i := range st.Revoked {
		if st.Revoked[i].ID == id {
			return true
		}
	}
	return false
}

// ParseRevoked reads the revoked sessions as the stores' feed queries
// aggregate them: "hexid:until,hexid:until". Malformed entries are
// skipped.
func ParseRevoked(s string) []RevokedSession {
	if s == "" {
		return nil
	}
	var out []RevokedSession
	for s != "" {
		var item string
		item, s, _ = strings.Cut(s, ",")
		hexID, until, _ := strings.Cut(item, ":")
		id, err1 := strconv.ParseUint(hexID, 16, 64)
		u, err2 := strconv.ParseInt(until, 10, 64)
		if err1 != nil || err2 != nil || len(hexID) != 16 {
			continue
		}
		out = append(out, RevokedSession{ID: id, Until: u})
	}
	return out
}

// Rows yields scan's result for each row next reports, then err's error
// if it has one: a backend's query result as the iterator
// UserWatcher.Load reads. It stops at the first error.
func Rows[T any](next func() bool, scan func() (T, error), err func() error) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for next() {
			v, err := scan()
			if !yield(v, err) || err != nil {
				return
			}
		}
		if err := err(); err != nil {
			var zero T
			yield(zero, err)
		}
	}
}

// Session is one row of jwtgate_session: a login and every token minted
// from it. Its id is the first 16 hex digits of those tokens' jti. Times
// are Unix seconds.
type Session struct {
	ID     string
	UserID int64
	// CreatedAt is the login; LastRefreshedAt the last rotation (a refresh
	// without rotation writes nothing).
	CreatedAt, LastRefreshedAt int64
	// ClientIP and UserAgent are as seen at login (UserAgent bounded).
	ClientIP, UserAgent string
	// ExpiresAt is when the last token the session may hold expires: its
	// newest refresh token's exp plus the access lifetime.
	ExpiresAt int64
	// RevokedAt is when it ended; 0 while it is live.
	RevokedAt int64
}

// OutstandingToken is one row of simplejwt's
// token_blacklist_outstandingtoken table: a refresh token that was issued
// (UserID and CreatedAt set) or that was blacklisted without having been
// recorded first (UserID and CreatedAt nil), exactly as simplejwt writes it.
type OutstandingToken struct {
	ID        int64
	UserID    *int64
	JTI       string
	Token     string
	CreatedAt *time.Time
	ExpiresAt time.Time
}

// Errors the stores return for conditions callers answer differently from a
// database fault. Any other error means the database could not answer and
// the caller should treat it as unavailable (HTTP 503).
var (
	// ErrNotFound: no row matched.
	ErrNotFound = errors.New("store: not found")
	// ErrUsernameTaken: auth_user.username is unique and the name is in use.
	ErrUsernameTaken = errors.New("store: a user with that username already exists")
	// ErrEmailTaken: CreateUser was asked for a unique email and it is in use.
	ErrEmailTaken = errors.New("store: a user with that email already exists")
	// ErrAlreadyBlacklisted: Blacklist found the token already blacklisted.
	ErrAlreadyBlacklisted = errors.New("store: token is already blacklisted")
	// ErrSessionEnded: RotateSession, asked to blacklist, found the
	// token's session ended and changed nothing.
	ErrSessionEnded = errors.New("store: the token's session has ended")
	// ErrUserReferenced: DeleteUser found rows of tables jwtgate does not
	// know (for example an application's own tables) that still point at
	// the user; delete the user through Django, or deactivate it instead.
	ErrUserReferenced = errors.New("store: the user is still referenced by other tables")
)

// CreateUserOptions tunes CreateUser.
type CreateUserOptions struct {
	// UniqueEmail makes CreateUser fail with ErrEmailTaken when a user with
	// exactly this email exists. Django has no unique constraint on
	// auth_user.email, so the store serialises concurrent registrations of
	// one email itself (never check-then-insert across two transactions).
	UniqueEmail bool
	// IgnoreCase compares usernames (and, with UniqueEmail, emails)
	// case-insensitively: CreateUser fails with ErrUsernameTaken when a
	// user whose username has the same lower() exists, as Django's
	// username__iexact. The database's lower() decides what is a case:
	// every Unicode letter on PostgreSQL with a UTF-8 locale, ASCII
	// letters only on SQLite and under PostgreSQL's C locale. Concurrent
	// registrations of one folded name are serialised as UniqueEmail's.
	IgnoreCase bool
}

// TableMigrator is a Store whose Migrate also builds indexes on Django's
// tables, which can take minutes on a large table; MigrateTables does the
// rest of Migrate, so that a gateway can serve while Migrate, run again
// in the background, builds them.
type TableMigrator interface {
	MigrateTables(ctx context.Context) error
}

// Store is what jwtgate needs from a database, one interface per concern
// (as package throttle takes only FailureCounters). All methods are safe for
// concurrent use. Times are stored as Django stores them: UTC with
// microsecond precision.
type Store interface {
	// Migrate creates, when they do not exist, the Django tables jwtgate
	// uses (in the layout Django's migrations give them) and jwtgate's own
	// objects (the user change feed). It never alters a table that exists.
	Migrate(ctx context.Context) error

	Users
	Tokens
	FailureCounters
	Feed

	// Close releases the store's resources.
	Close() error
}

// Users reads and changes auth_user.
type Users interface {
	// UserByUsername returns the user with exactly this username
	// (case-sensitive, as Django's get_by_natural_key), or ErrNotFound.
	UserByUsername(ctx context.Context, username string) (User, error)
	// UserByID returns the user with this id, or ErrNotFound.
	UserByID(ctx context.Context, id int64) (User, error)
	// ListUsers returns every user ordered by id.
	ListUsers(ctx context.Context) ([]User, error)
	// UsersAfter returns at most limit users whose id is greater than
	// after, ordered by id, reading only the columns of UserSummary (never
	// the password hash): one page of a listing that does not hold the
	// table in memory.
	UsersAfter(ctx context.Context, after int64, limit int) ([]UserSummary, error)
	// CreateUser inserts u (u.ID is ignored) and returns it with its new
	// id. It returns ErrUsernameTaken, or ErrEmailTaken (see options).
	CreateUser(ctx context.Context, u User, opts CreateUserOptions) (User, error)
	// SetPassword stores a new encoded password for the user.
	SetPassword(ctx context.Context, id int64, encoded string) error
	// SetActive sets auth_user.is_active.
	SetActive(ctx context.Context, id int64, active bool) error
	// SetSuperuser sets is_staff and is_superuser together.
	SetSuperuser(ctx context.Context, id int64, superuser bool) error
	// SetLastLogin sets auth_user.last_login.
	SetLastLogin(ctx context.Context, id int64, at time.Time) error
	// DeleteUser deletes the user. Like Django it first sets
	// outstandingtoken.user_id to NULL and removes the user's rows in
	// auth_user_groups, auth_user_user_permissions and django_admin_log
	// when those tables exist. It returns ErrUserReferenced if another
	// table still references the user.
	DeleteUser(ctx context.Context, id int64) error
}

// Tokens is simplejwt's outstanding and blacklisted tokens and jwtgate's
// sessions and revocations over them (see docs/sessions.md).
type Tokens interface {
	// AddOutstanding records an issued refresh token.
	AddOutstanding(ctx context.Context, t OutstandingToken) error
	// Blacklist get-or-creates the outstanding row for t.JTI (inserting t
	// as given when absent) and blacklists it at the given time. It returns
	// ErrAlreadyBlacklisted when the token was blacklisted before; of many
	// concurrent calls for one jti exactly one returns nil.
	Blacklist(ctx context.Context, t OutstandingToken, at time.Time) error
	// IsBlacklisted reports whether the token with this jti is blacklisted.
	IsBlacklisted(ctx context.Context, jti string) (bool, error)
	// RefreshState answers, for a refresh token being used, when it was
	// blacklisted (nil if it is not) and whether its session (the jti's
	// first 16 hex digits) has ended. One query.
	RefreshState(ctx context.Context, jti string) (blacklistedAt *time.Time, sessionEnded bool, err error)

	// StartSession records a login: the session and its refresh token as
	// outstanding, in one transaction.
	StartSession(ctx context.Context, s Session, refresh OutstandingToken) error
	// RotateSession records a rotation in old's session (the jti's first
	// 16 hex digits): its last refresh becomes at and its expiry at least
	// expires. With blacklist it also blacklists old (as Blacklist does,
	// marking it in the session as rotated, not logged out, so that its
	// blacklisting does not end the session). It records next as
	// outstanding unless next.JTI is empty. One transaction.
	//
	// With blacklist it is also the refresh view's check of the token
	// (RefreshState), in the same round trip: it changes nothing and
	// returns ErrAlreadyBlacklisted when old was blacklisted before (of
	// many concurrent rotations of one token exactly one returns nil), or
	// ErrSessionEnded when old's session has ended.
	RotateSession(ctx context.Context, old, next OutstandingToken, at time.Time, expires int64, blacklist bool) error
	// RevokeSession ends the user's session id (16 hex digits) at at and
	// blacklists its outstanding refresh tokens, in one transaction (a
	// token a concurrent rotation recorded meanwhile is blacklisted right
	// after it). It
	// reports whether the session was live (false: unknown, another
	// user's, or already ended).
	RevokeSession(ctx context.Context, userID int64, id string, at time.Time) (bool, error)
	// RevokeUser ends every token of the user issued before notBefore
	// (Unix seconds): it raises the user's not-before, ends every live
	// session and blacklists every outstanding refresh token of the user,
	// in one transaction.
	RevokeUser(ctx context.Context, userID int64, notBefore int64, at time.Time) error
	// UserState reads the user's state as WatchUsers hands it over, or
	// ErrNotFound, so that a process can apply a change it just made (or
	// was told of) before the feed delivers it.
	UserState(ctx context.Context, id int64) (UserState, error)
	// Sessions lists the user's live sessions (not ended, not expired at
	// now), newest first.
	Sessions(ctx context.Context, userID int64, now time.Time) ([]Session, error)
	// FlushExpired deletes outstanding tokens (and so their blacklist rows)
	// that expired at or before now, as simplejwt's flushexpiredtokens does,
	// and returns how many outstanding rows it deleted. It also deletes
	// login failure windows that ended by now.
	FlushExpired(ctx context.Context, now time.Time) (int64, error)
}

// FailureCounters is the login throttle's counters (package throttle).
type FailureCounters interface {
	// LoginFailures returns, for each key in order, the failed logins
	// counted in its current window and when that window ends; a key with
	// no window, or whose window ended by now, has zero Failures. The
	// counters are jwtgate's own table, shared by every instance on the
	// database (package throttle).
	LoginFailures(ctx context.Context, keys []string, now time.Time) ([]FailureWindow, error)
	// AddLoginFailure counts one failure for each key, in its current
	// window or, when it has none that is still open at now, in a new
	// window ending at now + window, and returns each key's window after
	// the count, in order. Increment and read are one atomic step per key,
	// across every handle on the database: of n concurrent calls on one
	// key, exactly one sees each count 1..n. The throttle reserves an
	// attempt this way before it hashes (increment, then check).
	AddLoginFailure(ctx context.Context, keys []string, now time.Time, window time.Duration) ([]FailureWindow, error)
	// UncountLoginFailure takes back one count of each key (never below
	// zero): a reserved attempt that turned out not to be a failure.
	UncountLoginFailure(ctx context.Context, keys []string) error
	// ClearLoginFailures forgets the keys' counters.
	ClearLoginFailures(ctx context.Context, keys []string) error
	// PruneLoginFailures deletes the failure windows that ended by now
	// and returns how many it deleted. The running gateway calls it
	// periodically, so the table holds only open windows.
	PruneLoginFailures(ctx context.Context, now time.Time) (int64, error)
}

// Feed keeps a process's view of the users in step with the database.
type Feed interface {
	// WatchUsers keeps w in step with auth_user until ctx is done, whoever
	// changes the table (this process, the CLI, Django). It first calls
	// w.Load with every user, then w.Update for every user inserted,
	// changed or deleted, within about a second of the change, and calls
	// w.Load again whenever it may have missed changes (after a lost
	// connection, and periodically as a safety net). It returns ctx.Err()
	// when ctx ends; other errors are retried internally and reported to
	// w.Error.
	WatchUsers(ctx context.Context, w UserWatcher) error
}

// FailureWindow is a login failure counter (see FailureCounters.LoginFailures).
type FailureWindow struct {
	Failures int
	Ends     time.Time
}

// FeedObserver is implemented by a UserWatcher that wants to know how
// current it is; WatchUsers calls it from the goroutine that calls the
// watcher.
type FeedObserver interface {
	// Fresh reports that every change committed before at has been
	// handed over: a Load read a snapshot taken at or after at, or the
	// feed proved it had delivered everything up to at (a canary sent at
	// at came back, or a poll that started at at found nothing more).
	Fresh(at time.Time)
	// FeedHealth reports that the push feed stopped delivering changes
	// (err, why), so WatchUsers polls instead until it works again (nil).
	// It is called on each change of state only.
	FeedHealth(err error)
}

// UserWatcher receives the user changes WatchUsers observes.
type UserWatcher interface {
	// Load replaces everything known with the complete list all yields,
	// in any order, read row by row from the database (so that millions
	// of users are never held twice). all yields a non-nil error, as its
	// last pair, when the list could not be read whole: the watcher then
	// keeps what it knew, and WatchUsers reports the error and retries.
	Load(all iter.Seq2[UserState, error])
	// Update records one user's current state; deleted users come with
	// exists false.
	Update(id int64, st UserState, exists bool)
	// Error reports a failure WatchUsers will retry; the watcher's state
	// may be stale until the next Load.
	Error(err error)
}
