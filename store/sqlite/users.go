package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jwtgate/jwtgate/store"
)

// userColumns selects a whole auth_user row. The datetime columns are cast
// to TEXT so that the driver hands over Django's text instead of guessing a
// time format; parseTime reads it.
const userColumns = `"id", "password", CAST("last_login" AS TEXT), "is_superuser", "username", "first_name", "last_name", "email", "is_staff", "is_active", CAST("date_joined" AS TEXT)`

type rowScanner interface{ Scan(dest ...any) error }

func scanUser(r rowScanner) (store.User, error) {
	var (
		u                     store.User
		lastLogin             sql.NullString
		dateJoined            string
		superuser, staff, act int64
	)
	err := r.Scan(&u.ID, &u.Password, &lastLogin, &superuser, &u.Username, &u.FirstName, &u.LastName, &u.Email, &staff, &act, &dateJoined)
	if err != nil {
		return u, err
	}
	u.IsSuperuser, u.IsStaff, u.IsActive = superuser != 0, staff != 0, act != 0
	if u.DateJoined, err = parseTime(dateJoined); err != nil {
		return u, fmt.Errorf("auth_user.date_joined of user %d: %w", u.ID, err)
	}
	if lastLogin.Valid {
		t, err := parseTime(lastLogin.String)
		if err != nil {
			return u, fmt.Errorf("auth_user.last_login of user %d: %w", u.ID, err)
		}
		u.LastLogin = &t
	}
	return u, nil
}

// UserByUsername returns the user with exactly this username (SQLite's =
// on text is case-sensitive, like Django's lookup), or store.ErrNotFound.
func (s *Store) UserByUsername(ctx context.Context, username string) (store.User, error) {
	return s.user(ctx, `"username"`, username, fmt.Sprintf("%q", username))
}

// UserByID returns the user with this id, or store.ErrNotFound.
func (s *Store) UserByID(ctx context.Context, id int64) (store.User, error) {
	return s.user(ctx, `"id"`, id, fmt.Sprint(id))
}

// user reads the user whose column is value (named what in errors).
func (s *Store) user(ctx context.Context, column string, value any, what string) (store.User, error) {
	u, err := scanUser(s.queryRow(ctx, `SELECT `+userColumns+` FROM "auth_user" WHERE `+column+` = ?`, value))
	if errors.Is(err, sql.ErrNoRows) {
		return store.User{}, store.ErrNotFound
	}
	if err != nil {
		return store.User{}, fmt.Errorf("sqlite: reading user %s: %w", what, err)
	}
	return u, nil
}

// ListUsers returns every user ordered by id.
func (s *Store) ListUsers(ctx context.Context) ([]store.User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+userColumns+` FROM "auth_user" ORDER BY "id"`)
	all, err := collect(rows, err, scanUser)
	if err != nil {
		return nil, fmt.Errorf("sqlite: listing users: %w", err)
	}
	return all, nil
}

// UsersAfter returns a page of id, username and email ordered by id.
func (s *Store) UsersAfter(ctx context.Context, after int64, limit int) ([]store.UserSummary, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT "id", "username", "email" FROM "auth_user" WHERE "id" > ? ORDER BY "id" LIMIT ?`, after, limit)
	page, err := collect(rows, err, func(r rowScanner) (u store.UserSummary, err error) {
		return u, r.Scan(&u.ID, &u.Username, &u.Email)
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: listing users: %w", err)
	}
	return page, nil
}

// CreateUser inserts u and returns it with its id and its times as stored
// (UTC, microseconds). The email check and the insert run in one
// BEGIN IMMEDIATE transaction: SQLite admits one writer at a time, so two
// registrations of one email cannot both pass the check. The check is an
// exact match served by Migrate's index on lower(email), so it does not
// read the table. With opts.IgnoreCase the username is checked first, by
// lower() (SQLite's folds ASCII letters only; see CreateUserOptions),
// through Migrate's index on lower(username), and the email check drops
// its exact-match clause.
func (s *Store) CreateUser(ctx context.Context, u store.User, opts store.CreateUserOptions) (store.User, error) {
	u.DateJoined = u.DateJoined.UTC().Truncate(time.Microsecond)
	var lastLogin any
	if u.LastLogin != nil {
		t := u.LastLogin.UTC().Truncate(time.Microsecond)
		u.LastLogin = &t
		lastLogin = formatTime(t)
	}
	// taken reports whether a user has value in column: the same lower()
	// (served by Migrate's index), and exactly unless IgnoreCase.
	taken := func(tx *txn, column, value string) (bool, error) {
		q := `SELECT 1 FROM "auth_user" WHERE lower("` + column + `") = lower(?1) AND "` + column + `" = ?1 LIMIT 1`
		if opts.IgnoreCase {
			q = `SELECT 1 FROM "auth_user" WHERE lower("` + column + `") = lower(?1) LIMIT 1`
		}
		var one int
		err := tx.QueryRowContext(ctx, q, value).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		return err == nil, err
	}
	err := s.inTx(ctx, func(tx *txn) error {
		if opts.IgnoreCase {
			if found, err := taken(tx, "username", u.Username); err != nil || found {
				return cmp.Or(err, store.ErrUsernameTaken)
			}
		}
		if opts.UniqueEmail {
			if found, err := taken(tx, "email", u.Email); err != nil || found {
				return cmp.Or(err, store.ErrEmailTaken)
			}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO "auth_user" ("password", "last_login", "is_superuser", "username", "last_name", "email", "is_staff", "is_active", "date_joined", "first_name") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			u.Password, lastLogin, bit(u.IsSuperuser), u.Username, u.LastName, u.Email, bit(u.IsStaff), bit(u.IsActive), formatTime(u.DateJoined), u.FirstName)
		if isUniqueViolation(err) {
			return store.ErrUsernameTaken
		}
		if err != nil {
			return err
		}
		u.ID, err = res.LastInsertId()
		return err
	})
	switch {
	case errors.Is(err, store.ErrEmailTaken), errors.Is(err, store.ErrUsernameTaken):
		return store.User{}, err
	case err != nil:
		return store.User{}, fmt.Errorf("sqlite: creating user %q: %w", u.Username, err)
	}
	return u, nil
}

// SetPassword stores a new encoded password for the user.
func (s *Store) SetPassword(ctx context.Context, id int64, encoded string) error {
	return s.updateUser(ctx, id, "password", `UPDATE "auth_user" SET "password" = ? WHERE "id" = ?`, encoded, id)
}

// SetActive sets auth_user.is_active.
func (s *Store) SetActive(ctx context.Context, id int64, active bool) error {
	return s.updateUser(ctx, id, "is_active", `UPDATE "auth_user" SET "is_active" = ? WHERE "id" = ?`, bit(active), id)
}

// SetSuperuser sets is_staff and is_superuser together.
func (s *Store) SetSuperuser(ctx context.Context, id int64, superuser bool) error {
	return s.updateUser(ctx, id, "is_superuser", `UPDATE "auth_user" SET "is_staff" = ?, "is_superuser" = ? WHERE "id" = ?`, bit(superuser), bit(superuser), id)
}

// SetLastLogin sets auth_user.last_login.
func (s *Store) SetLastLogin(ctx context.Context, id int64, at time.Time) error {
	return s.updateUser(ctx, id, "last_login", `UPDATE "auth_user" SET "last_login" = ? WHERE "id" = ?`, formatTime(at), id)
}

// updateUser runs an UPDATE of one user and returns store.ErrNotFound when
// it matched no row.
func (s *Store) updateUser(ctx context.Context, id int64, what, query string, args ...any) error {
	n, err := affected(s.exec(ctx, query, args...))
	if err != nil {
		return fmt.Errorf("sqlite: setting %s of user %d: %w", what, id, err)
	}
	if n == 0 {
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
// (when those tables exist). Django declares its foreign keys DEFERRABLE
// INITIALLY DEFERRED, so a row of another table (an application's) that
// still points at the user fails the COMMIT; that is returned as
// store.ErrUserReferenced naming the referencing columns.
func (s *Store) DeleteUser(ctx context.Context, id int64) error {
	err := s.inTx(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `UPDATE "token_blacklist_outstandingtoken" SET "user_id" = NULL WHERE "user_id" = ?`, id); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT "name" FROM "sqlite_master" WHERE "type" = 'table' AND "name" IN (?, ?, ?) ORDER BY "name"`,
			userLinkTables[0], userLinkTables[1], userLinkTables[2])
		links, err := collect(rows, err, func(r rowScanner) (name string, err error) { return name, r.Scan(&name) })
		if err != nil {
			return err
		}
		for _, t := range links {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+quoteIdent(t)+` WHERE "user_id" = ?`, id); err != nil {
				return err
			}
		}
		n, err := affected(tx.ExecContext(ctx, `DELETE FROM "auth_user" WHERE "id" = ?`, id))
		if err == nil && n == 0 {
			return store.ErrNotFound
		}
		return err
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return err
	case isForeignKeyViolation(err):
		refs := s.referencesTo(ctx, id)
		if refs == "" {
			refs = err.Error()
		}
		return fmt.Errorf("%w (%s); delete the user through Django, or deactivate it instead", store.ErrUserReferenced, refs)
	case err != nil:
		return fmt.Errorf("sqlite: deleting user %d: %w", id, err)
	}
	return nil
}

// referencesTo lists, as "table.column", the foreign keys to auth_user
// that still hold id. It only explains an error, so it gives up quietly.
func (s *Store) referencesTo(ctx context.Context, id int64) string {
	rows, err := s.db.QueryContext(ctx, `SELECT m."name", f."from" FROM "sqlite_master" m, pragma_foreign_key_list(m."name") f WHERE m."type" = 'table' AND f."table" = 'auth_user' ORDER BY m."name", f."from"`)
	if err != nil {
		return ""
	}
	type column struct{ table, name string }
	var cols []column
	for rows.Next() {
		var c column
		if rows.Scan(&c.table, &c.name) == nil {
			cols = append(cols, c)
		}
	}
	rows.Close()
	var refs []string
	for _, c := range cols {
		var one int
		err := s.db.QueryRowContext(ctx, `SELECT 1 FROM `+quoteIdent(c.table)+` WHERE `+quoteIdent(c.name)+` = ? LIMIT 1`, id).Scan(&one)
		if err == nil {
			refs = append(refs, c.table+"."+c.name)
		}
	}
	return strings.Join(refs, ", ")
}
