#!/usr/bin/python3
"""Generate validate.json: Django's default password validators' messages.

Run once with Debian's Django 3.2 (python3-django):

    /usr/bin/python3 password/testdata/gen_validate.py > password/testdata/validate.json

Each case runs django.contrib.auth.password_validation.validate_password
with Django's default AUTH_PASSWORD_VALIDATORS, with an unsaved User
carrying the case's attributes (user=None when "no_user" is true), and
records the messages in order ([] when the password is accepted).
"""
import json
import sys

import django
from django.conf import settings

settings.configure(
    INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes"],
    AUTH_PASSWORD_VALIDATORS=[
        {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
        {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
        {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
        {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    ],
    USE_I18N=True,
    LANGUAGE_CODE="en-us",
)
django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.contrib.auth.password_validation import validate_password  # noqa: E402
from django.core.exceptions import ValidationError  # noqa: E402

NONE = {}
SIVA = {"username": "siva", "email": "siva@example.com"}
JOHN = {"username": "john.smith", "first_name": "John", "last_name": "Smith",
        "email": "john.smith@example.com"}

cases = [
    # (password, user attributes); the reference's register has no user.
    ("1234", None),
    ("password", None),
    ("siva12345", None),
    ("abcdefgh", None),
    ("Ωmega-long-pass-9", None),
    ("", None),
    ("1234567", None),
    ("12345678", None),
    ("98765432109", None),
    ("Pw-Abc-123", None),
    ("  password  ", None),
    ("PASSWORD", None),
    ("\x1cqwerty\x1f", None),
    ("\u00a0letmein\u2003", None),
    ("²³¹²³¹²³", None),
    ("①②③④⑤⑥⑦⑧", None),
    ("١٢٣٤٥٦٧٨", None),
    ("ⅠⅡⅢⅣⅤⅥⅦⅧ", None),
    ("一二三四五六七八", None),
    ("12345678\u0301", None),
    ("😀😀😀😀😀😀😀", None),
    ("😀😀😀😀😀😀😀😀", None),
    ("İİİİ", None),
    ("correct horse battery staple", None),
    # with a user
    ("siva12345", SIVA),
    ("sivasiva", SIVA),
    ("avis1234", SIVA),
    ("siva@example.com", SIVA),
    ("example.com", SIVA),
    ("Ωmega-long-pass-9", SIVA),
    ("johnsmith", JOHN),
    ("John.Smith!", JOHN),
    ("Smith2024", JOHN),
    ("htims", JOHN),
    ("smith.john@example", JOHN),
    ("xq7#Lp2!vZ", JOHN),
    ("j", JOHN),
    ("", JOHN),
    ("", {"username": ".a"}),
    ("", {"username": "ab"}),
    ("a" * 30, {"username": "aaa"}),
    ("a" * 29, {"username": "aaa"}),
    ("aaaaaaaaaa", {"username": "a"}),
    ("ΣΟΦΟΣσοφος", {"username": "σοφοσ"}),
    ("σοφοσ1234", {"username": "ΣΟΦΟΣ"}),
    ("ΟΔΟΣ-ΟΔΟΣ", {"first_name": "οδος"}),
    # Final sigma: "ΟΣ".lower() == "ος", so "οσ" shares one of two letters.
    ("οσ", {"username": "ΟΣ"}),
    ("ος", {"username": "ΟΣ"}),
    ("ΟΣ", {"username": "ος"}),
    ("ΣΑ", {"username": "σα"}),
    ("Σ'Α", {"username": "σ'α"}),
    ("ΑΣ'", {"username": "ας'"}),
    ("i\u0307x", {"username": "İX"}),
    ("ix", {"username": "İX"}),
    ("istanbul-99", {"last_name": "İSTANBUL"}),
    ("i\u0307stanbul99", {"last_name": "İstanbul"}),
    ("my_user_name", {"username": "my_user_name"}),
    ("Müller-Lüdenscheidt", {"last_name": "Müller-Lüdenscheidt"}),
    ("lüdenscheidt", {"last_name": "Müller-Lüdenscheidt"}),
    ("first-last", {"first_name": "First", "last_name": "Last"}),
    ("tsal-tsrif", {"first_name": "First", "last_name": "Last"}),
    ("qwertyuiop", {"username": "qwertyuiop"}),
    ("bob", {"username": "bob", "email": "bob@example.com"}),
]

out = []
for password, attrs in cases:
    user = None if attrs is None else User(**attrs)
    try:
        validate_password(password, user)
        msgs = []
    except ValidationError as e:
        msgs = list(e.messages)
    out.append({"password": password, "user": attrs, "messages": msgs})

json.dump({"generator": "testdata/gen_validate.py", "django": django.get_version(), "cases": out},
          sys.stdout, indent=1, ensure_ascii=False)
sys.stdout.write("\n")
