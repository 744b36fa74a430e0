package sqlite

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/internal/djangoref"
	"github.com/jwtgate/jwtgate/internal/testenv"
	"github.com/jwtgate/jwtgate/store"
	"github.com/jwtgate/jwtgate/store/storetest"
)

// The interop tests run the reference Django project (Django 3.2 and
// simplejwt 5.2 from Debian's packages) on the same SQLite file as the
// store. JWTGATE_DJANGO_REF and JWTGATE_PYTHON override where they are.

func djangoRef() string { return djangoref.Dir() }

func python() string { return djangoref.Python() }

var template struct {
	once sync.Once
	dir  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if template.dir != "" {
		os.RemoveAll(template.dir)
	}
	os.Exit(code)
}

// djangoDB returns a fresh copy of a database that Django migrated and
// seeded (users siva, a superuser, and inactive_user); reset_db.sh runs
// once per test binary.
func djangoDB(t *testing.T) string {
	t.Helper()
	testenv.Python(t, python(), djangoref.Packages, "django", "rest_framework_simplejwt")
	template.once.Do(func() {
		template.dir, template.err = os.MkdirTemp("", "jwtgate-django-")
		if template.err != nil {
			return
		}
		_, template.err = run(filepath.Join(djangoRef(), "reset_db.sh"), filepath.Join(template.dir, "db.sqlite3"), nil)
	})
	if template.err != nil {
		t.Fatalf("building a Django database with %s/reset_db.sh failed: %v\n"+
			"These tests need %s with Django 3.2 and djangorestframework-simplejwt (Debian: apt-get install -y python3-djangorestframework-simplejwt) "+
			"and the reference project; set JWTGATE_DJANGO_REF and JWTGATE_PYTHON if they live elsewhere.", djangoRef(), template.err, python())
	}
	path := filepath.Join(t.TempDir(), "db.sqlite3")
	src, err := os.ReadFile(filepath.Join(template.dir, "db.sqlite3"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, src, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// run runs a reference command on the database at db and returns its
// standard output.
func run(name, db string, args []string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = djangoRef()
	cmd.Env = append(os.Environ(),
		"DJANGO_DB_PATH="+db,
		"REF_VAR_DIR="+filepath.Dir(db),
		"PYTHONDONTWRITEBYTECODE=1",
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %w\n%s%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String(), nil
}

// manage runs manage.py with args on db and fails the test if it fails.
func manage(t *testing.T, db string, args ...string) string {
	t.Helper()
	out, err := run(python(), db, append([]string{"manage.py"}, args...))
	if err != nil {
		t.Fatalf("Django: %v", err)
	}
	return out
}

// djangoShell runs Python code in Django's shell on db and decodes the
// JSON object it prints last.
func djangoShell(t *testing.T, db, code string) map[string]any {
	t.Helper()
	out := manage(t, db, "shell", "-c", code)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &m); err != nil {
		t.Fatalf("Django's shell printed %q: %v", out, err)
	}
	return m
}

type schemaObject struct{ typ, table, sql string }

func schema(t *testing.T, path string) map[string]schemaObject {
	t.Helper()
	rows, err := rawDB(t, path).Query(`SELECT "type", "name", "tbl_name", coalesce("sql", '') FROM "sqlite_master"`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	m := map[string]schemaObject{}
	for rows.Next() {
		var name string
		var o schemaObject
		if err := rows.Scan(&o.typ, &name, &o.table, &o.sql); err != nil {
			t.Fatal(err)
		}
		m[name] = o
	}
	return m
}

// TestDjangoSchema: on Django's database Migrate changes nothing of
// Django's and only adds jwtgate's feed; on an empty one it creates the
// shared tables exactly as Django does.
func TestDjangoSchema(t *testing.T) {
	ctx := context.Background()
	path := djangoDB(t)
	before := schema(t, path)
	s := openStore(t, path)
	for i := 0; i < 2; i++ {
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("Migrate on Django's database: %v", err)
		}
	}
	after := schema(t, path)
	for name, o := range before {
		if after[name] != o {
			t.Errorf("Migrate changed Django's %s %s:\n was %q\n now %q", o.typ, name, o.sql, after[name].sql)
		}
	}
	added := map[string]string{}
	for name, o := range after {
		if _, ok := before[name]; !ok {
			added[name] = o.typ + " on " + o.table
		}
	}
	wantAdded := map[string]string{
		"jwtgate_user_change":                      "table on jwtgate_user_change",
		"jwtgate_user_change_insert":               "trigger on auth_user",
		"jwtgate_user_change_update":               "trigger on auth_user",
		"jwtgate_user_change_delete":               "trigger on auth_user",
		"jwtgate_auth_user_email_lower":            "index on auth_user",
		"jwtgate_auth_user_username_lower":         "index on auth_user",
		"jwtgate_user_change_password":             "trigger on auth_user",
		"jwtgate_login_failure":                    "table on jwtgate_login_failure",
		"sqlite_autoindex_jwtgate_login_failure_1": "index on jwtgate_login_failure",
		"jwtgate_password_changed":                 "trigger on auth_user",
		"jwtgate_session":                          "table on jwtgate_session",
		"jwtgate_session_blacklisted":              "trigger on token_blacklist_blacklistedtoken",
		"jwtgate_session_revoked":                  "trigger on jwtgate_session",
		"jwtgate_session_user_id":                  "index on jwtgate_session",
		"jwtgate_user_revocation":                  "table on jwtgate_user_revocation",
		"jwtgate_user_revocation_insert":           "trigger on jwtgate_user_revocation",
		"jwtgate_user_revocation_update":           "trigger on jwtgate_user_revocation",
		"sqlite_autoindex_jwtgate_session_1":       "index on jwtgate_session",
	}
	if fmt.Sprint(added) != fmt.Sprint(wantAdded) {
		t.Errorf("Migrate added %v, want %v", added, wantAdded)
	}

	empty := filepath.Join(t.TempDir(), "empty.sqlite3")
	if err := openStore(t, empty).Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	ours := schema(t, empty)
	for _, name := range []string{"auth_user", "token_blacklist_outstandingtoken", "token_blacklist_blacklistedtoken", "token_blacklist_outstandingtoken_user_id_83bc629a"} {
		if ours[name] != before[name] || before[name].sql == "" {
			t.Errorf("%s created by Migrate:\n%q\nby Django:\n%q", name, ours[name].sql, before[name].sql)
		}
	}
}

const djangoPrelude = `
import json
from datetime import timedelta
from django.contrib.auth.models import User, Group
from django.contrib.admin.models import LogEntry, ADDITION
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken, BlacklistedToken
def iso(t):
    return None if t is None else t.isoformat()
`

// TestDjangoSharesData: each side reads what the other wrote, and
// DeleteUser does what Django's delete does to Django's tables.
func TestDjangoSharesData(t *testing.T) {
	ctx := context.Background()
	path := djangoDB(t)
	s := openStore(t, path)
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}

	// Django's rows, read by the store.
	show := strings.Fields(manage(t, path, "refuser", "show", "siva")) // id is_active hash
	siva, err := s.UserByUsername(ctx, "siva")
	if err != nil {
		t.Fatalf("UserByUsername(siva) on Django's database: %v", err)
	}
	if len(show) != 3 || fmt.Sprint(siva.ID) != show[0] || siva.Password != show[2] || !strings.HasPrefix(siva.Password, "pbkdf2_sha256$") {
		t.Errorf("siva = id %d password %q; Django shows %q", siva.ID, siva.Password, show)
	}
	if !siva.IsActive || !siva.IsSuperuser || !siva.IsStaff || siva.LastLogin != nil ||
		time.Since(siva.DateJoined) > time.Hour || siva.DateJoined.Location() != time.UTC || siva.Email != "siva@example.com" {
		t.Errorf("siva as read from Django's row: %+v", siva)
	}
	var rawJoined string
	if err := rawDB(t, path).QueryRow(`SELECT "date_joined" || '' FROM "auth_user" WHERE "username" = 'siva'`).Scan(&rawJoined); err != nil || formatTime(siva.DateJoined) != rawJoined {
		t.Errorf("DateJoined %v does not round-trip Django's %q (%v)", siva.DateJoined, rawJoined, err)
	}
	if u, err := s.UserByUsername(ctx, "inactive_user"); err != nil || u.IsActive || u.IsSuperuser {
		t.Errorf("inactive_user = %+v, %v; want inactive, not superuser", u, err)
	}

	// The store's rows, read by Django.
	joined := time.Date(2026, 3, 4, 5, 6, 7, 890123000, time.UTC)
	login := time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)
	gouser, err := s.CreateUser(ctx, store.User{
		Password: siva.Password, Username: "gouser", Email: "go@example.com", FirstName: "Go",
		IsActive: true, DateJoined: joined, LastLogin: &login,
	}, store.CreateUserOptions{UniqueEmail: true})
	if err != nil {
		t.Fatal(err)
	}
	created := time.Now().UTC().Truncate(time.Microsecond)
	expires := created.Add(24 * time.Hour)
	if err := s.AddOutstanding(ctx, store.OutstandingToken{UserID: &gouser.ID, JTI: "go-jti", Token: "a.b.c", CreatedAt: &created, ExpiresAt: expires}); err != nil {
		t.Fatal(err)
	}
	if err := s.Blacklist(ctx, store.OutstandingToken{UserID: &gouser.ID, JTI: "go-jti"}, created); err != nil {
		t.Fatal(err)
	}
	if err := s.Blacklist(ctx, store.OutstandingToken{JTI: "go-rotated", Token: "d.e.f", ExpiresAt: expires}, created); err != nil {
		t.Fatal(err)
	}
	got := djangoShell(t, path, djangoPrelude+`
u = User.objects.get(username='gouser')
ot = OutstandingToken.objects.get(jti='go-jti')
rot = OutstandingToken.objects.get(jti='go-rotated')
out = {
    'id': u.id, 'date_joined': iso(u.date_joined), 'last_login': iso(u.last_login),
    'is_active': u.is_active, 'is_staff': u.is_staff, 'is_superuser': u.is_superuser,
    'password_ok': u.check_password('siva'), 'first_name': u.first_name,
    'ot_user': ot.user_id, 'ot_created': iso(ot.created_at), 'ot_expires': iso(ot.expires_at),
    'ot_blacklisted': BlacklistedToken.objects.filter(token__jti='go-jti').exists(),
    'ot_blacklisted_at': iso(BlacklistedToken.objects.get(token__jti='go-jti').blacklisted_at),
    'rot_user': rot.user_id, 'rot_created': iso(rot.created_at),
    'rot_blacklisted': BlacklistedToken.objects.filter(token__jti='go-rotated').exists(),
}
# Django writes: a user, a blacklisted refresh token, an expired one, and
# the rows Django's delete removes with gouser or that block deleting dj.
from rest_framework_simplejwt.tokens import RefreshToken
from movieapi.models import Movie, Review
dj = User.objects.create_user('djuser', 'dj@example.com', 'dj-pass-123')
rt = RefreshToken.for_user(dj)
rt.blacklist()
now = timezone.now()
OutstandingToken.objects.create(user=dj, jti='dj-expired', token='x', created_at=now - timedelta(hours=2), expires_at=now - timedelta(hours=1))
g = Group.objects.create(name='editors')
u.groups.add(g)
LogEntry.objects.log_action(user_id=u.id, content_type_id=None, object_id='1', object_repr='x', action_flag=ADDITION)
Review.objects.create(reviewer=dj, rating=5, description='ok', movie=Movie.objects.first())
out['dj_jti'] = rt['jti']
out['dj_id'] = dj.id
print(json.dumps(out))
`)
	iso := func(t time.Time) string { return strings.Replace(formatTime(t), " ", "T", 1) + "+00:00" } // Python's isoformat()
	want := map[string]any{
		"id": float64(gouser.ID), "date_joined": "2026-03-04T05:06:07.890123+00:00", "last_login": "2026-03-05T00:00:00+00:00",
		"is_active": true, "is_staff": false, "is_superuser": false, "password_ok": true, "first_name": "Go",
		"ot_user": float64(gouser.ID), "ot_created": iso(created), "ot_expires": iso(expires),
		"ot_blacklisted": true, "ot_blacklisted_at": iso(created),
		"rot_user": nil, "rot_created": nil, "rot_blacklisted": true,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("Django reads %s = %#v, want %#v", k, got[k], v)
		}
	}

	// Django's writes, read by the store.
	djJTI, _ := got["dj_jti"].(string)
	if bl, err := s.IsBlacklisted(ctx, djJTI); err != nil || !bl {
		t.Errorf("IsBlacklisted(%q) of the token Django blacklisted = %v, %v; want true", djJTI, bl, err)
	}
	dj, err := s.UserByUsername(ctx, "djuser")
	if err != nil || float64(dj.ID) != got["dj_id"] || !dj.IsActive || !strings.HasPrefix(dj.Password, "pbkdf2_sha256$") {
		t.Errorf("djuser = %+v, %v", dj, err)
	}
	if n, err := s.FlushExpired(ctx, time.Now()); err != nil || n != 1 {
		t.Errorf("FlushExpired over Django's expired token = %d, %v; want 1", n, err)
	}

	// DeleteUser against Django's own tables.
	if err := s.DeleteUser(ctx, gouser.ID); err != nil {
		t.Fatalf("DeleteUser of a user with a group, an admin log entry and a token: %v", err)
	}
	err = s.DeleteUser(ctx, dj.ID)
	if !errors.Is(err, store.ErrUserReferenced) || !strings.Contains(err.Error(), "movieapi_review.reviewer_id") {
		t.Errorf("DeleteUser of a user with a movie review: err = %v, want ErrUserReferenced naming movieapi_review.reviewer_id", err)
	}
	after := djangoShell(t, path, djangoPrelude+`
print(json.dumps({
    'gouser': User.objects.filter(username='gouser').exists(),
    'groups': User.groups.through.objects.count(),
    'log': LogEntry.objects.count(),
    'ot_user': OutstandingToken.objects.get(jti='go-jti').user_id,
    'ot_blacklisted': BlacklistedToken.objects.filter(token__jti='go-jti').exists(),
    'djuser': User.objects.filter(username='djuser').exists(),
}))
`)
	wantAfter := map[string]any{"gouser": false, "groups": float64(0), "log": float64(0), "ot_user": nil, "ot_blacklisted": true, "djuser": true}
	for k, v := range wantAfter {
		if after[k] != v {
			t.Errorf("after DeleteUser Django reads %s = %#v, want %#v", k, after[k], v)
		}
	}
}

// TestDjangoChangeReachesWatcher: users Django changes reach a running
// WatchUsers within a second.
func TestDjangoChangeReachesWatcher(t *testing.T) {
	ctx := context.Background()
	path := djangoDB(t)
	s := openStore(t, path)
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	siva, err := s.UserByUsername(ctx, "siva")
	if err != nil {
		t.Fatal(err)
	}
	inactive, err := s.UserByUsername(ctx, "inactive_user")
	if err != nil {
		t.Fatal(err)
	}
	w := storetest.Watch(t, s)
	if r := w.Resets()[0]; len(r) != 2 || !r[0].Equal(siva.State()) || !r[1].Equal(inactive.State()) {
		t.Fatalf("first Reset = %+v", r)
	}
	manage(t, path, "refuser", "set-active", "siva", "0")
	storetest.WaitForUpdate(t, w, "Django's set-active siva 0", func(u storetest.Update) bool {
		return u.ID == siva.ID && u.Exists && !u.State.IsActive && u.State.IsSuperuser
	})
	manage(t, path, "refuser", "delete", "inactive_user")
	storetest.WaitForUpdate(t, w, "Django's delete inactive_user", func(u storetest.Update) bool {
		return u.ID == inactive.ID && !u.Exists
	})
	if errs := w.Errors(); len(errs) > 0 {
		t.Errorf("WatchUsers reported errors: %v", errs)
	}
}
