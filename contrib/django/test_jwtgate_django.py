"""Tests of jwtgate_django on Debian's Django and DRF:

    python3 -m unittest discover -s contrib/django

(e2e/seedflow runs them, and the class behind the real gateway.)
"""

import os
import unittest

import django
from django.conf import settings

if not settings.configured:
    settings.configure(
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "rest_framework"],
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        REST_FRAMEWORK={
            "DEFAULT_AUTHENTICATION_CLASSES": ["jwtgate_django.JWTGateAuthentication"],
            "UNAUTHENTICATED_USER": None,
        },
        JWTGATE={},
        USE_TZ=True,
    )
    django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from rest_framework.permissions import IsAuthenticated  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.test import APIRequestFactory  # noqa: E402
from rest_framework.views import APIView  # noqa: E402


class WhoAmI(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"id": request.user.pk, "username": request.user.username})


def setUpModule():
    call_command("migrate", verbosity=0)


class JWTGateAuthenticationTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        User.objects.all().delete()
        cls.alice = User.objects.create_user("alice", password="x")
        cls.nonascii = User.objects.create_user("Zoë_日本", password="x")
        cls.inactive = User.objects.create_user("bob", password="x", is_active=False)

    def call(self, **headers):
        resp = WhoAmI.as_view()(APIRequestFactory().get("/", **headers))
        resp.render()
        return resp.status_code, resp.content.decode(), resp.get("WWW-Authenticate")

    def test_user_by_primary_key(self):
        self.assertEqual(self.call(HTTP_X_USER_ID=str(self.alice.pk)),
                         (200, '{"id":%d,"username":"alice"}' % self.alice.pk, None))

    def test_non_ascii_username_exactly(self):
        status, body, _ = self.call(HTTP_X_USER_ID=str(self.nonascii.pk))
        self.assertEqual(status, 200)
        self.assertIn('"username":"Zoë_日本"', body)

    def test_no_header_is_anonymous(self):
        self.assertEqual(self.call(), (401, '{"detail":"Authentication credentials were not provided."}',
                                       'Bearer realm="api"'))

    def test_unknown_user_is_refused_and_not_created(self):
        before = User.objects.count()
        self.assertEqual(self.call(HTTP_X_USER_ID="424242"), (401, '{"detail":"User not found"}', 'Bearer realm="api"'))
        self.assertEqual(User.objects.count(), before)
        self.assertFalse(User.objects.filter(username="424242").exists())

    def test_username_is_not_an_id(self):
        # RemoteUserAuthentication would find (or create) a user named "alice"
        self.assertEqual(self.call(HTTP_X_USER_ID="alice")[0], 401)

    def test_inactive_user_is_refused(self):
        self.assertEqual(self.call(HTTP_X_USER_ID=str(self.inactive.pk)),
                         (401, '{"detail":"User is inactive"}', 'Bearer realm="api"'))

    def test_malformed_ids_are_refused(self):
        for raw in ["", " 1", "1 ", "+1", "-1", "0x1", "1.0", "١", "9" * 20, "1,2"]:
            with self.subTest(raw=raw):
                status, body, _ = self.call(HTTP_X_USER_ID=raw)
                self.assertEqual((status, body), (401, '{"detail":"Invalid user id header"}'))

    def test_header_name_from_settings_and_environment(self):
        with override_settings(JWTGATE={"USER_ID_HEADER": "X-Remote-Uid"}):
            self.assertEqual(self.call(HTTP_X_REMOTE_UID=str(self.alice.pk))[0], 200)
            self.assertEqual(self.call(HTTP_X_USER_ID=str(self.alice.pk))[0], 401)
        os.environ["JWTGATE_USER_ID_HEADER"] = "X-Env-Uid"
        try:
            self.assertEqual(self.call(HTTP_X_ENV_UID=str(self.alice.pk))[0], 200)
        finally:
            del os.environ["JWTGATE_USER_ID_HEADER"]


def _b64(b):
    import base64
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class AssertionTest(unittest.TestCase):
    """ASSERTION_HEADER: the user comes from a verified assertion only."""

    @classmethod
    def setUpClass(cls):
        try:
            import jwt  # noqa: F401
            from cryptography.hazmat.primitives import serialization
            from cryptography.hazmat.primitives.asymmetric import ec
        except ImportError as e:  # Debian: python3-jwt python3-cryptography
            raise unittest.SkipTest("PyJWT or cryptography missing: %s" % e)
        User.objects.all().delete()
        cls.alice = User.objects.create_user("alice", password="x")
        cls.bob = User.objects.create_user("bob", password="x")
        cls.key = ec.generate_private_key(ec.SECP256R1())
        cls.pem = cls.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        cls.other = ec.generate_private_key(ec.SECP256R1())
        cls.settings = {"ASSERTION_HEADER": "X-Jwtgate-Assertion", "ASSERTION_AUDIENCE": "movieapi",
                        "ASSERTION_KEY": cls.pem}

    def claims(self, user, **over):
        import time
        now = int(time.time())
        c = {"token_type": "identity", "iss": "jwtgate", "aud": "movieapi", "sub": str(user.pk),
             "username": user.username, "jti": "0123", "iat": now, "exp": now + 60}
        c.update(over)
        return {k: v for k, v in c.items() if v is not None}

    def sign(self, claims, key=None, alg="ES256"):
        import jwt
        return jwt.encode(claims, key or self.key, algorithm=alg, headers={"kid": "assert"})

    def call(self, settings=None, **headers):
        with override_settings(JWTGATE=settings or self.settings):
            return JWTGateAuthenticationTest.call(self, **headers)[:2]

    def test_valid_assertion(self):
        tok = self.sign(self.claims(self.alice))
        self.assertEqual(self.call(HTTP_X_USER_ID=str(self.alice.pk), HTTP_X_JWTGATE_ASSERTION=tok)[0], 200)
        # the assertion alone names the user
        status, body = self.call(HTTP_X_JWTGATE_ASSERTION=tok)
        self.assertEqual((status, '"username":"alice"' in body), (200, True))

    def test_header_alone_is_refused(self):
        self.assertEqual(self.call(HTTP_X_USER_ID=str(self.alice.pk)),
                         (401, '{"detail":"Identity assertion missing"}'))

    def test_no_identity_is_anonymous(self):
        self.assertEqual(self.call()[0], 401)

    def test_forgeries_are_refused(self):
        import hmac
        import hashlib
        import jwt
        bad = '{"detail":"Invalid identity assertion"}'
        hdr = _b64(b'{"alg":"HS256","typ":"JWT","kid":"assert"}')
        body = _b64(jwt.api_jws.json.dumps(self.claims(self.alice)).encode())
        hs = hdr + "." + body + "." + _b64(hmac.new(self.pem.encode(), (hdr + "." + body).encode(), hashlib.sha256).digest())
        none = _b64(b'{"alg":"none","typ":"JWT"}') + "." + body + "."
        cases = {
            "other key": self.sign(self.claims(self.alice), key=self.other),
            "expired": self.sign(self.claims(self.alice, iat=1_700_000_000, exp=1_700_000_060)),
            "wrong audience": self.sign(self.claims(self.alice, aud="another-app")),
            "wrong issuer": self.sign(self.claims(self.alice, iss="someone")),
            "access token type": self.sign(self.claims(self.alice, token_type="access")),
            "no exp": self.sign(self.claims(self.alice, exp=None)),
            "HS256 with the public key": hs,
            "alg none": none,
            "garbage": "not.a.jwt",
        }
        for name, tok in cases.items():
            with self.subTest(name):
                self.assertEqual(self.call(HTTP_X_USER_ID=str(self.alice.pk), HTTP_X_JWTGATE_ASSERTION=tok), (401, bad))

    def test_replayed_with_another_users_header(self):
        tok = self.sign(self.claims(self.alice))
        self.assertEqual(self.call(HTTP_X_USER_ID=str(self.bob.pk), HTTP_X_JWTGATE_ASSERTION=tok),
                         (401, '{"detail":"Invalid identity assertion"}'))

    def test_key_from_jwks_url(self):
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, HTTPServer
        import base64
        # Coordinates of 32 bytes each, as RFC 7518 wants and the gateway
        # publishes them (PyJWT 2.6's to_jwk drops leading zero bytes, and
        # its from_jwk then refuses one key in about 128).
        nums = self.key.public_key().public_numbers()
        coord = lambda n: base64.urlsafe_b64encode(n.to_bytes(32, "big")).rstrip(b"=").decode()
        jwk = {"kty": "EC", "crv": "P-256", "x": coord(nums.x), "y": coord(nums.y), "kid": "assert", "alg": "ES256", "use": "sig"}
        doc = json.dumps({"keys": [jwk]}).encode()

        class JWKS(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "application/jwk-set+json")
                self.end_headers()
                self.wfile.write(doc)

            def log_message(self, *args):
                pass

        srv = HTTPServer(("127.0.0.1", 0), JWKS)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        self.addCleanup(srv.server_close)
        self.addCleanup(srv.shutdown)
        conf = dict(self.settings, ASSERTION_KEY="", ASSERTION_JWKS_URL="http://127.0.0.1:%d/" % srv.server_port)
        tok = self.sign(self.claims(self.alice))
        self.assertEqual(self.call(conf, HTTP_X_USER_ID=str(self.alice.pk), HTTP_X_JWTGATE_ASSERTION=tok)[0], 200)
        forged = self.sign(self.claims(self.alice), key=self.other)
        self.assertEqual(self.call(conf, HTTP_X_USER_ID=str(self.alice.pk), HTTP_X_JWTGATE_ASSERTION=forged)[0], 401)
        import jwt
        unknown = jwt.encode(self.claims(self.alice), self.other, algorithm="ES256", headers={"kid": "nope"})
        self.assertEqual(self.call(conf, HTTP_X_USER_ID=str(self.alice.pk), HTTP_X_JWTGATE_ASSERTION=unknown)[0], 401)


if __name__ == "__main__":
    unittest.main()
