#!/usr/bin/python3
"""Generate token/testdata/vectors.json with simplejwt 5.2.2 and PyJWT 2.6.

Run once, by hand, from the repository root:

    /usr/bin/python3 token/testdata/gen_vectors.py > token/testdata/vectors.json

It needs Debian's python3-django, python3-djangorestframework-simplejwt,
python3-jwt and python3-cryptography. The HS tokens are deterministic (fixed
clock and token ids); the RS/ES keys are made fresh on each run, so the file
changes when it is regenerated, and the Go tests only verify those tokens.
"""
import json
import sys
import uuid
from datetime import datetime, timedelta, timezone

import django
import django.core.management
from django.conf import settings

SECRET = "jwtgate-interop-test-secret-0123456789abcdefghijkl"  # 50 characters
assert len(SECRET) == 50
NOW = 1795339134.25  # the clock of the recorded pair (docs/simplejwt.md, "Recorded clock")
JTIS = [
    "5f70834db38840a18146d61d9bcc31df",
    "9245bf0febe94952806e138e078df76e",
    "0c7f1a2b3c4d4e5f8a9b0c1d2e3f4a5b",
    "1d2e3f4a5b6c4d7e8f9a0b1c2d3e4f5a",
    "2e3f4a5b6c7d4e8f9a0b1c2d3e4f5a6b",
    "3f4a5b6c7d8e4f9a8b1c2d3e4f5a6b7c",
    "4a5b6c7d8e9f4a0b9c2d3e4f5a6b7c8d",
    "5b6c7d8e9f0a4b1c8d3e4f5a6b7c8d9e",
]

settings.configure(
    SECRET_KEY=SECRET,
    USE_TZ=True,
    INSTALLED_APPS=[
        "django.contrib.contenttypes",
        "django.contrib.auth",
        "rest_framework_simplejwt",
        "rest_framework_simplejwt.token_blacklist",
    ],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    SIMPLE_JWT={
        "ACCESS_TOKEN_LIFETIME": timedelta(minutes=5),
        "REFRESH_TOKEN_LIFETIME": timedelta(days=1),
    },
)
django.setup()
# RefreshToken(...) looks its jti up in the blacklist tables.
django.core.management.call_command("migrate", verbosity=0)

import jwt  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, rsa  # noqa: E402
from rest_framework_simplejwt import tokens  # noqa: E402
from rest_framework_simplejwt.backends import TokenBackend  # noqa: E402

assert jwt.__version__ == "2.6.0", jwt.__version__

clock = [NOW]
tokens.aware_utcnow = lambda: datetime.fromtimestamp(clock[0], tz=timezone.utc)
jti_iter = iter(JTIS)
tokens.uuid4 = lambda: uuid.UUID(hex=next(jti_iter))


class User:
    def __init__(self, id):
        self.id = id


def for_user(user_id):
    # Token.for_user without BlacklistMixin's OutstandingToken insert, so
    # no users table row is needed.
    return tokens.Token.for_user.__func__(tokens.RefreshToken, User(user_id))


out = {"secret": SECRET, "now": NOW}

# A pair for user 1, exactly as the obtain endpoint makes it.
refresh = for_user(1)
out["pair_int"] = {
    "user_id": 1,
    "jtis": JTIS[0:2],
    "refresh": str(refresh),
    "access": str(refresh.access_token),
}
# A pair for a string user id with characters that need escaping.
refresh_s = for_user("üser \"7\"/<&>\U0001F600")
out["pair_str"] = {
    "user_id": "üser \"7\"/<&>\U0001F600",
    "jtis": JTIS[2:4],
    "refresh": str(refresh_s),
    "access": str(refresh_s.access_token),
}

# simplejwt's refresh endpoint 100 s later: the access token copies iat
# from the refresh token; rotation gives a new jti, iat and exp.
clock[0] = NOW + 100
r2 = tokens.RefreshToken(out["pair_int"]["refresh"])
out["refreshed_access"] = str(r2.access_token)
r2.set_jti()
r2.set_exp()
r2.set_iat()
out["rotated_refresh"] = str(r2)
clock[0] = NOW

# A refresh token carrying custom claims (as a custom
# TokenObtainPairSerializer.get_token would add).
custom = for_user(42)
custom["role"] = "admin"
custom["perms"] = [1, "two", {"x": None}]
out["custom_refresh"] = str(custom)

# AUDIENCE and ISSUER set.
backend = TokenBackend("HS256", SECRET, audience="jwtgate-api", issuer="https://issuer.example")
payload = dict(for_user(9).payload)
out["aud_iss"] = {
    "audience": "jwtgate-api",
    "issuer": "https://issuer.example",
    "refresh": backend.encode(payload),
}

# The same access payload under other algorithms.
base = {
    "token_type": "access",
    "exp": int(NOW) + 300,
    "iat": int(NOW),
    "jti": "6c7d8e9f0a1b4c2d9e4f5a6b7c8d9e0f",
    "user_id": 1,
}
out["payload"] = base
out["hs384"] = jwt.encode(base, SECRET, algorithm="HS384")
out["hs512"] = jwt.encode(base, SECRET, algorithm="HS512")
out["none"] = jwt.encode(base, None, algorithm="none")


def pem_private(k):
    return k.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def pem_public(k):
    return k.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


keys = {
    "RS256": rsa.generate_private_key(public_exponent=65537, key_size=2048),
    "ES256": ec.generate_private_key(ec.SECP256R1()),
    "ES384": ec.generate_private_key(ec.SECP384R1()),
    "ES512": ec.generate_private_key(ec.SECP521R1()),
}
keys["RS512"] = keys["RS256"]
out["asymmetric"] = {
    alg: {
        "private": pem_private(k),
        "public": pem_public(k),
        "token": jwt.encode(base, pem_private(k), algorithm=alg),
    }
    for alg, k in keys.items()
}

json.dump(out, sys.stdout, indent=1, ensure_ascii=True)
sys.stdout.write("\n")
