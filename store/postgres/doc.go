// Package postgres is jwtgate's shared store: PostgreSQL through a pgx v5
// connection pool, holding users and the token blacklist in exactly the
// tables Django 3.2 and simplejwt 5.2 create, so that several gateway
// instances and the original Django application can use one database at
// once. It implements store.Store and passes the shared suite in
// store/storetest.
//
// # Sharing the database with Django
//
// Every connection runs with search_path set to Options.Schema ("public"
// by default), and every query names the tables unqualified, as Django
// does. Migrate creates the schema, auth_user,
// token_blacklist_outstandingtoken and token_blacklist_blacklistedtoken
// when they are missing, with the statements that give the layout Django's
// migrations leave (serial and bigserial sequences, the same constraint
// and index names, varchar_pattern_ops "_like" indexes, foreign keys
// DEFERRABLE INITIALLY DEFERRED), so pg_dump shows the same tables as for a
// Django-migrated database. It never alters a table that exists. It records
// nothing in django_migrations: a database that Django will also use should
// be migrated by Django first (or Django run with migrate --fake-initial).
// Migrate runs in one transaction under pg_advisory_xact_lock, so gateways
// that start together do not race.
//
// Values are stored as Django stores them: timestamptz with microsecond
// precision (finer times are truncated), returned in UTC. CreateUser
// inserts without an id, so Django's sequence or an identity column
// numbers the user.
//
// CreateUser with UniqueEmail or IgnoreCase serialises registrations of
// one email (or folded username) under a transaction advisory lock, since
// Django has no unique index on auth_user.email; jwtgate's plain indexes
// jwtgate_auth_user_email_lower and jwtgate_auth_user_username_lower, which
// Migrate builds with CREATE INDEX CONCURRENTLY, serve the checks.
// Blacklist relies on the unique constraints on jti and token_id (INSERT …
// ON CONFLICT DO NOTHING), so of any number of concurrent blacklistings of
// one token exactly one succeeds.
//
// # The user change feed (objects jwtgate adds)
//
// The gateway's Bearer check never queries the database: it keeps every
// user's state in memory, and WatchUsers keeps that copy current by push,
// with LISTEN/NOTIFY. Migrate therefore adds the PL/pgSQL function
// jwtgate_notify_user_change(), which runs pg_notify('jwtgate_user_change',
// id) for the row's id (the old and the new id when an UPDATE changed it)
// or with the payload "*" for a TRUNCATE, and four AFTER triggers on
// auth_user that call it, the only objects jwtgate attaches to a Django
// table: jwtgate_user_change_insert, jwtgate_user_change_delete,
// jwtgate_user_change_truncate (Django's flush truncates) and
// jwtgate_user_change_update, on UPDATE OF id, username, is_active,
// is_staff, is_superuser when one of them IS DISTINCT FROM its old value
// (so last_login updates notify nothing; a changed password notifies
// through the session state's jwtgate_password_changed, see
// docs/sessions.md).
//
// Notifications are delivered when the changing transaction commits, to
// every listening gateway. Migrate replaces the function when its body
// differs and creates a trigger (CREATE OR REPLACE TRIGGER, PostgreSQL 14
// or later) only when one of that name calling the function for those
// events is missing, so a repeated Migrate takes no lock on auth_user.
// Changes that bypass triggers (session_replication_role = replica, as
// pg_restore and logical replication use, or disabled triggers) are picked
// up by the periodic full Load (Options.ResyncInterval).
//
// To remove jwtgate from a database:
//
//	DROP FUNCTION jwtgate_notify_user_change() CASCADE;
//	DROP TABLE jwtgate_login_failure;
//	DROP INDEX jwtgate_auth_user_email_lower;
//	DROP INDEX jwtgate_auth_user_username_lower;
//
// which drops the four triggers with the function. jwtgate_login_failure
// (key, failures, window_end in Unix milliseconds) holds the login failure
// counters of package throttle, shared by every instance;
// PruneLoginFailures (which every running gateway calls periodically) and
// FlushExpired delete windows that ended. The feed's channel is named the
// same in every schema: gateways on different schemas of one database
// receive each other's notifications, which only costs them a query.
//
// # Availability
//
// Open does not connect, so a gateway starts while the database is down
// and works once it is up; every call honours its context, and a call
// made while the server is unreachable fails with the connection error
// (after at most Options.ConnectTimeout). WatchUsers holds one connection
// of its own outside the pool, reconnects on its own after a failure and
// then re-reads every user.
//
// LISTEN/NOTIFY fails silently behind a transaction-pooling proxy and
// when a trigger is disabled, so WatchUsers proves the feed alive: every
// Options.CanaryInterval (2 s) it sends a canary notification to itself
// through the pool and reads pg_trigger.tgenabled of jwtgate's triggers.
// While a canary does not come back or a trigger is disabled it reports
// the feed down (store.FeedObserver; the gateway logs an error and
// exports jwtgate_user_feed_up 0) and re-reads every user once a second,
// until canaries come back with every trigger enabled.
package postgres
