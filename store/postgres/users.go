package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/jwtgate/jwtgate/store"
)

// The first keys of the two-int pg_advisory_xact_lock(namespace,
// hashtext(lower(value))) CreateUser takes with UniqueEmail ("jwge" in
// ASCII) and IgnoreCase ("jwgu"); they never collide with one-bigint keys.
const (
	emailLockNamespace    int32 = 0x6a77_6765
	usernameLockNamespace int32 = 0x6a77_6775
)

// userColumns selects a whole auth_user row for scanUser.
const userColumns = `id, password, last_login, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined`

func scanUser(r pgx.Row) (store.User, error) {
	var u store.User
	err := r.Scan(&u.ID, &u.Password, &u.LastLogin, &u.IsSuperuser, &u.Username, &u.FirstName, &u.LastName, &u.Email, &u.IsStaff, &u.IsActive, &u.DateJoined)
	if err != nil {
		return store.User{}, err
	}
	u.DateJoined = u.DateJoined.UTC()
	if u.LastLogin != nil {
		t := u.LastLogin.UTC()
		u.LastLogin = &t
	}
	return u, nil
}

// UserByUsername returns the user with exactly this username (= on
// varchar is case-sensitive, like Django's lookup), or store.ErrNotFound.
func (s *Store) UserByUsername(ctx context.Context, username string) (store.User, error) {
	return s.user(ctx, `username = $1`, username, fmt.Sprintf("%q", username))
}

// UserByID returns the user with this id, or store.ErrNotFound.
func (s *Store) UserByID(ctx context.Context, id int64) (store.User, error) {
	return s.user(ctx, `id = $1::bigint`, id, fmt.Sprint(id))
}

// user reads the user that where selects with arg (named what in errors).
func (s *Store) user(ctx context.Context, where string, arg any, what string) (store.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM auth_user WHERE `+where, arg))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.User{}, store.ErrNotFound
	}
	if err != nil {
		return store.User{}, s.fail(err, "reading user %s", what)
	}
	return u, nil
}

// ListUsers returns every user ordered by id.
func (s *Store) ListUsers(ctx context.Context) ([]store.User, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+userColumns+` FROM auth_user ORDER BY id`)
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.User, error) { return scanUser(r) })
	if err != nil {
		return nil, s.fail(err, "listing users")
	}
	return all, nil
}

// UsersAfter returns a page of id, username and email ordered by id.
func (s *Store) UsersAfter(ctx context.Context, after int64, limit int) ([]store.UserSummary, error) {
	rows, _ := s.pool.Query(ctx, `SELECT id, username, email FROM auth_user WHERE id > $1 ORDER BY id LIMIT $2`, after, limit)
	page, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (u store.UserSummary, err error) {
		err = r.Scan(&u.ID, &u.Username, &u.Email)
		return u, err
	})
	if err != nil {
		return nil, s.fail(err, "listing users")
	}
	return page, nil
}

// CreateUser inserts u without an id (Django's sequence or an identity
// column gives it) and returns it with its id and its times as stored
// (UTC, microseconds).
//
// With opts.UniqueEmail the check and the insert run in one transaction
// that first takes pg_advisory_xact_lock(emailLockNamespace,
// hashtext(lower(email))): registrations of one email through any number
// of gateways are serialised, those of other emails run in parallel. The
// check, lower(email) = lower($1) AND email = $1, reads a few entries of
// Migrate's index jwtgate_auth_user_email_lower. Registrations that
// bypass jwtgate (Django's own views) do not take the lock. With
// opts.IgnoreCase the username is checked the same way first (its lock is
// always taken before the email's, so two registrations cannot deadlock),
// and the email check drops its exact-match clause.
func (s *Store) CreateUser(ctx context.Context, u store.User, opts store.CreateUserOptions) (store.User, error) {
	u.DateJoined = utcMicro(u.DateJoined)
	if u.LastLogin != nil {
		t := utcMicro(*u.LastLogin)
		u.LastLogin = &t
	}
	insert := func(q interface {
		QueryRow(context.Context, string, ...any) pgx.Row
	}) error {
		return q.QueryRow(ctx, `INSERT INTO auth_user (password, last_login, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			u.Password, u.LastLogin, u.IsSuperuser, u.Username, u.FirstName, u.LastName, u.Email, u.IsStaff, u.IsActive, u.DateJoined).Scan(&u.ID)
	}
	// taken takes the lock of value's lower() and reports whether a user
	// has it (in the column's lower(), and exactly unless IgnoreCase).
	taken := func(tx pgx.Tx, namespace int32, column, value string) (bool, error) {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext(lower($2)))`, namespace, value); err != nil {
			return false, err
		}
		q := `SELECT EXISTS (SELECT 1 FROM auth_user WHERE lower(` + column + `) = lower($1) AND ` + column + ` = $1)`
		if opts.IgnoreCase {
			q = `SELECT EXISTS (SELECT 1 FROM auth_user WHERE lower(` + column + `) = lower($1))`
		}
		var found bool
		err := tx.QueryRow(ctx, q, value).Scan(&found)
		return found, err
	}
	var err error
	if opts.UniqueEmail || opts.IgnoreCase {
		err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			if opts.IgnoreCase {
				if found, err := taken(tx, usernameLockNamespace, "username", u.Username); err != nil || found {
					return cmp.Or(err, store.ErrUsernameTaken)
				}
			}
			if opts.UniqueEmail {
				if found, err := taken(tx, emailLockNamespace, "email", u.Email); err != nil || found {
					return cmp.Or(err, store.ErrEmailTaken)
				}
			}
			return insert(tx)
		})
	} else {
		err = insert(s.pool)
	}
	if errors.Is(err, store.ErrEmailTaken) || errors.Is(err, store.ErrUsernameTaken) {
		return store.User{}, err
	}
	if e := pgError(err, codeUniqueViolation); e != nil {
		if e.ConstraintName == "auth_user_username_key" || strings.HasPrefix(e.Detail, "Key (username)=") {
			return store.User{}, store.ErrUsernameTaken
		}
		if strings.HasPrefix(e.Detail, "Key (id)=") {
			return store.User{}, fmt.Errorf("postgres: creating user %q: the next id of auth_user is already in use (rows were inserted with explicit ids); "+
				"reset the sequence, for example with the statements of `manage.py sqlsequencereset auth`: %w", u.Username, err)
		}
	}
	if err != nil {
		return store.User{}, s.fail(err, "creating user %q", u.Username)
	}
	return u, nil
}

// SetPassword stores a new encoded password for the user.
func (s *Store) SetPassword(ctx context.Context, id int64, encoded string) error {
	return s.updateUser(ctx, id, "password", `UPDATE auth_user SET password = $2 WHERE id = $1::bigint`, encoded)
}

// SetActive sets auth_user.is_active.
func (s *Store) SetActive(ctx context.Context, id int64, active bool) error {
	return s.updateUser(ctx, id, "is_active", `UPDATE auth_user SET is_active = $2 WHERE id = $1::bigint`, active)
}

// SetSuperuser sets is_staff and is_superuser together.
func (s *Store) SetSuperuser(ctx context.Context, id int64, superuser bool) error {
	return s.updateUser(ctx, id, "is_superuser", `UPDATE auth_user SET is_staff = $2, is_superuser = $2 WHERE id = $1::bigint`, superuser)
}

// SetLastLogin sets auth_user.last_login.
func (s *Store) SetLastLogin(ctx context.Context, id int64, at time.Time) error {
	return s.updateUser(ctx, id, "last_login", `UPDATE auth_user SET last_login = $2 WHERE id = $1::bigint`, utcMicro(at))
}

// updateUser runs an UPDATE of user id ($1) with value ($2) and returns
// store.ErrNotFound when it matched no row.
func (s *Store) updateUser(ctx context.Context, id int64, what, query string, value any) error {
	tag, err := s.pool.Exec(ctx, query, id, value)
	if err != nil {
		return s.fail(err, "setting %s of user %d", what, id)
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

// userLinkTables are the tables of django.contrib.auth and .admin whose
// rows Django's ORM deletes with the user.
var userLinkTables = []string{"auth_user_groups", "auth_user_user_permissions", "django_admin_log"}

// DeleteUser deletes the user in one transaction, as Django's ORM does:
// outstanding tokens keep their row with user_id NULL, and the user's rows
// in auth_user_groups, auth_user_user_permissions and django_admin_log go
// (when those tables exist). A row of another table (an application's)
// that still points at the user fails the foreign key check, at the DELETE
// or, since Django declares its foreign keys DEFERRABLE INITIALLY
// DEFERRED, at the COMMIT; either is returned as store.ErrUserReferenced
// naming the table, and nothing is deleted.
func (s *Store) DeleteUser(ctx context.Context, id int64) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE token_blacklist_outstandingtoken SET user_id = NULL WHERE user_id = $1::bigint`, id); err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, `SELECT t FROM unnest($1::text[]) AS t WHERE to_regclass(quote_ident(t)) IS NOT NULL`, userLinkTables)
		links, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		for _, t := range links {
			if _, err := tx.Exec(ctx, `DELETE FROM `+quoteIdent(t)+` WHERE user_id = $1::bigint`, id); err != nil {
				return err
			}
		}
		tag, err := tx.Exec(ctx, `DELETE FROM auth_user WHERE id = $1::bigint`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return store.ErrNotFound
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return err
	}
	if e := pgError(err, codeForeignKeyViolation); e != nil {
		return fmt.Errorf("postgres: deleting user %d: %w: table %s still references it (constraint %s); delete the user through Django, or deactivate it instead",
			id, store.ErrUserReferenced, quoteIdent(e.TableName), e.ConstraintName)
	}
	if err != nil {
		return s.fail(err, "deleting user %d", id)
	}
	return nil
}
