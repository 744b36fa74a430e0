package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/jwtgate/jwtgate/internal/djangoref"
	"github.com/jwtgate/jwtgate/internal/testenv"
	"github.com/jwtgate/jwtgate/store"
	"github.com/jwtgate/jwtgate/store/storetest"
)

// The interop tests run the reference Django project (Django 3.2 and
// simplejwt 5.2 from Debian's packages) on the same PostgreSQL database as
// the store. JWTGATE_DJANGO_REF and JWTGATE_PYTHON override where they
// are; pg_dump is JWTGATE_PG_DUMP or /usr/bin/pg_dump.

func djangoRef() string { return djangoref.Dir() }

func python() string { return djangoref.Python() }

func pgDump() string {
	if p := os.Getenv("JWTGATE_PG_DUMP"); p != "" {
		return p
	}
	return "/usr/bin/pg_dump"
}

// djangoTemplate is a database that Django migrated and seeded (users
// siva, a superuser, and inactive_user), built once per test binary;
// tests work on copies of it.
var djangoTemplate struct {
	once   sync.Once
	name   string
	varDir string
	err    error
	// tables is pg_dump's view of Django's three tables in it (see
	// dumpSchema).
	tables []string
}

func TestMain(m *testing.M) {
	code := m.Run()
	if djangoTemplate.name != "" {
		if err := dropDatabase(djangoTemplate.name); err != nil {
			fmt.Fprintf(os.Stderr, "dropping the template database %s: %v\n", djangoTemplate.name, err)
			code = 1
		}
	}
	if djangoTemplate.varDir != "" {
		os.RemoveAll(djangoTemplate.varDir)
	}
	os.Exit(code)
}

func dropDatabase(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, adminURL())
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+quoteIdent(name)+" WITH (FORCE)")
	return err
}

// djangoDB returns a fresh copy of the Django template database.
func djangoDB(t *testing.T) string {
	t.Helper()
	buildDjangoTemplate(t)
	return newDatabase(t, djangoTemplate.name)
}

// buildDjangoTemplate makes the Django template database once.
func buildDjangoTemplate(t *testing.T) {
	t.Helper()
	testenv.PostgreSQL(t)
	testenv.Python(t, python(), djangoref.Packages+" postgresql-client", "django", "rest_framework_simplejwt", "psycopg2")
	testenv.Program(t, pgDump(), "JWTGATE_PG_DUMP", "apt-get install -y postgresql-client")
	djangoTemplate.once.Do(func() {
		djangoTemplate.varDir, djangoTemplate.err = os.MkdirTemp("", "jwtgate-django-")
		if djangoTemplate.err != nil {
			return
		}
		name := randomName("jwtgate_test_django_")
		if djangoTemplate.err = adminExecErr("CREATE DATABASE " + name); djangoTemplate.err != nil {
			return
		}
		djangoTemplate.name = name
		if _, djangoTemplate.err = runCmd(filepath.Join(djangoRef(), "reset_db.sh"), djangoEnv(name)); djangoTemplate.err != nil {
			return
		}
		djangoTemplate.tables, djangoTemplate.err = dumpSchemaErr(name, djangoTables3...)
	})
	if djangoTemplate.err != nil {
		t.Fatalf("building a Django database with %s/reset_db.sh failed: %v\n"+
			"These tests need %s with Django 3.2, djangorestframework-simplejwt and psycopg2 "+
			"(Debian: apt-get install -y python3-djangorestframework-simplejwt python3-psycopg2) and the reference project; "+
			"set JWTGATE_DJANGO_REF and JWTGATE_PYTHON if they live elsewhere.", djangoRef(), djangoTemplate.err, python())
	}
}

// djangoEnv is the environment that points the reference project at db.
func djangoEnv(db string) []string {
	env := append(os.Environ(), "DJANGO_PG_NAME="+db, "REF_VAR_DIR="+djangoTemplate.varDir)
	if u, err := url.Parse(adminURL()); err == nil {
		if h := u.Hostname(); h != "" {
			env = append(env, "DJANGO_PG_HOST="+h)
		}
		if p := u.Port(); p != "" {
			env = append(env, "DJANGO_PG_PORT="+p)
		}
		if u.User != nil {
			env = append(env, "DJANGO_PG_USER="+u.User.Username())
			if pw, ok := u.User.Password(); ok {
				env = append(env, "DJANGO_PG_PASSWORD="+pw)
			}
		}
	}
	return env
}

func runCmd(name string, env []string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = djangoRef()
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), nil
}

// manage runs the reference project's manage.py on db.
func manage(t *testing.T, db string, args ...string) string {
	t.Helper()
	out, err := runCmd(python(), djangoEnv(db), append([]string{"manage.py"}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// djangoShell runs Python code in Django's shell on db and decodes the
// JSON it prints last into v.
func djangoShell(t *testing.T, db, code string, v any) {
	t.Helper()
	out := strings.TrimSpace(manage(t, db, "shell", "-c", code))
	if i := strings.LastIndexByte(out, '\n'); i >= 0 {
		out = out[i+1:]
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("decoding the output of Django's shell %q: %v", out, err)
	}
}

// dumpSchema runs pg_dump -s on db (only the given tables, when any) and
// returns its statements, one per entry, without comments, session
// settings, OWNER changes and pg_dump's \restrict lines.
func dumpSchema(t *testing.T, db string, tables ...string) []string {
	t.Helper()
	stmts, err := dumpSchemaErr(db, tables...)
	if err != nil {
		t.Fatal(err)
	}
	return stmts
}

func dumpSchemaErr(db string, tables ...string) ([]string, error) {
	dbURL, err := dbURLErr(db)
	if err != nil {
		return nil, err
	}
	args := []string{"--schema-only", "--dbname=" + dbURL}
	for _, tb := range tables {
		args = append(args, "--table="+tb)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, pgDump(), args...).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%s %v: %v\n%s", pgDump(), tables, err, out)
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "--") || strings.HasPrefix(l, `\restrict`) || strings.HasPrefix(l, `\unrestrict`) {
			continue
		}
		lines = append(lines, l)
	}
	var stmts []string
	for _, b := range strings.Split(strings.Join(lines, "\n"), "\n\n") {
		b = strings.TrimSpace(b)
		if b == "" || strings.HasPrefix(b, "SET ") || strings.HasPrefix(b, "SELECT pg_catalog.set_config") || strings.Contains(b, " OWNER TO ") {
			continue
		}
		stmts = append(stmts, b)
	}
	return stmts, nil
}

// withoutJwtgate splits stmts into those that are jwtgate's own objects
// (its function and triggers) and the others.
func withoutJwtgate(stmts []string) (others, ours []string) {
	for _, s := range stmts {
		if strings.Contains(s, "jwtgate_") {
			ours = append(ours, s)
		} else {
			others = append(others, s)
		}
	}
	return others, ours
}

func sameStatements(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n\n") != strings.Join(want, "\n\n") {
		t.Errorf("%s differ:\n--- got\n%s\n--- want\n%s", what, strings.Join(got, "\n\n"), strings.Join(want, "\n\n"))
	}
}

var djangoTables3 = []string{"public.auth_user", "public.token_blacklist_outstandingtoken", "public.token_blacklist_blacklistedtoken"}

// djangoUser is what the Django shell scripts print of a user.
type djangoUser struct {
	ID          int64   `json:"id"`
	Password    string  `json:"password"`
	IsSuperuser bool    `json:"is_superuser"`
	IsStaff     bool    `json:"is_staff"`
	IsActive    bool    `json:"is_active"`
	Email       string  `json:"email"`
	FirstName   string  `json:"first_name"`
	DateJoined  string  `json:"date_joined"`
	LastLogin   *string `json:"last_login"`
}

const pyUser = `
def user_json(u):
    return {"id": u.id, "password": u.password, "is_superuser": u.is_superuser, "is_staff": u.is_staff,
            "is_active": u.is_active, "email": u.email, "first_name": u.first_name,
            "date_joined": u.date_joined.isoformat(), "last_login": u.last_login and u.last_login.isoformat()}
`

func parsePyTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse("2006-01-02T15:04:05.999999-07:00", s)
	if err != nil {
		t.Fatalf("Django's time %q: %v", s, err)
	}
	return v
}

// TestDjangoInterop runs the store on a database that Django migrated and
// seeded: Migrate changes nothing of Django's, each reads what the other
// writes, and Django's changes to users reach WatchUsers.
func TestDjangoInterop(t *testing.T) {
	t.Parallel()
	db := djangoDB(t)
	dbURL := urlFor(t, db)
	ctx := testCtx(t)

	before := dumpSchema(t, db)
	s := openStore(t, Options{URL: dbURL})
	for i := 0; i < 2; i++ {
		must(t, "Migrate on Django's database", s.Migrate(ctx))
	}
	after := dumpSchema(t, db)
	others, ours := withoutJwtgate(after)
	sameStatements(t, "Django's schema before and after Migrate (jwtgate's objects left out)", others, before)
	if len(ours) != 21 {
		t.Errorf("Migrate added %d objects, want the feed's function and four triggers, the login failure table with its primary key, the sessions' three functions, two tables with primary keys, an index and four triggers, and the indexes on lower(email) and lower(username):\n%s", len(ours), strings.Join(ours, "\n\n"))
	}

	// Django's users, as Django sees them and as the store reads them.
	var seeded map[string]djangoUser
	djangoShell(t, db, pyUser+`
import json
from django.contrib.auth.models import User
print(json.dumps({u.username: user_json(u) for u in User.objects.all()}))`, &seeded)
	siva, err := s.UserByUsername(ctx, "siva")
	must(t, "UserByUsername(siva)", err)
	want := seeded["siva"]
	if siva.ID != want.ID || siva.Password != want.Password || !strings.HasPrefix(siva.Password, "pbkdf2_sha256$") ||
		!siva.IsSuperuser || !siva.IsStaff || !siva.IsActive || siva.Email != want.Email || siva.LastLogin != nil {
		t.Errorf("siva read by the store = %+v; Django has %+v", siva, want)
	}
	if dj := parsePyTime(t, want.DateJoined); !siva.DateJoined.Equal(dj) || siva.DateJoined.Location() != time.UTC || siva.DateJoined.Nanosecond()%1000 != 0 {
		t.Errorf("siva's date_joined = %v, Django has %v", siva.DateJoined, dj)
	}
	inactive, err := s.UserByUsername(ctx, "inactive_user")
	must(t, "UserByUsername(inactive_user)", err)
	if inactive.IsActive || inactive.ID != seeded["inactive_user"].ID {
		t.Errorf("inactive_user read by the store = %+v; Django has %+v", inactive, seeded["inactive_user"])
	}

	// Rows the store writes, read by Django; rows Django writes, read by
	// the store.
	joined := time.Date(2026, 11, 22, 10, 25, 40, 429054000, time.UTC)
	gw, err := s.CreateUser(ctx, store.User{Password: siva.Password, Username: "gw", FirstName: "Gate", Email: "gw@example.com", IsActive: true, DateJoined: joined}, store.CreateUserOptions{UniqueEmail: true})
	must(t, "CreateUser(gw)", err)
	now := time.Now().UTC()
	must(t, "AddOutstanding", s.AddOutstanding(ctx, store.OutstandingToken{UserID: &gw.ID, JTI: "gw-out", Token: "a.b.c", CreatedAt: &now, ExpiresAt: now.Add(time.Hour)}))
	must(t, "Blacklist(recorded)", s.Blacklist(ctx, store.OutstandingToken{UserID: &gw.ID, JTI: "gw-out", Token: "a.b.c", CreatedAt: &now, ExpiresAt: now.Add(time.Hour)}, now))
	must(t, "Blacklist(unrecorded)", s.Blacklist(ctx, store.OutstandingToken{JTI: "gw-rotated", Token: "d.e.f", ExpiresAt: now.Add(time.Hour)}, now))
	must(t, "SetLastLogin", s.SetLastLogin(ctx, gw.ID, now))

	var seen struct {
		Auth          *int64     `json:"auth"`
		GW            djangoUser `json:"gw"`
		OutUser       *int64     `json:"out_user"`
		OutCreated    string     `json:"out_created"`
		Blacklisted   bool       `json:"blacklisted"`
		Rotated       bool       `json:"rotated"`
		RotatedNoUser bool       `json:"rotated_no_user"`
		DjangoUserID  int64      `json:"dj_user"`
	}
	djangoShell(t, db, pyUser+`
import json, datetime
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken, BlacklistedToken
u = authenticate(username="gw", password="siva")
out = OutstandingToken.objects.get(jti="gw-out")
rot = OutstandingToken.objects.get(jti="gw-rotated")
dj = User.objects.create_user("dj_user", "dj@example.com", "dj-pass-123", first_name="Dj", is_staff=True)
dj.last_login = datetime.datetime(2026, 11, 23, 8, 0, 1, 123456, tzinfo=datetime.timezone.utc)
dj.save()
t = OutstandingToken.objects.create(user=dj, jti="dj-bl", token="x.y.z", created_at=timezone.now(), expires_at=timezone.now() + datetime.timedelta(hours=1))
BlacklistedToken.objects.create(token=t)
print(json.dumps({"auth": u and u.id, "gw": user_json(User.objects.get(username="gw")),
    "out_user": out.user_id, "out_created": out.created_at.isoformat(),
    "blacklisted": BlacklistedToken.objects.filter(token__jti="gw-out").exists(),
    "rotated": BlacklistedToken.objects.filter(token__jti="gw-rotated").exists(),
    "rotated_no_user": rot.user_id is None and rot.created_at is None,
    "dj_user": dj.id}))`, &seen)
	if seen.Auth == nil || *seen.Auth != gw.ID {
		t.Errorf("Django's authenticate(gw, siva) = %v, want user %d (the store's user with siva's hash)", seen.Auth, gw.ID)
	}
	if dj := parsePyTime(t, seen.GW.DateJoined); !dj.Equal(joined) || seen.GW.FirstName != "Gate" || seen.GW.Email != "gw@example.com" || !seen.GW.IsActive || seen.GW.IsStaff {
		t.Errorf("Django reads the store's user as %+v", seen.GW)
	}
	if seen.GW.LastLogin == nil || !parsePyTime(t, *seen.GW.LastLogin).Equal(now.Truncate(time.Microsecond)) {
		t.Errorf("Django reads last_login %v, want %v", seen.GW.LastLogin, now)
	}
	if seen.OutUser == nil || *seen.OutUser != gw.ID || !parsePyTime(t, seen.OutCreated).Equal(now.Truncate(time.Microsecond)) {
		t.Errorf("Django reads the outstanding token as user %v created %s", seen.OutUser, seen.OutCreated)
	}
	if !seen.Blacklisted || !seen.Rotated || !seen.RotatedNoUser {
		t.Errorf("Django's view of the store's blacklist: %+v", seen)
	}
	if bl, err := s.IsBlacklisted(ctx, "dj-bl"); err != nil || !bl {
		t.Errorf("IsBlacklisted of the token Django blacklisted = %v, %v", bl, err)
	}
	if err := s.Blacklist(ctx, store.OutstandingToken{JTI: "dj-bl", Token: "x.y.z", ExpiresAt: now}, now); !errors.Is(err, store.ErrAlreadyBlacklisted) {
		t.Errorf("Blacklist of the token Django blacklisted: %v, want ErrAlreadyBlacklisted", err)
	}
	dj, err := s.UserByUsername(ctx, "dj_user")
	must(t, "UserByUsername(dj_user)", err)
	if dj.ID != seen.DjangoUserID || !dj.IsStaff || dj.IsSuperuser || dj.FirstName != "Dj" || !strings.HasPrefix(dj.Password, "pbkdf2_sha256$") ||
		dj.LastLogin == nil || !dj.LastLogin.Equal(time.Date(2026, 11, 23, 8, 0, 1, 123456000, time.UTC)) || dj.LastLogin.Location() != time.UTC {
		t.Errorf("the user Django created, read by the store: %+v", dj)
	}
	if _, err := s.CreateUser(ctx, store.User{Password: "!", Username: "dj_user2", Email: "dj@example.com", DateJoined: now}, store.CreateUserOptions{UniqueEmail: true}); !errors.Is(err, store.ErrEmailTaken) {
		t.Errorf("CreateUser with the email of Django's user and UniqueEmail: %v, want ErrEmailTaken", err)
	}
	if _, err := s.CreateUser(ctx, store.User{Password: "!", Username: "dj_user", Email: "x@example.com", DateJoined: now}, store.CreateUserOptions{}); !errors.Is(err, store.ErrUsernameTaken) {
		t.Errorf("CreateUser with the username of Django's user: %v, want ErrUsernameTaken", err)
	}

	// DeleteUser on Django's full schema: the auth and admin link tables
	// are emptied; an application's table that references the user stops it.
	rawExec(t, dbURL, fmt.Sprintf(`
INSERT INTO auth_group (name) VALUES ('editors');
INSERT INTO auth_user_groups (user_id, group_id) SELECT %[1]d, id FROM auth_group WHERE name = 'editors';
INSERT INTO auth_user_user_permissions (user_id, permission_id) SELECT %[1]d, min(id) FROM auth_permission;
INSERT INTO django_admin_log (action_time, object_repr, action_flag, change_message, user_id) VALUES (now(), 'x', 1, '', %[1]d);
INSERT INTO movieapi_review (rating, description, active, created, update, movie_id, reviewer_id) SELECT 5, 'good', true, now(), now(), min(id), %[2]d FROM movieapi_movie;`, gw.ID, dj.ID))
	must(t, "DeleteUser(gw) with group, permission and admin log rows", s.DeleteUser(ctx, gw.ID))
	for _, tb := range []string{"auth_user_groups", "auth_user_user_permissions", "django_admin_log"} {
		if n := queryInt(t, dbURL, fmt.Sprintf(`SELECT count(*) FROM %s WHERE user_id = %d`, tb, gw.ID)); n != 0 {
			t.Errorf("%d rows of %s still point at the deleted user", n, tb)
		}
	}
	err = s.DeleteUser(ctx, dj.ID)
	if !errors.Is(err, store.ErrUserReferenced) || !strings.Contains(err.Error(), "movieapi_review") {
		t.Errorf("DeleteUser of a user with a movie review: %v, want ErrUserReferenced naming movieapi_review", err)
	}
	if _, err := s.UserByID(ctx, dj.ID); err != nil {
		t.Errorf("the user whose deletion failed: %v, want it still there", err)
	}
	if n := queryInt(t, dbURL, fmt.Sprintf(`SELECT count(*) FROM token_blacklist_outstandingtoken WHERE user_id = %d`, dj.ID)); n != 1 {
		t.Errorf("after the failed DeleteUser %d outstanding tokens point at the user, want 1 (the transaction must roll back)", n)
	}

	// Django's changes to users reach a running WatchUsers through the
	// triggers, within a second.
	w := storetest.Watch(t, s)
	if r := w.Resets()[0]; len(r) != 3 {
		t.Errorf("the first Reset has %d users, want 3 (siva, inactive_user, dj_user): %+v", len(r), r)
	}
	manage(t, db, "refuser", "set-active", "siva", "0")
	storetest.WaitForUpdate(t, w, "Django's refuser set-active siva 0", func(u storetest.Update) bool {
		return u.ID == siva.ID && u.Exists && !u.State.IsActive && u.State.Username == "siva" && u.State.IsSuperuser
	})
	manage(t, db, "refuser", "delete", "inactive_user")
	storetest.WaitForUpdate(t, w, "Django's refuser delete inactive_user", func(u storetest.Update) bool {
		return u.ID == inactive.ID && !u.Exists && u.State.Equal(store.UserState{ID: inactive.ID})
	})
	if errs := w.Errors(); len(errs) > 0 {
		t.Errorf("WatchUsers reported errors: %v", errs)
	}
}

// TestMigrateLayout migrates an empty database and compares the tables
// with Django's, then lets Django's ORM use them.
func TestMigrateLayout(t *testing.T) {
	t.Parallel()
	buildDjangoTemplate(t)
	djangoDump := djangoTemplate.tables
	s, db := migrated(t)
	ours, feed := withoutJwtgate(dumpSchema(t, db, djangoTables3...))
	sameStatements(t, "the tables of Migrate and of Django's migrate", ours, djangoDump)
	if len(feed) != 8 {
		t.Errorf("pg_dump of Django's tables shows %d jwtgate objects, want 8 (the triggers of the feed's four, the password change and the blacklist, and the indexes on lower(email) and lower(username)):\n%s", len(feed), strings.Join(feed, "\n\n"))
	}

	// The reference DDL in the repository is the same.
	ref, err := os.ReadFile("../schema_ref/django_postgres.sql")
	must(t, "reading schema_ref", err)
	var refStmts []string
	for _, b := range strings.Split(string(ref), "\n\n") {
		if b = strings.TrimSpace(b); b != "" && !strings.HasPrefix(b, "--") {
			refStmts = append(refStmts, b)
		}
	}
	sameStatements(t, "the tables of Migrate and store/schema_ref/django_postgres.sql", ours, refStmts)

	ctx := testCtx(t)
	now := time.Now().UTC()
	u, err := s.CreateUser(ctx, store.User{Password: "!unusable", Username: "ours", Email: "ours@example.com", IsActive: true, DateJoined: now}, store.CreateUserOptions{})
	must(t, "CreateUser", err)
	var seen struct {
		ID       int64  `json:"id"`
		Email    string `json:"email"`
		Usable   bool   `json:"usable"`
		Django   int64  `json:"django"`
		Username string `json:"username"`
	}
	djangoShell(t, db, `
import json, datetime
from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken, BlacklistedToken
u = User.objects.get(username="ours")
d = User.objects.create_user("django", "django@example.com", "pass-12345")
t = OutstandingToken.objects.create(user=d, jti="orm-jti", token="a.b.c", created_at=timezone.now(), expires_at=timezone.now() + datetime.timedelta(hours=1))
BlacklistedToken.objects.create(token=t)
print(json.dumps({"id": u.id, "email": u.email, "usable": u.has_usable_password(), "django": d.id, "username": d.username}))`, &seen)
	if seen.ID != u.ID || seen.Email != "ours@example.com" || seen.Usable {
		t.Errorf("Django's ORM reads the store's user as %+v, want id %d", seen, u.ID)
	}
	if seen.Django <= u.ID {
		t.Errorf("the user Django created has id %d, want one after the store's %d (one sequence)", seen.Django, u.ID)
	}
	if bl, err := s.IsBlacklisted(ctx, "orm-jti"); err != nil || !bl {
		t.Errorf("IsBlacklisted of a token the ORM blacklisted = %v, %v", bl, err)
	}
	if d, err := s.UserByID(ctx, seen.Django); err != nil || d.Username != "django" {
		t.Errorf("UserByID of the ORM's user = %+v, %v", d, err)
	}
}
