// Package sqlite is jwtgate's embedded store: a single SQLite file, opened
// with the pure-Go driver modernc.org/sqlite (no cgo), holding users and the
// token blacklist in exactly the tables Django 3.2 and simplejwt 5.2 create.
// It implements store.Store and passes the shared suite in store/storetest.
//
// # Sharing the file with Django
//
// Migrate creates auth_user, token_blacklist_outstandingtoken,
// token_blacklist_blacklistedtoken and the outstanding token's user_id
// index with Django's own DDL, character for character, when they are
// missing, and never alters a table that exists. So the gateway can be
// pointed at the db.sqlite3 of an existing Django project, and Django keeps
// working on it. Migrate records nothing in django_migrations, so a
// database that Django will also use should be created by Django's migrate
// first.
//
// Values are stored as Django stores them on SQLite: booleans as the
// integers 0 and 1, datetimes as TEXT in naive UTC in Python's str()
// format, "2026-11-22 10:25:40.429054", without the fraction when the
// microseconds are 0. Reads also accept a 'T' separator and a trailing "Z"
// or "+00:00". FlushExpired compares expires_at as text, as Django's own
// queries on SQLite do; that is correct for every value written in this
// format, by the gateway or by Django.
//
// Every connection runs with journal_mode=WAL (so readers never wait for a
// writer; this converts a Django database, which Django reads just the
// same), synchronous=NORMAL, foreign_keys=ON and a busy timeout, and begins
// write transactions with BEGIN IMMEDIATE, so writers of other processes
// queue on the busy timeout instead of failing to upgrade a read lock. The
// process's own writes queue in Go and are committed in groups (see
// writeQueue). WAL needs a local file system: do not put the file on a
// network share.
//
// # The user change feed (objects jwtgate adds)
//
// WatchUsers must notice changes made by other processes, Django included,
// without querying auth_user on every request. Migrate therefore adds the
// table jwtgate_user_change (seq, user_id, changed_at), one row per change
// of a user in commit order, and four triggers on auth_user that fill it,
// the only objects jwtgate attaches to a Django table besides those of the
// session state (docs/sessions.md): jwtgate_user_change_insert,
// jwtgate_user_change_delete, jwtgate_user_change_update (when id,
// username, is_active, is_staff or is_superuser really changed; the old
// and the new id when the id did; last_login updates record nothing) and
// jwtgate_user_change_password (the state carries the password's
// fingerprint, see store.UserState.Password).
//
// A watcher polls PRAGMA data_version (which changes when another
// connection commits), reads the feed past its cursor and re-reads the
// users it names. Rows older than ten minutes are pruned; a watcher that
// fell further behind does a full Load instead.
//
// The triggers write into jwtgate_user_change, so to remove jwtgate from a
// database drop the four triggers before that table, or every write to
// auth_user will fail. If a future Django migration rebuilds auth_user
// (SQLite alters tables by copying them), the triggers go with the old
// table; the next Migrate creates them again, and until then the periodic
// Load keeps watchers correct.
//
// # Login failure counters
//
// Migrate also creates jwtgate_login_failure (key, failures, window_end in
// Unix milliseconds), the counters of package throttle. It touches no
// Django table; FlushExpired deletes windows that ended, and the table can
// be dropped (Migrate recreates it).
package sqlite
