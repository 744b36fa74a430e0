#!/usr/bin/python3
"""Generate hashes.json: Django password hashes and Django's verdicts on them.

Run once with Debian's Django 3.2 (python3-django) plus python3-argon2 and
python3-bcrypt:

    /usr/bin/python3 password/testdata/gen_hashes.py > password/testdata/hashes.json

Every vector is made by Django's own hashers (or, for scrypt, which Django
3.2 lacks, by hashlib.scrypt in Django 4.x's format; see below) and checked
with Django's check_password. django_must_update is whether check_password
with the right password calls its setter, with Django 3.2's default
preferred hasher (pbkdf2_sha256, 260000 iterations).
"""
import base64
import hashlib
import json
import sys

import django
from django.conf import settings

settings.configure(
    PASSWORD_HASHERS=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
        "django.contrib.auth.hashers.BCryptPasswordHasher",
    ],
)
django.setup()

import argon2  # noqa: E402
import bcrypt  # noqa: E402
from django.contrib.auth import hashers as h  # noqa: E402

WRONG = "not-the-password"


def verdicts(password, encoded, wrong=WRONG):
    called = []
    ok = h.check_password(password, encoded, setter=lambda p: called.append(True))
    bad = h.check_password(wrong, encoded)
    return ok, bad, bool(called)


vectors = []


def add(name, password, encoded, note="", also_ok=(), wrong=WRONG, django_verified=True):
    v = {"name": name, "algorithm": encoded.split("$", 1)[0], "password": password,
         "wrong": wrong, "encoded": encoded}
    if django_verified:
        ok, bad, mu = verdicts(password, encoded, wrong)
        assert ok and not bad, name
        v["django_must_update"] = mu
        for p in also_ok:
            assert h.check_password(p, encoded), name
    v["also_ok"] = list(also_ok)
    if note:
        v["note"] = note
    vectors.append(v)


pb256 = h.PBKDF2PasswordHasher()
pb1 = h.PBKDF2SHA1PasswordHasher()

# pbkdf2_sha256
add("pbkdf2_sha256 Django 3.2 default", "correct horse battery staple",
    h.make_password("correct horse battery staple"))
add("pbkdf2_sha256 600000 (Django 4.2)", "Pw-Abc-123", pb256.encode("Pw-Abc-123", pb256.salt(), 600000))
add("pbkdf2_sha256 1000", "hunter2", pb256.encode("hunter2", pb256.salt(), 1000))
add("pbkdf2_sha256 legacy 12-char salt", "old-password", pb256.encode("old-password", "Xy3kLm9PqR2s", 20000),
    note="Django 1.x salts were 12 characters; must_update because of the salt and the count")
siva = pb256.encode("siva", "abcdefghijklmnopqrstuv", 600000)
assert siva.split("$")[3] == base64.b64encode(
    hashlib.pbkdf2_hmac("sha256", b"siva", b"abcdefghijklmnopqrstuv", 600000)).decode()
add("pbkdf2_sha256 docs/simplejwt.md cross-check", "siva", siva)
add("pbkdf2_sha256 unicode password", "Ωmega-lètmein-😀", pb256.encode("Ωmega-lètmein-😀", pb256.salt(), 1000))
add("pbkdf2_sha256 empty password", "", pb256.encode("", pb256.salt(), 1000), wrong=" ")
add("pbkdf2_sha256 unicode salt", "pässword", pb256.encode("pässword", "sälz-ünïcode", 1000))

# pbkdf2_sha1
add("pbkdf2_sha1 Django 3.2 default", "sha1-password", pb1.encode("sha1-password", pb1.salt()))
add("pbkdf2_sha1 1000", "sha1-low", pb1.encode("sha1-low", pb1.salt(), 1000))

# argon2
add("argon2 Django 3.2 default", "argon-secret", h.make_password("argon-secret", hasher="argon2"))


class SmallArgon2(h.Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 64
    parallelism = 2


add("argon2id small parameters", "argon-small", SmallArgon2().encode("argon-small", SmallArgon2().salt()))


def argon2_raw(password, salt, type_, t, m, p, hash_len=16, version=19):
    return "argon2" + argon2.low_level.hash_secret(
        password.encode(), salt.encode(), time_cost=t, memory_cost=m, parallelism=p,
        hash_len=hash_len, type=type_, version=version).decode("ascii")


add("argon2i Django 1.10-2.x defaults", "legacy-argon",
    argon2_raw("legacy-argon", "somesaltsomesalt", argon2.low_level.Type.I, 2, 512, 2))
add("argon2id 32-byte hash, 16-byte salt", "argon-32", argon2_raw("argon-32", "0123456789abcdef", argon2.low_level.Type.ID, 1, 256, 1, hash_len=32))

# bcrypt_sha256 and bcrypt
add("bcrypt_sha256 Django 3.2 default (12)", "bcrypt-pass", h.make_password("bcrypt-pass", hasher="bcrypt_sha256"))
bs = h.BCryptSHA256PasswordHasher()
bs.rounds = 4
add("bcrypt_sha256 cost 4", "bcrypt-fast", bs.encode("bcrypt-fast", bs.salt()))
long_pw = "L" * 100
add("bcrypt_sha256 long password (not truncated)", long_pw, bs.encode(long_pw, bs.salt()), wrong="L" * 72)
for prefix in (b"2a", b"2y"):
    salt = bcrypt.gensalt(4, prefix=b"2a")
    if prefix == b"2y":
        salt = b"$2y$" + salt[4:]
    add("bcrypt_sha256 $%s$ prefix" % prefix.decode(), "prefix-pass", bs.encode("prefix-pass", salt))
add("bcrypt Django 3.2 (12)", "raw-bcrypt", h.make_password("raw-bcrypt", hasher="bcrypt"))
b4 = h.BCryptPasswordHasher()
b4.rounds = 4
add("bcrypt cost 4", "raw-fast", b4.encode("raw-fast", b4.salt()))
long_raw = "0123456789" * 8  # 80 bytes
add("bcrypt long password truncated to 72 bytes", long_raw, b4.encode(long_raw, b4.salt()),
    also_ok=[long_raw[:72], long_raw[:72] + "anything"], wrong=long_raw[:71])
add("bcrypt unicode password", "pässwörd-Ω", b4.encode("pässwörd-Ω", b4.salt()))


# scrypt: Django 3.2 has no ScryptPasswordHasher. These follow Django 4.x's
# ScryptPasswordHasher.encode:
#   hashlib.scrypt(password.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=0, dklen=64)
#   "%s$%d$%s$%d$%d$%s" % ("scrypt", n, salt, r, p, base64.b64encode(hash_).decode("ascii").strip())
def scrypt_django4(password, salt, n=2 ** 14, r=8, p=1):
    dk = hashlib.scrypt(password.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=0, dklen=64)
    return "scrypt$%d$%s$%d$%d$%s" % (n, salt, r, p, base64.b64encode(dk).decode("ascii").strip())


add("scrypt Django 4.x default (hashlib)", "scrypt-pass", scrypt_django4("scrypt-pass", h.get_random_string(22)),
    django_verified=False, note="Django 4.x format, made with hashlib.scrypt (Django 3.2 has no scrypt)")
add("scrypt Django test_hashers vector", "lètmein", scrypt_django4("lètmein", "seasalt"),
    django_verified=False, note="Django 4.x tests/auth_tests/test_hashers.py test_scrypt")
add("scrypt small parameters (hashlib)", "scrypt-small", scrypt_django4("scrypt-small", "smallsalt", n=16, r=2, p=3),
    django_verified=False)

# Hashes Django verifies that this package refuses with ErrUnsupported.
unsupported = []
for name, enc, pw in [
    ("argon2d", argon2_raw("argon-d", "somesaltsomesalt", argon2.low_level.Type.D, 1, 64, 1), "argon-d"),
    ("argon2i version 1.0 (v=16)", argon2_raw("argon-v10", "somesaltsomesalt", argon2.low_level.Type.I, 1, 64, 1, version=16), "argon-v10"),
]:
    assert h.check_password(pw, enc), name
    unsupported.append({"name": name, "password": pw, "encoded": enc})

json.dump({
    "generator": "testdata/gen_hashes.py",
    "django": django.get_version(),
    "argon2_cffi": argon2.__version__,
    "bcrypt": bcrypt.__version__,
    "vectors": vectors,
    "unsupported": unsupported,
}, sys.stdout, indent=1, ensure_ascii=False)
sys.stdout.write("\n")
