package password

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"testing"

	"github.com/jwtgate/jwtgate/internal/djangoref"
	"github.com/jwtgate/jwtgate/internal/testenv"
)

// djangoCheck is run by /usr/bin/python3 with Django 3.2 (Debian's
// python3-django, plus python3-argon2 and python3-bcrypt). For each
// {password, wrong, encoded} on stdin it reports Django's check_password
// for both, and the hasher's must_update with Django's defaults. Django 3.2
// has no scrypt hasher, so scrypt encodings are checked the way Django
// 4.x's ScryptPasswordHasher.verify does, with hashlib.scrypt.
const djangoCheck = `
import base64, hashlib, json, sys
import django
from django.conf import settings
settings.configure(PASSWORD_HASHERS=[
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.BCryptPasswordHasher",
])
django.setup()
from django.contrib.auth import hashers as h
from django.utils.crypto import constant_time_compare

def scrypt_check(password, encoded):
    algorithm, n, salt, r, p, hash_ = encoded.split("$", 6)
    dk = hashlib.scrypt(password.encode(), salt=salt.encode(), n=int(n), r=int(r), p=int(p), maxmem=0, dklen=64)
    again = "%s$%d$%s$%d$%d$%s" % (algorithm, int(n), salt, int(r), int(p), base64.b64encode(dk).decode("ascii").strip())
    return constant_time_compare(encoded, again)

out = []
for c in json.load(sys.stdin):
    enc = c["encoded"]
    if enc.startswith("scrypt$"):
        out.append({"ok": scrypt_check(c["password"], enc), "wrong_ok": scrypt_check(c["wrong"], enc),
                    "usable": True, "must_update": None})
        continue
    usable = h.is_password_usable(enc)
    r = {"ok": h.check_password(c["password"], enc), "wrong_ok": h.check_password(c["wrong"], enc),
         "usable": usable, "must_update": None}
    if usable:
        r["must_update"] = h.identify_hasher(enc).must_update(enc)
    out.append(r)
json.dump(out, sys.stdout)
`

func pythonPath() string { return djangoref.Python() }

// TestDjangoAcceptsOurEncodings hands encodings made by this package to
// Django's check_password. It needs python3 with Django 3.2, argon2-cffi
// and bcrypt (Debian: python3-django python3-argon2 python3-bcrypt; set
// JWTGATE_PYTHON to use another interpreter); without them it skips, or
// fails under CI=true.
func TestDjangoAcceptsOurEncodings(t *testing.T) {
	type tc struct {
		Password   string `json:"password"`
		Wrong      string `json:"wrong"`
		Encoded    string `json:"encoded"`
		mustUpdate bool   // what Django's hasher with its defaults says
	}
	var cases []tc
	add := func(h Hasher, mustUpdate bool, passwords ...string) {
		for _, pw := range passwords {
			cases = append(cases, tc{pw, pw + "!", must(t)(h.Encode(pw)), mustUpdate})
		}
	}
	add(PBKDF2SHA256{Iterations: 1000}, true, "s3cret", "", "Ωmega-lètmein-😀")
	add(PBKDF2SHA256{Iterations: Django3PBKDF2Iterations}, false, "Pw-Abc-123")
	add(PBKDF2SHA1{Iterations: 1000}, true, "sha1-pass")
	add(Argon2{}, false, "argon-default")
	add(Argon2{TimeCost: 1, MemoryCost: 64, Parallelism: 2}, true, "argon-small", "Ωmega")
	add(BCryptSHA256{Cost: 4}, true, "bcrypt-pass", string(bytes.Repeat([]byte("L"), 100)))
	add(BCrypt{Cost: 4}, true, "raw-bcrypt", "Ωmega")
	add(Scrypt{}, false, "scrypt-default")
	add(Scrypt{WorkFactor: 16, BlockSize: 2, Parallelism: 3}, false, "scrypt-small")
	cases = append(cases, tc{"x", "y", MakeUnusable(), false})

	in, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	testenv.Python(t, pythonPath(), "python3-django python3-argon2 python3-bcrypt", "django", "argon2", "bcrypt")
	cmd := exec.Command(pythonPath(), "-c", djangoCheck)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	outb, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s with Django: %v\n%s", pythonPath(), err, stderr.String())
	}
	var out []struct {
		OK         bool  `json:"ok"`
		WrongOK    bool  `json:"wrong_ok"`
		Usable     bool  `json:"usable"`
		MustUpdate *bool `json:"must_update"`
	}
	if err := json.Unmarshal(outb, &out); err != nil || len(out) != len(cases) {
		t.Fatalf("python output %q: %v", outb, err)
	}
	for i, c := range cases {
		r := out[i]
		if i == len(cases)-1 { // MakeUnusable
			if r.OK || r.WrongOK || r.Usable {
				t.Errorf("Django on MakeUnusable(): %+v", r)
			}
			continue
		}
		if !r.OK || r.WrongOK {
			t.Errorf("Django check_password on %q: right %v, wrong %v", c.Encoded, r.OK, r.WrongOK)
		}
		if r.MustUpdate != nil && *r.MustUpdate != c.mustUpdate {
			t.Errorf("Django must_update(%q) = %v, want %v", c.Encoded, *r.MustUpdate, c.mustUpdate)
		}
	}
}
